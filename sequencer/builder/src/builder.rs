//! Building, sealing and committing blocks, and the block-time loop.

use crate::{
    genesis::{holocene_extra_data, init_genesis},
    l1::{Epoch, PayloadAttributes},
};
use alloy::{
    consensus::{
        EMPTY_OMMER_ROOT_HASH, Header, Sealed, Transaction as _, TxReceipt,
        proofs::ordered_trie_root_with_encoder,
        transaction::{Recovered, SignerRecoverable},
    },
    eips::{Decodable2718, Encodable2718, eip2718::WithEncoded, eip7685::EMPTY_REQUESTS_HASH},
    primitives::{Address, B256, Bloom, Bytes, U256, keccak256},
};
use alloy_evm::block::{
    BlockExecutionError, BlockExecutor, BlockExecutorFactory, BlockValidationError, InternalBlockExecutionError,
};
use alloy_op_evm::OpBlockExecutionCtx;
use bai_chainspec::{
    ChainSpec,
    predeploys::{DEPOSITOR_ACCOUNT, L2_TO_L1_MESSAGE_PASSER, SEQUENCER_FEE_VAULT, WITNESS_STORE},
};
use bai_evm::{BaiEvmConfig, InferenceMode, L1Info};
use bai_pool::TxPool;
use bai_precompiles::{AuditedCall, InferenceBackend, WitnessSet, witness::is_witness_deposit};
use bai_storage::{BlockCommit, BlockMeta, Prefetch, StateAt, StorageError, Store, StoredBlock, TxMeta};
use op_alloy::consensus::{OpReceiptEnvelope, OpTxEnvelope, TxDeposit};
use op_revm::{L1BlockInfo, OpTransactionError};
use parking_lot::{Mutex, RwLock};
use revm::{
    context::result::EVMError,
    database::{BundleState, State, states::bundle_state::BundleRetention},
};
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use tokio::sync::{Notify, broadcast, watch};

/// Errors of the sequencer.
#[derive(Debug, thiserror::Error)]
pub enum SequencerError {
    /// Reading or writing the store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The block executor failed outside any one transaction (system calls, finishing the block).
    #[error("block execution failed: {0}")]
    Execution(#[from] BlockExecutionError),
    /// The block's L1-attributes deposit (its first transaction) failed to execute.
    #[error("the L1-attributes deposit failed: {0}")]
    L1InfoDeposit(String),
    /// The deposit recording the block's inference witnesses failed to execute.
    #[error("the inference witness deposit failed: {0}")]
    WitnessDeposit(String),
    /// A block from elsewhere was rejected.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The blocking task building a block panicked or was cancelled.
    #[error("block builder task failed")]
    Task(#[from] tokio::task::JoinError),
    /// The block gate (a sequencer cluster's commit rule) did not publish the sealed block, so it
    /// was discarded.
    #[error("block {number} discarded: {source}")]
    Gate {
        /// The discarded block's number.
        number: u64,
        /// Why.
        #[source]
        source: crate::GateError,
    },
}

/// The L1 origin the block at `number` was built on, from its L1-attributes deposit (none at genesis).
fn head_l1_origin(store: &Store, number: u64) -> Result<Option<L1Info>, SequencerError> {
    if number == 0 {
        return Ok(None);
    }
    let block = store.block(number)?.ok_or(StorageError::UnknownBlock(number))?;
    Ok(L1Info::from_block_transactions(&block.transactions))
}

/// Why a block from elsewhere (a replica's source, L1 derivation) was rejected. Nothing is written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("block {number} does not extend the head ({head_number} {head_hash})")]
    /// The block's parent is not the current head.
    NotNext {
        /// Number of the rejected block.
        number: u64,
        /// Number of the head it should have extended.
        head_number: u64,
        /// Hash of that head.
        head_hash: B256,
    },
    #[error("transaction {index} does not decode: {reason}")]
    /// A transaction does not decode as EIP-2718 or its signature does not recover.
    BadTransaction {
        /// Position of the transaction in the block.
        index: usize,
        /// The decoding or recovery error.
        reason: String,
    },
    #[error("invalid inference witness deposit: {0}")]
    /// The witness deposit (after the L1-attributes deposit) does not decode strictly, or differs in
    /// any field from the deposit the sequencer builds for those witnesses in this block.
    BadWitnesses(String),
    #[error("transaction {index} failed: {reason}")]
    /// A transaction of the block is invalid against the parent state (nonce, balance, gas…).
    Execution {
        /// Position of the transaction in the block.
        index: usize,
        /// The execution error.
        reason: String,
    },
    #[error("{field} mismatch: header has {expected}, execution gives {actual}")]
    /// Re-executing the block gives a header field (a root, gas used, bloom) other than the one it carries.
    Mismatch {
        /// The header field that differs.
        field: &'static str,
        /// The value the imported header has.
        expected: String,
        /// The value execution gives.
        actual: String,
    },
}

/// Sequencer settings.
#[derive(Debug, Clone)]
pub struct SequencerConfig {
    /// Time between blocks. Sub-second block times give blocks that share a timestamp.
    pub block_time: Duration,
    /// Where AI precompile calls are answered while sequencing; `None` makes them revert.
    pub inference: Option<Arc<dyn InferenceBackend>>,
    /// Where L1 origins and deposits come from ([`crate::DevL1`] without an L1).
    pub l1: Arc<dyn crate::L1OriginSource>,
    /// Test-only misbehaviour: never adopt an L1 origin that carries deposits, i.e. censor them.
    /// Exists so the forced-inclusion path (sequencing window, deposit-only blocks, the sequencer's
    /// own recovery) can be exercised end to end; never set it on a real network.
    pub censor_deposits: bool,
    /// Where the zk proof verifier keeps the generators it derives (`None`: in memory only).
    pub zk_cache: Option<std::path::PathBuf>,
}

impl SequencerConfig {
    /// A dev-L1 sequencer with `block_time` and no inference.
    pub fn new(block_time: Duration) -> Self {
        Self { block_time, inference: None, l1: Arc::new(crate::DevL1), censor_deposits: false, zk_cache: None }
    }
}

/// What [`Sequencer::apply_derived`] did.
#[derive(Debug)]
pub enum Derived {
    /// The chain already had this block (the sequencer built it and it was posted faithfully).
    Confirmed(B256),
    /// The block was executed, after removing `rewound` blocks that L1 did not confirm.
    Executed {
        /// The block as committed.
        block: Arc<CommittedBlock>,
        /// How many blocks were rewound before it (0 if it extended the head).
        rewound: usize,
    },
}

/// A block the sequencer committed, as subscriptions see it.
#[derive(Debug, Clone)]
pub struct CommittedBlock {
    /// The block as stored: header, hash, transactions and senders.
    pub block: StoredBlock,
    /// Receipts of its transactions, in block order.
    pub receipts: Vec<OpReceiptEnvelope>,
    /// Hashes of its transactions, in block order.
    pub tx_hashes: Vec<B256>,
}

#[derive(Clone)]
struct Head {
    header: Header,
    hash: B256,
    l1: Option<L1Info>,
}

/// Makes a written block public: the head that RPC and admission read moves to it and block
/// subscribers get it. Runs only once the block's write has landed (see `bai_storage`'s `persist`).
struct Announcement {
    head: Arc<RwLock<Head>>,
    blocks: broadcast::Sender<Arc<CommittedBlock>>,
    block: Head,
    committed: Arc<CommittedBlock>,
}

impl Announcement {
    fn announce(self) {
        *self.head.write() = self.block;
        let _ = self.blocks.send(self.committed);
    }
}

/// The sequencer of one chain.
pub struct Sequencer {
    chain: Arc<ChainSpec>,
    evm: BaiEvmConfig,
    store: Arc<Store>,
    pool: Arc<TxPool>,
    config: SequencerConfig,
    /// The newest written block: what RPC, admission and the batcher see as the head.
    head: Arc<RwLock<Head>>,
    /// The block the next one builds on: the head, or a sealed block whose write is in flight.
    tip: RwLock<Head>,
    /// Serialises block building (the loop and on-demand `evm_mine`).
    building: Mutex<()>,
    blocks: broadcast::Sender<Arc<CommittedBlock>>,
    mine_now: Notify,
    /// Most pool-transaction bytes per block (0: no limit); the batcher lowers it while DA lags.
    max_block_tx_bytes: AtomicU64,
    /// Highest block derived from (or confirmed by) L1; set by derivation.
    safe: AtomicU64,
    /// How many times the chain was rewound (an L2 reorg); the batcher re-posts after one.
    reorgs: AtomicU64,
    /// L1 fee parameters of one block (the head, in practice), for admission's L1 data fee.
    pub(crate) l1_fees: RwLock<Option<(u64, op_revm::L1BlockInfo)>>,
    /// Publishes each block this node builds before it is committed (a sequencer cluster).
    gate: std::sync::OnceLock<Arc<dyn crate::BlockGate>>,
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
        let l1 = head_l1_origin(&store, number)?;
        let (blocks, _) = broadcast::channel(256);
        Ok(Arc::new(Self {
            evm: match &config.zk_cache {
                Some(dir) => BaiEvmConfig::new(chain.clone())
                    .with_proof_verifier(Arc::new(bai_evm::ZkProofs::with_cache(dir.clone()))),
                None => BaiEvmConfig::new(chain.clone()),
            },
            chain,
            store,
            pool,
            config,
            tip: RwLock::new(Head { header: header.clone(), hash, l1: l1.clone() }),
            head: Arc::new(RwLock::new(Head { header, hash, l1 })),
            building: Mutex::new(()),
            blocks,
            mine_now: Notify::new(),
            max_block_tx_bytes: AtomicU64::new(0),
            safe: AtomicU64::new(0),
            reorgs: AtomicU64::new(0),
            l1_fees: RwLock::new(None),
            gate: std::sync::OnceLock::new(),
        }))
    }

