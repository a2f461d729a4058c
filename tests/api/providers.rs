//! Several providers behind one seam (issue 13): `PROVIDERS` chooses the buttons; `oidc` is any
//! OpenID provider found by discovery (here a second dev provider on its own port); each
//! provider's callback completes only the sign-ins begun with it; the identity, not the email,
//! finds the account; an `oidc` provider's emails make no admin unless trusted.

use crate::helpers::*;
use crate::{both_backends, oidc_test};

oidc_test!(
    a_first_and_a_returning_sign_in_through_discovery,
    &[],
    |app, oidc| {
        let page = app.new_browser().get_text("/login").await;
        let google = page.find("Sign in with Google").expect("Google's button");
        let other = page
            .find("Sign in with Example ID")
            .expect("the oidc button");
        assert!(google < other, "in PROVIDERS order");
        assert!(page.contains(r#"action="/auth/oidc/login""#), "{page}");

        let b = app.new_browser();
        let authorize = b.begin_sign_in_with("oidc", None).await;
        assert!(
            authorize.starts_with(&format!("http://127.0.0.1:{}/authorize?", oidc.port)),
            "sent to the discovered authorization endpoint: {authorize}"
        );
        assert!(
            authorize.contains("redirect_uri=http%3A%2F%2F127.0.0.1")
                && authorize.contains("%2Fauth%2Foidc%2Fcallback"),
            "{authorize}"
        );
        let callback = b.consent(&authorize, "ada@example.com", "Ada").await;
        let r = b.get(&callback).await;
        assert_eq!(r.status().as_u16(), 303, "signed in through oidc");
        assert_eq!(b.me().await["email"], "ada@example.com");
        let ids = app.identities();
        assert_eq!(ids.len(), 1);
        assert_eq!(ids[0].0, "oidc");

        // The returning user: the same account.
        let again = app
            .signed_in_with("oidc", "ada@example.com", "Ada L.")
            .await;
        assert_eq!(app.count_users(), 1, "the same account");
        assert_eq!(again.me().await["name"], "Ada L.");
        assert_eq!(app.identities().len(), 1);
    }
);

oidc_test!(
    the_same_email_at_another_provider_is_another_account_refused,
    &[],
    |app| {
        app.new_browser().signs_in("ada@example.com", "Ada").await;
        let before = app.counts();
        let r = app.new_sign_in_with("oidc", "ada@example.com", "Ada").await;
        assert_page_says(
            r,
            409,
            "oidc with Google's address",
            "belongs to another account",
        )
        .await;
        assert_eq!(
            app.counts(),
            before,
            "no account, no session: nothing is linked by email"
        );
        assert_eq!(app.identities().len(), 1);
    }
);

oidc_test!(
    a_callback_completes_only_its_own_provider_s_sign_in,
    &[],
    |app| {
        // Begun with Google, approved there, brought back to the oidc callback.
        let b = app.new_browser();
        let callback = b.consented("ada@example.com", "Ada").await;
        let crossed = callback.replace("/auth/google/callback", "/auth/oidc/callback");
        assert_ne!(crossed, callback);
        let r = b.get(&crossed).await;
        assert_friendly_page(r, 400, "another provider's callback").await;
        assert_eq!(app.count_users(), 0);
        let r = b.get("/auth/github/login").await;
        assert_friendly_page(r, 404, "a provider that is not enabled").await;
        let r = b.get("/auth/kakao/callback?code=x&state=y").await;
        assert_friendly_page(r, 404, "a callback of a provider that is not enabled").await;
    }
);

both_backends!(
    an_oidc_email_makes_an_admin_only_when_trusted,
    |backend| async move {
        for (trusted, role) in [("false", "user"), ("true", "admin")] {
            let (app, _) = TestApp::with_oidc(
                backend,
                &[
                    ("ADMIN_EMAILS", "boss@example.com"),
                    ("OIDC_TRUSTED_EMAILS", trusted),
                ],
            )
            .await;
            app.signed_in_with("oidc", "boss@example.com", "Boss").await;
            assert_eq!(
                app.user_state("boss@example.com").0,
                role,
                "OIDC_TRUSTED_EMAILS={trusted}"
            );
            app.stop().await;
        }
    }
);

/// The app's configuration with `PROVIDERS=oidc` pointed at `issuer_url`.
fn oidc_only_config(issuer_url: &str, db: &TestDb) -> signin::config::Config {
    let env: std::collections::HashMap<String, String> = [
        ("APP_BASE_URL", "http://127.0.0.1:9"),
        ("DATABASE_URL", db.url.as_str()),
        ("SECRET_KEY", SECRET_KEY),
        ("HTTP_TIMEOUT", "3s"),
        ("PROVIDERS", "oidc"),
        ("OIDC_ISSUER", issuer_url),
        ("OIDC_CLIENT_ID", CLIENT_ID),
        ("OIDC_CLIENT_SECRET", CLIENT_SECRET),
        ("OIDC_NAME", "Example ID"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    signin::config::Config::from_env(&env, false).expect("config")
}

async fn build(config: signin::config::Config) -> anyhow::Result<signin::startup::Application> {
    signin::startup::Application::build(
        config,
        signin::startup::AppOptions {
            clock: std::sync::Arc::new(signin::clock::ShiftedClock::new()),
            listener: Some(std::net::TcpListener::bind("127.0.0.1:0").expect("bind")),
            dev_keys: None,
            dev_auto_approve: false,
            workers: Some(1),
        },
    )
    .await
}

both_backends!(
    discovery_naming_another_issuer_stops_the_start,
    |backend| async move {
        // The provider at this URL says it is someone else.
        let (other, url) =
            spawn_provider_as("http://127.0.0.1:1", Some("https://other.example.com"));
        let db = TestDb::new(backend);
        let err = build(oidc_only_config(&url, &db))
            .await
            .err()
            .expect("the start is refused");
        let msg = format!("{err:#}");
        assert!(
            msg.contains(&format!("OIDC_ISSUER {url}"))
                && msg.contains("`https://other.example.com`"),
            "names both issuers: {msg}"
        );
        // Nothing answers: refused too, saying so.
        other.handle.stop(false).await;
        let err = build(oidc_only_config(&url, &db))
            .await
            .err()
            .expect("the start is refused");
        assert!(
            format!("{err:#}").contains("could not be fetched"),
            "{err:#}"
        );
    }
);

both_backends!(
    with_oidc_alone_the_page_offers_only_it,
    |backend| async move {
        let (oidc, url) = spawn_provider("http://127.0.0.1:1");
        let db = TestDb::new(backend);
        let app = build(oidc_only_config(&url, &db)).await.expect("starts");
        let port = app.port();
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        let page = plain_client()
            .get(format!("http://127.0.0.1:{port}/login"))
            .send()
            .await
            .expect("GET /login")
            .text()
            .await
            .expect("body");
        assert!(page.contains("Sign in with Example ID"), "{page}");
        assert!(!page.contains("Sign in with Google"), "{page}");
        assert!(!page.contains("/auth/google/login"), "{page}");
        let r = plain_client()
            .get(format!("http://127.0.0.1:{port}/auth/google/login"))
            .send()
            .await
            .expect("GET /auth/google/login");
        assert_eq!(r.status().as_u16(), 404, "Google is not enabled");
        handle.stop(false).await;
        oidc.handle.stop(false).await;
    }
);

// `serve --dev` stands a development provider in for each entry of `PROVIDERS`, on its own
// origin: each button leads to its own stand-in, and each signs in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_mode_mounts_a_provider_for_each_entry() {
    let env = [("PROVIDERS", "oidc,google,kakao,naver,github".to_string())];
    let mut bin = RunningBinary::start(&["serve", "--dev"], &env, Capture::Nothing, None).await;
    let base = bin.address.clone();
    let b = Browser::new(&base);
    let page = b.get_text("/login").await;
    let labels = [
        "Sign in with Dev OpenID",
        "Sign in with Google",
        "Sign in with Kakao",
        "Sign in with Naver",
        "Sign in with GitHub",
    ];
    let at: Vec<usize> = labels
        .iter()
        .map(|l| page.find(l).unwrap_or_else(|| panic!("{l}: {page}")))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "in PROVIDERS order");
    for (key, mount, email) in [
        ("oidc", "/dev/openid", "ada@example.com"),
        ("google", "/dev/oidc", "bob@example.com"),
        ("kakao", "/dev/kakao", "cy@example.com"),
        ("naver", "/dev/naver", "dee@example.com"),
        ("github", "/dev/github", "eve@example.com"),
    ] {
        let b = Browser::new(&base);
        let authorize = b.begin_sign_in_with(key, None).await;
        assert!(
            authorize.starts_with(&format!("{base}{mount}/authorize?")),
            "{key}: {authorize}"
        );
        let callback = b.consent(&authorize, email, "Someone").await;
        assert!(
            callback.starts_with(&format!("{base}/auth/{key}/callback?")),
            "{callback}"
        );
        assert_eq!(b.get(&callback).await.status().as_u16(), 303, "{key}");
        assert_eq!(b.me().await["email"], email);
    }
    bin.kill();
}

// The discovery document is read again with the JWKS (not at the first fetch: start-up just
// read it); a refreshed document naming another issuer changes nothing and sign-ins go on.
oidc_test!(discovery_is_refreshed_with_the_jwks, &[], |app, oidc| {
    let p = oidc.provider.clone();
    assert_eq!(p.discovery_requests(), 1, "read at start");
    let sign_in = |email: &'static str| app.signed_in_with("oidc", email, "Someone");
    sign_in("a@example.com").await;
    assert_eq!(p.jwks_requests(), 1);
    assert_eq!(
        p.discovery_requests(),
        1,
        "the first JWKS fetch reads no document"
    );

    // Past the JWKS cache's hour: the keys are fetched again, and the document with them.
    app.clock.advance(chrono::Duration::minutes(61));
    p.set_faults(signin::dev_provider::Faults {
        time_shift_secs: 61 * 60,
        ..Default::default()
    });
    sign_in("b@example.com").await;
    assert_eq!(p.jwks_requests(), 2);
    assert_eq!(p.discovery_requests(), 2, "read again with the JWKS");

    // Another hour, and now the document names someone else: ignored, sign-ins go on.
    app.clock.advance(chrono::Duration::minutes(61));
    p.set_faults(signin::dev_provider::Faults {
        time_shift_secs: 122 * 60,
        discovery_other_issuer: true,
        ..Default::default()
    });
    sign_in("c@example.com").await;
    assert_eq!(p.discovery_requests(), 3);
    assert_eq!(app.count_users(), 3);
});
