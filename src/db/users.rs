//! Queries on `users`. An account is found through one of its identities (`db::identities`),
//! never through the email alone.

use super::identities::{self, of_subject};
use super::schema::{identities as identity, users};
use super::{DbConn, DbError};
use crate::domain::{Email, ParseError, Role, Status, UserId};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::Eq;
use diesel::prelude::*;
use serde::Serialize;

/// What a person's provider says about them, as stored on the account and shown on pages. Its
/// fields, in this order and with these names, are also part of `/api/me`'s JSON (flattened).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    pub email: Email,
    pub email_verified: bool,
    pub name: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub picture: Option<String>,
    pub locale: Option<String>,
}

/// A user as the rest of the application sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub public_id: UserId,
    pub profile: Profile,
    pub role: Role,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    /// Invited (`signin users add`) and not yet claimed by a first sign-in.
    pub invited: bool,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn is_active(&self) -> bool {
        self.status == Status::Active
    }
}

/// The columns a `User` is read from, in `UserRow` order (a macro, so that the type and the
/// value are written once).
macro_rules! user_columns {
    () => {
        (
            users::id,
            users::public_id,
            users::email,
            users::email_verified,
            users::name,
            users::given_name,
            users::family_name,
            users::picture,
            users::locale,
            users::role,
            users::status,
            users::created_at,
            users::updated_at,
            users::last_login_at,
            users::invited,
        )
    };
}

pub(super) type UserColumns = user_columns!();
pub(super) const USER_COLUMNS: UserColumns = user_columns!();

pub(super) type UserRow = (
    i64,
    String,
    String,
    bool,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    NaiveDateTime,
    NaiveDateTime,
    Option<NaiveDateTime>,
    bool,
);

pub(super) fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

/// A stored value that is not the domain value it should be: a deserialization error.
pub(super) fn bad_value(what: ParseError) -> DbError {
    DbError::Query(diesel::result::Error::DeserializationError(what.into()))
}

pub(super) fn from_row(r: UserRow) -> Result<User, DbError> {
    Ok(User {
        id: r.0,
        public_id: UserId::parse(&r.1).map_err(bad_value)?,
        profile: Profile {
            email: Email::stored(r.2).map_err(bad_value)?,
            email_verified: r.3,
            name: r.4,
            given_name: r.5,
            family_name: r.6,
            picture: r.7,
            locale: r.8,
        },
        role: Role::parse(&r.9).map_err(bad_value)?,
        status: Status::parse(&r.10).map_err(bad_value)?,
        created_at: utc(r.11),
        updated_at: utc(r.12),
        last_login_at: r.13.map(utc),
        invited: r.14,
    })
}

/// What the provider told us about the person at sign-in: which provider (its key in
/// `PROVIDERS`), their subject there, and their profile.
#[derive(Debug, Clone)]
pub struct SignInProfile {
    pub provider: String,
    pub subject: String,
    pub profile: Profile,
    /// The provider is authoritative for the address (`signin::policy::authoritative`): what
    /// the identity records as its verified address, and all that automatic linking trusts.
    pub vouched: bool,
}

/// The profile's columns as values, for a new user's insert.
#[allow(clippy::type_complexity)]
fn profile_values(
    p: &Profile,
) -> (
    Eq<users::email, &str>,
    Eq<users::email_verified, bool>,
    Eq<users::name, &str>,
    Eq<users::given_name, Option<&str>>,
    Eq<users::family_name, Option<&str>>,
    Eq<users::picture, Option<&str>>,
    Eq<users::locale, Option<&str>>,
) {
    (
        users::email.eq(p.email.as_str()),
        users::email_verified.eq(p.email_verified),
        users::name.eq(p.name.as_str()),
        users::given_name.eq(p.given_name.as_deref()),
        users::family_name.eq(p.family_name.as_deref()),
        users::picture.eq(p.picture.as_deref()),
        users::locale.eq(p.locale.as_deref()),
    )
}

/// Registers a new user or refreshes the account the identity signs in to. `grant_admin` sets
/// the role of a new user only. Returns the user and whether this call created it.
pub fn upsert_on_sign_in(
    conn: &mut DbConn,
    signed_in: &SignInProfile,
    grant_admin: bool,
    now: DateTime<Utc>,
) -> Result<(User, bool), DbError> {
    if let Some(user) = refresh(conn, signed_in, now)? {
        return Ok((user, false));
    }
    let user = insert_new(conn, signed_in, grant_admin, now)?;
    if identities::attach(conn, user.id, signed_in, now)? {
        return Ok((user, true));
    }
    // A concurrent first sign-in of the same subject committed its account first (PostgreSQL
    // waited for it before `attach` did nothing): this one gives its new row back and signs in
    // to that account.
    diesel::delete(users::table.filter(users::id.eq(user.id))).execute(conn)?;
    let user = refresh(conn, signed_in, now)?.ok_or(DbError::Query(diesel::NotFound))?;
    Ok((user, false))
}

