// Explorer section: recent L2 blocks, batches the batcher posted to L1 (transactions from the batcher
// to the batch inbox, read from SystemConfig) and the outputs on the L2OutputOracle (OutputProposed
// events, minus those OutputsDeleted removed, which are listed apart).
// Everything is read from the chains; empty lists say which component fills them.
import { getAbiItem, getAddress, type Address, type Hex, type PublicClient } from 'viem'
import { oracleAbi, systemConfigAbi } from './abi'
import type { Chains } from './chains'
import { DEPOSITOR, type DappConfig } from './config'
import { explain } from './errors'
import { $, ago, esc, int, shortHex } from './format'

interface Batch {
  l1Block: bigint
  hash: Hex
  kind: string
  size: string
}

const SCAN_BACK = 64n
/** Outputs listed, newest first. */
const OUTPUT_ROWS = 10
/** Deleted outputs listed, the latest deletions first. */
const DELETED_ROWS = 5

const outputProposed = getAbiItem({ abi: oracleAbi, name: 'OutputProposed' })
const outputsDeleted = getAbiItem({ abi: oracleAbi, name: 'OutputsDeleted' })

interface Proposal {
  index: bigint
  l2Block: bigint
  root: Hex
  l1Block: bigint
  l1Tx: Hex
}

export class ExplorerSection {
  private inbox: Address | undefined
  private batcher: Address | undefined
  private scannedTo: bigint | undefined
  private batches: Batch[] = []
  private busy = false

  constructor(private readonly cfg: DappConfig, private readonly chains: Chains) {}

  init(): void {
    void this.refresh()
    setInterval(() => void this.refresh(), 3000)
  }

  async refresh(): Promise<void> {
    if (this.busy) return
    this.busy = true
    try {
      await Promise.all([this.blocks(), this.l1()])
    } finally {
      this.busy = false
    }
  }

  private async blocks(): Promise<void> {
    const c = this.chains.l2Client
    const el = $('#blocks-list')
    try {
      const head = await c.getBlockNumber()
      const nums: bigint[] = []
      for (let n = head; n >= 0n && nums.length < 8; n--) nums.push(n)
      const blocks = await Promise.all(nums.map((n) => c.getBlock({ blockNumber: n, includeTransactions: true })))
      el.innerHTML = `<table class="list"><thead><tr><th class="num">Block</th><th>Hash</th><th>Age</th><th>Transactions</th><th class="num">Gas used</th></tr></thead><tbody>
        ${blocks.map((b) => {
          const system = b.transactions.filter((t) => t.from.toLowerCase() === DEPOSITOR.toLowerCase()).length
          const user = b.transactions.length - system
          return `<tr data-block="${b.number}" data-hash="${b.hash}" data-txs="${b.transactions.length}" data-gas-used="${b.gasUsed}">
            <td class="num">${int(b.number as bigint)}</td><td class="mono" title="${b.hash}">${shortHex(b.hash as Hex, 10, 8)}</td>
            <td>${ago(b.timestamp)}</td><td>${b.transactions.length} <span class="muted small">(${user} user, ${system} system)</span></td>
            <td class="num">${int(b.gasUsed)}</td></tr>`
        }).join('')}</tbody></table>`
      $('#l2-head').textContent = `head #${head}`
    } catch (e) {
      el.innerHTML = `<p class="status error">Could not read L2 blocks from ${esc(this.cfg.l2.rpcUrl)}: ${esc(explain(e))}</p>`
    }
  }

  private async l1(): Promise<void> {
    const l1 = this.cfg.l1
    const c = this.chains.l1Client
    const batchesEl = $('#batches-list')
    const outputsEl = $('#outputs-list')
    if (!l1 || !c) {
      batchesEl.innerHTML = outputsEl.innerHTML = '<p class="muted">No L1 configured (config.json has no "l1").</p>'
      return
    }
    try {
      const head = await c.getBlockNumber()
      $('#l1-head').textContent = `L1 head #${head}`
      if (!this.inbox) {
        const [inbox, batcherHash] = await Promise.all([
          c.readContract({ address: l1.contracts.SystemConfig, abi: systemConfigAbi, functionName: 'batchInbox' }),
          c.readContract({ address: l1.contracts.SystemConfig, abi: systemConfigAbi, functionName: 'batcherHash' }),
        ])
        this.inbox = getAddress(inbox)
        this.batcher = getAddress(`0x${batcherHash.slice(-40)}`)
      }
      const from = this.scannedTo !== undefined ? this.scannedTo + 1n : head > SCAN_BACK ? head - SCAN_BACK : 0n
      for (let n = from; n <= head; n++) {
        const b = await c.getBlock({ blockNumber: n, includeTransactions: true })
        for (const tx of b.transactions) {
          if (tx.to?.toLowerCase() !== this.inbox.toLowerCase() || tx.from.toLowerCase() !== this.batcher?.toLowerCase()) continue
          const blobs = tx.blobVersionedHashes?.length ?? 0
          this.batches.push({ l1Block: n, hash: tx.hash, kind: blobs ? 'blobs' : 'calldata', size: blobs ? `${blobs} blob${blobs > 1 ? 's' : ''}` : `${(tx.input.length - 2) / 2} bytes` })
        }
        this.scannedTo = n
      }
      const recent = this.batches.slice(-10).reverse()
      batchesEl.innerHTML = recent.length
        ? `<table class="list"><thead><tr><th class="num">L1 block</th><th>Transaction</th><th>Carried as</th><th>Size</th></tr></thead><tbody>
            ${recent.map((x) => `<tr><td class="num">${x.l1Block}</td><td class="mono">${shortHex(x.hash, 10, 6)}</td><td>${x.kind}</td><td>${x.size}</td></tr>`).join('')}</tbody></table>`
        : `<p class="muted" data-field="batches-none">No batches posted to L1 yet (looked at L1 blocks ${from <= head ? `up to #${head}` : ''} for transactions from the batcher ${shortHex(this.batcher as string)} to the inbox ${shortHex(this.inbox)}). They appear here once the batcher runs.</p>`

      await this.outputs(c, l1.contracts, head, outputsEl)
    } catch (e) {
      const msg = `<p class="status error">Could not read L1 at ${esc(l1.rpcUrl)}: ${esc(explain(e))}</p>`
      batchesEl.innerHTML = outputsEl.innerHTML = msg
    }
  }

