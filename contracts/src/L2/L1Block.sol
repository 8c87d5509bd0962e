// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Predeploys} from "../libraries/Predeploys.sol";

/// @title L1Block
/// @notice Predeploy at 0x4200…0015 holding the attributes of the latest known L1 block. The sequencer
///         writes them with the first (system deposit) transaction of every L2 block.
/// @dev STORAGE LAYOUT IS CONSENSUS-CRITICAL: op-revm reads the L1 fee parameters directly from these
///      slots, so the declaration order below must match OP's L1Block exactly:
///        slot 0: number (uint64, bytes 0-7) | timestamp (uint64, bytes 8-15)
///        slot 1: basefee             slot 2: hash
///        slot 3: sequenceNumber (uint64) | blobBaseFeeScalar (uint32) | baseFeeScalar (uint32)
///        slot 4: batcherHash         slot 5: l1FeeOverhead   slot 6: l1FeeScalar   slot 7: blobBaseFee
///        slot 8: operatorFeeConstant (uint64) | operatorFeeScalar (uint32)
///      (byte offsets counted from the least significant end of the slot).
///      No events are emitted: this runs once per L2 block as a system transaction (OP parity).
contract L1Block {
    /// @notice Thrown when a setter is called by anyone but the depositor account.
    error NotDepositor();

    /// @notice L1 block number.
    uint64 public number;
    /// @notice L1 block timestamp.
    uint64 public timestamp;
    /// @notice L1 base fee.
    uint256 public basefee;
    /// @notice L1 block hash.
    bytes32 public hash;
    /// @notice Number of L2 blocks since the start of the epoch (0 at the first block of an epoch).
    uint64 public sequenceNumber;
    /// @notice Scalar applied to the L1 blob base fee (Ecotone).
    uint32 public blobBaseFeeScalar;
    /// @notice Scalar applied to the L1 base fee (Ecotone).
    uint32 public baseFeeScalar;
    /// @notice Versioned hash of the batcher authorised to post batches.
    bytes32 public batcherHash;
    /// @notice Pre-Ecotone fee overhead.
    uint256 public l1FeeOverhead;
    /// @notice Pre-Ecotone fee scalar.
    uint256 public l1FeeScalar;
    /// @notice L1 blob base fee.
    uint256 public blobBaseFee;
    /// @notice Operator fee constant (Isthmus).
    uint64 public operatorFeeConstant;
    /// @notice Operator fee scalar (Isthmus).
    uint32 public operatorFeeScalar;

    /// @notice Semantic version.
    string public constant version = "1.6.0+bai";

    /// @notice The system account allowed to set the L1 attributes.
    /// @return The depositor account address.
    function DEPOSITOR_ACCOUNT() external pure returns (address) {
        return Predeploys.DEPOSITOR_ACCOUNT;
    }

    /// @notice Name of the native gas token.
    /// @return "Balance AI".
    function gasPayingTokenName() external pure returns (string memory) {
        return "Balance AI";
    }

    /// @notice Symbol of the native gas token.
    /// @return "BAI".
    function gasPayingTokenSymbol() external pure returns (string memory) {
        return "BAI";
    }

    /// @notice BAI is a custom gas token (not ETH).
    /// @return Always true.
    function isCustomGasToken() external pure returns (bool) {
        return true;
    }

    /// @notice Pre-Ecotone (Bedrock) setter with ABI-encoded arguments.
    /// @param _number L1 block number.
    /// @param _timestamp L1 timestamp.
    /// @param _basefee L1 base fee.
    /// @param _hash L1 block hash.
    /// @param _sequenceNumber Sequence number in the epoch.
    /// @param _batcherHash Batcher versioned hash.
    /// @param _l1FeeOverhead Legacy overhead.
    /// @param _l1FeeScalar Legacy scalar.
    function setL1BlockValues(
        uint64 _number,
        uint64 _timestamp,
        uint256 _basefee,
        bytes32 _hash,
        uint64 _sequenceNumber,
        bytes32 _batcherHash,
        uint256 _l1FeeOverhead,
        uint256 _l1FeeScalar
    ) external {
        if (msg.sender != Predeploys.DEPOSITOR_ACCOUNT) revert NotDepositor();
        number = _number;
        timestamp = _timestamp;
        basefee = _basefee;
        hash = _hash;
        sequenceNumber = _sequenceNumber;
        batcherHash = _batcherHash;
        l1FeeOverhead = _l1FeeOverhead;
        l1FeeScalar = _l1FeeScalar;
    }

    /// @notice Ecotone setter (selector 0x440a5e20). Arguments are tightly packed in calldata:
    ///         baseFeeScalar u32 [4..8), blobBaseFeeScalar u32 [8..12), sequenceNumber u64 [12..20),
    ///         timestamp u64 [20..28), number u64 [28..36), basefee [36..68), blobBaseFee [68..100),
    ///         hash [100..132), batcherHash [132..164).
    function setL1BlockValuesEcotone() external {
        _setEcotone();
    }

    /// @notice Isthmus setter (selector 0x098999be): the Ecotone payload followed by
    ///         operatorFeeScalar u32 [164..168) and operatorFeeConstant u64 [168..176).
    function setL1BlockValuesIsthmus() external {
        _setEcotone();
        assembly {
            // [164..176) = operatorFeeScalar(4) | operatorFeeConstant(8): constant lands in the low
            // 8 bytes of slot 8, the scalar in the next 4 bytes, exactly the declared packing.
            sstore(operatorFeeConstant.slot, shr(160, calldataload(164)))
        }
    }

    function _setEcotone() private {
        address depositor = Predeploys.DEPOSITOR_ACCOUNT;
        assembly {
            if xor(caller(), depositor) {
                mstore(0x00, 0x3cc50b45) // NotDepositor()
                revert(0x1C, 0x04)
            }
            // [4..20) = baseFeeScalar | blobBaseFeeScalar | sequenceNumber -> slot 3 (low 16 bytes)
            sstore(sequenceNumber.slot, shr(128, calldataload(4)))
            // [20..36) = timestamp | number -> slot 0 (low 16 bytes)
            sstore(number.slot, shr(128, calldataload(20)))
            sstore(basefee.slot, calldataload(36))
            sstore(blobBaseFee.slot, calldataload(68))
            sstore(hash.slot, calldataload(100))
            sstore(batcherHash.slot, calldataload(132))
        }
    }
}
