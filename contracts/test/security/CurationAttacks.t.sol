// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {L2Base} from "../L2/L2Base.t.sol";
import {Curation} from "../../src/L2/Curation.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";

/// @notice Attack 2 (issue 15): a curator arms an exit once, keeps earning on the requested shares, and
///         leaves the moment a slash is coming.
contract CurationAttacksTest is L2Base {
    Curation internal cu = Curation(Predeploys.CURATION);
    bytes32 internal constant M = keccak256("model");
    address internal dodger = makeAddr("dodger");
    address internal honest = makeAddr("honest");

    function setUp() public override {
        super.setUp();
        vm.deal(dodger, 100 ether);
        vm.deal(honest, 100 ether);
        vm.prank(dodger);
        cu.curate{value: 50 ether}(M);
        vm.prank(honest);
        cu.curate{value: 50 ether}(M);
    }

    /// The exit is armed on day 0 and executed 100 days later, right before the slash lands.
    function test_attack2_armedExitDodgesSlash() public {
        vm.prank(dodger);
        cu.requestExit(M, 50 ether);
        vm.warp(block.timestamp + 100 days);
        // The challenger's evidence is in the mempool; the dodger front-runs it with its stale exit.
        vm.prank(dodger);
        (bool ok,) = address(cu).call(abi.encodeCall(Curation.exit, (M)));
        vm.prank(slasher);
        cu.slashModel(M, 0.5e18, keccak256("bad model"));
        assertFalse(ok, "a months-old exit request was still executable");
        assertEq(cu.stakeOf(M, dodger), 25 ether, "the dodger escaped the slash");
    }

    /// Shares whose exit was requested keep earning the curators' cut.
    function test_attack2_exitingSharesStillEarn() public {
        vm.prank(dodger);
        cu.requestExit(M, 50 ether);
        cu.notifyReward{value: 10 ether}(M);
        assertEq(cu.pendingRewards(M, dodger), 0, "exiting shares earned rewards");
        assertApproxEqAbs(cu.pendingRewards(M, honest), 10 ether, 1, "the staying curator got less than all");
    }
}

/// @notice Exit expiry, cancel and re-request (attack 2's fix), unit + fuzz.
contract CurationExitTest is CurationAttacksTest {
    event ExitCancelled(bytes32 indexed modelId, address indexed curator, uint256 shares);

    function test_exitWindow() public {
        vm.prank(dodger);
        cu.requestExit(M, 20 ether);
        assertEq(cu.exitingShares(M), 20 ether);
        uint64 readyAt = uint64(block.timestamp + cu.exitDelay());
        vm.warp(readyAt + cu.EXIT_WINDOW());
        vm.prank(dodger);
        assertEq(cu.exit(M), 20 ether, "executable on the last second of the window");
        assertEq(cu.exitingShares(M), 0);
        vm.prank(dodger);
        cu.requestExit(M, 10 ether);
        vm.warp(block.timestamp + cu.exitDelay() + cu.EXIT_WINDOW() + 1);
        vm.prank(dodger);
        vm.expectRevert(abi.encodeWithSelector(Curation.ExitExpired.selector, uint64(block.timestamp - 1)));
        cu.exit(M);
    }

    function test_cancelExitResumesEarning() public {
        vm.prank(dodger);
        cu.requestExit(M, 50 ether);
        vm.expectEmit(address(cu));
        emit ExitCancelled(M, dodger, 50 ether);
        vm.prank(dodger);
        cu.cancelExit(M);
        assertEq(cu.exitingShares(M), 0);
        cu.notifyReward{value: 10 ether}(M);
        assertApproxEqAbs(cu.pendingRewards(M, dodger), 5 ether, 1);
        vm.prank(dodger);
        vm.expectRevert(Curation.NoExitRequested.selector);
        cu.cancelExit(M);
    }

    function test_reRequestReplacesAndRestartsDelay() public {
        vm.startPrank(dodger);
        cu.requestExit(M, 50 ether);
        skip(10 days);
        cu.requestExit(M, 10 ether);
        vm.stopPrank();
        assertEq(cu.exitingShares(M), 10 ether);
        (,, uint256 exitShares, uint64 readyAt) = cu.positions(M, dodger);
        assertEq(exitShares, 10 ether);
        assertEq(readyAt, block.timestamp + cu.exitDelay());
        cu.notifyReward{value: 9 ether}(M);
        // 40 earning shares of the dodger, 50 of the honest curator
        assertApproxEqAbs(cu.pendingRewards(M, dodger), 4 ether, 1);
        assertApproxEqAbs(cu.pendingRewards(M, honest), 5 ether, 1);
    }

    function test_allExitingRefusesRewards() public {
        vm.prank(dodger);
        cu.requestExit(M, 50 ether);
        vm.prank(honest);
        cu.requestExit(M, 50 ether);
        assertFalse(cu.canReceiveRewards(M));
        vm.expectRevert(Curation.NoCurators.selector);
        cu.notifyReward{value: 1 ether}(M);
        // curating more while exiting: only the new shares earn
        vm.prank(honest);
        cu.curate{value: 10 ether}(M);
        assertTrue(cu.canReceiveRewards(M));
        cu.notifyReward{value: 1 ether}(M);
        assertApproxEqAbs(cu.pendingRewards(M, honest), 1 ether, 1);
    }

    /// Whatever the order of requests, rewards and slashes, exiting shares earn nothing, the contract stays
    /// solvent, and a slash hits exiting and staying shares alike.
    function testFuzz_exitingSharesSlashableNotEarning(uint256 share, uint256 reward, uint256 frac) public {
        share = bound(share, 1, 50 ether);
        reward = bound(reward, 1 ether, 10 ether);
        frac = bound(frac, 1, 0.99e18);
        vm.prank(dodger);
        cu.requestExit(M, share);
        cu.notifyReward{value: reward}(M);
        uint256 before = cu.stakeOf(M, dodger);
        vm.prank(slasher);
        cu.slashModel(M, frac, keccak256("e"));
        assertLe(cu.stakeOf(M, dodger), before - (before * frac) / 1e18 + 1, "exiting stake not slashed");
        uint256 earning = 50 ether - share;
        assertApproxEqAbs(cu.pendingRewards(M, dodger), (reward * earning) / (100 ether - share), 2);
        skip(cu.exitDelay());
        vm.prank(dodger);
        cu.exit(M);
        assertGe(address(cu).balance, cu.totalStake() + cu.rewardReserve() + cu.slashedPending());
    }
}