    /// The chain spec the sequencer builds for.
    pub fn chain(&self) -> &Arc<ChainSpec> {
        &self.chain
    }

    /// The EVM configuration blocks are executed with.
    pub fn evm_config(&self) -> &BaiEvmConfig {
        &self.evm
    }

    /// The store blocks are committed to.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The transaction pool blocks are built from.
    pub fn pool(&self) -> &Arc<TxPool> {
        &self.pool
    }

    /// The L1 origin of the head block (`None` at genesis).
    pub fn l1_origin(&self) -> Option<L1Info> {
        self.head.read().l1.clone()
    }

    /// Puts `gate` between sealing and committing every block this node builds (not blocks it imports
    /// or derives). Set once, before blocks are built; a second gate is refused.
    pub fn set_block_gate(&self, gate: Arc<dyn crate::BlockGate>) -> Result<(), Arc<dyn crate::BlockGate>> {
        self.gate.set(gate)
    }

    /// The settings the sequencer was created with.
    pub fn config(&self) -> &SequencerConfig {
        &self.config
    }

    /// The head header and its hash: the newest block written and announced (a block sealed since
    /// may still be writing, see [`Self::build_block_pipelined`]).
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

    /// Limits the pool-transaction bytes of each block built from now on (`None`: no limit).
    pub fn set_max_block_tx_bytes(&self, limit: Option<u64>) {
        let limit = limit.unwrap_or(0);
        if self.max_block_tx_bytes.swap(limit, Ordering::Relaxed) != limit {
            tracing::info!(target: "sequencer", limit, "block data limit changed (0: none)");
        }
    }

    /// The highest block L1 derivation produced or confirmed (0 until derivation runs).
    pub fn safe_head(&self) -> u64 {
        self.safe.load(Ordering::Acquire)
    }

    /// Records `number` as the highest block L1 derivation produced or confirmed.
    pub fn set_safe_head(&self, number: u64) {
        self.safe.store(number, Ordering::Release);
    }

    /// How many L2 reorgs ([`Self::rewind_to`]) this sequencer went through since it started.
    pub fn reorgs(&self) -> u64 {
        self.reorgs.load(Ordering::Acquire)
    }

    /// Removes every block above `number` (an L2 reorg: unsafe blocks L1 derivation replaces) and
    /// makes `number` the head. Each block is unwound in one atomic write, so a crash midway leaves a
    /// consistent shorter chain. The removed blocks' user transactions are offered to the pool again.
    pub fn rewind_to(&self, number: u64) -> Result<Vec<StoredBlock>, SequencerError> {
        let _building = self.building.lock();
        self.store.wait_persisted()?;
        let removed = self.rewind_locked(number)?;
        self.return_to_pool(&removed);
        Ok(removed)
    }

