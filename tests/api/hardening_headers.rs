//! Response headers, cookie attributes and size, pending-login expiry, and trusted proxies:
//! forged forwarding headers change nothing unless the peer is a trusted proxy.

use crate::helpers::*;
use crate::{app_test, both_backends};
use reqwest::header::{HeaderMap, HeaderValue};

fn csp_directive(csp: &str, name: &str) -> String {
    csp.split(';')
        .map(str::trim)
        .find(|d| d.starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in {csp}"))
        .to_string()
}

app_test!(sqlite: security_headers_on_pages_api_and_errors, |app| {
    for path in ["/", "/login", "/api/me", "/no-such-page", "/healthz"] {
        let r = app.browser.get(path).await;
        let csp = header(&r, "content-security-policy");
        assert_eq!(
            csp_directive(&csp, "default-src"),
            "default-src 'self'",
            "{path}"
        );
        assert_eq!(
            csp_directive(&csp, "frame-ancestors"),
            "frame-ancestors 'none'"
        );
        let script = csp_directive(&csp, "script-src");
        assert!(
            !script.contains("unsafe-inline") && !script.contains("unsafe-eval"),
            "{script}"
        );
        // The provider's authorize origin (here the test provider) may receive form posts.
        let form_action = csp_directive(&csp, "form-action");
        assert_contains_all(&form_action, &["'self'", &app.provider_url]);
        let img = csp_directive(&csp, "img-src");
        assert_contains_all(&img, &["'self'", "https://lh3.googleusercontent.com"]);
        assert_eq!(header(&r, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(
            header(&r, "referrer-policy"),
            "strict-origin-when-cross-origin",
            "{path}"
        );
        let pp = header(&r, "permissions-policy");
        assert_contains_all(&pp, &["camera=()", "geolocation=()"]);
        assert_eq!(header(&r, "cache-control"), "no-store", "{path}");
        assert!(
            r.headers().get("strict-transport-security").is_none(),
            "no HSTS on http"
        );
    }
    // Static assets may be cached.
    let r = app.browser.get("/static/app.css").await;
    assert_eq!(r.status().as_u16(), 200);
    assert_ne!(header(&r, "cache-control"), "no-store");
    assert_eq!(header(&r, "x-content-type-options"), "nosniff");
});

app_test!(sqlite: callback_never_leaks_the_code_through_referer, |app| {
    // Refused callback (no pending login) and a real successful one.
    let r = app
        .browser
        .get("/auth/google/callback?code=abc&state=def")
        .await;
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(header(&r, "referrer-policy"), "no-referrer");
    let r = app.sign_in("ada@example.com", "Ada").await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(header(&r, "referrer-policy"), "no-referrer");
    assert_eq!(header(&r, "cache-control"), "no-store");
});

app_test!(sqlite: personal_pages_and_api_are_never_cached, |app| {
    let b = app.signed_in("ada@example.com", "Ada").await;
    for path in ["/", "/api/me"] {
        let r = b.get(path).await;
        assert_eq!(r.status().as_u16(), 200, "{path}");
        assert_eq!(header(&r, "cache-control"), "no-store", "{path}");
    }
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_base_url_gives_hsts_and_a_host_prefixed_secure_cookie() {
    // The app still serves plain HTTP on loopback; only the configured origin is https.
    let app = TestApp::with_env(Backend::Sqlite, &[("APP_BASE_URL", "https://signin.test")]).await;
    let r = app.browser.get("/login").await;
    let hsts = header(&r, "strict-transport-security");
    assert!(
        hsts.starts_with("max-age=") && hsts.contains("includeSubDomains"),
        "{hsts}"
    );
    let max_age: u64 = hsts["max-age=".len()..]
        .split(';')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(max_age >= 31_536_000, "at least a year: {hsts}");

    let r = app.browser.get("/auth/google/login").await;
    assert_eq!(r.status().as_u16(), 302);
    let cookies = set_cookies(&r);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let c = &cookies[0];
    // A visitor gets only the flow cookie; `__Host-` requires `Path=/`.
    assert!(c.starts_with("__Host-signin-flow="), "{c}");
    let attrs = cookie_attributes(c);
    for want in ["secure", "httponly", "path=/", "samesite=lax"] {
        assert!(attrs.iter().any(|a| a == want), "{want} missing in {c}");
    }
    assert!(
        !attrs.iter().any(|a| a.starts_with("domain")),
        "no Domain: {c}"
    );
    // The redirect URI follows the configured origin.
    let loc = location(&r);
    assert!(
        loc.contains(&urlencode("https://signin.test/auth/google/callback")),
        "{loc}"
    );

    // Finish the sign-in: the session cookie it sets is `__Host-` too, Secure, on `Path=/`.
    // (The jar would not send a Secure cookie over the loopback's plain HTTP, so the flow
    // cookie goes by hand, to the callback URL moved from the configured origin to the app.)
    let flow = c.split(';').next().unwrap().to_string();
    app.provider
        .add_redirect_uri("https://signin.test/auth/google/callback");
    let callback = app
        .browser
        .consent(&loc, "https-user@example.com", "H")
        .await;
    let callback = callback.replace("https://signin.test", &app.address);
    let r = plain_client()
        .get(&callback)
        .header("cookie", flow)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{:?}", r.headers());
    let cookies = set_cookies(&r);
    let session = cookies
        .iter()
        .find(|c| c.starts_with("__Host-session="))
        .unwrap_or_else(|| panic!("no __Host-session cookie in {cookies:?}"));
    let attrs = cookie_attributes(session);
    for want in ["secure", "httponly", "path=/", "samesite=lax"] {
        assert!(
            attrs.iter().any(|a| a == want),
            "{want} missing in {session}"
        );
    }
    assert!(
        !attrs.iter().any(|a| a.starts_with("domain")),
        "no Domain: {session}"
    );
    app.stop().await;
}

app_test!(sqlite: http_base_url_cookie_is_httponly_lax_path_root_without_domain, |app| {
    let r = app.sign_in("ada@example.com", "Ada").await;
    let c = set_cookies(&r)
        .into_iter()
        .find(|c| c.starts_with("session="))
        .expect("a session cookie");
    assert!(c.starts_with("session="), "{c}");
    let attrs = cookie_attributes(&c);
    for want in ["httponly", "path=/", "samesite=lax"] {
        assert!(attrs.iter().any(|a| a == want), "{want} missing in {c}");
    }
    assert!(!attrs.iter().any(|a| a.starts_with("domain")), "{c}");
    assert!(
        !attrs.iter().any(|a| a == "secure"),
        "not Secure on http (would be dropped): {c}"
    );
});

app_test!(pending_login_expires_after_ten_minutes, |app| {
    let callback = app.browser.consented("ada@example.com", "Ada").await;
    app.clock.advance(chrono::Duration::minutes(11));
    let r = app.browser.get(&callback).await;
    assert_eq!(r.status().as_u16(), 400);
    let body = r.text().await.unwrap();
    assert!(body.contains("no longer valid"), "{body}");
    assert_eq!(app.count_users(), 0);
    assert_eq!(app.count_sessions(), 0);

    // Nine minutes is still fine (the limit is ten, not less).
    let b = app.new_browser();
    let callback = b.consented("ada@example.com", "Ada").await;
    app.clock.advance(chrono::Duration::minutes(9));
    assert_eq!(b.get(&callback).await.status().as_u16(), 303);
});

app_test!(sqlite: largest_cookie_stays_well_under_4_kb, |app| {
    let b = app.signed_in("ada@example.com", "Ada Lovelace").await;
    // Signed in (JWT + CSRF token), then a second sign-in begins with the longest `next` the
    // sanitiser keeps (512 bytes): plain ASCII, percent escapes and two-byte UTF-8. (A `"`
    // would be escaped twice by JSON, so the sanitiser refuses it: the quote-stuffed `next`,
    // the worst case before `"` was refused, is replaced by `/`.)
    let long_path = format!("/{}", "a".repeat(511));
    let escapes = format!("/{}", "%22".repeat(170));
    let utf8 = format!("/{}", "é".repeat(255));
    let quotes = format!("/{}", "\"".repeat(511));
    for next in [long_path, escapes, utf8, quotes] {
        let r = b
            .get(&format!("/auth/google/login?next={}", urlencode(&next)))
            .await;
        assert_eq!(r.status().as_u16(), 302);
        let c = set_cookies(&r).pop().expect("cookie");
        let size = c.len();
        eprintln!(
            "largest Set-Cookie ({} bytes of next): {size} bytes",
            next.len()
        );
        assert!(
            size < 2500,
            "cookie of {size} bytes is too close to the 4 KB browser limit"
        );
    }
});

/// A browser that forges forwarding headers on every request.
fn forging_browser(app: &TestApp, forwarded_for: &str) -> Browser {
    let mut h = HeaderMap::new();
    h.insert(
        "x-forwarded-for",
        HeaderValue::from_str(forwarded_for).unwrap(),
    );
    h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
    h.insert("x-forwarded-host", HeaderValue::from_static("evil.example"));
    h.insert(
        "forwarded",
        HeaderValue::from_static("for=6.6.6.6;proto=https;host=evil.example"),
    );
    Browser::with_headers(&app.address, h)
}

app_test!(forged_forwarding_headers_change_nothing, |app| {
    let b = forging_browser(app, "6.6.6.6");
    let r = b
        .client
        .get(b.url("/auth/google/login"))
        .header(reqwest::header::HOST, "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 302);
    let loc = location(&r);
    let redirect_uri = query_param(&loc, "redirect_uri").unwrap();
    assert_eq!(
        redirect_uri,
        format!("{}/auth/google/callback", app.address)
    );
    let c = set_cookies(&r).pop().unwrap();
    assert!(
        c.starts_with("signin-flow="),
        "X-Forwarded-Proto does not make it __Host-: {c}"
    );
    assert!(
        !cookie_attributes(&c)
            .iter()
            .any(|a| a == "secure" || a.starts_with("domain")),
        "{c}"
    );
    assert!(r.headers().get("strict-transport-security").is_none());

    b.signs_in("ada@example.com", "Ada").await;
    assert_eq!(
        app.session_ips(),
        vec![Some("127.0.0.1".to_string())],
        "the real peer"
    );
});

both_backends!(trusted_proxy_forwarding_is_recorded, |backend| async move {
    let app = TestApp::with_env(backend, &[("TRUSTED_PROXIES", "127.0.0.1")]).await;
    let b = forging_browser(&app, "198.51.100.23");
    b.signs_in("ada@example.com", "Ada").await;
    assert_eq!(app.session_ips(), vec![Some("198.51.100.23".to_string())]);
    app.stop().await;
});
