//! `bai infer serve`: the engine over JSON-RPC (HTTP and WebSocket on one port).
//!
//! Methods: `bai_infer` (what the sequencer calls: request → compact output + units),
//! `bai_models`, `bai_embed`, `bai_generate` and `bai_classify` (direct, human-friendly forms of the
//! same models), `bai_prove` and `bai_zkKey` (a tensor model's scores with a zero-knowledge proof, and
//! the verifying key that checks it), `bai_health`, `bai_operator` (the serving operator this server answers for, if any:
//! a sequencer's pool sends a model's calls only to its registered operator's servers).

use crate::{Engine, generation::Sampling};
use alloy_primitives::{Address, B256};
use bai_precompiles::{BackendError, InferenceBackend, InferenceRequest, backend::codes};
use jsonrpsee::{
    RpcModule,
    server::{Server, ServerConfig, ServerHandle},
    types::ErrorObjectOwned,
};
use std::{net::SocketAddr, sync::Arc};

fn rpc_error(error: BackendError) -> ErrorObjectOwned {
    let code = match &error {
        BackendError::UnknownModel(_) => codes::UNKNOWN_MODEL,
        BackendError::InvalidInput(_) => codes::INVALID_INPUT,
        BackendError::Overloaded => codes::OVERLOADED,
        BackendError::Timeout(_) => codes::TIMEOUT,
        BackendError::Unavailable(_) | BackendError::Failed(_) => codes::FAILED,
    };
    ErrorObjectOwned::owned(code, error.to_string(), None::<()>)
}

fn params_error(error: ErrorObjectOwned) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(codes::INVALID_INPUT, error.message().to_string(), None::<()>)
}

#[derive(serde::Serialize, Clone)]
struct Embedded {
    embedding: Vec<i32>,
    units: u64,
}

#[derive(serde::Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct Classified {
    label: u32,
    label_name: Option<String>,
    scores: Vec<i32>,
    units: u64,
}

/// The RPC module over `engine`, serving for `operator` (`None`: for any).
pub fn module(engine: Arc<Engine>, operator: Option<Address>) -> anyhow::Result<RpcModule<Arc<Engine>>> {
    let mut m = RpcModule::new(engine);
    m.register_method("bai_health", |_, _, _| "ok")?;
    m.register_method("bai_operator", move |_, _, _| operator)?;
    m.register_method("bai_models", |_, engine, _| engine.models())?;
    m.register_blocking_method("bai_infer", move |params, engine, _| {
        let request: InferenceRequest = params.one().map_err(params_error)?;
        // The answer is attributed to (and slashable from) the model's registered operator: a server run
        // for another operator must not give it.
        if let (Some(ours), Some(theirs)) = (operator, request.operator)
            && ours != theirs
        {
            return Err(ErrorObjectOwned::owned(
                codes::WRONG_OPERATOR,
                format!("this server serves for operator {ours}, not for {theirs} (model {})", request.model),
                None::<()>,
            ));
        }
        engine.run(&request).map_err(rpc_error)
    })?;
    m.register_blocking_method("bai_embed", |params, engine, _| {
        let mut seq = params.sequence();
        let model: B256 = seq.next().map_err(params_error)?;
        let text: String = seq.next().map_err(params_error)?;
        let max_tokens: Option<u32> = seq.optional_next().map_err(params_error)?;
        let (embedding, units) = engine.embed(model, &text, max_tokens.unwrap_or(256)).map_err(rpc_error)?;
        Ok::<_, ErrorObjectOwned>(Embedded { embedding, units })
    })?;
    m.register_blocking_method("bai_generate", |params, engine, _| {
        let mut seq = params.sequence();
        let model: B256 = seq.next().map_err(params_error)?;
        let prompt: String = seq.next().map_err(params_error)?;
        let max_tokens: u32 = seq.next().map_err(params_error)?;
        let sampling: Option<Sampling> = seq.optional_next().map_err(params_error)?;
        engine.generate(model, &prompt, max_tokens, sampling.unwrap_or_default()).map_err(rpc_error)
    })?;
    m.register_blocking_method("bai_classify", |params, engine, _| {
        let mut seq = params.sequence();
        let model: B256 = seq.next().map_err(params_error)?;
        let features: Vec<i32> = seq.next().map_err(params_error)?;
        let max_units: Option<u32> = seq.optional_next().map_err(params_error)?;
        let scored = engine.evaluate(model, features, max_units.unwrap_or(u32::MAX)).map_err(rpc_error)?;
        let label_name = engine.labels(model).get(scored.label as usize).cloned();
        Ok::<_, ErrorObjectOwned>(Classified {
            label: scored.label,
            label_name,
            scores: scored.scores,
            units: scored.units,
        })
    })?;
    m.register_blocking_method("bai_prove", |params, engine, _| {
        let mut seq = params.sequence();
        let model: B256 = seq.next().map_err(params_error)?;
        let features: Vec<i32> = seq.next().map_err(params_error)?;
        engine.prove(model, features).map_err(rpc_error)
    })?;
    m.register_blocking_method("bai_zkKey", |params, engine, _| {
        let model: B256 = params.one().map_err(params_error)?;
        engine.zk_key(model).map_err(rpc_error)
    })?;
    Ok(m)
}

/// Serves `engine` on `addr` for `operator`; returns the bound address and the handle.
pub async fn serve(
    engine: Arc<Engine>,
    addr: SocketAddr,
    operator: Option<Address>,
) -> anyhow::Result<(SocketAddr, ServerHandle)> {
    let config = ServerConfig::builder().max_request_body_size(1 << 20).max_connections(256).build();
    let server = Server::builder().set_config(config).build(addr).await?;
    let bound = server.local_addr()?;
    Ok((bound, server.start(module(engine, operator)?)))
}
