// "Call a model" section: embedding similarity of two texts and text generation, each a paid
// marketplace transaction sent through the wallet; then the answer recorded in the block and the
// exact fees paid (model price and its split, L2 gas, L1 data fee).
import { encodeFunctionData, type EIP1193RequestFn, type Hex, type PublicClient, type TransactionReceipt } from 'viem'
import { marketplaceAbi, SELECTOR } from './abi'
import type { Chains } from './chains'
import type { DappConfig } from './config'
import { explain, revertData, describeRevert } from './errors'
import { $, bai, baiExact, esc, gwei, int, shortHex, status } from './format'
import { verificationRule, type ModelInfo } from './models'
import type { Wallet } from './wallet'
import { callKey, cosine, decodeEmbedding, decodeText, feesOf, readRecordedAnswer, type Fees, type RecordedAnswer } from './witness'

interface CallOutcome {
  hash: Hex
  receipt: TransactionReceipt
  answer: RecordedAnswer
  fees: Fees
  verification: string
}

/** One entry of the node's `bai_inferenceCalls` (docs/precompiles.md), which viem's schema does not know. */
interface InferenceCall {
  model: Hex
  callKey: Hex
  witnessHash: Hex
  /** optimistic: rule `exact` or `tolerance` with toleranceBps; zk: rule `proof` with the key's and the proof's hashes. */
  verification: { level: 'optimistic' | 'zk' | string; rule: string; toleranceBps?: Hex; keyHash?: Hex; proofHash?: Hex }
}

/** A call's verification as users read it: the level and rule in force in its block. */
export function callVerification(v: InferenceCall['verification']): string {
  if (v.level === 'zk') return `zk · proof verified by every node, proof hash ${v.proofHash ?? '?'}`
  return verificationRule(Number(v.toleranceBps ?? 0))
}

/** How the node says the model call `key` of transaction `hash` is verified (level and rule in force). */
async function verificationOf(client: PublicClient, hash: Hex, key: Hex): Promise<string> {
  type Method = { Method: 'bai_inferenceCalls'; Parameters: [Hex]; ReturnType: { calls: InferenceCall[] } }
  const request = client.request as unknown as EIP1193RequestFn<[Method]>
  const { calls } = await request({ method: 'bai_inferenceCalls', params: [hash] })
  const call = calls.find((c) => c.callKey === key)
  return call ? callVerification(call.verification) : 'not listed by the node'
}

export class CallsSection {
  private models: ModelInfo[] = []

  constructor(
    private readonly cfg: DappConfig,
    private readonly chains: Chains,
    private readonly wallet: Wallet,
  ) {}

  private get client(): PublicClient {
    return this.chains.l2Client
  }

  init(): void {
    $('#embed-form').addEventListener('submit', (ev) => {
      ev.preventDefault()
      void this.similarity()
    })
    $('#generate-form').addEventListener('submit', (ev) => {
      ev.preventDefault()
      void this.generate()
    })
    for (const id of ['#embed-a', '#embed-b', '#generate-prompt', '#generate-max', '#embed-model', '#generate-model']) {
      $(id).addEventListener('input', () => this.quote())
    }
  }

  setModels(models: ModelInfo[]): void {
    this.models = models
    const fill = (sel: string, kind: string) => {
      const el = $(sel) as HTMLSelectElement
      const ms = models.filter((m) => m.kind === kind && m.status === 'active')
      el.innerHTML = ms.map((m) => `<option value="${m.id}">${esc(m.name)} — ${bai(m.price, 18)} BAI</option>`).join('')
      el.disabled = ms.length === 0
    }
    fill('#embed-model', 'embedding')
    fill('#generate-model', 'generation')
    this.quote()
  }

  private model(sel: string): ModelInfo | undefined {
    const id = ($(sel) as HTMLSelectElement).value
    return this.models.find((m) => m.id === id)
  }

