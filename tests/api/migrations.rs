//! Upgrades: a database made by the release before the `identities` table (its migrations, its
//! rows) is migrated by this one, on both backends, with nothing lost, and a returning user
//! then signs in to the same account through the identity.

use crate::both_backends;
use crate::helpers::*;
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use signin::db::{self, DatabaseUrl, DbConn};

/// The first migration this release adds.
const IDENTITIES: &str = "20261206000001";

/// Applies the migrations of the release before `IDENTITIES`, as that release did.
fn migrate_previous_release(conn: &mut DbConn) {
    fn before<DB: diesel::backend::Backend>(
        source: diesel_migrations::EmbeddedMigrations,
    ) -> Vec<Box<dyn diesel::migration::Migration<DB>>> {
        let mut all = MigrationSource::<DB>::migrations(&source).expect("migrations");
        all.retain(|m| m.name().version().to_string().as_str() < IDENTITIES);
        all.sort_by_key(|m| m.name().version().to_string());
        all
    }
    match conn {
        DbConn::Pg(c) => {
            c.applied_migrations().expect("migrations table");
            for m in before(db::PG_MIGRATIONS) {
                c.run_migration(&*m).expect("old migration");
            }
        }
        DbConn::Sqlite(c) => {
            c.applied_migrations().expect("migrations table");
            for m in before(db::SQLITE_MIGRATIONS) {
                c.run_migration(&*m).expect("old migration");
            }
        }
    }
}

/// Stands for Ada's subject at the dev provider (`ada_sub()`), which the old rows carry.
const ADA_SUB: &str = "ada-sub";

fn ada_sub() -> String {
    signin::dev_provider::Person::from_email("ada@example.com", "", true).sub
}

/// A user as the old release wrote it.
struct OldUser {
    public_id: &'static str,
    google_sub: &'static str,
    email: &'static str,
    verified: bool,
    name: &'static str,
    picture: Option<&'static str>,
    role: &'static str,
    invited: bool,
    last_login: Option<&'static str>,
}

/// Ada (an admin with a picture and a last sign-in), Bob, and an invitation (a placeholder
/// subject, no sign-in yet).
const OLD_USERS: [OldUser; 3] = [
    OldUser {
        public_id: "u_old1",
        google_sub: ADA_SUB,
        email: "ada@example.com",
        verified: true,
        name: "Ada Lovelace",
        picture: Some("https://example.com/ada.png"),
        role: "admin",
        invited: false,
        last_login: Some("2026-12-01 10:00:00"),
    },
    OldUser {
        public_id: "u_old2",
        google_sub: "g-222",
        email: "bob@gmail.com",
        verified: true,
        name: "Bob",
        picture: None,
        role: "user",
        invited: false,
        last_login: None,
    },
    OldUser {
        public_id: "u_old3",
        google_sub: "invitation:abcdef",
        email: "cy@example.com",
        verified: false,
        name: "",
        picture: None,
        role: "user",
        invited: true,
        last_login: None,
    },
];

fn insert_old_rows(conn: &mut DbConn) {
    let truth = if db::is_postgres(conn) { "true" } else { "1" };
    let falsity = if db::is_postgres(conn) { "false" } else { "0" };
    let b = |v: bool| if v { truth } else { falsity };
    let q = |v: Option<&str>| v.map_or("NULL".to_string(), |s| format!("'{s}'"));
    for u in OLD_USERS {
        let sub = if u.google_sub == ADA_SUB {
            ada_sub()
        } else {
            u.google_sub.to_string()
        };
        let (pid, email, name, role) = (u.public_id, u.email, u.name, u.role);
        diesel::sql_query(format!(
            "INSERT INTO users (public_id, google_sub, email, email_verified, name, picture, role, \
             status, created_at, updated_at, last_login_at, invited) VALUES ('{pid}', '{sub}', \
             '{email}', {}, '{name}', {}, '{role}', 'active', '2026-11-30 09:00:00', \
             '2026-11-30 09:00:00', {}, {})",
            b(u.verified),
            q(u.picture),
            q(u.last_login),
            b(u.invited),
        ))
        .execute(conn)
        .expect("old user");
    }
    // A fourth user was deleted: its id must never be given again.
    diesel::sql_query(
        "INSERT INTO users (public_id, google_sub, email, name, created_at, updated_at) \
         VALUES ('u_gone', 'g-gone', 'gone@example.com', 'Gone', '2026-11-30 09:00:00', \
         '2026-11-30 09:00:00')",
    )
    .execute(conn)
    .expect("old user to delete");
    diesel::sql_query("DELETE FROM users WHERE public_id = 'u_gone'")
        .execute(conn)
        .expect("deleted user");
    // Ada has a session and an audit row: the rebuild of `users` must keep both.
    diesel::sql_query(
        "INSERT INTO sessions (jti, user_id, kind, created_at, expires_at, auth_time) \
         SELECT 'jti-ada', id, 'browser', '2026-12-01 10:00:00', '2026-12-31 10:00:00', \
         '2026-12-01 10:00:00' FROM users WHERE public_id = 'u_old1'",
    )
    .execute(conn)
    .expect("old session");
    diesel::sql_query(
        "INSERT INTO audit_log (at, actor_id, actor_label, action, target_id, target_label) \
         SELECT '2026-12-01 10:00:00', id, email, 'sign_in', id, email FROM users \
         WHERE public_id = 'u_old1'",
    )
    .execute(conn)
    .expect("old audit row");
}

