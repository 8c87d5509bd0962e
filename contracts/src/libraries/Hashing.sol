// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Types} from "./Types.sol";

/// @title Hashing
/// @notice OP-compatible hashes of withdrawals and output roots.
library Hashing {
    /// @notice Withdrawal hash = keccak256(abi.encode(nonce, sender, target, value, gasLimit, data)).
    function hashWithdrawal(Types.WithdrawalTransaction memory _tx) internal pure returns (bytes32) {
        return keccak256(abi.encode(_tx.nonce, _tx.sender, _tx.target, _tx.value, _tx.gasLimit, _tx.data));
    }

    /// @notice Output root (version 0) = keccak256(version ++ stateRoot ++ messagePasserStorageRoot ++ blockHash).
    function hashOutputRootProof(Types.OutputRootProof memory _proof) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(_proof.version, _proof.stateRoot, _proof.messagePasserStorageRoot, _proof.latestBlockhash)
        );
    }
}
