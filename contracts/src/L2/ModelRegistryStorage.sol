// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title ModelRegistryStorage
/// @notice The model registry record read by the AI precompile (Rust) with plain storage reads. It is
///         the first base of ModelMarketplace, so `_models` sits at slot 0 and `_zkKeys` at slot 1 of the
///         0x4200…0B00 predeploy (every other marketplace variable follows, from slot 2).
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
///      base+5: zkKeyHash (bytes32, keccak256 of the registered zk verifying key; 0 = verification level optimistic)
///      base+6: zkSince (uint64 in the low 8 bytes: first L2 block in which the key is in force; 0 while none)
///      slot 1: _zkKeys, mapping(bytes32 modelId => bytes): the verifying key of `modelId` in Solidity's `bytes`
///         storage encoding at keyBase = keccak256(abi.encode(modelId, uint256(1))): a key of 32 bytes or more
///         (every real key) stores `2·length + 1` at keyBase and its data from keccak256(keyBase) on, 32 bytes a
///         slot (the last one zero-padded on the right); a shorter one stores data ‖ `2·length` in keyBase itself.
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
        bytes32 zkKeyHash;
        uint64 zkSince;
    }

    /// @notice Registered models by id (= hash of the weights artifact). Slot 0.
    mapping(bytes32 modelId => Model) internal _models;
    /// @notice zk verifying keys by model id (set once by ModelMarketplace.setZkKey; keccak256 of it is the model's
    ///         `zkKeyHash`). Slot 1.
    mapping(bytes32 modelId => bytes) internal _zkKeys;
}
