// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title Types
/// @notice Structs shared by the bridge contracts (field order matches OP's `Types` library).
library Types {
    /// @notice An L2 output proposal as stored by the L2OutputOracle.
    struct OutputProposal {
        bytes32 outputRoot;
        uint128 timestamp;
        uint128 l2BlockNumber;
    }

    /// @notice Preimage of an output root (version 0).
    struct OutputRootProof {
        bytes32 version;
        bytes32 stateRoot;
        bytes32 messagePasserStorageRoot;
        bytes32 latestBlockhash;
    }

    /// @notice A withdrawal initiated on L2 through the L2ToL1MessagePasser.
    struct WithdrawalTransaction {
        uint256 nonce;
        address sender;
        address target;
        uint256 value;
        uint256 gasLimit;
        bytes data;
    }
}
