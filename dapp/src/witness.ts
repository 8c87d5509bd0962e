// Reading a model call's answer back from the chain.
//
// A transaction's return value is not in its receipt. The node records every model answer of a block
// in a system deposit (from the depositor to the InferenceWitnessStore, `recordBatch(callKeys, outputs,
// units)`) placed before the block's user transactions; the precompile answered the call from exactly
// that record, and the store keeps keccak256(output) under the call key. So the page reads the
// deposit's calldata from the block, takes the output recorded under this call's key, and checks its
// hash against the store's WitnessRecorded event of the same block before showing it.
import {
  decodeFunctionData,
  encodeAbiParameters,
  hexToBytes,
  hexToString,
  keccak256,
  parseAbiParameters,
  parseEventLogs,
  toBytes,
  toFunctionSelector,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
} from 'viem'
import { marketplaceAbi, witnessStoreAbi } from './abi'
import { DEPOSITOR, type DappConfig } from './config'

const RECORD_BATCH = toFunctionSelector('recordBatch(bytes32[],bytes[],uint64[])')

/** keccak256(abi.encode(modelId, selector, keccak256(input), maxUnits)) — InferenceWitnessStore.callKeyOf. */
export function callKey(modelId: Hex, selector: Hex, input: string, maxUnits: number): Hex {
  return keccak256(encodeAbiParameters(parseAbiParameters('bytes32, bytes4, bytes32, uint32'), [modelId, selector, keccak256(toBytes(input)), maxUnits]))
}

export interface RecordedAnswer {
  /** The output bytes exactly as recorded (embed: int32 big-endian components; generate: UTF-8). */
  output: Hex
  units: bigint
  outputHash: Hex
  /** The witness deposit transaction that carried it. */
  witnessTx: Hex
  block: bigint
}

export async function readRecordedAnswer(client: PublicClient, cfg: DappConfig, block: bigint, key: Hex): Promise<RecordedAnswer> {
  const store = cfg.l2.contracts.InferenceWitnessStore.toLowerCase()
  const b = await client.getBlock({ blockNumber: block, includeTransactions: true })
  const wtx = b.transactions.find((tx) => tx.to?.toLowerCase() === store && tx.from.toLowerCase() === DEPOSITOR.toLowerCase() && tx.input.startsWith(RECORD_BATCH))
  if (!wtx) throw new Error(`block ${block} has no inference witness deposit`)
  const { args } = decodeFunctionData({ abi: witnessStoreAbi, data: wtx.input })
  const [keys, outputs, units] = args as readonly [readonly Hex[], readonly Hex[], readonly bigint[]]
  const i = keys.findIndex((k) => k.toLowerCase() === key.toLowerCase())
  if (i < 0) throw new Error(`block ${block}'s witness deposit has no record for call key ${key}`)
  const output = outputs[i] as Hex
  const logs = await client.getLogs({
    address: cfg.l2.contracts.InferenceWitnessStore,
    event: witnessStoreAbi[1],
    args: { callKey: key },
    fromBlock: block,
    toBlock: block,
  })
  const recorded = logs.at(-1)?.args.outputHash
  if (!recorded) throw new Error(`no WitnessRecorded event for call key ${key} in block ${block}`)
  const outputHash = keccak256(output)
  if (recorded.toLowerCase() !== outputHash.toLowerCase()) throw new Error(`recorded output hash ${recorded} does not match the deposit's output (${outputHash})`)
  return { output, units: units[i] as bigint, outputHash, witnessTx: wtx.hash, block }
}

/** int32 components packed big-endian (embedding × 1e6). */
export function decodeEmbedding(output: Hex): number[] {
  const bytes = hexToBytes(output)
  if (bytes.length % 4 !== 0) throw new Error(`embedding of ${bytes.length} bytes is not a whole number of int32`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out: number[] = []
  for (let i = 0; i < bytes.length; i += 4) out.push(view.getInt32(i, false))
  return out
}

export function decodeText(output: Hex): string {
  return hexToString(output)
}

/** Cosine similarity of two fixed-point unit vectors, exactly: dot / sqrt(|a|²·|b|²); also dot / 1e6 as AiNotes.similarity. */
export function cosine(a: number[], b: number[]): { cosine: number; scaled: bigint } {
  if (a.length !== b.length) throw new Error(`dimension mismatch: ${a.length} vs ${b.length}`)
  let dot = 0n
  let na = 0n
  let nb = 0n
  for (let i = 0; i < a.length; i++) {
    const x = BigInt(a[i] as number)
    const y = BigInt(b[i] as number)
    dot += x * y
    na += x * x
    nb += y * y
  }
  return { cosine: Number(dot) / Math.sqrt(Number(na) * Number(nb)), scaled: dot / 1_000_000n }
}

export interface Fees {
  /** Model price paid (the transaction's value), and how the marketplace split it (its ModelCalled event). */
  price: bigint
  split?: { owner: bigint; operator: bigint; stakers: bigint; curators: bigint; treasury: bigint }
  gasUsed: bigint
  effectiveGasPrice: bigint
  /** gasUsed × effectiveGasPrice */
  l2Fee: bigint
  /** OP L1 data fee from the receipt (0 when absent). */
  l1Fee: bigint
  total: bigint
}

export function feesOf(receipt: TransactionReceipt, value: bigint, cfg: DappConfig): Fees {
  const called = parseEventLogs({ abi: marketplaceAbi, logs: receipt.logs, eventName: 'ModelCalled' })
    .find((l) => l.address.toLowerCase() === cfg.l2.contracts.ModelMarketplace.toLowerCase())
  const l2Fee = receipt.gasUsed * receipt.effectiveGasPrice
  const l1Fee = (receipt as TransactionReceipt & { l1Fee?: bigint | null }).l1Fee ?? 0n
  const split = called
    ? { owner: called.args.ownerShare, operator: called.args.operatorShare, stakers: called.args.stakersShare, curators: called.args.curatorsShare, treasury: called.args.treasuryShare }
    : undefined
  return { price: value, split, gasUsed: receipt.gasUsed, effectiveGasPrice: receipt.effectiveGasPrice, l2Fee, l1Fee, total: value + l2Fee + l1Fee }
}
