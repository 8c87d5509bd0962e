// Contract interfaces the dApp talks to, as human-readable ABIs (parsed once by viem's parseAbi).
// Sources: contracts/src/L2/*.sol, contracts/src/L1/*.sol, contracts/src/interfaces/IBaiInference.sol.
import { parseAbi } from 'viem'

export const marketplaceAbi = parseAbi([
  'struct Model { uint8 status; uint8 kind; uint32 maxInputBytes; uint32 maxUnits; uint64 baseGas; uint64 gasPerUnit; uint32 gasPerInputByte; uint16 toleranceBps; uint256 price; address owner; address operator; string metadataURI; bytes32 zkKeyHash; uint64 zkSince; }',
  'function getModel(bytes32 modelId) view returns (Model)',
  'function modelIds() view returns (bytes32[])',
  'function quote(bytes32 modelId, uint256 inputBytes, uint32 maxUnits) view returns (uint256)',
  'function previewSplit(bytes32 modelId, uint256 price) view returns (uint256 ownerShare, uint256 operatorShare, uint256 stakersShare, uint256 curatorsShare, uint256 treasuryShare)',
  'function staking() view returns (address)',
  'function curation() view returns (address)',
  'function balances(address) view returns (uint256)',
  'function embed(bytes32 modelId, string text) payable returns (int32[])',
  'function generate(bytes32 modelId, string prompt, uint32 maxTokens) payable returns (string)',
  'event ModelCalled(bytes32 indexed modelId, address indexed caller, uint256 price, uint256 ownerShare, uint256 operatorShare, uint256 stakersShare, uint256 curatorsShare, uint256 treasuryShare)',
])

export const stakingAbi = parseAbi([
  'struct Validator { bool registered; uint16 commissionBps; uint16 maxCommissionBps; uint16 maxCommissionChangeBps; uint64 lastCommissionChange; uint64 jailedUntil; bool jailed; uint256 bondedStake; uint256 bondedShares; uint256 unbondingStake; uint256 unbondingShares; uint256 accRewardPerShare; uint256 globalIndexCheckpoint; }',
  'function getValidator(address validator) view returns (Validator)',
])

export const curationAbi = parseAbi([
  'function pools(bytes32 modelId) view returns (uint256 stake, uint256 shares, uint256 accRewardPerShare)',
])

export const witnessStoreAbi = parseAbi([
  'function recordBatch(bytes32[] callKeys, bytes[] outputs, uint64[] units)',
  'event WitnessRecorded(bytes32 indexed callKey, address indexed operator, uint64 units, bytes32 outputHash)',
])

export const messagePasserAbi = parseAbi([
  'function initiateWithdrawal(address _target, uint256 _gasLimit, bytes _data) payable',
  'event MessagePassed(uint256 indexed nonce, address indexed sender, address indexed target, uint256 value, uint256 gasLimit, bytes data, bytes32 withdrawalHash)',
])

/** The GasPriceOracle predeploy (0x4200…000F): the L1 data fee of an L2 transaction (Ecotone formula). */
export const gasPriceOracleAbi = parseAbi([
  'function getL1Fee(bytes _data) view returns (uint256)',
])

export const erc20Abi = parseAbi([
  'function balanceOf(address) view returns (uint256)',
  'function allowance(address owner, address spender) view returns (uint256)',
  'function approve(address spender, uint256 amount) returns (bool)',
  'function symbol() view returns (string)',
])

export const portalAbi = parseAbi([
  'function depositERC20Transaction(address _to, uint256 _mint, uint256 _value, uint64 _gasLimit, bool _isCreation, bytes _data)',
  'function provenWithdrawals(bytes32) view returns (bytes32 outputRoot, uint128 timestamp, uint128 l2OutputIndex)',
  'function finalizedWithdrawals(bytes32) view returns (bool)',
  'event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData)',
  'struct WithdrawalTransaction { uint256 nonce; address sender; address target; uint256 value; uint256 gasLimit; bytes data; }',
  'struct OutputRootProof { bytes32 version; bytes32 stateRoot; bytes32 messagePasserStorageRoot; bytes32 latestBlockhash; }',
  'function proveWithdrawalTransaction(WithdrawalTransaction _tx, uint256 _l2OutputIndex, OutputRootProof _outputRootProof, bytes[] _withdrawalProof)',
  'function finalizeWithdrawalTransaction(WithdrawalTransaction _tx)',
  'event WithdrawalProven(bytes32 indexed withdrawalHash, address indexed from, address indexed to)',
  'event WithdrawalFinalized(bytes32 indexed withdrawalHash, bool success)',
])

