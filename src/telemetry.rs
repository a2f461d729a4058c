//! The tracing subscriber: pretty for people, JSON for log collectors; level from `RUST_LOG`.
//! Also the request span (`RequestSpan`), which records what is safe to log about a request, and
//! the request's id (`RequestId`).

use crate::config::LogFormat;
use crate::net::{TrustedProxies, client_ip};
use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{HttpMessage, web};
use std::sync::Arc;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Caps on dependencies whose `trace`/`debug` output is wire-level (connection pools, frames,
/// TLS records, raw header maps): noise at best, and a place where a token could surface in
/// some future version. Put before a `RUST_LOG` of `trace` or `debug`, so that means *our* trace;
/// a directive naming one of these targets in `RUST_LOG` still wins (it comes later).
pub const DEPENDENCY_CAPS: &[&str] = &[
    "hyper=info",
    "hyper_util=info",
    "reqwest=info",
    "h2=info",
    "rustls=info",
    "actix_http=info",
    "actix_server=info",
    "mio=info",
    "tokio_util=info",
];

/// The filter: `RUST_LOG` (or `default_filter`), preceded by the caps when it turns on `debug`
/// or `trace` for every target (caps only ever lower a level: `RUST_LOG=warn` stays warn).
pub fn filter(rust_log: Option<&str>, default_filter: &str) -> EnvFilter {
    let wanted = rust_log
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(default_filter);
    let verbose_everywhere = wanted.split(',').map(str::trim).any(|d| {
        !d.contains('=') && (d.eq_ignore_ascii_case("trace") || d.eq_ignore_ascii_case("debug"))
    });
    let directives = if verbose_everywhere {
        format!("{},{wanted}", DEPENDENCY_CAPS.join(","))
    } else {
        wanted.to_string()
    };
    EnvFilter::try_new(&directives).unwrap_or_else(|_| {
        EnvFilter::try_new(default_filter).unwrap_or_else(|_| EnvFilter::new("info"))
    })
}

/// Installs the global subscriber (once; later calls are ignored, as in tests).
pub fn init<W>(format: LogFormat, default_filter: &str, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let rust_log = std::env::var("RUST_LOG").ok();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter(rust_log.as_deref(), default_filter))
        .with_writer(writer)
        .with_target(false);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

/// The route pattern the request matched (`None`: no route), found once per request by the
/// request span and read by `metrics::track`.
#[derive(Debug, Clone)]
pub struct MatchedRoute(pub Option<String>);

/// The id of a request, in the logs, the `X-Request-Id` answer header and error pages: the
/// `X-Request-Id` a trusted proxy sent (so one id follows the request through the proxy's logs
/// and ours), or a fresh UUID.
#[derive(Debug, Clone)]
pub struct RequestId(pub Arc<str>);

/// The longest incoming `X-Request-Id` reused.
pub const MAX_REQUEST_ID: usize = 64;

/// An id we may put in logs and headers as it is: 1 to 64 of `A-Z a-z 0-9 . _ -`.
fn is_safe_request_id(v: &str) -> bool {
    (1..=MAX_REQUEST_ID).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The incoming `X-Request-Id`, only when the peer itself is a trusted proxy (anyone else could
/// choose the id of their requests in our logs) and the value is safe; else tracing-actix-web's
/// fresh one.
fn request_id(req: &ServiceRequest, trusted: &[std::net::IpAddr]) -> RequestId {
    let from_proxy = req.peer_addr().is_some_and(|a| trusted.contains(&a.ip()));
    let incoming = from_proxy
        .then(|| req.headers().get("x-request-id"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_safe_request_id(v));
    match incoming {
        Some(v) => RequestId(v.into()),
        None => RequestId(
            req.extensions()
                .get::<tracing_actix_web::RequestId>()
                .map(ToString::to_string)
                .unwrap_or_default()
                .into(),
        ),
    }
}

/// The root span of every request. Unlike tracing-actix-web's default it records the path
/// without the query (the callback's query holds the authorization code and state) and the
/// client IP by our `TRUSTED_PROXIES` rule (the default believes any `X-Forwarded-For`).
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(req: &ServiceRequest) -> Span {
        let trusted = req
            .app_data::<web::Data<TrustedProxies>>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let ip = client_ip(req.request(), &trusted)
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        // Matching the route again is a regex walk over the routing table: done once here, and
        // the metrics middleware reads the result instead of matching a second time.
        let pattern = req.match_pattern();
        let route = pattern.as_deref().unwrap_or("default").to_string();
        req.extensions_mut().insert(MatchedRoute(pattern));
        let request_id = request_id(req, &trusted);
        let span = tracing::info_span!(
            "HTTP request",
            http.method = %req.method(),
            http.route = %route,
            http.target = %req.path(),
            http.client_ip = %ip,
            http.status_code = tracing::field::Empty,
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            request_id = %request_id.0,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        );
        req.extensions_mut().insert(request_id);
        span
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_caps_come_with_a_global_trace_or_debug() {
        let f = filter(Some("trace"), "info").to_string();
        assert!(
            f.contains("hyper=info") && f.contains("reqwest=info"),
            "{f}"
        );
        assert!(f.contains("trace"), "{f}");
        let f = filter(Some("signin=debug,DEBUG"), "info").to_string();
        assert!(f.contains("h2=info"), "{f}");
    }

    #[test]
    fn caps_never_raise_a_quieter_level() {
        let f = filter(Some("warn"), "info").to_string();
        assert!(!f.contains("actix_server=info"), "{f}");
        let f = filter(None, "info").to_string();
        assert!(!f.contains("hyper"), "{f}");
    }

    #[test]
    fn only_plain_short_request_ids_are_safe() {
        for ok in [
            "a",
            "req-1.2_3",
            &"x".repeat(64),
            "0f8e2c1d-aaaa-4bbb-8ccc-123456789abc",
        ] {
            assert!(is_safe_request_id(ok), "{ok}");
        }
        for bad in [
            "",
            &"x".repeat(65),
            "a b",
            "a\nb",
            "id;drop",
            "é",
            "<script>",
            "a/b",
        ] {
            assert!(!is_safe_request_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_bad_rust_log_falls_back_to_the_default() {
        let f = filter(Some("=[[bad"), "warn").to_string();
        assert_eq!(f, "warn");
    }
}
