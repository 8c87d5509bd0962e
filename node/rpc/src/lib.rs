//! The node's JSON-RPC server as a library: HTTP and WebSocket on one port (jsonrpsee), the `eth_*`,
//! `net_*`, `web3_*`, `debug_*`, `txpool_*`, `optimism_*`, `bai_*` and dev namespaces, limits, CORS,
//! per-method metrics, and `GET /health`.
//!
//! Owns: turning JSON-RPC requests into reads of the store, pool submissions and EVM executions, and
//! engine/pool/storage errors into JSON-RPC error objects (geth's codes and messages, [`error`]).
//! Must not touch: block building, derivation or storage writes (it asks the sequencer, pool and
//! store through their public APIs), or process lifecycle (the node builder starts and stops it).
//! Testable in-process: [`start`] on `127.0.0.1:0` with a [`bai_sequencer::Sequencer`] over a
//! temporary store (see `tests/`).

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

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
use std::{net::SocketAddr, sync::Arc};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

pub use ctx::RpcCtx;

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
    /// Widest block range `eth_getLogs` accepts.
    pub max_logs_range: u64,
    /// Most logs one `eth_getLogs` returns.
    pub max_logs: usize,
    /// Dev accounts whose keys the node holds (enables `eth_sendTransaction` for them).
    pub dev_keys: Vec<alloy::primitives::B256>,
    /// Sync status for `optimism_syncStatus` and the `safe`/`finalized` tags (`None`: no L1, every
    /// block counts as final).
    pub sync: Option<optimism::SyncView>,
    /// The node's supervised tasks, for `bai_health` and `GET /health` (`None`: always healthy).
    pub health: Option<bai_runtime::Health>,
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
            max_logs: 20_000,
            dev_keys: Vec::new(),
            sync: None,
            health: None,
        }
    }
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
    let ctx = RpcCtx::new(sequencer, config);
    let mut module = eth::module(ctx)?;
    subscriptions::register(&mut module)?;
    optimism::register(&mut module)?;
    Ok((addr, server.start(module)))
}
