//! The seam between the precompile and whatever runs models: [`InferenceBackend`], a client for a
//! pool of remote inference servers ([`RemoteBackend`], JSON-RPC over HTTP, balanced by load, with
//! failover, health tracking and one deadline per call) and a result cache ([`CachedBackend`]) for
//! `eth_call`, `eth_estimateGas` and repeated calls.

use alloy::primitives::{Address, B256, Bytes, Keccak256};
use lru::LruCache;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::{
    num::NonZeroUsize,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
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
    /// The model's serving operator in the on-chain registry (`None`: none named). A pool sends the call
    /// only to servers of that operator (or to servers that declare none), and a server that declares
    /// another operator refuses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<Address>,
    /// Whether the answer must come with a zero-knowledge proof (models at the `zk` level; generic
    /// tensor models only): a remote server is asked with `bai_prove` instead of `bai_infer`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prove: bool,
}

/// A model's answer in its compact witness form (see [`crate::witness::Witness`]) and the units it used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InferenceOutput {
    /// The answer in its compact witness form.
    pub output: Bytes,
    /// Units the call used (tokens or compute units), which the caller is charged gas for.
    pub units: u64,
    /// The proof of `output`, when the request asked for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<Bytes>,
}

impl InferenceOutput {
    /// An answer without a proof.
    pub fn new(output: Bytes, units: u64) -> Self {
        Self { output, units, proof: None }
    }
}

/// `bai_prove`'s reply, as far as a backend reads it.
#[derive(Debug, Deserialize)]
struct ProvenReply {
    label: u32,
    scores: Vec<i32>,
    units: u64,
    proof: Bytes,
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
    /// The request names another serving operator than the one this server serves for.
    pub const WRONG_OPERATOR: i32 = -32005;
}

/// Something that runs models. Calls block the calling thread (the precompile is synchronous).
pub trait InferenceBackend: Send + Sync + std::fmt::Debug {
    /// Runs `request` to completion, blocking the calling thread.
    fn run(&self, request: &InferenceRequest) -> Result<InferenceOutput, BackendError>;
}

/// A pool of inference servers reached over JSON-RPC (`bai_infer`), all serving the same models.
///
/// Each call goes to the least busy server in rotation (ties broken round-robin). A transport failure,
/// timeout or overload takes that server out of rotation and the call moves on to the next one, all within
/// the call's one deadline (`timeout`); a wrong request does not move on (every server would refuse it).
/// A server out of rotation stays out for a backoff that doubles on each failure (1 s up to 30 s); once it
/// has passed, the server is asked `bai_health` before it gets a call again, and is back on its first
/// healthy answer. So a dead server costs one failed attempt, not one per call, and comes back by itself.
///
/// Which servers may serve a call follows the on-chain registry: each server says which operator it serves
/// for (`bai_operator`, from `bai infer serve --operator`; asked once, and again after it was down). A call
/// for a model whose registered operator is X goes to X's servers, then to servers that declare no operator;
/// never to another operator's. No such server in the pool: the call fails with a clear error.
#[derive(Debug)]
pub struct RemoteBackend {
    servers: Vec<Server>,
    agent: ureq::Agent,
    next: AtomicUsize,
    timeout: Duration,
}

/// One server of the pool and what the pool knows of it.
#[derive(Debug)]
struct Server {
    url: String,
    /// Calls sent to it and not answered yet (the load the pool balances).
    in_flight: AtomicUsize,
    health: Mutex<Health>,
    /// The operator it declared: `None` until asked, then `Some(None)` for a server that declares none.
    operator: Mutex<Option<Option<Address>>>,
}

#[derive(Debug, Default)]
struct Health {
    /// Failures in a row; zero while it answers.
    failures: u32,
    /// Out of rotation until then (`None`: in rotation).
    down_until: Option<Instant>,
}

/// Where a server stands in a call's order, compared in this order: out of rotation, bound to no operator
/// (after the model's own operator's servers), calls in flight, back in rotation at, position from the
/// rotating start.
type Rank = (bool, bool, usize, Option<Instant>, usize);

