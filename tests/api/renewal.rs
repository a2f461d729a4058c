//! Renewal of the app JWT with a moved clock: not before the window, a new token and session
//! row inside it, signed out past `SESSION_MAX_AGE`, and no failure for requests racing it.

use crate::helpers::*;
use crate::{app_test, both_backends};
use chrono::{DateTime, Duration, Utc};
use signin::clock::Clock;

async fn session_expiry(b: &Browser) -> DateTime<Utc> {
    let me = b.me().await;
    me["session"]["expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

fn about(a: DateTime<Utc>, b: DateTime<Utc>) -> bool {
    (a - b).abs() < Duration::minutes(1)
}

app_test!(renews_only_inside_the_window, |app| {
    let t0 = app.clock.now();
    let b = app.signed_in("ada@example.com", "Ada").await;
    let first = session_expiry(&b).await;
    assert!(about(first, t0 + Duration::days(30)), "{first}");

    // 22 days on, 8 days left: no renewal.
    app.clock.advance(Duration::days(22));
    let r = b.get("/api/me").await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(!sets_cookie(&r), "no new cookie with 8 days left");
    assert_eq!(session_expiry(&b).await, first);
    assert_eq!(app.count_sessions(), 1);

    // 24 days on, 6 days left: a new JWT for 30 more days, a new row, the old one rotated.
    app.clock.advance(Duration::days(2));
    let now = app.clock.now();
    let r = b.get("/api/me").await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        session_cookie(&r).is_some(),
        "a new cookie with 6 days left"
    );
    let renewed = session_expiry(&b).await;
    assert!(about(renewed, now + Duration::days(30)), "{renewed}");
    let rows = app.session_rows();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].1.as_deref(), Some("rotated"), "{rows:?}");
    assert_eq!(rows[1].1, None, "{rows:?}");
    // The renewed cookie keeps working past the old token's expiry.
    app.clock.advance(Duration::days(10));
    assert_eq!(session_expiry(&b).await, renewed);
});

both_backends!(signed_out_past_session_max_age, |backend| async move {
    let env = [("JWT_TTL", "30d"), ("SESSION_MAX_AGE", "40d")];
    let app = TestApp::with_env(backend, &env).await;
    let t0 = app.clock.now();
    let b = app.signed_in("ada@example.com", "Ada").await;

    // Renewal near the cap is capped at sign-in + 40 days.
    app.clock.advance(Duration::days(24));
    let r = b.get("/api/me").await;
    assert!(session_cookie(&r).is_some(), "renewed");
    let capped = session_expiry(&b).await;
    assert!(about(capped, t0 + Duration::days(40)), "{capped}");

    app.clock.advance(Duration::days(15)); // 39 days: still in
    assert_eq!(b.get("/api/me").await.status().as_u16(), 200);

    app.clock.advance(Duration::days(2)); // 41 days: past the cap
    let home = b.get_text("/").await;
    assert!(home.contains("Sign in with Google"), "sign-in page: {home}");
    assert_api_401(b.get("/api/me").await, "past SESSION_MAX_AGE").await;
    app.stop().await;
});

app_test!(concurrent_requests_at_renewal_time_both_succeed, |app| {
    let cookie = app.signed_in("ada@example.com", "Ada").await.cookie();
    app.clock.advance(Duration::days(24));
    let (a, b) = tokio::join!(
        app.get_with_cookie("/api/me", &cookie),
        app.get_with_cookie("/api/me", &cookie)
    );
    for r in [a, b] {
        assert_eq!(r.status().as_u16(), 200);
        let me: serde_json::Value = r.json().await.unwrap();
        assert_eq!(me["email"], "ada@example.com");
    }
    // Exactly one renewal happened; a later request with the old cookie is still inside the
    // grace, and so is the page load that raced it.
    let rows = app.session_rows();
    assert_eq!(rows.len(), 2, "one rotation: {rows:?}");
    let status = app.me_status_with_cookie(&cookie).await;
    assert_eq!(status, 200, "old cookie inside the grace");
});

app_test!(renewal_on_an_error_page_keeps_the_session, |app| {
    // The request that happens to renew the token may end in an error page (a 404, a refused
    // form); the renewed cookie must still reach the browser, or it is signed out once the
    // old token's grace ends.
    let b = app.signed_in("ada@example.com", "Ada").await;
    app.clock.advance(Duration::days(24));
    let r = b.get("/no/such/page").await;
    assert_eq!(r.status().as_u16(), 404);
    assert!(
        session_cookie(&r).is_some(),
        "the renewed cookie is sent with the 404"
    );
    assert_eq!(app.session_rows().len(), 2, "renewed");
    app.clock.advance(Duration::minutes(5)); // past the rotation grace
    assert_eq!(b.get("/api/me").await.status().as_u16(), 200);
});

app_test!(expired_cookie_session_is_signed_out, |app| {
    // No request inside the renewal window: the token simply expires.
    let b = app.signed_in("ada@example.com", "Ada").await;
    app.clock.advance(Duration::days(30) + Duration::minutes(1));
    let r = b.get("/").await;
    assert!(sets_cookie(&r), "the dead session cookie is removed");
    let home = r.text().await.unwrap();
    assert!(home.contains("Sign in with Google"), "{home}");
    assert_api_401(b.get("/api/me").await, "expired cookie").await;
});
