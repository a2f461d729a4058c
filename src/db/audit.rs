//! Queries on `audit_log`: one row per admin or CLI action, sign-in, sign-out and refused
//! sign-in, inserted by the caller inside the transaction of the change it records.

use super::raw::{self, Arg, Sql};
use super::schema::audit_log;
use super::users::{bad_value, utc};
use super::{DbConn, DbError};
use crate::domain::{Email, UserId};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

/// What happened. Stored as the `as_str` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    SignIn,
    SignOut,
    SignInRefused,
    Disable,
    Enable,
    Promote,
    Demote,
    RevokeSession,
    RevokeAllSessions,
    CreateApiToken,
    RevokeApiToken,
    /// A person ended all their other browser sessions.
    SignOutOthers,
    DeleteUser,
    /// An admin downloaded the user list or the audit log (personal data leaving the service).
    Export,
    /// Another way to sign in was added to an account (its detail: the provider's key).
    LinkIdentity,
    /// A way to sign in was removed from an account, by its owner or an admin.
    UnlinkIdentity,
}

impl AuditAction {
    pub const ALL: [AuditAction; 16] = [
        AuditAction::SignIn,
        AuditAction::SignOut,
        AuditAction::SignInRefused,
        AuditAction::Disable,
        AuditAction::Enable,
        AuditAction::Promote,
        AuditAction::Demote,
        AuditAction::RevokeSession,
        AuditAction::RevokeAllSessions,
        AuditAction::CreateApiToken,
        AuditAction::RevokeApiToken,
        AuditAction::SignOutOthers,
        AuditAction::DeleteUser,
        AuditAction::Export,
        AuditAction::LinkIdentity,
        AuditAction::UnlinkIdentity,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignIn => "sign_in",
            AuditAction::SignOut => "sign_out",
            AuditAction::SignInRefused => "sign_in_refused",
            AuditAction::Disable => "disable",
            AuditAction::Enable => "enable",
            AuditAction::Promote => "promote",
            AuditAction::Demote => "demote",
            AuditAction::RevokeSession => "revoke_session",
            AuditAction::RevokeAllSessions => "revoke_all_sessions",
            AuditAction::CreateApiToken => "create_api_token",
            AuditAction::RevokeApiToken => "revoke_api_token",
            AuditAction::SignOutOthers => "sign_out_others",
            AuditAction::DeleteUser => "delete_user",
            AuditAction::Export => "export",
            AuditAction::LinkIdentity => "link_identity",
            AuditAction::UnlinkIdentity => "unlink_identity",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }
}

/// Who did it: a signed-in user, the command line, the configuration (`ADMIN_EMAILS` at a
/// first sign-in), or nobody known (a refused sign-in).
#[derive(Debug, Clone)]
pub enum Actor {
    User {
        id: i64,
        email: Email,
    },
    Cli,
    Config,
    /// `serve --dev`: the first person to sign in becomes the admin.
    DevMode,
    Anonymous,
    /// A deleted user, by the pseudonym that replaced their email.
    Pseudonym(String),
}

impl Actor {
    /// The user `user`, acting as themselves.
    pub fn user(user: &super::users::User) -> Self {
        Actor::User {
            id: user.id,
            email: user.profile.email.clone(),
        }
    }

    fn id(&self) -> Option<i64> {
        match self {
            Actor::User { id, .. } => Some(*id),
            _ => None,
        }
    }

    fn label(&self) -> &str {
        match self {
            Actor::User { email, .. } => email.as_str(),
            Actor::Cli => "cli",
            Actor::Config => "config",
            Actor::DevMode => DEV_MODE_LABEL,
            Actor::Anonymous => "anonymous",
            Actor::Pseudonym(p) => p,
        }
    }
}

/// The actor label of the development mode's grant, and its detail.
pub const DEV_MODE_LABEL: &str = "development mode";
pub const DEV_FIRST_ADMIN: &str = "first sign-in to a development server";

/// One entry to write.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub actor: &'a Actor,
    pub action: AuditAction,
    /// The user acted on (id, email as it is now); `None` for a refused sign-in of no one known.
    pub target: Option<(i64, &'a Email)>,
    pub detail: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub at: DateTime<Utc>,
}

/// Inserts the entry and returns its row id (for `set_detail`).
pub fn insert_returning_id(conn: &mut DbConn, e: &NewEntry<'_>) -> Result<i64, DbError> {
    Ok(diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(e.at.naive_utc()),
            audit_log::actor_id.eq(e.actor.id()),
            audit_log::actor_label.eq(e.actor.label()),
            audit_log::action.eq(e.action.as_str()),
            audit_log::target_id.eq(e.target.map(|t| t.0)),
            audit_log::target_label.eq(e.target.map(|t| t.1.as_str())),
            audit_log::detail.eq(e.detail),
            audit_log::ip.eq(e.ip),
        ))
        .returning(audit_log::id)
        .get_result(conn)?)
}

/// Rewrites one row's detail (the running count of a bounded refusal row).
pub fn set_detail(conn: &mut DbConn, id: i64, detail: &str) -> Result<(), DbError> {
    diesel::update(audit_log::table.filter(audit_log::id.eq(id)))
        .set(audit_log::detail.eq(detail))
        .execute(conn)?;
    Ok(())
}

pub fn insert(conn: &mut DbConn, e: &NewEntry<'_>) -> Result<(), DbError> {
    insert_returning_id(conn, e).map(|_| ())
}

