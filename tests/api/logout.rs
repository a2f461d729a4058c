//! `POST /logout`: CSRF-checked, revokes the session row, and a saved copy of the old cookie
//! signs no one in afterwards.

use crate::app_test;
use crate::helpers::*;
use chrono::Duration;

app_test!(logout_revokes_and_the_old_cookie_is_anonymous, |app| {
    let b = app.signed_in("ada@example.com", "Ada").await;
    let saved = b.cookie();
    // The saved copy works before logout.
    assert_eq!(app.me_status_with_cookie(&saved).await, 200);

    let r = b.logout().await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(location(&r), "/login");
    assert!(sets_cookie(&r), "the cookie is cleared");
    let rows = app.session_rows();
    assert_eq!(rows[0].1.as_deref(), Some("logout"), "{rows:?}");

    // The browser itself is anonymous…
    assert_api_401(b.get("/api/me").await, "after logout").await;
    // …and so is anyone replaying the saved cookie.
    let r = app.get_with_cookie("/api/me", &saved).await;
    assert_api_401(r, "replayed cookie").await;
    let home = app.get_with_cookie("/", &saved).await.text().await.unwrap();
    assert!(home.contains("Sign in with Google"), "{home}");
    assert!(!home.contains("ada@example.com"), "{home}");
});

/// A form's fields.
type Form<'a> = &'a [(&'a str, &'a str)];

app_test!(logout_without_a_valid_csrf_token_is_refused, |app| {
    let b = app.signed_in("ada@example.com", "Ada").await;
    // A cross-site form cannot read the token; an empty one must not match either.
    let refused: [(Form, u16, &str); 3] = [
        (&[], 400, "logout without csrf"),
        (
            &[("csrf", "not-the-token")],
            403,
            "logout with a wrong csrf",
        ),
        (&[("csrf", "")], 403, "logout with an empty csrf"),
    ];
    for (form, status, what) in refused {
        let r = b.post_form("/logout", form).await;
        assert_friendly_page(r, status, what).await;
    }
    assert_eq!(b.get("/api/me").await.status().as_u16(), 200);
    let rows = app.session_rows();
    assert_eq!(rows[0].1, None, "still valid: {rows:?}");
});

/// Ada signs in, a copy of her cookie is saved, and her next request, in the renewal window,
/// renews it: (her browser, the saved copy, the renewed cookie).
async fn renewed_after_a_saved_copy(app: &TestApp) -> (Browser, String, String) {
    let b = app.signed_in("ada@example.com", "Ada").await;
    let saved = b.cookie();
    app.clock.advance(Duration::days(24));
    let renewed = session_cookie(&b.get("/api/me").await).expect("renewed");
    (b, saved, renewed)
}

app_test!(
    logout_right_after_a_renewal_kills_the_older_cookie_too,
    |app| {
        // A copy of the cookie saved before a renewal is inside the rotation grace for a minute;
        // a logout in that minute must end it as well, not leave it valid until the grace ends.
        let (b, before_renewal, _renewed) = renewed_after_a_saved_copy(app).await;
        assert_eq!(b.logout().await.status().as_u16(), 303);
        assert_api_401(b.get("/api/me").await, "after logout").await;
        let r = app.get_with_cookie("/api/me", &before_renewal).await;
        assert_api_401(r, "pre-renewal copy after logout").await;
    }
);

app_test!(
    logout_with_a_cookie_in_its_rotation_grace_ends_the_session,
    |app| {
        // Two tabs race a renewal; the one still holding the old cookie signs out. The renewed
        // token that the other tab received must not outlive the logout.
        let (_b, old, renewed) = renewed_after_a_saved_copy(app).await;
        // The old cookie is still signed in (grace): its home page carries a CSRF token.
        assert_eq!(app.logout_with_cookie(&old).await.status().as_u16(), 303);
        for (cookie, what) in [
            (&old, "old after logout"),
            (&renewed, "renewed after logout with the old"),
        ] {
            assert_api_401(app.get_with_cookie("/api/me", cookie).await, what).await;
        }
    }
);
