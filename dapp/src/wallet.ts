// The connected wallet: any EIP-1193 provider at window.ethereum (MetaMask, Rabby, a test provider).
// Connect, add the L2 network (wallet_addEthereumChain), switch chains, send transactions.
import { createWalletClient, custom, getAddress, numberToHex, type Address, type Chain, type EIP1193Provider, type Hex } from 'viem'
import type { DappConfig } from './config'

declare global {
  interface Window {
    ethereum?: EIP1193Provider
  }
}

type Listener = () => void

export interface TxRequest {
  to: Address
  data?: Hex
  value?: bigint
  gas?: bigint
}

export class Wallet {
  account: Address | undefined
  chainId: number | undefined
  private listeners: Listener[] = []
  private subscribed = false

  constructor(private readonly cfg: DappConfig) {}

  get provider(): EIP1193Provider | undefined {
    return window.ethereum
  }

  onChange(fn: Listener): void {
    this.listeners.push(fn)
  }

  private emit(): void {
    for (const fn of this.listeners) fn()
  }

  private need(): EIP1193Provider {
    const p = this.provider
    if (!p) throw new Error('No wallet found: install MetaMask (or another EIP-1193 wallet) and reload the page.')
    return p
  }

  async connect(): Promise<Address> {
    const p = this.need()
    const accounts = (await p.request({ method: 'eth_requestAccounts' })) as string[]
    if (!accounts?.length) throw new Error('The wallet returned no account.')
    this.account = getAddress(accounts[0] as string)
    this.chainId = Number(await p.request({ method: 'eth_chainId' }))
    if (!this.subscribed && typeof p.on === 'function') {
      this.subscribed = true
      p.on('accountsChanged', (accs: string[]) => {
        this.account = accs?.length ? getAddress(accs[0] as string) : undefined
        this.emit()
      })
      p.on('chainChanged', (id: string) => {
        this.chainId = Number(id)
        this.emit()
      })
    }
    this.emit()
    return this.account
  }

  /** Parameters of wallet_addEthereumChain for the L2 (chain id, BAI as the native currency, RPC URL). */
  l2ChainParams() {
    return {
      chainId: numberToHex(this.cfg.l2.chainId),
      chainName: this.cfg.l2.name,
      nativeCurrency: { name: 'BAI', symbol: 'BAI', decimals: 18 },
      rpcUrls: [this.cfg.l2.rpcUrl],
    }
  }

  private l1ChainParams() {
    const l1 = this.cfg.l1
    if (!l1) throw new Error('No L1 configured (config.json has no "l1").')
    return {
      chainId: numberToHex(l1.chainId),
      chainName: l1.name,
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: [l1.rpcUrl],
    }
  }

  /** Adds the BalanceAI L2 to the wallet (the wallet usually offers to switch to it too). */
  async addL2(): Promise<void> {
    const p = this.need()
    await p.request({ method: 'wallet_addEthereumChain', params: [this.l2ChainParams()] })
    await this.refreshChain()
  }

  private async refreshChain(): Promise<void> {
    const id = Number(await this.need().request({ method: 'eth_chainId' }))
    if (id !== this.chainId) {
      this.chainId = id
      this.emit()
    }
  }

  /** Switches the wallet to `chainId`, adding the network first when the wallet does not know it (4902). */
  async switchTo(chainId: number): Promise<void> {
    const p = this.need()
    if (!this.account) await this.connect()
    if (this.chainId === chainId) return
    const params = chainId === this.cfg.l2.chainId ? this.l2ChainParams() : this.l1ChainParams()
    try {
      await p.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: params.chainId }] })
    } catch (e) {
      const code = (e as { code?: number }).code ?? (e as { data?: { originalError?: { code?: number } } }).data?.originalError?.code
      if (code !== 4902) throw e
      await p.request({ method: 'wallet_addEthereumChain', params: [params] })
      await p.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: params.chainId }] })
    }
    await this.refreshChain()
    if (this.chainId !== chainId) throw new Error(`The wallet is still on chain ${this.chainId}, not ${chainId}.`)
  }

  /** Sends a transaction on `chain` from the connected account (the wallet signs and broadcasts it). */
  async send(chain: Chain, tx: TxRequest): Promise<Hex> {
    const p = this.need()
    if (!this.account) await this.connect()
    await this.switchTo(chain.id)
    const client = createWalletClient({ account: this.account as Address, chain, transport: custom(p) })
    return client.sendTransaction({ to: tx.to, data: tx.data, value: tx.value, gas: tx.gas })
  }
}
