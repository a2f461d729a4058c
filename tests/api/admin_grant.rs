//! `ADMIN_EMAILS` grants the admin role once, when the account is created, and only when the
//! provider is authoritative for the address; the grant is audited as done by `config`, and a
//! later demotion is never undone by a sign-in.

use crate::both_backends;
use crate::faults;
use crate::helpers::*;

/// The admin action `action` on `email`'s account, posted by the signed-in `admin` browser.
async fn act_on(app: &TestApp, admin: &Browser, email: &str, action: &str) -> reqwest::Response {
    let pid = app.public_id(email);
    let html = admin.get_text(&format!("/admin/users/{pid}")).await;
    let csrf = extract_input(&html, "csrf").expect("csrf on the user page");
    admin
        .post_form(&format!("/admin/users/{pid}/{action}"), &[("csrf", &csrf)])
        .await
}

both_backends!(
    demoted_admin_stays_demoted_after_signing_in_again,
    |backend| async move {
        let env = [("ADMIN_EMAILS", "boss@example.com, deputy@example.com")];
        let app = TestApp::with_env(backend, &env).await;
        let boss = app.signed_in("boss@example.com", "Boss").await;
        let deputy = app.signed_in("deputy@example.com", "Deputy").await;
        assert_eq!(deputy.me().await["role"], "admin");
        // Each grant is one audit row, by `config`, at the first sign-in only.
        let grants = app.audit_rows_of("promote");
        assert_eq!(grants.len(), 2, "{grants:?}");
        assert!(grants.iter().all(|r| r.1 == "config"), "{grants:?}");

        let r = act_on(&app, &boss, "deputy@example.com", "demote").await;
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(app.user_state("deputy@example.com").0, "user");
        let rows_before = app.audit_rows().len();

        // The deputy signs in again, on the same browser and on a new one: still a user.
        deputy.signs_in("deputy@example.com", "Deputy").await;
        let again = app.signed_in("deputy@example.com", "Deputy").await;
        assert_eq!(again.me().await["role"], "user");
        assert_eq!(app.user_state("deputy@example.com").0, "user");
        let new_rows = app.audit_rows().split_off(rows_before);
        assert!(
            new_rows.iter().all(|r| r.0 == "sign_in"),
            "no grant on a later sign-in: {new_rows:?}"
        );
        app.stop().await;
    }
);

both_backends!(
    admin_email_without_an_authoritative_provider_is_not_granted,
    |backend| async move {
        // Google's rules: a consumer account on a non-Gmail address (no `hd`) proves nothing.
        let env = [("ADMIN_EMAILS", "boss@example.com, chief@gmail.com")];
        let app = TestApp::as_google(backend, &env).await;
        app.set_faults(faults!(no_hd));
        let b = app.signed_in("boss@example.com", "Not The Boss").await;
        assert_eq!(b.me().await["role"], "user");
        assert!(
            app.audit_rows().iter().all(|r| r.0 != "promote"),
            "no grant was recorded"
        );
        // A Gmail address is Google's own: granted, by `config`.
        let chief = app.signed_in("chief@gmail.com", "Chief").await;
        assert_eq!(chief.me().await["role"], "admin");
        // A Workspace account (`hd` present) is granted too.
        app.set_faults(Default::default());
        let other = TestApp::as_google(backend, &env).await;
        let boss = other.signed_in("boss@example.com", "Boss").await;
        assert_eq!(boss.me().await["role"], "admin");
        let grants = other.audit_rows_of("promote");
        assert_eq!(grants.len(), 1, "{grants:?}");
        assert_eq!(grants[0].1, "config");
        assert_eq!(grants[0].2.as_deref(), Some("boss@example.com"));
        other.stop().await;
        app.stop().await;
    }
);
