//! The exports: `GET /admin/users/export.csv` and `GET /admin/audit/export.csv` (admins only,
//! the pages' filters, RFC 4180 with formula escaping, streamed in id order, audited, counted in
//! the metrics) and `signin users export` / `signin audit export` (CSV and JSON Lines).

use crate::admin::{cli, text};
use crate::both_backends;
use crate::helpers::*;
use chrono::Utc;
use diesel::prelude::*;
use futures_util::StreamExt;
use signin::admin::filters::UserFilters;
use signin::db::schema::users;
use signin::export::{self, Format, Kind, Requester, Selection, Tally};
use std::sync::Arc;

const BOSS: &str = "boss@example.com";

async fn with_boss(backend: Backend) -> (TestApp, Browser) {
    let app = TestApp::with_env(backend, &[("ADMIN_EMAILS", BOSS)]).await;
    let boss = app.signed_in(BOSS, "Boss").await;
    (app, boss)
}

/// Downloads an export, checking the answer's headers; returns the body.
async fn download(b: &Browser, path: &str) -> String {
    let r = b.get(path).await;
    assert_eq!(r.status().as_u16(), 200, "{path}");
    assert_eq!(header(&r, "content-type"), "text/csv; charset=utf-8");
    let stem = if path.contains("/audit/") {
        "audit"
    } else {
        "users"
    };
    let today = Utc::now().format("%Y-%m-%d");
    assert_eq!(
        header(&r, "content-disposition"),
        format!("attachment; filename=\"{stem}-{today}.csv\"")
    );
    r.text().await.expect("body")
}

/// The CSV's records (without the header) by CRLF; fields containing CRLF are not used here.
fn records(body: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = body.split("\r\n").collect();
    assert_eq!(lines.pop(), Some(""), "ends with CRLF");
    lines.remove(0);
    lines
}

/// The email column (the second) of each record; emails never need quotes.
fn emails(body: &str) -> Vec<String> {
    records(body)
        .iter()
        .map(|r| r.split(',').nth(1).expect("an email").to_string())
        .collect()
}

both_backends!(
    csv_is_quoted_and_formulas_are_escaped,
    |backend| async move {
        let (app, boss) = with_boss(backend).await;
        let now = Utc::now().naive_utc();
        for (email, name) in [
            ("formula@example.com", "=HYPERLINK(\"http://evil\",\"x\")"),
            ("plus@example.com", "+1 555"),
            ("minus@example.com", "-2+3"),
            ("at@example.com", "@SUM(A1:A2)"),
            ("tab@example.com", "\tTab"),
            ("comma@example.com", "Lee, Ann"),
            ("quote@example.com", "Ann \"Bee\" Lee"),
        ] {
            app.insert_user(email, name, now, None, "user", "active");
        }
        app.insert_user("cr@example.com", "\rCR", now, None, "user", "active");

        let body = download(&boss, "/admin/users/export.csv").await;
        assert!(
            body.starts_with(
                "public_id,email,name,given_name,family_name,role,status,email_verified,invited,\
             locale,created_at,last_sign_in_at,active_sessions\r\n"
            ),
            "{body}"
        );
        assert_contains_all(
            &body,
            &[
                ",formula@example.com,\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",",
                ",plus@example.com,'+1 555,",
                ",minus@example.com,'-2+3,",
                ",at@example.com,'@SUM(A1:A2),",
                ",tab@example.com,'\tTab,",
                ",comma@example.com,\"Lee, Ann\",",
                ",quote@example.com,\"Ann \"\"Bee\"\" Lee\",",
                ",cr@example.com,\"'\rCR\",",
                ",boss@example.com,Boss,",
                ",admin,active,true,false,",
            ],
        );
        // The boss has signed in once and has one live session.
        let boss_line = body
            .split("\r\n")
            .find(|l| l.contains(",boss@example.com,"))
            .expect("the boss");
        assert!(boss_line.ends_with(",1"), "{boss_line}");
        assert!(
            boss_line.contains("Z,20"),
            "RFC 3339 UTC times: {boss_line}"
        );
        app.stop().await;
    }
);

