// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Predeploys} from "../libraries/Predeploys.sol";

/// @title InferenceWitnessStore
/// @notice Predeploy at 0x4200…0B02. The sequencer records every inference result it obtained from an
///         inference backend in a system deposit transaction at the start of the block; the AI precompile
///         then answers from the recorded witness, so verifiers and RPC replicas replay the block without
///         running models. Witnesses are immutable once recorded and carry the inference operator that
///         produced them, which is the evidence used to slash that operator if a challenger shows the
///         result is outside the model's tolerance.
/// @dev STORAGE LAYOUT READ BY THE NODE (documented in docs/contracts.md):
///        slot 0: mapping(bytes32 callKey => Witness) witnesses
///          base = keccak256(abi.encode(callKey, uint256(0)))
///          base+0: units (uint64, bytes 0-7) | blockNumber (uint64, bytes 8-15)   (blockNumber != 0 ⇔ exists)
///          base+1: operator (address)
///          base+2: output (Solidity `bytes` encoding)
///        slot 1: operator (address) pinned into the next records
///        slot 2: count (uint256)
contract InferenceWitnessStore {
    /// @notice One recorded inference result.
    struct Witness {
        uint64 units;
        uint64 blockNumber;
        address operator;
        bytes output;
    }

    /// @notice Recorded witnesses by call key (slot 0).
    mapping(bytes32 callKey => Witness) internal witnesses;

    /// @notice The inference operator that the sequencer declares as producing the next records (slot 1).
    address public operator;

    /// @notice Number of witnesses recorded (slot 2).
    uint256 public count;

    /// @notice Semantic version.
    string public constant version = "1.0.0";

    /// @notice Caller is not the depositor account.
    error NotDepositor();
    /// @notice A witness already exists for this call key.
    error WitnessExists(bytes32 callKey);
    /// @notice Batch arrays differ in length.
    error LengthMismatch();

    /// @notice Emitted for every recorded witness.
    /// @param callKey Call key.
    /// @param operator Inference operator pinned to the witness.
    /// @param units Metered units (tokens or compute units).
    /// @param outputHash keccak256 of the output.
    event WitnessRecorded(bytes32 indexed callKey, address indexed operator, uint64 units, bytes32 outputHash);

    /// @notice Emitted when the recording operator changes.
    /// @param previous Previous operator.
    /// @param current New operator.
    event OperatorSet(address indexed previous, address indexed current);

    modifier onlyDepositor() {
        if (msg.sender != Predeploys.DEPOSITOR_ACCOUNT) revert NotDepositor();
        _;
    }

    /// @notice Declares the inference operator whose results are recorded next (system transaction).
    /// @param _operator Operator address (registered in Staking).
    function setOperator(address _operator) external onlyDepositor {
        emit OperatorSet(operator, _operator);
        operator = _operator;
    }

    /// @notice Records one inference result (system transaction).
    /// @param callKey Call key (see {callKeyOf}).
    /// @param output Raw output as returned by the precompile (ABI-encoded result).
    /// @param units Units metered for gas.
    function record(bytes32 callKey, bytes calldata output, uint64 units) external onlyDepositor {
        _record(callKey, output, units, operator);
    }

    /// @notice Records many results in one system transaction.
    /// @param callKeys Call keys.
    /// @param outputs Outputs.
    /// @param units Units.
    function recordBatch(bytes32[] calldata callKeys, bytes[] calldata outputs, uint64[] calldata units)
        external
        onlyDepositor
    {
        uint256 n = callKeys.length;
        if (outputs.length != n || units.length != n) revert LengthMismatch();
        address op = operator;
        for (uint256 i = 0; i < n; ++i) {
            _record(callKeys[i], outputs[i], units[i], op);
        }
    }

    /// @notice Returns a witness.
    /// @param callKey Call key.
    /// @return exists Whether a witness was recorded.
    /// @return output The recorded output.
    /// @return units Metered units.
    /// @return recordedOperator Operator pinned to the witness.
    /// @return blockNumber L2 block the witness was recorded in.
    function get(bytes32 callKey)
        external
        view
        returns (bool exists, bytes memory output, uint64 units, address recordedOperator, uint64 blockNumber)
    {
        Witness storage w = witnesses[callKey];
        return (w.blockNumber != 0, w.output, w.units, w.operator, w.blockNumber);
    }

    /// @notice Evidence digest of a witness, as referenced by slashing: keccak256(callKey, operator, units, keccak256(output), blockNumber).
    /// @param callKey Call key.
    /// @return The digest, or zero when no witness exists.
    function evidenceHash(bytes32 callKey) external view returns (bytes32) {
        Witness storage w = witnesses[callKey];
        if (w.blockNumber == 0) return bytes32(0);
        return keccak256(abi.encode(callKey, w.operator, w.units, keccak256(w.output), w.blockNumber));
    }

    /// @notice Recommended call key: keccak256(abi.encode(modelId, selector, keccak256(input), maxUnits)).
    /// @param modelId Model id.
    /// @param selector Precompile function selector (embed / generate / infer).
    /// @param input Raw input bytes (the text for embed/generate).
    /// @param maxUnits maxTokens / maxUnits (0 for embed).
    /// @return The call key.
    function callKeyOf(bytes32 modelId, bytes4 selector, bytes calldata input, uint32 maxUnits)
        external
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(modelId, selector, keccak256(input), maxUnits));
    }

    function _record(bytes32 callKey, bytes calldata output, uint64 units, address op) private {
        Witness storage w = witnesses[callKey];
        if (w.blockNumber != 0) revert WitnessExists(callKey);
        w.units = units;
        w.blockNumber = uint64(block.number);
        w.operator = op;
        w.output = output;
        unchecked {
            ++count;
        }
        emit WitnessRecorded(callKey, op, units, keccak256(output));
    }
}