    /// Offers the user transactions of rewound blocks to the pool again, oldest first, as geth does
    /// after a reorg: a transaction that got a receipt in a block L1 did not keep is not lost. The
    /// pool's admission decides; the ones the new chain already includes fail its nonce check and
    /// are dropped, as are ones no longer valid.
    fn return_to_pool(&self, removed: &[StoredBlock]) {
        let (mut returned, mut dropped) = (0u64, 0u64);
        for block in removed.iter().rev() {
            for raw in &block.transactions {
                let is_deposit = OpTxEnvelope::decode_2718(&mut raw.as_ref()).map_or(true, |tx| tx.is_deposit());
                if is_deposit {
                    continue;
                }
                match self.submit_transaction(raw.clone()) {
                    Ok(_) => returned += 1,
                    Err(_) => dropped += 1,
                }
            }
        }
        if returned + dropped > 0 {
            metrics::counter!("bai_pool_reorg_returned_total").increment(returned);
            tracing::info!(target: "sequencer", returned, dropped, "transactions of rewound blocks offered to the pool again");
        }
    }

    fn rewind_locked(&self, number: u64) -> Result<Vec<StoredBlock>, SequencerError> {
        let mut removed = Vec::new();
        while self.store.head_number().is_some_and(|head| head > number) {
            removed.push(self.store.unwind_head()?);
        }
        let header = self.store.header(number)?.ok_or(StorageError::UnknownBlock(number))?;
        let hash = self.store.block_hash(number)?.ok_or(StorageError::UnknownBlock(number))?;
        let l1 = head_l1_origin(&self.store, number)?;
        let head = Head { header, hash, l1 };
        *self.tip.write() = head.clone();
        *self.head.write() = head;
        self.reorgs.fetch_add(1, Ordering::AcqRel);
        metrics::counter!("bai_l2_reorgs_total").increment(1);
        metrics::counter!("bai_l2_reorged_blocks_total").increment(removed.len() as u64);
        tracing::warn!(target: "sequencer", head = number, %hash, removed = removed.len(), "L2 reorg: rewound the chain");
        Ok(removed)
    }

    /// Asks the loop to build a block now (`evm_mine`).
    pub fn request_block(&self) {
        self.mine_now.notify_one();
    }

