//! Replica mode (`bai node --follow <rpc>`): instead of sequencing, fetch every block of a source
//! node (`debug_getRawBlock`) and import it — re-executed locally, AI calls answered only from the
//! block's recorded witnesses, roots checked against the header. A block that does not check out
//! is rejected, nothing of it is written, and the replica stays on its last good block.

use alloy::transports::TransportError;
use alloy::{
    consensus::Block,
    eips::Encodable2718,
    primitives::{Bytes, U64},
    providers::{Provider, ProviderBuilder},
    rlp::Decodable,
};
use bai_runtime::{Classify, ErrorClass, Poll};
use bai_sequencer::{Sequencer, SequencerError};
use op_alloy::consensus::OpTxEnvelope;
use std::{sync::Arc, time::Duration};
use tokio::sync::watch;

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

/// Follows the node at `url` until `shutdown`; ends early only on a critical error.
pub async fn run(sequencer: Arc<Sequencer>, url: String, shutdown: watch::Receiver<bool>) -> Result<(), FollowError> {
    let provider = ProviderBuilder::new()
        .connect_reqwest(bai_runtime::http::http_client(), url.parse().map_err(|_| FollowError::BadUrl(url.clone()))?);
    let poll = Poll {
        task: "follow",
        interval: Duration::from_millis(250),
        max_backoff: Duration::from_secs(10),
        errors_metric: "bai_follow_errors_total",
    };
    poll.run(shutdown, || sync_once(&provider, &sequencer)).await?;
    tracing::info!(target: "follow", "stopped following");
    Ok(())
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
