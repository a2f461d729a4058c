//! Several instances behind one load balancer: two `Application`s on different ports sharing one
//! database, one `SECRET_KEY`, one provider and one public `APP_BASE_URL`. A sign-in begun on A
//! finishes on B; a session renewed on B is accepted by A; a revocation or a disabled user on A
//! is refused by B within 1 s of real time (the session cache's bound, `auth::cache::CACHE_TTL`).

use crate::both_backends;
use crate::helpers::*;
use crate::metrics::sample;
use crate::support::*;
use base64::Engine;
use reqwest::cookie::CookieStore;
use signin::domain::RevokeReason;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `url` with its port replaced: the load balancer sent this request to the other instance.
fn on_port(url: &str, port: u16) -> String {
    let mut u = url::Url::parse(url).unwrap();
    u.set_port(Some(port)).unwrap();
    u.to_string()
}

both_backends!(
    two_instances_share_sign_in_and_revocation,
    |backend| async move {
        let a = spawn_app(backend).await;
        let b = spawn_app_with(
            backend,
            TestOptions {
                // Both serve the same public origin, as behind a load balancer.
                env: vec![("APP_BASE_URL", a.address.clone())],
                db: Some(a.db.clone()),
                provider: Some((a.provider.clone(), a.provider_url.clone())),
            },
        )
        .await;

        let browser = a.new_browser();
        let authorize = browser.begin_sign_in(None).await;
        let callback = browser.consent(&authorize, "ada@example.com", "Ada").await;
        let r = browser.get(&on_port(&callback, b.port)).await;
        assert_eq!(r.status().as_u16(), 303, "B finishes the sign-in A began");
        let cookie = session_cookie(&r).unwrap();
        for app in [&a, &b] {
            let r = get_with_cookie(app, "/api/me", &cookie).await;
            assert_eq!(r.status().as_u16(), 200, "signed in on port {}", app.port);
        }

        // Sign out on B; A may serve its cached check for at most the cache TTL, then refuses.
        let csrf = extract_input(
            &get_with_cookie(&b, "/", &cookie)
                .await
                .text()
                .await
                .unwrap(),
            "csrf",
        )
        .unwrap();
        let r = plain_client()
            .post(format!("{}/logout", b.address))
            .header(reqwest::header::COOKIE, &cookie)
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        a.clock.advance(chrono::Duration::seconds(1));
        assert_api_401(
            get_with_cookie(&a, "/api/me", &cookie).await,
            "revoked on B, seen by A",
        )
        .await;
        b.stop().await;
        a.stop().await;
    }
);

/// The bound the design promises for revocation across instances.
const REVOCATION_BOUND: Duration = Duration::from_secs(1);

/// A and B: B shares A's database and provider and answers for A's public origin.
async fn two_instances(backend: Backend) -> (TestApp, TestApp) {
    let a = spawn_app(backend).await;
    let b = spawn_app_with(
        backend,
        TestOptions {
            env: vec![("APP_BASE_URL", a.address.clone())],
            db: Some(a.db.clone()),
            provider: Some((a.provider.clone(), a.provider_url.clone())),
        },
    )
    .await;
    (a, b)
}

/// A browser whose cookie jar the test can read (cookies are per host, not per port, so the
/// same jar serves both instances on 127.0.0.1, as one origin behind a load balancer would).
fn browser_with_jar(base: &str) -> (Browser, Arc<reqwest::cookie::Jar>) {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_provider(jar.clone())
        .build()
        .unwrap();
    (
        Browser {
            base: base.to_string(),
            client,
        },
        jar,
    )
}

