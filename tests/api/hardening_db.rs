//! Database faults: the database cut mid-run through a proxy the test controls, pool
//! exhaustion, and a sign-in interrupted between consent and callback.

use crate::both_backends;
use crate::helpers::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `DATABASE_POOL_TIMEOUT` in these tests: every fault must be answered within this + 2 s.
const POOL_TIMEOUT_SECS: u64 = 1;
const ANSWER_WITHIN: Duration = Duration::from_secs(POOL_TIMEOUT_SECS + 2);

/// A PostgreSQL app whose database connections all go through a proxy the test can cut.
async fn spawn_behind_proxy(extra: Vec<(&'static str, String)>) -> Option<(TestApp, DbProxy)> {
    if !postgres_available() {
        return None;
    }
    let db = Arc::new(TestDb::new(Backend::Postgres));
    let real = url::Url::parse(&db.url).unwrap();
    let upstream = format!(
        "{}:{}",
        real.host_str().unwrap(),
        real.port().unwrap_or(5432)
    );
    let proxy = DbProxy::start(upstream).await;
    let mut env = vec![
        ("DATABASE_URL", proxy.url_for(&db.url)),
        ("DATABASE_POOL_TIMEOUT", format!("{POOL_TIMEOUT_SECS}s")),
    ];
    env.extend(extra);
    let app = TestApp::spawn_with(
        Backend::Postgres,
        TestOptions {
            env,
            db: Some(db),
            ..Default::default()
        },
    )
    .await;
    Some((app, proxy))
}

/// GET with a deadline well past the allowed answer time, so a hang fails the test instead of
/// stalling it; returns (status, body, elapsed).
async fn timed_get(b: &Browser, path: &str) -> (u16, String, Duration) {
    let started = Instant::now();
    let r = tokio::time::timeout(Duration::from_secs(20), b.get(path))
        .await
        .unwrap_or_else(|_| panic!("GET {path} hung"));
    let status = r.status().as_u16();
    (status, r.text().await.unwrap(), started.elapsed())
}

/// GET that must be refused with a 503 within `ANSWER_WITHIN`; returns the body.
async fn assert_503_in_time(b: &Browser, path: &str) -> String {
    let (s, body, took) = timed_get(b, path).await;
    assert_eq!(s, 503, "{path}: {body}");
    assert!(took < ANSWER_WITHIN, "{path} took {took:?}");
    body
}

/// Polls `/readyz` until it answers 200; returns how long that took.
async fn wait_ready(app: &TestApp, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let (s, _, _) = timed_get(&app.browser, "/readyz").await;
        if s == 200 {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "not ready again after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_cut_gives_503s_in_time_and_recovers_by_itself() {
    let Some((app, proxy)) = spawn_behind_proxy(vec![]).await else {
        return;
    };
    let b = app.signed_in("ada@example.com", "Ada").await;
    assert_eq!(b.get("/api/me").await.status().as_u16(), 200);

    proxy.cut();
    // Past the 500 ms session-check cache, so the next requests must reach the database.
    app.clock.advance(chrono::Duration::seconds(2));

    assert_503_in_time(&b, "/readyz").await;
    let body = assert_503_in_time(&b, "/api/me").await;
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON 503");
    assert_eq!(json["error"], "unavailable");
    let body = assert_503_in_time(&b, "/").await;
    assert!(body.contains("Temporarily unavailable"), "{body}");
    assert!(
        !body.to_lowercase().contains("postgres"),
        "no internals on the page: {body}"
    );

    // Still alive (no panic took a worker down): liveness answers at once.
    let (s, _, _) = timed_get(&b, "/healthz").await;
    assert_eq!(s, 200);

    proxy.restore();
    let took = wait_ready(&app, Duration::from_secs(15)).await;
    eprintln!("ready again {took:?} after the database returned");
    app.clock.advance(chrono::Duration::seconds(2));
    let (s, body, _) = timed_get(&b, "/api/me").await;
    assert_eq!(s, 200, "the session survived the outage: {body}");
    let (s, body, _) = timed_get(&b, "/").await;
    assert_eq!(s, 200);
    assert!(body.contains("Ada"), "{body}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_interrupted_by_a_database_fault_leaves_nothing_half_made() {
    let Some((app, proxy)) = spawn_behind_proxy(vec![]).await else {
        return;
    };
    let callback = app.browser.consented("grace@example.com", "Grace").await;

    proxy.cut();
    let body = assert_503_in_time(&app.browser, &callback).await;
    assert!(body.contains("Temporarily unavailable"), "{body}");

    proxy.restore();
    wait_ready(&app, Duration::from_secs(15)).await;
    assert_eq!(app.count_users(), 0, "no half-created user");
    assert_eq!(app.count_sessions(), 0, "no session row");
    // Not signed in, and a fresh attempt works.
    assert_eq!(app.browser.get("/api/me").await.status().as_u16(), 401);
    let r = app.sign_in("grace@example.com", "Grace").await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(app.count_users(), 1);
    app.stop().await;
}

both_backends!(pool_exhaustion_gives_503_not_a_hang, |backend| async move {
    let pool_timeout = format!("{POOL_TIMEOUT_SECS}s");
    let env = [
        ("DATABASE_POOL_SIZE", "1"),
        ("DATABASE_POOL_TIMEOUT", pool_timeout.as_str()),
    ];
    let app = TestApp::with_env(backend, &env).await;
    let b = app.signed_in("alan@example.org", "Alan").await;
    app.clock.advance(chrono::Duration::seconds(2));

    // The test holds the only connection.
    let pool = app.pool.clone();
    let held = tokio::task::spawn_blocking(move || pool.get().expect("the only connection"))
        .await
        .unwrap();

    let body = assert_503_in_time(&b, "/api/me").await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["error"],
        "unavailable"
    );
    assert_503_in_time(&b, "/").await;
    assert_503_in_time(&b, "/readyz").await;

    drop(held);
    let (s, body, _) = timed_get(&b, "/api/me").await;
    assert_eq!(s, 200, "{body}");

    // The same through the service's own path: a query that keeps the only permit (and the
    // only connection) while others wait for it on the async side.
    app.clock.advance(chrono::Duration::seconds(2));
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let pool = app.pool.clone();
    let holder = tokio::spawn(async move {
        signin::db::run(&pool, move |_conn| {
            let _ = rx.recv();
            Ok(())
        })
        .await
    });
    while app.pool.state().idle_connections > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_503_in_time(&b, "/api/me").await;
    tx.send(()).unwrap();
    assert!(holder.await.unwrap().is_ok());
    let (s, body, _) = timed_get(&b, "/api/me").await;
    assert_eq!(s, 200, "{body}");
    app.stop().await;
});