    /// Builds blocks every `block_time` (or when asked) until `shutdown` turns true. A slot whose
    /// block fails to build is skipped (logged); a storage failure or a panicking builder ends the
    /// loop with that error, since no later block could be committed either.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) -> Result<(), SequencerError> {
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
            match tokio::task::spawn_blocking(move || this.build_block_pipelined()).await {
                Ok(Ok(block)) => {
                    tracing::debug!(target: "sequencer", number = block.block.header.number, "built block")
                }
                Ok(Err(error @ SequencerError::Storage(_))) => return Err(error),
                Ok(Err(error @ SequencerError::Gate { .. })) => {
                    tracing::warn!(target: "sequencer", %error, "sealed block not published: nothing committed")
                }
                Ok(Err(error)) => tracing::error!(target: "sequencer", %error, "block building failed"),
                Err(error) => return Err(error.into()),
            }
            // Keep the cadence: the next slot is one block time after the previous slot.
            next += self.config.block_time;
            let now = Instant::now();
            if next < now {
                next = now + self.config.block_time;
            }
        }
        // The last sealed block lands before the node stops.
        self.store.wait_persisted()?;
        tracing::info!(target: "sequencer", "block production stopped");
        Ok(())
    }

    /// Builds, seals and commits one block on top of the head.
    ///
    /// A block whose transactions called AI models is built twice: first asking the inference
    /// backend and collecting its answers, then again from scratch with those answers recorded by a
    /// witness deposit right after the L1-attributes deposit, answering only from them, exactly as
    /// every replaying node will.
    /// Returns once the block is written and announced.
    pub fn build_block(&self) -> Result<Arc<CommittedBlock>, SequencerError> {
        let block = self.build_block_pipelined()?;
        self.store.wait_persisted()?;
        Ok(block)
    }

    /// [`Self::build_block`], returning once the block is sealed: its write runs on another thread
    /// while the next block executes on it, and it is announced (head, receipts, subscriptions) once
    /// the write has landed, so a crash never takes back a block anyone was told of. Its transactions
    /// leave the pool at once. Fails if the previous block's write failed (restart the node).
    pub fn build_block_pipelined(&self) -> Result<Arc<CommittedBlock>, SequencerError> {
        let _building = self.building.lock();
        let started = Instant::now();
        let (parent, parent_hash, previous_l1) = {
            let head = self.tip.read();
            (head.header.clone(), head.hash, head.l1.clone())
        };
        let number = parent.number + 1;
        let timestamp = now_secs().max(parent.timestamp);
        let mut epoch = self.config.l1.next_epoch(timestamp, self.chain.genesis_timestamp, previous_l1.as_ref());
        if self.config.censor_deposits
            && !epoch.deposits.is_empty()
            && let Some(previous) = &previous_l1
        {
            tracing::warn!(target: "sequencer", l1 = epoch.info.number, deposits = epoch.deposits.len(), "censoring: not adopting an L1 origin with deposits");
            epoch = Epoch {
                info: L1Info { sequence_number: previous.sequence_number + 1, ..previous.clone() },
                deposits: Vec::new(),
            };
        }
        let Epoch { info: l1, deposits: l1_deposits } = epoch;
        let header = self.next_header(&parent, parent_hash, timestamp, &l1);

        let state = self.store.state(StateAt::Latest)?;
        self.pool.reconcile(|sender| state.account(sender).ok().map(|a| a.map_or(0, |a| a.nonce)));
        let l1_deposit = Candidate::system(OpTxEnvelope::Deposit(Sealed::new(l1.deposit_tx())));
        // User deposits follow the system deposits; a deposit from L1 is always included.
        let user_deposits: Vec<Candidate> =
            l1_deposits.into_iter().map(|d| Candidate::system(OpTxEnvelope::Deposit(Sealed::new(d)))).collect();
        if !user_deposits.is_empty() {
            tracing::info!(target: "sequencer", number, l1_origin = l1.number, deposits = user_deposits.len(), "including L1 deposits");
            metrics::counter!("bai_l1_deposits_included_total").increment(user_deposits.len() as u64);
        }

        let collected = Arc::new(Mutex::new(WitnessSet::default()));
        let mode = match &self.config.inference {
            Some(backend) => InferenceMode::Sequencing { backend: backend.clone(), collected: collected.clone() },
            None => InferenceMode::Disabled,
        };
        let system: Vec<Candidate> = std::iter::once(l1_deposit.clone()).chain(user_deposits.iter().cloned()).collect();
        let base_fee = header.base_fee_per_gas.unwrap_or_default();
        let first = self.execute(&header, system, TxSource::Pool(base_fee), mode, false)?;
        let witnesses = std::mem::take(&mut *collected.lock());
        let executed = if witnesses.is_empty() {
            first
        } else {
            let count = witnesses.len();
            let deposit = Candidate::system(witness_deposit(number, parent_hash, &witnesses));
            let included = first.included;
            let rebuilt = self.execute(
                &header,
                [l1_deposit, deposit].into_iter().chain(user_deposits).collect(),
                TxSource::Fixed(&included),
                InferenceMode::Replay(Arc::new(witnesses)),
                false,
            )?;
            tracing::debug!(target: "sequencer", number, witnesses = count, "recorded inference witnesses");
            metrics::counter!("bai_inference_witnesses_total").increment(count as u64);
            rebuilt
        };
        self.seal(header, executed, None, Some(l1), started, Seal::Build)
    }

    /// The header template of the child of `parent` (everything but what execution fills in): a
    /// pure function of the parent, the timestamp and the L1 origin, so a verifier deriving the
    /// block from L1 gets the sequencer's header.
    fn next_header(&self, parent: &Header, parent_hash: B256, timestamp: u64, l1: &L1Info) -> Header {
        let number = parent.number + 1;
        let base_fee =
            self.chain.next_base_fee(parent.gas_used, parent.gas_limit, parent.base_fee_per_gas.unwrap_or_default());
        Header {
            parent_hash,
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: SEQUENCER_FEE_VAULT,
            number,
            gas_limit: self.chain.gas_limit,
            timestamp,
            extra_data: holocene_extra_data(&self.chain),
            mix_hash: keccak256([l1.hash.as_slice(), &number.to_be_bytes()].concat()),
            base_fee_per_gas: Some(base_fee),
            blob_gas_used: Some(0),
            excess_blob_gas: Some(0),
            parent_beacon_block_root: Some(B256::ZERO),
            requests_hash: self.chain.is_isthmus().then_some(EMPTY_REQUESTS_HASH),
            ..Default::default()
        }
    }

    /// Executes and commits the block L1 derivation produced on top of the head: the L1-attributes
    /// deposit for `attributes.l1`, the batch's witness deposit (if its first transaction is one),
    /// the epoch's user deposits, then the batch's transactions. A batch whose transactions do not
    /// all execute validly (or that smuggles in other deposits) yields a deposit-only block, as
    /// OP's Holocene rules do, so a bad batch can never stall the chain.
    pub fn derive_block(&self, attributes: PayloadAttributes) -> Result<Arc<CommittedBlock>, SequencerError> {
        let _building = self.building.lock();
        self.store.wait_persisted()?;
        self.derive_locked(attributes)
    }

    /// Makes `attributes` the block after `parent` (derivation's safe head), atomically with respect
    /// to block building: when the chain already has that block and it matches, it is only
    /// confirmed; otherwise the blocks above `parent` are removed (an L2 reorg) and the derived
    /// block is executed in their place.
    pub fn apply_derived(&self, parent: u64, attributes: PayloadAttributes) -> Result<Derived, SequencerError> {
        let _building = self.building.lock();
        self.store.wait_persisted()?;
        let parent_hash = self.store.block_hash(parent)?.ok_or(StorageError::UnknownBlock(parent))?;
        let mut removed = Vec::new();
        if let Some(existing) = self.store.block(parent + 1)? {
            if Self::block_matches(&existing, parent_hash, &attributes) {
                return Ok(Derived::Confirmed(existing.hash));
            }
            tracing::warn!(
                target: "sequencer", number = parent + 1, local = %existing.hash,
                "L1 derives a different block than this chain has"
            );
            removed = self.rewind_locked(parent)?;
        } else {
            // No block above `parent`, so the head must be `parent` (derivation never asks for more).
            let head = self.tip.read();
            if head.hash != parent_hash {
                let (head_number, head_hash) = (head.header.number, head.hash);
                return Err(ImportError::NotNext { number: parent + 1, head_number, head_hash }.into());
            }
        }
        let block = self.derive_locked(attributes)?;
        if let Some(gate) = self.gate.get() {
            // L1 made a block this cluster did not publish: the leader re-bases the published chain
            // on it (standbys derive it themselves and are fenced here).
            match gate.publish_derived(&block.block) {
                Ok(()) | Err(crate::GateError::Fenced(_)) => {}
                Err(error) => tracing::warn!(
                    target: "sequencer", number = block.block.header.number, %error,
                    "the derived block could not be published; standbys derive it from L1"
                ),
            }
        }
        // After the derived block: what it includes again is then refused as already mined.
        self.return_to_pool(&removed);
        Ok(Derived::Executed { block, rewound: removed.len() })
    }

    fn derive_locked(&self, attributes: PayloadAttributes) -> Result<Arc<CommittedBlock>, SequencerError> {
        let started = Instant::now();
        let (parent, parent_hash) = {
            let head = self.tip.read();
            (head.header.clone(), head.hash)
        };
        let PayloadAttributes { timestamp, l1, deposits, transactions } = attributes;
        let header = self.next_header(&parent, parent_hash, timestamp, &l1);
        let mut system = vec![Candidate::system(OpTxEnvelope::Deposit(Sealed::new(l1.deposit_tx())))];
        let mut witnesses = WitnessSet::default();
        let mut user = Vec::with_capacity(transactions.len());
        let mut valid = true;
        for (index, raw) in transactions.into_iter().enumerate() {
            let Ok(tx) = OpTxEnvelope::decode_2718(&mut raw.as_ref()) else {
                valid = false;
                break;
            };
            if index == 0 && is_witness_deposit(&tx) {
                match checked_witnesses(&tx, header.number, parent_hash) {
                    Ok(set) => witnesses = set,
                    Err(_) => {
                        valid = false;
                        break;
                    }
                }
                system.push(Candidate::system(tx));
                continue;
            }
            let sender = match &tx {
                OpTxEnvelope::Deposit(_) => None,
                other => other.recover_signer().ok(),
            };
            let Some(sender) = sender else {
                valid = false;
                break;
            };
            user.push(Candidate::new(tx, sender, raw));
        }
        let deposits: Vec<Candidate> =
            deposits.into_iter().map(|d| Candidate::system(OpTxEnvelope::Deposit(Sealed::new(d)))).collect();
        let with_batch = |system: &[Candidate]| system.iter().cloned().chain(deposits.iter().cloned()).collect();
        let executed = if valid {
            let executed = self.execute(
                &header,
                with_batch(&system),
                TxSource::Fixed(&user),
                InferenceMode::Replay(Arc::new(witnesses)),
                true,
            );
            match executed {
                Ok(executed) if executed.included.len() == user.len() => Some(executed),
                Ok(_) | Err(SequencerError::Import(_)) => None,
                Err(error) => return Err(error),
            }
        } else {
            None
        };
        let executed = match executed {
            Some(executed) => executed,
            None => {
                tracing::warn!(target: "sequencer", number = header.number, "invalid batch: deriving a deposit-only block");
                metrics::counter!("bai_derivation_invalid_batches_total").increment(1);
                self.execute(
                    &header,
                    with_batch(&system[..1]),
                    TxSource::Fixed(&[]),
                    InferenceMode::Replay(Arc::new(WitnessSet::default())),
                    true,
                )?
            }
        };
        self.seal(header, executed, None, Some(l1), started, Seal::Import)
    }

    /// Whether `block` is exactly what [`Self::derive_block`] makes of `attributes` on `parent_hash`:
    /// same parent, timestamp, L1-attributes deposit, witness deposit, L1 deposits and transactions.
    /// Derivation uses it to confirm a block the sequencer built instead of executing it again.
    pub fn block_matches(block: &StoredBlock, parent_hash: B256, attributes: &PayloadAttributes) -> bool {
        let encode = |tx: &TxDeposit| Bytes::from(OpTxEnvelope::Deposit(Sealed::new(tx.clone())).encoded_2718());
        let mut expected = vec![encode(&attributes.l1.deposit_tx())];
        let mut transactions = attributes.transactions.iter();
        let first = attributes.transactions.first();
        if let Some(first) = first
            && OpTxEnvelope::decode_2718(&mut first.as_ref()).is_ok_and(|tx| is_witness_deposit(&tx))
        {
            expected.push(first.clone());
            transactions.next();
        }
        expected.extend(attributes.deposits.iter().map(encode));
        expected.extend(transactions.cloned());
        block.header.parent_hash == parent_hash
            && block.header.timestamp == attributes.timestamp
            && block.transactions == expected
    }

    /// Executes and commits a block built elsewhere (a replica following a sequencer, a verifier
    /// deriving from L1). AI precompile calls are answered only from the block's own witness
    /// deposit; any disagreement with the header rejects the block and writes nothing.
    pub fn import_block(
        &self,
        header: Header,
        transactions: Vec<Bytes>,
    ) -> Result<Arc<CommittedBlock>, SequencerError> {
        let _building = self.building.lock();
        self.store.wait_persisted()?;
        let started = Instant::now();
        {
            let head = self.tip.read();
            if header.parent_hash != head.hash || header.number != head.header.number + 1 {
                return Err(ImportError::NotNext {
                    number: header.number,
                    head_number: head.header.number,
                    head_hash: head.hash,
                }
                .into());
            }
        }
        // The head's L1 origin, as a restart reads it: a standby that takes over builds on it, so it
        // must be the imported block's own (not the origin this node last chose itself).
        let l1 = L1Info::from_block_transactions(&transactions);
        let mut candidates = Vec::with_capacity(transactions.len());
        for (index, raw) in transactions.into_iter().enumerate() {
            let bad = |reason: String| ImportError::BadTransaction { index, reason };
            let tx = OpTxEnvelope::decode_2718(&mut raw.as_ref()).map_err(|e| bad(e.to_string()))?;
            let sender = match &tx {
                OpTxEnvelope::Deposit(deposit) => deposit.from,
                other => other.recover_signer().map_err(|e| bad(e.to_string()))?,
            };
            candidates.push(Candidate::new(tx, sender, raw));
        }
        let witnesses = recorded_witnesses(&candidates, &header)?.unwrap_or_default();
        let executed =
            self.execute(&header, candidates, TxSource::Fixed(&[]), InferenceMode::Replay(Arc::new(witnesses)), true)?;
        self.seal(header.clone(), executed, Some(&header), l1, started, Seal::Import)
    }

    /// Re-executes committed block `number` on its parent's state, answering AI calls from its own
    /// witness deposit, and returns every call answered from a witness with the request behind it:
    /// what a challenger re-runs on its reference runtime. Writes nothing. Needs the parent's state
    /// (the state-history window, or `--archive`); a block without witnesses is not executed.
    pub fn audit_inference(&self, number: u64) -> Result<Vec<AuditedCall>, SequencerError> {
        let block = self.store.block(number)?.ok_or(StorageError::UnknownBlock(number))?;
        let mut candidates = Vec::with_capacity(block.transactions.len());
        for (index, (raw, sender)) in block.transactions.into_iter().zip(block.senders).enumerate() {
            let tx = OpTxEnvelope::decode_2718(&mut raw.as_ref())
                .map_err(|e| ImportError::BadTransaction { index, reason: e.to_string() })?;
            candidates.push(Candidate::new(tx, sender, raw));
        }
        let Some(witnesses) = recorded_witnesses(&candidates, &block.header)? else { return Ok(Vec::new()) };
        let calls = Arc::new(Mutex::new(Vec::new()));
        let mode = InferenceMode::Audit { witnesses: Arc::new(witnesses), calls: calls.clone() };
        self.execute_at(StateAt::Block(number - 1), &block.header, candidates, TxSource::Fixed(&[]), mode, true)?;
        Ok(std::mem::take(&mut *calls.lock()))
    }

    /// Runs `system` (which must all succeed) and then the transactions of `source` on the head state.
    fn execute(
        &self,
        header: &Header,
        system: Vec<Candidate>,
        source: TxSource<'_>,
        inference: InferenceMode,
        importing: bool,
    ) -> Result<Executed, SequencerError> {
        self.execute_at(StateAt::Latest, header, system, source, inference, importing)
    }

    /// [`Self::execute`] on the state after block `at` instead of the head's.
    fn execute_at(
        &self,
        at: StateAt,
        header: &Header,
        system: Vec<Candidate>,
        source: TxSource<'_>,
        inference: InferenceMode,
        importing: bool,
    ) -> Result<Executed, SequencerError> {
        let env = self.evm.evm_env(header);
        let factory = self.evm.executor_factory();
        let state = self.store.state(at)?;
        let mut db = State::builder().with_database_ref(state).with_bundle_update().build();
        let evm = self.evm.evm(&mut db, env, inference);
        let ctx = OpBlockExecutionCtx {
            parent_hash: header.parent_hash,
            parent_beacon_block_root: header.parent_beacon_block_root,
            extra_data: header.extra_data.clone(),
        };
        let mut executor = factory.create_executor(evm, ctx);
        executor.apply_pre_execution_changes()?;

        let mut out = Executed::default();
        for (index, tx) in system.into_iter().enumerate() {
            if let Err(error) = executor.execute_transaction(WithEncoded::new(tx.encoded.clone(), &tx.tx)) {
                return Err(match index {
                    _ if importing => ImportError::Execution { index, reason: error.to_string() }.into(),
                    0 => SequencerError::L1InfoDeposit(error.to_string()),
                    1 if is_witness_deposit(&tx.tx) => SequencerError::WitnessDeposit(error.to_string()),
                    _ => ImportError::Execution { index, reason: error.to_string() }.into(),
                });
            }
            out.push(&tx);
        }

        // On the head, a second thread loads the trie paths of the cold accounts execution meets while
        // the block executes, so the state root after it reads memory, not RocksDB.
        let prefetch = match at {
            StateAt::Latest => Prefetch::start(self.store.clone(), self.tip.read().header.state_root),
            StateAt::Block(_) => None,
        };
        let mut gas_used: u64 = 0;
        let mut run = |tx: Candidate, out: &mut Executed| -> Result<Option<BlockValidationError>, SequencerError> {
            if gas_used + tx.gas_limit > header.gas_limit {
                return Ok(Some(BlockValidationError::TransactionGasLimitMoreThanAvailableBlockGas {
                    transaction_gas_limit: tx.gas_limit,
                    block_available_gas: header.gas_limit - gas_used,
                }));
            }
            match executor.execute_transaction(WithEncoded::new(tx.encoded.clone(), &tx.tx)) {
                Ok(output) => {
                    gas_used += output.tx_gas_used();
                    out.push(&tx);
                    out.included.push(tx);
                    Ok(None)
                }
                Err(BlockExecutionError::Validation(error)) => Ok(Some(error)),
                // A block from elsewhere whose transaction halts the EVM (the AI precompile's verdict
                // on a witness that does not match the store, or a zk proof that does not verify) is
                // an invalid block, not a fault of this node: derivation then makes a deposit-only
                // block instead of stopping.
                Err(error) if importing && !is_storage_fault(&error) => {
                    Err(ImportError::Execution { index: out.transactions.len(), reason: error.to_string() }.into())
                }
                Err(error) => Err(error.into()),
            }
        };
        match source {
            TxSource::Pool(base_fee) => {
                let max_bytes = match self.max_block_tx_bytes.load(Ordering::Relaxed) {
                    0 => usize::MAX,
                    limit => limit as usize,
                };
                let mut bytes = 0usize;
                let mut best = self.pool.best(base_fee);
                while let Some(pooled) = best.next() {
                    if bytes + pooled.encoded.len() > max_bytes {
                        best.skip_sender(&pooled.sender);
                        continue;
                    }
                    bytes += pooled.encoded.len();
                    let candidate = Candidate {
                        tx: Recovered::new_unchecked((*pooled.tx).clone(), pooled.sender),
                        encoded: pooled.encoded.clone(),
                        hash: pooled.hash,
                        gas_limit: pooled.gas_limit,
                    };
                    let Some(error) = run(candidate, &mut out)? else { continue };
                    // Invalid against the current state (nonce, balance after base-fee change…):
                    // it can never run as it is, and nor can the sender's later nonces yet.
                    if let BlockValidationError::InvalidTx { .. } = &error {
                        tracing::debug!(target: "sequencer", hash = %pooled.hash, %error, "dropping invalid transaction");
                        self.pool.remove_invalid(&pooled.hash);
                        out.dropped += 1;
                    }
                    best.skip_sender(&pooled.sender);
                }
            }
            // A second pass over an already chosen list: whatever no longer fits waits in the pool.
            TxSource::Fixed(list) => {
                for tx in list {
                    run(tx.clone(), &mut out)?;
                }
            }
        }

        drop(prefetch);
        let (evm, result) = executor.finish()?;
        out.l1_block_info = evm.ctx().chain.clone();
        drop(evm);
        // The store records its own history from the bundle's original values: revm's reverts are unused.
        db.merge_transitions(BundleRetention::PlainState);
        out.bundle = db.take_bundle();
        out.receipts = result.receipts;
        out.gas_used = result.gas_used;
        Ok(out)
    }

    /// Computes the roots of an executed block, checks them against `expected` (imports), commits it
    /// atomically (a built block: its write overlaps the next block, see [`Seal`]), makes it the tip
    /// the next block builds on and announces it once written.
    fn seal(
        &self,
        mut header: Header,
        executed: Executed,
        expected: Option<&Header>,
        l1: Option<L1Info>,
        started: Instant,
        how: Seal,
    ) -> Result<Arc<CommittedBlock>, SequencerError> {
        let executed_at = started.elapsed();
        let number = header.number;
        let spec = self.evm.spec_at(header.timestamp);
        let Executed {
            transactions, senders, tx_hashes, receipts, gas_used, mut l1_block_info, bundle, dropped, ..
        } = executed;
        // The state root is the long pole; the block's own roots, its bloom, the L1 fee fields and the
        // stored encodings of its receipts depend only on what execution produced, so a second core
        // computes them meanwhile.
        let (prepared, body) = std::thread::scope(|scope| {
            let body = scope.spawn(|| BlockBody::new(&transactions, &receipts, &mut l1_block_info, spec));
            let prepared = self.store.prepare_state(&bundle, number);
            (prepared, body.join().expect("computing the block body's roots panicked"))
        });
        let prepared = prepared?;
        let BlockBody { meta, transactions_root, receipts_root, logs_bloom, receipts_raw, logs } = body;
        let rooted = started.elapsed();
        header.state_root = prepared.state_root;
        header.withdrawals_root = Some(match prepared.storage_roots.get(&L2_TO_L1_MESSAGE_PASSER) {
            Some(root) => *root,
            None => self.store.storage_root(&L2_TO_L1_MESSAGE_PASSER)?,
        });
        header.gas_used = gas_used;
        header.transactions_root = transactions_root;
        header.receipts_root = receipts_root;
        header.logs_bloom = logs_bloom;
        if let Some(expected) = expected {
            check_header(expected, &header)?;
        }
        let hash = header.hash_slow();

        let block = StoredBlock { header: header.clone(), hash, transactions, senders };
        // The commit rule of a cluster: published (durable where the next leader reads it) before
        // anything is committed or announced, so a block with receipts is never replaced by a failover.
        if how == Seal::Build
            && let Some(gate) = self.gate.get()
        {
            gate.publish(&block).map_err(|source| SequencerError::Gate { number, source })?;
        }
        let nonces: Vec<(Address, u64)> = block
            .senders
            .iter()
            .filter(|sender| **sender != DEPOSITOR_ACCOUNT)
            .filter_map(|sender| {
                bundle.state.get(sender).and_then(|a| a.info.as_ref()).map(|info| (*sender, info.nonce))
            })
            .collect();
        let commit =
            BlockCommit { block: block.clone(), receipts: receipts_raw, tx_hashes: tx_hashes.clone(), meta, logs };
        let committed = Arc::new(CommittedBlock { block, receipts, tx_hashes });
        let sealed = Head { header, hash, l1 };
        let announcement = Announcement {
            head: self.head.clone(),
            blocks: self.blocks.clone(),
            block: sealed.clone(),
            committed: committed.clone(),
        };
        // The next block builds on this one and its transactions leave the pool (a pooled copy would
        // fail its nonce); admission reads the accounts this block changed from its overlay until the
        // write lands (`Store::sealed_account`).
        let hand_off = |sealed: Head| {
            *self.tip.write() = sealed;
            self.pool.on_block(nonces);
        };
        match how {
            Seal::Build => {
                let staged_at = Instant::now();
                self.store.commit_block_pipelined(
                    commit,
                    prepared,
                    Box::new(move |written| {
                        if written.is_ok() {
                            metrics::histogram!("bai_block_persist_seconds").record(staged_at.elapsed().as_secs_f64());
                            announcement.announce();
                        }
                    }),
                )?;
                hand_off(sealed);
            }
            Seal::Import => {
                self.store.commit_block(commit, prepared)?;
                hand_off(sealed);
                announcement.announce();
            }
        }

        let txs = committed.tx_hashes.len() - 1;
        metrics::counter!("bai_blocks_total").increment(1);
        metrics::counter!("bai_transactions_total").increment(txs as u64);
        metrics::counter!("bai_gas_used_total").increment(gas_used);
        metrics::gauge!("bai_head_block").set(number as f64);
        metrics::gauge!("bai_mempool_transactions").set(self.pool.len() as f64);
        let elapsed = started.elapsed();
        metrics::histogram!("bai_block_build_seconds").record(elapsed.as_secs_f64());
        metrics::histogram!("bai_block_execution_seconds").record(executed_at.as_secs_f64());
        metrics::histogram!("bai_block_state_root_seconds").record((rooted - executed_at).as_secs_f64());
        if txs > 0 || dropped > 0 {
            tracing::info!(
                target: "sequencer",
                number, hash = %committed.block.hash, txs, dropped, gas = gas_used,
                execution = ?executed_at, state_root = ?(rooted - executed_at), commit = ?(elapsed - rooted),
                pipelined = how == Seal::Build, "sealed block"
            );
        }
        Ok(committed)
    }
}

