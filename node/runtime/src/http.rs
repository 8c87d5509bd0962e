//! Outbound HTTP with deadlines: every L1, L2 and beacon client of the node is built here, so none
//! waits forever on an endpoint that accepts the connection and then hangs (reqwest's default has
//! no timeout at all). A hung call then fails as a temporary error, the polling loop retries it with
//! backoff, and shutdown is never stuck behind it.

use alloy::transports::http::reqwest::{self, Url};
use std::time::Duration;

/// Time to establish a TCP (and TLS) connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time for a whole request, response included. Generous for `eth_getLogs` over a wide L1 range or a
/// blob sidecar; a healthy endpoint answers in milliseconds.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A reqwest client with [`CONNECT_TIMEOUT`] and [`REQUEST_TIMEOUT`] (what alloy's
/// `ProviderBuilder::connect_reqwest` and the blob fetcher take).
pub fn http_client() -> reqwest::Client {
    http_client_with(CONNECT_TIMEOUT, REQUEST_TIMEOUT)
}

/// [`http_client`] with other deadlines (tests, tools with a known slow endpoint).
pub fn http_client_with(connect: Duration, request: Duration) -> reqwest::Client {
    // Building only fails when the TLS backend cannot initialise: nothing to recover from.
    reqwest::Client::builder().connect_timeout(connect).timeout(request).build().expect("the HTTP client builds")
}

/// How often one L1 call is retried after a transient failure before its caller sees the error.
pub const L1_CALL_RETRIES: u32 = 3;
/// Wait before each of those retries, in milliseconds.
pub const L1_RETRY_BACKOFF_MS: u64 = 200;

/// A JSON-RPC client (for L1, or a peer node) with [`http_client`]'s deadlines that retries a call that failed in a
/// way that goes away ([`TransientL1Errors`]) a few times before giving up. A service's step makes
/// a dozen L1 calls; without this one dropped call anywhere fails the whole step, and a provider
/// that drops one call in ten keeps a batcher from ever posting.
pub fn retrying_client(url: Url) -> alloy::rpc::client::RpcClient {
    let retry = alloy::transports::layers::RetryBackoffLayer::new_with_policy(
        L1_CALL_RETRIES,
        L1_RETRY_BACKOFF_MS,
        u64::MAX, // no compute-unit budget: the operator's own node, or a provider that says 429
        TransientL1Errors,
    );
    alloy::rpc::client::ClientBuilder::default().layer(retry).http_with_client(http_client(), url)
}

/// The L1 failures worth retrying at once: what alloy retries by default (rate limits, HTTP 5xx),
/// a JSON-RPC internal error (-32603, what a node behind a load balancer answers when a backend
/// hiccups) and a refused or reset connection. Not timeouts (the call already waited
/// [`REQUEST_TIMEOUT`]) and not the errors a node answers on purpose (nonce too low, reverts): those
/// are the caller's to handle. Every call the services make is safe to repeat; re-sending a signed
/// transaction at worst gets "already known".
#[derive(Debug, Clone, Copy, Default)]
pub struct TransientL1Errors;

impl alloy::transports::layers::RetryPolicy for TransientL1Errors {
    fn should_retry(&self, error: &alloy::transports::TransportError) -> bool {
        use alloy::transports::{RpcError, TransportErrorKind, layers::RateLimitRetryPolicy};
        if RateLimitRetryPolicy::default().should_retry(error) {
            return true;
        }
        match error {
            RpcError::ErrorResp(payload) => payload.code == -32603,
            RpcError::Transport(TransportErrorKind::Custom(inner)) => inner
                .downcast_ref::<reqwest::Error>()
                .is_some_and(|e| e.is_connect() || (e.is_request() && !e.is_timeout())),
            _ => false,
        }
    }

    fn backoff_hint(&self, error: &alloy::transports::TransportError) -> Option<Duration> {
        alloy::transports::layers::RateLimitRetryPolicy::default().backoff_hint(error)
    }
}

/// Parses an endpoint URL (`http://…` or `https://…`).
pub fn endpoint(url: &str) -> Result<Url, BadUrl> {
    url.parse().map_err(|_| BadUrl(url.to_string()))
}

/// An endpoint URL that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid endpoint URL {0:?}")]
pub struct BadUrl(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that accepts connections and never answers: the call fails at the deadline.
    #[tokio::test]
    async fn a_hung_endpoint_fails_at_the_request_deadline() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let _held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                open.push(socket); // keep it open, never reply
            }
        });
        let client = http_client_with(Duration::from_secs(1), Duration::from_millis(300));
        let started = std::time::Instant::now();
        let error = client.post(format!("http://{addr}")).body("{}").send().await.unwrap_err();
        assert!(error.is_timeout(), "{error}");
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
        assert_eq!(endpoint("not a url"), Err(BadUrl("not a url".into())));
    }

    /// An L1 that fails every other call with an internal error: each call succeeds after one retry.
    /// An error the node means (-32000, as for "nonce too low") comes back at once, not retried.
    #[tokio::test]
    async fn l1_calls_retry_transient_errors_and_only_those() {
        use alloy::providers::{Provider, ProviderBuilder};
        use jsonrpsee::{RpcModule, server::Server, types::ErrorObjectOwned};
        use std::sync::{
            Arc,
            atomic::{AtomicU64, Ordering},
        };
        let calls = Arc::new(AtomicU64::new(0));
        let mut module = RpcModule::new(calls.clone());
        module
            .register_method("eth_blockNumber", |_, calls, _| {
                if calls.fetch_add(1, Ordering::SeqCst) % 2 == 0 {
                    Err(ErrorObjectOwned::owned(-32603, "backend hiccup", None::<()>))
                } else {
                    Ok("0x2a")
                }
            })
            .unwrap();
        module
            .register_method("eth_chainId", |_, calls, _| {
                calls.fetch_add(1, Ordering::SeqCst);
                Err::<(), _>(ErrorObjectOwned::owned(-32000, "meant", None::<()>))
            })
            .unwrap();
        let server = Server::builder().build("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", server.local_addr().unwrap());
        let _handle = server.start(module);
        let l1 = ProviderBuilder::new().connect_client(retrying_client(url.parse().unwrap()));
        for round in 1..=3 {
            assert_eq!(l1.get_block_number().await.unwrap(), 42);
            assert_eq!(calls.load(Ordering::SeqCst), 2 * round);
        }
        let before = calls.load(Ordering::SeqCst);
        let error = l1.get_chain_id().await.unwrap_err();
        assert_eq!(error.as_error_resp().map(|payload| payload.code), Some(-32000), "{error}");
        assert_eq!(calls.load(Ordering::SeqCst), before + 1, "a deliberate error was retried");
    }
}
