// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Test} from "forge-std/Test.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";
import {BaiToken} from "../../../src/L1/BaiToken.sol";
import {L2OutputOracle} from "../../../src/L1/L2OutputOracle.sol";
import {BaiPortal} from "../../../src/L1/BaiPortal.sol";
import {SystemConfig} from "../../../src/L1/SystemConfig.sol";
import {BaiGovernor} from "../../../src/L1/governance/BaiGovernor.sol";
import {DeployL1} from "../../../script/DeployL1.s.sol";
import {DeployGovernance} from "../../../script/DeployGovernance.s.sol";

/// @notice The real L1 deployment (DeployL1.deploy) handed over to governance by DeployGovernance, with BAI
///         spread over a few holders who delegate to themselves.
abstract contract GovernanceBase is Test {
    BaiToken internal token;
    L2OutputOracle internal oracle;
    BaiPortal internal portal;
    SystemConfig internal sysConfig;
    TimelockController internal timelock;
    BaiGovernor internal governor;
    DeployGovernance internal govScript;

    /// The account that ran DeployL1 (owner of SystemConfig and, as DeployL1's default, the guardian).
    address internal deployer = makeAddr("deployer");
    /// The guardian after the hand-over (e.g. a security council multisig).
    address internal council = makeAddr("council");
    address internal treasury = makeAddr("treasury");
    address internal proposer = makeAddr("proposer");
    address internal challenger = makeAddr("challenger");
    address internal alice = makeAddr("alice"); // 30M BAI
    address internal bob = makeAddr("bob"); // 20M BAI
    address internal carol = makeAddr("carol"); // 5M BAI
    address internal dave = makeAddr("dave"); // 500 BAI: below the proposal threshold

    uint256 internal constant SUPPLY = 1_000_000_000 ether;
    uint48 internal constant VOTING_DELAY = 1;
    uint32 internal constant VOTING_PERIOD = 50;
    uint256 internal constant THRESHOLD = 1000 ether;
    uint256 internal constant QUORUM_PERCENT = 4; // 40M BAI
    uint256 internal constant TIMELOCK_DELAY = 2 days;

    function setUp() public virtual {
        vm.warp(1_000_000);
        vm.roll(100);
        DeployL1.Deployment memory dep = _deployL1();
        (token, oracle, portal, sysConfig) = (dep.token, dep.oracle, dep.portal, dep.systemConfig);
        DeployGovernance.Governance memory g = _handOver(_l1(), _govConfig());
        (timelock, governor) = (g.timelock, g.governor);

        vm.startPrank(treasury);
        token.transfer(alice, 30_000_000 ether);
        token.transfer(bob, 20_000_000 ether);
        token.transfer(carol, 5_000_000 ether);
        token.transfer(dave, 500 ether);
        vm.stopPrank();
        address[4] memory holders = [alice, bob, carol, dave];
        for (uint256 i = 0; i < holders.length; i++) {
            vm.prank(holders[i]);
            token.delegate(holders[i]);
        }
        vm.roll(block.number + 1);
        vm.warp(block.timestamp + 12);
    }

    /// @dev DeployL1.deploy as the script runs it, then (since a test cannot broadcast inside DeployL1.deploy)
    ///      ownership moved to `deployer`: the state `DeployL1.run()` leaves, where the signer owns SystemConfig
    ///      and is the guardian.
    function _deployL1() internal returns (DeployL1.Deployment memory dep) {
        DeployL1 d = new DeployL1();
        DeployL1.Config memory c = DeployL1.Config({
            treasury: treasury,
            totalSupply: SUPPLY,
            proposer: proposer,
            challenger: challenger,
            guardian: deployer,
            batcher: makeAddr("batcher"),
            batchInbox: address(0xFf00000000000000000000000000000000000BA1),
            unsafeBlockSigner: address(0),
            submissionInterval: 10,
            l2BlockTimeMs: 1000,
            finalizationPeriod: 7 days,
            startingBlockNumber: 0,
            startingTimestamp: block.timestamp,
            l2GasLimit: 30_000_000,
            basefeeScalar: 1368,
            blobbasefeeScalar: 810_949
        });
        dep = d.deploy(c, address(d));
        vm.prank(address(d));
        dep.systemConfig.transferOwnership(deployer);
        vm.prank(deployer);
        dep.systemConfig.acceptOwnership();
    }

    function _l1() internal view returns (DeployGovernance.L1Contracts memory) {
        return DeployGovernance.L1Contracts({token: token, oracle: oracle, portal: portal, systemConfig: sysConfig});
    }

    function _govConfig() internal view returns (DeployGovernance.Config memory) {
        return DeployGovernance.Config({
            votingDelay: VOTING_DELAY,
            votingPeriod: VOTING_PERIOD,
            proposalThreshold: THRESHOLD,
            quorumPercent: QUORUM_PERCENT,
            timelockDelay: TIMELOCK_DELAY,
            guardian: council
        });
    }

    function _handOver(DeployGovernance.L1Contracts memory l1, DeployGovernance.Config memory c)
        internal
        returns (DeployGovernance.Governance memory g)
    {
        govScript = new DeployGovernance();
        g = govScript.deployAndHandOver(l1, c, deployer);
    }

    // ---- proposal helpers ----

    struct Proposal {
        address[] targets;
        uint256[] values;
        bytes[] calldatas;
        string description;
    }

    function _one(address target, bytes memory data, string memory description)
        internal
        pure
        returns (Proposal memory p)
    {
        p.targets = new address[](1);
        p.values = new uint256[](1);
        p.calldatas = new bytes[](1);
        p.targets[0] = target;
        p.calldatas[0] = data;
        p.description = description;
    }

    function _propose(address who, Proposal memory p) internal returns (uint256 id) {
        vm.prank(who);
        id = governor.propose(p.targets, p.values, p.calldatas, p.description);
    }

    /// @dev Proposes as alice, alice and bob vote For (50M > 40M quorum), the vote ends, the proposal is queued.
    function _passAndQueue(Proposal memory p) internal returns (uint256 id) {
        id = _propose(alice, p);
        _mine(VOTING_DELAY + 1);
        vm.prank(alice);
        governor.castVote(id, 1);
        vm.prank(bob);
        governor.castVote(id, 1);
        _mine(VOTING_PERIOD);
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Succeeded));
        governor.queue(p.targets, p.values, p.calldatas, keccak256(bytes(p.description)));
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Queued));
    }

    function _execute(Proposal memory p) internal {
        governor.execute(p.targets, p.values, p.calldatas, keccak256(bytes(p.description)));
    }

    function _mine(uint256 blocks) internal {
        vm.roll(block.number + blocks);
        vm.warp(block.timestamp + blocks * 12);
    }
}