/// How [`Sequencer::seal`] commits a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seal {
    /// A block this node built: published through the gate (a cluster), then written while the next
    /// block executes, and announced once written.
    Build,
    /// A block derived from L1 or imported: written, then announced, before returning.
    Import,
}

/// What a block adds besides its state, derived from its transactions and receipts alone.
struct BlockBody {
    meta: BlockMeta,
    transactions_root: B256,
    receipts_root: B256,
    logs_bloom: Bloom,
    receipts_raw: Vec<Bytes>,
    logs: Vec<(Address, Vec<B256>)>,
}

impl BlockBody {
    fn new(
        transactions: &[Bytes],
        receipts: &[OpReceiptEnvelope],
        l1: &mut L1BlockInfo,
        spec: op_revm::OpSpecId,
    ) -> Self {
        // L1 fee fields for receipts, from the L1 info this block's deposit wrote.
        let meta = BlockMeta {
            l1_base_fee: l1.l1_base_fee,
            l1_blob_base_fee: l1.l1_blob_base_fee.unwrap_or_default(),
            l1_base_fee_scalar: l1.l1_base_fee_scalar,
            l1_blob_base_fee_scalar: l1.l1_blob_base_fee_scalar.unwrap_or_default(),
            operator_fee_scalar: l1.operator_fee_scalar.unwrap_or_default(),
            operator_fee_constant: l1.operator_fee_constant.unwrap_or_default(),
            txs: transactions
                .iter()
                .map(|raw| {
                    l1.clear_tx_l1_cost();
                    let l1_fee = l1.calculate_tx_l1_cost(raw, spec);
                    let l1_gas_used = if raw.first() == Some(&0x7e) { U256::ZERO } else { l1.data_gas(raw, spec) };
                    TxMeta { l1_fee, l1_gas_used }
                })
                .collect(),
        };
        let mut logs_bloom = Bloom::default();
        for receipt in receipts {
            logs_bloom.accrue_bloom(&receipt.bloom());
        }
        let receipts_raw: Vec<Bytes> = receipts.iter().map(|r| Bytes::from(r.encoded_2718())).collect();
        Self {
            meta,
            transactions_root: ordered_trie_root_with_encoder(transactions, |tx, buf| buf.extend_from_slice(tx)),
            // The stored encodings are the EIP-2718 ones the root commits to: reuse them.
            receipts_root: ordered_trie_root_with_encoder(&receipts_raw, |r, buf| buf.extend_from_slice(r)),
            logs_bloom,
            logs: receipts.iter().flat_map(|r| r.logs()).map(|log| (log.address, log.topics().to_vec())).collect(),
            receipts_raw,
        }
    }
}

