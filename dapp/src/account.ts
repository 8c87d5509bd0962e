// Account section: the connected account's BAI on L1 (ERC-20) and L2 (native), deposits from L1
// (approve + BaiPortal.depositERC20Transaction) tracked until the L2 deposit transaction lands, and
// withdrawals started on L2 (L2ToL1MessagePasser) with their status on L1 (waiting for an output, ready to
// prove, proven, finalized).
import { encodeFunctionData, getAddress, parseEther, parseEventLogs, type Address, type Hex, type PublicClient } from 'viem'
import { getL2TransactionHashes } from 'viem/op-stack'
import { erc20Abi, messagePasserAbi, oracleAbi, portalAbi } from './abi'
import type { Chains } from './chains'
import type { DappConfig, L1Config } from './config'
import { explain } from './errors'
import { $, bai, baiExact, esc, shortHex, status } from './format'
import type { Wallet } from './wallet'

/** Gas the L2 deposit transaction may use: a plain value transfer (min 21,000 for empty data). */
const DEPOSIT_L2_GAS = 100_000n

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
type WithdrawalState = 'initiated' | 'waiting-to-prove' | 'ready-to-prove' | 'waiting-to-finalize' | 'finalized'

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
    if (!this.cfg.l1) {
      ;($('#deposit-form button') as HTMLButtonElement).disabled = true
      status($('#deposit-status'), 'No L1 is configured (config.json has no "l1"), so deposits are unavailable.', 'error')
    }
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
    let amount: bigint
    try {
      amount = parseEther(($('#deposit-amount') as HTMLInputElement).value.trim())
    } catch {
      return status(st, 'Enter an amount of BAI, e.g. 25 or 0.5.', 'error')
    }
    if (amount <= 0n) return status(st, 'Enter an amount above zero.', 'error')
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
    const list = $('#withdrawals-list')
    const { l2Client, l1Client } = this.chains
    try {
      const head = await l2Client.getBlockNumber()
      const from = head > 9_000n ? head - 9_000n : 0n
      const logs = await l2Client.getLogs({ address: this.cfg.l2.contracts.L2ToL1MessagePasser, event: messagePasserAbi[0], args: { sender: acct }, fromBlock: from, toBlock: head })
      if (!logs.length) {
        list.innerHTML = '<p class="muted" data-field="withdrawals-none">None: this account has not started a withdrawal on L2.</p>'
        return
      }
      // Read at one L1 block: how far the outputs reach, then each withdrawal's status.
      const l1 = this.cfg.l1 && l1Client ? { cfg: this.cfg.l1, client: l1Client, head: await l1Client.getBlockNumber() } : undefined
      let covered = -1n // L2 block of the newest output; -1: none
      if (l1) {
        const at = { address: l1.cfg.contracts.L2OutputOracle, abi: oracleAbi, blockNumber: l1.head } as const
        const [outputs, latest] = await Promise.all([
          l1.client.readContract({ ...at, functionName: 'nextOutputIndex' }),
          l1.client.readContract({ ...at, functionName: 'latestBlockNumber' }),
        ])
        if (outputs > 0n) covered = latest // with no output, latestBlockNumber is the oracle's starting block
      }
      const rows = await Promise.all(logs.map(async (l) => {
        const block = l.blockNumber as bigint
        const withdrawal = l.args.withdrawalHash as Hex
        const s = l1 ? await this.withdrawalStatus(l1, covered, withdrawal, block) : { state: 'initiated' as const, text: 'initiated on L2 (no L1 configured to follow it)' }
        const pill = s.state === 'ready-to-prove' || s.state === 'finalized' ? ' ok' : s.state === 'initiated' ? '' : ' warn'
        return `<tr data-withdrawal-hash="${withdrawal}" data-l2-tx="${l.transactionHash}" data-l2-block="${block}" data-state="${s.state}"${s.outputIndex === undefined ? '' : ` data-output-index="${s.outputIndex}"`}>
          <td class="num">${baiExact(l.args.value as bigint)} BAI</td><td class="mono" title="${l.transactionHash}">${shortHex(l.transactionHash as Hex, 10, 6)}</td><td>L2 block ${block}</td>
          <td><span class="pill${pill}">${esc(s.text)}</span></td></tr>`
      }))
      list.innerHTML = `<table class="list"><thead><tr><th class="num">Amount</th><th>L2 transaction</th><th>Block</th><th>Status</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
    } catch (e) {
      list.innerHTML = `<p class="status error">Could not read withdrawals: ${esc(explain(e))}</p>`
    }
  }

  /**
   * Where a withdrawal made in L2 block `block` stands on L1 at `l1.head`: the portal's records, else whether
   * an output covers its block (`covered`: the newest output's L2 block, -1 with none).
   */
  private async withdrawalStatus(
    l1: { cfg: L1Config; client: PublicClient; head: bigint },
    covered: bigint,
    withdrawal: Hex,
    block: bigint,
  ): Promise<{ state: WithdrawalState; text: string; outputIndex?: bigint }> {
    const { cfg, client, head } = l1
    const portal = cfg.contracts.OptimismPortal
    const oracle = cfg.contracts.L2OutputOracle
    const [fin, proven] = await Promise.all([
      client.readContract({ address: portal, abi: portalAbi, functionName: 'finalizedWithdrawals', args: [withdrawal], blockNumber: head }),
      client.readContract({ address: portal, abi: portalAbi, functionName: 'provenWithdrawals', args: [withdrawal], blockNumber: head }),
    ])
    if (fin) return { state: 'finalized', text: 'finalized on L1' }
    if (proven[1] > 0n) return { state: 'waiting-to-finalize', text: 'proven on L1, in the challenge window' }
    if (covered < block) return { state: 'waiting-to-prove', text: 'initiated on L2, waiting for an output to prove against' }
    const outputIndex = await client.readContract({ address: oracle, abi: oracleAbi, functionName: 'getL2OutputIndexAfter', args: [block], blockNumber: head })
    const output = await client.readContract({ address: oracle, abi: oracleAbi, functionName: 'getL2Output', args: [outputIndex], blockNumber: head })
    return { state: 'ready-to-prove', text: `ready to prove on L1 against output ${outputIndex} (L2 block ${output.l2BlockNumber})`, outputIndex }
  }
}
