// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {Governor} from "@openzeppelin/contracts/governance/Governor.sol";
import {GovernorSettings} from "@openzeppelin/contracts/governance/extensions/GovernorSettings.sol";
import {GovernorCountingSimple} from "@openzeppelin/contracts/governance/extensions/GovernorCountingSimple.sol";
import {GovernorVotes} from "@openzeppelin/contracts/governance/extensions/GovernorVotes.sol";
import {GovernorVotesQuorumFraction} from
    "@openzeppelin/contracts/governance/extensions/GovernorVotesQuorumFraction.sol";
import {GovernorTimelockControl} from "@openzeppelin/contracts/governance/extensions/GovernorTimelockControl.sol";

/// @title BaiGovernor
/// @notice On-chain governance of BalanceAI's L1 contracts by BAI holders (OpenZeppelin 5.x Governor).
///         Voting power is L1 BaiToken's ERC20Votes checkpoints (delegate first; the clock is the L1 block
///         number, so the voting delay and period are in blocks). Votes are For / Against / Abstain
///         (For and Abstain count towards the quorum, a fraction of the total supply at the snapshot).
///         A successful proposal is queued in, and executed by, the TimelockController, which is the
///         account that holds every L1 admin role after the hand-over (`script/DeployGovernance.s.sol`).
///         The governor's own settings are bounded so that governance cannot disable or brick itself by
///         mistake: voting delay in [MIN_VOTING_DELAY, MAX_VOTING_DELAY], voting period in
///         [MIN_VOTING_PERIOD, MAX_VOTING_PERIOD], proposal threshold ≤ MAX_PROPOSAL_THRESHOLD_BPS of the
///         supply, quorum in [MIN_QUORUM_PERCENT, MAX_QUORUM_PERCENT] percent. The constructor applies the
///         same bounds.
contract BaiGovernor is
    Governor,
    GovernorVotes,
    GovernorSettings,
    GovernorCountingSimple,
    GovernorVotesQuorumFraction,
    GovernorTimelockControl
{
    /// @notice Shortest voting delay (blocks): votes are always counted at a block before the proposal's.
    uint48 public constant MIN_VOTING_DELAY = 1;
    /// @notice Longest voting delay (blocks): about 2 weeks of 12 s L1 blocks.
    uint48 public constant MAX_VOTING_DELAY = 100_800;
    /// @notice Shortest voting period (blocks). Low enough for devnets; production uses about a week.
    uint32 public constant MIN_VOTING_PERIOD = 10;
    /// @notice Longest voting period (blocks): about 4 weeks of 12 s L1 blocks.
    uint32 public constant MAX_VOTING_PERIOD = 201_600;
    /// @notice Highest proposal threshold, in basis points of the token's total supply (1 %): above it too
    ///         few holders could propose anything, including lowering the threshold again.
    uint256 public constant MAX_PROPOSAL_THRESHOLD_BPS = 100;
    /// @notice Lowest quorum (percent of the supply): a proposal never passes on a handful of votes.
    uint256 public constant MIN_QUORUM_PERCENT = 1;
    /// @notice Highest quorum (percent of the supply): above it governance could become unable to pass
    ///         anything, including a lower quorum.
    uint256 public constant MAX_QUORUM_PERCENT = 50;

    /// @notice Voting delay outside [MIN_VOTING_DELAY, MAX_VOTING_DELAY].
    /// @param votingDelay The refused value (blocks).
    error VotingDelayOutOfBounds(uint256 votingDelay);
    /// @notice Voting period outside [MIN_VOTING_PERIOD, MAX_VOTING_PERIOD].
    /// @param votingPeriod The refused value (blocks).
    error VotingPeriodOutOfBounds(uint256 votingPeriod);
    /// @notice Proposal threshold above MAX_PROPOSAL_THRESHOLD_BPS of the total supply.
    /// @param threshold The refused value (votes).
    /// @param max The highest allowed value now.
    error ProposalThresholdOutOfBounds(uint256 threshold, uint256 max);
    /// @notice Quorum outside [MIN_QUORUM_PERCENT, MAX_QUORUM_PERCENT].
    /// @param quorumPercent The refused value (percent).
    error QuorumOutOfBounds(uint256 quorumPercent);

    /// @notice Deploys the governor. Every value is checked against the bounds above.
    /// @param _token L1 BAI (ERC20Votes).
    /// @param _timelock The timelock that queues and executes proposals (the governor needs its proposer,
    ///        canceller and executor roles).
    /// @param _votingDelay Blocks between a proposal and the start of its vote (the voting power snapshot).
    /// @param _votingPeriod Blocks the vote lasts.
    /// @param _proposalThreshold Votes (BAI wei, delegated) a proposer needs at the previous block.
    /// @param _quorumPercent Percent of the total supply (at the snapshot) that must vote For or Abstain.
    constructor(
        IVotes _token,
        TimelockController _timelock,
        uint48 _votingDelay,
        uint32 _votingPeriod,
        uint256 _proposalThreshold,
        uint256 _quorumPercent
    )
        Governor("BaiGovernor")
        GovernorVotes(_token)
        GovernorSettings(_votingDelay, _votingPeriod, _proposalThreshold)
        GovernorVotesQuorumFraction(_quorumPercent)
        GovernorTimelockControl(_timelock)
    {}

    /// @notice Highest proposal threshold governance may set now (MAX_PROPOSAL_THRESHOLD_BPS of the supply).
    /// @return The limit (votes).
    function maxProposalThreshold() public view returns (uint256) {
        return (IERC20(address(token())).totalSupply() * MAX_PROPOSAL_THRESHOLD_BPS) / 10_000;
    }

    // ---- bounds on the settings (constructor and governance setters) ----

    /// @dev Bounds the voting delay.
    function _setVotingDelay(uint48 newVotingDelay) internal override {
        if (newVotingDelay < MIN_VOTING_DELAY || newVotingDelay > MAX_VOTING_DELAY) {
            revert VotingDelayOutOfBounds(newVotingDelay);
        }
        super._setVotingDelay(newVotingDelay);
    }

    /// @dev Bounds the voting period.
    function _setVotingPeriod(uint32 newVotingPeriod) internal override {
        if (newVotingPeriod < MIN_VOTING_PERIOD || newVotingPeriod > MAX_VOTING_PERIOD) {
            revert VotingPeriodOutOfBounds(newVotingPeriod);
        }
        super._setVotingPeriod(newVotingPeriod);
    }

    /// @dev Bounds the proposal threshold.
    function _setProposalThreshold(uint256 newProposalThreshold) internal override {
        uint256 max = maxProposalThreshold();
        if (newProposalThreshold > max) revert ProposalThresholdOutOfBounds(newProposalThreshold, max);
        super._setProposalThreshold(newProposalThreshold);
    }

    /// @dev Bounds the quorum numerator (percent: the denominator stays 100).
    function _updateQuorumNumerator(uint256 newQuorumNumerator) internal override {
        if (newQuorumNumerator < MIN_QUORUM_PERCENT || newQuorumNumerator > MAX_QUORUM_PERCENT) {
            revert QuorumOutOfBounds(newQuorumNumerator);
        }
        super._updateQuorumNumerator(newQuorumNumerator);
    }

    // ---- overrides Solidity requires (no behaviour of their own) ----

    /// @inheritdoc GovernorSettings
    function votingDelay() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.votingDelay();
    }

    /// @inheritdoc GovernorSettings
    function votingPeriod() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.votingPeriod();
    }

    /// @inheritdoc GovernorSettings
    function proposalThreshold() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.proposalThreshold();
    }

    /// @inheritdoc GovernorVotesQuorumFraction
    function quorum(uint256 timepoint) public view override(Governor, GovernorVotesQuorumFraction) returns (uint256) {
        return super.quorum(timepoint);
    }

    /// @inheritdoc GovernorTimelockControl
    function state(uint256 proposalId) public view override(Governor, GovernorTimelockControl) returns (ProposalState) {
        return super.state(proposalId);
    }

    /// @inheritdoc GovernorTimelockControl
    function proposalNeedsQueuing(uint256 proposalId)
        public
        view
        override(Governor, GovernorTimelockControl)
        returns (bool)
    {
        return super.proposalNeedsQueuing(proposalId);
    }

    function _queueOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint48) {
        return super._queueOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _executeOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) {
        super._executeOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _cancel(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint256) {
        return super._cancel(targets, values, calldatas, descriptionHash);
    }

    function _executor() internal view override(Governor, GovernorTimelockControl) returns (address) {
        return super._executor();
    }
}
