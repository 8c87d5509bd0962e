// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IStakingRewards} from "../interfaces/IRewardSinks.sol";
import {IInferenceDisputes} from "../interfaces/IInferenceDisputes.sol";
import {Predeploys} from "../libraries/Predeploys.sol";

/// @title Staking
/// @notice Predeploy at 0x4200…0B01: staking and delegation of native BAI to validators / inference
///         operators (Cosmos-style).
///         - Validators register with a minimum self-stake and a commission (rate, max rate, max change
///           per day).
///         - Delegators hold *shares* of a validator's bonded pool; undelegating moves tokens into the
///           validator's *unbonding pool* (also share-based) for {unbondingPeriod}. Slashing scales both
///           pools by the same fraction, so it applies pro rata to the validator, its delegators and
///           stake still unbonding — in O(1).
///         - Redelegation goes through the unbonding pool (it stays slashable at the source until it
///           lands on the destination when completed).
///         - Rewards: targeted rewards ({notifyReward}, e.g. marketplace shares) and untargeted income
///           (plain transfers, e.g. fee vaults) are distributed by cumulative reward-per-share indices,
///           so claiming is O(1) per validator.
///         - An authorised slasher slashes with an evidence hash and jails; validators unjail themselves
///           after the jail period if their self-stake is still above the minimum.
contract Staking is AccessControl, Initializable, ReentrancyGuardTransient, IStakingRewards {
    /// @notice Role allowed to slash and jail (the challenger / governance).
    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");
    /// @notice Role allowed to change parameters.
    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");

    /// @notice Basis points denominator.
    uint256 public constant BPS = 10_000;
    /// @notice Fixed-point scale of the reward indices.
    uint256 internal constant ACC = 1e27;
    /// @notice Fractions passed to {slash} are in WAD (1e18 = 100%).
    uint256 public constant WAD = 1e18;
    /// @notice Minimum time between two commission changes.
    uint256 public constant COMMISSION_CHANGE_DELAY = 1 days;
    /// @notice Shortest unbonding period governance may set (it must also cover the inference dispute window).
    uint256 public constant MIN_UNBONDING_PERIOD = 1 hours;
    /// @notice Longest unbonding period governance may set.
    uint256 public constant MAX_UNBONDING_PERIOD = 90 days;
    /// @notice Longest jail on slash governance may set.
    uint256 public constant MAX_SLASH_JAIL_DURATION = 365 days;
    /// @notice Largest minimum self-stake governance may set.
    uint256 public constant MAX_MIN_SELF_STAKE = 10_000_000 ether;

    /// @notice A validator / inference operator.
    struct Validator {
        bool registered;
        uint16 commissionBps;
        uint16 maxCommissionBps;
        uint16 maxCommissionChangeBps;
        uint64 lastCommissionChange;
        uint64 jailedUntil;
        bool jailed;
        uint256 bondedStake;
        uint256 bondedShares;
        uint256 unbondingStake;
        uint256 unbondingShares;
        uint256 accRewardPerShare;
        uint256 globalIndexCheckpoint;
    }

    /// @notice A delegation of one delegator to one validator.
    struct Delegation {
        uint256 shares;
        uint256 rewardDebt;
    }

    /// @notice A pending undelegation or redelegation.
    struct Unbonding {
        address delegator;
        address validator;
        address redelegateTo;
        uint64 completionTime;
        uint256 shares;
    }

    /// @notice Validators by operator address.
    mapping(address => Validator) internal validators;
    /// @notice Delegations by validator and delegator.
    mapping(address => mapping(address => Delegation)) public delegations;
    /// @notice Pending unbondings by id.
    mapping(uint256 => Unbonding) public unbondings;
    /// @notice Models each operator declares it serves.
    mapping(address => mapping(bytes32 => bool)) public serves;
    /// @notice Rewards credited and not yet claimed, by account.
    mapping(address => uint256) public owedRewards;

    /// @notice Minimum self-stake of a validator.
    uint256 public minSelfStake;
    /// @notice Unbonding period in seconds.
    uint256 public unbondingPeriod;
    /// @notice Jail duration applied on slash.
    uint256 public slashJailDuration;
    /// @notice Receiver of slashed stake.
    address public treasury;
    /// @notice Next unbonding id.
    uint256 public nextUnbondingId;

    /// @notice Sum of all bonded pools.
    uint256 public totalBonded;
    /// @notice Sum of all unbonding pools.
    uint256 public totalUnbonding;
    /// @notice Bonded stake of unjailed validators (weight of untargeted rewards).
    uint256 public activeStake;
    /// @notice Global reward per active staked token index (untargeted income).
    uint256 public globalRewardIndex;
    /// @notice Untargeted income received while no stake was active; carried to the next distribution.
    uint256 public undistributedRewards;
    /// @notice All rewards received and not yet paid out (incl. undistributed and rounding dust).
    uint256 public rewardReserve;
    /// @notice Slashed BAI awaiting transfer to the treasury.
    uint256 public slashedPending;

    // ----------------------------------------------------------------------------------------------
    // Errors
    // ----------------------------------------------------------------------------------------------

    /// @notice The validator is already registered.
    error AlreadyRegistered();
    /// @notice The validator is not registered.
    error NotRegistered();
    /// @notice Self-stake below the minimum.
    error SelfStakeTooLow(uint256 stake, uint256 minimum);
    /// @notice Commission parameters are invalid.
    error InvalidCommission();
    /// @notice Commission changed too recently.
    error CommissionChangeTooSoon();
    /// @notice Zero amount.
    error ZeroAmount();
    /// @notice Not enough shares.
    error InsufficientShares(uint256 have, uint256 want);
    /// @notice Unbonding not found or not the caller's.
    error UnknownUnbonding();
    /// @notice Unbonding still running.
    error StillUnbonding(uint64 completionTime);
    /// @notice Invalid fraction.
    error InvalidFraction();
    /// @notice The validator is still jailed.
    error StillJailed(uint64 until);
    /// @notice The validator is not jailed.
    error NotJailed();
    /// @notice The validator has no delegators to reward.
    error NoDelegators();
    /// @notice A native transfer failed.
    error TransferFailed();
    /// @notice Zero address.
    error ZeroAddress();
    /// @notice Redelegation to the same validator.
    error SameValidator();
    /// @notice A governance parameter is out of its bounds.
    error OutOfBounds(uint256 value, uint256 min, uint256 max);

    // ----------------------------------------------------------------------------------------------
    // Events
    // ----------------------------------------------------------------------------------------------

    /// @notice A validator registered.
    event ValidatorRegistered(address indexed validator, uint256 selfStake, uint16 commissionBps, uint16 maxCommissionBps, uint16 maxCommissionChangeBps);
    /// @notice Commission changed.
    event CommissionChanged(address indexed validator, uint16 commissionBps);
    /// @notice Stake delegated.
    event Delegated(address indexed delegator, address indexed validator, uint256 amount, uint256 shares);
    /// @notice Undelegation / redelegation started.
    event UnbondingStarted(uint256 indexed id, address indexed delegator, address indexed validator, address redelegateTo, uint256 amount, uint64 completionTime);
    /// @notice Unbonding completed (withdrawn or redelegated).
    event UnbondingCompleted(uint256 indexed id, address indexed delegator, uint256 amount, address redelegatedTo);
    /// @notice Rewards added for a validator.
    event RewardNotified(address indexed validator, uint256 amount, uint256 commission);
    /// @notice Untargeted income received.
    event IncomeReceived(address indexed from, uint256 amount);
    /// @notice Rewards claimed.
    event RewardsClaimed(address indexed account, uint256 amount);
    /// @notice A validator was slashed.
    event Slashed(address indexed validator, uint256 fractionWad, uint256 bondedSlashed, uint256 unbondingSlashed, bytes32 indexed evidenceHash);
    /// @notice A validator was jailed.
    event Jailed(address indexed validator, uint64 until);
    /// @notice A validator was unjailed.
    event Unjailed(address indexed validator);
    /// @notice An operator changed a served model.
    event ServedModelSet(address indexed operator, bytes32 indexed modelId, bool serving);
    /// @notice Slashed funds were sent to the treasury.
    event SlashedFundsSwept(address indexed treasury, uint256 amount);
    /// @notice Parameters changed.
    event ParamsSet(uint256 minSelfStake, uint256 unbondingPeriod, uint256 slashJailDuration, address treasury);

    /// @notice Genesis initialiser.
    /// @param _admin Admin (grants roles).
    /// @param _slasher Initial slasher (challenger).
    /// @param _treasury Receiver of slashed funds.
    /// @param _minSelfStake Minimum self-stake.
    /// @param _unbondingPeriod Unbonding period.
    /// @param _slashJailDuration Jail duration on slash.
    function initialize(
        address _admin,
        address _slasher,
        address _treasury,
        uint256 _minSelfStake,
        uint256 _unbondingPeriod,
        uint256 _slashJailDuration
    ) external initializer {
        if (_admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, _admin);
        _grantRole(GOVERNOR_ROLE, _admin);
        if (_slasher != address(0)) _grantRole(SLASHER_ROLE, _slasher);
        _setParams(_minSelfStake, _unbondingPeriod, _slashJailDuration, _treasury);
    }

    /// @notice Untargeted income (e.g. fee vaults): shared by all unjailed validators by bonded stake.
    receive() external payable {
        _addIncome(msg.value);
    }

    // ----------------------------------------------------------------------------------------------
    // Validators
    // ----------------------------------------------------------------------------------------------

    /// @notice Registers the caller as a validator / operator with `msg.value` as self-stake.
    /// @param commissionBps Initial commission.
    /// @param maxCommissionBps Cap the commission can never exceed.
    /// @param maxCommissionChangeBps Largest change allowed per day.
    function registerValidator(uint16 commissionBps, uint16 maxCommissionBps, uint16 maxCommissionChangeBps)
        external
        payable
        nonReentrant
    {
        Validator storage v = validators[msg.sender];
        if (v.registered) revert AlreadyRegistered();
        if (msg.value < minSelfStake || msg.value == 0) revert SelfStakeTooLow(msg.value, minSelfStake);
        if (maxCommissionBps > BPS || commissionBps > maxCommissionBps || maxCommissionChangeBps > maxCommissionBps) {
            revert InvalidCommission();
        }
        v.registered = true;
        v.commissionBps = commissionBps;
        v.maxCommissionBps = maxCommissionBps;
        v.maxCommissionChangeBps = maxCommissionChangeBps;
        v.lastCommissionChange = uint64(block.timestamp);
        v.globalIndexCheckpoint = globalRewardIndex;
        emit ValidatorRegistered(msg.sender, msg.value, commissionBps, maxCommissionBps, maxCommissionChangeBps);
        _delegate(msg.sender, msg.sender, msg.value);
    }

    /// @notice Changes the caller's commission within its bounds, at most once per day.
    /// @param commissionBps New commission.
    function setCommission(uint16 commissionBps) external {
        Validator storage v = _validator(msg.sender);
        if (block.timestamp < uint256(v.lastCommissionChange) + COMMISSION_CHANGE_DELAY) {
            revert CommissionChangeTooSoon();
        }
        uint256 diff = commissionBps > v.commissionBps ? commissionBps - v.commissionBps : v.commissionBps - commissionBps;
        if (commissionBps > v.maxCommissionBps || diff > v.maxCommissionChangeBps) revert InvalidCommission();
        _settleGlobal(msg.sender, v);
        v.commissionBps = commissionBps;
        v.lastCommissionChange = uint64(block.timestamp);
        emit CommissionChanged(msg.sender, commissionBps);
    }

    /// @notice Declares whether the caller (an operator) serves `modelId`.
    /// @param modelId Model id.
    /// @param serving Whether it serves it.
    function setServedModel(bytes32 modelId, bool serving) external {
        _validator(msg.sender);
        serves[msg.sender][modelId] = serving;
        emit ServedModelSet(msg.sender, modelId, serving);
    }

    /// @notice Unjails the caller after its jail period if its self-stake meets the minimum.
    function unjail() external {
        Validator storage v = _validator(msg.sender);
        if (!v.jailed) revert NotJailed();
        if (block.timestamp < v.jailedUntil) revert StillJailed(v.jailedUntil);
        uint256 self = _sharesToStake(v, delegations[msg.sender][msg.sender].shares);
        if (self < minSelfStake || self == 0) revert SelfStakeTooLow(self, minSelfStake);
        _settleGlobal(msg.sender, v);
        v.jailed = false;
        v.jailedUntil = 0;
        activeStake += v.bondedStake;
        emit Unjailed(msg.sender);
    }

    // ----------------------------------------------------------------------------------------------
    // Delegation
    // ----------------------------------------------------------------------------------------------

    /// @notice Delegates `msg.value` to `validator`.
    /// @param validator Validator.
    function delegate(address validator) external payable nonReentrant {
        _validator(validator);
        if (msg.value == 0) revert ZeroAmount();
        _delegate(msg.sender, validator, msg.value);
    }

    /// @notice Starts undelegating `shares` from `validator`; withdrawable after the unbonding period.
    /// @param validator Validator.
    /// @param shares Shares to undelegate.
    /// @return id Unbonding id.
    function undelegate(address validator, uint256 shares) external nonReentrant returns (uint256 id) {
        return _startUnbonding(validator, shares, address(0));
    }

    /// @notice Moves `shares` from `from` to `to`; the stake lands on `to` when the unbonding completes
    ///         (it stays slashable at `from` until then).
    /// @param from Source validator.
    /// @param to Destination validator.
    /// @param shares Shares to move.
    /// @return id Unbonding id.
    function redelegate(address from, address to, uint256 shares) external nonReentrant returns (uint256 id) {
        if (from == to) revert SameValidator();
        _validator(to);
        return _startUnbonding(from, shares, to);
    }

    /// @notice Completes an unbonding: pays the (possibly slashed) amount out, or delegates it to the
    ///         redelegation target (paid out instead if the target can no longer take stake).
    /// @param id Unbonding id.
    /// @return amount Amount withdrawn or redelegated.
    function completeUnbonding(uint256 id) external nonReentrant returns (uint256 amount) {
        Unbonding memory u = unbondings[id];
        if (u.delegator != msg.sender) revert UnknownUnbonding();
        if (block.timestamp < u.completionTime) revert StillUnbonding(u.completionTime);
        delete unbondings[id];
        Validator storage v = validators[u.validator];
        amount = v.unbondingShares == 0 ? 0 : Math.mulDiv(u.shares, v.unbondingStake, v.unbondingShares);
        v.unbondingShares -= u.shares;
        v.unbondingStake -= amount;
        totalUnbonding -= amount;
        if (v.unbondingShares == 0 && v.unbondingStake != 0) {
            // rounding dust of a drained pool: attribute it to this last leaver
            amount += v.unbondingStake;
            totalUnbonding -= v.unbondingStake;
            v.unbondingStake = 0;
        }
        address target = u.redelegateTo;
        if (target != address(0) && amount != 0 && validators[target].registered) {
            emit UnbondingCompleted(id, msg.sender, amount, target);
            _delegate(msg.sender, target, amount);
        } else {
            emit UnbondingCompleted(id, msg.sender, amount, address(0));
            _send(msg.sender, amount);
        }
    }

    /// @notice Claims the caller's rewards from `validatorList` (and anything already credited).
    /// @param validatorList Validators the caller delegates to.
    /// @return amount Amount paid.
    function claimRewards(address[] calldata validatorList) external nonReentrant returns (uint256 amount) {
        for (uint256 i = 0; i < validatorList.length; ++i) {
            Validator storage v = validators[validatorList[i]];
            _settleGlobal(validatorList[i], v);
            _settleDelegation(v, delegations[validatorList[i]][msg.sender], msg.sender);
        }
        amount = owedRewards[msg.sender];
        if (amount == 0) revert ZeroAmount();
        owedRewards[msg.sender] = 0;
        rewardReserve -= amount;
        emit RewardsClaimed(msg.sender, amount);
        _send(msg.sender, amount);
    }

    // ----------------------------------------------------------------------------------------------
    // Rewards
    // ----------------------------------------------------------------------------------------------

    /// @inheritdoc IStakingRewards
    function notifyReward(address validator) external payable nonReentrant {
        Validator storage v = _validator(validator);
        if (v.bondedShares == 0) revert NoDelegators();
        if (msg.value == 0) revert ZeroAmount();
        rewardReserve += msg.value;
        _settleGlobal(validator, v);
        _distribute(validator, v, msg.value);
    }

    /// @inheritdoc IStakingRewards
    function canReceiveRewards(address validator) external view returns (bool) {
        Validator storage v = validators[validator];
        return v.registered && v.bondedShares != 0;
    }

    /// @inheritdoc IStakingRewards
    function isServing(address operator, bytes32 modelId) external view returns (bool) {
        Validator storage v = validators[operator];
        return v.registered && !v.jailed && serves[operator][modelId];
    }

    /// @notice Rewards `delegator` could claim from `validator` right now (excluding other validators).
    /// @param validator Validator.
    /// @param delegator Delegator.
    /// @return Pending amount.
    function pendingRewards(address validator, address delegator) external view returns (uint256) {
        Validator storage v = validators[validator];
        uint256 acc = v.accRewardPerShare;
        if (!v.jailed && v.bondedShares != 0) {
            uint256 r = Math.mulDiv(v.bondedStake, globalRewardIndex - v.globalIndexCheckpoint, ACC);
            uint256 commission = (r * v.commissionBps) / BPS;
            acc += Math.mulDiv(r - commission, ACC, v.bondedShares);
        }
        Delegation storage d = delegations[validator][delegator];
        return Math.mulDiv(d.shares, acc, ACC) - d.rewardDebt;
    }

    /// @notice Returns a validator record.
    /// @param validator Validator.
    /// @return The record.
    function getValidator(address validator) external view returns (Validator memory) {
        return validators[validator];
    }

    /// @notice Current stake value of `delegator`'s delegation to `validator`.
    /// @param validator Validator.
    /// @param delegator Delegator.
    /// @return Stake in wei.
    function stakeOf(address validator, address delegator) external view returns (uint256) {
        return _sharesToStake(validators[validator], delegations[validator][delegator].shares);
    }

    /// @notice Current value of an unbonding entry.
    /// @param id Unbonding id.
    /// @return Amount in wei.
    function unbondingValue(uint256 id) external view returns (uint256) {
        Unbonding storage u = unbondings[id];
        Validator storage v = validators[u.validator];
        return v.unbondingShares == 0 ? 0 : Math.mulDiv(u.shares, v.unbondingStake, v.unbondingShares);
    }

    // ----------------------------------------------------------------------------------------------
    // Slashing
    // ----------------------------------------------------------------------------------------------

    /// @notice Slashes `fractionWad` of `validator`'s bonded and unbonding pools and jails it.
    /// @param validator Offending validator / inference operator.
    /// @param fractionWad Fraction in WAD (0 < f < 1e18).
    /// @param evidenceHash Evidence reference (e.g. InferenceWitnessStore.evidenceHash of the bad witness).
    /// @return slashed Total amount slashed.
    function slash(address validator, uint256 fractionWad, bytes32 evidenceHash)
        external
        onlyRole(SLASHER_ROLE)
        returns (uint256 slashed)
    {
        Validator storage v = _validator(validator);
        // f < 1: a pool with shares never reaches zero stake, so share prices stay defined.
        if (fractionWad == 0 || fractionWad >= WAD) revert InvalidFraction();
        _settleGlobal(validator, v);
        uint256 bondedCut = Math.mulDiv(v.bondedStake, fractionWad, WAD);
        uint256 unbondingCut = Math.mulDiv(v.unbondingStake, fractionWad, WAD);
        v.bondedStake -= bondedCut;
        v.unbondingStake -= unbondingCut;
        totalBonded -= bondedCut;
        totalUnbonding -= unbondingCut;
        if (!v.jailed) activeStake -= bondedCut;
        slashed = bondedCut + unbondingCut;
        slashedPending += slashed;
        emit Slashed(validator, fractionWad, bondedCut, unbondingCut, evidenceHash);
        _jail(validator, v, slashJailDuration);
    }

    /// @notice Jails `validator` for `duration` (e.g. liveness faults) without slashing.
    /// @param validator Validator.
    /// @param duration Seconds.
    function jail(address validator, uint256 duration) external onlyRole(SLASHER_ROLE) {
        if (duration > MAX_SLASH_JAIL_DURATION) revert OutOfBounds(duration, 0, MAX_SLASH_JAIL_DURATION);
        Validator storage v = _validator(validator);
        _settleGlobal(validator, v);
        _jail(validator, v, duration);
    }

    /// @notice Sends slashed funds to the treasury.
    /// @return amount Amount sent.
    function sweepSlashed() external nonReentrant returns (uint256 amount) {
        amount = slashedPending;
        if (amount == 0) revert ZeroAmount();
        slashedPending = 0;
        emit SlashedFundsSwept(treasury, amount);
        _send(treasury, amount);
    }

    /// @notice Updates parameters, each within its bounds ({OutOfBounds}).
    /// @param _minSelfStake Minimum self-stake (≤ {MAX_MIN_SELF_STAKE}).
    /// @param _unbondingPeriod Unbonding period in seconds: ≥ max({MIN_UNBONDING_PERIOD}, the inference dispute
    ///        window in blocks — blocks are at most 1 s) and ≤ {MAX_UNBONDING_PERIOD}.
    /// @param _slashJailDuration Jail duration on slash (≤ {MAX_SLASH_JAIL_DURATION}).
    /// @param _treasury Receiver of slashed funds.
    function setParams(uint256 _minSelfStake, uint256 _unbondingPeriod, uint256 _slashJailDuration, address _treasury)
        external
        onlyRole(GOVERNOR_ROLE)
    {
        _setParams(_minSelfStake, _unbondingPeriod, _slashJailDuration, _treasury);
    }

    // ----------------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------------

    function _setParams(uint256 _minSelfStake, uint256 _unbondingPeriod, uint256 _slashJailDuration, address _treasury)
        private
    {
        if (_treasury == address(0)) revert ZeroAddress();
        if (_minSelfStake > MAX_MIN_SELF_STAKE) revert OutOfBounds(_minSelfStake, 0, MAX_MIN_SELF_STAKE);
        // Same time base as the inference dispute window (blocks of at most 1 s): stake that unbonds after a
        // witness stays slashable until that witness's window has closed.
        uint256 minUnbonding = MIN_UNBONDING_PERIOD;
        if (Predeploys.INFERENCE_DISPUTES.code.length != 0) {
            uint256 window = IInferenceDisputes(Predeploys.INFERENCE_DISPUTES).disputeWindowBlocks();
            if (window > minUnbonding) minUnbonding = window;
        }
        if (_unbondingPeriod < minUnbonding || _unbondingPeriod > MAX_UNBONDING_PERIOD) {
            revert OutOfBounds(_unbondingPeriod, minUnbonding, MAX_UNBONDING_PERIOD);
        }
        if (_slashJailDuration > MAX_SLASH_JAIL_DURATION) {
            revert OutOfBounds(_slashJailDuration, 0, MAX_SLASH_JAIL_DURATION);
        }
        minSelfStake = _minSelfStake;
        unbondingPeriod = _unbondingPeriod;
        slashJailDuration = _slashJailDuration;
        treasury = _treasury;
        emit ParamsSet(_minSelfStake, _unbondingPeriod, _slashJailDuration, _treasury);
    }

    function _validator(address validator) private view returns (Validator storage v) {
        v = validators[validator];
        if (!v.registered) revert NotRegistered();
    }

    function _sharesToStake(Validator storage v, uint256 shares) private view returns (uint256) {
        return v.bondedShares == 0 ? 0 : Math.mulDiv(shares, v.bondedStake, v.bondedShares);
    }

    function _addIncome(uint256 amount) private {
        rewardReserve += amount;
        emit IncomeReceived(msg.sender, amount);
        uint256 total = amount + undistributedRewards;
        if (activeStake == 0) {
            undistributedRewards = total;
            return;
        }
        undistributedRewards = 0;
        globalRewardIndex += Math.mulDiv(total, ACC, activeStake);
    }

    /// @dev Converts the validator's share of untargeted income since its checkpoint into its own rewards.
    function _settleGlobal(address validator, Validator storage v) private {
        uint256 index = globalRewardIndex;
        uint256 delta = index - v.globalIndexCheckpoint;
        v.globalIndexCheckpoint = index;
        if (delta == 0 || v.jailed || v.bondedStake == 0) return;
        uint256 r = Math.mulDiv(v.bondedStake, delta, ACC);
        if (r != 0) _distribute(validator, v, r);
    }

    /// @dev Splits `amount` (already counted in rewardReserve) into commission and per-share rewards.
    function _distribute(address validator, Validator storage v, uint256 amount) private {
        uint256 commission = (amount * v.commissionBps) / BPS;
        uint256 rest = amount - commission;
        if (v.bondedShares == 0) {
            commission = amount;
            rest = 0;
        }
        owedRewards[validator] += commission;
        if (rest != 0) v.accRewardPerShare += Math.mulDiv(rest, ACC, v.bondedShares);
        emit RewardNotified(validator, amount, commission);
    }

    function _settleDelegation(Validator storage v, Delegation storage d, address delegator) private {
        uint256 accrued = Math.mulDiv(d.shares, v.accRewardPerShare, ACC);
        uint256 pending = accrued - d.rewardDebt;
        if (pending != 0) owedRewards[delegator] += pending;
        d.rewardDebt = accrued;
    }

    function _delegate(address delegator, address validator, uint256 amount) private {
        Validator storage v = validators[validator];
        _settleGlobal(validator, v);
        Delegation storage d = delegations[validator][delegator];
        _settleDelegation(v, d, delegator);
        uint256 shares = v.bondedShares == 0 ? amount : Math.mulDiv(amount, v.bondedShares, v.bondedStake);
        if (shares == 0) revert ZeroAmount();
        v.bondedShares += shares;
        v.bondedStake += amount;
        totalBonded += amount;
        if (!v.jailed) activeStake += amount;
        d.shares += shares;
        d.rewardDebt = Math.mulDiv(d.shares, v.accRewardPerShare, ACC);
        emit Delegated(delegator, validator, amount, shares);
    }

    function _startUnbonding(address validator, uint256 shares, address redelegateTo) private returns (uint256 id) {
        Validator storage v = _validator(validator);
        Delegation storage d = delegations[validator][msg.sender];
        if (shares == 0) revert ZeroAmount();
        if (shares > d.shares) revert InsufficientShares(d.shares, shares);
        _settleGlobal(validator, v);
        _settleDelegation(v, d, msg.sender);

        uint256 amount = Math.mulDiv(shares, v.bondedStake, v.bondedShares);
        d.shares -= shares;
        d.rewardDebt = Math.mulDiv(d.shares, v.accRewardPerShare, ACC);
        v.bondedShares -= shares;
        v.bondedStake -= amount;
        if (v.bondedShares == 0 && v.bondedStake != 0) {
            amount += v.bondedStake; // rounding dust of a drained pool goes with the last leaver
            v.bondedStake = 0;
        }
        totalBonded -= amount;
        if (!v.jailed) activeStake -= amount;

        uint256 ubShares = v.unbondingShares == 0 ? amount : Math.mulDiv(amount, v.unbondingShares, v.unbondingStake);
        v.unbondingShares += ubShares;
        v.unbondingStake += amount;
        totalUnbonding += amount;

        id = nextUnbondingId++;
        uint64 completion = SafeCast.toUint64(block.timestamp + unbondingPeriod);
        unbondings[id] = Unbonding({
            delegator: msg.sender,
            validator: validator,
            redelegateTo: redelegateTo,
            completionTime: completion,
            shares: ubShares
        });
        emit UnbondingStarted(id, msg.sender, validator, redelegateTo, amount, completion);

        // A validator whose own stake falls below the minimum is jailed until it tops up and unjails.
        if (msg.sender == validator && !v.jailed && _sharesToStake(v, d.shares) < minSelfStake) {
            _jail(validator, v, 0);
        }
    }

    function _jail(address validator, Validator storage v, uint256 duration) private {
        if (!v.jailed) {
            v.jailed = true;
            activeStake -= v.bondedStake;
        }
        uint64 until = SafeCast.toUint64(block.timestamp + duration);
        if (until > v.jailedUntil) v.jailedUntil = until;
        emit Jailed(validator, v.jailedUntil);
    }

    function _send(address to, uint256 amount) private {
        if (amount == 0) return;
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }
}
