//! The admin rules and actions, shared by the web pages and the command line: each action and
//! its audit row are written in one transaction; the self and last-admin rules are checked
//! inside it.

mod delete;
pub mod filters;

pub use delete::{delete_user, pseudonym};

use crate::db::audit::{self, Actor, AuditAction, NewEntry};
use crate::db::roles::{self, UserChange, count_active_admins, lock_for_removal};
use crate::db::sessions::{revoke_all_for_user, revoke_family, rotation_family};
use crate::db::user_sessions::session_belongs_to;
use crate::db::users::{User, find_by_id};
use crate::db::{DbConn, DbError, transaction};
use crate::domain::{RevokeReason, Role, Status};
use crate::i18n::Msg;
use chrono::{DateTime, Utc};

/// What an admin (or the CLI) can do to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Disable,
    Enable,
    Promote,
    Demote,
    /// Revoke one session, by its `jti`.
    RevokeSession(String),
    RevokeAllSessions,
}

impl Action {
    fn audit(&self) -> AuditAction {
        match self {
            Action::Disable => AuditAction::Disable,
            Action::Enable => AuditAction::Enable,
            Action::Promote => AuditAction::Promote,
            Action::Demote => AuditAction::Demote,
            Action::RevokeSession(_) => AuditAction::RevokeSession,
            Action::RevokeAllSessions => AuditAction::RevokeAllSessions,
        }
    }

    /// True for the actions that take a user out of the active admins.
    fn removes(&self) -> bool {
        matches!(self, Action::Disable | Action::Demote)
    }
}

/// How a role or status change reads after the email: done, or already so.
fn change_text(change: UserChange, changed: bool) -> &'static str {
    match (change, changed) {
        (UserChange::Status(Status::Disabled), true) => "flash.disabled",
        (UserChange::Status(Status::Disabled), false) => "flash.already_disabled",
        (UserChange::Status(Status::Active), true) => "flash.enabled",
        (UserChange::Status(Status::Active), false) => "flash.already_active",
        (UserChange::Role(Role::Admin), true) => "flash.promoted",
        (UserChange::Role(Role::Admin), false) => "flash.already_admin",
        (UserChange::Role(Role::User), true) => "flash.demoted",
        (UserChange::Role(Role::User), false) => "flash.not_admin",
    }
}

/// Why an action was not done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("you cannot demote or disable your own account")]
    SelfAction,
    #[error("this is the last active admin; promote someone else first")]
    LastAdmin,
    #[error("that session does not exist or has already ended")]
    NoSuchSession,
    #[error("that user no longer exists")]
    NoSuchUser,
}

/// What happened, for the flash message or the CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// False when the user was already in the asked-for state (nothing written, no audit row).
    pub changed: bool,
    pub message: Msg,
}

/// What ends the transaction early: a refusal (rolled back, answered) or a database error.
#[derive(Debug, thiserror::Error)]
enum TxError {
    #[error(transparent)]
    Refused(Refusal),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What an action wrote, before its audit row.
struct Done {
    changed: bool,
    detail: Option<String>,
    message: Msg,
}

/// Performs `action` on `target` as `actor`, with its audit row, in one transaction.
/// The caller drops cached session checks of the target afterwards.
pub fn perform(
    conn: &mut DbConn,
    actor: &Actor,
    target: &User,
    action: &Action,
    ip: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Result<Outcome, Refusal>, DbError> {
    let is_self = matches!(actor, Actor::User { id, .. } if *id == target.id);
    if is_self && action.removes() {
        return Ok(Err(Refusal::SelfAction));
    }
    // A session goes with its rotation family (a token just renewed and its predecessor still
    // in its grace), read before the transaction so that the transaction starts with a write.
    let family = match action {
        Action::RevokeSession(jti) => {
            if !session_belongs_to(conn, jti, target.id)? {
                return Ok(Err(Refusal::NoSuchSession));
            }
            rotation_family(conn, jti)?
        }
        _ => Vec::new(),
    };
    let r = transaction(conn, |conn| {
        // The last-admin rule is decided on the target as it is inside this transaction, never
        // on the copy the caller read before it: a promote or enable that committed meanwhile
        // must not let a removal skip the lock and the count.
        let fresh;
        let target = if action.removes() {
            lock_for_removal(conn, target.id)?;
            fresh = find_by_id(conn, target.id)?.ok_or(TxError::Refused(Refusal::NoSuchUser))?;
            &fresh
        } else {
            target
        };
        let removes_admin =
            action.removes() && target.role == Role::Admin && target.status == Status::Active;
        let done = match action {
            Action::Disable => set(conn, target, UserChange::Status(Status::Disabled), now)?,
            Action::Enable => set(conn, target, UserChange::Status(Status::Active), now)?,
            Action::Promote => set(conn, target, UserChange::Role(Role::Admin), now)?,
            Action::Demote => set(conn, target, UserChange::Role(Role::User), now)?,
            Action::RevokeSession(jti) => {
                if !revoke_family(conn, &family, RevokeReason::Admin, now)? {
                    return Err(TxError::Refused(Refusal::NoSuchSession));
                }
                let short: String = jti.chars().take(8).collect();
                Done {
                    changed: true,
                    detail: Some(format!("session {short}…")),
                    message: Msg::new("flash.session_revoked"),
                }
            }
            Action::RevokeAllSessions => {
                let n = revoke_all_for_user(conn, target.id, RevokeReason::Admin, now)?;
                Done {
                    changed: n > 0,
                    detail: Some(format!("{n} session(s) ended")),
                    message: Msg::new("flash.sessions_revoked")
                        .arg("count", n)
                        .arg("email", &target.profile.email),
                }
            }
        };
        // Counted after the write, with the admins' rows locked above (PostgreSQL) or the
        // database's one write lock held since the first statement (SQLite).
        if removes_admin && done.changed && count_active_admins(conn)? == 0 {
            return Err(TxError::Refused(Refusal::LastAdmin));
        }
        if done.changed {
            audit::insert(
                conn,
                &NewEntry {
                    actor,
                    action: action.audit(),
                    target: Some((target.id, &target.profile.email)),
                    detail: done.detail.as_deref(),
                    ip,
                    at: now,
                },
            )?;
        }
        Ok(Outcome {
            changed: done.changed,
            message: done.message,
        })
    });
    match r {
        Ok(o) => Ok(Ok(o)),
        Err(TxError::Refused(why)) => Ok(Err(why)),
        Err(TxError::Db(e)) => Err(e),
    }
}

/// Sets a role or status; disabling also ends every session of the user.
fn set(
    conn: &mut DbConn,
    target: &User,
    change: UserChange,
    now: DateTime<Utc>,
) -> Result<Done, DbError> {
    let changed = roles::apply(conn, target.id, change, now)?;
    let detail = if change == UserChange::Status(Status::Disabled) && changed {
        let n = revoke_all_for_user(conn, target.id, RevokeReason::Disabled, now)?;
        Some(format!("{n} session(s) ended"))
    } else {
        None
    };
    Ok(Done {
        changed,
        detail,
        message: Msg::new(change_text(change, changed)).arg("email", &target.profile.email),
    })
}
