//! Linking (issue 13, item 3): a signed-in person adds another way to sign in from the account
//! page and removes one as long as one remains; a link never takes an identity or an address
//! that another account holds; a link flow completes only for the account that began it.

use crate::helpers::*;
use crate::oidc_test;

/// `POST /account/link` for `provider` with the page's CSRF token: the provider's authorize URL.
async fn begin_link(b: &Browser, provider: &str) -> String {
    let csrf = b.csrf().await;
    let r = b
        .post_form("/account/link", &[("csrf", &csrf), ("provider", provider)])
        .await;
    assert_eq!(r.status().as_u16(), 303, "link redirect");
    location(&r)
}

/// The whole link flow, approving at the provider as `email`: the callback's answer.
async fn link(b: &Browser, provider: &str, email: &str) -> reqwest::Response {
    let authorize = begin_link(b, provider).await;
    let callback = b.consent(&authorize, email, "Someone").await;
    b.get(&callback).await
}

/// The whole link flow, which must succeed (the callback's 303 checked).
async fn links(b: &Browser, provider: &str, email: &str) {
    let r = link(b, provider, email).await;
    assert_eq!(r.status().as_u16(), 303, "linked {email}");
}

/// `POST {path}` (an unlink form) for the identity `id` with this CSRF token.
async fn unlink(b: &Browser, path: &str, csrf: &str, id: i64) -> reqwest::Response {
    let id = id.to_string();
    b.post_form(path, &[("csrf", csrf), ("id", &id)]).await
}

oidc_test!(
    link_sign_in_with_either_and_remove_but_the_last,
    &[],
    |app| {
        let ada = app.signed_in("ada@example.com", "Ada").await;
        let page = ada.get_text("/account").await;
        assert!(
            page.contains("Ways to sign in") && page.contains("Link Example ID"),
            "{page}"
        );
        assert!(
            !page.contains(r#"action="/account/unlink""#),
            "the only way in has no Remove: {page}"
        );

        let r = link(&ada, "oidc", "ada.work@example.com").await;
        assert_eq!(r.status().as_u16(), 303, "linked");
        assert_eq!(location(&r), "/account");
        let ids = app.identities_of("ada@example.com");
        assert_eq!(
            ids.iter().map(|i| i.1.as_str()).collect::<Vec<_>>(),
            ["google", "oidc"]
        );
        let page = ada.get_text("/account").await;
        assert_eq!(
            page.matches(r#"action="/account/unlink""#).count(),
            2,
            "{page}"
        );
        assert_eq!(app.audit_rows_of("link_identity").len(), 1);

        // The linked identity signs in to the same account.
        let work = app
            .signed_in_with("oidc", "ada.work@example.com", "Ada")
            .await;
        assert_eq!(app.count_users(), 1, "no second account");
        let me = work.me().await;
        assert_eq!(me["id"], app.public_id("ada.work@example.com"));

        // Google goes; the last one stays.
        let csrf = work.csrf().await;
        let r = unlink(&work, "/account/unlink", &csrf, ids[0].0).await;
        assert_eq!(r.status().as_u16(), 303, "removed");
        assert_eq!(app.identities().len(), 1);
        let r = unlink(&work, "/account/unlink", &csrf, ids[1].0).await;
        assert_page_says(r, 400, "the last way in", "at least one way to sign in").await;
        assert_eq!(app.identities().len(), 1, "kept");
        let removed = app.audit_rows_of("unlink_identity");
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0].3.as_deref(), Some("google"));
    }
);

oidc_test!(a_link_never_takes_what_another_account_holds, &[], |app| {
    app.signed_in_with("oidc", "bob@example.com", "Bob").await;
    app.new_browser().signs_in("cy@example.com", "Cy").await;
    let ada = app.signed_in("ada@example.com", "Ada").await;
    let before = app.identities();

    for (email, what, says) in [
        // Bob's oidc identity signs in to Bob's account.
        (
            "bob@example.com",
            "someone else's identity",
            "belongs to another account",
        ),
        // A new identity whose verified address is Cy's.
        (
            "cy@example.com",
            "another account's address",
            "already uses this email",
        ),
    ] {
        let r = link(&ada, "oidc", email).await;
        assert_page_says(r, 409, what, says).await;
    }
    assert_eq!(app.identities(), before, "nothing linked");
    let refused: Vec<_> = app
        .audit_rows_of("sign_in_refused")
        .into_iter()
        .filter_map(|r| r.3)
        .collect();
    assert!(
        refused.iter().any(|d| d.starts_with("identity_taken")),
        "{refused:?}"
    );
});

