// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Types} from "../libraries/Types.sol";
import {Hashing} from "../libraries/Hashing.sol";
import {Encoding} from "../libraries/Encoding.sol";
import {Predeploys} from "../libraries/Predeploys.sol";

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

    /// @notice The L1 portal (slot 2; appended): withdrawals to it are refused, the portal refuses to prove them.
    address public l1Portal;
    /// @notice The L1 BAI token (slot 3; appended): withdrawals to it are refused, the portal refuses to prove them.
    address public l1Token;

    /// @notice Largest withdrawal gas limit: the portal needs `gasLimit × 64/63 + 40,000` gas left inside one L1
    ///         transaction, and an L1 transaction gets at most 2^24 gas (EIP-7825), so a larger limit with
    ///         calldata could never finalize.
    uint256 public constant MAX_GAS_LIMIT = 15_000_000;

    /// @notice The withdrawal could never be finalized on L1 (target 0, the portal, the token, or a gas
    ///         limit above {MAX_GAS_LIMIT}); nothing was burnt.
    error UnfinalizableWithdrawal(address target, uint256 gasLimit);
    /// @notice Only the depositor account (system transactions) may do this.
    error NotDepositor();

    /// @notice The L1 contracts withdrawals may not target were set.
    /// @param portal L1 portal.
    /// @param token L1 BAI token.
    event L1ContractsSet(address portal, address token);

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

    /// @notice Records the L1 portal and token addresses, which withdrawals may not target (depositor only:
    ///         the genesis or a system deposit sets them).
    /// @param _portal L1 portal.
    /// @param _token L1 BAI token.
    function setL1Contracts(address _portal, address _token) external {
        if (msg.sender != Predeploys.DEPOSITOR_ACCOUNT) revert NotDepositor();
        l1Portal = _portal;
        l1Token = _token;
        emit L1ContractsSet(_portal, _token);
    }

    /// @notice Initiates a withdrawal to L1. Refuses ({UnfinalizableWithdrawal}) target 0, the L1 portal, the
    ///         L1 token and gas limits above {MAX_GAS_LIMIT}: the portal could never finalize them.
    /// @param _target L1 address to call / pay.
    /// @param _gasLimit Minimum gas the L1 call must get.
    /// @param _data Calldata for the L1 call.
    function initiateWithdrawal(address _target, uint256 _gasLimit, bytes memory _data) public payable {
        if (
            _target == address(0) || _gasLimit > MAX_GAS_LIMIT
                || (_target == l1Portal) || (_target == l1Token)
        ) revert UnfinalizableWithdrawal(_target, _gasLimit);
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
