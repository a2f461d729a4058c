//! Prometheus metrics: a small hand-written registry (atomics, no global state) fed by one
//! middleware, and `GET /metrics` in the Prometheus text format. Request counts and latency
//! histograms by method, route pattern and status; sign-ins by outcome and reason; active
//! sessions (counted in the database at most every few seconds); the connection pool; running
//! exports and the rows they sent; the build and the standard process series (`process.rs`).
//!
//! Names follow the Prometheus conventions: every series of the application carries the
//! `signin_` prefix, counters end in `_total`, units are spelled in the name (`_seconds`,
//! `_bytes`); the `process_*` series keep their standard names so that stock dashboards work.

mod process;

use crate::cache::TtlCache;
use crate::db::{self, DbPool};
use crate::export;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Upper bounds (seconds) of the latency buckets: sub-millisecond page views up to slow sign-ins.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// The active-sessions count is a database query: at most one per this interval.
const ACTIVE_SESSIONS_EVERY: chrono::Duration = chrono::Duration::seconds(5);
/// Requests that matched no route share one label, so that scanners cannot grow the registry.
const UNMATCHED: &str = "unmatched";

/// How a sign-in callback ended, left in the request's extensions by its handler: `success`,
/// `refused` (the person's or the request's fault, 4xx) or `error` (ours or the provider's,
/// 5xx), with the refusal's reason.
#[derive(Debug, Clone, Copy)]
pub struct SignInOutcome {
    outcome: &'static str,
    reason: &'static str,
}

impl SignInOutcome {
    pub fn success() -> Self {
        Self {
            outcome: "success",
            reason: "none",
        }
    }

    pub fn failed(server_error: bool, reason: &'static str) -> Self {
        Self {
            outcome: if server_error { "error" } else { "refused" },
            reason,
        }
    }
}

#[derive(Default)]
struct Series {
    count: AtomicU64,
    sum_micros: AtomicU64,
    buckets: [AtomicU64; BUCKETS.len()],
}

impl Series {
    fn observe(&self, elapsed: Duration) {
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
        let secs = elapsed.as_secs_f64();
        // Buckets are stored non-cumulatively (one add per request) and summed at scrape time.
        if let Some(i) = BUCKETS.iter().position(|le| secs <= *le) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
    }
}

type RouteKey = (&'static str, String, u16);

/// The method as a label: one of the standard nine, or `_OTHER`, so that made-up methods sent
/// by strangers cannot add series.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::CONNECT => "CONNECT",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::PATCH => "PATCH",
        _ => "_OTHER",
    }
}

/// The registry of one application instance.
pub struct Metrics {
    requests: RwLock<HashMap<RouteKey, Arc<Series>>>,
    /// Requests whose handling was dropped before an answer (cut by the shutdown timeout, or
    /// dropped by the server for another reason; actix keeps running a handler whose client
    /// went away, so that is rarely one): what a graceful shutdown must keep at zero.
    abandoned: AtomicU64,
    /// Requests begun and requests answered: after the server has stopped, the difference is
    /// exactly the requests it never answered, whenever their futures get dropped.
    started: AtomicU64,
    answered: AtomicU64,
    sign_ins: Mutex<HashMap<(&'static str, &'static str), u64>>,
    active_sessions: TtlCache<(), i64>,
    /// Running exports and the rows they sent, kept by the exports themselves.
    exports: Arc<export::Tally>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

crate::debug_shows!(Metrics, |_s| {});

impl Metrics {
    pub fn new() -> Self {
        Self {
            requests: RwLock::new(HashMap::new()),
            abandoned: AtomicU64::new(0),
            started: AtomicU64::new(0),
            answered: AtomicU64::new(0),
            sign_ins: Mutex::new(HashMap::new()),
            active_sessions: TtlCache::new("active sessions", 1, ACTIVE_SESSIONS_EVERY),
            exports: Arc::default(),
        }
    }

    /// What an export counts itself in.
    pub fn exports(&self) -> Arc<export::Tally> {
        self.exports.clone()
    }

    /// Records one answered request; the common case takes a read lock and three atomic adds.
    pub fn observe_request(&self, method: &Method, route: String, status: u16, took: Duration) {
        let key = (method_label(method), route, status);
        if let Ok(map) = self.requests.read()
            && let Some(s) = map.get(&key)
        {
            s.observe(took);
            return;
        }
        if let Ok(mut map) = self.requests.write() {
            map.entry(key).or_default().observe(took);
        }
    }

    /// Requests dropped before their answer since start.
    pub fn abandoned(&self) -> u64 {
        self.abandoned.load(Ordering::Relaxed)
    }

