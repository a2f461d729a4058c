//! The account page (issue 11, item 2): own sessions and tokens listed and revoked (someone
//! else's is a 404), sign out everywhere else, delete my account (rows gone, audit
//! pseudonymised, deletion audited, cookie cleared), an admin deleting a user, the last admin
//! kept, and CSRF on every new POST.

use crate::app_test;
use crate::both_backends;
use crate::helpers::*;
use diesel::prelude::*;
use signin::db::schema::{sessions, users};

const ADMIN: &str = "admin@example.com";

async fn account_page(b: &Browser) -> String {
    let r = b.get("/account").await;
    assert_eq!(r.status().as_u16(), 200, "GET /account");
    r.text().await.unwrap()
}

/// Every `name="jti" value="…"` on the page, in order.
fn jtis_on(html: &str) -> Vec<String> {
    html.split("name=\"jti\" value=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .collect()
}

fn revoked(app: &TestApp, jti: &str) -> bool {
    let jti = jti.to_string();
    app.query(move |c| {
        sessions::table
            .filter(sessions::jti.eq(&jti))
            .select(sessions::revoked_at)
            .first::<Option<chrono::NaiveDateTime>>(c)
            .unwrap()
            .is_some()
    })
}

app_test!(the_account_page_lists_and_revokes_only_ones_own, |app| {
    let ada = app.signed_in("ada@example.com", "Ada").await;
    let ada2 = app.signed_in("ada@example.com", "Ada").await;
    let token = ada.create_named_token("laptop script").await;
    let bob = app.signed_in("bob@example.com", "Bob").await;
    let bob_jti = app.live_jtis("bob@example.com")[0].clone();

    // Linked from the header; lists both sessions (this one marked) and the token.
    let home = ada.get_text("/").await;
    assert!(home.contains("href=\"/account\""), "{home}");
    let html = account_page(&ada).await;
    assert_eq!(html.matches("<tr class=\"session").count(), 2, "{html}");
    assert_eq!(html.matches("this session").count(), 1);
    assert!(html.contains("laptop script"));
    assert!(html.contains("127.0.0.1"));
    assert_eq!(jtis_on(&html).len(), 3);

    let csrf = ada.csrf().await;
    // Without the CSRF token: refused, nothing changes.
    let ada2_jti = app.live_jtis("ada@example.com")[1].clone();
    let r = ada
        .post_form("/account/revoke", &[("csrf", "forged"), ("jti", &ada2_jti)])
        .await;
    assert_friendly_page(r, 403, "forged csrf").await;
    assert!(!revoked(app, &ada2_jti));
    // Someone else's: 404, nothing changes.
    let r = ada
        .post_form("/account/revoke", &[("csrf", &csrf), ("jti", &bob_jti)])
        .await;
    assert_friendly_page(r, 404, "bob's session").await;
    assert!(!revoked(app, &bob_jti));
    assert_eq!(bob.get("/api/me").await.status().as_u16(), 200);
    let r = ada
        .post_form("/account/revoke", &[("csrf", &csrf), ("jti", "nope")])
        .await;
    assert_friendly_page(r, 404, "unknown").await;

    // Her other session: ended at once, audited.
    let r = ada
        .post_form("/account/revoke", &[("csrf", &csrf), ("jti", &ada2_jti)])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    assert_api_401(ada2.get("/api/me").await, "revoked session").await;
    // Her token: ended at once, audited as a token.
    let token_jti = jti_of(&token);
    let r = ada
        .post_form("/account/revoke", &[("csrf", &csrf), ("jti", &token_jti)])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    assert_api_401(app.me_with_bearer(&token).await, "revoked token").await;
    let actions: Vec<String> = app.audit_rows().into_iter().map(|r| r.0).collect();
    assert!(
        actions.contains(&"revoke_session".to_string()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"revoke_api_token".to_string()),
        "{actions:?}"
    );
    assert_eq!(
        ada.get("/api/me").await.status().as_u16(),
        200,
        "this one stays"
    );
});

app_test!(
    sign_out_everywhere_else_keeps_this_session_and_the_tokens,
    |app| {
        let ada = app.signed_in("ada@example.com", "Ada").await;
        let others = [
            app.signed_in("ada@example.com", "Ada").await,
            app.signed_in("ada@example.com", "Ada").await,
        ];
        let token = ada.create_api_token().await;
        let r = ada
            .post_form("/account/sign-out-others", &[("csrf", "forged")])
            .await;
        assert_friendly_page(r, 403, "forged csrf").await;
        assert_eq!(others[0].get("/api/me").await.status().as_u16(), 200);

        let csrf = ada.csrf().await;
        let r = ada
            .post_form("/account/sign-out-others", &[("csrf", &csrf)])
            .await;
        assert_eq!(r.status().as_u16(), 303);
        for o in &others {
            assert_api_401(o.get("/api/me").await, "other session").await;
        }
        assert_eq!(ada.get("/api/me").await.status().as_u16(), 200);
        assert_eq!(
            app.me_status_with_bearer(&token).await,
            200,
            "tokens untouched"
        );
        let rows = app.audit_rows();
        let row = rows
            .iter()
            .find(|r| r.0 == "sign_out_others")
            .expect("audited");
        assert_eq!(row.3.as_deref(), Some("2 session(s) ended"));
    }
);

app_test!(
    deleting_ones_account_removes_it_and_pseudonymises_the_audit_log,
    |app| {
        let ada = app.signed_in("ada@example.com", "Ada").await;
        let _other = app.signed_in("ada@example.com", "Ada").await;
        let token = ada.create_api_token().await;
        let _bob = app.signed_in("bob@example.com", "Bob").await;
        let id = app.user_id("ada@example.com");

        let page = ada.get_text("/account/delete").await;
        assert!(page.contains("Delete your account?"), "{page}");
        let r = ada
            .post_form("/account/delete", &[("csrf", "forged")])
            .await;
        assert_friendly_page(r, 403, "forged csrf").await;
        assert_eq!(app.count_users(), 2, "nothing removed");

        let csrf = ada.csrf().await;
        let r = ada.post_form("/account/delete", &[("csrf", &csrf)]).await;
        assert_eq!(r.status().as_u16(), 200);
        assert!(sets_cookie(&r), "the session cookie is cleared");
        let body = r.text().await.unwrap();
        assert!(body.contains("Account deleted"), "{body}");

        assert_eq!(app.count_users(), 1);
        let left: i64 = app.query(|c| {
            sessions::table
                .filter(sessions::user_id.eq(id))
                .count()
                .get_result(c)
                .unwrap()
        });
        assert_eq!(left, 0, "sessions and tokens gone");
        assert_api_401(app.me_with_bearer(&token).await, "deleted user's token").await;
        assert_api_401(ada.get("/api/me").await, "deleted user's browser").await;

        let pseudonym = signin::admin::pseudonym(id);
        let rows = app.audit_rows_with_ip();
        for r in &rows {
            let text = format!("{r:?}");
            assert!(!text.contains("ada@example.com"), "{text}");
            if r.1 == pseudonym || r.2.as_deref() == Some(pseudonym.as_str()) {
                assert_eq!(r.4, None, "IP kept: {text}");
            }
        }
        assert!(
            rows.iter()
                .any(|r| r.2.as_deref() == Some(pseudonym.as_str()) && r.0 == "sign_in")
        );
        let last = rows.last().unwrap();
        assert_eq!(
            (last.0.as_str(), last.2.as_deref()),
            ("delete_user", Some(pseudonym.as_str()))
        );
        assert!(
            rows.iter().any(|r| r.1 == "bob@example.com"),
            "others untouched"
        );
    }
);

both_backends!(
    an_admin_deletes_a_user_and_the_last_admin_cannot_delete_themselves,
    |backend| async move {
        let app = TestApp::with_env(backend, &[("ADMIN_EMAILS", ADMIN)]).await;
        let admin = app.signed_in(ADMIN, "Admin").await;
        let bob = app.signed_in("bob@example.com", "Bob").await;
        let pid = app.public_id("bob@example.com");

        let page = admin.get_text(&format!("/admin/users/{pid}/delete")).await;
        assert!(page.contains("bob@example.com"), "{page}");
        let r = admin
            .post_form(&format!("/admin/users/{pid}/delete"), &[("csrf", "forged")])
            .await;
        assert_friendly_page(r, 403, "forged csrf").await;
        assert_eq!(app.count_users(), 2);
        let csrf = admin.csrf().await;
        let r = admin
            .post_form(&format!("/admin/users/{pid}/delete"), &[("csrf", &csrf)])
            .await;
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(app.count_users(), 1);
        assert_api_401(bob.get("/api/me").await, "deleted by the admin").await;
        let rows = app.audit_rows();
        let last = rows.last().unwrap();
        assert_eq!((last.0.as_str(), last.1.as_str()), ("delete_user", ADMIN));

        // The last active admin cannot delete their own account: a clear page, nothing removed.
        let r = admin.post_form("/account/delete", &[("csrf", &csrf)]).await;
        assert_page_says(r, 403, "last admin", "last active admin").await;
        assert_eq!(app.count_users(), 1);
        assert_eq!(admin.get("/api/me").await.status().as_u16(), 200);
        let n: i64 = app.query(|c| users::table.count().get_result(c).unwrap());
        assert_eq!(n, 1);
        app.stop().await;
    }
);
