//! The database: one connection type over PostgreSQL and SQLite, the pool, migrations, the
//! one helper (`run`) through which every blocking query leaves the async workers, and
//! `transaction`, so that nothing outside this folder names Diesel.

pub mod account;
pub mod audit;
pub mod identities;
pub mod invitations;
pub mod overview;
pub mod raw;
pub mod roles;
pub mod schema;
pub mod seed;
pub mod sessions;
pub mod signin_states;
pub mod totals;
mod tx;
pub mod url;
pub mod user_list;
pub mod user_sessions;
pub mod users;

pub use tx::transaction;

use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
pub use url::{DatabaseKind, DatabaseUrl, UrlError};

pub const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// One connection type for both backends; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs the same Diesel expression on the concrete connection, for the few statements
/// `MultiConnection` cannot express (upserts with `do_update`, `returning` structs).
#[macro_export]
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Pg($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}

/// The connection pool, with a gate of as many permits as it has connections: a query waits
/// for a permit on the async side, so that at most `size` blocking threads ever hold or wait
/// for a connection. (Without it, 64 clients kept 64 blocking threads parked in `pool.get()`,
/// each with its own allocator arena: the soak run's RSS crept, and the threads competed for
/// two cores with the work itself.)
#[derive(Clone)]
pub struct DbPool {
    inner: r2d2::Pool<Manager>,
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    timeout: Duration,
}

crate::debug_shows!(DbPool, |s| { state: s.inner.state() });

