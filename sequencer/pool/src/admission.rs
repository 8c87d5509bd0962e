//! Admission: the whole path from raw bytes to a pooled transaction, with the chain's view behind a
//! trait so the pool itself never reads storage or runs the EVM.

use crate::{AccountState, PoolError, TxPool, validate::ChainRules};
use alloy::primitives::{Address, B256, Bytes, U256};

/// What admission needs from the chain at its head. The engine implements it over its store and
/// EVM configuration; tests implement it over a map.
pub trait ChainView {
    /// The stateless rules at the head (chain id, block gas limit, active spec).
    fn rules(&self) -> ChainRules;
    /// The sender's nonce and balance at the head.
    fn account(&self, address: &Address) -> Result<AccountState, PoolError>;
    /// The L1 data fee the transaction (its EIP-2718 bytes) pays on top of L2 gas.
    fn l1_cost(&self, encoded: &[u8], gas_limit: u64) -> Result<U256, PoolError>;
}

impl TxPool {
    /// Admits a raw transaction: every check in order (size, decoding, type, chain id, signature,
    /// gas and fee fields; then nonce, balance for gas × fee cap + value + L1 data fee, replacement and
    /// limits against `chain`), then inserts it. Errors carry geth's messages.
    pub fn submit(&self, raw: Bytes, chain: &dyn ChainView) -> Result<B256, PoolError> {
        let started = std::time::Instant::now();
        let tx = crate::validate::validate_raw(raw, &chain.rules(), self.config())?;
        let account = chain.account(&tx.sender)?;
        let l1_cost = chain.l1_cost(&tx.encoded, tx.gas_limit)?;
        let hash = self.add(tx, account, l1_cost)?;
        metrics::histogram!("bai_pool_admission_seconds").record(started.elapsed().as_secs_f64());
        Ok(hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PoolConfig;
    use alloy::{
        consensus::{SignableTransaction, TxEip1559},
        eips::Encodable2718,
        network::TxSignerSync,
        primitives::TxKind,
        signers::local::PrivateKeySigner,
    };
    use revm::primitives::hardfork::SpecId;
    use std::collections::HashMap;

    struct Chain {
        accounts: HashMap<Address, AccountState>,
        l1_fee_per_byte: U256,
    }

    impl ChainView for Chain {
        fn rules(&self) -> ChainRules {
            ChainRules { chain_id: 2977, block_gas_limit: 30_000_000, spec: SpecId::PRAGUE }
        }
        fn account(&self, address: &Address) -> Result<AccountState, PoolError> {
            Ok(self.accounts.get(address).cloned().unwrap_or_default())
        }
        fn l1_cost(&self, encoded: &[u8], _gas_limit: u64) -> Result<U256, PoolError> {
            Ok(self.l1_fee_per_byte * U256::from(encoded.len()))
        }
    }

    fn transfer(signer: &PrivateKeySigner, nonce: u64, value: u64) -> Bytes {
        let mut tx = TxEip1559 {
            chain_id: 2977,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: 1_000,
            max_priority_fee_per_gas: 10,
            to: TxKind::Call(Address::repeat_byte(7)),
            value: U256::from(value),
            ..Default::default()
        };
        let signature = signer.sign_transaction_sync(&mut tx).unwrap();
        op_alloy::consensus::OpTxEnvelope::from(tx.into_signed(signature)).encoded_2718().into()
    }

    #[test]
    fn the_l1_data_fee_counts_against_the_balance() {
        let signer = PrivateKeySigner::random();
        let raw = transfer(&signer, 0, 1);
        let l2_cost = U256::from(21_000u64 * 1_000 + 1);
        let l1_cost = U256::from(raw.len() as u64 * 5);
        let chain = |balance: U256| Chain {
            accounts: [(signer.address(), AccountState { nonce: 0, balance })].into(),
            l1_fee_per_byte: U256::from(5),
        };
        // One wei short of L2 cost + L1 fee: refused with geth's message and the exact figures.
        let pool = TxPool::new(PoolConfig { min_priority_fee: 1, ..Default::default() });
        let short = chain(l2_cost + l1_cost - U256::from(1));
        assert_eq!(
            pool.submit(raw.clone(), &short),
            Err(PoolError::InsufficientFunds { balance: l2_cost + l1_cost - U256::from(1), cost: l2_cost + l1_cost })
        );
        assert_eq!(pool.status().pending, 0);
        // Exactly enough: pooled.
        let hash = pool.submit(raw, &chain(l2_cost + l1_cost)).unwrap();
        assert!(pool.get(&hash).is_some());
    }

    #[test]
    fn stateless_and_state_checks_run_in_order() {
        let signer = PrivateKeySigner::random();
        let rich = Chain {
            accounts: [(signer.address(), AccountState { nonce: 3, balance: U256::MAX })].into(),
            l1_fee_per_byte: U256::ZERO,
        };
        let pool = TxPool::new(PoolConfig { min_priority_fee: 1, ..Default::default() });
        assert!(matches!(pool.submit(Bytes::from_static(&[0xc0]), &rich), Err(PoolError::Decode(_))));
        assert_eq!(pool.submit(transfer(&signer, 2, 1), &rich), Err(PoolError::NonceTooLow { tx: 2, state: 3 }));
        assert!(pool.submit(transfer(&signer, 3, 1), &rich).is_ok());
        assert_eq!(pool.submit(transfer(&signer, 3, 1), &rich), Err(PoolError::AlreadyKnown));
    }
}
