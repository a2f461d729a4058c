//! Several instances behind one load balancer: two `Application`s on different ports sharing one
//! database, one `SECRET_KEY`, one provider and one public `APP_BASE_URL` (`TestApp::pair`). A
//! sign-in begun on A finishes on B; a session renewed on B is accepted by A; a revocation or a
//! disabled user on A is refused by B within 1 s of real time (the session cache's bound,
//! `auth::cache::CACHE_TTL`).

use crate::helpers::*;
use crate::pair_test;
use std::time::{Duration, Instant};

/// The bound the design promises for revocation across instances.
const REVOCATION_BOUND: Duration = Duration::from_secs(1);

/// Polls until `refused()` is true; returns how long it took (and says so), or fails past the
/// bound.
async fn refused_within<F, Fut>(what: &str, mut refused: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let t0 = Instant::now();
    loop {
        if refused().await {
            eprintln!("{what}: refused after {:?}", t0.elapsed());
            return t0.elapsed();
        }
        assert!(
            t0.elapsed() <= REVOCATION_BOUND,
            "{what}: still accepted {:?} after the change on the other instance",
            t0.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pair_test!(two_instances_share_sign_in_and_revocation, |a, b| {
    let browser = a.new_browser();
    let callback = browser.consented("ada@example.com", "Ada").await;
    let r = browser.get(&on_port(&callback, b.port)).await;
    assert_eq!(r.status().as_u16(), 303, "B finishes the sign-in A began");
    let cookie = session_cookie(&r).unwrap();
    for app in [a, b] {
        let status = app.me_status_with_cookie(&cookie).await;
        assert_eq!(status, 200, "signed in on port {}", app.port);
    }

    // Sign out on B; A may serve its cached check for at most the cache TTL, then refuses.
    assert_eq!(b.logout_with_cookie(&cookie).await.status().as_u16(), 303);
    a.clock.advance(chrono::Duration::seconds(1));
    let r = a.get_with_cookie("/api/me", &cookie).await;
    assert_api_401(r, "revoked on B, seen by A").await;
});

pair_test!(sign_in_begun_on_a_finishes_on_b, |a, b| {
    let browser = a.new_browser();
    // The authorize redirect (and the pending login in the encrypted cookie) come from A.
    let authorize = browser.begin_sign_in(Some("/api/me")).await;
    let callback = browser
        .consent(&authorize, "ada@example.com", "Ada Lovelace")
        .await;
    assert_eq!(
        url::Url::parse(&callback).unwrap().port(),
        Some(a.port),
        "the registered redirect URI is the public (A's) origin"
    );
    let r = browser.get(&on_port(&callback, b.port)).await;
    assert_eq!(r.status().as_u16(), 303, "B finishes the sign-in A began");
    assert_eq!(location(&r), "/api/me");
    // B did it, not A.
    let success = r#"signin_sign_ins_total{outcome="success",reason="none"}"#;
    assert_eq!(b.metric(success).await, 1.0);
    assert_eq!(a.metric(success).await, 0.0);
    // The session B started is good on both.
    for app in [a, b] {
        let me: serde_json::Value = browser
            .get(&format!("{}/api/me", app.address))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(me["email"], "ada@example.com", "on port {}", app.port);
    }
});

pair_test!(session_renewed_on_b_is_accepted_by_a, |a, b| {
    let browser = a.signed_in("ada@example.com", "Ada Lovelace").await;
    let before = browser.cookie();
    // Into the renewal window (30 d tokens renewed within 7 d of expiry) on both instances.
    for app in [a, b] {
        app.clock.advance(chrono::Duration::days(25));
    }
    let r = browser.get(&format!("{}/", b.address)).await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(sets_cookie(&r), "B renewed the session");
    let renewed = browser.cookie();
    assert_ne!(renewed, before, "the cookie now holds B's renewed token");
    // Past the rotation grace of the old token: only the renewed token can still work.
    for app in [a, b] {
        app.clock.advance(chrono::Duration::minutes(2));
    }
    let status = a.me_status_with_cookie(&renewed).await;
    assert_eq!(status, 200, "A accepts B's renewal");
    let status = a.me_status_with_cookie(&before).await;
    assert_eq!(status, 401, "the old token is gone");
    let home = browser.get_text(&format!("{}/", a.address)).await;
    assert!(home.contains("Ada Lovelace"), "{home}");
});

pair_test!(logout_on_a_is_refused_by_b_within_1s, |a, b| {
    let browser = a.signed_in("ada@example.com", "Ada Lovelace").await;
    let cookie = browser.cookie();
    // B has just checked (and cached) the session: the worst case for staleness.
    assert_eq!(b.me_status_with_cookie(&cookie).await, 200);
    assert_eq!(browser.logout().await.status().as_u16(), 303);
    refused_within("logout on A, cookie on B", || async {
        b.me_status_with_cookie(&cookie).await == 401
    })
    .await;
});

pair_test!(disabled_on_a_is_refused_by_b_within_1s, |a, b| {
    let cookie = a
        .signed_in("ada@example.com", "Ada Lovelace")
        .await
        .cookie();
    assert_eq!(b.me_status_with_cookie(&cookie).await, 200);
    // What the admin's "Disable" does to the user row, done on A's side (A's own cache too).
    let user_id = a.set_status("ada@example.com", "disabled");
    a.sessions.forget_user(user_id);
    let status = a.me_status_with_cookie(&cookie).await;
    assert_eq!(status, 401, "A refuses at once");
    refused_within("disabled on A, cookie on B", || async {
        b.me_status_with_cookie(&cookie).await == 401
    })
    .await;
});

// The revocation bound itself, for an API token (no cookie, no renewal): B keeps refreshing its
// cache right up to the revocation, so the measured delay is the worst case of the cache.
pair_test!(api_token_revoked_on_a_is_refused_by_b_within_1s, |a, b| {
    let browser = a.signed_in("ada@example.com", "Ada Lovelace").await;
    let token = browser.create_api_token().await;
    for _ in 0..5 {
        assert_eq!(b.me_status_with_bearer(&token).await, 200);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(b.me_status_with_bearer(&token).await, 200);
    assert!(a.revoke(&token).await);
    let status = a.me_status_with_bearer(&token).await;
    assert_eq!(status, 401, "A refuses at once");
    let took = refused_within("API token revoked on A, used on B", || async {
        b.me_status_with_bearer(&token).await == 401
    })
    .await;
    assert!(took > Duration::ZERO);
});
