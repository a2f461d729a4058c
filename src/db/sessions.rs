//! Queries on `sessions`: one row per issued app JWT, checked on every (uncached) request.

use super::schema::{sessions, users};
use super::users::{USER_COLUMNS, User, UserRow, from_row, utc};
use super::{DbConn, DbError};
use crate::domain::{ClientInfo, RevokeReason};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::Connection;
use diesel::dsl::Eq;
use diesel::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Browser,
    Api,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Browser => "browser",
            SessionKind::Api => "api",
        }
    }

    /// The stored word back to the kind (the schema allows only the two).
    pub(super) fn parse(raw: &str) -> Self {
        if raw == "api" {
            SessionKind::Api
        } else {
            SessionKind::Browser
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub jti: String,
    pub user_id: i64,
    pub kind: SessionKind,
    /// An API token's name (browser sessions have none).
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub auth_time: DateTime<Utc>,
    pub client: ClientInfo,
}

/// When and why a session was revoked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Revocation {
    pub at: DateTime<Utc>,
    /// `None` for a reason this version does not know.
    pub reason: Option<RevokeReason>,
}

impl Revocation {
    /// The revocation the two columns record, if any.
    pub(super) fn of(at: Option<NaiveDateTime>, reason: Option<&str>) -> Option<Self> {
        at.map(|at| Self {
            at: utc(at),
            reason: reason.and_then(|r| RevokeReason::parse(r).ok()),
        })
    }
}

/// A session row with its user, as the per-request check needs it.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub jti: String,
    pub kind: SessionKind,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub auth_time: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: Option<Revocation>,
    pub user: User,
}

type SessionRow = (
    String,
    String,
    NaiveDateTime,
    NaiveDateTime,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<String>,
);