export const oracleAbi = parseAbi([
  'function nextBlockNumber() view returns (uint256)',
  'function submissionInterval() view returns (uint256)',
  'event OutputProposed(bytes32 indexed outputRoot, uint256 indexed l2OutputIndex, uint256 indexed l2BlockNumber, uint256 l1Timestamp)',
  'struct OutputProposal { bytes32 outputRoot; uint128 timestamp; uint128 l2BlockNumber; }',
  'function latestBlockNumber() view returns (uint256)',
  'function nextOutputIndex() view returns (uint256)',
  'function getL2OutputIndexAfter(uint256 l2BlockNumber) view returns (uint256)',
  'function getL2Output(uint256 l2OutputIndex) view returns (OutputProposal)',
  'function FINALIZATION_PERIOD_SECONDS() view returns (uint256)',
  'event OutputsDeleted(uint256 indexed prevNextOutputIndex, uint256 indexed newNextOutputIndex)',
])

export const systemConfigAbi = parseAbi([
  'function batchInbox() view returns (address)',
  'function batcherHash() view returns (bytes32)',
  'function startBlock() view returns (uint256)',
])

/**
 * BaiGovernor (contracts/src/L1/governance/BaiGovernor.sol): OpenZeppelin 5.x Governor with GovernorSettings,
 * GovernorCountingSimple, GovernorVotes(QuorumFraction) over L1 BAI (block-number clock) and GovernorTimelockControl.
 */
export const governorAbi = parseAbi([
  'function name() view returns (string)',
  'function token() view returns (address)',
  'function timelock() view returns (address)',
  'function clock() view returns (uint48)',
  'function votingDelay() view returns (uint256)',
  'function votingPeriod() view returns (uint256)',
  'function proposalThreshold() view returns (uint256)',
  'function quorum(uint256 timepoint) view returns (uint256)',
  'function quorumNumerator() view returns (uint256)',
  'function state(uint256 proposalId) view returns (uint8)',
  'function proposalSnapshot(uint256 proposalId) view returns (uint256)',
  'function proposalDeadline(uint256 proposalId) view returns (uint256)',
  'function proposalEta(uint256 proposalId) view returns (uint256)',
  'function proposalVotes(uint256 proposalId) view returns (uint256 againstVotes, uint256 forVotes, uint256 abstainVotes)',
  'function hasVoted(uint256 proposalId, address account) view returns (bool)',
  'function getVotes(address account, uint256 timepoint) view returns (uint256)',
  'function propose(address[] targets, uint256[] values, bytes[] calldatas, string description) returns (uint256)',
  'function castVote(uint256 proposalId, uint8 support) returns (uint256)',
  'function castVoteWithReason(uint256 proposalId, uint8 support, string reason) returns (uint256)',
  'function queue(address[] targets, uint256[] values, bytes[] calldatas, bytes32 descriptionHash) returns (uint256)',
  'function execute(address[] targets, uint256[] values, bytes[] calldatas, bytes32 descriptionHash) payable returns (uint256)',
  'event ProposalCreated(uint256 proposalId, address proposer, address[] targets, uint256[] values, string[] signatures, bytes[] calldatas, uint256 voteStart, uint256 voteEnd, string description)',
  'event VoteCast(address indexed voter, uint256 proposalId, uint8 support, uint256 weight, string reason)',
  'event ProposalQueued(uint256 proposalId, uint256 etaSeconds)',
  'event ProposalExecuted(uint256 proposalId)',
])

/** L1 BAI's ERC20Votes side (OpenZeppelin 5.x): delegation and voting power. */
export const votesTokenAbi = parseAbi([
  'function balanceOf(address) view returns (uint256)',
  'function delegates(address account) view returns (address)',
  'function getVotes(address account) view returns (uint256)',
  'function delegate(address delegatee)',
  'event DelegateChanged(address indexed delegator, address indexed fromDelegate, address indexed toDelegate)',
])

export const timelockAbi = parseAbi([
  'function getMinDelay() view returns (uint256)',
])

