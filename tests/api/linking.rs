//! Linking (issue 13, item 3): a signed-in person adds another way to sign in from the account
//! page and removes one as long as one remains; a link never takes an identity or an address
//! that another account holds; a link flow completes only for the account that began it.

use crate::both_backends;
use crate::helpers::*;

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

both_backends!(
    link_sign_in_with_either_and_remove_but_the_last,
    |backend| async move {
        let (app, oidc) = TestApp::with_oidc(backend, &[]).await;
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
        let work = app.new_browser();
        let r = work
            .sign_in_with("oidc", "ada.work@example.com", "Ada")
            .await;
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(app.count_users(), 1, "no second account");
        let me = work.me().await;
        assert_eq!(me["id"], app.public_id("ada.work@example.com"));

        // Google goes; the last one stays.
        let csrf = work.csrf().await;
        let google = ids[0].0.to_string();
        let r = work
            .post_form("/account/unlink", &[("csrf", &csrf), ("id", &google)])
            .await;
        assert_eq!(r.status().as_u16(), 303, "removed");
        assert_eq!(app.identities().len(), 1);
        let last = ids[1].0.to_string();
        let r = work
            .post_form("/account/unlink", &[("csrf", &csrf), ("id", &last)])
            .await;
        assert_page_says(r, 400, "the last way in", "at least one way to sign in").await;
        assert_eq!(app.identities().len(), 1, "kept");
        let removed = app.audit_rows_of("unlink_identity");
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0].3.as_deref(), Some("google"));
        app.stop().await;
        oidc.handle.stop(false).await;
    }
);

both_backends!(
    a_link_never_takes_what_another_account_holds,
    |backend| async move {
        let (app, oidc) = TestApp::with_oidc(backend, &[]).await;
        let bob = app.new_browser();
        let r = bob.sign_in_with("oidc", "bob@example.com", "Bob").await;
        assert_eq!(r.status().as_u16(), 303);
        app.new_browser().signs_in("cy@example.com", "Cy").await;
        let ada = app.signed_in("ada@example.com", "Ada").await;
        let before = app.identities();

        // Bob's oidc identity signs in to Bob's account.
        let r = link(&ada, "oidc", "bob@example.com").await;
        assert_page_says(
            r,
            409,
            "someone else's identity",
            "belongs to another account",
        )
        .await;
        // A new identity whose verified address is Cy's.
        let r = link(&ada, "oidc", "cy@example.com").await;
        assert_page_says(
            r,
            409,
            "another account's address",
            "already uses this email",
        )
        .await;
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
        app.stop().await;
        oidc.handle.stop(false).await;
    }
);

both_backends!(
    a_link_completes_only_for_the_account_that_began_it,
    |backend| async move {
        let (app, oidc) = TestApp::with_oidc(backend, &[]).await;
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
        let adas = app.identities_of("ada@example.com")[0].0.to_string();
        let r = ada
            .post_form("/account/unlink", &[("csrf", &csrf), ("id", &adas)])
            .await;
        assert_friendly_page(r, 404, "someone else's identity").await;
        let r = ada
            .post_form("/account/link", &[("csrf", "forged"), ("provider", "oidc")])
            .await;
        assert_friendly_page(r, 403, "a link with a forged CSRF token").await;
        let r = ada
            .post_form("/account/link", &[("csrf", &csrf), ("provider", "github")])
            .await;
        assert_friendly_page(r, 404, "a provider that is not enabled").await;
        app.stop().await;
        oidc.handle.stop(false).await;
    }
);

both_backends!(
    an_admin_sees_and_removes_a_method_but_never_the_last,
    |backend| async move {
        let (app, oidc) =
            TestApp::with_oidc(backend, &[("ADMIN_EMAILS", "boss@example.com")]).await;
        let boss = app.signed_in("boss@example.com", "Boss").await;
        let ada = app.signed_in("ada@example.com", "Ada").await;
        assert_eq!(
            link(&ada, "oidc", "ada.work@example.com")
                .await
                .status()
                .as_u16(),
            303
        );
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
        let unlink = format!("{page_path}/unlink");
        let oidc_id = ids[1].0.to_string();
        let r = boss
            .post_form(&unlink, &[("csrf", &csrf), ("id", &oidc_id)])
            .await;
        assert_eq!(r.status().as_u16(), 303);
        let page = boss.get_text(&page_path).await;
        assert!(
            page.contains("The Example ID sign-in of ada@example.com was removed."),
            "{page}"
        );
        let google_id = ids[0].0.to_string();
        let r = boss
            .post_form(&unlink, &[("csrf", &csrf), ("id", &google_id)])
            .await;
        assert_eq!(r.status().as_u16(), 303);
        let page = boss.get_text(&page_path).await;
        assert!(page.contains("only way to sign in, so it stays"), "{page}");
        assert_eq!(app.identities_of("ada@example.com").len(), 1);
        let rows = app.audit_rows_of("unlink_identity");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].1, "boss@example.com", "the admin is the actor");
        assert_eq!(rows[0].2.as_deref(), Some("ada@example.com"));
        // Not an admin: the page and the action are refused.
        let r = ada
            .post_form(&unlink, &[("csrf", &csrf), ("id", &google_id)])
            .await;
        assert_eq!(r.status().as_u16(), 403);
        app.stop().await;
        oidc.handle.stop(false).await;
    }
);

both_backends!(
    the_user_list_shows_and_filters_by_sign_in_method,
    |backend| async move {
        let (app, oidc) =
            TestApp::with_oidc(backend, &[("ADMIN_EMAILS", "boss@example.com")]).await;
        let boss = app.signed_in("boss@example.com", "Boss").await;
        let bob = app.new_browser();
        assert_eq!(
            bob.sign_in_with("oidc", "bob@example.com", "Bob")
                .await
                .status()
                .as_u16(),
            303
        );
        let ada = app.signed_in("ada@example.com", "Ada").await;
        assert_eq!(
            link(&ada, "oidc", "ada.work@example.com")
                .await
                .status()
                .as_u16(),
            303
        );

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
        app.stop().await;
        oidc.handle.stop(false).await;
    }
);

// A session older than an hour cannot add a way in (a found or stolen session would make
// itself lasting); signing in again can.
both_backends!(linking_needs_a_recent_sign_in, |backend| async move {
    let (app, oidc) = TestApp::with_oidc(backend, &[]).await;
    let ada = app.signed_in("ada@example.com", "Ada").await;
    app.clock.advance(chrono::Duration::minutes(61));
    let csrf = ada.csrf().await;
    let r = ada
        .post_form("/account/link", &[("csrf", &csrf), ("provider", "oidc")])
        .await;
    assert_page_says(r, 403, "an old session", "sign in again first").await;
    assert_eq!(app.identities().len(), 1);
    app.stop().await;
    oidc.handle.stop(false).await;
});