pub fn insert(conn: &mut DbConn, s: &NewSession) -> Result<(), DbError> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::jti.eq(&s.jti),
            sessions::user_id.eq(s.user_id),
            sessions::kind.eq(s.kind.as_str()),
            sessions::created_at.eq(s.created_at.naive_utc()),
            sessions::expires_at.eq(s.expires_at.naive_utc()),
            sessions::auth_time.eq(s.auth_time.naive_utc()),
            sessions::last_used_at.eq(Some(s.created_at.naive_utc())),
            sessions::user_agent.eq(s.client.user_agent.as_deref()),
            sessions::ip.eq(s.client.ip.as_deref()),
            sessions::name.eq(s.name.as_deref()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The session and its user in one round trip; `None` for an unknown `jti`.
pub fn find_with_user(conn: &mut DbConn, jti: &str) -> Result<Option<SessionRecord>, DbError> {
    let row: Option<(SessionRow, UserRow)> = sessions::table
        .inner_join(users::table)
        .filter(sessions::jti.eq(jti))
        .select((
            (
                sessions::jti,
                sessions::kind,
                sessions::created_at,
                sessions::expires_at,
                sessions::auth_time,
                sessions::last_used_at,
                sessions::revoked_at,
                sessions::revoked_reason,
            ),
            USER_COLUMNS,
        ))
        .first(conn)
        .optional()?;
    let Some((s, u)) = row else { return Ok(None) };
    Ok(Some(SessionRecord {
        jti: s.0,
        kind: SessionKind::parse(&s.1),
        created_at: utc(s.2),
        expires_at: utc(s.3),
        auth_time: utc(s.4),
        last_used_at: s.5.map(utc),
        revoked: Revocation::of(s.6, s.7.as_deref()),
        user: from_row(u)?,
    }))
}

/// Marks `old` rotated and records `new`, atomically. Returns false (and writes nothing) when
/// another request rotated `old` first: the caller then keeps the old token inside its grace.
pub fn rotate(
    conn: &mut DbConn,
    old_jti: &str,
    new: &NewSession,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    conn.transaction(|conn| {
        let changed = diesel::update(
            sessions::table
                .filter(sessions::jti.eq(old_jti))
                .filter(sessions::revoked_at.is_null()),
        )
        .set((
            revoked(RevokeReason::Rotated, now),
            sessions::replaced_by.eq(Some(&new.jti)),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Ok(false);
        }
        insert(conn, new)?;
        Ok(true)
    })
}

/// `jti` with the token it was renewed into and the token it was renewed from. A rotated token
/// is still accepted for a short grace, so right after a renewal both are live credentials of
/// the same sign-in.
pub fn rotation_family(conn: &mut DbConn, jti: &str) -> Result<Vec<String>, DbError> {
    let mut family = vec![jti.to_string()];
    let successor: Option<String> = sessions::table
        .filter(sessions::jti.eq(jti))
        .select(sessions::replaced_by)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten();
    family.extend(successor);
    let predecessors: Vec<String> = sessions::table
        .filter(sessions::replaced_by.eq(jti))
        .select(sessions::jti)
        .load(conn)?;
    family.extend(predecessors);
    Ok(family)
}

/// Revokes one session together with its rotation family (see `rotation_family`): otherwise a
/// logout just after a renewal leaves the other token alive for the rest of its grace, or for
/// good when the logout came with the old token. Rotated rows get the new reason, which ends
/// their grace. Returns whether a row changed.
pub fn revoke(
    conn: &mut DbConn,
    jti: &str,
    reason: RevokeReason,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    // Read before the transaction so that it starts with a write: SQLite cannot upgrade a read
    // transaction to a write one while another writer is busy ("database is locked").
    let family = rotation_family(conn, jti)?;
    conn.transaction(|conn| revoke_family(conn, &family, reason, now))
}

/// The write half of `revoke`, for callers that read the family first and write more in the
/// same transaction (the audit row of a logout or an admin's revocation).
pub fn revoke_family(
    conn: &mut DbConn,
    family: &[String],
    reason: RevokeReason,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let live = diesel::update(
        sessions::table
            .filter(sessions::jti.eq_any(family))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(revoked(reason, now))
    .execute(conn)?;
    let in_grace = diesel::update(
        sessions::table
            .filter(sessions::jti.eq_any(family))
            .filter(sessions::revoked_reason.eq(RevokeReason::Rotated.as_str())),
    )
    .set(sessions::revoked_reason.eq(Some(reason.as_str())))
    .execute(conn)?;
    Ok(live + in_grace > 0)
}

/// Revokes every live session of a user. Returns how many.
pub fn revoke_all_for_user(
    conn: &mut DbConn,
    user_id: i64,
    reason: RevokeReason,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(revoked(reason, now))
    .execute(conn)?)
}

/// The two columns every revocation writes: when, and why.
type Revoked = (
    Eq<sessions::revoked_at, Option<NaiveDateTime>>,
    Eq<sessions::revoked_reason, Option<&'static str>>,
);

fn revoked(reason: RevokeReason, now: DateTime<Utc>) -> Revoked {
    (
        sessions::revoked_at.eq(Some(now.naive_utc())),
        sessions::revoked_reason.eq(Some(reason.as_str())),
    )
}

/// Records use, at most as often as the caller asks (the check is cached, so this is rare).
pub fn touch(conn: &mut DbConn, jti: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    diesel::update(sessions::table.filter(sessions::jti.eq(jti)))
        .set(sessions::last_used_at.eq(Some(now.naive_utc())))
        .execute(conn)?;
    Ok(())
}

pub fn count_for_user(conn: &mut DbConn, user_id: i64) -> Result<i64, DbError> {
    Ok(sessions::table
        .filter(sessions::user_id.eq(user_id))
        .count()
        .get_result(conn)?)
}

/// Live (unrevoked, unexpired) sessions in the whole database.
pub fn count_active(conn: &mut DbConn, now: DateTime<Utc>) -> Result<i64, DbError> {
    Ok(sessions::table
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now.naive_utc()))
        .count()
        .get_result(conn)?)
}
