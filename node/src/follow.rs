//! Replica mode (`bai node --follow <rpc>`): instead of sequencing, fetch every block of a source
//! node (`debug_getRawBlock`) and import it — re-executed locally, AI calls answered only from the
//! block's recorded witnesses, roots checked against the header. A block that does not check out
//! is rejected, nothing of it is written, and the replica stays on its last good block.

use alloy::{
    consensus::Block,
    eips::Encodable2718,
    primitives::{Bytes, U64},
    providers::{Provider, ProviderBuilder},
    rlp::Decodable,
};
use bai_bridge::poll::Poll;
use bai_sequencer::Sequencer;
use op_alloy::consensus::OpTxEnvelope;
use std::{sync::Arc, time::Duration};
use tokio::sync::watch;

pub async fn run(sequencer: Arc<Sequencer>, url: String, shutdown: watch::Receiver<bool>) {
    let provider = match url.parse() {
        Ok(url) => ProviderBuilder::new().connect_http(url),
        Err(error) => {
            tracing::error!(target: "follow", %url, %error, "invalid source URL; not following");
            return;
        }
    };
    let poll = Poll {
        task: "follow",
        interval: Duration::from_millis(250),
        max_backoff: Duration::from_secs(10),
        errors_metric: "bai_follow_errors_total",
    };
    poll.run(shutdown, || sync_once(&provider, &sequencer)).await;
    tracing::info!(target: "follow", "stopped following");
}

async fn sync_once(provider: &impl Provider, sequencer: &Arc<Sequencer>) -> anyhow::Result<()> {
    let remote: U64 = provider.raw_request("eth_blockNumber".into(), ()).await?;
    let mut next = sequencer.head().0.number + 1;
    while next <= remote.to::<u64>() {
        let raw: Bytes = provider.raw_request("debug_getRawBlock".into(), (U64::from(next),)).await?;
        let block = Block::<OpTxEnvelope>::decode(&mut raw.as_ref())
            .map_err(|e| anyhow::anyhow!("block {next} does not decode: {e}"))?;
        let transactions: Vec<Bytes> = block.body.transactions.iter().map(|tx| tx.encoded_2718().into()).collect();
        let seq = sequencer.clone();
        let header = block.header;
        let imported = tokio::task::spawn_blocking(move || seq.import_block(header, transactions)).await?;
        match imported {
            Ok(block) => {
                tracing::debug!(target: "follow", number = next, hash = %block.block.hash, "imported block")
            }
            Err(error) => {
                tracing::error!(target: "follow", number = next, %error, "rejected block");
                anyhow::bail!("rejected block {next}: {error}")
            }
        }
        next += 1;
    }
    Ok(())
}
