//! The SQL behind `signin users seed`: PostgreSQL generates a batch of synthetic users in one
//! statement, SQLite takes rows made by the command line; both add one to three sessions per
//! user. Plus the bulk load that rebuilds PostgreSQL's indexes afterwards, and `ANALYZE`.

use super::raw::{self, Arg, Sql};
use super::{DbConn, DbError, transaction};
use crate::domain::{RevokeReason, Role, Status};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

/// What synthetic users are made of (the command line's choice). User `n` of a run is called
/// `first_names[n % F]` `last_names[(n / F) % L]` (F, L: the lists' lengths), with the email
/// `first.last{n}@{domains[n % D]}` in lower case without hyphens, the public id `u_s{run}-{n}`
/// and the subject `seed-{run}-{n}`; created at a random moment within `span` before now, last
/// signed in at a random moment since; an admin when `n % admin_every == 0`, disabled when
/// `n % disabled_every == disabled_at`.
#[derive(Debug, Clone, Copy)]
pub struct Recipe<'a> {
    pub first_names: &'a [&'a str],
    pub last_names: &'a [&'a str],
    pub domains: &'a [&'a str],
    pub span: Duration,
    pub admin_every: i64,
    pub disabled_every: i64,
    pub disabled_at: i64,
}

/// One synthetic user made by the command line (SQLite's path).
#[derive(Debug, Clone)]
pub struct SeedUser {
    pub public_id: String,
    /// The subject of the user's (synthetic) Google identity.
    pub subject: String,
    pub email: String,
    pub name: String,
    pub given_name: String,
    pub family_name: String,
    pub role: Role,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    pub last_login_at: DateTime<Utc>,
}

/// What every seeded session says about its browser.
const SEED_USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) seed";

/// `(ARRAY['a','b'])`, each item quoted as an SQL literal.
fn sql_array(items: &[&str]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|s| format!("'{}'", s.replace('\'', "''")))
        .collect();
    format!("(ARRAY[{}])", quoted.join(","))
}

/// Inserts users `from_n..from_n + count` of `recipe` on PostgreSQL, with their sessions (the
/// first live, the others signed out), built by the server with `generate_series`; one
/// transaction.
pub fn generate_pg(
    conn: &mut DbConn,
    recipe: &Recipe<'_>,
    run: &str,
    from_n: i64,
    count: i64,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    transaction(conn, |conn| {
        // The sessions are inserted in the same statement as their users, so their foreign
        // key holds by construction; skipping its per-row trigger halves the time. Only a
        // superuser may do this: others simply pay for the checks.
        let mut su = Sql::new(conn);
        su.push("SELECT count(*) AS n FROM pg_roles WHERE rolname = current_user AND rolsuper");
        if raw::scalar(conn, su)? > 0 {
            diesel::sql_query("SET LOCAL session_replication_role = replica").execute(conn)?;
        }
        let first = sql_array(recipe.first_names);
        let last = sql_array(recipe.last_names);
        let domains = sql_array(recipe.domains);
        let nf = recipe.first_names.len();
        let nl = recipe.last_names.len();
        let nd = recipe.domains.len();
        let span = recipe.span.num_seconds();
        let (admin_every, disabled_every, disabled_at) = (
            recipe.admin_every,
            recipe.disabled_every,
            recipe.disabled_at,
        );
        let (admin, user) = (Role::Admin.as_str(), Role::User.as_str());
        let (disabled, active) = (Status::Disabled.as_str(), Status::Active.as_str());
        let logout = RevokeReason::Logout.as_str();
        let mut q = Sql::new(conn);
        q.push(&format!(
            "WITH g AS (
               SELECT n,
                      {first}[1 + n % {nf}] AS fname,
                      {last}[1 + (n / {nf}) % {nl}] AS lname,
                      $1::timestamp - make_interval(secs => random() * {span}) AS created,
                      random() AS r
               FROM generate_series($2::bigint, $3::bigint) n
             ), ins AS (
               INSERT INTO users (public_id, email, email_verified, name, given_name,
                                  family_name, picture, locale, role, status, created_at,
                                  updated_at, last_login_at)
               SELECT 'u_s' || $4 || '-' || n,
                      lower(fname) || '.' || lower(replace(lname, '-', '')) || n || '@' || {domains}[1 + n % {nd}],
                      TRUE, fname || ' ' || lname, fname, lname, NULL, 'en',
                      CASE WHEN n % {admin_every} = 0 THEN '{admin}' ELSE '{user}' END,
                      CASE WHEN n % {disabled_every} = {disabled_at} THEN '{disabled}' ELSE '{active}' END,
                      created, created, created + ($1::timestamp - created) * r
               FROM g
               RETURNING id, public_id, email, name, created_at, last_login_at
             ), idn AS (
               INSERT INTO identities (user_id, provider, subject, email, email_verified, name,
                                       created_at, last_used_at)
               SELECT id, 'google', 'seed-' || substr(public_id, 4), email, TRUE, name,
                      created_at, last_login_at
               FROM ins
             )
             INSERT INTO sessions (jti, user_id, kind, created_at, expires_at, auth_time,
                                   last_used_at, revoked_at, revoked_reason, user_agent, ip)
             SELECT 's' || $4 || '-' || ins.id || '-' || k, ins.id, 'browser',
                    ins.last_login_at - make_interval(days => k - 1),
                    ins.last_login_at - make_interval(days => k - 1) + interval '30 days',
                    ins.last_login_at - make_interval(days => k - 1),
                    ins.last_login_at - make_interval(days => k - 1),
                    CASE WHEN k > 1 THEN ins.last_login_at - make_interval(days => k - 1) + interval '1 hour' END,
                    CASE WHEN k > 1 THEN '{logout}' END,
                    '{SEED_USER_AGENT}',
                    '192.0.2.' || (1 + ins.id % 250)
             FROM ins CROSS JOIN LATERAL generate_series(1, 1 + (ins.id % 3)::int) k"
        ));
        q.args = vec![
            Arg::Ts(now.naive_utc()),
            Arg::Int(from_n),
            Arg::Int(from_n + count - 1),
            Arg::Text(run.to_string()),
        ];
        raw::execute(conn, q)?;
        Ok(())
    })
}

