// Governance section: the BaiGovernor on L1 (OpenZeppelin 5.x Governor + TimelockController, voting with L1 BAI's
// ERC20Votes checkpoints on a block-number clock). Lists the proposals (ProposalCreated events) with their state,
// tallies, quorum, the time left in their stage and their actions decoded (calls on L1, and calls on L2 sent through
// portal deposits); shows the connected account's BAI, delegate and voting power with Delegate buttons; votes For /
// Against / Abstain, queues and executes from the connected wallet (switched to L1 first). Every read of one refresh is
// made at one L1 block.
import {
  decodeFunctionData, encodeFunctionData, formatEther, getAbiItem, getAddress, isAddress, keccak256, parseEventLogs, stringToBytes, zeroAddress,
  type Abi, type Address, type Hex, type PublicClient,
} from 'viem'
import { governorAbi, l1ActionsAbi, l2ActionsAbi, L2_PREDEPLOYS, PROPOSAL_STATES, systemConfigAbi, timelockAbi, votesTokenAbi, type ProposalStateName } from './abi'
import type { Chains } from './chains'
import type { DappConfig, L1Config } from './config'
import { explain } from './errors'
import { $, bai, duration, esc, int, shortHex, shortId, status } from './format'
import type { Wallet } from './wallet'

const proposalCreated = getAbiItem({ abi: governorAbi, name: 'ProposalCreated' })
const voteCast = getAbiItem({ abi: governorAbi, name: 'VoteCast' })

/** Blocks per eth_getLogs request (RPC providers cap the range). */
const LOG_CHUNK = 10_000n
/** L1 blocks the average block time is measured over. */
const BLOCK_TIME_SAMPLE = 32n
/** Proposals shown, newest first. */
const PROPOSAL_ROWS = 20
/** OpenZeppelin GovernorCountingSimple: 0 = Against, 1 = For, 2 = Abstain. */
const SUPPORT = ['Against', 'For', 'Abstain'] as const
const SUPPORT_ORDER = [1, 0, 2] as const

interface Proposal {
  id: bigint
  proposer: Address
  targets: readonly Address[]
  values: readonly bigint[]
  calldatas: readonly Hex[]
  description: string
  l1Block: bigint
  l1Tx: Hex
}

/** One of a proposal's actions in words. */
export interface Action {
  layer: 'L1' | 'L2'
  to: Address
  /** The contract's name when known (a configured L1 contract, the timelock, an L2 predeploy). */
  name?: string
  /** The call: `setGasLimit(40000000)`, or the selector when no known ABI has it. */
  call: string
  /** How it gets there / what it carries: the portal deposit's L2 gas limit, an ETH value. */
  note?: string
}

interface ProposalRow {
  p: Proposal
  state: ProposalStateName
  snapshot: bigint
  deadline: bigint
  eta: bigint
  against: bigint
  for: bigint
  abstain: bigint
  quorum: bigint
  /** The block the quorum was read for: the snapshot, or the block before the head while the snapshot is ahead. */
  quorumAt: bigint
  blocksLeft?: bigint
  secondsLeft?: bigint
  stage: string
  /** The connected account's weight at the snapshot (undefined: no account, or the snapshot is not past yet). */
  myWeight?: bigint
  hasVoted: boolean
}

interface GovernorInfo {
  token: Address
  timelock: Address
  name: string
  votingDelay: bigint
  votingPeriod: bigint
  threshold: bigint
  quorumPercent: bigint
  quorumNow: bigint
  minDelay: bigint
}

interface AccountInfo {
  address: Address
  balance: bigint
  delegate: Address
  votes: bigint
}

interface View {
  head: bigint
  time: bigint
  /** Average L1 block time over the last blocks (seconds), undefined before there are two blocks. */
  secondsPerBlock?: number
  gov: GovernorInfo
  account?: AccountInfo
  rows: ProposalRow[]
  total: number
}

interface ActionStatus {
  kind: 'busy' | 'ok' | 'error'
  text: string
  l1Tx?: Hex
}

interface MyVote {
  support: number
  weight: bigint
  reason: string
}

/** A value decoded from calldata, as text: numbers in decimal, addresses checksummed, tuples in parentheses. */
function arg(v: unknown): string {
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v)
  if (typeof v === 'string') {
    if (/^0x[0-9a-fA-F]*$/.test(v)) return v.length > 66 ? `${v.slice(0, 18)}…(${(v.length - 2) / 2} bytes)` : v
    return JSON.stringify(v)
  }
  if (Array.isArray(v)) return `[${v.map(arg).join(', ')}]`
  if (v && typeof v === 'object') return `(${Object.values(v).map(arg).join(', ')})`
  return String(v)
}

