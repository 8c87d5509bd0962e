// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ICurationRewards} from "../interfaces/IRewardSinks.sol";

/// @title Curation
/// @notice Predeploy at 0x4200…0B04: BAI holders stake native BAI on models they vouch for, earn the
///         curators' cut of every paid call of that model (reward-per-share, O(1) claims), and are
///         slashed together with a model that is proven bad. Leaving takes {exitDelay}: shares whose exit
///         was requested stop earning at once but stay in the pool (slashable) until the exit is executed,
///         and a request can only be executed during {EXIT_WINDOW} after it is ready, so nobody can arm an
///         exit once and leave years later the moment a slash is coming.
contract Curation is AccessControl, Initializable, ReentrancyGuardTransient, ICurationRewards {
    /// @notice Role allowed to slash a model's curators.
    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");
    /// @notice Role allowed to change parameters.
    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");
    /// @notice Fixed-point scale of the reward index.
    uint256 internal constant ACC = 1e27;
    /// @notice Slash fractions are in WAD.
    uint256 public constant WAD = 1e18;
    /// @notice How long a ready exit stays executable; afterwards it expires ({ExitExpired}).
    uint256 public constant EXIT_WINDOW = 3 days;
    /// @notice Shortest {exitDelay} governance may set.
    uint256 public constant MIN_EXIT_DELAY = 1 hours;
    /// @notice Longest {exitDelay} governance may set.
    uint256 public constant MAX_EXIT_DELAY = 60 days;

    /// @notice A model's curation pool.
    struct Pool {
        uint256 stake;
        uint256 shares;
        uint256 accRewardPerShare;
    }

    /// @notice A curator's position in a pool.
    struct Position {
        uint256 shares;
        uint256 rewardDebt;
        uint256 exitShares;
        uint64 exitReadyAt;
    }

    /// @notice Pools by model.
    mapping(bytes32 => Pool) public pools;
    /// @notice Positions by model and curator.
    mapping(bytes32 => mapping(address => Position)) public positions;
    /// @notice Rewards credited and not yet claimed.
    mapping(address => uint256) public owedRewards;
    /// @notice Seconds between requesting and executing an exit.
    uint256 public exitDelay;
    /// @notice Receiver of slashed stake.
    address public treasury;
    /// @notice Sum of all pools' stake.
    uint256 public totalStake;
    /// @notice Rewards received and not yet paid (incl. rounding dust).
    uint256 public rewardReserve;
    /// @notice Slashed stake awaiting transfer to the treasury.
    uint256 public slashedPending;
    /// @notice Shares of a pool with a requested exit: slashable, not earning (appended).
    mapping(bytes32 modelId => uint256) public exitingShares;

    /// @notice Zero amount.
    error ZeroAmount();
    /// @notice Zero address.
    error ZeroAddress();
    /// @notice Not enough shares.
    error InsufficientShares(uint256 have, uint256 want);
    /// @notice No exit requested.
    error NoExitRequested();
    /// @notice Exit not ready.
    error ExitNotReady(uint64 readyAt);
    /// @notice No curators in the pool.
    error NoCurators();
    /// @notice Invalid fraction.
    error InvalidFraction();
    /// @notice Native transfer failed.
    error TransferFailed();
    /// @notice The exit request expired at `expiredAt`; request again.
    error ExitExpired(uint64 expiredAt);
    /// @notice A governance parameter is out of its bounds.
    error OutOfBounds(uint256 value, uint256 min, uint256 max);

    /// @notice Stake added.
    event Curated(bytes32 indexed modelId, address indexed curator, uint256 amount, uint256 shares);
    /// @notice Exit requested.
    event ExitRequested(bytes32 indexed modelId, address indexed curator, uint256 shares, uint64 readyAt);
    /// @notice Exit executed.
    event Exited(bytes32 indexed modelId, address indexed curator, uint256 shares, uint256 amount);
    /// @notice Rewards added.
    event RewardNotified(bytes32 indexed modelId, uint256 amount);
    /// @notice Rewards claimed.
    event RewardsClaimed(address indexed curator, uint256 amount);
    /// @notice Curators of a model were slashed.
    event ModelSlashed(bytes32 indexed modelId, uint256 fractionWad, uint256 amount, bytes32 indexed evidenceHash);
    /// @notice Slashed funds swept.
    event SlashedFundsSwept(address indexed treasury, uint256 amount);
    /// @notice Parameters changed.
    event ParamsSet(uint256 exitDelay, address treasury);
    /// @notice A pending exit request was withdrawn; its shares earn again.
    event ExitCancelled(bytes32 indexed modelId, address indexed curator, uint256 shares);

    /// @notice Genesis initialiser.
    /// @param _admin Admin / governor.
    /// @param _slasher Slasher (challenger / moderation).
    /// @param _treasury Receiver of slashed stake.
    /// @param _exitDelay Exit delay.
    function initialize(address _admin, address _slasher, address _treasury, uint256 _exitDelay) external initializer {
        if (_admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, _admin);
        _grantRole(GOVERNOR_ROLE, _admin);
        if (_slasher != address(0)) _grantRole(SLASHER_ROLE, _slasher);
        _setParams(_exitDelay, _treasury);
    }

    /// @notice Stakes `msg.value` on `modelId`.
    /// @param modelId Model.
    function curate(bytes32 modelId) external payable nonReentrant {
        if (msg.value == 0) revert ZeroAmount();
        Pool storage p = pools[modelId];
        Position storage pos = positions[modelId][msg.sender];
        _settle(p, pos, msg.sender);
        uint256 shares = p.shares == 0 ? msg.value : Math.mulDiv(msg.value, p.shares, p.stake);
        if (shares == 0) revert ZeroAmount();
        p.shares += shares;
        p.stake += msg.value;
        totalStake += msg.value;
        pos.shares += shares;
        pos.rewardDebt = Math.mulDiv(pos.shares - pos.exitShares, p.accRewardPerShare, ACC);
        emit Curated(modelId, msg.sender, msg.value, shares);
    }

    /// @notice Requests to exit `shares` (replaces any pending request). From now on they earn nothing but
    ///         stay slashable; the exit is executable from `now + exitDelay` for {EXIT_WINDOW}.
    /// @param modelId Model.
    /// @param shares Shares to exit.
    function requestExit(bytes32 modelId, uint256 shares) external {
        Pool storage p = pools[modelId];
        Position storage pos = positions[modelId][msg.sender];
        if (shares == 0) revert ZeroAmount();
        if (shares > pos.shares) revert InsufficientShares(pos.shares, shares);
        _settle(p, pos, msg.sender);
        uint64 readyAt = SafeCast.toUint64(block.timestamp + exitDelay);
        exitingShares[modelId] = exitingShares[modelId] - pos.exitShares + shares;
        pos.exitShares = shares;
        pos.exitReadyAt = readyAt;
        pos.rewardDebt = Math.mulDiv(pos.shares - shares, p.accRewardPerShare, ACC);
        emit ExitRequested(modelId, msg.sender, shares, readyAt);
    }

    /// @notice Withdraws the caller's pending (or expired) exit request; its shares earn again.
    /// @param modelId Model.
    function cancelExit(bytes32 modelId) external {
        Pool storage p = pools[modelId];
        Position storage pos = positions[modelId][msg.sender];
        uint256 shares = pos.exitShares;
        if (shares == 0) revert NoExitRequested();
        _settle(p, pos, msg.sender);
        exitingShares[modelId] -= shares;
        pos.exitShares = 0;
        pos.exitReadyAt = 0;
        pos.rewardDebt = Math.mulDiv(pos.shares, p.accRewardPerShare, ACC);
        emit ExitCancelled(modelId, msg.sender, shares);
    }

    /// @notice Executes the caller's pending exit at the current (possibly slashed) share value, between
    ///         its ready time and {EXIT_WINDOW} later.
    /// @param modelId Model.
    /// @return amount Amount paid.
    function exit(bytes32 modelId) external nonReentrant returns (uint256 amount) {
        Pool storage p = pools[modelId];
        Position storage pos = positions[modelId][msg.sender];
        uint256 shares = pos.exitShares;
        if (shares == 0) revert NoExitRequested();
        uint64 readyAt = pos.exitReadyAt;
        if (block.timestamp < readyAt) revert ExitNotReady(readyAt);
        if (block.timestamp > readyAt + EXIT_WINDOW) revert ExitExpired(uint64(readyAt + EXIT_WINDOW));
        _settle(p, pos, msg.sender);
        amount = Math.mulDiv(shares, p.stake, p.shares);
        pos.shares -= shares;
        pos.exitShares = 0;
        pos.exitReadyAt = 0;
        pos.rewardDebt = Math.mulDiv(pos.shares, p.accRewardPerShare, ACC);
        exitingShares[modelId] -= shares;
        p.shares -= shares;
        p.stake -= amount;
        if (p.shares == 0 && p.stake != 0) {
            amount += p.stake;
            p.stake = 0;
        }
        totalStake -= amount;
        emit Exited(modelId, msg.sender, shares, amount);
        _send(msg.sender, amount);
    }

    /// @inheritdoc ICurationRewards
    function notifyReward(bytes32 modelId) external payable {
        Pool storage p = pools[modelId];
        if (msg.value == 0) revert ZeroAmount();
        uint256 earning = p.shares - exitingShares[modelId];
        if (earning == 0) revert NoCurators();
        rewardReserve += msg.value;
        p.accRewardPerShare += Math.mulDiv(msg.value, ACC, earning);
        emit RewardNotified(modelId, msg.value);
    }

    /// @inheritdoc ICurationRewards
    function canReceiveRewards(bytes32 modelId) external view returns (bool) {
        return pools[modelId].shares > exitingShares[modelId];
    }

    /// @notice Claims the caller's rewards from `modelIds` (plus anything already credited).
    /// @param modelIds Models the caller curates.
    /// @return amount Amount paid.
    function claimRewards(bytes32[] calldata modelIds) external nonReentrant returns (uint256 amount) {
        for (uint256 i = 0; i < modelIds.length; ++i) {
            _settle(pools[modelIds[i]], positions[modelIds[i]][msg.sender], msg.sender);
        }
        amount = owedRewards[msg.sender];
        if (amount == 0) revert ZeroAmount();
        owedRewards[msg.sender] = 0;
        // Reward-per-share rounding can credit a few wei more than was received in total; the last
        // claimant gets the reserve rather than a revert.
        if (amount > rewardReserve) amount = rewardReserve;
        rewardReserve -= amount;
        emit RewardsClaimed(msg.sender, amount);
        _send(msg.sender, amount);
    }

    /// @notice Pending rewards of `curator` in `modelId`.
    /// @param modelId Model.
    /// @param curator Curator.
    /// @return Amount.
    function pendingRewards(bytes32 modelId, address curator) external view returns (uint256) {
        Position storage pos = positions[modelId][curator];
        return Math.mulDiv(pos.shares - pos.exitShares, pools[modelId].accRewardPerShare, ACC) - pos.rewardDebt;
    }

    /// @notice Stake value of `curator` in `modelId`.
    /// @param modelId Model.
    /// @param curator Curator.
    /// @return Amount.
    function stakeOf(bytes32 modelId, address curator) external view returns (uint256) {
        Pool storage p = pools[modelId];
        return p.shares == 0 ? 0 : Math.mulDiv(positions[modelId][curator].shares, p.stake, p.shares);
    }

    /// @notice Slashes `fractionWad` (< 1e18) of a model's curation pool (model proven bad).
    /// @param modelId Model.
    /// @param fractionWad Fraction.
    /// @param evidenceHash Evidence reference.
    /// @return amount Amount slashed.
    function slashModel(bytes32 modelId, uint256 fractionWad, bytes32 evidenceHash)
        external
        onlyRole(SLASHER_ROLE)
        returns (uint256 amount)
    {
        if (fractionWad == 0 || fractionWad >= WAD) revert InvalidFraction();
        Pool storage p = pools[modelId];
        amount = Math.mulDiv(p.stake, fractionWad, WAD);
        p.stake -= amount;
        totalStake -= amount;
        slashedPending += amount;
        emit ModelSlashed(modelId, fractionWad, amount, evidenceHash);
    }

    /// @notice Sends slashed stake to the treasury.
    /// @return amount Amount.
    function sweepSlashed() external nonReentrant returns (uint256 amount) {
        amount = slashedPending;
        if (amount == 0) revert ZeroAmount();
        slashedPending = 0;
        emit SlashedFundsSwept(treasury, amount);
        _send(treasury, amount);
    }

    /// @notice Sets parameters.
    /// @param _exitDelay Exit delay, within [{MIN_EXIT_DELAY}, {MAX_EXIT_DELAY}].
    /// @param _treasury Treasury.
    function setParams(uint256 _exitDelay, address _treasury) external onlyRole(GOVERNOR_ROLE) {
        _setParams(_exitDelay, _treasury);
    }

    function _setParams(uint256 _exitDelay, address _treasury) private {
        if (_treasury == address(0)) revert ZeroAddress();
        if (_exitDelay < MIN_EXIT_DELAY || _exitDelay > MAX_EXIT_DELAY) {
            revert OutOfBounds(_exitDelay, MIN_EXIT_DELAY, MAX_EXIT_DELAY);
        }
        exitDelay = _exitDelay;
        treasury = _treasury;
        emit ParamsSet(_exitDelay, _treasury);
    }

    /// @dev Credits what the position's earning shares (all but those exiting) accrued since the last settle.
    function _settle(Pool storage p, Position storage pos, address curator) private {
        uint256 accrued = Math.mulDiv(pos.shares - pos.exitShares, p.accRewardPerShare, ACC);
        uint256 pending = accrued - pos.rewardDebt;
        if (pending != 0) owedRewards[curator] += pending;
        pos.rewardDebt = accrued;
    }

    function _send(address to, uint256 amount) private {
        if (amount == 0) return;
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }
}
