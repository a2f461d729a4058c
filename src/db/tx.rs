//! `transaction`: one database transaction around a closure, so that code outside `db/` can
//! group several queries (a change and its audit row) without naming Diesel.

use super::{DbConn, DbError};
use diesel::Connection;

/// What the closure failed with, or Diesel's own failure (begin, commit, rollback).
enum TxFailure<E> {
    Caller(E),
    Diesel(diesel::result::Error),
}

impl<E> From<diesel::result::Error> for TxFailure<E> {
    fn from(e: diesel::result::Error) -> Self {
        TxFailure::Diesel(e)
    }
}

/// Runs `f` in a transaction: committed when it returns `Ok`, rolled back when it returns
/// `Err` (which is handed back unchanged).
pub fn transaction<T, E>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<DbError>,
{
    conn.transaction::<T, TxFailure<E>, _>(|c| f(c).map_err(TxFailure::Caller))
        .map_err(|e| match e {
            TxFailure::Caller(e) => e,
            TxFailure::Diesel(d) => E::from(DbError::Query(d)),
        })
}
