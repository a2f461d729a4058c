//! Rate limits per client IP on `/auth/*`, `/logout` and `/api/*`: 429 with `Retry-After`, a
//! page for people and JSON for the API, keyed by the `TRUSTED_PROXIES` rule, `/healthz` free.

use crate::helpers::*;
use reqwest::header::RETRY_AFTER;

/// An app limited to 60 requests a minute with a burst of 3, plus `extra` settings.
async fn limited(extra: &[(&'static str, &str)]) -> TestApp {
    let mut env = vec![("RATE_LIMIT_PER_MINUTE", "60"), ("RATE_LIMIT_BURST", "3")];
    env.extend_from_slice(extra);
    TestApp::with_env(Backend::Sqlite, &env).await
}

fn retry_after(r: &reqwest::Response) -> u64 {
    r.headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no numeric Retry-After on {}", r.url()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_over_the_limit_gets_json_429_with_retry_after() {
    let app = limited(&[]).await;
    for _ in 0..3 {
        assert_eq!(app.browser.get("/api/me").await.status().as_u16(), 401);
    }
    let r = app.browser.get("/api/me").await;
    assert_eq!(r.status().as_u16(), 429);
    let wait = retry_after(&r);
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: serde_json::Value = r.json().await.expect("JSON body");
    assert_eq!(body["error"], "too_many_requests");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_and_logout_share_the_limit_and_get_a_friendly_page() {
    let app = limited(&[]).await;
    assert_eq!(
        app.browser
            .get("/auth/google/login")
            .await
            .status()
            .as_u16(),
        302
    );
    assert_eq!(
        app.browser
            .get("/auth/google/callback?code=x&state=y")
            .await
            .status()
            .as_u16(),
        400
    );
    assert_eq!(
        app.browser
            .post_form("/logout", &[("csrf", "x")])
            .await
            .status()
            .as_u16(),
        303
    );
    for path in ["/auth/google/login", "/auth/google/callback?code=x&state=y"] {
        let r = app.browser.get(path).await;
        assert_eq!(r.status().as_u16(), 429, "{path}");
        retry_after(&r);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let html = r.text().await.unwrap();
        assert!(html.contains("Too many requests"), "{html}");
    }
    let r = app.browser.post_form("/logout", &[("csrf", "x")]).await;
    assert_eq!(r.status().as_u16(), 429);
    // Pages outside the limited areas and the probes stay open.
    for _ in 0..20 {
        assert_eq!(app.browser.get("/healthz").await.status().as_u16(), 200);
        assert_eq!(app.browser.get("/login").await.status().as_u16(), 200);
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limit_refills_over_time() {
    // 120/min = one every 500 ms; burst 1.
    let env = [("RATE_LIMIT_PER_MINUTE", "120"), ("RATE_LIMIT_BURST", "1")];
    let app = TestApp::with_env(Backend::Sqlite, &env).await;
    assert_eq!(app.browser.get("/api/me").await.status().as_u16(), 401);
    assert_eq!(app.browser.get("/api/me").await.status().as_u16(), 429);
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(app.browser.get("/api/me").await.status().as_u16(), 401);
    app.stop().await;
}

async fn get_as(app: &TestApp, path: &str, forwarded_for: &str) -> u16 {
    app.browser
        .client
        .get(app.browser.url(path))
        .header("x-forwarded-for", forwarded_for)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_forwarded_for_does_not_buy_new_quota() {
    let app = limited(&[]).await;
    let mut statuses = Vec::new();
    for i in 0..6 {
        statuses.push(get_as(&app, "/api/me", &format!("203.0.113.{i}")).await);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        3,
        "{statuses:?}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_client_has_its_own_quota() {
    let app = limited(&[("TRUSTED_PROXIES", "127.0.0.1")]).await;
    for _ in 0..3 {
        assert_eq!(get_as(&app, "/api/me", "203.0.113.1").await, 401);
    }
    assert_eq!(get_as(&app, "/api/me", "203.0.113.1").await, 429);
    assert_eq!(
        get_as(&app, "/api/me", "203.0.113.2").await,
        401,
        "another client is not limited"
    );
    app.stop().await;
}
