// Models section: every model the node lists (bai_listModels), with its price and how the price is
// split, the gas schedule, the serving operator with its bonded stake, and the curation stake.
import { getAddress, zeroAddress, type Address, type EIP1193RequestFn, type Hex, type PublicClient } from 'viem'
import { curationAbi, marketplaceAbi, stakingAbi } from './abi'
import type { DappConfig } from './config'
import { $, bai, esc, int, shortHex } from './format'

/** A model's verification rule as users read it: today every model is optimistic (witness + challenge
 * against the bit-exact reference runtime); the rule is exact bytes or a tolerance in basis points. */
export function verificationRule(toleranceBps: number): string {
  return toleranceBps === 0
    ? 'optimistic · exact (bit-exact reference)'
    : `optimistic · within ${toleranceBps} bps of the reference`
}

export interface ModelInfo {
  id: Hex
  name: string
  kind: 'embedding' | 'generation' | 'generic' | string
  status: string
  price: bigint
  baseGas: bigint
  gasPerUnit: bigint
  gasPerInputByte: bigint
  maxInputBytes: number
  maxUnits: number
  toleranceBps: number
  owner: Address
  operator: Address
  /** Bonded stake of the operator in Staking (self-stake + delegations). */
  operatorStake: bigint
  /** BAI curated on this model in Curation. */
  curationStake: bigint
  split: { owner: bigint; operator: bigint; stakers: bigint; curators: bigint; treasury: bigint }
}

interface ListModels {
  marketplace: string
  precompile: string
  models: Array<Record<string, string>>
}

/** The node's `bai_listModels` (docs/precompiles.md), which viem's Ethereum RPC schema does not know. */
function listModels(client: PublicClient): Promise<ListModels> {
  const request = client.request as unknown as EIP1193RequestFn<[{ Method: 'bai_listModels'; Parameters: []; ReturnType: ListModels }]>
  return request({ method: 'bai_listModels', params: [] })
}

export async function fetchModels(client: PublicClient, cfg: DappConfig): Promise<ModelInfo[]> {
  const list = await listModels(client)
  const market = cfg.l2.contracts.ModelMarketplace
  const [staking, curation] = await Promise.all([
    client.readContract({ address: market, abi: marketplaceAbi, functionName: 'staking' }),
    client.readContract({ address: market, abi: marketplaceAbi, functionName: 'curation' }),
  ])
  return Promise.all(list.models.map(async (m): Promise<ModelInfo> => {
    const id = m.id as Hex
    const price = BigInt(m.price as string)
    const operator = getAddress(m.operator as string)
    const [validator, pool, split] = await Promise.all([
      operator === zeroAddress || staking === zeroAddress ? undefined
        : client.readContract({ address: staking, abi: stakingAbi, functionName: 'getValidator', args: [operator] }),
      curation === zeroAddress ? undefined
        : client.readContract({ address: curation, abi: curationAbi, functionName: 'pools', args: [id] }),
      client.readContract({ address: market, abi: marketplaceAbi, functionName: 'previewSplit', args: [id, price] }),
    ])
    return {
      id,
      name: m.name as string,
      kind: m.kind as string,
      status: m.status as string,
      price,
      baseGas: BigInt(m.baseGas as string),
      gasPerUnit: BigInt(m.gasPerUnit as string),
      gasPerInputByte: BigInt(m.gasPerInputByte as string),
      maxInputBytes: Number(m.maxInputBytes),
      maxUnits: Number(m.maxUnits),
      toleranceBps: Number(m.toleranceBps),
      owner: getAddress(m.owner as string),
      operator,
      operatorStake: validator?.bondedStake ?? 0n,
      curationStake: pool ? pool[0] : 0n,
      split: { owner: split[0], operator: split[1], stakers: split[2], curators: split[3], treasury: split[4] },
    }
  }))
}

function pct(part: bigint, whole: bigint): string {
  if (whole === 0n) return '—'
  return `${(Number((part * 10000n) / whole) / 100).toString()} %`
}

