//! The batcher: posts every L2 block to L1 as batches in channels of frames (see [`crate::channel`]),
//! as calldata transactions from the batcher key to the batch inbox, waiting for each to be
//! included before moving on. Progress (the last L2 block whose channel landed) is kept in a small
//! file, written only after the L1 receipt, so a restart never leaves a gap; a crash between the
//! receipt and the write reposts that channel (the verifier, still to come, must drop the repeat).
//!
//! Not yet: blob transactions, fee bumps of stuck transactions, resubmission after L1 reorgs.

use crate::{
    channel::{ChannelOut, SingularBatch},
    poll::Poll,
};
use alloy::{
    consensus::Header,
    eips::Decodable2718,
    network::{EthereumWallet, TransactionBuilder},
    primitives::{Address, B256, Bytes, keccak256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
};
use bai_evm::L1Info;
use bai_sequencer::{Sequencer, is_witness_deposit};
use op_alloy::consensus::OpTxEnvelope;
use std::{
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
    pub l1_rpc_url: String,
    pub signer: PrivateKeySigner,
    pub inbox: Address,
    /// A channel is closed at this many blocks…
    pub max_blocks: u64,
    /// …or once its oldest block is this old (by its timestamp).
    pub max_delay: Duration,
    /// Largest encoded frame (one frame per L1 transaction).
    pub max_frame_size: usize,
    /// Where progress is kept.
    pub state_file: PathBuf,
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

#[derive(Debug, thiserror::Error)]
pub enum BatcherError {
    #[error("L1 RPC: {0}")]
    Rpc(String),
    #[error("L1 transaction {0} reverted")]
    Reverted(B256),
    #[error("L2 block {0} is missing")]
    MissingBlock(u64),
    #[error("L2 block {0} does not open with an L1-attributes deposit")]
    Malformed(u64),
    #[error("state file: {0}")]
    State(String),
}

/// Where the batcher reads L2 blocks from.
pub trait L2Source: Send + Sync {
    fn head_number(&self) -> u64;
    /// Header, hash and EIP-2718 transactions of block `number`.
    fn block(&self, number: u64) -> Option<(Header, B256, Vec<Bytes>)>;
}

impl L2Source for Sequencer {
    fn head_number(&self) -> u64 {
        self.head().0.number
    }

    fn block(&self, number: u64) -> Option<(Header, B256, Vec<Bytes>)> {
        self.store().block(number).ok().flatten().map(|b| (b.header, b.hash, b.transactions))
    }
}

/// The batch of one L2 block: everything but the deposits L1 already carries (the L1-attributes
/// deposit and user deposits); a witness deposit stays, since only the sequencer knows it.
pub fn batch_for_block(header: &Header, transactions: &[Bytes]) -> Option<SingularBatch> {
    let first = OpTxEnvelope::decode_2718(&mut transactions.first()?.as_ref()).ok()?;
    let OpTxEnvelope::Deposit(l1_attributes) = &first else { return None };
    let origin = L1Info::from_isthmus_calldata(&l1_attributes.input)?;
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
    source: Arc<dyn L2Source>,
    /// The last L2 block whose channel is on L1 (0: none yet); mirrors the state file.
    posted: AtomicU64,
}

impl Batcher {
    pub fn new(config: BatcherConfig, source: Arc<dyn L2Source>) -> Result<Self, BatcherError> {
        let url = config.l1_rpc_url.parse().map_err(|e| BatcherError::Rpc(format!("bad L1 URL: {e}")))?;
        let provider =
            ProviderBuilder::new().wallet(EthereumWallet::from(config.signer.clone())).connect_http(url).erased();
        let posted = match std::fs::read_to_string(&config.state_file) {
            Ok(text) => text.trim().parse().map_err(|e| BatcherError::State(format!("{text:?}: {e}")))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(BatcherError::State(e.to_string())),
        };
        Ok(Self { config, provider, source, posted: AtomicU64::new(posted) })
    }

    /// The batcher account.
    pub fn address(&self) -> Address {
        self.config.signer.address()
    }

    /// The last L2 block whose channel is on L1 (0: none yet).
    pub fn last_posted(&self) -> u64 {
        self.posted.load(Ordering::Acquire)
    }

    fn save(&self, number: u64) -> Result<(), BatcherError> {
        let tmp = self.config.state_file.with_extension("tmp");
        std::fs::write(&tmp, number.to_string()).map_err(|e| BatcherError::State(e.to_string()))?;
        std::fs::rename(&tmp, &self.config.state_file).map_err(|e| BatcherError::State(e.to_string()))?;
        self.posted.store(number, Ordering::Release);
        Ok(())
    }

    /// Posts until `shutdown`; failures are retried with backoff and never skip a block.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        tracing::info!(target: "batcher", batcher = %self.address(), inbox = %self.config.inbox, "batcher started");
        let poll = Poll {
            task: "batcher",
            interval: self.config.poll_interval,
            max_backoff: Duration::from_secs(30),
            errors_metric: "bai_batcher_errors_total",
        };
        poll.run(shutdown, || self.step()).await
    }

    async fn step(&self) -> Result<(), BatcherError> {
        let next = self.last_posted() + 1;
        let head = self.source.head_number();
        let pending = (head + 1).saturating_sub(next);
        metrics::gauge!("bai_batcher_pending_blocks").set(pending as f64);
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
        let frames = channel.frames(self.config.max_frame_size);
        let mut l1_bytes = 0;
        for frame in &frames {
            let data = crate::frame::encode_tx_data(std::slice::from_ref(frame));
            l1_bytes += data.len();
            self.post(data).await?;
        }
        self.save(last)?;
        metrics::counter!("bai_batcher_l1_bytes_total").increment(l1_bytes as u64);
        metrics::counter!("bai_batcher_blocks_posted_total").increment(last - next + 1);
        tracing::info!(
            target: "batcher",
            blocks = %format!("{next}..={last}"),
            raw = channel.raw_len(),
            l1_bytes,
            frames = frames.len(),
            "channel posted"
        );
        Ok(())
    }

    async fn post(&self, data: Bytes) -> Result<(), BatcherError> {
        let request = TransactionRequest::default().with_to(self.config.inbox).with_input(data);
        let pending = self.provider.send_transaction(request).await.map_err(|e| BatcherError::Rpc(e.to_string()))?;
        let receipt = pending
            .with_timeout(Some(Duration::from_secs(120)))
            .get_receipt()
            .await
            .map_err(|e| BatcherError::Rpc(e.to_string()))?;
        if !receipt.status() {
            return Err(BatcherError::Reverted(receipt.transaction_hash));
        }
        let fee = receipt.gas_used as u128 * receipt.effective_gas_price;
        metrics::counter!("bai_batcher_l1_fees_wei_total").increment(fee as u64);
        metrics::counter!("bai_batcher_transactions_total").increment(1);
        Ok(())
    }
}

/// Channel ids name the block range, so a repost of the same range is recognisable.
fn channel_id(first: u64, last: u64) -> [u8; 16] {
    let hash = keccak256([first.to_be_bytes(), last.to_be_bytes()].concat());
    hash[..16].try_into().expect("16 bytes")
}
