//! Derivation: the L2 chain rebuilt from L1 alone (`bai node --verifier`, and beside block building
//! in a sequencer, where it decides the safe head).
//!
//! L1 blocks are read in order. Transactions from the authorised batcher to the batch inbox carry
//! frames (in calldata, or in blobs fetched from a [`BlobSource`] and checked against their
//! versioned hashes); frames reassemble into channels, channels decompress into batches, and each
//! batch that extends the safe head with a valid L1 origin, and landed within the sequencing window
//! of that origin, becomes payload attributes (the L1-attributes deposit and the epoch's user
//! deposits come from L1 itself, never from the batch). [`Sequencer::apply_derived`] confirms the
//! block the chain already has when it matches them, or rewinds the unsafe blocks and executes them.
//!
//! Forced inclusion: once L1 passes the sequencing window of the safe head's origin, derivation
//! moves L2 on by itself with deposit-only blocks, so a sequencer cannot withhold deposits.
//!
//! Repeats are harmless: a channel seen complete is ignored when reposted, and a batch for a block
//! already derived is recognised and ignored. An L1 reorg rewinds reading to the common ancestor;
//! blocks whose batches were on the dropped L1 blocks fall back from safe to unsafe until their
//! batches land again (or the window replaces them).
//!
//! Owns: the derivation state (L1 cursor, channel bank, safe/finalized heads) and its progress file.
//! Must not touch: execution or storage (it hands attributes to the sequencer crate).

use crate::{
    batcher::batch_for_block,
    blob::{BlobSource, decode_blob},
    channel::{ChannelIn, SingularBatch},
    frame::{ChannelId, decode_tx_data},
    rollup::RollupConfig,
    watcher::{L1Block, fetch_header, read_deposits},
};
use alloy::transports::TransportError;
use alloy::{
    consensus::Transaction as _,
    eips::BlockNumberOrTag,
    primitives::{B256, Bytes},
    providers::{DynProvider, Provider, ProviderBuilder},
};
use bai_evm::L1Info;
use bai_runtime::{Classify, ErrorClass, Poll};
use bai_sequencer::SequencerError;
use bai_sequencer::{Derived, PayloadAttributes, Sequencer};
use op_alloy::consensus::TxDeposit;
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use std::{
    collections::{BTreeMap, VecDeque},
    path::PathBuf,
    sync::Arc,
    time::Duration,
};
use tokio::sync::{Mutex, watch};

/// L1 blocks after which an incomplete channel is dropped (as OP Granite).
pub const CHANNEL_TIMEOUT: u64 = 50;
/// L1 blocks of history kept to find the common ancestor after a reorg.
const KEEP_L1_HASHES: usize = 1024;
/// Most L1 blocks read per step, so progress is saved and status published regularly.
const MAX_L1_PER_STEP: u64 = 500;

/// Verifier settings.
#[derive(Debug, Clone)]
pub struct DerivationConfig {
    /// L1 JSON-RPC URL batches and deposits are read from.
    pub rpc_url: String,
    /// The rollup's L1 contracts and chain constants.
    pub rollup: RollupConfig,
    /// L1 blocks are read once this many blocks sit on top of them.
    pub confirmations: u64,
    /// How often L1 is polled once derivation has caught up.
    pub poll_interval: Duration,
    /// Where the L1 cursor is kept across restarts.
    pub state_file: PathBuf,
    /// Where blobs of blob batcher transactions are fetched.
    pub blobs: Arc<dyn BlobSource>,
}