/// Backoff of a server out of rotation after its first failure; doubles per failure in a row.
const BACKOFF_FIRST: Duration = Duration::from_secs(1);
/// Longest backoff: a server that came back is found within this long.
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// Less of the call's deadline than this left: no further attempt (it could only time out).
const MIN_ATTEMPT: Duration = Duration::from_millis(20);
/// The `bai_health` probe of a server whose backoff passed is bounded by this (at most the call's time left).
const PROBE_TIMEOUT: Duration = Duration::from_millis(500);

#[derive(Deserialize)]
struct RpcReply<T> {
    result: Option<T>,
    error: Option<RpcFailure>,
}

#[derive(Deserialize)]
struct RpcFailure {
    code: i32,
    message: String,
}

impl Server {
    /// Whether it was out of rotation (and so must be probed before a call).
    fn was_down(&self) -> bool {
        self.health.lock().down_until.is_some()
    }

    fn mark_up(&self) {
        let mut health = self.health.lock();
        if health.down_until.is_some() {
            // It may have been restarted for another operator: ask again.
            *self.operator.lock() = None;
        }
        if health.down_until.is_some() {
            tracing::info!(target: "inference", url = %self.url, "inference server answers again: back in rotation");
        }
        *health = Health::default();
        metrics::gauge!("bai_inference_server_up", "url" => self.url.clone()).set(1.0);
    }

    fn mark_down(&self, error: &BackendError) {
        let mut health = self.health.lock();
        health.failures = health.failures.saturating_add(1);
        let backoff = BACKOFF_FIRST.saturating_mul(1 << (health.failures - 1).min(5)).min(BACKOFF_MAX);
        health.down_until = Some(Instant::now() + backoff);
        tracing::warn!(target: "inference", url = %self.url, %error, failures = health.failures, ?backoff,
            "inference server failed: out of rotation");
        metrics::gauge!("bai_inference_server_up", "url" => self.url.clone()).set(0.0);
    }
}

impl RemoteBackend {
    /// A pool over `urls`; each call (all its attempts on different servers together) is bounded by `timeout`.
    pub fn new(urls: Vec<String>, timeout: Duration) -> Self {
        let agent = ureq::AgentBuilder::new().timeout_connect(Duration::from_secs(2)).build();
        let servers = urls
            .into_iter()
            .map(|url| Server {
                url,
                in_flight: AtomicUsize::new(0),
                health: Mutex::default(),
                operator: Mutex::new(None),
            })
            .collect();
        Self { servers, agent, next: AtomicUsize::new(0), timeout }
    }

    /// The servers to try for a model of `operator`, in order: those in rotation, the operator's own before
    /// those that declare none, least busy first (ties from a rotating start), then those out of rotation,
    /// soonest back first (tried only when every server in rotation failed). Another operator's servers are
    /// left out (their number is returned too); a server whose operator is not known yet is asked
    /// (`bai_operator`) first.
    fn order(&self, now: Instant, operator: Option<Address>) -> (Vec<&Server>, usize) {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.servers.len();
        let mut ranked: Vec<(Rank, &Server)> = (0..n)
            .filter_map(|i| {
                let server = &self.servers[(start + i) % n];
                let down_until = server.health.lock().down_until.filter(|until| *until > now);
                let declared = match operator {
                    None => None,
                    // A server down is not asked now; it is asked when it is probed back.
                    Some(_) if down_until.is_some() => server.operator.lock().unwrap_or(None),
                    Some(_) => self.declared_operator(server),
                };
                let unbound = match (operator, declared) {
                    (Some(wanted), Some(theirs)) if wanted != theirs => return None,
                    (Some(_), None) => true,
                    _ => false,
                };
                let down = down_until.is_some();
                let load = if down { 0 } else { server.in_flight.load(Ordering::Relaxed) };
                Some(((down, unbound, load, down_until, i), server))
            })
            .collect();
        ranked.sort_by_key(|(rank, _)| *rank);
        let left_out = n - ranked.len();
        (ranked.into_iter().map(|(.., server)| server).collect(), left_out)
    }

