//! Node configuration: defaults, then a TOML file (`--config`), then command-line flags.

use clap::Args;
use serde::{Deserialize, Serialize};
use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    path::PathBuf,
    time::Duration,
};

/// Flags of `bai node`; reth's names where reth has one. Every flag overrides the TOML file.
#[derive(Debug, Clone, Args, Default)]
pub struct NodeArgs {
    /// Development mode: dev chain spec, funded test-mnemonic accounts, keys printed at start.
    #[arg(long)]
    pub dev: bool,
    /// TOML configuration file (see docs/operator-guide.md).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Chain spec JSON (defaults to the dev chain).
    #[arg(long, value_name = "FILE")]
    pub chain: Option<PathBuf>,
    /// Data directory (RocksDB lives in <datadir>/db).
    #[arg(long, value_name = "DIR")]
    pub datadir: Option<PathBuf>,
    /// HTTP and WebSocket listen address.
    #[arg(long = "http.addr", value_name = "IP")]
    pub http_addr: Option<IpAddr>,
    /// HTTP and WebSocket port (0 picks a free one).
    #[arg(long = "http.port", value_name = "PORT")]
    pub http_port: Option<u16>,
    /// Allowed CORS origins: `*` or a comma-separated list.
    #[arg(long = "http.corsdomain", value_name = "ORIGINS")]
    pub cors: Option<String>,
    /// Time between blocks, e.g. `1s` or `250ms`.
    #[arg(long = "block-time", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub block_time: Option<Duration>,
    /// Block gas limit of the dev chain (`--dev` only; anvil's `--gas-limit`). Part of the genesis, so
    /// a datadir created with another limit is refused (genesis mismatch).
    #[arg(long = "dev.gas-limit", value_name = "GAS")]
    pub dev_gas_limit: Option<u64>,
    /// Serve Prometheus metrics on this address (`/metrics`).
    #[arg(long, value_name = "IP:PORT")]
    pub metrics: Option<SocketAddr>,
    /// Keep state history for every block instead of the last 128.
    #[arg(long)]
    pub archive: bool,
    /// Accept a `--chain` genesis that allocates native BAI no L1 deposit backs (private testnets
    /// only: on a public chain that BAI could be withdrawn from the portal's deposits).
    #[arg(long = "genesis.allow-unbacked")]
    pub allow_unbacked_genesis: bool,
    /// fsync each block commit (survives power loss, not just a killed process).
    #[arg(long = "db.sync")]
    pub db_sync: bool,
    /// RocksDB block cache, in MiB (default 1024). Blocks touching accounts the head cache does not
    /// hold read their trie paths through it: at a million accounts they were built slower with 256 MiB.
    #[arg(long = "db.cache-mb", value_name = "MIB")]
    pub db_cache_mb: Option<usize>,
    /// Entries per table of the head cache the block builder reads state through (default 4194304,
    /// 0: off). At startup the head state is loaded into it in the background when it fits (roughly
    /// 0.5 GiB at a million accounts), so no block reads an account or trie node from RocksDB.
    #[arg(long = "db.head-cache-entries", value_name = "N")]
    pub db_head_cache_entries: Option<usize>,
    /// How many blocks back withdrawals can be proven (`eth_getProof` of the L2ToL1MessagePasser at a
    /// past block). Default: 8 days of blocks, a day more than the usual challenge window.
    #[arg(long = "history.withdrawal-proofs", value_name = "BLOCKS")]
    pub withdrawal_proof_blocks: Option<u64>,
    /// Largest request body, in bytes.
    #[arg(long = "rpc.max-request-size", value_name = "BYTES")]
    pub max_request_bytes: Option<u32>,
    /// Most concurrent RPC connections.
    #[arg(long = "rpc.max-connections", value_name = "N")]
    pub max_connections: Option<u32>,
    /// Most requests in one batch.
    #[arg(long = "rpc.max-batch-size", value_name = "N")]
    pub max_batch: Option<u32>,
    /// Widest block range `eth_getLogs` scans by header bloom: a filter without address or topics,
    /// or blocks below the log index. Address/topic filters over indexed blocks have no range limit.
    #[arg(long = "rpc.max-logs-range", value_name = "BLOCKS")]
    pub max_logs_range: Option<u64>,
    /// JSON-RPC namespaces served, comma-separated, or `all` (eth, net, web3, debug, txpool, optimism,
    /// bai, evm). Default: eth,net,web3,optimism,bai; with `--dev` all of them. HTTP and WebSocket
    /// share one port, so `--ws.api` names the same set.
    #[arg(long = "http.api", alias = "ws.api", value_name = "NAMESPACES")]
    pub http_api: Option<bai_rpc::RpcApis>,
    /// Gas cap of eth_call, eth_estimateGas, eth_createAccessList and debug_traceCall.
    #[arg(long = "rpc.gascap", value_name = "GAS")]
    pub gas_cap: Option<u64>,
    /// Wall-clock limit of one eth_call / eth_estimateGas / eth_createAccessList, and the default
    /// timeout of a trace (a tracer's `timeout` option overrides it).
    #[arg(long = "rpc.evmtimeout", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub evm_timeout: Option<Duration>,
    /// Most steps one struct-logger trace records (callTracer has no step cap).
    #[arg(long = "rpc.max-trace-steps", value_name = "N")]
    pub max_trace_steps: Option<u64>,
    /// Most traces running at once; more wait their turn.
    #[arg(long = "rpc.max-tracing-requests", value_name = "N")]
    pub max_tracing_requests: Option<usize>,
    /// Most storage keys one eth_getProof proves.
    #[arg(long = "rpc.max-proof-keys", value_name = "N")]
    pub max_proof_keys: Option<usize>,
    /// Most installed filters (idle ones expire after 5 minutes).
    #[arg(long = "rpc.max-filters", value_name = "N")]
    pub max_filters: Option<usize>,
    /// Messages a WebSocket connection may have waiting; a subscriber that lets them pile up and
    /// reads nothing for 5 s loses its subscription.
    #[arg(long = "rpc.max-subscription-backlog", value_name = "N")]
    pub max_subscription_backlog: Option<u32>,
    /// Minimum priority fee the pool accepts (wei).
    #[arg(long = "txpool.pricelimit", value_name = "WEI")]
    pub price_limit: Option<u128>,
    /// Most transactions per sender in the pool.
    #[arg(long = "txpool.accountslots", value_name = "N")]
    pub account_slots: Option<usize>,
    /// Most transactions in the pool.
    #[arg(long = "txpool.globalslots", value_name = "N")]
    pub global_slots: Option<usize>,
    /// Inference server(s) the sequencer asks, a pool serving the same models (repeat or
    /// comma-separate): each call goes to the least busy server in rotation, a failed one leaves the
    /// rotation until it answers again. Without one, `--dev` runs the models in-process from
    /// `--inference.models-dir`.
    #[arg(long = "inference.url", value_name = "URL", value_delimiter = ',')]
    pub inference_urls: Option<Vec<String>>,
    /// How long one model call may take, all its attempts on different servers together, before the
    /// calling transaction reverts.
    #[arg(long = "inference.timeout", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub inference_timeout: Option<Duration>,
    /// Where the in-process backend finds model weights (`make setup` fills ./.models).
    #[arg(long = "inference.models-dir", value_name = "DIR")]
    pub models_dir: Option<PathBuf>,
    /// Device of the in-process backend: cpu or cuda.
    #[arg(long = "inference.device", value_name = "DEVICE")]
    pub inference_device: Option<String>,
    /// Runtime of the in-process backend's float models: auto (generation on the bit-exact
    /// reference, embeddings on the fast path: what each model's verification rule needs), reference
    /// (everything bit-exact) or fast (candle for everything).
    #[arg(long = "inference.runtime", value_name = "RUNTIME")]
    pub inference_runtime: Option<String>,
    /// No inference at all: AI precompile calls revert (replicas never need it).
    #[arg(long = "inference.disable")]
    pub inference_disable: bool,
    /// Replica mode: do not sequence; import and re-execute every block of the node at this RPC
    /// URL, answering AI calls only from the blocks' recorded witnesses.
    #[arg(long, value_name = "RPC_URL")]
    pub follow: Option<String>,
    /// Verifier mode: do not sequence; derive every block from L1 alone (batches the authorised
    /// batcher posted, deposits from the portal). Needs --l1.rpc-url and --l1.system-config.
    #[arg(long)]
    pub verifier: bool,
    /// Sequencer cluster: the etcd endpoints (repeat or comma-separate) where this sequencer and its
    /// peers elect one leader; the others stand by, import every published block and take over when the
    /// leader's lease expires. See docs/operator-guide.md, "Production topology".
    #[arg(long = "conductor.etcd", value_name = "URL", value_delimiter = ',')]
    pub conductor_etcd: Option<Vec<String>>,
    /// This sequencer's name in the cluster (default: its RPC address).
    #[arg(long = "conductor.id", value_name = "NAME")]
    pub conductor_id: Option<String>,
    /// The RPC URL peers and replicas reach this sequencer at (default: http://<http.addr>:<http.port>).
    #[arg(long = "conductor.advertise-url", value_name = "URL")]
    pub conductor_advertise_url: Option<String>,
    /// The leader's etcd lease: a dead leader is replaced after at most this long (whole seconds).
    #[arg(long = "conductor.lease-ttl", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub conductor_lease_ttl: Option<Duration>,
    /// L1 JSON-RPC URL: follow L1 for block origins and include the portal's deposits.
    #[arg(long = "l1.rpc-url", alias = "l1-rpc", value_name = "URL", env = "BAI_L1_RPC_URL")]
    pub l1_rpc_url: Option<String>,
    /// The rollup's SystemConfig on L1: the portal, batch inbox, batcher, fee scalars and start
    /// block are read from it (flags given explicitly must agree).
    #[arg(long = "l1.system-config", value_name = "ADDRESS")]
    pub l1_system_config: Option<alloy_primitives::Address>,
    /// Beacon node URL to fetch blobs from (real networks). Without it blobs are read from the L1
    /// RPC (`anvil_getBlobByHash`, which anvil serves).
    #[arg(long = "l1.beacon-url", value_name = "URL", env = "BAI_L1_BEACON_URL")]
    pub l1_beacon_url: Option<String>,
    /// Sequencing window in L1 blocks (a chain constant: every node of the chain must use the same
    /// value). Batches must land within it; after it, derivation includes deposits by itself.
    #[arg(long = "rollup.seq-window", value_name = "L1_BLOCKS")]
    pub seq_window: Option<u64>,
    /// Test only: a sequencer that censors deposits (never adopts an L1 origin carrying them), to
    /// exercise forced inclusion. Never use it on a real network.
    #[arg(long = "sequencer.censor-deposits", hide = true)]
    pub censor_deposits: bool,
    /// The L1 portal (BaiPortal) whose `TransactionDeposited` events are deposits.
    #[arg(long = "l1.portal", value_name = "ADDRESS")]
    pub l1_portal: Option<alloy_primitives::Address>,
    /// L1 blocks are used as origins once this many blocks are on top of them.
    #[arg(long = "l1.confirmations", value_name = "N")]
    pub l1_confirmations: Option<u64>,
    /// First L1 block a fresh chain follows (default: the L1 head at first start).
    #[arg(long = "l1.start-block", value_name = "N")]
    pub l1_start_block: Option<u64>,
    /// How often L1 is polled.
    #[arg(long = "l1.poll-interval", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub l1_poll_interval: Option<Duration>,
    /// Batcher private key (hex); enables posting L2 blocks to the batch inbox. Prefer the
    /// environment variable: a flag shows up in `ps`. Never logged.
    #[arg(long = "batcher.key", value_name = "HEX", env = "BAI_BATCHER_KEY", hide_env_values = true)]
    pub batcher_key: Option<Secret>,
    /// File holding the batcher private key (hex, surrounding whitespace ignored), e.g. a mounted
    /// secret. Never logged.
    #[arg(long = "batcher.key-file", value_name = "PATH", conflicts_with = "batcher_key")]
    pub batcher_key_file: Option<PathBuf>,
    /// Proposer private key (hex): posts output roots of safe blocks to SystemConfig's L2OutputOracle.
    /// Prefer the environment variable or a key file. Never logged.
    #[arg(long = "proposer.key", value_name = "HEX", env = "BAI_PROPOSER_KEY", hide_env_values = true)]
    pub proposer_key: Option<Secret>,
    /// File holding the proposer private key (hex).
    #[arg(long = "proposer.key-file", value_name = "PATH", conflicts_with = "proposer_key")]
    pub proposer_key_file: Option<PathBuf>,
    /// Challenger private key (hex): checks every output root on L1 against the chain this node
    /// derives from L1 and deletes wrong ones while their window is open. Run it on a verifier.
    #[arg(long = "challenger.key", value_name = "HEX", env = "BAI_CHALLENGER_KEY", hide_env_values = true)]
    pub challenger_key: Option<Secret>,
    /// File holding the challenger private key (hex).
    #[arg(long = "challenger.key-file", value_name = "PATH", conflicts_with = "challenger_key")]
    pub challenger_key_file: Option<PathBuf>,
    /// The sequencer's RPC URL: with it the challenger also re-runs every recorded inference witness
    /// on the CPU reference runtime (models from --inference.models-dir) and files slashing evidence
    /// with InferenceDisputes on L2 (sent there) for results outside the model's tolerance.
    #[arg(long = "challenger.l2-rpc-url", value_name = "URL")]
    pub challenger_l2_rpc_url: Option<String>,
    /// Blocks of state history the inference challenger keeps to re-execute witnessed blocks: at
    /// least InferenceDisputes' dispute window (604,800 blocks in the default genesis).
    #[arg(long = "challenger.history-blocks", value_name = "BLOCKS")]
    pub challenger_history_blocks: Option<u64>,
    /// The batch inbox address on L1.
    #[arg(long = "batcher.inbox", value_name = "ADDRESS")]
    pub batcher_inbox: Option<alloy_primitives::Address>,
    /// Close a channel at this many L2 blocks.
    #[arg(long = "batcher.max-blocks", value_name = "N")]
    pub batcher_max_blocks: Option<u64>,
    /// Close a channel once its oldest block has waited this long.
    #[arg(long = "batcher.max-delay", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub batcher_max_delay: Option<Duration>,
    /// How batches reach L1: blobs, calldata, or auto (whichever is cheaper at current L1 fees).
    #[arg(long = "batcher.da", value_name = "MODE")]
    pub batcher_da: Option<bai_bridge::batcher::DaMode>,
    /// Largest calldata frame in bytes (one frame per calldata transaction).
    #[arg(long = "batcher.max-frame-size", value_name = "BYTES")]
    pub batcher_max_frame_size: Option<usize>,
    /// Replace a batcher transaction with higher fees when it is not included after this long.
    #[arg(long = "batcher.resubmit-after", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub batcher_resubmit_after: Option<Duration>,
    /// Throttle the sequencer (small blocks) while more than this many L2 blocks wait to be
    /// posted (0: never).
    #[arg(long = "batcher.throttle-blocks", value_name = "N")]
    pub batcher_throttle_blocks: Option<u64>,
}

