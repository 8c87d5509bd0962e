//! Inference witnesses: what the sequencer got from a backend for one call, recorded in the block by
//! a system deposit to the witness-store predeploy (`recordBatch`) before the transactions that use
//! it. The outputs travel in that deposit's calldata; the store keeps `keccak256(output)`, the units
//! and the block number, which the precompile checks before answering from a witness.

use crate::abi::IInferenceWitnessStore;
use alloy::{
    consensus::Transaction,
    primitives::{B256, Bytes, FixedBytes, TxKind, U256, keccak256},
    sol_types::{SolCall, SolValue},
};
use bai_chainspec::predeploys::{DEPOSITOR_ACCOUNT, WITNESS_STORE};
use op_alloy::consensus::OpTxEnvelope;
use std::collections::BTreeMap;

/// Witness-store slot of the `witnesses` mapping.
const WITNESSES_SLOT: u64 = 0;

/// Gas a witness deposit gets: a fixed part plus a generous per-witness and per-byte allowance
/// (three fresh slots, the event, the calldata copy). Unused gas is not charged to anyone.
pub fn record_gas_limit(set: &WitnessSet) -> u64 {
    let bytes: usize = set.0.values().map(|w| w.output.len()).sum();
    100_000 + 120_000 * set.0.len() as u64 + 64 * bytes as u64
}

/// The call key a result is recorded under:
/// `keccak256(abi.encode(modelId, selector, keccak256(input), maxUnits))` (`maxUnits` 0 for embed).
pub fn call_key(model: B256, selector: [u8; 4], input: &[u8], max_units: u32) -> B256 {
    keccak256((model, FixedBytes::<4>(selector), keccak256(input), max_units).abi_encode())
}

/// One recorded result, in its compact form: packed big-endian `int32`s for embeddings, UTF-8 for
/// generated text, raw bytes for generic models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    /// The result in its compact form.
    pub output: Bytes,
    /// Units the call used; replay charges gas for them as the original call did.
    pub units: u64,
}

/// The witnesses of one block, by call key (ordered, so the deposit's calldata is deterministic).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WitnessSet(pub BTreeMap<B256, Witness>);

/// Errors decoding a witness deposit.
#[derive(Debug, thiserror::Error)]
pub enum WitnessDecodeError {
    #[error("witness deposit calldata is not recordBatch: {0}")]
    /// The deposit's calldata is not a `recordBatch` call.
    Abi(String),
    #[error("witness deposit arrays differ in length")]
    /// The call keys, outputs and units arrays have different lengths.
    LengthMismatch,
    #[error("witness deposit records call key {0} twice")]
    /// The same call key is recorded twice.
    Duplicate(B256),
}

impl WitnessSet {
    /// Whether the set holds no witness.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of witnesses in the set.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The witness recorded under call key `key`, if any.
    pub fn get(&self, key: &B256) -> Option<&Witness> {
        self.0.get(key)
    }

    /// Records `witness` under call key `key`, replacing any earlier one.
    pub fn insert(&mut self, key: B256, witness: Witness) {
        self.0.insert(key, witness);
    }

    /// Calldata of the `recordBatch` system call that records this set.
    pub fn record_calldata(&self) -> Bytes {
        let call = IInferenceWitnessStore::recordBatchCall {
            callKeys: self.0.keys().copied().collect(),
            outputs: self.0.values().map(|w| w.output.clone()).collect(),
            units: self.0.values().map(|w| w.units).collect(),
        };
        call.abi_encode().into()
    }

    /// Whether `input` is `recordBatch` calldata.
    pub fn is_record_calldata(input: &[u8]) -> bool {
        input.starts_with(&IInferenceWitnessStore::recordBatchCall::SELECTOR)
    }

    /// Decodes `recordBatch` calldata back into a set; the strict decoder rejects anything a
    /// sequencer would not have produced.
    pub fn from_record_calldata(input: &[u8]) -> Result<Self, WitnessDecodeError> {
        let call = IInferenceWitnessStore::recordBatchCall::abi_decode_validate(input)
            .map_err(|e| WitnessDecodeError::Abi(e.to_string()))?;
        let n = call.callKeys.len();
        if call.outputs.len() != n || call.units.len() != n {
            return Err(WitnessDecodeError::LengthMismatch);
        }
        let mut set = Self::default();
        for ((key, output), units) in call.callKeys.into_iter().zip(call.outputs).zip(call.units) {
            if set.0.insert(key, Witness { output, units }).is_some() {
                return Err(WitnessDecodeError::Duplicate(key));
            }
        }
        Ok(set)
    }
}

