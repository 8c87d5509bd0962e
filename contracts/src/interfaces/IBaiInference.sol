// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title IBaiInference
/// @notice ABI of the AI precompile at 0x0000000000000000000000000000000000000BA1 (selector dispatch).
/// @dev Gas = baseGas + gasPerInputByte × inputBytes + units × gasPerUnit, read from the model registry
///      (ModelMarketplace predeploy). Calls revert with a reason on unknown / disabled models, oversized
///      inputs, insufficient gas or an unavailable backend. Models with a non-zero price may only be
///      called by the ModelMarketplace predeploy (which collects the payment first).
interface IBaiInference {
    /// @notice Text embedding.
    /// @param modelId Registered embedding model.
    /// @param text UTF-8 input.
    /// @return embedding Unit vector scaled by 1e6.
    function embed(bytes32 modelId, string calldata text) external returns (int32[] memory embedding);

    /// @notice Text generation.
    /// @param modelId Registered generation model.
    /// @param prompt UTF-8 prompt.
    /// @param maxTokens Maximum tokens generated (units).
    /// @return text Generated text.
    function generate(bytes32 modelId, string calldata prompt, uint32 maxTokens) external returns (string memory text);

    /// @notice Generic tensor-in / tensor-out inference.
    /// @param modelId Registered generic model.
    /// @param input Model-specific encoded input.
    /// @param maxUnits Maximum compute units.
    /// @return output Model-specific encoded output.
    function infer(bytes32 modelId, bytes calldata input, uint32 maxUnits) external returns (bytes memory output);

    /// @notice Gas a call would be charged at most.
    /// @param modelId Model.
    /// @param inputBytes Input size.
    /// @param maxUnits Maximum units.
    /// @return gas Gas.
    function quote(bytes32 modelId, uint256 inputBytes, uint32 maxUnits) external view returns (uint256 gas);
}
