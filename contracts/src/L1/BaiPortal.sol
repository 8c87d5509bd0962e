// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {TrieProof} from "@openzeppelin/contracts/utils/cryptography/TrieProof.sol";
import {Types} from "../libraries/Types.sol";
import {Hashing} from "../libraries/Hashing.sol";
import {AddressAliasHelper} from "../libraries/AddressAliasHelper.sol";
import {L2OutputOracle} from "./L2OutputOracle.sol";

/// @notice The one function of SystemConfig the portal reads: its owner governs the portal's guardian.
interface ISystemConfigOwner {
    /// @notice Owner of the SystemConfig.
    /// @return The owner.
    function owner() external view returns (address);
}

/// @title BaiPortal
/// @notice The L1 entry and exit of BalanceAI, ABI-compatible with OP's legacy (L2OutputOracle-based,
///         version 2.x) OptimismPortal in its custom-gas-token form: BAI is an L1 ERC-20 that becomes
///         the L2's native currency.
///         - Deposits: {depositERC20Transaction} pulls `_mint` BAI into the portal (locked) and emits
///           OP's `TransactionDeposited` (version 0); the node turns it into a deposit transaction that
///           mints `_mint` native BAI on L2. {depositTransaction} sends plain L2 calls; it rejects ETH,
///           since ETH does not exist on L2.
///         - Withdrawals: {proveWithdrawalTransaction} checks an output root against the oracle and a
///           Merkle-Patricia proof that the L2ToL1MessagePasser stored the withdrawal hash;
///           {finalizeWithdrawalTransaction} releases the BAI after the finalization period, once.
///         - A guardian may pause proving and finalizing (deposits stay open). Only the SystemConfig's
///           owner (after the governance hand-over: the timelock) can replace the guardian; the guardian
///           cannot replace itself.
contract BaiPortal is ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice A proven withdrawal.
    struct ProvenWithdrawal {
        bytes32 outputRoot;
        uint128 timestamp;
        uint128 l2OutputIndex;
    }

    /// @notice Version of the deposit event's opaque data.
    uint256 internal constant DEPOSIT_VERSION = 0;
    /// @notice l2Sender outside of a withdrawal execution.
    address internal constant DEFAULT_L2_SENDER = 0x000000000000000000000000000000000000dEaD;
    /// @notice Largest deposit calldata.
    uint256 public constant MAX_DEPOSIT_DATA = 120_000;
    /// @notice Largest deposit gas limit (OP's default max resource limit).
    uint64 public constant MAX_DEPOSIT_GAS_LIMIT = 20_000_000;
    /// @notice Gas kept back when calling a withdrawal target.
    uint256 internal constant CALL_GAS_BUFFER = 40_000;

    /// @notice Semantic version (major < 3: viem uses the legacy L2OutputOracle path).
    string public constant version = "2.8.0";

    /// @notice The output oracle.
    L2OutputOracle public immutable L2_ORACLE;
    /// @notice The system config.
    address public immutable SYSTEM_CONFIG;
    /// @notice The L1 BAI token.
    IERC20 public immutable TOKEN;

    /// @notice L2 sender of the withdrawal being executed (DEFAULT_L2_SENDER otherwise).
    address public l2Sender;
    /// @notice Whether proving and finalizing are paused.
    bool public paused;
    /// @notice Finalized withdrawals.
    mapping(bytes32 => bool) public finalizedWithdrawals;
    /// @notice Proven withdrawals.
    mapping(bytes32 => ProvenWithdrawal) public provenWithdrawals;
    /// @notice Total BAI deposited as mint (for accounting / monitoring).
    uint256 public totalMinted;
    /// @notice Total BAI released by finalized withdrawals.
    uint256 public totalWithdrawn;
    /// @dev The pause guardian (slot 5, appended: every earlier slot keeps its place). Read it with
    ///      {guardian} / {GUARDIAN}; only the SystemConfig's owner changes it ({setGuardian}).
    address private _pauseGuardian;

    /// @notice Caller is not the guardian.
    error NotGuardian();
    /// @notice Proving / finalizing paused.
    error Paused();
    /// @notice Not paused.
    error NotPaused();
    /// @notice ETH sent; the L2 currency is BAI — use depositERC20Transaction.
    error NoValue();
    /// @notice A creation must target address(0).
    error BadTarget();
    /// @notice Calldata above MAX_DEPOSIT_DATA.
    error LargeCalldata();
    /// @notice Gas limit below the minimum.
    error SmallGasLimit();
    /// @notice Gas limit above MAX_DEPOSIT_GAS_LIMIT.
    error LargeGasLimit();
    /// @notice The token transfer moved an unexpected amount.
    error TransferMismatch();
    /// @notice Zero address.
    error ZeroAddress();
    /// @notice Not enough gas left for the withdrawal's gas limit.
    error InsufficientGas();
    /// @notice Caller is not the SystemConfig's owner (the only account that may replace the guardian).
    error NotConfigOwner();

    /// @notice OP's deposit event.
    /// @param from L2 sender (aliased for L1 contracts).
    /// @param to L2 target.
    /// @param version Opaque data version (0).
    /// @param opaqueData abi.encodePacked(mint, value, gasLimit, isCreation, data).
    event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData);
    /// @notice A withdrawal was proven.
    event WithdrawalProven(bytes32 indexed withdrawalHash, address indexed from, address indexed to);
    /// @notice A withdrawal was finalized (`success`: whether the target call succeeded).
    event WithdrawalFinalized(bytes32 indexed withdrawalHash, bool success);
    /// @notice Paused by the guardian.
    event PortalPaused(address account);
    /// @notice Unpaused by the guardian.
    event PortalUnpaused(address account);
    /// @notice The guardian changed (also emitted once by the constructor, from address(0)).
    /// @param previousGuardian Guardian before.
    /// @param newGuardian Guardian now.
    event GuardianChanged(address indexed previousGuardian, address indexed newGuardian);

    modifier whenNotPaused() {
        if (paused) revert Paused();
        _;
    }

    /// @notice Wires the portal.
    /// @param _oracle Output oracle.
    /// @param _systemConfig System config.
    /// @param _token L1 BAI.
    /// @param _guardian Pause guardian.
    constructor(L2OutputOracle _oracle, address _systemConfig, IERC20 _token, address _guardian) {
        if (
            address(_oracle) == address(0) || address(_token) == address(0) || _guardian == address(0)
                || _systemConfig == address(0)
        ) {
            revert ZeroAddress();
        }
        L2_ORACLE = _oracle;
        SYSTEM_CONFIG = _systemConfig;
        TOKEN = _token;
        l2Sender = DEFAULT_L2_SENDER;
        _pauseGuardian = _guardian;
        emit GuardianChanged(address(0), _guardian);
    }

    /// @notice Lowercase getter of {L2_ORACLE}.
    /// @return The oracle.
    function l2Oracle() external view returns (L2OutputOracle) {
        return L2_ORACLE;
    }

    /// @notice Lowercase getter of {SYSTEM_CONFIG}.
    /// @return The system config.
    function systemConfig() external view returns (address) {
        return SYSTEM_CONFIG;
    }

    /// @notice The pause guardian (OP's uppercase getter; no longer immutable, see {setGuardian}).
    /// @return The guardian.
    function GUARDIAN() external view returns (address) {
        return _pauseGuardian;
    }

    /// @notice The pause guardian.
    /// @return The guardian.
    function guardian() external view returns (address) {
        return _pauseGuardian;
    }

    /// @notice Replaces the guardian. Only the SystemConfig's owner (the governance timelock after the
    ///         hand-over) may call it, so a guardian can pause at once but can never appoint its successor.
    /// @param _newGuardian New guardian (non-zero).
    function setGuardian(address _newGuardian) external {
        if (msg.sender != ISystemConfigOwner(SYSTEM_CONFIG).owner()) revert NotConfigOwner();
        if (_newGuardian == address(0)) revert ZeroAddress();
        address previous = _pauseGuardian;
        _pauseGuardian = _newGuardian;
        emit GuardianChanged(previous, _newGuardian);
    }

    /// @notice The L2 gas paying token (OP custom gas token ABI).
    /// @return addr_ L1 BAI.
    /// @return decimals_ 18.
    function gasPayingToken() external view returns (address addr_, uint8 decimals_) {
        return (address(TOKEN), 18);
    }

    /// @notice Minimum gas limit of a deposit with `_byteCount` bytes of calldata (OP formula).
    /// @param _byteCount Calldata size.
    /// @return The minimum gas limit.
    function minimumGasLimit(uint64 _byteCount) public pure returns (uint64) {
        return _byteCount * 16 + 21_000;
    }

    /// @notice Pauses proving and finalizing.
    function pause() external {
        if (msg.sender != _pauseGuardian) revert NotGuardian();
        paused = true;
        emit PortalPaused(msg.sender);
    }

    /// @notice Resumes proving and finalizing.
    function unpause() external {
        if (msg.sender != _pauseGuardian) revert NotGuardian();
        if (!paused) revert NotPaused();
        paused = false;
        emit PortalUnpaused(msg.sender);
    }

    /// @notice Deposits an L2 call without minting (ETH is rejected).
    /// @param _to L2 target (address(0) for creations).
    /// @param _value Native BAI the call sends on L2 (from the sender's L2 balance).
    /// @param _gasLimit L2 gas limit.
    /// @param _isCreation Whether this creates a contract.
    /// @param _data Calldata / initcode.
    function depositTransaction(address _to, uint256 _value, uint64 _gasLimit, bool _isCreation, bytes calldata _data)
        external
        payable
    {
        if (msg.value != 0) revert NoValue();
        _deposit(_to, 0, _value, _gasLimit, _isCreation, _data);
    }

    /// @notice Locks `_mint` BAI here and deposits an L2 transaction that mints it natively on L2.
    /// @param _to L2 target (address(0) for creations).
    /// @param _mint BAI to lock here and mint on L2 (needs an allowance).
    /// @param _value Native BAI the L2 call sends.
    /// @param _gasLimit L2 gas limit.
    /// @param _isCreation Whether this creates a contract.
    /// @param _data Calldata / initcode.
    function depositERC20Transaction(
        address _to,
        uint256 _mint,
        uint256 _value,
        uint64 _gasLimit,
        bool _isCreation,
        bytes calldata _data
    ) external nonReentrant {
        if (_mint != 0) {
            uint256 before = TOKEN.balanceOf(address(this));
            TOKEN.safeTransferFrom(msg.sender, address(this), _mint);
            if (TOKEN.balanceOf(address(this)) - before != _mint) revert TransferMismatch();
            totalMinted += _mint;
        }
        _deposit(_to, _mint, _value, _gasLimit, _isCreation, _data);
    }

    /// @notice Proves a withdrawal against output `_l2OutputIndex`.
    /// @param _tx The withdrawal.
    /// @param _l2OutputIndex Output index in the oracle.
    /// @param _outputRootProof Preimage of the output root.
    /// @param _withdrawalProof Storage proof (eth_getProof `storageProof[0].proof`) of the message passer slot.
    function proveWithdrawalTransaction(
        Types.WithdrawalTransaction calldata _tx,
        uint256 _l2OutputIndex,
        Types.OutputRootProof calldata _outputRootProof,
        bytes[] calldata _withdrawalProof
    ) external whenNotPaused {
        require(_tx.target != address(this), "OptimismPortal: you cannot send messages to the portal contract");
        require(_tx.target != address(TOKEN), "OptimismPortal: cannot send messages to the gas paying token");

        bytes32 outputRoot = L2_ORACLE.getL2Output(_l2OutputIndex).outputRoot;
        require(
            outputRoot == Hashing.hashOutputRootProof(_outputRootProof), "OptimismPortal: invalid output root proof"
        );

        bytes32 withdrawalHash = Hashing.hashWithdrawal(_tx);
        ProvenWithdrawal memory proven = provenWithdrawals[withdrawalHash];
        // Re-proving is allowed only if the output it was proven against has since been replaced.
        require(
            proven.timestamp == 0
                || L2_ORACLE.getL2Output(proven.l2OutputIndex).outputRoot != proven.outputRoot,
            "OptimismPortal: withdrawal hash has already been proven"
        );

        bytes32 storageKey = keccak256(abi.encode(withdrawalHash, uint256(0)));
        require(
            TrieProof.verify(
                hex"01",
                _outputRootProof.messagePasserStorageRoot,
                abi.encodePacked(keccak256(abi.encodePacked(storageKey))),
                _withdrawalProof
            ),
            "OptimismPortal: invalid withdrawal inclusion proof"
        );

        provenWithdrawals[withdrawalHash] = ProvenWithdrawal({
            outputRoot: outputRoot,
            timestamp: uint128(block.timestamp),
            l2OutputIndex: uint128(_l2OutputIndex)
        });
        emit WithdrawalProven(withdrawalHash, _tx.sender, _tx.target);
    }

    /// @notice Finalizes a proven withdrawal after the finalization period: transfers `value` BAI to the
    ///         target, then (if `data` is non-empty) calls it with at least `gasLimit` gas. The withdrawal
    ///         is final even if the call fails (the BAI transfer stands).
    /// @param _tx The withdrawal.
    function finalizeWithdrawalTransaction(Types.WithdrawalTransaction calldata _tx)
        external
        whenNotPaused
        nonReentrant
    {
        require(l2Sender == DEFAULT_L2_SENDER, "OptimismPortal: can only trigger one withdrawal per transaction");
        bytes32 withdrawalHash = Hashing.hashWithdrawal(_tx);
        ProvenWithdrawal memory proven = provenWithdrawals[withdrawalHash];
        require(proven.timestamp != 0, "OptimismPortal: withdrawal has not been proven yet");
        require(
            proven.timestamp >= L2_ORACLE.startingTimestamp(),
            "OptimismPortal: withdrawal timestamp less than L2 Oracle starting timestamp"
        );
        require(
            _isFinalizationPeriodElapsed(proven.timestamp),
            "OptimismPortal: proven withdrawal finalization period has not elapsed"
        );
        Types.OutputProposal memory proposal = L2_ORACLE.getL2Output(proven.l2OutputIndex);
        require(
            proposal.outputRoot == proven.outputRoot,
            "OptimismPortal: output root proven is not the same as current output root"
        );
        require(
            _isFinalizationPeriodElapsed(proposal.timestamp),
            "OptimismPortal: output proposal finalization period has not elapsed"
        );
        require(!finalizedWithdrawals[withdrawalHash], "OptimismPortal: withdrawal has already been finalized");

        finalizedWithdrawals[withdrawalHash] = true;
        totalWithdrawn += _tx.value;

        bool success = true;
        if (_tx.value != 0) TOKEN.safeTransfer(_tx.target, _tx.value);
        if (_tx.data.length != 0) {
            if (gasleft() < (_tx.gasLimit * 64) / 63 + CALL_GAS_BUFFER) revert InsufficientGas();
            l2Sender = _tx.sender;
            success = _callNoReturnData(_tx.target, _tx.gasLimit, _tx.data);
            l2Sender = DEFAULT_L2_SENDER;
        }
        emit WithdrawalFinalized(withdrawalHash, success);
    }

    /// @notice Whether the finalization period has passed since `_timestamp`.
    /// @param _timestamp Timestamp.
    /// @return True if elapsed.
    function isOutputFinalized(uint256 _timestamp) external view returns (bool) {
        return _isFinalizationPeriodElapsed(_timestamp);
    }

    /// @dev Calls without copying return data (no return-bomb on the portal).
    function _callNoReturnData(address target, uint256 gasLimit, bytes memory data) private returns (bool success) {
        assembly {
            success := call(gasLimit, target, 0, add(data, 32), mload(data), 0, 0)
        }
    }

    function _isFinalizationPeriodElapsed(uint256 _timestamp) private view returns (bool) {
        return block.timestamp > _timestamp + L2_ORACLE.FINALIZATION_PERIOD_SECONDS();
    }

    function _deposit(
        address _to,
        uint256 _mint,
        uint256 _value,
        uint64 _gasLimit,
        bool _isCreation,
        bytes calldata _data
    ) private {
        if (_isCreation && _to != address(0)) revert BadTarget();
        if (_data.length > MAX_DEPOSIT_DATA) revert LargeCalldata();
        if (_gasLimit < minimumGasLimit(uint64(_data.length))) revert SmallGasLimit();
        if (_gasLimit > MAX_DEPOSIT_GAS_LIMIT) revert LargeGasLimit();

        address from = msg.sender;
        if (!_isSenderEOA()) from = AddressAliasHelper.applyL1ToL2Alias(msg.sender);

        bytes memory opaqueData = abi.encodePacked(_mint, _value, _gasLimit, _isCreation, _data);
        emit TransactionDeposited(from, _to, DEPOSIT_VERSION, opaqueData);
    }

    /// @dev EOA: direct call from the transaction origin, or an EIP-7702 delegated EOA (0xef0100 ‖ address).
    function _isSenderEOA() private view returns (bool) {
        if (msg.sender == tx.origin) return true;
        address sender = msg.sender;
        if (sender.code.length != 23) return false;
        bytes3 prefix;
        assembly {
            let ptr := mload(0x40)
            extcodecopy(sender, ptr, 0, 3)
            prefix := mload(ptr)
        }
        return prefix == bytes3(0xef0100);
    }
}
