//! `bai node`: opens the store, starts the sequencer, the RPC server and metrics, prints the
//! banner, runs every long-running part on a supervised [`TaskManager`], and shuts everything down
//! cleanly on SIGINT/SIGTERM — or with an error (non-zero exit) when a critical task fails.

use crate::{
    config::{NodeArgs, NodeConfig},
    l1::{L1Setup, batcher, role_config},
};
use alloy_primitives::{Address, B256};
use anyhow::Context;
use bai_chainspec::{
    ChainSpec,
    dev::{DEV_MNEMONIC, dev_accounts},
};
use bai_inference::{Catalog, Engine, EngineConfig};
use bai_pool::{PoolConfig, TxPool};
use bai_precompiles::{CachedBackend, InferenceBackend, RemoteBackend};
use bai_rpc::{self as rpc, RpcConfig, optimism::SyncView};
use bai_runtime::{TaskManager, wait_for_signal};
use bai_sequencer::{Sequencer, SequencerConfig};
use bai_storage::{Store, StoreConfig};
use std::{net::SocketAddr, sync::Arc, time::Duration};

/// How long tasks get to finish after the node was asked to stop.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// After a critical failure the RPC (with `bai_health` / `GET /health`) and metrics keep answering
/// this long, so health probes and scrapers see which task failed and why before the process exits.
const FAILURE_REPORT_WINDOW: Duration = Duration::from_secs(2);

/// Refuses a non-dev genesis that allocates native BAI: native BAI exists on L2 only as bridged L1
/// BAI, so any other genesis balance is money no deposit backs, withdrawable from the portal (and so
/// from real depositors). The dev chain's funded accounts are dev-only and need `--dev`.
fn check_genesis_backing(chain: &ChainSpec, config: &NodeConfig) -> anyhow::Result<()> {
    let supply = chain.genesis_supply();
    if config.dev || config.allow_unbacked_genesis || supply.is_zero() {
        return Ok(());
    }
    let mut funded: Vec<_> = chain.alloc.iter().filter(|(_, a)| !a.balance.is_zero()).collect();
    funded.sort_by_key(|(_, account)| std::cmp::Reverse(account.balance));
    let largest: Vec<String> =
        funded.iter().take(3).map(|(address, account)| format!("{address}: {} wei", account.balance)).collect();
    anyhow::bail!(
        "the genesis allocates {supply} wei of native BAI ({} accounts; largest {}) that no L1 deposit backs: \
         a production genesis has none (generate it with BAI_DEV_MODELS=false, see docs/operator-guide.md); \
         --genesis.allow-unbacked accepts it on a private testnet",
        funded.len(),
        largest.join(", ")
    )
}

