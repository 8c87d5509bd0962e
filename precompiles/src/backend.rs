//! The seam between the precompile and whatever runs models: [`InferenceBackend`], a client for
//! remote inference servers ([`RemoteBackend`], JSON-RPC over HTTP with failover and a per-call
//! timeout) and a result cache ([`CachedBackend`]) for `eth_call`, `eth_estimateGas` and repeated calls.

use alloy::primitives::{B256, Bytes, Keccak256};
use lru::LruCache;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::{
    num::NonZeroUsize,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

/// What a model does, as the registry's `kind` encodes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Text in, a vector of numbers out (kind 1).
    Embedding,
    /// Text in, generated text out (kind 2).
    Generation,
    /// Raw bytes in, raw bytes out (kind 3).
    Generic,
}

impl ModelKind {
    /// The kind for the registry's `kind` byte; `None` for a value the registry does not define.
    pub fn from_u8(kind: u8) -> Option<Self> {
        match kind {
            1 => Some(Self::Embedding),
            2 => Some(Self::Generation),
            3 => Some(Self::Generic),
            _ => None,
        }
    }

    /// The registry's `kind` byte for this kind.
    pub fn as_u8(self) -> u8 {
        match self {
            Self::Embedding => 1,
            Self::Generation => 2,
            Self::Generic => 3,
        }
    }
}

/// One model call. `input` is the UTF-8 text for embedding and generation models.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InferenceRequest {
    /// Id of the model to run (the registry's key).
    pub model: B256,
    /// What the model does, which decides how `input` and the output are read.
    pub kind: ModelKind,
    /// The model's input as the caller passed it.
    pub input: Bytes,
    /// Cap on units: tokens to generate, compute units of generic models, tokens kept for embeddings.
    pub max_units: u32,
}

/// A model's answer in its compact witness form (see [`crate::witness::Witness`]) and the units it used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InferenceOutput {
    /// The answer in its compact witness form.
    pub output: Bytes,
    /// Units the call used (tokens or compute units), which the caller is charged gas for.
    pub units: u64,
}

/// Why a backend gave no answer.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum BackendError {
    #[error("model {0} is not served by this backend")]
    /// The backend does not serve this model.
    UnknownModel(B256),
    #[error("invalid input: {0}")]
    /// The model refused the input (wrong encoding, too long…).
    InvalidInput(String),
    #[error("inference timed out after {0:?}")]
    /// No answer within the per-call timeout.
    Timeout(Duration),
    #[error("inference server overloaded")]
    /// The server is at capacity and refused the call.
    Overloaded,
    #[error("inference server unavailable: {0}")]
    /// No server could be reached.
    Unavailable(String),
    #[error("inference failed: {0}")]
    /// The model failed on an accepted request; carries the server's message.
    Failed(String),
}

impl BackendError {
    /// Whether another server might answer (transport trouble) rather than the request being wrong.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Timeout(_) | Self::Overloaded | Self::Unavailable(_))
    }
}

/// JSON-RPC error codes of the inference server.
pub mod codes {
    /// The model is not served ([`BackendError::UnknownModel`]).
    pub const UNKNOWN_MODEL: i32 = -32001;
    /// The server is at capacity ([`BackendError::Overloaded`]).
    pub const OVERLOADED: i32 = -32003;
    /// The call ran past the server's deadline ([`BackendError::Timeout`]).
    pub const TIMEOUT: i32 = -32004;
    /// The input was refused ([`BackendError::InvalidInput`]; JSON-RPC's invalid params).
    pub const INVALID_INPUT: i32 = -32602;
    /// Any other failure ([`BackendError::Failed`]).
    pub const FAILED: i32 = -32000;
}

/// Something that runs models. Calls block the calling thread (the precompile is synchronous).
pub trait InferenceBackend: Send + Sync + std::fmt::Debug {
    /// Runs `request` to completion, blocking the calling thread.
    fn run(&self, request: &InferenceRequest) -> Result<InferenceOutput, BackendError>;
}

/// Inference servers reached over JSON-RPC (`bai_infer`), tried in turn: a transport failure,
/// timeout or overload moves on to the next server; a wrong request does not.
#[derive(Debug)]
pub struct RemoteBackend {
    urls: Vec<String>,
    agent: ureq::Agent,
    next: AtomicUsize,
    timeout: Duration,
}

#[derive(Deserialize)]
struct RpcReply {
    result: Option<InferenceOutput>,
    error: Option<RpcFailure>,
}

#[derive(Deserialize)]
struct RpcFailure {
    code: i32,
    message: String,
}

impl RemoteBackend {
    /// A backend over `urls`, tried in turn from the last one that answered, each call bounded by `timeout`.
    pub fn new(urls: Vec<String>, timeout: Duration) -> Self {
        let agent = ureq::AgentBuilder::new().timeout(timeout).timeout_connect(Duration::from_secs(2)).build();
        Self { urls, agent, next: AtomicUsize::new(0), timeout }
    }

