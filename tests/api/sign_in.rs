//! The sign-in flow: registration and update, admin role, concurrent first sign-ins, state
//! checks, `next`, cancel, unverified email, the domain rule, escaping of provider data.

use crate::both_backends;
use crate::helpers::*;
use crate::support::*;
use chrono::{DateTime, Duration, Utc};
use signin::dev_provider::Faults;

fn ts(v: &serde_json::Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

both_backends!(
    first_sign_in_registers_and_second_updates,
    |backend| async move {
        let app = spawn_app(backend).await;
        let r = app.sign_in("ada@example.com", "Ada Lovelace").await;
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(app.count_users(), 1);
        let me1: serde_json::Value = app.browser.get("/api/me").await.json().await.unwrap();
        assert_eq!(me1["name"], "Ada Lovelace");
        assert_eq!(me1["role"], "user");

        // The same person, another device, an hour later, with a new name at the provider.
        app.clock.advance(Duration::hours(1));
        let second = app.new_browser();
        let r = second.sign_in("ada@example.com", "Ada King", None).await;
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(app.count_users(), 1, "a second sign-in must not add a user");
        assert_eq!(app.count_sessions(), 2, "one session row per sign-in");
        let home = second.get_text("/").await;
        assert!(home.contains("Ada King"), "{home}");
        let me2: serde_json::Value = second.get("/api/me").await.json().await.unwrap();
        assert_eq!(me2["id"], me1["id"], "same user");
        assert_eq!(me2["name"], "Ada King");
        assert_eq!(me2["created_at"], me1["created_at"]);
        let moved = ts(&me2["last_login_at"]) - ts(&me1["last_login_at"]);
        assert!(
            moved >= Duration::minutes(59) && moved <= Duration::minutes(61),
            "last_login_at moved by {moved}"
        );
        app.stop().await;
    }
);

both_backends!(admin_emails_get_the_admin_role, |backend| async move {
    let app = spawn_app_with(
        backend,
        TestOptions {
            env: vec![("ADMIN_EMAILS", "Boss@Example.com".into())],
            ..Default::default()
        },
    )
    .await;
    let r = app.sign_in("boss@example.com", "The Boss").await;
    assert_eq!(r.status().as_u16(), 303);
    let me: serde_json::Value = app.browser.get("/api/me").await.json().await.unwrap();
    assert_eq!(me["role"], "admin");
    let other = app.new_browser();
    other.sign_in("worker@example.com", "A Worker", None).await;
    let me: serde_json::Value = other.get("/api/me").await.json().await.unwrap();
    assert_eq!(me["role"], "user");
    app.stop().await;
});

both_backends!(
    twenty_concurrent_first_sign_ins_make_one_user,
    |backend| async move {
        let app = spawn_app(backend).await;
        let mut callbacks = Vec::new();
        for _ in 0..20 {
            let b = app.new_browser();
            let authorize = b.begin_sign_in(None).await;
            let callback = b.consent(&authorize, "crowd@example.com", "Crowd").await;
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
        app.stop().await;
    }
);

both_backends!(
    forged_missing_and_replayed_state_are_refused,
    |backend| async move {
        let app = spawn_app(backend).await;

        // Forged: the provider's answer with a state this browser never made.
        let b = app.new_browser();
        let authorize = b.begin_sign_in(None).await;
        let callback = b.consent(&authorize, "eve@example.com", "Eve").await;
        let forged = with_param(&callback, "state", Some("forged-state-value-0123456789"));
        let r = b.get(&forged).await;
        assert_friendly_page(r, 400, "forged state").await;
        assert_eq!(counts(&app), (0, 0), "forged state wrote nothing");
        // The pending login was used up by the failed attempt: the genuine answer fails too.
        let r = b.get(&callback).await;
        assert_friendly_page(r, 400, "pending login is single use").await;
        assert_eq!(counts(&app), (0, 0));

        // Missing state.
        let b = app.new_browser();
        let authorize = b.begin_sign_in(None).await;
        let callback = b.consent(&authorize, "eve@example.com", "Eve").await;
        let r = b.get(&with_param(&callback, "state", None)).await;
        assert_friendly_page(r, 400, "missing state").await;
        assert_eq!(counts(&app), (0, 0), "missing state wrote nothing");

        // Missing pending login: a fresh browser opens someone else's callback URL.
        let b = app.new_browser();
        let authorize = b.begin_sign_in(None).await;
        let callback = b.consent(&authorize, "eve@example.com", "Eve").await;
        let stranger = app.new_browser();
        let r = stranger.get(&callback).await;
        assert_friendly_page(r, 400, "no pending login").await;
        assert_eq!(counts(&app), (0, 0), "no pending login wrote nothing");

        // Mix-up defence: an `iss` parameter naming another provider.
        let b = app.new_browser();
        let authorize = b.begin_sign_in(None).await;
        let callback = b.consent(&authorize, "eve@example.com", "Eve").await;
        let r = b
            .get(&with_param(&callback, "iss", Some("https://evil.example")))
            .await;
        assert_friendly_page(r, 400, "foreign iss").await;
        assert_eq!(counts(&app), (0, 0), "foreign iss wrote nothing");

        // The right state but no code.
        let b = app.new_browser();
        let authorize = b.begin_sign_in(None).await;
        let callback = b.consent(&authorize, "eve@example.com", "Eve").await;
        let r = b.get(&with_param(&callback, "code", None)).await;
        assert_friendly_page(r, 400, "no code").await;
        assert_eq!(counts(&app), (0, 0), "no code wrote nothing");

        // Expired: the provider answers more than ten minutes after the sign-in began.
        let b = app.new_browser();
        let authorize = b.begin_sign_in(None).await;
        let callback = b.consent(&authorize, "eve@example.com", "Eve").await;
        app.clock.advance(Duration::minutes(11));
        let r = b.get(&callback).await;
        assert_friendly_page(r, 400, "expired pending login").await;
        assert_eq!(counts(&app), (0, 0), "expired pending login wrote nothing");

        // Replayed: the callback URL again after it succeeded.
        let b = app.new_browser();
        let authorize = b.begin_sign_in(None).await;
        let callback = b.consent(&authorize, "ada@example.com", "Ada").await;
        assert_eq!(b.get(&callback).await.status().as_u16(), 303);
        assert_eq!(counts(&app), (1, 1));
        let r = b.get(&callback).await;
        let body = assert_friendly_page(r, 400, "replayed state").await;
        assert!(body.contains("no longer valid"), "{body}");
        assert_eq!(counts(&app), (1, 1), "replay wrote nothing");
        app.stop().await;
    }
);

both_backends!(next_only_accepts_local_paths, |backend| async move {
    let app = spawn_app(backend).await;
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
    app.stop().await;
});

both_backends!(
    cancel_at_the_provider_shows_a_friendly_page,
    |backend| async move {
        let app = spawn_app(backend).await;
        let b = &app.browser;
        let authorize = b.begin_sign_in(None).await;
        let r = post_consent(b, &authorize, &[("decision", "cancel")]).await;
        assert_eq!(r.status().as_u16(), 302);
        let callback = location(&r);
        assert_eq!(
            query_param(&callback, "error").as_deref(),
            Some("access_denied")
        );
        let r = b.get(&callback).await;
        let body = assert_friendly_page(r, 400, "cancelled").await;
        assert!(body.contains("cancelled"), "{body}");
        assert_eq!(counts(&app), (0, 0));
        app.stop().await;
    }
);

both_backends!(
    unverified_email_is_refused_with_a_clear_message,
    |backend| async move {
        let app = spawn_app(backend).await;
        // The consent form without `email_verified`: the provider says the address is unverified.
        let b = app.new_browser();
        let authorize = b.begin_sign_in(None).await;
        let r = post_consent(
            &b,
            &authorize,
            &[
                ("decision", "approve"),
                ("email", "new@example.com"),
                ("name", "New"),
            ],
        )
        .await;
        assert_eq!(r.status().as_u16(), 302);
        let r = b.get(&location(&r)).await;
        let body = assert_friendly_page(r, 403, "unverified email").await;
        assert!(body.contains("not verified"), "{body}");
        assert_eq!(counts(&app), (0, 0));

        // The provider's switch as well (verified at consent, unverified in the tokens).
        app.set_faults(Faults {
            unverified_email: true,
            ..Default::default()
        });
        let r = app
            .new_browser()
            .sign_in("new@example.com", "New", None)
            .await;
        assert_friendly_page(r, 403, "unverified email (fault)").await;
        assert_eq!(counts(&app), (0, 0));
        app.stop().await;
    }
);

both_backends!(allowed_email_domains_are_enforced, |backend| async move {
    let app = spawn_app_with(
        backend,
        TestOptions {
            env: vec![("ALLOWED_EMAIL_DOMAINS", "example.com, corp.example".into())],
            ..Default::default()
        },
    )
    .await;
    // The dev provider sets `hd` to the email's domain for non-Gmail accounts, as Workspace does.
    let r = app
        .new_browser()
        .sign_in("ada@example.com", "Ada", None)
        .await;
    assert_eq!(r.status().as_u16(), 303, "hd example.com is allowed");
    let r = app
        .new_browser()
        .sign_in("bob@corp.example", "Bob", None)
        .await;
    assert_eq!(r.status().as_u16(), 303, "hd corp.example is allowed");
    assert_eq!(counts(&app), (2, 2));

    for refused in [
        "mallory@other.org",
        "someone@gmail.com",
        "x@sub.example.com",
    ] {
        let r = app.new_browser().sign_in(refused, "No", None).await;
        let body = assert_friendly_page(r, 403, refused).await;
        assert!(
            body.contains("example.com"),
            "names the allowed domains: {body}"
        );
    }
    assert_eq!(counts(&app), (2, 2), "refused accounts wrote nothing");
    app.stop().await;
});

both_backends!(html_in_the_name_is_escaped, |backend| async move {
    let app = spawn_app(backend).await;
    let r = app
        .sign_in("xss@example.com", "<script>alert(1)</script>")
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let home = app.browser.get_text("/").await;
    assert!(!home.contains("<script>"), "raw HTML on the page: {home}");
    let escaped = [
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&#60;script&#62;alert(1)&#60;/script&#62;",
    ];
    assert!(escaped.iter().any(|e| home.contains(e)), "{home}");
    app.stop().await;
});