/// Runs `bai node` until SIGINT/SIGTERM (`Ok`) or until a critical task fails (`Err` naming it).
pub async fn run(args: NodeArgs) -> anyhow::Result<()> {
    let config = NodeConfig::resolve(&args)?;
    let chain = Arc::new(match &config.chain {
        Some(path) => ChainSpec::from_file(path)?,
        None => {
            let dev = ChainSpec::dev();
            ChainSpec { gas_limit: config.dev_gas_limit.unwrap_or(dev.gas_limit), ..dev }
        }
    });
    check_genesis_backing(&chain, &config)?;

    std::fs::create_dir_all(&config.datadir)
        .with_context(|| format!("cannot create data directory {}", config.datadir.display()))?;
    let mut store_config = StoreConfig::new(config.datadir.join("db"));
    store_config.archive = config.archive;
    store_config.sync_writes = config.db_sync;
    store_config.cache_bytes = config.db_cache_mb << 20;
    store_config.head_cache_entries = config.db_head_cache_entries;
    store_config.proof_accounts = vec![bai_chainspec::predeploys::L2_TO_L1_MESSAGE_PASSER];
    store_config.proof_history_blocks = config.withdrawal_proof_blocks();
    if config.challenger_l2_rpc_url.is_some() {
        // The inference challenger re-executes blocks on their parent state for the whole dispute
        // window; with the default 128 blocks it could not check a block once it fell behind.
        store_config.history_blocks = store_config.history_blocks.max(config.challenger_history_blocks);
    }
    let store = Store::open(store_config)
        .with_context(|| format!("cannot open the database in {}", config.datadir.display()))?;
    warm_head_cache(&store);

    let pool = Arc::new(TxPool::new(PoolConfig {
        max_account_slots: config.account_slots,
        max_transactions: config.global_slots,
        min_priority_fee: config.price_limit,
        ..Default::default()
    }));
    let inference = inference_backend(&config)?;
    let l1 = L1Setup::resolve(&config).await?.map(Arc::new);
    let watcher = match (&l1, config.verifier) {
        (Some(l1), false) => Some(l1_watcher(&config, l1)?),
        _ => None,
    };
    let origins: Arc<dyn bai_sequencer::L1OriginSource> = match &watcher {
        Some(watcher) => watcher.clone(),
        None => Arc::new(bai_sequencer::DevL1),
    };
    let sequencer = Sequencer::new(
        chain.clone(),
        store,
        pool,
        SequencerConfig {
            block_time: config.block_time,
            inference: inference.as_ref().map(|i| i.backend.clone()),
            l1: origins,
            censor_deposits: config.censor_deposits,
            // Verifying a zk model derives its circuit size's generators once; kept across restarts.
            zk_cache: Some(config.datadir.join("zk")),
        },
    )?;
    // A member of a sequencer cluster leads only when etcd elects it; it publishes each block it builds
    // through the conductor's fence before committing it.
    let cluster = crate::cluster::join(&config, &sequencer).await?;
    let conductor = cluster.as_ref().map(|cluster| cluster.conductor.clone());
    // A verifier derives its chain from L1; a sequencer with a SystemConfig derives alongside its own
    // blocks and confirms them, or replaces them when L1 decided otherwise (forced inclusion).
    let deriver = match &l1 {
        Some(l1) if config.verifier || (l1.rollup.is_some() && config.follow.is_none()) => {
            Some(Arc::new(deriver(&config, l1, &sequencer)?))
        }
        _ => None,
    };
    let batcher = batcher(&config, l1.as_deref(), &sequencer)?;
    let proposer = proposer(&config, l1.as_deref(), &sequencer).await?;
    let challenger = challenger(&config, l1.as_deref(), &sequencer).await?;
    let inference_challenger = inference_challenger(&config, &sequencer).await?;
    let sync = sync_view(deriver.as_deref(), watcher.as_ref(), batcher.as_ref());

    let metrics_addr = match config.metrics {
        Some(addr) => Some(start_metrics(addr)?),
        None => None,
    };

    let mut tasks = TaskManager::new();
    let dev_keys = if config.dev { dev_accounts().into_iter().map(|a| a.private_key).collect() } else { vec![] };
    let rpc_config = RpcConfig {
        addr: SocketAddr::new(config.http_addr, config.http_port),
        max_request_bytes: config.max_request_bytes,
        max_response_bytes: config.max_response_bytes,
        max_connections: config.max_connections,
        max_batch: config.max_batch,
        cors: config.cors.clone(),
        max_logs_range: config.max_logs_range,
        use_log_index: true,
        max_logs: config.max_logs,
        dev_keys,
        sync,
        health: Some(tasks.health()),
        apis: config.rpc_apis(),
        gas_cap: config.gas_cap,
        evm_timeout: config.evm_timeout,
        max_trace_steps: config.max_trace_steps,
        max_tracing_requests: config.max_tracing_requests,
        max_proof_keys: config.max_proof_keys,
        max_filters: config.max_filters,
        max_subscription_backlog: config.max_subscription_backlog,
        // A replica passes transactions to the sequencer it follows, as op-reth's --rollup.sequencer-http.
        forward_transactions_to: config.follow.clone(),
        cluster_status: conductor.as_ref().map(|conductor| {
            let conductor = conductor.clone();
            rpc::ClusterStatus(Arc::new(move || serde_json::to_value(conductor.status()).unwrap_or_default()))
        }),
        // Simulated calls share the answer cache but not the models' time: two at once, eight in line.
        inference_challenger: inference_challenger.as_ref().map(|(challenger, _)| challenger.status()),
        call_inference: inference.as_ref().map(|i| -> Arc<dyn InferenceBackend> {
            Arc::new(bai_precompiles::LimitedBackend::new(
                i.backend.clone(),
                SIMULATED_INFERENCE_RUNNING,
                SIMULATED_INFERENCE_WAITING,
            ))
        }),
    };
    let (rpc_addr, rpc_handle) = rpc::start(rpc_config, sequencer.clone())
        .await
        .with_context(|| format!("cannot listen on {}:{}", config.http_addr, config.http_port))?;

    let roles = L1Roles {
        batcher: batcher.as_ref().map(|b| b.address()),
        proposer: proposer.as_ref().map(|p| p.address()),
        challenger: challenger.as_ref().map(|c| c.address()),
        inference_challenger: inference_challenger.as_ref().map(|(c, models)| (c.address(), models.clone())),
    };
    print_banner(&config, &chain, &sequencer, rpc_addr, metrics_addr, inference.as_ref(), roles, l1.as_deref());

    if let Some(watcher) = &watcher {
        // Resume from the head's origin; a fresh chain starts at the configured block or the L1 head.
        let start = match sequencer.l1_origin() {
            Some(origin) => origin.number,
            None => match l1.as_ref().and_then(|l1| l1.start_block) {
                Some(block) => block,
                None => watcher.l1_head().await.context("cannot reach the L1 RPC")?,
            },
        };
        tracing::info!(target: "node", start, "following L1");
        tasks.spawn_critical("l1-watcher", watcher.clone().run(start, tasks.shutdown_signal()));
        tokio::select! {
            _ = watcher.wait_for(start) => {}
            _ = wait_for_signal() => {
                tasks.shutdown(SHUTDOWN_GRACE).await;
                anyhow::bail!("interrupted while waiting for L1 block {start}")
            }
        }
    }
    // A cluster member runs the L1 posting services only while it leads (see `cluster`).
    let mut leader_services = Vec::new();
    match (&conductor, &l1) {
        (Some(_), Some(l1)) => {
            let config = Arc::new(config.clone());
            if batcher.is_some() {
                let status =
                    deriver.as_ref().map(|d| d.status()).context("a cluster's batcher needs --l1.system-config")?;
                let derived_l1 = Arc::new(move || status.read().current_l1.number);
                leader_services.push(crate::cluster::batcher_service(
                    config.clone(),
                    l1.clone(),
                    sequencer.clone(),
                    derived_l1,
                ));
            }
            if proposer.is_some() {
                leader_services.push(crate::cluster::oracle_service(
                    bai_prover::OracleRole::Proposer,
                    config.clone(),
                    l1.clone(),
                    sequencer.clone(),
                ));
            }
            if challenger.is_some() {
                leader_services.push(crate::cluster::oracle_service(
                    bai_prover::OracleRole::Challenger,
                    config,
                    l1.clone(),
                    sequencer.clone(),
                ));
            }
        }
        _ => {
            if let Some(batcher) = batcher {
                tasks.spawn_critical("batcher", batcher.run(tasks.shutdown_signal()));
            }
            if let Some(proposer) = proposer {
                tasks.spawn_critical("proposer", proposer.run(tasks.shutdown_signal()));
            }
            if let Some(challenger) = challenger {
                tasks.spawn_critical("challenger", challenger.run(tasks.shutdown_signal()));
            }
        }
    }
    if let Some((challenger, _)) = inference_challenger {
        tasks.spawn_critical("inference-challenger", challenger.run(tasks.shutdown_signal()));
    }
    match (config.follow.clone(), deriver) {
        (Some(url), _) => {
            tasks.spawn_critical("follow", crate::follow::run(sequencer.clone(), url, tasks.shutdown_signal()))
        }
        (None, Some(deriver)) if config.verifier => {
            tasks.spawn_critical("derive", deriver.run(tasks.shutdown_signal()))
        }
        (None, deriver) => {
            // A sequencer with a SystemConfig derives beside building: L1 decides its safe head.
            if let Some(deriver) = deriver {
                tasks.spawn_critical("derive", deriver.run(tasks.shutdown_signal()));
            }
            match &conductor {
                Some(conductor) => {
                    let cluster = cluster.as_ref().expect("a conductor comes with its cluster");
                    tasks.spawn_critical("conductor", cluster.run(sequencer.clone(), tasks.shutdown_signal()));
                    tasks.spawn_critical(
                        "sequencer",
                        crate::cluster::lead_when_elected(
                            conductor.clone(),
                            sequencer.clone(),
                            std::mem::take(&mut leader_services),
                            tasks.shutdown_signal(),
                        ),
                    );
                }
                None => tasks.spawn_critical("sequencer", sequencer.clone().run(tasks.shutdown_signal())),
            }
        }
    }

    let result = tasks.run_until_shutdown(wait_for_signal(), SHUTDOWN_GRACE).await;
    if result.is_err() {
        tokio::select! {
            _ = tokio::time::sleep(FAILURE_REPORT_WINDOW) => {}
            _ = wait_for_signal() => {}
        }
    }
    tracing::info!(target: "node", "shutting down");
    let _ = rpc_handle.stop();
    rpc_handle.stopped().await;
    let (head, hash) = sequencer.head();
    match result {
        Ok(()) => {
            tracing::info!(target: "node", number = head.number, %hash, "stopped cleanly");
            Ok(())
        }
        Err(failure) => {
            tracing::error!(target: "node", number = head.number, %hash, task = %failure.task, "stopped after a critical failure");
            Err(failure.into())
        }
    }
}

