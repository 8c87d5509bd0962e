//! The state every RPC method shares, and how methods are registered (latency and error metrics,
//! blocking work off the async workers).

use crate::{
    RpcConfig,
    error::{RpcError, RpcResult},
    filters::Filters,
};
use alloy::signers::local::PrivateKeySigner;
use anyhow::Context;
use bai_sequencer::Sequencer;
use bai_storage::Store;
use jsonrpsee::{
    RpcModule,
    http_client::{HttpClient, HttpClientBuilder},
    types::Params,
};
use serde::Serialize;
use std::{sync::Arc, time::Instant};
use tokio::sync::Semaphore;

/// How long a replica waits for the sequencer's answer to a forwarded transaction (the sync variant
/// waits for the receipt there, up to 60 s, so this is above it).
const FORWARD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(65);

/// Suggested priority fee (wei): small, like OP chains, but non-zero so the pool's price floor holds.
pub(crate) const SUGGESTED_TIP: u128 = 1_000_000;

/// Shared state of every RPC method.
pub struct RpcCtx {
    /// The chain this server answers for.
    pub seq: Arc<Sequencer>,
    /// Server settings.
    pub config: RpcConfig,
    /// Installed `eth_newFilter` / block / pending-transaction filters.
    pub filters: Filters,
    pub(crate) dev_signers: Vec<PrivateKeySigner>,
    /// Permits for traces running at once (`max_tracing_requests`).
    pub(crate) tracing: Arc<Semaphore>,
    /// Clients of `config.forward_transactions_to` (a replica's sequencers), with their URLs.
    pub(crate) sequencer_clients: Vec<(String, HttpClient)>,
}

impl RpcCtx {
    /// A context serving `seq` with `config`.
    pub fn new(seq: Arc<Sequencer>, config: RpcConfig) -> anyhow::Result<Self> {
        let dev_signers = config.dev_keys.iter().filter_map(|k| PrivateKeySigner::from_bytes(k).ok()).collect();
        let tracing = Arc::new(Semaphore::new(config.max_tracing_requests.max(1)));
        let filters = Filters::new(config.max_filters);
        let mut sequencer_clients = Vec::new();
        for url in config.forward_transactions_to.iter().flat_map(|urls| urls.split(',')).map(str::trim) {
            let client = HttpClientBuilder::default()
                .request_timeout(FORWARD_TIMEOUT)
                .max_request_size(config.max_request_bytes)
                .build(url)
                .with_context(|| format!("bad sequencer URL {url}"))?;
            sequencer_clients.push((url.to_string(), client));
        }
        Ok(Self { seq, config, filters, dev_signers, tracing, sequencer_clients })
    }

    /// Sends `method(params)` to the sequencer this replica forwards transactions to, and returns its
    /// answer as it is: a result, or its error object unchanged ([`RpcError::Sequencer`]).
    ///
    /// With several sequencers (a cluster: the leader and its standbys) the transaction goes to every
    /// one at once, so each standby's pool holds it too and a failover does not lose it: the answer is
    /// the first acceptance, else (all answered) the first refusal, else "unreachable".
    pub(crate) async fn forward_to_sequencer(
        &self,
        method: &str,
        params: Vec<serde_json::Value>,
    ) -> RpcResult<serde_json::Value> {
        use jsonrpsee::core::{ClientError, client::ClientT, params::ArrayParams};
        if self.sequencer_clients.is_empty() {
            return Err(RpcError::internal("this node forwards no transactions"));
        }
        let mut array = ArrayParams::new();
        for param in params {
            array.insert(param).map_err(|e| RpcError::invalid(e.to_string()))?;
        }
        // Each send runs on its own task: the first acceptance answers the caller at once, while the sends
        // to the other members (a slow or hung one included) finish in the background.
        let (answers, mut received) = tokio::sync::mpsc::unbounded_channel();
        for (url, client) in &self.sequencer_clients {
            let (url, client, array, method, answers) =
                (url.clone(), client.clone(), array.clone(), method.to_string(), answers.clone());
            tokio::spawn(async move {
                let outcome = client.request::<serde_json::Value, _>(&method, array).await;
                let _ = answers.send((url, outcome));
            });
        }
        drop(answers);
        let (mut accepted, mut refused, mut unreachable) = (None, None, Vec::new());
        while let Some((url, outcome)) = received.recv().await {
            match outcome {
                Ok(answer) => {
                    accepted = Some(answer);
                    break;
                }
                Err(ClientError::Call(error)) => {
                    refused.get_or_insert(error);
                }
                Err(other) => {
                    tracing::warn!(target: "rpc", %url, error = %other, "cannot forward a transaction to the sequencer");
                    unreachable.push((url, other.to_string()));
                }
            }
        }
        let (result, label) = match (accepted, refused) {
            (Some(answer), _) => (Ok(answer), "accepted"),
            (None, Some(error)) => (Err(RpcError::Sequencer(error)), "refused"),
            (None, None) => {
                let url = unreachable.iter().map(|(url, _)| url.as_str()).collect::<Vec<_>>().join(", ");
                let reason = unreachable.iter().map(|(_, reason)| reason.as_str()).collect::<Vec<_>>().join("; ");
                (Err(RpcError::SequencerUnreachable { url, reason }), "unreachable")
            }
        };
        metrics::counter!("bai_rpc_forwarded_transactions_total", "outcome" => label).increment(1);
        result
    }

