//! `bai devnet`: the whole testnet in one process tree.
//!
//! Starts anvil as L1 (prague, so blobs work), deploys the L1 contracts with the repo's own forge script,
//! then an inference server, the sequencer (with its batcher), a verifier that derives L2 from L1 alone, and
//! serves the marketplace dApp with a generated `config.json`. It prints an anvil-style banner and writes
//! `<datadir>/devnet.json` with every URL, address, key and model id so scripts need not parse the banner.
//!
//! Owns: the child processes, and the files under `--datadir` (L1 state dump, deployment, node databases,
//! logs). Must not reach into a component's internals: it learns everything over the RPCs a user has, so
//! what it prints is what a user would see.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

use alloy::{
    network::EthereumWallet,
    primitives::{Address, U256, uint, utils::format_ether},
    providers::{DynProvider, Provider, ProviderBuilder},
    sol,
};
use anyhow::{Context, bail};
use bai_chainspec::{
    dev::{DEV_MNEMONIC, dev_accounts},
    predeploys,
};
use serde::Deserialize;
use serde_json::json;
use std::{
    ffi::{OsStr, OsString},
    fs,
    future::Future,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{ExitStatus, Stdio},
    time::{Duration, Instant},
};
use tokio::process::{Child, Command};

sol! {
    #[sol(rpc)]
    interface IBaiTokenL1 {
        function transfer(address to, uint256 amount) external returns (bool);
        function balanceOf(address account) external view returns (uint256);
    }

    #[sol(rpc)]
    interface IL2ToL1MessagePasser {
        function l1Portal() external view returns (address);
        function l1Token() external view returns (address);
    }
}

/// BAI the deployer hands each other dev account on L1, so every one of them can try a deposit.
const L1_BAI_PER_ACCOUNT: U256 = uint!(500_000000000000000000_U256);
/// Dev account whose key signs batches (SystemConfig's default batcher, `DeployL1.s.sol`).
const BATCHER_ACCOUNT: usize = 3;
/// Dev account whose key proposes output roots (the oracle's default proposer, `DeployL1.s.sol`).
const PROPOSER_ACCOUNT: usize = 2;
/// Dev account whose key deletes wrong output roots (the oracle's default challenger).
const CHALLENGER_ACCOUNT: usize = 1;
/// Dev account that is the portal's pause guardian once governance holds the L1 admin roles (the
/// devnet's stand-in for a security council; the deployer may not keep the role).
const GUARDIAN_ACCOUNT: usize = 4;
const L2_CHAIN_NAME: &str = "BalanceAI devnet";
const STOP_GRACE: Duration = Duration::from_secs(20);

/// Run the dev testnet: L1, contracts, inference, sequencer + batcher, verifier, dApp.
#[derive(Debug, clap::Args)]
pub struct DevnetArgs {
    #[command(subcommand)]
    action: Option<Action>,
    /// Where all devnet state lives (L1 state, deployment, L2 databases, logs); a restart resumes from it.
    #[arg(long, global = true, value_name = "DIR", default_value = "testnet/data/devnet")]
    datadir: PathBuf,
    #[command(flatten)]
    up: UpArgs,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Stop the devnet running in --datadir (started with --detach or in another terminal).
    Down,
}

#[derive(Debug, Clone, clap::Args)]
struct UpArgs {
    /// Delete --datadir first: new L1, new deployment, L2 from genesis.
    #[arg(long)]
    fresh: bool,
    /// Start in the background, print the banner once everything answers, and return (`bai devnet down` stops it).
    #[arg(long)]
    detach: bool,
    /// L2 sequencer JSON-RPC (HTTP and WebSocket) port.
    #[arg(long = "l2.port", value_name = "PORT", default_value_t = 8545)]
    l2_port: u16,
    /// L1 (anvil) JSON-RPC port.
    #[arg(long = "l1.port", value_name = "PORT", default_value_t = 8546)]
    l1_port: u16,
    /// Verifier JSON-RPC port.
    #[arg(long = "verifier.port", value_name = "PORT", default_value_t = 8547)]
    verifier_port: u16,
    /// Inference server port; with several servers, the first of consecutive ports.
    #[arg(long = "inference.port", value_name = "PORT", default_value_t = 8548)]
    inference_port: u16,
    /// Inference servers, each loading every model: the sequencer balances model calls over them and
    /// fails over when one dies (each server costs its own model memory and shares this machine's cores).
    #[arg(long = "inference-servers", value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=8))]
    inference_servers: u16,
    /// Read replicas following the sequencer (each re-executes every block and forwards transactions to the
    /// sequencer), on consecutive ports from --replica.port.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=8))]
    replicas: u16,
    /// First replica's JSON-RPC port.
    #[arg(long = "replica.port", value_name = "PORT", default_value_t = 8560)]
    replica_port: u16,
    /// Sequencers: N > 1 starts etcd and a cluster of N, one leading (building, batching, proposing)
    /// and the others standing by to take over within the lease; the first listens on --l2.port.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=5))]
    sequencers: u16,
    /// JSON-RPC port of the second sequencer; the others follow on consecutive ports.
    #[arg(long = "sequencer.port", value_name = "PORT", default_value_t = 8550)]
    sequencer_port: u16,
    /// etcd client port (with --sequencers above 1); the peer port is the next one.
    #[arg(long = "etcd.port", value_name = "PORT", default_value_t = 2379)]
    etcd_port: u16,
    /// The etcd binary (`make setup` installs Debian's etcd-server).
    #[arg(long, value_name = "PATH", default_value = "etcd")]
    etcd: PathBuf,
    /// Port serving the marketplace dApp.
    #[arg(long = "dapp.port", value_name = "PORT", default_value_t = 5173)]
    dapp_port: u16,
    /// Prometheus metrics port of the sequencer; the verifier's is the next one.
    #[arg(long = "metrics.port", value_name = "PORT", default_value_t = 9001)]
    metrics_port: u16,
    /// L2 block time (200 ms by default: the sequencer holds it under load, docs/benchmarks.md; 1s still works).
    #[arg(long = "block-time", value_name = "DURATION", default_value = "200ms", value_parser = humantime::parse_duration)]
    block_time: Duration,
    /// L1 block time in seconds.
    #[arg(long = "l1.block-time", value_name = "SECONDS", default_value_t = 2)]
    l1_block_time: u64,
    /// The anvil binary (`make setup` puts the pinned one in .tools/bin).
    #[arg(long, value_name = "PATH", default_value = "anvil")]
    anvil: PathBuf,
    /// The forge binary that runs the L1 deployment script.
    #[arg(long, value_name = "PATH", default_value = "forge")]
    forge: PathBuf,
    /// The Foundry project holding script/DeployL1.s.sol.
    #[arg(long = "contracts-dir", value_name = "DIR", default_value = "contracts")]
    contracts_dir: PathBuf,
    /// The built dApp (`make dapp`); not served when absent.
    #[arg(long = "dapp-dir", value_name = "DIR", default_value = "dapp/dist")]
    dapp_dir: PathBuf,
    /// Model weights for the inference server (`make setup`).
    #[arg(long = "models-dir", value_name = "DIR", default_value = ".models")]
    models_dir: PathBuf,
}