/// The proposer: output roots of safe blocks. A key the oracle does not accept is refused at startup.
async fn proposer(
    config: &NodeConfig,
    l1: Option<&L1Setup>,
    sequencer: &Arc<Sequencer>,
) -> anyhow::Result<Option<bai_prover::Proposer>> {
    let Some(role) = role_config(config.proposer_key.as_ref(), bai_prover::OracleRole::Proposer, l1)? else {
        return Ok(None);
    };
    let proposer = bai_prover::Proposer::new(role, sequencer.clone())?;
    proposer.check_role().await?;
    Ok(Some(proposer))
}

/// The challenger: every output root on the oracle checked against the chain this node derives. A
/// key the oracle does not accept is refused at startup.
async fn challenger(
    config: &NodeConfig,
    l1: Option<&L1Setup>,
    sequencer: &Arc<Sequencer>,
) -> anyhow::Result<Option<bai_prover::Challenger>> {
    let Some(role) = role_config(config.challenger_key.as_ref(), bai_prover::OracleRole::Challenger, l1)? else {
        return Ok(None);
    };
    let challenger = bai_prover::Challenger::new(role, sequencer.clone())?;
    challenger.check_role().await?;
    Ok(Some(challenger))
}

/// The challenger's inference half (with `--challenger.l2-rpc-url`): every recorded inference
/// witness of the derived chain re-run on the CPU reference runtime, evidence filed on L2. Refused
/// at startup when the key may not file evidence or no model weights are found. Returns it with the
/// models it loaded, for the banner.
async fn inference_challenger(
    config: &NodeConfig,
    sequencer: &Arc<Sequencer>,
) -> anyhow::Result<Option<(bai_prover::InferenceChallenger, String)>> {
    let (Some(url), Some(key)) = (&config.challenger_l2_rpc_url, &config.challenger_key) else {
        return Ok(None);
    };
    let signer =
        key.expose().trim().parse().map_err(|_| anyhow::anyhow!("the challenger key is not a valid private key"))?;
    // Always the bit-exact reference runtime (on the CPU), whatever the operator served results
    // with: that is what a model's verification rule is judged against.
    let engine = load_engine(config, "cpu", "reference")?.with_context(|| {
        format!(
            "the inference challenger re-runs models but found no weights in {} (run `make setup` or pass --inference.models-dir)",
            config.models_dir.display()
        )
    })?;
    let models = engine.models().iter().map(|m| m.name.clone()).collect::<Vec<_>>().join(", ");
    let challenger = bai_prover::InferenceChallenger::new(
        bai_prover::InferenceChallengerConfig {
            l2_rpc_url: url.clone(),
            signer,
            cursor: config.datadir.join("inference-challenger.cursor"),
            poll_interval: Duration::from_secs(1),
        },
        sequencer.clone(),
        Arc::new(engine),
    )?;
    challenger.check_role().await.with_context(|| format!("checking the challenger's role on L2 at {url}"))?;
    Ok(Some((challenger, models)))
}

