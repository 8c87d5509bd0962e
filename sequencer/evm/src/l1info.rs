//! The L1-attributes deposit: the first transaction of every L2 block, which writes the L1 origin
//! (number, timestamp, base fees, hash, batcher) and the fee scalars into the L1Block predeploy,
//! from where op-revm reads them to charge the L1 data fee.

use alloy::primitives::{B256, Bytes, U256, keccak256};
use bai_chainspec::predeploys::{DEPOSITOR_ACCOUNT, L1_BLOCK};
use op_alloy::consensus::{L1InfoDepositSource, TxDeposit};

/// `setL1BlockValuesIsthmus()`.
pub const SET_L1_BLOCK_VALUES_ISTHMUS: [u8; 4] = [0x09, 0x89, 0x99, 0xbe];
/// `setL1BlockValuesEcotone()`.
pub const SET_L1_BLOCK_VALUES_ECOTONE: [u8; 4] = [0x44, 0x0a, 0x5e, 0x20];
/// Gas limit of the L1-attributes deposit (as OP).
pub const L1_INFO_DEPOSIT_GAS: u64 = 1_000_000;

/// OP mainnet's Ecotone scalars, used by the dev L1.
pub const DEFAULT_BASE_FEE_SCALAR: u32 = 1368;
/// OP mainnet's Ecotone blob base fee scalar, used by the dev L1.
pub const DEFAULT_BLOB_BASE_FEE_SCALAR: u32 = 810_949;

/// The L1 origin of an L2 block and the fee parameters that go with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1Info {
    /// L1 block number of the origin.
    pub number: u64,
    /// Timestamp of the L1 origin block, in seconds.
    pub timestamp: u64,
    /// Base fee of the L1 origin block, in wei; the L1 data fee is charged from it.
    pub base_fee: U256,
    /// Blob base fee of the L1 origin block, in wei.
    pub blob_base_fee: U256,
    /// Hash of the L1 origin block.
    pub hash: B256,
    /// Position of the L2 block within its L1 epoch.
    pub sequence_number: u64,
    /// The batcher's address as a 32-byte word, as the system config holds it.
    pub batcher_hash: B256,
    /// Ecotone scalar applied to the L1 base fee in the L1 data fee.
    pub base_fee_scalar: u32,
    /// Ecotone scalar applied to the L1 blob base fee in the L1 data fee.
    pub blob_base_fee_scalar: u32,
    /// Isthmus operator fee: scalar per unit of gas used (0 on the dev L1).
    pub operator_fee_scalar: u32,
    /// Isthmus operator fee: constant per transaction (0 on the dev L1).
    pub operator_fee_constant: u64,
}

impl L1Info {
    /// A synthetic L1 for `--dev`: one L1 block per 12 s of L2 time, 1 gwei base fee.
    pub fn dev(l2_timestamp: u64, genesis_timestamp: u64, previous: Option<&L1Info>) -> Self {
        let number = l2_timestamp.saturating_sub(genesis_timestamp) / 12;
        let sequence_number = match previous {
            Some(prev) if prev.number == number => prev.sequence_number + 1,
            _ => 0,
        };
        Self {
            number,
            timestamp: genesis_timestamp + number * 12,
            base_fee: U256::from(1_000_000_000u64),
            blob_base_fee: U256::from(1u64),
            hash: keccak256([b"bai-dev-l1".as_slice(), &number.to_be_bytes()].concat()),
            sequence_number,
            batcher_hash: B256::ZERO,
            base_fee_scalar: DEFAULT_BASE_FEE_SCALAR,
            blob_base_fee_scalar: DEFAULT_BLOB_BASE_FEE_SCALAR,
            operator_fee_scalar: 0,
            operator_fee_constant: 0,
        }
    }