/// Whether `tx` is a witness deposit (system deposit to the witness store calling `recordBatch`).
pub fn is_witness_deposit(tx: &OpTxEnvelope) -> bool {
    match tx {
        OpTxEnvelope::Deposit(d) => {
            d.from == DEPOSITOR_ACCOUNT
                && d.to == TxKind::Call(WITNESS_STORE)
                && WitnessSet::is_record_calldata(&d.input)
        }
        _ => false,
    }
}

/// The witnesses recorded in a block's transactions: the witness deposit sits right after the
/// L1-attributes deposit (empty when the block has none).
pub fn block_witnesses(transactions: &[OpTxEnvelope]) -> WitnessSet {
    transactions
        .get(1)
        .filter(|tx| is_witness_deposit(tx))
        .and_then(|tx| WitnessSet::from_record_calldata(tx.input()).ok())
        .unwrap_or_default()
}

/// Slot `offset` of the witness struct recorded under `key`.
pub fn witness_slot(key: B256, offset: u64) -> U256 {
    let mut preimage = [0u8; 64];
    preimage[..32].copy_from_slice(key.as_slice());
    preimage[32..].copy_from_slice(&U256::from(WITNESSES_SLOT).to_be_bytes::<32>());
    U256::from_be_bytes(keccak256(preimage).0) + U256::from(offset)
}

/// What the store holds for a key: `(units, block number, output hash)`.
pub fn read_recorded<E>(key: B256, mut sload: impl FnMut(U256) -> Result<U256, E>) -> Result<(u64, u64, B256), E> {
    let packed = sload(witness_slot(key, 0))?;
    let units = (packed & U256::from(u64::MAX)).to::<u64>();
    let block = ((packed >> 64usize) & U256::from(u64::MAX)).to::<u64>();
    let hash = B256::from(sload(witness_slot(key, 2))?.to_be_bytes::<32>());
    Ok((units, block, hash))
}

/// Packs an embedding into its compact witness form.
pub fn pack_embedding(values: &[i32]) -> Bytes {
    values.iter().flat_map(|v| v.to_be_bytes()).collect::<Vec<u8>>().into()
}

/// Unpacks an embedding's compact witness form; `None` when its length is not a multiple of four.
pub fn unpack_embedding(bytes: &[u8]) -> Option<Vec<i32>> {
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    Some(bytes.chunks_exact(4).map(|c| i32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_calldata_round_trips() {
        let mut set = WitnessSet::default();
        set.insert(B256::repeat_byte(2), Witness { output: Bytes::from_static(b"hello"), units: 3 });
        set.insert(B256::repeat_byte(1), Witness { output: pack_embedding(&[1, -2, 3]), units: 7 });
        let data = set.record_calldata();
        assert!(WitnessSet::is_record_calldata(&data));
        assert_eq!(WitnessSet::from_record_calldata(&data).unwrap(), set);
        assert!(WitnessSet::from_record_calldata(&data[..data.len() - 1]).is_err());
    }

    #[test]
    fn call_key_matches_abi_encode() {
        // keccak256(abi.encode(bytes32(0x01..), bytes4(0xaabbccdd), keccak256("hi"), uint32(5)))
        let model = B256::repeat_byte(1);
        let mut encoded = Vec::new();
        encoded.extend_from_slice(model.as_slice());
        let mut word = [0u8; 32];
        word[..4].copy_from_slice(&[0xaa, 0xbb, 0xcc, 0xdd]);
        encoded.extend_from_slice(&word);
        encoded.extend_from_slice(keccak256(b"hi").as_slice());
        encoded.extend_from_slice(&U256::from(5).to_be_bytes::<32>());
        assert_eq!(call_key(model, [0xaa, 0xbb, 0xcc, 0xdd], b"hi", 5), keccak256(&encoded));
    }

    #[test]
    fn embeddings_pack_losslessly() {
        let values = vec![i32::MIN, -1, 0, 1, i32::MAX];
        assert_eq!(unpack_embedding(&pack_embedding(&values)).unwrap(), values);
        assert!(unpack_embedding(&[1, 2, 3]).is_none());
    }
}
