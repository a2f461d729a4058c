//! Kakao (OpenID Connect at fixed endpoints, the address only when Kakao marks it verified),
//! Naver (OAuth 2.0 with state and the profile API) and GitHub (OAuth 2.0 with PKCE, only the
//! verified primary address), each against a dev provider answering in that provider's shapes
//! (issue 13, items 1 and 4).

use crate::helpers::*;
use crate::{both_backends, faults};

/// A first and a returning sign-in through `key`: one account, one identity of that provider.
async fn first_and_returning(backend: Backend, key: &'static str) {
    let (app, provider) = TestApp::with_provider(backend, key, &[]).await;
    let page = app.new_browser().get_text("/login").await;
    assert!(
        page.contains(&format!(r#"action="/auth/{key}/login""#)),
        "{page}"
    );
    for name in ["Ada", "Ada L."] {
        let b = app.new_browser();
        let r = b.sign_in_with(key, "ada@example.com", name).await;
        assert_eq!(r.status().as_u16(), 303, "{key} sign-in as {name}");
        let me = b.me().await;
        assert_eq!(me["email"], "ada@example.com");
        assert_eq!(me["name"], name);
    }
    assert_eq!(
        app.count_users(),
        1,
        "the returning user is the same account"
    );
    let ids = app.identities();
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].0, key);
    app.stop().await;
    provider.handle.stop(false).await;
}

both_backends!(kakao_first_and_returning, |backend| async move {
    first_and_returning(backend, "kakao").await;
});

both_backends!(naver_first_and_returning, |backend| async move {
    first_and_returning(backend, "naver").await;
});

both_backends!(github_first_and_returning, |backend| async move {
    first_and_returning(backend, "github").await;
});

both_backends!(
    the_login_page_offers_each_in_its_brand_style,
    |backend| async move {
        let (app, provider) = TestApp::with_provider(backend, "github", &[]).await;
        let page = app.new_browser().get_text("/login").await;
        assert!(page.contains(r#"class="provider-button github""#), "{page}");
        assert!(page.contains("Sign in with GitHub"), "{page}");
        app.stop().await;
        provider.handle.stop(false).await;
    }
);

/// The provider's authorize URL for a sign-in begun with `key`.
async fn authorize_url(app: &TestApp, key: &str) -> String {
    app.new_browser().begin_sign_in_with(key, None).await
}

both_backends!(each_speaks_its_own_protocol, |backend| async move {
    let (app, provider) = TestApp::with_provider(backend, "github", &[]).await;
    let a = authorize_url(&app, "github").await;
    assert_eq!(
        query_param(&a, "code_challenge_method").as_deref(),
        Some("S256"),
        "GitHub: PKCE"
    );
    assert_eq!(
        query_param(&a, "scope").as_deref(),
        Some("read:user user:email")
    );
    app.stop().await;
    provider.handle.stop(false).await;

    let (app, provider) = TestApp::with_provider(backend, "naver", &[]).await;
    let a = authorize_url(&app, "naver").await;
    assert!(
        query_param(&a, "state").is_some_and(|s| s.len() >= 43),
        "Naver: state"
    );
    assert_eq!(
        query_param(&a, "code_challenge"),
        None,
        "Naver takes no PKCE"
    );
    app.stop().await;
    provider.handle.stop(false).await;

    let (app, provider) = TestApp::with_provider(backend, "kakao", &[]).await;
    let a = authorize_url(&app, "kakao").await;
    assert!(
        query_param(&a, "nonce").is_some(),
        "Kakao: OpenID with a nonce"
    );
    assert!(
        query_param(&a, "scope")
            .is_some_and(|s| s.contains("openid") && s.contains("account_email")),
        "{a}"
    );
    app.stop().await;
    provider.handle.stop(false).await;
});

both_backends!(
    a_github_account_without_a_verified_primary_email_is_refused,
    |backend| async move {
        let (app, provider) = TestApp::with_provider(backend, "github", &[]).await;
        let b = app.new_browser();
        let authorize = b.begin_sign_in_with("github", None).await;
        // The primary address unverified (a verified secondary one is offered too, and must not
        // count).
        let r = b.approve(&authorize, "ada@example.com", "Ada", false).await;
        let r = b.get(&location(&r)).await;
        assert_page_says(
            r,
            403,
            "unverified GitHub primary",
            "GitHub has not verified the email address",
        )
        .await;
        assert_eq!(app.count_users(), 0);
        app.stop().await;
        provider.handle.stop(false).await;
    }
);

both_backends!(
    a_kakao_address_counts_only_when_kakao_verified_it,
    |backend| async move {
        let (app, provider) = TestApp::with_provider(backend, "kakao", &[]).await;
        let b = app.new_browser();
        let authorize = b.begin_sign_in_with("kakao", None).await;
        let r = b.approve(&authorize, "ada@example.com", "Ada", false).await;
        let r = b.get(&location(&r)).await;
        assert_page_says(
            r,
            403,
            "unverified Kakao address",
            "Kakao has not verified the email address",
        )
        .await;
        assert_eq!(app.count_users(), 0);
        app.stop().await;
        provider.handle.stop(false).await;
    }
);

both_backends!(
    a_naver_profile_error_is_a_friendly_refusal,
    |backend| async move {
        let (app, provider) = TestApp::with_provider(backend, "naver", &[]).await;
        provider.provider.set_faults(faults!(profile_error));
        let r = app
            .new_browser()
            .sign_in_with("naver", "ada@example.com", "Ada")
            .await;
        assert_page_says(r, 502, "Naver's profile error", "Naver sign-in failed").await;
        assert_eq!(app.count_users(), 0);
        let refused = app.audit_rows_of("sign_in_refused");
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].3.as_deref(), Some("provider_refused"));
        app.stop().await;
        provider.handle.stop(false).await;
    }
);

// Naver never says an address is verified: it signs a person in to an open service, but never
// past an allowlist (the address proves nothing a list could be checked against).
both_backends!(
    a_naver_address_never_passes_an_allowlist,
    |backend| async move {
        let (app, provider) = TestApp::with_provider(
            backend,
            "naver",
            &[("ALLOWED_EMAIL_DOMAINS", "example.com")],
        )
        .await;
        let r = app
            .new_browser()
            .sign_in_with("naver", "ada@example.com", "Ada")
            .await;
        assert_page_says(
            r,
            403,
            "Naver under an allowlist",
            "Naver has not verified the email address",
        )
        .await;
        assert_eq!(app.count_users(), 0);
        // Google's verified address on the same list signs in.
        app.new_browser().signs_in("bob@example.com", "Bob").await;
        app.stop().await;
        provider.handle.stop(false).await;
    }
);