/// The L1 watcher of a sequencer.
fn l1_watcher(config: &NodeConfig, l1: &L1Setup) -> anyhow::Result<Arc<bai_bridge::L1Watcher>> {
    use bai_evm::l1info::{DEFAULT_BASE_FEE_SCALAR, DEFAULT_BLOB_BASE_FEE_SCALAR};
    let rollup = l1.rollup.as_ref();
    let watcher = bai_bridge::L1Watcher::new(bai_bridge::WatcherConfig {
        rpc_url: l1.rpc_url.clone(),
        portal: l1.portal,
        confirmations: config.l1_confirmations,
        poll_interval: config.l1_poll_interval,
        batcher_hash: rollup.map_or(B256::ZERO, |r| r.batcher_hash),
        base_fee_scalar: rollup.map_or(DEFAULT_BASE_FEE_SCALAR, |r| r.base_fee_scalar),
        blob_base_fee_scalar: rollup.map_or(DEFAULT_BLOB_BASE_FEE_SCALAR, |r| r.blob_base_fee_scalar),
    })?;
    Ok(watcher)
}

/// The derivation pipeline of a verifier.
fn deriver(config: &NodeConfig, l1: &L1Setup, sequencer: &Arc<Sequencer>) -> anyhow::Result<bai_bridge::Deriver> {
    let mut rollup = l1.rollup.clone().context("a verifier needs --l1.system-config")?;
    rollup.seq_window_size = config.seq_window;
    let blobs: Arc<dyn bai_bridge::BlobSource> = match &config.l1_beacon_url {
        Some(url) => Arc::new(bai_bridge::BeaconBlobSource::new(url.clone())),
        None => Arc::new(bai_bridge::RpcBlobSource::new(l1.provider.clone())),
    };
    let deriver = bai_bridge::Deriver::new(
        bai_bridge::DerivationConfig {
            rpc_url: l1.rpc_url.clone(),
            rollup,
            confirmations: config.l1_confirmations,
            poll_interval: config.l1_poll_interval,
            state_file: config.datadir.join("derivation.progress"),
            blobs,
        },
        sequencer.clone(),
    )?;
    Ok(deriver)
}

