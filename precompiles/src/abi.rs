//! ABI of the precompile (`contracts/src/interfaces/IBaiInference.sol`) and of the witness store
//! calls the sequencer makes.

use alloy::sol;

sol! {
    /// The AI precompile's interface, errors included (they are what callers decode on revert).
    #[derive(Debug, PartialEq, Eq)]
    interface IBaiInference {
        function embed(bytes32 modelId, string text) external returns (int32[] embedding);
        function generate(bytes32 modelId, string prompt, uint32 maxTokens) external returns (string text);
        function infer(bytes32 modelId, bytes input, uint32 maxUnits) external returns (bytes output);
        function quote(bytes32 modelId, uint256 inputBytes, uint32 maxUnits) external view returns (uint256 gas);

        error UnknownModel(bytes32 modelId);
        error ModelNotActive(bytes32 modelId, uint8 status);
        error WrongModelKind(bytes32 modelId, uint8 expected, uint8 actual);
        error InputTooLarge(uint256 size, uint256 max);
        error UnitsTooLarge(uint256 requested, uint256 max);
        error PaymentRequired(bytes32 modelId, uint256 price);
        error StaticCallNotAllowed();
        error InsufficientGas(uint256 required, uint256 available);
        error InferenceUnavailable(bytes32 modelId, string reason);
        error InvalidInput(string reason);
    }

    /// The witness-store predeploy's recording call (system deposit from the depositor account).
    #[derive(Debug, PartialEq, Eq)]
    interface IInferenceWitnessStore {
        function recordBatch(bytes32[] callKeys, bytes[] outputs, uint64[] units) external;
    }

    /// The marketplace views `bai_listModels` reads.
    #[derive(Debug, PartialEq, Eq)]
    interface IModelMarketplace {
        struct Model {
            uint8 status;
            uint8 kind;
            uint32 maxInputBytes;
            uint32 maxUnits;
            uint64 baseGas;
            uint64 gasPerUnit;
            uint32 gasPerInputByte;
            uint16 toleranceBps;
            uint256 price;
            address owner;
            address operator;
            string metadataURI;
        }
        function modelIds() external view returns (bytes32[] ids);
        function getModel(bytes32 modelId) external view returns (Model model);
    }
}
