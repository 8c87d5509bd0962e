//! Batcher and derivation against an L1 that misbehaves: a real anvil behind an in-process JSON-RPC
//! proxy that fails or delays calls on purpose, plus an L1 reorg that drops a posted batch. The
//! sequencer, its batcher and a verifier deriving from L1 alone all run in this process.
//!
//! Needs anvil (`make setup` puts it in .tools/bin); `make test` always has it.

use alloy::{
    primitives::{Address, B256, address},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use bai_bridge::{
    Batcher, BatcherConfig, DerivationConfig, Deriver, L1Watcher, RollupConfig, RpcBlobSource, WatcherConfig,
    batcher::DaMode,
};
use bai_chainspec::{ChainSpec, dev::dev_accounts};
use bai_pool::{PoolConfig, TxPool};
use bai_sequencer::{Sequencer, SequencerConfig};
use bai_storage::{Store, StoreConfig};
use jsonrpsee::{RpcModule, server::Server, types::ErrorObjectOwned};
use serde_json::Value;
use std::{
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::sync::watch;

const INBOX: Address = address!("00000000000000000000000000000000000000ff");
const PORTAL: Address = address!("00000000000000000000000000000000000000a1");

/// Every method the watcher, batcher and deriver use, forwarded to the real L1.
const FORWARDED: &[&str] = &[
    "eth_chainId",
    "eth_blockNumber",
    "eth_getBlockByNumber",
    "eth_getBlockByHash",
    "eth_getLogs",
    "eth_getTransactionCount",
    "eth_getTransactionReceipt",
    "eth_getTransactionByHash",
    "eth_sendRawTransaction",
    "eth_estimateGas",
    "eth_gasPrice",
    "eth_maxPriorityFeePerGas",
    "eth_feeHistory",
    "eth_blobBaseFee",
    "eth_getBalance",
    "eth_call",
];

/// What the proxy does to calls: every `fail_every`-th call fails, every `slow_every`-th is held
/// `delay` first. Counts what it did.
struct Faults {
    calls: AtomicU64,
    failed: AtomicU64,
    delayed: AtomicU64,
    fail_every: AtomicU64,
    slow_every: AtomicU64,
    down: AtomicBool,
    delay: Duration,
    upstream: DynProvider,
}

impl Faults {
    async fn forward(
        &self,
        method: &'static str,
        params: Option<Box<serde_json::value::RawValue>>,
    ) -> Result<Value, ErrorObjectOwned> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let fault = |what: &str| ErrorObjectOwned::owned(-32603, format!("injected fault: {what}"), None::<()>);
        if self.down.load(Ordering::SeqCst) {
            self.failed.fetch_add(1, Ordering::SeqCst);
            return Err(fault("L1 down"));
        }
        let fail_every = self.fail_every.load(Ordering::SeqCst);
        if fail_every > 0 && n.is_multiple_of(fail_every) {
            self.failed.fetch_add(1, Ordering::SeqCst);
            return Err(fault("dropped call"));
        }
        let slow_every = self.slow_every.load(Ordering::SeqCst);
        if slow_every > 0 && n.is_multiple_of(slow_every) {
            self.delayed.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
        }
        let params = params.map_or(Value::Array(vec![]), |raw| serde_json::from_str(raw.get()).unwrap());
        self.upstream.raw_request::<_, Value>(method.into(), params).await.map_err(|e| match e.as_error_resp() {
            Some(payload) => {
                ErrorObjectOwned::owned(payload.code as i32, payload.message.to_string(), payload.data.clone())
            }
            None => fault("upstream unreachable"),
        })
    }
}

/// Starts the proxy; returns its URL.
async fn proxy(faults: Arc<Faults>) -> (String, jsonrpsee::server::ServerHandle) {
    let mut module = RpcModule::new(faults);
    for &method in FORWARDED {
        module
            .register_async_method(method, move |params, faults, _| async move {
                let raw = params.as_str().map(|s| serde_json::value::RawValue::from_string(s.to_string()).unwrap());
                faults.forward(method, raw).await
            })
            .unwrap();
    }
    let server = Server::builder().build("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    (format!("http://{addr}"), server.start(module))
}

struct Anvil(Child, String);
impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn anvil() -> Anvil {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let tool = root.join(".tools/bin/anvil");
    assert!(tool.exists(), "anvil not found at {} (run `make setup`)", tool.display());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(tool)
        .args(["--port", &port.to_string(), "--hardfork", "prague", "--block-time", "1", "--silent"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let provider = ProviderBuilder::new().connect_http(url.parse().unwrap());
    let started = Instant::now();
    while provider.get_block_number().await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "anvil did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Anvil(child, url)
}

fn open_chain(dir: &Path, l1: Arc<dyn bai_sequencer::L1OriginSource>) -> Arc<Sequencer> {
    let store = Store::open(StoreConfig::new(dir)).unwrap();
    let pool = Arc::new(TxPool::new(PoolConfig::default()));
    let config = SequencerConfig { l1, ..SequencerConfig::new(Duration::from_millis(200)) };
    Sequencer::new(Arc::new(ChainSpec::dev()), store, pool, config).unwrap()
}

/// The sequencer's L1 watcher: origins three blocks deep (the reorgs below stay shallower).
fn watcher_config(l1_url: &str) -> WatcherConfig {
    WatcherConfig {
        rpc_url: l1_url.to_string(),
        portal: PORTAL,
        confirmations: 3,
        poll_interval: Duration::from_millis(200),
        batcher_hash: B256::ZERO,
        base_fee_scalar: 0,
        blob_base_fee_scalar: 0,
    }
}

/// A batcher posting calldata channels of up to 5 blocks, with its progress file in `dir`.
fn batcher_config(l1_url: &str, key: &PrivateKeySigner, dir: &Path) -> BatcherConfig {
    BatcherConfig {
        l1_rpc_url: l1_url.to_string(),
        signer: key.clone(),
        inbox: INBOX,
        max_blocks: 5,
        max_delay: Duration::from_secs(1),
        max_frame_size: 120_000,
        da: DaMode::Calldata,
        resubmit_after: Duration::from_secs(6),
        throttle_blocks: 0,
        state_file: dir.join("batcher.progress"),
        poll_interval: Duration::from_millis(200),
    }
}

/// The rollup as the verifier sees it: batches from `batcher` to the inbox, from L1 block `start`.
fn rollup_config(start: u64, batcher: Address) -> RollupConfig {
    RollupConfig {
        system_config: Address::ZERO,
        portal: PORTAL,
        output_oracle: Address::ZERO,
        batch_inbox: INBOX,
        batcher,
        batcher_hash: B256::ZERO,
        base_fee_scalar: 0,
        blob_base_fee_scalar: 0,
        start_block: start,
        seq_window_size: bai_bridge::DEFAULT_SEQ_WINDOW_SIZE,
    }
}

/// Derivation of `rollup`, reading L1 at `l1_url` (blobs from `blobs`), its progress file in `dir`.
fn derivation_config(l1_url: &str, rollup: RollupConfig, dir: &Path, blobs: &DynProvider) -> DerivationConfig {
    DerivationConfig {
        rpc_url: l1_url.to_string(),
        rollup,
        confirmations: 0,
        poll_interval: Duration::from_millis(200),
        state_file: dir.join("derivation.progress"),
        blobs: Arc::new(RpcBlobSource::new(blobs.clone())),
    }
}

async fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batches_survive_dropped_and_slow_calls_an_outage_and_an_l1_reorg() {
    // What the services log (retries, resets) shows with the test's output when it fails.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
        .with_test_writer()
        .try_init();
    let anvil = anvil().await;
    let upstream = ProviderBuilder::new().connect_http(anvil.1.parse().unwrap()).erased();
    let faults = Arc::new(Faults {
        calls: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        delayed: AtomicU64::new(0),
        fail_every: AtomicU64::new(9),
        slow_every: AtomicU64::new(13),
        down: AtomicBool::new(false),
        delay: Duration::from_millis(1000),
        upstream: upstream.clone(),
    });
    let (l1_url, _proxy) = proxy(faults.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let (stop, shutdown) = watch::channel(false);

    // The sequencer: L1 origins three blocks deep (the reorg below stays shallower), batches as calldata.
    let start = upstream.get_block_number().await.unwrap();
    let watcher = L1Watcher::new(watcher_config(&l1_url)).unwrap();
    let watching = tokio::spawn(watcher.clone().run(start, shutdown.clone()));
    watcher.wait_for(start).await;
    let sequencer = open_chain(&dir.path().join("sequencer"), watcher.clone());
    let building = tokio::spawn(sequencer.clone().run(shutdown.clone()));
    let batcher_key: PrivateKeySigner = dev_accounts()[3].signer();
    let batcher = Batcher::new(batcher_config(&l1_url, &batcher_key, dir.path()), sequencer.clone()).unwrap();
    let posted = batcher.progress();
    let batching = tokio::spawn(batcher.run(shutdown.clone()));

    // The verifier: nothing but L1, through the same faulty proxy.
    let rollup = rollup_config(start, batcher_key.address());
    let verifier = open_chain(&dir.path().join("verifier"), Arc::new(bai_sequencer::DevL1));
    let deriver =
        Arc::new(Deriver::new(derivation_config(&l1_url, rollup, dir.path(), &upstream), verifier.clone()).unwrap());
    let deriving = tokio::spawn(deriver.clone().run(shutdown.clone()));
    let agree = |upto: u64| {
        (1..=upto).all(|n| {
            let ours = sequencer.store().block_hash(n).ok().flatten();
            ours.is_some() && ours == verifier.store().block_hash(n).ok().flatten()
        })
    };

    // 1. Every 9th L1 call fails and every 13th takes a second: the verifier still follows.
    wait_until("6 L2 blocks posted", Duration::from_secs(150), || posted.load(Ordering::SeqCst) >= 6).await;
    wait_until("the verifier to derive them", Duration::from_secs(150), || agree(6)).await;
    assert!(faults.failed.load(Ordering::SeqCst) > 0 && faults.delayed.load(Ordering::SeqCst) > 0);

    // 2. L1 unreachable for 3 s (and otherwise well): nothing dies; blocks keep coming and are
    //    posted after it comes back.
    faults.fail_every.store(0, Ordering::SeqCst);
    faults.slow_every.store(0, Ordering::SeqCst);
    faults.down.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(3)).await;
    faults.down.store(false, Ordering::SeqCst);
    let target = sequencer.head().0.number + 5;
    wait_until("posting to resume", Duration::from_secs(150), || posted.load(Ordering::SeqCst) >= target).await;
    wait_until("the verifier to catch up", Duration::from_secs(150), || agree(target)).await;

    // 3. An L1 reorg drops the newest batch transaction after the verifier derived from it.
    let before = posted.load(Ordering::SeqCst);
    wait_until("a new batch", Duration::from_secs(150), || posted.load(Ordering::SeqCst) > before).await;
    // L1 holds still from here to the reorg, so the batch stays within reach of a shallow reorg
    // however long a loaded machine takes to derive it (derivation needs no confirmations).
    set_l1_mining(&upstream, false).await;
    let landed = posted.load(Ordering::SeqCst);
    wait_until("the verifier to derive it", Duration::from_secs(150), || agree(landed)).await;
    let tip = upstream.get_block_number().await.unwrap();
    let batch_block = last_inbox_block(&upstream, batcher_key.address(), tip).await.expect("a batch on L1");
    let depth = tip - batch_block + 1;
    assert!(depth <= 2, "the newest batch is {depth} blocks deep: too deep for a reorg below the sequencer's origins");
    let _: Value = upstream.raw_request("anvil_reorg".into(), (depth, Vec::<Value>::new())).await.unwrap();
    assert!(
        last_inbox_block(&upstream, batcher_key.address(), upstream.get_block_number().await.unwrap())
            .await
            .is_none_or(|n| n < batch_block)
    );
    set_l1_mining(&upstream, true).await;
    // The batcher posts those blocks again and the verifier, after resetting, still agrees — and keeps going.
    let target = sequencer.head().0.number + 5;
    wait_until("posting after the reorg", Duration::from_secs(150), || posted.load(Ordering::SeqCst) >= target).await;
    wait_until("the verifier after the reorg", Duration::from_secs(150), || agree(target)).await;

    let _ = stop.send(true);
    for task in [watching] {
        task.await.unwrap().unwrap();
    }
    building.await.unwrap().unwrap();
    batching.await.unwrap().unwrap();
    deriving.await.unwrap().unwrap();
}

/// Stops or restarts anvil's one-second blocks.
async fn set_l1_mining(l1: &DynProvider, on: bool) {
    let _: Value = l1.raw_request("evm_setIntervalMining".into(), (u64::from(on),)).await.unwrap();
}

/// The newest L1 block (searching back from `tip`, at most 6 blocks) holding a transaction from the
/// batcher to the inbox.
async fn last_inbox_block(l1: &DynProvider, batcher: Address, tip: u64) -> Option<u64> {
    for number in (tip.saturating_sub(6)..=tip).rev() {
        let block = l1.get_block_by_number(number.into()).full().await.ok()??;
        if block
            .transactions
            .txns()
            .any(|tx| tx.inner.signer() == batcher && alloy::consensus::Transaction::to(tx) == Some(INBOX))
        {
            return Some(number);
        }
    }
    None
}

/// A reorg of L1 while the batcher and the verifier are stopped: it removes the newest batch
/// transaction and the L1 block derivation saved as its tip. After their restart the batcher must
/// still know where that channel landed (to post it again) and derivation must find the common
/// ancestor below its saved tip, without taking its safe head below what older L1 blocks derived.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batcher_and_derivation_restarted_after_an_l1_reorg_while_stopped() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
        .with_test_writer()
        .try_init();
    let anvil = anvil().await;
    let l1_url = anvil.1.clone();
    let upstream = ProviderBuilder::new().connect_http(l1_url.parse().unwrap()).erased();
    let dir = tempfile::tempdir().unwrap();
    let (stop, shutdown) = watch::channel(false);

    let start = upstream.get_block_number().await.unwrap();
    let watcher = L1Watcher::new(watcher_config(&l1_url)).unwrap();
    let watching = tokio::spawn(watcher.clone().run(start, shutdown.clone()));
    watcher.wait_for(start).await;
    let sequencer = open_chain(&dir.path().join("sequencer"), watcher.clone());
    let building = tokio::spawn(sequencer.clone().run(shutdown.clone()));
    let batcher_key: PrivateKeySigner = dev_accounts()[3].signer();
    let batcher_config = batcher_config(&l1_url, &batcher_key, dir.path());
    let rollup = rollup_config(start, batcher_key.address());
    let derivation_config = derivation_config(&l1_url, rollup, dir.path(), &upstream);
    let verifier = open_chain(&dir.path().join("verifier"), Arc::new(bai_sequencer::DevL1));
    let agree = |upto: u64| {
        (1..=upto).all(|n| {
            let ours = sequencer.store().block_hash(n).ok().flatten();
            ours.is_some() && ours == verifier.store().block_hash(n).ok().flatten()
        })
    };
    // The batcher and the deriver run under their own stop signal, so they can be stopped alone.
    let start_services = |config: BatcherConfig, derivation: DerivationConfig| {
        let (stop, shutdown) = watch::channel(false);
        let batcher = Batcher::new(config, sequencer.clone()).unwrap();
        let posted = batcher.progress();
        let batching = tokio::spawn(batcher.run(shutdown.clone()));
        let deriver = Arc::new(Deriver::new(derivation, verifier.clone()).unwrap());
        let deriving = tokio::spawn(deriver.run(shutdown));
        (stop, posted, batching, deriving)
    };

    let (stop_services, posted, batching, deriving) = start_services(batcher_config.clone(), derivation_config.clone());
    wait_until("8 L2 blocks posted", Duration::from_secs(120), || posted.load(Ordering::SeqCst) >= 8).await;
    wait_until("the verifier to derive them", Duration::from_secs(120), || agree(8)).await;
    // Stop both right after a batch landed and was derived, then reorg it away.
    let before = posted.load(Ordering::SeqCst);
    wait_until("a new batch", Duration::from_secs(150), || posted.load(Ordering::SeqCst) > before).await;
    // L1 holds still until the reorg (see the first test).
    set_l1_mining(&upstream, false).await;
    let landed = posted.load(Ordering::SeqCst);
    wait_until("the verifier to derive it", Duration::from_secs(150), || agree(landed)).await;
    let _ = stop_services.send(true);
    batching.await.unwrap().unwrap();
    deriving.await.unwrap().unwrap();
    let derived_before = verifier.safe_head();
    assert!(derived_before >= landed, "the verifier derived {derived_before}, the batcher posted {landed}");
    let progress: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("derivation.progress")).unwrap()).unwrap();
    let saved_tip = progress["next_l1"].as_u64().unwrap() - 1;

    let tip = upstream.get_block_number().await.unwrap();
    let batch_block = last_inbox_block(&upstream, batcher_key.address(), tip).await.expect("a batch on L1");
    let depth = tip - batch_block.min(saved_tip) + 1;
    assert!(depth <= 2, "the newest batch is {depth} blocks deep: too deep for a reorg below the sequencer's origins");
    let _: Value = upstream.raw_request("anvil_reorg".into(), (depth, Vec::<Value>::new())).await.unwrap();
    assert!(
        last_inbox_block(&upstream, batcher_key.address(), upstream.get_block_number().await.unwrap())
            .await
            .is_none_or(|n| n < batch_block),
        "the reorg removed the batch"
    );
    set_l1_mining(&upstream, true).await;

    // Restarted from their files: the channel is posted again and the verifier, after finding the
    // ancestor below its saved tip, follows the sequencer on.
    let (stop_services, posted, batching, deriving) = start_services(batcher_config, derivation_config);
    let lowest_safe = Arc::new(AtomicU64::new(u64::MAX));
    let watch_safe = {
        let (verifier, lowest_safe) = (verifier.clone(), lowest_safe.clone());
        tokio::spawn(async move {
            loop {
                lowest_safe.fetch_min(verifier.safe_head(), Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let target = sequencer.head().0.number + 5;
    wait_until("posting after the reorg", Duration::from_secs(120), || posted.load(Ordering::SeqCst) >= target).await;
    wait_until("the verifier after the reorg", Duration::from_secs(120), || agree(target)).await;
    watch_safe.abort();
    assert!(
        lowest_safe.load(Ordering::SeqCst) >= derived_before.saturating_sub(5 * 2),
        "the safe head fell to {} (was {derived_before}): a reset went below blocks derived from older L1 blocks",
        lowest_safe.load(Ordering::SeqCst)
    );

    let _ = stop_services.send(true);
    batching.await.unwrap().unwrap();
    deriving.await.unwrap().unwrap();
    let _ = stop.send(true);
    watching.await.unwrap().unwrap();
    building.await.unwrap().unwrap();
}
