//! Shared test harness: a sequencer over a fresh RocksDB store and a way to submit signed transactions.
#![allow(dead_code)]

use alloy::{
    consensus::{SignableTransaction, TxEip1559},
    eips::Encodable2718,
    network::TxSignerSync,
    primitives::{B256, Bytes, TxKind, U256},
    signers::local::PrivateKeySigner,
};
use bai_chainspec::ChainSpec;
use bai_pool::{
    AccountState, PoolConfig, TxPool,
    validate::{ChainRules, validate_raw},
};
use bai_precompiles::InferenceBackend;
use bai_sequencer::{Sequencer, SequencerConfig};
use bai_storage::{StateAt, Store, StoreConfig};
use op_alloy::consensus::OpTxEnvelope;
use std::{sync::Arc, time::Duration};

pub(crate) struct Harness {
    pub(crate) sequencer: Arc<Sequencer>,
}

impl Harness {
    pub(crate) fn open(dir: &std::path::Path) -> Self {
        Self::with_inference(dir, None)
    }

    pub(crate) fn with_inference(dir: &std::path::Path, inference: Option<Arc<dyn InferenceBackend>>) -> Self {
        Self::with_store(StoreConfig::new(dir), inference)
    }

    pub(crate) fn with_store(store: StoreConfig, inference: Option<Arc<dyn InferenceBackend>>) -> Self {
        let chain = Arc::new(ChainSpec::dev());
        let store = Store::open(store).unwrap();
        let pool = Arc::new(TxPool::new(PoolConfig::default()));
        let config = SequencerConfig { inference, ..SequencerConfig::new(Duration::from_secs(1)) };
        Self { sequencer: Sequencer::new(chain, store, pool, config).unwrap() }
    }

    pub(crate) fn send(&self, signer: &PrivateKeySigner, to: TxKind, value: U256, input: Bytes, gas: u64) -> B256 {
        let store = self.sequencer.store();
        let head = store.head_number().unwrap();
        let state = store.state(StateAt::Block(head)).unwrap();
        let account = state.account(&signer.address()).unwrap().unwrap_or_default();
        let nonce = self.sequencer.pool().pending_nonce(&signer.address(), account.nonce);
        let mut tx = TxEip1559 {
            chain_id: 2977,
            nonce,
            gas_limit: gas,
            max_fee_per_gas: 10_000_000_000,
            max_priority_fee_per_gas: 1_000,
            to,
            value,
            input,
            ..Default::default()
        };
        let signature = signer.sign_transaction_sync(&mut tx).unwrap();
        let raw: Bytes = OpTxEnvelope::from(tx.into_signed(signature)).encoded_2718().into();
        let rules = ChainRules {
            chain_id: 2977,
            block_gas_limit: 30_000_000,
            spec: revm::primitives::hardfork::SpecId::PRAGUE,
        };
        let pooled = validate_raw(raw, &rules, self.sequencer.pool().config()).unwrap();
        self.sequencer
            .pool()
            .add(pooled, AccountState { nonce: account.nonce, balance: account.balance }, U256::ZERO)
            .unwrap()
    }
}
