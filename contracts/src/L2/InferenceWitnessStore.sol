// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Predeploys} from "../libraries/Predeploys.sol";

/// @title InferenceWitnessStore
/// @notice Predeploy at 0x4200…0B02. The sequencer records every inference result it obtained from an
///         inference backend in a system deposit transaction at the start of the block ({recordBatch}); the AI
///         precompile then answers from the recorded witness, so verifiers and RPC replicas replay the block
///         without running models. The outputs themselves travel in the deposit's calldata (and so in the
///         batches posted to L1); the store keeps their keccak256, the metered units, the block and the
///         recording operator the sequencer declared, which the replaying node checks the calldata against.
///         The record is also the evidence ({evidenceHash}, which includes the pinned operator and so
///         identifies the record) used to slash the model's serving operator in the record's block
///         (`ModelMarketplace.operatorAt`, the operator paid for that block's calls; InferenceDisputes 1.2.0)
///         if a challenger shows the result is outside the model's tolerance.
///         The same call (same call key) repeated in a later block is witnessed again in that block: a new
///         record overwrites the previous one (latest record wins) for the precompile, but every record's
///         evidence digest stays in {recordBlock}, so a wrong result stays disputable after a re-record.
/// @dev STORAGE LAYOUT READ BY THE NODE (documented in docs/contracts.md, pinned by tests):
///        slot 0: mapping(bytes32 callKey => Witness) witnesses
///          base = keccak256(abi.encode(callKey, uint256(0)))
///          base+0: units (uint64, bytes 0-7 from the low-order end) | blockNumber (uint64, bytes 8-15)
///                  (blockNumber != 0 ⇔ the witness exists; it is the block of the latest record)
///          base+1: operator (address)
///          base+2: outputHash (bytes32) = keccak256(output)
///        slot 1: operator (address) pinned into the next records
///        slot 2: count (uint256), number of records (re-records included)
///      `output` is the compact form the node records: embed — the int32 components packed big-endian
///      (4 bytes each); generate — the UTF-8 text; infer — the raw output bytes.
contract InferenceWitnessStore {
    /// @notice One recorded inference result.
    struct Witness {
        uint64 units;
        uint64 blockNumber;
        address operator;
        bytes32 outputHash;
    }

    /// @notice Recorded witnesses by call key (slot 0).
    mapping(bytes32 callKey => Witness) internal witnesses;

    /// @notice The inference operator that the sequencer declares as producing the next records (slot 1). Part of
    ///         each record and of its evidence digest; InferenceDisputes slashes the model's serving operator
    ///         (`ModelMarketplace.operatorAt`), not this one.
    address public operator;

    /// @notice Number of records made, re-records of a call key included (slot 2).
    uint256 public count;

    /// @notice Block of every record ever made, by its evidence digest
    ///         keccak256(abi.encode(callKey, operator, units, outputHash, blockNumber)) (slot 3; appended).
    ///         Non-zero ⇔ that exact record was made; a later re-record of the call key does not erase it.
    mapping(bytes32 evidence => uint64 blockNumber) public recordBlock;

    /// @notice Semantic version.
    string public constant version = "2.1.0";

    /// @notice Caller is not the depositor account.
    error NotDepositor();
    /// @notice Batch arrays differ in length.
    error LengthMismatch();

    /// @notice Emitted for every record, including a re-record of a call key in a later block.
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

    /// @notice Records one inference result (system transaction); overwrites an earlier record of `callKey`.
    /// @param callKey Call key (see {callKeyOf}).
    /// @param output The output in the node's compact form (see the contract notes); only its hash is stored.
    /// @param units Units metered for gas.
    function record(bytes32 callKey, bytes calldata output, uint64 units) external onlyDepositor {
        _record(callKey, keccak256(output), units, operator);
    }

    /// @notice Records many results in one system transaction (the form the sequencer uses).
    /// @param callKeys Call keys.
    /// @param outputs Outputs (compact form); only their hashes are stored.
    /// @param units Units.
    function recordBatch(bytes32[] calldata callKeys, bytes[] calldata outputs, uint64[] calldata units)
        external
        onlyDepositor
    {
        uint256 n = callKeys.length;
        if (outputs.length != n || units.length != n) revert LengthMismatch();
        address op = operator;
        for (uint256 i = 0; i < n; ++i) {
            _record(callKeys[i], keccak256(outputs[i]), units[i], op);
        }
    }

    /// @notice Returns the latest witness of a call key.
    /// @param callKey Call key.
    /// @return exists Whether a witness was recorded.
    /// @return outputHash keccak256 of the recorded output.
    /// @return units Metered units.
    /// @return recordedOperator Operator pinned to the witness.
    /// @return blockNumber L2 block of the latest record.
    function get(bytes32 callKey)
        external
        view
        returns (bool exists, bytes32 outputHash, uint64 units, address recordedOperator, uint64 blockNumber)
    {
        Witness storage w = witnesses[callKey];
        return (w.blockNumber != 0, w.outputHash, w.units, w.operator, w.blockNumber);
    }

    /// @notice Evidence digest of the latest witness of a call key, as referenced by slashing:
    ///         keccak256(abi.encode(callKey, operator, units, outputHash, blockNumber)).
    /// @param callKey Call key.
    /// @return The digest, or zero when no witness exists.
    function evidenceHash(bytes32 callKey) external view returns (bytes32) {
        Witness storage w = witnesses[callKey];
        if (w.blockNumber == 0) return bytes32(0);
        return keccak256(abi.encode(callKey, w.operator, w.units, w.outputHash, w.blockNumber));
    }

    /// @notice Call key the node records under: keccak256(abi.encode(modelId, selector, keccak256(input), maxUnits)).
    /// @param modelId Model id.
    /// @param selector Precompile function selector (embed / generate / infer).
    /// @param input Raw input bytes (the UTF-8 text for embed / generate).
    /// @param maxUnits maxTokens / maxUnits as passed by the caller (0 for embed).
    /// @return The call key.
    function callKeyOf(bytes32 modelId, bytes4 selector, bytes calldata input, uint32 maxUnits)
        external
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(modelId, selector, keccak256(input), maxUnits));
    }

    /// @notice Evidence digest of one record: keccak256(abi.encode(callKey, operator, units, outputHash, blockNumber)).
    /// @param callKey Call key.
    /// @param recordedOperator Operator pinned to the record.
    /// @param units Units.
    /// @param outputHash keccak256 of the output.
    /// @param blockNumber Block of the record.
    /// @return The digest ({recordBlock} is non-zero for it iff the record was made).
    function evidenceHashOf(bytes32 callKey, address recordedOperator, uint64 units, bytes32 outputHash, uint64 blockNumber)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(callKey, recordedOperator, units, outputHash, blockNumber));
    }

    function _record(bytes32 callKey, bytes32 outputHash, uint64 units, address op) private {
        uint64 blockNumber = uint64(block.number);
        witnesses[callKey] = Witness({units: units, blockNumber: blockNumber, operator: op, outputHash: outputHash});
        recordBlock[evidenceHashOf(callKey, op, units, outputHash, blockNumber)] = blockNumber;
        unchecked {
            ++count;
        }
        emit WitnessRecorded(callKey, op, units, outputHash);
    }
}
