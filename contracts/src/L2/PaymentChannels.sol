// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title PaymentChannels
/// @notice Predeploy at 0x4200…0B03: unidirectional payment channels in native BAI for cheap
///         micropayments to model owners / inference operators (SingularityNET multi-party-escrow
///         style). A sender locks a deposit for a recipient until an expiration; off chain it signs
///         EIP-712 vouchers for the *cumulative* amount owed; the recipient claims the latest voucher
///         (or many channels in one batch) any time before expiration; after expiration the sender
///         reclaims what was not claimed.
contract PaymentChannels is EIP712, ReentrancyGuardTransient {
    /// @notice A channel.
    struct Channel {
        address sender;
        address recipient;
        uint64 expiration;
        uint256 deposit;
        uint256 claimed;
    }

    /// @notice EIP-712 type of a voucher.
    bytes32 public constant VOUCHER_TYPEHASH = keccak256("Voucher(uint256 channelId,uint256 cumulativeAmount)");

    /// @notice Channels by id.
    mapping(uint256 => Channel) public channels;
    /// @notice Next channel id.
    uint256 public nextChannelId;
    /// @notice Sum of (deposit − claimed) over open channels.
    uint256 public totalLocked;

    /// @notice Zero amount.
    error ZeroAmount();
    /// @notice Zero address.
    error ZeroAddress();
    /// @notice Expiration in the past or moving backwards.
    error BadExpiration();
    /// @notice Caller is not the channel's sender.
    error NotSender();
    /// @notice Caller is not the channel's recipient.
    error NotRecipient();
    /// @notice Channel expired.
    error ChannelExpired();
    /// @notice Channel not yet expired.
    error ChannelNotExpired();
    /// @notice Voucher amount not above what was claimed, or above the deposit.
    error BadAmount(uint256 cumulative, uint256 claimed, uint256 deposit);
    /// @notice Signature does not match the sender.
    error BadSignature();
    /// @notice Batch arrays differ.
    error LengthMismatch();
    /// @notice Native transfer failed.
    error TransferFailed();

    /// @notice A channel was opened.
    event ChannelOpened(uint256 indexed channelId, address indexed sender, address indexed recipient, uint256 deposit, uint64 expiration);
    /// @notice Funds added.
    event ChannelFunded(uint256 indexed channelId, uint256 amount, uint256 deposit);
    /// @notice Expiration extended.
    event ChannelExtended(uint256 indexed channelId, uint64 expiration);
    /// @notice A voucher was claimed.
    event Claimed(uint256 indexed channelId, address indexed recipient, uint256 cumulativeAmount, uint256 paid);
    /// @notice Unclaimed funds returned to the sender.
    event Reclaimed(uint256 indexed channelId, address indexed sender, uint256 amount);

    /// @notice Sets the EIP-712 domain ("BalanceAI PaymentChannels", "1").
    constructor() EIP712("BalanceAI PaymentChannels", "1") {}

    /// @notice Opens a channel to `recipient` funded with `msg.value`.
    /// @param recipient Payee.
    /// @param expiration Timestamp after which the sender may reclaim.
    /// @return id Channel id.
    function open(address recipient, uint64 expiration) external payable returns (uint256 id) {
        if (msg.value == 0) revert ZeroAmount();
        if (recipient == address(0)) revert ZeroAddress();
        if (expiration <= block.timestamp) revert BadExpiration();
        id = nextChannelId++;
        channels[id] = Channel({sender: msg.sender, recipient: recipient, expiration: expiration, deposit: msg.value, claimed: 0});
        totalLocked += msg.value;
        emit ChannelOpened(id, msg.sender, recipient, msg.value, expiration);
    }

    /// @notice Adds `msg.value` to a channel (sender only, before expiration).
    /// @param id Channel.
    function fund(uint256 id) external payable {
        Channel storage c = channels[id];
        if (c.sender != msg.sender) revert NotSender();
        if (msg.value == 0) revert ZeroAmount();
        if (block.timestamp >= c.expiration) revert ChannelExpired();
        c.deposit += msg.value;
        totalLocked += msg.value;
        emit ChannelFunded(id, msg.value, c.deposit);
    }

    /// @notice Extends a channel's expiration (sender only).
    /// @param id Channel.
    /// @param expiration New expiration (later than the current one).
    function extend(uint256 id, uint64 expiration) external {
        Channel storage c = channels[id];
        if (c.sender != msg.sender) revert NotSender();
        if (expiration <= c.expiration) revert BadExpiration();
        c.expiration = expiration;
        emit ChannelExtended(id, expiration);
    }

    /// @notice Claims a voucher (recipient only, before expiration).
    /// @param id Channel.
    /// @param cumulativeAmount Total owed so far, signed by the sender.
    /// @param signature Sender's EIP-712 signature (EOA or ERC-1271).
    /// @return paid Amount paid now.
    function claim(uint256 id, uint256 cumulativeAmount, bytes calldata signature)
        external
        nonReentrant
        returns (uint256 paid)
    {
        paid = _claim(id, cumulativeAmount, signature);
        _send(msg.sender, paid);
    }

    /// @notice Claims many vouchers and pays once (recipient of every channel).
    /// @param ids Channels.
    /// @param cumulativeAmounts Amounts.
    /// @param signatures Signatures.
    /// @return paid Total paid.
    function claimBatch(uint256[] calldata ids, uint256[] calldata cumulativeAmounts, bytes[] calldata signatures)
        external
        nonReentrant
        returns (uint256 paid)
    {
        uint256 n = ids.length;
        if (cumulativeAmounts.length != n || signatures.length != n) revert LengthMismatch();
        for (uint256 i = 0; i < n; ++i) {
            paid += _claim(ids[i], cumulativeAmounts[i], signatures[i]);
        }
        _send(msg.sender, paid);
    }

    /// @notice Returns unclaimed funds to the sender after expiration and closes the channel.
    /// @param id Channel.
    /// @return amount Amount returned.
    function reclaim(uint256 id) external nonReentrant returns (uint256 amount) {
        Channel storage c = channels[id];
        if (c.sender != msg.sender) revert NotSender();
        if (block.timestamp < c.expiration) revert ChannelNotExpired();
        amount = c.deposit - c.claimed;
        if (amount == 0) revert ZeroAmount();
        c.deposit = c.claimed;
        totalLocked -= amount;
        emit Reclaimed(id, msg.sender, amount);
        _send(msg.sender, amount);
    }

    /// @notice EIP-712 digest a sender signs for a voucher.
    /// @param id Channel.
    /// @param cumulativeAmount Total owed.
    /// @return The digest.
    function voucherDigest(uint256 id, uint256 cumulativeAmount) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(VOUCHER_TYPEHASH, id, cumulativeAmount)));
    }

    /// @notice The EIP-712 domain separator.
    /// @return The separator.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function _claim(uint256 id, uint256 cumulativeAmount, bytes calldata signature) private returns (uint256 paid) {
        Channel storage c = channels[id];
        if (c.recipient != msg.sender) revert NotRecipient();
        if (block.timestamp >= c.expiration) revert ChannelExpired();
        if (cumulativeAmount <= c.claimed || cumulativeAmount > c.deposit) {
            revert BadAmount(cumulativeAmount, c.claimed, c.deposit);
        }
        if (!SignatureChecker.isValidSignatureNow(c.sender, voucherDigest(id, cumulativeAmount), signature)) {
            revert BadSignature();
        }
        paid = cumulativeAmount - c.claimed;
        c.claimed = cumulativeAmount;
        totalLocked -= paid;
        emit Claimed(id, msg.sender, cumulativeAmount, paid);
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }
}
