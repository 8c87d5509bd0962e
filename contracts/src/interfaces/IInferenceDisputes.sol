// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title IInferenceDisputes
/// @notice ABI of the InferenceDisputes predeploy (0x4200…0B05): evidence that an inference operator's recorded
///         result is outside the model's tolerance, and the slash it triggers. The Rust challenger binds to this
///         file directly (bai-prover), so the two cannot drift. Rules and trust model: contracts/src/L2/InferenceDisputes.sol
///         and docs/contracts.md.
interface IInferenceDisputes {
    // ----------------------------------------------------------------------------------------------
    // Errors
    // ----------------------------------------------------------------------------------------------

    /// @notice No witness is recorded under the call key.
    error NoWitness(bytes32 callKey);
    /// @notice keccak256(recordedOutput) is not the recorded output hash.
    error OutputMismatch(bytes32 callKey);
    /// @notice The model had no serving operator in the witness's block (`ModelMarketplace.operatorAt` is zero):
    ///         nobody to slash.
    error NoOperator(bytes32 callKey);
    /// @notice The witness is older than the dispute window.
    error WindowClosed(bytes32 callKey, uint64 recordedAt);
    /// @notice The model's kind does not match the selector of the call (or the model is unknown, kind 0).
    error WrongSelector(bytes32 modelId, uint8 kind, bytes4 selector);
    /// @notice The recorded output is within the model's tolerance of the reference.
    error WithinTolerance(uint256 divergenceBps, uint16 toleranceBps);
    /// @notice The evidence was already used.
    error AlreadyFiled(bytes32 evidenceHash);
    /// @notice Slash fraction not in (0, 1e18) or dispute window of 0.
    error InvalidParams();
    /// @notice Divergence asked for a kind other than 1, 2 or 3.
    error UnknownKind(uint8 kind);
    /// @notice Zero address.
    error ZeroAddress();
    /// @notice The witness store never made the record named by {fileRecordEvidence}.
    error NoRecord(bytes32 evidenceHash);
    /// @notice The model's verification level was zk in the record's block (`ModelMarketplace.verificationAt`): its
    ///         proof was verified by every node and its recorded output is `abi.encode(bytes output, bytes proof)`,
    ///         so the record cannot be disputed.
    error ZkVerifiedModel(bytes32 modelId);

    /// @notice One record of the witness store (a call key can have several: the latest overwrites the
    ///         store's per-key view, every record stays disputable by its evidence digest). `operator` is the
    ///         recording operator the store pinned (part of the digest), not necessarily the one slashed.
    struct WitnessRecord {
        address operator;
        uint64 units;
        uint64 blockNumber;
    }

    // ----------------------------------------------------------------------------------------------
    // Events
    // ----------------------------------------------------------------------------------------------

    /// @notice Evidence was accepted and the operator slashed.
    /// @param callKey Call key of the witness.
    /// @param operator The model's serving operator in the witness's block (`ModelMarketplace.operatorAt`): slashed.
    /// @param modelId Model.
    /// @param evidenceHash The witness store's evidenceHash(callKey), also in Staking's `Slashed` event.
    /// @param divergenceBps {divergenceBps} of the recorded vs the reference output.
    /// @param toleranceBps The model's tolerance.
    /// @param slashed Total stake slashed (bonded + unbonding).
    /// @param referenceHash keccak256(referenceOutput).
    event EvidenceAccepted(
        bytes32 indexed callKey,
        address indexed operator,
        bytes32 indexed modelId,
        bytes32 evidenceHash,
        uint256 divergenceBps,
        uint16 toleranceBps,
        uint256 slashed,
        bytes32 referenceHash
    );

    /// @notice Evidence was accepted but the operator already reached {maxSlashesPerPeriod} slashes in the
    ///         current period: filed, not slashed again (the EvidenceAccepted event says slashed = 0).
    /// @param operator Operator.
    /// @param period block.number / slashPeriodBlocks.
    /// @param evidenceHash Evidence.
    event SlashCapped(address indexed operator, uint256 indexed period, bytes32 evidenceHash);

