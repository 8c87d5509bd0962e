// Turns wallet, RPC and revert errors into one readable sentence, decoding custom errors with the
// precompile's, the marketplace's, the portal's and ERC-20's error ABIs.
import { BaseError, decodeErrorResult, formatEther, type Hex } from 'viem'
import { errorsAbi } from './abi'

const STATUS = ['none', 'active', 'paused', 'retired']
const KIND = ['none', 'embedding', 'generation', 'generic']

/** Finds raw revert data (0x + selector …) anywhere in an error's cause chain. */
export function revertData(e: unknown): Hex | undefined {
  const seen = new Set<unknown>()
  let cur: unknown = e
  while (cur && typeof cur === 'object' && !seen.has(cur)) {
    seen.add(cur)
    const o = cur as { data?: unknown; cause?: unknown; error?: unknown }
    if (typeof o.data === 'string' && /^0x[0-9a-fA-F]{8,}$/.test(o.data)) return o.data as Hex
    if (o.data && typeof o.data === 'object' && typeof (o.data as { data?: unknown }).data === 'string') {
      const d = (o.data as { data: string }).data
      if (/^0x[0-9a-fA-F]{8,}$/.test(d)) return d as Hex
    }
    cur = o.cause ?? o.error
  }
  return undefined
}

function short(h: string): string {
  return h.length > 14 ? `${h.slice(0, 8)}…${h.slice(-4)}` : h
}

/** Decodes revert data into words, or undefined when the selector is not one we know. */
export function describeRevert(data: Hex): string | undefined {
  if (data.startsWith('0x08c379a0')) {
    try {
      const r = decodeErrorResult({ abi: [{ type: 'error', name: 'Error', inputs: [{ type: 'string', name: 'reason' }] }], data })
      return `reverted: ${String(r.args[0])}`
    } catch { /* fall through */ }
  }
  let r
  try {
    r = decodeErrorResult({ abi: errorsAbi, data })
  } catch {
    return undefined
  }
  const a = (r.args ?? []) as readonly unknown[]
  switch (r.errorName) {
    case 'UnknownModel': return `unknown model ${short(String(a[0]))}`
    case 'ModelNotActive':
      return a.length > 1 ? `model ${short(String(a[0]))} is ${STATUS[Number(a[1])] ?? a[1]}` : `model ${short(String(a[0]))} is not active`
    case 'WrongModelKind': return `wrong model kind: this call needs ${KIND[Number(a[1])]}, the model is ${KIND[Number(a[2])]}`
    case 'WrongKind': return `wrong model kind: this call needs ${KIND[Number(a[0])]}, the model is ${KIND[Number(a[1])]}`
    case 'InputTooLarge': return `input too large: ${a[0]} bytes, the model accepts at most ${a[1]}`
    case 'UnitsTooLarge': return `too many tokens requested: ${a[0]}, the model allows at most ${a[1]}`
    case 'PaymentRequired': return `this model costs ${formatEther(a[1] as bigint)} BAI: call it through the marketplace`
    case 'StaticCallNotAllowed': return 'model calls cannot run in a static (view) call'
    case 'InsufficientGas': return `not enough gas for the model: needs ${a[0]}, got ${a[1]}`
    case 'InferenceUnavailable': return `inference unavailable: ${String(a[1])}`
    case 'InvalidInput': return `invalid input: ${String(a[0])}`
    case 'WrongPayment': return `wrong payment: sent ${formatEther(a[0] as bigint)} BAI, the price is ${formatEther(a[1] as bigint)} BAI`
    case 'InsufficientBalance': return `prepaid balance too low: ${formatEther(a[0] as bigint)} BAI, needs ${formatEther(a[1] as bigint)} BAI`
    case 'ModelRetired': return `model ${short(String(a[0]))} is retired`
    case 'EnforcedPause': return 'the marketplace is paused'
    case 'ERC20InsufficientBalance': return `not enough BAI on L1: have ${formatEther(a[1] as bigint)}, need ${formatEther(a[2] as bigint)}`
    case 'ERC20InsufficientAllowance': return `BAI allowance too low: ${formatEther(a[1] as bigint)}, need ${formatEther(a[2] as bigint)}`
    default: return `${r.errorName}(${a.map(String).join(', ')})`
  }
}

/** One line for the user: rejected in the wallet, a decoded revert, or viem's short message. */
export function explain(e: unknown): string {
  const code = (e as { code?: number })?.code ?? ((e as BaseError)?.walk?.((x) => typeof (x as { code?: unknown }).code === 'number') as { code?: number } | null)?.code
  if (code === 4001) return 'You rejected the request in your wallet.'
  const data = revertData(e)
  if (data) {
    const d = describeRevert(data)
    if (d) return d.charAt(0).toUpperCase() + d.slice(1) + '.'
    return `Reverted with unknown error data ${data.slice(0, 10)}….`
  }
  if (e instanceof BaseError) return e.shortMessage
  if (e instanceof Error) return e.message
  return String(e)
}
