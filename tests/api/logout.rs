//! `POST /logout`: CSRF-checked, revokes the session row, and a saved copy of the old cookie
//! signs no one in afterwards.

use crate::both_backends;
use crate::helpers::*;
use crate::support::*;

both_backends!(
    logout_revokes_and_the_old_cookie_is_anonymous,
    |backend| async move {
        let app = spawn_app(backend).await;
        let r = app.sign_in("ada@example.com", "Ada").await;
        let saved = session_cookie(&r).expect("session cookie");
        // The saved copy works before logout.
        let r = get_with_cookie(&app, "/api/me", &saved).await;
        assert_eq!(r.status().as_u16(), 200);

        let csrf = app.browser.csrf().await;
        let r = app.browser.post_form("/logout", &[("csrf", &csrf)]).await;
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(location(&r), "/login");
        assert!(sets_cookie(&r), "the cookie is cleared");
        let rows = session_rows(&app);
        assert_eq!(rows[0].1.as_deref(), Some("logout"), "{rows:?}");

        // The browser itself is anonymous…
        assert_api_401(app.browser.get("/api/me").await, "after logout").await;
        // …and so is anyone replaying the saved cookie.
        assert_api_401(
            get_with_cookie(&app, "/api/me", &saved).await,
            "replayed cookie",
        )
        .await;
        let home = get_with_cookie(&app, "/", &saved)
            .await
            .text()
            .await
            .unwrap();
        assert!(home.contains("Sign in with Google"), "{home}");
        assert!(!home.contains("ada@example.com"), "{home}");
        app.stop().await;
    }
);

both_backends!(
    logout_without_a_valid_csrf_token_is_refused,
    |backend| async move {
        let app = spawn_app(backend).await;
        app.sign_in("ada@example.com", "Ada").await;

        let r = app.browser.post_form("/logout", &[]).await;
        assert_friendly_page(r, 400, "logout without csrf").await;
        let r = app
            .browser
            .post_form("/logout", &[("csrf", "not-the-token")])
            .await;
        assert_friendly_page(r, 403, "logout with a wrong csrf").await;
        // A cross-site form cannot read the token; an empty one must not match either.
        let r = app.browser.post_form("/logout", &[("csrf", "")]).await;
        assert_friendly_page(r, 403, "logout with an empty csrf").await;

        assert_eq!(app.browser.get("/api/me").await.status().as_u16(), 200);
        let rows = session_rows(&app);
        assert_eq!(rows[0].1, None, "still valid: {rows:?}");
        app.stop().await;
    }
);
