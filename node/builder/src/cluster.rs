//! A sequencer in a cluster (`--conductor.etcd`): the conductor decides, through etcd, when this node
//! leads. While it leads, the sequencer loop builds blocks (each published through the conductor's
//! fence before it is committed); while it stands by, the conductor imports the leader's blocks and
//! the loop does not run.
//!
//! The services that act on L1 as the sequencer (batcher, proposer, challenger) run on the leader only:
//! each term starts them afresh and stops them when it ends. They resume from L1, not from what this
//! member did in an earlier term: the proposer and challenger read the oracle, the batcher starts after
//! the safe head this member derived from L1 (every member derives). L1 readers that only feed the
//! chain (the deposit watcher, derivation) run on every member, so a new leader has them warm.

use crate::{
    config::NodeConfig,
    l1::{L1Setup, batcher, role_config},
};
use alloy::providers::Provider;
use anyhow::Context;
use bai_conductor::{Conductor, ConductorConfig};
use bai_runtime::TaskError;
use bai_sequencer::Sequencer;
use futures::future::BoxFuture;
use std::{
    net::IpAddr,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::{sync::watch, task::JoinSet};

/// Published blocks etcd keeps: a standby further behind fetches the rest from the leader's RPC.
const KEEP_BLOCKS: u64 = 256;
/// How long a new leader's batcher waits for derivation to reach the L1 head before it resumes anyway.
const RESUME_WAIT: Duration = Duration::from_secs(30);

/// This node's membership: the conductor, on a runtime of its own. The lease is renewed there, so a node
/// whose worker threads are busy (RPC load, a slow L1 call, a machine short of cores) still renews it in
/// time: leadership then changes when a node is dead or cut off, not when it is merely busy.
pub(crate) struct Cluster {
    pub(crate) conductor: Arc<Conductor>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster").field("conductor", &self.conductor).finish_non_exhaustive()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Cluster {
    /// The conductor's loop (standby, campaign, lead) until `shutdown`, on the conductor's runtime.
    pub(crate) fn run(
        &self,
        sequencer: Arc<Sequencer>,
        shutdown: watch::Receiver<bool>,
    ) -> impl std::future::Future<Output = Result<(), TaskError>> + Send + 'static {
        let task = self.handle().spawn(self.conductor.clone().run(sequencer, shutdown));
        async move { task.await?.map_err(TaskError::from) }
    }

    fn handle(&self) -> &tokio::runtime::Handle {
        self.runtime.as_ref().expect("the runtime lives as long as the cluster").handle()
    }
}

/// Joins the cluster when `--conductor.etcd` is given: connects to etcd (from the conductor's own runtime)
/// and puts the conductor's fence between sealing and committing every block this node builds.
pub(crate) async fn join(config: &NodeConfig, sequencer: &Arc<Sequencer>) -> anyhow::Result<Option<Cluster>> {
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("conductor")
        .enable_all()
        .build()
        .context("cannot start the conductor's runtime")?;
    let connecting = runtime.spawn(Conductor::connect(ConductorConfig {
        endpoints: config.conductor_etcd.clone(),
        id,
        rpc_url,
        chain_id: sequencer.chain().chain_id,
        lease_ttl: config.conductor_lease_ttl,
        keep_blocks: KEEP_BLOCKS,
        derives_from_l1: config.l1_system_config.is_some(),
    }));
    let cluster = async {
        let conductor =
            connecting.await?.with_context(|| format!("cannot reach etcd at {}", config.conductor_etcd.join(",")))?;
        sequencer
            .set_block_gate(conductor.clone())
            .map_err(|_| anyhow::anyhow!("the sequencer already has a block gate"))?;
        anyhow::Ok(conductor)
    }
    .await;
    match cluster {
        Ok(conductor) => Ok(Some(Cluster { conductor, runtime: Some(runtime) })),
        Err(error) => {
            runtime.shutdown_background();
            Err(error)
        }
    }
}

/// Starts one term of a leader-only service, given the term's stop signal.
pub(crate) type StartTerm =
    Box<dyn Fn(watch::Receiver<bool>) -> BoxFuture<'static, Result<(), TaskError>> + Send + Sync>;

/// A service that runs while this member leads: `start` is called at the start of each term with the
/// term's stop signal.
pub(crate) struct LeaderService {
    pub(crate) name: &'static str,
    pub(crate) start: StartTerm,
}

impl std::fmt::Debug for LeaderService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaderService").field("name", &self.name).finish_non_exhaustive()
    }
}