/// The audit row of a deleted account: its target is named by the pseudonym only.
pub fn insert_deletion(
    conn: &mut DbConn,
    actor: &Actor,
    pseudonym: &str,
    ip: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(at.naive_utc()),
            audit_log::actor_id.eq(actor.id()),
            audit_log::actor_label.eq(actor.label()),
            audit_log::action.eq(AuditAction::DeleteUser.as_str()),
            audit_log::target_id.eq(None::<i64>),
            audit_log::target_label.eq(Some(pseudonym)),
            audit_log::detail.eq(Some("account deleted")),
            audit_log::ip.eq(ip),
        ))
        .execute(conn)?;
    Ok(())
}

/// An entry as the audit page shows it, with the public ids of the users it names (if they
/// still exist) for links.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: Party,
    /// As stored: an action this version does not know still shows.
    pub action: String,
    pub target: Option<Party>,
    pub detail: Option<String>,
    pub ip: Option<String>,
}

/// Whom an entry names as its actor or its target: the label written with it, and the account's
/// public id while the account exists.
#[derive(Debug, Clone, PartialEq)]
pub struct Party {
    pub label: String,
    pub public_id: Option<UserId>,
}

#[derive(diesel::QueryableByName)]
struct EntryRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Timestamp)]
    at: NaiveDateTime,
    #[diesel(sql_type = Text)]
    actor_label: String,
    #[diesel(sql_type = Nullable<Text>)]
    actor_public_id: Option<String>,
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = Nullable<Text>)]
    target_label: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    target_public_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    detail: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    ip: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub action: Option<AuditAction>,
    /// Entries where this user (row id) is the actor or the target.
    pub user_id: Option<i64>,
}

/// Which way to page from a cursor (an entry id).
#[derive(Debug, Clone, Copy)]
pub enum Page {
    First,
    /// Older than this id (the "next" page).
    Before(i64),
    /// Newer than this id (the "previous" page).
    After(i64),
}

/// The entries' columns and the filter, up to `WHERE …` (more conditions may follow).
fn select_filtered(conn: &DbConn, filter: &Filter) -> Sql {
    let mut q = Sql::new(conn);
    q.push(
        "SELECT l.id, l.at, l.actor_label, a.public_id AS actor_public_id, l.action, \
         l.target_label, t.public_id AS target_public_id, l.detail, l.ip \
         FROM audit_log l \
         LEFT JOIN users a ON a.id = l.actor_id \
         LEFT JOIN users t ON t.id = l.target_id WHERE 1 = 1",
    );
    if let Some(action) = filter.action {
        q.push(" AND l.action = ")
            .arg(Arg::Text(action.as_str().into()));
    }
    if let Some(uid) = filter.user_id {
        q.push(" AND (l.actor_id = ")
            .arg(Arg::Int(uid))
            .push(" OR l.target_id = ")
            .arg(Arg::Int(uid))
            .push(")");
    }
    q
}

fn entries(rows: Vec<EntryRow>) -> Result<Vec<Entry>, DbError> {
    let public_id = |raw: Option<String>| -> Result<Option<UserId>, DbError> {
        raw.map(|s| UserId::parse(&s))
            .transpose()
            .map_err(bad_value)
    };
    rows.into_iter()
        .map(|r| {
            Ok(Entry {
                id: r.id,
                at: utc(r.at),
                actor: Party {
                    label: r.actor_label,
                    public_id: public_id(r.actor_public_id)?,
                },
                action: r.action,
                target: match r.target_label {
                    Some(label) => Some(Party {
                        label,
                        public_id: public_id(r.target_public_id)?,
                    }),
                    None => None,
                },
                detail: r.detail,
                ip: r.ip,
            })
        })
        .collect()
}

/// The export's batch: up to `limit` entries the filter matches, oldest first, after the entry
/// `after_id` (a keyset walk over the primary key).
pub fn export_batch(
    conn: &mut DbConn,
    filter: &Filter,
    after_id: i64,
    limit: i64,
) -> Result<Vec<Entry>, DbError> {
    let mut q = select_filtered(conn, filter);
    q.push(" AND l.id > ")
        .arg(Arg::Int(after_id))
        .push(" ORDER BY l.id ASC LIMIT ")
        .arg(Arg::Int(limit));
    entries(raw::load(conn, q)?)
}

/// Up to `limit` entries, newest first, plus whether more exist beyond them in the paging
/// direction.
pub fn list(
    conn: &mut DbConn,
    filter: &Filter,
    page: Page,
    limit: i64,
) -> Result<(Vec<Entry>, bool), DbError> {
    let mut q = select_filtered(conn, filter);
    let ascending = match page {
        Page::First => false,
        Page::Before(id) => {
            q.push(" AND l.id < ").arg(Arg::Int(id));
            false
        }
        Page::After(id) => {
            q.push(" AND l.id > ").arg(Arg::Int(id));
            true
        }
    };
    q.push(if ascending {
        " ORDER BY l.id ASC"
    } else {
        " ORDER BY l.id DESC"
    });
    q.push(" LIMIT ").arg(Arg::Int(limit + 1));
    let mut rows: Vec<EntryRow> = raw::load(conn, q)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    if ascending {
        rows.reverse();
    }
    Ok((entries(rows)?, more))
}

/// How many entries record `action` about `target_id` (tests and the CLI's checks).
pub fn count_for(conn: &mut DbConn, action: AuditAction, target_id: i64) -> Result<i64, DbError> {
    Ok(audit_log::table
        .filter(audit_log::action.eq(action.as_str()))
        .filter(audit_log::target_id.eq(target_id))
        .count()
        .get_result(conn)?)
}
