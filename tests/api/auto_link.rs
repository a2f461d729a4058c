//! Linking at sign-in by the address (`LINK_BY_VERIFIED_EMAIL`, issue 13 item 3): a first
//! sign-in with another provider joins the account of the same address only when every rule
//! holds. One test per rule: each turns that one off with every other on, and the person is
//! refused with the page that says how to link by hand, nothing linked or created.

use crate::helpers::*;
use crate::oidc_test;

/// Every rule on: the setting, an authoritative `oidc` (trusted emails).
const ALL_ON: [(&str, &str); 2] = [
    ("LINK_BY_VERIFIED_EMAIL", "true"),
    ("OIDC_TRUSTED_EMAILS", "true"),
];

/// Ada signs in with Google, then with `oidc` at the same address (verified there or not):
/// the second sign-in's answer. `before_second` runs between the two.
async fn second_provider_sign_in(
    app: &TestApp,
    verified_at_oidc: bool,
    before_second: impl FnOnce(&TestApp),
) -> reqwest::Response {
    app.new_browser().signs_in("ada@example.com", "Ada").await;
    before_second(app);
    app.new_browser()
        .sign_in_verified("oidc", "ada@example.com", "Ada", verified_at_oidc)
        .await
}

/// `ALL_ON` with the rule `off` (when given) turned off.
fn env(off: Option<&'static str>) -> Vec<(&'static str, &'static str)> {
    ALL_ON
        .iter()
        .map(|&(k, v)| if Some(k) == off { (k, "false") } else { (k, v) })
        .collect()
}

/// What the refusal page says when only the linking rules stand in the way.
const BY_HAND: &str = "link Example ID from your account page";

/// One test per rule: with `env`, Ada's second sign-in (at `oidc`, `verified` there, after
/// `before_second`) is refused with `status` and a page that says `says`, and nothing changed.
macro_rules! not_linked_when {
    ($name:ident, $env:expr, $verified:expr, $before_second:expr, $status:expr, $says:expr) => {
        oidc_test!($name, &$env, |app| {
            let r = second_provider_sign_in(app, $verified, $before_second).await;
            assert_page_says(r, $status, "not linked", $says).await;
            assert_eq!(app.count_users(), 1);
            assert_eq!(
                app.identities_of("ada@example.com").len(),
                1,
                "nothing linked"
            );
            assert!(app.audit_rows_of("link_identity").is_empty());
        });
    };
}

oidc_test!(
    every_rule_holding_links_the_new_identity,
    &env(None),
    |app| {
        let r = second_provider_sign_in(app, true, |_| {}).await;
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
    }
);

not_linked_when!(
    without_the_setting_nothing_is_linked,
    env(Some("LINK_BY_VERIFIED_EMAIL")),
    true,
    |_| {},
    409,
    BY_HAND
);

not_linked_when!(
    a_provider_not_authoritative_for_the_address_links_nothing,
    env(Some("OIDC_TRUSTED_EMAILS")),
    true,
    |_| {},
    409,
    BY_HAND
);

not_linked_when!(
    an_unverified_new_address_links_nothing,
    env(None),
    false,
    |_| {},
    403,
    "has not verified the email address"
);

not_linked_when!(
    an_account_whose_identity_never_verified_the_address_links_nothing,
    env(None),
    true,
    |app: &TestApp| app.set_identity_email_verified("ada@example.com", false),
    409,
    BY_HAND
);

// The pre-account takeover: someone signs up first through a provider that is not
// authoritative for the address (an untrusted `oidc`), claiming Ada's address. When Ada then
// signs in with Google, her identity must not join that account.
oidc_test!(
    an_address_claimed_first_at_an_untrusted_provider_links_nothing,
    &[("LINK_BY_VERIFIED_EMAIL", "true")],
    |app| {
        let r = app
            .new_sign_in_with("oidc", "ada@example.com", "Not Ada")
            .await;
        assert_eq!(
            r.status().as_u16(),
            303,
            "the untrusted sign-up itself is allowed"
        );
        let r = app.new_sign_in("ada@example.com", "Ada").await;
        assert_page_says(r, 409, "Ada at Google", "already uses this email").await;
        assert_eq!(
            app.identities().len(),
            1,
            "Ada's Google identity joined nothing"
        );
        assert!(app.audit_rows_of("link_identity").is_empty());
    }
);

// An invitation admits its address past the allowlists: a provider whose address proves
// nothing (an untrusted `oidc`) never claims one; Google's verified address does.
oidc_test!(
    an_untrusted_provider_claims_no_invitation,
    &[("ALLOWED_EMAILS", "someone@else.com")],
    |app| {
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
            .new_sign_in_with("oidc", "ada@example.com", "Not Ada")
            .await;
        assert_eq!(r.status().as_u16(), 409, "not claimed");
        assert!(app.identities().is_empty());
        let r = app.new_sign_in("ada@example.com", "Ada").await;
        assert_eq!(r.status().as_u16(), 303, "claimed through Google");
        assert_eq!(app.identities_of("ada@example.com").len(), 1);
    }
);