/// A private key from a flag, the environment or a key file: `Debug` never prints it (configs are
/// logged and printed in errors), only [`Secret::expose`] gives it out.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one place that turns it into a signer.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_string()))
    }
}

/// The resolved configuration, also the TOML file's schema.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeConfig {
    /// Development mode (`--dev`): dev chain spec and funded test-mnemonic accounts.
    pub dev: bool,
    /// Chain spec JSON (`--chain`); `None` with `dev` uses the dev chain.
    pub chain: Option<PathBuf>,
    /// Data directory; RocksDB lives in `<datadir>/db`.
    pub datadir: PathBuf,
    /// JSON-RPC listen address (HTTP and WebSocket).
    pub http_addr: IpAddr,
    /// JSON-RPC port (0 picks a free one).
    pub http_port: u16,
    /// Allowed CORS origins: `*` or a comma-separated list.
    pub cors: String,
    /// Time between sequenced blocks (at least 50ms).
    #[serde(with = "humantime_serde_compat")]
    pub block_time: Duration,
    /// Block gas limit of the dev chain; `None`: the chain spec's (30M).
    pub dev_gas_limit: Option<u64>,
    /// Where Prometheus metrics are served (`None`: not served).
    pub metrics: Option<SocketAddr>,
    /// Keep state history for every block instead of the last 128.
    pub archive: bool,
    /// Accept a non-dev genesis with native BAI that no L1 deposit backs.
    pub allow_unbacked_genesis: bool,
    /// fsync each block commit.
    pub db_sync: bool,
    /// RocksDB block cache, in MiB.
    pub db_cache_mb: usize,
    /// Entries per table of the head cache (0: off), warmed with the head state at startup.
    pub db_head_cache_entries: usize,
    /// Blocks back withdrawals can be proven; `None`: 8 days of blocks (see [`Self::withdrawal_proof_blocks`]).
    pub withdrawal_proof_blocks: Option<u64>,
    /// Largest JSON-RPC request body, in bytes.
    pub max_request_bytes: u32,
    /// Largest JSON-RPC response body, in bytes (file only: no flag).
    pub max_response_bytes: u32,
    /// Most concurrent JSON-RPC connections.
    pub max_connections: u32,
    /// Most requests in one JSON-RPC batch.
    pub max_batch: u32,
    /// Widest block range `eth_getLogs` accepts.
    pub max_logs_range: u64,
    /// Most logs one `eth_getLogs` returns (file only: no flag).
    pub max_logs: usize,
    /// JSON-RPC namespaces served; `None`: eth,net,web3,optimism,bai, or every namespace with `dev`.
    pub http_api: Option<bai_rpc::RpcApis>,
    /// Gas cap of calls and `debug_traceCall`.
    pub gas_cap: u64,
    /// Wall-clock limit of one call, and the default timeout of a trace.
    #[serde(with = "humantime_serde_compat")]
    pub evm_timeout: Duration,
    /// Most steps one struct-logger trace records.
    pub max_trace_steps: u64,
    /// Most traces running at once.
    pub max_tracing_requests: usize,
    /// Most storage keys one `eth_getProof` proves.
    pub max_proof_keys: usize,
    /// Most installed filters.
    pub max_filters: usize,
    /// Messages a WebSocket connection may have waiting before a non-reading subscriber is dropped.
    pub max_subscription_backlog: u32,
    /// Minimum priority fee the pool accepts (wei).
    pub price_limit: u128,
    /// Most pooled transactions per sender.
    pub account_slots: usize,
    /// Most transactions in the pool.
    pub global_slots: usize,
    /// Inference servers the sequencer asks, in order; empty with `dev` runs models in-process.
    pub inference_urls: Vec<String>,
    /// How long one model call may take before the calling transaction reverts.
    #[serde(with = "humantime_serde_compat")]
    pub inference_timeout: Duration,
    /// Where the in-process inference backend finds model weights.
    pub models_dir: PathBuf,
    /// Device of the in-process inference backend: `cpu` or `cuda`.
    pub inference_device: String,
    /// Runtime of the in-process backend's float models: `auto`, `reference` or `fast`.
    pub inference_runtime: String,
    /// No inference at all: AI precompile calls revert.
    pub inference_disable: bool,
    /// Replica mode: the RPC URL of the node whose blocks are imported and re-executed.
    pub follow: Option<String>,
    /// Verifier mode: derive every block from L1 instead of sequencing.
    pub verifier: bool,
    /// Sequencer cluster: etcd endpoints where the leader is elected (empty: a single sequencer).
    pub conductor_etcd: Vec<String>,
    /// This sequencer's name in the cluster (`None`: its RPC address).
    pub conductor_id: Option<String>,
    /// The RPC URL peers and replicas reach this sequencer at (`None`: from the HTTP address and port).
    pub conductor_advertise_url: Option<String>,
    /// The leader's etcd lease.
    #[serde(with = "humantime_serde_compat")]
    pub conductor_lease_ttl: Duration,
    /// L1 JSON-RPC URL; without it the node runs without L1 (no deposits, origins or batches).
    pub l1_rpc_url: Option<String>,
    /// The rollup's SystemConfig on L1, where portal, inbox, batcher, fee scalars and start block are read.
    pub l1_system_config: Option<alloy_primitives::Address>,
    /// Beacon node URL blobs are fetched from; `None` reads them from the L1 RPC.
    pub l1_beacon_url: Option<String>,
    /// The L1 portal whose `TransactionDeposited` events are deposits.
    pub l1_portal: Option<alloy_primitives::Address>,
    /// Sequencing window in L1 blocks; a chain constant every node must share.
    pub seq_window: u64,
    /// Test only: the sequencer never adopts an L1 origin carrying deposits.
    #[serde(skip)]
    pub censor_deposits: bool,
    /// L1 blocks on top of an L1 block before it is used as an origin.
    pub l1_confirmations: u64,
    /// First L1 block a fresh chain follows; `None`: the L1 head at first start.
    pub l1_start_block: Option<u64>,
    /// How often L1 is polled.
    #[serde(with = "humantime_serde_compat")]
    pub l1_poll_interval: Duration,
    /// Never read from or written to the file: flag or `BAI_BATCHER_KEY` only.
    #[serde(skip)]
    pub batcher_key: Option<Secret>,
    /// Never read from or written to the file: flag, key file or `BAI_PROPOSER_KEY` only.
    #[serde(skip)]
    pub proposer_key: Option<Secret>,
    /// Never read from or written to the file: flag, key file or `BAI_CHALLENGER_KEY` only.
    #[serde(skip)]
    pub challenger_key: Option<Secret>,
    /// The sequencer's RPC URL: with it the challenger also re-runs recorded inference witnesses and
    /// files disputes on L2.
    pub challenger_l2_rpc_url: Option<String>,
    /// State history kept when the inference challenger runs (at least the dispute window).
    pub challenger_history_blocks: u64,
    /// The batch inbox address on L1; `None`: read from SystemConfig.
    pub batcher_inbox: Option<alloy_primitives::Address>,
    /// A channel is closed at this many L2 blocks (at least 1).
    pub batcher_max_blocks: u64,
    /// A channel is closed once its oldest block has waited this long.
    #[serde(with = "humantime_serde_compat")]
    pub batcher_max_delay: Duration,
    /// How batches reach L1: blobs, calldata, or whichever is cheaper.
    pub batcher_da: bai_bridge::batcher::DaMode,
    /// Largest calldata frame in bytes.
    pub batcher_max_frame_size: usize,
    /// A batcher transaction not included after this long is replaced with higher fees.
    #[serde(with = "humantime_serde_compat")]
    pub batcher_resubmit_after: Duration,
    /// The sequencer is throttled while more than this many L2 blocks wait to be posted (0: never).
    pub batcher_throttle_blocks: u64,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            dev: false,
            chain: None,
            datadir: PathBuf::from("./data/bai"),
            http_addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            http_port: 8545,
            cors: "*".into(),
            block_time: Duration::from_secs(1),
            dev_gas_limit: None,
            metrics: None,
            archive: false,
            allow_unbacked_genesis: false,
            db_sync: false,
            db_cache_mb: 1024,
            db_head_cache_entries: 4 << 20,
            withdrawal_proof_blocks: None,
            max_request_bytes: 15 * 1024 * 1024,
            max_response_bytes: 160 * 1024 * 1024,
            max_connections: 500,
            max_batch: 1000,
            max_logs_range: 10_000,
            max_logs: 20_000,
            http_api: None,
            gas_cap: bai_rpc::DEFAULT_GAS_CAP,
            evm_timeout: bai_rpc::DEFAULT_EVM_TIMEOUT,
            max_trace_steps: bai_rpc::DEFAULT_MAX_TRACE_STEPS,
            max_tracing_requests: bai_rpc::default_max_tracing_requests(),
            max_proof_keys: 1_000,
            max_filters: 10_000,
            max_subscription_backlog: 1_024,
            price_limit: 1,
            account_slots: 1024,
            global_slots: 20_000,
            inference_urls: Vec::new(),
            inference_timeout: Duration::from_secs(30),
            models_dir: PathBuf::from("./.models"),
            inference_device: "cpu".into(),
            inference_runtime: "auto".into(),
            inference_disable: false,
            follow: None,
            verifier: false,
            conductor_etcd: Vec::new(),
            conductor_id: None,
            conductor_advertise_url: None,
            conductor_lease_ttl: Duration::from_secs(2),
            l1_rpc_url: None,
            l1_system_config: None,
            l1_beacon_url: None,
            l1_portal: None,
            seq_window: bai_bridge::DEFAULT_SEQ_WINDOW_SIZE,
            censor_deposits: false,
            l1_confirmations: 4,
            l1_start_block: None,
            l1_poll_interval: Duration::from_secs(2),
            batcher_key: None,
            proposer_key: None,
            challenger_key: None,
            challenger_l2_rpc_url: None,
            challenger_history_blocks: 604_800,
            batcher_inbox: None,
            batcher_max_blocks: 100,
            batcher_max_delay: Duration::from_secs(30),
            batcher_da: bai_bridge::batcher::DaMode::Auto,
            batcher_max_frame_size: 120_000,
            batcher_resubmit_after: Duration::from_secs(36),
            batcher_throttle_blocks: 1000,
        }
    }
}

