// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

/// @title SystemConfig
/// @notice L1 source of the rollup's system parameters, read by the node's derivation from
///         `ConfigUpdate` logs exactly like OP's SystemConfig: batcher (batcherHash), L2 gas limit,
///         Ecotone fee scalars, operator fee, unsafe block signer; plus the batch inbox address and the
///         addresses of the other L1 contracts.
///         Every setter is owner-only (after the governance hand-over the owner is the timelock) and every
///         value it takes is bounded here, so not even the owner can set an unsafe one: gas limit within
///         [MINIMUM_GAS_LIMIT, MAXIMUM_GAS_LIMIT], a non-zero batcher that is a left-padded address, Ecotone
///         scalars ≤ MAX_FEE_SCALAR, operator fee constant ≤ MAX_OPERATOR_FEE_CONSTANT.
contract SystemConfig is Ownable2Step {
    /// @notice Kinds of update (OP numbering).
    enum UpdateType {
        BATCHER,
        FEE_SCALARS,
        GAS_LIMIT,
        UNSAFE_BLOCK_SIGNER,
        EIP_1559_PARAMS,
        OPERATOR_FEE_PARAMS
    }

    /// @notice Version of the ConfigUpdate event data.
    uint256 public constant VERSION = 0;
    /// @notice Lowest L2 gas limit (system deposits need 1M + deposits' 20M).
    uint64 public constant MINIMUM_GAS_LIMIT = 21_000_000;
    /// @notice Highest L2 gas limit.
    uint64 public constant MAXIMUM_GAS_LIMIT = 500_000_000;
    /// @notice Highest Ecotone base fee / blob base fee scalar (each): 1e6 charges the full L1 price of a
    ///         byte (calldata, resp. blob gas), so this caps the L1 data fee at 10× that price.
    uint32 public constant MAX_FEE_SCALAR = 10_000_000;
    /// @notice Highest Isthmus operator fee constant: 0.01 BAI (wei) added to every L2 transaction's fee.
    ///         (The operator fee scalar needs no bound beyond its uint32 type: at most ~4,295 wei per gas.)
    uint64 public constant MAX_OPERATOR_FEE_CONSTANT = 1e16;

    /// @notice Semantic version.
    string public constant version = "2.3.0";

    /// @notice Batcher address, left-padded to bytes32.
    bytes32 public batcherHash;
    /// @notice L2 block gas limit.
    uint64 public gasLimit;
    /// @notice Ecotone base fee scalar.
    uint32 public basefeeScalar;
    /// @notice Ecotone blob base fee scalar.
    uint32 public blobbasefeeScalar;
    /// @notice Isthmus operator fee scalar.
    uint32 public operatorFeeScalar;
    /// @notice Isthmus operator fee constant.
    uint64 public operatorFeeConstant;
    /// @notice Legacy fee overhead (0 since Ecotone).
    uint256 public overhead;
    /// @notice Versioned packed scalar: (0x01 << 248) | (blobbasefeeScalar << 32) | basefeeScalar.
    uint256 public scalar;
    /// @notice Address the sequencer's unsafe blocks are signed by (optional).
    address public unsafeBlockSigner;
    /// @notice Address batches are sent to.
    address public immutable batchInbox;
    /// @notice L1 block at which the rollup starts (derivation starts here).
    uint256 public immutable startBlock;
    /// @notice The portal.
    address public optimismPortal;
    /// @notice The output oracle.
    address public l2OutputOracle;
    /// @notice The L1 BAI token (the L2 gas paying token).
    address public gasPayingToken;

    /// @notice Gas limit outside [MINIMUM_GAS_LIMIT, MAXIMUM_GAS_LIMIT].
    error InvalidGasLimit(uint64 gasLimit);
    /// @notice Batcher hash is zero or not a left-padded address (upper 12 bytes non-zero).
    error InvalidBatcherHash(bytes32 batcherHash);
    /// @notice An Ecotone scalar above MAX_FEE_SCALAR.
    error InvalidFeeScalars(uint32 basefeeScalar, uint32 blobbasefeeScalar);
    /// @notice Operator fee constant above MAX_OPERATOR_FEE_CONSTANT.
    error InvalidOperatorFee(uint32 operatorFeeScalar, uint64 operatorFeeConstant);
    /// @notice Zero address.
    error ZeroAddress();
    /// @notice Addresses already set.
    error AlreadySet();

    /// @notice Emitted on every change (OP format).
    /// @param version Event data version (0).
    /// @param updateType What changed.
    /// @param data ABI-encoded new value(s).
    event ConfigUpdate(uint256 indexed version, UpdateType indexed updateType, bytes data);

    /// @notice Emitted once when the L1 contract addresses are set.
    /// @param portal Portal.
    /// @param oracle Output oracle.
    /// @param token BAI token.
    event AddressesSet(address portal, address oracle, address token);

    /// @notice Initial configuration (emits the initial ConfigUpdate events).
    /// @param _owner Owner (system config admin).
    /// @param _batcher Batcher address.
    /// @param _gasLimit L2 gas limit.
    /// @param _basefeeScalar Ecotone base fee scalar.
    /// @param _blobbasefeeScalar Ecotone blob base fee scalar.
    /// @param _batchInbox Batch inbox.
    /// @param _unsafeBlockSigner Unsafe block signer (may be zero).
    constructor(
        address _owner,
        address _batcher,
        uint64 _gasLimit,
        uint32 _basefeeScalar,
        uint32 _blobbasefeeScalar,
        address _batchInbox,
        address _unsafeBlockSigner
    ) Ownable(_owner) {
        if (_batchInbox == address(0)) revert ZeroAddress();
        batchInbox = _batchInbox;
        startBlock = block.number;
        _setBatcherHash(bytes32(uint256(uint160(_batcher))));
        _setGasLimit(_gasLimit);
        _setGasConfigEcotone(_basefeeScalar, _blobbasefeeScalar);
        _setUnsafeBlockSigner(_unsafeBlockSigner);
    }

    /// @notice Records the other L1 contracts (once, by the owner; the deployer wires them).
    /// @param _portal Portal.
    /// @param _oracle Output oracle.
    /// @param _token BAI token.
    function setAddresses(address _portal, address _oracle, address _token) external onlyOwner {
        if (optimismPortal != address(0)) revert AlreadySet();
        if (_portal == address(0) || _oracle == address(0) || _token == address(0)) revert ZeroAddress();
        optimismPortal = _portal;
        l2OutputOracle = _oracle;
        gasPayingToken = _token;
        emit AddressesSet(_portal, _oracle, _token);
    }

    /// @notice Changes the batcher.
    /// @param _batcherHash New batcher hash (a non-zero address, left-padded; else `InvalidBatcherHash`).
    function setBatcherHash(bytes32 _batcherHash) external onlyOwner {
        _setBatcherHash(_batcherHash);
    }

    /// @notice Changes the L2 gas limit.
    /// @param _gasLimit New gas limit, within [MINIMUM_GAS_LIMIT, MAXIMUM_GAS_LIMIT] (else `InvalidGasLimit`).
    function setGasLimit(uint64 _gasLimit) external onlyOwner {
        _setGasLimit(_gasLimit);
    }

    /// @notice Changes the Ecotone fee scalars (each ≤ MAX_FEE_SCALAR, else `InvalidFeeScalars`).
    /// @param _basefeeScalar Base fee scalar.
    /// @param _blobbasefeeScalar Blob base fee scalar.
    function setGasConfigEcotone(uint32 _basefeeScalar, uint32 _blobbasefeeScalar) external onlyOwner {
        _setGasConfigEcotone(_basefeeScalar, _blobbasefeeScalar);
    }

    /// @notice Changes the Isthmus operator fee parameters.
    /// @param _operatorFeeScalar Scalar.
    /// @param _operatorFeeConstant Constant (≤ MAX_OPERATOR_FEE_CONSTANT, else `InvalidOperatorFee`).
    function setOperatorFeeScalars(uint32 _operatorFeeScalar, uint64 _operatorFeeConstant) external onlyOwner {
        if (_operatorFeeConstant > MAX_OPERATOR_FEE_CONSTANT) {
            revert InvalidOperatorFee(_operatorFeeScalar, _operatorFeeConstant);
        }
        operatorFeeScalar = _operatorFeeScalar;
        operatorFeeConstant = _operatorFeeConstant;
        emit ConfigUpdate(
            VERSION,
            UpdateType.OPERATOR_FEE_PARAMS,
            abi.encode((uint256(_operatorFeeScalar) << 64) | uint256(_operatorFeeConstant))
        );
    }

    /// @notice Changes the unsafe block signer.
    /// @param _unsafeBlockSigner New signer (may be zero).
    function setUnsafeBlockSigner(address _unsafeBlockSigner) external onlyOwner {
        _setUnsafeBlockSigner(_unsafeBlockSigner);
    }

    /// @notice The batcher address.
    /// @return The batcher.
    function batcher() external view returns (address) {
        return address(uint160(uint256(batcherHash)));
    }

    /// @notice Lowest allowed L2 gas limit.
    /// @return The limit.
    function minimumGasLimit() external pure returns (uint64) {
        return MINIMUM_GAS_LIMIT;
    }

    /// @notice Highest allowed L2 gas limit.
    /// @return The limit.
    function maximumGasLimit() external pure returns (uint64) {
        return MAXIMUM_GAS_LIMIT;
    }

    function _setBatcherHash(bytes32 _batcherHash) private {
        if (_batcherHash == bytes32(0) || uint256(_batcherHash) >> 160 != 0) revert InvalidBatcherHash(_batcherHash);
        batcherHash = _batcherHash;
        emit ConfigUpdate(VERSION, UpdateType.BATCHER, abi.encode(_batcherHash));
    }

    function _setGasLimit(uint64 _gasLimit) private {
        if (_gasLimit < MINIMUM_GAS_LIMIT || _gasLimit > MAXIMUM_GAS_LIMIT) revert InvalidGasLimit(_gasLimit);
        gasLimit = _gasLimit;
        emit ConfigUpdate(VERSION, UpdateType.GAS_LIMIT, abi.encode(_gasLimit));
    }

    function _setGasConfigEcotone(uint32 _basefeeScalar, uint32 _blobbasefeeScalar) private {
        if (_basefeeScalar > MAX_FEE_SCALAR || _blobbasefeeScalar > MAX_FEE_SCALAR) {
            revert InvalidFeeScalars(_basefeeScalar, _blobbasefeeScalar);
        }
        basefeeScalar = _basefeeScalar;
        blobbasefeeScalar = _blobbasefeeScalar;
        overhead = 0;
        scalar = (uint256(0x01) << 248) | (uint256(_blobbasefeeScalar) << 32) | uint256(_basefeeScalar);
        emit ConfigUpdate(VERSION, UpdateType.FEE_SCALARS, abi.encode(overhead, scalar));
    }

    function _setUnsafeBlockSigner(address _unsafeBlockSigner) private {
        unsafeBlockSigner = _unsafeBlockSigner;
        emit ConfigUpdate(VERSION, UpdateType.UNSAFE_BLOCK_SIGNER, abi.encode(_unsafeBlockSigner));
    }
}
