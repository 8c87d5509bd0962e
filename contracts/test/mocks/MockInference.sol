// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IBaiInference} from "../../src/interfaces/IBaiInference.sol";
import {ModelMarketplace} from "../../src/L2/ModelMarketplace.sol";
import {Predeploys} from "../../src/libraries/Predeploys.sol";

/// @notice Test stand-in for the AI precompile, etched at 0x…0BA1. It applies the node's checks in the node's
///         order with the node's errors (static context, unknown / inactive model, kind, input size, payment,
///         units, worst-case gas) and answers deterministically:
///         embed → [len(text), 1e6]; generate → "echo:" + prompt; infer → abi.encodePacked(keccak256(input)).
///         It does not charge the gas schedule (only its own execution gas). Override single answers with
///         vm.mockCall / vm.mockCallRevert on 0x…0BA1.
contract MockInference is IBaiInference {
    /// @dev Reverts when called in a static context (TSTORE is a state change), which is how the mock
    ///      tells a STATICCALL apart.
    function probeStatic() external {
        assembly {
            tstore(0, 1)
        }
    }

    function _check(bytes32 modelId, uint8 kind, uint256 inputBytes, uint32 requested, bool capped)
        private
        returns (uint256 maxUnits)
    {
        try this.probeStatic{gas: 10_000}() {}
        catch {
            revert StaticCallNotAllowed();
        }
        ModelMarketplace.Model memory m = ModelMarketplace(Predeploys.MODEL_MARKETPLACE).getModel(modelId);
        if (m.status == 0) revert UnknownModel(modelId);
        if (m.status != 1) revert ModelNotActive(modelId, m.status);
        if (m.kind != kind) revert WrongModelKind(modelId, kind, m.kind);
        if (inputBytes > m.maxInputBytes) revert InputTooLarge(inputBytes, m.maxInputBytes);
        if (m.price != 0 && msg.sender != Predeploys.MODEL_MARKETPLACE) revert PaymentRequired(modelId, m.price);
        maxUnits = m.maxUnits;
        if (capped) {
            if (requested == 0) revert InvalidInput("maxUnits must be positive");
            if (requested > m.maxUnits) revert UnitsTooLarge(requested, m.maxUnits);
            maxUnits = requested;
        }
        uint256 worst = uint256(m.baseGas) + uint256(m.gasPerInputByte) * inputBytes + uint256(m.gasPerUnit) * maxUnits;
        if (worst > gasleft()) revert InsufficientGas(worst, gasleft());
    }

    function embed(bytes32 modelId, string calldata text) external returns (int32[] memory e) {
        _check(modelId, 1, bytes(text).length, 0, false);
        e = new int32[](2);
        e[0] = int32(int256(bytes(text).length));
        e[1] = 1_000_000;
    }

    function generate(bytes32 modelId, string calldata prompt, uint32 maxTokens) external returns (string memory) {
        _check(modelId, 2, bytes(prompt).length, maxTokens, true);
        return string.concat("echo:", prompt);
    }

    function infer(bytes32 modelId, bytes calldata input, uint32 maxUnits) external returns (bytes memory) {
        _check(modelId, 3, input.length, maxUnits, true);
        return abi.encodePacked(keccak256(input));
    }

    function quote(bytes32 modelId, uint256 inputBytes, uint32 maxUnits) external view returns (uint256) {
        ModelMarketplace.Model memory m = ModelMarketplace(Predeploys.MODEL_MARKETPLACE).getModel(modelId);
        if (m.status == 0) revert UnknownModel(modelId);
        return uint256(m.baseGas) + uint256(m.gasPerInputByte) * inputBytes + uint256(m.gasPerUnit) * maxUnits;
    }
}