/// Runs `bai devnet`: brings the dev testnet up, or down with `down`.
pub async fn run(args: DevnetArgs) -> anyhow::Result<()> {
    let datadir = args.datadir;
    match args.action {
        Some(Action::Down) => down(&datadir).await,
        None if args.up.detach => detach(&datadir, &args.up).await,
        None => up(&datadir, args.up).await,
    }
}

// ---------------------------------------------------------------------------------------------------------
// Files in the data dir

struct Files {
    root: PathBuf,
}

impl Files {
    fn new(root: &Path) -> anyhow::Result<Self> {
        let root = std::path::absolute(root).with_context(|| format!("bad --datadir {}", root.display()))?;
        Ok(Self { root })
    }
    fn pid(&self) -> PathBuf {
        self.root.join("devnet.pid")
    }
    fn manifest(&self) -> PathBuf {
        self.root.join("devnet.json")
    }
    fn banner(&self) -> PathBuf {
        self.root.join("banner.txt")
    }
    fn log(&self) -> PathBuf {
        self.root.join("devnet.log")
    }
    fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }
    fn deployment(&self) -> PathBuf {
        self.root.join("l1-deploy.json")
    }
    fn l2_handover(&self) -> PathBuf {
        self.root.join("l2-handover.json")
    }
    fn governance(&self) -> PathBuf {
        self.root.join("governance-deploy.json")
    }
    fn anvil_state(&self) -> PathBuf {
        self.root.join("l1").join("anvil-state.json")
    }

    /// The pid of a devnet still running from this data dir.
    fn running(&self) -> Option<i32> {
        let pid: i32 = fs::read_to_string(self.pid()).ok()?.trim().parse().ok()?;
        process_alive(pid).then_some(pid)
    }

    fn write_atomic(&self, path: &Path, contents: &[u8]) -> anyhow::Result<()> {
        let tmp = path.with_extension("tmp");
        fs::write(&tmp, contents).with_context(|| format!("cannot write {}", tmp.display()))?;
        fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
    }
}

fn process_alive(pid: i32) -> bool {
    // Signal 0 checks existence and permission without delivering anything.
    pid > 0 && unsafe { libc::kill(pid, 0) } == 0
}

fn signal(pid: i32, sig: libc::c_int) {
    if pid > 0 {
        unsafe { libc::kill(pid, sig) };
    }
}

// ---------------------------------------------------------------------------------------------------------
// down / detach

