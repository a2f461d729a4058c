//! Hand-written SQL with a variable number of bound values, for the queries the Diesel DSL over
//! `MultiConnection` cannot say well (row-value keyset predicates, planner estimates, batched
//! seeding). Values are always bound, never spliced; placeholders follow the backend.

use super::{DbConn, DbError};
use chrono::NaiveDateTime;
use diesel::query_dsl::RunQueryDsl;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

/// One bound value.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
    Ts(NaiveDateTime),
    OptTs(Option<NaiveDateTime>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placeholders {
    /// PostgreSQL: `$1`, `$2`, …
    Numbered,
    /// SQLite: `?`
    Question,
    /// A template for PostgreSQL's `format()`: `%L` quotes each value as a literal.
    FormatLiteral,
}

/// SQL text and its arguments, numbered `$n` for PostgreSQL and `?` for SQLite.
#[derive(Debug, Clone)]
pub struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
    style: Placeholders,
}

impl Sql {
    pub fn new(conn: &DbConn) -> Self {
        Self {
            text: String::new(),
            args: Vec::new(),
            style: if super::is_postgres(conn) {
                Placeholders::Numbered
            } else {
                Placeholders::Question
            },
        }
    }

    /// PostgreSQL text to be completed by `format(template, args…)` on the server, which
    /// quotes every value (`%L`): used only to ask the planner for an estimate.
    pub fn format_template() -> Self {
        Self {
            text: String::new(),
            args: Vec::new(),
            style: Placeholders::FormatLiteral,
        }
    }

    pub fn is_pg(&self) -> bool {
        self.style != Placeholders::Question
    }

    /// Appends SQL text (never user input: that goes through `arg`).
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.text.push_str(sql);
        self
    }

    /// Appends a placeholder bound to `a`.
    pub fn arg(&mut self, a: Arg) -> &mut Self {
        self.args.push(a);
        match self.style {
            Placeholders::Numbered => {
                self.text.push('$');
                self.text.push_str(&self.args.len().to_string());
            }
            Placeholders::Question => self.text.push('?'),
            Placeholders::FormatLiteral => self.text.push_str("%L"),
        }
        self
    }

    /// Appends `ids` as placeholders separated by commas (the inside of an `IN (…)`).
    pub fn int_list(&mut self, ids: &[i64]) -> &mut Self {
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.arg(Arg::Int(*id));
        }
        self
    }
}

/// Locks the row of the user `user_id` for the rest of the caller's transaction, with the
/// other rows `pg_also` (an SQL condition, or `FALSE`) selects on PostgreSQL. SQLite has no
/// row locks: a no-op write takes the database's write lock at once, so that a deferred
/// transaction never reads first and then fails to upgrade.
pub fn lock_users(conn: &mut DbConn, pg_also: &'static str, user_id: i64) -> Result<(), DbError> {
    let mut q = Sql::new(conn);
    if q.is_pg() {
        q.push("SELECT count(*) AS n FROM (SELECT id FROM users WHERE (")
            .push(pg_also)
            .push(") OR id = ")
            .arg(Arg::Int(user_id))
            .push(" ORDER BY id FOR UPDATE) s");
        scalar(conn, q)?;
    } else {
        q.push("UPDATE users SET id = id WHERE id = ")
            .arg(Arg::Int(user_id));
        execute(conn, q)?;
    }
    Ok(())
}

macro_rules! bind_all {
    ($q:ident, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Text(s) => q.bind::<Text, _>(s),
                Arg::OptText(s) => q.bind::<Nullable<Text>, _>(s),
                Arg::Int(i) => q.bind::<BigInt, _>(i),
                Arg::OptInt(i) => q.bind::<Nullable<BigInt>, _>(i),
                Arg::Ts(t) => q.bind::<Timestamp, _>(t),
                Arg::OptTs(t) => q.bind::<Nullable<Timestamp>, _>(t),
            };
        }
        q
    }};
}

/// Loads rows of a `QueryableByName` type on either backend.
pub fn load<R>(conn: &mut DbConn, sql: Sql) -> Result<Vec<R>, DbError>
where
    R: diesel::QueryableByName<diesel::pg::Pg> + diesel::QueryableByName<diesel::sqlite::Sqlite>,
    R: 'static,
{
    Ok(match conn {
        DbConn::Pg(c) => {
            let q = diesel::sql_query(sql.text).into_boxed::<diesel::pg::Pg>();
            bind_all!(q, sql.args).load::<R>(c)?
        }
        DbConn::Sqlite(c) => {
            let q = diesel::sql_query(sql.text).into_boxed::<diesel::sqlite::Sqlite>();
            bind_all!(q, sql.args).load::<R>(c)?
        }
    })
}

/// Runs a statement on either backend; returns the affected row count.
pub fn execute(conn: &mut DbConn, sql: Sql) -> Result<usize, DbError> {
    Ok(match conn {
        DbConn::Pg(c) => {
            let q = diesel::sql_query(sql.text).into_boxed::<diesel::pg::Pg>();
            bind_all!(q, sql.args).execute(c)?
        }
        DbConn::Sqlite(c) => {
            let q = diesel::sql_query(sql.text).into_boxed::<diesel::sqlite::Sqlite>();
            bind_all!(q, sql.args).execute(c)?
        }
    })
}

/// A single `n` column (counts, estimates).
#[derive(diesel::QueryableByName, Debug)]
pub struct N {
    #[diesel(sql_type = Nullable<BigInt>)]
    pub n: Option<i64>,
}

/// The first row's `n`, or 0.
pub fn scalar(conn: &mut DbConn, sql: Sql) -> Result<i64, DbError> {
    Ok(load::<N>(conn, sql)?
        .into_iter()
        .next()
        .and_then(|r| r.n)
        .unwrap_or(0))
}