oidc_test!(
    a_link_completes_only_for_the_account_that_began_it,
    &[],
    |app| {
        let ada = app.signed_in("ada@example.com", "Ada").await;
        let authorize = begin_link(&ada, "oidc").await;
        let callback = ada.consent(&authorize, "ada.work@example.com", "Ada").await;
        // Ada signs out, and Bob signs in on the same browser before the callback is opened.
        assert_eq!(ada.logout().await.status().as_u16(), 303);
        ada.signs_in("bob@example.com", "Bob").await;
        let r = ada.get(&callback).await;
        assert_friendly_page(r, 400, "a link flow of another account").await;
        assert_eq!(app.identities().len(), 2, "only the two Google sign-ins");

        // Unknown or someone else's identity: 404; a forged CSRF token: refused before anything.
        let csrf = ada.csrf().await;
        let adas = app.identities_of("ada@example.com")[0].0;
        let r = unlink(&ada, "/account/unlink", &csrf, adas).await;
        assert_friendly_page(r, 404, "someone else's identity").await;
        let r = ada
            .post_form("/account/link", &[("csrf", "forged"), ("provider", "oidc")])
            .await;
        assert_friendly_page(r, 403, "a link with a forged CSRF token").await;
        let r = ada
            .post_form("/account/link", &[("csrf", &csrf), ("provider", "github")])
            .await;
        assert_friendly_page(r, 404, "a provider that is not enabled").await;
    }
);

const BOSS_IS_ADMIN: &[(&str, &str)] = &[("ADMIN_EMAILS", "boss@example.com")];

oidc_test!(
    an_admin_sees_and_removes_a_method_but_never_the_last,
    BOSS_IS_ADMIN,
    |app| {
        let boss = app.signed_in("boss@example.com", "Boss").await;
        let ada = app.signed_in("ada@example.com", "Ada").await;
        links(&ada, "oidc", "ada.work@example.com").await;
        let ids = app.identities_of("ada@example.com");
        let page_path = format!("/admin/users/{}", app.public_id("ada@example.com"));
        let page = boss.get_text(&page_path).await;
        assert!(
            page.contains("Ways to sign in")
                && page.contains("Example ID")
                && page.contains("ada.work@example.com"),
            "{page}"
        );
        assert_eq!(
            page.matches("/unlink\"").count(),
            2,
            "both removable: {page}"
        );

        let csrf = boss.csrf().await;
        let path = format!("{page_path}/unlink");
        let r = unlink(&boss, &path, &csrf, ids[1].0).await;
        assert_eq!(r.status().as_u16(), 303);
        let page = boss.get_text(&page_path).await;
        assert!(
            page.contains("The Example ID sign-in of ada@example.com was removed."),
            "{page}"
        );
        let r = unlink(&boss, &path, &csrf, ids[0].0).await;
        assert_eq!(r.status().as_u16(), 303);
        let page = boss.get_text(&page_path).await;
        assert!(page.contains("only way to sign in, so it stays"), "{page}");
        assert_eq!(app.identities_of("ada@example.com").len(), 1);
        let rows = app.audit_rows_of("unlink_identity");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].1, "boss@example.com", "the admin is the actor");
        assert_eq!(rows[0].2.as_deref(), Some("ada@example.com"));
        // Not an admin: the page and the action are refused.
        let r = unlink(&ada, &path, &csrf, ids[0].0).await;
        assert_eq!(r.status().as_u16(), 403);
    }
);

oidc_test!(
    the_user_list_shows_and_filters_by_sign_in_method,
    BOSS_IS_ADMIN,
    |app| {
        let boss = app.signed_in("boss@example.com", "Boss").await;
        app.signed_in_with("oidc", "bob@example.com", "Bob").await;
        let ada = app.signed_in("ada@example.com", "Ada").await;
        links(&ada, "oidc", "ada.work@example.com").await;

        let page = boss.get_text("/admin/users").await;
        let row = |email: &str| {
            let at = page
                .find(email)
                .unwrap_or_else(|| panic!("{email}: {page}"));
            let end = page[at..].find("</tr>").map_or(page.len(), |e| at + e);
            page[at..end].to_string()
        };
        assert!(
            row("ada@example.com").contains(r#"<td class="methods">Google, Example ID</td>"#),
            "{}",
            row("ada@example.com")
        );
        assert!(row("bob@example.com").contains(r#"<td class="methods">Example ID</td>"#));
        assert!(
            page.contains(r#"<option value="oidc""#),
            "the filter offers each provider"
        );

        let only_oidc = boss.get_text("/admin/users?provider=oidc").await;
        assert!(only_oidc.contains("bob@example.com") && only_oidc.contains("ada@example.com"));
        assert!(!only_oidc.contains("boss@example.com"), "{only_oidc}");
        let r = boss.get("/admin/users?provider=myspace").await;
        assert_friendly_page(r, 400, "an unknown provider filter").await;
        let csv = boss.get_text("/admin/users/export.csv?provider=oidc").await;
        assert_eq!(csv.lines().count(), 3, "a header and two users: {csv}");
    }
);

// A session older than an hour cannot add a way in (a found or stolen session would make
// itself lasting); signing in again can.
oidc_test!(linking_needs_a_recent_sign_in, &[], |app| {
    let ada = app.signed_in("ada@example.com", "Ada").await;
    app.clock.advance(chrono::Duration::minutes(61));
    let csrf = ada.csrf().await;
    let r = ada
        .post_form("/account/link", &[("csrf", &csrf), ("provider", "oidc")])
        .await;
    assert_page_says(r, 403, "an old session", "sign in again first").await;
    assert_eq!(app.identities().len(), 1);
});