/// Where `optimism_syncStatus` and the safe/finalized tags read from.
fn sync_view(
    deriver: Option<&bai_bridge::Deriver>,
    watcher: Option<&Arc<bai_bridge::L1Watcher>>,
    batcher: Option<&bai_bridge::Batcher>,
) -> Option<SyncView> {
    if let Some(deriver) = deriver {
        let status = deriver.status();
        return Some(SyncView(Arc::new(move || *status.read())));
    }
    let watcher = watcher?.clone();
    let posted = batcher.map(|b| b.progress());
    Some(SyncView(Arc::new(move || {
        let current = watcher.latest_block().map(|b| bai_bridge::L1BlockRef::from(&b)).unwrap_or_default();
        bai_bridge::SyncStatus {
            current_l1: current,
            head_l1: current,
            // Without a SystemConfig there is no derivation: posted is the best view of safe.
            safe_l2: posted.as_ref().map_or(0, |p| p.load(std::sync::atomic::Ordering::Acquire)),
            ..Default::default()
        }
    })))
}

/// The backend AI precompile calls go to, and a line describing it for the banner.
pub(crate) struct Inference {
    /// The backend.
    pub backend: Arc<dyn InferenceBackend>,
    /// One line for the banner.
    pub description: String,
}

/// Model calls of `eth_call` / `eth_estimateGas` / traces running at once, and waiting (more are
/// refused as overloaded): block building keeps the models' time.
const SIMULATED_INFERENCE_RUNNING: usize = 2;
const SIMULATED_INFERENCE_WAITING: usize = 8;

