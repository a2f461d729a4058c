//! Provider faults: a slow, failing, garbled, incomplete, oversized or redirecting token
//! endpoint gives a friendly page in time and writes nothing; a JWKS outage is ridden out from
//! the cache; a code or state replayed after success is refused.

use crate::helpers::*;
use crate::{app_test, both_backends, faults};
use signin::dev_provider::{Faults, TokenAnswer};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const HTTP_TIMEOUT_SECS: u64 = 1;

async fn spawn_fast_timeout(backend: Backend) -> TestApp {
    TestApp::with_env(
        backend,
        &[("HTTP_TIMEOUT", &format!("{HTTP_TIMEOUT_SECS}s"))],
    )
    .await
}

/// Signs in with the fault on; asserts a friendly page within HTTP_TIMEOUT + 2 s and that
/// nothing was written.
async fn assert_friendly_failure(
    app: &TestApp,
    faults: Faults,
    want_status: u16,
    want_title: &str,
) {
    let b = app.new_browser();
    let callback = b.consented("ada@example.com", "Ada").await;
    app.set_faults(faults.clone());
    let started = Instant::now();
    let r = b.get(&callback).await;
    let took = started.elapsed();
    app.set_faults(Faults::default());
    let html = assert_friendly_page(r, want_status, &format!("{faults:?}")).await;
    assert!(
        took < Duration::from_secs(HTTP_TIMEOUT_SECS + 2),
        "{faults:?} took {took:?}"
    );
    assert!(html.contains(want_title), "{faults:?}: {html}");
    assert_eq!(app.count_users(), 0, "{faults:?} wrote a user");
    assert_eq!(app.count_sessions(), 0, "{faults:?} wrote a session");
    assert_eq!(
        b.get("/api/me").await.status().as_u16(),
        401,
        "not signed in"
    );
}

both_backends!(
    slow_token_endpoint_times_out_with_a_friendly_page,
    |backend| async move {
        let app = spawn_fast_timeout(backend).await;
        let f = faults!(token_delay: Some(Duration::from_secs(HTTP_TIMEOUT_SECS + 3)));
        assert_friendly_failure(&app, f, 504, "did not answer in time").await;
        app.stop().await;
    }
);

both_backends!(
    failing_or_garbled_token_endpoint_gives_a_friendly_page,
    |backend| async move {
        let app = spawn_fast_timeout(backend).await;
        let cases = [
            faults!(token: TokenAnswer::Status(500)),
            faults!(token: TokenAnswer::Status(502)),
            faults!(token: TokenAnswer::Status(503)),
            faults!(token: TokenAnswer::Garbage),
            faults!(token: TokenAnswer::NoIdToken),
            // 2 MiB: refused by the 1 MiB cap before parsing (its id_token would otherwise fail
            // verification with a different page).
            faults!(token: TokenAnswer::Oversized),
        ];
        for f in cases {
            assert_friendly_failure(&app, f, 502, "Google sign-in failed").await;
        }
        // The app still works afterwards.
        app.signed_in("ada@example.com", "Ada").await;
        app.stop().await;
    }
);

app_test!(jwks_outage_is_ridden_out_from_the_cache, |app| {
    // Without a cached key, a JWKS outage stops the sign-in (so the fault is real) ...
    let fresh = app.sibling().await;
    // ... first the cache of `app` is filled by a normal sign-in.
    app.signed_in("ada@example.com", "Ada").await;
    app.set_faults(faults!(jwks_down));
    let r = fresh.sign_in("grace@example.com", "Grace").await;
    assert_eq!(
        r.status().as_u16(),
        502,
        "an app with no cached JWKS cannot verify"
    );
    assert_eq!(fresh.count_users(), 0);
    // ... and with one, the second sign-in succeeds while the JWKS endpoint is down.
    let b = app.new_browser();
    let r = b.sign_in("grace@example.com", "Grace", None).await;
    assert_eq!(r.status().as_u16(), 303, "verified with the cached key");
    assert_eq!(app.count_users(), 2);
    fresh.stop().await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirecting_token_endpoint_is_not_followed() {
    // A token endpoint that answers 307 (method and body kept) to another path of its own
    // origin; any request reaching that path means the redirect was followed.
    let token_hits = Arc::new(AtomicUsize::new(0));
    let landed = Arc::new(AtomicUsize::new(0));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let redirector = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let (t, l) = (token_hits.clone(), landed.clone());
    let server = actix_web::HttpServer::new(move || {
        let (t, l) = (t.clone(), l.clone());
        actix_web::App::new()
            .route(
                "/token",
                actix_web::web::post().to(move || {
                    let t = t.clone();
                    async move {
                        t.fetch_add(1, Ordering::SeqCst);
                        actix_web::HttpResponse::TemporaryRedirect()
                            .insert_header(("Location", "/landed"))
                            .finish()
                    }
                }),
            )
            .default_service(actix_web::web::to(move || {
                let l = l.clone();
                async move {
                    l.fetch_add(1, Ordering::SeqCst);
                    actix_web::HttpResponse::Ok().json(serde_json::json!({"error": "followed"}))
                }
            }))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let server_handle = server.handle();
    tokio::spawn(server);

    let token_url = format!("{redirector}/token");
    let app = TestApp::with_env(Backend::Sqlite, &[("GOOGLE_TOKEN_URL", &token_url)]).await;
    let r = app.sign_in("ada@example.com", "Ada").await;
    assert_eq!(
        token_hits.load(Ordering::SeqCst),
        1,
        "the app called the token endpoint once"
    );
    assert_eq!(
        landed.load(Ordering::SeqCst),
        0,
        "the redirect was followed"
    );
    assert_eq!(r.status().as_u16(), 502);
    let html = r.text().await.unwrap();
    assert!(html.contains("Google sign-in failed"), "{html}");
    assert_eq!(app.count_users(), 0);
    server_handle.stop(false).await;
    app.stop().await;
}

app_test!(code_or_state_replayed_after_success_is_refused, |app| {
    let callback = app.browser.consented("ada@example.com", "Ada").await;
    assert_eq!(app.browser.get(&callback).await.status().as_u16(), 303);
    assert_eq!(app.count_sessions(), 1);

    // The same callback again, in the same browser (pending login consumed) ...
    let r = app.browser.get(&callback).await;
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.text().await.unwrap().contains("no longer valid"));
    // ... and in another browser (an attacker who saw the URL).
    let other = app.new_browser();
    assert_eq!(other.get(&callback).await.status().as_u16(), 400);

    // The old code with a fresh, valid state: the provider refuses the reused code.
    let old_code = query_param(&callback, "code").unwrap();
    let authorize = other.begin_sign_in(None).await;
    let fresh_state = query_param(&authorize, "state").unwrap();
    let r = other
        .get(&format!(
            "/auth/google/callback?code={}&state={}",
            urlencode(&old_code),
            urlencode(&fresh_state)
        ))
        .await;
    assert_eq!(r.status().as_u16(), 502);
    assert_eq!(other.get("/api/me").await.status().as_u16(), 401);
    assert_eq!(
        app.count_sessions(),
        1,
        "no second session from a replayed code"
    );
});
