//! The test's database: made fresh for one test (a SQLite file in a temporary folder, or a
//! PostgreSQL database on the `TEST_DATABASE_URL` server) and dropped afterwards; and the few
//! reads and writes the tests make behind the app's back. All of the tests' SQL is here.

use super::{Backend, TestApp, uuid_like};
use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use signin::db::schema::{audit_log, identities, sessions, users};

/// A database made for one test and dropped afterwards.
pub struct TestDb {
    pub url: String,
    pg_admin_url: Option<String>,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.sqlite3").display());
                Self {
                    url,
                    pg_admin_url: None,
                    pg_name: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let admin = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
                let name = format!("test_{}", uuid_like());
                let mut conn =
                    diesel::PgConnection::establish(&admin).expect("connect to TEST_DATABASE_URL");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create test database");
                let mut u = url::Url::parse(&admin).expect("TEST_DATABASE_URL is a URL");
                u.set_path(&name);
                Self {
                    url: u.to_string(),
                    pg_admin_url: Some(admin),
                    pg_name: Some(name),
                    _dir: None,
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let (Some(admin), Some(name)) = (self.pg_admin_url.clone(), self.pg_name.clone()) {
            // A plain thread: Drop may run inside the async runtime.
            let _ = std::thread::spawn(move || {
                if let Ok(mut c) = diesel::PgConnection::establish(&admin) {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut c);
                }
            })
            .join();
        }
    }
}

/// One audit row as the tests read it: (action, actor_label, target_label, detail).
pub type AuditRow = (String, String, Option<String>, Option<String>);

/// `(action, actor label, target label, detail, ip)`.
pub type AuditRowWithIp = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

impl TestApp {
    /// Runs a query on the app's database.
    pub fn query<T>(&self, f: impl FnOnce(&mut signin::db::DbConn) -> T) -> T {
        let mut c = self.pool.get().expect("test connection");
        f(&mut c)
    }

    /// `(provider, subject)` of every identity, by row id.
    pub fn identities(&self) -> Vec<(String, String)> {
        self.query(|c| {
            identities::table
                .order(identities::id.asc())
                .select((identities::provider, identities::subject))
                .load(c)
                .expect("identities")
        })
    }

    /// Sets `email_verified` on every identity of the user (as a provider that said otherwise
    /// at their last sign-in would have left it).
    pub fn set_identity_email_verified(&self, email: &str, verified: bool) {
        let user = self.user_id(email);
        self.query(|c| {
            diesel::update(identities::table.filter(identities::user_id.eq(user)))
                .set(identities::email_verified.eq(verified))
                .execute(c)
                .expect("set email_verified")
        });
    }

    /// `(row id, provider)` of one user's identities, oldest first.
    pub fn identities_of(&self, email: &str) -> Vec<(i64, String)> {
        let user = self.user_id(email);
        self.query(|c| {
            identities::table
                .filter(identities::user_id.eq(user))
                .order(identities::id.asc())
                .select((identities::id, identities::provider))
                .load(c)
                .expect("identities")
        })
    }

    pub fn count_users(&self) -> i64 {
        self.query(|c| signin::db::users::count(c).expect("count users"))
    }

    pub fn count_sessions(&self) -> i64 {
        self.query(|c| {
            sessions::table
                .count()
                .get_result::<i64>(c)
                .expect("count sessions")
        })
    }

    /// `(users, sessions)` row counts, to prove that nothing was written.
    pub fn counts(&self) -> (i64, i64) {
        (self.count_users(), self.count_sessions())
    }

    /// `(jti, revoked_reason, kind)` of every session row, oldest first.
    pub fn session_rows(&self) -> Vec<(String, Option<String>, String)> {
        self.query(|c| {
            sessions::table
                .select((sessions::jti, sessions::revoked_reason, sessions::kind))
                .order(sessions::created_at.asc())
                .load::<(String, Option<String>, String)>(c)
                .expect("session rows")
        })
    }

    /// The client IP recorded on every session row.
    pub fn session_ips(&self) -> Vec<Option<String>> {
        self.query(|c| {
            sessions::table
                .select(sessions::ip)
                .load::<Option<String>>(c)
                .expect("session IPs")
        })
    }

