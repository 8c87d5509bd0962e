// Account section: the connected account's BAI on L1 (ERC-20) and L2 (native), deposits from L1
// (approve + BaiPortal.depositERC20Transaction) tracked until the L2 deposit transaction lands, withdrawals to
// L1 started from the page (L2ToL1MessagePasser.initiateWithdrawal on L2), and the account's withdrawals with
// their status on L1 (waiting for an output, ready to prove, in the challenge window with the time left, ready
// to finalize, finalized; proven against an output the challenger deleted) and Prove / Finalize buttons that
// send the L1 transactions through the wallet.
import {
  BaseError, concat, encodeFunctionData, getAbiItem, getAddress, keccak256, parseEther, parseEventLogs, type Address, type Hex, type PublicClient,
} from 'viem'
import { buildProveWithdrawal, getL2TransactionHashes, type GetL2OutputReturnType } from 'viem/op-stack'
import { erc20Abi, gasPriceOracleAbi, messagePasserAbi, oracleAbi, portalAbi } from './abi'
import type { Chains } from './chains'
import type { DappConfig, L1Config } from './config'
import { describeRevert, explain, revertData } from './errors'
import { $, bai, baiExact, duration, esc, shortHex, status } from './format'
import type { Wallet } from './wallet'

/** Gas the L2 deposit transaction may use: a plain value transfer (min 21,000 for empty data). */
const DEPOSIT_L2_GAS = 100_000n

/**
 * L1 gas a withdrawal of BAI to one's own address asks for: 0, as `bai bridge withdraw` sends it. With no data
 * the portal only transfers the ERC-20 BAI to the target when finalizing and calls nothing, so no gas is needed
 * for a call (docs/bridging.md).
 */
const WITHDRAW_L1_GAS = 0n

/** The GasPriceOracle predeploy (L1 data fee of L2 transactions). */
const GAS_PRICE_ORACLE: Address = '0x420000000000000000000000000000000000000F'

/**
 * Bytes of an unsigned EIP-1559 transaction besides its calldata, at most: type, list header, chain id, nonce,
 * two fee caps, gas, to, value, the calldata's length prefix, empty access list.
 */
const UNSIGNED_TX_OVERHEAD = 150

interface DepositRecord {
  account: Address
  amount: string // wei, decimal
  l1Tx: Hex
  l1Block: string
  l2Tx: Hex
  l2Block?: string
}

const STORE_KEY = 'bai-dapp/deposits'

/** A withdrawal's progress (data-state), named as viem's getWithdrawalStatus names it; "initiated": no L1 to read. */
type WithdrawalState = 'initiated' | 'waiting-to-prove' | 'ready-to-prove' | 'waiting-to-finalize' | 'ready-to-finalize' | 'finalized'

/** viem's op-stack Withdrawal (not exported by viem): a MessagePassed event's fields. */
interface Withdrawal {
  nonce: bigint
  sender: Address
  target: Address
  value: bigint
  gasLimit: bigint
  data: Hex
  withdrawalHash: Hex
}

interface WithdrawalStatus {
  state: WithdrawalState
  text: string
  /** ready-to-prove: the output a proof must be made against (the first at or after the withdrawal's block). */
  output?: GetL2OutputReturnType
  /** proven: the output index of the proof. */
  provenIndex?: bigint
  /** proven against this output index, which the challenger has deleted since: it must be proven again. */
  deletedOutput?: bigint
  /** proven: the first L1 timestamp at which the portal finalizes it, and the seconds from the L1 head to it. */
  finalizableAt?: bigint
  secondsLeft?: bigint
}

interface WithdrawalRow {
  withdrawal: Withdrawal
  l2Tx: Hex
  l2Block: bigint
  status: WithdrawalStatus
}

/** What a Prove or Finalize click is doing or did; kept per withdrawal across the list's refreshes. */
interface WithdrawalAction {
  kind: 'busy' | 'ok' | 'error'
  text: string
  l1Tx?: Hex
}

