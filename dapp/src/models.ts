// Models section: every model the node lists (bai_listModels), with its price and how the price is
// split, the gas schedule, its verification level (getModel), the serving operator with its bonded
// stake, and the curation stake.
import { getAddress, zeroAddress, zeroHash, type Address, type EIP1193RequestFn, type Hex, type PublicClient } from 'viem'
import { curationAbi, marketplaceAbi, stakingAbi } from './abi'
import type { DappConfig } from './config'
import { $, bai, esc, int, shortHex } from './format'

/** The `optimistic` level's rule as users read it (witness + challenge against the bit-exact reference
 * runtime): exact bytes, or a tolerance in basis points. */
export function verificationRule(toleranceBps: number): string {
  return toleranceBps === 0
    ? 'optimistic · exact (bit-exact reference)'
    : `optimistic · within ${toleranceBps} bps of the reference`
}

/** The `zk` level as users read it: the operator's proof of each answer is checked by every node. */
export const ZK_RULE = 'zk · proof checked by every node'

/** A model's verification level as the chain says it (ModelMarketplace.getModel / verificationAt). */
export interface Verification {
  /** `zk` once a registered verifying key is in force (zkKeyHash ≠ 0 and zkSince ≤ the current block). */
  level: 'zk' | 'optimistic'
  /** keccak256 of the registered zk verifying key; null while the model has none. */
  zkKeyHash: Hex | null
  /** First block in which the key is in force (0 while none). */
  zkSince: bigint
}

/** The level of a model with key hash `zkKeyHash` (zero: none) in force from `zkSince`, at block `head`. */
export function verificationLevel(zkKeyHash: Hex, zkSince: bigint, head: bigint): Verification {
  if (zkKeyHash === zeroHash) return { level: 'optimistic', zkKeyHash: null, zkSince: 0n }
  return { level: zkSince <= head ? 'zk' : 'optimistic', zkKeyHash, zkSince }
}

/** What the model card says about verification (level and rule). */
export function modelVerification(m: Pick<ModelInfo, 'verification' | 'toleranceBps'>): string {
  const v = m.verification
  if (v.level === 'zk') return ZK_RULE
  const rule = verificationRule(m.toleranceBps)
  // A key registered in the latest block is in force from the next one.
  return v.zkKeyHash ? `${rule} (zk from block ${v.zkSince})` : rule
}

/** The longer explanation shown on hover. */
function verificationTitle(m: Pick<ModelInfo, 'verification'>): string {
  const v = m.verification
  return v.level === 'zk'
    ? `zk: every node verifies the operator's zero-knowledge proof of each answer against the registered key (keccak ${v.zkKeyHash}) before the answer counts; a call whose proof does not verify is never recorded`
    : 'optimistic: a challenger re-runs every recorded result on the bit-exact reference runtime; outside the rule the operator is slashed'
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
  /** Verification level in force at the block the list was read at. */
  verification: Verification
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
  const [staking, curation, head] = await Promise.all([
    client.readContract({ address: market, abi: marketplaceAbi, functionName: 'staking' }),
    client.readContract({ address: market, abi: marketplaceAbi, functionName: 'curation' }),
    client.getBlockNumber({ cacheTime: 0 }),
  ])
  return Promise.all(list.models.map(async (m): Promise<ModelInfo> => {
    const id = m.id as Hex
    const price = BigInt(m.price as string)
    const operator = getAddress(m.operator as string)
    const [validator, pool, split, record] = await Promise.all([
      operator === zeroAddress || staking === zeroAddress ? undefined
        : client.readContract({ address: staking, abi: stakingAbi, functionName: 'getValidator', args: [operator] }),
      curation === zeroAddress ? undefined
        : client.readContract({ address: curation, abi: curationAbi, functionName: 'pools', args: [id] }),
      client.readContract({ address: market, abi: marketplaceAbi, functionName: 'previewSplit', args: [id, price] }),
      // The registry record at `head`: its zk key hash and the block from which the key is in force.
      client.readContract({ address: market, abi: marketplaceAbi, functionName: 'getModel', args: [id], blockNumber: head }),
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
      verification: verificationLevel(record.zkKeyHash, record.zkSince, head),
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
          <tr><td>verification</td><td data-field="verification" data-level="${m.verification.level}" title="${esc(verificationTitle(m))}">${esc(modelVerification(m))}</td></tr>
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
