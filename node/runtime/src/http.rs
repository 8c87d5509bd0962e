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
}