    /// The operator `server` serves for, asked once (`bai_operator`; a server without the method, or that
    /// cannot be reached now, counts as declaring none until it is asked again).
    fn declared_operator(&self, server: &Server) -> Option<Address> {
        if let Some(known) = *server.operator.lock() {
            return known;
        }
        let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "bai_operator", "params": []});
        match self.post::<Option<Address>>(&server.url, body, PROBE_TIMEOUT) {
            Ok(RpcReply { result, error: None }) => {
                let declared = result.flatten();
                *server.operator.lock() = Some(declared);
                declared
            }
            // Answered, without the method: an older server serving for nobody in particular.
            Ok(_) => {
                *server.operator.lock() = Some(None);
                None
            }
            Err(_) => None,
        }
    }

    fn post<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        body: serde_json::Value,
        timeout: Duration,
    ) -> Result<RpcReply<T>, BackendError> {
        let reply = match self.agent.post(url).timeout(timeout).send_json(body) {
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
        reply.into_json().map_err(|e| BackendError::Unavailable(format!("{url}: bad reply: {e}")))
    }

    /// Whether a server out of rotation is healthy again (`bai_health` answers "ok").
    fn probe(&self, url: &str, timeout: Duration) -> Result<(), BackendError> {
        let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "bai_health", "params": []});
        match self.post::<String>(url, body, timeout.min(PROBE_TIMEOUT))? {
            RpcReply { result: Some(ok), .. } if ok == "ok" => Ok(()),
            _ => Err(BackendError::Unavailable(format!("{url}: not healthy"))),
        }
    }

    fn call_one(
        &self,
        url: &str,
        request: &InferenceRequest,
        timeout: Duration,
    ) -> Result<InferenceOutput, BackendError> {
        let reply = if request.prove {
            // A proven answer: the server evaluates the tensor model and proves the scores.
            let features = crate::tensor_io::decode_features(&request.input).map_err(BackendError::InvalidInput)?;
            let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "bai_prove", "params": [request.model, features]});
            let reply = self.post::<ProvenReply>(url, body, timeout)?;
            RpcReply {
                result: reply.result.map(|p| InferenceOutput {
                    output: crate::tensor_io::encode_scores(p.label, &p.scores),
                    units: p.units,
                    proof: Some(p.proof),
                }),
                error: reply.error,
            }
        } else {
            let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "bai_infer", "params": [request]});
            self.post::<InferenceOutput>(url, body, timeout)?
        };
        match (reply.result, reply.error) {
            (Some(output), None) => Ok(output),
            (_, Some(failure)) => Err(match failure.code {
                codes::UNKNOWN_MODEL => BackendError::UnknownModel(request.model),
                codes::INVALID_INPUT => BackendError::InvalidInput(failure.message),
                codes::OVERLOADED => BackendError::Overloaded,
                codes::TIMEOUT => BackendError::Timeout(self.timeout),
                codes::WRONG_OPERATOR => {
                    // Restarted for another operator since we asked: ask again, and try elsewhere.
                    if let Some(server) = self.servers.iter().find(|s| s.url == url) {
                        *server.operator.lock() = None;
                    }
                    BackendError::Unavailable(format!("{url}: {}", failure.message))
                }
                _ => BackendError::Failed(failure.message),
            }),
            (None, None) => Err(BackendError::Unavailable(format!("{url}: empty reply"))),
        }
    }

    /// One attempt on `server` with `left` of the call's time: a probe first when it was out of rotation.
    fn attempt(
        &self,
        server: &Server,
        request: &InferenceRequest,
        left: Duration,
    ) -> Result<InferenceOutput, BackendError> {
        if server.was_down() {
            self.probe(&server.url, left)?;
            server.mark_up();
        }
        server.in_flight.fetch_add(1, Ordering::Relaxed);
        let result = self.call_one(&server.url, request, left);
        server.in_flight.fetch_sub(1, Ordering::Relaxed);
        result
    }
}