/// Errors reading the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The `--config` file cannot be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The `--config` file is not valid TOML or has an unknown or mistyped setting.
    #[error("invalid config file {path}: {source}")]
    Parse {
        /// The file.
        path: String,
        /// Why.
        source: toml::de::Error,
    },
    /// The settings contradict each other or are out of range (e.g. a verifier without L1, a block
    /// time under 50ms, neither `--dev` nor `--chain`).
    #[error("invalid configuration: {0}")]
    Invalid(String),
    /// A `--<role>.key-file` cannot be read.
    #[error("cannot read the {role} key file {}", path.display())]
    KeyFile {
        /// Whose key (batcher, proposer, challenger).
        role: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl NodeConfig {
    /// The JSON-RPC namespaces served: `http_api`, or by default the public set, or with `dev` every
    /// namespace (as anvil serves) except `evm` on a verifier or replica.
    pub fn rpc_apis(&self) -> bai_rpc::RpcApis {
        use bai_rpc::{RpcApis, RpcNamespace};
        match &self.http_api {
            Some(apis) => apis.clone(),
            None if self.dev && !self.verifier && self.follow.is_none() => RpcApis::all(),
            None if self.dev => RpcApis::all().without(RpcNamespace::Evm),
            None => RpcApis::public(),
        }
    }

    /// Blocks of withdrawal-proof history to keep (the flag, or 8 days of blocks).
    pub fn withdrawal_proof_blocks(&self) -> u64 {
        const EIGHT_DAYS_MS: u128 = 8 * 24 * 3600 * 1000;
        self.withdrawal_proof_blocks
            .unwrap_or_else(|| EIGHT_DAYS_MS.div_ceil(self.block_time.as_millis().max(1)) as u64)
    }

    /// Defaults, overlaid with the TOML file, overlaid with flags.
    pub fn resolve(args: &NodeArgs) -> Result<Self, ConfigError> {
        let mut config = match &args.config {
            Some(path) => {
                let display = path.display().to_string();
                let raw = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::Read { path: display.clone(), source })?;
                toml::from_str(&raw).map_err(|source| ConfigError::Parse { path: display, source })?
            }
            None => NodeConfig::default(),
        };
        macro_rules! set {
            ($($field:ident),*) => { $( if let Some(v) = args.$field.clone() { config.$field = v; } )* };
        }
        set!(
            datadir,
            http_addr,
            http_port,
            cors,
            block_time,
            max_request_bytes,
            max_connections,
            max_batch,
            max_logs_range,
            gas_cap,
            evm_timeout,
            max_trace_steps,
            max_tracing_requests,
            max_proof_keys,
            max_filters,
            max_subscription_backlog,
            challenger_history_blocks,
            price_limit,
            account_slots,
            global_slots,
            inference_urls,
            inference_timeout,
            models_dir,
            inference_device,
            inference_runtime,
            l1_confirmations,
            l1_poll_interval,
            seq_window,
            batcher_max_blocks,
            batcher_max_delay,
            batcher_da,
            batcher_max_frame_size,
            batcher_resubmit_after,
            batcher_throttle_blocks
        );
        // Settings that are optional in the file too: a flag given replaces the file's value.
        macro_rules! set_optional {
            ($($field:ident),*) => { $( if args.$field.is_some() { config.$field = args.$field.clone(); } )* };
        }
        set_optional!(
            http_api,
            chain,
            metrics,
            dev_gas_limit,
            withdrawal_proof_blocks,
            follow,
            l1_rpc_url,
            l1_system_config,
            l1_beacon_url,
            l1_portal,
            l1_start_block,
            batcher_key,
            proposer_key,
            challenger_key,
            challenger_l2_rpc_url,
            batcher_inbox
        );
        let read_key = |what: &'static str, path: &PathBuf| {
            std::fs::read_to_string(path)
                .map(|key| Secret(key.trim().to_string()))
                .map_err(|source| ConfigError::KeyFile { role: what, path: path.clone(), source })
        };
        if let Some(path) = &args.batcher_key_file {
            config.batcher_key = Some(read_key("batcher", path)?);
        }
        if let Some(path) = &args.proposer_key_file {
            config.proposer_key = Some(read_key("proposer", path)?);
        }
        if let Some(path) = &args.challenger_key_file {
            config.challenger_key = Some(read_key("challenger", path)?);
        }
        if config.proposer_key.is_some() && (config.l1_rpc_url.is_none() || config.l1_system_config.is_none()) {
            return Err(ConfigError::Invalid("the proposer needs --l1.rpc-url and --l1.system-config".into()));
        }
        if config.challenger_key.is_some() && (config.l1_rpc_url.is_none() || config.l1_system_config.is_none()) {
            return Err(ConfigError::Invalid("the challenger needs --l1.rpc-url and --l1.system-config".into()));
        }
        if config.challenger_l2_rpc_url.is_some() && config.challenger_key.is_none() {
            return Err(ConfigError::Invalid(
                "--challenger.l2-rpc-url needs the challenger key (--challenger.key, its file or BAI_CHALLENGER_KEY)"
                    .into(),
            ));
        }
        if let Some(endpoints) = &args.conductor_etcd {
            config.conductor_etcd = endpoints.clone();
        }
        if args.conductor_id.is_some() {
            config.conductor_id = args.conductor_id.clone();
        }
        if args.conductor_advertise_url.is_some() {
            config.conductor_advertise_url = args.conductor_advertise_url.clone();
        }
        if let Some(ttl) = args.conductor_lease_ttl {
            config.conductor_lease_ttl = ttl;
        }
        config.verifier |= args.verifier;
        config.censor_deposits |= args.censor_deposits;
        config.inference_disable |= args.inference_disable;
        config.dev |= args.dev;
        config.archive |= args.archive;
        config.allow_unbacked_genesis |= args.allow_unbacked_genesis;
        config.db_sync |= args.db_sync;
        if let Some(mb) = args.db_cache_mb {
            config.db_cache_mb = mb;
        }
        if let Some(entries) = args.db_head_cache_entries {
            config.db_head_cache_entries = entries;
        }
        if config.l1_rpc_url.is_some() && config.l1_portal.is_none() && config.l1_system_config.is_none() {
            return Err(ConfigError::Invalid(
                "--l1.rpc-url needs --l1.system-config (or at least --l1.portal, the BaiPortal address on L1)".into(),
            ));
        }
        if config.verifier {
            if config.l1_rpc_url.is_none() || config.l1_system_config.is_none() {
                return Err(ConfigError::Invalid("a verifier needs --l1.rpc-url and --l1.system-config".into()));
            }
            if config.batcher_key.is_some() || config.follow.is_some() {
                return Err(ConfigError::Invalid(
                    "a verifier only derives from L1: it cannot run the batcher or --follow".into(),
                ));
            }
        }
        if config.l1_rpc_url.is_some() && config.follow.is_some() {
            return Err(ConfigError::Invalid(
                "a replica (--follow) takes its blocks from the sequencer, not from L1".into(),
            ));
        }
        if config.batcher_key.is_some()
            && (config.l1_rpc_url.is_none() || (config.batcher_inbox.is_none() && config.l1_system_config.is_none()))
        {
            return Err(ConfigError::Invalid(
                "the batcher needs --l1.rpc-url and --l1.system-config (or --batcher.inbox)".into(),
            ));
        }
        if !config.conductor_etcd.is_empty() {
            if config.follow.is_some() || config.verifier {
                return Err(ConfigError::Invalid(
                    "--conductor.etcd makes this node a member of a sequencer cluster: not with --follow or --verifier"
                        .into(),
                ));
            }
            // The leader's batcher resumes after the safe head it derived from L1: no SystemConfig, no
            // derivation, and a new leader could not tell what an earlier one posted.
            if config.batcher_key.is_some() && config.l1_system_config.is_none() {
                return Err(ConfigError::Invalid(
                    "a sequencer cluster's batcher (--conductor.etcd) resumes from L1 on each takeover: it needs --l1.system-config, not --batcher.inbox alone".into(),
                ));
            }
            if config.conductor_lease_ttl < Duration::from_secs(1) {
                return Err(ConfigError::Invalid("--conductor.lease-ttl must be at least 1s".into()));
            }
        }
        if config.batcher_max_blocks == 0 {
            return Err(ConfigError::Invalid("--batcher.max-blocks must be at least 1".into()));
        }
        if config.withdrawal_proof_blocks == Some(0) {
            return Err(ConfigError::Invalid("--history.withdrawal-proofs must be at least 1 block".into()));
        }
        if let Some(gas) = config.dev_gas_limit {
            if !config.dev || config.chain.is_some() {
                return Err(ConfigError::Invalid(
                    "--dev.gas-limit sets the dev chain's gas limit: only with --dev and no --chain".into(),
                ));
            }
            if gas < 1_000_000 {
                return Err(ConfigError::Invalid(format!("--dev.gas-limit {gas} is below the 1,000,000 minimum")));
            }
        }
        if config.block_time < Duration::from_millis(50) {
            return Err(ConfigError::Invalid(format!("block time {:?} is below the 50ms minimum", config.block_time)));
        }
        if config.http_api.as_ref().is_some_and(|apis| apis.contains(bai_rpc::RpcNamespace::Evm))
            && (!config.dev || config.verifier || config.follow.is_some())
        {
            // evm_mine builds a block: on a verifier or replica that forks it from the chain it follows.
            return Err(ConfigError::Invalid(
                "the evm namespace (evm_mine) is served only by a --dev sequencer, never by a verifier or replica"
                    .into(),
            ));
        }
        if !config.dev && config.chain.is_none() {
            return Err(ConfigError::Invalid("pass --dev or --chain <genesis.json>".into()));
        }
        Ok(config)
    }
}

