// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {Predeploys} from "../libraries/Predeploys.sol";
import {L2ToL1MessagePasser} from "./L2ToL1MessagePasser.sol";

/// @title FeeVault
/// @notice Accumulates one kind of L2 fee (paid in native BAI by the execution layer) and lets anyone
///         sweep it to the configured recipient once the balance reaches the minimum, either on L2 or
///         to L1 through the L2ToL1MessagePasser.
abstract contract FeeVault is Ownable2Step, Initializable {
    /// @notice Where swept fees go.
    enum WithdrawalNetwork {
        L1,
        L2
    }

    /// @notice Gas limit of the L1 leg of a sweep to L1.
    uint32 public constant WITHDRAWAL_MIN_GAS = 400_000;

    /// @notice Recipient of the swept fees.
    address public recipient;
    /// @notice Minimum balance before a sweep is allowed.
    uint256 public minWithdrawalAmount;
    /// @notice Network the fees are swept to.
    WithdrawalNetwork public withdrawalNetwork;
    /// @notice Total swept so far.
    uint256 public totalProcessed;

    /// @notice The balance is below {minWithdrawalAmount}.
    error BelowMinimum(uint256 balance, uint256 minimum);
    /// @notice A zero recipient was given.
    error ZeroRecipient();
    /// @notice Sending the fees to the recipient on L2 failed.
    error TransferFailed();

    /// @notice Emitted on every sweep.
    /// @param value Amount swept.
    /// @param to Recipient.
    /// @param from Caller.
    /// @param withdrawalNetwork Network swept to.
    event Withdrawal(uint256 value, address to, address from, WithdrawalNetwork withdrawalNetwork);
    /// @notice Emitted when the configuration changes.
    /// @param recipient New recipient.
    /// @param minWithdrawalAmount New minimum.
    /// @param withdrawalNetwork New network.
    event ConfigUpdated(address recipient, uint256 minWithdrawalAmount, WithdrawalNetwork withdrawalNetwork);

    constructor() Ownable(msg.sender) {}

    /// @notice Genesis initialiser (the predeploy's code is placed without running the constructor).
    /// @param _owner Admin allowed to change the configuration.
    /// @param _recipient Fee recipient.
    /// @param _minWithdrawalAmount Minimum sweep.
    /// @param _network Network to sweep to.
    function initialize(address _owner, address _recipient, uint256 _minWithdrawalAmount, WithdrawalNetwork _network)
        external
        initializer
    {
        _transferOwnership(_owner);
        _setConfig(_recipient, _minWithdrawalAmount, _network);
    }

    /// @notice Accepts fees (the execution layer credits balances directly; transfers are accepted too).
    receive() external payable {}

    /// @notice Changes the sweep configuration.
    /// @param _recipient Fee recipient.
    /// @param _minWithdrawalAmount Minimum sweep.
    /// @param _network Network to sweep to.
    function setConfig(address _recipient, uint256 _minWithdrawalAmount, WithdrawalNetwork _network)
        external
        onlyOwner
    {
        _setConfig(_recipient, _minWithdrawalAmount, _network);
    }

    /// @notice Sweeps the whole balance to the recipient.
    /// @return value The amount swept.
    function withdraw() external returns (uint256 value) {
        value = address(this).balance;
        if (value < minWithdrawalAmount) revert BelowMinimum(value, minWithdrawalAmount);
        totalProcessed += value;
        address to = recipient;
        WithdrawalNetwork network = withdrawalNetwork;
        emit Withdrawal(value, to, msg.sender, network);
        if (network == WithdrawalNetwork.L2) {
            (bool ok,) = to.call{value: value}("");
            if (!ok) revert TransferFailed();
        } else {
            L2ToL1MessagePasser(payable(Predeploys.L2_TO_L1_MESSAGE_PASSER)).initiateWithdrawal{value: value}(
                to, WITHDRAWAL_MIN_GAS, bytes("")
            );
        }
    }

    function _setConfig(address _recipient, uint256 _minWithdrawalAmount, WithdrawalNetwork _network) internal {
        if (_recipient == address(0)) revert ZeroRecipient();
        recipient = _recipient;
        minWithdrawalAmount = _minWithdrawalAmount;
        withdrawalNetwork = _network;
        emit ConfigUpdated(_recipient, _minWithdrawalAmount, _network);
    }
}

/// @title SequencerFeeVault
/// @notice Predeploy at 0x4200…0011: priority fees.
contract SequencerFeeVault is FeeVault {}

/// @title BaseFeeVault
/// @notice Predeploy at 0x4200…0019: base fees (not burnt on BalanceAI).
contract BaseFeeVault is FeeVault {}

/// @title L1FeeVault
/// @notice Predeploy at 0x4200…001A: L1 data fees.
contract L1FeeVault is FeeVault {}