/// A transaction ready to execute.
#[derive(Debug, Clone)]
struct Candidate {
    /// The transaction with its sender (the executor borrows it: no copy per transaction).
    tx: Recovered<OpTxEnvelope>,
    encoded: Bytes,
    hash: B256,
    gas_limit: u64,
}

impl Candidate {
    fn new(tx: OpTxEnvelope, sender: Address, encoded: Bytes) -> Self {
        Self { hash: tx.tx_hash(), gas_limit: tx.gas_limit(), tx: Recovered::new_unchecked(tx, sender), encoded }
    }

    fn sender(&self) -> Address {
        self.tx.signer()
    }

    /// A deposit the sequencer places itself (system deposits, L1 deposits): its sender is the
    /// deposit's own `from`.
    fn system(tx: OpTxEnvelope) -> Self {
        let encoded: Bytes = tx.encoded_2718().into();
        let sender = match &tx {
            OpTxEnvelope::Deposit(deposit) => deposit.from,
            _ => DEPOSITOR_ACCOUNT,
        };
        Self::new(tx, sender, encoded)
    }
}

/// The witnesses a block's witness deposit records (it sits right after the L1-attributes deposit),
/// decoded strictly and checked field for field: a deposit a sequencer would not have produced
/// rejects the block.
fn recorded_witnesses(candidates: &[Candidate], header: &Header) -> Result<Option<WitnessSet>, ImportError> {
    match candidates.get(1) {
        Some(c) if is_witness_deposit(&c.tx) => checked_witnesses(&c.tx, header.number, header.parent_hash).map(Some),
        _ => Ok(None),
    }
}

