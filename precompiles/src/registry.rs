//! Model parameters read straight from the marketplace predeploy's storage (`ModelRegistryStorage`,
//! slot 0: `mapping(bytes32 => Model)`, slot 1: `mapping(bytes32 => bytes)` of zk verifying keys;
//! layout in docs/contracts.md). Reading slots rather than calling the contract keeps the precompile
//! free of nested EVM calls.

use alloy::primitives::{Address, B256, Bytes, U256, keccak256};

/// Registry slot of the `_models` mapping.
const MODELS_SLOT: u64 = 0;
/// Registry slot of the `_zkKeys` mapping.
const ZK_KEYS_SLOT: u64 = 1;
/// Longest verifying key the registry accepts (`ModelMarketplace.MAX_ZK_KEY_BYTES`): bounds the
/// slots a call reads whatever storage holds.
pub const MAX_ZK_KEY_BYTES: usize = 16_384;

/// A model's lifecycle state as the registry stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModelStatus {
    #[default]
    /// No model under this id (never registered).
    None,
    /// Callable.
    Active,
    /// Temporarily not callable.
    Paused,
    /// Permanently withdrawn.
    Retired,
    /// A value the registry does not define.
    Unknown(u8),
}

impl ModelStatus {
    /// The status for the registry's stored byte.
    pub fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::None,
            1 => Self::Active,
            2 => Self::Paused,
            3 => Self::Retired,
            other => Self::Unknown(other),
        }
    }

    /// The byte the registry stores for this status.
    pub fn as_u8(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Active => 1,
            Self::Paused => 2,
            Self::Retired => 3,
            Self::Unknown(v) => v,
        }
    }

    /// Lower-case name of the status, for error messages and logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Retired => "retired",
            Self::Unknown(_) => "unknown",
        }
    }
}

/// One registered model's parameters (the `Model` struct without its metadata string).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelEntry {
    /// Whether the model can be called now.
    pub status: ModelStatus,
    /// What the model does, as [`crate::backend::ModelKind::as_u8`] encodes it.
    pub kind: u8,
    /// Largest input the model accepts, in bytes.
    pub max_input_bytes: u32,
    /// Largest number of units one call may request.
    pub max_units: u32,
    /// Gas charged per call before any unit or input byte.
    pub base_gas: u64,
    /// Gas charged per unit the call used.
    pub gas_per_unit: u64,
    /// Gas charged per input byte.
    pub gas_per_input_byte: u32,
    /// How far, in basis points, a result may diverge from the reference before it can be disputed.
    pub tolerance_bps: u16,
    /// Price per call, in wei of BAI; non-zero models are callable only through the marketplace.
    pub price: U256,
    /// Account that registered the model.
    pub owner: Address,
    /// Operator serving the model, slashed when a dispute against its results succeeds.
    pub operator: Address,
    /// keccak-256 of the model's zero-knowledge verifying key; zero for an optimistic model.
    pub zk_key_hash: B256,
    /// First block in which the key is in force (the block after it was registered).
    pub zk_since: u64,
}

impl ModelEntry {
    /// Whether calls in block `number` must carry a proof (verification level `zk`).
    pub fn is_zk_at(&self, number: u64) -> bool {
        !self.zk_key_hash.is_zero() && number >= self.zk_since
    }
}

/// Storage slot of field `offset` of model `id`'s struct.
pub fn model_slot(id: B256, offset: u64) -> U256 {
    mapping_slot(id, MODELS_SLOT) + U256::from(offset)
}

fn mapping_slot(key: B256, slot: u64) -> U256 {
    let mut preimage = [0u8; 64];
    preimage[..32].copy_from_slice(key.as_slice());
    preimage[32..].copy_from_slice(&U256::from(slot).to_be_bytes::<32>());
    U256::from_be_bytes(keccak256(preimage).0)
}

fn bits(word: U256, shift: usize, width: usize) -> u64 {
    let mask = (U256::from(1) << width) - U256::from(1);
    ((word >> shift) & mask).to::<u64>()
}

/// Reads model `id` with `sload(slot)`; `None` when it was never registered.
pub fn read_model<E>(id: B256, mut sload: impl FnMut(U256) -> Result<U256, E>) -> Result<Option<ModelEntry>, E> {
    let packed = sload(model_slot(id, 0))?;
    let status = ModelStatus::from_u8(bits(packed, 0, 8) as u8);
    if status == ModelStatus::None {
        return Ok(None);
    }
    // Solidity packs struct fields from the low-order end in declaration order.
    let entry = ModelEntry {
        status,
        kind: bits(packed, 8, 8) as u8,
        max_input_bytes: bits(packed, 16, 32) as u32,
        max_units: bits(packed, 48, 32) as u32,
        base_gas: bits(packed, 80, 64),
        gas_per_unit: bits(packed, 144, 64),
        gas_per_input_byte: bits(packed, 208, 32) as u32,
        tolerance_bps: bits(packed, 240, 16) as u16,
        price: sload(model_slot(id, 1))?,
        owner: Address::from_word(sload(model_slot(id, 2))?.into()),
        operator: Address::from_word(sload(model_slot(id, 3))?.into()),
        zk_key_hash: B256::from(sload(model_slot(id, 5))?.to_be_bytes::<32>()),
        zk_since: bits(sload(model_slot(id, 6))?, 0, 64),
    };
    Ok(Some(entry))
}