fn cookie_header(jar: &reqwest::cookie::Jar, base: &str) -> String {
    jar.cookies(&base.parse().unwrap())
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// `GET {base}/api/me` with exactly this Cookie header: the status.
async fn me_status_with_cookie(base: &str, cookie: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base}/api/me"))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn me_status_with_bearer(base: &str, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base}/api/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Polls until `refused()` is true; returns how long it took, or fails past the bound.
async fn refused_within<F, Fut>(what: &str, mut refused: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let t0 = Instant::now();
    loop {
        if refused().await {
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

/// Signs in through A entirely; returns the browser and its jar.
async fn signed_in_on(
    a: &TestApp,
    email: &str,
    name: &str,
) -> (Browser, Arc<reqwest::cookie::Jar>) {
    let (browser, jar) = browser_with_jar(&a.address);
    let r = browser.sign_in(email, name, None).await;
    assert_eq!(r.status().as_u16(), 303, "sign-in on A");
    (browser, jar)
}

async fn metric(app: &TestApp, series: &str) -> f64 {
    let text = app.new_browser().get_text("/metrics").await;
    sample(&text, series).unwrap_or(0.0)
}

fn jti_of(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    v["jti"].as_str().unwrap().to_string()
}

both_backends!(sign_in_begun_on_a_finishes_on_b, |backend| async move {
    let (a, b) = two_instances(backend).await;
    let (browser, _jar) = browser_with_jar(&a.address);
    // The authorize redirect (and the pending login in the encrypted cookie) come from A.
    let authorize = browser.begin_sign_in(Some("/api/me")).await;
    let callback = browser
        .consent(&authorize, "ada@example.com", "Ada Lovelace")
        .await;
    let mut on_b = url::Url::parse(&callback).unwrap();
    assert_eq!(
        on_b.port(),
        Some(a.port),
        "the registered redirect URI is the public (A's) origin"
    );
    on_b.set_port(Some(b.port)).unwrap();
    let r = browser.get(on_b.as_str()).await;
    assert_eq!(r.status().as_u16(), 303, "B finishes the sign-in A began");
    assert_eq!(location(&r), "/api/me");
    // B did it, not A.
    let success = r#"sign_ins_total{outcome="success",reason="none"}"#;
    assert_eq!(metric(&b, success).await, 1.0);
    assert_eq!(metric(&a, success).await, 0.0);
    // The session B started is good on both.
    for app in [&a, &b] {
        let me: serde_json::Value = browser
            .get(&format!("{}/api/me", app.address))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(me["email"], "ada@example.com", "on port {}", app.port);
    }
    a.stop().await;
    b.stop().await;
});

both_backends!(
    session_renewed_on_b_is_accepted_by_a,
    |backend| async move {
        let (a, b) = two_instances(backend).await;
        let (browser, jar) = signed_in_on(&a, "ada@example.com", "Ada Lovelace").await;
        let before = cookie_header(&jar, &a.address);
        // Into the renewal window (30 d tokens renewed within 7 d of expiry) on both instances.
        for app in [&a, &b] {
            app.clock.advance(chrono::Duration::days(25));
        }
        let r = browser.get(&format!("{}/", b.address)).await;
        assert_eq!(r.status().as_u16(), 200);
        assert!(
            r.headers().get("set-cookie").is_some(),
            "B renewed the session"
        );
        let renewed = cookie_header(&jar, &a.address);
        assert_ne!(renewed, before, "the cookie now holds B's renewed token");
        // Past the rotation grace of the old token: only the renewed token can still work.
        for app in [&a, &b] {
            app.clock.advance(chrono::Duration::minutes(2));
        }
        assert_eq!(
            me_status_with_cookie(&a.address, &renewed).await,
            200,
            "A accepts B's renewal"
        );
        assert_eq!(
            me_status_with_cookie(&a.address, &before).await,
            401,
            "the old token is gone"
        );
        let home = browser.get_text(&format!("{}/", a.address)).await;
        assert!(home.contains("Ada Lovelace"), "{home}");
        a.stop().await;
        b.stop().await;
    }
);

both_backends!(
    logout_on_a_is_refused_by_b_within_1s,
    |backend| async move {
        let (a, b) = two_instances(backend).await;
        let (browser, jar) = signed_in_on(&a, "ada@example.com", "Ada Lovelace").await;
        let cookie = cookie_header(&jar, &a.address);
        let csrf = browser.csrf().await;
        // B has just checked (and cached) the session: the worst case for staleness.
        assert_eq!(me_status_with_cookie(&b.address, &cookie).await, 200);
        let r = browser.post_form("/logout", &[("csrf", &csrf)]).await;
        assert_eq!(r.status().as_u16(), 303);
        let took = refused_within("logout on A, cookie on B", || async {
            me_status_with_cookie(&b.address, &cookie).await == 401
        })
        .await;
        eprintln!("logout on A refused by B after {took:?}");
        a.stop().await;
        b.stop().await;
    }
);

both_backends!(
    disabled_on_a_is_refused_by_b_within_1s,
    |backend| async move {
        let (a, b) = two_instances(backend).await;
        let (_browser, jar) = signed_in_on(&a, "ada@example.com", "Ada Lovelace").await;
        let cookie = cookie_header(&jar, &a.address);
        assert_eq!(me_status_with_cookie(&b.address, &cookie).await, 200);
        // What the admin's "Disable" does to the user row, done on A's side (A's own cache too).
        let user_id = a.query(|c| {
            use diesel::prelude::*;
            use signin::db::schema::users;
            diesel::update(users::table.filter(users::email.eq("ada@example.com")))
                .set(users::status.eq("disabled"))
                .execute(c)
                .unwrap();
            users::table
                .filter(users::email.eq("ada@example.com"))
                .select(users::id)
                .first::<i64>(c)
                .unwrap()
        });
        a.app.sessions.forget_user(user_id);
        assert_eq!(
            me_status_with_cookie(&a.address, &cookie).await,
            401,
            "A refuses at once"
        );
        let took = refused_within("disabled on A, cookie on B", || async {
            me_status_with_cookie(&b.address, &cookie).await == 401
        })
        .await;
        eprintln!("disabled on A refused by B after {took:?}");
        a.stop().await;
        b.stop().await;
    }
);

// The revocation bound itself, for an API token (no cookie, no renewal): B keeps refreshing its
// cache right up to the revocation, so the measured delay is the worst case of the cache.
both_backends!(
    api_token_revoked_on_a_is_refused_by_b_within_1s,
    |backend| async move {
        let (a, b) = two_instances(backend).await;
        let (browser, _jar) = signed_in_on(&a, "ada@example.com", "Ada Lovelace").await;
        let csrf = browser.csrf().await;
        let page = browser
            .post_form("/tokens", &[("csrf", &csrf)])
            .await
            .text()
            .await
            .unwrap();
        let start = page.find("spellcheck=\"false\">").unwrap() + "spellcheck=\"false\">".len();
        let token = page[start..start + page[start..].find('<').unwrap()]
            .trim()
            .to_string();
        for _ in 0..5 {
            assert_eq!(me_status_with_bearer(&b.address, &token).await, 200);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(me_status_with_bearer(&b.address, &token).await, 200);
        assert!(
            a.app
                .sessions
                .revoke(&jti_of(&token), RevokeReason::Admin)
                .await
                .unwrap()
        );
        assert_eq!(
            me_status_with_bearer(&a.address, &token).await,
            401,
            "A refuses at once"
        );
        let took = refused_within("API token revoked on A, used on B", || async {
            me_status_with_bearer(&b.address, &token).await == 401
        })
        .await;
        assert!(took > Duration::ZERO);
        eprintln!("API token revoked on A refused by B after {took:?}");
        a.stop().await;
        b.stop().await;
    }
);