/// `block_time = "250ms"` in TOML.
mod humantime_serde_compat {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let raw = String::deserialize(d)?;
        humantime::parse_duration(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file_which_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.toml");
        std::fs::write(&path, "dev = true\nhttp_port = 9000\nblock_time = \"250ms\"\ndatadir = \"/tmp/x\"\n").unwrap();
        let args = NodeArgs { config: Some(path), http_port: Some(9100), ..Default::default() };
        let config = NodeConfig::resolve(&args).unwrap();
        assert_eq!(config.http_port, 9100);
        assert_eq!(config.block_time, Duration::from_millis(250));
        assert_eq!(config.datadir, PathBuf::from("/tmp/x"));
        assert!(config.dev);
        assert_eq!(config.max_logs_range, 10_000);
    }

    #[test]
    fn namespaces_default_by_mode_and_evm_needs_a_dev_sequencer() {
        use bai_rpc::{RpcApis, RpcNamespace};
        let chain = Some(PathBuf::from("genesis.json"));
        let public = NodeConfig::resolve(&NodeArgs { chain: chain.clone(), ..Default::default() }).unwrap();
        assert_eq!(public.rpc_apis(), RpcApis::public());
        let dev = NodeConfig::resolve(&NodeArgs { dev: true, ..Default::default() }).unwrap();
        assert_eq!(dev.rpc_apis(), RpcApis::all());
        let replica = NodeArgs { dev: true, follow: Some("http://seq:8545".into()), ..Default::default() };
        assert!(!NodeConfig::resolve(&replica).unwrap().rpc_apis().contains(RpcNamespace::Evm));
        // From a file too: a TOML list, and the same refusal.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.toml");
        std::fs::write(&path, "dev = true\nhttp_api = \"eth,debug\"\ngas_cap = 1000000\nevm_timeout = \"2s\"\n")
            .unwrap();
        let file = NodeConfig::resolve(&NodeArgs { config: Some(path), ..Default::default() }).unwrap();
        assert_eq!(file.rpc_apis().to_string(), "eth,debug");
        assert_eq!((file.gas_cap, file.evm_timeout), (1_000_000, Duration::from_secs(2)));
        for args in [
            NodeArgs { chain, http_api: Some("eth,evm".parse().unwrap()), ..Default::default() },
            NodeArgs { http_api: Some("all".parse().unwrap()), ..replica },
        ] {
            let err = NodeConfig::resolve(&args).unwrap_err();
            assert!(matches!(err, ConfigError::Invalid(_)), "{err}");
            assert_eq!(
                err.to_string(),
                "invalid configuration: the evm namespace (evm_mine) is served only by a --dev sequencer, never by a verifier or replica"
            );
        }
    }

