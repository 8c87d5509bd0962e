// viem chain definitions and read-only clients for the two chains. Reads go straight to the RPC URLs
// from the config; only transactions go through the wallet.
import { createPublicClient, defineChain, http, type Chain, type PublicClient } from 'viem'
import { chainConfig } from 'viem/op-stack'
import type { DappConfig } from './config'

export interface Chains {
  l2: Chain
  l1?: Chain
  l2Client: PublicClient
  l1Client?: PublicClient
}

export function makeChains(cfg: DappConfig): Chains {
  // The L2 follows OP Stack formats (deposit transactions 0x7e, receipts with l1Fee): use viem's
  // OP formatters so blocks and receipts parse with those fields.
  const l2 = defineChain({
    ...chainConfig,
    id: cfg.l2.chainId,
    name: cfg.l2.name,
    nativeCurrency: { name: 'BAI', symbol: 'BAI', decimals: 18 },
    rpcUrls: { default: { http: [cfg.l2.rpcUrl] } },
    blockTime: 1_000,
  })
  const l2Client = createPublicClient({ chain: l2, transport: http(cfg.l2.rpcUrl, { batch: { wait: 10 } }), pollingInterval: 500 }) as PublicClient
  if (!cfg.l1) return { l2, l2Client }
  const l1 = defineChain({
    id: cfg.l1.chainId,
    name: cfg.l1.name,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [cfg.l1.rpcUrl] } },
  })
  const l1Client = createPublicClient({ chain: l1, transport: http(cfg.l1.rpcUrl, { batch: { wait: 10 } }), pollingInterval: 500 }) as PublicClient
  return { l2, l1, l2Client, l1Client }
}