/// Remote servers when configured; otherwise, in dev mode, the models in-process.
fn inference_backend(config: &NodeConfig) -> anyhow::Result<Option<Inference>> {
    if config.inference_disable || config.follow.is_some() || config.verifier {
        return Ok(None);
    }
    // One cache for the sequencer and RPC: estimate-then-send and repeated prompts run the model once.
    let cached =
        |inner: Arc<dyn InferenceBackend>| -> Arc<dyn InferenceBackend> { Arc::new(CachedBackend::new(inner, 1024)) };
    if !config.inference_urls.is_empty() {
        let remote = RemoteBackend::new(config.inference_urls.clone(), config.inference_timeout);
        return Ok(Some(Inference {
            backend: cached(Arc::new(remote)),
            description: format!(
                "remote {} (timeout {:?})",
                config.inference_urls.join(", "),
                config.inference_timeout
            ),
        }));
    }
    if !config.dev {
        tracing::warn!(target: "node", "no --inference.url: AI precompile calls will revert");
        return Ok(None);
    }
    let Some(engine) = load_engine(config, &config.inference_device, &config.inference_runtime)? else {
        tracing::warn!(
            target: "node",
            dir = %config.models_dir.display(),
            "no model weights found (run `make setup`): AI precompile calls will revert"
        );
        return Ok(None);
    };
    let names: Vec<String> = engine.models().iter().map(|m| format!("{} {}", m.name, m.id)).collect();
    Ok(Some(Inference {
        backend: cached(Arc::new(engine)),
        description: format!("in-process on {}: {}", config.inference_device, names.join(", ")),
    }))
}

/// The models in `--inference.models-dir` loaded in-process on `device` with `runtime`; `None` when
/// there are none.
fn load_engine(config: &NodeConfig, device: &str, runtime: &str) -> anyhow::Result<Option<Engine>> {
    let catalog = Catalog::discover(&config.models_dir);
    if catalog.is_empty() {
        return Ok(None);
    }
    let device = device.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    let runtime = runtime.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    let engine_config = EngineConfig { device, runtime, timeout: config.inference_timeout, ..Default::default() };
    let engine = Engine::load(&catalog, engine_config)
        .with_context(|| format!("loading the models in {}", config.models_dir.display()))?;
    Ok(Some(engine))
}

fn start_metrics(addr: SocketAddr) -> anyhow::Result<SocketAddr> {
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .with_http_listener(addr)
        .set_buckets(&[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5])?
        .install()
        .with_context(|| format!("cannot serve metrics on {addr}"))?;
    metrics::describe_counter!("bai_blocks_total", "Blocks sealed");
    metrics::describe_counter!("bai_transactions_total", "User transactions included");
    metrics::describe_counter!("bai_gas_used_total", "Gas used by sealed blocks");
    metrics::describe_gauge!("bai_mempool_transactions", "Transactions in the pool");
    metrics::describe_histogram!("bai_rpc_request_seconds", "RPC latency by method");
    metrics::describe_counter!("bai_rpc_errors_total", "RPC calls answered with an error, by method");
    Ok(addr)
}

/// The L1 accounts this node posts with, for the banner.
struct L1Roles {
    batcher: Option<Address>,
    proposer: Option<Address>,
    challenger: Option<Address>,
    /// The inference challenger's L2 account and the reference models it loaded.
    inference_challenger: Option<(Address, String)>,
}

