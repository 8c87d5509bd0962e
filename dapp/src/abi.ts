// Contract interfaces the dApp talks to, as human-readable ABIs (parsed once by viem's parseAbi).
// Sources: contracts/src/L2/*.sol, contracts/src/L1/*.sol, contracts/src/interfaces/IBaiInference.sol.
import { parseAbi } from 'viem'

export const marketplaceAbi = parseAbi([
  'struct Model { uint8 status; uint8 kind; uint32 maxInputBytes; uint32 maxUnits; uint64 baseGas; uint64 gasPerUnit; uint32 gasPerInputByte; uint16 toleranceBps; uint256 price; address owner; address operator; string metadataURI; }',
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
])

/** Selectors of the precompile functions, used in witness call keys. */
export const SELECTOR = {
  embed: '0xc1515fc5',
  generate: '0x970289cf',
} as const
