//! Limits strangers cannot get around (issue 11, item 7): IPv6 clients share a quota per /64,
//! every POST (tokens, admin actions) and `/readyz` are limited.

use crate::both_backends;
use crate::helpers::*;
use reqwest::header::{HeaderMap, HeaderValue};

/// An app behind a trusted proxy on loopback, limited to a burst of `burst`, plus `extra`.
async fn limited(backend: Backend, burst: &str, extra: &[(&'static str, &str)]) -> TestApp {
    let mut env = vec![
        ("RATE_LIMIT_PER_MINUTE", "1"),
        ("RATE_LIMIT_BURST", burst),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ];
    env.extend_from_slice(extra);
    TestApp::with_env(backend, &env).await
}

/// A browser whose requests the trusted proxy forwards for `client`.
fn browser_for(app: &TestApp, client: &str) -> Browser {
    let mut h = HeaderMap::new();
    h.insert("x-forwarded-for", HeaderValue::from_str(client).unwrap());
    Browser::with_headers(&app.address, h)
}

/// How many POSTs of `form` to `path` pass before the first 429 (at most `max`).
async fn posts_before_429(b: &Browser, path: &str, form: &[(&str, &str)], max: usize) -> usize {
    for n in 0..max {
        if b.post_form(path, form).await.status().as_u16() == 429 {
            return n;
        }
    }
    panic!("{path}: no 429 after {max} POSTs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_clients_in_one_64_share_a_quota() {
    let app = limited(Backend::Sqlite, "3", &[]).await;
    let a = browser_for(&app, "2001:db8:1:2::1");
    let b = browser_for(&app, "2001:db8:1:2:ffff:ffff:ffff:fffe");
    let other = browser_for(&app, "2001:db8:1:3::1");
    for _ in 0..3 {
        assert_eq!(a.get("/api/me").await.status().as_u16(), 401);
    }
    assert_eq!(b.get("/api/me").await.status().as_u16(), 429, "same /64");
    assert_eq!(
        other.get("/api/me").await.status().as_u16(),
        401,
        "another /64"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_limited() {
    let app = limited(Backend::Sqlite, "3", &[]).await;
    let b = browser_for(&app, "203.0.113.7");
    for _ in 0..3 {
        assert_eq!(b.get("/readyz").await.status().as_u16(), 200);
    }
    assert_eq!(b.get("/readyz").await.status().as_u16(), 429);
    assert_eq!(
        b.get("/healthz").await.status().as_u16(),
        200,
        "liveness stays free"
    );
    app.stop().await;
}

both_backends!(token_and_admin_posts_are_limited, |backend| async move {
    // A burst of 6: a sign-in spends 2 (login, callback), pages are free.
    let app = limited(backend, "6", &[("ADMIN_EMAILS", "boss@example.com")]).await;
    let user = browser_for(&app, "203.0.113.10");
    user.signs_in("ann@example.com", "Ann").await;
    let csrf = user.csrf().await;
    let n = posts_before_429(&user, "/tokens", &[("csrf", &csrf)], 10).await;
    assert_eq!(n, 4, "POST /tokens shares the client's quota");

    let boss = browser_for(&app, "203.0.113.11");
    boss.signs_in("boss@example.com", "Boss").await;
    let pid = app.public_id("ann@example.com");
    let html = boss.get_text(&format!("/admin/users/{pid}")).await;
    let csrf = extract_input(&html, "csrf").unwrap();
    let path = format!("/admin/users/{pid}/revoke-all");
    let n = posts_before_429(&boss, &path, &[("csrf", &csrf)], 10).await;
    assert_eq!(n, 4, "admin POSTs are limited");
    app.stop().await;
});

both_backends!(
    refused_callbacks_are_audited_once_a_minute_with_a_count,
    |backend| async move {
        let app = TestApp::with_env(backend, &[("TRUSTED_PROXIES", "127.0.0.1")]).await;
        // 20 forged callbacks from one /64, from changing addresses.
        for i in 0..20 {
            let b = browser_for(&app, &format!("2001:db8:5:6::{:x}", i + 1));
            let r = b.get("/auth/google/callback?code=x&state=forged").await;
            assert_eq!(r.status().as_u16(), 400);
        }
        let refused = |app: &TestApp| -> Vec<Option<String>> {
            app.audit_rows_of("sign_in_refused")
                .into_iter()
                .map(|r| r.3)
                .collect()
        };
        assert_eq!(refused(&app), [Some("bad_state; 20 refusals".to_string())]);
        // Another client has its own row; a minute later the first client gets a new one.
        let other = browser_for(&app, "198.51.100.1");
        other.get("/auth/google/callback?code=x&state=forged").await;
        app.clock.advance(chrono::Duration::seconds(61));
        let again = browser_for(&app, "2001:db8:5:6::99");
        again.get("/auth/google/callback?code=x&state=forged").await;
        assert_eq!(refused(&app).len(), 3, "{:?}", refused(&app));
        app.stop().await;
    }
);
