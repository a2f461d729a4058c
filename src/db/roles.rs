//! Role and status changes, and the admin count and lock behind the last-admin rule.

use super::raw::{self, Arg, Sql};
use super::schema::users;
use super::{DbConn, DbError};
use crate::domain::{Role, Status};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// A change to a user's role or status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserChange {
    Role(Role),
    Status(Status),
}

/// Applies the change; returns whether the row changed (false when it already was so).
pub fn apply(
    conn: &mut DbConn,
    user_id: i64,
    change: UserChange,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    // The column name is one of the two above, never input; the value is bound.
    let (column, value) = match change {
        UserChange::Role(r) => ("role", r.as_str()),
        UserChange::Status(s) => ("status", s.as_str()),
    };
    let mut q = Sql::new(conn);
    q.push("UPDATE users SET ")
        .push(column)
        .push(" = ")
        .arg(Arg::Text(value.into()))
        .push(", updated_at = ")
        .arg(Arg::Ts(now.naive_utc()))
        .push(" WHERE id = ")
        .arg(Arg::Int(user_id))
        .push(" AND ")
        .push(column)
        .push(" <> ")
        .arg(Arg::Text(value.into()));
    Ok(raw::execute(conn, q)? > 0)
}

/// First statement of a transaction that may remove an admin (demote, disable, delete), before
/// the target is read: on PostgreSQL, locks the active admins' rows and the target's (in id
/// order, so that two removals never deadlock), so that two concurrent removals are decided one
/// after the other on what the first committed; on SQLite, a no-op write on the target takes
/// the database's write lock at once, so the reads that follow cannot go stale before the
/// transaction writes (nor fail to upgrade to a write).
pub fn lock_for_removal(conn: &mut DbConn, target_id: i64) -> Result<(), DbError> {
    raw::lock_users(conn, "role = 'admin' AND status = 'active'", target_id)
}

pub fn count_active_admins(conn: &mut DbConn) -> Result<i64, DbError> {
    Ok(users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::status.eq(Status::Active.as_str()))
        .count()
        .get_result(conn)?)
}

/// Whether a user other than `user_id` holds the admin role (active or not). Called inside the
/// sign-in transaction of `--dev` after `lock_first_admin`, so that of two concurrent first
/// sign-ins exactly one sees no admin.
pub fn other_admin_exists(conn: &mut DbConn, user_id: i64) -> Result<bool, DbError> {
    // The first match is enough (LIMIT 1): a count would read every admin on every sign-in.
    let any: Option<i64> = users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::id.ne(user_id))
        .select(users::id)
        .first(conn)
        .optional()?;
    Ok(any.is_some())
}

/// Serialises the development mode's first-admin decision: on PostgreSQL a transaction-scoped
/// advisory lock (released at commit), taken before `other_admin_exists` reads, so a second
/// first sign-in waits and then sees the first one's admin; on SQLite the sign-in transaction
/// already holds the write lock (it began with the user upsert), so nothing more is needed.
pub fn lock_first_admin(conn: &mut DbConn) -> Result<(), DbError> {
    if super::is_postgres(conn) {
        // Any constant works: no other advisory lock is taken by this application.
        let mut q = Sql::new(conn);
        q.push("SELECT count(*) AS n FROM (SELECT pg_advisory_xact_lock(7215001)) s");
        raw::scalar(conn, q)?;
    }
    Ok(())
}
