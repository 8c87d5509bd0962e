//! A sequencer in a cluster (`--conductor.etcd`): the conductor decides, through etcd, when this node
//! leads. While it leads, the sequencer loop builds blocks (each published through the conductor's
//! fence before it is committed); while it stands by, the conductor imports the leader's blocks and
//! the loop does not run.

use crate::config::NodeConfig;
use anyhow::Context;
use bai_conductor::{Conductor, ConductorConfig};
use bai_sequencer::{Sequencer, SequencerError};
use std::{net::IpAddr, sync::Arc};
use tokio::sync::watch;

/// Published blocks etcd keeps: a standby further behind fetches the rest from the leader's RPC.
const KEEP_BLOCKS: u64 = 256;

/// Joins the cluster when `--conductor.etcd` is given: connects to etcd and puts the conductor's fence
/// between sealing and committing every block this node builds.
pub(crate) async fn join(config: &NodeConfig, sequencer: &Arc<Sequencer>) -> anyhow::Result<Option<Arc<Conductor>>> {
    if config.conductor_etcd.is_empty() {
        return Ok(None);
    }
    let host = match config.http_addr {
        IpAddr::V4(v4) if v4.is_unspecified() => "127.0.0.1".to_string(),
        IpAddr::V6(v6) if v6.is_unspecified() => "127.0.0.1".to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
        other => other.to_string(),
    };
    let rpc_url =
        config.conductor_advertise_url.clone().unwrap_or_else(|| format!("http://{host}:{}", config.http_port));
    let id = config.conductor_id.clone().unwrap_or_else(|| format!("{host}:{}", config.http_port));
    let conductor = Conductor::connect(ConductorConfig {
        endpoints: config.conductor_etcd.clone(),
        id,
        rpc_url,
        chain_id: sequencer.chain().chain_id,
        lease_ttl: config.conductor_lease_ttl,
        keep_blocks: KEEP_BLOCKS,
    })
    .await
    .with_context(|| format!("cannot reach etcd at {}", config.conductor_etcd.join(",")))?;
    sequencer
        .set_block_gate(conductor.clone())
        .map_err(|_| anyhow::anyhow!("the sequencer already has a block gate"))?;
    Ok(Some(conductor))
}

/// Runs the sequencer loop during each term this node leads, until `shutdown`. A new leader builds its
/// first block at once, so a failover costs the lease, not a lease and a block time.
pub(crate) async fn lead_when_elected(
    conductor: Arc<Conductor>,
    sequencer: Arc<Sequencer>,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), SequencerError> {
    let mut leadership = conductor.leadership();
    loop {
        tokio::select! {
            changed = leadership.wait_for(Option::is_some) => if changed.is_err() { return Ok(()) },
            _ = shutdown.changed() => return Ok(()),
        }
        if *shutdown.borrow() {
            return Ok(());
        }
        let (stop, stopped) = watch::channel(false);
        let term = tokio::spawn(sequencer.clone().run(stopped));
        sequencer.request_block();
        let ended_by_shutdown = tokio::select! {
            _ = leadership.wait_for(Option::is_none) => false,
            _ = shutdown.changed() => true,
        };
        let _ = stop.send(true);
        term.await??;
        if ended_by_shutdown {
            return Ok(());
        }
    }
}
