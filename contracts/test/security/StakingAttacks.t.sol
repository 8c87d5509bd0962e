// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {L2Base} from "../L2/L2Base.t.sol";
import {Staking} from "../../src/L2/Staking.sol";
import {InferenceDisputes} from "../../src/L2/InferenceDisputes.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";

/// @notice Attack 6 (issue 15): governance parameters without bounds or a common time base.
contract StakingAttacksTest is L2Base {
    Staking internal st = Staking(payable(Predeploys.STAKING));
    address internal val = makeAddr("validator");
    address internal del = makeAddr("delegator");

    function setUp() public override {
        super.setUp();
        vm.deal(val, 200 ether);
        vm.deal(del, 100 ether);
        vm.prank(val);
        st.registerValidator{value: 200 ether}(1000, 2000, 100);
        vm.prank(del);
        st.delegate{value: 100 ether}(val);
    }

    function _trySetParams(uint256 unbonding, uint256 jail) internal returns (bool ok) {
        vm.prank(admin);
        (ok,) = address(st).call(abi.encodeCall(Staking.setParams, (100 ether, unbonding, jail, treasury)));
    }

    /// A huge jail duration makes `block.timestamp + duration` overflow: every slash reverts.
    function test_attack6_hugeJailDurationBlocksSlashing() public {
        _trySetParams(7 days, type(uint256).max);
        vm.prank(slasher);
        (bool ok,) = address(st).call(abi.encodeCall(Staking.slash, (val, 0.1e18, keccak256("e"))));
        assertTrue(ok, "slashing was disabled by a jail-duration parameter");
    }

    /// An unbonding period of 2^64 s wraps in `uint64(block.timestamp + x)`: unbonding completes at once.
    function test_attack6_unbondingWrapsToImmediateExit() public {
        _trySetParams(uint256(type(uint64).max) + 1, 1 days);
        vm.prank(del);
        uint256 id = st.undelegate(val, 50 ether);
        (,,, uint64 completion,) = st.unbondings(id);
        assertGe(completion, block.timestamp + 7 days, "stake can leave before the dispute window ends");
    }

    /// Unbonding shorter than the dispute window: stake leaves before its evidence can be filed.
    function test_attack6_unbondingShorterThanDisputeWindow() public {
        uint64 window = InferenceDisputes(Predeploys.INFERENCE_DISPUTES).disputeWindowBlocks();
        assertFalse(_trySetParams(window - 1, 1 days), "unbonding shorter than the dispute window accepted");
    }
}

/// @notice Bounds of Staking's governance parameters (attack 6's fix).
contract StakingBoundsTest is StakingAttacksTest {
    function test_bounds() public {
        vm.startPrank(admin);
        vm.expectRevert(abi.encodeWithSelector(Staking.OutOfBounds.selector, 604_799, 604_800, 90 days));
        st.setParams(100 ether, 604_799, 1 days, treasury);
        vm.expectRevert(abi.encodeWithSelector(Staking.OutOfBounds.selector, 91 days, 604_800, 90 days));
        st.setParams(100 ether, 91 days, 1 days, treasury);
        vm.expectRevert(abi.encodeWithSelector(Staking.OutOfBounds.selector, 366 days, 0, 365 days));
        st.setParams(100 ether, 7 days, 366 days, treasury);
        vm.expectRevert(abi.encodeWithSelector(Staking.OutOfBounds.selector, 10_000_001 ether, 0, 10_000_000 ether));
        st.setParams(10_000_001 ether, 7 days, 1 days, treasury);
        st.setParams(100 ether, 90 days, 365 days, treasury);
        vm.stopPrank();
        vm.prank(slasher);
        vm.expectRevert(abi.encodeWithSelector(Staking.OutOfBounds.selector, 366 days, 0, 365 days));
        st.jail(val, 366 days);
        // the longest jail still lets slashing work
        vm.prank(slasher);
        st.slash(val, 0.1e18, keccak256("e"));
        assertEq(st.getValidator(val).jailedUntil, block.timestamp + 365 days);
    }

    function test_shorterWindowAllowsShorterUnbonding() public {
        vm.prank(admin);
        InferenceDisputes(Predeploys.INFERENCE_DISPUTES).setParams(0.1e18, 3_600);
        vm.prank(admin);
        st.setParams(100 ether, 1 hours, 1 days, treasury);
        assertEq(st.unbondingPeriod(), 1 hours);
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(Staking.OutOfBounds.selector, 3_599, 3_600, 90 days));
        st.setParams(100 ether, 3_599, 1 days, treasury);
    }

    function testFuzz_unbondingCoversWindow(uint256 unbonding) public {
        uint256 window = InferenceDisputes(Predeploys.INFERENCE_DISPUTES).disputeWindowBlocks();
        bool ok = _trySetParams(unbonding, 1 days);
        assertEq(ok, unbonding >= window && unbonding <= 90 days);
        if (ok) {
            vm.prank(del);
            uint256 id = st.undelegate(val, 1 ether);
            (,,, uint64 completion,) = st.unbondings(id);
            assertEq(completion, block.timestamp + unbonding);
        }
    }
}
