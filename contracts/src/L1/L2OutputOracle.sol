// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Types} from "../libraries/Types.sol";

/// @title L2OutputOracle
/// @notice L1 record of L2 output roots (OP's legacy, non fault-proof oracle, same ABI). The proposer
///         posts an output root every {SUBMISSION_INTERVAL} L2 blocks; the challenger may delete any
///         output that is not yet finalized (and every output after it). Parameters are immutable.
/// @dev Revert reasons are OP's strings where tools match on them (viem's getWithdrawalStatus relies on
///      "L2OutputOracle: cannot get output for a block that has not been proposed").
contract L2OutputOracle {
    /// @notice L2 blocks between two outputs.
    uint256 public immutable SUBMISSION_INTERVAL;
    /// @notice L2 block time in milliseconds (e.g. 200 for 200 ms blocks, 1000 for 1 s blocks).
    /// @dev Milliseconds because whole seconds cannot express sub-second blocks; see {computeL2Timestamp}.
    uint256 public immutable L2_BLOCK_TIME_MS;
    /// @notice Account allowed to delete unfinalized outputs.
    address public immutable CHALLENGER;
    /// @notice Account allowed to propose outputs.
    address public immutable PROPOSER;
    /// @notice Challenge window of an output, in seconds.
    uint256 public immutable FINALIZATION_PERIOD_SECONDS;
    /// @notice First L2 block of the chain (the first output is at startingBlockNumber + interval).
    uint256 public immutable startingBlockNumber;
    /// @notice Timestamp of {startingBlockNumber}.
    uint256 public immutable startingTimestamp;

    /// @notice Semantic version (OP 1.8 ABI).
    string public constant version = "1.8.0";

    Types.OutputProposal[] internal l2Outputs;

    /// @notice Invalid constructor parameters.
    error InvalidParams();
    /// @notice Caller is not the proposer.
    error NotProposer();
    /// @notice Caller is not the challenger.
    error NotChallenger();

    /// @notice An output was proposed.
    /// @param outputRoot Output root.
    /// @param l2OutputIndex Index in the list.
    /// @param l2BlockNumber L2 block number.
    /// @param l1Timestamp L1 timestamp of the proposal.
    event OutputProposed(
        bytes32 indexed outputRoot, uint256 indexed l2OutputIndex, uint256 indexed l2BlockNumber, uint256 l1Timestamp
    );

    /// @notice Outputs were deleted.
    /// @param prevNextOutputIndex Next index before the deletion.
    /// @param newNextOutputIndex Next index after the deletion.
    event OutputsDeleted(uint256 indexed prevNextOutputIndex, uint256 indexed newNextOutputIndex);

    /// @notice Sets the immutable parameters.
    /// @param _submissionInterval L2 blocks between outputs (> 0).
    /// @param _l2BlockTimeMs L2 block time in milliseconds (> 0).
    /// @param _startingBlockNumber First L2 block.
    /// @param _startingTimestamp Timestamp of the first L2 block (≤ now).
    /// @param _proposer Proposer.
    /// @param _challenger Challenger.
    /// @param _finalizationPeriodSeconds Challenge window.
    constructor(
        uint256 _submissionInterval,
        uint256 _l2BlockTimeMs,
        uint256 _startingBlockNumber,
        uint256 _startingTimestamp,
        address _proposer,
        address _challenger,
        uint256 _finalizationPeriodSeconds
    ) {
        if (
            _submissionInterval == 0 || _l2BlockTimeMs == 0 || _startingTimestamp > block.timestamp
                || _proposer == address(0) || _challenger == address(0)
        ) revert InvalidParams();
        SUBMISSION_INTERVAL = _submissionInterval;
        L2_BLOCK_TIME_MS = _l2BlockTimeMs;
        startingBlockNumber = _startingBlockNumber;
        startingTimestamp = _startingTimestamp;
        PROPOSER = _proposer;
        CHALLENGER = _challenger;
        FINALIZATION_PERIOD_SECONDS = _finalizationPeriodSeconds;
    }

    /// @notice Lowercase getter of {SUBMISSION_INTERVAL}.
    /// @return The interval.
    function submissionInterval() external view returns (uint256) {
        return SUBMISSION_INTERVAL;
    }

    /// @notice Lowercase getter of {L2_BLOCK_TIME_MS}.
    /// @return The block time in milliseconds.
    function l2BlockTimeMs() external view returns (uint256) {
        return L2_BLOCK_TIME_MS;
    }

    /// @notice The L2 block time in whole seconds, rounded up (so never 0), for OP Stack tooling: viem's and the
    ///         OP SDK's withdrawal helpers read `L2_BLOCK_TIME()` to estimate the wait for the next output. A
    ///         sub-second chain reads 1 here (an upper bound); {L2_BLOCK_TIME_MS} is exact.
    /// @return The block time in seconds, rounded up.
    // forge-lint: disable-next-line(mixed-case-function)
    function L2_BLOCK_TIME() public view returns (uint256) {
        return (L2_BLOCK_TIME_MS + 999) / 1000;
    }

    /// @notice Lowercase getter of {L2_BLOCK_TIME} (whole seconds, rounded up).
    /// @return The block time in seconds, rounded up.
    function l2BlockTime() external view returns (uint256) {
        return L2_BLOCK_TIME();
    }

    /// @notice Lowercase getter of {CHALLENGER}.
    /// @return The challenger.
    function challenger() external view returns (address) {
        return CHALLENGER;
    }

    /// @notice Lowercase getter of {PROPOSER}.
    /// @return The proposer.
    function proposer() external view returns (address) {
        return PROPOSER;
    }

    /// @notice Lowercase getter of {FINALIZATION_PERIOD_SECONDS}.
    /// @return The period.
    function finalizationPeriodSeconds() external view returns (uint256) {
        return FINALIZATION_PERIOD_SECONDS;
    }

    /// @notice Deletes the output at `_l2OutputIndex` and all later ones (challenger only, unfinalized only).
    /// @param _l2OutputIndex First index to delete.
    function deleteL2Outputs(uint256 _l2OutputIndex) external {
        if (msg.sender != CHALLENGER) revert NotChallenger();
        require(
            _l2OutputIndex < l2Outputs.length, "L2OutputOracle: cannot delete outputs after the latest output index"
        );
        require(
            block.timestamp - l2Outputs[_l2OutputIndex].timestamp < FINALIZATION_PERIOD_SECONDS,
            "L2OutputOracle: cannot delete outputs that have already been finalized"
        );
        uint256 prevNextL2OutputIndex = nextOutputIndex();
        assembly {
            sstore(l2Outputs.slot, _l2OutputIndex)
        }
        emit OutputsDeleted(prevNextL2OutputIndex, _l2OutputIndex);
    }

    /// @notice Proposes the output root of L2 block `_l2BlockNumber` (proposer only).
    /// @param _outputRoot Output root.
    /// @param _l2BlockNumber Must equal {nextBlockNumber}.
    /// @param _l1BlockHash Optional L1 block hash the proposal is bound to (zero: none).
    /// @param _l1BlockNumber Number of that L1 block.
    function proposeL2Output(bytes32 _outputRoot, uint256 _l2BlockNumber, bytes32 _l1BlockHash, uint256 _l1BlockNumber)
        external
        payable
    {
        if (msg.sender != PROPOSER) revert NotProposer();
        require(msg.value == 0, "L2OutputOracle: value must be zero");
        require(
            _l2BlockNumber == nextBlockNumber(),
            "L2OutputOracle: block number must be equal to next expected block number"
        );
        require(
            computeL2Timestamp(_l2BlockNumber) < block.timestamp,
            "L2OutputOracle: cannot propose L2 output in the future"
        );
        require(_outputRoot != bytes32(0), "L2OutputOracle: L2 output proposal cannot be the zero hash");
        if (_l1BlockHash != bytes32(0)) {
            require(
                blockhash(_l1BlockNumber) == _l1BlockHash,
                "L2OutputOracle: block hash does not match the hash at the expected height"
            );
        }
        emit OutputProposed(_outputRoot, nextOutputIndex(), _l2BlockNumber, block.timestamp);
        l2Outputs.push(
            Types.OutputProposal({
                outputRoot: _outputRoot, timestamp: uint128(block.timestamp), l2BlockNumber: uint128(_l2BlockNumber)
            })
        );
    }

    /// @notice Returns an output by index.
    /// @param _l2OutputIndex Index.
    /// @return The proposal.
    function getL2Output(uint256 _l2OutputIndex) external view returns (Types.OutputProposal memory) {
        return l2Outputs[_l2OutputIndex];
    }

    /// @notice Index of the first output whose L2 block is ≥ `_l2BlockNumber`.
    /// @param _l2BlockNumber L2 block number.
    /// @return The index.
    function getL2OutputIndexAfter(uint256 _l2BlockNumber) public view returns (uint256) {
        require(
            _l2BlockNumber <= latestBlockNumber(),
            "L2OutputOracle: cannot get output for a block that has not been proposed"
        );
        require(l2Outputs.length > 0, "L2OutputOracle: cannot get output as no outputs have been proposed yet");
        uint256 lo = 0;
        uint256 hi = l2Outputs.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (l2Outputs[mid].l2BlockNumber < _l2BlockNumber) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /// @notice The first output whose L2 block is ≥ `_l2BlockNumber`.
    /// @param _l2BlockNumber L2 block number.
    /// @return The proposal.
    function getL2OutputAfter(uint256 _l2BlockNumber) external view returns (Types.OutputProposal memory) {
        return l2Outputs[getL2OutputIndexAfter(_l2BlockNumber)];
    }

    /// @notice Index of the latest output (reverts if none).
    /// @return The index.
    function latestOutputIndex() external view returns (uint256) {
        return l2Outputs.length - 1;
    }

    /// @notice Index the next output will get.
    /// @return The index.
    function nextOutputIndex() public view returns (uint256) {
        return l2Outputs.length;
    }

    /// @notice L2 block of the latest output, or {startingBlockNumber} when none.
    /// @return The block number.
    function latestBlockNumber() public view returns (uint256) {
        return l2Outputs.length == 0 ? startingBlockNumber : l2Outputs[l2Outputs.length - 1].l2BlockNumber;
    }

    /// @notice L2 block the next output must be for.
    /// @return The block number.
    function nextBlockNumber() public view returns (uint256) {
        return latestBlockNumber() + SUBMISSION_INTERVAL;
    }

    /// @notice Timestamp (whole seconds) of L2 block `_l2BlockNumber`:
    ///         `startingTimestamp + ((_l2BlockNumber - startingBlockNumber) * L2_BLOCK_TIME_MS) / 1000`, rounded down.
    /// @dev L2 block timestamps are whole seconds, so with sub-second blocks several consecutive blocks share one
    ///      timestamp (at 200 ms, five blocks per second). The value is the earliest second in which the block can
    ///      exist on the nominal schedule, so it bounds from above how far L2 can be at a given time (a real chain
    ///      may only run behind it). {proposeL2Output} requires it to be strictly before the L1 timestamp: a block
    ///      nominally at `t + f` seconds (0 ≤ f < 1) floors to `t` and is accepted from L1 time `t + 1` on.
    ///      Reverts (underflow) for a block before {startingBlockNumber}.
    /// @param _l2BlockNumber L2 block number (≥ {startingBlockNumber}).
    /// @return The timestamp, in seconds.
    function computeL2Timestamp(uint256 _l2BlockNumber) public view returns (uint256) {
        return startingTimestamp + ((_l2BlockNumber - startingBlockNumber) * L2_BLOCK_TIME_MS) / 1000;
    }
}
