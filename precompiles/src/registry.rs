//! Model parameters read straight from the marketplace predeploy's storage (`ModelRegistryStorage`,
//! slot 0: `mapping(bytes32 => Model)`; layout in docs/contracts.md). Reading slots rather than
//! calling the contract keeps the precompile free of nested EVM calls.

use alloy::primitives::{Address, B256, U256, keccak256};

/// Registry slot of the `_models` mapping.
const MODELS_SLOT: u64 = 0;

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
}

/// Storage slot of field `offset` of model `id`'s struct.
pub fn model_slot(id: B256, offset: u64) -> U256 {
    let mut preimage = [0u8; 64];
    preimage[..32].copy_from_slice(id.as_slice());
    preimage[32..].copy_from_slice(&U256::from(MODELS_SLOT).to_be_bytes::<32>());
    U256::from_be_bytes(keccak256(preimage).0) + U256::from(offset)
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
    };
    Ok(Some(entry))
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
        assert!(read_model(B256::ZERO, read).unwrap().is_none());
    }
}