/** The L1 as one read saw it: the head block and its time, the oracle's outputs and challenge window. */
interface L1View {
  cfg: L1Config
  client: PublicClient
  head: bigint
  time: bigint
  period: bigint
  /** nextOutputIndex */
  next: bigint
  /** L2 block of the newest output; -1 with none */
  covered: bigint
}

const messagePassed = getAbiItem({ abi: messagePasserAbi, name: 'MessagePassed' })

function loadDeposits(): DepositRecord[] {
  try {
    return JSON.parse(localStorage.getItem(STORE_KEY) ?? '[]') as DepositRecord[]
  } catch {
    return []
  }
}

function saveDeposits(d: DepositRecord[]): void {
  localStorage.setItem(STORE_KEY, JSON.stringify(d.slice(-50)))
}

export class AccountSection {
  private timer: ReturnType<typeof setInterval> | undefined
  /** The last read of the withdrawals (undefined: none yet, or it failed) and the L1 block it was read at. */
  private withdrawalRows: WithdrawalRow[] | undefined
  private withdrawalsAt: { head: bigint; time: bigint } | undefined
  /** Counts reads (by their start), and the latest one drawn: a slow read never draws over a newer one. */
  private withdrawalsRead = 0
  private withdrawalsDrawn = 0
  private readonly actions = new Map<Hex, WithdrawalAction>()
  /** The oracle's FINALIZATION_PERIOD_SECONDS (immutable). */
  private period: bigint | undefined

  constructor(
    private readonly cfg: DappConfig,
    private readonly chains: Chains,
    private readonly wallet: Wallet,
  ) {}

  init(): void {
    $('#deposit-form').addEventListener('submit', (ev) => {
      ev.preventDefault()
      void this.deposit()
    })
    $('#withdraw-form').addEventListener('submit', (ev) => {
      ev.preventDefault()
      void this.withdraw()
    })
    if (!this.cfg.l1) {
      ;($('#deposit-form button') as HTMLButtonElement).disabled = true
      status($('#deposit-status'), 'No L1 is configured (config.json has no "l1"), so deposits are unavailable.', 'error')
    }
    $('#withdrawals-list').addEventListener('click', (ev) => {
      const btn = (ev.target as HTMLElement).closest<HTMLButtonElement>('button[data-action]')
      const hash = btn?.closest<HTMLElement>('tr[data-withdrawal-hash]')?.dataset.withdrawalHash
      if (btn && hash) void this.act(hash as Hex, btn.dataset.action === 'finalize' ? 'finalize' : 'prove')
    })
    this.wallet.onChange(() => void this.refresh())
    this.timer = setInterval(() => void this.refresh(), 3000)
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
  }

  async refresh(): Promise<void> {
    const acct = this.wallet.account
    $('#account-address').textContent = acct ?? 'not connected'
    if (!acct) return
    const { l1Client, l2Client } = this.chains
    try {
      const l2 = await l2Client.getBalance({ address: acct })
      const el = $('#balance-l2')
      el.textContent = `${bai(l2)} BAI`
      el.dataset.wei = l2.toString()
    } catch (e) {
      $('#balance-l2').textContent = `unavailable (${explain(e)})`
    }
    if (l1Client && this.cfg.l1) {
      try {
        const l1 = await l1Client.readContract({ address: this.cfg.l1.contracts.BaiToken, abi: erc20Abi, functionName: 'balanceOf', args: [acct] })
        const el = $('#balance-l1')
        el.textContent = `${bai(l1)} BAI`
        el.dataset.wei = l1.toString()
      } catch (e) {
        $('#balance-l1').textContent = `unavailable (${explain(e)})`
      }
    } else {
      $('#balance-l1').textContent = 'no L1 configured'
    }
    await this.trackDeposits(acct)
    await this.withdrawals(acct)
  }