both_backends!(
    the_identities_migration_moves_every_google_subject,
    |backend| async move {
        let test_db = TestDb::new(backend);
        let url = DatabaseUrl::parse(&test_db.url).expect("url");
        let pool = db::build_pool(&url, 2, std::time::Duration::from_secs(5)).expect("pool");
        let mut conn = pool.get().expect("connection");
        migrate_previous_release(&mut conn);
        insert_old_rows(&mut conn);

        let applied = db::migrate(&mut conn).expect("upgrade");
        assert!(
            applied.iter().any(|v| v == IDENTITIES),
            "the upgrade applied the identities migration: {applied:?}"
        );

        use signin::db::schema::{audit_log, identities, sessions, users};
        type Moved = (String, String, String, Option<String>, bool, Option<String>);
        let moved: Vec<Moved> = users::table
            .inner_join(identities::table)
            .order(users::id.asc())
            .select((
                users::public_id,
                identities::provider,
                identities::subject,
                identities::email,
                identities::email_verified,
                identities::picture,
            ))
            .load(&mut conn)
            .expect("identities");
        let s = |v: &str| v.to_string();
        assert_eq!(
            moved,
            vec![
                (
                    s("u_old1"),
                    s("google"),
                    ada_sub(),
                    Some(s("ada@example.com")),
                    false,
                    Some(s("https://example.com/ada.png"))
                ),
                (
                    s("u_old2"),
                    s("google"),
                    s("g-222"),
                    Some(s("bob@gmail.com")),
                    true,
                    None
                ),
            ],
            "each signed-in user's subject (vouched for only at Gmail: a Workspace account's hd \
         was never stored), and no identity for the invitation"
        );
        let kept: Vec<(String, String, String, String, bool)> = users::table
            .order(users::id.asc())
            .select((
                users::public_id,
                users::email,
                users::name,
                users::role,
                users::invited,
            ))
            .load(&mut conn)
            .expect("users");
        assert_eq!(
            kept,
            OLD_USERS
                .iter()
                .map(|u| (s(u.public_id), s(u.email), s(u.name), s(u.role), u.invited))
                .collect::<Vec<_>>(),
            "every account kept"
        );
        let ada_last_used: Option<chrono::NaiveDateTime> = identities::table
            .filter(identities::subject.eq(ada_sub()))
            .select(identities::last_used_at)
            .first(&mut conn)
            .expect("ada's identity");
        assert_eq!(
            ada_last_used.map(|t| t.to_string()),
            Some(s("2026-12-01 10:00:00")),
            "last use is the old last sign-in"
        );
        let session_owner: String = sessions::table
            .inner_join(users::table)
            .filter(sessions::jti.eq("jti-ada"))
            .select(users::public_id)
            .first(&mut conn)
            .expect("the session survives the rebuild");
        assert_eq!(session_owner, "u_old1");
        let audit_target: Option<i64> = audit_log::table
            .select(audit_log::target_id)
            .first(&mut conn)
            .expect("the audit row survives");
        assert!(audit_target.is_some(), "the audit row still names Ada");

        // Ada signs in again through Google: the same account, through the moved identity.
        drop(conn);
        let opts = TestOptions {
            db: Some(std::sync::Arc::new(test_db)),
            ..Default::default()
        };
        let app = TestApp::spawn_with(backend, opts).await;
        app.new_browser()
            .signs_in("ada@example.com", "Ada Lovelace")
            .await;
        assert_eq!(app.count_users(), 3, "no new account");
        assert_eq!(app.public_id("ada@example.com"), "u_old1");
        app.new_browser().signs_in("new@example.com", "New").await;
        assert!(
            app.user_id("new@example.com") > 4,
            "the deleted user's id 4 is not given again"
        );
        app.stop().await;
    }
);
