//! `signin users add` (invitations) and `signin users delete`, through the real binary: the
//! invited row is claimed by the first sign-in with that verified address only, keeps the role
//! and name given, shows as invited in the admin list, and admits its address past
//! `ALLOWED_EMAILS`; deletion is audited as `cli` and never removes the last active admin.

use crate::admin::{cli, text};
use crate::both_backends;
use crate::helpers::*;
use diesel::prelude::*;
use signin::db::schema::users;

/// `(name, invited)` of the user with this email.
fn invited_row(app: &TestApp, email: &str) -> (String, bool) {
    let email = email.to_string();
    app.query(move |c| {
        users::table
            .filter(users::email.eq(&email))
            .select((users::name, users::invited))
            .first(c)
            .expect("the user")
    })
}

both_backends!(
    an_invitation_is_claimed_by_its_verified_address_only,
    |backend| async move {
        let env = [
            ("ADMIN_EMAILS", "boss@example.com"),
            ("ALLOWED_EMAILS", "boss@example.com, other@example.com"),
        ];
        let app = TestApp::with_env(backend, &env).await;
        let url = app.db.url.clone();
        let o = cli(
            &url,
            &[
                "users",
                "add",
                "Ann@Example.com",
                "--admin",
                "--name",
                "Ann Invited",
            ],
            &[],
        );
        assert!(o.status.success(), "{}", text(&o));
        let o = cli(&url, &["users", "add", "ann@example.com"], &[]);
        assert!(
            !o.status.success() && text(&o).contains("already exists"),
            "{}",
            text(&o)
        );

        let boss = app.signed_in("boss@example.com", "Boss").await;
        let list = boss.get_text("/admin/users").await;
        assert!(list.contains("invited, not signed in yet"), "{list}");

        // An unverified address does not claim it (nor sign in).
        let r = app
            .new_browser()
            .sign_in_verified("google", "ann@example.com", "Mallory", false)
            .await;
        assert_eq!(r.status().as_u16(), 403);
        assert_eq!(
            invited_row(&app, "ann@example.com"),
            ("Ann Invited".into(), true)
        );

        // A different address does not claim it.
        let other = app.signed_in("other@example.com", "Other").await;
        assert_eq!(other.me().await["role"], "user");
        assert!(invited_row(&app, "ann@example.com").1);

        // The verified address claims it (admitted although not in ALLOWED_EMAILS), keeping the
        // role and the name the invitation gave.
        let ann = app.signed_in("ann@example.com", "Provider Name").await;
        let me = ann.me().await;
        assert_eq!(me["role"], "admin");
        assert_eq!(
            invited_row(&app, "ann@example.com"),
            ("Ann Invited".into(), false)
        );
        assert_eq!(app.count_users(), 3, "claimed, not duplicated");

        // Anyone else not listed is still refused.
        let r = app.new_sign_in("stranger@example.com", "S").await;
        assert_eq!(r.status().as_u16(), 403);
        app.stop().await;
    }
);

both_backends!(
    users_delete_is_audited_and_keeps_the_last_admin,
    |backend| async move {
        let app = TestApp::with_env(backend, &[("ADMIN_EMAILS", "boss@example.com")]).await;
        let url = app.db.url.clone();
        app.signed_in("boss@example.com", "Boss").await;
        app.signed_in("pat@example.com", "Pat").await;

        let o = cli(&url, &["users", "delete", "pat@example.com"], &[]);
        assert!(o.status.success(), "{}", text(&o));
        assert_eq!(app.count_users(), 1);
        let rows = app.audit_rows();
        let deletion = rows
            .iter()
            .find(|r| r.0 == "delete_user")
            .expect("a delete_user row");
        assert_eq!(deletion.1, "cli");
        assert!(
            rows.iter()
                .all(|r| r.2.as_deref() != Some("pat@example.com")),
            "pseudonymised: {rows:?}"
        );

        let o = cli(&url, &["users", "delete", "boss@example.com"], &[]);
        assert!(!o.status.success());
        assert!(text(&o).contains("last active admin"), "{}", text(&o));
        assert_eq!(app.count_users(), 1);
        let o = cli(&url, &["users", "delete", "nobody@example.com"], &[]);
        assert!(
            !o.status.success() && text(&o).contains("no user"),
            "{}",
            text(&o)
        );
        app.stop().await;
    }
);
