//! Replica mode (`bai node --follow <rpc>`): instead of sequencing, fetch every block of a source
//! node (`debug_getRawBlock`) and import it — re-executed locally, AI calls answered only from the
//! block's recorded witnesses, roots checked against the header. A block that does not check out
//! is rejected, nothing of it is written, and the replica stays on its last good block. New blocks are
//! pushed (a `newHeads` subscription wakes the import), with polling as the fallback. Given several
//! sources (the members of a sequencer cluster, comma-separated), it follows one and moves to the
//! next when it fails, and forwards transactions to all of them.

use alloy::transports::TransportError;
use alloy::{
    consensus::Block,
    eips::Encodable2718,
    primitives::{Bytes, U64},
    providers::{Provider, ProviderBuilder, WsConnect},
    rlp::Decodable,
};
use bai_runtime::{Classify, ErrorClass, Poll};
use bai_sequencer::{Sequencer, SequencerError};
use futures::StreamExt;
use op_alloy::consensus::OpTxEnvelope;
use std::{sync::Arc, time::Duration};
use tokio::sync::{Notify, watch};

/// Why a replica's sync step failed.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    /// `--follow` is not a URL.
    #[error("invalid source URL {0:?}")]
    BadUrl(String),
    /// The source node failed or refused a call.
    #[error("source RPC")]
    Source(#[from] TransportError),
    /// The source served bytes that are not a block.
    #[error("block {number} from the source does not decode")]
    Decode {
        /// The block number asked for.
        number: u64,
        /// Why.
        #[source]
        source: alloy::rlp::Error,
    },
    /// The block does not check out (roots, parent, witnesses); nothing of it was written.
    #[error("rejected block {number}")]
    Rejected {
        /// The block number.
        number: u64,
        /// Why.
        #[source]
        source: SequencerError,
    },
    /// The blocking import task panicked.
    #[error("block import task")]
    Join(#[from] tokio::task::JoinError),
}

impl Classify for FollowError {
    fn class(&self) -> ErrorClass {
        match self {
            // The replica stays on its last good block and asks again: the source may serve a
            // different block (after its own reorg) or come back.
            Self::Source(_) | Self::Decode { .. } => ErrorClass::Temporary,
            Self::BadUrl(_) | Self::Rejected { source: SequencerError::Storage(_), .. } | Self::Join(_) => {
                ErrorClass::Critical
            }
            Self::Rejected { .. } => ErrorClass::Temporary,
        }
    }
}

/// How often a replica asks the source for its head when no push arrives (the source serves no
/// WebSocket, or the feed is reconnecting).
const FALLBACK_POLL: Duration = Duration::from_millis(500);
/// Wait before reconnecting a feed that failed or ended.
const FEED_RECONNECT: Duration = Duration::from_secs(1);

/// Follows the node at `url` until `shutdown`; ends early only on a critical error.
///
/// Blocks come as they are sealed: a WebSocket subscription to the source's `newHeads` wakes the import at
/// once; polling `eth_blockNumber` every [`FALLBACK_POLL`] covers a missed push or a source without
/// WebSocket. The import itself always fetches and checks whole blocks over HTTP.
pub async fn run(sequencer: Arc<Sequencer>, url: String, shutdown: watch::Receiver<bool>) -> Result<(), FollowError> {
    // Several sources (a sequencer cluster's members): follow the first, move to the next when it fails.
    let urls: Vec<String> = url.split(',').map(|u| u.trim().to_string()).filter(|u| !u.is_empty()).collect();
    let mut providers = Vec::with_capacity(urls.len());
    for url in &urls {
        providers.push(ProviderBuilder::new().connect_reqwest(
            bai_runtime::http::http_client(),
            url.parse().map_err(|_| FollowError::BadUrl(url.clone()))?,
        ));
    }
    if providers.is_empty() {
        return Err(FollowError::BadUrl(url));
    }
    let poll = Poll {
        task: "follow",
        interval: FALLBACK_POLL,
        max_backoff: Duration::from_secs(if urls.len() > 1 { 1 } else { 10 }),
        errors_metric: "bai_follow_errors_total",
    };
    let sealed = Arc::new(Notify::new());
    let feeds: Vec<_> =
        urls.iter().map(|url| tokio::spawn(push_feed(ws_url(url), sealed.clone(), shutdown.clone()))).collect();
    let current = std::sync::atomic::AtomicUsize::new(0);
    let (current, providers, urls_ref, sequencer) = (&current, &providers, &urls, &sequencer);
    let followed = poll
        .run_woken(shutdown, &sealed, move || async move {
            let urls = urls_ref;
            let index = current.load(std::sync::atomic::Ordering::Relaxed);
            let result = sync_once(&providers[index], sequencer).await;
            if let Err(FollowError::Source(error)) = &result
                && urls.len() > 1
            {
                let next = (index + 1) % urls.len();
                current.store(next, std::sync::atomic::Ordering::Relaxed);
                tracing::warn!(target: "follow", from = %urls[index], to = %urls[next], %error, "source failed: following the next one");
                metrics::counter!("bai_follow_source_switches_total").increment(1);
            }
            result
        })
        .await;
    feeds.iter().for_each(|feed| feed.abort());
    followed?;
    tracing::info!(target: "follow", "stopped following");
    Ok(())
}

/// The WebSocket URL of an HTTP JSON-RPC URL (the node serves both on one port).
fn ws_url(http: &str) -> String {
    if let Some(rest) = http.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = http.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        http.to_string()
    }
}