#[allow(clippy::too_many_arguments)] // one call site, each argument a different part of the banner
fn print_banner(
    config: &NodeConfig,
    chain: &ChainSpec,
    sequencer: &Sequencer,
    rpc: SocketAddr,
    metrics: Option<SocketAddr>,
    inference: Option<&Inference>,
    roles: L1Roles,
    l1: Option<&L1Setup>,
) {
    let (head, hash) = sequencer.head();
    let genesis = sequencer.store().block_hash(0).ok().flatten().unwrap_or_default();
    let mut out = String::new();
    out.push_str("\n  ____        _                           _    ___\n | __ )  __ _| | __ _ _ __   ___ ___     / \\  |_ _|\n |  _ \\ / _` | |/ _` | '_ \\ / __/ _ \\   / _ \\  | |\n | |_) | (_| | | (_| | | | | (_|  __/  / ___ \\ | |\n |____/ \\__,_|_|\\__,_|_| |_|\\___\\___| /_/   \\_\\___|\n\n");
    out.push_str(&format!(
        "  {} — {} mode\n\n",
        bai_runtime::client_version(),
        if config.follow.is_some() {
            "replica"
        } else if config.verifier {
            "verifier"
        } else if !config.conductor_etcd.is_empty() {
            "sequencer cluster member"
        } else if config.dev {
            "dev"
        } else {
            "sequencer"
        }
    ));
    out.push_str(&format!("Chain ID           {} ({:#x})\n", chain.chain_id, chain.chain_id));
    out.push_str(&format!("Genesis            {genesis}\n"));
    out.push_str(&format!("Head               #{} {hash}\n", head.number));
    out.push_str(&format!("Block time         {}\n", humantime::format_duration(config.block_time)));
    out.push_str(&format!("Gas limit          {}\n", chain.gas_limit));
    if !config.conductor_etcd.is_empty() {
        out.push_str(&format!(
            "Cluster            etcd {} (lease {}): leads when elected, else imports the leader's blocks; bai_conductorStatus\n",
            config.conductor_etcd.join(","),
            humantime::format_duration(config.conductor_lease_ttl)
        ));
    }
    out.push_str(&format!("Data directory     {}\n", config.datadir.display()));
    out.push_str("Native currency    BAI (18 decimals)\n");
    out.push_str(&format!("AI precompile      {}\n", bai_chainspec::predeploys::AI_PRECOMPILE));
    out.push_str(&format!(
        "L1                 {}\n",
        match l1 {
            Some(l1) => format!(
                "{}, portal {}, {} confirmations{}",
                l1.rpc_url,
                l1.portal,
                config.l1_confirmations,
                l1.rollup.as_ref().map(|r| format!(", SystemConfig {}", r.system_config)).unwrap_or_default()
            ),
            None => "none (synthetic L1 origins, no deposits)".into(),
        }
    ));
    if config.verifier {
        let rollup = l1.and_then(|l1| l1.rollup.as_ref());
        out.push_str(&format!(
            "Derivation         from L1 block {}: batches of {} sent to {}, blobs from {}\n",
            rollup.map(|r| r.start_block).unwrap_or_default(),
            rollup.map(|r| r.batcher).unwrap_or_default(),
            rollup.map(|r| r.batch_inbox).unwrap_or_default(),
            config.l1_beacon_url.as_deref().unwrap_or("the L1 RPC")
        ));
    } else {
        out.push_str(&format!(
            "Batcher            {}\n",
            match (roles.batcher, l1.and_then(|l1| l1.batch_inbox)) {
                (Some(batcher), Some(inbox)) => format!(
                    "{batcher} → inbox {inbox}, {} DA, ≤ {} blocks per channel",
                    config.batcher_da, config.batcher_max_blocks
                ),
                _ => "off (blocks are not posted to L1)".into(),
            }
        ));
    }
    if let Some(proposer) = roles.proposer {
        let oracle = l1.and_then(|l1| l1.rollup.as_ref()).map(|r| r.output_oracle).unwrap_or_default();
        out.push_str(&format!("Proposer           {proposer} → L2OutputOracle {oracle}, outputs of safe blocks\n"));
    }
    if let Some(challenger) = roles.challenger {
        let oracle = l1.and_then(|l1| l1.rollup.as_ref()).map(|r| r.output_oracle).unwrap_or_default();
        out.push_str(&format!(
            "Challenger         {challenger} → L2OutputOracle {oracle}, deletes outputs that differ from this node's\n"
        ));
    }
    if let Some((challenger, models)) = &roles.inference_challenger {
        let url = config.challenger_l2_rpc_url.as_deref().unwrap_or_default();
        out.push_str(&format!(
            "Inference checks   {challenger} → InferenceDisputes {} via {url}, re-runs every witness on CPU ({models})\n",
            bai_chainspec::predeploys::INFERENCE_DISPUTES
        ));
    }
    out.push_str(&format!(
        "Inference          {}\n",
        match (&config.follow, inference) {
            (Some(url), _) => format!("replica of {url}: answers from recorded witnesses only"),
            (None, _) if config.verifier => "none needed: answers from the witnesses carried in batches".into(),
            (None, Some(inference)) => inference.description.clone(),
            (None, None) => "disabled (model calls revert)".into(),
        }
    ));
    if config.dev {
        out.push_str("\nAvailable Accounts\n==================\n");
        for (i, account) in dev_accounts().iter().enumerate() {
            out.push_str(&format!("({i}) {} (10000.000000000000000000 BAI)\n", account.address));
        }
        out.push_str("\nPrivate Keys\n==================\n");
        for (i, account) in dev_accounts().iter().enumerate() {
            out.push_str(&format!("({i}) {}\n", account.private_key));
        }
        out.push_str(&format!(
            "\nWallet\n==================\nMnemonic:          {DEV_MNEMONIC}\nDerivation path:   m/44'/60'/0'/0/\n"
        ));
    }
    if let Some(metrics) = metrics {
        out.push_str(&format!("\nMetrics on http://{metrics}/metrics\n"));
    }
    out.push_str(&format!("\nRPC listening on http://{rpc} (WebSocket ws://{rpc})\n"));
    println!("{out}");
}