/// The witnesses `tx` records, if it is exactly the deposit [`witness_deposit`] builds for them in
/// block `number` on `parent_hash`. Deposits run unsigned and may mint: only sender, target and
/// calldata format mark a witness deposit, so a batch could otherwise carry one that mints BAI,
/// moves value or reuses another block's source hash.
fn checked_witnesses(tx: &OpTxEnvelope, number: u64, parent_hash: B256) -> Result<WitnessSet, ImportError> {
    let witnesses =
        WitnessSet::from_record_calldata(tx.input()).map_err(|e| ImportError::BadWitnesses(e.to_string()))?;
    let (OpTxEnvelope::Deposit(actual), OpTxEnvelope::Deposit(expected)) =
        (tx, witness_deposit(number, parent_hash, &witnesses))
    else {
        return Err(ImportError::BadWitnesses("not a deposit transaction".into()));
    };
    let (actual, expected) = (actual.inner(), expected.inner());
    let differs = [
        ("source hash", actual.source_hash != expected.source_hash),
        ("mint", actual.mint != expected.mint),
        ("value", actual.value != expected.value),
        ("gas limit", actual.gas_limit != expected.gas_limit),
        ("system flag", actual.is_system_transaction != expected.is_system_transaction),
        ("calldata", actual.input != expected.input),
    ];
    match differs.into_iter().find(|(_, differs)| *differs) {
        Some((field, _)) => {
            Err(ImportError::BadWitnesses(format!("its {field} differs from the deposit the sequencer builds")))
        }
        None => Ok(witnesses),
    }
}

