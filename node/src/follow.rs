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
use bai_sequencer::Sequencer;
use op_alloy::consensus::OpTxEnvelope;
use std::{sync::Arc, time::Duration};
use tokio::sync::watch;

const POLL: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(10);

pub async fn run(sequencer: Arc<Sequencer>, url: String, mut shutdown: watch::Receiver<bool>) {
    let provider = match url.parse() {
        Ok(url) => ProviderBuilder::new().connect_http(url),
        Err(error) => {
            tracing::error!(target: "follow", %url, %error, "invalid source URL; not following");
            return;
        }
    };
    let mut backoff = POLL;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = shutdown.changed() => break,
        }
        if *shutdown.borrow() {
            break;
        }
        match sync_once(&provider, &sequencer).await {
            Ok(()) => backoff = POLL,
            Err(error) => {
                backoff = (backoff * 2).min(BACKOFF_MAX);
                tracing::error!(target: "follow", %error, retry_in = ?backoff, "following the source failed");
            }
        }
    }
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
            Err(error) => anyhow::bail!("rejected block {next}: {error}"),
        }
        next += 1;
    }
    Ok(())
}