function card(m: ModelInfo): string {
  const s = m.split
  const splitRows = ([['owner', s.owner], ['operator', s.operator], ['stakers', s.stakers], ['curators', s.curators], ['treasury', s.treasury]] as const)
    .map(([who, v]) => `<tr><td>${who}</td><td class="num" data-share="${who}">${bai(v, 18)} BAI</td><td class="num muted">${pct(v, m.price)}</td></tr>`).join('')
  const unit = m.kind === 'generation' ? 'generated token' : m.kind === 'embedding' ? 'input token' : 'unit'
  return `
  <article class="card model" data-model-id="${m.id}" data-kind="${esc(m.kind)}">
    <header>
      <h3 data-field="name">${esc(m.name)}</h3>
      <span class="pill ${m.status === 'active' ? 'ok' : 'warn'}" data-field="status">${esc(m.status)}</span>
      <span class="pill" data-field="kind">${esc(m.kind)}</span>
    </header>
    <p class="mono muted small" title="${m.id}">id ${m.id}</p>
    <div class="grid2">
      <div>
        <h4>Price per call</h4>
        <p class="big"><span data-field="price">${bai(m.price, 18)}</span> BAI</p>
        <table class="kv small"><caption>Split of each payment (previewSplit)</caption>${splitRows}</table>
      </div>
      <div>
        <h4>Gas schedule</h4>
        <table class="kv small">
          <tr><td>base</td><td class="num" data-field="baseGas">${int(m.baseGas)}</td></tr>
          <tr><td>per input byte</td><td class="num" data-field="gasPerInputByte">${int(m.gasPerInputByte)}</td></tr>
          <tr><td>per ${unit}</td><td class="num" data-field="gasPerUnit">${int(m.gasPerUnit)}</td></tr>
          <tr><td>max input</td><td class="num" data-field="maxInputBytes">${int(m.maxInputBytes)} bytes</td></tr>
          <tr><td>max units</td><td class="num" data-field="maxUnits">${int(m.maxUnits)}</td></tr>
          <tr><td>verification</td><td data-field="verification" title="optimistic: a challenger re-runs every recorded result on the bit-exact reference runtime; outside the rule the operator is slashed">${verificationRule(m.toleranceBps)}</td></tr>
        </table>
      </div>
    </div>
    <table class="kv small">
      <tr><td>Operator</td><td class="mono" data-field="operator" title="${m.operator}">${m.operator}</td></tr>
      <tr><td>Operator stake</td><td class="num" data-field="operatorStake">${bai(m.operatorStake)} BAI</td></tr>
      <tr><td>Curation stake</td><td class="num" data-field="curationStake">${bai(m.curationStake, 18)} BAI</td></tr>
      <tr><td>Owner</td><td class="mono" title="${m.owner}">${shortHex(m.owner)}</td></tr>
    </table>
  </article>`
}

export class ModelsSection {
  models: ModelInfo[] = []
  private readonly listeners: Array<(m: ModelInfo[]) => void> = []

  constructor(private readonly client: PublicClient, private readonly cfg: DappConfig) {}

  onLoaded(fn: (m: ModelInfo[]) => void): void {
    this.listeners.push(fn)
  }

  async load(): Promise<void> {
    const root = $('#models-list')
    const st = $('#models-status')
    st.textContent = 'Loading models…'
    st.className = 'status busy'
    try {
      this.models = await fetchModels(this.client, this.cfg)
      root.innerHTML = this.models.length ? this.models.map(card).join('') : '<p class="muted">No models are registered in the marketplace.</p>'
      st.textContent = `${this.models.length} model${this.models.length === 1 ? '' : 's'} registered in the marketplace ${shortHex(this.cfg.l2.contracts.ModelMarketplace)}`
      st.className = 'status'
      st.dataset.loaded = 'true'
      for (const fn of this.listeners) fn(this.models)
    } catch (e) {
      st.textContent = `Could not load the models from ${this.cfg.l2.rpcUrl}: ${(e as Error).message}`
      st.className = 'status error'
    }
  }
}
