// Turns wallet, RPC and revert errors into one readable sentence, decoding custom errors with the
// precompile's, the marketplace's, the portal's, ERC-20's and governance's (OpenZeppelin Governor, TimelockController,
// BaiGovernor's and SystemConfig's bounds) error ABIs, and the portal's revert strings.
import { BaseError, decodeErrorResult, formatEther, type Hex } from 'viem'
import { errorsAbi, PROPOSAL_STATES } from './abi'
import { bai, shortId } from './format'

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

/** The proposal states set in an OpenZeppelin `expectedStates` bitmap (bit i: ProposalState i), in words. */
function expectedStates(bitmap: unknown): string {
  const bits = BigInt(String(bitmap))
  const names = PROPOSAL_STATES.filter((_, i) => (bits >> BigInt(i)) & 1n)
  return names.length ? names.join(' or ') : 'in another state'
}

/** TimelockController.OperationState by number. */
const OPERATION_STATES = ['unset', 'waiting', 'ready', 'done']

/** The portal's and the oracle's revert strings (OP's wording), in words a person can act on. */
const REASONS: Record<string, string> = {
  'OptimismPortal: withdrawal hash has already been proven': 'this withdrawal is already proven on L1',
  'OptimismPortal: invalid output root proof': "the output root proof does not hash to the oracle's output root: the L2 node and the proposer disagree about that block",
  'OptimismPortal: invalid withdrawal inclusion proof': "the storage proof does not show this withdrawal in the output's message passer",
  'OptimismPortal: withdrawal has not been proven yet': 'this withdrawal has not been proven on L1 yet',
  'OptimismPortal: proven withdrawal finalization period has not elapsed': 'the challenge window after the proof has not passed yet',
  'OptimismPortal: output proposal finalization period has not elapsed': 'the challenge window of the output it was proven against has not passed yet',
  'OptimismPortal: output root proven is not the same as current output root': 'the output this withdrawal was proven against was deleted by the challenger: prove it again',
  'OptimismPortal: withdrawal has already been finalized': 'this withdrawal is already finalized',
  'OptimismPortal: withdrawal timestamp less than L2 Oracle starting timestamp': 'the proof is older than the oracle: prove it again',
  'OptimismPortal: you cannot send messages to the portal contract': 'a withdrawal to the portal itself cannot be proven',
  'OptimismPortal: cannot send messages to the gas paying token': 'a withdrawal to the BAI token contract cannot be proven',
  'L2OutputOracle: cannot get output for a block that has not been proposed': 'no output covers that L2 block yet',
}

/** Solidity panic codes that a call from this page can hit. */
const PANICS: Record<number, string> = {
  0x11: 'an arithmetic overflow',
  0x32: 'an index out of range (on the portal: an output index the oracle does not have, e.g. one the challenger deleted)',
}

