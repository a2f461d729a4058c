//! `GET /metrics`: scraped after a successful and a refused sign-in.

use crate::helpers::*;
use crate::{app_test, faults};

app_test!(metrics_count_requests_and_sign_in_outcomes, |app| {
    let b = app.signed_in("ada@example.com", "Ada Lovelace").await;
    assert_eq!(b.get("/").await.status().as_u16(), 200);

    // A callback whose state matches no sign-in started here: refused with `bad_state`.
    let stranger = app.new_browser();
    let r = stranger
        .get("/auth/google/callback?code=x&state=forged")
        .await;
    assert_eq!(r.status().as_u16(), 400);
    // A sign-in refused by the provider's answer (unverified email).
    app.set_faults(faults!(unverified_email));
    let r = stranger.sign_in("eve@example.com", "Eve", None).await;
    assert_eq!(r.status().as_u16(), 403);
    app.set_faults(Default::default());
    let _ = stranger.get("/no/such/page/123").await;

    let r = app.new_browser().get("/metrics").await;
    assert_eq!(r.status().as_u16(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    let text = r.text().await.unwrap();

    assert_eq!(
        sample(
            &text,
            r#"signin_sign_ins_total{outcome="success",reason="none"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"signin_sign_ins_total{outcome="refused",reason="bad_state"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"signin_sign_ins_total{outcome="refused",reason="email_unverified"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"signin_http_requests_total{method="GET",route="/auth/google/callback",status="303"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"signin_http_requests_total{method="GET",route="/",status="200"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert!(
        sample(
            &text,
            r#"signin_http_requests_total{method="GET",route="unmatched",status="404"}"#
        ) >= Some(1.0),
        "{text}"
    );
    // The histogram is consistent: +Inf bucket = count, and the sum is positive.
    let labels = r#"method="GET",route="/auth/google/login",status="302""#;
    let count = sample(
        &text,
        &format!("signin_http_request_duration_seconds_count{{{labels}}}"),
    )
    .unwrap();
    assert_eq!(count, 2.0, "{text}");
    assert_eq!(
        sample(
            &text,
            &format!("signin_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}}")
        ),
        Some(count)
    );
    assert!(
        sample(
            &text,
            &format!("signin_http_request_duration_seconds_sum{{{labels}}}")
        )
        .unwrap()
            > 0.0
    );
    // One live session (the refused sign-ins made none).
    assert_eq!(sample(&text, "signin_sessions_active"), Some(1.0), "{text}");
    let in_use = sample(&text, r#"signin_db_pool_connections{state="in_use"}"#).unwrap();
    let idle = sample(&text, r#"signin_db_pool_connections{state="idle"}"#).unwrap();
    assert!(in_use + idle >= 1.0, "{text}");
    assert_eq!(sample(&text, "signin_db_pool_max_connections"), Some(8.0));
    assert!(sample(&text, "signin_db_pool_waiting").is_some());
    // Secrets never appear.
    assert!(!text.contains(SECRET_KEY) && !text.contains(CLIENT_SECRET));
});

/// Diesel keeps a prepared statement per query shape on each connection (and PostgreSQL keeps
/// its plan): a query whose SQL text changed with its data would grow both without bound, one
/// statement per sign-in. A memory hunt after the soak runs; it found none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepared_statements_do_not_grow_with_sign_ins() {
    if !postgres_available() {
        return;
    }
    let env = [
        ("DATABASE_POOL_SIZE", "1"),
        ("ADMIN_EMAILS", "u0@example.com"),
    ];
    let app = TestApp::with_env(Backend::Postgres, &env).await;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let count = |app: &TestApp| -> i64 {
        use diesel::RunQueryDsl;
        app.query(|c| {
            diesel::sql_query("SELECT count(*) AS n FROM pg_prepared_statements")
                .get_result::<N>(c)
                .unwrap()
                .n
        })
    };
    let mut seen = Vec::new();
    for round in 0..3 {
        for i in 0..5 {
            let email = format!("u{}@example.com", round * 5 + i);
            let b = app.signed_in(&email, "U").await;
            let _ = b.get("/").await;
            let _ = b.get("/api/me").await;
            let _ = b.get("/admin/users").await;
        }
        seen.push(count(&app));
    }
    assert!(seen[0] > 0, "no prepared statements at all: {seen:?}");
    assert_eq!(seen[1], seen[2], "prepared statements per round: {seen:?}");
}

app_test!(sqlite: strangers_cannot_add_series, |app| {
    let client = plain_client();
    // Warm up: the series that any visitor makes.
    let _ = app.browser.get("/").await;
    let _ = app.browser.get("/no/such/page").await;
    let series = |text: &str| {
        text.lines()
            .filter(|l| l.starts_with("signin_http_requests_total{"))
            .count()
    };
    let before = series(&app.new_browser().get_text("/metrics").await);
    for i in 1..=5 {
        let method = reqwest::Method::from_bytes(format!("FOO{i}").as_bytes()).unwrap();
        let _ = client.request(method, app.browser.url("/")).send().await.unwrap();
        let _ = app.browser.get(&format!("/random/{i}/path-{}", uuid_like())).await;
        let _ = app.browser.get(&format!("/admin/nothing-{i}")).await;
    }
    let text = app.new_browser().get_text("/metrics").await;
    let labels: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("signin_http_requests_total{"))
        .collect();
    assert!(
        series(&text) <= before + 3,
        "made-up methods and paths add at most three series (_OTHER, the admin guard's 303, \
         the first scrape): {labels:#?}"
    );
    assert!(!text.contains("FOO"), "{labels:#?}");
    assert!(!text.contains("random"), "{labels:#?}");
    assert!(text.contains(r#"method="_OTHER""#), "{labels:#?}");
    assert!(
        sample(&text, r#"signin_http_requests_total{method="GET",route="unmatched",status="404"}"#)
            >= Some(6.0),
        "{labels:#?}"
    );
});

app_test!(sqlite: metrics_addr_moves_metrics_off_the_public_listener, |_unused| {
    let app = TestApp::with_env(Backend::Sqlite, &[("METRICS_ADDR", "127.0.0.1:0")]).await;
    let private = app.metrics_address.clone().expect("the metrics listener");
    assert_eq!(app.browser.get("/metrics").await.status().as_u16(), 404);
    let _ = app.browser.get("/").await;
    let r = plain_client().get(format!("{private}/metrics")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.unwrap();
    assert!(
        text.contains(r#"signin_http_requests_total{method="GET",route="/",status="200"} 1"#),
        "the private listener reports the public one's traffic: {text}"
    );
    let r = plain_client().get(format!("{private}/")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404, "only /metrics there");
    app.stop().await;
});

// The exposition as Prometheus users expect it: the application's series under `signin_`,
// the standard `process_*` series, every sample under a `# TYPE` (with its `# HELP`),
// counters ending in `_total`, and `signin_build_info` naming this build.
app_test!(sqlite: metric_names_follow_the_prometheus_conventions, |app| {
    let _ = app.signed_in("ada@example.com", "Ada").await;
    let text = app.new_browser().get_text("/metrics").await;

    let mut types = std::collections::BTreeMap::new();
    let mut helps = std::collections::BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(
                types.insert(name.to_string(), kind.to_string()).is_none(),
                "two TYPE lines for {name}"
            );
        } else if let Some(rest) = line.strip_prefix("# HELP ") {
            helps.insert(rest.split(' ').next().unwrap().to_string());
        }
    }
    for (name, kind) in &types {
        assert!(
            name.starts_with("signin_") || name.starts_with("process_"),
            "{name}: an application series without the signin_ prefix"
        );
        assert!(helps.contains(name), "{name} has no HELP line");
        assert_eq!(kind == "counter", name.ends_with("_total"), "{name} is a {kind}");
    }
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let name = line.split(['{', ' ']).next().unwrap();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|f| types.get(*f).is_some_and(|k| k == "histogram"))
            })
            .unwrap_or(name);
        assert!(types.contains_key(family), "{name} has no TYPE line");
    }
    for name in [
        "signin_http_requests_total",
        "signin_http_request_duration_seconds",
        "signin_http_requests_abandoned_total",
        "signin_sign_ins_total",
        "signin_sessions_active",
        "signin_db_pool_connections",
        "signin_db_pool_max_connections",
        "signin_db_pool_waiting",
        "signin_build_info",
    ] {
        assert!(types.contains_key(name), "{name} missing:\n{text}");
    }

    // The build: this package's version and a short commit hash (or `unknown` without git).
    let info = text
        .lines()
        .find(|l| l.starts_with("signin_build_info{"))
        .expect("build info");
    let prefix = format!(
        "signin_build_info{{version=\"{}\",commit=\"",
        env!("CARGO_PKG_VERSION")
    );
    let commit = info
        .strip_prefix(&prefix)
        .and_then(|r| r.strip_suffix("\"} 1"))
        .unwrap_or_else(|| panic!("{info}"));
    assert!(
        commit == "unknown" || (commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{info}"
    );

    // The process series, read from /proc on Linux, with plausible values.
    if cfg!(target_os = "linux") {
        let get = |n: &str| sample(&text, n).unwrap_or_else(|| panic!("{n} missing:\n{text}"));
        let rss = get("process_resident_memory_bytes");
        assert!(rss > 1e6, "rss {rss}");
        assert!(get("process_virtual_memory_bytes") >= rss);
        let fds = get("process_open_fds");
        assert!(fds > 0.0, "open fds {fds}");
        if let Some(max) = sample(&text, "process_max_fds") {
            assert!(max >= fds, "max fds {max} < open {fds}");
        }
        assert!(get("process_cpu_seconds_total") >= 0.0);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let start = get("process_start_time_seconds");
        assert!(
            start <= now + 1.0 && start > now - 3600.0,
            "start time {start}, now {now}"
        );
        for kind in ["process_cpu_seconds_total", "process_open_fds", "process_start_time_seconds"] {
            assert!(types.contains_key(kind), "{kind}");
        }
    }
});