#[derive(diesel::QueryableByName)]
struct IdLogin {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<Timestamp>)]
    last_login_at: Option<NaiveDateTime>,
}

/// Rows per multi-row INSERT (13 values each stays well under SQLite's bound-variable limit).
const ROWS_PER_INSERT: usize = 500;

/// Inserts `users` on SQLite with multi-row inserts, each with one to three sessions as
/// `generate_pg` makes them; one transaction.
pub fn insert_sqlite(
    conn: &mut DbConn,
    run: &str,
    users: &[SeedUser],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    transaction(conn, |conn| {
        for chunk in users.chunks(ROWS_PER_INSERT) {
            let inserted = insert_user_rows(conn, chunk)?;
            insert_identity_rows(conn, chunk)?;
            insert_session_rows(conn, run, &inserted, now)?;
        }
        Ok(())
    })
}

/// Appends `(v1, v2, …)`, each value bound.
fn push_row(q: &mut Sql, values: Vec<Arg>) {
    q.push("(");
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.arg(v);
    }
    q.push(")");
}

fn insert_user_rows(conn: &mut DbConn, users: &[SeedUser]) -> Result<Vec<IdLogin>, DbError> {
    let mut q = Sql::new(conn);
    q.push(
        "INSERT INTO users (public_id, email, email_verified, name, given_name, \
         family_name, picture, locale, role, status, created_at, updated_at, last_login_at) \
         VALUES ",
    );
    for (i, u) in users.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        let created = u.created_at.naive_utc();
        push_row(
            &mut q,
            vec![
                Arg::Text(u.public_id.clone()),
                Arg::Text(u.email.clone()),
                Arg::Int(1),
                Arg::Text(u.name.clone()),
                Arg::Text(u.given_name.clone()),
                Arg::Text(u.family_name.clone()),
                Arg::OptText(None),
                Arg::Text("en".into()),
                Arg::Text(u.role.as_str().into()),
                Arg::Text(u.status.as_str().into()),
                Arg::Ts(created),
                Arg::Ts(created),
                Arg::Ts(u.last_login_at.naive_utc()),
            ],
        );
    }
    q.push(" RETURNING id, last_login_at");
    raw::load(conn, q)
}

/// Each user of `users` (just inserted) gets its Google identity.
fn insert_identity_rows(conn: &mut DbConn, users: &[SeedUser]) -> Result<(), DbError> {
    let mut q = Sql::new(conn);
    q.push(
        "INSERT INTO identities (user_id, provider, subject, email, email_verified, name, \
         created_at, last_used_at) \
         SELECT u.id, 'google', v.column2, u.email, u.email_verified, u.name, u.created_at, \
         u.last_login_at FROM users u JOIN (VALUES ",
    );
    for (i, u) in users.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        push_row(
            &mut q,
            vec![Arg::Text(u.public_id.clone()), Arg::Text(u.subject.clone())],
        );
    }
    q.push(") v ON u.public_id = v.column1");
    raw::execute(conn, q)?;
    Ok(())
}