/// Errors that stop a derivation step (it is retried unless the class says otherwise).
#[derive(Debug, thiserror::Error)]
pub enum DeriveError {
    /// The configured L1 URL does not parse.
    #[error("invalid L1 RPC URL {url:?}")]
    BadUrl {
        /// The URL given.
        url: String,
    },
    /// The L1 node failed or refused a call.
    #[error("L1 RPC")]
    Rpc(#[from] TransportError),
    /// Reading L1 headers or deposits failed.
    #[error("L1")]
    L1(#[from] crate::WatcherError),
    /// The L1 node does not have a block it reported.
    #[error("L1 block {0} is missing")]
    MissingBlock(u64),
    /// L1 changed under the step (a block no longer extends the one read before it).
    #[error("L1 block {number} does not extend {parent}")]
    L1Moved {
        /// The block read.
        number: u64,
        /// The hash it should have extended.
        parent: B256,
    },
    /// A blob could not be fetched or did not match its versioned hash.
    #[error("blob")]
    Blob(#[from] crate::blob::BlobError),
    /// L1 replaced blocks older than any derivation remembers (the start block, or the oldest of the
    /// last 1,024 it read): the common ancestor cannot be found.
    #[error("L1 reorged below block {0}, the oldest L1 block derivation remembers")]
    ReorgBelowStart(u64),
    /// The engine failed to apply a derived block (storage, or an invariant).
    #[error("applying a derived block")]
    Execution(#[from] SequencerError),
    /// Reading the local chain failed.
    #[error("reading the local chain")]
    Storage(#[from] bai_storage::StorageError),
    /// The safe head recorded in the progress file is not in the local chain.
    #[error("safe block {0} is missing from the local chain")]
    MissingSafeBlock(u64),
    /// The blocking task applying a block panicked or was cancelled.
    #[error("block application task")]
    Join(#[from] tokio::task::JoinError),
    /// The progress file cannot be read or written.
    #[error("progress file {}", path.display())]
    State {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The progress file does not parse.
    #[error("progress file {} is corrupt", path.display())]
    CorruptState {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
}

impl Classify for DeriveError {
    fn class(&self) -> ErrorClass {
        match self {
            Self::Rpc(_) | Self::MissingBlock(_) | Self::Blob(_) => ErrorClass::Temporary,
            Self::L1(error) => error.class(),
            Self::L1Moved { .. } => ErrorClass::Reset,
            Self::BadUrl { .. }
            | Self::ReorgBelowStart(_)
            | Self::Execution(_)
            | Self::Storage(_)
            | Self::MissingSafeBlock(_)
            | Self::Join(_)
            | Self::State { .. }
            | Self::CorruptState { .. } => ErrorClass::Critical,
        }
    }
}

/// An L1 block as sync status reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1BlockRef {
    /// Block hash.
    pub hash: B256,
    /// Block number.
    pub number: u64,
    /// Hash of its parent.
    pub parent_hash: B256,
    /// Block timestamp (seconds).
    pub timestamp: u64,
}

impl From<&L1Block> for L1BlockRef {
    fn from(b: &L1Block) -> Self {
        Self { hash: b.hash, number: b.number, parent_hash: b.parent_hash, timestamp: b.timestamp }
    }
}

/// Where a node stands relative to L1: the L1 blocks it has seen and the L2 heads that follow.
/// Unsafe: the newest L2 block; safe: derived from (or posted to) L1 blocks still canonical;
/// finalized: safe and backed by a finalized L1 block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncStatus {
    /// The newest L1 block derivation (or the batcher) has processed.
    pub current_l1: L1BlockRef,
    /// The newest L1 block seen.
    pub head_l1: L1BlockRef,
    /// The newest finalized L1 block.
    pub finalized_l1: L1BlockRef,
    /// The newest safe L2 block.
    pub safe_l2: u64,
    /// The newest finalized L2 block.
    pub finalized_l2: u64,
}

/// What the deriver remembers across restarts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Progress {
    /// The next L1 block to read (the oldest block holding a frame of a channel still open).
    next_l1: u64,
    /// Hash of block `next_l1 - 1`, to notice a reorg that happened while stopped.
    parent_hash: B256,
    safe_l2: u64,
    /// The L1 blocks read below `next_l1` (newest [`KEEP_L1_HASHES`]), by number: after a reorg of
    /// the saved tip that happened while stopped, the common ancestor is found among them.
    #[serde(default)]
    l1_hashes: Vec<(u64, B256)>,
    /// Derived L2 blocks and the L1 block their batch was in, for the L1 blocks in `l1_hashes`: a
    /// reset to an ancestor keeps exactly the blocks derived from L1 at or below it.
    #[serde(default)]
    derived: Vec<(u64, u64)>,
    /// The newest L2 block derived from L1 blocks older than `l1_hashes`: no reset goes below it.
    #[serde(default)]
    floor_l2: u64,
}

#[derive(Clone)]
struct PendingChannel {
    channel: ChannelIn,
    opened_at: u64,
}

struct State {
    next_l1: u64,
    l1_hashes: BTreeMap<u64, B256>,
    channels: Vec<PendingChannel>,
    /// Channels read complete, with the L1 block that completed them (reposts are ignored).
    done: VecDeque<(ChannelId, u64)>,
    /// Derived L2 blocks and the L1 block their batch was in.
    derived: VecDeque<(u64, u64)>,
    /// The newest L2 block derived from L1 blocks older than every entry of `derived`.
    floor_l2: u64,
    safe_l2: u64,
    /// What was last written to the progress file (nothing is rewritten while idle).
    saved: Option<Progress>,
}

/// The verifier's derivation pipeline.
pub struct Deriver {
    config: DerivationConfig,
    provider: DynProvider,
    l2: Arc<Sequencer>,
    state: Mutex<State>,
    status: Arc<RwLock<SyncStatus>>,
}

impl Deriver {
    /// A deriver applying blocks read from L1 to `l2`, resuming from `config.state_file`.
    pub fn new(config: DerivationConfig, l2: Arc<Sequencer>) -> Result<Self, DeriveError> {
        let url = config.rpc_url.parse().map_err(|_| DeriveError::BadUrl { url: config.rpc_url.clone() })?;
        let provider = ProviderBuilder::new().connect_client(bai_runtime::http::retrying_client(url)).erased();
        let head = l2.head().0.number;
        let progress = match std::fs::read(&config.state_file) {
            Ok(bytes) => Some(
                serde_json::from_slice::<Progress>(&bytes)
                    .map_err(|source| DeriveError::CorruptState { path: config.state_file.clone(), source })?,
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => return Err(DeriveError::State { path: config.state_file, source }),
        };
        let mut state = State {
            next_l1: config.rollup.start_block,
            l1_hashes: BTreeMap::new(),
            channels: Vec::new(),
            done: VecDeque::new(),
            derived: VecDeque::new(),
            floor_l2: 0,
            safe_l2: 0,
            saved: None,
        };
        if let Some(p) = progress {
            state.next_l1 = p.next_l1;
            state.l1_hashes.extend(p.l1_hashes.iter().copied().filter(|(n, _)| *n < p.next_l1));
            if p.next_l1 > config.rollup.start_block {
                state.l1_hashes.insert(p.next_l1 - 1, p.parent_hash);
            }
            // Blocks the store does not have (lost with an unclean stop) are derived again.
            state.derived.extend(p.derived.iter().copied().filter(|(n, _)| *n <= head));
            state.floor_l2 = p.floor_l2.min(head);
            state.safe_l2 = p.safe_l2.min(head);
        }
        let safe_l2 = state.safe_l2;
        let status = SyncStatus { safe_l2, ..Default::default() };
        l2.set_safe_head(safe_l2);
        Ok(Self { config, provider, l2, state: Mutex::new(state), status: Arc::new(RwLock::new(status)) })
    }

    /// The live sync status (shared with the RPC server).
    pub fn status(&self) -> Arc<RwLock<SyncStatus>> {
        self.status.clone()
    }

    /// Derives until `shutdown`; L1 failures are retried with backoff.
    pub async fn run(self: Arc<Self>, shutdown: watch::Receiver<bool>) -> Result<(), DeriveError> {
        tracing::info!(
            target: "derive",
            batcher = %self.config.rollup.batcher,
            inbox = %self.config.rollup.batch_inbox,
            "deriving L2 from L1"
        );
        let poll = Poll::new("derive", self.config.poll_interval, "bai_derivation_errors_total");
        poll.run(shutdown, || self.step()).await
    }

    /// Reads every confirmed L1 block not read yet (up to a bound) and derives what they carry.
    pub async fn step(&self) -> Result<(), DeriveError> {
        let mut state = self.state.lock().await;
        let head = self.provider.get_block_number().await?;
        let target = head.saturating_sub(self.config.confirmations);
        let last = target.min(state.next_l1 + MAX_L1_PER_STEP - 1);
        let mut current = None;
        while state.next_l1 <= last {
            let number = state.next_l1;
            let block = self
                .provider
                .get_block_by_number(BlockNumberOrTag::Number(number))
                .full()
                .await?
                .ok_or(DeriveError::MissingBlock(number))?;
            let l1 = L1Block::from_header(&block.header);
            // A rollup may start at L1 genesis: block 0 has no parent to compare.
            if let Some(parent) = number.checked_sub(1).and_then(|n| state.l1_hashes.get(&n))
                && *parent != l1.parent_hash
            {
                self.reset_after_reorg(&mut state, number - 1).await?;
                continue;
            }
            let mut payloads: Vec<Bytes> = Vec::new();
            for tx in block.transactions.txns() {
                if tx.to() != Some(self.config.rollup.batch_inbox) || tx.inner.signer() != self.config.rollup.batcher {
                    continue;
                }
                match tx.blob_versioned_hashes() {
                    Some(hashes) if !hashes.is_empty() => {
                        let blobs = self.config.blobs.blobs(number, l1.timestamp, hashes).await?;
                        for blob in &blobs {
                            match decode_blob(blob) {
                                Ok(data) => payloads.push(data.into()),
                                Err(error) => {
                                    tracing::warn!(target: "derive", l1 = number, %error, "skipping undecodable blob")
                                }
                            }
                        }
                    }
                    _ => payloads.push(tx.input().clone()),
                }
            }
            if !payloads.is_empty() {
                // A channel this block completes leaves the bank before its batches are applied, and
                // applying one can fail on L1 (the epoch's header or deposits). The block is then read
                // again from the bank as it stood before it, so the channel completes again: its
                // batches already applied are recognized as duplicates, the rest are applied. Without
                // this the channel would count as done and its remaining batches be lost for good.
                let bank = (state.channels.clone(), state.done.clone());
                for payload in &payloads {
                    if let Err(error) = self.read_frames(&mut state, payload, number).await {
                        (state.channels, state.done) = bank;
                        return Err(error);
                    }
                }
            }
            state.channels.retain(|c| {
                let keep = c.opened_at + CHANNEL_TIMEOUT >= number;
                if !keep {
                    tracing::warn!(target: "derive", channel = %B256::right_padding_from(&c.channel.id), "incomplete channel timed out");
                }
                keep
            });
            self.force_inclusion(&mut state, number).await?;
            state.l1_hashes.insert(number, l1.hash);
            while state.l1_hashes.len() > KEEP_L1_HASHES {
                state.l1_hashes.pop_first();
            }
            state.next_l1 = number + 1;
            current = Some(L1BlockRef::from(&l1));
        }
        self.save(&mut state)?;
        self.publish(&state, current, head).await;
        Ok(())
    }

    /// Feeds one batcher payload's frames to the channel bank and derives the batches of every
    /// channel they complete.
    async fn read_frames(&self, state: &mut State, payload: &[u8], l1: u64) -> Result<(), DeriveError> {
        let frames = match decode_tx_data(payload) {
            Ok(frames) => frames,
            Err(error) => {
                tracing::warn!(target: "derive", l1, %error, "skipping malformed batcher transaction");
                return Ok(());
            }
        };
        for frame in frames {
            let id = frame.channel_id;
            if state.done.iter().any(|(done, _)| *done == id) {
                metrics::counter!("bai_derivation_duplicate_frames_total").increment(1);
                continue;
            }
            let index = match state.channels.iter().position(|c| c.channel.id == id) {
                Some(index) => index,
                None => {
                    state.channels.push(PendingChannel { channel: ChannelIn::new(id), opened_at: l1 });
                    state.channels.len() - 1
                }
            };
            if let Err(error) = state.channels[index].channel.add(frame) {
                tracing::warn!(target: "derive", l1, %error, "dropping channel");
                state.channels.remove(index);
                continue;
            }
            if !state.channels[index].channel.is_complete() {
                continue;
            }
            let pending = state.channels.remove(index);
            state.done.push_back((id, l1));
            while state.done.len() > 1024 {
                state.done.pop_front();
            }
            match pending.channel.batches() {
                Ok(batches) => {
                    for batch in batches {
                        self.apply(state, batch, l1).await?;
                    }
                }
                Err(error) => tracing::warn!(target: "derive", l1, %error, "dropping undecodable channel"),
            }
        }
        Ok(())
    }

    /// Turns one batch into the block after the safe head (confirming the block already there when it
    /// matches), or drops it.
    async fn apply(&self, state: &mut State, batch: SingularBatch, l1: u64) -> Result<(), DeriveError> {
        let drop = |reason: &str| {
            tracing::warn!(target: "derive", l1, parent = %batch.parent_hash, epoch = batch.epoch_number, reason, "dropping batch");
            metrics::counter!("bai_derivation_dropped_batches_total").increment(1);
            Ok(())
        };
        let store = self.l2.store();
        let safe = self.safe_block(state)?;
        if batch.parent_hash != safe.hash {
            // A repost of a block derived earlier is expected (restarts, L1 reorgs); anything else
            // does not build on what L1 already decided.
            let parent = store.block_number(&batch.parent_hash)?;
            if let Some(parent) = parent.filter(|p| *p < state.safe_l2)
                && let Some(stored) = store.block(parent + 1)?
                && batch_for_block(&stored.header, &stored.transactions).as_ref() == Some(&batch)
            {
                metrics::counter!("bai_derivation_duplicate_batches_total").increment(1);
                return Ok(());
            }
            return drop("does not extend the safe head");
        }
        let rollup = &self.config.rollup;
        if batch.epoch_number + rollup.seq_window_size < l1 {
            return drop("included after its sequencing window");
        }
        if batch.epoch_number > l1 {
            return drop("L1 origin newer than the L1 block carrying the batch");
        }
        let origin = L1Info::from_block_transactions(&safe.transactions);
        let (info, deposits) = match &origin {
            Some(o) if batch.epoch_number == o.number => {
                if batch.epoch_hash != o.hash {
                    return drop("L1 origin hash differs from the parent's");
                }
                (L1Info { sequence_number: o.sequence_number + 1, ..o.clone() }, Vec::new())
            }
            Some(o) if batch.epoch_number != o.number + 1 => return drop("L1 origin skips or goes back"),
            None if batch.epoch_number < rollup.start_block => return drop("L1 origin before the rollup start"),
            _ => {
                let epoch = fetch_header(&self.provider, batch.epoch_number).await?;
                if epoch.hash != batch.epoch_hash {
                    return drop("L1 origin is not canonical");
                }
                if let Some(o) = &origin
                    && epoch.parent_hash != o.hash
                {
                    return drop("L1 origin does not extend the parent's");
                }
                self.epoch(epoch).await?
            }
        };
        if batch.timestamp < safe.header.timestamp || batch.timestamp < info.timestamp {
            return drop("timestamp before the parent's or the L1 origin's");
        }
        let attributes =
            PayloadAttributes { timestamp: batch.timestamp, l1: info, deposits, transactions: batch.transactions };
        self.insert(state, attributes, l1).await
    }

    /// The L1-attributes of a new epoch and the deposits it carries.
    async fn epoch(&self, mut epoch: L1Block) -> Result<(L1Info, Vec<TxDeposit>), DeriveError> {
        let rollup = &self.config.rollup;
        read_deposits(&self.provider, rollup.portal, &mut epoch).await?;
        let info = epoch.info(0, rollup.batcher_hash, rollup.base_fee_scalar, rollup.blob_base_fee_scalar);
        Ok((info, epoch.deposits))
    }

    /// Forced inclusion. Once L1 block `l1` is past the sequencing window of the safe head's L1
    /// origin, no batch can move L2 on any more, so derivation does: deposit-only blocks, one per
    /// L1 origin, up to `l1` itself, each opening its epoch with that epoch's deposits. Going all the
    /// way to `l1` (OP stops at the window's edge) leaves the sequencer a full window to post the
    /// blocks it builds next, instead of racing the next L1 block.
    async fn force_inclusion(&self, state: &mut State, l1: u64) -> Result<(), DeriveError> {
        let rollup = &self.config.rollup;
        let safe = self.safe_block(state)?;
        let origin = L1Info::from_block_transactions(&safe.transactions);
        let base = origin.as_ref().map_or(rollup.start_block, |o| o.number);
        if base + rollup.seq_window_size >= l1 {
            return Ok(());
        }
        tracing::warn!(
            target: "derive", l1, origin = base, window = rollup.seq_window_size,
            "sequencing window expired: deriving deposit-only blocks"
        );
        let mut origin = origin;
        let mut timestamp = safe.header.timestamp;
        loop {
            let next = origin.as_ref().map_or(rollup.start_block, |o| o.number + 1);
            if next > l1 {
                return Ok(());
            }
            let epoch = fetch_header(&self.provider, next).await?;
            if let Some(o) = &origin
                && epoch.parent_hash != o.hash
            {
                // L1 moved under us; the next step notices the reorg and starts over.
                return Err(DeriveError::L1Moved { number: next, parent: o.hash });
            }
            let (info, deposits) = self.epoch(epoch).await?;
            timestamp = (timestamp + 1).max(info.timestamp);
            let attributes = PayloadAttributes { timestamp, l1: info.clone(), deposits, transactions: Vec::new() };
            metrics::counter!("bai_derivation_forced_blocks_total").increment(1);
            self.insert(state, attributes, l1).await?;
            origin = Some(info);
        }
    }

    /// The safe head block.
    fn safe_block(&self, state: &State) -> Result<bai_storage::StoredBlock, DeriveError> {
        self.l2.store().block(state.safe_l2)?.ok_or(DeriveError::MissingSafeBlock(state.safe_l2))
    }

    /// Makes `attributes` the block after the safe head (see [`Sequencer::apply_derived`]).
    async fn insert(&self, state: &mut State, attributes: PayloadAttributes, l1: u64) -> Result<(), DeriveError> {
        let l2 = self.l2.clone();
        let parent = state.safe_l2;
        let derived = tokio::task::spawn_blocking(move || l2.apply_derived(parent, attributes)).await??;
        match derived {
            Derived::Confirmed(hash) => {
                tracing::debug!(target: "derive", number = parent + 1, %hash, l1, "confirmed block")
            }
            Derived::Executed { block, rewound } => {
                // A rewind is logged by the sequencer ("L2 reorg: rewound the chain").
                tracing::debug!(target: "derive", number = parent + 1, hash = %block.block.hash, l1, rewound, "derived block");
                metrics::counter!("bai_derivation_blocks_total").increment(1);
            }
        }
        self.mark_safe(state, parent + 1, l1);
        Ok(())
    }

    fn mark_safe(&self, state: &mut State, number: u64, l1: u64) {
        if number > state.safe_l2 {
            state.safe_l2 = number;
            self.l2.set_safe_head(number);
            state.derived.push_back((number, l1));
            while state.derived.len() > 100_000 {
                if let Some((dropped, _)) = state.derived.pop_front() {
                    state.floor_l2 = dropped;
                }
            }
        }
    }

    /// After L1 replaced blocks above `tip`: finds the common ancestor, forgets what came after it
    /// (channels, completed channel ids, safe blocks) and reads on from there.
    async fn reset_after_reorg(&self, state: &mut State, tip: u64) -> Result<(), DeriveError> {
        let mut ancestor = tip;
        loop {
            let Some(known) = state.l1_hashes.get(&ancestor).copied() else {
                return Err(DeriveError::ReorgBelowStart(ancestor));
            };
            if fetch_header(&self.provider, ancestor).await?.hash == known {
                break;
            }
            if ancestor == 0 {
                return Err(DeriveError::ReorgBelowStart(0));
            }
            ancestor -= 1;
        }
        tracing::warn!(target: "derive", ancestor, dropped = tip - ancestor + 1, "L1 reorg: resetting derivation");
        metrics::counter!("bai_derivation_reorgs_total").increment(1);
        state.l1_hashes.retain(|n, _| *n <= ancestor);
        // Channels still open may hold frames from dropped blocks: read them again from where they opened.
        let reopen = state.channels.iter().map(|c| c.opened_at).min().unwrap_or(ancestor + 1).min(ancestor + 1);
        state.channels.clear();
        state.done.retain(|(_, at)| *at < reopen);
        state.derived.retain(|(_, at)| *at < reopen);
        // Blocks derived from L1 older than the known window stay safe: never below the floor.
        state.safe_l2 = state.derived.back().map_or(state.floor_l2, |(n, _)| *n).max(state.floor_l2);
        self.l2.set_safe_head(state.safe_l2);
        state.next_l1 = reopen;
        Ok(())
    }

    fn save(&self, state: &mut State) -> Result<(), DeriveError> {
        // Resume where the oldest open channel began, so its frames are read again.
        let next_l1 = state.channels.iter().map(|c| c.opened_at).min().unwrap_or(state.next_l1);
        let parent_hash = state.l1_hashes.get(&(next_l1.wrapping_sub(1))).copied().unwrap_or_default();
        let l1_hashes: Vec<(u64, B256)> = state.l1_hashes.range(..next_l1).map(|(n, h)| (*n, *h)).collect();
        let oldest = l1_hashes.first().map_or(next_l1, |(n, _)| *n);
        // Blocks derived from L1 older than the window saved are below any reset: only the newest
        // of them (the floor) is kept.
        let floor_l2 = state
            .derived
            .iter()
            .rev()
            .find(|(_, at)| *at < oldest)
            .map_or(state.floor_l2, |(n, _)| *n)
            .max(state.floor_l2);
        let derived = state.derived.iter().copied().filter(|(_, at)| *at >= oldest).collect();
        let progress = Progress { next_l1, parent_hash, safe_l2: state.safe_l2, l1_hashes, derived, floor_l2 };
        if state.saved.as_ref() == Some(&progress) {
            return Ok(());
        }
        let tmp = self.config.state_file.with_extension("tmp");
        let json = serde_json::to_vec(&progress).expect("progress serialises");
        let failed = |source| DeriveError::State { path: self.config.state_file.clone(), source };
        std::fs::write(&tmp, json).map_err(failed)?;
        std::fs::rename(&tmp, &self.config.state_file).map_err(failed)?;
        state.saved = Some(progress);
        Ok(())
    }

    async fn publish(&self, state: &State, current: Option<L1BlockRef>, head: u64) {
        // The L1 head and finalized blocks only change when L1 moves: no RPC calls on idle polls.
        let moved = self.status.read().head_l1.number != head;
        let fetch = |tag| async move {
            match self.provider.get_block_by_number(tag).await {
                Ok(Some(block)) => Some(L1BlockRef::from(&L1Block::from_header(&block.header))),
                _ => None,
            }
        };
        let (head_l1, finalized_l1) = match moved {
            true => (fetch(BlockNumberOrTag::Number(head)).await, fetch(BlockNumberOrTag::Finalized).await),
            false => (None, None),
        };
        let mut status = self.status.write();
        if let Some(current) = current {
            status.current_l1 = current;
        }
        if let Some(head_l1) = head_l1 {
            status.head_l1 = head_l1;
        }
        if let Some(finalized) = finalized_l1 {
            status.finalized_l1 = finalized;
        }
        let finalized = status.finalized_l1.number;
        status.finalized_l2 = state.derived.iter().rev().find(|(_, at)| *at <= finalized).map_or(0, |(n, _)| *n);
        status.safe_l2 = state.safe_l2;
        metrics::gauge!("bai_derivation_l1_block").set(status.current_l1.number as f64);
        metrics::gauge!("bai_derivation_safe_l2").set(state.safe_l2 as f64);
        metrics::gauge!("bai_derivation_open_channels").set(state.channels.len() as f64);
    }
}