/**
 * Calls a proposal can make on L1 (from the timelock), to show its actions as functions: SystemConfig's setters and
 * ownership, the portal's guardian functions and deposits, the timelock's own administration, the governor's
 * settings, the token.
 */
export const l1ActionsAbi = parseAbi([
  // SystemConfig
  'function setBatcherHash(bytes32 batcherHash)',
  'function setGasLimit(uint64 gasLimit)',
  'function setGasConfigEcotone(uint32 basefeeScalar, uint32 blobbasefeeScalar)',
  'function setOperatorFeeScalars(uint32 operatorFeeScalar, uint64 operatorFeeConstant)',
  'function setUnsafeBlockSigner(address unsafeBlockSigner)',
  'function transferOwnership(address newOwner)',
  'function acceptOwnership()',
  // BaiPortal
  'function depositTransaction(address to, uint256 value, uint64 gasLimit, bool isCreation, bytes data) payable',
  'function setGuardian(address newGuardian)',
  'function pause()',
  'function unpause()',
  // TimelockController
  'function updateDelay(uint256 newDelay)',
  'function grantRole(bytes32 role, address account)',
  'function revokeRole(bytes32 role, address account)',
  // BaiGovernor (GovernorSettings, GovernorVotesQuorumFraction, GovernorTimelockControl, Governor)
  'function setVotingDelay(uint48 newVotingDelay)',
  'function setVotingPeriod(uint32 newVotingPeriod)',
  'function setProposalThreshold(uint256 newProposalThreshold)',
  'function updateQuorumNumerator(uint256 newQuorumNumerator)',
  'function updateTimelock(address newTimelock)',
  'function relay(address target, uint256 value, bytes data) payable',
  // BaiToken
  'function transfer(address to, uint256 amount) returns (bool)',
  'function approve(address spender, uint256 amount) returns (bool)',
])

/**
 * Calls an L1 proposal can make on L2 through a portal deposit (from the timelock's aliased address): the
 * governance functions of the L2 predeploys (ModelMarketplace, Staking, Curation, InferenceDisputes; AccessControl),
 * and the marketplace's and the message passer's user functions.
 */
export const l2ActionsAbi = parseAbi([
  'function setSplit((uint16 ownerBps, uint16 operatorBps, uint16 stakersBps, uint16 curatorsBps) split)',
  'function setBounds(uint256 maxPrice, uint256 priceCooldown, (uint64 baseGas, uint64 gasPerUnit, uint32 gasPerInputByte) floor, bool requireServingOperator)',
  'function setPriceIncreaseDelay(uint256 delay)',
  'function setToleranceBounds(uint16 minBps, uint16 maxBps)',
  'function setWiring(address treasury, address staking, address curation)',
  'function pause()',
  'function unpause()',
  'function reassignModelId(bytes32 modelId, address newOwner)',
  'function setParams(uint256 minSelfStake, uint256 unbondingPeriod, uint256 slashJailDuration, address treasury)',
  'function setParams(uint256 exitDelay, address treasury)',
  'function setParams(uint256 slashFractionWad, uint64 disputeWindowBlocks)',
  'function setSlashCap(uint64 periodBlocks, uint32 maxSlashes)',
  'function grantRole(bytes32 role, address account)',
  'function revokeRole(bytes32 role, address account)',
  'function deposit()',
  'function depositFor(address account)',
  'function initiateWithdrawal(address target, uint256 gasLimit, bytes data)',
])

/** Names of the L2 predeploys (docs/contracts.md), for a proposal's L2 actions. */
export const L2_PREDEPLOYS: Record<string, string> = {
  '0x4200000000000000000000000000000000000b00': 'ModelMarketplace',
  '0x4200000000000000000000000000000000000b01': 'Staking',
  '0x4200000000000000000000000000000000000b02': 'InferenceWitnessStore',
  '0x4200000000000000000000000000000000000b03': 'PaymentChannels',
  '0x4200000000000000000000000000000000000b04': 'Curation',
  '0x4200000000000000000000000000000000000b05': 'InferenceDisputes',
  '0x4200000000000000000000000000000000000010': 'L2Bridge',
  '0x4200000000000000000000000000000000000015': 'L1Block',
  '0x4200000000000000000000000000000000000016': 'L2ToL1MessagePasser',
  '0x420000000000000000000000000000000000000f': 'GasPriceOracle',
}

