//! What every provider client's HTTP calls share: a client with a timeout, no redirects and no
//! pooled connections, and JSON answers read to at most `MAX_BODY` bytes.

use super::{MAX_BODY, ProviderError};
use serde_json::Value;
use std::time::Duration;

pub(super) fn from_reqwest(e: reqwest::Error) -> ProviderError {
    // The cause chain says why (refused, reset, closed); the URL is configuration, not news.
    let e = e.without_url();
    let mut cause = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        cause.push_str(": ");
        cause.push_str(&s.to_string());
        source = s.source();
    }
    tracing::warn!(%cause, "provider call failed");
    if e.is_timeout() {
        ProviderError::Timeout
    } else {
        ProviderError::Unreachable
    }
}

/// The HTTP client of one provider.
pub(super) fn client(timeout: Duration) -> Result<reqwest::Client, ProviderError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("signin/", env!("CARGO_PKG_VERSION")))
        // No pooled connections, for two faults seen under load (bench/soak.sh and
        // bench/sigterm.sh): a pooled connection lives on the runtime of the actix worker
        // that opened it, so when that worker stops first at shutdown the other workers'
        // in-flight sign-ins fail ("runtime dropped the dispatch task"); and a request
        // written into an idle connection the provider is closing fails ("connection closed
        // before message completed"). A sign-in makes two or three calls, so a fresh
        // connection each (a TLS handshake with the provider) is a small price.
        .pool_max_idle_per_host(0)
        .build()
        .map_err(|_| ProviderError::BadResponse("cannot build the HTTP client"))
}

/// The status and JSON body of an answer, read to at most `MAX_BODY` bytes.
pub(super) async fn read_json(resp: reqwest::Response) -> Result<(u16, Value), ProviderError> {
    let status = resp.status().as_u16();
    if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
        return Err(ProviderError::BadResponse("response too large"));
    }
    let mut resp = resp;
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(from_reqwest)? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(ProviderError::BadResponse("response too large"));
        }
        body.extend_from_slice(&chunk);
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(v) => Ok((status, v)),
        Err(_) if !(200..300).contains(&status) => Err(ProviderError::Status {
            status,
            error: "non-JSON error".into(),
        }),
        Err(_) => Err(ProviderError::BadResponse("not JSON")),
    }
}

/// Sends `req` asking for JSON and reads the answer; a non-2xx answer is a
/// `ProviderError::Status` whose `error` is `refused(body)`.
pub(super) async fn call_json(
    req: reqwest::RequestBuilder,
    refused: impl FnOnce(&Value) -> String,
) -> Result<Value, ProviderError> {
    let resp = req
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(from_reqwest)?;
    let (status, v) = read_json(resp).await?;
    if !(200..300).contains(&status) {
        return Err(ProviderError::Status {
            status,
            error: refused(&v),
        });
    }
    Ok(v)
}

/// The OAuth `error` code of a refusal (RFC 6749 §5.2), cut to printable ASCII.
pub(super) fn oauth_error(v: &Value) -> String {
    v["error"]
        .as_str()
        .unwrap_or("unknown")
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(64)
        .collect()
}
