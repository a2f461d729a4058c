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
        let (a, b, token) = ada_with_a_token(backend, "Ada").await;
        let cookie = b.cookie();

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

const NEW_KEY: &str =
    "rotated-key-ZYXWVUTSRQPONMLKJIHGFEDCBA-9876543210-zyxwvutsrqponmlkjihgfedcba";

both_backends!(
    rotating_the_key_keeps_sessions_and_tokens_until_the_old_key_goes,
    |backend| async move {
        let (a, b, token) = ada_with_a_token(backend, "Ada").await;
        let old_cookie = b.cookie();
        a.stop().await;

        // Restarted with a new key, the old one as previous: both keep working, and the cookie
        // comes back re-keyed, with a JWT under the new key.
        let rotated = instance_like(
            &a,
            true,
            &[("SECRET_KEY", NEW_KEY), ("SECRET_KEY_PREVIOUS", SECRET_KEY)],
        )
        .await;
        let r = b.get(&format!("{}/api/me", rotated.address)).await;
        assert_eq!(
            r.status().as_u16(),
            200,
            "the old cookie under the rotated key"
        );
        let rekeyed = session_cookie(&r).expect("the cookie comes back re-keyed");
        assert_ne!(rekeyed, old_cookie);
        assert_eq!(
            rotated.me_status_with_bearer(&token).await,
            200,
            "old token"
        );
        // The same browser (one cookie jar), now talking to the restarted instance.
        let mut b = b.clone();
        b.base = rotated.address.clone();
        let new_token = b.create_api_token().await;
        let kid = |t: &str| {
            let h = t.split('.').next().unwrap();
            let h = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, h);
            serde_json::from_slice::<serde_json::Value>(&h.unwrap()).unwrap()["kid"].clone()
        };
        assert_ne!(
            kid(&new_token),
            kid(&token),
            "new tokens carry the new key's id"
        );
        assert_eq!(kid(&new_token).as_str().map(str::len), Some(8));
        rotated.stop().await;

        // The old key removed: the re-keyed browser stays signed in; what only the old key
        // made (the API token, a copy of the old cookie) is refused.
        let new_only = instance_like(&a, true, &[("SECRET_KEY", NEW_KEY)]).await;
        let r = b.get(&format!("{}/api/me", new_only.address)).await;
        assert_eq!(r.status().as_u16(), 200, "the re-keyed cookie");
        assert_eq!(new_only.me_status_with_bearer(&new_token).await, 200);
        let r = new_only.me_with_bearer(&token).await;
        assert_api_401(r, "a token made only with the removed key").await;
        let r = new_only.get_with_cookie("/api/me", &old_cookie).await;
        assert_api_401(r, "a cookie made only with the removed key").await;
        new_only.stop().await;
    }
);
