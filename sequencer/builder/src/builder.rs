//! Building, sealing and committing blocks, and the block-time loop.

use crate::genesis::{holocene_extra_data, init_genesis};
use alloy::{
    consensus::{
        EMPTY_OMMER_ROOT_HASH, Header, Sealed, TxReceipt, proofs::ordered_trie_root_with_encoder,
        transaction::Recovered,
    },
    eips::{Encodable2718, eip2718::WithEncoded, eip7685::EMPTY_REQUESTS_HASH},
    primitives::{Address, B256, Bloom, Bytes, U256, keccak256},
};
use alloy_evm::{
    EvmFactory,
    block::{BlockExecutionError, BlockExecutor, BlockExecutorFactory, BlockValidationError},
};
use alloy_op_evm::OpBlockExecutionCtx;
use bai_chainspec::{
    ChainSpec,
    predeploys::{DEPOSITOR_ACCOUNT, L2_TO_L1_MESSAGE_PASSER, SEQUENCER_FEE_VAULT},
};
use bai_evm::{BaiEvmConfig, L1Info};
use bai_pool::TxPool;
use bai_storage::{BlockCommit, BlockMeta, StateAt, StorageError, Store, StoredBlock, TxMeta};
use op_alloy::consensus::{OpReceiptEnvelope, OpTxEnvelope};
use parking_lot::{Mutex, RwLock};
use revm::database::{State, states::bundle_state::BundleRetention};
use std::{
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use tokio::sync::{Notify, broadcast, watch};

/// Errors of the sequencer.
#[derive(Debug, thiserror::Error)]
pub enum SequencerError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("block execution failed: {0}")]
    Execution(#[from] BlockExecutionError),
    #[error("the L1-attributes deposit failed: {0}")]
    L1InfoDeposit(String),
}

/// Sequencer settings.
#[derive(Debug, Clone)]
pub struct SequencerConfig {
    /// Time between blocks. Sub-second block times give blocks that share a timestamp.
    pub block_time: Duration,
}

/// A block the sequencer committed, as subscriptions see it.
#[derive(Debug, Clone)]
pub struct CommittedBlock {
    pub block: StoredBlock,
    pub receipts: Vec<OpReceiptEnvelope>,
    pub tx_hashes: Vec<B256>,
}

struct Head {
    header: Header,
    hash: B256,
    l1: Option<L1Info>,
}

/// The sequencer of one chain.
pub struct Sequencer {
    chain: Arc<ChainSpec>,
    evm: BaiEvmConfig,
    store: Arc<Store>,
    pool: Arc<TxPool>,
    config: SequencerConfig,
    head: RwLock<Head>,
    /// Serialises block building (the loop and on-demand `evm_mine`).
    building: Mutex<()>,
    blocks: broadcast::Sender<Arc<CommittedBlock>>,
    mine_now: Notify,
}

impl std::fmt::Debug for Sequencer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sequencer").field("chain_id", &self.chain.chain_id).finish()
    }
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

impl Sequencer {
    /// Opens the chain in `store`, writing genesis if the store is empty.
    pub fn new(
        chain: Arc<ChainSpec>,
        store: Arc<Store>,
        pool: Arc<TxPool>,
        config: SequencerConfig,
    ) -> Result<Arc<Self>, SequencerError> {
        init_genesis(&store, &chain)?;
        let number = store.head_number().expect("genesis written");
        let header = store.header(number)?.ok_or(StorageError::UnknownBlock(number))?;
        let hash = store.block_hash(number)?.ok_or(StorageError::UnknownBlock(number))?;
        let (blocks, _) = broadcast::channel(256);
        Ok(Arc::new(Self {
            evm: BaiEvmConfig::new(chain.clone()),
            chain,
            store,
            pool,
            config,
            head: RwLock::new(Head { header, hash, l1: None }),
            building: Mutex::new(()),
            blocks,
            mine_now: Notify::new(),
        }))
    }

    pub fn chain(&self) -> &Arc<ChainSpec> {
        &self.chain
    }