    /// The store behind the sequencer: every read method goes through it.
    pub fn store(&self) -> &Arc<Store> {
        self.seq.store()
    }
}

/// Registers a method whose body is cheap enough to run on the RPC worker, with latency metrics.
pub(crate) fn method<R, F>(module: &mut RpcModule<RpcCtx>, name: &'static str, f: F) -> anyhow::Result<()>
where
    R: Serialize + Clone + Send + 'static,
    F: Fn(Params<'_>, &RpcCtx) -> RpcResult<R> + Send + Sync + 'static,
{
    module.register_method(name, move |params, ctx, _| {
        let started = Instant::now();
        finish(name, started, f(params, ctx))
    })?;
    Ok(())
}

/// Registers a method that executes EVM code or scans blocks: runs on the blocking pool.
pub(crate) fn blocking<R, F>(module: &mut RpcModule<RpcCtx>, name: &'static str, f: F) -> anyhow::Result<()>
where
    R: Serialize + Clone + Send + 'static,
    F: Fn(Params<'_>, &RpcCtx) -> RpcResult<R> + Clone + Send + Sync + 'static,
{
    module.register_blocking_method(name, move |params, ctx, _| {
        let started = Instant::now();
        finish(name, started, f(params, &ctx))
    })?;
    Ok(())
}

/// Runs `f` on the blocking pool; a task that panicked or was cancelled is an internal error.
async fn on_blocking_pool<R: Send + 'static>(
    name: &'static str,
    f: impl FnOnce() -> RpcResult<R> + Send + 'static,
) -> RpcResult<R> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| Err(RpcError::internal(format!("{name} task failed: {e}"))))
}

/// Registers a method that executes EVM code and is usually quick (`eth_call`): `f(params, ctx, true)`
/// runs on the RPC worker with an inline budget; if it gives up ([`RpcError::NeedsBlockingPool`]),
/// `f(params, ctx, false)` runs on the blocking pool with the full limits.
pub(crate) fn inline_first<R, F>(module: &mut RpcModule<RpcCtx>, name: &'static str, f: F) -> anyhow::Result<()>
where
    R: Serialize + Clone + Send + 'static,
    F: Fn(Params<'_>, &RpcCtx, bool) -> RpcResult<R> + Clone + Send + Sync + 'static,
{
    module.register_async_method(name, move |params, ctx, _| {
        let f = f.clone();
        async move {
            let started = Instant::now();
            let result = match f(params.clone(), &ctx, true) {
                Err(RpcError::NeedsBlockingPool) => {
                    metrics::counter!("bai_rpc_inline_fallbacks_total", "method" => name).increment(1);
                    on_blocking_pool(name, move || f(params, &ctx, false)).await
                }
                other => other,
            };
            finish(name, started, result)
        }
    })?;
    Ok(())
}

/// Registers a trace method: it waits for one of the `max_tracing_requests` permits (so traces cannot
/// take every blocking thread and core), then runs on the blocking pool.
pub(crate) fn traced<R, F>(module: &mut RpcModule<RpcCtx>, name: &'static str, f: F) -> anyhow::Result<()>
where
    R: Serialize + Clone + Send + 'static,
    F: Fn(Params<'_>, &RpcCtx) -> RpcResult<R> + Clone + Send + Sync + 'static,
{
    module.register_async_method(name, move |params, ctx, _| {
        let f = f.clone();
        async move {
            let started = Instant::now();
            let permit = ctx.tracing.clone().acquire_owned().await;
            let result = on_blocking_pool(name, move || {
                let _permit = permit;
                f(params, &ctx)
            })
            .await;
            finish(name, started, result)
        }
    })?;
    Ok(())
}

/// Records a call's latency and, for a failed one, counts it and logs it at debug (`RUST_LOG=rpc=debug`):
/// an operator asking why a wallet's transaction was refused finds the answer in the node's log.
pub(crate) fn finish<R, E: Into<jsonrpsee::types::ErrorObjectOwned>>(
    name: &'static str,
    started: Instant,
    result: Result<R, E>,
) -> Result<R, jsonrpsee::types::ErrorObjectOwned> {
    metrics::histogram!("bai_rpc_request_seconds", "method" => name).record(started.elapsed().as_secs_f64());
    result.map_err(|e| {
        let error = e.into();
        metrics::counter!("bai_rpc_errors_total", "method" => name).increment(1);
        tracing::debug!(target: "rpc", method = name, code = error.code(), error = error.message(), "request failed");
        error
    })
}
