//! The node's JSON-RPC server as a library: HTTP and WebSocket on one port (jsonrpsee), the `eth_*`,
//! `net_*`, `web3_*`, `debug_*`, `txpool_*`, `optimism_*`, `bai_*` and dev namespaces, limits, CORS,
//! per-method metrics, and `GET /health`. Every request is bounded: body, batch and response sizes, a
//! gas cap and a wall-clock limit on executions, capped traces, proofs, filters and fee histories,
//! and a per-connection backlog for subscriptions.
//!
//! Owns: turning JSON-RPC requests into reads of the store, pool submissions and EVM executions, and
//! engine/pool/storage errors into JSON-RPC error objects (geth's codes and messages, [`error`]).
//! Must not touch: block building, derivation or storage writes (it asks the sequencer, pool and
//! store through their public APIs), or process lifecycle (the node builder starts and stops it).
//! Testable in-process: [`start`] on `127.0.0.1:0` with a [`bai_sequencer::Sequencer`] over a
//! temporary store (see `tests/`).

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod api;
mod convert;
mod ctx;
pub mod error;
mod eth;
mod exec;
mod filters;
pub mod optimism;
mod subscriptions;

use bai_sequencer::Sequencer;
use jsonrpsee::server::{
    BatchRequestConfig, Server, ServerConfig, ServerHandle, middleware::http::ProxyGetRequestLayer,
};
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

pub use api::{RpcApis, RpcNamespace, UnknownNamespace};
pub use ctx::RpcCtx;

/// geth's default gas cap for `eth_call` / `eth_estimateGas` (`--rpc.gascap`).
pub const DEFAULT_GAS_CAP: u64 = 50_000_000;
/// geth's default wall-clock limit on one call (`--rpc.evmtimeout`) and on one trace (the tracer's
/// `timeout` option overrides it per request).
pub const DEFAULT_EVM_TIMEOUT: Duration = Duration::from_secs(5);

/// RPC server settings (reth's flag names in the CLI).
#[derive(Debug, Clone)]
pub struct RpcConfig {
    /// Listen address (HTTP and WebSocket on one port; port 0 picks a free one).
    pub addr: SocketAddr,
    /// Largest request body, in bytes.
    pub max_request_bytes: u32,
    /// Largest response body, in bytes.
    pub max_response_bytes: u32,
    /// Most concurrent connections.
    pub max_connections: u32,
    /// Most requests in one batch.
    pub max_batch: u32,
    /// `*` or a comma-separated list of origins.
    pub cors: String,
    /// Widest block range `eth_getLogs` scans by header bloom (ranges the log index answers, an
    /// address or topic filter over indexed blocks, are not limited by it).
    pub max_logs_range: u64,
    /// Whether `eth_getLogs` uses the log index (off: every range is a bloom scan; for comparison).
    pub use_log_index: bool,
    /// Most logs one `eth_getLogs` returns.
    pub max_logs: usize,
    /// Dev accounts whose keys the node holds (enables `eth_sendTransaction` for them).
    pub dev_keys: Vec<alloy::primitives::B256>,
    /// Sync status for `optimism_syncStatus` and the `safe`/`finalized` tags (`None`: no L1, every
    /// block counts as final).
    pub sync: Option<optimism::SyncView>,
    /// The node's supervised tasks, for `bai_health` and `GET /health` (`None`: always healthy).
    pub health: Option<bai_runtime::Health>,
    /// Namespaces served (`--http.api`); methods of the others answer "method not found".
    pub apis: RpcApis,
    /// Gas cap of `eth_call`, `eth_estimateGas`, `eth_createAccessList` and `debug_traceCall`.
    pub gas_cap: u64,
    /// Wall-clock limit of one call (a whole `eth_estimateGas` search counts as one).
    pub evm_timeout: Duration,
    /// Most interpreter steps one struct-logger trace records.
    pub max_trace_steps: u64,
    /// Most traces running at once; more wait their turn.
    pub max_tracing_requests: usize,
    /// Most storage keys one `eth_getProof` proves.
    pub max_proof_keys: usize,
    /// Most installed filters (`eth_newFilter` and friends); idle ones expire after 5 minutes.
    pub max_filters: usize,
    /// The inference challenger's status, for `bai_inferenceChallengerStatus` (`None`: not running).
    pub inference_challenger: Option<bai_prover::ChallengerStatusHandle>,
    /// Where model calls of simulated executions (`eth_call`, `eth_estimateGas`, traces) go: a
    /// separate, limited path in front of the shared cache (`None`: such calls revert with
    /// `InferenceUnavailable`).
    pub call_inference: Option<Arc<dyn bai_precompiles::InferenceBackend>>,
    /// The sequencer's JSON-RPC URL on a replica: `eth_sendRawTransaction` and its sync variant go
    /// there and the sequencer's answer, error codes and messages included, is returned unchanged (a
    /// replica's own pool is never built from). `None`: transactions enter this node's pool.
    pub forward_transactions_to: Option<String>,
    /// This sequencer's place in its cluster, for `bai_conductorStatus` (`None`: not a cluster member).
    pub cluster_status: Option<ClusterStatus>,
    /// Messages a WebSocket connection may have waiting to be sent; a subscriber that lets it fill
    /// and does not read for [`SLOW_CONSUMER_TIMEOUT`] loses its subscription.
    pub max_subscription_backlog: u32,
}

