//! Invitations: a user row made before the person's first sign-in (`signin users add`), with
//! `invited` set and no identity, and its claim by the first sign-in whose verified email
//! matches, which attaches that sign-in's identity.

use super::identities;
use super::raw::{self, Arg, Sql};
use super::schema::users;
use super::users::{SignInProfile, USER_COLUMNS, User, UserRow, find_by_id, from_row};
use super::{DbConn, DbError};
use crate::domain::{Email, Role, Status, UserId};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// Inserts the invitation; `None` when a user with this email already exists. An empty `name`
/// takes the provider's at the claim.
pub fn invite(
    conn: &mut DbConn,
    email: &Email,
    name: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<Option<User>, DbError> {
    if super::users::find_by_email(conn, email)?.is_some() {
        return Ok(None);
    }
    let now = now.naive_utc();
    let row: UserRow = diesel::insert_into(users::table)
        .values((
            users::public_id.eq(UserId::generate().as_str()),
            users::email.eq(email.as_str()),
            users::email_verified.eq(false),
            users::name.eq(name),
            users::role.eq(role.as_str()),
            users::status.eq(Status::Active.as_str()),
            users::created_at.eq(now),
            users::updated_at.eq(now),
            users::invited.eq(true),
        ))
        .returning(USER_COLUMNS)
        .get_result(conn)?;
    from_row(row).map(Some)
}

/// Claims the invitation of the signed-in email for its identity, unless that identity
/// already has an account here; keeps the invitation's role (and its name, when one was given).
/// Returns the claimed account, if any. The caller has checked that the provider verified the
/// email; an admin invitation is claimed only when `authoritative` (the provider vouches for the
/// address itself, as `ADMIN_EMAILS` requires). The claim is one guarded `UPDATE … WHERE
/// invited`, so two concurrent first sign-ins claim it once.
pub fn claim(
    conn: &mut DbConn,
    signed_in: &SignInProfile,
    authoritative: bool,
    now: DateTime<Utc>,
) -> Result<Option<User>, DbError> {
    let p = &signed_in.profile;
    if identities::owner(conn, signed_in)?.is_some() {
        return Ok(None);
    }
    let invitation: Option<i64> = users::table
        .filter(users::invited.eq(true))
        .filter(users::email.eq(p.email.as_str()))
        .select(users::id)
        .order(users::id.asc())
        .first(conn)
        .optional()?;
    let Some(id) = invitation else {
        return Ok(None);
    };
    let naive = now.naive_utc();
    let mut q = Sql::new(conn);
    let (no, yes) = if q.is_pg() {
        ("false", "true")
    } else {
        ("0", "1")
    };
    q.push("UPDATE users SET invited = ")
        .push(no)
        .push(", email_verified = ")
        .push(yes)
        .push(", name = CASE WHEN name = '' THEN ")
        .arg(Arg::Text(p.name.clone()))
        .push(" ELSE name END, given_name = ")
        .arg(Arg::OptText(p.given_name.clone()))
        .push(", family_name = ")
        .arg(Arg::OptText(p.family_name.clone()))
        .push(", picture = ")
        .arg(Arg::OptText(p.picture.clone()))
        .push(", locale = ")
        .arg(Arg::OptText(p.locale.clone()))
        .push(", updated_at = ")
        .arg(Arg::Ts(naive))
        .push(", last_login_at = ")
        .arg(Arg::Ts(naive))
        .push(" WHERE invited AND id = ")
        .arg(Arg::Int(id));
    if !authoritative {
        q.push(" AND role <> 'admin'");
    }
    if raw::execute(conn, q)? == 0 {
        return Ok(None);
    }
    if !identities::attach(conn, id, signed_in, now)? {
        // The identity got an account between the look above and now (a concurrent first
        // sign-in): no claim; the caller finds the invitation's address held and refuses,
        // which rolls this update back with its transaction.
        return Ok(None);
    }
    find_by_id(conn, id)
}

/// Whether an unclaimed invitation exists for `email` (it admits the person past the allowlists).
pub fn is_invited(conn: &mut DbConn, email: &Email) -> Result<bool, DbError> {
    let n: i64 = users::table
        .filter(users::invited.eq(true))
        .filter(users::email.eq(email.as_str()))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}
