// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {GovernanceBase} from "./GovernanceBase.t.sol";
import {SystemConfig} from "../../../src/L1/SystemConfig.sol";
import {BaiPortal} from "../../../src/L1/BaiPortal.sol";
import {AddressAliasHelper} from "../../../src/libraries/AddressAliasHelper.sol";

/// @notice Proposals end to end on the real contracts: delegate, propose, vote, queue, wait, execute.
contract GovernorLifecycleTest is GovernanceBase {
    event ConfigUpdate(uint256 indexed version, SystemConfig.UpdateType indexed updateType, bytes data);
    event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData);

    address internal constant L2_TARGET = address(0x4200000000000000000000000000000000000B00);
    bytes internal l2Call = abi.encodeWithSignature("setMaxPrice(uint256)", 500 ether);

    function test_settings() public view {
        assertEq(governor.name(), "BaiGovernor");
        assertEq(governor.votingDelay(), VOTING_DELAY);
        assertEq(governor.votingPeriod(), VOTING_PERIOD);
        assertEq(governor.proposalThreshold(), THRESHOLD);
        assertEq(governor.quorumNumerator(), QUORUM_PERCENT);
        assertEq(governor.quorumDenominator(), 100);
        assertEq(governor.quorum(block.number - 1), SUPPLY * QUORUM_PERCENT / 100);
        assertEq(governor.timelock(), address(timelock));
        assertEq(address(governor.token()), address(token));
        assertEq(governor.CLOCK_MODE(), "mode=blocknumber&from=default");
        assertEq(governor.clock(), block.number);
        assertEq(timelock.getMinDelay(), TIMELOCK_DELAY);
        assertEq(governor.COUNTING_MODE(), "support=bravo&quorum=for,abstain");
    }

    /// (a) An L1 SystemConfig change and, as a second action, a portal deposit carrying an L2 call, through
    ///     the whole lifecycle; the deposit's L2 sender is the timelock's aliased address.
    function test_fullLifecycle_systemConfigAndDeposit() public {
        Proposal memory p;
        p.targets = new address[](2);
        p.values = new uint256[](2);
        p.calldatas = new bytes[](2);
        p.targets[0] = address(sysConfig);
        p.calldatas[0] = abi.encodeCall(SystemConfig.setGasLimit, (60_000_000));
        p.targets[1] = address(portal);
        p.calldatas[1] = abi.encodeCall(BaiPortal.depositTransaction, (L2_TARGET, 0, 200_000, false, l2Call));
        p.description = "BIP-1: raise the L2 gas limit to 60M and lower the marketplace's max price";
        bytes32 descHash = keccak256(bytes(p.description));

        uint256 id = _propose(alice, p);
        assertEq(id, governor.hashProposal(p.targets, p.values, p.calldatas, descHash));
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Pending));
        assertEq(governor.proposalProposer(id), alice);
        assertEq(governor.proposalSnapshot(id), block.number + VOTING_DELAY);
        assertEq(governor.proposalDeadline(id), block.number + VOTING_DELAY + VOTING_PERIOD);
        assertTrue(governor.proposalNeedsQueuing(id));

        // Voting cannot start before the delay.
        vm.expectRevert(_unexpectedState(id, IGovernor.ProposalState.Pending, _bit(IGovernor.ProposalState.Active)));
        vm.prank(alice);
        governor.castVote(id, 1);

        _mine(VOTING_DELAY + 1);
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Active));
        vm.prank(alice);
        governor.castVote(id, 1);
        vm.prank(bob);
        governor.castVoteWithReason(id, 1, "yes");
        vm.prank(carol);
        governor.castVote(id, 0);
        (uint256 against, uint256 forVotes, uint256 abstain) = governor.proposalVotes(id);
        assertEq(forVotes, 50_000_000 ether);
        assertEq(against, 5_000_000 ether);
        assertEq(abstain, 0);
        assertTrue(governor.hasVoted(id, carol));

        // Cannot be queued while the vote is open.
        vm.expectRevert(
            _unexpectedState(id, IGovernor.ProposalState.Active, _bit(IGovernor.ProposalState.Succeeded))
        );
        governor.queue(p.targets, p.values, p.calldatas, descHash);

        _mine(VOTING_PERIOD);
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Succeeded));
        governor.queue(p.targets, p.values, p.calldatas, descHash);
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Queued));
        uint256 eta = governor.proposalEta(id);
        assertEq(eta, block.timestamp + TIMELOCK_DELAY);

        // Not before the timelock delay.
        vm.warp(eta - 1);
        bytes32 opId = timelock.hashOperationBatch(
            p.targets, p.values, p.calldatas, 0, bytes20(address(governor)) ^ descHash
        );
        vm.expectRevert(
            abi.encodeWithSelector(
                TimelockController.TimelockUnexpectedOperationState.selector,
                opId,
                bytes32(1 << uint8(TimelockController.OperationState.Ready))
            )
        );
        _execute(p);
        assertEq(sysConfig.gasLimit(), 30_000_000);

        vm.warp(eta);
        vm.expectEmit(address(sysConfig));
        emit ConfigUpdate(0, SystemConfig.UpdateType.GAS_LIMIT, abi.encode(uint64(60_000_000)));
        vm.expectEmit(address(portal));
        emit TransactionDeposited(
            AddressAliasHelper.applyL1ToL2Alias(address(timelock)),
            L2_TARGET,
            0,
            abi.encodePacked(uint256(0), uint256(0), uint64(200_000), false, l2Call)
        );
        _execute(p);

        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Executed));
        assertEq(sysConfig.gasLimit(), 60_000_000);
        // Executed once only (with a timelock, only a Queued proposal executes).
        vm.expectRevert(
            _unexpectedState(
                id,
                IGovernor.ProposalState.Executed,
                _bit(IGovernor.ProposalState.Queued)
            )
        );
        _execute(p);
    }

    /// Fee scalars and the batcher through governance, read back.
    function test_lifecycle_feeScalarsAndBatcher() public {
        Proposal memory p;
        p.targets = new address[](3);
        p.values = new uint256[](3);
        p.calldatas = new bytes[](3);
        address newBatcher = makeAddr("newBatcher");
        p.targets[0] = address(sysConfig);
        p.calldatas[0] = abi.encodeCall(SystemConfig.setGasConfigEcotone, (2000, 1_000_000));
        p.targets[1] = address(sysConfig);
        p.calldatas[1] = abi.encodeCall(SystemConfig.setBatcherHash, (bytes32(uint256(uint160(newBatcher)))));
        p.targets[2] = address(sysConfig);
        p.calldatas[2] = abi.encodeCall(SystemConfig.setOperatorFeeScalars, (5, 1e12));
        p.description = "BIP-2: fees and batcher";
        uint256 id = _passAndQueue(p);
        vm.warp(governor.proposalEta(id));
        _execute(p);
        assertEq(sysConfig.basefeeScalar(), 2000);
        assertEq(sysConfig.blobbasefeeScalar(), 1_000_000);
        assertEq(sysConfig.batcher(), newBatcher);
        assertEq(sysConfig.operatorFeeScalar(), 5);
        assertEq(sysConfig.operatorFeeConstant(), 1e12);
    }

    /// (b) A proposal with an out-of-bound action passes the vote but fails at execution; its in-bound first
    ///     action is not applied either, and the proposal stays queued.
    function test_outOfBoundActionFailsAtExecution_changesNothing() public {
        Proposal memory p;
        p.targets = new address[](2);
        p.values = new uint256[](2);
        p.calldatas = new bytes[](2);
        p.targets[0] = address(sysConfig);
        p.calldatas[0] = abi.encodeCall(SystemConfig.setGasConfigEcotone, (2000, 1_000_000));
        p.targets[1] = address(sysConfig);
        p.calldatas[1] = abi.encodeCall(SystemConfig.setGasLimit, (600_000_000));
        p.description = "BIP-3: gas limit above the hard maximum";
        uint256 id = _passAndQueue(p);
        vm.warp(governor.proposalEta(id));

        uint256 scalarBefore = sysConfig.scalar();
        vm.expectRevert(abi.encodeWithSelector(SystemConfig.InvalidGasLimit.selector, uint64(600_000_000)));
        _execute(p);
        assertEq(sysConfig.gasLimit(), 30_000_000);
        assertEq(sysConfig.scalar(), scalarBefore);
        assertEq(sysConfig.basefeeScalar(), 1368);
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Queued));
    }

    /// (b, fuzzed) Any fee scalar above the bound fails at execution and changes nothing.
    /// forge-config: default.fuzz.runs = 64
    /// forge-config: deep.fuzz.runs = 1024
    function testFuzz_outOfBoundScalarProposalFails(uint32 basefee, uint32 blobbasefee) public {
        vm.assume(basefee > sysConfig.MAX_FEE_SCALAR() || blobbasefee > sysConfig.MAX_FEE_SCALAR());
        Proposal memory p = _one(
            address(sysConfig), abi.encodeCall(SystemConfig.setGasConfigEcotone, (basefee, blobbasefee)), "BIP-x"
        );
        uint256 id = _passAndQueue(p);
        vm.warp(governor.proposalEta(id));
        uint256 scalarBefore = sysConfig.scalar();
        vm.expectRevert(abi.encodeWithSelector(SystemConfig.InvalidFeeScalars.selector, basefee, blobbasefee));
        _execute(p);
        assertEq(sysConfig.scalar(), scalarBefore);
    }

    /// (f) A proposer below the threshold is refused; exactly the threshold is enough.
    function test_proposalThresholdEnforced() public {
        Proposal memory p = _one(address(sysConfig), abi.encodeCall(SystemConfig.setGasLimit, (40_000_000)), "x");
        vm.prank(dave);
        vm.expectRevert(
            abi.encodeWithSelector(IGovernor.GovernorInsufficientProposerVotes.selector, dave, 500 ether, THRESHOLD)
        );
        governor.propose(p.targets, p.values, p.calldatas, p.description);

        // Votes count from the previous block: topping up dave works only once a block has passed.
        vm.prank(treasury);
        token.transfer(dave, THRESHOLD - 500 ether);
        vm.prank(dave);
        vm.expectRevert(
            abi.encodeWithSelector(IGovernor.GovernorInsufficientProposerVotes.selector, dave, 500 ether, THRESHOLD)
        );
        governor.propose(p.targets, p.values, p.calldatas, p.description);
        _mine(1);
        uint256 id = _propose(dave, p);
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Pending));

        // Undelegated tokens are no votes.
        address erin = makeAddr("erin");
        vm.prank(treasury);
        token.transfer(erin, 10_000_000 ether);
        _mine(1);
        vm.prank(erin);
        vm.expectRevert(
            abi.encodeWithSelector(IGovernor.GovernorInsufficientProposerVotes.selector, erin, 0, THRESHOLD)
        );
        governor.propose(p.targets, p.values, p.calldatas, "y");
    }

    /// (f) Quorum not reached (5M For < 40M) → Defeated, cannot be queued or executed.
    function test_quorumNotMet_defeated() public {
        Proposal memory p = _one(address(sysConfig), abi.encodeCall(SystemConfig.setGasLimit, (40_000_000)), "q");
        uint256 id = _propose(carol, p);
        _mine(VOTING_DELAY + 1);
        vm.prank(carol);
        governor.castVote(id, 1);
        _mine(VOTING_PERIOD);
        assertLt(5_000_000 ether, governor.quorum(governor.proposalSnapshot(id)));
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Defeated));
        vm.expectRevert(
            _unexpectedState(id, IGovernor.ProposalState.Defeated, _bit(IGovernor.ProposalState.Succeeded))
        );
        governor.queue(p.targets, p.values, p.calldatas, keccak256(bytes(p.description)));
        vm.expectRevert(
            _unexpectedState(
                id,
                IGovernor.ProposalState.Defeated,
                _bit(IGovernor.ProposalState.Queued)
            )
        );
        _execute(p);
        assertEq(sysConfig.gasLimit(), 30_000_000);
    }

    /// Abstain counts towards the quorum, not towards success; a majority Against defeats a quorate vote.
    function test_quorumWithAbstain_andMajorityAgainst() public {
        Proposal memory p = _one(address(sysConfig), abi.encodeCall(SystemConfig.setGasLimit, (40_000_000)), "a");
        uint256 id = _propose(carol, p);
        _mine(VOTING_DELAY + 1);
        vm.prank(carol);
        governor.castVote(id, 1); // 5M For
        vm.prank(alice);
        governor.castVote(id, 2); // 30M Abstain → 35M < 40M
        _mine(VOTING_PERIOD);
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Defeated));

        Proposal memory p2 = _one(address(sysConfig), abi.encodeCall(SystemConfig.setGasLimit, (40_000_000)), "b");
        uint256 id2 = _propose(carol, p2);
        _mine(VOTING_DELAY + 1);
        vm.prank(carol);
        governor.castVote(id2, 1); // 5M For
        vm.prank(alice);
        governor.castVote(id2, 2); // 30M Abstain
        vm.prank(dave);
        governor.castVote(id2, 1); // 500 For
        vm.prank(bob);
        governor.castVote(id2, 0); // 20M Against: quorate (55M), but Against > For
        _mine(VOTING_PERIOD);
        assertEq(uint256(governor.state(id2)), uint256(IGovernor.ProposalState.Defeated));
    }

    /// Votes are taken at the snapshot: BAI bought (and delegated) after it does not vote.
    function test_votesAtSnapshotOnly() public {
        Proposal memory p = _one(address(sysConfig), abi.encodeCall(SystemConfig.setGasLimit, (40_000_000)), "s");
        uint256 id = _propose(carol, p);
        address whale = makeAddr("whale");
        _mine(VOTING_DELAY + 1);
        vm.prank(treasury);
        token.transfer(whale, 100_000_000 ether);
        vm.prank(whale);
        token.delegate(whale);
        vm.prank(whale);
        uint256 weight = governor.castVote(id, 1);
        assertEq(weight, 0);
    }

    /// Nobody but the timelock executes L1 admin calls; the governor's own setters need governance too.
    function test_onlyTimelockActs() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        sysConfig.setGasLimit(40_000_000);
        vm.prank(deployer);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, deployer));
        sysConfig.setGasLimit(40_000_000);
        vm.prank(deployer);
        vm.expectRevert(abi.encodeWithSelector(IGovernor.GovernorOnlyExecutor.selector, deployer));
        governor.setVotingPeriod(100);
        // A direct timelock schedule by anyone but the governor is refused.
        bytes32 proposerRole = timelock.PROPOSER_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, deployer, proposerRole)
        );
        vm.prank(deployer);
        timelock.schedule(address(sysConfig), 0, abi.encodeCall(SystemConfig.setGasLimit, (40_000_000)), 0, 0, 2 days);
        // Governance changes the governor's settings through a proposal.
        Proposal memory p = _one(address(governor), abi.encodeCall(governor.setVotingPeriod, (100)), "period");
        uint256 id = _passAndQueue(p);
        vm.warp(governor.proposalEta(id));
        _execute(p);
        assertEq(governor.votingPeriod(), 100);
    }

    /// A pending proposal can be cancelled by its proposer only (OZ rule); a queued one cannot be cancelled or
    /// executed on the timelock directly by the deployer or anyone else: the governor alone holds those roles.
    function test_cancelRules() public {
        Proposal memory p = _one(address(sysConfig), abi.encodeCall(SystemConfig.setGasLimit, (40_000_000)), "c");
        uint256 id = _propose(alice, p);
        vm.expectRevert(abi.encodeWithSelector(IGovernor.GovernorUnableToCancel.selector, id, bob));
        vm.prank(bob);
        governor.cancel(p.targets, p.values, p.calldatas, keccak256(bytes(p.description)));
        vm.prank(alice);
        governor.cancel(p.targets, p.values, p.calldatas, keccak256(bytes(p.description)));
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Canceled));

        Proposal memory p2 = _one(address(sysConfig), abi.encodeCall(SystemConfig.setGasLimit, (40_000_000)), "d");
        uint256 id2 = _passAndQueue(p2);
        bytes32 opId = timelock.hashOperationBatch(
            p2.targets, p2.values, p2.calldatas, 0, bytes20(address(governor)) ^ keccak256(bytes(p2.description))
        );
        assertTrue(timelock.isOperationPending(opId));
        bytes32 cancellerRole = timelock.CANCELLER_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, deployer, cancellerRole)
        );
        vm.prank(deployer);
        timelock.cancel(opId);
        assertEq(uint256(governor.state(id2)), uint256(IGovernor.ProposalState.Queued));
        // The timelock's executor is the governor only: no direct execution on the timelock.
        vm.warp(governor.proposalEta(id2));
        bytes32 executorRole = timelock.EXECUTOR_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, alice, executorRole)
        );
        vm.prank(alice);
        timelock.executeBatch(
            p2.targets, p2.values, p2.calldatas, 0, bytes20(address(governor)) ^ keccak256(bytes(p2.description))
        );
        _execute(p2);
        assertEq(sysConfig.gasLimit(), 40_000_000);
        assertTrue(timelock.isOperationDone(opId));
    }

    function _bit(IGovernor.ProposalState st) internal pure returns (bytes32) {
        return bytes32(1 << uint8(st));
    }

    function _unexpectedState(uint256 id, IGovernor.ProposalState current, bytes32 expected)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodeWithSelector(IGovernor.GovernorUnexpectedProposalState.selector, id, current, expected);
    }
}