enum TxSource<'a> {
    /// Best pool transactions at this base fee.
    Pool(u64),
    /// Exactly these, in order.
    Fixed(&'a [Candidate]),
}

#[derive(Default)]
struct Executed {
    transactions: Vec<Bytes>,
    senders: Vec<Address>,
    tx_hashes: Vec<B256>,
    /// Non-system transactions that made it in, in order.
    included: Vec<Candidate>,
    receipts: Vec<OpReceiptEnvelope>,
    gas_used: u64,
    l1_block_info: L1BlockInfo,
    bundle: BundleState,
    dropped: usize,
}

impl Executed {
    fn push(&mut self, tx: &Candidate) {
        self.transactions.push(tx.encoded.clone());
        self.senders.push(tx.sender());
        self.tx_hashes.push(tx.hash);
    }
}

/// Domain of witness deposits' source hashes (OP uses 0–3 for its own deposit kinds).
const WITNESS_SOURCE_DOMAIN: u64 = 0xba1;

/// The system deposit recording `witnesses` in block `number`.
fn witness_deposit(number: u64, parent_hash: B256, witnesses: &WitnessSet) -> OpTxEnvelope {
    let inner = keccak256([parent_hash.as_slice(), &number.to_be_bytes()].concat());
    let source_hash =
        keccak256([U256::from(WITNESS_SOURCE_DOMAIN).to_be_bytes::<32>().as_slice(), inner.as_slice()].concat());
    OpTxEnvelope::Deposit(Sealed::new(TxDeposit {
        source_hash,
        from: DEPOSITOR_ACCOUNT,
        to: alloy::primitives::TxKind::Call(WITNESS_STORE),
        mint: 0,
        value: U256::ZERO,
        gas_limit: bai_precompiles::witness::record_gas_limit(witnesses),
        is_system_transaction: false,
        input: witnesses.record_calldata(),
    }))
}

fn check_header(expected: &Header, actual: &Header) -> Result<(), ImportError> {
    fn field<T: PartialEq + std::fmt::Debug>(name: &'static str, expected: T, actual: T) -> Result<(), ImportError> {
        if expected == actual {
            return Ok(());
        }
        Err(ImportError::Mismatch { field: name, expected: format!("{expected:?}"), actual: format!("{actual:?}") })
    }
    field("gas used", expected.gas_used, actual.gas_used)?;
    field("transactions root", expected.transactions_root, actual.transactions_root)?;
    field("receipts root", expected.receipts_root, actual.receipts_root)?;
    field("logs bloom", expected.logs_bloom, actual.logs_bloom)?;
    field("state root", expected.state_root, actual.state_root)?;
    field("withdrawals root", expected.withdrawals_root, actual.withdrawals_root)?;
    Ok(())
}

/// Whether a transaction's execution error is this node's storage failing (an error of its own,
/// never a verdict on the block): everything else that halts the EVM mid-block is the block's doing.
fn is_storage_fault(error: &BlockExecutionError) -> bool {
    match error {
        BlockExecutionError::Internal(InternalBlockExecutionError::EVM { error, .. }) => {
            matches!(error.downcast_ref::<EVMError<StorageError, OpTransactionError>>(), Some(EVMError::Database(_)))
        }
        BlockExecutionError::Internal(_) => true,
        BlockExecutionError::Validation(_) => false,
    }
}
