// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";
import {GovernanceBase} from "./GovernanceBase.t.sol";
import {SystemConfig} from "../../../src/L1/SystemConfig.sol";
import {BaiGovernor} from "../../../src/L1/governance/BaiGovernor.sol";

/// (e) Hard bounds: even the owner (the timelock) cannot set an unsafe value; in-bound values are applied.
contract SystemConfigBoundsTest is GovernanceBase {
    event ConfigUpdate(uint256 indexed version, SystemConfig.UpdateType indexed updateType, bytes data);

    function test_boundConstants() public view {
        assertEq(sysConfig.MINIMUM_GAS_LIMIT(), 21_000_000);
        assertEq(sysConfig.MAXIMUM_GAS_LIMIT(), 500_000_000);
        assertEq(sysConfig.MAX_FEE_SCALAR(), 10_000_000);
        assertEq(sysConfig.MAX_OPERATOR_FEE_CONSTANT(), 1e16);
    }

    function testFuzz_gasLimitBounds(uint64 gasLimit) public {
        bool ok = gasLimit >= sysConfig.MINIMUM_GAS_LIMIT() && gasLimit <= sysConfig.MAXIMUM_GAS_LIMIT();
        vm.prank(address(timelock));
        if (!ok) vm.expectRevert(abi.encodeWithSelector(SystemConfig.InvalidGasLimit.selector, gasLimit));
        sysConfig.setGasLimit(gasLimit);
        assertEq(sysConfig.gasLimit(), ok ? gasLimit : 30_000_000);
    }

    function testFuzz_feeScalarBounds(uint32 basefee, uint32 blobbasefee) public {
        // Half the runs inside the bounds.
        if (basefee % 2 == 0) {
            basefee = uint32(bound(basefee, 0, sysConfig.MAX_FEE_SCALAR()));
            blobbasefee = uint32(bound(blobbasefee, 0, sysConfig.MAX_FEE_SCALAR()));
        }
        bool ok = basefee <= sysConfig.MAX_FEE_SCALAR() && blobbasefee <= sysConfig.MAX_FEE_SCALAR();
        uint256 scalarBefore = sysConfig.scalar();
        vm.prank(address(timelock));
        if (!ok) {
            vm.expectRevert(abi.encodeWithSelector(SystemConfig.InvalidFeeScalars.selector, basefee, blobbasefee));
        }
        sysConfig.setGasConfigEcotone(basefee, blobbasefee);
        if (ok) {
            assertEq(sysConfig.basefeeScalar(), basefee);
            assertEq(sysConfig.blobbasefeeScalar(), blobbasefee);
            assertEq(sysConfig.scalar(), (uint256(1) << 248) | (uint256(blobbasefee) << 32) | basefee);
        } else {
            assertEq(sysConfig.scalar(), scalarBefore);
            assertEq(sysConfig.basefeeScalar(), 1368);
        }
    }

    function testFuzz_operatorFeeBounds(uint32 scalar, uint64 constant_) public {
        if (scalar % 2 == 0) constant_ = uint64(bound(constant_, 0, sysConfig.MAX_OPERATOR_FEE_CONSTANT()));
        bool ok = constant_ <= sysConfig.MAX_OPERATOR_FEE_CONSTANT();
        vm.prank(address(timelock));
        if (!ok) {
            vm.expectRevert(abi.encodeWithSelector(SystemConfig.InvalidOperatorFee.selector, scalar, constant_));
        }
        sysConfig.setOperatorFeeScalars(scalar, constant_);
        assertEq(sysConfig.operatorFeeScalar(), ok ? scalar : 0);
        assertEq(sysConfig.operatorFeeConstant(), ok ? constant_ : 0);
    }

    function testFuzz_batcherHashBounds(bytes32 h) public {
        // Half the runs a left-padded address.
        if (uint256(h) % 2 == 0) h = bytes32(uint256(uint160(uint256(h))));
        bool ok = h != bytes32(0) && uint256(h) >> 160 == 0;
        bytes32 before = sysConfig.batcherHash();
        vm.prank(address(timelock));
        if (!ok) vm.expectRevert(abi.encodeWithSelector(SystemConfig.InvalidBatcherHash.selector, h));
        else vm.expectEmit(address(sysConfig));
        if (ok) emit ConfigUpdate(0, SystemConfig.UpdateType.BATCHER, abi.encode(h));
        sysConfig.setBatcherHash(h);
        assertEq(sysConfig.batcherHash(), ok ? h : before);
    }

    function test_batcherHashEdges() public {
        vm.startPrank(address(timelock));
        vm.expectRevert(abi.encodeWithSelector(SystemConfig.InvalidBatcherHash.selector, bytes32(0)));
        sysConfig.setBatcherHash(bytes32(0));
        bytes32 high = bytes32(uint256(1) << 160);
        vm.expectRevert(abi.encodeWithSelector(SystemConfig.InvalidBatcherHash.selector, high));
        sysConfig.setBatcherHash(high);
        sysConfig.setBatcherHash(bytes32(uint256(type(uint160).max)));
        assertEq(sysConfig.batcher(), address(type(uint160).max));
        vm.stopPrank();
    }

    /// The constructor applies the same bounds (DeployL1 cannot deploy an unsafe configuration either).
    function test_constructorBounds() public {
        vm.expectRevert(abi.encodeWithSelector(SystemConfig.InvalidBatcherHash.selector, bytes32(0)));
        new SystemConfig(address(this), address(0), 30_000_000, 1, 1, address(2), address(0));
        vm.expectRevert(abi.encodeWithSelector(SystemConfig.InvalidFeeScalars.selector, uint32(10_000_001), uint32(1)));
        new SystemConfig(address(this), address(1), 30_000_000, 10_000_001, 1, address(2), address(0));
        vm.expectRevert(abi.encodeWithSelector(SystemConfig.InvalidGasLimit.selector, uint64(20_000_000)));
        new SystemConfig(address(this), address(1), 20_000_000, 1, 1, address(2), address(0));
        SystemConfig s = new SystemConfig(address(this), address(1), 500_000_000, 10_000_000, 10_000_000, address(2), address(0));
        assertEq(s.basefeeScalar(), 10_000_000);
    }
}

