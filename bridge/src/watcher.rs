//! Follows L1 heads (a configurable number of confirmations behind), keeps the recent confirmed
//! L1 blocks with the deposits each carries, and answers the sequencer's "what is this block's
//! L1 origin" from them. An L1 reorg of blocks not yet used as an origin is followed by walking
//! back to the common ancestor and refetching.

use crate::deposit::{TransactionDeposited, deposit_from_log};
use alloy::transports::TransportError;
use alloy::{
    eips::{BlockNumberOrTag, eip7840::BlobParams},
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::Filter,
    sol_types::SolEvent,
};
use bai_evm::L1Info;
use bai_runtime::{Classify, ErrorClass, Poll};
use bai_sequencer::{Epoch, L1OriginSource};
use op_alloy::consensus::TxDeposit;
use parking_lot::RwLock;
use std::{collections::BTreeMap, sync::Arc, time::Duration};
use tokio::sync::watch;

/// Watcher settings.
#[derive(Debug, Clone)]
pub struct WatcherConfig {
    /// L1 JSON-RPC URL.
    pub rpc_url: String,
    /// The portal whose `TransactionDeposited` events are deposits.
    pub portal: Address,
    /// L1 blocks are used only once this many blocks sit on top of them.
    pub confirmations: u64,
    /// How often L1 is polled for new blocks.
    pub poll_interval: Duration,
    /// The batcher hash written into every L1-attributes deposit.
    pub batcher_hash: B256,
    /// Fee scalars written into every L1-attributes deposit.
    pub base_fee_scalar: u32,
    /// Blob base fee scalar written into every L1-attributes deposit.
    pub blob_base_fee_scalar: u32,
}

/// A confirmed L1 block as the L2 sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1Block {
    /// Block number.
    pub number: u64,
    /// Block hash.
    pub hash: B256,
    /// Hash of its parent.
    pub parent_hash: B256,
    /// Block timestamp (seconds).
    pub timestamp: u64,
    /// Base fee (wei), carried into the L1-attributes deposit.
    pub base_fee: u64,
    /// Blob base fee (wei), carried into the L1-attributes deposit.
    pub blob_base_fee: u128,
    /// The portal's deposits in this block, in log order.
    pub deposits: Vec<TxDeposit>,
}

/// Errors of the L1 watcher.
#[derive(Debug, thiserror::Error)]
pub enum WatcherError {
    /// The configured URL does not parse.
    #[error("invalid L1 RPC URL {url:?}")]
    BadUrl {
        /// The URL given.
        url: String,
    },
    /// The L1 node failed or refused a call.
    #[error("L1 RPC")]
    Rpc(#[from] TransportError),
    /// The L1 node does not have a block it reported (a reorg in progress, or a lagging node).
    #[error("L1 block {0} is missing")]
    MissingBlock(u64),
    /// L1 replaced blocks older than the first one this node follows: nothing to fall back on.
    #[error("L1 reorged below the first block this node follows ({0})")]
    ReorgBelowStart(u64),
    /// The portal emitted a `TransactionDeposited` event this node cannot turn into a deposit.
    #[error("malformed deposit event in L1 block {block} (log {log_index:?})")]
    MalformedDeposit {
        /// The L1 block.
        block: u64,
        /// The log's index in the block.
        log_index: Option<u64>,
        /// Why it does not decode.
        #[source]
        source: crate::DepositError,
    },
}

impl Classify for WatcherError {
    fn class(&self) -> ErrorClass {
        match self {
            Self::Rpc(_) | Self::MissingBlock(_) => ErrorClass::Temporary,
            // A malformed deposit stops the node, as it stops op-node's and kona's derivation: skipping
            // it would leave BAI paid on L1 uncredited, and decoding it some other way would fork.
            Self::BadUrl { .. } | Self::ReorgBelowStart(_) | Self::MalformedDeposit { .. } => ErrorClass::Critical,
        }
    }
}

/// Most L1 blocks kept in memory (the origin advances one at a time, so only the newest matter).
const KEEP_BLOCKS: usize = 4096;

/// The L1 watcher.
#[derive(Debug)]
pub struct L1Watcher {
    config: WatcherConfig,
    provider: DynProvider,
    blocks: RwLock<BTreeMap<u64, L1Block>>,
    synced: watch::Sender<Option<u64>>,
}

impl L1Watcher {
    /// A watcher of the L1 at `config.rpc_url`; nothing is read until it runs.
    pub fn new(config: WatcherConfig) -> Result<Arc<Self>, WatcherError> {
        let url = config.rpc_url.parse().map_err(|_| WatcherError::BadUrl { url: config.rpc_url.clone() })?;
        let provider = ProviderBuilder::new().connect_client(bai_runtime::http::retrying_client(url)).erased();
        Ok(Arc::new(Self { config, provider, blocks: RwLock::new(BTreeMap::new()), synced: watch::channel(None).0 }))
    }