/** Every custom error a call from this page can revert with, to decode revert data into words. */
export const errorsAbi = parseAbi([
  // IBaiInference (the precompile at 0x…0BA1)
  'error UnknownModel(bytes32 modelId)',
  'error ModelNotActive(bytes32 modelId, uint8 status)',
  'error WrongModelKind(bytes32 modelId, uint8 expected, uint8 actual)',
  'error InputTooLarge(uint256 size, uint256 max)',
  'error UnitsTooLarge(uint256 requested, uint256 max)',
  'error PaymentRequired(bytes32 modelId, uint256 price)',
  'error StaticCallNotAllowed()',
  'error InsufficientGas(uint256 required, uint256 available)',
  'error InferenceUnavailable(bytes32 modelId, string reason)',
  'error InvalidProof(bytes32 modelId, string reason)',
  'error InvalidInput(string reason)',
  // ModelMarketplace
  'error ModelNotActive(bytes32 modelId)',
  'error WrongKind(uint8 expected, uint8 actual)',
  'error WrongPayment(uint256 paid, uint256 price)',
  'error InsufficientBalance(uint256 balance, uint256 needed)',
  'error ModelRetired(bytes32 modelId)',
  'error EnforcedPause()',
  // BaiPortal
  'error NoValue()',
  'error BadTarget()',
  'error LargeCalldata()',
  'error SmallGasLimit()',
  'error LargeGasLimit()',
  'error TransferMismatch()',
  'error Paused()',
  'error InsufficientGas()',
  // OpenZeppelin ERC-20
  'error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)',
  'error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)',
  // OpenZeppelin Governor (IGovernor), TimelockController, Votes
  'error GovernorAlreadyCastVote(address voter)',
  'error GovernorUnexpectedProposalState(uint256 proposalId, uint8 current, bytes32 expectedStates)',
  'error GovernorNonexistentProposal(uint256 proposalId)',
  'error GovernorInsufficientProposerVotes(address proposer, uint256 votes, uint256 threshold)',
  'error GovernorInvalidVoteType()',
  'error GovernorInvalidProposalLength(uint256 targets, uint256 calldatas, uint256 values)',
  'error GovernorOnlyExecutor(address account)',
  'error GovernorRestrictedProposer(address proposer)',
  'error GovernorAlreadyQueuedProposal(uint256 proposalId)',
  'error GovernorProposalQueueingFailed(uint256 proposalId)',
  'error GovernorDisabledDeposit()',
  'error TimelockUnexpectedOperationState(bytes32 operationId, bytes32 expectedStates)',
  'error TimelockUnexecutedPredecessor(bytes32 predecessorId)',
  'error TimelockInsufficientDelay(uint256 delay, uint256 minDelay)',
  'error ERC5805FutureLookup(uint256 timepoint, uint48 clock)',
  // BaiGovernor's bounds on its own settings
  'error VotingDelayOutOfBounds(uint256 votingDelay)',
  'error VotingPeriodOutOfBounds(uint256 votingPeriod)',
  'error ProposalThresholdOutOfBounds(uint256 threshold, uint256 max)',
  'error QuorumOutOfBounds(uint256 quorumPercent)',
  // SystemConfig's bounds (a proposal's action can fail with them at execution)
  'error InvalidGasLimit(uint64 gasLimit)',
  'error InvalidBatcherHash(bytes32 batcherHash)',
  'error InvalidFeeScalars(uint32 basefeeScalar, uint32 blobbasefeeScalar)',
  'error InvalidOperatorFee(uint32 operatorFeeScalar, uint64 operatorFeeConstant)',
  // OpenZeppelin access control
  'error OwnableUnauthorizedAccount(address account)',
  'error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)',
])

/** Names of OpenZeppelin's ProposalState values (IGovernor), by number. */
export const PROPOSAL_STATES = ['pending', 'active', 'canceled', 'defeated', 'succeeded', 'queued', 'expired', 'executed'] as const
export type ProposalStateName = (typeof PROPOSAL_STATES)[number]

/** Selectors of the precompile functions, used in witness call keys. */
export const SELECTOR = {
  embed: '0xc1515fc5',
  generate: '0x970289cf',
} as const