/// Keeps a `newHeads` subscription to the source and notifies `sealed` for every block it announces;
/// reconnects after [`FEED_RECONNECT`] when the connection fails or ends. `bai_follow_feed_connected` is 1
/// while subscribed.
async fn push_feed(ws: String, sealed: Arc<Notify>, mut shutdown: watch::Receiver<bool>) {
    let mut announced = false;
    loop {
        let subscribed = async {
            let provider = ProviderBuilder::new().connect_ws(WsConnect::new(ws.as_str())).await?;
            provider.subscribe_blocks().await
        }
        .await;
        match subscribed {
            Ok(subscription) => {
                if !announced {
                    tracing::info!(target: "follow", %ws, "following sealed blocks as they are pushed");
                    announced = true;
                }
                metrics::gauge!("bai_follow_feed_connected").set(1.0);
                let mut heads = subscription.into_stream();
                loop {
                    tokio::select! {
                        head = heads.next() => match head {
                            Some(_) => sealed.notify_one(),
                            None => break,
                        },
                        _ = shutdown.changed() => return,
                    }
                }
                tracing::debug!(target: "follow", %ws, "block feed ended; reconnecting");
            }
            Err(error) => tracing::debug!(target: "follow", %ws, %error, "no block feed; polling meanwhile"),
        }
        metrics::gauge!("bai_follow_feed_connected").set(0.0);
        tokio::select! {
            _ = tokio::time::sleep(FEED_RECONNECT) => {}
            _ = shutdown.changed() => return,
        }
    }
}

async fn sync_once(provider: &impl Provider, sequencer: &Arc<Sequencer>) -> Result<(), FollowError> {
    let remote: U64 = provider.raw_request("eth_blockNumber".into(), ()).await?;
    let remote = remote.to::<u64>();
    let mut next = sequencer.head().0.number + 1;
    // Blocks the source has that this replica has not imported yet, as last seen.
    let lag = || metrics::gauge!("bai_replica_lag_blocks").set(remote.saturating_sub(sequencer.head().0.number) as f64);
    lag();
    while next <= remote {
        let raw: Bytes = provider.raw_request("debug_getRawBlock".into(), (U64::from(next),)).await?;
        let block = Block::<OpTxEnvelope>::decode(&mut raw.as_ref())
            .map_err(|source| FollowError::Decode { number: next, source })?;
        let transactions: Vec<Bytes> = block.body.transactions.iter().map(|tx| tx.encoded_2718().into()).collect();
        let seq = sequencer.clone();
        let header = block.header;
        let imported = tokio::task::spawn_blocking(move || seq.import_block(header, transactions)).await?;
        match imported {
            Ok(block) => {
                tracing::debug!(target: "follow", number = next, hash = %block.block.hash, "imported block")
            }
            Err(source) => {
                tracing::error!(target: "follow", number = next, error = %source, "rejected block");
                return Err(FollowError::Rejected { number: next, source });
            }
        }
        next += 1;
        lag();
    }
    Ok(())
}
