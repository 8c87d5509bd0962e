// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IBaiInference} from "../interfaces/IBaiInference.sol";

/// @title BaiInference
/// @notice Thin caller library for the AI precompile. Free models can be called directly from any
///         contract; paid models must go through the ModelMarketplace predeploy (0x4200…0B00) — a direct
///         call to a paid model reverts `IBaiInference.PaymentRequired`. Calls revert with the IBaiInference
///         custom errors (reference: docs/precompiles.md) and need gas for the worst case ({quote}).
library BaiInference {
    /// @notice The precompile address.
    address internal constant PRECOMPILE = 0x0000000000000000000000000000000000000BA1;

    /// @notice Embeds `text` with `modelId` (unit vector × 1e6).
    function embed(bytes32 modelId, string memory text) internal returns (int32[] memory) {
        return IBaiInference(PRECOMPILE).embed(modelId, text);
    }

    /// @notice Generates up to `maxTokens` tokens from `prompt`.
    function generate(bytes32 modelId, string memory prompt, uint32 maxTokens) internal returns (string memory) {
        return IBaiInference(PRECOMPILE).generate(modelId, prompt, maxTokens);
    }

    /// @notice Runs a generic model.
    function infer(bytes32 modelId, bytes memory input, uint32 maxUnits) internal returns (bytes memory) {
        return IBaiInference(PRECOMPILE).infer(modelId, input, maxUnits);
    }

    /// @notice Gas quote for a call.
    function quote(bytes32 modelId, uint256 inputBytes, uint32 maxUnits) internal view returns (uint256) {
        return IBaiInference(PRECOMPILE).quote(modelId, inputBytes, maxUnits);
    }
}
