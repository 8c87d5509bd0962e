// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ModelRegistryStorage} from "./ModelRegistryStorage.sol";
import {IBaiInference} from "../interfaces/IBaiInference.sol";
import {IStakingRewards, ICurationRewards} from "../interfaces/IRewardSinks.sol";
import {BaiInference} from "../libraries/BaiInference.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title ModelMarketplace
/// @notice Predeploy at 0x4200…0B00: the model registry the AI precompile meters from, and the
///         marketplace through which paid models are called.
///         - Owners register models (id = hash of the weights artifact) with their metering schedule,
///           price per call, serving operator and verification tolerance; they can update the price
///           (≤ {maxPrice}, at most once per {priceCooldown}), pause, resume and retire them.
///         - Users call {embed}/{generate}/{infer} (the precompile's signatures, but payable). The price
///           is paid with `msg.value` (exactly) or from a prepaid balance, split by basis points between
///           owner, operator, the operator's stakers (Staking), the model's curators (Curation) and the
///           treasury (which also receives any share without a recipient and the rounding remainder),
///           then the call is forwarded to the precompile. The precompile refuses models with a non-zero
///           price unless the caller is this contract, so nobody can use a paid model without paying.
///         - Owner / operator / treasury shares are credited to {earnings} and withdrawn by pull.
///         - Verification level: a model's results are `optimistic` (witnessed, disputable within tolerance in
///           InferenceDisputes) unless its owner registers the model's zero-knowledge verifying key with
///           {setZkKey} (generic models only, once): from the next block ({verificationAt}) it is `zk`, every node
///           verifies each call's proof against that key before the answer counts, and its records are no longer
///           disputable.
/// @dev STORAGE: slot 0 `_models`, slot 1 `_zkKeys` (ModelRegistryStorage, read by the node), slot 2 AccessControl
///      `_roles`, slot 3 Pausable `_paused`, then this contract's variables in declaration order from `split` (slot
///      4) to `_operatorHistory` (slot 25); OZ 5 Initializable keeps its flag in ERC-7201 namespaced storage and
///      ReentrancyGuardTransient uses transient storage. docs/contracts.md has the table.
contract ModelMarketplace is ModelRegistryStorage, AccessControl, Initializable, Pausable, ReentrancyGuardTransient {
    /// @notice Governance role: split, bounds, moderation.
    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");
    /// @notice Moderation role: force-pause or retire bad models.
    bytes32 public constant MODERATOR_ROLE = keccak256("MODERATOR_ROLE");
    /// @notice Emergency role: may {pause} the marketplace at once, and nothing else. It cannot {unpause} (lifting
    ///         an emergency pause is governance's, GOVERNOR_ROLE) nor grant or revoke roles; its admin role is
    ///         DEFAULT_ADMIN_ROLE, so governance appoints, replaces and revokes it. No holder at genesis (the genesis
    ///         admin is a governor and can pause); `L2HandOver.s.sol` grants it to `BAI_L2_GUARDIAN`.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    /// @notice Basis points denominator.
    uint256 public constant BPS = 10_000;

    /// @notice Revenue split in basis points (treasury gets 10_000 minus the sum).
    struct Split {
        uint16 ownerBps;
        uint16 operatorBps;
        uint16 stakersBps;
        uint16 curatorsBps;
    }

    /// @notice Metering floors that protect the chain from under-priced models.
    struct GasFloor {
        uint64 baseGas;
        uint64 gasPerUnit;
        uint32 gasPerInputByte;
    }

    /// @notice Parameters of a model at registration / update.
    struct ModelParams {
        uint8 kind;
        uint32 maxInputBytes;
        uint32 maxUnits;
        uint64 baseGas;
        uint64 gasPerUnit;
        uint32 gasPerInputByte;
        uint16 toleranceBps;
        uint256 price;
        address operator;
    }

    /// @notice A price increase announced by the owner; callers pay it from `effectiveAt` on.
    struct PendingPrice {
        uint256 price;
        uint64 effectiveAt;
    }

    /// @notice A tolerance declared by a model's owner, effective for witnesses recorded after `fromBlock`.
    struct ToleranceChange {
        uint64 fromBlock;
        uint16 toleranceBps;
    }

    /// @notice A serving operator named by a model's owner (or cleared), in force for the blocks after `fromBlock`
    ///         (the operator named at registration also for the registration block itself).
    struct OperatorChange {
        uint64 fromBlock;
        address operator;
    }

    /// @notice {maxToleranceBps} set by {initialize}.
    uint16 public constant DEFAULT_MAX_TOLERANCE_BPS = 2500;

    /// @notice Shortest / longest / initial {priceIncreaseDelay} governance may set.
    uint256 public constant MIN_PRICE_INCREASE_DELAY = 10 minutes;
    /// @notice Longest {priceIncreaseDelay}.
    uint256 public constant MAX_PRICE_INCREASE_DELAY = 30 days;
    /// @notice Longest {priceCooldown} governance may set.
    uint256 public constant MAX_PRICE_COOLDOWN = 30 days;
    /// @notice {priceIncreaseDelay} set by {initialize}.
    uint256 public constant DEFAULT_PRICE_INCREASE_DELAY = 1 days;

    /// @notice {verificationAt}: results are witnessed and disputable (InferenceDisputes), within the model's tolerance.
    uint8 public constant LEVEL_OPTIMISTIC = 0;
    /// @notice {verificationAt}: every node verifies the call's zero-knowledge proof against the registered key.
    uint8 public constant LEVEL_ZK = 1;
    /// @notice Largest zk verifying key {setZkKey} accepts, in bytes (real keys are about 0.7–2 KiB).
    uint256 public constant MAX_ZK_KEY_BYTES = 16_384;

    /// @notice Current revenue split.
    Split public split;
    /// @notice Current metering floors.
    GasFloor public gasFloor;
    /// @notice Treasury.
    address public treasury;
    /// @notice Staking contract (stakers' share).
    IStakingRewards public staking;
    /// @notice Curation contract (curators' share).
    ICurationRewards public curation;
    /// @notice Largest price per call.
    uint256 public maxPrice;
    /// @notice Minimum seconds between two price changes of a model.
    uint256 public priceCooldown;
    /// @notice Whether the serving operator must have declared the model in Staking.
    bool public requireServingOperator;

    /// @notice Last price change per model.
    mapping(bytes32 => uint256) public lastPriceChange;
    /// @notice Prepaid balances of callers.
    mapping(address => uint256) public balances;
    /// @notice Earnings (owner / operator / treasury shares) awaiting withdrawal.
    mapping(address => uint256) public earnings;
    /// @notice Sum of {balances}.
    uint256 public totalBalances;
    /// @notice Sum of {earnings}.
    uint256 public totalEarnings;
    /// @notice Number of registered models.
    uint256 public modelCount;
    /// @notice Every registered model id, in registration order (slot 18; appended after all earlier
    ///         state). Read by the node's `bai_listModels` through {modelIds}.
    bytes32[] internal _modelIds;
    /// @notice Seconds between announcing a price increase and paying it (slot 19; appended).
    uint256 public priceIncreaseDelay;
    /// @notice Announced price increases, by model (slot 20; appended).
    mapping(bytes32 modelId => PendingPrice) public pendingPrices;
    /// @notice Largest price per call each caller accepts per model, 0 = no cap (slot 21; appended).
    mapping(address caller => mapping(bytes32 modelId => uint256)) public callerPriceCap;
    /// @notice Smallest toleranceBps a model may declare (slot 22, packed with {maxToleranceBps}; appended).
    uint16 public minToleranceBps;
    /// @notice Largest toleranceBps a model may declare (slot 22).
    uint16 public maxToleranceBps;
    /// @notice Every tolerance a model declared, with the block it was set in (slot 23; appended): the
    ///         tolerance a witness is judged by is the one in force when it was recorded ({toleranceAt}).
    mapping(bytes32 modelId => ToleranceChange[]) internal _toleranceHistory;
    /// @notice Models paused by a moderator: only a moderator can resume them (slot 24; appended).
    mapping(bytes32 modelId => bool) public moderatorPaused;
    /// @notice Every serving operator a model was given, with the block it was named in (slot 25; appended): the
    ///         operator a call is paid to and a witness is slashed from is the one in force in the call's block
    ///         ({operatorAt}). One slot per entry: fromBlock (u64, low 8 bytes), then operator.
    mapping(bytes32 modelId => OperatorChange[]) internal _operatorHistory;

    // ----------------------------------------------------------------------------------------------

    /// @notice Model already registered.
    error ModelExists(bytes32 modelId);
    /// @notice Model unknown.
    error UnknownModel(bytes32 modelId);
    /// @notice Caller is not the model owner.
    error NotModelOwner();
    /// @notice Caller is not the model's serving operator.
    error NotModelOperator();
    /// @notice Model is not active.
    error ModelNotActive(bytes32 modelId);
    /// @notice Model has another kind.
    error WrongKind(uint8 expected, uint8 actual);
    /// @notice Invalid model parameters.
    error InvalidParams();
    /// @notice Price above {maxPrice}.
    error PriceTooHigh(uint256 price, uint256 maxPrice);
    /// @notice Price changed too recently.
    error PriceCooldown(uint256 nextAllowed);
    /// @notice The payment does not match the price.
    error WrongPayment(uint256 paid, uint256 price);
    /// @notice Prepaid balance too small.
    error InsufficientBalance(uint256 balance, uint256 needed);
    /// @notice Split sums above 100%.
    error InvalidSplit();
    /// @notice Zero amount / address.
    error ZeroAmount();
    /// @notice Zero address.
    error ZeroAddress();
    /// @notice The operator does not serve this model.
    error OperatorNotServing(address operator, bytes32 modelId);
    /// @notice A native transfer failed.
    error TransferFailed();
    /// @notice Retired models cannot change.
    error ModelRetired(bytes32 modelId);
    /// @notice Input larger than the model accepts.
    error InputTooLarge(uint256 size, uint256 max);
    /// @notice The price is above the cap the caller set with {setCallerPriceCap}.
    error PriceAboveCallerCap(uint256 price, uint256 cap);
    /// @notice A moderator paused the model; only a moderator can resume it.
    error PausedByModerator(bytes32 modelId);
    /// @notice No announced price increase is due.
    error NoPriceDue(bytes32 modelId);
    /// @notice A governance parameter is out of its bounds.
    error OutOfBounds(uint256 value, uint256 min, uint256 max);
    /// @notice A zk verifying key must be 1 to {MAX_ZK_KEY_BYTES} bytes long.
    error InvalidZkKey(uint256 length);
    /// @notice The model already has a zk verifying key (the verification level never goes back, and a model id
    ///         pins its weights, so its key never needs to change).
    error ZkKeyAlreadySet(bytes32 modelId);

    /// @notice A model was registered.
    event ModelRegistered(bytes32 indexed modelId, address indexed owner, uint8 kind, uint256 price, address operator, string metadataURI);
    /// @notice Metering / limits changed.
    event ModelParamsUpdated(bytes32 indexed modelId, uint32 maxInputBytes, uint32 maxUnits, uint64 baseGas, uint64 gasPerUnit, uint32 gasPerInputByte, uint16 toleranceBps);
    /// @notice Price changed.
    event PriceUpdated(bytes32 indexed modelId, uint256 oldPrice, uint256 newPrice);
    /// @notice Operator changed; the new one serves (is paid, is slashable) from the next block on.
    event OperatorUpdated(bytes32 indexed modelId, address operator);
    /// @notice Metadata changed.
    event MetadataUpdated(bytes32 indexed modelId, string metadataURI);
    /// @notice Status changed.
    event StatusChanged(bytes32 indexed modelId, uint8 status);
    /// @notice Ownership moved.
    event ModelOwnershipTransferred(bytes32 indexed modelId, address indexed from, address indexed to);
    /// @notice A paid call was settled.
    event ModelCalled(bytes32 indexed modelId, address indexed caller, uint256 price, uint256 ownerShare, uint256 operatorShare, uint256 stakersShare, uint256 curatorsShare, uint256 treasuryShare);
    /// @notice Prepaid deposit.
    event Deposited(address indexed account, uint256 amount);
    /// @notice Prepaid withdrawal.
    event BalanceWithdrawn(address indexed account, uint256 amount);
    /// @notice Earnings withdrawn.
    event EarningsWithdrawn(address indexed account, uint256 amount);
    /// @notice Split changed.
    event SplitUpdated(uint16 ownerBps, uint16 operatorBps, uint16 stakersBps, uint16 curatorsBps);
    /// @notice Bounds changed.
    event BoundsUpdated(uint256 maxPrice, uint256 priceCooldown, uint64 minBaseGas, uint64 minGasPerUnit, uint32 minGasPerInputByte, bool requireServingOperator);
    /// @notice Wiring changed.
    event WiringUpdated(address treasury, address staking, address curation);
    /// @notice A price increase was announced; calls pay `newPrice` from `effectiveAt` on.
    event PriceIncreaseScheduled(bytes32 indexed modelId, uint256 currentPrice, uint256 newPrice, uint64 effectiveAt);
    /// @notice An announced price increase was withdrawn (a later price change replaced it).
    event PriceIncreaseCancelled(bytes32 indexed modelId, uint256 price);
    /// @notice A caller set its price cap for a model.
    event CallerPriceCapSet(address indexed caller, bytes32 indexed modelId, uint256 cap);
    /// @notice {priceIncreaseDelay} changed.
    event PriceIncreaseDelaySet(uint256 delay);
    /// @notice Someone claims a model id (a weights hash) belongs to them; moderators review `evidenceURI`.
    event ModelIdClaimed(bytes32 indexed modelId, address indexed claimant, string evidenceURI);
    /// @notice A moderator reassigned a model id after a claim (the model is left paused by the moderator).
    event ModelIdReassigned(bytes32 indexed modelId, address indexed from, address indexed to);
    /// @notice Whether a moderator's pause holds the model.
    event ModeratorPauseSet(bytes32 indexed modelId, bool paused);
    /// @notice Tolerance bounds changed.
    event ToleranceBoundsSet(uint16 minToleranceBps, uint16 maxToleranceBps);
    /// @notice A model's zk verifying key was registered: its verification level is zk from `effectiveFrom` on.
    /// @param modelId Model.
    /// @param keyHash keccak256 of the key ({zkKey} returns the key).
    /// @param effectiveFrom First L2 block in which every call of the model must carry a proof that verifies.
    event ZkKeySet(bytes32 indexed modelId, bytes32 keyHash, uint64 effectiveFrom);

    /// @notice Genesis initialiser.
    /// @param _admin Admin / governor.
    /// @param _treasury Treasury.
    /// @param _staking Staking predeploy.
    /// @param _curation Curation predeploy.
    /// @param _split Initial split.
    /// @param _floor Initial metering floors.
    /// @param _maxPrice Largest price per call.
    /// @param _priceCooldown Seconds between price changes.
    function initialize(
        address _admin,
        address _treasury,
        address _staking,
        address _curation,
        Split calldata _split,
        GasFloor calldata _floor,
        uint256 _maxPrice,
        uint256 _priceCooldown
    ) external initializer {
        if (_admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, _admin);
        _grantRole(GOVERNOR_ROLE, _admin);
        _grantRole(MODERATOR_ROLE, _admin);
        _setWiring(_treasury, _staking, _curation);
        _setSplit(_split);
        _setBounds(_maxPrice, _priceCooldown, _floor, false);
        _setPriceIncreaseDelay(DEFAULT_PRICE_INCREASE_DELAY);
        _setToleranceBounds(0, DEFAULT_MAX_TOLERANCE_BPS);
    }

    // ----------------------------------------------------------------------------------------------
    // Registry
    // ----------------------------------------------------------------------------------------------

    /// @notice Registers a model owned by the caller; it is active at once.
    /// @param modelId Hash of the weights artifact.
    /// @param p Parameters.
    /// @param metadataURI Off-chain metadata.
    function registerModel(bytes32 modelId, ModelParams calldata p, string calldata metadataURI)
        external
        whenNotPaused
    {
        if (modelId == bytes32(0)) revert InvalidParams();
        Model storage m = _models[modelId];
        if (m.status != STATUS_NONE) revert ModelExists(modelId);
        if (p.kind < KIND_EMBEDDING || p.kind > KIND_GENERIC) revert InvalidParams();
        _checkPrice(p.price);
        _checkOperator(modelId, p.operator);
        m.status = STATUS_ACTIVE;
        m.kind = p.kind;
        m.price = p.price;
        m.owner = msg.sender;
        // in force from this very block (no call of the model can precede its registration)
        _operatorHistory[modelId].push(
            OperatorChange({fromBlock: SafeCast.toUint64(block.number), operator: p.operator})
        );
        m.operator = p.operator;
        m.metadataURI = metadataURI;
        _setParams(modelId, m, p);
        lastPriceChange[modelId] = block.timestamp;
        ++modelCount;
        _modelIds.push(modelId);
        emit ModelRegistered(modelId, msg.sender, p.kind, p.price, p.operator, metadataURI);
        emit StatusChanged(modelId, STATUS_ACTIVE);
    }

    /// @notice Updates metering and limits (kind, price and operator are unchanged).
    /// @param modelId Model.
    /// @param p New parameters (kind, price, operator ignored).
    function updateModelParams(bytes32 modelId, ModelParams calldata p) external {
        Model storage m = _ownedLive(modelId);
        _setParams(modelId, m, p);
    }

    /// @notice Changes the price (≤ {maxPrice}, once per {priceCooldown}). A decrease (or keeping the
    ///         price) applies at once and withdraws any announced increase; an increase is announced
    ///         ({PriceIncreaseScheduled}, {pendingPrices}) and callers pay it only from
    ///         `block.timestamp + priceIncreaseDelay` on, so a call sent at the old price cannot be
    ///         charged the new one and prepaid callers can leave or set a cap first.
    /// @param modelId Model.
    /// @param newPrice New price in wei.
    function setPrice(bytes32 modelId, uint256 newPrice) external {
        Model storage m = _ownedLive(modelId);
        _checkPrice(newPrice);
        uint256 next = lastPriceChange[modelId] + priceCooldown;
        if (block.timestamp < next) revert PriceCooldown(next);
        lastPriceChange[modelId] = block.timestamp;
        uint256 current = _applyDuePrice(modelId, m);
        PendingPrice storage pending = pendingPrices[modelId];
        if (pending.effectiveAt != 0) {
            emit PriceIncreaseCancelled(modelId, pending.price);
            delete pendingPrices[modelId];
        }
        if (newPrice <= current) {
            emit PriceUpdated(modelId, current, newPrice);
            m.price = newPrice;
        } else {
            uint64 effectiveAt = SafeCast.toUint64(block.timestamp + priceIncreaseDelay);
            pending.price = newPrice;
            pending.effectiveAt = effectiveAt;
            emit PriceIncreaseScheduled(modelId, current, newPrice, effectiveAt);
        }
    }

    /// @notice Writes a due announced price increase into the registry record (the precompile reads
    ///         the record's price). Anyone may call it; paid calls and {setPrice} do it too.
    /// @param modelId Model.
    function applyPendingPrice(bytes32 modelId) external {
        Model storage m = _live(modelId);
        PendingPrice storage pending = pendingPrices[modelId];
        if (pending.effectiveAt == 0 || block.timestamp < pending.effectiveAt) revert NoPriceDue(modelId);
        _applyDuePrice(modelId, m);
    }

    /// @notice The price a call made now pays (an announced increase counts once due).
    /// @param modelId Model.
    /// @return price Price in wei.
    function currentPrice(bytes32 modelId) public view returns (uint256 price) {
        PendingPrice storage pending = pendingPrices[modelId];
        if (pending.effectiveAt != 0 && block.timestamp >= pending.effectiveAt) return pending.price;
        return _models[modelId].price;
    }

    /// @notice Sets the largest price per call the caller accepts for `modelId` (0 = no cap). Paid
    ///         calls above it revert {PriceAboveCallerCap}, whether paid by value or prepaid balance.
    /// @param modelId Model.
    /// @param cap Largest price in wei.
    function setCallerPriceCap(bytes32 modelId, uint256 cap) external {
        callerPriceCap[msg.sender][modelId] = cap;
        emit CallerPriceCapSet(msg.sender, modelId, cap);
    }

    /// @notice Changes the serving operator, from the next block on: every call in this block still pays the
    ///         operator in force at its start, and the block's witnesses are judged against that one too
    ///         ({operatorAt}). `getModel(modelId).operator` shows the new one at once.
    /// @param modelId Model.
    /// @param operator New operator (zero: none, its share goes to the treasury and nobody is slashable).
    function setOperator(bytes32 modelId, address operator) external {
        Model storage m = _ownedLive(modelId);
        _checkOperator(modelId, operator);
        _nameOperator(modelId, m, operator);
        emit OperatorUpdated(modelId, operator);
    }

    /// @notice The model's serving operator steps down (e.g. it no longer accepts the model's tolerance, or it
    ///         was named without its consent): from the next block on the model has no operator (no operator
    ///         share, nothing slashable) until its owner names one. Results recorded before stay its own.
    /// @param modelId Model.
    function resignOperator(bytes32 modelId) external {
        Model storage m = _models[modelId];
        if (msg.sender != m.operator || msg.sender == address(0)) revert NotModelOperator();
        _nameOperator(modelId, m, address(0));
        emit OperatorUpdated(modelId, address(0));
    }

    /// @notice Changes the metadata URI.
    /// @param modelId Model.
    /// @param metadataURI New URI.
    function setMetadataURI(bytes32 modelId, string calldata metadataURI) external {
        Model storage m = _ownedLive(modelId);
        m.metadataURI = metadataURI;
        emit MetadataUpdated(modelId, metadataURI);
    }

    /// @notice Pauses (`active == false`) or resumes a model. Owner, or a moderator. A moderator's pause is
    ///         sticky: the owner cannot resume the model ({PausedByModerator}) until a moderator does.
    /// @param modelId Model.
    /// @param active Whether the model should be active.
    function setActive(bytes32 modelId, bool active) external {
        Model storage m = _live(modelId);
        bool moderator = hasRole(MODERATOR_ROLE, msg.sender);
        if (msg.sender != m.owner && !moderator) revert NotModelOwner();
        if (moderator) {
            if (moderatorPaused[modelId] == active) {
                moderatorPaused[modelId] = !active;
                emit ModeratorPauseSet(modelId, !active);
            }
        } else if (active && moderatorPaused[modelId]) {
            revert PausedByModerator(modelId);
        }
        uint8 status = active ? STATUS_ACTIVE : STATUS_PAUSED;
        m.status = status;
        emit StatusChanged(modelId, status);
    }

    /// @notice Retires a model. Owner, or a moderator (e.g. a model proven bad). A moderator can reinstate a
    ///         retired id for its rightful owner ({reassignModelId}).
    /// @param modelId Model.
    function retire(bytes32 modelId) external {
        Model storage m = _live(modelId);
        if (msg.sender != m.owner && !hasRole(MODERATOR_ROLE, msg.sender)) revert NotModelOwner();
        m.status = STATUS_RETIRED;
        emit StatusChanged(modelId, STATUS_RETIRED);
    }

    /// @notice Claims that a registered model id (a weights hash) belongs to the caller, e.g. because someone
    ///         else registered the id first. Emits {ModelIdClaimed} for the moderators, who pause the model
    ///         (sticky) while they review and then {reassignModelId} or dismiss the claim.
    /// @param modelId Model.
    /// @param evidenceURI Where the evidence of authorship is (e.g. signed release, repository).
    function claimModelId(bytes32 modelId, string calldata evidenceURI) external {
        if (_models[modelId].status == STATUS_NONE) revert UnknownModel(modelId);
        emit ModelIdClaimed(modelId, msg.sender, evidenceURI);
    }

    /// @notice Moderators: gives a model id to its rightful owner after a claim (also reinstates a retired
    ///         id). The model is left paused by a moderator with no serving operator and no announced price
    ///         increase; the new owner configures it and a moderator resumes it.
    /// @param modelId Model.
    /// @param newOwner Rightful owner.
    function reassignModelId(bytes32 modelId, address newOwner) external onlyRole(MODERATOR_ROLE) {
        Model storage m = _models[modelId];
        if (m.status == STATUS_NONE) revert UnknownModel(modelId);
        if (newOwner == address(0)) revert ZeroAddress();
        emit ModelIdReassigned(modelId, m.owner, newOwner);
        emit ModelOwnershipTransferred(modelId, m.owner, newOwner);
        m.owner = newOwner;
        _nameOperator(modelId, m, address(0));
        emit OperatorUpdated(modelId, address(0));
        if (pendingPrices[modelId].effectiveAt != 0) {
            emit PriceIncreaseCancelled(modelId, pendingPrices[modelId].price);
            delete pendingPrices[modelId];
        }
        m.status = STATUS_PAUSED;
        emit StatusChanged(modelId, STATUS_PAUSED);
        if (!moderatorPaused[modelId]) {
            moderatorPaused[modelId] = true;
            emit ModeratorPauseSet(modelId, true);
        }
    }

    /// @notice Transfers a model to a new owner.
    /// @param modelId Model.
    /// @param newOwner New owner.
    function transferModelOwnership(bytes32 modelId, address newOwner) external {
        Model storage m = _ownedLive(modelId);
        if (newOwner == address(0)) revert ZeroAddress();
        emit ModelOwnershipTransferred(modelId, m.owner, newOwner);
        m.owner = newOwner;
    }

    /// @notice Registers the model's zero-knowledge verifying key, making its verification level zk from the next
    ///         block on ({verificationAt}): from then on every node verifies the proof of each of its calls against
    ///         this key before the answer counts (a call whose proof does not verify is never recorded), each
    ///         recorded output is `abi.encode(bytes output, bytes proof)`, and InferenceDisputes refuses evidence
    ///         against its records (records made before stay disputable). Owner only; the model must be live (not
    ///         retired; a paused model may be made zk) and generic (kind 3, the only kind with a proving circuit).
    ///         Once only ({ZkKeyAlreadySet}): the level never goes back, and the key stays with the model id
    ///         (also through {transferModelOwnership} and {reassignModelId}), since the id pins the weights.
    ///         Costs about 22k gas per 32 bytes of key (a 2 KiB key ≈ 1.4M gas, a 16 KiB one ≈ 11.3M).
    /// @param modelId Model (kind generic).
    /// @param key The verifying key, 1 to {MAX_ZK_KEY_BYTES} bytes (the node's `bai infer zk-key` writes it).
    function setZkKey(bytes32 modelId, bytes calldata key) external {
        Model storage m = _ownedLive(modelId);
        if (m.kind != KIND_GENERIC) revert WrongKind(KIND_GENERIC, m.kind);
        if (key.length == 0 || key.length > MAX_ZK_KEY_BYTES) revert InvalidZkKey(key.length);
        if (m.zkKeyHash != bytes32(0)) revert ZkKeyAlreadySet(modelId);
        bytes32 keyHash = keccak256(key);
        // In force from the next block: this block's witnesses were recorded at its start, without proofs.
        uint64 effectiveFrom = SafeCast.toUint64(block.number + 1);
        m.zkKeyHash = keyHash;
        m.zkSince = effectiveFrom;
        _zkKeys[modelId] = key;
        emit ZkKeySet(modelId, keyHash, effectiveFrom);
    }

    /// @notice The zk verifying key registered for a model ({setZkKey}); empty while it has none.
    /// @param modelId Model.
    /// @return key The key (keccak256 of it is `getModel(modelId).zkKeyHash`).
    function zkKey(bytes32 modelId) external view returns (bytes memory key) {
        return _zkKeys[modelId];
    }

    /// @notice The verification level of a model's calls in `blockNumber`: {LEVEL_ZK} when it has a zk verifying key
    ///         in force in that block (`zkKeyHash != 0 && blockNumber >= zkSince`), {LEVEL_OPTIMISTIC} otherwise
    ///         (also for an unknown model). InferenceDisputes asks it for the block of a disputed record.
    /// @param modelId Model.
    /// @param blockNumber Block (of a call, or of a witness record).
    /// @return level {LEVEL_OPTIMISTIC} or {LEVEL_ZK}.
    function verificationAt(bytes32 modelId, uint64 blockNumber) public view returns (uint8 level) {
        Model storage m = _models[modelId];
        return (m.zkKeyHash != bytes32(0) && blockNumber >= m.zkSince) ? LEVEL_ZK : LEVEL_OPTIMISTIC;
    }

    /// @notice Returns a model.
    /// @param modelId Model.
    /// @return The record.
    function getModel(bytes32 modelId) external view returns (Model memory) {
        return _models[modelId];
    }

    /// @notice Every registered model id (any status), in registration order; with {getModel} this
    ///         enumerates the registry (the node's `bai_listModels` RPC does exactly that). Unbounded: use
    ///         {modelCount} and {modelIdsPage} once the registry is large.
    /// @return ids Model ids.
    function modelIds() external view returns (bytes32[] memory ids) {
        return _modelIds;
    }

    /// @notice The tolerance a witness recorded in `blockNumber` is judged by: the last one the owner declared
    ///         in an earlier block (witnesses are recorded at the start of their block, before any owner
    ///         transaction), the first declared one for a model registered in that very block, clamped to
    ///         the current governance bounds. Later owner changes cannot make a recorded result (un)slashable.
    /// @param modelId Model.
    /// @param blockNumber Block the witness was recorded in.
    /// @return toleranceBps Tolerance in basis points.
    function toleranceAt(bytes32 modelId, uint64 blockNumber) external view returns (uint16 toleranceBps) {
        ToleranceChange[] storage h = _toleranceHistory[modelId];
        uint256 n = h.length;
        if (n == 0) {
            toleranceBps = _models[modelId].toleranceBps;
        } else {
            // binary search for the last change with fromBlock < blockNumber
            uint256 lo = 0;
            uint256 hi = n;
            while (lo < hi) {
                uint256 mid = (lo + hi) / 2;
                if (h[mid].fromBlock < blockNumber) lo = mid + 1;
                else hi = mid;
            }
            toleranceBps = h[lo == 0 ? 0 : lo - 1].toleranceBps;
        }
        if (toleranceBps < minToleranceBps) toleranceBps = minToleranceBps;
        if (toleranceBps > maxToleranceBps) toleranceBps = maxToleranceBps;
    }

    /// @notice The serving operator of a model in `blockNumber`: the one paid for the calls of that block and
    ///         slashed for the witnesses recorded in it. That is the last operator named in an earlier block (a
    ///         change takes effect from the next block), or the one named at registration for the registration
    ///         block; zero before the model was registered and while it has none.
    /// @param modelId Model.
    /// @param blockNumber Block (of a call, or of a witness record).
    /// @return operator Operator, zero for none.
    function operatorAt(bytes32 modelId, uint64 blockNumber) external view returns (address operator) {
        return _operatorAt(modelId, blockNumber);
    }

    /// @notice A page of {modelIds}: at most `limit` ids from position `offset` (registration order); empty
    ///         past the end. Bounded reads for callers that cannot rely on the whole list fitting a call.
    /// @param offset First position.
    /// @param limit Largest number of ids returned.
    /// @return ids Model ids.
    function modelIdsPage(uint256 offset, uint256 limit) external view returns (bytes32[] memory ids) {
        uint256 n = _modelIds.length;
        if (offset >= n) return new bytes32[](0);
        uint256 end = n - offset < limit ? n : offset + limit;
        ids = new bytes32[](end - offset);
        for (uint256 i = offset; i < end; ++i) {
            ids[i - offset] = _modelIds[i];
        }
    }

    /// @notice Gas the precompile charges at most: baseGas + gasPerInputByte × inputBytes + gasPerUnit × maxUnits, and
    ///         for a model at the zk level in the current block also the proof verification's gas, which depends on
    ///         the circuit size only the precompile reads from the key: then the precompile's own quote is returned.
    /// @param modelId Model.
    /// @param inputBytes Input size.
    /// @param maxUnits Maximum units.
    /// @return gas Gas.
    function quote(bytes32 modelId, uint256 inputBytes, uint32 maxUnits) external view returns (uint256 gas) {
        Model storage m = _models[modelId];
        if (m.status == STATUS_NONE) revert UnknownModel(modelId);
        if (verificationAt(modelId, SafeCast.toUint64(block.number)) == LEVEL_ZK) {
            return BaiInference.quote(modelId, inputBytes, maxUnits);
        }
        return uint256(m.baseGas) + uint256(m.gasPerInputByte) * inputBytes + uint256(m.gasPerUnit) * maxUnits;
    }

    // ----------------------------------------------------------------------------------------------
    // Paid calls
    // ----------------------------------------------------------------------------------------------

    /// @notice Pays for and runs an embedding model.
    /// @param modelId Model (kind embedding).
    /// @param text Input.
    /// @return embedding Unit vector × 1e6.
    function embed(bytes32 modelId, string calldata text)
        external
        payable
        nonReentrant
        whenNotPaused
        returns (int32[] memory embedding)
    {
        _pay(modelId, KIND_EMBEDDING, bytes(text).length);
        return IBaiInference(BaiInference.PRECOMPILE).embed(modelId, text);
    }

    /// @notice Pays for and runs a generation model.
    /// @param modelId Model (kind generation).
    /// @param prompt Prompt.
    /// @param maxTokens Maximum tokens.
    /// @return text Generated text.
    function generate(bytes32 modelId, string calldata prompt, uint32 maxTokens)
        external
        payable
        nonReentrant
        whenNotPaused
        returns (string memory text)
    {
        _pay(modelId, KIND_GENERATION, bytes(prompt).length);
        return IBaiInference(BaiInference.PRECOMPILE).generate(modelId, prompt, maxTokens);
    }

    /// @notice Pays for and runs a generic model.
    /// @param modelId Model (kind generic).
    /// @param input Input.
    /// @param maxUnits Maximum units.
    /// @return output Output.
    function infer(bytes32 modelId, bytes calldata input, uint32 maxUnits)
        external
        payable
        nonReentrant
        whenNotPaused
        returns (bytes memory output)
    {
        _pay(modelId, KIND_GENERIC, input.length);
        return IBaiInference(BaiInference.PRECOMPILE).infer(modelId, input, maxUnits);
    }

    /// @notice Adds `msg.value` to the caller's prepaid balance.
    function deposit() external payable {
        depositFor(msg.sender);
    }

    /// @notice Adds `msg.value` to `account`'s prepaid balance.
    /// @param account Beneficiary.
    function depositFor(address account) public payable {
        if (msg.value == 0) revert ZeroAmount();
        if (account == address(0)) revert ZeroAddress();
        balances[account] += msg.value;
        totalBalances += msg.value;
        emit Deposited(account, msg.value);
    }

    /// @notice Withdraws from the caller's prepaid balance.
    /// @param amount Amount.
    function withdrawBalance(uint256 amount) external nonReentrant {
        uint256 bal = balances[msg.sender];
        if (amount == 0) revert ZeroAmount();
        if (amount > bal) revert InsufficientBalance(bal, amount);
        balances[msg.sender] = bal - amount;
        totalBalances -= amount;
        emit BalanceWithdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    /// @notice Withdraws the caller's earnings.
    /// @return amount Amount.
    function withdrawEarnings() external nonReentrant returns (uint256 amount) {
        amount = earnings[msg.sender];
        if (amount == 0) revert ZeroAmount();
        earnings[msg.sender] = 0;
        totalEarnings -= amount;
        emit EarningsWithdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    /// @notice Computes the split of `price` for `modelId` as {embed} would settle it now (operator's shares to
    ///         the operator in force in this block, {operatorAt}).
    /// @param modelId Model.
    /// @param price Amount.
    /// @return ownerShare Owner share.
    /// @return operatorShare Operator share.
    /// @return stakersShare Stakers share.
    /// @return curatorsShare Curators share.
    /// @return treasuryShare Treasury share (incl. shares without recipient and the remainder).
    function previewSplit(bytes32 modelId, uint256 price)
        external
        view
        returns (
            uint256 ownerShare,
            uint256 operatorShare,
            uint256 stakersShare,
            uint256 curatorsShare,
            uint256 treasuryShare
        )
    {
        return _splitFor(modelId, _operatorAt(modelId, SafeCast.toUint64(block.number)), price);
    }

    // ----------------------------------------------------------------------------------------------
    // Governance
    // ----------------------------------------------------------------------------------------------

    /// @notice Sets the revenue split.
    /// @param s New split.
    function setSplit(Split calldata s) external onlyRole(GOVERNOR_ROLE) {
        _setSplit(s);
    }

    /// @notice Sets price bounds and metering floors.
    /// @param _maxPrice Largest price.
    /// @param _priceCooldown Seconds between price changes.
    /// @param _floor Metering floors.
    /// @param _requireServingOperator Whether operators must declare the model in Staking.
    function setBounds(uint256 _maxPrice, uint256 _priceCooldown, GasFloor calldata _floor, bool _requireServingOperator)
        external
        onlyRole(GOVERNOR_ROLE)
    {
        _setBounds(_maxPrice, _priceCooldown, _floor, _requireServingOperator);
    }

    /// @notice Sets {priceIncreaseDelay} within [{MIN_PRICE_INCREASE_DELAY}, {MAX_PRICE_INCREASE_DELAY}].
    ///         Applies to increases announced afterwards.
    /// @param delay Seconds.
    function setPriceIncreaseDelay(uint256 delay) external onlyRole(GOVERNOR_ROLE) {
        _setPriceIncreaseDelay(delay);
    }

    /// @notice Sets the bounds of a model's toleranceBps (min ≤ max ≤ 10,000). They apply to declarations
    ///         made afterwards and clamp {toleranceAt}.
    /// @param minBps Smallest tolerance.
    /// @param maxBps Largest tolerance.
    function setToleranceBounds(uint16 minBps, uint16 maxBps) external onlyRole(GOVERNOR_ROLE) {
        _setToleranceBounds(minBps, maxBps);
    }

    /// @notice Sets treasury, staking and curation addresses.
    /// @param _treasury Treasury.
    /// @param _staking Staking (zero: stakers' share to treasury).
    /// @param _curation Curation (zero: curators' share to treasury).
    function setWiring(address _treasury, address _staking, address _curation) external onlyRole(GOVERNOR_ROLE) {
        _setWiring(_treasury, _staking, _curation);
    }

    /// @notice Pauses paid calls and registrations (the `whenNotPaused` functions: {registerModel}, {embed},
    ///         {generate}, {infer}); deposits, withdrawals, owner and moderator actions stay open. Callable at once
    ///         by a GUARDIAN_ROLE holder (the emergency path, no proposal) or by a GOVERNOR_ROLE holder. Emits
    ///         `Paused(caller)`; reverts `EnforcedPause` when already paused, and
    ///         `AccessControlUnauthorizedAccount(caller, GOVERNOR_ROLE)` for a caller with neither role.
    function pause() external {
        if (!hasRole(GUARDIAN_ROLE, msg.sender)) _checkRole(GOVERNOR_ROLE);
        _pause();
    }

    /// @notice Resumes paid calls and registrations. GOVERNOR_ROLE only: a guardian cannot lift a pause, its own
    ///         included. Emits `Unpaused(caller)`.
    function unpause() external onlyRole(GOVERNOR_ROLE) {
        _unpause();
    }

    // ----------------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------------

    function _pay(bytes32 modelId, uint8 kind, uint256 inputLength) private {
        Model storage m = _models[modelId];
        if (m.status != STATUS_ACTIVE) revert ModelNotActive(modelId);
        if (m.kind != kind) revert WrongKind(kind, m.kind);
        if (inputLength > m.maxInputBytes) revert InputTooLarge(inputLength, m.maxInputBytes);
        uint256 price = _applyDuePrice(modelId, m);
        uint256 cap = callerPriceCap[msg.sender][modelId];
        if (cap != 0 && price > cap) revert PriceAboveCallerCap(price, cap);
        if (msg.value != 0) {
            if (msg.value != price) revert WrongPayment(msg.value, price);
        } else if (price != 0) {
            uint256 bal = balances[msg.sender];
            if (bal < price) revert InsufficientBalance(bal, price);
            balances[msg.sender] = bal - price;
            totalBalances -= price;
        }
        if (price == 0) return;

        // The operator in force at the start of this block (a change made in it applies from the next one).
        address operator = _operatorAt(modelId, SafeCast.toUint64(block.number));
        (uint256 o, uint256 op, uint256 st, uint256 cu, uint256 tr) = _splitFor(modelId, operator, price);
        emit ModelCalled(modelId, msg.sender, price, o, op, st, cu, tr);
        _credit(m.owner, o);
        _credit(operator, op);
        _credit(treasury, tr);
        if (st != 0) staking.notifyReward{value: st}(operator);
        if (cu != 0) curation.notifyReward{value: cu}(modelId);
    }

    /// @dev The split of `price` for a call of `modelId` served by `operator`.
    function _splitFor(bytes32 modelId, address operator, uint256 price)
        private
        view
        returns (
            uint256 ownerShare,
            uint256 operatorShare,
            uint256 stakersShare,
            uint256 curatorsShare,
            uint256 treasuryShare
        )
    {
        Split memory s = split;
        ownerShare = (price * s.ownerBps) / BPS;
        operatorShare = operator == address(0) ? 0 : (price * s.operatorBps) / BPS;
        stakersShare = (operator != address(0) && address(staking) != address(0) && staking.canReceiveRewards(operator))
            ? (price * s.stakersBps) / BPS
            : 0;
        curatorsShare =
            (address(curation) != address(0) && curation.canReceiveRewards(modelId)) ? (price * s.curatorsBps) / BPS : 0;
        treasuryShare = price - ownerShare - operatorShare - stakersShare - curatorsShare;
    }

    /// @dev Names `operator` for a registered model (in force from the next block; see {operatorAt}). A model
    ///      registered before the history existed (none at genesis) first gets its operator so far, since block 0.
    function _nameOperator(bytes32 modelId, Model storage m, address operator) private {
        OperatorChange[] storage h = _operatorHistory[modelId];
        if (h.length == 0) h.push(OperatorChange({fromBlock: 0, operator: m.operator}));
        if (operator != m.operator) {
            h.push(OperatorChange({fromBlock: SafeCast.toUint64(block.number), operator: operator}));
        }
        m.operator = operator;
    }

    function _operatorAt(bytes32 modelId, uint64 blockNumber) private view returns (address) {
        OperatorChange[] storage h = _operatorHistory[modelId];
        uint256 n = h.length;
        // unregistered (zero), or registered before the history existed: the operator it has
        if (n == 0) return _models[modelId].operator;
        // the usual case: the latest change was made in an earlier block
        OperatorChange storage last = h[n - 1];
        if (last.fromBlock < blockNumber) return last.operator;
        // binary search for the first change made in `blockNumber` or later (h[n - 1] is one)
        uint256 lo = 0;
        uint256 hi = n - 1;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (h[mid].fromBlock < blockNumber) lo = mid + 1;
            else hi = mid;
        }
        if (lo != 0) return h[lo - 1].operator;
        // No change before `blockNumber` (so h[0].fromBlock >= blockNumber): the registration's operator if it
        // registered in that very block, none before.
        return h[0].fromBlock <= blockNumber ? h[0].operator : address(0);
    }

    /// @dev Moves a due announced increase into the record; returns the price in force.
    function _applyDuePrice(bytes32 modelId, Model storage m) private returns (uint256) {
        PendingPrice storage pending = pendingPrices[modelId];
        uint64 at = pending.effectiveAt;
        if (at == 0 || block.timestamp < at) return m.price;
        uint256 price = pending.price;
        delete pendingPrices[modelId];
        emit PriceUpdated(modelId, m.price, price);
        m.price = price;
        return price;
    }

    function _setToleranceBounds(uint16 minBps, uint16 maxBps) private {
        if (minBps > maxBps || maxBps > BPS) revert OutOfBounds(maxBps, minBps, BPS);
        minToleranceBps = minBps;
        maxToleranceBps = maxBps;
        emit ToleranceBoundsSet(minBps, maxBps);
    }

    function _setPriceIncreaseDelay(uint256 delay) private {
        if (delay < MIN_PRICE_INCREASE_DELAY || delay > MAX_PRICE_INCREASE_DELAY) {
            revert OutOfBounds(delay, MIN_PRICE_INCREASE_DELAY, MAX_PRICE_INCREASE_DELAY);
        }
        priceIncreaseDelay = delay;
        emit PriceIncreaseDelaySet(delay);
    }

    function _credit(address to, uint256 amount) private {
        if (amount == 0) return;
        earnings[to] += amount;
        totalEarnings += amount;
    }

    function _live(bytes32 modelId) private view returns (Model storage m) {
        m = _models[modelId];
        if (m.status == STATUS_NONE) revert UnknownModel(modelId);
        if (m.status == STATUS_RETIRED) revert ModelRetired(modelId);
    }

    function _ownedLive(bytes32 modelId) private view returns (Model storage m) {
        m = _live(modelId);
        if (m.owner != msg.sender) revert NotModelOwner();
    }

    function _setParams(bytes32 modelId, Model storage m, ModelParams calldata p) private {
        GasFloor memory f = gasFloor;
        if (
            p.maxInputBytes == 0 || p.baseGas < f.baseGas || p.gasPerUnit < f.gasPerUnit
                || p.gasPerInputByte < f.gasPerInputByte || p.toleranceBps < minToleranceBps
                || p.toleranceBps > maxToleranceBps
        ) revert InvalidParams();
        if (p.toleranceBps != m.toleranceBps || _toleranceHistory[modelId].length == 0) {
            _toleranceHistory[modelId].push(
                ToleranceChange({fromBlock: SafeCast.toUint64(block.number), toleranceBps: p.toleranceBps})
            );
        }
        m.maxInputBytes = p.maxInputBytes;
        m.maxUnits = p.maxUnits;
        m.baseGas = p.baseGas;
        m.gasPerUnit = p.gasPerUnit;
        m.gasPerInputByte = p.gasPerInputByte;
        m.toleranceBps = p.toleranceBps;
        emit ModelParamsUpdated(
            modelId, p.maxInputBytes, p.maxUnits, p.baseGas, p.gasPerUnit, p.gasPerInputByte, p.toleranceBps
        );
    }

    function _checkPrice(uint256 price) private view {
        if (price > maxPrice) revert PriceTooHigh(price, maxPrice);
    }

    function _checkOperator(bytes32 modelId, address operator) private view {
        if (
            requireServingOperator && operator != address(0)
                && (address(staking) == address(0) || !staking.isServing(operator, modelId))
        ) revert OperatorNotServing(operator, modelId);
    }

    function _setSplit(Split calldata s) private {
        if (uint256(s.ownerBps) + s.operatorBps + s.stakersBps + s.curatorsBps > BPS) revert InvalidSplit();
        split = s;
        emit SplitUpdated(s.ownerBps, s.operatorBps, s.stakersBps, s.curatorsBps);
    }

    function _setBounds(uint256 _maxPrice, uint256 _priceCooldown, GasFloor calldata _floor, bool _require) private {
        if (_priceCooldown > MAX_PRICE_COOLDOWN) revert OutOfBounds(_priceCooldown, 0, MAX_PRICE_COOLDOWN);
        maxPrice = _maxPrice;
        priceCooldown = _priceCooldown;
        gasFloor = _floor;
        requireServingOperator = _require;
        emit BoundsUpdated(_maxPrice, _priceCooldown, _floor.baseGas, _floor.gasPerUnit, _floor.gasPerInputByte, _require);
    }

    function _setWiring(address _treasury, address _staking, address _curation) private {
        if (_treasury == address(0)) revert ZeroAddress();
        treasury = _treasury;
        staking = IStakingRewards(_staking);
        curation = ICurationRewards(_curation);
        emit WiringUpdated(_treasury, _staking, _curation);
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }
}