    #[test]
    fn a_cluster_member_runs_the_l1_services_only_with_a_system_config() {
        let etcd = Some(vec!["http://127.0.0.1:2379".to_string()]);
        let member = NodeArgs { dev: true, conductor_etcd: etcd, ..Default::default() };
        let config = NodeConfig::resolve(&member).unwrap();
        assert_eq!(config.conductor_etcd, vec!["http://127.0.0.1:2379".to_string()]);
        assert_eq!(config.conductor_lease_ttl, Duration::from_secs(2));
        let with_l1 = NodeArgs {
            batcher_key: Some("0x01".parse().unwrap()),
            proposer_key: Some("0x02".parse().unwrap()),
            challenger_key: Some("0x03".parse().unwrap()),
            l1_rpc_url: Some("http://l1:8545".into()),
            l1_system_config: Some(alloy_primitives::Address::repeat_byte(1)),
            ..member.clone()
        };
        let config = NodeConfig::resolve(&with_l1).unwrap();
        assert!(config.batcher_key.is_some() && config.proposer_key.is_some() && config.challenger_key.is_some());
        let refused = [
            NodeArgs { follow: Some("http://seq:8545".into()), ..member.clone() },
            NodeArgs {
                batcher_key: Some("0x01".parse().unwrap()),
                l1_rpc_url: Some("http://l1:8545".into()),
                batcher_inbox: Some(alloy_primitives::Address::repeat_byte(1)),
                ..member.clone()
            },
            NodeArgs { conductor_lease_ttl: Some(Duration::from_millis(500)), ..member },
        ];
        for args in refused {
            let err = NodeConfig::resolve(&args).unwrap_err();
            assert!(matches!(err, ConfigError::Invalid(_)), "{err}");
        }
    }

