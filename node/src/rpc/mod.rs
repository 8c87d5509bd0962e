//! The JSON-RPC server: HTTP and WebSocket on one port (jsonrpsee), the `eth_*`, `net_*`,
//! `web3_*`, `debug_*`, `txpool_*` and dev namespaces, limits, CORS and per-method metrics.

mod convert;
pub mod error;
mod eth;
mod exec;
mod filters;
pub mod optimism;
mod subscriptions;

use bai_sequencer::Sequencer;
use jsonrpsee::server::{BatchRequestConfig, Server, ServerConfig, ServerHandle};
use std::{net::SocketAddr, sync::Arc};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

pub use eth::RpcCtx;

/// RPC server settings (reth's flag names in the CLI).
#[derive(Debug, Clone)]
pub struct RpcConfig {
    pub addr: SocketAddr,
    pub max_request_bytes: u32,
    pub max_response_bytes: u32,
    pub max_connections: u32,
    pub max_batch: u32,
    /// `*` or a comma-separated list of origins.
    pub cors: String,
    pub max_logs_range: u64,
    pub max_logs: usize,
    /// Dev accounts whose keys the node holds (enables `eth_sendTransaction` for them).
    pub dev_keys: Vec<alloy::primitives::B256>,
    /// Sync status for `optimism_syncStatus` and the `safe`/`finalized` tags (`None`: no L1, every
    /// block counts as final).
    pub sync: Option<optimism::SyncView>,
}

/// Starts the server; returns its bound address and handle.
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
        .set_http_middleware(tower::ServiceBuilder::new().layer(cors))
        .build(config.addr)
        .await?;
    let addr = server.local_addr()?;
    let ctx = RpcCtx::new(sequencer, config);
    let module = eth::module(ctx)?;
    Ok((addr, server.start(module)))
}
