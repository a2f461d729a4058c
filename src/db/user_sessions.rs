//! One user's sessions as the admin pages see them: the newest for the user's page, and
//! whether a session an admin names is theirs and still live.

use super::schema::sessions;
use super::sessions::{Revocation, SessionKind};
use super::users::utc;
use super::{DbConn, DbError};
use crate::domain::ClientInfo;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

/// A session or API token as a page lists it (the account page, an admin's user page).
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub jti: String,
    pub kind: SessionKind,
    /// An API token's name (browser sessions have none).
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// `None` unless revoked (an expired session included).
    pub revoked: Option<Revocation>,
    pub client: ClientInfo,
}

type SessionInfoRow = (
    String,
    String,
    Option<String>,
    NaiveDateTime,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The user's newest sessions (at most `limit`) and how many there are in all.
pub fn user_sessions(
    conn: &mut DbConn,
    user_id: i64,
    limit: i64,
) -> Result<(Vec<SessionInfo>, i64), DbError> {
    let query = sessions::table.filter(sessions::user_id.eq(user_id));
    let list = newest_sessions(conn, query.into_boxed(), limit)?;
    let total = super::sessions::count_for_user(conn, user_id)?;
    Ok((list, total))
}

/// The newest sessions `query` finds (at most `limit`): the one listing both pages share.
pub(super) fn newest_sessions(
    conn: &mut DbConn,
    query: sessions::BoxedQuery<'_, <DbConn as Connection>::Backend>,
    limit: i64,
) -> Result<Vec<SessionInfo>, DbError> {
    let rows: Vec<SessionInfoRow> = query
        .order((sessions::created_at.desc(), sessions::jti.desc()))
        .limit(limit)
        .select((
            sessions::jti,
            sessions::kind,
            sessions::name,
            sessions::created_at,
            sessions::expires_at,
            sessions::last_used_at,
            sessions::revoked_at,
            sessions::revoked_reason,
            sessions::user_agent,
            sessions::ip,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| SessionInfo {
            jti: r.0,
            kind: SessionKind::parse(&r.1),
            name: r.2,
            created_at: utc(r.3),
            expires_at: utc(r.4),
            last_used_at: r.5.map(utc),
            revoked: Revocation::of(r.6, r.7.as_deref()),
            client: ClientInfo {
                user_agent: r.8,
                ip: r.9,
            },
        })
        .collect())
}

/// True when the session exists, belongs to `user_id` and has not been revoked.
pub fn session_belongs_to(conn: &mut DbConn, jti: &str, user_id: i64) -> Result<bool, DbError> {
    let n: i64 = sessions::table
        .filter(sessions::jti.eq(jti))
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}
