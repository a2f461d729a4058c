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

both_backends!(
    logout_right_after_a_renewal_kills_the_older_cookie_too,
    |backend| async move {
        // A copy of the cookie saved before a renewal is inside the rotation grace for a minute;
        // a logout in that minute must end it as well, not leave it valid until the grace ends.
        let app = spawn_app(backend).await;
        let r = app.sign_in("ada@example.com", "Ada").await;
        let before_renewal = session_cookie(&r).unwrap();
        app.clock.advance(chrono::Duration::days(24));
        let r = app.browser.get("/api/me").await;
        assert!(session_cookie(&r).is_some(), "renewed");
        let csrf = app.browser.csrf().await;
        let r = app.browser.post_form("/logout", &[("csrf", &csrf)]).await;
        assert_eq!(r.status().as_u16(), 303);
        assert_api_401(app.browser.get("/api/me").await, "after logout").await;
        assert_api_401(
            get_with_cookie(&app, "/api/me", &before_renewal).await,
            "pre-renewal copy after logout",
        )
        .await;
        app.stop().await;
    }
);

both_backends!(
    logout_with_a_cookie_in_its_rotation_grace_ends_the_session,
    |backend| async move {
        // Two tabs race a renewal; the one still holding the old cookie signs out. The renewed
        // token that the other tab received must not outlive the logout.
        let app = spawn_app(backend).await;
        let r = app.sign_in("ada@example.com", "Ada").await;
        let old = session_cookie(&r).unwrap();
        app.clock.advance(chrono::Duration::days(24));
        let r = app.browser.get("/api/me").await;
        let renewed = session_cookie(&r).expect("renewed");
        let html = get_with_cookie(&app, "/", &old).await.text().await.unwrap();
        let csrf = extract_input(&html, "csrf").expect("old cookie still signed in (grace)");
        let r = plain_client()
            .post(format!("{}/logout", app.address))
            .header(reqwest::header::COOKIE, &old)
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        assert_api_401(
            get_with_cookie(&app, "/api/me", &old).await,
            "old after logout",
        )
        .await;
        assert_api_401(
            get_with_cookie(&app, "/api/me", &renewed).await,
            "renewed after logout with the old",
        )
        .await;
        app.stop().await;
    }
);