    /// Calldata of `setL1BlockValuesIsthmus()`: tightly packed, as the OP spec lays it out.
    pub fn isthmus_calldata(&self) -> Bytes {
        let mut data = Vec::with_capacity(176);
        data.extend_from_slice(&SET_L1_BLOCK_VALUES_ISTHMUS);
        data.extend_from_slice(&self.base_fee_scalar.to_be_bytes());
        data.extend_from_slice(&self.blob_base_fee_scalar.to_be_bytes());
        data.extend_from_slice(&self.sequence_number.to_be_bytes());
        data.extend_from_slice(&self.timestamp.to_be_bytes());
        data.extend_from_slice(&self.number.to_be_bytes());
        data.extend_from_slice(&self.base_fee.to_be_bytes::<32>());
        data.extend_from_slice(&self.blob_base_fee.to_be_bytes::<32>());
        data.extend_from_slice(self.hash.as_slice());
        data.extend_from_slice(self.batcher_hash.as_slice());
        data.extend_from_slice(&self.operator_fee_scalar.to_be_bytes());
        data.extend_from_slice(&self.operator_fee_constant.to_be_bytes());
        data.into()
    }

    /// The origin a block records: the calldata of its first transaction, the L1-attributes deposit
    /// (`transactions` EIP-2718 encoded). `None` for genesis or a block that does not open with one.
    pub fn from_block_transactions(transactions: &[Bytes]) -> Option<Self> {
        use alloy::eips::Decodable2718;
        match op_alloy::consensus::OpTxEnvelope::decode_2718(&mut transactions.first()?.as_ref()).ok()? {
            op_alloy::consensus::OpTxEnvelope::Deposit(deposit) => Self::from_isthmus_calldata(&deposit.input),
            _ => None,
        }
    }

    /// Decodes `setL1BlockValuesIsthmus()` calldata (what a block's first transaction carries), so a
    /// restarted sequencer knows the origin its head was built on.
    pub fn from_isthmus_calldata(data: &[u8]) -> Option<Self> {
        if data.len() != 176 || data[..4] != SET_L1_BLOCK_VALUES_ISTHMUS {
            return None;
        }
        let u32_at = |at: usize| u32::from_be_bytes(data[at..at + 4].try_into().unwrap());
        let u64_at = |at: usize| u64::from_be_bytes(data[at..at + 8].try_into().unwrap());
        let word = |at: usize| B256::from_slice(&data[at..at + 32]);
        Some(Self {
            base_fee_scalar: u32_at(4),
            blob_base_fee_scalar: u32_at(8),
            sequence_number: u64_at(12),
            timestamp: u64_at(20),
            number: u64_at(28),
            base_fee: word(36).into(),
            blob_base_fee: word(68).into(),
            hash: word(100),
            batcher_hash: word(132),
            operator_fee_scalar: u32_at(164),
            operator_fee_constant: u64_at(168),
        })
    }

    /// Source hash of the L1-attributes deposit (domain 1).
    pub fn source_hash(&self) -> B256 {
        L1InfoDepositSource::new(self.hash, self.sequence_number).source_hash()
    }

    /// The deposit transaction that opens the L2 block.
    pub fn deposit_tx(&self) -> TxDeposit {
        TxDeposit {
            source_hash: self.source_hash(),
            from: DEPOSITOR_ACCOUNT,
            to: alloy::primitives::TxKind::Call(L1_BLOCK),
            mint: 0,
            value: U256::ZERO,
            gas_limit: L1_INFO_DEPOSIT_GAS,
            is_system_transaction: false,
            input: self.isthmus_calldata(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isthmus_calldata_is_176_bytes_with_fields_in_spec_order() {
        let info = L1Info::dev(120, 0, None);
        let data = info.isthmus_calldata();
        assert_eq!(data.len(), 176);
        assert_eq!(&data[..4], &SET_L1_BLOCK_VALUES_ISTHMUS);
        assert_eq!(u32::from_be_bytes(data[4..8].try_into().unwrap()), DEFAULT_BASE_FEE_SCALAR);
        assert_eq!(u64::from_be_bytes(data[28..36].try_into().unwrap()), info.number);
        assert_eq!(&data[100..132], info.hash.as_slice());
        assert_eq!(L1Info::from_isthmus_calldata(&data), Some(info));
        assert_eq!(L1Info::from_isthmus_calldata(&data[..175]), None);
    }

    #[test]
    fn sequence_number_counts_blocks_within_an_epoch() {
        let first = L1Info::dev(24, 0, None);
        let second = L1Info::dev(25, 0, Some(&first));
        let next_epoch = L1Info::dev(36, 0, Some(&second));
        assert_eq!((first.number, first.sequence_number), (2, 0));
        assert_eq!(second.sequence_number, 1);
        assert_eq!((next_epoch.number, next_epoch.sequence_number), (3, 0));
    }
}
