//! Used sign-in states: the server side of the state's single use, shared by every instance.

use super::schema::used_signin_states as t;
use super::{DbConn, DbError};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// Expired rows deleted per insert: pruning keeps pace with sign-ins without ever being a
/// long statement.
const PRUNE_AT_MOST: i64 = 100;

/// Records `state_hash` as used until `expires_at`; false when it already was (a replay). Runs
/// inside the sign-in's transaction, so a concurrent replay on another instance waits for it and
/// then finds the row.
pub fn consume(
    conn: &mut DbConn,
    state_hash: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    // Written first: on SQLite a transaction that read first cannot take the write lock.
    let inserted = crate::per_backend!(conn, |c| diesel::insert_into(t::table)
        .values((
            t::state_hash.eq(state_hash),
            t::expires_at.eq(expires_at.naive_utc()),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    let expired: Vec<String> = t::table
        .filter(t::expires_at.lt(now.naive_utc()))
        .select(t::state_hash)
        .limit(PRUNE_AT_MOST)
        .load(conn)?;
    if !expired.is_empty() {
        diesel::delete(t::table.filter(t::state_hash.eq_any(&expired))).execute(conn)?;
    }
    Ok(inserted == 1)
}
