//! What a signed-in person does to their own sessions and tokens: revoke one, sign out
//! everywhere else. Each change and its audit row are one transaction, and this instance forgets
//! the ended checks in the same call.

use super::{CurrentUser, Sessions};
use crate::db::audit::{self, Actor, AuditAction};
use crate::db::sessions::{SessionKind, revoke_family, rotation_family};
use crate::db::{self, DbConn, DbError, account};
use crate::domain::{Email, RevokeReason};
use chrono::{DateTime, Utc};

/// Who changes their own account, from where and when: each change writes its audit row
/// through `audit`, with the person as both actor and target.
struct OwnChange {
    id: i64,
    email: Email,
    ip: Option<String>,
    at: DateTime<Utc>,
}

impl OwnChange {
    fn audit(&self, conn: &mut DbConn, action: AuditAction, detail: &str) -> Result<(), DbError> {
        let actor = Actor::User {
            id: self.id,
            email: self.email.clone(),
        };
        audit::insert(
            conn,
            &audit::NewEntry {
                actor: &actor,
                action,
                target: Some((self.id, &self.email)),
                detail: Some(detail),
                ip: self.ip.as_deref(),
                at: self.at,
            },
        )
    }
}

impl Sessions {
    /// Revokes one of the person's own live sessions or API tokens (with its rotation family).
    /// False, with nothing written, when `jti` is not a live one of theirs.
    pub async fn revoke_own(
        &self,
        current: &CurrentUser,
        jti: String,
        ip: Option<String>,
    ) -> Result<bool, DbError> {
        let who = self.own_change(current, ip);
        let id = who.id;
        let done = db::run(&self.pool, move |conn| {
            let Some((kind, name)) = account::own_live(conn, &jti, who.id)? else {
                return Ok(false);
            };
            let family = rotation_family(conn, &jti)?;
            let (action, detail) = match kind {
                SessionKind::Api => (
                    AuditAction::RevokeApiToken,
                    format!("token \"{}\"", name.unwrap_or_default()),
                ),
                SessionKind::Browser => (
                    AuditAction::RevokeSession,
                    format!("own session {}…", jti.chars().take(8).collect::<String>()),
                ),
            };
            db::transaction(conn, |conn| {
                revoke_family(conn, &family, RevokeReason::Logout, who.at)?;
                who.audit(conn, action, &detail)
            })?;
            Ok(true)
        })
        .await?;
        self.forget_user(id);
        Ok(done)
    }

    /// Ends every other browser session of the person, keeping the one in use (and its
    /// rotation family); API tokens are not touched. Returns how many ended.
    pub async fn sign_out_others(
        &self,
        current: &CurrentUser,
        ip: Option<String>,
    ) -> Result<usize, DbError> {
        let jti = current.jti().to_string();
        let who = self.own_change(current, ip);
        let id = who.id;
        let n = db::run(&self.pool, move |conn| {
            let keep = rotation_family(conn, &jti)?;
            db::transaction(conn, |conn| {
                let n = account::revoke_other_browser_sessions(conn, who.id, &keep, who.at)?;
                who.audit(
                    conn,
                    AuditAction::SignOutOthers,
                    &format!("{n} session(s) ended"),
                )?;
                Ok(n)
            })
        })
        .await?;
        self.forget_user(id);
        Ok(n)
    }

    fn own_change(&self, current: &CurrentUser, ip: Option<String>) -> OwnChange {
        OwnChange {
            id: current.user().id,
            email: current.user().profile.email.clone(),
            ip,
            at: self.now(),
        }
    }
}
