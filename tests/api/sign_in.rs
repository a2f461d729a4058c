//! The sign-in flow: registration and update, admin role, concurrent first sign-ins, state
//! checks, `next`, cancel, unverified email, the domain rule, escaping of provider data.

use crate::helpers::*;
use crate::{app_test, both_backends, faults};
use chrono::{DateTime, Duration, Utc};

fn ts(v: &serde_json::Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

// A later sign-in whose provider leaves an optional claim out (no picture this time) keeps the
// stored value; a claim sent again with a new value replaces it.
app_test!(
    a_claim_left_out_at_a_later_sign_in_keeps_the_stored_value,
    |app| {
        use signin::db::users::{Profile, SignInProfile, upsert_on_sign_in};
        use signin::domain::Email;
        let full = SignInProfile {
            provider: "google".into(),
            subject: "sub-ada".into(),
            vouched: true,
            profile: Profile {
                email: Email::parse("ada@example.com").unwrap(),
                email_verified: true,
                name: "Ada".into(),
                given_name: Some("Ada".into()),
                family_name: Some("Lovelace".into()),
                picture: Some("https://example.com/ada.png".into()),
                locale: Some("en".into()),
            },
        };
        let upsert = |p: &SignInProfile| {
            app.query(|c| upsert_on_sign_in(c, p, false, Utc::now()))
                .unwrap()
        };
        let (first, created) = upsert(&full);
        assert!(created);
        assert_eq!(first.profile, full.profile);

        let mut sparse = full.clone();
        sparse.profile.name = "Ada L.".into();
        sparse.profile.given_name = None;
        sparse.profile.family_name = None;
        sparse.profile.picture = None;
        sparse.profile.locale = None;
        let (again, created) = upsert(&sparse);
        assert!(!created);
        assert_eq!(again.id, first.id);
        let kept = Profile {
            name: "Ada L.".into(),
            ..full.profile.clone()
        };
        assert_eq!(again.profile, kept);

        let mut changed = full.clone();
        changed.profile.picture = Some("https://example.com/ada-2.png".into());
        changed.profile.locale = Some("ko".into());
        let (third, _) = upsert(&changed);
        assert_eq!(third.profile, changed.profile);
    }
);

app_test!(first_sign_in_registers_and_second_updates, |app| {
    let first = app.signed_in("ada@example.com", "Ada Lovelace").await;
    assert_eq!(app.count_users(), 1);
    let me1 = first.me().await;
    assert_eq!(me1["name"], "Ada Lovelace");
    assert_eq!(me1["role"], "user");

    // The same person, another device, an hour later, with a new name at the provider.
    app.clock.advance(Duration::hours(1));
    let second = app.signed_in("ada@example.com", "Ada King").await;
    assert_eq!(app.count_users(), 1, "a second sign-in must not add a user");
    assert_eq!(app.count_sessions(), 2, "one session row per sign-in");
    let home = second.get_text("/").await;
    assert!(home.contains("Ada King"), "{home}");
    let me2 = second.me().await;
    assert_eq!(me2["id"], me1["id"], "same user");
    assert_eq!(me2["name"], "Ada King");
    assert_eq!(me2["created_at"], me1["created_at"]);
    let moved = ts(&me2["last_login_at"]) - ts(&me1["last_login_at"]);
    assert!(
        moved >= Duration::minutes(59) && moved <= Duration::minutes(61),
        "last_login_at moved by {moved}"
    );
});

both_backends!(admin_emails_get_the_admin_role, |backend| async move {
    let app = TestApp::with_env(backend, &[("ADMIN_EMAILS", "Boss@Example.com")]).await;
    let boss = app.signed_in("boss@example.com", "The Boss").await;
    assert_eq!(boss.me().await["role"], "admin");
    let worker = app.signed_in("worker@example.com", "A Worker").await;
    assert_eq!(worker.me().await["role"], "user");
    app.stop().await;
});

app_test!(twenty_concurrent_first_sign_ins_make_one_user, |app| {
    let mut callbacks = Vec::new();
    for _ in 0..20 {
        let b = app.new_browser();
        let callback = b.consented("crowd@example.com", "Crowd").await;
        callbacks.push((b, callback));
    }
    let mut set = tokio::task::JoinSet::new();
    for (b, callback) in callbacks {
        set.spawn(async move { b.get(&callback).await.status().as_u16() });
    }
    let statuses: Vec<u16> = set.join_all().await;
    assert_eq!(statuses, vec![303; 20], "every sign-in succeeds");
    assert_eq!(app.count_users(), 1, "one user row");
    assert_eq!(app.count_sessions(), 20, "one session per sign-in");
});

/// How a refused callback was spoilt.
enum Spoilt {
    /// The provider's answer with this parameter changed (or removed).
    Param(&'static str, Option<&'static str>),
    /// Opened by a fresh browser: someone else's callback URL, no pending login.
    Stranger,
    /// Opened more than ten minutes after the sign-in began.
    Late,
}

app_test!(forged_missing_and_replayed_state_are_refused, |app| {
    let cases = [
        // Forged: the provider's answer with a state this browser never made.
        (
            "forged state",
            Spoilt::Param("state", Some("forged-state-value-0123456789")),
        ),
        ("missing state", Spoilt::Param("state", None)),
        ("no pending login", Spoilt::Stranger),
        // Mix-up defence: an `iss` parameter naming another provider.
        (
            "foreign iss",
            Spoilt::Param("iss", Some("https://evil.example")),
        ),
        // The right state but no code.
        ("no code", Spoilt::Param("code", None)),
        ("expired pending login", Spoilt::Late),
    ];
    for (what, spoilt) in cases {
        let b = app.new_browser();
        let callback = b.consented("eve@example.com", "Eve").await;
        let r = match spoilt {
            Spoilt::Param(name, value) => b.get(&with_param(&callback, name, value)).await,
            Spoilt::Stranger => app.new_browser().get(&callback).await,
            Spoilt::Late => {
                app.clock.advance(Duration::minutes(11));
                b.get(&callback).await
            }
        };
        assert_friendly_page(r, 400, what).await;
        assert_eq!(app.counts(), (0, 0), "{what} wrote nothing");
        if what == "forged state" {
            // The pending login was used up by the failed attempt: the genuine answer
            // fails too.
            let r = b.get(&callback).await;
            assert_friendly_page(r, 400, "pending login is single use").await;
            assert_eq!(app.counts(), (0, 0));
        }
    }

    // Replayed: the callback URL again after it succeeded.
    let b = app.new_browser();
    let callback = b.consented("ada@example.com", "Ada").await;
    assert_eq!(b.get(&callback).await.status().as_u16(), 303);
    assert_eq!(app.counts(), (1, 1));
    let r = b.get(&callback).await;
    assert_page_says(r, 400, "replayed state", "no longer valid").await;
    assert_eq!(app.counts(), (1, 1), "replay wrote nothing");
});

app_test!(next_only_accepts_local_paths, |app| {
    for evil in [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "//evil.example/path",
    ] {
        let b = app.new_browser();
        let r = b.sign_in("ada@example.com", "Ada", Some(evil)).await;
        assert_eq!(r.status().as_u16(), 303, "{evil}");
        assert_eq!(location(&r), "/", "next={evil}");
    }
    let b = app.new_browser();
    let r = b
        .sign_in("ada@example.com", "Ada", Some("/api/me?x=1"))
        .await;
    assert_eq!(location(&r), "/api/me?x=1", "a local next is honoured");
});

app_test!(cancel_at_the_provider_shows_a_friendly_page, |app| {
    let b = &app.browser;
    let authorize = b.begin_sign_in(None).await;
    let r = b.post_consent(&authorize, &[("decision", "cancel")]).await;
    assert_eq!(r.status().as_u16(), 302);
    let callback = location(&r);
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some("access_denied")
    );
    let r = b.get(&callback).await;
    assert_page_says(r, 400, "cancelled", "cancelled").await;
    assert_eq!(app.counts(), (0, 0));
});

