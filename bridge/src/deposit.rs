//! `TransactionDeposited` events → deposit transactions (type 0x7E), as the OP deposit spec lays
//! them out (source hashes from op-alloy's `UserDepositSource`), so OP-aware tools compute the same
//! L2 transaction hashes.

use alloy::{
    primitives::{Address, B256, Bytes, TxKind, U256},
    rpc::types::Log,
    sol,
};
use op_alloy::consensus::{TxDeposit, UserDepositSource};

sol! {
    /// Emitted by the portal (`contracts/src/L1/BaiPortal.sol`) for every deposit.
    /// `opaqueData` = `abi.encodePacked(mint, value, gasLimit, isCreation, data)`.
    #[derive(Debug)]
    event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData);
}

/// Why a portal log is not a deposit this node understands (derivation then stops, as op-node's and
/// kona's do: see `WatcherError::MalformedDeposit`).
#[derive(Debug, thiserror::Error)]
pub enum DepositError {
    /// The log is not a well-formed `TransactionDeposited` event.
    #[error("not a TransactionDeposited log: {0}")]
    Decode(String),
    /// The event's version is not 0.
    #[error("unsupported deposit version {0}")]
    Version(U256),
    /// The opaque data is shorter than the fixed 73-byte header.
    #[error("opaque data is {0} bytes, shorter than the 73-byte header")]
    Short(usize),
    /// The mint amount exceeds 128 bits.
    #[error("mint {0} does not fit in 128 bits")]
    MintTooLarge(U256),
    /// The log carries no log index, so the deposit's source hash cannot be computed.
    #[error("log has no index in its block")]
    NoLogIndex,
}

/// The deposit transaction a portal log asks for.
pub fn deposit_from_log(log: &Log, l1_block_hash: B256) -> Result<TxDeposit, DepositError> {
    let decoded = log.log_decode::<TransactionDeposited>().map_err(|e| DepositError::Decode(e.to_string()))?;
    let event = &decoded.inner.data;
    let log_index = log.log_index.ok_or(DepositError::NoLogIndex)?;
    let source_hash = UserDepositSource::new(l1_block_hash, log_index).source_hash();
    decode_opaque(event.from, event.to, event.version, &event.opaqueData, source_hash)
}

fn decode_opaque(
    from: Address,
    to: Address,
    version: U256,
    opaque: &[u8],
    source_hash: B256,
) -> Result<TxDeposit, DepositError> {
    if !version.is_zero() {
        return Err(DepositError::Version(version));
    }
    if opaque.len() < 73 {
        return Err(DepositError::Short(opaque.len()));
    }
    let mint = U256::from_be_slice(&opaque[0..32]);
    let value = U256::from_be_slice(&opaque[32..64]);
    let gas_limit = u64::from_be_bytes(opaque[64..72].try_into().expect("8 bytes"));
    let is_creation = opaque[72] != 0;
    let input = Bytes::copy_from_slice(&opaque[73..]);
    Ok(TxDeposit {
        source_hash,
        from,
        to: if is_creation { TxKind::Create } else { TxKind::Call(to) },
        mint: u128::try_from(mint).map_err(|_| DepositError::MintTooLarge(mint))?,
        value,
        gas_limit,
        is_system_transaction: false,
        input,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{LogData, address, b256};

    fn opaque(mint: u64, value: u64, gas: u64, create: bool, data: &[u8]) -> Bytes {
        let mut out = Vec::new();
        out.extend_from_slice(&U256::from(mint).to_be_bytes::<32>());
        out.extend_from_slice(&U256::from(value).to_be_bytes::<32>());
        out.extend_from_slice(&gas.to_be_bytes());
        out.push(create as u8);
        out.extend_from_slice(data);
        out.into()
    }

    fn log(from: Address, to: Address, version: u64, data: Bytes, index: u64) -> Log {
        let event = TransactionDeposited { from, to, version: U256::from(version), opaqueData: data };
        Log {
            inner: alloy::primitives::Log { address: Address::ZERO, data: LogData::from(&event) },
            log_index: Some(index),
            ..Default::default()
        }
    }

    #[test]
    fn decodes_the_packed_opaque_data() {
        let from = address!("0x1111111111111111111111111111111111111111");
        let to = address!("0x2222222222222222222222222222222222222222");
        let block = b256!("0x00000000000000000000000000000000000000000000000000000000000000aa");
        let tx = deposit_from_log(&log(from, to, 0, opaque(5, 2, 100_000, false, &[0xde, 0xad]), 3), block).unwrap();
        assert_eq!(
            (tx.from, tx.to, tx.mint, tx.value, tx.gas_limit),
            (from, TxKind::Call(to), 5, U256::from(2), 100_000)
        );
        assert_eq!(tx.input.as_ref(), &[0xde, 0xad]);
        assert_eq!(tx.source_hash, UserDepositSource::new(block, 3).source_hash());
        assert!(!tx.is_system_transaction);

        let create = deposit_from_log(&log(from, Address::ZERO, 0, opaque(0, 0, 1, true, &[]), 0), block).unwrap();
        assert_eq!(create.to, TxKind::Create);
    }

    #[test]
    fn rejects_unknown_versions_and_short_data() {
        let block = B256::ZERO;
        let short = deposit_from_log(&log(Address::ZERO, Address::ZERO, 0, Bytes::from(vec![0; 72]), 0), block);
        assert!(matches!(short, Err(DepositError::Short(72))));
        let v1 = deposit_from_log(&log(Address::ZERO, Address::ZERO, 1, opaque(0, 0, 1, false, &[]), 0), block);
        assert!(matches!(v1, Err(DepositError::Version(_))));
    }

    #[test]
    fn source_hashes_differ_by_block_and_index() {
        let a = B256::repeat_byte(1);
        let b = B256::repeat_byte(2);
        let hash = |block, index| UserDepositSource::new(block, index).source_hash();
        assert_ne!(hash(a, 0), hash(a, 1));
        assert_ne!(hash(a, 0), hash(b, 0));
    }
}
