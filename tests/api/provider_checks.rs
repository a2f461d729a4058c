//! Tests that fail for the right reason (issue 11, items 8 and 9): the dev provider insists on
//! PKCE S256; users are keyed on the provider subject, not the email; the JWKS refetch on an
//! unknown `kid` is counted; an HS256 token keyed with the public key is refused; the Google `hd`
//! rule of `ALLOWED_EMAIL_DOMAINS`; the `iat` leeway edges; a day-old JWKS fails closed; `azp`
//! with several audiences.

use crate::helpers::*;
use crate::{app_test, both_backends, faults};
use signin::dev_provider::{Azp, Faults, Signing};

/// `(email, subject)` of every user with its identity, by row id.
fn users(app: &TestApp) -> Vec<(String, String)> {
    use diesel::prelude::*;
    use signin::db::schema::{identities, users};
    app.query(|c| {
        users::table
            .inner_join(identities::table)
            .order(users::id.asc())
            .select((users::email, identities::subject))
            .load(c)
            .expect("users")
    })
}

/// A sign-in as `email` with `faults` switched on, then off again: the callback's answer.
async fn sign_in_with(app: &TestApp, faults: Faults, email: &str) -> reqwest::Response {
    app.set_faults(faults);
    let r = app.new_sign_in(email, "Someone").await;
    app.set_faults(Faults::default());
    r
}

app_test!(sqlite: dev_provider_requires_pkce_s256, |app| {
    let b = app.new_browser();
    let authorize = b.begin_sign_in(None).await;
    for (what, url) in [
        ("no challenge", with_param(&authorize, "code_challenge", None)),
        (
            "no method (plain by default)",
            with_param(&authorize, "code_challenge_method", None),
        ),
        (
            "plain",
            with_param(&authorize, "code_challenge_method", Some("plain")),
        ),
    ] {
        let r = b.get(&url).await;
        assert_eq!(r.status().as_u16(), 302, "{what}");
        let back = location(&r);
        assert_eq!(
            query_param(&back, "error").as_deref(),
            Some("invalid_request"),
            "{what}: {back}"
        );
        assert!(query_param(&back, "code").is_none(), "{what}: no code");
        // The consent form is refused the same way.
        let r = b.post_consent(&url, &[("decision", "approve"), ("email", "a@example.com")]).await;
        assert_eq!(query_param(&location(&r), "error").as_deref(), Some("invalid_request"));
    }
    // The app shows the provider's refusal as a page.
    let r = b
        .get(&location(&b.get(&with_param(&authorize, "code_challenge", None)).await))
        .await;
    assert_page_says(r, 400, "PKCE refused", "Google could not sign you in").await;
    assert_eq!(app.counts(), (0, 0));
    // With the app's own S256 challenge, the flow works.
    let callback = b.consented("a@example.com", "A").await;
    assert_eq!(b.get(&callback).await.status().as_u16(), 303);
});

app_test!(same_sub_with_a_new_email_updates_the_one_user, |app| {
    app.signed_in("ada@example.com", "Ada").await;
    let before = users(app);
    let faults = faults!(new_email: Some("ada.new@example.com".into()));
    let r = sign_in_with(app, faults, "ada@example.com").await;
    assert_eq!(r.status().as_u16(), 303);
    let after = users(app);
    assert_eq!(after.len(), 1, "one user: {after:?}");
    assert_eq!(after[0].0, "ada.new@example.com");
    assert_eq!(after[0].1, before[0].1, "the same subject");
});

app_test!(new_sub_with_a_known_email_is_refused_not_merged, |app| {
    let b = app.signed_in("bob@example.com", "Bob").await;
    let before = users(app);
    let counts = app.counts();
    let r = sign_in_with(app, faults!(new_sub), "bob@example.com").await;
    assert_page_says(r, 409, "new sub", "belongs to another account").await;
    assert_eq!(users(app), before, "nothing changed");
    assert_eq!(app.counts(), counts, "no user, no session");
    let last = app.audit_rows().pop().expect("an audit row");
    assert_eq!(last.0, "sign_in_refused");
    assert_eq!(last.3.as_deref(), Some("email_held_by_other"));
    // The first account is untouched and still signed in.
    assert_eq!(b.me().await["email"], "bob@example.com");
});

app_test!(unknown_kid_costs_exactly_one_jwks_fetch, |app| {
    app.signed_in("first@example.com", "First").await;
    assert_eq!(app.provider.jwks_requests(), 1, "the first sign-in fetches");
    app.signed_in("again@example.com", "Again").await;
    assert_eq!(app.provider.jwks_requests(), 1, "then the cache serves");
    // A kid the provider does not publish: one refetch, then refused.
    let r = sign_in_with(
        app,
        faults!(signing: Signing::SecondKey),
        "third@example.com",
    )
    .await;
    assert_eq!(r.status().as_u16(), 502);
    assert_eq!(app.provider.jwks_requests(), 2, "one refetch, not more");
    // A rotated key: one refetch finds it, and the cache keeps it.
    let rotated = faults!(signing: Signing::SecondKey, publish_second_key);
    let r = sign_in_with(app, rotated.clone(), "second@example.com").await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(app.provider.jwks_requests(), 3, "exactly one refetch");
    let r = sign_in_with(app, rotated, "fourth@example.com").await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(app.provider.jwks_requests(), 3, "the new key is cached");
});