/** `name(args)` of calldata decoded with `abi`, or its selector when `abi` does not have it. */
export function describeCall(abi: Abi, data: Hex): string {
  if (data === '0x') return 'no calldata (a plain transfer)'
  if (data.length < 10) return `calldata ${data}`
  try {
    const d = decodeFunctionData({ abi, data })
    return `${d.functionName}(${((d.args ?? []) as readonly unknown[]).map(arg).join(', ')})`
  } catch {
    const rest = (data.length - 10) / 2
    return `unknown function ${data.slice(0, 10)}${rest ? ` (${rest} bytes of arguments)` : ''}`
  }
}

/**
 * One action of a proposal (a call from the timelock): a call to the portal's `depositTransaction` is an L2 call
 * (the deposit's target and data, sent from the timelock's aliased address); anything else is an L1 call.
 */
export function describeAction(target: Address, value: bigint, data: Hex, portal: Address, names: Map<string, string>): Action {
  if (target.toLowerCase() === portal.toLowerCase()) {
    try {
      const d = decodeFunctionData({ abi: l1ActionsAbi, data })
      if (d.functionName === 'depositTransaction') {
        const [to, l2Value, gasLimit, isCreation, inner] = d.args
        const notes = [`portal deposit, L2 gas limit ${int(gasLimit)}`]
        if (l2Value) notes.push(`value ${bai(l2Value, 18)} BAI`)
        if (value) notes.push(`${formatEther(value)} ETH sent`)
        return isCreation
          ? { layer: 'L2', to: zeroAddress, call: `create a contract (${(inner.length - 2) / 2} bytes of init code)`, note: notes.join(', ') }
          : { layer: 'L2', to, name: L2_PREDEPLOYS[to.toLowerCase()], call: describeCall(l2ActionsAbi, inner), note: notes.join(', ') }
      }
    } catch { /* an L1 call to the portal */ }
  }
  return { layer: 'L1', to: target, name: names.get(target.toLowerCase()), call: describeCall(l1ActionsAbi, data), note: value ? `${formatEther(value)} ETH sent` : undefined }
}

/** The action as one line of text: "L2: 0x4200…0B00 (ModelMarketplace) setToleranceBounds(100, 5000)". */
export function actionText(a: Action): string {
  return `${a.layer}: ${a.to}${a.name ? ` (${a.name})` : ''} ${a.call}`
}