  /**
   * The oracle's outputs at L1 block `head`, newest first, and those the challenger deleted. The oracle keeps
   * no list of deletions, so the events are replayed in order: OutputProposed(index) sets that index,
   * OutputsDeleted(prev, new) removes every index ≥ new (a proposal of a deleted index comes after it and
   * sets it again). What is left are exactly the outputs below nextOutputIndex.
   */
  private async outputs(c: PublicClient, contracts: { L2OutputOracle: Address; SystemConfig: Address }, head: bigint, el: HTMLElement): Promise<void> {
    const oracle = contracts.L2OutputOracle
    const start = await c.readContract({ address: contracts.SystemConfig, abi: systemConfigAbi, functionName: 'startBlock' })
    const at = { address: oracle, abi: oracleAbi, blockNumber: head } as const
    const [logs, next, count] = await Promise.all([
      c.getLogs({ address: oracle, events: [outputProposed, outputsDeleted], fromBlock: start, toBlock: head }),
      c.readContract({ ...at, functionName: 'nextBlockNumber' }),
      c.readContract({ ...at, functionName: 'nextOutputIndex' }),
    ])
    const live = new Map<bigint, Proposal>()
    const deleted: { p: Proposal; l1Block: bigint; l1Tx: Hex }[] = []
    const ordered = logs.slice().sort((a, b) => Number((a.blockNumber as bigint) - (b.blockNumber as bigint)) || (a.logIndex as number) - (b.logIndex as number))
    for (const l of ordered) {
      if (l.eventName === 'OutputProposed') {
        const a = l.args as { outputRoot: Hex; l2OutputIndex: bigint; l2BlockNumber: bigint }
        live.set(a.l2OutputIndex, { index: a.l2OutputIndex, l2Block: a.l2BlockNumber, root: a.outputRoot, l1Block: l.blockNumber as bigint, l1Tx: l.transactionHash as Hex })
      } else {
        const from = (l.args as { newNextOutputIndex: bigint }).newNextOutputIndex
        for (const [i, p] of live) {
          if (i < from) continue
          deleted.push({ p, l1Block: l.blockNumber as bigint, l1Tx: l.transactionHash as Hex })
          live.delete(i)
        }
      }
    }
    const current = [...live.values()].filter((p) => p.index < count).sort((a, b) => Number(b.index - a.index))
    const rows = current.slice(0, OUTPUT_ROWS)
    const gone = deleted.slice(-DELETED_ROWS).reverse()
    const cell = (root: Hex) => `<td class="mono" title="${root}">${shortHex(root, 10, 8)}</td>`
    // One snapshot: the rows, the next output's block and the L1 head they were read at (data-l1-head),
    // so a reader can check them against the oracle at that block.
    const main = count > 0n
      ? `<table class="list" data-field="outputs" data-l1-head="${head}" data-count="${count}"><thead><tr><th class="num">Index</th><th class="num">L2 block</th><th>Output root</th><th class="num">L1 block</th></tr></thead><tbody>
          ${rows.map((o) => `<tr data-index="${o.index}" data-l2-block="${o.l2Block}" data-output-root="${o.root}" data-l1-block="${o.l1Block}" data-l1-tx="${o.l1Tx}">
            <td class="num">${o.index}</td><td class="num">${o.l2Block}</td>${cell(o.root)}<td class="num">${o.l1Block}</td></tr>`).join('')}</tbody></table>
         <p class="small muted" data-field="outputs-next" data-next-block="${next}">${count > BigInt(rows.length) ? `Latest ${rows.length} of ${count}. ` : ''}Next output due for L2 block ${next}.</p>`
      : `<p class="muted" data-field="outputs-none" data-l1-head="${head}">No outputs on the L2OutputOracle ${shortHex(oracle)}${deleted.length ? '' : ' yet'}; the ${deleted.length ? 'next' : 'first'} is due for L2 block ${next}. They appear here once the proposer runs.</p>`
    const removed = gone.length
      ? `<table class="list" data-field="outputs-deleted" data-l1-head="${head}"><caption>Deleted by the challenger (${deleted.length}${deleted.length > gone.length ? `, latest ${gone.length}` : ''}): no longer on the oracle</caption>
          <thead><tr><th class="num">Index</th><th class="num">L2 block</th><th>Output root</th><th class="num">Deleted in L1 block</th></tr></thead><tbody>
          ${gone.map((d) => `<tr class="deleted" data-index="${d.p.index}" data-l2-block="${d.p.l2Block}" data-output-root="${d.p.root}" data-l1-block="${d.p.l1Block}" data-l1-tx="${d.p.l1Tx}" data-deleted-l1-block="${d.l1Block}" data-deleted-l1-tx="${d.l1Tx}">
            <td class="num">${d.p.index}</td><td class="num">${d.p.l2Block}</td>${cell(d.p.root)}<td class="num">${d.l1Block}</td></tr>`).join('')}</tbody></table>`
      : ''
    el.innerHTML = main + removed
  }
}
