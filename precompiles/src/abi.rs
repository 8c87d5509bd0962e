//! ABI of the precompile (generated from `contracts/src/interfaces/IBaiInference.sol`) and of the
//! witness store and marketplace calls the node makes.

use alloy::sol;

// The precompile's interface, errors included (what callers decode on revert), read from the
// Solidity source itself so the two can never drift (its NatSpec becomes the Rust docs; see
// `doctest = false` in Cargo.toml).
sol!(
    #[sol(all_derives)]
    "../contracts/src/interfaces/IBaiInference.sol"
);

sol! {
    /// The witness-store predeploy's recording call (system deposit from the depositor account).
    #[derive(Debug, PartialEq, Eq)]
    interface IInferenceWitnessStore {
        function recordBatch(bytes32[] callKeys, bytes[] outputs, uint64[] units) external;
    }

    /// The marketplace views `bai_listModels` and `bai_inferenceCalls` read.
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
            bytes32 zkKeyHash;
            uint64 zkSince;
        }
        function modelIds() external view returns (bytes32[] ids);
        function getModel(bytes32 modelId) external view returns (Model model);
        function toleranceAt(bytes32 modelId, uint64 blockNumber) external view returns (uint16 toleranceBps);
        function operatorAt(bytes32 modelId, uint64 blockNumber) external view returns (address operator);
    }
}

/// The marketplace's events the node reads (`bai_inferenceCalls` takes each call's fee from `ModelCalled`).
pub mod events {
    // The event's generated constructor takes one argument per field.
    #![allow(clippy::too_many_arguments)]
    use alloy::sol;

    sol! {
        /// Marketplace events.
        #[derive(Debug, PartialEq, Eq)]
        interface IModelMarketplaceEvents {
            event ModelCalled(bytes32 indexed modelId, address indexed caller, uint256 price, uint256 ownerShare, uint256 operatorShare, uint256 stakersShare, uint256 curatorsShare, uint256 treasuryShare);
        }
    }
}