  /** Shows what a call will cost before sending: price and worst-case precompile gas (the model's quote). */
  private quote(): void {
    const em = this.model('#embed-model')
    if (em) {
      const a = new TextEncoder().encode(($('#embed-a') as HTMLTextAreaElement).value).length
      const b = new TextEncoder().encode(($('#embed-b') as HTMLTextAreaElement).value).length
      const worst = (n: number) => em.baseGas + em.gasPerInputByte * BigInt(n) + em.gasPerUnit * BigInt(em.maxUnits)
      $('#embed-quote').textContent = `Two paid calls: 2 × ${bai(em.price, 18)} BAI, plus gas (model worst case ${int(worst(a))} + ${int(worst(b))} gas).`
    }
    const gm = this.model('#generate-model')
    if (gm) {
      const p = new TextEncoder().encode(($('#generate-prompt') as HTMLTextAreaElement).value).length
      const max = BigInt(Number(($('#generate-max') as HTMLInputElement).value) || 0)
      const worst = gm.baseGas + gm.gasPerInputByte * BigInt(p) + gm.gasPerUnit * max
      $('#generate-quote').textContent = `One paid call: ${bai(gm.price, 18)} BAI, plus gas (model worst case ${int(worst)} gas for ${max} tokens).`
    }
  }

  /** One paid marketplace call: simulate (exact gas, early revert reasons), send, wait, read the answer. */
  private async call(m: ModelInfo, fn: 'embed' | 'generate', input: string, maxTokens: number, say: (s: string) => void): Promise<CallOutcome> {
    if (!this.wallet.account) await this.wallet.connect()
    const account = this.wallet.account as Hex
    const data = fn === 'embed'
      ? encodeFunctionData({ abi: marketplaceAbi, functionName: 'embed', args: [m.id, input] })
      : encodeFunctionData({ abi: marketplaceAbi, functionName: 'generate', args: [m.id, input, maxTokens] })
    const to = this.cfg.l2.contracts.ModelMarketplace
    say('simulating the call (eth_estimateGas runs the model)…')
    const estimate = await this.client.estimateGas({ account, to, data, value: m.price })
    say('confirm the transaction in your wallet…')
    const hash = await this.wallet.send(this.chains.l2, { to, data, value: m.price, gas: estimate + estimate / 5n })
    say(`sent ${shortHex(hash)}, waiting for the block…`)
    const receipt = await this.client.waitForTransactionReceipt({ hash, pollingInterval: 250, timeout: 120_000 })
    if (receipt.status !== 'success') {
      let reason = 'the transaction reverted'
      try {
        await this.client.call({ account, to, data, value: m.price, blockNumber: receipt.blockNumber - 1n })
      } catch (e) {
        const d = revertData(e)
        if (d) reason = describeRevert(d) ?? reason
      }
      throw new Error(`Transaction ${hash} failed in block ${receipt.blockNumber}: ${reason}.`)
    }
    say(`included in block ${receipt.blockNumber}; reading the recorded answer…`)
    const key = callKey(m.id, fn === 'embed' ? SELECTOR.embed : SELECTOR.generate, input, fn === 'embed' ? 0 : maxTokens)
    const answer = await readRecordedAnswer(this.client, this.cfg, receipt.blockNumber, key)
    const verification = await verificationOf(this.client, hash, key)
    return { hash, receipt, answer, fees: feesOf(receipt, m.price, this.cfg), verification }
  }

  private async similarity(): Promise<void> {
    const st = $('#embed-status')
    const out = $('#embed-result')
    const btn = $('#embed-form button') as HTMLButtonElement
    const m = this.model('#embed-model')
    const a = ($('#embed-a') as HTMLTextAreaElement).value.trim()
    const b = ($('#embed-b') as HTMLTextAreaElement).value.trim()
    if (!m) return status(st, 'No embedding model is available.', 'error')
    if (!a || !b) return status(st, 'Enter two texts to compare.', 'error')
    btn.disabled = true
    out.hidden = true
    try {
      const first = await this.call(m, 'embed', a, 0, (s) => status(st, `Call 1 of 2: ${s}`, 'busy'))
      const second = await this.call(m, 'embed', b, 0, (s) => status(st, `Call 2 of 2: ${s}`, 'busy'))
      const va = decodeEmbedding(first.answer.output)
      const vb = decodeEmbedding(second.answer.output)
      const sim = cosine(va, vb)
      out.innerHTML = `
        <p class="big">Cosine similarity <strong data-field="similarity">${sim.cosine.toFixed(4)}</strong></p>
        <p class="small muted">Cosine of the two ${va.length}-dimensional vectors recorded on chain (int32, unit vector × 10⁶);
          dot product / 10⁶ = <span class="mono" data-field="similarity-scaled">${sim.scaled}</span>, what <code>AiNotes.similarity</code> computes on chain.</p>
        ${this.callCard('First text', a, first, `<p class="small mono muted">[${va.slice(0, 6).join(', ')}, …]</p>`)}
        ${this.callCard('Second text', b, second, `<p class="small mono muted">[${vb.slice(0, 6).join(', ')}, …]</p>`)}`
      $('#embed-placeholder').hidden = true
      out.hidden = false
      status(st, `Done: 2 calls in blocks ${first.receipt.blockNumber} and ${second.receipt.blockNumber}, total ${bai(first.fees.total + second.fees.total, 18)} BAI.`, 'ok')
    } catch (e) {
      status(st, explain(e), 'error')
    } finally {
      btn.disabled = false
    }
  }