    /// The jtis of the user's live sessions, oldest first.
    pub fn live_jtis(&self, email: &str) -> Vec<String> {
        self.query(|c| {
            sessions::table
                .inner_join(users::table)
                .filter(users::email.eq(email))
                .filter(sessions::revoked_at.is_null())
                .order(sessions::created_at.asc())
                .select(sessions::jti)
                .load(c)
                .expect("live sessions")
        })
    }

    /// `(id, public_id, role, status)` of the user with this email.
    fn user_row(&self, email: &str) -> (i64, String, String, String) {
        self.query(|c| {
            users::table
                .filter(users::email.eq(email))
                .select((users::id, users::public_id, users::role, users::status))
                .first(c)
                .expect("a user with this email")
        })
    }

    /// The row id of the user with this email.
    pub fn user_id(&self, email: &str) -> i64 {
        self.user_row(email).0
    }

    /// The public id (`u_…`, in URLs) of the user with this email.
    pub fn public_id(&self, email: &str) -> String {
        self.user_row(email).1
    }

    /// `(role, status)` of the user with this email.
    pub fn user_state(&self, email: &str) -> (String, String) {
        let (_, _, role, status) = self.user_row(email);
        (role, status)
    }

    /// Sets the user's status in the row, as the admin's Disable does (without its cache
    /// invalidation or audit row); returns the user's row id.
    pub fn set_status(&self, email: &str, status: &str) -> i64 {
        self.query(|c| {
            diesel::update(users::table.filter(users::email.eq(email)))
                .set(users::status.eq(status))
                .execute(c)
                .expect("set status");
        });
        self.user_id(email)
    }

    /// Inserts a user directly (for tests that need chosen timestamps, roles or statuses).
    /// Returns its row id.
    pub fn insert_user(
        &self,
        email: &str,
        name: &str,
        created: NaiveDateTime,
        last_login: Option<NaiveDateTime>,
        role: &str,
        status: &str,
    ) -> i64 {
        let pid = format!("u_t{}", uuid_like());
        self.query(|c| {
            diesel::insert_into(users::table)
                .values((
                    users::public_id.eq(&pid),
                    users::email.eq(email),
                    users::email_verified.eq(true),
                    users::name.eq(name),
                    users::role.eq(role),
                    users::status.eq(status),
                    users::created_at.eq(created),
                    users::updated_at.eq(created),
                    users::last_login_at.eq(last_login),
                ))
                .execute(c)
                .expect("insert user");
            let id = users::table
                .filter(users::public_id.eq(&pid))
                .select(users::id)
                .first::<i64>(c)
                .expect("inserted user id");
            diesel::insert_into(identities::table)
                .values((
                    identities::user_id.eq(id),
                    identities::provider.eq("google"),
                    identities::subject.eq(format!("sub-{pid}")),
                    identities::email.eq(email),
                    identities::email_verified.eq(true),
                    identities::name.eq(name),
                    identities::created_at.eq(created),
                    identities::last_used_at.eq(last_login),
                ))
                .execute(c)
                .expect("insert identity");
            id
        })
    }

    /// An active user made now who has never signed in.
    pub fn add_user(&self, email: &str, name: &str) -> i64 {
        let now = Utc::now().naive_utc();
        self.insert_user(email, name, now, None, "user", "active")
    }

    /// Puts every user back to an active admin (between rounds of a race).
    pub fn make_everyone_active_admin(&self) {
        self.query(|c| {
            diesel::update(users::table)
                .set((users::role.eq("admin"), users::status.eq("active")))
                .execute(c)
                .expect("reset users")
        });
    }

    /// Every audit row, oldest first.
    pub fn audit_rows(&self) -> Vec<AuditRow> {
        self.audit_rows_with_ip()
            .into_iter()
            .map(|(action, actor, target, detail, _)| (action, actor, target, detail))
            .collect()
    }

    /// The audit rows of one action, oldest first.
    pub fn audit_rows_of(&self, action: &str) -> Vec<AuditRow> {
        let mut rows = self.audit_rows();
        rows.retain(|r| r.0 == action);
        rows
    }

    /// Every audit row with its IP address, oldest first.
    pub fn audit_rows_with_ip(&self) -> Vec<AuditRowWithIp> {
        self.query(|c| {
            audit_log::table
                .order(audit_log::id.asc())
                .select((
                    audit_log::action,
                    audit_log::actor_label,
                    audit_log::target_label,
                    audit_log::detail,
                    audit_log::ip,
                ))
                .load(c)
                .expect("audit rows")
        })
    }
}