function firstLine(description: string): string {
  const line = description.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? ''
  return line.replace(/^#+\s*/, '') || '(no description)'
}

export class GovernanceSection {
  private readonly l1: L1Config | undefined
  private readonly governor: Address | undefined
  private readonly client: PublicClient | undefined
  /** Read once: the first L1 block to scan (SystemConfig.startBlock: governance comes after the L1 contracts). */
  private scanFrom: bigint | undefined
  private scannedTo: bigint | undefined
  private readonly proposals = new Map<string, Proposal>()
  /** The connected account's votes (VoteCast events), scanned like the proposals; reset when the account changes. */
  private votesOf: { account: Address; scannedTo: bigint; votes: Map<string, MyVote> } | undefined
  private view: View | undefined
  private readError: string | undefined
  private readonly actions = new Map<string, ActionStatus>()
  private readonly reasons = new Map<string, string>()
  private delegating = false
  private running: Promise<void> | undefined
  private queued: Promise<void> | undefined
  private lastHtml = ''

  constructor(
    cfg: DappConfig,
    private readonly chains: Chains,
    private readonly wallet: Wallet,
  ) {
    this.l1 = cfg.l1
    this.governor = cfg.l1?.contracts.BaiGovernor
    this.client = chains.l1Client
  }

  init(): void {
    const st = $('#governance-status')
    if (!this.l1 || !this.client) {
      st.dataset.configured = 'false'
      return status(st, 'Governance is not configured: there is no L1 in config.json ("l1"), and proposals and votes live on L1.')
    }
    if (!this.governor) {
      st.dataset.configured = 'false'
      return status(st, 'Governance is not configured: config.json has no l1.contracts.BaiGovernor (the governor deployed by DeployGovernance.s.sol).')
    }
    st.dataset.configured = 'true'
    $('#governance-body').hidden = false
    $('#delegate-self').addEventListener('click', () => void this.delegate('self'))
    $('#delegate-form').addEventListener('submit', (ev) => {
      ev.preventDefault()
      void this.delegate('other')
    })
    const list = $('#proposals-list')
    list.addEventListener('click', (ev) => {
      const btn = (ev.target as HTMLElement).closest<HTMLButtonElement>('button[data-action]')
      const id = btn?.closest<HTMLElement>('article[data-proposal-id]')?.dataset.proposalId
      if (!btn || !id || btn.disabled) return
      const a = btn.dataset.action
      if (a === 'vote') void this.vote(BigInt(id), Number(btn.dataset.support))
      else if (a === 'queue' || a === 'execute') void this.run(BigInt(id), a)
    })
    list.addEventListener('input', (ev) => {
      const input = ev.target as HTMLInputElement
      const id = input.closest<HTMLElement>('article[data-proposal-id]')?.dataset.proposalId
      if (id && input.dataset.field === 'reason') this.reasons.set(id, input.value)
    })
    this.wallet.onChange(() => void this.refresh())
    void this.refresh()
    setInterval(() => void this.refresh(), 3000)
  }

  /** Reads everything again; a call while a read runs waits for it and reads once more (the caller sees fresh state). */
  refresh(): Promise<void> {
    if (!this.governor) return Promise.resolve()
    if (!this.running) {
      this.running = this.read().finally(() => { this.running = undefined })
      return this.running
    }
    if (!this.queued) {
      this.queued = this.running.then(() => {
        this.queued = undefined
        return this.refresh()
      })
    }
    return this.queued
  }

  private async read(): Promise<void> {
    const client = this.client as PublicClient
    const l1 = this.l1 as L1Config
    const governor = this.governor as Address
    try {
      const block = await client.getBlock()
      const head = block.number as bigint
      const back = head < BLOCK_TIME_SAMPLE ? head : BLOCK_TIME_SAMPLE
      const g = { address: governor, abi: governorAbi, blockNumber: head } as const
      const past = head > 0n ? head - 1n : 0n
      const [old, token, timelock, name, votingDelay, votingPeriod, threshold, quorumPercent, quorumNow] = await Promise.all([
        back > 0n ? client.getBlock({ blockNumber: head - back }) : undefined,
        client.readContract({ ...g, functionName: 'token' }),
        client.readContract({ ...g, functionName: 'timelock' }),
        client.readContract({ ...g, functionName: 'name' }),
        client.readContract({ ...g, functionName: 'votingDelay' }),
        client.readContract({ ...g, functionName: 'votingPeriod' }),
        client.readContract({ ...g, functionName: 'proposalThreshold' }),
        client.readContract({ ...g, functionName: 'quorumNumerator' }),
        client.readContract({ ...g, functionName: 'quorum', args: [past] }),
      ])
      const minDelay = await client.readContract({ address: timelock, abi: timelockAbi, functionName: 'getMinDelay', blockNumber: head })
      const secondsPerBlock = old && back > 0n ? Number(block.timestamp - old.timestamp) / Number(back) : undefined
      const gov: GovernorInfo = { token, timelock, name, votingDelay, votingPeriod, threshold, quorumPercent, quorumNow, minDelay }

      await this.scanProposals(client, l1, governor, head)
      const acct = this.wallet.account
      let account: AccountInfo | undefined
      if (acct) {
        const t = { address: token, abi: votesTokenAbi, blockNumber: head } as const
        const [balance, delegate, votes] = await Promise.all([
          client.readContract({ ...t, functionName: 'balanceOf', args: [acct] }),
          client.readContract({ ...t, functionName: 'delegates', args: [acct] }),
          client.readContract({ ...t, functionName: 'getVotes', args: [acct] }),
        ])
        account = { address: acct, balance, delegate, votes }
        await this.scanVotes(client, governor, acct, head)
      }
      const all = [...this.proposals.values()].sort((a, b) => (a.l1Block === b.l1Block ? 0 : a.l1Block > b.l1Block ? -1 : 1))
      const rows = await Promise.all(all.slice(0, PROPOSAL_ROWS).map((p) => this.readProposal(client, governor, p, head, block.timestamp, secondsPerBlock, acct)))
      this.view = { head, time: block.timestamp, secondsPerBlock, gov, account, rows, total: all.length }
      this.readError = undefined
    } catch (e) {
      this.readError = `Could not read the governor ${governor} on ${l1.name}: ${explain(e)}`
    }
    this.render()
  }

  /** ProposalCreated events since the last scan, in chunks of LOG_CHUNK blocks. */
  private async scanProposals(client: PublicClient, l1: L1Config, governor: Address, head: bigint): Promise<void> {
    if (this.scanFrom === undefined) {
      try {
        this.scanFrom = await client.readContract({ address: l1.contracts.SystemConfig, abi: systemConfigAbi, functionName: 'startBlock' })
      } catch {
        this.scanFrom = 0n
      }
    }
    let from = this.scannedTo === undefined ? this.scanFrom : this.scannedTo + 1n
    while (from <= head) {
      const to = from + LOG_CHUNK - 1n < head ? from + LOG_CHUNK - 1n : head
      const logs = await client.getLogs({ address: governor, event: proposalCreated, fromBlock: from, toBlock: to })
      for (const l of logs) {
        const a = l.args as Required<typeof l.args>
        this.proposals.set(a.proposalId.toString(), {
          id: a.proposalId, proposer: a.proposer, targets: a.targets, values: a.values, calldatas: a.calldatas,
          description: a.description, l1Block: l.blockNumber as bigint, l1Tx: l.transactionHash as Hex,
        })
      }
      this.scannedTo = to
      from = to + 1n
    }
  }

  /** The account's VoteCast events (voter is indexed), scanned from the same block on. */
  private async scanVotes(client: PublicClient, governor: Address, account: Address, head: bigint): Promise<void> {
    if (this.votesOf?.account !== account) this.votesOf = { account, scannedTo: (this.scanFrom ?? 0n) - 1n, votes: new Map() }
    const v = this.votesOf
    let from = v.scannedTo + 1n
    while (from <= head) {
      const to = from + LOG_CHUNK - 1n < head ? from + LOG_CHUNK - 1n : head
      const logs = await client.getLogs({ address: governor, event: voteCast, args: { voter: account }, fromBlock: from, toBlock: to })
      for (const l of logs) {
        const a = l.args as Required<typeof l.args>
        v.votes.set(a.proposalId.toString(), { support: a.support, weight: a.weight, reason: a.reason })
      }
      v.scannedTo = to
      from = to + 1n
    }
  }

  private async readProposal(client: PublicClient, governor: Address, p: Proposal, head: bigint, time: bigint, spb: number | undefined, acct: Address | undefined): Promise<ProposalRow> {
    const g = { address: governor, abi: governorAbi, blockNumber: head } as const
    const [state, snapshot, deadline, eta, votes] = await Promise.all([
      client.readContract({ ...g, functionName: 'state', args: [p.id] }),
      client.readContract({ ...g, functionName: 'proposalSnapshot', args: [p.id] }),
      client.readContract({ ...g, functionName: 'proposalDeadline', args: [p.id] }),
      client.readContract({ ...g, functionName: 'proposalEta', args: [p.id] }),
      client.readContract({ ...g, functionName: 'proposalVotes', args: [p.id] }),
    ])
    // The quorum is fixed at the snapshot once that block is past; before, the one of the latest past block.
    const quorumAt = snapshot < head ? snapshot : head > 0n ? head - 1n : 0n
    const [quorum, hasVoted, myWeight] = await Promise.all([
      client.readContract({ ...g, functionName: 'quorum', args: [quorumAt] }),
      acct ? client.readContract({ ...g, functionName: 'hasVoted', args: [p.id, acct] }) : false,
      acct && snapshot < head ? client.readContract({ ...g, functionName: 'getVotes', args: [acct, snapshot] }) : undefined,
    ])
    const [against, forVotes, abstain] = votes
    const name = PROPOSAL_STATES[state] ?? 'pending'
    const approx = (blocks: bigint) => `${int(blocks)} block${blocks === 1n ? '' : 's'}${spb !== undefined ? ` (≈ ${duration(Math.round(Number(blocks) * spb))})` : ''}`
    const seconds = (blocks: bigint) => (spb !== undefined ? BigInt(Math.round(Number(blocks) * spb)) : undefined)
    let stage: string
    let blocksLeft: bigint | undefined
    let secondsLeft: bigint | undefined
    switch (name) {
      case 'pending':
        // Votes are taken from the block after the snapshot on (the vote is Active once the clock is past it).
        blocksLeft = snapshot + 1n > head ? snapshot + 1n - head : 0n
        secondsLeft = seconds(blocksLeft)
        stage = `voting starts in ${approx(blocksLeft)}, after the snapshot at block ${snapshot}`
        break
      case 'active':
        // The last block a vote can be in is the deadline.
        blocksLeft = deadline > head ? deadline - head : 0n
        secondsLeft = seconds(blocksLeft)
        stage = `voting ends in ${approx(blocksLeft)}, at block ${deadline}`
        break
      case 'succeeded':
        stage = 'passed: it can be queued in the timelock'
        break
      case 'queued':
        secondsLeft = eta > time ? eta - time : 0n
        stage = secondsLeft > 0n ? `in the timelock: it can be executed in ${duration(secondsLeft)}` : 'the timelock delay has passed: it can be executed'
        break
      case 'defeated':
        stage = forVotes <= against ? 'rejected: not more votes For than Against' : 'rejected: the quorum was not reached'
        break
      case 'executed':
        stage = 'executed'
        break
      case 'canceled':
        stage = 'canceled'
        break
      case 'expired':
        stage = 'expired: it was not executed in time'
        break
    }
    return { p, state: name, snapshot, deadline, eta, against, for: forVotes, abstain, quorum, quorumAt, blocksLeft, secondsLeft, stage, myWeight, hasVoted }
  }

  private render(): void {
    const v = this.view
    if (this.readError && !v) {
      $('#proposals-list').innerHTML = `<p class="status error">${esc(this.readError)}</p>`
      return
    }
    if (!v) return
    this.renderAccount(v)
    this.renderGovernor(v)
    const list = $('#proposals-list')
    $('#proposals-head').textContent = `at L1 block ${v.head}${v.total > v.rows.length ? ` · latest ${v.rows.length} of ${v.total}` : ''}`
    const error = this.readError ? `<p class="status error">${esc(this.readError)} (showing the read of L1 block ${v.head})</p>` : ''
    const html = error + (v.rows.length
      ? `<div class="proposals" data-l1-block="${v.head}" data-l1-time="${v.time}"${v.secondsPerBlock !== undefined ? ` data-seconds-per-block="${v.secondsPerBlock}"` : ''}>${v.rows.map((r) => this.proposalCard(r, v)).join('')}</div>`
      : '<p class="muted" data-field="proposals-none">No proposals yet. A holder with at least the proposal threshold in votes creates one with the governor\'s <code>propose</code>.</p>')
    if (html === this.lastHtml) return
    // Keep the reason being typed: focus and caret go back to the new input.
    const focused = document.activeElement as HTMLInputElement | null
    const focusId = focused?.dataset.field === 'reason' ? focused.closest<HTMLElement>('article[data-proposal-id]')?.dataset.proposalId : undefined
    const caret = focusId ? focused?.selectionStart : null
    list.innerHTML = html
    this.lastHtml = html
    if (focusId) {
      const input = list.querySelector<HTMLInputElement>(`article[data-proposal-id="${focusId}"] input[data-field="reason"]`)
      if (input) {
        input.focus()
        if (caret !== null && caret !== undefined) input.setSelectionRange(caret, caret)
      }
    }
  }

  private renderAccount(v: View): void {
    const a = v.account
    const acctEl = $('#gov-account')
    const bal = $('#gov-balance')
    const del = $('#gov-delegate')
    const votes = $('#gov-votes')
    const self = $('#delegate-self') as HTMLButtonElement
    const other = $('#delegate-other') as HTMLButtonElement
    self.disabled = this.delegating
    other.disabled = this.delegating
    if (!a) {
      acctEl.textContent = 'not connected'
      for (const el of [bal, del, votes]) {
        el.textContent = '—'
        delete el.dataset.wei
        delete el.dataset.address
      }
      return
    }
    acctEl.textContent = a.address
    bal.textContent = `${bai(a.balance)} BAI`
    bal.dataset.wei = a.balance.toString()
    del.dataset.address = a.delegate
    del.innerHTML = a.delegate === zeroAddress
      ? '<span class="muted">nobody: your BAI does not vote yet</span>'
      : `<span title="${a.delegate}">${shortHex(a.delegate)}</span>${a.delegate === a.address ? ' <span class="muted">(yourself)</span>' : ''}`
    votes.textContent = `${bai(a.votes)} BAI`
    votes.dataset.wei = a.votes.toString()
  }

  private renderGovernor(v: View): void {
    const g = v.gov
    const blocks = (n: bigint) => `${int(n)} block${n === 1n ? '' : 's'}${v.secondsPerBlock !== undefined ? ` <span class="muted">(≈ ${duration(Math.round(Number(n) * v.secondsPerBlock))})</span>` : ''}`
    const html = `<table class="kv" data-l1-block="${v.head}">
      <tr><td>Governor</td><td class="mono" data-field="governor" title="${this.governor}">${esc(g.name)} ${shortHex(this.governor as string)}</td></tr>
      <tr><td>Voting token</td><td class="mono" data-field="token" title="${g.token}">${shortHex(g.token)}${g.token.toLowerCase() === this.l1?.contracts.BaiToken.toLowerCase() ? ' <span class="muted">(L1 BAI)</span>' : ' <span class="pill warn">not the configured BaiToken</span>'}</td></tr>
      <tr><td>Timelock</td><td data-field="timelock"><span class="mono" title="${g.timelock}">${shortHex(g.timelock)}</span>, delay ${duration(g.minDelay)}</td></tr>
      <tr><td>Voting delay</td><td data-field="voting-delay">${blocks(g.votingDelay)}</td></tr>
      <tr><td>Voting period</td><td data-field="voting-period">${blocks(g.votingPeriod)}</td></tr>
      <tr><td>Proposal threshold</td><td data-field="threshold">${bai(g.threshold)} BAI of votes</td></tr>
      <tr><td>Quorum</td><td data-field="quorum-now" data-wei="${g.quorumNow}">${g.quorumPercent} % of the supply at the snapshot (now ${bai(g.quorumNow)} BAI), For + Abstain</td></tr>
      <tr><td>L1</td><td data-field="l1-head">block ${v.head}${v.secondsPerBlock !== undefined ? `, ≈ ${v.secondsPerBlock.toFixed(1)} s per block (last ${int(v.head < BLOCK_TIME_SAMPLE ? v.head : BLOCK_TIME_SAMPLE)})` : ''}</td></tr>
    </table>`
    const el = $('#governor-info')
    if (el.innerHTML !== html) el.innerHTML = html
  }

  private names(timelock: Address): Map<string, string> {
    const c = (this.l1 as L1Config).contracts
    const m = new Map<string, string>()
    m.set(c.SystemConfig.toLowerCase(), 'SystemConfig')
    m.set(c.OptimismPortal.toLowerCase(), 'BaiPortal')
    m.set(c.L2OutputOracle.toLowerCase(), 'L2OutputOracle')
    m.set(c.BaiToken.toLowerCase(), 'BaiToken')
    m.set((this.governor as Address).toLowerCase(), 'BaiGovernor')
    m.set(timelock.toLowerCase(), 'TimelockController')
    return m
  }

  private proposalCard(r: ProposalRow, v: View): string {
    const { p } = r
    const key = p.id.toString()
    const names = this.names(v.gov.timelock)
    const portal = (this.l1 as L1Config).contracts.OptimismPortal
    const actions = p.targets.map((t, i) => describeAction(t, p.values[i] ?? 0n, p.calldatas[i] ?? '0x', portal, names))
    const pill = r.state === 'active' || r.state === 'succeeded' || r.state === 'executed' ? ' ok'
      : r.state === 'defeated' || r.state === 'canceled' || r.state === 'expired' ? ' err' : ' warn'
    const reached = r.for + r.abstain >= r.quorum
    const mine = this.votesOf?.account === v.account?.address ? this.votesOf?.votes.get(key) : undefined
    const act = this.actions.get(key)
    const busy = act?.kind === 'busy'
    const attrs = [
      `data-proposal-id="${key}"`, `data-state="${r.state}"`, `data-snapshot="${r.snapshot}"`, `data-deadline="${r.deadline}"`,
      `data-l1-block="${v.head}"`, `data-l1-tx="${p.l1Tx}"`,
      r.eta > 0n && `data-eta="${r.eta}"`,
      r.blocksLeft !== undefined && `data-blocks-left="${r.blocksLeft}"`,
      r.secondsLeft !== undefined && `data-seconds-left="${r.secondsLeft}"`,
      `data-has-voted="${r.hasVoted}"`,
    ].filter(Boolean).join(' ')

    // The connected account and this proposal: its vote, or its weight, or why it cannot vote.
    let you: string
    if (!v.account) you = '<span class="muted">Connect a wallet to vote.</span>'
    else if (r.hasVoted) {
      you = mine
        ? `You voted <strong data-field="my-support" data-support="${mine.support}">${SUPPORT[mine.support] ?? mine.support}</strong> with ${bai(mine.weight)} BAI${mine.reason ? `: “${esc(mine.reason)}”` : ''}.`
        : 'You have voted on this proposal.'
    } else if (r.state !== 'pending' && r.state !== 'active') {
      you = `You did not vote${r.myWeight ? ` (you had ${bai(r.myWeight)} BAI of votes at the snapshot)` : ''}.`
    } else if (r.myWeight !== undefined) {
      you = r.myWeight > 0n
        ? `Your votes at the snapshot (block ${r.snapshot}): <strong data-field="my-weight" data-wei="${r.myWeight}">${bai(r.myWeight)} BAI</strong>.`
        : `<span data-field="my-weight" data-wei="0">You had no votes at the snapshot (block ${r.snapshot}): a vote would count 0. Delegate before the snapshot of the next proposals.</span>`
    } else {
      you = `Your votes are counted at the snapshot, block ${r.snapshot}: delegate before it.`
    }
    const canVote = r.state === 'active' && !!v.account && !r.hasVoted && !busy
    // Vote buttons while the vote is ahead or open; enabled only while it is open and the account has not voted.
    const voteButtons = r.state !== 'pending' && r.state !== 'active' ? '' : SUPPORT_ORDER.map((s) => `<button type="button" data-action="vote" data-support="${s}" class="${s === 1 ? '' : 'light'}"${canVote ? '' : ' disabled'}>${SUPPORT[s]}</button>`).join('')
    const reason = canVote ? `<input data-field="reason" placeholder="Reason (optional, recorded on chain)" value="${esc(this.reasons.get(key) ?? '')}" />` : ''
    const runButton = r.state === 'succeeded' ? 'queue' : r.state === 'queued' && r.secondsLeft === 0n ? 'execute' : undefined
    const run = runButton ? `<button type="button" data-action="${runButton}"${busy ? ' disabled' : ''}>${runButton === 'queue' ? 'Queue in the timelock' : 'Execute'}</button>` : ''
    const progress = act ? `<p class="status small ${act.kind}" data-field="proposal-action"${act.l1Tx ? ` data-l1-tx="${act.l1Tx}"` : ''}>${esc(act.text)}${act.l1Tx ? ` <span class="mono" title="${act.l1Tx}">L1 tx ${shortHex(act.l1Tx, 10, 6)}</span>` : ''}</p>` : ''
    const rest = p.description.trim().includes('\n')
      ? `<details><summary class="small muted">Description</summary><p class="description">${esc(p.description.trim())}</p></details>` : ''
    const tally = (field: 'for' | 'against' | 'abstain', label: string) => `<tr><td>${label}</td><td class="num" data-field="${field}" data-wei="${r[field]}">${bai(r[field])} BAI</td></tr>`
    return `<article class="card proposal" ${attrs}>
      <header><h3 data-field="title">${esc(firstLine(p.description))}</h3><span class="pill${pill}" data-field="state">${r.state}</span></header>
      <p class="small muted">Proposal <span class="mono" title="${key}" data-field="id">${shortId(p.id)}</span> by <span class="mono" title="${p.proposer}" data-field="proposer">${shortHex(p.proposer)}</span>,
        L1 block ${p.l1Block}.</p>
      <p data-field="stage">${esc(r.stage)}</p>
      <div class="grid2 tally">
        <table class="kv small">
          ${tally('for', 'For')}${tally('against', 'Against')}${tally('abstain', 'Abstain')}
        </table>
        <table class="kv small">
          <tr><td>Quorum</td><td class="num" data-field="quorum" data-wei="${r.quorum}" data-at="${r.quorumAt}">${bai(r.quorum)} BAI</td></tr>
          <tr><td>For + Abstain</td><td class="num" data-field="quorum-reached" data-reached="${reached}">${reached ? '<span class="pill ok">quorum reached</span>' : `<span class="pill">${bai(r.for + r.abstain)} BAI</span>`}</td></tr>
          <tr><td>Snapshot / deadline</td><td class="num">block ${r.snapshot} / ${r.deadline}</td></tr>
        </table>
      </div>
      <h4>Actions</h4>
      <ol class="actions" data-field="actions">${actions.map((a) => `<li data-layer="${a.layer}" data-to="${a.to}" data-call="${esc(a.call)}"><strong>${a.layer}:</strong>
        <span class="mono" title="${a.to}">${shortHex(a.to)}</span>${a.name ? ` <span class="muted">(${esc(a.name)})</span>` : ''} <code>${esc(a.call)}</code>${a.note ? ` <span class="small muted">· ${esc(a.note)}</span>` : ''}</li>`).join('')}</ol>
      ${rest}
      <div class="vote">
        <p class="small" data-field="you">${you}</p>
        ${reason}
        ${voteButtons || run ? `<div class="buttons">${voteButtons}${run}</div>` : ''}
        ${progress}
      </div>
    </article>`
  }

  /** Sends one L1 transaction to `to` from the connected account: simulated first, so a refusal is explained and nothing is sent. */
  private async sendL1(to: Address, data: Hex, what: string, say: (text: string, l1Tx?: Hex) => void) {
    const l1 = this.l1 as L1Config
    const client = this.client as PublicClient
    if (!this.wallet.account) await this.wallet.connect()
    const acct = this.wallet.account as Address
    say(`Switching the wallet to ${l1.name}…`)
    await this.wallet.switchTo(l1.chainId)
    say(`Checking the ${what} on ${l1.name}…`)
    const gas = await client.estimateGas({ account: acct, to, data })
    say(`Confirm the ${what} in your wallet…`)
    const hash = await this.wallet.send(this.chains.l1!, { to, data, gas: gas + gas / 5n })
    say(`${what.charAt(0).toUpperCase() + what.slice(1)} sent on L1, waiting for its block…`, hash)
    const receipt = await client.waitForTransactionReceipt({ hash, timeout: 120_000 })
    if (receipt.status !== 'success') throw new Error(`The ${what} transaction ${hash} reverted on L1 in block ${receipt.blockNumber}.`)
    return { hash, receipt }
  }

  private async delegate(to: 'self' | 'other'): Promise<void> {
    const st = $('#delegate-status')
    if (this.delegating) return
    let target: Address | undefined
    if (to === 'other') {
      const raw = ($('#delegate-to') as HTMLInputElement).value.trim()
      if (!isAddress(raw, { strict: false })) return status(st, 'Enter the address to delegate to (0x followed by 40 hex digits).', 'error')
      target = getAddress(raw)
    }
    this.delegating = true
    if (this.view) this.renderAccount(this.view)
    delete st.dataset.l1Tx
    try {
      if (!this.wallet.account) await this.wallet.connect()
      const delegatee = target ?? (this.wallet.account as Address)
      const token = this.view?.gov.token ?? (this.l1 as L1Config).contracts.BaiToken
      const data = encodeFunctionData({ abi: votesTokenAbi, functionName: 'delegate', args: [delegatee] })
      const { hash, receipt } = await this.sendL1(token, data, 'delegation', (text) => status(st, text, 'busy'))
      st.dataset.l1Tx = hash
      const votes = await (this.client as PublicClient).readContract({ address: token, abi: votesTokenAbi, functionName: 'getVotes', args: [delegatee], blockNumber: receipt.blockNumber })
      const who = delegatee === this.wallet.account ? 'yourself' : delegatee
      status(st, `Delegated to ${who} in L1 block ${receipt.blockNumber} (tx ${shortHex(hash, 10, 6)}): ${who === 'yourself' ? 'your' : 'its'} voting power is ${bai(votes)} BAI. It counts for proposals whose snapshot is after this block.`, 'ok')
    } catch (e) {
      status(st, explain(e), 'error')
    } finally {
      this.delegating = false
    }
    await this.refresh()
  }

  private async vote(id: bigint, support: number): Promise<void> {
    const key = id.toString()
    if (this.actions.get(key)?.kind === 'busy') return
    const governor = this.governor as Address
    let l1Tx: Hex | undefined
    const say = (kind: ActionStatus['kind'], text: string) => {
      this.actions.set(key, { kind, text, l1Tx })
      this.render()
    }
    try {
      const reason = (this.reasons.get(key) ?? '').trim()
      const data = reason
        ? encodeFunctionData({ abi: governorAbi, functionName: 'castVoteWithReason', args: [id, support, reason] })
        : encodeFunctionData({ abi: governorAbi, functionName: 'castVote', args: [id, support] })
      const { hash, receipt } = await this.sendL1(governor, data, `vote ${SUPPORT[support] ?? support}`, (text, tx) => {
        l1Tx = tx ?? l1Tx
        say('busy', text)
      })
      l1Tx = hash
      const cast = parseEventLogs({ abi: governorAbi, logs: receipt.logs, eventName: 'VoteCast' })
        .find((l) => l.address.toLowerCase() === governor.toLowerCase() && l.args.proposalId === id)
      this.reasons.delete(key)
      say('ok', `Voted ${SUPPORT[support]} with ${bai(cast?.args.weight ?? 0n)} BAI in L1 block ${receipt.blockNumber}.`)
    } catch (e) {
      say('error', explain(e))
    }
    await this.refresh()
  }

  /** Queues a succeeded proposal in the timelock, or executes a queued one whose delay has passed (anyone may). */
  private async run(id: bigint, what: 'queue' | 'execute'): Promise<void> {
    const key = id.toString()
    const p = this.proposals.get(key)
    if (!p || this.actions.get(key)?.kind === 'busy') return
    const governor = this.governor as Address
    let l1Tx: Hex | undefined
    const say = (kind: ActionStatus['kind'], text: string) => {
      this.actions.set(key, { kind, text, l1Tx })
      this.render()
    }
    try {
      const args = [p.targets, p.values, p.calldatas, keccak256(stringToBytes(p.description))] as const
      const data = encodeFunctionData({ abi: governorAbi, functionName: what, args })
      const { receipt } = await this.sendL1(governor, data, what === 'queue' ? 'queueing' : 'execution', (text, tx) => {
        l1Tx = tx ?? l1Tx
        say('busy', text)
      })
      if (what === 'queue') {
        const q = parseEventLogs({ abi: governorAbi, logs: receipt.logs, eventName: 'ProposalQueued' }).find((l) => l.args.proposalId === id)
        const at = q ? new Date(Number(q.args.etaSeconds) * 1000).toISOString().replace('T', ' ').slice(0, 19) : ''
        say('ok', `Queued in L1 block ${receipt.blockNumber}${q ? `: executable from L1 time ${q.args.etaSeconds} (${at} UTC)` : ''}.`)
      } else {
        say('ok', `Executed in L1 block ${receipt.blockNumber}.`)
      }
    } catch (e) {
      say('error', explain(e))
    }
    await this.refresh()
  }
}
