//! The batcher: posts every L2 block to L1 as batches in channels of frames (see [`crate::channel`]),
//! from the batcher key to the batch inbox, as EIP-4844 blob transactions (one frame per blob, up
//! to six blobs per transaction) or as calldata (one frame per transaction), whichever the config
//! asks for or, in `auto`, whichever costs less at the current L1 fees.
//!
//! Each transaction goes through the L1 transaction manager ([`bai_txmgr`]): sent at the confirmed
//! nonce, replaced with bumped fees when not included in time. Progress (the last L2 block whose
//! channel landed, and the recently posted channels with the L1 block each transaction landed in) is
//! kept in a small JSON file, written only after the L1 receipts, so a restart never leaves a gap; a
//! crash between the receipt and the write reposts that channel, which derivation recognises and
//! ignores. Channels posted recently are re-checked against L1, also after a restart: one whose
//! transaction an L1 reorg removed is posted again.
//! When more blocks wait than the DA backlog limit, the sequencer is throttled (small blocks) until
//! the batcher catches up.

use crate::{
    blob::{self, MAX_BLOB_DATA},
    channel::{ChannelOut, SingularBatch},
    frame::{Frame, encode_tx_data},
};
use alloy::transports::TransportError;
use alloy::{
    consensus::Header,
    eips::{Decodable2718, eip7594::BlobTransactionSidecarVariant},
    network::{EthereumWallet, TransactionBuilder, TransactionBuilder4844},
    primitives::{Address, B256, Bytes, keccak256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
};
use bai_evm::L1Info;
use bai_runtime::{Classify, ErrorClass, Poll};
use bai_sequencer::{Sequencer, is_witness_deposit};
use bai_txmgr::{TxManager, TxManagerConfig};
use op_alloy::consensus::OpTxEnvelope;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::{
    collections::VecDeque,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio::sync::watch;

/// Batcher settings.
#[derive(Clone)]
pub struct BatcherConfig {
    /// L1 JSON-RPC URL batcher transactions are sent through.
    pub l1_rpc_url: String,
    /// The batcher's key: the account SystemConfig names as batcher.
    pub signer: PrivateKeySigner,
    /// The batch inbox address on L1.
    pub inbox: Address,
    /// A channel is closed at this many blocks…
    pub max_blocks: u64,
    /// …or once its oldest block is this old (by its timestamp).
    pub max_delay: Duration,
    /// Largest encoded calldata frame (one frame per calldata transaction).
    pub max_frame_size: usize,
    /// Blobs, calldata, or whichever is cheaper.
    pub da: DaMode,
    /// A transaction not included after this long is replaced with higher fees.
    pub resubmit_after: Duration,
    /// More pending L2 blocks than this throttle the sequencer (0: never).
    pub throttle_blocks: u64,
    /// Where progress is kept.
    pub state_file: PathBuf,
    /// How often new L2 blocks and pending transactions are checked.
    pub poll_interval: Duration,
}

impl std::fmt::Debug for BatcherConfig {
    // The key is never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatcherConfig")
            .field("batcher", &self.signer.address())
            .field("inbox", &self.inbox)
            .field("max_blocks", &self.max_blocks)
            .finish_non_exhaustive()
    }
}

/// How batches reach L1 (`blobs`, `calldata` or `auto` on the command line and in TOML).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DaMode {
    /// Every channel is posted as blob transactions.
    Blobs,
    /// Every channel is posted as calldata frames.
    Calldata,
    /// Blobs unless calldata is cheaper at the current L1 base fee and blob base fee.
    #[default]
    Auto,
}

impl std::str::FromStr for DaMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "blobs" => Ok(Self::Blobs),
            "calldata" => Ok(Self::Calldata),
            "auto" => Ok(Self::Auto),
            other => Err(format!("unknown DA mode {other:?} (blobs, calldata or auto)")),
        }
    }
}

impl std::fmt::Display for DaMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Blobs => "blobs",
            Self::Calldata => "calldata",
            Self::Auto => "auto",
        })
    }
}

/// Blobs per batcher transaction (Prague allows 9 per block; 6 leaves room for others).
pub const MAX_BLOBS_PER_TX: usize = 6;
/// L1 blocks a posted channel is watched for reorgs.
const REORG_WATCH_BLOCKS: u64 = 64;
/// Transaction bytes per L2 block while throttled (as OP's default throttle).
pub const THROTTLED_BLOCK_BYTES: u64 = 21_000;

