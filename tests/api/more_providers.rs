//! Kakao (OpenID Connect at fixed endpoints, the address only when Kakao marks it verified),
//! Naver (OAuth 2.0 with state and the profile API) and GitHub (OAuth 2.0 with PKCE, only the
//! verified primary address), each against a dev provider answering in that provider's shapes
//! (issue 13, items 1 and 4).

use crate::helpers::*;
use crate::{both_backends, faults};

/// A first and a returning sign-in through `key`: one account, one identity of that provider.
async fn first_and_returning(backend: Backend, key: &'static str) {
    let (app, _) = TestApp::with_provider(backend, key, &[]).await;
    let page = app.new_browser().get_text("/login").await;
    assert!(
        page.contains(&format!(r#"action="/auth/{key}/login""#)),
        "{page}"
    );
    for name in ["Ada", "Ada L."] {
        let b = app.signed_in_with(key, "ada@example.com", name).await;
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
        let (app, _) = TestApp::with_provider(backend, "github", &[]).await;
        let page = app.new_browser().get_text("/login").await;
        assert!(page.contains(r#"class="provider-button github""#), "{page}");
        assert!(page.contains("Sign in with GitHub"), "{page}");
        app.stop().await;
    }
);

/// The provider's authorize URL for a sign-in begun with `key`, on an app of its own.
async fn authorize_url(backend: Backend, key: &'static str) -> String {
    let (app, _) = TestApp::with_provider(backend, key, &[]).await;
    let url = app.new_browser().begin_sign_in_with(key, None).await;
    app.stop().await;
    url
}

both_backends!(each_speaks_its_own_protocol, |backend| async move {
    let a = authorize_url(backend, "github").await;
    assert_eq!(
        query_param(&a, "code_challenge_method").as_deref(),
        Some("S256"),
        "GitHub: PKCE"
    );
    assert_eq!(
        query_param(&a, "scope").as_deref(),
        Some("read:user user:email")
    );

    let a = authorize_url(backend, "naver").await;
    assert!(
        query_param(&a, "state").is_some_and(|s| s.len() >= 43),
        "Naver: state"
    );
    assert_eq!(
        query_param(&a, "code_challenge"),
        None,
        "Naver takes no PKCE"
    );

    let a = authorize_url(backend, "kakao").await;
    assert!(
        query_param(&a, "nonce").is_some(),
        "Kakao: OpenID with a nonce"
    );
    assert!(
        query_param(&a, "scope")
            .is_some_and(|s| s.contains("openid") && s.contains("account_email")),
        "{a}"
    );
});

/// A sign-in as Ada through `key` (her address `verified` there or not) that the app refuses
/// with `status` and a page that says `says`: nobody is signed up.
async fn assert_refused(
    app: &TestApp,
    key: &str,
    verified: bool,
    status: u16,
    what: &str,
    says: &str,
) {
    let r = app
        .new_browser()
        .sign_in_verified(key, "ada@example.com", "Ada", verified)
        .await;
    assert_page_says(r, status, what, says).await;
    assert_eq!(app.count_users(), 0);
}

/// An address that the provider `key` has not verified is refused, the page saying so.
async fn unverified_is_refused(backend: Backend, key: &'static str, what: &str, says: &str) {
    let (app, _) = TestApp::with_provider(backend, key, &[]).await;
    assert_refused(&app, key, false, 403, what, says).await;
    app.stop().await;
}

// The primary address unverified (a verified secondary one is offered too, and must not count).
both_backends!(
    a_github_account_without_a_verified_primary_email_is_refused,
    |backend| async move {
        let says = "GitHub has not verified the email address";
        unverified_is_refused(backend, "github", "unverified GitHub primary", says).await;
    }
);

both_backends!(
    a_kakao_address_counts_only_when_kakao_verified_it,
    |backend| async move {
        let says = "Kakao has not verified the email address";
        unverified_is_refused(backend, "kakao", "unverified Kakao address", says).await;
    }
);

both_backends!(
    a_naver_profile_error_is_a_friendly_refusal,
    |backend| async move {
        let (app, provider) = TestApp::with_provider(backend, "naver", &[]).await;
        provider.provider.set_faults(faults!(profile_error));
        let says = "Naver sign-in failed";
        assert_refused(&app, "naver", true, 502, "Naver's profile error", says).await;
        let refused = app.audit_rows_of("sign_in_refused");
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].3.as_deref(), Some("provider_refused"));
        app.stop().await;
    }
);

// Naver never says an address is verified: it signs a person in to an open service, but never
// past an allowlist (the address proves nothing a list could be checked against).
both_backends!(
    a_naver_address_never_passes_an_allowlist,
    |backend| async move {
        let env = [("ALLOWED_EMAIL_DOMAINS", "example.com")];
        let (app, _) = TestApp::with_provider(backend, "naver", &env).await;
        let says = "Naver has not verified the email address";
        assert_refused(&app, "naver", true, 403, "Naver under an allowlist", says).await;
        // Google's verified address on the same list signs in.
        app.new_browser().signs_in("bob@example.com", "Bob").await;
        app.stop().await;
    }
);