impl InferenceBackend for RemoteBackend {
    fn run(&self, request: &InferenceRequest) -> Result<InferenceOutput, BackendError> {
        if self.servers.is_empty() {
            return Err(BackendError::Unavailable("no inference server configured".into()));
        }
        let started = Instant::now();
        let deadline = started + self.timeout;
        let (order, left_out) = self.order(started, request.operator);
        let Some(operator) = request.operator else { return self.run_on(order, request, deadline) };
        if order.is_empty() {
            return Err(BackendError::Unavailable(format!(
                "no inference server in the pool serves for operator {operator}, the registered operator of model {}",
                request.model
            )));
        }
        match self.run_on(order, request, deadline) {
            Err(BackendError::Unavailable(why)) if left_out > 0 => Err(BackendError::Unavailable(format!(
                "{why}; {left_out} server(s) of the pool serve other operators than {operator} and were not asked"
            ))),
            other => other,
        }
    }
}

impl RemoteBackend {
    fn run_on(
        &self,
        order: Vec<&Server>,
        request: &InferenceRequest,
        deadline: Instant,
    ) -> Result<InferenceOutput, BackendError> {
        let mut last = BackendError::Unavailable("no inference server answered".into());
        for (tried, server) in order.into_iter().enumerate() {
            let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|left| *left >= MIN_ATTEMPT) else {
                return Err(BackendError::Timeout(self.timeout));
            };
            if tried > 0 {
                metrics::counter!("bai_inference_failovers_total").increment(1);
            }
            match self.attempt(server, request, left) {
                Ok(output) => {
                    if server.health.lock().failures > 0 {
                        server.mark_up();
                    }
                    return Ok(output);
                }
                Err(error) if error.is_retryable() => {
                    // Overloaded is the server's own word that it is alive: try another, keep it in rotation.
                    // A timeout counts against a server only when it had the whole deadline: one given what
                    // an earlier server left is not at fault for running out.
                    let blame = match error {
                        BackendError::Overloaded => false,
                        BackendError::Timeout(_) => tried == 0,
                        _ => true,
                    };
                    if blame {
                        server.mark_down(&error);
                    }
                    last = error;
                }
                Err(error) => return Err(error),
            }
        }
        Err(last)
    }

    /// Each server's URL and whether it is in rotation (false from a failure until it answers again).
    pub fn rotation(&self) -> Vec<(String, bool)> {
        self.servers.iter().map(|s| (s.url.clone(), !s.was_down())).collect()
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
        hasher.update([u8::from(request.prove)]);
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
            Ok(InferenceOutput::new(Bytes::from_static(b"ok"), 1))
        }
    }

    #[test]
    fn simulated_calls_beyond_the_running_and_waiting_limits_are_refused() {
        let gate = Arc::new(Gate::default());
        let limited = Arc::new(LimitedBackend::new(gate.clone(), 1, 1));
        let request = InferenceRequest {
            model: B256::ZERO,
            kind: ModelKind::Embedding,
            input: Bytes::new(),
            max_units: 1,
            operator: None,
            prove: false,
        };
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
            Ok(InferenceOutput::new(request.input.clone(), n as u64))
        }
    }

    fn request(input: &'static [u8]) -> InferenceRequest {
        InferenceRequest {
            model: B256::ZERO,
            kind: ModelKind::Generation,
            input: Bytes::from_static(input),
            max_units: 4,
            operator: None,
            prove: false,
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

    /// How a [`TestServer`] behaves.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Mode {
        Answers,
        /// Accepts the connection and closes it unanswered, like a process killed mid-call.
        Drops,
        /// Accepts and never answers.
        Hangs,
    }

    /// A minimal HTTP JSON-RPC inference server on a free port (one module's unit test: a stand-in).
    struct TestServer {
        url: String,
        mode: Arc<Mutex<Mode>>,
        infers: Arc<AtomicU32>,
        probes: Arc<AtomicU32>,
    }

    impl TestServer {
        fn start(mode: Mode) -> Self {
            Self::serving(mode, None)
        }

        /// A server that answers `bai_operator` with `operator` (`None`: it has no such method).
        fn serving(mode: Mode, operator: Option<Address>) -> Self {
            use std::io::{BufRead, BufReader, Read, Write};
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let (mode, infers, probes) =
                (Arc::new(Mutex::new(mode)), Arc::<AtomicU32>::default(), Arc::<AtomicU32>::default());
            let (m, i, p) = (mode.clone(), infers.clone(), probes.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(mut stream) = stream else { continue };
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut length = 0;
                    let mut line = String::new();
                    while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap();
                        }
                        line.clear();
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        continue;
                    }
                    let health = String::from_utf8_lossy(&body).contains("bai_health");
                    let asks_operator = String::from_utf8_lossy(&body).contains("bai_operator");
                    let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                    match *m.lock() {
                        Mode::Drops => continue,
                        Mode::Hangs => {
                            std::thread::sleep(Duration::from_secs(3));
                            continue;
                        }
                        Mode::Answers => {}
                    }
                    let reply = if asks_operator {
                        match operator {
                            Some(address) => serde_json::json!({"jsonrpc": "2.0", "id": 1, "result": address}),
                            None => serde_json::json!({"jsonrpc": "2.0", "id": 1,
                                "error": {"code": -32601, "message": "Method not found"}}),
                        }
                    } else if request["method"] == "bai_prove" {
                        // Echoes the features it was sent as the scores, with a fixed proof.
                        let scores = request["params"][1].clone();
                        serde_json::json!({"jsonrpc": "2.0", "id": 1, "result":
                            {"label": 1, "scores": scores, "units": 4, "proof": "0xabcd", "commitment": B256::ZERO}})
                    } else if health {
                        p.fetch_add(1, Ordering::SeqCst);
                        serde_json::json!({"jsonrpc": "2.0", "id": 1, "result": "ok"})
                    } else {
                        i.fetch_add(1, Ordering::SeqCst);
                        serde_json::json!({"jsonrpc": "2.0", "id": 1, "result": {"output": "0x6f6b", "units": 1}})
                    }
                    .to_string();
                    let _ = write!(
                        stream,
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                        reply.len()
                    );
                }
            });
            Self { url, mode, infers, probes }
        }
    }

    #[test]
    fn a_proof_is_asked_with_bai_prove_and_comes_back_with_the_scores() {
        let server = TestServer::start(Mode::Answers);
        let backend = RemoteBackend::new(vec![server.url.clone()], Duration::from_secs(5));
        let request = InferenceRequest {
            kind: ModelKind::Generic,
            input: crate::tensor_io::encode_features(&[3, 7]),
            prove: true,
            ..request(b"")
        };
        let out = backend.run(&request).unwrap();
        assert_eq!(out.output, crate::tensor_io::encode_scores(1, &[3, 7]), "the features reached bai_prove");
        assert_eq!(out.proof, Some(Bytes::from_static(&[0xab, 0xcd])));
        assert_eq!(server.infers.load(Ordering::SeqCst), 0, "bai_infer was not asked");
        // A proven request whose input is not features is refused before any server is asked.
        let bad = InferenceRequest { input: Bytes::from_static(b"xx"), ..request };
        assert!(matches!(backend.run(&bad), Err(BackendError::InvalidInput(_))));
    }

    #[test]
    fn a_dead_server_leaves_the_rotation_after_one_failure_and_is_probed_back() {
        let (a, b) = (TestServer::start(Mode::Drops), TestServer::start(Mode::Answers));
        let pool = RemoteBackend::new(vec![a.url.clone(), b.url.clone()], Duration::from_secs(2));
        // Every call is answered although the first server is dead: the first call fails over to the second.
        for _ in 0..6 {
            assert_eq!(pool.run(&request(b"x")).unwrap().output, Bytes::from_static(b"ok"));
        }
        assert_eq!(b.infers.load(Ordering::SeqCst), 6);
        assert_eq!(pool.rotation(), vec![(a.url.clone(), false), (b.url.clone(), true)]);
        // Out of rotation, the dead server is not asked again while its backoff lasts.
        *a.mode.lock() = Mode::Answers;
        for _ in 0..4 {
            pool.run(&request(b"x")).unwrap();
        }
        assert_eq!(
            (a.infers.load(Ordering::SeqCst), a.probes.load(Ordering::SeqCst)),
            (0, 0),
            "not asked during its backoff"
        );
        // After the backoff it is probed (bai_health) and, healthy, gets calls again.
        std::thread::sleep(BACKOFF_FIRST + Duration::from_millis(100));
        for _ in 0..4 {
            pool.run(&request(b"x")).unwrap();
        }
        assert_eq!(a.probes.load(Ordering::SeqCst), 1, "probed once");
        assert!(a.infers.load(Ordering::SeqCst) >= 1, "back in rotation");
        assert_eq!(pool.rotation(), vec![(a.url, true), (b.url, true)]);
    }

    #[test]
    fn a_hung_server_costs_one_deadline_then_leaves_the_rotation() {
        let (a, b) = (TestServer::start(Mode::Hangs), TestServer::start(Mode::Answers));
        let timeout = Duration::from_millis(400);
        let pool = RemoteBackend::new(vec![a.url.clone(), b.url.clone()], timeout);
        let started = Instant::now();
        // The first call goes to the hung server and uses up its whole deadline: one deadline, not one per server.
        assert!(matches!(pool.run(&request(b"x")), Err(BackendError::Timeout(_))));
        assert!(started.elapsed() < timeout * 2, "bounded by the call's deadline: {:?}", started.elapsed());
        // From then on the calls go to the healthy server at once.
        let started = Instant::now();
        for _ in 0..5 {
            pool.run(&request(b"x")).unwrap();
        }
        assert!(started.elapsed() < timeout, "no call waited for the hung server: {:?}", started.elapsed());
        assert_eq!(b.infers.load(Ordering::SeqCst), 5);
        assert_eq!(pool.rotation()[0], (a.url, false));
    }

    /// Routing follows the registry: a model's calls go to its registered operator's servers, then to servers
    /// that declare no operator, never to another operator's; a pool with no server for the operator says so.
    #[test]
    fn calls_go_to_the_registered_operators_servers_never_to_another_operators() {
        let (x, y) = (Address::repeat_byte(0x11), Address::repeat_byte(0x22));
        let (of_x, of_y, unbound) = (
            TestServer::serving(Mode::Answers, Some(x)),
            TestServer::serving(Mode::Answers, Some(y)),
            TestServer::serving(Mode::Answers, None),
        );
        let pool =
            RemoteBackend::new(vec![of_y.url.clone(), unbound.url.clone(), of_x.url.clone()], Duration::from_secs(2));
        let for_x = InferenceRequest { operator: Some(x), ..request(b"x") };
        for _ in 0..5 {
            pool.run(&for_x).unwrap();
        }
        let count = |s: &TestServer| s.infers.load(Ordering::SeqCst);
        assert_eq!((count(&of_x), count(&of_y), count(&unbound)), (5, 0, 0), "x's own server first");
        // x's server dies: the unbound one answers, y's never does.
        *of_x.mode.lock() = Mode::Drops;
        for _ in 0..3 {
            pool.run(&for_x).unwrap();
        }
        assert_eq!((count(&of_y), count(&unbound)), (0, 3));
        // A model with no operator named may go anywhere.
        for _ in 0..6 {
            pool.run(&request(b"y")).unwrap();
        }
        assert!(count(&of_y) > 0, "y's server serves models without an operator");
        // Only another operator's server in the pool: refused with the reason, nothing sent.
        let before = count(&of_y);
        let strict = RemoteBackend::new(vec![of_y.url.clone()], Duration::from_secs(2));
        let error = strict.run(&for_x).unwrap_err();
        assert!(error.to_string().contains(&format!("operator {x}")), "{error}");
        assert_eq!(count(&of_y), before);
        // x's only server is dead and y's is up: still not asked, and the error says why.
        let pool = RemoteBackend::new(vec![of_x.url, of_y.url.clone()], Duration::from_secs(2));
        let error = pool.run(&for_x).unwrap_err();
        assert!(error.to_string().contains(&format!("other operators than {x} and were not asked")), "{error}");
        assert_eq!(count(&of_y), before);
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