/// Runs the sequencer loop and the leader-only `services` during each term this node leads, until
/// `shutdown`. A new leader builds its first block at once, so a failover costs the lease, not a lease
/// and a block time. A service that fails ends the node (as it would a single sequencer): its lease then
/// expires and a standby takes over with fresh services.
pub(crate) async fn lead_when_elected(
    conductor: Arc<Conductor>,
    sequencer: Arc<Sequencer>,
    services: Vec<LeaderService>,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), TaskError> {
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
        let mut term: JoinSet<(&'static str, Result<(), TaskError>)> = JoinSet::new();
        let building = sequencer.clone().run(stopped.clone());
        term.spawn(async move { ("sequencer", building.await.map_err(TaskError::from)) });
        sequencer.request_block();
        for service in &services {
            tracing::info!(target: "node", service = service.name, "leading: starting");
            let (name, task) = (service.name, (service.start)(stopped.clone()));
            term.spawn(async move { (name, task.await) });
        }
        let ended = tokio::select! {
            _ = leadership.wait_for(Option::is_none) => Ok(false),
            _ = shutdown.changed() => Ok(true),
            Some(joined) = term.join_next() => match joined {
                Ok((name, Ok(()))) => Err(format!("{name} stopped while this member leads").into()),
                Ok((name, Err(error))) => Err(format!("{name}: {error}").into()),
                Err(panic) => Err(TaskError::from(panic)),
            },
        };
        let _ = stop.send(true);
        while let Some(joined) = term.join_next().await {
            if let Ok((name, Err(error))) = joined {
                tracing::warn!(target: "node", service = name, %error, "failed while stopping at the end of a term");
            }
        }
        match ended {
            Ok(false) => tracing::info!(target: "node", "standing by: the leader-only services stopped"),
            Ok(true) => return Ok(()),
            Err(error) => return Err(error),
        }
    }
}

/// The batcher, afresh for each term. It resumes after the safe head this member derived from L1, once
/// its deriver has read L1 up to the head seen at takeover: what earlier leaders posted and L1 included
/// is not posted again. Their channels still in flight are (derivation ignores a batch for a block it
/// already has), and so are blocks past the safe head: resuming from L1 may repeat, never skip.
pub(crate) fn batcher_service(
    config: Arc<NodeConfig>,
    l1: Arc<L1Setup>,
    sequencer: Arc<Sequencer>,
    derived_l1: Arc<dyn Fn() -> u64 + Send + Sync>,
) -> LeaderService {
    LeaderService {
        name: "batcher",
        start: Box::new(move |stop| {
            let (config, l1, sequencer, derived_l1) =
                (config.clone(), l1.clone(), sequencer.clone(), derived_l1.clone());
            Box::pin(async move {
                let batcher = batcher(&config, Some(&l1), &sequencer)?.ok_or("no batcher key")?;
                // L1 unreachable at takeover: no reason to end the term (the batcher retries L1 like any
                // poll step); resume from the safe head derivation has.
                let target = match l1.provider.get_block_number().await {
                    Ok(head) => head.saturating_sub(config.l1_confirmations),
                    Err(error) => {
                        tracing::warn!(target: "batcher", %error, "cannot read the L1 head at takeover: resuming from the safe head derived so far");
                        0
                    }
                };
                let deadline = Instant::now() + RESUME_WAIT;
                while derived_l1() < target {
                    if *stop.borrow() {
                        return Ok(());
                    }
                    if Instant::now() > deadline {
                        tracing::warn!(target: "batcher", target, derived = derived_l1(), "derivation is behind L1: resuming from the safe head it has");
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                let (before, safe) = (batcher.last_posted(), sequencer.safe_head());
                batcher.resume_after(safe);
                tracing::info!(target: "batcher", safe, recorded = before, from = batcher.last_posted() + 1, "resuming from L1: posting after the derived safe head");
                batcher.run(stop).await?;
                Ok(())
            })
        }),
    }
}

/// The proposer or the challenger, afresh for each term. Both resume from L1 by nature: the oracle is
/// their only record (the next block it expects, the outputs it holds).
pub(crate) fn oracle_service(
    role: bai_prover::OracleRole,
    config: Arc<NodeConfig>,
    l1: Arc<L1Setup>,
    sequencer: Arc<Sequencer>,
) -> LeaderService {
    let name = match role {
        bai_prover::OracleRole::Proposer => "proposer",
        bai_prover::OracleRole::Challenger => "challenger",
    };
    LeaderService {
        name,
        start: Box::new(move |stop| {
            let (config, l1, sequencer) = (config.clone(), l1.clone(), sequencer.clone());
            Box::pin(async move {
                let key = match role {
                    bai_prover::OracleRole::Proposer => config.proposer_key.as_ref(),
                    bai_prover::OracleRole::Challenger => config.challenger_key.as_ref(),
                };
                let account = role_config(key, role, Some(&l1))?.ok_or("no key for the role")?;
                match role {
                    bai_prover::OracleRole::Proposer => {
                        bai_prover::Proposer::new(account, sequencer)?.run(stop).await?
                    }
                    bai_prover::OracleRole::Challenger => {
                        bai_prover::Challenger::new(account, sequencer)?.run(stop).await?
                    }
                }
                Ok(())
            })
        }),
    }
}