    fn call_one(&self, url: &str, request: &InferenceRequest) -> Result<InferenceOutput, BackendError> {
        let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "bai_infer", "params": [request]});
        let reply = match self.agent.post(url).send_json(body) {
            Ok(reply) => reply,
            Err(ureq::Error::Transport(t)) if t.kind() == ureq::ErrorKind::Io => {
                // The deadline shows as the io error's kind (ureq's own deadline: TimedOut; a socket
                // read timeout: WouldBlock), never by parsing its text.
                let timed_out = std::error::Error::source(&t)
                    .and_then(|source| source.downcast_ref::<std::io::Error>())
                    .is_some_and(|io| {
                        matches!(io.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock)
                    });
                return Err(if timed_out {
                    BackendError::Timeout(self.timeout)
                } else {
                    BackendError::Unavailable(format!("{url}: {t}"))
                });
            }
            Err(error) => return Err(BackendError::Unavailable(format!("{url}: {error}"))),
        };
        let reply: RpcReply =
            reply.into_json().map_err(|e| BackendError::Unavailable(format!("{url}: bad reply: {e}")))?;
        match (reply.result, reply.error) {
            (Some(output), None) => Ok(output),
            (_, Some(failure)) => Err(match failure.code {
                codes::UNKNOWN_MODEL => BackendError::UnknownModel(request.model),
                codes::INVALID_INPUT => BackendError::InvalidInput(failure.message),
                codes::OVERLOADED => BackendError::Overloaded,
                codes::TIMEOUT => BackendError::Timeout(self.timeout),
                _ => BackendError::Failed(failure.message),
            }),
            (None, None) => Err(BackendError::Unavailable(format!("{url}: empty reply"))),
        }
    }
}

impl InferenceBackend for RemoteBackend {
    fn run(&self, request: &InferenceRequest) -> Result<InferenceOutput, BackendError> {
        if self.urls.is_empty() {
            return Err(BackendError::Unavailable("no inference server configured".into()));
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let mut last = BackendError::Unavailable("no inference server answered".into());
        for i in 0..self.urls.len() {
            let url = &self.urls[(start + i) % self.urls.len()];
            match self.call_one(url, request) {
                Ok(output) => return Ok(output),
                Err(error) if error.is_retryable() => {
                    tracing::warn!(target: "inference", %url, %error, "inference server failed, trying the next");
                    metrics::counter!("bai_inference_failovers_total").increment(1);
                    last = error;
                }
                Err(error) => return Err(error),
            }
        }
        Err(last)
    }
}

/// Remembers answers by request so repeated calls (estimate-then-send, the same prompt twice) do not
/// run the model again. Failures are not cached.
#[derive(Debug)]
pub struct CachedBackend {
    inner: Arc<dyn InferenceBackend>,
    cache: Mutex<LruCache<B256, InferenceOutput>>,
}

impl CachedBackend {
    /// A cache of up to `capacity` answers (at least one) in front of `inner`.
    pub fn new(inner: Arc<dyn InferenceBackend>, capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity.max(1)).expect("capacity is at least one");
        Self { inner, cache: Mutex::new(LruCache::new(capacity)) }
    }

    fn key(request: &InferenceRequest) -> B256 {
        // Hashed in place: the input (up to the model's byte limit) is not copied per call.
        let mut hasher = Keccak256::new();
        hasher.update(request.model);
        hasher.update([request.kind.as_u8()]);
        hasher.update(request.max_units.to_be_bytes());
        hasher.update(&request.input);
        hasher.finalize()
    }
}

impl InferenceBackend for CachedBackend {
    fn run(&self, request: &InferenceRequest) -> Result<InferenceOutput, BackendError> {
        let key = Self::key(request);
        if let Some(hit) = self.cache.lock().get(&key).cloned() {
            metrics::counter!("bai_inference_cache_hits_total").increment(1);
            return Ok(hit);
        }
        let output = self.inner.run(request)?;
        self.cache.lock().put(key, output.clone());
        Ok(output)
    }
}

/// The path simulated model calls (`eth_call`, `eth_estimateGas`, traces) take: at most `running`
/// of them at once and `waiting` in line, the rest refused as overloaded (the call reverts with
/// `InferenceUnavailable`). Free simulated calls then cannot queue up in front of the models block
/// building needs, whatever a client sends. Put it in front of the shared [`CachedBackend`]: a cached
/// answer still costs a permit for a moment, never a model run.
#[derive(Debug)]
pub struct LimitedBackend {
    inner: Arc<dyn InferenceBackend>,
    running: usize,
    waiting: usize,
    state: Mutex<Slots>,
    freed: parking_lot::Condvar,
}

#[derive(Debug, Default)]
struct Slots {
    running: usize,
    waiting: usize,
}