  private async generate(): Promise<void> {
    const st = $('#generate-status')
    const out = $('#generate-result')
    const btn = $('#generate-form button') as HTMLButtonElement
    const m = this.model('#generate-model')
    const prompt = ($('#generate-prompt') as HTMLTextAreaElement).value.trim()
    const max = Number(($('#generate-max') as HTMLInputElement).value)
    if (!m) return status(st, 'No generation model is available.', 'error')
    if (!prompt) return status(st, 'Enter a prompt.', 'error')
    if (!Number.isInteger(max) || max < 1 || max > m.maxUnits) return status(st, `Max tokens must be between 1 and ${m.maxUnits}.`, 'error')
    btn.disabled = true
    out.hidden = true
    try {
      const r = await this.call(m, 'generate', prompt, max, (s) => status(st, s, 'busy'))
      const text = decodeText(r.answer.output)
      out.innerHTML = `
        <blockquote class="answer" data-field="answer">${esc(text)}</blockquote>
        ${this.callCard('Generation', prompt, r, `<p class="small muted">${r.answer.units} tokens generated (max ${max}).</p>`)}`
      $('#generate-placeholder').hidden = true
      out.hidden = false
      status(st, `Done: block ${r.receipt.blockNumber}, total ${bai(r.fees.total, 18)} BAI.`, 'ok')
    } catch (e) {
      status(st, explain(e), 'error')
    } finally {
      btn.disabled = false
    }
  }

  private callCard(title: string, input: string, r: CallOutcome, extra: string): string {
    const f = r.fees
    const split = f.split
      ? ([['owner', f.split.owner], ['operator', f.split.operator], ['stakers', f.split.stakers], ['curators', f.split.curators], ['treasury', f.split.treasury]] as const)
        .map(([who, v]) => `<tr class="sub"><td>→ ${who}</td><td class="num" data-share="${who}">${baiExact(v)} BAI</td></tr>`).join('')
      : ''
    return `
      <div class="call" data-tx="${r.hash}" data-block="${r.receipt.blockNumber}" data-total-wei="${f.total}">
        <h4>${esc(title)}</h4>
        <p class="small">“${esc(input)}”</p>
        ${extra}
        <table class="kv small fees">
          <tr><td>Model price paid</td><td class="num" data-fee="price">${baiExact(f.price)} BAI</td></tr>
          ${split}
          <tr><td>Gas</td><td class="num" data-fee="gas">${int(f.gasUsed)} × ${gwei(f.effectiveGasPrice)} = ${baiExact(f.l2Fee)} BAI</td></tr>
          <tr><td>L1 data fee</td><td class="num" data-fee="l1">${baiExact(f.l1Fee)} BAI</td></tr>
          <tr class="total"><td>Total paid</td><td class="num" data-fee="total">${baiExact(f.total)} BAI</td></tr>
        </table>
        <p class="small">Verification (<code>bai_inferenceCalls</code>): <span data-field="call-verification">${esc(r.verification)}</span></p>
        <p class="small muted">Transaction <span class="mono" title="${r.hash}">${shortHex(r.hash, 10, 8)}</span> in block ${r.receipt.blockNumber}.
          Answer read from the block's witness deposit <span class="mono" title="${r.answer.witnessTx}">${shortHex(r.answer.witnessTx)}</span>
          (keccak <span class="mono" title="${r.answer.outputHash}">${shortHex(r.answer.outputHash)}</span>, as in the witness store).</p>
      </div>`
  }
}
