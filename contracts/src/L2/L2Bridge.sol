// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Predeploys} from "../libraries/Predeploys.sol";
import {L2ToL1MessagePasser} from "./L2ToL1MessagePasser.sol";

/// @title L2Bridge
/// @notice Predeploy at 0x4200…0010: the L2 side of the BAI bridge. Deposits need no L2 contract (the
///         deposit transaction's `mint` credits native BAI directly); this contract is the friendly
///         entry point for withdrawing native BAI back to ERC-20 BAI on L1. It forwards to the
///         L2ToL1MessagePasser, so the withdrawal's `sender` is this bridge and its `target` is the
///         L1 recipient (the L1 portal transfers the ERC-20 BAI to `target`).
contract L2Bridge {
    /// @notice Default L1 gas limit of a plain withdrawal.
    uint32 public constant DEFAULT_GAS_LIMIT = 100_000;

    /// @notice Semantic version.
    string public constant version = "1.0.0";

    /// @notice Nothing to withdraw.
    error ZeroValue();
    /// @notice The recipient is the zero address.
    error ZeroRecipient();

    /// @notice Emitted when a withdrawal is initiated.
    /// @param from L2 account that paid.
    /// @param to L1 recipient.
    /// @param amount Amount of BAI.
    /// @param extraData Opaque data echoed for indexers.
    event WithdrawalInitiated(address indexed from, address indexed to, uint256 amount, bytes extraData);

    /// @notice A plain transfer withdraws to the same address on L1.
    receive() external payable {
        _withdraw(msg.sender, DEFAULT_GAS_LIMIT, "");
    }

    /// @notice Withdraws `msg.value` native BAI to `_to` on L1.
    /// @param _to L1 recipient.
    /// @param _minGasLimit Gas limit of the L1 leg (at least {DEFAULT_GAS_LIMIT} is used).
    /// @param _extraData Opaque data echoed in the event.
    function withdrawTo(address _to, uint32 _minGasLimit, bytes calldata _extraData) external payable {
        _withdraw(_to, _minGasLimit, _extraData);
    }

    function _withdraw(address _to, uint32 _minGasLimit, bytes memory _extraData) private {
        if (msg.value == 0) revert ZeroValue();
        if (_to == address(0)) revert ZeroRecipient();
        uint256 gasLimit = _minGasLimit < DEFAULT_GAS_LIMIT ? DEFAULT_GAS_LIMIT : _minGasLimit;
        emit WithdrawalInitiated(msg.sender, _to, msg.value, _extraData);
        L2ToL1MessagePasser(payable(Predeploys.L2_TO_L1_MESSAGE_PASSER)).initiateWithdrawal{value: msg.value}(
            _to, gasLimit, bytes("")
        );
    }
}
