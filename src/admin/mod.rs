//! The admin rules and actions, shared by the web pages and the command line: each action and
//! its audit row are written in one transaction; the self and last-admin rules are checked
//! inside it.

use crate::db::admin::{self as q, count_active_admins, lock_active_admins};
use crate::db::audit::{self, Actor, AuditAction, NewEntry};
use crate::db::sessions::revoke_all_for_user;
use crate::db::users::User;
use crate::db::{DbConn, DbError, transaction};
use crate::domain::{RevokeReason, Role, Status};
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
}

/// What happened, for the flash message or the CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// False when the user was already in the asked-for state (nothing written, no audit row).
    pub changed: bool,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
enum TxError {
    #[error(transparent)]
    Refused(Refusal),
    #[error(transparent)]
    Db(#[from] DbError),
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
    if is_self && matches!(action, Action::Disable | Action::Demote) {
        return Ok(Err(Refusal::SelfAction));
    }
    // A session goes with its rotation family (a token just renewed and its predecessor still
    // in its grace), read before the transaction so that the transaction starts with a write.
    let family = match action {
        Action::RevokeSession(jti) => {
            if !q::session_belongs_to(conn, jti, target.id)? {
                return Ok(Err(Refusal::NoSuchSession));
            }
            crate::db::sessions::rotation_family(conn, jti)?
        }
        _ => Vec::new(),
    };
    let r = transaction(conn, |conn| {
        let removes_admin = matches!(action, Action::Disable | Action::Demote)
            && target.role == Role::Admin
            && target.status == Status::Active;
        if removes_admin {
            lock_active_admins(conn)?;
        }
        let (changed, detail, message) = match action {
            Action::Disable => {
                let changed = q::set_status(conn, target.id, Status::Disabled, now)?;
                let n = if changed {
                    revoke_all_for_user(conn, target.id, RevokeReason::Disabled, now)?
                } else {
                    0
                };
                (
                    changed,
                    Some(format!("{n} session(s) ended")),
                    if changed {
                        format!("{} is disabled and signed out everywhere.", target.email)
                    } else {
                        format!("{} was already disabled.", target.email)
                    },
                )
            }
            Action::Enable => {
                let changed = q::set_status(conn, target.id, Status::Active, now)?;
                (
                    changed,
                    None,
                    if changed {
                        format!("{} can sign in again.", target.email)
                    } else {
                        format!("{} was already active.", target.email)
                    },
                )
            }
            Action::Promote => {
                let changed = q::set_role(conn, target.id, Role::Admin, now)?;
                (
                    changed,
                    None,
                    if changed {
                        format!("{} is now an admin.", target.email)
                    } else {
                        format!("{} was already an admin.", target.email)
                    },
                )
            }
            Action::Demote => {
                let changed = q::set_role(conn, target.id, Role::User, now)?;
                (
                    changed,
                    None,
                    if changed {
                        format!("{} is no longer an admin.", target.email)
                    } else {
                        format!("{} was not an admin.", target.email)
                    },
                )
            }
            Action::RevokeSession(jti) => {
                let changed =
                    crate::db::sessions::revoke_family(conn, &family, RevokeReason::Admin, now)?;
                if !changed {
                    return Err(TxError::Refused(Refusal::NoSuchSession));
                }
                let short: String = jti.chars().take(8).collect();
                (
                    true,
                    Some(format!("session {short}…")),
                    "The session was revoked.".to_string(),
                )
            }
            Action::RevokeAllSessions => {
                let n = revoke_all_for_user(conn, target.id, RevokeReason::Admin, now)?;
                (
                    n > 0,
                    Some(format!("{n} session(s) ended")),
                    format!("{n} session(s) of {} revoked.", target.email),
                )
            }
        };
        // Written before counting: on SQLite the write takes the lock that orders concurrent
        // removals; on PostgreSQL the admins' rows are locked above.
        if removes_admin && changed && count_active_admins(conn)? == 0 {
            return Err(TxError::Refused(Refusal::LastAdmin));
        }
        if changed {
            audit::insert(
                conn,
                &NewEntry {
                    actor,
                    action: action.audit(),
                    target: Some((target.id, &target.email)),
                    detail: detail.as_deref(),
                    ip,
                    at: now,
                },
            )?;
        }
        Ok(Outcome { changed, message })
    });
    match r {
        Ok(o) => Ok(Ok(o)),
        Err(TxError::Refused(why)) => Ok(Err(why)),
        Err(TxError::Db(e)) => Err(e),
    }
}