/// Storage slot of model `id`'s entry in the `_zkKeys` mapping (the `bytes` head: its length).
pub fn zk_key_slot(id: B256) -> U256 {
    mapping_slot(id, ZK_KEYS_SLOT)
}

/// Model `id`'s verifying key (Solidity `bytes` in storage: short form in the slot itself, long form
/// `2·len + 1` in the slot and the data from `keccak256(slot)` on). `None` when the stored length is
/// over [`MAX_ZK_KEY_BYTES`], which the registry never writes.
pub fn read_zk_key<E>(id: B256, mut sload: impl FnMut(U256) -> Result<U256, E>) -> Result<Option<Bytes>, E> {
    let slot = zk_key_slot(id);
    let head = sload(slot)?;
    if !head.bit(0) {
        // Short form: up to 31 bytes, the length ×2 in the lowest byte.
        let len = (bits(head, 0, 8) / 2) as usize;
        return Ok(Some(Bytes::copy_from_slice(&head.to_be_bytes::<32>()[..len.min(31)])));
    }
    let len = (head >> 1usize).saturating_to::<usize>();
    if len > MAX_ZK_KEY_BYTES {
        return Ok(None);
    }
    let start = U256::from_be_bytes(keccak256(slot.to_be_bytes::<32>()).0);
    let mut key = Vec::with_capacity(len.div_ceil(32) * 32);
    for word in 0..len.div_ceil(32) {
        key.extend_from_slice(&sload(start + U256::from(word))?.to_be_bytes::<32>());
    }
    key.truncate(len);
    Ok(Some(key.into()))
}

/// The storage `ModelMarketplace.setZkKey` leaves for a key of 32 bytes or more (every real key):
/// `(slot, value)` pairs of the long `bytes` form [`read_zk_key`] reads, for tests and tools that
/// write a registry without the contract.
pub fn zk_key_storage(id: B256, key: &[u8]) -> Vec<(U256, U256)> {
    debug_assert!(key.len() >= 32, "the short form is not written here");
    let head = zk_key_slot(id);
    let start = U256::from_be_bytes(keccak256(head.to_be_bytes::<32>()).0);
    let words = key.chunks(32).enumerate().map(|(i, chunk)| {
        let mut word = [0u8; 32];
        word[..chunk.len()].copy_from_slice(chunk);
        (start + U256::from(i), U256::from_be_bytes(word))
    });
    std::iter::once((head, U256::from(key.len() * 2 + 1))).chain(words).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn decodes_the_packed_struct() {
        let id = B256::repeat_byte(7);
        let packed = U256::from(1u64)
            | U256::from(2u64) << 8
            | U256::from(2048u64) << 16
            | U256::from(128u64) << 48
            | U256::from(100_000u64) << 80
            | U256::from(20_000u64) << 144
            | U256::from(16u64) << 208
            | U256::from(9u64) << 240;
        let owner = Address::repeat_byte(0xaa);
        let mut slots = HashMap::new();
        slots.insert(model_slot(id, 0), packed);
        slots.insert(model_slot(id, 1), U256::from(2_000_000_000_000_000u64));
        slots.insert(model_slot(id, 2), U256::from_be_slice(owner.as_slice()));
        let read = |slot: U256| -> Result<U256, ()> { Ok(slots.get(&slot).copied().unwrap_or_default()) };
        let model = read_model(id, read).unwrap().unwrap();
        assert_eq!(model.status, ModelStatus::Active);
        assert_eq!((model.kind, model.max_input_bytes, model.max_units), (2, 2048, 128));
        assert_eq!((model.base_gas, model.gas_per_unit, model.gas_per_input_byte), (100_000, 20_000, 16));
        assert_eq!(model.tolerance_bps, 9);
        assert_eq!(model.price, U256::from(2_000_000_000_000_000u64));
        assert_eq!(model.owner, owner);
        assert_eq!(model.operator, Address::ZERO);
        assert!(!model.is_zk_at(u64::MAX), "no key: optimistic");
        assert!(read_model(B256::ZERO, read).unwrap().is_none());
    }

    #[test]
    fn reads_the_zk_level_and_a_long_key() {
        let id = B256::repeat_byte(3);
        let key: Vec<u8> = (0..70u8).collect();
        let mut slots = HashMap::new();
        slots.insert(model_slot(id, 0), U256::from(1u64));
        slots.insert(model_slot(id, 5), U256::from_be_bytes(keccak256(&key).0));
        slots.insert(model_slot(id, 6), U256::from(12u64));
        slots.extend(zk_key_storage(id, &key));
        let head = zk_key_slot(id);
        let read = |slot: U256| -> Result<U256, ()> { Ok(slots.get(&slot).copied().unwrap_or_default()) };
        let model = read_model(id, read).unwrap().unwrap();
        assert_eq!(model.zk_key_hash, keccak256(&key));
        assert!(!model.is_zk_at(11) && model.is_zk_at(12), "in force from zkSince on");
        assert_eq!(read_zk_key(id, read).unwrap().unwrap().as_ref(), key.as_slice());

        // A length the registry never writes is refused before any data slot is read.
        slots.insert(head, U256::from((MAX_ZK_KEY_BYTES + 1) * 2 + 1));
        let read = |slot: U256| -> Result<U256, ()> { Ok(slots.get(&slot).copied().unwrap_or_default()) };
        assert_eq!(read_zk_key(id, read).unwrap(), None);
    }
}