    /// Requests begun but not answered. Exact once the server has stopped (the stop line);
    /// while it runs it also counts the requests in flight.
    pub fn unanswered(&self) -> u64 {
        let answered = self.answered.load(Ordering::SeqCst);
        self.started.load(Ordering::SeqCst).saturating_sub(answered)
    }

    /// Records how a sign-in callback ended: `success`, `refused` (the person's or the
    /// request's fault, 4xx) or `error` (ours or the provider's, 5xx), with the error code.
    pub fn observe_sign_in(&self, outcome: &'static str, reason: &'static str) {
        if let Ok(mut m) = self.sign_ins.lock() {
            *m.entry((outcome, reason)).or_default() += 1;
        }
    }

    async fn active_sessions(&self, state: &AppState) -> Option<i64> {
        let now = state.now();
        if let Some(n) = self.active_sessions.get(&(), now) {
            return Some(n);
        }
        match db::run(&state.pool, move |c| db::sessions::count_active(c, now)).await {
            Ok(n) => {
                self.active_sessions.insert((), n, now);
                Some(n)
            }
            Err(e) => {
                tracing::warn!(error = %e, "metrics: cannot count active sessions");
                None
            }
        }
    }

    /// The exposition, in the Prometheus text format 0.0.4.
    pub fn render(&self, pool: &DbPool, active_sessions: Option<i64>) -> String {
        let mut out = String::with_capacity(8 * 1024);
        self.render_requests(&mut out);
        self.render_sign_ins(&mut out);
        self.render_exports(&mut out);
        out.push_str("# HELP signin_http_requests_abandoned_total Requests dropped before their answer (cut by a shutdown, or dropped by the server).\n# TYPE signin_http_requests_abandoned_total counter\n");
        let _ = writeln!(
            out,
            "signin_http_requests_abandoned_total {}",
            self.abandoned()
        );
        if let Some(n) = active_sessions {
            out.push_str("# HELP signin_sessions_active Unrevoked, unexpired sessions (browser and API), counted at most every 5 s.\n# TYPE signin_sessions_active gauge\n");
            let _ = writeln!(out, "signin_sessions_active {n}");
        }
        let state = pool.state();
        let in_use = state.connections.saturating_sub(state.idle_connections);
        out.push_str("# HELP signin_db_pool_connections Pooled database connections by state.\n# TYPE signin_db_pool_connections gauge\n");
        let _ = writeln!(
            out,
            "signin_db_pool_connections{{state=\"in_use\"}} {in_use}"
        );
        let _ = writeln!(
            out,
            "signin_db_pool_connections{{state=\"idle\"}} {}",
            state.idle_connections
        );
        out.push_str("# HELP signin_db_pool_max_connections The pool's size limit.\n# TYPE signin_db_pool_max_connections gauge\n");
        let _ = writeln!(out, "signin_db_pool_max_connections {}", pool.max_size());
        out.push_str("# HELP signin_db_pool_waiting Queries waiting for a pooled connection.\n# TYPE signin_db_pool_waiting gauge\n");
        let _ = writeln!(
            out,
            "signin_db_pool_waiting {}",
            db::waiting_for_connection()
        );
        process::render_build_info(&mut out);
        process::ProcessStats::read().render(&mut out);
        out
    }

    fn render_requests(&self, out: &mut String) {
        let Ok(map) = self.requests.read() else {
            return;
        };
        let mut series: Vec<(&RouteKey, &Arc<Series>)> = map.iter().collect();
        series.sort_by(|a, b| (a.0.1.as_str(), a.0.0, a.0.2).cmp(&(b.0.1.as_str(), b.0.0, b.0.2)));
        out.push_str("# HELP signin_http_requests_total Answered HTTP requests by method, route pattern and status.\n# TYPE signin_http_requests_total counter\n");
        for ((method, route, status), s) in &series {
            let _ = writeln!(
                out,
                "signin_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {}",
                escape(route),
                s.count.load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP signin_http_request_duration_seconds Time to answer, by method, route pattern and status.\n# TYPE signin_http_request_duration_seconds histogram\n");
        for ((method, route, status), s) in &series {
            let labels = format!(
                "method=\"{method}\",route=\"{}\",status=\"{status}\"",
                escape(route)
            );
            let mut cumulative = 0;
            for (le, b) in BUCKETS.iter().zip(&s.buckets) {
                cumulative += b.load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "signin_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {cumulative}"
                );
            }
            let count = s.count.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "signin_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"
            );
            let sum = s.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(
                out,
                "signin_http_request_duration_seconds_sum{{{labels}}} {sum}"
            );
            let _ = writeln!(
                out,
                "signin_http_request_duration_seconds_count{{{labels}}} {count}"
            );
        }
    }