both_backends!(the_list_filters_apply_to_the_export, |backend| async move {
    let (app, boss) = with_boss(backend).await;
    let now = Utc::now().naive_utc();
    app.insert_user("ann@example.com", "Ann", now, None, "admin", "active");
    app.insert_user("anna@example.com", "Anna", now, None, "user", "disabled");
    app.insert_user("bob@example.com", "Bob", now, None, "user", "active");
    app.insert_user(
        "carl@example.com",
        "Annette Carl",
        now,
        None,
        "user",
        "active",
    );

    let all = emails(&download(&boss, "/admin/users/export.csv").await);
    assert_eq!(all.len(), 5, "{all:?}");
    let admins = emails(&download(&boss, "/admin/users/export.csv?role=admin").await);
    assert_eq!(admins, ["boss@example.com", "ann@example.com"]);
    let disabled = emails(&download(&boss, "/admin/users/export.csv?status=disabled").await);
    assert_eq!(disabled, ["anna@example.com"]);
    // The search matches the email or the name, case-insensitively, as the list does.
    let ann = emails(&download(&boss, "/admin/users/export.csv?q=ANN&status=active").await);
    assert_eq!(ann, ["ann@example.com", "carl@example.com"]);
    // The list's own parameters (sort, page) are accepted and do not change the rows.
    let sorted = emails(
        &download(
            &boss,
            "/admin/users/export.csv?q=ann&sort=last_sign_in&dir=asc",
        )
        .await,
    );
    assert_eq!(
        sorted,
        ["ann@example.com", "anna@example.com", "carl@example.com"]
    );

    // The list page links to the export with its filters.
    let page = boss.get_text("/admin/users?q=ann&role=user").await;
    assert!(
        page.contains("href=\"/admin/users/export.csv?q=ann&#38;role=user\"")
            || page.contains("href=\"/admin/users/export.csv?q=ann&amp;role=user\""),
        "{page}"
    );

    // A filter the list refuses, the export refuses the same way.
    for (path, says) in [
        ("/admin/users/export.csv?role=root", "no such role"),
        ("/admin/users/export.csv?status=gone", "no such status"),
        ("/admin/audit/export.csv?action=nope", "no such action"),
        (
            "/admin/audit/export.csv?user=nobody@example.com",
            "No user matches",
        ),
    ] {
        assert_page_says(boss.get(path).await, 400, path, says).await;
    }
    app.stop().await;
});

both_backends!(only_admins_export, |backend| async move {
    let (app, boss) = with_boss(backend).await;
    let pat = app.signed_in("pat@example.com", "Pat").await;
    for path in ["/admin/users/export.csv", "/admin/audit/export.csv"] {
        assert_friendly_page(pat.get(path).await, 403, path).await;
        let r = app.new_browser().get(path).await;
        assert_eq!(r.status().as_u16(), 303, "{path}");
        assert!(location(&r).starts_with("/login"), "{}", location(&r));
    }
    assert!(app.audit_rows_of("export").is_empty());
    // The pages link to their export.
    assert!(
        boss.get_text("/admin/users")
            .await
            .contains("href=\"/admin/users/export.csv\"")
    );
    assert!(
        boss.get_text("/admin/audit")
            .await
            .contains("href=\"/admin/audit/export.csv\"")
    );
    app.stop().await;
});

both_backends!(exports_are_audited_and_counted, |backend| async move {
    let (app, boss) = with_boss(backend).await;
    app.signed_in("pat@example.com", "Pat").await;
    download(&boss, "/admin/users/export.csv?role=admin&q=bo").await;
    let rows = app.audit_rows_of("export");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].1, BOSS);
    assert_eq!(rows[0].2, None);
    assert_eq!(
        rows[0].3.as_deref(),
        Some("users as CSV; filters: q=bo, role=admin")
    );

    // The audit export, filtered by user, has that user's entries; filtered by action, the
    // exports, its own row included (written before the rows are read).
    let pat_id = app.public_id("pat@example.com");
    let body = download(&boss, &format!("/admin/audit/export.csv?user={pat_id}")).await;
    let recs = records(&body);
    assert_eq!(recs.len(), 1, "{body}");
    assert!(recs[0].contains(",pat@example.com,"), "{body}");
    assert!(recs[0].contains(",sign_in,"), "{body}");
    let body = download(&boss, "/admin/audit/export.csv?action=export").await;
    let recs = records(&body);
    assert_eq!(recs.len(), 3, "{body}");
    assert!(
        recs[2].contains("audit log as CSV; filters: action=export"),
        "{body}"
    );
    assert!(
        body.starts_with(
            "id,at,actor,actor_public_id,action,target,target_public_id,detail,ip\r\n"
        )
    );

    assert_eq!(
        app.metric("signin_export_rows_total{export=\"users\"}")
            .await,
        1.0
    );
    assert_eq!(
        app.metric("signin_export_rows_total{export=\"audit\"}")
            .await,
        4.0
    );
    assert_eq!(app.metric("signin_exports_active").await, 0.0);
    app.stop().await;
});

