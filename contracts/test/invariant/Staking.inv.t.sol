// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Test} from "forge-std/Test.sol";
import {L2Base} from "../L2/L2Base.t.sol";
import {Staking} from "../../src/L2/Staking.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";

contract StakingHandler is Test {
    Staking internal st = Staking(payable(Predeploys.STAKING));
    address internal slasher;
    address[2] internal vals = [address(0xA11), address(0xA12)];
    address[3] internal dels = [address(0xD1), address(0xD2), address(0xD3)];
    /// ghost: what each delegator deposited into each validator, net of slashing and withdrawals
    mapping(address => mapping(address => uint256)) public net;
    uint256[] internal ids;
    /// ghost: operations that can move rounding dust between positions (each moves at most a few wei)
    uint256 public dustOps;

    constructor(address _slasher) {
        slasher = _slasher;
        for (uint256 i = 0; i < 2; ++i) {
            vm.deal(vals[i], 1_000 ether);
            vm.prank(vals[i]);
            st.registerValidator{value: 100 ether}(500, 1000, 100);
            net[vals[i]][vals[i]] = 100 ether;
        }
    }

    function validators() external view returns (address[2] memory) {
        return vals;
    }

    function delegators() external view returns (address[3] memory) {
        return dels;
    }

    function delegate(uint256 v, uint256 d, uint256 amount) external {
        address val = vals[v % 2];
        address del = dels[d % 3];
        amount = bound(amount, 1 ether, 1_000 ether);
        vm.deal(del, amount);
        vm.prank(del);
        st.delegate{value: amount}(val);
        net[val][del] += amount;
    }

    function undelegate(uint256 v, uint256 d, uint256 frac) external {
        address val = vals[v % 2];
        address del = dels[d % 3];
        (uint256 shares,) = st.delegations(val, del);
        if (shares == 0) return;
        uint256 s = bound(frac, 1, shares);
        uint256 before = st.stakeOf(val, del);
        vm.prank(del);
        ids.push(st.undelegate(val, s));
        ++dustOps;
        uint256 moved = before - st.stakeOf(val, del);
        net[val][del] = net[val][del] > moved ? net[val][del] - moved : 0;
    }

    function complete(uint256 i) external {
        if (ids.length == 0) return;
        uint256 id = ids[bound(i, 0, ids.length - 1)];
        (address del,, address to, uint64 t,) = st.unbondings(id);
        if (del == address(0)) return;
        vm.warp(t);
        uint256 value = st.unbondingValue(id);
        vm.prank(del);
        st.completeUnbonding(id);
        // a redelegation lands in `to` (what was left of it after slashes at the source)
        if (to != address(0)) net[to][del] += value;
    }

    function slash(uint256 v, uint256 f) external {
        address val = vals[v % 2];
        f = bound(f, 1, 0.5e18);
        vm.prank(slasher);
        st.slash(val, f, keccak256("e"));
        ++dustOps;
        for (uint256 i = 0; i < 3; ++i) {
            uint256 n = net[val][dels[i]];
            net[val][dels[i]] = n - (n * f) / 1e18;
        }
        uint256 nv = net[val][val];
        net[val][val] = nv - (nv * f) / 1e18;
    }

    function reward(uint256 v, uint256 amount) external {
        amount = bound(amount, 1, 100 ether);
        vm.deal(address(this), amount);
        st.notifyReward{value: amount}(vals[v % 2]);
    }

    function income(uint256 amount) external {
        amount = bound(amount, 1, 100 ether);
        vm.deal(address(this), amount);
        (bool ok,) = address(st).call{value: amount}("");
        require(ok);
    }

    /// ghost: claims that reverted although rewards were owed (must stay 0)
    uint256 public failedClaims;
    uint256 public redelegations;

    function claim(uint256 d) external {
        address del = dels[d % 3];
        address[] memory list = new address[](2);
        (list[0], list[1]) = (vals[0], vals[1]);
        uint256 due = st.owedRewards(del) + st.pendingRewards(vals[0], del) + st.pendingRewards(vals[1], del);
        if (due == 0) return;
        vm.prank(del);
        try st.claimRewards(list) {} catch {
            ++failedClaims;
        }
    }

    function redelegate(uint256 v, uint256 d, uint256 frac) external {
        address from = vals[v % 2];
        address to = vals[(v + 1) % 2];
        address del = dels[d % 3];
        (uint256 shares,) = st.delegations(from, del);
        if (shares == 0) return;
        uint256 s = bound(frac, 1, shares);
        uint256 before = st.stakeOf(from, del);
        vm.prank(del);
        ids.push(st.redelegate(from, to, s));
        ++dustOps;
        ++redelegations;
        uint256 moved = before - st.stakeOf(from, del);
        net[from][del] = net[from][del] > moved ? net[from][del] - moved : 0;
        // the moved stake reaches `to` when the unbonding completes (slashable at the source meanwhile)
    }

    function setCommission(uint256 v, uint16 bps) external {
        address val = vals[v % 2];
        vm.warp(block.timestamp + 1 days);
        Staking.Validator memory x = st.getValidator(val);
        uint256 lo = x.commissionBps > 100 ? x.commissionBps - 100 : 0;
        uint256 hi = x.commissionBps + 100 > 1000 ? 1000 : x.commissionBps + 100;
        vm.prank(val);
        st.setCommission(uint16(bound(bps, lo, hi)));
    }

    function selfUndelegate(uint256 v, uint256 frac) external {
        address val = vals[v % 2];
        (uint256 shares,) = st.delegations(val, val);
        if (shares == 0) return;
        uint256 s = bound(frac, 1, shares);
        uint256 before = st.stakeOf(val, val);
        vm.prank(val);
        ids.push(st.undelegate(val, s));
        ++dustOps;
        uint256 moved = before - st.stakeOf(val, val);
        net[val][val] = net[val][val] > moved ? net[val][val] - moved : 0;
    }

    function unjail(uint256 v) external {
        address val = vals[v % 2];
        Staking.Validator memory x = st.getValidator(val);
        if (!x.jailed) return;
        vm.warp(x.jailedUntil);
        vm.prank(val);
        try st.unjail() {} catch {}
    }
}