/** Decodes revert data into words, or undefined when the selector is not one we know. */
export function describeRevert(data: Hex): string | undefined {
  if (data.startsWith('0x08c379a0')) {
    try {
      const r = decodeErrorResult({ abi: [{ type: 'error', name: 'Error', inputs: [{ type: 'string', name: 'reason' }] }], data })
      const reason = String(r.args[0])
      return REASONS[reason] ?? `reverted: ${reason}`
    } catch { /* fall through */ }
  }
  if (data.startsWith('0x4e487b71')) {
    try {
      const r = decodeErrorResult({ abi: [{ type: 'error', name: 'Panic', inputs: [{ type: 'uint256', name: 'code' }] }], data })
      const code = Number(r.args[0])
      return `the contract panicked: ${PANICS[code] ?? `code 0x${code.toString(16)}`}`
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
    case 'InsufficientGas':
      return a.length ? `not enough gas for the model: needs ${a[0]}, got ${a[1]}` : "not enough gas for the withdrawal's call on L1: raise the gas limit"
    case 'Paused': return 'the portal is paused by its guardian: proving and finalizing are stopped for now'
    case 'InferenceUnavailable': return `inference unavailable: ${String(a[1])}`
    case 'InvalidProof': return `the operator's proof for model ${short(String(a[0]))} does not verify: ${String(a[1])}`
    case 'InvalidInput': return `invalid input: ${String(a[0])}`
    case 'WrongPayment': return `wrong payment: sent ${formatEther(a[0] as bigint)} BAI, the price is ${formatEther(a[1] as bigint)} BAI`
    case 'InsufficientBalance': return `prepaid balance too low: ${formatEther(a[0] as bigint)} BAI, needs ${formatEther(a[1] as bigint)} BAI`
    case 'ModelRetired': return `model ${short(String(a[0]))} is retired`
    case 'EnforcedPause': return 'the marketplace is paused'
    case 'ERC20InsufficientBalance': return `not enough BAI on L1: have ${formatEther(a[1] as bigint)}, need ${formatEther(a[2] as bigint)}`
    case 'ERC20InsufficientAllowance': return `BAI allowance too low: ${formatEther(a[1] as bigint)}, need ${formatEther(a[2] as bigint)}`
    case 'GovernorAlreadyCastVote': return `${short(String(a[0]))} has already voted on this proposal`
    case 'GovernorUnexpectedProposalState':
      return `proposal ${shortId(a[0] as bigint)} is ${PROPOSAL_STATES[Number(a[1])] ?? a[1]}; this needs it ${expectedStates(a[2])}`
    case 'GovernorNonexistentProposal': return `there is no proposal ${shortId(a[0] as bigint)} on this governor`
    case 'GovernorInsufficientProposerVotes':
      return `${short(String(a[0]))} has ${bai(a[1] as bigint)} votes, below the proposal threshold of ${bai(a[2] as bigint)}`
    case 'GovernorInvalidVoteType': return 'invalid vote type: vote For, Against or Abstain'
    case 'GovernorInvalidProposalLength': return `the proposal has ${a[0]} targets, ${a[1]} calldatas and ${a[2]} values: they must be as many and at least one`
    case 'GovernorOnlyExecutor': return `${short(String(a[0]))} is not the governor's executor (the timelock)`
    case 'GovernorRestrictedProposer': return `${short(String(a[0]))} may not make this proposal (its description names another proposer)`
    case 'GovernorAlreadyQueuedProposal': return `proposal ${shortId(a[0] as bigint)} is already queued`
    case 'GovernorProposalQueueingFailed': return `the timelock did not queue proposal ${shortId(a[0] as bigint)}`
    case 'GovernorDisabledDeposit': return 'the governor does not take ETH'
    case 'TimelockUnexpectedOperationState': {
      const bits = BigInt(String(a[1]))
      const want = OPERATION_STATES.filter((_, i) => (bits >> BigInt(i)) & 1n)
      return want.length === 1 && want[0] === 'ready'
        ? 'the timelock delay has not passed yet (or the operation has already run)'
        : `the timelock operation ${short(String(a[0]))} is not ${want.join(' or ') || 'in the expected state'}`
    }
    case 'TimelockUnexecutedPredecessor': return `the timelock operation ${short(String(a[0]))} must run first`
    case 'TimelockInsufficientDelay': return `a timelock delay of ${a[0]} s is below its minimum of ${a[1]} s`
    case 'ERC5805FutureLookup': return `votes at block ${a[0]} are not known yet: the clock is at block ${a[1]}`
    case 'VotingDelayOutOfBounds': return `voting delay ${a[0]} blocks is outside the governor's bounds`
    case 'VotingPeriodOutOfBounds': return `voting period ${a[0]} blocks is outside the governor's bounds`
    case 'ProposalThresholdOutOfBounds': return `a proposal threshold of ${bai(a[0] as bigint)} BAI is above the most allowed now, ${bai(a[1] as bigint)} BAI`
    case 'QuorumOutOfBounds': return `a quorum of ${a[0]} % is outside the governor's bounds`
    case 'InvalidGasLimit': return `L2 gas limit ${a[0]} is outside SystemConfig's bounds`
    case 'InvalidBatcherHash': return `batcher hash ${short(String(a[0]))} is not a left-padded non-zero address`
    case 'InvalidFeeScalars': return `fee scalars ${a[0]} / ${a[1]} are above SystemConfig's maximum`
    case 'InvalidOperatorFee': return `operator fee constant ${a[1]} is above SystemConfig's maximum`
    case 'OwnableUnauthorizedAccount': return `${short(String(a[0]))} is not the owner`
    case 'AccessControlUnauthorizedAccount': return `${short(String(a[0]))} lacks the role ${short(String(a[1]))}`
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
