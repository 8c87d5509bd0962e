// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title IStakingRewards
/// @notice What the marketplace needs from Staking.
interface IStakingRewards {
    /// @notice Adds `msg.value` as rewards of `validator`'s delegators (after commission).
    function notifyReward(address validator) external payable;
    /// @notice Whether `validator` can receive rewards now (registered, has delegated shares).
    function canReceiveRewards(address validator) external view returns (bool);
    /// @notice Whether `operator` is a registered, unjailed operator that declared it serves `modelId`.
    function isServing(address operator, bytes32 modelId) external view returns (bool);
}

/// @title ICurationRewards
/// @notice What the marketplace needs from Curation.
interface ICurationRewards {
    /// @notice Adds `msg.value` as rewards of `modelId`'s curators.
    function notifyReward(bytes32 modelId) external payable;
    /// @notice Whether `modelId` has curators to pay.
    function canReceiveRewards(bytes32 modelId) external view returns (bool);
}