contract StakingInvariants is L2Base {
    StakingHandler internal h;
    Staking internal st = Staking(payable(Predeploys.STAKING));

    function setUp() public override {
        super.setUp();
        h = new StakingHandler(slasher);
        targetContract(address(h));
    }

    /// Sum of stakes == staking balance minus owed rewards (and slashed funds not yet swept).
    function invariant_stakeAccounting() public view {
        address[2] memory vs = h.validators();
        uint256 bonded;
        uint256 unbonding;
        for (uint256 i = 0; i < 2; ++i) {
            Staking.Validator memory x = st.getValidator(vs[i]);
            bonded += x.bondedStake;
            unbonding += x.unbondingStake;
        }
        assertEq(bonded, st.totalBonded());
        assertEq(unbonding, st.totalUnbonding());
        assertEq(bonded + unbonding, address(st).balance - st.rewardReserve() - st.slashedPending());
    }

    /// A delegator's shares are never worth more than what it deposited net of slashing.
    /// Claims never fail while rewards are owed; everything owed or pending is covered by the reserve
    /// (up to rounding dust per position).
    function invariant_rewardsCovered() public view {
        assertEq(h.failedClaims(), 0, "a claim with rewards due reverted");
        address[2] memory vs = h.validators();
        address[3] memory ds = h.delegators();
        uint256 due;
        for (uint256 i = 0; i < 2; ++i) {
            due += st.owedRewards(vs[i]);
            for (uint256 j = 0; j < 2; ++j) due += st.pendingRewards(vs[j], vs[i]);
        }
        for (uint256 k = 0; k < 3; ++k) {
            due += st.owedRewards(ds[k]);
            for (uint256 j = 0; j < 2; ++j) due += st.pendingRewards(vs[j], ds[k]);
        }
        assertLe(due, st.rewardReserve() + 10 + h.dustOps(), "rewards due above the reserve");
    }

    /// @dev Rounding (shares floor on undelegate, the ghost floors slashes) leaves dust in the pool that
    ///      the remaining positions share, so the bound allows a few wei per such operation — never more.
    function invariant_sharesBoundedByNetDeposits() public view {
        address[2] memory vs = h.validators();
        address[3] memory ds = h.delegators();
        for (uint256 i = 0; i < 2; ++i) {
            for (uint256 j = 0; j < 3; ++j) {
                assertLe(st.stakeOf(vs[i], ds[j]), h.net(vs[i], ds[j]) + 2 + 2 * h.dustOps());
            }
            assertLe(st.stakeOf(vs[i], vs[i]), h.net(vs[i], vs[i]) + 2 + 2 * h.dustOps());
        }
    }
}
