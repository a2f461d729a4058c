//! `GET /api/me` and API tokens: 401 JSON with `WWW-Authenticate: Bearer` for every bad
//! credential, 200 for a token from `POST /tokens` and for the session cookie.

use crate::helpers::*;
use crate::{app_test, both_backends};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;

both_backends!(
    me_answers_for_the_cookie_and_an_api_token,
    |backend| async move {
        let (app, b, token) = ada_with_a_token(backend, "Ada Lovelace").await;
        let me = b.me().await;
        assert_eq!(me["email"], "ada@example.com");
        assert_eq!(me["session"]["via"], "cookie");

        assert_eq!(app.count_sessions(), 2, "the API token has its own row");
        assert_eq!(app.session_rows()[1].2, "api");
        let r = app.me_with_bearer(&token).await;
        assert_eq!(r.status().as_u16(), 200);
        let me: serde_json::Value = r.json().await.unwrap();
        assert_eq!(me["email"], "ada@example.com");
        assert_eq!(me["name"], "Ada Lovelace");
        assert_eq!(me["session"]["via"], "bearer");
        app.stop().await;
    }
);

both_backends!(me_refuses_bad_credentials_with_401, |backend| async move {
    let (app, _b, token) = ada_with_a_token(backend, "Ada").await;
    assert_eq!(app.me_status_with_bearer(&token).await, 200);
    assert_api_401(app.new_browser().get("/api/me").await, "no token").await;

    // The same claims, unsigned.
    let body = token.split('.').nth(1).unwrap();
    let none = format!(
        "{}.{body}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#)
    );
    // The same claims, signed with a key that is not ours.
    let claims = jwt_payload(&token);
    let key =
        jsonwebtoken::EncodingKey::from_secret(b"not-the-key-0123456789abcdef0123456789").unwrap();
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &key,
    )
    .unwrap();
    // The real token with its signature cut off.
    let (head, _sig) = token.rsplit_once('.').unwrap();
    let unsigned = format!("{head}.");

    // Correctly signed by the app, but for a session that does not exist, or for another
    // user than the session's.
    let codec = app.sessions.codec();
    let now = app.sessions.now();
    let sub = claims["sub"].as_str().unwrap();
    let jti = claims["jti"].as_str().unwrap();
    let sign = |sub: &str, jti: &str| {
        let c = codec.claims_for(sub, jti, now, now + Duration::days(1), now);
        codec.encode(&c).unwrap().expose().to_string()
    };
    assert_eq!(
        app.me_status_with_bearer(&sign(sub, jti)).await,
        200,
        "the re-signed genuine claims are good (so the two below fail for their reason)"
    );
    for (bad, what) in [
        ("garbage", "garbage"),
        ("a.b.c", "three garbage parts"),
        (&none, "alg none"),
        (&forged, "wrong key"),
        (&unsigned, "no signature"),
        (&sign(sub, "no-such-jti"), "unknown jti"),
        (&sign("u_someoneelse", jti), "subject mismatch"),
    ] {
        assert_api_401(app.me_with_bearer(bad).await, what).await;
    }

    // Still good after all that.
    assert_eq!(app.me_status_with_bearer(&token).await, 200);
    app.stop().await;
});

both_backends!(me_refuses_a_revoked_api_token, |backend| async move {
    let (app, b, token) = ada_with_a_token(backend, "Ada").await;
    assert_eq!(app.me_status_with_bearer(&token).await, 200);
    assert!(app.revoke(&token).await);
    assert_api_401(app.me_with_bearer(&token).await, "revoked").await;
    // Revoking the API token leaves the browser session alone.
    assert_eq!(b.get("/api/me").await.status().as_u16(), 200);
    app.stop().await;
});

both_backends!(me_refuses_an_expired_api_token, |backend| async move {
    // An API token lives `API_TOKEN_TTL` (90 days by default), not the browser's `JWT_TTL`.
    let (app, _b, token) = ada_with_a_token(backend, "Ada").await;
    app.clock.advance(Duration::days(89));
    assert_eq!(app.me_status_with_bearer(&token).await, 200, "89 days");
    app.clock.advance(Duration::days(1) + Duration::minutes(1));
    assert_api_401(app.me_with_bearer(&token).await, "expired").await;
    app.stop().await;
});

app_test!(api_token_creation_needs_the_csrf_token, |app| {
    let b = app.signed_in("ada@example.com", "Ada").await;
    let before = app.counts();
    let r = b.post_form("/tokens", &[]).await;
    assert_friendly_page(r, 400, "no csrf").await;
    let r = b.post_form("/tokens", &[("csrf", "forged")]).await;
    let body = assert_friendly_page(r, 403, "wrong csrf").await;
    assert!(scrape_token(&body).is_none());
    assert_eq!(app.counts(), before, "no token row");
    // Anonymous: sent to sign in, nothing made.
    let r = app
        .new_browser()
        .post_form("/tokens", &[("csrf", "forged")])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    assert!(location(&r).starts_with("/login"), "{}", location(&r));
    assert_eq!(app.counts(), before);
});

both_backends!(
    disabled_user_is_signed_out_and_cannot_sign_in,
    |backend| async move {
        let (app, b, token) = ada_with_a_token(backend, "Ada").await;
        app.set_status("ada@example.com", "disabled");
        app.clock.advance(Duration::seconds(2)); // past the session-check cache
        assert_api_401(b.get("/api/me").await, "disabled, cookie").await;
        assert_api_401(app.me_with_bearer(&token).await, "disabled, bearer").await;
        let before = app.counts();
        let r = app.new_sign_in("ada@example.com", "Ada").await;
        assert_page_says(r, 403, "disabled user signs in", "disabled").await;
        assert_eq!(app.counts(), before, "no session for a disabled user");
        app.stop().await;
    }
);
