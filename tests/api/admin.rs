//! The admin area: access control, the user list (search, filters, sort, keyset pages with
//! ties), the actions and their audit rows, CSRF, the self and last-admin rules, escaping, the
//! audit log page, and the `users` command line.

use crate::both_backends;
use crate::helpers::*;
use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use signin::db::schema::{audit_log, sessions, users};

const ADMIN: &str = "admin@example.com";

/// An app with `admin@example.com` signed in on `app.browser`.
async fn admin_app(backend: Backend) -> TestApp {
    let app = TestApp::with_env(backend, &[("ADMIN_EMAILS", ADMIN)]).await;
    let r = app.sign_in(ADMIN, "Admin").await;
    assert_eq!(r.status().as_u16(), 303);
    app
}

fn unescape(s: &str) -> String {
    s.replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The emails in the list page's table, top to bottom.
fn emails_on(html: &str) -> Vec<String> {
    html.split("<td class=\"email\">")
        .skip(1)
        .map(|s| unescape(&s[..s.find("</td>").unwrap()]))
        .collect()
}

/// The href of the link marked `rel="…"`, unescaped.
fn link(html: &str, rel: &str) -> Option<String> {
    let marker = format!("\" rel=\"{rel}\"");
    let end = html.find(&marker)?;
    let start = html[..end].rfind("href=\"")? + "href=\"".len();
    Some(unescape(&html[start..end]))
}

async fn page(app: &TestApp, path: &str) -> String {
    let r = app.browser.get(path).await;
    assert_eq!(r.status().as_u16(), 200, "GET {path}");
    r.text().await.unwrap()
}

/// Follows `next` links from `start` to the end; returns every email in order.
async fn walk_forward(app: &TestApp, start: &str) -> (Vec<String>, Vec<String>) {
    let mut all = Vec::new();
    let mut pages = vec![start.to_string()];
    let mut html = page(app, start).await;
    loop {
        let rows = emails_on(&html);
        assert!(rows.len() <= 50, "a page holds at most 50 rows");
        all.extend(rows);
        match link(&html, "next") {
            Some(next) => {
                pages.push(next.clone());
                html = page(app, &next).await;
            }
            None => break,
        }
    }
    (all, pages)
}

both_backends!(access_control, |backend| async move {
    let admins = "admin@example.com, boss@example.com";
    let app = TestApp::with_env(backend, &[("ADMIN_EMAILS", admins)]).await;

    // Anonymous: sent to sign in, and brought back afterwards.
    let r = app.browser.get("/admin/users?q=ad").await;
    assert_eq!(r.status().as_u16(), 303);
    let to = location(&r);
    assert!(to.starts_with("/login?next="), "{to}");
    assert_eq!(
        query_param(&format!("http://x{to}"), "next").unwrap(),
        "/admin/users?q=ad"
    );
    let r = app
        .browser
        .sign_in(ADMIN, "Admin", Some("/admin/users?q=ad"))
        .await;
    assert_eq!(location(&r), "/admin/users?q=ad");
    let html = page(&app, "/admin/users?q=ad").await;
    assert!(html.contains("admin@example.com"));
    assert!(page(&app, "/admin/audit").await.contains("Audit log"));

    // A signed-in non-admin: a friendly 403 on every admin page and action.
    let user = app.signed_in("carol@example.com", "Carol").await;
    for path in ["/admin/users", "/admin/audit", "/admin"] {
        let r = user.get(path).await;
        assert_page_says(r, 403, path, "administrators").await;
    }
    let admin_pid = app.public_id(ADMIN);
    let r = user.get(&format!("/admin/users/{admin_pid}")).await;
    assert_friendly_page(r, 403, "detail as a user").await;
    let csrf = user.csrf().await;
    let r = user
        .post_form(
            &format!("/admin/users/{admin_pid}/disable"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_friendly_page(r, 403, "action as a user").await;
    assert_eq!(app.user_state(ADMIN).1, "active");

    // A disabled admin is signed out on the next request and cannot sign in again.
    let boss = app.signed_in("boss@example.com", "Boss").await;
    assert_eq!(boss.get("/admin/users").await.status().as_u16(), 200);
    let csrf = extract_input(&page(&app, "/admin/users").await, "csrf").unwrap();
    let boss_pid = app.public_id("boss@example.com");
    let r = app
        .browser
        .post_form(
            &format!("/admin/users/{boss_pid}/disable"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let r = boss.get("/admin/users").await;
    assert_eq!(r.status().as_u16(), 303, "signed out");
    assert!(location(&r).starts_with("/login?next="));
    let r = boss.sign_in("boss@example.com", "Boss", None).await;
    assert_page_says(r, 403, "disabled sign-in", "disabled").await;
    let last = app.audit_rows().pop().unwrap();
    assert_eq!(last.0, "sign_in_refused");
    assert_eq!(last.2.as_deref(), Some("boss@example.com"));
    assert_eq!(last.3.as_deref(), Some("user_disabled"));
    app.stop().await;
});

both_backends!(
    list_search_filters_sort_and_keyset_pages,
    |backend| async move {
        let app = admin_app(backend).await;
        let base = (Utc::now() - Duration::days(10)).naive_utc();
        // 130 users; every three share a creation time (ties broken by id), last sign-in in
        // the opposite order, a few admins and disabled ones, names with mixed case.
        let mut expected: Vec<(NaiveDateTime, i64, String)> = Vec::new();
        let mut by_login: Vec<(NaiveDateTime, i64, String)> = Vec::new();
        for i in 0..130i64 {
            let created = base + Duration::minutes(i / 3);
            let login = base + Duration::days(5) - Duration::minutes(i / 2);
            let email = format!("p{i:03}@list.test");
            let name = if i % 10 == 0 {
                format!("Zed Person {i}")
            } else {
                format!("Person {i}")
            };
            let role = if i % 40 == 1 { "admin" } else { "user" };
            let status = if i % 25 == 2 { "disabled" } else { "active" };
            let id = app.insert_user(&email, &name, created, Some(login), role, status);
            expected.push((created, id, email.clone()));
            by_login.push((login, id, email));
        }
        // The admin who signed in is in the list too (created now, newest).
        let admin_id = app.user_id(ADMIN);
        let now = Utc::now().naive_utc();
        expected.push((now, admin_id, ADMIN.into()));
        by_login.push((now, admin_id, ADMIN.into()));

        // Newest first: every row once, in (created, id) descending order, across 3 pages.
        let mut want = expected.clone();
        want.sort_by_key(|r| std::cmp::Reverse((r.0, r.1)));
        let want: Vec<String> = want.into_iter().map(|r| r.2).collect();
        let (got, pages) = walk_forward(&app, "/admin/users").await;
        assert_eq!(pages.len(), 3);
        assert_eq!(got, want);

        // The overview: 131 users, all new this month and active this week, 5 admins.
        let html = page(&app, "/admin/users").await;
        for (label, n) in [
            ("Total users", 131),
            ("Active in the last 7 days", 131),
            ("New in the last 30 days", 131),
            ("Admins", 5),
        ] {
            let want = format!("{label}</span><strong>{n}</strong>");
            assert!(html.contains(&want), "{want}");
        }
        assert!(
            html.contains("131 sign-ups in the last 30 days"),
            "chart text"
        );
        assert!(html.contains("role=\"img\""));

        // Oldest first.
        let (got, _) = walk_forward(&app, "/admin/users?sort=created&dir=asc").await;
        let mut rev = want.clone();
        rev.reverse();
        assert_eq!(got, rev);

        // By last sign-in, both directions.
        let mut wl = by_login.clone();
        wl.sort_by_key(|r| std::cmp::Reverse((r.0, r.1)));
        let wl: Vec<String> = wl.into_iter().map(|r| r.2).collect();
        let (got, _) = walk_forward(&app, "/admin/users?sort=last_sign_in&dir=desc").await;
        assert_eq!(got, wl);
        let (got, _) = walk_forward(&app, "/admin/users?sort=last_sign_in&dir=asc").await;
        let mut wlr = wl.clone();
        wlr.reverse();
        assert_eq!(got, wlr);

        // Previous links walk back to the same pages.
        let p2 = page(&app, &pages[1]).await;
        let p3 = page(&app, &pages[2]).await;
        let back = page(&app, &link(&p3, "prev").unwrap()).await;
        assert_eq!(emails_on(&back), emails_on(&p2));
        let back1 = page(&app, &link(&p2, "prev").unwrap()).await;
        assert_eq!(emails_on(&back1), want[..50].to_vec());
        assert!(
            link(&back1, "prev").is_none(),
            "the first page has no previous"
        );

        // Users added while paging do not shift the next page.
        for i in 0..5 {
            app.add_user(&format!("late{i}@list.test"), "Late");
        }
        let again = page(&app, &pages[1]).await;
        assert_eq!(emails_on(&again), want[50..100].to_vec());
        // …the previous page is still the 50 rows just before it, and before that the list
        // starts again from the top, new users first.
        let prev = page(&app, &link(&again, "prev").unwrap()).await;
        assert_eq!(emails_on(&prev), want[..50].to_vec());
        let top = page(&app, &link(&prev, "prev").expect("newer rows exist")).await;
        let first = emails_on(&top);
        assert_eq!(first.len(), 50);
        assert!(
            first[..5].iter().all(|e| e.starts_with("late")),
            "{first:?}"
        );
        assert_eq!(first[5..], want[..45]);
        assert!(link(&top, "prev").is_none());

        // Search: case-insensitive prefix of the email or of the name.
        let html = page(&app, "/admin/users?q=P12").await;
        let mut got = emails_on(&html);
        got.sort();
        let mut want_p12: Vec<String> = (120..130).map(|i| format!("p{i:03}@list.test")).collect();
        want_p12.sort();
        assert_eq!(got, want_p12);
        assert!(html.contains("10 matching"), "the total for the filter");
        let html = page(&app, "/admin/users?q=zED+p").await;
        let got = emails_on(&html);
        assert_eq!(got.len(), 13, "{got:?}");
        assert!(got.iter().all(|e| {
            let n: i64 = e[1..4].parse().unwrap();
            n % 10 == 0
        }));
        assert!(emails_on(&page(&app, "/admin/users?q=nobody").await).is_empty());
        // A prefix of the middle does not match.
        assert!(emails_on(&page(&app, "/admin/users?q=erson").await).is_empty());

        // Filters.
        let got = emails_on(&page(&app, "/admin/users?role=admin").await);
        let want_admins: Vec<String> = (0..130)
            .filter(|i| i % 40 == 1)
            .map(|i| format!("p{i:03}@list.test"))
            .chain([ADMIN.to_string()])
            .collect();
        let mut g = got.clone();
        g.sort();
        let mut w = want_admins.clone();
        w.sort();
        assert_eq!(g, w);
        let got = emails_on(&page(&app, "/admin/users?status=disabled&sort=created&dir=asc").await);
        let want_dis: Vec<String> = (0..130)
            .filter(|i| i % 25 == 2)
            .map(|i| format!("p{i:03}@list.test"))
            .collect();
        assert_eq!(got, want_dis);
        let got = emails_on(&page(&app, "/admin/users?status=disabled&role=admin").await);
        assert!(got.is_empty(), "{got:?}");

        // Overview figures.
        let html = page(&app, "/admin/users").await;
        assert!(html.contains("Sign-ups per day"));
        assert!(html.contains("<svg"));

        // Bad query strings are a clear 400, never a 500.
        for bad in [
            "/admin/users?sort=name",
            "/admin/users?dir=up",
            "/admin/users?role=root",
            "/admin/users?status=x",
            "/admin/users?after=garbage",
            "/admin/users?after=1.1&before=1.2",
        ] {
            assert_friendly_page(app.browser.get(bad).await, 400, bad).await;
        }
        app.stop().await;
    }
);

/// Posts `action` on the user's page with the admin's CSRF token.
async fn act(app: &TestApp, pid: &str, action: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let html = page(app, &format!("/admin/users/{pid}")).await;
    let csrf = extract_input(&html, "csrf").unwrap();
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(extra);
    app.browser
        .post_form(&format!("/admin/users/{pid}/{action}"), &form)
        .await
}

both_backends!(
    actions_change_state_and_write_one_audit_row,
    |backend| async move {
        let app = admin_app(backend).await;
        let bob = app.signed_in("bob@example.com", "Bob").await;
        let bob2 = app.signed_in("bob@example.com", "Bob").await;
        let pid = app.public_id("bob@example.com");
        let admin_pid = app.public_id(ADMIN);

        // Without a valid CSRF token: refused, nothing changes, nothing is recorded.
        let before = app.audit_rows().len();
        for action in ["disable", "promote", "revoke-all"] {
            let r = app
                .browser
                .post_form(
                    &format!("/admin/users/{pid}/{action}"),
                    &[("csrf", "forged")],
                )
                .await;
            assert_friendly_page(r, 403, action).await;
        }
        assert_eq!(
            app.user_state("bob@example.com"),
            ("user".into(), "active".into())
        );
        assert_eq!(app.audit_rows().len(), before);

        let expect_one = |app: &TestApp, n: usize, action: &str| {
            let rows = app.audit_rows();
            assert_eq!(rows.len(), n + 1, "exactly one row for {action}: {rows:?}");
            let last = rows.last().unwrap();
            assert_eq!(last.0, action);
            assert_eq!(last.1, ADMIN);
            assert_eq!(last.2.as_deref(), Some("bob@example.com"));
        };

        // Promote / demote.
        let n = app.audit_rows().len();
        let r = act(&app, &pid, "promote", &[]).await;
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(location(&r), format!("/admin/users/{pid}"));
        assert_eq!(app.user_state("bob@example.com").0, "admin");
        expect_one(&app, n, "promote");
        let html = page(&app, &format!("/admin/users/{pid}")).await;
        assert!(html.contains("is now an admin"), "the flash message");
        let html = page(&app, &format!("/admin/users/{pid}")).await;
        assert!(!html.contains("is now an admin"), "shown once");
        let n = app.audit_rows().len();
        act(&app, &pid, "demote", &[]).await;
        assert_eq!(app.user_state("bob@example.com").0, "user");
        expect_one(&app, n, "demote");

        // Revoke one session: that browser is signed out, the other is not.
        let jtis = app.live_jtis("bob@example.com");
        assert_eq!(jtis.len(), 2);
        let n = app.audit_rows().len();
        let r = act(&app, &pid, "revoke-session", &[("jti", &jtis[0])]).await;
        assert_eq!(r.status().as_u16(), 303);
        expect_one(&app, n, "revoke_session");
        assert_api_401(bob.get("/api/me").await, "revoked session").await;
        assert_eq!(bob2.get("/api/me").await.status().as_u16(), 200);
        // Revoking it again changes nothing and records nothing.
        let n = app.audit_rows().len();
        act(&app, &pid, "revoke-session", &[("jti", &jtis[0])]).await;
        assert_eq!(app.audit_rows().len(), n);
        // Another user's session cannot be revoked through Bob's page.
        let admin_jti = app.live_jtis(ADMIN).remove(0);
        let n = app.audit_rows().len();
        act(&app, &pid, "revoke-session", &[("jti", &admin_jti)]).await;
        assert_eq!(app.audit_rows().len(), n);
        page(&app, "/admin/users").await;

        // Revoke all.
        bob.sign_in("bob@example.com", "Bob", None).await;
        let n = app.audit_rows().len();
        act(&app, &pid, "revoke-all", &[]).await;
        expect_one(&app, n, "revoke_all_sessions");
        assert_api_401(bob.get("/api/me").await, "after revoke-all").await;
        assert_api_401(bob2.get("/api/me").await, "after revoke-all").await;

        // Disable: the existing session stops on the next request; enable lets them back in.
        bob.sign_in("bob@example.com", "Bob", None).await;
        assert_eq!(bob.get("/api/me").await.status().as_u16(), 200);
        let n = app.audit_rows().len();
        act(&app, &pid, "disable", &[]).await;
        assert_eq!(app.user_state("bob@example.com").1, "disabled");
        expect_one(&app, n, "disable");
        assert_api_401(bob.get("/api/me").await, "disabled user").await;
        let home = bob.get_text("/").await;
        assert!(!home.contains("bob@example.com"), "signed out");
        let n = app.audit_rows().len();
        act(&app, &pid, "enable", &[]).await;
        assert_eq!(app.user_state("bob@example.com").1, "active");
        expect_one(&app, n, "enable");
        bob.signs_in("bob@example.com", "Bob").await;

        // Self rules: no demoting or disabling oneself.
        for action in ["demote", "disable"] {
            let n = app.audit_rows().len();
            let r = act(&app, &admin_pid, action, &[]).await;
            assert_eq!(r.status().as_u16(), 303);
            let html = page(&app, &format!("/admin/users/{admin_pid}")).await;
            assert!(html.contains("your own account"), "{action}: {html}");
            assert_eq!(app.user_state(ADMIN), ("admin".into(), "active".into()));
            assert_eq!(app.audit_rows().len(), n);
        }
        // Unknown users and actions.
        let r = act(&app, &pid, "explode", &[]).await;
        assert_friendly_page(r, 404, "unknown action").await;
        let r = app.browser.get("/admin/users/u_doesnotexist").await;
        assert_friendly_page(r, 404, "unknown user").await;
        let r = app.browser.get("/admin/users/<script>").await;
        assert_friendly_page(r, 404, "junk id").await;
        app.stop().await;
    }
);

both_backends!(names_and_emails_are_escaped, |backend| async move {
    let app = admin_app(backend).await;
    let evil = app.new_browser();
    let r = evil
        .sign_in(
            "x<b>y@example.com",
            "<script>alert(1)</script> & \"Q\"",
            None,
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let pid = app.public_id("x<b>y@example.com");
    for path in [
        "/admin/users".to_string(),
        "/admin/users?q=%3Cscr".to_string(),
        format!("/admin/users/{pid}"),
        "/admin/audit".to_string(),
    ] {
        let html = page(&app, &path).await;
        assert!(!html.contains("<script>alert"), "{path}");
        assert!(!html.contains("x<b>y"), "{path}");
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;") || path == "/admin/audit",
            "{path}"
        );
        assert!(html.contains("x&#60;b&#62;y@example.com"), "{path}");
    }
    // The search box echoes the query escaped.
    let html = page(&app, "/admin/users?q=%22%3E%3Cb%3E").await;
    assert!(!html.contains("\"><b>"), "the search value is escaped");
    app.stop().await;
});

both_backends!(
    audit_log_records_sign_in_out_and_refusals,
    |backend| async move {
        let app = admin_app(backend).await;
        let b = app.signed_in("dan@example.com", "Dan").await;
        b.logout().await;
        // A callback that matches no started sign-in: refused, no user known.
        let r = b.get("/auth/google/callback?code=abc&state=forged").await;
        assert_friendly_page(r, 400, "bad state").await;

        // The admin's own grant by `config` is tested in admin_grant.rs.
        let rows: Vec<_> = app
            .audit_rows()
            .into_iter()
            .filter(|r| r.1 != "config")
            .collect();
        let actions: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(
            actions,
            ["sign_in", "sign_in", "sign_out", "sign_in_refused"],
            "{rows:?}"
        );
        assert_eq!(rows[1].2.as_deref(), Some("dan@example.com"));
        assert_eq!(rows[1].3.as_deref(), Some("first sign-in"));
        assert_eq!(rows[2].1, "dan@example.com");
        assert_eq!(rows[3].1, "anonymous");
        assert_eq!(rows[3].2, None, "no target for a refusal with no user");
        assert_eq!(rows[3].3.as_deref(), Some("bad_state"));

        // The page: newest first, filters by action and user, keyset pages.
        let table = |html: &str| html[html.find("<tbody>").unwrap()..].to_string();
        let html = table(&page(&app, "/admin/audit").await);
        let refused = html.find("sign-in refused").unwrap();
        let signout = html.find("sign out").unwrap();
        assert!(refused < signout, "newest first");
        let html = table(&page(&app, "/admin/audit?action=sign_out").await);
        assert!(html.contains("sign out") && !html.contains("sign-in refused"));
        let html = page(&app, "/admin/audit?user=DAN@example.com").await;
        assert!(html.contains("dan@example.com"));
        assert!(!html.contains("bad_state"), "{html}");
        let html = page(&app, "/admin/audit?user=nobody@example.com").await;
        assert!(html.contains("No user matches"));
        assert_friendly_page(
            app.browser.get("/admin/audit?action=explode").await,
            400,
            "bad action",
        )
        .await;

        // 120 more entries: pages of 50 with older/newer links, nothing lost or repeated.
        app.query(|c| {
            for i in 0..120 {
                diesel::insert_into(audit_log::table)
                    .values((
                        audit_log::at.eq(Utc::now().naive_utc()),
                        audit_log::actor_label.eq("cli"),
                        audit_log::action.eq("promote"),
                        audit_log::detail.eq(format!("entry-{i:03}")),
                    ))
                    .execute(c)
                    .unwrap();
            }
        });
        let details = |html: &str| -> Vec<String> {
            html.split("entry-")
                .skip(1)
                .map(|s| s[..3].to_string())
                .collect()
        };
        let mut seen = Vec::new();
        let mut html = page(&app, "/admin/audit?action=promote").await;
        let p1 = html.clone();
        loop {
            seen.extend(details(&html));
            match link(&html, "next") {
                Some(n) => html = page(&app, &n).await,
                None => break,
            }
        }
        let want: Vec<String> = (0..120).rev().map(|i| format!("{i:03}")).collect();
        assert_eq!(seen, want);
        let p2 = page(&app, &link(&p1, "next").unwrap()).await;
        let back = page(&app, &link(&p2, "prev").unwrap()).await;
        assert_eq!(details(&back), details(&p1));
        app.stop().await;
    }
);

const BIN: &str = env!("CARGO_BIN_EXE_signin");

pub(crate) fn cli(db_url: &str, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(BIN);
    cmd.args(args)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", db_url);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

pub(crate) fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn cli_users_commands() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cli.sqlite3").display());

    let o = cli(&url, &["users", "seed", "--count", "1200"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let o = cli(&url, &["users", "list"], &[]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        out.trim_end().ends_with("1200 users"),
        "{}",
        &out[out.len() - 200..]
    );
    let o = cli(&url, &["users", "list", "--admins"], &[]);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(out.trim_end().ends_with("1 admin"), "{out}");
    let admin_email = out
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();

    // Unknown email: a clear message and a failure exit.
    let o = cli(&url, &["users", "promote", "nobody@example.com"], &[]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("no user with the email nobody@example.com"),
        "{}",
        text(&o)
    );
    let o = cli(&url, &["users", "disable", "not-an-email"], &[]);
    assert!(!o.status.success());
    assert!(text(&o).contains("not an email address"), "{}", text(&o));

    // The last admin cannot be demoted or disabled.
    for cmd in ["demote", "disable"] {
        let o = cli(&url, &["users", cmd, &admin_email], &[]);
        assert!(!o.status.success(), "{cmd}");
        assert!(text(&o).contains("last active admin"), "{}", text(&o));
    }

    // Promote, disable, enable, demote another user; each audited as the CLI.
    let o = cli(&url, &["users", "list"], &[]);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let other = out
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap())
        .find(|e| *e != admin_email)
        .unwrap()
        .to_string();
    for cmd in ["promote", "disable", "enable", "demote"] {
        let o = cli(&url, &["users", cmd, &other.to_uppercase()], &[]);
        assert!(o.status.success(), "{cmd}: {}", text(&o));
    }
    let o = cli(&url, &["users", "list", "--admins"], &[]);
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .trim_end()
            .ends_with("1 admin")
    );

    let conn = &mut diesel::SqliteConnection::establish(&url["sqlite://".len()..]).unwrap();
    let rows: Vec<(String, String, Option<String>)> = audit_log::table
        .order(audit_log::id.asc())
        .select((
            audit_log::action,
            audit_log::actor_label,
            audit_log::target_label,
        ))
        .load(conn)
        .unwrap();
    let want: Vec<(String, String, Option<String>)> = ["promote", "disable", "enable", "demote"]
        .iter()
        .map(|a| (a.to_string(), "cli".to_string(), Some(other.clone())))
        .collect();
    assert_eq!(rows, want);
    let seeded_sessions: i64 = sessions::table.count().get_result(conn).unwrap();
    assert!(
        seeded_sessions >= 1200,
        "a few sessions each: {seeded_sessions}"
    );

    // Seeding is refused in production, even with a valid production configuration.
    let o = cli(
        &url,
        &["users", "seed", "--count", "5"],
        &[
            ("APP_ENV", "production"),
            ("APP_BASE_URL", "https://signin.example.com"),
            ("SECRET_KEY", SECRET_KEY),
            ("GOOGLE_CLIENT_ID", "id"),
            ("GOOGLE_CLIENT_SECRET", "secret"),
        ],
    );
    assert!(!o.status.success());
    assert!(
        text(&o).contains("refused when APP_ENV=production"),
        "{}",
        text(&o)
    );
    let n: i64 = users::table.count().get_result(conn).unwrap();
    assert_eq!(n, 1200);
}

both_backends!(
    admin_pages_are_not_cached_and_audit_rows_carry_the_client_ip,
    |backend| async move {
        let app = admin_app(backend).await;
        for path in ["/admin/users", "/admin/audit"] {
            let r = app.browser.get(path).await;
            assert_eq!(r.status().as_u16(), 200, "{path}");
            assert_eq!(header(&r, "cache-control"), "no-store", "{path}");
        }
        // The sign-in above came straight from loopback, with no trusted proxy in between.
        let ips: Vec<Option<String>> = app.query(|c| {
            audit_log::table
                .filter(audit_log::action.eq("sign_in"))
                .select(audit_log::ip)
                .load(c)
                .unwrap()
        });
        assert!(!ips.is_empty(), "no sign_in audit row");
        assert!(
            ips.iter().all(|ip| ip.as_deref() == Some("127.0.0.1")),
            "{ips:?}"
        );
    }
);

both_backends!(concurrent_removals_leave_one_admin, |backend| async move {
    use signin::admin::{Action, Refusal, perform};
    use signin::db::audit::Actor;
    use std::sync::{Arc, Barrier};

    let app = TestApp::spawn(backend).await;
    let t = Utc::now().naive_utc();
    let a = app.insert_user("a@example.com", "A", t, None, "admin", "active");
    let b = app.insert_user("b@example.com", "B", t, None, "admin", "active");
    // Two admins remove each other at the same moment, many times over: one removal must
    // win and the other be refused, or the service is left with no admin at all. Disable
    // and demote both count as removals; the rounds mix them.
    for round in 0..40 {
        app.make_everyone_active_admin();
        let barrier = Arc::new(Barrier::new(2));
        let threads: Vec<_> = [(a, b), (b, a)]
            .into_iter()
            .enumerate()
            .map(|(i, (actor, target))| {
                let pool = app.pool.clone();
                let barrier = barrier.clone();
                let action = if (round + i) % 2 == 0 {
                    Action::Demote
                } else {
                    Action::Disable
                };
                std::thread::spawn(move || {
                    let mut c = pool.get().unwrap();
                    let me = signin::db::users::find_by_id(&mut c, actor)
                        .unwrap()
                        .unwrap();
                    let them = signin::db::users::find_by_id(&mut c, target)
                        .unwrap()
                        .unwrap();
                    let actor = Actor::User {
                        id: me.id,
                        email: me.profile.email.clone(),
                    };
                    barrier.wait();
                    perform(&mut c, &actor, &them, &action, None, Utc::now()).unwrap()
                })
            })
            .collect();
        let results: Vec<_> = threads.into_iter().map(|h| h.join().unwrap()).collect();
        let done = results
            .iter()
            .filter(|r| r.as_ref().is_ok_and(|o| o.changed))
            .count();
        let refused = results
            .iter()
            .filter(|r| **r == Err(Refusal::LastAdmin))
            .count();
        let admins = app.query(|c| signin::db::roles::count_active_admins(c).unwrap());
        assert_eq!(admins, 1, "round {round}: {results:?}");
        assert_eq!((done, refused), (1, 1), "round {round}: {results:?}");
    }
    // One audit row per removal that happened, none for the refused ones.
    let rows: i64 = app.query(|c| audit_log::table.count().get_result(c).unwrap());
    assert_eq!(rows, 40);
});

#[tokio::test]
async fn bulk_seed_on_postgres_rebuilds_every_index() {
    if !postgres_available() {
        return;
    }
    let app = TestApp::spawn(Backend::Postgres).await;
    let indexes = |app: &TestApp| -> Vec<(String, String)> {
        #[derive(QueryableByName, Debug, PartialEq)]
        struct Ix {
            #[diesel(sql_type = diesel::sql_types::Text)]
            name: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            def: String,
        }
        let rows: Vec<Ix> = app.query(|c| {
            diesel::sql_query(
                "SELECT indexname::text AS name, indexdef AS def FROM pg_indexes \
                 WHERE tablename IN ('users', 'sessions') ORDER BY indexname",
            )
            .load(c)
            .unwrap()
        });
        rows.into_iter().map(|i| (i.name, i.def)).collect()
    };
    let before = indexes(&app);
    assert!(before.len() >= 12, "{before:?}");
    let mut lines = Vec::new();
    app.query(|c| {
        signin::cli::seed::seed_bulk_pg(c, "bulk", 1_000, 300, Utc::now(), &mut |l| {
            lines.push(l.to_string())
        })
        .unwrap()
    });
    assert_eq!(indexes(&app), before, "the same indexes, built again");
    assert_eq!(app.count_users(), 1_000);
    assert!(app.count_sessions() >= 1_000);
    assert_eq!(
        lines.first().map(String::as_str),
        Some("seeded 300/1000 users")
    );
    assert!(
        lines.contains(&"seeded 1000/1000 users".to_string()),
        "{lines:?}"
    );
    // The rebuilt indexes serve the list: a prefix search finds the seeded names.
    let found: i64 = app.query(|c| {
        users::table
            .filter(users::email.like("ada.%"))
            .count()
            .get_result(c)
            .unwrap()
    });
    assert!(found > 0);

    // A seed that fails half-way (the same run again: its subjects are taken) rolls back
    // whole: no new rows, and the indexes it dropped are back.
    let err = app
        .query(|c| signin::cli::seed::seed_bulk_pg(c, "bulk", 1_000, 300, Utc::now(), &mut |_| {}));
    assert!(err.is_err());
    assert_eq!(indexes(&app), before);
    assert_eq!(app.count_users(), 1_000);
}

both_backends!(search_folds_case_beyond_ascii, |backend| async move {
    let app = admin_app(backend).await;
    app.add_user("e.orsted@example.com", "Élodie Ørsted");
    app.add_user("ÅSA.LIND@EXAMPLE.COM", "Åsa Lind");
    app.add_user("edgar@example.com", "Edgar Elm");
    // By name, typed in either case: the stored capital É and the typed é are the same letter.
    for q in ["élodie", "ÉLODIE", "Élo"] {
        let html = page(&app, &format!("/admin/users?q={}", urlencode(q))).await;
        assert_eq!(emails_on(&html), vec!["e.orsted@example.com"], "q={q}");
    }
    // By email, stored in capitals.
    for q in ["åsa.l", "ÅSA.L"] {
        let html = page(&app, &format!("/admin/users?q={}", urlencode(q))).await;
        assert_eq!(emails_on(&html), vec!["ÅSA.LIND@EXAMPLE.COM"], "q={q}");
    }
    // Letters whose lower case depends on where they stand or on the language: a final Σ,
    // and the dotted İ (two characters in Rust's lower case, one in glibc's).
    app.add_user("odysseus@example.com", "ΟΔΥΣΣΕΥΣ");
    app.add_user("ist@example.com", "İstanbul Office");
    for (q, want) in [
        ("ΟΔΥΣ", "odysseus@example.com"),
        ("οδυσσευσ", "odysseus@example.com"),
        ("ΟΔΥΣΣΕΥΣ", "odysseus@example.com"),
        ("İst", "ist@example.com"),
        ("İSTANBUL", "ist@example.com"),
    ] {
        let html = page(&app, &format!("/admin/users?q={}", urlencode(q))).await;
        assert_eq!(emails_on(&html), vec![want], "q={q}");
    }
    // A plain e is not an é: the fold is case, not accents.
    let html = page(&app, "/admin/users?q=elodie").await;
    assert!(emails_on(&html).is_empty(), "{:?}", emails_on(&html));
});
