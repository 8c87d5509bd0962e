// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Types} from "../libraries/Types.sol";
import {Hashing} from "../libraries/Hashing.sol";
import {Encoding} from "../libraries/Encoding.sol";

/// @title Burner
/// @notice Destroys the native BAI it is created with (SELFDESTRUCT to itself in the creating transaction).
contract Burner {
    /// @notice Receives value and burns it.
    constructor() payable {
        selfdestruct(payable(address(this)));
    }
}

/// @title L2ToL1MessagePasser
/// @notice Predeploy at 0x4200…0016 where withdrawals to L1 are initiated. Identical in ABI and storage
///         to OP's contract so that viem's withdrawal actions and the L1 portal's storage proof work:
///         `sentMessages` is at slot 0, so a withdrawal `hash` is provable at
///         `keccak256(abi.encode(hash, uint256(0)))` in this account's storage trie (value 1).
/// @dev Withdrawn native BAI stays in this contract until anyone calls {burn}.
contract L2ToL1MessagePasser {
    /// @notice Gas limit given to withdrawals created by a plain transfer to this contract.
    uint256 internal constant RECEIVE_DEFAULT_GAS_LIMIT = 100_000;

    /// @notice Version stored in the top two bytes of every withdrawal nonce.
    uint16 public constant MESSAGE_VERSION = 1;

    /// @notice Withdrawal hashes that were initiated here (slot 0).
    mapping(bytes32 => bool) public sentMessages;

    /// @notice Unversioned nonce of the next withdrawal (slot 1).
    uint240 internal msgNonce;

    /// @notice Semantic version.
    string public constant version = "1.1.0+bai";

    /// @notice Emitted for every withdrawal initiated.
    /// @param nonce Versioned nonce.
    /// @param sender L2 sender.
    /// @param target L1 target.
    /// @param value Native BAI withdrawn (paid out as ERC-20 BAI by the L1 portal).
    /// @param gasLimit Minimum gas for the L1 call.
    /// @param data L1 calldata.
    /// @param withdrawalHash Hashing.hashWithdrawal of the above.
    event MessagePassed(
        uint256 indexed nonce,
        address indexed sender,
        address indexed target,
        uint256 value,
        uint256 gasLimit,
        bytes data,
        bytes32 withdrawalHash
    );

    /// @notice Emitted when the withdrawn balance is burnt.
    /// @param amount Amount burnt.
    event WithdrawerBalanceBurnt(uint256 indexed amount);

    /// @notice A plain transfer withdraws the value to the same address on L1.
    receive() external payable {
        initiateWithdrawal(msg.sender, RECEIVE_DEFAULT_GAS_LIMIT, bytes(""));
    }

    /// @notice Burns all native BAI held here (it is backed by ERC-20 BAI released on L1).
    function burn() external {
        uint256 balance = address(this).balance;
        new Burner{value: balance}();
        emit WithdrawerBalanceBurnt(balance);
    }

    /// @notice Initiates a withdrawal to L1.
    /// @param _target L1 address to call / pay.
    /// @param _gasLimit Minimum gas the L1 call must get.
    /// @param _data Calldata for the L1 call.
    function initiateWithdrawal(address _target, uint256 _gasLimit, bytes memory _data) public payable {
        bytes32 withdrawalHash = Hashing.hashWithdrawal(
            Types.WithdrawalTransaction({
                nonce: messageNonce(),
                sender: msg.sender,
                target: _target,
                value: msg.value,
                gasLimit: _gasLimit,
                data: _data
            })
        );

        sentMessages[withdrawalHash] = true;

        emit MessagePassed(messageNonce(), msg.sender, _target, msg.value, _gasLimit, _data, withdrawalHash);

        unchecked {
            ++msgNonce;
        }
    }

    /// @notice The next withdrawal nonce, with {MESSAGE_VERSION} in the top two bytes.
    /// @return The versioned nonce.
    function messageNonce() public view returns (uint256) {
        return Encoding.encodeVersionedNonce(msgNonce, MESSAGE_VERSION);
    }
}
