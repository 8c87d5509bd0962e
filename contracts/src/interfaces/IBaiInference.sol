// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title IBaiInference
/// @notice ABI of the AI precompile at 0x0000000000000000000000000000000000000BA1 (one address, ABI-selector
///         dispatch). Full reference: docs/precompiles.md.
/// @dev Models and their metering schedule come from the model registry (ModelMarketplace predeploy
///      0x4200…0B00, read from its storage). Model kinds: 1 embedding, 2 generation, 3 generic; status:
///      1 active, 2 paused, 3 retired.
///
///      GAS
///      - success: baseGas + gasPerInputByte × inputBytes + gasPerUnit × actualUnits, where inputBytes is the
///        length of the text / prompt / input and actualUnits the units the model really used.
///      - Before any backend is asked, the worst case baseGas + gasPerInputByte × inputBytes + gasPerUnit ×
///        maxUnits must fit in the gas the call was given, else {InsufficientGas}. maxUnits is: embed — the
///        model's maxUnits; generate — maxTokens (≤ the model's maxUnits, else {UnitsTooLarge}); infer —
///        maxUnits (likewise).
///      - every revert below ({InferenceUnavailable} included) charges a flat 5,000 gas; with less than
///        5,000 gas left the call runs out of gas instead.
///      - zk models (a verifying key registered with ModelMarketplace.setZkKey, in force from the block after):
///        every node verifies the operator's proof natively before the answer counts, and the success and
///        worst-case charges above both add 400,000 + 250 × 2^degree (the circuit has 2^degree rows; the
///        verification time measured on 2 cores is ~7 ms + 4.6 µs per row, priced like ecrecover).
///      - {quote} charges 2,600 gas.
///      UNITS: embed — tokens of the input including [CLS] and [SEP] (the input is truncated to the model's
///      maxUnits tokens); generate — tokens generated; infer — model-defined compute units.
///
///      PAYMENT: models with a non-zero price may only be called by the ModelMarketplace predeploy, which
///      collects the price first ({PaymentRequired} otherwise). Free models can be called by any contract.
///
///      DETERMINISM: only the sequencer runs models; every result is recorded in the block (a system deposit to
///      the InferenceWitnessStore predeploy 0x4200…0B02 at the start of the block) and all other nodes replay
///      from it. An inference result is therefore final chain data, not recomputed by verifiers.
interface IBaiInference {
    // ------------------------------------------------------------------------------------------------
    // Errors (the precompile reverts with exactly these ABI-encoded errors)
    // ------------------------------------------------------------------------------------------------

    /// @notice The model id was never registered in the marketplace.
    /// @param modelId Model id.
    error UnknownModel(bytes32 modelId);

    /// @notice The model is registered but not active.
    /// @param modelId Model id.
    /// @param status Its status: 2 paused, 3 retired.
    error ModelNotActive(bytes32 modelId, uint8 status);

    /// @notice The model's kind does not match the function (embed needs 1, generate 2, infer 3).
    /// @param modelId Model id.
    /// @param expected Kind the function needs.
    /// @param actual Kind of the model.
    error WrongModelKind(bytes32 modelId, uint8 expected, uint8 actual);

    /// @notice The input (text / prompt / bytes) is longer than the model's maxInputBytes.
    /// @param size Input length in bytes.
    /// @param max The model's maxInputBytes.
    error InputTooLarge(uint256 size, uint256 max);

    /// @notice maxTokens / maxUnits is above the model's maxUnits.
    /// @param requested Requested units.
    /// @param max The model's maxUnits.
    error UnitsTooLarge(uint256 requested, uint256 max);

    /// @notice The model has a non-zero price and the caller is not the ModelMarketplace predeploy: paid models
    ///         are called through the marketplace, which collects the payment.
    /// @param modelId Model id.
    /// @param price The model's price per call (wei of BAI).
    error PaymentRequired(bytes32 modelId, uint256 price);

    /// @notice embed / generate / infer were called in a static context (STATICCALL, or a view function):
    ///         a result is recorded in the block, so it is a state change.
    error StaticCallNotAllowed();

    /// @notice The gas given to the call cannot cover the worst case (see the gas notes above).
    /// @param required Worst-case gas.
    /// @param available Gas the precompile call was given.
    error InsufficientGas(uint256 required, uint256 available);

    /// @notice No answer: the inference backend is unavailable, too slow or failed, inference is disabled on
    ///         this node, or (when replaying a block) no witness was recorded for this call.
    /// @param modelId Model id.
    /// @param reason Human-readable reason.
    error InferenceUnavailable(bytes32 modelId, string reason);

    /// @notice Malformed calldata, an unknown selector, text that is not UTF-8, or maxTokens / maxUnits of 0.
    /// @param reason Human-readable reason.
    error InvalidInput(string reason);

    /// @notice The model's verification level is zk and the operator's proof for this answer does not verify
    ///         against the verifying key registered for it (ModelMarketplace.setZkKey). Reported by eth_call and
    ///         eth_estimateGas; a transaction mined with such a call reverts with {InferenceUnavailable} (the
    ///         reason every unanswered call gets, so that replaying nodes revert identically) and nothing is
    ///         recorded.
    /// @param modelId Model id.
    /// @param reason Why the proof was rejected.
    error InvalidProof(bytes32 modelId, string reason);

    // ------------------------------------------------------------------------------------------------
    // Functions
    // ------------------------------------------------------------------------------------------------

    /// @notice Text embedding (model kind 1).
    /// @param modelId Registered embedding model.
    /// @param text UTF-8 input (≤ maxInputBytes; tokens beyond the model's maxUnits are dropped).
    /// @return embedding L2-normalised vector, each component × 1e6 rounded to int32 (so Σ eᵢ² ≈ 1e12).
    function embed(bytes32 modelId, string calldata text) external returns (int32[] memory embedding);

    /// @notice Text generation (model kind 2), greedy decoding, stops at end-of-sequence or maxTokens.
    /// @param modelId Registered generation model.
    /// @param prompt UTF-8 prompt (≤ maxInputBytes).
    /// @param maxTokens Maximum tokens generated (1 ≤ maxTokens ≤ the model's maxUnits).
    /// @return text Generated text (UTF-8).
    function generate(bytes32 modelId, string calldata prompt, uint32 maxTokens) external returns (string memory text);

    /// @notice Generic tensor-in / tensor-out inference (model kind 3).
    /// @param modelId Registered generic model.
    /// @param input Model-specific encoded input (≤ maxInputBytes).
    /// @param maxUnits Maximum compute units (1 ≤ maxUnits ≤ the model's maxUnits).
    /// @return output Model-specific encoded output.
    function infer(bytes32 modelId, bytes calldata input, uint32 maxUnits) external returns (bytes memory output);

    /// @notice Gas a call would be charged at most: baseGas + gasPerInputByte × inputBytes + gasPerUnit ×
    ///         maxUnits. Callable from view functions. Reverts {UnknownModel} for unregistered models.
    /// @param modelId Model.
    /// @param inputBytes Input size in bytes.
    /// @param maxUnits Maximum units.
    /// @return gas Gas.
    function quote(bytes32 modelId, uint256 inputBytes, uint32 maxUnits) external view returns (uint256 gas);
}
