//! Linking at sign-in by the address (`LINK_BY_VERIFIED_EMAIL`, issue 13 item 3): a first
//! sign-in with another provider joins the account of the same address only when every rule
//! holds. One test per rule: each turns that one off with every other on, and the person is
//! refused with the page that says how to link by hand, nothing linked or created.

use crate::both_backends;
use crate::helpers::*;

/// Every rule on: the setting, an authoritative `oidc` (trusted emails).
const ALL_ON: [(&str, &str); 2] = [
    ("LINK_BY_VERIFIED_EMAIL", "true"),
    ("OIDC_TRUSTED_EMAILS", "true"),
];

/// Ada signs in with Google, then with `oidc` at the same address: the second sign-in's
/// answer. `env` replaces `ALL_ON`'s values; `before_second` runs between the two.
async fn second_provider_sign_in(
    app: &TestApp,
    verified_at_oidc: bool,
    before_second: impl FnOnce(&TestApp),
) -> reqwest::Response {
    app.new_browser().signs_in("ada@example.com", "Ada").await;
    before_second(app);
    let b = app.new_browser();
    let authorize = b.begin_sign_in_with("oidc", None).await;
    let r = b
        .approve(&authorize, "ada@example.com", "Ada", verified_at_oidc)
        .await;
    b.get(&location(&r)).await
}

fn env(off: Option<&'static str>) -> Vec<(&'static str, &'static str)> {
    ALL_ON
        .iter()
        .map(|&(k, v)| if Some(k) == off { (k, "false") } else { (k, v) })
        .collect()
}

/// Refused with the page that says to link by hand, and nothing changed.
async fn assert_not_linked(app: &TestApp, r: reqwest::Response, status: u16, says: &str) {
    assert_page_says(r, status, "not linked", says).await;
    assert_eq!(app.count_users(), 1);
    assert_eq!(
        app.identities_of("ada@example.com").len(),
        1,
        "nothing linked"
    );
    assert!(app.audit_rows_of("link_identity").is_empty());
}

both_backends!(
    every_rule_holding_links_the_new_identity,
    |backend| async move {
        let (app, oidc) = TestApp::with_oidc(backend, &env(None)).await;
        let r = second_provider_sign_in(&app, true, |_| {}).await;
        assert_eq!(
            r.status().as_u16(),
            303,
            "signed in to the existing account"
        );
        assert_eq!(app.count_users(), 1);
        let ids = app.identities_of("ada@example.com");
        assert_eq!(
            ids.iter().map(|i| i.1.as_str()).collect::<Vec<_>>(),
            ["google", "oidc"]
        );
        let rows = app.audit_rows_of("link_identity");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].3.as_deref(), Some("oidc; by verified email"));
        app.stop().await;
        oidc.handle.stop(false).await;
    }
);

both_backends!(
    without_the_setting_nothing_is_linked,
    |backend| async move {
        let (app, oidc) = TestApp::with_oidc(backend, &env(Some("LINK_BY_VERIFIED_EMAIL"))).await;
        let r = second_provider_sign_in(&app, true, |_| {}).await;
        assert_not_linked(&app, r, 409, "link Example ID from your account page").await;
        app.stop().await;
        oidc.handle.stop(false).await;
    }
);

both_backends!(
    a_provider_not_authoritative_for_the_address_links_nothing,
    |backend| async move {
        let (app, oidc) = TestApp::with_oidc(backend, &env(Some("OIDC_TRUSTED_EMAILS"))).await;
        let r = second_provider_sign_in(&app, true, |_| {}).await;
        assert_not_linked(&app, r, 409, "link Example ID from your account page").await;
        app.stop().await;
        oidc.handle.stop(false).await;
    }
);

both_backends!(
    an_unverified_new_address_links_nothing,
    |backend| async move {
        let (app, oidc) = TestApp::with_oidc(backend, &env(None)).await;
        let r = second_provider_sign_in(&app, false, |_| {}).await;
        assert_not_linked(&app, r, 403, "has not verified the email address").await;
        app.stop().await;
        oidc.handle.stop(false).await;
    }
);

both_backends!(
    an_account_whose_identity_never_verified_the_address_links_nothing,
    |backend| async move {
        let (app, oidc) = TestApp::with_oidc(backend, &env(None)).await;
        let r = second_provider_sign_in(&app, true, |app| {
            app.set_identity_email_verified("ada@example.com", false)
        })
        .await;
        assert_not_linked(&app, r, 409, "link Example ID from your account page").await;
        app.stop().await;
        oidc.handle.stop(false).await;
    }
);

// The pre-account takeover: someone signs up first through a provider that is not
// authoritative for the address (an untrusted `oidc`), claiming Ada's address. When Ada then
// signs in with Google, her identity must not join that account.
both_backends!(
    an_address_claimed_first_at_an_untrusted_provider_links_nothing,
    |backend| async move {
        let (app, oidc) = TestApp::with_oidc(backend, &[("LINK_BY_VERIFIED_EMAIL", "true")]).await;
        let squatter = app.new_browser();
        let r = squatter
            .sign_in_with("oidc", "ada@example.com", "Not Ada")
            .await;
        assert_eq!(
            r.status().as_u16(),
            303,
            "the untrusted sign-up itself is allowed"
        );
        let r = app
            .new_browser()
            .sign_in("ada@example.com", "Ada", None)
            .await;
        assert_page_says(r, 409, "Ada at Google", "already uses this email").await;
        assert_eq!(
            app.identities().len(),
            1,
            "Ada's Google identity joined nothing"
        );
        assert!(app.audit_rows_of("link_identity").is_empty());
        app.stop().await;
        oidc.handle.stop(false).await;
    }
);

// An invitation admits its address past the allowlists: a provider whose address proves
// nothing (an untrusted `oidc`) never claims one; Google's verified address does.
both_backends!(
    an_untrusted_provider_claims_no_invitation,
    |backend| async move {
        let (app, oidc) =
            TestApp::with_oidc(backend, &[("ALLOWED_EMAILS", "someone@else.com")]).await;
        app.query(|c| {
            let email = signin::domain::Email::parse("ada@example.com").unwrap();
            signin::db::invitations::invite(
                c,
                &email,
                "",
                signin::domain::Role::User,
                chrono::Utc::now(),
            )
            .unwrap()
            .expect("invited")
        });
        let r = app
            .new_browser()
            .sign_in_with("oidc", "ada@example.com", "Not Ada")
            .await;
        assert_eq!(r.status().as_u16(), 409, "not claimed");
        assert!(app.identities().is_empty());
        let r = app
            .new_browser()
            .sign_in("ada@example.com", "Ada", None)
            .await;
        assert_eq!(r.status().as_u16(), 303, "claimed through Google");
        assert_eq!(app.identities_of("ada@example.com").len(), 1);
        app.stop().await;
        oidc.handle.stop(false).await;
    }
);