/// (e) The governor's own settings are bounded too, through governance (the timelock) and in the constructor.
contract GovernorBoundsTest is GovernanceBase {
    function test_boundConstants() public view {
        assertEq(governor.MIN_VOTING_DELAY(), 1);
        assertEq(governor.MAX_VOTING_DELAY(), 100_800);
        assertEq(governor.MIN_VOTING_PERIOD(), 10);
        assertEq(governor.MAX_VOTING_PERIOD(), 201_600);
        assertEq(governor.MAX_PROPOSAL_THRESHOLD_BPS(), 100);
        assertEq(governor.maxProposalThreshold(), SUPPLY / 100);
        assertEq(governor.MIN_QUORUM_PERCENT(), 1);
        assertEq(governor.MAX_QUORUM_PERCENT(), 50);
    }

    /// Runs `data` on the governor through a full proposal; expects the execution to revert with `err`
    /// (empty: to succeed). OZ's onlyGovernance accepts a call only from the timelock inside Governor.execute.
    function _govern(bytes memory data, bytes memory err) internal {
        Proposal memory p = _one(address(governor), data, vm.toString(data));
        uint256 id = _passAndQueue(p);
        vm.warp(governor.proposalEta(id));
        if (err.length != 0) vm.expectRevert(err);
        _execute(p);
    }

    /// forge-config: default.fuzz.runs = 128
    /// forge-config: deep.fuzz.runs = 1024
    function testFuzz_votingDelayBounds(uint48 delay) public {
        if (delay % 2 == 0) delay = uint48(bound(delay, 0, 200_000));
        bool ok = delay >= governor.MIN_VOTING_DELAY() && delay <= governor.MAX_VOTING_DELAY();
        _govern(
            abi.encodeCall(governor.setVotingDelay, (delay)),
            ok ? bytes("") : abi.encodeWithSelector(BaiGovernor.VotingDelayOutOfBounds.selector, delay)
        );
        assertEq(governor.votingDelay(), ok ? delay : VOTING_DELAY);
    }

    /// forge-config: default.fuzz.runs = 128
    /// forge-config: deep.fuzz.runs = 1024
    function testFuzz_votingPeriodBounds(uint32 period) public {
        if (period % 2 == 0) period = uint32(bound(period, 0, 400_000));
        bool ok = period >= governor.MIN_VOTING_PERIOD() && period <= governor.MAX_VOTING_PERIOD();
        _govern(
            abi.encodeCall(governor.setVotingPeriod, (period)),
            ok ? bytes("") : abi.encodeWithSelector(BaiGovernor.VotingPeriodOutOfBounds.selector, period)
        );
        assertEq(governor.votingPeriod(), ok ? period : VOTING_PERIOD);
    }

    /// forge-config: default.fuzz.runs = 128
    /// forge-config: deep.fuzz.runs = 1024
    function testFuzz_proposalThresholdBounds(uint256 threshold) public {
        uint256 max = governor.maxProposalThreshold();
        if (threshold % 2 == 0) threshold = bound(threshold, 0, 2 * max);
        bool ok = threshold <= max;
        _govern(
            abi.encodeCall(governor.setProposalThreshold, (threshold)),
            ok ? bytes("") : abi.encodeWithSelector(BaiGovernor.ProposalThresholdOutOfBounds.selector, threshold, max)
        );
        assertEq(governor.proposalThreshold(), ok ? threshold : THRESHOLD);
    }

    /// forge-config: default.fuzz.runs = 128
    /// forge-config: deep.fuzz.runs = 1024
    function testFuzz_quorumBounds(uint256 q) public {
        if (q % 2 == 0) q = bound(q, 0, 120);
        bool ok = q >= governor.MIN_QUORUM_PERCENT() && q <= governor.MAX_QUORUM_PERCENT();
        _govern(
            abi.encodeCall(governor.updateQuorumNumerator, (q)),
            ok ? bytes("") : abi.encodeWithSelector(BaiGovernor.QuorumOutOfBounds.selector, q)
        );
        assertEq(governor.quorumNumerator(), ok ? q : QUORUM_PERCENT);
    }

    /// Only governance changes the settings: not a holder, not the timelock outside a governor execution.
    function test_settersNeedGovernance() public {
        bytes memory notExecutor = abi.encodeWithSelector(IGovernor.GovernorOnlyExecutor.selector, alice);
        vm.startPrank(alice);
        vm.expectRevert(notExecutor);
        governor.setVotingDelay(2);
        vm.expectRevert(notExecutor);
        governor.setVotingPeriod(20);
        vm.expectRevert(notExecutor);
        governor.setProposalThreshold(0);
        vm.expectRevert(notExecutor);
        governor.updateQuorumNumerator(10);
        vm.expectRevert(notExecutor);
        governor.updateTimelock(TimelockController(payable(alice)));
        vm.stopPrank();
        vm.prank(address(timelock));
        vm.expectRevert();
        governor.setVotingDelay(2);
        assertEq(governor.votingDelay(), VOTING_DELAY);
    }

    function testFuzz_constructorBounds(uint48 delay, uint32 period, uint256 threshold, uint256 q) public {
        delay = uint48(bound(delay, 0, 150_000));
        period = uint32(bound(period, 0, 300_000));
        threshold = bound(threshold, 0, SUPPLY / 50);
        q = bound(q, 0, 100);
        bool ok = delay >= 1 && delay <= 100_800 && period >= 10 && period <= 201_600 && threshold <= SUPPLY / 100
            && q >= 1 && q <= 50;
        if (!ok) vm.expectRevert();
        BaiGovernor g = new BaiGovernor(IVotes(address(token)), timelock, delay, period, threshold, q);
        if (ok) {
            assertEq(g.votingDelay(), delay);
            assertEq(g.votingPeriod(), period);
            assertEq(g.proposalThreshold(), threshold);
            assertEq(g.quorumNumerator(), q);
        }
    }
}