async fn down(datadir: &Path) -> anyhow::Result<()> {
    let files = Files::new(datadir)?;
    let Some(pid) = files.running() else {
        println!("no devnet running in {}", files.root.display());
        return Ok(());
    };
    println!("stopping devnet (pid {pid}) in {}", files.root.display());
    signal(pid, libc::SIGTERM);
    // Its own shutdown waits up to STOP_GRACE per child before killing it.
    let deadline = Instant::now() + STOP_GRACE * 3;
    while process_alive(pid) {
        if Instant::now() > deadline {
            signal(pid, libc::SIGKILL);
            bail!("devnet (pid {pid}) did not stop within {:?}; killed it", STOP_GRACE * 3);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("devnet stopped");
    Ok(())
}

/// Re-runs this command without `--detach` in its own session (so the terminal's Ctrl-C does not reach
/// it), echoes its progress, and returns once it has written `devnet.json`.
async fn detach(datadir: &Path, up: &UpArgs) -> anyhow::Result<()> {
    let files = Files::new(datadir)?;
    if let Some(pid) = files.running() {
        bail!("a devnet is already running in {} (pid {pid}); `bai devnet down` stops it", files.root.display());
    }
    if up.fresh {
        remove_datadir(&files)?;
    }
    fs::create_dir_all(&files.root).with_context(|| format!("cannot create {}", files.root.display()))?;
    let _ = fs::remove_file(files.manifest());
    let log = fs::File::create(files.log()).with_context(|| format!("cannot create {}", files.log().display()))?;
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--detach" && a != "--fresh").collect();
    let mut command = std::process::Command::new(std::env::current_exe()?);
    command.args(&args).stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log);
    // SAFETY: setsid is async-signal-safe; it only detaches the child from our terminal's process group.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, || {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = command.spawn().context("cannot start the devnet in the background")?;
    let mut echoed = 0;
    loop {
        echoed = echo_new_lines(&files.log(), echoed);
        if let Some(status) = child.try_wait()? {
            echo_new_lines(&files.log(), echoed);
            bail!("the devnet exited during startup ({status}); its log: {}", files.log().display());
        }
        if files.manifest().exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let banner = fs::read_to_string(files.banner()).unwrap_or_default();
    println!("{banner}");
    println!(
        "Running in the background (pid {}); log {}; stop with `bai devnet down`",
        child.id(),
        files.log().display()
    );
    Ok(())
}

/// Prints the progress lines (those before the banner) that appeared in `log` since byte `from`.
fn echo_new_lines(log: &Path, from: usize) -> usize {
    let Ok(text) = fs::read_to_string(log) else { return from };
    let Some(new) = text.get(from..) else { return from };
    let complete = new.rfind('\n').map_or(0, |i| i + 1);
    for line in new[..complete].lines().filter(|l| l.starts_with('[')) {
        println!("{line}");
    }
    from + complete
}

fn remove_datadir(files: &Files) -> anyhow::Result<()> {
    if files.root.exists() {
        fs::remove_dir_all(&files.root).with_context(|| format!("cannot remove {}", files.root.display()))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------
// up

/// The process tree: children in start order, stopped in reverse.
struct Tree {
    logs: PathBuf,
    children: Vec<(String, Child)>,
    /// Redundant groups (a sequencer cluster, an inference pool): a member that exits is reported and the
    /// devnet goes on while another member of its group runs.
    groups: Vec<(String, &'static str)>,
    /// Group members already reported as exited.
    gone: Vec<String>,
}

impl Tree {
    fn spawn(&mut self, name: &str, program: &Path, args: &[String], envs: &[(&str, String)]) -> anyhow::Result<u32> {
        let log_path = self.logs.join(format!("{name}.log"));
        let log = fs::File::create(&log_path).with_context(|| format!("cannot create {}", log_path.display()))?;
        let mut command = Command::new(program);
        command.args(args).envs(envs.iter().map(|(k, v)| (*k, v))).stdin(Stdio::null());
        command.stdout(log.try_clone()?).stderr(log).kill_on_drop(true);
        // SAFETY: setpgid and prctl are async-signal-safe. Its own process group keeps the terminal's
        // Ctrl-C away from the child (the devnet stops children in order); the death signal makes the
        // kernel SIGTERM the child if the devnet dies without cleaning up (kill -9), so none outlives it.
        unsafe {
            command.pre_exec(|| {
                libc::setpgid(0, 0);
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {name} ({}); is it installed (`make setup`)?", program.display()))?;
        let pid = child.id().unwrap_or_default();
        self.children.push((name.to_string(), child));
        Ok(pid)
    }

    fn pids(&self) -> Vec<(String, u32)> {
        self.children.iter().map(|(n, c)| (n.clone(), c.id().unwrap_or_default())).collect()
    }

    /// Fails when a child has exited (the caller was waiting for it to come up).
    fn check_alive(&mut self) -> anyhow::Result<()> {
        for (name, child) in &mut self.children {
            if let Some(status) = child.try_wait()? {
                let log = self.logs.join(format!("{name}.log"));
                bail!("{name} exited ({status}); last lines of {}:\n{}", log.display(), tail(&log, 15));
            }
        }
        Ok(())
    }

    /// Marks `name` as a member of the redundant `group`.
    fn group(&mut self, name: &str, group: &'static str) {
        self.groups.push((name.to_string(), group));
    }

    fn group_of(&self, name: &str) -> Option<&'static str> {
        self.groups.iter().find(|(n, _)| n == name).map(|(_, g)| *g)
    }

    /// The first child whose exit ends the devnet: any child outside a group, or the last of a group.
    async fn first_exit(&mut self) -> (String, ExitStatus) {
        loop {
            let mut exited = Vec::new();
            let mut running = Vec::new();
            for (name, child) in &mut self.children {
                match child.try_wait() {
                    Ok(Some(status)) => exited.push((name.clone(), status)),
                    _ => running.push(name.clone()),
                }
            }
            for (name, status) in exited {
                let Some(group) = self.group_of(&name) else { return (name, status) };
                if !running.iter().any(|other| self.group_of(other) == Some(group)) {
                    return (name, status);
                }
                if !self.gone.contains(&name) {
                    println!("[warn] {name} exited ({status}); the {group} goes on without it");
                    self.gone.push(name);
                }
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// SIGTERM in reverse start order (verifier before sequencer before L1, so nothing retries against a
    /// component already gone), SIGKILL after a grace period.
    async fn shutdown(&mut self) {
        while let Some((name, mut child)) = self.children.pop() {
            if child.try_wait().ok().flatten().is_some() {
                continue;
            }
            signal(child.id().map_or(0, |p| p as i32), libc::SIGTERM);
            match tokio::time::timeout(STOP_GRACE, child.wait()).await {
                Ok(_) => println!("[stop] {name} stopped"),
                Err(_) => {
                    let _ = child.kill().await;
                    println!("[stop] {name} did not stop within {STOP_GRACE:?}; killed");
                }
            }
        }
    }
}

fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// One progress line per step: `[n/total] what …`, then `[n/total] what: ready (1.2 s)`.
struct Progress {
    step: usize,
    total: usize,
}

impl Progress {
    async fn run<T>(&mut self, what: &str, work: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
        self.step += 1;
        let started = Instant::now();
        println!("[{}/{}] {what} …", self.step, self.total);
        let out = work.await?;
        println!("[{}/{}] {what}: ready ({:.1} s)", self.step, self.total, started.elapsed().as_secs_f64());
        Ok(out)
    }
}

/// Polls `probe` until it succeeds, failing when a child died or `limit` passed.
async fn wait_for<T, F, Fut>(tree: &mut Tree, what: &str, limit: Duration, mut probe: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        match probe().await {
            Ok(v) => return Ok(v),
            Err(e) => {
                tree.check_alive()?;
                if Instant::now() > deadline {
                    return Err(e.context(format!("{what} not ready within {limit:?}")));
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The L1 deployment as `DeployL1.s.sol` writes it.
#[derive(Debug, Clone, Deserialize)]
struct Deployment {
    #[serde(rename = "BaiToken")]
    bai_token: Address,
    #[serde(rename = "L2OutputOracle")]
    output_oracle: Address,
    #[serde(rename = "OptimismPortal")]
    portal: Address,
    #[serde(rename = "SystemConfig")]
    system_config: Address,
    #[serde(rename = "batchInbox")]
    batch_inbox: Address,
    batcher: Address,
    proposer: Address,
    challenger: Address,
}

/// BAI governance as `DeployGovernance.s.sol` writes it.
#[derive(Debug, Clone, Deserialize)]
struct Governance {
    #[serde(rename = "BaiGovernor")]
    governor: Address,
    #[serde(rename = "TimelockController")]
    timelock: Address,
    #[serde(rename = "timelockL2Alias")]
    timelock_l2_alias: Address,
    guardian: Address,
    #[serde(rename = "votingDelay")]
    voting_delay: u64,
    #[serde(rename = "votingPeriod")]
    voting_period: u64,
    #[serde(rename = "timelockMinDelay")]
    timelock_min_delay: u64,
}

struct Urls {
    l1: String,
    l2: String,
    verifier: String,
    /// The inference servers' URLs (one pool).
    inference: Vec<String>,
    /// The read replicas' URLs.
    replicas: Vec<String>,
    /// Every sequencer's URL, the first being `l2`.
    sequencers: Vec<String>,
    /// etcd's client URL (a cluster of sequencers only).
    etcd: Option<String>,
    metrics: SocketAddr,
    verifier_metrics: SocketAddr,
    dapp: SocketAddr,
}

impl Urls {
    fn new(a: &UpArgs) -> Self {
        let local = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
        Self {
            l1: format!("http://127.0.0.1:{}", a.l1_port),
            l2: format!("http://127.0.0.1:{}", a.l2_port),
            verifier: format!("http://127.0.0.1:{}", a.verifier_port),
            inference: (0..a.inference_servers)
                .map(|i| format!("http://127.0.0.1:{}", a.inference_port.saturating_add(i)))
                .collect(),
            replicas: (0..a.replicas)
                .map(|i| format!("http://127.0.0.1:{}", a.replica_port.saturating_add(i)))
                .collect(),
            sequencers: std::iter::once(a.l2_port)
                .chain((0..a.sequencers.saturating_sub(1)).map(|i| a.sequencer_port.saturating_add(i)))
                .map(|port| format!("http://127.0.0.1:{port}"))
                .collect(),
            etcd: (a.sequencers > 1).then(|| format!("http://127.0.0.1:{}", a.etcd_port)),
            metrics: local(a.metrics_port),
            verifier_metrics: local(a.metrics_port.wrapping_add(1)),
            dapp: local(a.dapp_port),
        }
    }
}

fn ws(http: &str) -> String {
    http.replacen("http://", "ws://", 1)
}

fn provider(url: &str) -> anyhow::Result<DynProvider> {
    Ok(ProviderBuilder::new().connect_http(url.parse().with_context(|| format!("bad URL {url}"))?).erased())
}

async fn up(datadir: &Path, args: UpArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let files = Files::new(datadir)?;
    if let Some(pid) = files.running() {
        bail!("a devnet is already running in {} (pid {pid}); `bai devnet down` stops it", files.root.display());
    }
    if args.fresh {
        remove_datadir(&files)?;
    }
    let script = args.contracts_dir.join("script/DeployL1.s.sol");
    if !script.exists() {
        bail!("{} not found: run from the repository root or pass --contracts-dir", script.display());
    }
    for dir in [files.root.clone(), files.logs(), files.root.join("l1")] {
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let _ = fs::remove_file(files.manifest());
    fs::write(files.pid(), std::process::id().to_string())?;
    let bai = std::env::current_exe().context("cannot find the bai binary")?;
    let urls = Urls::new(&args);
    let mut tree = Tree { logs: files.logs(), children: Vec::new(), groups: Vec::new(), gone: Vec::new() };

    let outcome = async {
        let dapp_server = start(&files, &args, &urls, &bai, &mut tree, started).await?;
        tokio::select! {
            _ = bai_runtime::wait_for_signal() => {
                println!("\n[stop] shutting down");
                Ok(())
            }
            (name, status) = tree.first_exit() => {
                let log = files.logs().join(format!("{name}.log"));
                Err(anyhow::anyhow!("{name} exited unexpectedly ({status}); last lines of {}:\n{}", log.display(), tail(&log, 15)))
            }
            result = dapp_server => match result {
                Ok(Err(e)) => Err(e.context("dApp server failed")),
                _ => Err(anyhow::anyhow!("dApp server stopped")),
            },
        }
    }
    .await;
    tree.shutdown().await;
    let _ = fs::remove_file(files.manifest());
    let _ = fs::remove_file(files.pid());
    if outcome.is_ok() {
        println!("[stop] devnet stopped; state kept in {} (--fresh resets it)", files.root.display());
    }
    outcome
}

/// The task serving the dApp (never finishes when there is no dApp to serve).
type DappServer = tokio::task::JoinHandle<anyhow::Result<()>>;

async fn start(
    files: &Files,
    args: &UpArgs,
    urls: &Urls,
    bai: &Path,
    tree: &mut Tree,
    started: Instant,
) -> anyhow::Result<DappServer> {
    // A cluster adds etcd and each standby.
    let cluster = if args.sequencers > 1 { usize::from(args.sequencers) } else { 0 };
    let mut progress = Progress { step: 0, total: 7 + usize::from(args.replicas) + cluster };
    let accounts = dev_accounts();
    let text = |p: &Path| p.display().to_string();

    if let Some(etcd) = &urls.etcd {
        let peer = format!("http://127.0.0.1:{}", args.etcd_port.saturating_add(1));
        tree.spawn(
            "etcd",
            &args.etcd,
            &strings(&[
                "--name",
                "devnet",
                "--data-dir",
                &text(&files.root.join("etcd")),
                "--listen-client-urls",
                etcd,
                "--advertise-client-urls",
                etcd,
                "--listen-peer-urls",
                &peer,
                "--initial-advertise-peer-urls",
                &peer,
                "--initial-cluster",
                &format!("devnet={peer}"),
                "--log-level",
                "warn",
            ]),
            &[],
        )?;
        let addr = etcd.trim_start_matches("http://").to_string();
        progress
            .run(
                &format!("etcd (the sequencer cluster's leadership) on {etcd}"),
                wait_for(tree, "etcd", Duration::from_secs(30), || async {
                    tokio::net::TcpStream::connect(&addr).await?;
                    Ok(())
                }),
            )
            .await?;
    }

    // Anvil and the inference server start together: loading the models overlaps the L1 deployment.
    tree.spawn(
        "anvil",
        &args.anvil,
        &strings(&[
            "--host",
            "127.0.0.1",
            "--port",
            &args.l1_port.to_string(),
            "--hardfork",
            "prague",
            "--state",
            &text(&files.anvil_state()),
        ]),
        &[],
    )?;
    let models_dir = std::path::absolute(&args.models_dir)?;
    for (i, url) in urls.inference.iter().enumerate() {
        let name = if i == 0 { "inference".to_string() } else { format!("inference-{}", i + 1) };
        let addr = url.trim_start_matches("http://");
        tree.spawn(&name, bai, &strings(&["infer", "serve", "--addr", addr, "--models-dir", &text(&models_dir)]), &[])?;
        if urls.inference.len() > 1 {
            tree.group(&name, "inference pool");
        }
    }

    let l1 = provider(&urls.l1)?;
    let l1_chain_id = progress
        .run(
            &format!("L1: anvil (prague, blobs) on {}", urls.l1),
            wait_for(tree, "anvil", Duration::from_secs(30), || async { Ok(l1.get_chain_id().await?) }),
        )
        .await?;

    let (deployment, governance, reused) = progress
        .run(
            "L1 contracts and governance: forge script DeployL1.s.sol, DeployGovernance.s.sol",
            deploy(files, args, urls, &l1),
        )
        .await?;
    if reused {
        println!("      (resumed: the deployment in {} is still on L1)", files.deployment().display());
    }
    // The deployment ran on automine; from here on L1 makes blocks at a steady pace, like a real chain.
    let _: serde_json::Value = l1.raw_request("evm_setIntervalMining".into(), (args.l1_block_time,)).await?;

    let servers = urls.inference.iter().map(|url| provider(url)).collect::<anyhow::Result<Vec<_>>>()?;
    let served_models: serde_json::Value = progress
        .run(
            &format!("inference server{} on {}", if servers.len() > 1 { "s" } else { "" }, urls.inference.join(", ")),
            wait_for(tree, "inference server", Duration::from_secs(300), || async {
                for server in &servers {
                    let _: String = server.raw_request("bai_health".into(), ()).await?;
                }
                Ok(servers[0].raw_request("bai_models".into(), ()).await?)
            }),
        )
        .await?;

    let (batcher, proposer, challenger) =
        (&accounts[BATCHER_ACCOUNT], &accounts[PROPOSER_ACCOUNT], &accounts[CHALLENGER_ACCOUNT]);
    if batcher.address != deployment.batcher
        || proposer.address != deployment.proposer
        || challenger.address != deployment.challenger
    {
        bail!(
            "the deployment's batcher {} / proposer {} / challenger {} are not dev accounts \
             {BATCHER_ACCOUNT} / {PROPOSER_ACCOUNT} / {CHALLENGER_ACCOUNT}",
            deployment.batcher,
            deployment.proposer,
            deployment.challenger
        );
    }
    let l1_flags = |extra: &[&str]| {
        let mut v = strings(&[
            "--l1.rpc-url",
            &urls.l1,
            "--l1.system-config",
            &deployment.system_config.to_string(),
            "--l1.confirmations",
            "1",
            "--l1.poll-interval",
            "1s",
        ]);
        v.extend(strings(extra));
        v
    };
    // Member `i` (1-based) of the sequencers: the first is "sequencer" on --l2.port, as without a cluster.
    let sequencer_args = |i: usize| {
        let (dir, metrics) = match i {
            1 => ("sequencer".to_string(), urls.metrics),
            _ => (
                format!("sequencer-{i}"),
                SocketAddr::from(([127, 0, 0, 1], args.metrics_port.saturating_add(i as u16))),
            ),
        };
        let port = urls.sequencers[i - 1].rsplit(':').next().unwrap_or_default().to_string();
        let mut v = strings(&[
            "node",
            "--dev",
            "--datadir",
            &text(&files.root.join(dir)),
            "--http.addr",
            "127.0.0.1",
            "--http.port",
            &port,
            "--metrics",
            &metrics.to_string(),
            "--block-time",
            &humantime::format_duration(args.block_time).to_string(),
            "--inference.url",
            &urls.inference.join(","),
        ]);
        v.extend(l1_flags(&["--batcher.max-delay", "10s"]));
        if let Some(etcd) = &urls.etcd {
            v.extend(strings(&["--conductor.etcd", etcd, "--conductor.id", &format!("sequencer-{i}")]));
        }
        (v, metrics)
    };
    // Keys go through the environment so they never show in `ps`.
    let keys =
        [("BAI_BATCHER_KEY", batcher.private_key.to_string()), ("BAI_PROPOSER_KEY", proposer.private_key.to_string())];
    tree.spawn("sequencer", bai, &sequencer_args(1).0, &keys)?;
    if urls.etcd.is_some() {
        tree.group("sequencer", "sequencer cluster");
    }
    let l2 = provider(&urls.l2)?;
    let l2_chain_id = progress
        .run(
            &format!("L2 sequencer, batcher and proposer on {}", urls.l2),
            wait_for(tree, "sequencer", Duration::from_secs(120), || async {
                if l2.get_block_number().await? == 0 {
                    bail!("no L2 block yet");
                }
                Ok(l2.get_chain_id().await?)
            }),
        )
        .await?;
    let first_block_after = started.elapsed();
    let mut sequencer_metrics = vec![urls.metrics];
    for (i, url) in urls.sequencers.iter().enumerate().skip(1) {
        let name = format!("sequencer-{}", i + 1);
        let (member_args, metrics) = sequencer_args(i + 1);
        sequencer_metrics.push(metrics);
        tree.spawn(&name, bai, &member_args, &keys)?;
        tree.group(&name, "sequencer cluster");
        let member = provider(url)?;
        progress
            .run(
                &format!(
                    "standby sequencer {} on {url} (imports the leader's blocks, takes over when its lease lapses)",
                    i + 1
                ),
                wait_for(tree, &name, Duration::from_secs(60), || async {
                    if member.get_block_number().await? == 0 {
                        bail!("no block imported yet");
                    }
                    Ok(())
                }),
            )
            .await?;
    }

    let handed_over = progress
        .run(
            "L2 governance: L2HandOver.s.sol (every L2 admin role to the timelock's L2 alias, the pause to the guardian)",
            hand_over_l2(files, args, urls, &governance),
        )
        .await?;
    if !handed_over {
        println!("      (resumed: {} records the hand-over)", files.l2_handover().display());
    }
    // The genesis names the L1 portal and token withdrawals may not target, predicted for a fresh anvil
    // deployed from dev account 0; say so if this deployment put them elsewhere (the check is then off).
    let passer = IL2ToL1MessagePasser::new(predeploys::L2_TO_L1_MESSAGE_PASSER, &l2);
    let (known_portal, known_token) = (passer.l1Portal().call().await?, passer.l1Token().call().await?);
    if (known_portal, known_token) != (deployment.portal, deployment.bai_token) {
        println!(
            "      warning: the L2 genesis refuses withdrawals to {known_portal} / {known_token}, not to this \
             deployment's portal {} / token {}",
            deployment.portal, deployment.bai_token
        );
    }

    let mut verifier_args = strings(&[
        "node",
        "--dev",
        "--verifier",
        "--datadir",
        &text(&files.root.join("verifier")),
        "--http.addr",
        "127.0.0.1",
        "--http.port",
        &args.verifier_port.to_string(),
        "--metrics",
        &urls.verifier_metrics.to_string(),
    ]);
    verifier_args.extend(l1_flags(&[]));
    // The verifier is also the challenger: it checks every output root against what it derived, and
    // re-runs every inference witness on the CPU reference models, filing evidence with the sequencer.
    verifier_args.extend(strings(&["--challenger.l2-rpc-url", &urls.l2, "--inference.models-dir", &text(&models_dir)]));
    tree.spawn("verifier", bai, &verifier_args, &[("BAI_CHALLENGER_KEY", challenger.private_key.to_string())])?;
    let verifier = provider(&urls.verifier)?;
    progress
        .run(
            &format!("verifier and challenger (derives L2 from L1 alone) on {}", urls.verifier),
            wait_for(tree, "verifier", Duration::from_secs(60), || async { Ok(verifier.get_chain_id().await?) }),
        )
        .await?;

    for (i, url) in urls.replicas.iter().enumerate() {
        let port = args.replica_port.saturating_add(i as u16);
        let name = format!("replica-{}", i + 1);
        let replica_args = strings(&[
            "node",
            "--dev",
            "--datadir",
            &text(&files.root.join(&name)),
            "--http.addr",
            "127.0.0.1",
            "--http.port",
            &port.to_string(),
            "--follow",
            &urls.sequencers.join(","),
            "--inference.disable",
        ]);
        tree.spawn(&name, bai, &replica_args, &[])?;
        let replica = provider(url)?;
        progress
            .run(
                &format!("read replica {} on {url} (follows the sequencer, forwards transactions to it)", i + 1),
                wait_for(tree, &name, Duration::from_secs(60), || async {
                    if replica.get_block_number().await? == 0 {
                        bail!("no block imported yet");
                    }
                    Ok(())
                }),
            )
            .await?;
    }

    let listed: serde_json::Value = l2.raw_request("bai_listModels".into(), ()).await?;
    let models = listed["models"].clone();
    let dapp_config = json!({
        "l2": { "chainId": l2_chain_id, "name": L2_CHAIN_NAME, "rpcUrl": urls.l2 },
        "l1": {
            "chainId": l1_chain_id,
            "name": "Anvil L1",
            "rpcUrl": urls.l1,
            "contracts": {
                "BaiToken": deployment.bai_token.to_string(),
                "L2OutputOracle": deployment.output_oracle.to_string(),
                "OptimismPortal": deployment.portal.to_string(),
                "SystemConfig": deployment.system_config.to_string(),
                "BaiGovernor": governance.governor.to_string(),
            },
        },
    });
    let dapp = progress
        .run(
            &format!("marketplace dApp on http://{}", urls.dapp),
            serve_dapp(&args.dapp_dir, files.root.join("dapp"), &dapp_config, urls.dapp),
        )
        .await?;
    let dapp_url = dapp.as_ref().map(|_| format!("http://{}", urls.dapp));

    let manifest = json!({
        "pid": std::process::id(),
        "datadir": files.root,
        "logs": files.logs(),
        "l1": { "rpc": urls.l1, "ws": ws(&urls.l1), "chainId": l1_chain_id, "blockTime": args.l1_block_time },
        "l2": {
            "rpc": urls.l2,
            "ws": ws(&urls.l2),
            "chainId": l2_chain_id,
            "name": L2_CHAIN_NAME,
            "blockTime": humantime::format_duration(args.block_time).to_string(),
        },
        "verifier": { "rpc": urls.verifier, "ws": ws(&urls.verifier) },
        "replicas": urls.replicas.iter().map(|url| json!({ "rpc": url, "ws": ws(url) })).collect::<Vec<_>>(),
        "sequencers": urls.sequencers.iter().zip(&sequencer_metrics).enumerate().map(|(i, (url, metrics))| json!({
            "id": format!("sequencer-{}", i + 1),
            "rpc": url,
            "ws": ws(url),
            "metrics": format!("http://{metrics}/metrics"),
        })).collect::<Vec<_>>(),
        "etcd": urls.etcd,
        "inference": { "url": urls.inference[0], "urls": urls.inference, "models": served_models },
        "metrics": {
            "sequencer": format!("http://{}/metrics", urls.metrics),
            "verifier": format!("http://{}/metrics", urls.verifier_metrics),
        },
        "dapp": dapp_url,
        "contracts": {
            "l1": {
                "BaiToken": deployment.bai_token.to_string(),
                "OptimismPortal": deployment.portal.to_string(),
                "L2OutputOracle": deployment.output_oracle.to_string(),
                "SystemConfig": deployment.system_config.to_string(),
                "batchInbox": deployment.batch_inbox.to_string(),
                "BaiGovernor": governance.governor.to_string(),
                "TimelockController": governance.timelock.to_string(),
            },
            "l2": l2_contracts().into_iter().collect::<serde_json::Map<_, _>>(),
        },
        "roles": {
            "batcher": deployment.batcher.to_string(),
            "proposer": deployment.proposer.to_string(),
            "challenger": deployment.challenger.to_string(),
            "guardian": governance.guardian.to_string(),
            "l1Admin": governance.timelock.to_string(),
            "l2Admin": governance.timelock_l2_alias.to_string(),
            "l2Guardian": governance.guardian.to_string(),
        },
        "governance": {
            "governor": governance.governor.to_string(),
            "timelock": governance.timelock.to_string(),
            "timelockL2Alias": governance.timelock_l2_alias.to_string(),
            "votingDelayBlocks": governance.voting_delay,
            "votingPeriodBlocks": governance.voting_period,
            "timelockDelaySeconds": governance.timelock_min_delay,
        },
        "accounts": accounts.iter().map(|a| json!({ "address": a.address.to_string(), "privateKey": a.private_key })).collect::<Vec<_>>(),
        "mnemonic": DEV_MNEMONIC,
        "models": models,
        "processes": tree.pids().into_iter().map(|(name, pid)| json!({
            "name": name, "pid": pid, "log": files.logs().join(format!("{name}.log")),
        })).collect::<Vec<_>>(),
        "notRunning": {},
        "startup": { "firstL2BlockSeconds": first_block_after.as_secs_f64(), "readySeconds": started.elapsed().as_secs_f64() },
    });
    let banner = banner(&manifest, &deployment, &governance, reused, first_block_after, started.elapsed());
    files.write_atomic(&files.banner(), banner.as_bytes())?;
    // Written last: its presence means "everything answers" (`--detach` waits for it).
    files.write_atomic(&files.manifest(), &serde_json::to_vec_pretty(&manifest)?)?;
    println!("{banner}");
    Ok(dapp.unwrap_or_else(|| tokio::spawn(std::future::pending())))
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn l2_contracts() -> Vec<(String, serde_json::Value)> {
    [
        ("ModelMarketplace", predeploys::MODEL_MARKETPLACE),
        ("Staking", predeploys::STAKING),
        ("InferenceWitnessStore", predeploys::WITNESS_STORE),
        ("InferenceDisputes", predeploys::INFERENCE_DISPUTES),
        ("Curation", predeploys::CURATION),
        ("PaymentChannels", predeploys::PAYMENT_CHANNELS),
        ("SequencerFeeVault", predeploys::SEQUENCER_FEE_VAULT),
        ("BaseFeeVault", predeploys::BASE_FEE_VAULT),
        ("L1FeeVault", predeploys::L1_FEE_VAULT),
        ("L2ToL1MessagePasser", predeploys::L2_TO_L1_MESSAGE_PASSER),
        ("L2Bridge", predeploys::L2_BRIDGE),
        ("L1Block", predeploys::L1_BLOCK),
        ("GasPriceOracle", predeploys::GAS_PRICE_ORACLE),
        ("AiPrecompile", predeploys::AI_PRECOMPILE),
    ]
    .into_iter()
    .map(|(name, address)| (name.to_string(), json!(address.to_string())))
    .collect()
}

/// Deploys the L1 contracts, or reuses the deployment recorded in the data dir when L1 still has it.
/// Returns the deployment and whether it was reused.
async fn deploy(
    files: &Files,
    args: &UpArgs,
    urls: &Urls,
    l1: &DynProvider,
) -> anyhow::Result<(Deployment, Governance, bool)> {
    let read = || -> anyhow::Result<Deployment> {
        let path = files.deployment();
        serde_json::from_slice(&fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?)
            .with_context(|| format!("{} is not a DeployL1.s.sol output", path.display()))
    };
    let read_governance = || -> anyhow::Result<Governance> {
        let path = files.governance();
        serde_json::from_slice(&fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?)
            .with_context(|| format!("{} is not a DeployGovernance.s.sol output", path.display()))
    };
    if files.deployment().exists() && files.governance().exists() {
        let deployment = read()?;
        if l1.get_code_at(deployment.system_config).await?.is_empty() {
            bail!(
                "{} records an L1 deployment that anvil no longer has (its state is saved only on a clean stop); \
                 start over with --fresh",
                files.deployment().display()
            );
        }
        return Ok((deployment, read_governance()?, true));
    }
    let deployment_out = files.deployment();
    // The oracle bounds each output's L2 timestamp by start + n × block time: it must know the real one.
    let block_time_ms = OsString::from(args.block_time.as_millis().to_string());
    let env = [("BAI_L1_DEPLOY_OUT", deployment_out.as_os_str()), ("BAI_L2_BLOCK_TIME_MS", block_time_ms.as_os_str())];
    if let Err(e) = forge_script(args, files, "DeployL1", &urls.l1, &env).await {
        let _ = fs::remove_file(files.deployment());
        return Err(e);
    }
    let deployment = read()?;
    // The deployer (account 0) holds the whole BAI supply; give every other dev account some to deposit.
    let accounts = dev_accounts();
    let wallet = EthereumWallet::from(accounts[0].signer());
    let token =
        IBaiTokenL1::new(deployment.bai_token, ProviderBuilder::new().wallet(wallet).connect_http(urls.l1.parse()?));
    for account in &accounts[1..] {
        token.transfer(account.address, L1_BAI_PER_ACCOUNT).send().await?.get_receipt().await?;
    }
    // Governance with devnet periods (DeployGovernance's defaults: voting 1 + 20 L1 blocks, 60 s
    // timelock): every L1 admin role moves to the timelock, the deployer keeps none.
    let (governance_out, guardian) = (files.governance(), accounts[GUARDIAN_ACCOUNT].address.to_string());
    let env = [
        ("BAI_L1_DEPLOY_OUT", deployment_out.as_os_str()),
        ("BAI_GOV_DEPLOY_OUT", governance_out.as_os_str()),
        ("BAI_GOV_GUARDIAN", OsStr::new(&guardian)),
    ];
    if let Err(e) = forge_script(args, files, "DeployGovernance", &urls.l1, &env).await {
        let _ = fs::remove_file(files.governance());
        let _ = fs::remove_file(files.deployment());
        return Err(e);
    }
    Ok((deployment, read_governance()?, false))
}

/// Hands every L2 admin role of the genesis admin (dev account 0) to the L1 timelock's aliased address, and
/// the marketplace's emergency pause to the guardian (`L2HandOver.s.sol`, broadcast to the sequencer). From
/// then on L2 parameters change only through a governance proposal's deposits, as on a production chain.
/// Returns false when an earlier run of this data dir already did it.
async fn hand_over_l2(files: &Files, args: &UpArgs, urls: &Urls, governance: &Governance) -> anyhow::Result<bool> {
    let out = files.l2_handover();
    if out.exists() {
        return Ok(false);
    }
    let (governance_out, guardian) = (files.governance(), governance.guardian.to_string());
    let env = [
        ("BAI_GOV_DEPLOY_OUT", governance_out.as_os_str()),
        ("BAI_L2_GUARDIAN", OsStr::new(&guardian)),
        ("BAI_L2_HANDOVER_OUT", out.as_os_str()),
    ];
    if let Err(e) = forge_script(args, files, "L2HandOver", &urls.l2, &env).await {
        let _ = fs::remove_file(&out);
        return Err(e);
    }
    Ok(true)
}

/// Runs `forge script script/<name>.s.sol:<name> --broadcast` against `rpc` (one transaction at a time, each
/// waited for), its output in `logs/<name>.log`; a failure shows the log's last lines.
async fn forge_script(
    args: &UpArgs,
    files: &Files,
    name: &str,
    rpc: &str,
    env: &[(&str, &OsStr)],
) -> anyhow::Result<()> {
    let log = files.logs().join(format!("{name}.log"));
    let output = Command::new(&args.forge)
        .args(["script", &format!("script/{name}.s.sol:{name}"), "--rpc-url", rpc])
        .args(["--broadcast", "--non-interactive", "--slow"])
        .current_dir(&args.contracts_dir)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .await
        .with_context(|| format!("cannot run {}; is it installed (`make setup`)?", args.forge.display()))?;
    fs::write(&log, [output.stdout, output.stderr].concat())?;
    if !output.status.success() {
        bail!("forge script {name} failed ({}); last lines of {}:\n{}", output.status, log.display(), tail(&log, 20));
    }
    Ok(())
}

/// Copies the built dApp into the data dir with a `config.json` for this devnet, and serves it.
async fn serve_dapp(
    dist: &Path,
    site: PathBuf,
    config: &serde_json::Value,
    addr: SocketAddr,
) -> anyhow::Result<Option<DappServer>> {
    if !dist.join("index.html").exists() {
        println!("      no dApp build at {} (`make dapp` builds it); not serving it", dist.display());
        return Ok(None);
    }
    if site.exists() {
        fs::remove_dir_all(&site)?;
    }
    copy_dir(dist, &site)?;
    fs::write(site.join("config.json"), serde_json::to_vec_pretty(config)?)?;
    let listener =
        tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot serve the dApp on {addr}"))?;
    let files = tower_http::services::ServeDir::new(&site);
    Ok(Some(tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await?;
            let service = hyper_util::service::TowerToHyperService::new(files.clone());
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
            });
        }
    })))
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn banner(
    m: &serde_json::Value,
    deployment: &Deployment,
    governance: &Governance,
    reused: bool,
    first_block: Duration,
    ready: Duration,
) -> String {
    let s = |v: &serde_json::Value| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    let mut out = String::new();
    let mut line = |l: String| {
        out.push_str(&l);
        out.push('\n');
    };
    line(String::new());
    line(format!("  BalanceAI devnet — {}", bai_runtime::client_version()));
    line(format!(
        "  ready in {:.1} s (first L2 block after {:.1} s){}",
        ready.as_secs_f64(),
        first_block.as_secs_f64(),
        if reused { "; resumed from the data dir" } else { "" }
    ));
    line(String::new());
    line(format!(
        "L1  anvil, prague (blobs)   chain {:<6} {}  {}",
        s(&m["l1"]["chainId"]),
        s(&m["l1"]["rpc"]),
        s(&m["l1"]["ws"])
    ));
    line(format!(
        "L2  sequencer + batcher     chain {:<6} {}  {}",
        s(&m["l2"]["chainId"]),
        s(&m["l2"]["rpc"]),
        s(&m["l2"]["ws"])
    ));
    let sequencers = m["sequencers"].as_array().cloned().unwrap_or_default();
    for member in sequencers.iter().skip(1) {
        line(format!("    standby {:<29}{}  {}", s(&member["id"]), s(&member["rpc"]), s(&member["ws"])));
    }
    if let Some(etcd) = m["etcd"].as_str() {
        line(format!(
            "    etcd (leader lease)                  {etcd}  (`bai_conductorStatus` on any sequencer shows the leader)"
        ));
    }
    line(format!("    verifier (L1 only)                   {}  {}", s(&m["verifier"]["rpc"]), s(&m["verifier"]["ws"])));
    for (i, replica) in m["replicas"].as_array().into_iter().flatten().enumerate() {
        line(format!("    read replica {:<24}{}  {}", i + 1, s(&replica["rpc"]), s(&replica["ws"])));
    }
    let servers: Vec<String> = m["inference"]["urls"].as_array().into_iter().flatten().map(s).collect();
    line(format!(
        "    inference server{}                    {}",
        if servers.len() > 1 { "s" } else { " " },
        servers.join("  ")
    ));
    line(format!(
        "    metrics                              {}  {}",
        s(&m["metrics"]["sequencer"]),
        s(&m["metrics"]["verifier"])
    ));
    line(format!(
        "    dApp                                 {}",
        m["dapp"].as_str().unwrap_or("not served (run `make dapp`)")
    ));
    line(format!(
        "    proposer (in the sequencer)          output roots of safe blocks → {}",
        deployment.output_oracle
    ));
    line(format!(
        "    challenger (in the verifier)         deletes output roots that differ from the verifier's chain (account {CHALLENGER_ACCOUNT})"
    ));
    line(format!(
        "                                         re-runs inference witnesses on CPU; slashing evidence → InferenceDisputes {}",
        bai_chainspec::predeploys::INFERENCE_DISPUTES
    ));
    line(String::new());
    line("L1 contracts".into());
    for (name, address) in [
        ("BaiToken (ERC-20 BAI)", deployment.bai_token),
        ("OptimismPortal", deployment.portal),
        ("L2OutputOracle", deployment.output_oracle),
        ("SystemConfig", deployment.system_config),
        ("batch inbox", deployment.batch_inbox),
        ("BaiGovernor", governance.governor),
        ("TimelockController", governance.timelock),
    ] {
        line(format!("  {name:<24} {address}"));
    }
    line(format!(
        "  governance               the timelock holds every L1 admin role; voting {} + {} L1 blocks, timelock {} s; \
         guardian {} (account {GUARDIAN_ACCOUNT}); `bai gov --help`",
        governance.voting_delay, governance.voting_period, governance.timelock_min_delay, governance.guardian
    ));
    line(format!(
        "  L2 governance            the timelock's L2 alias {} holds every L2 admin role (proposals reach L2 as \
         portal deposits); the guardian may pause the marketplace at once",
        governance.timelock_l2_alias
    ));
    line(format!(
        "  roles                    batcher {} (account {BATCHER_ACCOUNT}), proposer {} (account {PROPOSER_ACCOUNT}), challenger {} (account {CHALLENGER_ACCOUNT})",
        deployment.batcher, deployment.proposer, deployment.challenger
    ));
    line(String::new());
    line("L2 predeploys".into());
    for (name, address) in l2_contracts() {
        line(format!("  {name:<24} {}", s(&address)));
    }
    line(String::new());
    line("Models (ModelMarketplace)".into());
    for model in m["models"].as_array().into_iter().flatten() {
        let price = model["price"].as_str().and_then(|p| p.parse::<U256>().ok()).unwrap_or_default();
        line(format!(
            "  {:<24} {:<10} {} BAI per call  id {}",
            s(&model["name"]),
            s(&model["kind"]),
            whole_bai(price),
            s(&model["id"])
        ));
    }
    line(String::new());
    line(format!(
        "Accounts (L2: 10000 BAI each; L1: 10000 ETH, and {} BAI for (1)–(9), (0) holds the rest of the supply)",
        whole_bai(L1_BAI_PER_ACCOUNT)
    ));
    for (i, account) in m["accounts"].as_array().into_iter().flatten().enumerate() {
        line(format!("  ({i}) {}  {}", s(&account["address"]), s(&account["privateKey"])));
    }
    line(format!("  mnemonic: {DEV_MNEMONIC}"));
    line(String::new());
    line(format!(
        "MetaMask: network \"{L2_CHAIN_NAME}\", RPC {}, chain id {}, currency BAI",
        s(&m["l2"]["rpc"]),
        s(&m["l2"]["chainId"])
    ));
    line(format!("Everything above, as JSON: {}/devnet.json (logs in {})", s(&m["datadir"]), s(&m["logs"])));
    line("Ctrl-C (or `bai devnet down`) stops everything; state is kept, --fresh starts over".into());
    out
}

/// `1.500000000000000000` → `1.5`: amounts in the banner without 18 trailing digits.
fn whole_bai(wei: U256) -> String {
    let text = format_ether(wei);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}
