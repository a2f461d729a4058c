//! Who may sign in: `ALLOWED_EMAILS` and `ALLOWED_EMAILS_FILE` on top of
//! `ALLOWED_EMAIL_DOMAINS` (any configured list admits); the file is re-read when it changes,
//! and a missing file admits nobody. A refusal is a 403 page and an audit row.

use crate::both_backends;
use crate::helpers::*;

/// The `sign_in_refused` audit rows' details.
fn refusals(app: &TestApp) -> Vec<Option<String>> {
    app.audit_rows()
        .into_iter()
        .filter(|r| r.0 == "sign_in_refused")
        .map(|r| r.3)
        .collect()
}

both_backends!(
    allowed_emails_and_domains_each_admit,
    |backend| async move {
        let env = [
            ("ALLOWED_EMAIL_DOMAINS", "example.com"),
            ("ALLOWED_EMAILS", "guest@other.org, Friend@Elsewhere.net"),
        ];
        let app = TestApp::with_env(backend, &env).await;
        for email in ["ann@example.com", "guest@other.org", "friend@elsewhere.net"] {
            let r = app.new_sign_in(email, "In").await;
            assert_eq!(r.status().as_u16(), 303, "{email} is on a list");
        }
        let r = app.new_sign_in("stranger@other.org", "No").await;
        let page = assert_page_says(r, 403, "not listed", "not on it").await;
        assert!(
            !page.contains("guest@other.org"),
            "the page names no address"
        );
        assert!(
            !page.contains("[missing:"),
            "the refusal's text comes from the catalog: {page}"
        );
        assert_eq!(app.count_users(), 3, "the refused person wrote no user");
        assert_eq!(refusals(&app), vec![Some("email_not_allowed".to_string())]);
        app.stop().await;
    }
);

both_backends!(
    allowed_emails_file_is_reloaded_without_restart,
    |backend| async move {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("allowed-emails");
        std::fs::write(&path, "# the team\n\nann@example.com\n").expect("write");
        let path_str = path.to_str().expect("utf-8 path").to_string();
        let app = TestApp::with_env(backend, &[("ALLOWED_EMAILS_FILE", &path_str)]).await;

        let r = app.new_sign_in("ann@example.com", "Ann").await;
        assert_eq!(r.status().as_u16(), 303, "listed in the file");
        let r = app.new_sign_in("bob@example.com", "Bob").await;
        assert_page_says(r, 403, "not yet listed", "not on it").await;

        // Appended while the service runs: admitted once the file is looked at again.
        let mut text = std::fs::read_to_string(&path).expect("read");
        text.push_str("bob@example.com\n");
        std::fs::write(&path, text).expect("append");
        app.clock.advance(chrono::Duration::seconds(3));
        let r = app.new_sign_in("bob@example.com", "Bob").await;
        assert_eq!(r.status().as_u16(), 303, "the file was re-read");

        // A file that disappears admits nobody (fail closed), not everybody.
        std::fs::remove_file(&path).expect("remove");
        app.clock.advance(chrono::Duration::seconds(3));
        let r = app.new_sign_in("ann@example.com", "Ann").await;
        assert_page_says(r, 403, "file gone", "not on it").await;
        app.stop().await;
    }
);