fn insert_session_rows(
    conn: &mut DbConn,
    run: &str,
    inserted: &[IdLogin],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut q = Sql::new(conn);
    q.push(
        "INSERT INTO sessions (jti, user_id, kind, created_at, expires_at, auth_time, \
         last_used_at, revoked_at, revoked_reason, user_agent, ip) VALUES ",
    );
    let mut first = true;
    for row in inserted {
        let login = row.last_login_at.unwrap_or(now.naive_utc());
        for k in 1..=(1 + row.id % 3) {
            let t = login - Duration::days(k - 1);
            // The first session is live, the others were signed out an hour after they began.
            let (revoked_at, reason) = if k > 1 {
                (Some(t + Duration::hours(1)), Some(RevokeReason::Logout))
            } else {
                (None, None)
            };
            if !first {
                q.push(", ");
            }
            first = false;
            push_row(
                &mut q,
                vec![
                    Arg::Text(format!("s{run}-{}-{k}", row.id)),
                    Arg::Int(row.id),
                    Arg::Text("browser".into()),
                    Arg::Ts(t),
                    Arg::Ts(t + Duration::days(30)),
                    Arg::Ts(t),
                    Arg::Ts(t),
                    Arg::OptTs(revoked_at),
                    Arg::OptText(reason.map(|r| r.as_str().into())),
                    Arg::Text(SEED_USER_AGENT.into()),
                    Arg::Text(format!("192.0.2.{}", 1 + row.id % 250)),
                ],
            );
        }
    }
    if !first {
        raw::execute(conn, q)?;
    }
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct IndexDef {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    def: String,
}

/// Runs `load` on PostgreSQL in one transaction that first drops the secondary indexes of
/// `users` and `sessions` (not the primary keys, not the unique constraints) and builds them
/// again afterwards: one sorted build of each index is several times cheaper than maintaining
/// ten of them row by row (1,000,000 users: see docs/BENCHMARKS.md). The drop takes an
/// exclusive lock on both tables until the commit, so the service waits for the seed instead
/// of reading half-built indexes; if anything fails, the rollback brings the indexes back.
/// `progress` is told each index built.
pub fn with_indexes_rebuilt_pg(
    conn: &mut DbConn,
    progress: &mut dyn FnMut(&str),
    load: impl FnOnce(&mut DbConn, &mut dyn FnMut(&str)) -> Result<(), DbError>,
) -> Result<(), DbError> {
    transaction(conn, |conn| {
        // Both tables at once and first, in the order the service's transactions take them:
        // dropping index by index would lock them one after the other and could deadlock with
        // a sign-in in progress.
        diesel::sql_query("LOCK TABLE users, sessions IN ACCESS EXCLUSIVE MODE").execute(conn)?;
        // Plain secondary indexes only: primary keys, unique indexes (whether or not a
        // constraint owns them) and replica-identity indexes stay.
        let mut q = Sql::new(conn);
        q.push(
            "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
             FROM pg_index i
             WHERE i.indrelid IN ('users'::regclass, 'sessions'::regclass)
               AND NOT i.indisprimary AND NOT i.indisunique AND NOT i.indisreplident
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
             ORDER BY 1",
        );
        let indexes: Vec<IndexDef> = raw::load(conn, q)?;
        for ix in &indexes {
            // `regclass::text` comes quoted and schema-qualified where it needs to be.
            diesel::sql_query(format!("DROP INDEX {}", ix.name)).execute(conn)?;
        }
        // Index builds sort in memory and use a parallel worker when they may.
        diesel::sql_query("SET LOCAL maintenance_work_mem = '256MB'").execute(conn)?;
        load(conn, progress)?;
        for ix in &indexes {
            diesel::sql_query(ix.def.as_str()).execute(conn)?;
            progress(&format!("built index {}", ix.name));
        }
        Ok(())
    })
}

/// After a large seed: fresh planner statistics (and, on PostgreSQL, the visibility map that
/// index-only counts rely on).
pub fn analyze(conn: &mut DbConn) -> Result<(), DbError> {
    let stmt = if super::is_postgres(conn) {
        "VACUUM (ANALYZE) users, sessions"
    } else {
        "ANALYZE"
    };
    diesel::sql_query(stmt).execute(conn)?;
    Ok(())
}
