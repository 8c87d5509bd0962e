//! The engine's side of transaction admission: the chain's view at the head for
//! [`bai_pool::TxPool::submit`] (rules, account state, the L1 data fee from the head's L1 values).

use crate::Sequencer;
use alloy::primitives::{Address, B256, Bytes, U256};
use bai_pool::{AccountState, ChainView, PoolError, validate::ChainRules};
use bai_storage::StateAt;

/// The head as admission sees it: one consistent block for every check of one transaction.
struct HeadView<'a> {
    sequencer: &'a Sequencer,
    number: u64,
    rules: ChainRules,
    spec: op_revm::OpSpecId,
}

impl ChainView for HeadView<'_> {
    fn rules(&self) -> ChainRules {
        self.rules
    }

    /// The account after the newest block: a sealed block whose write is in flight if it changed the
    /// account (its transactions have left the pool, so a nonce it used is too low now, and its next
    /// nonce is no gap), else the written head, read again if a write landed since `number`.
    fn account(&self, address: &Address) -> Result<AccountState, PoolError> {
        let store = self.sequencer.store();
        let account = match store.sealed_account(address) {
            Some(sealed) => sealed,
            // A write that lands now moves the store's head before it takes the overlay away.
            None => {
                let number = store.head_number().map_or(self.number, |written| written.max(self.number));
                store.state(StateAt::Block(number)).map_err(chain_state)?.account(address).map_err(chain_state)?
            }
        };
        Ok(account.map(|a| AccountState { nonce: a.nonce, balance: a.balance }).unwrap_or_default())
    }

    fn l1_cost(&self, encoded: &[u8], gas_limit: u64) -> Result<U256, PoolError> {
        let mut l1 = self.sequencer.l1_fee_params(self.number).map_err(chain_state)?;
        Ok(l1.tx_cost(encoded, U256::from(gas_limit), self.spec))
    }
}

// PoolError is a plain, comparable value (wallet-facing messages); a storage failure is carried as
// its message and mapped to an internal error at the RPC edge.
fn chain_state(error: bai_storage::StorageError) -> PoolError {
    PoolError::ChainState(error.to_string())
}

impl Sequencer {
    /// Admits a raw transaction into the pool against the head (see [`bai_pool::TxPool::submit`]).
    pub fn submit_transaction(&self, raw: Bytes) -> Result<B256, PoolError> {
        let (head, _) = self.head();
        let spec = self.evm_config().spec_at(head.timestamp);
        let rules =
            ChainRules { chain_id: self.chain().chain_id, block_gas_limit: head.gas_limit, spec: spec.into_eth_spec() };
        self.pool().submit(raw, &HeadView { sequencer: self, number: head.number, rules, spec })
    }

    /// The L1 fee parameters in force at block `number` (cached for the head: every admission
    /// needs them).
    pub fn l1_fee_params(&self, number: u64) -> Result<op_revm::L1BlockInfo, bai_storage::StorageError> {
        if let Some((cached, info)) = &*self.l1_fees.read()
            && *cached == number
        {
            return Ok(info.clone());
        }
        let meta = self.store().block_meta(number)?.unwrap_or_default();
        let info = op_revm::L1BlockInfo {
            l1_base_fee: meta.l1_base_fee,
            l1_base_fee_scalar: meta.l1_base_fee_scalar,
            l1_blob_base_fee: Some(meta.l1_blob_base_fee),
            l1_blob_base_fee_scalar: Some(meta.l1_blob_base_fee_scalar),
            operator_fee_scalar: Some(meta.operator_fee_scalar),
            operator_fee_constant: Some(meta.operator_fee_constant),
            ..Default::default()
        };
        *self.l1_fees.write() = Some((number, info.clone()));
        Ok(info)
    }
}
