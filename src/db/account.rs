//! What a person does to their own account: their live sessions and tokens, ending them, and
//! deleting the account with its personal data in the audit log replaced by a pseudonym.

use super::schema::{audit_log, sessions, users};
use super::sessions::SessionKind;
use super::user_sessions::{SessionInfo, newest_sessions};
use super::{DbConn, DbError};
use crate::domain::RevokeReason;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// The user's unrevoked, unexpired sessions and tokens, newest first (at most `limit`).
pub fn live_sessions(
    conn: &mut DbConn,
    user_id: i64,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<SessionInfo>, DbError> {
    let query = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now.naive_utc()));
    newest_sessions(conn, query.into_boxed(), limit)
}

/// The kind and name of a live session or token of `user_id`; `None` when it is someone
/// else's, unknown or already ended.
pub fn own_live(
    conn: &mut DbConn,
    jti: &str,
    user_id: i64,
) -> Result<Option<(SessionKind, Option<String>)>, DbError> {
    let row: Option<(String, Option<String>)> = sessions::table
        .filter(sessions::jti.eq(jti))
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .select((sessions::kind, sessions::name))
        .first(conn)
        .optional()?;
    Ok(row.map(|(k, n)| (SessionKind::parse(&k), n)))
}

/// Revokes every live browser session of the user except `keep` (the caller's own, with its
/// rotation family); API tokens are left alone. Returns how many ended.
pub fn revoke_other_browser_sessions(
    conn: &mut DbConn,
    user_id: i64,
    keep: &[String],
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::kind.eq(SessionKind::Browser.as_str()))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::jti.ne_all(keep)),
    )
    .set((
        sessions::revoked_at.eq(Some(now.naive_utc())),
        sessions::revoked_reason.eq(Some(RevokeReason::Logout.as_str())),
    ))
    .execute(conn)?)
}

/// Removes the user, their sessions and tokens, and replaces their personal data in the audit
/// log (email as actor or target label, also inside details; the client IP of rows they took
/// part in) with `pseudonym`. Run inside the caller's transaction, before the deletion's own
/// audit row.
pub fn delete_user(
    conn: &mut DbConn,
    user_id: i64,
    email: &str,
    pseudonym: &str,
) -> Result<(), DbError> {
    diesel::update(
        audit_log::table.filter(
            audit_log::actor_id
                .eq(user_id)
                .or(audit_log::actor_label.eq(email)),
        ),
    )
    .set((
        audit_log::actor_label.eq(pseudonym),
        audit_log::ip.eq(None::<String>),
    ))
    .execute(conn)?;
    diesel::update(
        audit_log::table.filter(
            audit_log::target_id
                .eq(user_id)
                .or(audit_log::target_label.eq(email)),
        ),
    )
    .set((
        audit_log::target_label.eq(Some(pseudonym)),
        audit_log::ip.eq(None::<String>),
    ))
    .execute(conn)?;
    let mut q = super::raw::Sql::new(conn);
    q.push("UPDATE audit_log SET detail = replace(detail, ")
        .arg(super::raw::Arg::Text(email.into()))
        .push(", ")
        .arg(super::raw::Arg::Text(pseudonym.into()))
        .push(") WHERE detail LIKE ")
        .arg(super::raw::Arg::Text(format!("%{}%", like_escape(email))))
        .push(" ESCAPE '\\'");
    super::raw::execute(conn, q)?;
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)?;
    diesel::delete(users::table.filter(users::id.eq(user_id))).execute(conn)?;
    Ok(())
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