app_test!(hs256_keyed_with_the_public_key_is_refused, |app| {
    app.signed_in("first@example.com", "First").await;
    let before = app.counts();
    let r = sign_in_with(
        app,
        faults!(signing: Signing::Hs256WithPublicKey),
        "eve@example.com",
    )
    .await;
    assert_page_says(r, 502, "HS256 forgery", "could not be verified").await;
    assert_eq!(app.counts(), before, "nothing written");
});

both_backends!(
    allowed_domains_at_google_trust_hd_not_the_address,
    |backend| async move {
        let env = [("ALLOWED_EMAIL_DOMAINS", "example.com, gmail.com")];
        let app = TestApp::as_google(backend, &env).await;
        // A Workspace account of the domain (the dev provider sends `hd`).
        let r = app.new_sign_in("ada@example.com", "Ada").await;
        assert_eq!(r.status().as_u16(), 303, "hd example.com");
        // The same kind of address on a consumer account (no `hd`): refused at Google.
        let r = sign_in_with(&app, faults!(no_hd), "bob@example.com").await;
        assert_page_says(r, 403, "no hd", "example.com").await;
        // Gmail is Google's own domain: no `hd`, allowed by its address.
        let r = app.new_sign_in("cy@gmail.com", "Cy").await;
        assert_eq!(r.status().as_u16(), 303, "gmail.com");
        // Another Workspace domain is refused.
        let r = app.new_sign_in("dee@other.org", "Dee").await;
        assert_page_says(r, 403, "hd other.org", "example.com").await;
        assert_eq!(app.count_users(), 2);
        app.stop().await;
    }
);

/// Waits until the start of a whole second, so that the provider's `iat` and the app's check
/// fall in the same second (both count whole seconds).
async fn at_second_start() {
    let ms = chrono::Utc::now().timestamp_subsec_millis();
    if ms > 50 {
        tokio::time::sleep(std::time::Duration::from_millis(u64::from(1005 - ms))).await;
    }
}

app_test!(iat_leeway_is_sixty_seconds, |app| {
    for (shift, accepted) in [(59, true), (61, false), (-3000, true)] {
        let b = app.new_browser();
        let callback = b.consented("ada@example.com", "Ada").await;
        app.set_faults(faults!(time_shift_secs: shift));
        at_second_start().await;
        let r = b.get(&callback).await;
        app.set_faults(Faults::default());
        if accepted {
            assert_eq!(r.status().as_u16(), 303, "iat {shift}s from now");
        } else {
            assert_page_says(r, 502, "iat in the future", "could not be verified").await;
        }
    }
});

app_test!(jwks_older_than_a_day_fails_closed, |app| {
    app.signed_in("first@example.com", "First").await;
    // Two hours on, the JWKS is due and cannot be fetched: the stale copy still serves.
    app.clock.advance(chrono::Duration::hours(2));
    let shift = 2 * 3600;
    let r = sign_in_with(
        app,
        faults!(jwks_down, time_shift_secs: shift),
        "a@example.com",
    )
    .await;
    assert_eq!(
        r.status().as_u16(),
        303,
        "a stale JWKS under a day old is used"
    );
    // Past a day, it is not: sign-in refused as a provider failure.
    app.clock.advance(chrono::Duration::hours(23));
    let shift = 25 * 3600;
    let before = app.counts();
    let r = sign_in_with(
        app,
        faults!(jwks_down, time_shift_secs: shift),
        "b@example.com",
    )
    .await;
    assert_page_says(r, 502, "day-old JWKS", "did not answer as expected").await;
    assert_eq!(app.counts(), before);
    // Once the provider answers again, sign-in works.
    let r = sign_in_with(app, faults!(time_shift_secs: shift), "b@example.com").await;
    assert_eq!(r.status().as_u16(), 303);
});

app_test!(several_audiences_need_azp_equal_to_the_client, |app| {
    for (faults, what) in [
        (faults!(extra_audience, azp: Azp::Missing), "no azp"),
        (faults!(extra_audience, azp: Azp::Other), "wrong azp"),
    ] {
        let r = sign_in_with(app, faults, "a@example.com").await;
        assert_page_says(r, 502, what, "could not be verified").await;
    }
    assert_eq!(app.counts(), (0, 0));
    let r = sign_in_with(app, faults!(extra_audience), "a@example.com").await;
    assert_eq!(r.status().as_u16(), 303, "azp is the client id");
});
