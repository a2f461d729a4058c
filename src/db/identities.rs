//! Queries on `identities`: the ways into an account, one provider subject each (unique per
//! provider). A sign-in finds its account through the identity, never through the email alone.

use super::raw;
use super::schema::identities;
use super::users::{SignInProfile, utc};
use super::{DbConn, DbError};
use crate::domain::Email;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

/// One identity of an account, as its page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkedIdentity {
    pub id: i64,
    /// The provider's key in `PROVIDERS` (`google`, …).
    pub provider: String,
    pub subject: String,
    /// What the provider said at the identity's last use.
    pub email: Option<Email>,
    /// The provider verified the address and is authoritative for it.
    pub email_verified: bool,
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

type IdentityRow = (
    i64,
    String,
    String,
    Option<String>,
    bool,
    Option<String>,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

fn from_row(r: IdentityRow) -> LinkedIdentity {
    LinkedIdentity {
        id: r.0,
        provider: r.1,
        subject: r.2,
        // A stored address that no longer parses is shown as none rather than failing the page.
        email: r.3.and_then(|e| Email::stored(e).ok()),
        email_verified: r.4,
        name: r.5,
        created_at: utc(r.6),
        last_used_at: r.7.map(utc),
    }
}

/// The `identities` rows of one provider subject (at most one).
macro_rules! of_subject {
    ($signed_in:expr) => {
        $crate::db::schema::identities::table
            .filter($crate::db::schema::identities::provider.eq($signed_in.provider.as_str()))
            .filter($crate::db::schema::identities::subject.eq($signed_in.subject.as_str()))
    };
}
pub(super) use of_subject;

/// The account a provider subject signs in to, if any.
pub fn owner(conn: &mut DbConn, signed_in: &SignInProfile) -> Result<Option<i64>, DbError> {
    Ok(of_subject!(signed_in)
        .select(identities::user_id)
        .first(conn)
        .optional()?)
}

/// Links the subject to `user_id`, used now. `false` when the subject already belongs to an
/// account (on PostgreSQL, after waiting for a concurrent sign-in that inserted it to commit).
pub fn attach(
    conn: &mut DbConn,
    user_id: i64,
    signed_in: &SignInProfile,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let now = now.naive_utc();
    let p = &signed_in.profile;
    let values = (
        identities::user_id.eq(user_id),
        identities::provider.eq(signed_in.provider.as_str()),
        identities::subject.eq(signed_in.subject.as_str()),
        identities::email.eq(Some(p.email.as_str())),
        identities::email_verified.eq(signed_in.vouched),
        identities::name.eq(Some(p.name.as_str())),
        identities::picture.eq(p.picture.as_deref()),
        identities::created_at.eq(now),
        identities::last_used_at.eq(Some(now)),
    );
    let inserted = crate::per_backend!(conn, |c| diesel::insert_into(identities::table)
        .values(values)
        .on_conflict((identities::provider, identities::subject))
        .do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// Records a sign-in through the identity: what the provider says now, and when.
pub fn touch(
    conn: &mut DbConn,
    signed_in: &SignInProfile,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let p = &signed_in.profile;
    diesel::update(of_subject!(signed_in))
        .set((
            identities::email.eq(Some(p.email.as_str())),
            identities::email_verified.eq(signed_in.vouched),
            identities::name.eq(Some(p.name.as_str())),
            p.picture.as_deref().map(|v| identities::picture.eq(v)),
            identities::last_used_at.eq(Some(now.naive_utc())),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether an identity of the account `user_id` vouched for `email` at its last use: its
/// provider verified the address and is authoritative for it (a Naver, Kakao or untrusted
/// `oidc` address never counts).
pub fn verified_address(conn: &mut DbConn, user_id: i64, email: &Email) -> Result<bool, DbError> {
    let n: i64 = identities::table
        .filter(identities::user_id.eq(user_id))
        .filter(identities::email.eq(email.as_str()))
        .filter(identities::email_verified.eq(true))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// An account's identities, oldest first.
pub fn of_user(conn: &mut DbConn, user_id: i64) -> Result<Vec<LinkedIdentity>, DbError> {
    let rows: Vec<IdentityRow> = identities::table
        .filter(identities::user_id.eq(user_id))
        .order(identities::id.asc())
        .select((
            identities::id,
            identities::provider,
            identities::subject,
            identities::email,
            identities::email_verified,
            identities::name,
            identities::created_at,
            identities::last_used_at,
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// What a removal did.
#[derive(Debug, Clone, PartialEq)]
pub enum Unlinked {
    Removed(LinkedIdentity),
    /// The account's only way in stays.
    Last,
    /// No such identity on this account.
    NotFound,
}

/// Removes one of the account's identities unless it is the last; inside the caller's
/// transaction, with the account's row locked first, so that two removals at once cannot
/// leave it with none.
pub fn unlink(conn: &mut DbConn, user_id: i64, identity_id: i64) -> Result<Unlinked, DbError> {
    raw::lock_users(conn, "FALSE", user_id)?;
    let mine = of_user(conn, user_id)?;
    let Some(target) = mine.iter().find(|i| i.id == identity_id).cloned() else {
        return Ok(Unlinked::NotFound);
    };
    if mine.len() < 2 {
        return Ok(Unlinked::Last);
    }
    diesel::delete(
        identities::table
            .filter(identities::id.eq(identity_id))
            .filter(identities::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(Unlinked::Removed(target))
}
