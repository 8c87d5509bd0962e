// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IBaiInference} from "../../src/interfaces/IBaiInference.sol";
import {ModelMarketplace} from "../../src/L2/ModelMarketplace.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";

/// @notice Test stand-in for the AI precompile, etched at 0x…0BA1. It enforces the node's rule that a
///         model with a non-zero price may only be called by the marketplace.
contract MockInference is IBaiInference {
    error PaidModelRequiresMarketplace();

    function _check(bytes32 modelId) private view {
        ModelMarketplace.Model memory m = ModelMarketplace(Predeploys.MODEL_MARKETPLACE).getModel(modelId);
        require(m.status == 1, "model not active");
        if (m.price != 0 && msg.sender != Predeploys.MODEL_MARKETPLACE) revert PaidModelRequiresMarketplace();
    }

    function embed(bytes32 modelId, string calldata text) external view returns (int32[] memory e) {
        _check(modelId);
        e = new int32[](2);
        e[0] = int32(int256(bytes(text).length));
        e[1] = 1_000_000;
    }

    function generate(bytes32 modelId, string calldata prompt, uint32) external view returns (string memory) {
        _check(modelId);
        return string.concat("echo:", prompt);
    }

    function infer(bytes32 modelId, bytes calldata input, uint32) external view returns (bytes memory) {
        _check(modelId);
        return abi.encodePacked(keccak256(input));
    }

    function quote(bytes32 modelId, uint256 inputBytes, uint32 maxUnits) external view returns (uint256) {
        return ModelMarketplace(Predeploys.MODEL_MARKETPLACE).quote(modelId, inputBytes, maxUnits);
    }
}
