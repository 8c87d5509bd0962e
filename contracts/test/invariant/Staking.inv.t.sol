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
        (address del,,, uint64 t,) = st.unbondings(id);
        if (del == address(0)) return;
        vm.warp(t);
        vm.prank(del);
        st.completeUnbonding(id);
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

    function claim(uint256 d) external {
        address del = dels[d % 3];
        address[] memory list = new address[](2);
        (list[0], list[1]) = (vals[0], vals[1]);
        vm.prank(del);
        try st.claimRewards(list) {} catch {}
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
