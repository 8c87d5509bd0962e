// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {L2Base} from "./L2Base.t.sol";
import {Staking} from "../../src/L2/Staking.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

contract StakingTest is L2Base {
    Staking internal st = Staking(payable(Predeploys.STAKING));
    address internal val = makeAddr("validator");
    address internal val2 = makeAddr("validator2");
    address internal del = makeAddr("delegator");

    function setUp() public override {
        super.setUp();
        vm.deal(val, 1000 ether);
        vm.deal(val2, 1000 ether);
        vm.deal(del, 1000 ether);
        vm.prank(val);
        st.registerValidator{value: 100 ether}(1000, 2000, 100);
    }

    function _stake(address v) internal view returns (uint256 bonded, uint256 unbonding) {
        Staking.Validator memory x = st.getValidator(v);
        (bonded, unbonding) = (x.bondedStake, x.unbondingStake);
    }

    function test_registerDelegateRewardsClaim() public {
        vm.prank(del);
        st.delegate{value: 300 ether}(val);
        assertEq(st.stakeOf(val, del), 300 ether);
        assertEq(st.totalBonded(), 400 ether);
        st.notifyReward{value: 10 ether}(val); // 1 ether commission, 9 ether to shares
        assertEq(st.owedRewards(val), 1 ether);
        assertApproxEqAbs(st.pendingRewards(val, del), 6.75 ether, 1);
        address[] memory vs = new address[](1);
        vs[0] = val;
        uint256 before = del.balance;
        vm.prank(del);
        st.claimRewards(vs);
        assertApproxEqAbs(del.balance - before, 6.75 ether, 1);
        vm.prank(val);
        st.claimRewards(vs);
        assertApproxEqAbs(st.rewardReserve(), 0, 2);
    }

    function test_untargetedIncome() public {
        vm.prank(val2);
        st.registerValidator{value: 300 ether}(0, 0, 0);
        (bool ok,) = address(st).call{value: 4 ether}("");
        assertTrue(ok);
        assertApproxEqAbs(st.pendingRewards(val, val), 0.9 ether, 1); // 1/4, minus 10% commission
        assertApproxEqAbs(st.pendingRewards(val2, val2), 3 ether, 1);
    }

    function test_undelegateUnbondSlash() public {
        vm.prank(del);
        st.delegate{value: 100 ether}(val);
        vm.prank(del);
        uint256 id = st.undelegate(val, 50 ether);
        assertEq(st.unbondingValue(id), 50 ether);
        vm.prank(del);
        vm.expectRevert();
        st.completeUnbonding(id);
        vm.prank(slasher);
        st.slash(val, 0.1e18, keccak256("evidence"));
        assertEq(st.unbondingValue(id), 45 ether);
        assertEq(st.stakeOf(val, del), 45 ether);
        assertEq(st.slashedPending(), 5 ether + 15 ether);
        skip(7 days);
        uint256 before = del.balance;
        vm.prank(del);
        st.completeUnbonding(id);
        assertEq(del.balance - before, 45 ether);
        st.sweepSlashed();
        assertEq(treasury.balance, 20 ether);
        // jailed; unjail after jail period
        vm.prank(val);
        vm.expectRevert();
        st.unjail();
        skip(1 days);
        vm.prank(val);
        vm.expectRevert(abi.encodeWithSelector(Staking.SelfStakeTooLow.selector, 90 ether, 100 ether));
        st.unjail();
        vm.prank(val);
        st.delegate{value: 20 ether}(val);
        vm.prank(val);
        st.unjail();
    }

    function test_redelegate() public {
        vm.prank(val2);
        st.registerValidator{value: 100 ether}(0, 0, 0);
        vm.prank(del);
        st.delegate{value: 100 ether}(val);
        vm.prank(del);
        uint256 id = st.redelegate(val, val2, 100 ether);
        skip(7 days);
        vm.prank(del);
        st.completeUnbonding(id);
        assertEq(st.stakeOf(val2, del), 100 ether);
        vm.prank(del);
        vm.expectRevert(Staking.SameValidator.selector);
        st.redelegate(val2, val2, 1);
    }

    function test_commissionAndModels() public {
        vm.startPrank(val);
        vm.expectRevert(Staking.CommissionChangeTooSoon.selector);
        st.setCommission(1100);
        skip(1 days);
        vm.expectRevert(Staking.InvalidCommission.selector);
        st.setCommission(1200);
        st.setCommission(1100);
        st.setServedModel(keccak256("m"), true);
        vm.stopPrank();
        assertTrue(st.isServing(val, keccak256("m")));
        assertTrue(st.canReceiveRewards(val));
        vm.prank(slasher);
        st.jail(val, 1 hours);
        assertFalse(st.isServing(val, keccak256("m")));
    }

    function test_reverts() public {
        vm.startPrank(val);
        vm.expectRevert(Staking.AlreadyRegistered.selector);
        st.registerValidator{value: 100 ether}(0, 0, 0);
        vm.stopPrank();
        vm.startPrank(val2);
        vm.expectRevert(abi.encodeWithSelector(Staking.SelfStakeTooLow.selector, 1 ether, 100 ether));
        st.registerValidator{value: 1 ether}(0, 0, 0);
        vm.expectRevert(Staking.InvalidCommission.selector);
        st.registerValidator{value: 100 ether}(500, 100, 0);
        vm.expectRevert(Staking.NotRegistered.selector);
        st.setCommission(1);
        vm.expectRevert(Staking.NotRegistered.selector);
        st.delegate{value: 1}(val2);
        vm.expectRevert(Staking.ZeroAmount.selector);
        st.delegate(val);
        vm.expectRevert(abi.encodeWithSelector(Staking.InsufficientShares.selector, 0, 1));
        st.undelegate(val, 1);
        vm.expectRevert(Staking.ZeroAmount.selector);
        st.undelegate(val, 0);
        vm.expectRevert(Staking.UnknownUnbonding.selector);
        st.completeUnbonding(99);
        vm.expectRevert(Staking.NotJailed.selector);
        vm.stopPrank();
        vm.prank(val);
        st.unjail();
        address[] memory none = new address[](0);
        vm.expectRevert(Staking.ZeroAmount.selector);
        st.claimRewards(none);
        vm.expectRevert(Staking.ZeroAmount.selector);
        st.notifyReward(val);
        vm.expectRevert(Staking.ZeroAmount.selector);
        st.sweepSlashed();
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, address(this), st.SLASHER_ROLE()));
        st.slash(val, 1, bytes32(0));
        vm.startPrank(slasher);
        vm.expectRevert(Staking.InvalidFraction.selector);
        st.slash(val, 1e18, bytes32(0));
        vm.stopPrank();
        vm.startPrank(admin);
        vm.expectRevert(Staking.ZeroAddress.selector);
        st.setParams(1, 7 days, 1, address(0));
        st.setParams(1, 7 days, 1, treasury);
        vm.stopPrank();
        assertEq(st.minSelfStake(), 1);
    }

    function test_selfUndelegateJails() public {
        vm.prank(val);
        st.undelegate(val, 50 ether);
        assertTrue(st.getValidator(val).jailed);
        assertEq(st.activeStake(), 0);
    }

    function testFuzz_slashProRata(uint96 a, uint96 b, uint64 f) public {
        uint256 amtA = bound(a, 1 ether, 1e24);
        uint256 amtB = bound(b, 1 ether, 1e24);
        uint256 frac = bound(f, 1, 1e18 - 1);
        address d2 = makeAddr("d2");
        vm.deal(del, amtA);
        vm.deal(d2, amtB);
        vm.prank(del);
        st.delegate{value: amtA}(val);
        vm.prank(d2);
        st.delegate{value: amtB}(val);
        vm.prank(d2);
        (uint256 sharesB,) = st.delegations(val, d2);
        vm.prank(d2);
        uint256 id = st.undelegate(val, sharesB / 2);
        uint256 ubBefore = st.unbondingValue(id);
        uint256 aBefore = st.stakeOf(val, del);
        vm.prank(slasher);
        st.slash(val, frac, bytes32(0));
        // every position loses the same fraction (up to rounding)
        assertApproxEqAbs(st.stakeOf(val, del), aBefore - aBefore * frac / 1e18, 2);
        assertApproxEqAbs(st.unbondingValue(id), ubBefore - ubBefore * frac / 1e18, 2);
        assertLe(st.stakeOf(val, del), aBefore);
        (uint256 bonded, uint256 unbonding) = _stake(val);
        assertEq(address(st).balance, bonded + unbonding + st.rewardReserve() + st.slashedPending());
    }
}