    /// The latest L1 block number (to pick a start block on a fresh chain).
    pub async fn l1_head(&self) -> Result<u64, WatcherError> {
        Ok(self.provider.get_block_number().await?)
    }

    /// The newest L1 block fetched so far.
    pub fn latest_block(&self) -> Option<L1Block> {
        self.blocks.read().values().next_back().cloned()
    }

    /// Number and hash of the newest L1 block fetched so far.
    pub fn latest(&self) -> Option<(u64, B256)> {
        self.blocks.read().values().next_back().map(|b| (b.number, b.hash))
    }

    /// The next L1 block to fetch: above the newest one kept (a rewind drops blocks, so this
    /// follows), or `start` when none is.
    fn next_to_fetch(&self, start: u64) -> u64 {
        self.blocks.read().keys().next_back().map_or(start, |n| n + 1)
    }

    /// Follows L1 from block `start` until `shutdown`; RPC failures are retried with backoff, a
    /// critical error ends the task with that error.
    pub async fn run(self: Arc<Self>, start: u64, shutdown: watch::Receiver<bool>) -> Result<(), WatcherError> {
        let poll = Poll::new("l1-watcher", self.config.poll_interval, "bai_l1_poll_errors_total");
        poll.run(shutdown, || self.poll(start)).await
    }

    /// Waits until the block `number` has been fetched (the sequencer needs its first origin).
    pub async fn wait_for(&self, number: u64) {
        let mut rx = self.synced.subscribe();
        let _ = rx.wait_for(|synced| synced.is_some_and(|n| n >= number)).await;
    }

    async fn poll(&self, start: u64) -> Result<(), WatcherError> {
        let head = self.provider.get_block_number().await?;
        metrics::gauge!("bai_l1_head").set(head as f64);
        // A reorg that replaced our newest block without adding one shows up here.
        if let Some((number, hash)) = self.latest()
            && fetch_header(&self.provider, number).await?.hash != hash
        {
            self.rewind(start, number)?;
        }
        let target = head.saturating_sub(self.config.confirmations);
        loop {
            let number = self.next_to_fetch(start);
            if number > target {
                return Ok(());
            }
            let mut block = fetch_header(&self.provider, number).await?;
            let parent_known = self.blocks.read().get(&(number.wrapping_sub(1))).map(|b| b.hash);
            if parent_known.is_some_and(|parent| parent != block.parent_hash) {
                self.rewind(start, number - 1)?;
                continue;
            }
            read_deposits(&self.provider, self.config.portal, &mut block).await?;
            if !block.deposits.is_empty() {
                tracing::info!(target: "l1", block = number, deposits = block.deposits.len(), "L1 deposits seen");
                metrics::counter!("bai_l1_deposits_seen_total").increment(block.deposits.len() as u64);
            }
            {
                let mut blocks = self.blocks.write();
                blocks.insert(number, block);
                while blocks.len() > KEEP_BLOCKS {
                    blocks.pop_first();
                }
            }
            metrics::gauge!("bai_l1_synced").set(number as f64);
            self.synced.send_replace(Some(number));
        }
    }

    /// Drops `from` and everything above it, so they are fetched again.
    fn rewind(&self, start: u64, from: u64) -> Result<(), WatcherError> {
        if from < start {
            return Err(WatcherError::ReorgBelowStart(start));
        }
        tracing::warn!(target: "l1", from, "L1 reorg: refetching");
        metrics::counter!("bai_l1_reorgs_total").increment(1);
        self.blocks.write().retain(|n, _| *n < from);
        Ok(())
    }