both_backends!(
    a_large_export_streams_every_row_in_id_order,
    |backend| async move {
        let (app, boss) = with_boss(backend).await;
        // 1,999 + the boss: two full batches, then an empty read that ends the stream.
        let o = cli(&app.db.url, &["users", "seed", "--count", "1999"], &[]);
        assert!(o.status.success(), "{}", text(&o));
        let expected: Vec<String> = app.query(|c| {
            users::table
                .order(users::id.asc())
                .select(users::email)
                .load(c)
                .expect("emails")
        });
        assert_eq!(expected.len(), 2000);

        let r = boss.get("/admin/users/export.csv").await;
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(
            header(&r, "transfer-encoding"),
            "chunked",
            "streamed, not buffered"
        );
        let body = r.text().await.expect("body");
        assert_eq!(emails(&body), expected);
        assert_eq!(
            app.metric("signin_export_rows_total{export=\"users\"}")
                .await,
            2000.0
        );

        // One more user: three batches, the last short.
        app.add_user("zed@example.com", "Zed");
        let body = download(&boss, "/admin/users/export.csv").await;
        assert_eq!(records(&body).len(), 2001);

        // Batches are read only as the stream is taken: one chunk taken, one batch read.
        let tally = Arc::new(Tally::default());
        let who = Requester {
            actor: signin::db::audit::Actor::Cli,
            ip: None,
        };
        let started = export::start(
            &app.pool,
            Selection::Users(UserFilters::default()),
            Format::Csv,
            who,
            Utc::now(),
            tally.clone(),
        )
        .await
        .expect("start");
        assert_eq!(tally.active(), 1);
        let mut stream = Box::pin(started.into_stream());
        let first = stream.next().await.expect("a chunk").expect("no error");
        assert_eq!(
            first.split(|b| *b == b'\n').count(),
            1002,
            "header + 1,000 rows"
        );
        drop(stream);
        assert_eq!(tally.rows(Kind::Users), 1000);
        assert_eq!(tally.active(), 0);

        // A client that goes away mid-download ends the export on the server.
        let mut r = boss.get("/admin/users/export.csv").await;
        r.chunk().await.expect("bytes").expect("a chunk");
        drop(r);
        let mut active = 1.0;
        for _ in 0..100 {
            active = app.metric("signin_exports_active").await;
            if active == 0.0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(active, 0.0, "the export ended with its client");
        app.stop().await;
    }
);

both_backends!(
    the_command_line_exports_csv_and_json_lines,
    |backend| async move {
        let (app, _boss) = with_boss(backend).await;
        let now = Utc::now().naive_utc();
        app.insert_user(
            "eve@example.com",
            "=cmd|' /C calc'!A0",
            now,
            None,
            "user",
            "disabled",
        );
        app.insert_user("ann@example.com", "Ann", now, None, "user", "active");
        let url = app.db.url.clone();

        let o = cli(&url, &["users", "export", "--format", "csv"], &[]);
        assert!(o.status.success(), "{}", text(&o));
        let out = String::from_utf8(o.stdout.clone()).unwrap();
        assert_eq!(
            emails(&out),
            ["boss@example.com", "eve@example.com", "ann@example.com"]
        );
        assert!(out.contains(",'=cmd|' /C calc'!A0,"), "{out}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("exported 3 users"));

        let o = cli(
            &url,
            &[
                "users", "export", "--format", "json", "--status", "disabled",
            ],
            &[],
        );
        assert!(o.status.success(), "{}", text(&o));
        let out = String::from_utf8(o.stdout.clone()).unwrap();
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
            .collect();
        assert_eq!(lines.len(), 1, "{out}");
        assert_eq!(lines[0]["email"], "eve@example.com");
        assert_eq!(lines[0]["name"], "=cmd|' /C calc'!A0");
        assert_eq!(lines[0]["email_verified"], true);
        assert_eq!(lines[0]["last_sign_in_at"], serde_json::Value::Null);
        assert_eq!(lines[0]["active_sessions"], 0);

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("audit.jsonl");
        let o = cli(
            &url,
            &[
                "audit",
                "export",
                "--format",
                "json",
                "--action",
                "export",
                "--output",
                file.to_str().unwrap(),
            ],
            &[],
        );
        assert!(o.status.success(), "{}", text(&o));
        assert!(o.stdout.is_empty());
        let written = std::fs::read_to_string(&file).unwrap();
        let entries: Vec<serde_json::Value> = written
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(entries.len(), 3, "{written}");
        assert!(entries.iter().all(|e| e["actor"] == "cli"));
        assert_eq!(
            entries[2]["detail"],
            "audit log as JSON Lines; filters: action=export"
        );
        assert_eq!(entries[0]["detail"], "users as CSV; no filters");

        for (args, says) in [
            (vec!["users", "export", "--format", "xml"], "unknown format"),
            (vec!["users", "export", "--role", "root"], "no such role"),
            (
                vec!["audit", "export", "--user", "nobody@example.com"],
                "no user matches",
            ),
        ] {
            let o = cli(&url, &args, &[]);
            assert!(!o.status.success(), "{args:?}");
            assert!(text(&o).contains(says), "{args:?}: {}", text(&o));
        }
        app.stop().await;
    }
);