app_test!(unverified_email_is_refused_with_a_clear_message, |app| {
    // The consent form without `email_verified`: the provider says the address is unverified.
    // (`sign_in_verified` checks the provider's redirect.)
    let r = app
        .new_browser()
        .sign_in_verified("google", "new@example.com", "New", false)
        .await;
    assert_page_says(r, 403, "unverified email", "not verified").await;
    assert_eq!(app.counts(), (0, 0));

    // The provider's switch as well (verified at consent, unverified in the tokens).
    app.set_faults(faults!(unverified_email));
    let r = app.sign_in("new@example.com", "New").await;
    assert_friendly_page(r, 403, "unverified email (fault)").await;
    assert_eq!(app.counts(), (0, 0));
});

both_backends!(allowed_email_domains_are_enforced, |backend| async move {
    let env = [("ALLOWED_EMAIL_DOMAINS", "example.com, corp.example")];
    let app = TestApp::with_env(backend, &env).await;
    // The dev provider sets `hd` to the email's domain for non-Gmail accounts, as Workspace does.
    for (email, name, why) in [
        ("ada@example.com", "Ada", "hd example.com is allowed"),
        ("bob@corp.example", "Bob", "hd corp.example is allowed"),
    ] {
        let r = app.new_sign_in(email, name).await;
        assert_eq!(r.status().as_u16(), 303, "{why}");
    }
    assert_eq!(app.counts(), (2, 2));

    for refused in [
        "mallory@other.org",
        "someone@gmail.com",
        "x@sub.example.com",
    ] {
        let r = app.new_sign_in(refused, "No").await;
        assert_page_says(r, 403, refused, "example.com").await;
    }
    assert_eq!(app.counts(), (2, 2), "refused accounts wrote nothing");
    app.stop().await;
});

app_test!(html_in_the_name_is_escaped, |app| {
    let b = app
        .signed_in("xss@example.com", "<script>alert(1)</script>")
        .await;
    let home = b.get_text("/").await;
    assert!(!home.contains("<script>"), "raw HTML on the page: {home}");
    let escaped = [
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&#60;script&#62;alert(1)&#60;/script&#62;",
    ];
    assert!(escaped.iter().any(|e| home.contains(e)), "{home}");
});