/// The account the identity signs in to, refreshed from the profile (one statement), and the
/// identity's last use; `None` when the identity is new here.
fn refresh(
    conn: &mut DbConn,
    signed_in: &SignInProfile,
    now: DateTime<Utc>,
) -> Result<Option<User>, DbError> {
    let p = &signed_in.profile;
    let naive = now.naive_utc();
    // No role: a sign-in never changes the role of a known user (only an admin or the CLI does).
    // An optional claim the provider left out this time keeps the stored value (`None` leaves
    // the column out of the update), as `provider::oidc` keeps it when userinfo omits it.
    let update = (
        users::email.eq(p.email.as_str()),
        users::email_verified.eq(p.email_verified),
        users::name.eq(p.name.as_str()),
        p.given_name.as_deref().map(|v| users::given_name.eq(v)),
        p.family_name.as_deref().map(|v| users::family_name.eq(v)),
        p.picture.as_deref().map(|v| users::picture.eq(v)),
        p.locale.as_deref().map(|v| users::locale.eq(v)),
        users::updated_at.eq(naive),
        users::last_login_at.eq(Some(naive)),
    );
    let owner = of_subject!(signed_in).select(identity::user_id);
    let row: Option<UserRow> = crate::per_backend!(conn, |c| diesel::update(
        users::table.filter(users::id.eq_any(owner))
    )
    .set(update)
    .returning(USER_COLUMNS)
    .get_result(c)
    .optional())?;
    let Some(row) = row else {
        return Ok(None);
    };
    identities::touch(conn, signed_in, now)?;
    from_row(row).map(Some)
}

/// A new account from the profile (its identity is attached by the caller).
fn insert_new(
    conn: &mut DbConn,
    signed_in: &SignInProfile,
    grant_admin: bool,
    now: DateTime<Utc>,
) -> Result<User, DbError> {
    let now = now.naive_utc();
    let role = if grant_admin { Role::Admin } else { Role::User };
    let row: UserRow = diesel::insert_into(users::table)
        .values((
            users::public_id.eq(UserId::generate().as_str()),
            profile_values(&signed_in.profile),
            users::role.eq(role.as_str()),
            users::status.eq(Status::Active.as_str()),
            users::created_at.eq(now),
            users::updated_at.eq(now),
            users::last_login_at.eq(Some(now)),
        ))
        .returning(USER_COLUMNS)
        .get_result(conn)?;
    from_row(row)
}

/// Another account (one this identity does not sign in to) that holds `email` now: a sign-in
/// must not take it over by the address alone.
pub fn email_held_by_other(
    conn: &mut DbConn,
    email: &Email,
    signed_in: &SignInProfile,
) -> Result<Option<User>, DbError> {
    let mine = of_subject!(signed_in).select(identity::user_id);
    let q = users::table
        .filter(users::email.eq(email.as_str()))
        .filter(users::id.ne_all(mine));
    first_user(conn, q.into_boxed())
}

/// An account other than `user_id` that holds `email` now (linking must not make a second
/// way into an address another account uses).
pub fn email_held_by_other_than(
    conn: &mut DbConn,
    email: &Email,
    user_id: i64,
) -> Result<Option<User>, DbError> {
    let q = users::table
        .filter(users::email.eq(email.as_str()))
        .filter(users::id.ne(user_id));
    first_user(conn, q.into_boxed())
}

pub fn find_by_id(conn: &mut DbConn, id: i64) -> Result<Option<User>, DbError> {
    first_user(conn, users::table.filter(users::id.eq(id)).into_boxed())
}

pub fn find_by_public_id(conn: &mut DbConn, id: &UserId) -> Result<Option<User>, DbError> {
    let q = users::table.filter(users::public_id.eq(id.as_str()));
    first_user(conn, q.into_boxed())
}

pub fn find_by_email(conn: &mut DbConn, email: &Email) -> Result<Option<User>, DbError> {
    let q = users::table.filter(users::email.eq(email.as_str()));
    first_user(conn, q.into_boxed())
}

/// The user an admin names by public id or email (the audit log's user filter), if any.
pub fn find_by_id_or_email(conn: &mut DbConn, typed: &str) -> Result<Option<User>, DbError> {
    if let Ok(pid) = UserId::parse(typed) {
        find_by_public_id(conn, &pid)
    } else if let Ok(e) = Email::parse(typed) {
        find_by_email(conn, &e)
    } else {
        Ok(None)
    }
}

/// The lowest-id user `query` finds (the lookups above differ only in their filter).
fn first_user(
    conn: &mut DbConn,
    query: users::BoxedQuery<'_, <DbConn as Connection>::Backend>,
) -> Result<Option<User>, DbError> {
    let row: Option<UserRow> = query
        .order(users::id.asc())
        .select(USER_COLUMNS)
        .first(conn)
        .optional()?;
    row.map(from_row).transpose()
}

pub fn count(conn: &mut DbConn) -> Result<i64, DbError> {
    Ok(users::table.count().get_result(conn)?)
}