impl RpcConfig {
    /// Settings for a server on `addr` with the defaults of `bai node` (tests, tools).
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            max_request_bytes: 15 * 1024 * 1024,
            max_response_bytes: 160 * 1024 * 1024,
            max_connections: 500,
            max_batch: 1000,
            cors: "*".into(),
            max_logs_range: 10_000,
            use_log_index: true,
            max_logs: 20_000,
            dev_keys: Vec::new(),
            sync: None,
            health: None,
            apis: RpcApis::public(),
            gas_cap: DEFAULT_GAS_CAP,
            evm_timeout: DEFAULT_EVM_TIMEOUT,
            max_trace_steps: DEFAULT_MAX_TRACE_STEPS,
            max_tracing_requests: default_max_tracing_requests(),
            max_proof_keys: 1_000,
            max_filters: 10_000,
            max_subscription_backlog: 1_024,
            call_inference: None,
            inference_challenger: None,
            forward_transactions_to: None,
            cluster_status: None,
        }
    }
}

/// Reads a cluster member's status (role, leader, fencing token) as JSON.
#[derive(Clone)]
pub struct ClusterStatus(pub Arc<dyn Fn() -> serde_json::Value + Send + Sync>);

impl std::fmt::Debug for ClusterStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClusterStatus")
    }
}

/// How long a subscription waits for room in a full connection backlog before it drops the
/// subscriber (with a close reason) instead of buffering for it without end.
pub const SLOW_CONSUMER_TIMEOUT: Duration = Duration::from_secs(5);

/// Struct-logger steps one trace may record: each step keeps its stack (and, when asked, memory and
/// storage), so a few hundred thousand steps are already a response of hundreds of megabytes.
pub const DEFAULT_MAX_TRACE_STEPS: u64 = 500_000;

/// reth's default: all cores but two for traces, at least one.
pub fn default_max_tracing_requests() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(2)).max(1)
}

/// Starts the server on `config.addr` for `sequencer`; returns its bound address and handle.
pub async fn start(config: RpcConfig, sequencer: Arc<Sequencer>) -> anyhow::Result<(SocketAddr, ServerHandle)> {
    let cors = if config.cors.trim() == "*" {
        CorsLayer::new().allow_origin(Any).allow_headers(Any).allow_methods(Any)
    } else {
        let origins: Vec<_> =
            config.cors.split(',').filter(|o| !o.trim().is_empty()).filter_map(|o| o.trim().parse().ok()).collect();
        CorsLayer::new().allow_origin(AllowOrigin::list(origins)).allow_headers(Any).allow_methods(Any)
    };
    let server_config = ServerConfig::builder()
        .max_request_body_size(config.max_request_bytes)
        .max_response_body_size(config.max_response_bytes)
        .max_connections(config.max_connections)
        .set_batch_request_config(BatchRequestConfig::Limit(config.max_batch))
        .set_message_buffer_capacity(config.max_subscription_backlog.max(1))
        .build();
    let server = Server::builder()
        .set_config(server_config)
        .set_http_middleware(
            tower::ServiceBuilder::new()
                .layer(cors)
                // Load balancers and orchestrators probe `GET /health`; it answers `bai_health`'s result.
                .layer(ProxyGetRequestLayer::new([("/health", "bai_health")])?),
        )
        .build(config.addr)
        .await?;
    let addr = server.local_addr()?;
    let apis = config.apis.clone();
    let ctx = RpcCtx::new(sequencer, config)?;
    let mut module = eth::module(ctx)?;
    subscriptions::register(&mut module)?;
    optimism::register(&mut module)?;
    let unserved: Vec<_> = module.method_names().filter(|name| !apis.allows(name)).collect();
    for name in unserved {
        module.remove_method(name);
    }
    Ok((addr, server.start(module)))
}