  private async deposit(): Promise<void> {
    const st = $('#deposit-status')
    const btn = $('#deposit-form button') as HTMLButtonElement
    const l1 = this.cfg.l1
    const l1Chain = this.chains.l1
    const l1Client = this.chains.l1Client
    if (!l1 || !l1Chain || !l1Client) return status(st, 'No L1 is configured.', 'error')
    const amount = readAmount('#deposit-amount', '25 or 0.5')
    if (typeof amount === 'string') return status(st, amount, 'error')
    btn.disabled = true
    try {
      if (!this.wallet.account) await this.wallet.connect()
      const acct = this.wallet.account as Address
      status(st, `Switching the wallet to ${l1.name}…`, 'busy')
      await this.wallet.switchTo(l1.chainId)
      const token = l1.contracts.BaiToken
      const portal = l1.contracts.OptimismPortal
      const balance = await l1Client.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [acct] })
      if (balance < amount) throw new Error(`You have ${bai(balance)} BAI on L1, less than ${bai(amount)}.`)
      const allowance = await l1Client.readContract({ address: token, abi: erc20Abi, functionName: 'allowance', args: [acct, portal] })
      if (allowance < amount) {
        status(st, `Step 1 of 2: approve the portal to take ${bai(amount)} BAI — confirm in your wallet…`, 'busy')
        const approveHash = await this.wallet.send(l1Chain, { to: token, data: encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [portal, amount] }) })
        const r = await l1Client.waitForTransactionReceipt({ hash: approveHash, timeout: 120_000 })
        if (r.status !== 'success') throw new Error(`The approval ${approveHash} reverted.`)
      }
      status(st, `Step 2 of 2: deposit ${bai(amount)} BAI through the portal — confirm in your wallet…`, 'busy')
      const data = encodeFunctionData({ abi: portalAbi, functionName: 'depositERC20Transaction', args: [acct, amount, 0n, DEPOSIT_L2_GAS, false, '0x'] })
      const gas = await l1Client.estimateGas({ account: acct, to: portal, data })
      const hash = await this.wallet.send(l1Chain, { to: portal, data, gas: gas + gas / 5n })
      status(st, `Deposit sent on L1 (${shortHex(hash)}), waiting for its L1 block…`, 'busy')
      const receipt = await l1Client.waitForTransactionReceipt({ hash, timeout: 120_000 })
      if (receipt.status !== 'success') throw new Error(`The deposit ${hash} reverted on L1.`)
      const deposited = parseEventLogs({ abi: portalAbi, logs: receipt.logs, eventName: 'TransactionDeposited' })
        .filter((l) => l.address.toLowerCase() === portal.toLowerCase())
      if (deposited.length !== 1) throw new Error(`Expected one TransactionDeposited event in ${hash}, found ${deposited.length}.`)
      const [l2Tx] = getL2TransactionHashes({ logs: deposited as never })
      const rec: DepositRecord = { account: acct, amount: amount.toString(), l1Tx: hash, l1Block: receipt.blockNumber.toString(), l2Tx: l2Tx as Hex }
      saveDeposits([...loadDeposits(), rec])
      status(st, `Deposited ${bai(amount)} BAI on L1 in block ${receipt.blockNumber}. It is credited on L2 when the sequencer includes the deposit.`, 'ok')
      await this.refresh()
    } catch (e) {
      status(st, explain(e), 'error')
    } finally {
      btn.disabled = false
    }
  }

  /**
   * What a withdrawal transaction may cost on top of its value, to keep the amount within the L2 balance: the gas
   * limit the page sends (estimate + 20 %) at a fee cap of twice the latest base fee plus the priority fee (what
   * wallets offer by default), plus the L1 data fee of a transaction of this size with every byte non-zero (the
   * GasPriceOracle's Ecotone formula, which the node charges). The estimate is made with value 0: the value does
   * not change initiateWithdrawal's gas, and an amount above the balance could not be estimated at all.
   */
  private async withdrawalGasMargin(acct: Address, to: Address, data: Hex): Promise<bigint> {
    const client = this.chains.l2Client
    const [gas, block, priority, l1Fee] = await Promise.all([
      client.estimateGas({ account: acct, to, data, value: 0n }),
      client.getBlock(),
      client.estimateMaxPriorityFeePerGas(),
      client.readContract({ address: GAS_PRICE_ORACLE, abi: gasPriceOracleAbi, functionName: 'getL1Fee', args: [`0x${'ff'.repeat((data.length - 2) / 2 + UNSIGNED_TX_OVERHEAD)}`] }),
    ])
    return (gas + gas / 5n) * (2n * (block.baseFeePerGas ?? 0n) + priority) + l1Fee
  }

  /**
   * Starts a withdrawal of native BAI to the account's own address on L1: L2ToL1MessagePasser.initiateWithdrawal
   * (account, 0, 0x) with the amount as value, sent on L2 through the wallet. The amount must leave the gas
   * (withdrawalGasMargin) in the L2 balance; the call is simulated (eth_estimateGas with the value) before the
   * wallet is asked anything, so a refusal stops there with its reason and nothing is sent. Once mined, the
   * withdrawal is read back from the receipt's MessagePassed event and the list is re-read at once.
   */
  private async withdraw(): Promise<void> {
    const st = $('#withdraw-status')
    const btn = $('#withdraw-form button') as HTMLButtonElement
    const l2 = this.cfg.l2
    const client = this.chains.l2Client
    for (const k of ['l2Tx', 'withdrawalHash', 'maxWei', 'marginWei', 'balanceWei']) delete st.dataset[k]
    const amount = readAmount('#withdraw-amount', '1.5 or 0.25')
    if (typeof amount === 'string') return status(st, amount, 'error')
    btn.disabled = true
    try {
      if (!this.wallet.account) await this.wallet.connect()
      const acct = this.wallet.account as Address
      const to = l2.contracts.L2ToL1MessagePasser
      const data = encodeFunctionData({ abi: messagePasserAbi, functionName: 'initiateWithdrawal', args: [acct, WITHDRAW_L1_GAS, '0x'] })
      status(st, `Checking your balance on ${l2.name}…`, 'busy')
      const [balance, margin] = await Promise.all([client.getBalance({ address: acct }), this.withdrawalGasMargin(acct, to, data)])
      const max = balance - margin
      if (amount > max) {
        Object.assign(st.dataset, { balanceWei: balance.toString(), marginWei: margin.toString(), maxWei: (max > 0n ? max : 0n).toString() })
        throw new Error(max > 0n
          ? `You have ${baiExact(balance)} BAI on L2 and the withdrawal's gas may cost up to ${baiExact(margin)} BAI: withdraw at most ${baiExact(max)} BAI.`
          : `You have ${baiExact(balance)} BAI on L2, not enough for the withdrawal's gas (up to ${baiExact(margin)} BAI).`)
      }
      status(st, `Checking the withdrawal on ${l2.name} (eth_estimateGas)…`, 'busy')
      const gas = await client.estimateGas({ account: acct, to, data, value: amount })
      status(st, `Switching the wallet to ${l2.name}…`, 'busy')
      await this.wallet.switchTo(l2.chainId)
      status(st, `Withdraw ${bai(amount)} BAI to L1 — confirm in your wallet…`, 'busy')
      const hash = await this.wallet.send(this.chains.l2, { to, data, value: amount, gas: gas + gas / 5n })
      st.dataset.l2Tx = hash
      status(st, `Withdrawal sent on L2 (${shortHex(hash)}), waiting for its block…`, 'busy')
      const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 250, timeout: 120_000 })
      if (receipt.status !== 'success') {
        let reason = 'the transaction reverted'
        try {
          await client.call({ account: acct, to, data, value: amount, blockNumber: receipt.blockNumber - 1n })
        } catch (e) {
          const d = revertData(e)
          if (d) reason = describeRevert(d) ?? reason
        }
        throw new Error(`The withdrawal ${hash} failed on L2 in block ${receipt.blockNumber}: ${reason}.`)
      }
      const passed = parseEventLogs({ abi: messagePasserAbi, logs: receipt.logs, eventName: 'MessagePassed' })
        .filter((l) => l.address.toLowerCase() === to.toLowerCase())
      if (passed.length !== 1) throw new Error(`Expected one MessagePassed event in ${hash}, found ${passed.length}.`)
      const w = passed[0]!.args
      st.dataset.withdrawalHash = w.withdrawalHash
      await this.refresh() // the list shows it now, not at the next poll
      status(st, `Withdrawal of ${baiExact(w.value)} BAI started on L2 in block ${receipt.blockNumber} (tx ${shortHex(hash, 10, 6)}). ` +
        (this.cfg.l1 ? `Prove it on L1 below once an output covers block ${receipt.blockNumber}.` : 'No L1 is configured here to prove it on.'), 'ok')
    } catch (e) {
      status(st, explain(e), 'error')
    } finally {
      btn.disabled = false
    }
  }

  /** Pending deposits turn into "credited" once their L2 deposit transaction (OP hash) has a receipt. */
  private async trackDeposits(acct: Address): Promise<void> {
    const all = loadDeposits()
    const mine = all.filter((d) => getAddress(d.account) === acct)
    for (const d of mine) {
      if (d.l2Block) continue
      try {
        const r = await this.chains.l2Client.getTransactionReceipt({ hash: d.l2Tx })
        d.l2Block = r.blockNumber.toString()
      } catch { /* not on L2 yet */ }
    }
    saveDeposits(all)
    const list = $('#deposits-list')
    if (!mine.length) {
      list.innerHTML = '<p class="muted">No deposits from this browser yet.</p>'
      return
    }
    list.innerHTML = `<table class="list"><thead><tr><th class="num">Amount</th><th>L1 transaction</th><th>Status</th><th>L2 deposit transaction</th></tr></thead><tbody>
      ${mine.slice().reverse().map((d) => `<tr data-l1-tx="${d.l1Tx}" data-state="${d.l2Block ? 'credited' : 'pending'}">
        <td class="num">${esc(baiExact(BigInt(d.amount)))} BAI</td>
        <td class="mono" title="${d.l1Tx}">${shortHex(d.l1Tx, 10, 6)} <span class="muted">(L1 block ${esc(d.l1Block)})</span></td>
        <td>${d.l2Block ? `<span class="pill ok">credited on L2 in block ${esc(d.l2Block)}</span>` : '<span class="pill warn">sent on L1, waiting for L2</span>'}</td>
        <td class="mono" title="${d.l2Tx}">${shortHex(d.l2Tx, 10, 6)}</td></tr>`).join('')}
      </tbody></table>`
  }

  private async withdrawals(acct: Address): Promise<void> {
    const seq = ++this.withdrawalsRead
    const { l2Client, l1Client } = this.chains
    try {
      // Not viem's cached head (up to a polling interval old): right after a withdrawal's receipt, a cached
      // head can be the block before it, and the read would miss the withdrawal the page just said started.
      const head = await l2Client.getBlockNumber({ cacheTime: 0 })
      const from = head > 9_000n ? head - 9_000n : 0n
      const logs = await l2Client.getLogs({ address: this.cfg.l2.contracts.L2ToL1MessagePasser, event: messagePassed, args: { sender: acct }, fromBlock: from, toBlock: head })
      // Read at one L1 block: its time, how far the outputs reach, the challenge window, then each withdrawal's status.
      let l1: L1View | undefined
      if (logs.length && this.cfg.l1 && l1Client) {
        const oracle = { address: this.cfg.l1.contracts.L2OutputOracle, abi: oracleAbi } as const
        const block = await l1Client.getBlock()
        const at = { ...oracle, blockNumber: block.number } as const
        const [next, latest, period] = await Promise.all([
          l1Client.readContract({ ...at, functionName: 'nextOutputIndex' }),
          l1Client.readContract({ ...at, functionName: 'latestBlockNumber' }),
          this.period ?? l1Client.readContract({ ...oracle, functionName: 'FINALIZATION_PERIOD_SECONDS' }), // immutable
        ])
        this.period = period
        // with no output, latestBlockNumber is the oracle's starting block: nothing is covered
        l1 = { cfg: this.cfg.l1, client: l1Client, head: block.number, time: block.timestamp, period, next, covered: next > 0n ? latest : -1n }
      }
      const rows = await Promise.all(logs.map(async (l): Promise<WithdrawalRow> => {
        const a = l.args as Required<typeof l.args>
        const withdrawal: Withdrawal = { nonce: a.nonce, sender: a.sender, target: a.target, value: a.value, gasLimit: a.gasLimit, data: a.data, withdrawalHash: a.withdrawalHash }
        const block = l.blockNumber as bigint
        const status = l1 ? await this.withdrawalStatus(l1, withdrawal.withdrawalHash, block) : { state: 'initiated' as const, text: 'initiated on L2 (no L1 configured to follow it)' }
        return { withdrawal, l2Tx: l.transactionHash as Hex, l2Block: block, status }
      }))
      // Drop this read only if one started after it has drawn already. (Not as soon as a later one has started:
      // the read awaited right after a withdrawal must have drawn, itself or a newer one, when it returns.)
      if (seq < this.withdrawalsDrawn) return
      this.withdrawalsDrawn = seq
      this.withdrawalRows = rows
      this.withdrawalsAt = l1 && { head: l1.head, time: l1.time }
      this.renderWithdrawals()
    } catch (e) {
      if (seq < this.withdrawalsDrawn) return
      this.withdrawalsDrawn = seq
      this.withdrawalRows = undefined
      $('#withdrawals-list').innerHTML = `<p class="status error">Could not read withdrawals: ${esc(explain(e))}</p>`
    }
  }

  /**
   * Where a withdrawal made in L2 block `block` stands on L1 at `l1.head`: finalized; proven against an output
   * that is still on the oracle (waiting for or past the challenge window of both the proof and that output, as
   * the portal checks: L1 time > max(proven, proposed) + FINALIZATION_PERIOD_SECONDS); otherwise (never proven,
   * or proven against an output the challenger deleted since) whether an output covers its block.
   */
  private async withdrawalStatus(l1: L1View, withdrawal: Hex, block: bigint): Promise<WithdrawalStatus> {
    const { cfg, client, head } = l1
    const portal = { address: cfg.contracts.OptimismPortal, abi: portalAbi, blockNumber: head } as const
    const oracle = { address: cfg.contracts.L2OutputOracle, abi: oracleAbi, blockNumber: head } as const
    const [fin, proven] = await Promise.all([
      client.readContract({ ...portal, functionName: 'finalizedWithdrawals', args: [withdrawal] }),
      client.readContract({ ...portal, functionName: 'provenWithdrawals', args: [withdrawal] }),
    ])
    if (fin) return { state: 'finalized', text: 'finalized on L1' }
    const [provenRoot, provenAt, provenIndex] = proven
    let deleted: bigint | undefined
    if (provenAt > 0n) {
      const output = provenIndex < l1.next ? await client.readContract({ ...oracle, functionName: 'getL2Output', args: [provenIndex] }) : undefined
      if (output && output.outputRoot === provenRoot) {
        const from = provenAt > output.timestamp ? provenAt : output.timestamp
        const finalizableAt = from + l1.period + 1n // the first L1 time at which the portal accepts it
        const secondsLeft = finalizableAt - l1.time
        return secondsLeft > 0n
          ? { state: 'waiting-to-finalize', text: `proven on L1 against output ${provenIndex}; the challenge window ends in ${duration(secondsLeft)}`, provenIndex, finalizableAt, secondsLeft }
          : { state: 'ready-to-finalize', text: `proven on L1 against output ${provenIndex}; the challenge window has passed: ready to finalize`, provenIndex, finalizableAt, secondsLeft }
      }
      deleted = provenIndex // the portal refuses to finalize it: it must be proven again
    }
    const gone = deleted === undefined ? '' : `proven against output ${deleted}, which the challenger deleted: `
    if (l1.covered < block) {
      return { state: 'waiting-to-prove', text: gone ? `${gone}it must be proven again once a new output covers L2 block ${block}` : 'initiated on L2, waiting for an output to prove against', deletedOutput: deleted }
    }
    if (deleted !== undefined && deleted >= l1.next) {
      // The portal re-proves only once the index it was proven against holds an output again.
      return { state: 'waiting-to-prove', text: `${gone}it can be proven again once output ${deleted} is proposed again`, deletedOutput: deleted }
    }
    const outputIndex = await client.readContract({ ...oracle, functionName: 'getL2OutputIndexAfter', args: [block] })
    const o = await client.readContract({ ...oracle, functionName: 'getL2Output', args: [outputIndex] })
    const output = { outputIndex, outputRoot: o.outputRoot, timestamp: o.timestamp, l2BlockNumber: o.l2BlockNumber }
    const against = `against output ${outputIndex} (L2 block ${o.l2BlockNumber})`
    return { state: 'ready-to-prove', text: gone ? `${gone}prove it again ${against}` : `ready to prove on L1 ${against}`, output, deletedOutput: deleted }
  }

  /** Draws the last read of the withdrawals with each one's Prove / Finalize button and progress. */
  private renderWithdrawals(): void {
    const rows = this.withdrawalRows
    if (!rows) return
    const list = $('#withdrawals-list')
    if (!rows.length) {
      list.innerHTML = '<p class="muted" data-field="withdrawals-none">None: this account has not started a withdrawal on L2.</p>'
      return
    }
    const at = this.withdrawalsAt
    list.innerHTML = `<table class="list"${at ? ` data-l1-block="${at.head}" data-l1-time="${at.time}"` : ''}><thead><tr><th class="num">Amount</th><th>L2 transaction</th><th>Block</th><th>Status${at ? ` <span class="muted small">(at L1 block ${at.head})</span>` : ''}</th><th>On L1</th></tr></thead><tbody>
      ${rows.map((r) => {
        const { withdrawal: w, status: s } = r
        const hash = w.withdrawalHash
        const act = this.actions.get(hash)
        const pill = s.deletedOutput !== undefined ? ' err' : s.state === 'ready-to-prove' || s.state === 'ready-to-finalize' || s.state === 'finalized' ? ' ok' : s.state === 'initiated' ? '' : ' warn'
        const attrs = [
          s.output && `data-output-index="${s.output.outputIndex}"`,
          s.provenIndex !== undefined && `data-proven-output-index="${s.provenIndex}"`,
          s.deletedOutput !== undefined && `data-deleted-output="${s.deletedOutput}"`,
          s.finalizableAt !== undefined && `data-finalizable-at="${s.finalizableAt}" data-seconds-left="${s.secondsLeft}"`,
        ].filter(Boolean).join(' ')
        const action = s.state === 'ready-to-prove' ? 'prove' : s.state === 'ready-to-finalize' ? 'finalize' : undefined
        const button = action ? `<button type="button" data-action="${action}"${act?.kind === 'busy' ? ' disabled' : ''}>${action === 'prove' ? 'Prove' : 'Finalize'}</button>` : ''
        const progress = act ? `<p class="status small ${act.kind}" data-field="withdrawal-action"${act.l1Tx ? ` data-l1-tx="${act.l1Tx}"` : ''}>${esc(act.text)}${act.l1Tx ? ` <span class="mono" title="${act.l1Tx}">L1 tx ${shortHex(act.l1Tx, 10, 6)}</span>` : ''}</p>` : ''
        return `<tr data-withdrawal-hash="${hash}" data-l2-tx="${r.l2Tx}" data-l2-block="${r.l2Block}" data-state="${s.state}"${attrs ? ` ${attrs}` : ''}>
          <td class="num">${baiExact(w.value)} BAI</td><td class="mono nowrap" title="${r.l2Tx}">${shortHex(r.l2Tx, 10, 6)}</td><td class="nowrap">L2 block ${r.l2Block}</td>
          <td><span class="pill${pill}">${esc(s.text)}</span></td><td class="actions">${button}${progress}</td></tr>`
      }).join('')}</tbody></table>`
  }

  /**
   * Proves (eth_getProof of the message passer at the output's L2 block, through viem's buildProveWithdrawal)
   * or finalizes a withdrawal on L1 from the connected account. The call is simulated first (eth_estimateGas):
   * one the portal would refuse stops there with its reason, and nothing is sent.
   */
  private async act(hash: Hex, what: 'prove' | 'finalize'): Promise<void> {
    const row = this.withdrawalRows?.find((r) => r.withdrawal.withdrawalHash === hash)
    const l1 = this.cfg.l1
    const l1Chain = this.chains.l1
    const l1Client = this.chains.l1Client
    if (!row || !l1 || !l1Chain || !l1Client || this.actions.get(hash)?.kind === 'busy') return
    let l1Tx: Hex | undefined
    const say = (kind: WithdrawalAction['kind'], text: string) => {
      this.actions.set(hash, { kind, text, l1Tx })
      this.renderWithdrawals()
    }
    const w = row.withdrawal
    const tx = { nonce: w.nonce, sender: w.sender, target: w.target, value: w.value, gasLimit: w.gasLimit, data: w.data }
    const portal = l1.contracts.OptimismPortal
    const noun = what === 'prove' ? 'proof' : 'finalization'
    try {
      let data: Hex
      if (what === 'prove') {
        const output = row.status.output
        if (row.status.state !== 'ready-to-prove' || !output) throw new Error('This withdrawal is not ready to prove.')
        say('busy', `Building the proof: eth_getProof of the message passer at L2 block ${output.l2BlockNumber}…`)
        let built
        try {
          built = await buildProveWithdrawal(this.chains.l2Client, { chain: this.chains.l2, output, withdrawal: w })
        } catch (e) {
          throw new Error(`The L2 node could not give the proof at block ${output.l2BlockNumber}: ${e instanceof BaseError ? e.details || e.shortMessage : String(e)}`)
        }
        const p = built.outputRootProof
        if (keccak256(concat([p.version, p.stateRoot, p.messagePasserStorageRoot, p.latestBlockhash])) !== output.outputRoot) {
          throw new Error(`The L2 node's output root of block ${output.l2BlockNumber} is not output ${output.outputIndex} on L1: not proving against it (a challenger should delete that output).`)
        }
        data = encodeFunctionData({ abi: portalAbi, functionName: 'proveWithdrawalTransaction', args: [tx, output.outputIndex, p, built.withdrawalProof] })
      } else {
        if (row.status.state !== 'ready-to-finalize') throw new Error('This withdrawal is not ready to finalize.')
        data = encodeFunctionData({ abi: portalAbi, functionName: 'finalizeWithdrawalTransaction', args: [tx] })
      }
      if (!this.wallet.account) await this.wallet.connect()
      const acct = this.wallet.account as Address
      say('busy', `Switching the wallet to ${l1.name}…`)
      await this.wallet.switchTo(l1.chainId)
      say('busy', `Checking the ${noun} against the portal on L1…`)
      const gas = await l1Client.estimateGas({ account: acct, to: portal, data })
      say('busy', `Confirm the ${noun} transaction in your wallet…`)
      l1Tx = await this.wallet.send(l1Chain, { to: portal, data, gas: gas + gas / 5n })
      say('busy', `${what === 'prove' ? 'Proof' : 'Finalization'} sent on L1, waiting for its block…`)
      const receipt = await l1Client.waitForTransactionReceipt({ hash: l1Tx, timeout: 120_000 })
      if (receipt.status !== 'success') throw new Error(`The ${noun} transaction reverted on L1 in block ${receipt.blockNumber}.`)
      if (what === 'prove') {
        say('ok', `Proven on L1 in block ${receipt.blockNumber}.`)
      } else {
        const done = parseEventLogs({ abi: portalAbi, logs: receipt.logs, eventName: 'WithdrawalFinalized' })
          .find((l) => l.address.toLowerCase() === portal.toLowerCase() && l.args.withdrawalHash === hash)
        const paid = `${bai(w.value)} BAI paid to ${shortHex(w.target)}`
        say('ok', done?.args.success === false
          ? `Finalized on L1 in block ${receipt.blockNumber}: ${paid}, but the call to the target failed.`
          : `Finalized on L1 in block ${receipt.blockNumber}: ${paid}.`)
      }
    } catch (e) {
      say('error', explain(e))
    }
    await this.refresh()
  }
}

/** The positive amount of BAI typed into `input`, or the message saying what to type instead. */
function readAmount(input: string, example: string): bigint | string {
  let amount: bigint
  try {
    amount = parseEther(($(input) as HTMLInputElement).value.trim())
  } catch {
    return `Enter an amount of BAI, e.g. ${example}.`
  }
  return amount > 0n ? amount : 'Enter an amount above zero.'
}