    #[test]
    fn keys_never_show_in_debug_output() {
        let key = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";
        let args = NodeArgs {
            dev: true,
            batcher_key: Some(key.parse().unwrap()),
            l1_rpc_url: Some("http://127.0.0.1:8546".into()),
            l1_system_config: Some(alloy_primitives::Address::repeat_byte(1)),
            ..Default::default()
        };
        let config = NodeConfig::resolve(&args).unwrap();
        assert_eq!(config.batcher_key.as_ref().map(Secret::expose), Some(key));
        for debug in [format!("{args:?}"), format!("{config:?}"), format!("{config:#?}")] {
            assert!(!debug.contains(&key[2..12]), "the key leaks: {debug}");
            assert!(debug.contains("Secret(<redacted>)"));
        }
    }

    #[test]
    fn unknown_keys_and_tiny_block_times_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.toml");
        std::fs::write(&path, "dev = true\nhttp_prot = 1\n").unwrap();
        let err = NodeConfig::resolve(&NodeArgs { config: Some(path), ..Default::default() }).unwrap_err();
        let ConfigError::Parse { source, .. } = &err else { panic!("{err}") };
        // The parser points at the unknown key itself.
        assert_eq!(source.span().map(|span| &"dev = true\nhttp_prot = 1\n"[span]), Some("http_prot"), "{err}");
        let args = NodeArgs { dev: true, block_time: Some(Duration::from_millis(10)), ..Default::default() };
        assert!(NodeConfig::resolve(&args).is_err());
    }

    #[test]
    fn the_dev_gas_limit_is_only_for_the_dev_chain() {
        let args = NodeArgs { dev: true, dev_gas_limit: Some(60_000_000), ..Default::default() };
        assert_eq!(NodeConfig::resolve(&args).unwrap().dev_gas_limit, Some(60_000_000));
        assert_eq!(NodeConfig::resolve(&NodeArgs { dev: true, ..Default::default() }).unwrap().dev_gas_limit, None);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.toml");
        std::fs::write(&path, "dev = true\ndev_gas_limit = 45000000\n").unwrap();
        let from_toml = NodeConfig::resolve(&NodeArgs { config: Some(path), ..Default::default() }).unwrap();
        assert_eq!(from_toml.dev_gas_limit, Some(45_000_000));
        for bad in [
            NodeArgs { dev_gas_limit: Some(60_000_000), chain: Some("chain.json".into()), ..Default::default() },
            NodeArgs {
                dev: true,
                dev_gas_limit: Some(60_000_000),
                chain: Some("chain.json".into()),
                ..Default::default()
            },
            NodeArgs { dev: true, dev_gas_limit: Some(21_000), ..Default::default() },
        ] {
            let err = NodeConfig::resolve(&bad).unwrap_err();
            assert!(matches!(err, ConfigError::Invalid(_)), "{err}");
        }
    }

    #[test]
    fn da_mode_reads_from_toml_and_flags_and_a_verifier_needs_the_system_config() {
        use bai_bridge::batcher::DaMode;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.toml");
        std::fs::write(&path, "dev = true\nbatcher_da = \"calldata\"\n").unwrap();
        let config = NodeConfig::resolve(&NodeArgs { config: Some(path.clone()), ..Default::default() }).unwrap();
        assert_eq!(config.batcher_da, DaMode::Calldata);
        let args = NodeArgs { config: Some(path), batcher_da: Some(DaMode::Blobs), ..Default::default() };
        assert_eq!(NodeConfig::resolve(&args).unwrap().batcher_da, DaMode::Blobs);
        std::fs::write(dir.path().join("bad.toml"), "dev = true\nbatcher_da = \"carrier-pigeon\"\n").unwrap();
        let bad = NodeArgs { config: Some(dir.path().join("bad.toml")), ..Default::default() };
        let err = NodeConfig::resolve(&bad).unwrap_err();
        let ConfigError::Parse { source, .. } = &err else { panic!("{err}") };
        let text = "dev = true\nbatcher_da = \"carrier-pigeon\"\n";
        assert_eq!(source.span().map(|span| &text[span]), Some("\"carrier-pigeon\""), "{err}");

        let verifier = NodeArgs {
            dev: true,
            verifier: true,
            l1_rpc_url: Some("http://127.0.0.1:1".into()),
            l1_portal: Some(alloy_primitives::Address::ZERO),
            ..Default::default()
        };
        let err = NodeConfig::resolve(&verifier).unwrap_err().to_string();
        assert_eq!(err, "invalid configuration: a verifier needs --l1.rpc-url and --l1.system-config");
    }

    #[test]
    fn the_batcher_key_and_sequencing_window_come_from_a_file_and_flags() {
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("batcher.key");
        std::fs::write(&key_file, "  0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6\n").unwrap();
        let args = NodeArgs {
            dev: true,
            l1_rpc_url: Some("http://127.0.0.1:1".into()),
            l1_system_config: Some(alloy_primitives::Address::ZERO),
            batcher_key_file: Some(key_file),
            seq_window: Some(12),
            ..Default::default()
        };
        let config = NodeConfig::resolve(&args).unwrap();
        assert_eq!(
            config.batcher_key.as_ref().map(Secret::expose),
            Some("0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6")
        );
        assert_eq!(config.seq_window, 12);
        assert_eq!(NodeConfig::resolve(&NodeArgs { dev: true, ..Default::default() }).unwrap().seq_window, 3600);
        let missing = NodeArgs { batcher_key_file: Some(dir.path().join("nope")), ..args };
        let err = NodeConfig::resolve(&missing).unwrap_err();
        let ConfigError::KeyFile { role, source, .. } = &err else { panic!("{err}") };
        assert_eq!((*role, source.kind()), ("batcher", std::io::ErrorKind::NotFound));
    }
}