    /// @notice Slash cap changed.
    /// @param slashPeriodBlocks Period length in blocks.
    /// @param maxSlashesPerPeriod Slashes per operator per period.
    event SlashCapSet(uint64 slashPeriodBlocks, uint32 maxSlashesPerPeriod);

    /// @notice Parameters changed.
    /// @param slashFractionWad Fraction slashed per evidence.
    /// @param disputeWindowBlocks Dispute window in blocks.
    event ParamsSet(uint256 slashFractionWad, uint64 disputeWindowBlocks);

    /// @notice Files evidence that the witness of a call is wrong and slashes the model's serving operator in the
    ///         witness's block (CHALLENGER_ROLE only).
    /// @param modelId Model id of the call.
    /// @param selector Precompile selector of the call (embed / generate / infer).
    /// @param input Raw input of the call (UTF-8 text for embed / generate).
    /// @param maxUnits maxTokens / maxUnits of the call (0 for embed).
    /// @param recordedOutput The recorded output, compact form (as in the witness deposit's calldata).
    /// @param referenceOutput The output of the reference runtime, same form.
    /// @return slashed Total stake slashed.
    function fileEvidence(
        bytes32 modelId,
        bytes4 selector,
        bytes calldata input,
        uint32 maxUnits,
        bytes calldata recordedOutput,
        bytes calldata referenceOutput
    ) external returns (uint256 slashed);

    /// @notice Like {fileEvidence}, for any record of the call made within the dispute window, not only the
    ///         latest: a re-record of the same call (e.g. with a right answer) does not erase a wrong one.
    ///         The record is named by its pinned operator, units and block (the WitnessRecorded event carries
    ///         them); the slashed one is the model's serving operator in that block, as for {fileEvidence}.
    /// @param modelId Model id of the call.
    /// @param selector Precompile selector of the call.
    /// @param input Raw input of the call.
    /// @param maxUnits maxTokens / maxUnits of the call (0 for embed).
    /// @param recordedOutput The output of that record, compact form.
    /// @param referenceOutput The output of the reference runtime, same form.
    /// @param record The record's operator, units and block.
    /// @return slashed Total stake slashed.
    function fileRecordEvidence(
        bytes32 modelId,
        bytes4 selector,
        bytes calldata input,
        uint32 maxUnits,
        bytes calldata recordedOutput,
        bytes calldata referenceOutput,
        WitnessRecord calldata record
    ) external returns (uint256 slashed);

    /// @notice Divergence in basis points (0..=10000) of a recorded output from a reference output.
    /// @param kind Model kind (1 embedding, 2 generation, 3 generic).
    /// @param recorded Recorded output.
    /// @param referenceOutput Reference output.
    /// @return Divergence in basis points.
    function divergenceBps(uint8 kind, bytes calldata recorded, bytes calldata referenceOutput)
        external
        pure
        returns (uint256);

    /// @notice Whether evidence with this hash (the witness store's evidenceHash) was already accepted.
    /// @param evidenceHash Evidence hash.
    /// @return Whether it was filed.
    function filed(bytes32 evidenceHash) external view returns (bool);

    /// @notice Fraction of the operator's stake slashed per accepted evidence (WAD).
    /// @return The fraction.
    function slashFractionWad() external view returns (uint256);

    /// @notice Evidence is accepted while `block.number - witness.blockNumber <= disputeWindowBlocks`.
    /// @return The window in blocks.
    function disputeWindowBlocks() external view returns (uint64);

    /// @notice Length of a slash-cap period in blocks.
    /// @return Blocks.
    function slashPeriodBlocks() external view returns (uint64);

    /// @notice Slashes one operator can take per period; further evidence is filed without slashing.
    /// @return Count.
    function maxSlashesPerPeriod() external view returns (uint32);

    /// @notice Role allowed to file evidence.
    /// @return The role id.
    function CHALLENGER_ROLE() external view returns (bytes32);
}