/// Loads the head state into the head cache on a thread of its own, while the node starts and
/// serves (see `bai_storage::Store::warm_head_cache`); it stops by itself once the node drops the store.
fn warm_head_cache(store: &Arc<Store>) {
    let store = store.clone();
    let spawned = std::thread::Builder::new().name("bai-warm".into()).spawn(move || {
        let others = Arc::downgrade(&store);
        let mut logged = 0;
        let report = store.warm_head_cache(|entries| {
            if entries >= logged + 500_000 {
                tracing::info!(target: "storage", entries, "warming the head cache");
                logged = entries;
            }
            // Only this thread still holds the store: the node is shutting down.
            others.strong_count() > 1
        });
        drop(store);
        match report {
            Ok(report) if report.stopped.is_none() => tracing::info!(
                target: "storage",
                accounts = report.accounts, storage_roots = report.storage_roots, trie_nodes = report.trie_nodes,
                elapsed = ?report.elapsed, "head cache warmed: the head state is in memory"
            ),
            Ok(report) => tracing::info!(
                target: "storage",
                accounts = report.accounts, storage_roots = report.storage_roots, trie_nodes = report.trie_nodes,
                stopped = ?report.stopped, complete = ?report.complete, "head cache warm-up stopped early"
            ),
            Err(error) => tracing::warn!(target: "storage", %error, "head cache warm-up failed"),
        }
    });
    if let Err(error) = spawned {
        tracing::warn!(target: "storage", %error, "cannot start the head cache warm-up");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The attack: a chain spec that mints native BAI at genesis (here the dev accounts' 10,000 BAI
    /// each, run without --dev). Nothing on L1 backs it, so it could be withdrawn from the portal.
    #[test]
    fn a_non_dev_genesis_with_unbacked_bai_is_refused() {
        let chain = ChainSpec::dev();
        let production = NodeConfig { dev: false, ..NodeConfig::default() };
        let error = check_genesis_backing(&chain, &production).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!("the genesis allocates {} wei of native BAI", chain.genesis_supply())),
            "{error}"
        );
        // The dev chain is fine with --dev, and a private testnet can opt in.
        assert!(check_genesis_backing(&chain, &NodeConfig { dev: true, ..NodeConfig::default() }).is_ok());
        let testnet = NodeConfig { allow_unbacked_genesis: true, ..NodeConfig::default() };
        assert!(check_genesis_backing(&chain, &testnet).is_ok());
        // A genesis whose only native BAI is none at all starts anywhere.
        let mut unfunded = chain;
        unfunded.alloc.values_mut().for_each(|account| account.balance = alloy_primitives::U256::ZERO);
        assert!(check_genesis_backing(&unfunded, &production).is_ok());
    }
}
