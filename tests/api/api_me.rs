//! `GET /api/me` and API tokens: 401 JSON with `WWW-Authenticate: Bearer` for every bad
//! credential, 200 for a token from `POST /tokens` and for the session cookie.

use crate::both_backends;
use crate::helpers::*;
use crate::support::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use signin::domain::RevokeReason;

both_backends!(
    me_answers_for_the_cookie_and_an_api_token,
    |backend| async move {
        let app = spawn_app(backend).await;
        app.sign_in("ada@example.com", "Ada Lovelace").await;
        let r = app.browser.get("/api/me").await;
        assert_eq!(r.status().as_u16(), 200);
        let me: serde_json::Value = r.json().await.unwrap();
        assert_eq!(me["email"], "ada@example.com");
        assert_eq!(me["session"]["via"], "cookie");

        let token = create_api_token(&app.browser).await;
        assert_eq!(app.count_sessions(), 2, "the API token has its own row");
        assert_eq!(session_rows(&app)[1].2, "api");
        let r = me_with_bearer(&app, &token).await;
        assert_eq!(r.status().as_u16(), 200);
        let me: serde_json::Value = r.json().await.unwrap();
        assert_eq!(me["email"], "ada@example.com");
        assert_eq!(me["name"], "Ada Lovelace");
        assert_eq!(me["session"]["via"], "bearer");
        app.stop().await;
    }
);

both_backends!(me_refuses_bad_credentials_with_401, |backend| async move {
    let app = spawn_app(backend).await;
    app.sign_in("ada@example.com", "Ada").await;
    let token = create_api_token(&app.browser).await;
    assert_eq!(me_with_bearer(&app, &token).await.status().as_u16(), 200);

    let anonymous = plain_client()
        .get(format!("{}/api/me", app.address))
        .send()
        .await
        .unwrap();
    assert_api_401(anonymous, "no token").await;
    assert_api_401(me_with_bearer(&app, "garbage").await, "garbage").await;
    assert_api_401(me_with_bearer(&app, "a.b.c").await, "three garbage parts").await;

    // The same claims, unsigned.
    let body = token.split('.').nth(1).unwrap();
    let none = format!(
        "{}.{body}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#)
    );
    assert_api_401(me_with_bearer(&app, &none).await, "alg none").await;

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
    assert_api_401(me_with_bearer(&app, &forged).await, "wrong key").await;

    // The real token with its signature cut off or its payload changed.
    let (head, _sig) = token.rsplit_once('.').unwrap();
    assert_api_401(
        me_with_bearer(&app, &format!("{head}.")).await,
        "no signature",
    )
    .await;

    // Correctly signed by the app, but for a session that does not exist, or for another
    // user than the session's.
    let codec = app.app.sessions.codec();
    let now = app.app.sessions.now();
    let sub = claims["sub"].as_str().unwrap();
    let jti = claims["jti"].as_str().unwrap();
    let sign = |sub: &str, jti: &str| {
        let c = codec.claims_for(sub, jti, now, now + Duration::days(1), now);
        codec.encode(&c).unwrap().expose().to_string()
    };
    assert_eq!(
        me_with_bearer(&app, &sign(sub, jti))
            .await
            .status()
            .as_u16(),
        200,
        "the re-signed genuine claims are good (so the two below fail for their reason)"
    );
    assert_api_401(
        me_with_bearer(&app, &sign(sub, "no-such-jti")).await,
        "unknown jti",
    )
    .await;
    assert_api_401(
        me_with_bearer(&app, &sign("u_someoneelse", jti)).await,
        "subject mismatch",
    )
    .await;

    // Still good after all that.
    assert_eq!(me_with_bearer(&app, &token).await.status().as_u16(), 200);
    app.stop().await;
});

both_backends!(me_refuses_a_revoked_api_token, |backend| async move {
    let app = spawn_app(backend).await;
    app.sign_in("ada@example.com", "Ada").await;
    let token = create_api_token(&app.browser).await;
    assert_eq!(me_with_bearer(&app, &token).await.status().as_u16(), 200);
    let jti = jwt_payload(&token)["jti"].as_str().unwrap().to_string();
    assert!(
        app.app
            .sessions
            .revoke(&jti, RevokeReason::Admin)
            .await
            .unwrap()
    );
    assert_api_401(me_with_bearer(&app, &token).await, "revoked").await;
    // Revoking the API token leaves the browser session alone.
    assert_eq!(app.browser.get("/api/me").await.status().as_u16(), 200);
    app.stop().await;
});

both_backends!(me_refuses_an_expired_api_token, |backend| async move {
    let app = spawn_app(backend).await;
    app.sign_in("ada@example.com", "Ada").await;
    let token = create_api_token(&app.browser).await;
    app.clock.advance(Duration::days(29));
    assert_eq!(
        me_with_bearer(&app, &token).await.status().as_u16(),
        200,
        "29 days"
    );
    app.clock.advance(Duration::days(1) + Duration::minutes(1));
    assert_api_401(me_with_bearer(&app, &token).await, "expired").await;
    app.stop().await;
});

both_backends!(
    api_token_creation_needs_the_csrf_token,
    |backend| async move {
        let app = spawn_app(backend).await;
        app.sign_in("ada@example.com", "Ada").await;
        let before = counts(&app);
        let r = app.browser.post_form("/tokens", &[]).await;
        assert_friendly_page(r, 400, "no csrf").await;
        let r = app
            .browser
            .post_form("/tokens", &[("csrf", "forged")])
            .await;
        let body = assert_friendly_page(r, 403, "wrong csrf").await;
        assert!(scrape_token(&body).is_none());
        assert_eq!(counts(&app), before, "no token row");
        // Anonymous: sent to sign in, nothing made.
        let r = app
            .new_browser()
            .post_form("/tokens", &[("csrf", "forged")])
            .await;
        assert_eq!(r.status().as_u16(), 303);
        assert!(location(&r).starts_with("/login"), "{}", location(&r));
        assert_eq!(counts(&app), before);
        app.stop().await;
    }
);

both_backends!(
    disabled_user_is_signed_out_and_cannot_sign_in,
    |backend| async move {
        use diesel::prelude::*;
        use signin::db::schema::users;
        let app = spawn_app(backend).await;
        app.sign_in("ada@example.com", "Ada").await;
        let token = create_api_token(&app.browser).await;
        app.query(|c| {
            diesel::update(users::table)
                .set(users::status.eq("disabled"))
                .execute(c)
                .unwrap()
        });
        app.clock.advance(Duration::seconds(2)); // past the session-check cache
        assert_api_401(app.browser.get("/api/me").await, "disabled, cookie").await;
        assert_api_401(me_with_bearer(&app, &token).await, "disabled, bearer").await;
        let before = counts(&app);
        let r = app
            .new_browser()
            .sign_in("ada@example.com", "Ada", None)
            .await;
        let body = assert_friendly_page(r, 403, "disabled user signs in").await;
        assert!(body.contains("disabled"), "{body}");
        assert_eq!(counts(&app), before, "no session for a disabled user");
        app.stop().await;
    }
);