/// Why a batcher step failed.
#[derive(Debug, thiserror::Error)]
pub enum BatcherError {
    /// The configured L1 URL does not parse.
    #[error("invalid L1 RPC URL {url:?}")]
    BadUrl {
        /// The URL given.
        url: String,
    },
    /// The L1 node failed or refused a call.
    #[error("L1 RPC")]
    Rpc(#[from] TransportError),
    /// A batcher transaction was included but reverted.
    #[error("L1 transaction {0} reverted")]
    Reverted(B256),
    /// An L2 block to post is not in the local chain (it was rewound meanwhile).
    #[error("L2 block {0} is missing")]
    MissingBlock(u64),
    /// An L2 block does not start with its L1-attributes deposit: the local chain is corrupt.
    #[error("L2 block {0} does not open with an L1-attributes deposit")]
    Malformed(u64),
    /// The progress file cannot be read or written.
    #[error("progress file {}", path.display())]
    State {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The progress file holds neither a block number (old format) nor the batcher's JSON state.
    #[error("progress file {} holds {text:?}, not the batcher's progress", path.display())]
    CorruptState {
        /// The file.
        path: PathBuf,
        /// What it holds.
        text: String,
    },
    /// A channel could not be encoded as blobs.
    #[error("blob")]
    Blob(#[from] blob::BlobError),
    /// The transaction manager could not get a transaction included.
    #[error("batch transaction")]
    Send(#[from] bai_txmgr::TxError),
}

impl Classify for BatcherError {
    fn class(&self) -> ErrorClass {
        match self {
            Self::Rpc(_) | Self::Reverted(_) | Self::Send(_) => ErrorClass::Temporary,
            Self::MissingBlock(_) => ErrorClass::Reset,
            Self::BadUrl { .. }
            | Self::Malformed(_)
            | Self::State { .. }
            | Self::CorruptState { .. }
            | Self::Blob(_) => ErrorClass::Critical,
        }
    }
}

/// Where the batcher reads L2 blocks from.
pub trait L2Source: Send + Sync {
    /// Number of the newest L2 block.
    fn head_number(&self) -> u64;
    /// Header, hash and EIP-2718 transactions of block `number`.
    fn block(&self, number: u64) -> Option<(Header, B256, Vec<Bytes>)>;
    /// Limits the transaction bytes of each new block (`None`: no limit) while DA lags.
    fn throttle(&self, max_block_tx_bytes: Option<u64>);
    /// Counts L2 reorgs; a change means blocks the batcher may have posted were replaced.
    fn reorgs(&self) -> u64;
    /// The highest block derivation confirmed from L1: nothing at or below it needs posting again.
    fn safe_head(&self) -> u64;
}

impl L2Source for Sequencer {
    fn head_number(&self) -> u64 {
        self.head().0.number
    }

    fn block(&self, number: u64) -> Option<(Header, B256, Vec<Bytes>)> {
        self.store().block(number).ok().flatten().map(|b| (b.header, b.hash, b.transactions))
    }

    fn throttle(&self, max_block_tx_bytes: Option<u64>) {
        self.set_max_block_tx_bytes(max_block_tx_bytes);
    }

    fn reorgs(&self) -> u64 {
        Sequencer::reorgs(self)
    }

    fn safe_head(&self) -> u64 {
        Sequencer::safe_head(self)
    }
}

/// The batch of one L2 block: everything but the deposits L1 already carries (the L1-attributes
/// deposit and user deposits); a witness deposit stays, since only the sequencer knows it.
pub fn batch_for_block(header: &Header, transactions: &[Bytes]) -> Option<SingularBatch> {
    let origin = L1Info::from_block_transactions(transactions)?;
    let mut kept = Vec::new();
    for raw in &transactions[1..] {
        if raw.first() == Some(&0x7e) {
            let tx = OpTxEnvelope::decode_2718(&mut raw.as_ref()).ok()?;
            if !is_witness_deposit(&tx) {
                continue;
            }
        }
        kept.push(raw.clone());
    }
    Some(SingularBatch {
        parent_hash: header.parent_hash,
        epoch_number: origin.number,
        epoch_hash: origin.hash,
        timestamp: header.timestamp,
        transactions: kept,
    })
}

/// The batcher.
pub struct Batcher {
    config: BatcherConfig,
    provider: DynProvider,
    txs: TxManager,
    source: Arc<dyn L2Source>,
    /// The last L2 block whose channel is on L1 (0: none yet); mirrors the state file.
    posted: Arc<AtomicU64>,
    /// Channels posted recently, watched for L1 reorgs (oldest first).
    recent: Mutex<VecDeque<PostedChannel>>,
    /// The source's reorg count when the batcher last looked.
    seen_reorgs: AtomicU64,
}

/// A channel on L1: its L2 blocks and where its transactions landed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PostedChannel {
    first: u64,
    last: u64,
    txs: Vec<Landed>,
}

/// Where one batch transaction landed on L1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Landed {
    tx: B256,
    block_hash: B256,
    block_number: u64,
}

/// The progress file: what a restart needs to neither skip nor lose a channel.
#[derive(Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Progress {
    /// The last L2 block whose channel is on L1.
    posted: u64,
    /// Channels still watched for L1 reorgs, oldest first: after a restart a reorg that removes
    /// one of their transactions still gets its blocks posted again.
    recent: Vec<PostedChannel>,
}

impl Progress {
    /// Reads `text`: the JSON state, or a bare block number (the format before the reorg watch
    /// was persisted).
    fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        match text.parse::<u64>() {
            Ok(posted) => Some(Self { posted, recent: Vec::new() }),
            Err(_) => serde_json::from_str(text).ok(),
        }
    }
}

