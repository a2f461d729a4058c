//! `transaction`: runs a closure in one database transaction, with the caller's own error type,
//! so that code outside `db/` never names Diesel to open one.

use super::{DbConn, DbError};
use diesel::Connection;

/// Diesel wants a transaction's error to convert from its own; this carries the caller's error
/// through unchanged next to Diesel's (begin, commit, rollback failures).
enum Carried<E> {
    Caller(E),
    Diesel(diesel::result::Error),
}

impl<E> From<diesel::result::Error> for Carried<E> {
    fn from(e: diesel::result::Error) -> Self {
        Carried::Diesel(e)
    }
}

/// Runs `f` in a transaction: committed when it returns `Ok`, rolled back when it returns
/// `Err` (which is handed back as it was). Inside another transaction it becomes a savepoint.
/// A failure of the transaction itself comes back as `E::from(DbError::Query(…))`.
pub fn transaction<T, E>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<DbError>,
{
    conn.transaction::<T, Carried<E>, _>(|conn| f(conn).map_err(Carried::Caller))
        .map_err(|e| match e {
            Carried::Caller(e) => e,
            Carried::Diesel(e) => E::from(DbError::Query(e)),
        })
}
