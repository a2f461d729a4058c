//! API tokens are API credentials and nothing more (issue 11, item 1): a Bearer token counts on
//! `/api/*` only, cannot mint tokens, has a required name, its own lifetime (`API_TOKEN_TTL`,
//! never extended by use, never beyond the user's status), a last-used time written at most
//! once a minute, and audited creation.

use crate::app_test;
use crate::both_backends;
use crate::helpers::*;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use reqwest::header::AUTHORIZATION;
use signin::db::schema::sessions;

const ADMIN: &str = "admin@example.com";

/// A request to `path` carrying only `Authorization: Bearer <token>` (no cookie).
fn bearer(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
) -> reqwest::RequestBuilder {
    plain_client()
        .request(method, app.browser.url(path))
        .header(AUTHORIZATION, format!("Bearer {token}"))
}

/// `(name, last_used_at)` of every API-token row, oldest first.
fn api_rows(app: &TestApp) -> Vec<(Option<String>, Option<NaiveDateTime>)> {
    app.query(|c| {
        sessions::table
            .filter(sessions::kind.eq("api"))
            .order(sessions::created_at.asc())
            .select((sessions::name, sessions::last_used_at))
            .load(c)
            .expect("API token rows")
    })
}

both_backends!(
    a_bearer_token_is_ignored_outside_the_api,
    |backend| async move {
        let app = TestApp::with_env(backend, &[("ADMIN_EMAILS", ADMIN)]).await;
        let admin = app.signed_in(ADMIN, "Admin").await;
        let token = admin.create_named_token("ops").await;
        assert_eq!(
            app.me_status_with_bearer(&token).await,
            200,
            "the API takes it"
        );

        // Admin pages answer as to an anonymous visitor: sent to sign in.
        for path in ["/admin/users", "/admin/audit", "/admin"] {
            let r = bearer(&app, reqwest::Method::GET, path, &token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 303, "{path}");
            assert!(
                location(&r).starts_with("/login"),
                "{path}: {}",
                location(&r)
            );
        }
        // The home page is the sign-in page.
        let r = bearer(&app, reqwest::Method::GET, "/", &token)
            .send()
            .await
            .unwrap();
        let home = r.text().await.unwrap();
        assert!(home.contains("Sign in with Google"), "{home}");

        // Tokens cannot mint tokens: refused as anonymous, no new row.
        let before = api_rows(&app).len();
        let r = bearer(&app, reqwest::Method::POST, "/tokens", &token)
            .form(&[("csrf", "x"), ("name", "chained")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        assert!(location(&r).starts_with("/login"), "{}", location(&r));
        assert_eq!(api_rows(&app).len(), before, "no token minted by a token");
        // Nor act as admin with a token.
        let pid = app.public_id(ADMIN);
        let r = bearer(
            &app,
            reqwest::Method::POST,
            &format!("/admin/users/{pid}/demote"),
            &token,
        )
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(app.user_state(ADMIN).0, "admin");
        app.stop().await;
    }
);

app_test!(a_token_needs_a_name_which_is_kept_and_shown, |app| {
    let b = app.signed_in("ada@example.com", "Ada").await;
    let csrf = b.csrf().await;
    for (name, says) in [
        ("", "Give the token a name"),
        ("   ", "Give the token a name"),
    ] {
        let r = b
            .post_form("/tokens", &[("csrf", &csrf), ("name", name)])
            .await;
        assert_page_says(r, 400, "empty name", says).await;
    }
    let r = b.post_form("/tokens", &[("csrf", &csrf)]).await;
    assert_page_says(r, 400, "no name", "Give the token a name").await;
    let long = "x".repeat(101);
    let r = b
        .post_form("/tokens", &[("csrf", &csrf), ("name", &long)])
        .await;
    assert_page_says(r, 400, "long name", "at most 100").await;
    assert!(api_rows(app).is_empty(), "nothing made");

    let r = b
        .post_form("/tokens", &[("csrf", &csrf), ("name", "  CI <deploy>  ")])
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("CI &#60;deploy&#62;") || html.contains("CI &lt;deploy&gt;"),
        "{html}"
    );
    assert!(scrape_token(&html).is_some());
    assert_eq!(api_rows(app)[0].0.as_deref(), Some("CI <deploy>"));
    // Audited, by name, never with the token.
    let created = app.audit_rows_of("create_api_token");
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(created[0].1, "ada@example.com");
    assert!(
        created[0]
            .3
            .as_deref()
            .unwrap_or("")
            .contains("CI <deploy>")
    );
});

both_backends!(
    a_token_lives_api_token_ttl_and_use_does_not_extend_it,
    |backend| async move {
        let app = TestApp::with_env(
            backend,
            &[
                ("API_TOKEN_TTL", "2d"),
                ("JWT_TTL", "1d"),
                ("JWT_RENEW_WITHIN", "12h"),
            ],
        )
        .await;
        let b = app.signed_in("ada@example.com", "Ada").await;
        let token = b.create_api_token().await;
        let p = jwt_payload(&token);
        assert_eq!(
            p["exp"].as_i64().unwrap() - p["iat"].as_i64().unwrap(),
            2 * 86_400
        );
        let first: serde_json::Value = app.me_with_bearer(&token).await.json().await.unwrap();
        // Used every few hours, well past the browser's JWT_TTL and inside what would be a
        // renewal window: the token and its expiry stay as they were.
        for _ in 0..11 {
            app.clock.advance(Duration::hours(4));
            let r = app.me_with_bearer(&token).await;
            assert_eq!(r.status().as_u16(), 200);
            let me: serde_json::Value = r.json().await.unwrap();
            assert_eq!(me["session"]["expires_at"], first["session"]["expires_at"]);
            assert_eq!(me["session"]["ends_at"], first["session"]["expires_at"]);
        }
        assert_eq!(api_rows(&app).len(), 1, "never rotated");
        app.clock.advance(Duration::hours(4) + Duration::minutes(1)); // 2 days + 1 minute
        assert_api_401(app.me_with_bearer(&token).await, "past API_TOKEN_TTL").await;
        app.stop().await;
    }
);

both_backends!(a_disabled_users_tokens_stop_at_once, |backend| async move {
    let app = TestApp::with_env(backend, &[("ADMIN_EMAILS", ADMIN)]).await;
    let admin = app.signed_in(ADMIN, "Admin").await;
    let bob = app.signed_in("bob@example.com", "Bob").await;
    let token = bob.create_api_token().await;
    assert_eq!(app.me_status_with_bearer(&token).await, 200);
    let pid = app.public_id("bob@example.com");
    let csrf = admin.csrf().await;
    let r = admin
        .post_form(&format!("/admin/users/{pid}/disable"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    // No clock move: the very next call is refused.
    assert_api_401(app.me_with_bearer(&token).await, "disabled user's token").await;
    app.stop().await;
});

app_test!(last_used_is_written_at_most_once_a_minute, |app| {
    let b = app.signed_in("ada@example.com", "Ada").await;
    let token = b.create_api_token().await;
    let created = api_rows(app)[0].1.expect("last used set on creation");
    app.clock.advance(Duration::seconds(30));
    assert_eq!(app.me_status_with_bearer(&token).await, 200);
    assert_eq!(api_rows(app)[0].1, Some(created), "not within the minute");
    app.clock.advance(Duration::seconds(45));
    assert_eq!(app.me_status_with_bearer(&token).await, 200);
    let used = api_rows(app)[0].1.expect("last used");
    assert!(
        used - created >= Duration::seconds(75),
        "{created} → {used}"
    );
});
