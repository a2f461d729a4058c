//! What a signed-in person does to their own sessions and tokens: revoke one, sign out
//! everywhere else. Each change and its audit row are one transaction, and this instance forgets
//! the ended checks in the same call.

use super::{CurrentUser, Sessions};
use crate::db::audit::{self, Actor, AuditAction};
use crate::db::sessions::{SessionKind, revoke_family, rotation_family};
use crate::db::{self, DbError, account};
use crate::domain::RevokeReason;

impl Sessions {
    /// Revokes one of the person's own live sessions or API tokens (with its rotation family).
    /// False, with nothing written, when `jti` is not a live one of theirs.
    pub async fn revoke_own(
        &self,
        current: &CurrentUser,
        jti: String,
        ip: Option<String>,
    ) -> Result<bool, DbError> {
        let (id, email) = (current.user().id, current.user().email.clone());
        let now = self.now();
        let done = db::run(&self.pool, move |conn| {
            let Some((kind, name)) = account::own_live(conn, &jti, id)? else {
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
                revoke_family(conn, &family, RevokeReason::Logout, now)?;
                audit::insert(
                    conn,
                    &audit::NewEntry {
                        actor: &Actor::User {
                            id,
                            email: email.clone(),
                        },
                        action,
                        target: Some((id, &email)),
                        detail: Some(&detail),
                        ip: ip.as_deref(),
                        at: now,
                    },
                )
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
        let (id, email, jti) = (
            current.user().id,
            current.user().email.clone(),
            current.jti().to_string(),
        );
        let now = self.now();
        let n = db::run(&self.pool, move |conn| {
            let keep = rotation_family(conn, &jti)?;
            db::transaction(conn, |conn| {
                let n = account::revoke_other_browser_sessions(conn, id, &keep, now)?;
                let detail = format!("{n} session(s) ended");
                audit::insert(
                    conn,
                    &audit::NewEntry {
                        actor: &Actor::User {
                            id,
                            email: email.clone(),
                        },
                        action: AuditAction::SignOutOthers,
                        target: Some((id, &email)),
                        detail: Some(&detail),
                        ip: ip.as_deref(),
                        at: now,
                    },
                )?;
                Ok(n)
            })
        })
        .await?;
        self.forget_user(id);
        Ok(n)
    }
}
