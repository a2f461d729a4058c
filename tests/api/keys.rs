//! Keys: cookie and JWT keys are bound to the provider's issuer (a session made under the
//! development provider never opens under a real one), and `SECRET_KEY` can be rotated with
//! `SECRET_KEY_PREVIOUS` without signing anyone out.

use crate::both_backends;
use crate::helpers::*;

/// Another instance on `app`'s database and public origin, with these settings on top; with
/// `same_provider`, also on its provider (the same issuer), else on a provider of its own.
async fn instance_like(
    app: &TestApp,
    same_provider: bool,
    env: &[(&'static str, &str)],
) -> TestApp {
    let mut opts = TestOptions::env(env);
    opts.db = Some(app.db.clone());
    if same_provider {
        opts.provider = Some((app.provider.clone(), app.provider_url.clone()));
    }
    opts.env.insert(0, ("APP_BASE_URL", app.address.clone()));
    TestApp::spawn_with(app.backend, opts).await
}

both_backends!(
    a_session_made_under_one_issuer_never_opens_under_another,
    |backend| async move {
        let a = TestApp::spawn(backend).await;
        let b = a.signed_in("ada@example.com", "Ada").await;
        let cookie = b.cookie();
        let token = b.create_api_token().await;

        // Same database, origin and SECRET_KEY, same issuer: both are good.
        let twin = instance_like(&a, true, &[]).await;
        assert_eq!(twin.me_status_with_cookie(&cookie).await, 200);
        assert_eq!(twin.me_status_with_bearer(&token).await, 200);

        // Same everything but another provider (issuer): neither opens.
        let other = instance_like(&a, false, &[]).await;
        assert_ne!(a.provider_url, other.provider_url);
        let r = other.get_with_cookie("/api/me", &cookie).await;
        assert_api_401(r, "a cookie minted under another issuer").await;
        let r = other.me_with_bearer(&token).await;
        assert_api_401(r, "a token minted under another issuer").await;

        for app in [&a, &twin, &other] {
            app.stop().await;
        }
    }
);
