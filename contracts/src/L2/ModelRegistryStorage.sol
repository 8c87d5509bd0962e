// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title ModelRegistryStorage
/// @notice The model registry record read by the AI precompile (Rust) with plain storage reads. It is
///         the first base of ModelMarketplace, so `models` sits at slot 0 of the 0x4200…0B00 predeploy.
/// @dev LAYOUT (pinned by tests, documented in docs/contracts.md, "Storage read by the node"):
///      base = keccak256(abi.encode(modelId, uint256(0)))
///      base+0 (packed; byte offsets from the least significant byte):
///         status u8 (0) | kind u8 (1) | maxInputBytes u32 (2) | maxUnits u32 (6) | baseGas u64 (10) |
///         gasPerUnit u64 (18) | gasPerInputByte u32 (26) | toleranceBps u16 (30)
///      base+1: price (uint256, wei of BAI per call; > 0 ⇒ only the marketplace may call the precompile)
///      base+2: owner (address)
///      base+3: operator (address, serving inference operator: the latest named; it is paid and slashable from
///              the block after it was named — ModelMarketplace.operatorAt has the operator of any block)
///      base+4: metadataURI (string)
abstract contract ModelRegistryStorage {
    /// @notice Model status values.
    uint8 internal constant STATUS_NONE = 0;
    uint8 internal constant STATUS_ACTIVE = 1;
    uint8 internal constant STATUS_PAUSED = 2;
    uint8 internal constant STATUS_RETIRED = 3;

    /// @notice Model kinds.
    uint8 internal constant KIND_EMBEDDING = 1;
    uint8 internal constant KIND_GENERATION = 2;
    uint8 internal constant KIND_GENERIC = 3;

    /// @notice One registered model.
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

    /// @notice Registered models by id (= hash of the weights artifact). Slot 0.
    mapping(bytes32 modelId => Model) internal _models;
}