    fn info(&self, block: &L1Block, sequence_number: u64) -> L1Info {
        block.info(
            sequence_number,
            self.config.batcher_hash,
            self.config.base_fee_scalar,
            self.config.blob_base_fee_scalar,
        )
    }
}

impl L1Block {
    /// This block as the L1 origin of an L2 block at `sequence_number` in its epoch.
    pub fn info(
        &self,
        sequence_number: u64,
        batcher_hash: B256,
        base_fee_scalar: u32,
        blob_base_fee_scalar: u32,
    ) -> L1Info {
        L1Info {
            number: self.number,
            timestamp: self.timestamp,
            base_fee: U256::from(self.base_fee),
            blob_base_fee: U256::from(self.blob_base_fee),
            hash: self.hash,
            sequence_number,
            batcher_hash,
            base_fee_scalar,
            blob_base_fee_scalar,
            operator_fee_scalar: 0,
            operator_fee_constant: 0,
        }
    }
}

/// Block `number`'s header fields (deposits not read yet).
pub async fn fetch_header(provider: &DynProvider, number: u64) -> Result<L1Block, WatcherError> {
    let block = provider
        .get_block_by_number(BlockNumberOrTag::Number(number))
        .await?
        .ok_or(WatcherError::MissingBlock(number))?;
    Ok(L1Block::from_header(&block.header))
}

impl L1Block {
    /// The fields the L2 uses of an L1 header (no deposits yet).
    pub fn from_header(header: &alloy::rpc::types::Header) -> Self {
        Self {
            number: header.number,
            hash: header.hash,
            parent_hash: header.parent_hash,
            timestamp: header.timestamp,
            base_fee: header.base_fee_per_gas.unwrap_or_default(),
            blob_base_fee: BlobParams::prague().calc_blob_fee(header.excess_blob_gas.unwrap_or_default()),
            deposits: Vec::new(),
        }
    }
}

/// Reads the portal's deposits of `block` (by its hash, so a reorged block yields none). A portal
/// event that is not a valid deposit is [`WatcherError::MalformedDeposit`] (critical).
pub async fn read_deposits(provider: &DynProvider, portal: Address, block: &mut L1Block) -> Result<(), WatcherError> {
    let filter =
        Filter::new().at_block_hash(block.hash).address(portal).event_signature(TransactionDeposited::SIGNATURE_HASH);
    for log in &provider.get_logs(&filter).await? {
        let deposit = deposit_from_log(log, block.hash).map_err(|source| WatcherError::MalformedDeposit {
            block: block.number,
            log_index: log.log_index,
            source,
        })?;
        block.deposits.push(deposit);
    }
    Ok(())
}

impl L1OriginSource for L1Watcher {
    /// Advances to the next L1 block once it is confirmed and not newer than the L2 block (its
    /// deposits then open the epoch); otherwise stays on the parent's origin.
    fn next_epoch(&self, timestamp: u64, genesis_timestamp: u64, previous: Option<&L1Info>) -> Epoch {
        let blocks = self.blocks.read();
        let Some(previous) = previous else {
            // The first block after genesis: the node waited for the start block before sequencing.
            return match blocks.values().next() {
                Some(first) => Epoch { info: self.info(first, 0), deposits: first.deposits.clone() },
                None => {
                    tracing::error!(target: "l1", "no L1 block fetched yet; using a synthetic origin");
                    Epoch { info: L1Info::dev(timestamp, genesis_timestamp, None), deposits: Vec::new() }
                }
            };
        };
        match blocks.get(&(previous.number + 1)) {
            Some(next) if next.timestamp <= timestamp && next.parent_hash == previous.hash => {
                Epoch { info: self.info(next, 0), deposits: next.deposits.clone() }
            }
            next => {
                if let Some(next) = next
                    && next.parent_hash != previous.hash
                {
                    // The origin we built on was reorged out of L1; L2 cannot follow without a
                    // reorg of its own, which needs derivation (not in this node yet).
                    tracing::error!(target: "l1", origin = previous.number, "L1 origin reorged away; holding the origin");
                }
                Epoch {
                    info: L1Info { sequence_number: previous.sequence_number + 1, ..previous.clone() },
                    deposits: Vec::new(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{TxKind, address};

    /// A portal log whose opaque data is too short to be a deposit stops the node (critical), with
    /// the block, log and reason; it used to be skipped with a warning.
    #[tokio::test]
    async fn a_malformed_deposit_event_is_critical() {
        use alloy::{primitives::LogData, providers::ProviderBuilder, transports::mock::Asserter};
        let event = TransactionDeposited {
            from: Address::repeat_byte(1),
            to: Address::repeat_byte(2),
            version: U256::ZERO,
            opaqueData: vec![0u8; 10].into(),
        };
        let log = alloy::rpc::types::Log {
            inner: alloy::primitives::Log { address: Address::repeat_byte(9), data: LogData::from(&event) },
            log_index: Some(3),
            ..Default::default()
        };
        let asserter = Asserter::new();
        asserter.push_success(&vec![log]);
        let provider = ProviderBuilder::new().connect_mocked_client(asserter).erased();
        let mut block = L1Block {
            number: 42,
            hash: B256::repeat_byte(4),
            parent_hash: B256::ZERO,
            timestamp: 0,
            base_fee: 0,
            blob_base_fee: 0,
            deposits: Vec::new(),
        };
        let error = read_deposits(&provider, Address::repeat_byte(9), &mut block).await.unwrap_err();
        assert_eq!(error.class(), ErrorClass::Critical);
        assert_eq!(error.to_string(), "malformed deposit event in L1 block 42 (log Some(3))");
        let source = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("opaque data is 10 bytes, shorter than the 73-byte header"));
        assert!(block.deposits.is_empty());
    }

    fn watcher_with(blocks: &[(u64, u64, u64)]) -> Arc<L1Watcher> {
        let watcher = L1Watcher::new(WatcherConfig {
            rpc_url: "http://127.0.0.1:1".into(),
            portal: Address::ZERO,
            confirmations: 0,
            poll_interval: Duration::from_secs(1),
            batcher_hash: B256::ZERO,
            base_fee_scalar: 1,
            blob_base_fee_scalar: 2,
        })
        .unwrap();
        // (number, timestamp, deposits): hashes chain by number.
        let hash = |n: u64| B256::from(U256::from(n + 1000));
        for &(number, timestamp, deposits) in blocks {
            let deposit = TxDeposit {
                to: TxKind::Call(address!("0x00000000000000000000000000000000000000aa")),
                mint: 7,
                ..Default::default()
            };
            watcher.blocks.write().insert(
                number,
                L1Block {
                    number,
                    hash: hash(number),
                    parent_hash: hash(number - 1),
                    timestamp,
                    base_fee: 9,
                    blob_base_fee: 1,
                    deposits: vec![deposit; deposits as usize],
                },
            );
        }
        watcher
    }

    #[test]
    fn origins_advance_one_confirmed_block_at_a_time_and_deposits_open_epochs() {
        let watcher = watcher_with(&[(10, 100, 2), (11, 112, 1), (12, 124, 0)]);
        let first = watcher.next_epoch(101, 0, None);
        assert_eq!((first.info.number, first.info.sequence_number, first.deposits.len()), (10, 0, 2));
        assert_eq!(first.info.base_fee, U256::from(9));

        // Block 11 is newer than the L2 timestamp: stay on 10, no deposits again.
        let same = watcher.next_epoch(105, 0, Some(&first.info));
        assert_eq!((same.info.number, same.info.sequence_number, same.deposits.len()), (10, 1, 0));

        let next = watcher.next_epoch(130, 0, Some(&same.info));
        assert_eq!((next.info.number, next.info.sequence_number, next.deposits.len()), (11, 0, 1));
        // One block per L2 block even when the L2 is far ahead.
        let after = watcher.next_epoch(131, 0, Some(&next.info));
        assert_eq!(after.info.number, 12);
        // Nothing newer fetched: hold the origin.
        let hold = watcher.next_epoch(200, 0, Some(&after.info));
        assert_eq!((hold.info.number, hold.info.sequence_number), (12, 1));
    }

    #[test]
    fn a_reorged_origin_is_not_built_upon() {
        let watcher = watcher_with(&[(10, 100, 0), (11, 112, 1)]);
        let mut stale = watcher.next_epoch(101, 0, None).info;
        stale.hash = B256::repeat_byte(0xee); // what we built on is no longer L1's block 10
        let epoch = watcher.next_epoch(130, 0, Some(&stale));
        assert_eq!((epoch.info.number, epoch.deposits.len()), (10, 0));
    }
}
