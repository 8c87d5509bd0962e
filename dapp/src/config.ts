// Runtime configuration: `config.json` served next to index.html (written by the devnet launcher or
// by hand, see config.example.json). Everything has a devnet default, so the page still shows the L2
// (models, calls, blocks) against `make devnet` with no config file; the L1 parts need `l1`.
import { getAddress, type Address } from 'viem'

export interface L2Config {
  chainId: number
  name: string
  rpcUrl: string
  contracts: {
    ModelMarketplace: Address
    InferenceWitnessStore: Address
    L2ToL1MessagePasser: Address
  }
}

export interface L1Config {
  chainId: number
  name: string
  rpcUrl: string
  contracts: {
    BaiToken: Address
    OptimismPortal: Address
    L2OutputOracle: Address
    SystemConfig: Address
    /** Optional: the governance page lists its proposals and votes on them (absent: governance not configured). */
    BaiGovernor?: Address
  }
}

export interface DappConfig {
  l2: L2Config
  /** Absent: no L1 configured (balances on L1, deposits, batches and outputs are hidden). */
  l1?: L1Config
  /** Where the config came from, for the footer. */
  source: string
}

/** The L2 predeploys (docs/contracts.md) and the dev node's defaults (DESIGN: chain id 2977). */
export const L2_DEFAULTS: L2Config = {
  chainId: 2977,
  name: 'BalanceAI devnet',
  rpcUrl: 'http://127.0.0.1:8545',
  contracts: {
    ModelMarketplace: '0x4200000000000000000000000000000000000B00',
    InferenceWitnessStore: '0x4200000000000000000000000000000000000b02',
    L2ToL1MessagePasser: '0x4200000000000000000000000000000000000016',
  },
}

/** Depositor of system deposits (L1 attributes, inference witnesses). */
export const DEPOSITOR: Address = '0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001'

type Json = Record<string, unknown>

function num(v: unknown, what: string): number {
  const n = typeof v === 'string' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) throw new Error(`config.json: ${what} must be a positive integer`)
  return n
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string' || v === '') throw new Error(`config.json: ${what} must be a non-empty string`)
  return v
}

function addr(v: unknown, what: string): Address {
  try {
    return getAddress(str(v, what))
  } catch {
    throw new Error(`config.json: ${what} is not an address: ${String(v)}`)
  }
}

export function parseConfig(raw: Json, source: string): DappConfig {
  const l2raw = (raw.l2 ?? {}) as Json
  const l2c = (l2raw.contracts ?? {}) as Json
  const d = L2_DEFAULTS
  const l2: L2Config = {
    chainId: l2raw.chainId === undefined ? d.chainId : num(l2raw.chainId, 'l2.chainId'),
    name: l2raw.name === undefined ? d.name : str(l2raw.name, 'l2.name'),
    rpcUrl: l2raw.rpcUrl === undefined ? d.rpcUrl : str(l2raw.rpcUrl, 'l2.rpcUrl'),
    contracts: {
      ModelMarketplace: addr(l2c.ModelMarketplace ?? d.contracts.ModelMarketplace, 'l2.contracts.ModelMarketplace'),
      InferenceWitnessStore: addr(l2c.InferenceWitnessStore ?? d.contracts.InferenceWitnessStore, 'l2.contracts.InferenceWitnessStore'),
      L2ToL1MessagePasser: addr(l2c.L2ToL1MessagePasser ?? d.contracts.L2ToL1MessagePasser, 'l2.contracts.L2ToL1MessagePasser'),
    },
  }
  let l1: L1Config | undefined
  if (raw.l1 !== undefined && raw.l1 !== null) {
    const l1raw = raw.l1 as Json
    const c = (l1raw.contracts ?? {}) as Json
    l1 = {
      chainId: num(l1raw.chainId, 'l1.chainId'),
      name: l1raw.name === undefined ? 'L1' : str(l1raw.name, 'l1.name'),
      rpcUrl: str(l1raw.rpcUrl, 'l1.rpcUrl'),
      contracts: {
        BaiToken: addr(c.BaiToken, 'l1.contracts.BaiToken'),
        OptimismPortal: addr(c.OptimismPortal, 'l1.contracts.OptimismPortal'),
        L2OutputOracle: addr(c.L2OutputOracle, 'l1.contracts.L2OutputOracle'),
        SystemConfig: addr(c.SystemConfig, 'l1.contracts.SystemConfig'),
      },
    }
    if (c.BaiGovernor !== undefined && c.BaiGovernor !== null) l1.contracts.BaiGovernor = addr(c.BaiGovernor, 'l1.contracts.BaiGovernor')
  }
  return { l2, l1, source }
}

/** Loads `config.json` next to the page; a missing file means "devnet defaults, no L1". */
export async function loadConfig(url = 'config.json'): Promise<DappConfig> {
  let res: Response
  try {
    res = await fetch(url, { cache: 'no-store' })
  } catch (e) {
    throw new Error(`could not fetch ${url}: ${(e as Error).message}`)
  }
  // A static server answers 404; Vite's dev server answers its index.html instead.
  const html = (res.headers.get('content-type') ?? '').includes('text/html')
  if (res.status === 404 || (res.ok && html)) return parseConfig({}, 'built-in devnet defaults (no config.json)')
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`)
  let raw: Json
  try {
    raw = (await res.json()) as Json
  } catch {
    throw new Error(`${url} is not valid JSON`)
  }
  return parseConfig(raw, url)
}