impl Batcher {
    /// A batcher posting blocks of `source`, resuming from `config.state_file`.
    pub fn new(config: BatcherConfig, source: Arc<dyn L2Source>) -> Result<Self, BatcherError> {
        let url = config.l1_rpc_url.parse().map_err(|_| BatcherError::BadUrl { url: config.l1_rpc_url.clone() })?;
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(config.signer.clone()))
            .connect_client(bai_runtime::http::retrying_client(url))
            .erased();
        let progress = match std::fs::read_to_string(&config.state_file) {
            Ok(text) => Progress::parse(&text)
                .ok_or_else(|| BatcherError::CorruptState { path: config.state_file.clone(), text: text.clone() })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Progress::default(),
            Err(source) => return Err(BatcherError::State { path: config.state_file, source }),
        };
        let manager = TxManagerConfig {
            resubmit_after: config.resubmit_after,
            max_attempts: 5,
            poll_interval: config.poll_interval,
        };
        let txs = TxManager::new(provider.clone(), config.signer.address(), manager, "batcher");
        Ok(Self {
            config,
            provider,
            txs,
            posted: Arc::new(AtomicU64::new(progress.posted)),
            recent: Mutex::new(progress.recent.into()),
            seen_reorgs: AtomicU64::new(source.reorgs()),
            source,
        })
    }

    /// The batcher account.
    pub fn address(&self) -> Address {
        self.config.signer.address()
    }

    /// A live view of [`Self::last_posted`] (for sync status while the batcher runs).
    pub fn progress(&self) -> Arc<AtomicU64> {
        self.posted.clone()
    }

    /// The last L2 block whose channel is on L1 (0: none yet).
    pub fn last_posted(&self) -> u64 {
        self.posted.load(Ordering::Acquire)
    }

    /// Moves the last posted block up to `safe` when this batcher's own record is behind it: a block L1
    /// derivation made safe is on L1, whoever posted it (a cluster's new leader resumes from there).
    pub fn resume_after(&self, safe: u64) {
        self.posted.fetch_max(safe, Ordering::AcqRel);
    }

    /// Makes `number` the last posted block and writes it with the channels watched for reorgs.
    fn save(&self, number: u64) -> Result<(), BatcherError> {
        let progress = Progress { posted: number, recent: self.recent.lock().iter().cloned().collect() };
        let json = serde_json::to_string(&progress).expect("progress serialises");
        let tmp = self.config.state_file.with_extension("tmp");
        let state = |source| BatcherError::State { path: self.config.state_file.clone(), source };
        std::fs::write(&tmp, json).map_err(state)?;
        std::fs::rename(&tmp, &self.config.state_file).map_err(state)?;
        self.posted.store(number, Ordering::Release);
        Ok(())
    }

    /// Posts until `shutdown`; failures are retried with backoff and never skip a block.
    pub async fn run(self, shutdown: watch::Receiver<bool>) -> Result<(), BatcherError> {
        tracing::info!(target: "batcher", batcher = %self.address(), inbox = %self.config.inbox, "batcher started");
        let poll = Poll::new("batcher", self.config.poll_interval, "bai_batcher_errors_total");
        poll.run(shutdown, || self.step()).await
    }

    async fn step(&self) -> Result<(), BatcherError> {
        self.check_l2_reorg()?;
        self.check_reorgs().await?;
        let next = self.last_posted() + 1;
        let head = self.source.head_number();
        let pending = (head + 1).saturating_sub(next);
        metrics::gauge!("bai_batcher_pending_blocks").set(pending as f64);
        let throttled = self.config.throttle_blocks > 0 && pending > self.config.throttle_blocks;
        self.source.throttle(throttled.then_some(THROTTLED_BLOCK_BYTES));
        metrics::gauge!("bai_batcher_throttled").set(throttled as u8 as f64);
        if pending == 0 {
            return Ok(());
        }
        if pending < self.config.max_blocks {
            // Not full yet: wait until the oldest pending block is `max_delay` old.
            let (oldest, _, _) = self.source.block(next).ok_or(BatcherError::MissingBlock(next))?;
            let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
            if Duration::from_secs(now.saturating_sub(oldest.timestamp)) < self.config.max_delay {
                return Ok(());
            }
        }
        let last = head.min(next + self.config.max_blocks - 1);
        let mut channel = ChannelOut::new(channel_id(next, last));
        for number in next..=last {
            let (header, _, transactions) = self.source.block(number).ok_or(BatcherError::MissingBlock(number))?;
            let batch = batch_for_block(&header, &transactions).ok_or(BatcherError::Malformed(number))?;
            channel.add(&batch);
        }
        let compressed = channel.compress();
        let da = self.choose_da(compressed.len()).await?;
        let mut txs = Vec::new();
        let mut l1_bytes = 0;
        match da {
            DaMode::Blobs => {
                let frames = channel.frames_of(&compressed, MAX_BLOB_DATA - 1);
                for group in frames.chunks(MAX_BLOBS_PER_TX) {
                    let payloads: Vec<Bytes> = group.iter().map(|f| encode_tx_data(std::slice::from_ref(f))).collect();
                    let used: usize = payloads.iter().map(|p| p.len()).sum();
                    l1_bytes += used;
                    metrics::histogram!("bai_batcher_blob_fill_ratio")
                        .record(used as f64 / (payloads.len() * MAX_BLOB_DATA) as f64);
                    let sidecar = blob::sidecar(&payloads)?;
                    let request = TransactionRequest::default()
                        .with_to(self.config.inbox)
                        .with_blob_sidecar(BlobTransactionSidecarVariant::Eip4844(sidecar));
                    txs.push(self.post(request).await?);
                    metrics::counter!("bai_batcher_blobs_total").increment(payloads.len() as u64);
                }
            }
            _ => {
                for frame in channel.frames_of(&compressed, self.config.max_frame_size) {
                    let data = encode_tx_data(std::slice::from_ref::<Frame>(&frame));
                    l1_bytes += data.len();
                    let request = TransactionRequest::default().with_to(self.config.inbox).with_input(data);
                    txs.push(self.post(request).await?);
                }
            }
        }
        self.recent.lock().push_back(PostedChannel { first: next, last, txs: txs.clone() });
        self.save(last)?;
        metrics::counter!("bai_batcher_l1_bytes_total").increment(l1_bytes as u64);
        metrics::counter!("bai_batcher_blocks_posted_total").increment(last - next + 1);
        metrics::gauge!("bai_batcher_channel_fill_ratio")
            .set(last.saturating_sub(next) as f64 / self.config.max_blocks as f64);
        tracing::info!(
            target: "batcher",
            blocks = %format!("{next}..={last}"),
            da = %da,
            raw = channel.raw_len(),
            l1_bytes,
            transactions = txs.len(),
            "channel posted"
        );
        Ok(())
    }

    /// Blobs or calldata for a channel of `compressed` bytes.
    async fn choose_da(&self, compressed: usize) -> Result<DaMode, BatcherError> {
        if self.config.da != DaMode::Auto {
            return Ok(self.config.da);
        }
        let base_fee = self.provider.get_gas_price().await?;
        let blob_base_fee = self.provider.get_blob_base_fee().await?;
        // Calldata of compressed data is nearly all non-zero bytes: 40 gas each under EIP-7623's floor.
        let calldata_cost = compressed as u128 * 40 * base_fee;
        let blobs = compressed.div_ceil(MAX_BLOB_DATA - 1 - crate::frame::FRAME_OVERHEAD) as u128;
        let blob_cost = blobs * alloy::eips::eip4844::DATA_GAS_PER_BLOB as u128 * blob_base_fee.max(1);
        Ok(if blob_cost <= calldata_cost { DaMode::Blobs } else { DaMode::Calldata })
    }

    /// Sends `request` through the transaction manager and records where it landed.
    async fn post(&self, request: TransactionRequest) -> Result<Landed, BatcherError> {
        let included = match self.txs.send(request).await {
            Ok(included) => included,
            Err(bai_txmgr::TxError::Reverted { tx, .. }) => return Err(BatcherError::Reverted(tx)),
            Err(error) => return Err(error.into()),
        };
        let receipt = &included.receipt;
        let fee = receipt.gas_used as u128 * receipt.effective_gas_price
            + receipt.blob_gas_used.unwrap_or_default() as u128 * receipt.blob_gas_price.unwrap_or_default();
        metrics::counter!("bai_batcher_l1_fees_wei_total").increment(fee as u64);
        metrics::counter!("bai_batcher_transactions_total").increment(1);
        Ok(Landed { tx: included.tx, block_hash: included.block_hash(), block_number: included.block_number() })
    }

    /// After an L2 reorg, blocks above the safe head may differ from what was posted: post again from
    /// there (a batch for a block derivation already has is recognised and ignored).
    fn check_l2_reorg(&self) -> Result<(), BatcherError> {
        let reorgs = self.source.reorgs();
        if self.seen_reorgs.swap(reorgs, Ordering::AcqRel) == reorgs {
            return Ok(());
        }
        let safe = self.source.safe_head();
        if self.last_posted() > safe {
            tracing::warn!(target: "batcher", from = safe + 1, "L2 reorg: posting again from the block after the safe head");
            self.recent.lock().clear();
            self.save(safe)?;
        }
        Ok(())
    }

    /// Re-checks recently posted channels against L1; the first whose transaction moved out of
    /// the canonical chain is posted again, with everything after it.
    async fn check_reorgs(&self) -> Result<(), BatcherError> {
        let recent: Vec<PostedChannel> = self.recent.lock().iter().cloned().collect();
        if recent.is_empty() {
            return Ok(());
        }
        let l1_head = self.provider.get_block_number().await?;
        for (index, channel) in recent.iter().enumerate() {
            for included in &channel.txs {
                let receipt = self.provider.get_transaction_receipt(included.tx).await?;
                if let Some(receipt) = receipt {
                    // Still included, possibly re-included in another block after a reorg.
                    if let Some(hash) = receipt.block_hash
                        && hash != included.block_hash
                        && let Some(tracked) = self.recent.lock().get_mut(index)
                    {
                        for t in tracked.txs.iter_mut().filter(|t| t.tx == included.tx) {
                            t.block_hash = hash;
                            t.block_number = receipt.block_number.unwrap_or(t.block_number);
                        }
                    }
                    continue;
                }
                tracing::warn!(
                    target: "batcher",
                    blocks = %format!("{}..={}", channel.first, channel.last),
                    l1_block = included.block_number,
                    "L1 reorg removed a batch transaction: posting its blocks again"
                );
                metrics::counter!("bai_batcher_reorgs_total").increment(1);
                self.recent.lock().truncate(index);
                self.save(channel.first - 1)?;
                return Ok(());
            }
        }
        // Channels buried deep enough are no longer watched (nor kept in the progress file).
        let buried = {
            let mut recent = self.recent.lock();
            let before = recent.len();
            while recent.front().is_some_and(|c| c.txs.iter().all(|t| t.block_number + REORG_WATCH_BLOCKS < l1_head)) {
                recent.pop_front();
            }
            before != recent.len()
        };
        if buried {
            self.save(self.last_posted())?;
        }
        Ok(())
    }
}

/// Channel ids name the block range, so a repost of the same range is recognisable.
fn channel_id(first: u64, last: u64) -> [u8; 16] {
    let hash = keccak256([first.to_be_bytes(), last.to_be_bytes()].concat());
    hash[..16].try_into().expect("16 bytes")
}
