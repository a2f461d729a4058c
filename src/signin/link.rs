//! Another way into an account: linked by its owner from the account page (a flow of its own
//! whose callback adds the identity only while that account is still the one signed in), and
//! removed by the owner or an admin as long as one remains. Every link, removal and refusal is
//! audited.

use super::{
    Arrival, PendingLogin, Refusal, SignIn, SignInError, UsedState, audit_about, sign_in_profile,
};
use crate::db::identities::{self, Unlinked};
use crate::db::users::{self, User};
use crate::db::{self, DbError, audit, signin_states};
use crate::paths;
use url::Url;

/// How long after signing in a person may add a way to sign in: a session found or stolen
/// later cannot turn itself into a lasting way in without its owner signing in again.
pub const LINK_WITHIN: chrono::Duration = chrono::Duration::hours(1);

/// Whether a session that signed in at `auth_time` may start a link flow at `now`.
pub fn may_link(
    auth_time: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    now - auth_time <= LINK_WITHIN
}

/// A completed link flow.
#[derive(Debug)]
pub struct Linked {
    /// The provider's key.
    pub provider: String,
    /// The identity was this account's already (nothing new, its last use recorded).
    pub already: bool,
}

impl SignIn {
    /// A link flow with the provider `key` for the signed-in account `user_id`, which comes
    /// back to the account page; `None` when no such provider is enabled.
    pub fn begin_link(&self, key: &str, user_id: i64) -> Option<(PendingLogin, Url)> {
        let (mut pending, url) = self.begin(key, Some(paths::ACCOUNT), None)?;
        pending.link_to = Some(user_id);
        Some((pending, url))
    }

    /// Completes at the callback the link flow `at.pending`, for `signed_in` (the account
    /// signed in now, which must be the one that began it). The identity is added unless it
    /// belongs to another account, or its verified email is another account's.
    pub async fn link(
        &self,
        at: Arrival<'_>,
        signed_in: Option<&User>,
    ) -> Result<Linked, SignInError> {
        let ip = at.client.ip.clone();
        let result = self.link_inner(at, signed_in).await;
        self.recorded(result, ip).await
    }

    async fn link_inner(
        &self,
        at: Arrival<'_>,
        signed_in: Option<&User>,
    ) -> Result<Linked, SignInError> {
        let (provider, client) = (at.provider, at.client);
        // Begun by this account, which is still the one signed in (checked before the code is
        // spent at the provider).
        let user = match (at.pending.as_ref().and_then(|p| p.link_to), signed_in) {
            (Some(id), Some(u)) if u.id == id && u.is_active() => u.clone(),
            _ => return Err(Refusal::BadState.into()),
        };
        let now = self.sessions.now();
        let (pending, who, email) = self
            .identify_at_callback(provider, at.pending, at.callback, now)
            .await?;
        let profile = sign_in_profile(provider, who, email);
        let used = UsedState::of(&pending);
        let key = provider.key().to_string();
        let already = db::run(&self.pool, move |conn| {
            Ok(db::transaction(conn, |conn| {
                if !signin_states::consume(conn, &used.hash, used.until, now)? {
                    return Err(Refusal::BadState.into());
                }
                match identities::owner(conn, &profile)? {
                    Some(id) if id == user.id => {
                        identities::touch(conn, &profile, now)?;
                        return Ok(true);
                    }
                    Some(other) => {
                        let holder = users::find_by_id(conn, other)?;
                        return Err(taken(other, holder.as_ref()).into());
                    }
                    None => {}
                }
                if let Some(holder) =
                    users::email_held_by_other_than(conn, &profile.profile.email, user.id)?
                {
                    return Err(Refusal::EmailHeldByOther {
                        user_id: holder.id,
                        email: holder.profile.email,
                    }
                    .into());
                }
                if !identities::attach(conn, user.id, &profile, now)? {
                    return Err(Refusal::BadState.into());
                }
                audit_about(
                    conn,
                    &audit::Actor::user(&user),
                    audit::AuditAction::LinkIdentity,
                    &user,
                    Some(&profile.provider),
                    (&client, now),
                )?;
                Ok::<_, SignInError>(false)
            }))
        })
        .await??;
        tracing::info!(provider = %key, already, "identity linked");
        Ok(Linked {
            provider: key,
            already,
        })
    }

    /// Removes the identity `identity_id` from the account `owner`, by `actor` (the owner or an
    /// admin), unless it is the account's last; audited.
    pub async fn unlink(
        &self,
        actor: audit::Actor,
        owner: &User,
        identity_id: i64,
        ip: Option<String>,
    ) -> Result<Unlinked, DbError> {
        let now = self.sessions.now();
        let (owner_id, owner_email) = (owner.id, owner.profile.email.clone());
        db::run(&self.pool, move |conn| {
            db::transaction(conn, |conn| {
                let done = identities::unlink(conn, owner_id, identity_id)?;
                if let Unlinked::Removed(gone) = &done {
                    audit::insert(
                        conn,
                        &audit::NewEntry {
                            actor: &actor,
                            action: audit::AuditAction::UnlinkIdentity,
                            target: Some((owner_id, &owner_email)),
                            detail: Some(&gone.provider),
                            ip: ip.as_deref(),
                            at: now,
                        },
                    )?;
                }
                Ok(done)
            })
        })
        .await
    }
}

/// The refusal for an identity that signs in to the account `other` (whose row, if it is
/// still there, names it in the audit row).
fn taken(other: i64, holder: Option<&User>) -> Refusal {
    match holder {
        Some(h) => Refusal::IdentityTaken {
            user_id: other,
            email: h.profile.email.clone(),
        },
        None => Refusal::BadState,
    }
}