    pub fn evm_config(&self) -> &BaiEvmConfig {
        &self.evm
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn pool(&self) -> &Arc<TxPool> {
        &self.pool
    }

    pub fn config(&self) -> &SequencerConfig {
        &self.config
    }

    /// The head header and its hash.
    pub fn head(&self) -> (Header, B256) {
        let head = self.head.read();
        (head.header.clone(), head.hash)
    }

    /// Base fee the next block will have.
    pub fn next_base_fee(&self) -> u64 {
        let head = self.head.read();
        let h = &head.header;
        self.chain.next_base_fee(h.gas_used, h.gas_limit, h.base_fee_per_gas.unwrap_or_default())
    }

    /// Committed blocks, in order.
    pub fn subscribe_blocks(&self) -> broadcast::Receiver<Arc<CommittedBlock>> {
        self.blocks.subscribe()
    }

    /// Asks the loop to build a block now (`evm_mine`).
    pub fn request_block(&self) {
        self.mine_now.notify_one();
    }

    /// Builds blocks every `block_time` (or when asked) until `shutdown` turns true.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let mut next = Instant::now() + self.config.block_time;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(next.into()) => {}
                _ = self.mine_now.notified() => {}
                _ = shutdown.changed() => break,
            }
            if *shutdown.borrow() {
                break;
            }
            let this = self.clone();
            match tokio::task::spawn_blocking(move || this.build_block()).await {
                Ok(Ok(block)) => {
                    tracing::debug!(target: "sequencer", number = block.block.header.number, "built block")
                }
                Ok(Err(error)) => tracing::error!(target: "sequencer", %error, "block building failed"),
                Err(error) => tracing::error!(target: "sequencer", %error, "block builder panicked"),
            }
            // Keep the cadence: the next slot is one block time after the previous slot.
            next += self.config.block_time;
            let now = Instant::now();
            if next < now {
                next = now + self.config.block_time;
            }
        }
        tracing::info!(target: "sequencer", "block production stopped");
    }

    /// Builds, seals and commits one block on top of the head.
    pub fn build_block(&self) -> Result<Arc<CommittedBlock>, SequencerError> {
        let _building = self.building.lock();
        let started = Instant::now();
        let (parent, parent_hash, previous_l1) = {
            let head = self.head.read();
            (head.header.clone(), head.hash, head.l1.clone())
        };
        let number = parent.number + 1;
        let timestamp = now_secs().max(parent.timestamp);
        let base_fee =
            self.chain.next_base_fee(parent.gas_used, parent.gas_limit, parent.base_fee_per_gas.unwrap_or_default());
        let l1 = L1Info::dev(timestamp, self.chain.genesis_timestamp, previous_l1.as_ref());
        let extra_data = holocene_extra_data(&self.chain);
        let mut header = Header {
            parent_hash,
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: SEQUENCER_FEE_VAULT,
            number,
            gas_limit: self.chain.gas_limit,
            timestamp,
            extra_data: extra_data.clone(),
            mix_hash: keccak256([l1.hash.as_slice(), &number.to_be_bytes()].concat()),
            base_fee_per_gas: Some(base_fee),
            blob_gas_used: Some(0),
            excess_blob_gas: Some(0),
            parent_beacon_block_root: Some(B256::ZERO),
            requests_hash: self.chain.is_isthmus().then_some(EMPTY_REQUESTS_HASH),
            ..Default::default()
        };
        let spec = self.evm.spec_at(timestamp);
        let env = self.evm.evm_env(&header);
        let factory = self.evm.executor_factory();

        let state = self.store.state(StateAt::Latest)?;
        self.pool.reconcile(|sender| state.account(sender).ok().map(|a| a.map_or(0, |a| a.nonce)));
        let mut db = State::builder().with_database_ref(state).with_bundle_update().build();
        let evm = factory.evm_factory().create_evm(&mut db, env);
        let ctx = OpBlockExecutionCtx { parent_hash, parent_beacon_block_root: Some(B256::ZERO), extra_data };
        let mut executor = factory.create_executor(evm, ctx);
        executor.apply_pre_execution_changes()?;

        let mut transactions: Vec<Bytes> = Vec::new();
        let mut senders: Vec<Address> = Vec::new();
        let mut tx_hashes: Vec<B256> = Vec::new();

        // 1. The L1-attributes deposit always comes first.
        let deposit = OpTxEnvelope::Deposit(Sealed::new(l1.deposit_tx()));
        let encoded: Bytes = deposit.encoded_2718().into();
        tx_hashes.push(deposit.tx_hash());
        executor
            .execute_transaction(WithEncoded::new(
                encoded.clone(),
                Recovered::new_unchecked(deposit, DEPOSITOR_ACCOUNT),
            ))
            .map_err(|e| SequencerError::L1InfoDeposit(e.to_string()))?;
        transactions.push(encoded);
        senders.push(DEPOSITOR_ACCOUNT);

        // 2. Pool transactions by tip.
        let mut gas_used: u64 = 0;
        let mut best = self.pool.best(base_fee);
        let mut dropped = 0usize;
        while let Some(pooled) = best.next() {
            if gas_used + pooled.gas_limit > header.gas_limit {
                best.skip_sender(&pooled.sender);
                continue;
            }
            let recovered = Recovered::new_unchecked((*pooled.tx).clone(), pooled.sender);
            match executor.execute_transaction(WithEncoded::new(pooled.encoded.clone(), recovered)) {
                Ok(output) => {
                    gas_used += output.tx_gas_used();
                    transactions.push(pooled.encoded.clone());
                    senders.push(pooled.sender);
                    tx_hashes.push(pooled.hash);
                }
                Err(BlockExecutionError::Validation(error)) => {
                    // Invalid against the current state (nonce, balance after base-fee change…):
                    // it can never run as it is, and nor can the sender's later nonces yet.
                    if let BlockValidationError::InvalidTx { .. } = &error {
                        tracing::debug!(target: "sequencer", hash = %pooled.hash, %error, "dropping invalid transaction");
                        self.pool.remove_invalid(&pooled.hash);
                        dropped += 1;
                    }
                    best.skip_sender(&pooled.sender);
                }
                Err(error) => return Err(error.into()),
            }
        }

        let (evm, result) = executor.finish()?;
        let executed = started.elapsed();
        let mut l1_block_info = evm.ctx().chain.clone();
        drop(evm);
        db.merge_transitions(BundleRetention::Reverts);
        let bundle = db.take_bundle();

        // L1 fee fields for receipts, from the L1 info this block's deposit wrote.
        let meta = BlockMeta {
            l1_base_fee: l1_block_info.l1_base_fee,
            l1_blob_base_fee: l1_block_info.l1_blob_base_fee.unwrap_or_default(),
            l1_base_fee_scalar: l1_block_info.l1_base_fee_scalar,
            l1_blob_base_fee_scalar: l1_block_info.l1_blob_base_fee_scalar.unwrap_or_default(),
            operator_fee_scalar: l1_block_info.operator_fee_scalar.unwrap_or_default(),
            operator_fee_constant: l1_block_info.operator_fee_constant.unwrap_or_default(),
            txs: transactions
                .iter()
                .map(|raw| {
                    l1_block_info.clear_tx_l1_cost();
                    let l1_fee = l1_block_info.calculate_tx_l1_cost(raw, spec);
                    let l1_gas_used =
                        if raw.first() == Some(&0x7e) { U256::ZERO } else { l1_block_info.data_gas(raw, spec) };
                    TxMeta { l1_fee, l1_gas_used }
                })
                .collect(),
        };

        let prepared = self.store.prepare_state(&bundle, number)?;
        let rooted = started.elapsed();
        header.state_root = prepared.state_root;
        header.withdrawals_root = Some(match prepared.storage_roots.get(&L2_TO_L1_MESSAGE_PASSER) {
            Some(root) => *root,
            None => self.store.storage_root(&L2_TO_L1_MESSAGE_PASSER)?,
        });
        header.gas_used = result.gas_used;
        header.transactions_root = ordered_trie_root_with_encoder(&transactions, |tx, buf| buf.extend_from_slice(tx));
        header.receipts_root = ordered_trie_root_with_encoder(&result.receipts, |r, buf| r.encode_2718(buf));
        let mut bloom = Bloom::default();
        for receipt in &result.receipts {
            bloom.accrue_bloom(&receipt.bloom());
        }
        header.logs_bloom = bloom;
        let hash = header.hash_slow();

        let block = StoredBlock { header: header.clone(), hash, transactions, senders };
        let receipts_raw = result.receipts.iter().map(|r| Bytes::from(r.encoded_2718())).collect();
        self.store.commit_block(
            BlockCommit { block: block.clone(), receipts: receipts_raw, tx_hashes: tx_hashes.clone(), meta },
            prepared,
        )?;

        // Publish the new head first, then tell the pool the senders' new nonces so mined
        // transactions leave it (admissions read the head to validate nonces).
        {
            let mut head = self.head.write();
            head.header = header;
            head.hash = hash;
            head.l1 = Some(l1);
        }
        let nonces: Vec<(Address, u64)> = block.senders[1..]
            .iter()
            .filter_map(|sender| {
                bundle.state.get(sender).and_then(|a| a.info.as_ref()).map(|info| (*sender, info.nonce))
            })
            .collect();
        self.pool.on_block(nonces);
        let committed = Arc::new(CommittedBlock { block, receipts: result.receipts, tx_hashes });
        let _ = self.blocks.send(committed.clone());

        let txs = committed.tx_hashes.len() - 1;
        metrics::counter!("bai_blocks_total").increment(1);
        metrics::counter!("bai_transactions_total").increment(txs as u64);
        metrics::counter!("bai_gas_used_total").increment(result.gas_used);
        metrics::gauge!("bai_head_block").set(number as f64);
        metrics::gauge!("bai_mempool_transactions").set(self.pool.len() as f64);
        let elapsed = started.elapsed();
        metrics::histogram!("bai_block_build_seconds").record(elapsed.as_secs_f64());
        metrics::histogram!("bai_block_execution_seconds").record(executed.as_secs_f64());
        metrics::histogram!("bai_block_state_root_seconds").record((rooted - executed).as_secs_f64());
        if txs > 0 || dropped > 0 {
            tracing::info!(
                target: "sequencer",
                number, %hash, txs, dropped, gas = result.gas_used,
                execution = ?executed, state_root = ?(rooted - executed), commit = ?(elapsed - rooted),
                "sealed block"
            );
        }
        Ok(committed)
    }
}