impl LimitedBackend {
    /// `inner` behind a limit of `running` calls at once (at least one) and `waiting` queued.
    pub fn new(inner: Arc<dyn InferenceBackend>, running: usize, waiting: usize) -> Self {
        Self { inner, running: running.max(1), waiting, state: Mutex::default(), freed: parking_lot::Condvar::new() }
    }

    fn acquire(&self) -> Result<(), BackendError> {
        let mut slots = self.state.lock();
        if slots.running < self.running {
            slots.running += 1;
            return Ok(());
        }
        if slots.waiting >= self.waiting {
            metrics::counter!("bai_inference_simulated_refused_total").increment(1);
            return Err(BackendError::Overloaded);
        }
        slots.waiting += 1;
        while slots.running >= self.running {
            self.freed.wait(&mut slots);
        }
        slots.waiting -= 1;
        slots.running += 1;
        Ok(())
    }

    fn release(&self) {
        self.state.lock().running -= 1;
        self.freed.notify_one();
    }
}

impl InferenceBackend for LimitedBackend {
    fn run(&self, request: &InferenceRequest) -> Result<InferenceOutput, BackendError> {
        self.acquire()?;
        // Released on every exit, a panicking backend included.
        struct Permit<'a>(&'a LimitedBackend);
        impl Drop for Permit<'_> {
            fn drop(&mut self) {
                self.0.release();
            }
        }
        let _permit = Permit(self);
        self.inner.run(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    /// A backend that holds every call until told to go.
    #[derive(Debug, Default)]
    struct Gate {
        open: parking_lot::Mutex<bool>,
        opened: parking_lot::Condvar,
        started: AtomicU32,
    }

    impl InferenceBackend for Gate {
        fn run(&self, _: &InferenceRequest) -> Result<InferenceOutput, BackendError> {
            self.started.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut open = self.open.lock();
            while !*open {
                self.opened.wait(&mut open);
            }
            Ok(InferenceOutput { output: Bytes::from_static(b"ok"), units: 1 })
        }
    }

    #[test]
    fn simulated_calls_beyond_the_running_and_waiting_limits_are_refused() {
        let gate = Arc::new(Gate::default());
        let limited = Arc::new(LimitedBackend::new(gate.clone(), 1, 1));
        let request =
            InferenceRequest { model: B256::ZERO, kind: ModelKind::Embedding, input: Bytes::new(), max_units: 1 };
        let spawn = || {
            let (limited, request) = (limited.clone(), request.clone());
            std::thread::spawn(move || limited.run(&request))
        };
        let first = spawn();
        while gate.started.load(std::sync::atomic::Ordering::SeqCst) == 0 {
            std::thread::yield_now();
        }
        let second = spawn(); // waits in line
        while limited.state.lock().waiting == 0 {
            std::thread::yield_now();
        }
        // A third call finds one running and one waiting: refused at once, the model never asked.
        assert!(matches!(limited.run(&request), Err(BackendError::Overloaded)));
        assert_eq!(gate.started.load(std::sync::atomic::Ordering::SeqCst), 1);
        *gate.open.lock() = true;
        gate.opened.notify_all();
        assert!(first.join().unwrap().is_ok() && second.join().unwrap().is_ok());
        assert_eq!(gate.started.load(std::sync::atomic::Ordering::SeqCst), 2);
        // With the line empty, calls are served again.
        assert!(limited.run(&request).is_ok());
    }

    #[derive(Debug, Default)]
    struct Counting(AtomicU32);

    impl InferenceBackend for Counting {
        fn run(&self, request: &InferenceRequest) -> Result<InferenceOutput, BackendError> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            if request.input.is_empty() {
                return Err(BackendError::InvalidInput("empty".into()));
            }
            Ok(InferenceOutput { output: request.input.clone(), units: n as u64 })
        }
    }

    fn request(input: &'static [u8]) -> InferenceRequest {
        InferenceRequest {
            model: B256::ZERO,
            kind: ModelKind::Generation,
            input: Bytes::from_static(input),
            max_units: 4,
        }
    }

    #[test]
    fn cache_answers_repeats_and_not_failures() {
        let inner = Arc::new(Counting::default());
        let cached = CachedBackend::new(inner.clone(), 8);
        assert_eq!(cached.run(&request(b"a")).unwrap().units, 0);
        assert_eq!(cached.run(&request(b"a")).unwrap().units, 0);
        assert_eq!(cached.run(&request(b"b")).unwrap().units, 1);
        assert!(cached.run(&request(b"")).is_err());
        assert!(cached.run(&request(b"")).is_err());
        assert_eq!(inner.0.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn remote_backend_reports_dead_servers() {
        // Nothing listens on port 9 of localhost: both "servers" fail, and the error says so.
        let backend = RemoteBackend::new(
            vec!["http://127.0.0.1:9".into(), "http://127.0.0.1:9/".into()],
            Duration::from_millis(500),
        );
        let error = backend.run(&request(b"x")).unwrap_err();
        assert!(error.is_retryable(), "{error}");
    }
}
