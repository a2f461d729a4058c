//! Property tests (proptest): the `next` sanitiser never yields an off-site URL; the JWT
//! decoder and the configuration parser never panic; arbitrary callback queries and `Cookie`
//! headers sent to the running app never produce a 500.

use crate::helpers::*;
use proptest::prelude::*;
use signin::config::Config;
use signin::domain::safe_next;
use signin::sessions::jwt::JwtCodec;
use std::collections::HashMap;

/// Strings biased towards what breaks URL checks.
fn nasty_string() -> impl Strategy<Value = String> {
    let atoms = prop_oneof![
        Just("/".to_string()),
        Just("//".to_string()),
        Just("\\".to_string()),
        Just("http:".to_string()),
        Just("https://evil.example".to_string()),
        Just("%2F".to_string()),
        Just("@".to_string()),
        Just("\t".to_string()),
        Just("\n".to_string()),
        Just("\u{0}".to_string()),
        Just("\u{2028}".to_string()),
        Just("\u{3000}".to_string()),
        Just("\u{feff}".to_string()),
        Just("javascript:".to_string()),
        "[a-z0-9.?=&#-]{0,8}",
        any::<String>(),
    ];
    prop::collection::vec(atoms, 0..8).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn safe_next_never_leaves_the_site(raw in nasty_string()) {
        let out = safe_next(Some(&raw));
        prop_assert!(out.starts_with('/'), "{out:?}");
        prop_assert!(!out.starts_with("//") && !out.starts_with("/\\"), "{out:?}");
        prop_assert!(!out.chars().any(|c| c.is_control() || c.is_whitespace()), "{out:?}");
        prop_assert!(out.len() <= 512);
        // Nothing JSON must escape (it would double in the cookie).
        prop_assert!(!out.contains('"'), "{out:?}");
        // Resolved against our origin, it stays on our origin.
        let base = url::Url::parse("https://app.example/").unwrap();
        let joined = base.join(&out).unwrap();
        prop_assert_eq!(joined.host_str(), Some("app.example"), "{:?}", out);
        prop_assert_eq!(joined.scheme(), "https");
        // Anything it keeps, it keeps unchanged.
        prop_assert!(out == "/" || out == raw);
    }

    #[test]
    fn jwt_decode_rejects_junk_without_panicking(raw in any::<String>(), dots in "[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_-]{0,40}") {
        let codec = JwtCodec::new(&[3u8; 32], "http://localhost:8000").unwrap();
        let now = chrono::Utc::now();
        prop_assert!(codec.decode(&raw, now).is_err());
        prop_assert!(codec.decode(&dots, now).is_err());
    }

    #[test]
    fn config_parser_never_panics(
        pairs in prop::collection::vec((
            prop_oneof![
                Just("APP_ENV"), Just("BIND_ADDR"), Just("APP_BASE_URL"), Just("DATABASE_URL"),
                Just("DATABASE_POOL_SIZE"), Just("DATABASE_POOL_TIMEOUT"), Just("SECRET_KEY"),
                Just("GOOGLE_CLIENT_ID"), Just("GOOGLE_CLIENT_SECRET"), Just("GOOGLE_ISSUER"),
                Just("GOOGLE_AUTH_URL"), Just("GOOGLE_TOKEN_URL"), Just("GOOGLE_JWKS_URL"),
                Just("ALLOWED_EMAIL_DOMAINS"), Just("ADMIN_EMAILS"), Just("JWT_TTL"),
                Just("JWT_RENEW_WITHIN"), Just("SESSION_MAX_AGE"), Just("HTTP_TIMEOUT"),
                Just("TRUSTED_PROXIES"), Just("LOG_FORMAT"), Just("RATE_LIMIT_PER_MINUTE"),
                Just("RATE_LIMIT_BURST"), Just("SHUTDOWN_TIMEOUT"), Just("ALLOW_HTTP"),
            ],
            prop_oneof![
                any::<String>(),
                "[0-9]{0,25}[a-z]{0,3}",
                "(http|https|postgres|sqlite)://[a-z0-9.:/@-]{0,30}",
                Just("9223372036854775807d".to_string()),
                Just("-1".to_string()),
            ],
        ), 0..12),
        dev in any::<bool>(),
    ) {
        let env: HashMap<String, String> =
            pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        match Config::from_env(&env, dev) {
            Ok(c) => prop_assert!(c.database.pool_size >= 1),
            Err(e) => prop_assert!(!e.0.is_empty(), "an error lists at least one problem"),
        }
    }
}

/// Runs `cases` random inputs against a live app on its own runtime, so proptest's
/// synchronous runner can drive async HTTP.
fn against_live_app(
    cases: u32,
    strategy: impl Strategy<Value = String>,
    send: fn(&Browser, String) -> reqwest::RequestBuilder,
) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = rt.block_on(TestApp::spawn(Backend::Sqlite));
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(cases));
    runner
        .run(&strategy, |input| {
            let status = rt
                .block_on(async { send(&app.browser, input.clone()).send().await })
                .map(|r| r.status().as_u16());
            // A request the client library itself refuses to build is no finding.
            if let Ok(status) = status {
                prop_assert!(status < 500, "{input:?} → {status}");
            }
            Ok(())
        })
        .unwrap();
    // Still healthy afterwards.
    let ok = rt.block_on(async { app.browser.get("/healthz").await.status().as_u16() });
    assert_eq!(ok, 200);
    rt.block_on(app.stop());
}

fn query_string() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("code"),
        Just("state"),
        Just("error"),
        Just("iss"),
        Just("scope"),
        Just("x"),
    ];
    let value = prop_oneof![any::<String>(), "[ -~]{0,3000}", Just(String::new())];
    prop::collection::vec((key, value, any::<bool>()), 0..6).prop_map(|kv| {
        kv.into_iter()
            .map(|(k, v, raw)| {
                if raw {
                    format!("{k}={v}")
                } else {
                    format!("{k}={}", urlencode(&v))
                }
            })
            .collect::<Vec<_>>()
            .join("&")
    })
}

#[test]
fn callback_query_never_gives_a_500() {
    against_live_app(300, query_string(), |b, q| {
        b.client.get(format!("{}/auth/google/callback?{q}", b.base))
    });
}

#[test]
fn cookie_header_never_gives_a_500() {
    let cookie = prop_oneof![
        any::<String>(),
        "session=[A-Za-z0-9+/=%_-]{0,600}",
        "(session|__Host-session|x)=[ -~]{0,200}(; [a-z]{1,5}=[ -~]{0,50}){0,3}",
    ];
    against_live_app(300, cookie, |b, c| {
        // A fresh client each time: the cookie jar must not mix in real cookies.
        let _ = &b.client;
        reqwest::Client::new()
            .get(format!("{}/", b.base))
            .header("cookie", c)
    });
}