impl std::ops::Deref for DbPool {
    type Target = r2d2::Pool<Manager>;
    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ManagerError {
    #[error(transparent)]
    Connect(#[from] diesel::ConnectionError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// Picks the backend from the URL scheme, so that a refused connection says so at once
/// (diesel's generic manager hides it behind "Invalid connection url for multiconnection").
#[derive(Debug)]
pub struct Manager {
    url: DatabaseUrl,
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = ManagerError;

    fn connect(&self) -> Result<DbConn, ManagerError> {
        match self.url.kind() {
            DatabaseKind::Postgres => Ok(DbConn::Pg(PgConnection::establish(self.url.expose())?)),
            DatabaseKind::Sqlite(path) => {
                let mut c = SqliteConnection::establish(&path.to_string_lossy())?;
                // WAL + busy timeout: concurrent writers wait instead of failing with "locked".
                diesel::sql_query("PRAGMA journal_mode = WAL").execute(&mut c)?;
                diesel::sql_query("PRAGMA busy_timeout = 5000").execute(&mut c)?;
                diesel::sql_query("PRAGMA synchronous = NORMAL").execute(&mut c)?;
                diesel::sql_query("PRAGMA foreign_keys = ON").execute(&mut c)?;
                register_sqlite_functions(&mut c)?;
                Ok(DbConn::Sqlite(c))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), ManagerError> {
        diesel::sql_query("SELECT 1").execute(conn)?;
        Ok(())
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        use diesel::r2d2::R2D2Connection;
        match conn {
            DbConn::Pg(c) => c.is_broken(),
            DbConn::Sqlite(c) => c.is_broken(),
        }
    }
}

diesel::define_sql_function! {
    /// Unicode case folding for the search columns (`email_lc`, `name_lc`) on SQLite, whose
    /// own lower() folds ASCII only. Must be registered on every SQLite connection that writes
    /// users or reads those columns (migration 2026-11-29-000001).
    fn signin_fold(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// SQLite's case fold for the search, of what is stored and of what is typed: each character
/// on its own (`str::to_lowercase` would make a final Σ a ς, so that a prefix folded apart from
/// the rest of the word no longer matched it).
pub fn fold_case(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// Registers the service's SQL functions on a SQLite connection.
pub fn register_sqlite_functions(c: &mut SqliteConnection) -> diesel::QueryResult<()> {
    signin_fold_utils::register_impl(c, |x: String| fold_case(&x))
}

/// r2d2 reports connection failures through this instead of the `log` crate.
#[derive(Debug)]
struct TracingErrorHandler;

impl r2d2::HandleError<ManagerError> for TracingErrorHandler {
    fn handle_error(&self, error: ManagerError) {
        tracing::warn!(error = %error, "database connection failed");
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl DbError {
    /// True when the fault is the database's reachability, not the query.
    pub fn is_unavailable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            DbError::Unavailable(_) => true,
            DbError::Query(Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            )) => true,
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::Unknown, info)) => {
                lost_connection_message(info.message())
            }
            _ => false,
        }
    }
}

/// libpq's wording when the server went away (seen through a cut proxy and a PostgreSQL
/// restart): `no connection to the server`, `server closed the connection unexpectedly`,
/// `SSL SYSCALL error: EOF detected`, `could not send data to server`, `terminating connection
/// due to administrator command`.
fn lost_connection_message(m: &str) -> bool {
    let m = m.to_ascii_lowercase();
    [
        "connection",
        "server closed",
        "terminating",
        "ssl syscall",
        "eof detected",
        "could not send",
        "could not receive",
        "the database system is",
    ]
    .iter()
    .any(|p| m.contains(p))
}

/// Why the database could not be opened or brought up to date (start-up and one-off commands).
/// Every message names the database by its redacted URL only.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot create the directory {}: {error}", .dir.display())]
    CreateDir {
        dir: std::path::PathBuf,
        error: std::io::Error,
    },
    #[error("cannot connect to the database at {url}: {error}")]
    Connect {
        url: DatabaseUrl,
        error: r2d2::Error,
    },
    #[error("{error} (database {url})")]
    Migrate {
        url: DatabaseUrl,
        error: MigrationError,
    },
}

/// A pending migration that failed to apply.
#[derive(Debug, thiserror::Error)]
#[error("migration failed: {0}")]
pub struct MigrationError(Box<dyn std::error::Error + Send + Sync>);

/// Builds the pool without connecting; `connect_and_migrate` proves the database is there.
pub fn build_pool(url: &DatabaseUrl, size: u32, timeout: Duration) -> Result<DbPool, SetupError> {
    if let DatabaseKind::Sqlite(path) = url.kind()
        && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|error| SetupError::CreateDir {
            dir: dir.to_path_buf(),
            error,
        })?;
    }
    let manager = Manager { url: url.clone() };
    let inner = r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(1))
        .connection_timeout(timeout)
        .test_on_check_out(false)
        .error_handler(Box::new(TracingErrorHandler))
        .build_unchecked(manager);
    Ok(DbPool {
        inner,
        permits: std::sync::Arc::new(tokio::sync::Semaphore::new(size as usize)),
        timeout,
    })
}

/// Applies pending migrations for the backend in use; returns the versions applied.
pub fn migrate(conn: &mut DbConn) -> Result<Vec<String>, MigrationError> {
    let applied = match conn {
        DbConn::Pg(c) => c.run_pending_migrations(PG_MIGRATIONS),
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
    }
    .map_err(MigrationError)?;
    Ok(applied.into_iter().map(|v| v.to_string()).collect())
}

/// Takes a connection outside a request (start-up, one-off commands), with an error that names
/// the URL without its password.
pub fn connect(
    pool: &DbPool,
    url: &DatabaseUrl,
) -> Result<r2d2::PooledConnection<Manager>, SetupError> {
    pool.get().map_err(|error| SetupError::Connect {
        url: url.clone(),
        error,
    })
}

/// Connects and applies pending migrations; returns the versions applied.
pub fn connect_and_migrate(pool: &DbPool, url: &DatabaseUrl) -> Result<Vec<String>, SetupError> {
    let mut conn = connect(pool, url)?;
    migrate(&mut conn).map_err(|error| SetupError::Migrate {
        url: url.clone(),
        error,
    })
}

/// Queries waiting for a pooled connection right now (r2d2 does not count them), process-wide.
static WAITING: AtomicUsize = AtomicUsize::new(0);

/// One query counted in `WAITING` while it lives.
struct Waiting;

impl Waiting {
    fn start() -> Self {
        WAITING.fetch_add(1, Ordering::Relaxed);
        Waiting
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        WAITING.fetch_sub(1, Ordering::Relaxed);
    }
}

/// For the `signin_db_pool_waiting` metric.
pub fn waiting_for_connection() -> usize {
    WAITING.load(Ordering::Relaxed)
}

/// Runs blocking Diesel work on the blocking pool, inside the caller's tracing span. It first
/// waits (asynchronously) for one of the pool's permits, then takes the connection on the
/// blocking thread (connecting can block); both waits together stay within the pool timeout,
/// after which the answer is `Unavailable` (503).
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T, DbError>
where
    F: FnOnce(&mut DbConn) -> Result<T, DbError> + Send + 'static,
    T: Send + 'static,
{
    let deadline = std::time::Instant::now() + pool.timeout;
    // Counted as waiting until a connection is in hand; the guard also ends the count when
    // the request is dropped while it waits (the client went away, shutdown).
    let waiting = Waiting::start();
    let permit = tokio::time::timeout(pool.timeout, pool.permits.clone().acquire_owned()).await;
    let permit = match permit {
        Ok(Ok(p)) => p,
        Ok(Err(_)) => return Err(DbError::Unavailable("the pool is closed".into())),
        Err(_) => {
            return Err(DbError::Unavailable(format!(
                "timed out after {:?} waiting for a database connection",
                pool.timeout
            )));
        }
    };
    let inner = pool.inner.clone();
    let span = tracing::Span::current();
    actix_web::web::block(move || {
        let _permit = permit;
        let _entered = span.enter();
        // What is left of the timeout, counting the time queued for a blocking thread.
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let conn = inner.get_timeout(left.max(Duration::from_millis(1)));
        drop(waiting);
        let mut conn = conn.map_err(|e| DbError::Unavailable(e.to_string()))?;
        f(&mut conn)
    })
    .await
    .map_err(|_| DbError::Unavailable("the blocking pool is gone".into()))?
}

/// Readiness: one trivial query.
pub fn ping(conn: &mut DbConn) -> Result<(), DbError> {
    diesel::sql_query("SELECT 1").execute(conn)?;
    Ok(())
}

pub fn is_postgres(conn: &DbConn) -> bool {
    matches!(conn, DbConn::Pg(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind, Error};

    fn unknown(m: &str) -> DbError {
        DbError::Query(Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new(m.to_string()),
        ))
    }

    #[test]
    fn lost_connections_are_unavailable_not_internal() {
        for m in [
            "no connection to the server",
            "server closed the connection unexpectedly",
            "SSL SYSCALL error: EOF detected",
            "could not send data to server: Broken pipe",
            "terminating connection due to administrator command",
            "FATAL:  the database system is shutting down",
        ] {
            assert!(unknown(m).is_unavailable(), "{m}");
        }
        let closed = Error::DatabaseError(
            DatabaseErrorKind::UnableToSendCommand,
            Box::new(String::new()),
        );
        assert!(DbError::Query(closed).is_unavailable());
        assert!(DbError::Unavailable("timed out".into()).is_unavailable());
    }

    #[test]
    fn query_mistakes_stay_internal() {
        assert!(!unknown("syntax error at or near \"SELEC\"").is_unavailable());
        assert!(!DbError::Query(Error::NotFound).is_unavailable());
    }
}