    fn render_sign_ins(&self, out: &mut String) {
        out.push_str("# HELP signin_sign_ins_total Completed sign-in callbacks by outcome (success, refused, error) and reason.\n# TYPE signin_sign_ins_total counter\n");
        let Ok(m) = self.sign_ins.lock() else { return };
        let mut rows: Vec<_> = m.iter().collect();
        rows.sort();
        for ((outcome, reason), n) in rows {
            let _ = writeln!(
                out,
                "signin_sign_ins_total{{outcome=\"{outcome}\",reason=\"{}\"}} {n}",
                escape(reason)
            );
        }
    }
}

impl Metrics {
    fn render_exports(&self, out: &mut String) {
        out.push_str("# HELP signin_exports_active Exports (CSV downloads) being streamed now.\n# TYPE signin_exports_active gauge\n");
        let _ = writeln!(out, "signin_exports_active {}", self.exports.active());
        out.push_str("# HELP signin_export_rows_total Rows sent by exports, by export (users, audit).\n# TYPE signin_export_rows_total counter\n");
        for kind in [export::Kind::Audit, export::Kind::Users] {
            let _ = writeln!(
                out,
                "signin_export_rows_total{{export=\"{}\"}} {}",
                kind.as_str(),
                self.exports.rows(kind)
            );
        }
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The middleware on the whole app (outermost, so that the final status and the whole time
/// count); the error code comes from `render_errors` through the request's extensions.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let Some(metrics) = req.app_data::<web::Data<Metrics>>().cloned() else {
        return next.call(req).await;
    };
    let started = Instant::now();
    let method = req.method().clone();
    metrics.started.fetch_add(1, Ordering::SeqCst);
    let mut pending = Pending {
        metrics: &metrics,
        answered: false,
    };
    let res = next.call(req).await;
    pending.answered = true;
    metrics.answered.fetch_add(1, Ordering::SeqCst);
    let res = res?;
    let status = res.status();
    let matched = res
        .request()
        .extensions()
        .get::<crate::telemetry::MatchedRoute>()
        .map(|m| m.0.clone());
    // Only a pattern of the route table (a finite set), never the path as sent.
    let route = matched
        .unwrap_or_else(|| res.request().match_pattern())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| UNMATCHED.to_string());
    let sign_in = res.request().extensions().get::<SignInOutcome>().copied();
    if let Some(o) = sign_in {
        metrics.observe_sign_in(o.outcome, o.reason);
    }
    metrics.observe_request(&method, route, status.as_u16(), started.elapsed());
    Ok(res)
}

/// Counts the request as abandoned if its future is dropped before the answer.
struct Pending<'a> {
    metrics: &'a Metrics,
    answered: bool,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if !self.answered {
            self.metrics.abandoned.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// `GET /metrics`: for the scraper on the private network (keep it off the public proxy).
pub async fn scrape(metrics: web::Data<Metrics>, state: web::Data<AppState>) -> HttpResponse {
    let active = metrics.active_sessions(&state).await;
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(metrics.render(&state.pool, active))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_methods_share_one_label() {
        let m = Metrics::new();
        for raw in ["FOO1", "FOO2", "BREW", "get"] {
            let method = Method::from_bytes(raw.as_bytes()).unwrap();
            m.observe_request(&method, "/".into(), 405, Duration::from_micros(10));
        }
        m.observe_request(&Method::PATCH, "/".into(), 405, Duration::from_micros(10));
        assert_eq!(m.requests.read().unwrap().len(), 2);
    }

    #[test]
    fn buckets_are_cumulative_and_escaped() {
        let m = Metrics::new();
        m.observe_request(
            &Method::GET,
            "/a\"b".into(),
            200,
            Duration::from_micros(300),
        );
        m.observe_request(&Method::GET, "/a\"b".into(), 200, Duration::from_millis(30));
        m.observe_request(&Method::GET, "/a\"b".into(), 200, Duration::from_secs(60));
        let mut out = String::new();
        m.render_requests(&mut out);
        assert!(
            out.contains(
                r#"signin_http_requests_total{method="GET",route="/a\"b",status="200"} 3"#
            ),
            "{out}"
        );
        assert!(out.contains(r#"le="0.0005"} 1"#), "{out}");
        assert!(out.contains(r#"le="0.05"} 2"#), "{out}");
        assert!(out.contains(r#"le="10"} 2"#), "{out}");
        assert!(out.contains(r#"le="+Inf"} 3"#), "{out}");
    }
}
