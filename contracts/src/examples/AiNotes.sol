// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ModelMarketplace} from "../L2/ModelMarketplace.sol";
import {Predeploys} from "../libraries/Predeploys.sol";

/// @title AiNotes
/// @notice Example for Solidity developers: stores text embeddings and generated answers obtained from the AI
///         precompile through the ModelMarketplace predeploy (0x4200…0B00), which collects the model's price and
///         splits it between the model owner, the inference operator, its stakers, curators and the treasury.
///         - {embedText}: embeds a text, stores the int32 vector (unit vector × 1e6).
///         - {ask}: generates an answer to a prompt, stores the text.
///         - {similarity}: cosine similarity of two stored embeddings, × 1e6.
///         Send at least the model's price as `msg.value` (`ModelMarketplace.getModel(id).price`); the excess is
///         refunded. Model calls need gas for the worst case (`ModelMarketplace.quote`), so estimate gas
///         (eth_estimateGas runs the model) rather than hard-coding a limit.
/// @dev Errors from the precompile (IBaiInference: UnknownModel, InferenceUnavailable, …) and from the
///      marketplace (ModelNotActive, WrongKind, InputTooLarge, …) bubble up unchanged.
contract AiNotes is ReentrancyGuardTransient {
    /// @notice The marketplace predeploy.
    ModelMarketplace public constant MARKETPLACE = ModelMarketplace(Predeploys.MODEL_MARKETPLACE);
    /// @notice Fixed-point scale of embedding components (unit vector × 1e6).
    int256 public constant SCALE = 1e6;

    /// @notice Note kinds.
    uint8 public constant KIND_EMBEDDING = 1;
    uint8 public constant KIND_ANSWER = 2;

    /// @notice One stored result.
    struct Note {
        address author;
        uint8 kind;
        uint64 blockNumber;
        bytes32 modelId;
    }

    /// @notice Notes by id (ids start at 1).
    mapping(uint256 id => Note) public notes;
    /// @notice Number of notes; also the latest id.
    uint256 public noteCount;
    mapping(uint256 id => int32[]) internal _embeddings;
    mapping(uint256 id => string) internal _answers;

    /// @notice `msg.value` is below the model's price.
    error InsufficientPayment(uint256 paid, uint256 price);
    /// @notice The note does not exist or is not of the requested kind.
    error WrongNote(uint256 id, uint8 expectedKind);
    /// @notice The two embeddings have different lengths.
    error DimensionMismatch(uint256 a, uint256 b);
    /// @notice Refunding the excess payment failed.
    error RefundFailed();

    /// @notice An embedding was stored.
    /// @param id Note id.
    /// @param author Caller.
    /// @param modelId Embedding model.
    /// @param dimensions Vector length.
    /// @param text The embedded text.
    event EmbeddingStored(
        uint256 indexed id, address indexed author, bytes32 indexed modelId, uint256 dimensions, string text
    );
    /// @notice A generated answer was stored.
    /// @param id Note id.
    /// @param author Caller.
    /// @param modelId Generation model.
    /// @param prompt The prompt.
    /// @param answer The generated text.
    event AnswerStored(uint256 indexed id, address indexed author, bytes32 indexed modelId, string prompt, string answer);

    /// @notice Embeds `text` with `modelId` (paying the model's price) and stores the vector.
    /// @param modelId Embedding model (e.g. all-MiniLM-L6-v2 on the devnet).
    /// @param text Text (≤ the model's maxInputBytes).
    /// @return id The new note's id.
    function embedText(bytes32 modelId, string calldata text) external payable nonReentrant returns (uint256 id) {
        uint256 price = _price(modelId);
        int32[] memory embedding = MARKETPLACE.embed{value: price}(modelId, text);
        id = _newNote(modelId, KIND_EMBEDDING);
        _embeddings[id] = embedding;
        emit EmbeddingStored(id, msg.sender, modelId, embedding.length, text);
        _refund(price);
    }

    /// @notice Generates an answer to `prompt` with `modelId` (paying the model's price) and stores it.
    /// @param modelId Generation model (e.g. SmolLM2-135M-Instruct-Q4_1 on the devnet).
    /// @param prompt Prompt (≤ the model's maxInputBytes).
    /// @param maxTokens Maximum tokens generated (1 … the model's maxUnits).
    /// @return id The new note's id.
    function ask(bytes32 modelId, string calldata prompt, uint32 maxTokens)
        external
        payable
        nonReentrant
        returns (uint256 id)
    {
        uint256 price = _price(modelId);
        string memory answer = MARKETPLACE.generate{value: price}(modelId, prompt, maxTokens);
        id = _newNote(modelId, KIND_ANSWER);
        _answers[id] = answer;
        emit AnswerStored(id, msg.sender, modelId, prompt, answer);
        _refund(price);
    }

    /// @notice The stored embedding of note `id` (unit vector × 1e6).
    /// @param id Note id.
    /// @return The vector.
    function embeddingOf(uint256 id) external view returns (int32[] memory) {
        _note(id, KIND_EMBEDDING);
        return _embeddings[id];
    }

    /// @notice The stored answer of note `id`.
    /// @param id Note id.
    /// @return The generated text.
    function answerOf(uint256 id) external view returns (string memory) {
        _note(id, KIND_ANSWER);
        return _answers[id];
    }

    /// @notice Cosine similarity of two stored embeddings, × 1e6 (1e6 = same direction). Both vectors are unit
    ///         vectors × 1e6, so their dot product is cos × 1e12.
    /// @param a Embedding note id.
    /// @param b Embedding note id.
    /// @return Cosine similarity × 1e6.
    function similarity(uint256 a, uint256 b) external view returns (int256) {
        _note(a, KIND_EMBEDDING);
        _note(b, KIND_EMBEDDING);
        int32[] storage x = _embeddings[a];
        int32[] storage y = _embeddings[b];
        uint256 n = x.length;
        if (y.length != n) revert DimensionMismatch(n, y.length);
        int256 dot = 0;
        for (uint256 i = 0; i < n; ++i) {
            dot += int256(x[i]) * int256(y[i]);
        }
        return dot / SCALE;
    }

    function _price(bytes32 modelId) private view returns (uint256 price) {
        price = MARKETPLACE.getModel(modelId).price;
        if (msg.value < price) revert InsufficientPayment(msg.value, price);
    }

    function _newNote(bytes32 modelId, uint8 kind) private returns (uint256 id) {
        id = ++noteCount;
        notes[id] = Note({author: msg.sender, kind: kind, blockNumber: uint64(block.number), modelId: modelId});
    }

    function _note(uint256 id, uint8 kind) private view {
        if (notes[id].kind != kind) revert WrongNote(id, kind);
    }

    function _refund(uint256 price) private {
        uint256 excess = msg.value - price;
        if (excess == 0) return;
        (bool ok,) = msg.sender.call{value: excess}("");
        if (!ok) revert RefundFailed();
    }
}
