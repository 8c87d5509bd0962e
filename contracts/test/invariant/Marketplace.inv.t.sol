// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Test} from "forge-std/Test.sol";
import {L2Base} from "../L2/L2Base.t.sol";
import {ModelMarketplace} from "../../src/L2/ModelMarketplace.sol";
import {Staking} from "../../src/L2/Staking.sol";
import {Curation} from "../../src/L2/Curation.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";

/// @notice Three models, one of each kind (embed, generate, infer), called by three users (prepaid or by value,
///         with their own price caps) while their owners change price (increases wait for the delay), tolerance,
///         operator (in force from the next block; operators also resign), status and ownership; a moderator
///         pauses (sticky), resumes, retires and reassigns; the
///         governor changes the split, the tolerance bounds, the price-increase delay and pauses everything.
///         The handler keeps its own model of the registry (a ghost written from the rules, not read back from
///         the contract) and, for every paid call, measures what each recipient actually received (earnings,
///         Staking's and Curation's balances) and what the caller actually paid, against the split computed
///         from the ghost split in basis points — never from `previewSplit` — with the operator the ghost's own
///         history says is in force in the call's block.
contract MarketHandler is Test {
    ModelMarketplace internal mkt = ModelMarketplace(Predeploys.MODEL_MARKETPLACE);
    Staking internal st = Staking(payable(Predeploys.STAKING));
    Curation internal cu = Curation(Predeploys.CURATION);
    uint256 internal constant BPS = 10_000;
    address internal constant TREASURY = address(0x7EA);
    address internal constant STAKED_OPERATOR = address(0x0E2);
    address internal constant BARE_OPERATOR = address(0x0E5); // not a validator: no stakers' share
    address internal constant CURATOR = address(0xC0);
    address internal admin; // governor and moderator
    address[3] internal users = [address(0x05E2), address(0x05E3), address(0x05E4)];
    address[3] internal owners = [address(0x0E1), address(0x0E3), address(0x0E4)];
    address[3] internal operators = [STAKED_OPERATOR, BARE_OPERATOR, address(0)];
    bytes32[3] internal models = [keccak256("m0"), keccak256("m1"), keccak256("m2")];

    /// The registry as the rules say it must be.
    struct G {
        uint8 kind;
        uint8 status;
        bool moderatorPaused;
        address owner;
        address operator;
        uint256 price; // the record's price
        uint256 pendingPrice;
        uint256 pendingAt; // 0: none
        uint256 lastPriceChange;
        uint16 tolerance;
    }

    struct TolChange {
        uint64 blockNumber;
        uint16 bps;
    }

    struct OpChange {
        uint64 blockNumber;
        address op;
    }

    G[3] internal g; // g[m].operator: the latest named (the record's operator field)
    mapping(uint256 => TolChange[]) internal tolHistory;
    mapping(uint256 => OpChange[]) internal opHistory;
    uint64[3] internal zkSince; // 0: optimistic (no key)
    bytes32[3] internal zkKeyHash;
    ModelMarketplace.Split internal split = ModelMarketplace.Split(7000, 1500, 500, 500);
    uint16 internal minTol;
    uint16 internal maxTol = 2500;
    uint256 internal increaseDelay = 1 days;
    uint256 internal cooldown;
    bool internal paused;

    // money ghosts
    uint256 public ghostPaid; // prices of the paid calls (ghost price)
    uint256 public ghostSplitSum; // what the recipients' balances actually gained
    uint256 public ghostDeposited; // into the marketplace (prepaid deposits and call values)
    uint256 public ghostWithdrawn; // out of the marketplace (balances and earnings)
    uint256 public ghostCurated; // curation deposits made by the handler
    uint256 public paidCalls;
    uint256 public settledCalls;
    // violations (all must stay 0)
    uint256 public splitMismatches; // a recipient did not receive its share of the ghost split
    uint256 public overcharges; // a caller paid something other than the ghost price in force
    uint256 public capBreaches; // a call above the caller's cap went through
    uint256 public blockedCallsServed; // a call on a paused / retired model, wrong kind or while paused went through
    uint256 public wrongRefusals; // something the rules allow was refused
    uint256 public wrongPayouts; // a withdrawal of earnings paid other than the earnings
    uint256 public unauthorized; // a non-owner changed a model, or an owner undid a moderator's pause
    uint256 public ruleBreaks; // a change the rules refuse went through (cooldown, bounds, retired model)

    constructor(address _admin) {
        admin = _admin;
        cooldown = mkt.priceCooldown();
        uint256[3] memory prices = [uint256(1 ether), 3 wei, 7_777_777_777];
        for (uint256 i = 0; i < 3; ++i) {
            uint8 kind = uint8(i + 1);
            vm.prank(owners[0]);
            mkt.registerModel(models[i], _params(kind, 0, prices[i], operators[i]), "");
            g[i] = G(kind, 1, false, owners[0], operators[i], prices[i], 0, 0, block.timestamp, 0);
            tolHistory[i].push(TolChange(uint64(block.number), 0));
            opHistory[i].push(OpChange(uint64(block.number), operators[i]));
        }
        vm.deal(CURATOR, 1 ether);
        vm.prank(CURATOR);
        cu.curate{value: 1 ether}(models[1]);
    }

    function _params(uint8 kind, uint16 tol, uint256 price, address op)
        internal
        pure
        returns (ModelMarketplace.ModelParams memory)
    {
        return ModelMarketplace.ModelParams(kind, 4096, 16, 30_000, 10, 1, tol, price, op);
    }

    // ------------------------------------------------------------------------------------------
    // Callers
    // ------------------------------------------------------------------------------------------

    /// A user calls model `m`, prepaid or paying by value, with the model's call kind (embed / generate / infer)
    /// or, one time in eight, another kind.
    function callAs(uint256 u, uint256 m, uint8 kind, uint256 seed, bool prepaid) public returns (bool ok) {
        m = m % 3;
        kind = kind >= 224 ? uint8(kind % 3) + 1 : g[m].kind;
        address who = users[u % 3];
        uint256 price = _current(m);
        uint256 cap = mkt.callerPriceCap(who, models[m]);
        bool allowed = !paused && g[m].status == 1 && g[m].kind == kind && (cap == 0 || price <= cap)
            && (!prepaid || price == 0 || mkt.balances(who) >= price);
        if (!prepaid) vm.deal(who, price);
        uint256[6] memory before = _holdings(m, who);
        ok = _call(who, m, kind, seed, prepaid ? 0 : price);
        if (!ok) {
            if (allowed) ++wrongRefusals;
            return false;
        }
        if (!allowed) {
            if (cap != 0 && price > cap) ++capBreaches;
            else ++blockedCallsServed;
        }
        _checkPayment(m, who, price, prepaid, before);
        _applyDue(m);
    }

    function _call(address who, uint256 m, uint8 kind, uint256 seed, uint256 value) internal returns (bool) {
        bytes memory input = abi.encodePacked(seed);
        vm.prank(who);
        if (kind == 1) {
            try mkt.embed{value: value}(models[m], string(input)) {
                return true;
            } catch {}
        } else if (kind == 2) {
            try mkt.generate{value: value}(models[m], string(input), 8) {
                return true;
            } catch {}
        } else {
            try mkt.infer{value: value}(models[m], input, 8) {
                return true;
            } catch {}
        }
        return false;
    }

    /// [owner earnings, operator earnings, treasury earnings, Staking balance, Curation balance, caller funds]
    function _holdings(uint256 m, address who) internal view returns (uint256[6] memory h) {
        h[0] = mkt.earnings(g[m].owner);
        address op = _opAt(m, uint64(block.number));
        h[1] = op == address(0) ? 0 : mkt.earnings(op);
        h[2] = mkt.earnings(TREASURY);
        h[3] = Predeploys.STAKING.balance;
        h[4] = Predeploys.CURATION.balance;
        h[5] = mkt.balances(who) + who.balance;
    }

    /// What every recipient gained, against the ghost split (owners, operators and the treasury are distinct
    /// accounts here, so each earnings delta is one share).
    function _checkPayment(uint256 m, address who, uint256 price, bool prepaid, uint256[6] memory b) internal {
        uint256[6] memory a = _holdings(m, who);
        address op = _opAt(m, uint64(block.number)); // named before this block (a change applies from the next)
        uint256 ownerShare = price * split.ownerBps / BPS;
        uint256 operatorShare = op == address(0) ? 0 : price * split.operatorBps / BPS;
        uint256 stakersShare = op != address(0) && st.canReceiveRewards(op) ? price * split.stakersBps / BPS : 0;
        uint256 curatorsShare = cu.canReceiveRewards(models[m]) ? price * split.curatorsBps / BPS : 0;
        uint256 treasuryShare = price - ownerShare - operatorShare - stakersShare - curatorsShare;
        if (
            a[0] - b[0] != ownerShare || a[1] - b[1] != operatorShare || a[2] - b[2] != treasuryShare
                || a[3] - b[3] != stakersShare || a[4] - b[4] != curatorsShare
        ) ++splitMismatches;
        if (b[5] - a[5] != price) ++overcharges;
        ghostSplitSum += (a[0] - b[0]) + (a[1] - b[1]) + (a[2] - b[2]) + (a[3] - b[3]) + (a[4] - b[4]);
        ghostPaid += price;
        if (!prepaid) ghostDeposited += price;
        if (price != 0) ++paidCalls;
    }

    function setCap(uint256 u, uint256 m, uint256 cap) external {
        vm.prank(users[u % 3]);
        mkt.setCallerPriceCap(models[m % 3], bound(cap, 0, 5 ether));
    }

    function deposit(uint256 u, uint256 amount) public {
        amount = bound(amount, 1, 100 ether);
        address who = users[u % 3];
        vm.deal(who, amount);
        vm.prank(who);
        mkt.deposit{value: amount}();
        ghostDeposited += amount;
    }

    function depositFor(uint256 u, uint256 amount) external {
        amount = bound(amount, 1, 100 ether);
        vm.deal(address(this), amount);
        mkt.depositFor{value: amount}(users[u % 3]);
        ghostDeposited += amount;
    }

    function withdrawAs(uint256 u, uint256 amount) public {
        address who = users[u % 3];
        uint256 bal = mkt.balances(who);
        if (bal == 0) return;
        amount = bound(amount, 1, bal);
        vm.prank(who);
        mkt.withdrawBalance(amount);
        ghostWithdrawn += amount;
    }

    function withdrawEarnings(uint256 who) public {
        address[6] memory accts = [owners[0], owners[1], owners[2], STAKED_OPERATOR, BARE_OPERATOR, TREASURY];
        address acct = accts[who % 6];
        uint256 amt = mkt.earnings(acct);
        if (amt == 0) return;
        uint256 before = acct.balance;
        vm.prank(acct);
        mkt.withdrawEarnings();
        if (acct.balance - before != amt) ++wrongPayouts;
        ghostWithdrawn += amt;
    }

    /// A curator joins a model's pool (so curators' shares start or keep flowing).
    function curate(uint256 m, uint256 amount) external {
        amount = bound(amount, 1, 10 ether);
        vm.deal(CURATOR, amount);
        vm.prank(CURATOR);
        cu.curate{value: amount}(models[m % 3]);
        ghostCurated += amount;
    }

    // ------------------------------------------------------------------------------------------
    // Owners (and strangers trying to act as owners)
    // ------------------------------------------------------------------------------------------

    /// The owner (or, with `stranger`, another owner account) changes the price, optionally after the cooldown:
    /// decreases apply at once, increases after the delay.
    function setPrice(uint256 m, uint256 newPrice, bool wait, bool stranger) external {
        m = m % 3;
        if (wait) vm.warp(block.timestamp + cooldown);
        newPrice = bound(newPrice, 0, 5 ether);
        address by = stranger ? _stranger(m) : g[m].owner;
        bool allowed = !stranger && g[m].status != 3 && block.timestamp >= g[m].lastPriceChange + cooldown;
        vm.prank(by);
        try mkt.setPrice(models[m], newPrice) {
            if (stranger) ++unauthorized;
            else if (!allowed) ++ruleBreaks;
            _applyDue(m);
            g[m].pendingAt = 0;
            if (newPrice <= g[m].price) {
                g[m].price = newPrice;
            } else {
                g[m].pendingPrice = newPrice;
                g[m].pendingAt = block.timestamp + increaseDelay;
            }
            g[m].lastPriceChange = block.timestamp;
        } catch {
            if (allowed) ++wrongRefusals;
        }
    }

    /// Anyone writes a due increase into the record.
    function applyPendingPrice(uint256 m) external {
        m = m % 3;
        bool due = g[m].status != 3 && g[m].pendingAt != 0 && block.timestamp >= g[m].pendingAt;
        try mkt.applyPendingPrice(models[m]) {
            if (!due) ++ruleBreaks;
            _applyDue(m);
        } catch {
            if (due) ++wrongRefusals;
        }
    }

    /// The owner declares a tolerance (in or out of the governance bounds), some blocks later.
    function setTolerance(uint256 m, uint16 tol, uint8 blocks, bool stranger) external {
        m = m % 3;
        vm.roll(block.number + blocks % 4);
        tol = uint16(bound(tol, 0, 4000));
        bool allowed = !stranger && g[m].status != 3 && tol >= minTol && tol <= maxTol;
        vm.prank(stranger ? _stranger(m) : g[m].owner);
        try mkt.updateModelParams(models[m], _params(g[m].kind, tol, 0, address(0))) {
            if (stranger) ++unauthorized;
            else if (!allowed) ++ruleBreaks;
            if (tol != g[m].tolerance) tolHistory[m].push(TolChange(uint64(block.number), tol));
            g[m].tolerance = tol;
        } catch {
            if (allowed) ++wrongRefusals;
        }
    }

    /// The owner names a staked operator, one without stake, or none.
    function setOperator(uint256 m, uint256 which, bool stranger) external {
        m = m % 3;
        address op = operators[which % 3];
        bool allowed = !stranger && g[m].status != 3;
        vm.prank(stranger ? _stranger(m) : g[m].owner);
        try mkt.setOperator(models[m], op) {
            if (stranger) ++unauthorized;
            else if (!allowed) ++ruleBreaks;
            _nameOperator(m, op);
        } catch {
            if (allowed) ++wrongRefusals;
        }
    }

    /// The model's operator (or, with `stranger`, another operator) steps down: no operator from the next block.
    function resignOperator(uint256 m, bool stranger) external {
        m = m % 3;
        address current = g[m].operator;
        address by = stranger ? (current == STAKED_OPERATOR ? BARE_OPERATOR : STAKED_OPERATOR) : current;
        bool allowed = !stranger && current != address(0);
        vm.prank(by);
        try mkt.resignOperator(models[m]) {
            if (!allowed) ++unauthorized;
            _nameOperator(m, address(0));
        } catch {
            if (allowed) ++wrongRefusals;
        }
    }

    /// The owner (or a stranger) registers a zk verifying key: generic models only, live, once, 1..16 KiB (one time
    /// in eight an oversized key). In force from the next block.
    function setZkKey(uint256 m, uint256 len, uint8 dice, bool stranger) external {
        m = m % 3;
        len = dice % 8 == 0 ? mkt.MAX_ZK_KEY_BYTES() + 1 : bound(len, 0, 300);
        bytes memory key = new bytes(len);
        for (uint256 i = 0; i < len; ++i) {
            key[i] = bytes1(uint8(dice + i));
        }
        bool allowed = !stranger && g[m].status != 3 && g[m].kind == 3 && zkSince[m] == 0 && len != 0
            && len <= mkt.MAX_ZK_KEY_BYTES();
        vm.prank(stranger ? _stranger(m) : g[m].owner);
        try mkt.setZkKey(models[m], key) {
            if (stranger) ++unauthorized;
            else if (!allowed) ++ruleBreaks;
            zkSince[m] = uint64(block.number + 1);
            zkKeyHash[m] = keccak256(key);
        } catch {
            if (allowed) ++wrongRefusals;
        }
    }

    /// The owner pauses (one time in three) or resumes; resuming a model a moderator paused must fail.
    function ownerSetActive(uint256 m, uint8 dice, bool stranger) external {
        m = m % 3;
        bool active = dice % 3 != 0;
        bool allowed = !stranger && g[m].status != 3 && !(active && g[m].moderatorPaused);
        vm.prank(stranger ? _stranger(m) : g[m].owner);
        try mkt.setActive(models[m], active) {
            if (stranger || (active && g[m].moderatorPaused)) ++unauthorized;
            else if (!allowed) ++ruleBreaks;
            g[m].status = active ? 1 : 2;
        } catch {
            if (allowed) ++wrongRefusals;
        }
    }

    /// The owner or a moderator retires the model (one time in sixteen, so that most of a run has live models).
    function retire(uint256 m, bool byModerator, uint8 dice) external {
        if (dice % 16 != 0) return;
        m = m % 3;
        bool allowed = g[m].status != 3;
        vm.prank(byModerator ? admin : g[m].owner);
        try mkt.retire(models[m]) {
            if (!allowed) ++ruleBreaks;
            g[m].status = 3;
        } catch {
            if (allowed) ++wrongRefusals;
        }
    }

    function transferOwnership(uint256 m, uint256 to, bool stranger) external {
        m = m % 3;
        address newOwner = owners[to % 3];
        bool allowed = !stranger && g[m].status != 3;
        vm.prank(stranger ? _stranger(m) : g[m].owner);
        try mkt.transferModelOwnership(models[m], newOwner) {
            if (stranger) ++unauthorized;
            else if (!allowed) ++ruleBreaks;
            g[m].owner = newOwner;
        } catch {
            if (allowed) ++wrongRefusals;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Moderator and governor
    // ------------------------------------------------------------------------------------------

    /// A moderator pauses (sticky; one time in eight) or resumes a model.
    function moderatorSetActive(uint256 m, uint8 dice) external {
        _moderatorSetActive(m % 3, dice % 8 != 0);
    }

    function _moderatorSetActive(uint256 m, bool active) internal {
        bool allowed = g[m].status != 3;
        vm.prank(admin);
        try mkt.setActive(models[m], active) {
            if (!allowed) ++ruleBreaks;
            g[m].status = active ? 1 : 2;
            g[m].moderatorPaused = !active;
        } catch {
            if (allowed) ++wrongRefusals;
        }
    }

    /// A moderator gives the id to another owner (one time in four; also reinstates a retired id): paused by the
    /// moderator, no operator, no announced increase.
    function reassign(uint256 m, uint256 to, uint8 dice) external {
        if (dice % 4 == 0) _reassign(m % 3, to);
    }

    function _reassign(uint256 m, uint256 to) internal {
        address newOwner = owners[to % 3];
        vm.prank(admin);
        mkt.reassignModelId(models[m], newOwner);
        g[m].owner = newOwner;
        _nameOperator(m, address(0));
        g[m].pendingAt = 0;
        g[m].status = 2;
        g[m].moderatorPaused = true;
    }

    function setSplit(uint16 a, uint16 b, uint16 c, uint16 d) external {
        a = uint16(bound(a, 0, 10_000));
        b = uint16(bound(b, 0, 10_000 - a));
        c = uint16(bound(c, 0, 10_000 - a - b));
        d = uint16(bound(d, 0, 10_000 - a - b - c));
        vm.prank(admin);
        mkt.setSplit(ModelMarketplace.Split(a, b, c, d));
        split = ModelMarketplace.Split(a, b, c, d);
    }

    function setToleranceBounds(uint16 lo, uint16 hi) external {
        lo = uint16(bound(lo, 0, 3000));
        hi = uint16(bound(hi, 0, 10_000));
        vm.prank(admin);
        try mkt.setToleranceBounds(lo, hi) {
            if (lo > hi) ++ruleBreaks;
            (minTol, maxTol) = (lo, hi);
        } catch {
            if (lo <= hi) ++wrongRefusals;
        }
    }

    function setPriceIncreaseDelay(uint256 delay) external {
        delay = bound(delay, 0, 40 days);
        bool allowed = delay >= 10 minutes && delay <= 30 days;
        vm.prank(admin);
        try mkt.setPriceIncreaseDelay(delay) {
            if (!allowed) ++ruleBreaks;
            increaseDelay = delay;
        } catch {
            if (allowed) ++wrongRefusals;
        }
    }

    /// The governor pauses paid calls (one time in four) or resumes them.
    function pauseAll(uint8 dice) external {
        bool on = dice % 4 == 0;
        if (on == paused) return;
        vm.prank(admin);
        if (on) mkt.pause();
        else mkt.unpause();
        paused = on;
    }

    function warp(uint256 secs) external {
        vm.warp(block.timestamp + bound(secs, 1, 2 days));
        vm.roll(block.number + 1 + secs % 7);
    }

    /// Not fuzzed (afterInvariant): the moderator reinstates and resumes every model, each gets a non-zero price,
    /// every user calls every model both ways (each call must go through and split exactly), then everybody
    /// withdraws everything.
    function settleAll() external {
        if (paused) {
            vm.prank(admin);
            mkt.unpause();
            paused = false;
        }
        for (uint256 m = 0; m < 3; ++m) {
            if (g[m].status == 3) _reassign(m, 0);
            if (g[m].status != 1) _moderatorSetActive(m, true);
            if (_current(m) == 0) {
                vm.warp(block.timestamp + cooldown + 1);
                vm.prank(g[m].owner);
                mkt.setPrice(models[m], 1 ether); // an increase: due after the delay
                g[m].pendingPrice = 1 ether;
                g[m].pendingAt = block.timestamp + increaseDelay;
                g[m].lastPriceChange = block.timestamp;
                vm.warp(block.timestamp + increaseDelay);
            }
        }
        for (uint256 u = 0; u < 3; ++u) {
            for (uint256 m = 0; m < 3; ++m) {
                vm.prank(users[u]);
                mkt.setCallerPriceCap(models[m], 0);
                deposit(u, _current(m));
                if (callAs(u, m, g[m].kind - 1, u, true)) ++settledCalls;
                if (callAs(u, m, g[m].kind - 1, u + 3, false)) ++settledCalls;
            }
        }
        for (uint256 u = 0; u < 3; ++u) {
            withdrawAs(u, type(uint256).max);
        }
        for (uint256 a = 0; a < 6; ++a) {
            withdrawEarnings(a);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Views for the invariants
    // ------------------------------------------------------------------------------------------

    function zk(uint256 m) external view returns (uint64 since, bytes32 keyHash) {
        return (zkSince[m], zkKeyHash[m]);
    }

    function modelId(uint256 m) external view returns (bytes32) {
        return models[m];
    }

    function ghost(uint256 m) external view returns (G memory) {
        return g[m];
    }

    function currentPrice(uint256 m) external view returns (uint256) {
        return _current(m);
    }

    /// The tolerance a witness recorded in `blockNumber` must be judged by: the last one declared in an earlier
    /// block (the first declared if none), clamped to the governance bounds.
    function toleranceAt(uint256 m, uint64 blockNumber) public view returns (uint16 t) {
        TolChange[] storage h = tolHistory[m];
        t = h[0].bps;
        for (uint256 i = 0; i < h.length && h[i].blockNumber < blockNumber; ++i) {
            t = h[i].bps;
        }
        if (t < minTol) t = minTol;
        if (t > maxTol) t = maxTol;
    }

    /// The operator a call of block `blockNumber` pays and a witness recorded in it is slashed from: the last one
    /// named in an earlier block, the registration's for its own block, none before (linear, from the ghost).
    function operatorAt(uint256 m, uint64 blockNumber) public view returns (address) {
        return _opAt(m, blockNumber);
    }

    function operatorBlocks(uint256 m) external view returns (uint64[] memory b) {
        OpChange[] storage h = opHistory[m];
        b = new uint64[](h.length);
        for (uint256 i = 0; i < h.length; ++i) {
            b[i] = h[i].blockNumber;
        }
    }

    function toleranceBlocks(uint256 m) external view returns (uint64[] memory b) {
        TolChange[] storage h = tolHistory[m];
        b = new uint64[](h.length);
        for (uint256 i = 0; i < h.length; ++i) {
            b[i] = h[i].blockNumber;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Internals
    // ------------------------------------------------------------------------------------------

    function _current(uint256 m) internal view returns (uint256) {
        G storage x = g[m];
        return x.pendingAt != 0 && block.timestamp >= x.pendingAt ? x.pendingPrice : x.price;
    }

    function _opAt(uint256 m, uint64 blockNumber) internal view returns (address op) {
        OpChange[] storage h = opHistory[m];
        if (blockNumber < h[0].blockNumber) return address(0);
        op = h[0].op;
        for (uint256 i = 1; i < h.length && h[i].blockNumber < blockNumber; ++i) {
            op = h[i].op;
        }
    }

    /// The owner, the operator itself or a moderator named `op` (in force from the next block).
    function _nameOperator(uint256 m, address op) internal {
        if (op != g[m].operator) opHistory[m].push(OpChange(uint64(block.number), op));
        g[m].operator = op;
    }

    /// Paid calls, price changes and applyPendingPrice write a due increase into the record.
    function _applyDue(uint256 m) internal {
        G storage x = g[m];
        if (x.pendingAt != 0 && block.timestamp >= x.pendingAt) {
            x.price = x.pendingPrice;
            x.pendingAt = 0;
        }
    }

    /// An owner account that does not own model `m`.
    function _stranger(uint256 m) internal view returns (address) {
        return g[m].owner == owners[1] ? owners[2] : owners[1];
    }
}

contract MarketplaceInvariants is L2Base {
    MarketHandler internal h;
    ModelMarketplace internal mkt = ModelMarketplace(Predeploys.MODEL_MARKETPLACE);
    uint256 internal stakingBase;
    uint256 internal curationBase;

    function setUp() public override {
        super.setUp();
        vm.roll(100);
        vm.prank(admin);
        mkt.setWiring(address(0x7EA), Predeploys.STAKING, Predeploys.CURATION);
        address operator = address(0x0E2);
        vm.deal(operator, 100 ether);
        vm.prank(operator);
        Staking(payable(Predeploys.STAKING)).registerValidator{value: 100 ether}(700, 1000, 100);
        h = new MarketHandler(admin);
        stakingBase = Predeploys.STAKING.balance;
        curationBase = Predeploys.CURATION.balance;
        bytes4[] memory s = new bytes4[](27);
        s[0] = h.callAs.selector;
        s[1] = h.setCap.selector;
        s[2] = h.deposit.selector;
        s[3] = h.depositFor.selector;
        s[4] = h.withdrawAs.selector;
        s[5] = h.withdrawEarnings.selector;
        s[6] = h.curate.selector;
        s[7] = h.setPrice.selector;
        s[8] = h.applyPendingPrice.selector;
        s[9] = h.setTolerance.selector;
        s[10] = h.setOperator.selector;
        s[11] = h.ownerSetActive.selector;
        s[12] = h.retire.selector;
        s[13] = h.transferOwnership.selector;
        s[14] = h.moderatorSetActive.selector;
        s[15] = h.reassign.selector;
        s[16] = h.setSplit.selector;
        s[17] = h.setToleranceBounds.selector;
        s[18] = h.setPriceIncreaseDelay.selector;
        s[19] = h.pauseAll.selector;
        s[20] = h.warp.selector;
        s[21] = h.callAs.selector; // calls five times as likely as any other action
        s[22] = h.callAs.selector;
        s[23] = h.callAs.selector;
        s[24] = h.callAs.selector;
        s[25] = h.resignOperator.selector;
        s[26] = h.setZkKey.selector;
        targetSelector(FuzzSelector(address(h), s));
        targetContract(address(h));
    }

    /// Every payment is split exactly: what the recipients gained sums to the prices paid, and no wei is created
    /// or lost: the marketplace holds the prepaid balances and unclaimed earnings, the rest went to Staking and
    /// Curation or back out.
    function invariant_paymentsSplitExactly() public view {
        assertEq(h.ghostSplitSum(), h.ghostPaid());
        uint256 held = address(mkt).balance + (Predeploys.STAKING.balance - stakingBase)
            + (Predeploys.CURATION.balance - curationBase - h.ghostCurated());
        assertEq(held + h.ghostWithdrawn(), h.ghostDeposited());
        assertEq(address(mkt).balance, mkt.totalBalances() + mkt.totalEarnings());
    }

    /// Measured from balance changes (not previewSplit): every recipient got exactly its share of the split in
    /// force for the model's owner, operator (its stake) and curators at call time; callers paid exactly the price
    /// in force (increases only after the delay), never above their cap, and nothing blocked was served.
    function invariant_callersProtected() public view {
        assertEq(h.splitMismatches(), 0, "a recipient did not receive its share");
        assertEq(h.overcharges(), 0, "a caller paid other than the price in force");
        assertEq(h.capBreaches(), 0, "a call above the caller's cap went through");
        assertEq(h.blockedCallsServed(), 0, "a call the rules refuse went through");
        assertEq(h.wrongPayouts(), 0, "earnings paid out wrongly");
    }

    /// Only owners change their models, owners never undo a moderator's pause, the rules' bounds hold, and
    /// everything the rules allow goes through.
    function invariant_rolesAndRules() public view {
        assertEq(h.unauthorized(), 0, "a non-owner changed a model or an owner undid a moderator pause");
        assertEq(h.ruleBreaks(), 0, "a change the rules refuse went through");
        assertEq(h.wrongRefusals(), 0, "an allowed action was refused");
    }

    /// The registry is what the rules say: status, moderator pause, owner, operator, price in force, the
    /// tolerance each past block is judged by (the one declared before it, clamped to the bounds), and the
    /// operator each past block was served by (the one named before it; the registration's for its own block), and
    /// the verification level (zk from the block after the key was set, never back; the key matches its hash).
    function invariant_registryMatchesGhost() public view {
        for (uint256 m = 0; m < 3; ++m) {
            bytes32 id = h.modelId(m);
            MarketHandler.G memory x = h.ghost(m);
            ModelMarketplace.Model memory model = mkt.getModel(id);
            assertEq(model.status, x.status, "status");
            assertEq(mkt.moderatorPaused(id), x.moderatorPaused, "moderator pause");
            assertEq(model.owner, x.owner, "owner");
            assertEq(model.operator, x.operator, "operator");
            assertEq(mkt.currentPrice(id), h.currentPrice(m), "price in force");
            assertEq(model.toleranceBps, x.tolerance, "tolerance");
            uint64[] memory blocks = h.toleranceBlocks(m);
            for (uint256 i = 0; i < blocks.length; ++i) {
                assertEq(mkt.toleranceAt(id, blocks[i]), h.toleranceAt(m, blocks[i]), "toleranceAt");
                assertEq(mkt.toleranceAt(id, blocks[i] + 1), h.toleranceAt(m, blocks[i] + 1), "toleranceAt+1");
            }
            assertEq(mkt.toleranceAt(id, uint64(block.number + 1)), h.toleranceAt(m, uint64(block.number + 1)));
            blocks = h.operatorBlocks(m);
            for (uint256 i = 0; i < blocks.length; ++i) {
                assertEq(mkt.operatorAt(id, blocks[i] - 1), h.operatorAt(m, blocks[i] - 1), "operatorAt-1");
                assertEq(mkt.operatorAt(id, blocks[i]), h.operatorAt(m, blocks[i]), "operatorAt");
                assertEq(mkt.operatorAt(id, blocks[i] + 1), h.operatorAt(m, blocks[i] + 1), "operatorAt+1");
            }
            assertEq(mkt.operatorAt(id, uint64(block.number)), h.operatorAt(m, uint64(block.number)), "in force");
            assertEq(mkt.operatorAt(id, uint64(block.number + 1)), h.operatorAt(m, uint64(block.number + 1)));
            // the verification level: optimistic until the key's block, zk from the next one on, for good
            (uint64 since, bytes32 keyHash) = h.zk(m);
            assertEq(model.zkSince, since, "zkSince");
            assertEq(model.zkKeyHash, keyHash, "zkKeyHash");
            assertEq(keccak256(mkt.zkKey(id)), keyHash == bytes32(0) ? keccak256("") : keyHash, "key matches its hash");
            if (since != 0) {
                assertEq(mkt.verificationAt(id, since - 1), mkt.LEVEL_OPTIMISTIC(), "optimistic before zkSince");
                assertEq(mkt.verificationAt(id, since), mkt.LEVEL_ZK(), "zk from zkSince");
            }
            assertEq(mkt.verificationAt(id, uint64(block.number + 1)), since == 0 ? 0 : 1, "level in force next");
        }
    }

    /// After any run, every model can be brought back (reinstated, resumed), every user can call every model
    /// both ways with an exact split, and everybody gets all their money out: the marketplace ends empty.
    function afterInvariant() public {
        h.settleAll();
        assertEq(h.settledCalls(), 18, "a settling call was refused");
        assertGt(h.paidCalls(), 0);
        assertEq(h.splitMismatches(), 0);
        assertEq(h.overcharges(), 0);
        assertEq(h.wrongRefusals(), 0);
        assertEq(h.ghostSplitSum(), h.ghostPaid());
        assertEq(mkt.totalBalances(), 0);
        assertEq(mkt.totalEarnings(), 0);
        assertEq(address(mkt).balance, 0, "the marketplace kept money nobody can claim");
    }
}
