//! Counts as the admin pages show them: exact up to 100,000, past that PostgreSQL's planner
//! estimate (cheap even at millions of rows) or "more than".

use super::raw::{self, Arg, Sql};
use super::{DbConn, DbError};

/// Exact counts stop here; above it the page shows an estimate (and says so).
pub const EXACT_COUNT_LIMIT: i64 = 100_000;

/// A count as the page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    Exact(i64),
    /// The planner's estimate (PostgreSQL), shown as "about N".
    About(i64),
    /// At least this many; the exact figure was not worth counting.
    MoreThan(i64),
}

/// Counts the users matching `build`'s conditions (each ` AND …` on `users u`), as `total_of`.
pub(super) fn total_where(conn: &mut DbConn, build: impl Fn(&mut Sql)) -> Result<Total, DbError> {
    total_of(conn, |q| {
        q.push("SELECT 1 FROM users u WHERE 1 = 1");
        build(q);
    })
}

/// Counts the rows of the query `select` writes, exactly up to `EXACT_COUNT_LIMIT`; past it,
/// PostgreSQL's planner estimate or "more than".
pub(super) fn total_of(conn: &mut DbConn, select: impl Fn(&mut Sql)) -> Result<Total, DbError> {
    if super::is_postgres(conn) {
        let mut inner = Sql::format_template();
        select(&mut inner);
        let mut q = Sql::new(conn);
        q.push("SELECT plan_rows(format('")
            .push(&inner.text.replace('\'', "''"))
            .push("'");
        for a in inner.args {
            q.push(", ").arg(a);
        }
        q.push(")) AS n");
        let est = raw::scalar(conn, q)?;
        if est > EXACT_COUNT_LIMIT {
            return Ok(Total::About(est));
        }
    }
    let mut q = Sql::new(conn);
    q.push("SELECT count(*) AS n FROM (");
    select(&mut q);
    q.push(" LIMIT ")
        .arg(Arg::Int(EXACT_COUNT_LIMIT + 1))
        .push(") s");
    let n = raw::scalar(conn, q)?;
    Ok(if n > EXACT_COUNT_LIMIT {
        Total::MoreThan(EXACT_COUNT_LIMIT)
    } else {
        Total::Exact(n)
    })
}
