//! The sign-in transaction's writes: the user upserted on the provider subject, the admin
//! grants of a new account, the session row and the audit rows.

use super::{Refusal, SignInError};
use crate::db::invitations;
use crate::db::roles::{self, UserChange};
use crate::db::sessions::{self, SessionKind};
use crate::db::users::{self, Profile, User};
use crate::db::{self, audit};
use crate::domain::Role;
use crate::net::ClientInfo;
use crate::secret::Secret;
use crate::sessions::Sessions;

/// What the policy decided about the person before the transaction.
#[derive(Debug, Clone, Copy)]
pub(super) struct Grants {
    /// `ADMIN_EMAILS` lists them (and the provider is authoritative).
    pub admin_email: bool,
    /// The provider vouches for the address itself (an `--admin` invitation may be claimed).
    pub authoritative: bool,
    /// `serve --dev`: the first sign-in while no admin exists makes an admin.
    pub dev_first_admin: bool,
}

/// Inside the sign-in transaction: the user upserted on the provider subject, refused if
/// disabled, a session row minted, and the audit rows written. `grants.admin_email` is applied only
/// when this sign-in creates the user (recorded as done by `config`); after that only an admin
/// or the CLI changes the role, so a demotion is never undone by a sign-in. With
/// `grants.dev_first_admin` (`serve --dev` only) a sign-in while no admin exists makes this person the
/// admin, decided under a lock so that two concurrent first sign-ins cannot both win.
pub(super) fn register(
    conn: &mut db::DbConn,
    sessions: &Sessions,
    profile: &Profile,
    grants: Grants,
    now: chrono::DateTime<chrono::Utc>,
    client: &ClientInfo,
) -> Result<(User, bool, bool, Secret), SignInError> {
    // The upsert comes first so that the transaction starts by writing (SQLite refuses to turn
    // a transaction that has read into a writer while another one writes).
    // An invitation for this verified address is claimed first (also a write), keeping the
    // role and name it was given; otherwise the usual upsert.
    let invited = invitations::claim(conn, profile, grants.authoritative, now)?;
    let claimed = invited.is_some();
    let (mut user, created) = match invited {
        Some(user) => (user, true),
        None => users::upsert_on_sign_in(conn, profile, grants.admin_email, now)?,
    };
    // Users are keyed on the provider subject: an address that another subject holds here is
    // refused (the upsert rolls back), never merged into that account or duplicated.
    if let Some(holder) = users::email_held_by_other(conn, &profile.email, &profile.google_sub)? {
        return Err(Refusal::EmailHeldByOther {
            user_id: holder.id,
            email: holder.email,
        }
        .into());
    }
    if !user.is_active() {
        return Err(Refusal::UserDisabled {
            user_id: user.id,
            email: user.email,
        }
        .into());
    }
    if created && !claimed && user.is_admin() {
        promoted(
            conn,
            &audit::Actor::Config,
            &user,
            "ADMIN_EMAILS, first sign-in",
            client,
            now,
        )?;
    }
    let mut dev_admin = false;
    // Looked at once without the lock: once an admin exists, sign-ins do not queue on it.
    if grants.dev_first_admin && !user.is_admin() && !roles::other_admin_exists(conn, user.id)? {
        roles::lock_first_admin(conn)?;
        if !roles::other_admin_exists(conn, user.id)? {
            dev_admin = true;
            roles::apply(conn, user.id, UserChange::Role(Role::Admin), now)?;
            user.role = Role::Admin;
            promoted(
                conn,
                &audit::Actor::DevMode,
                &user,
                audit::DEV_FIRST_ADMIN,
                client,
                now,
            )?;
        }
    }
    let (row, token) = sessions.mint(&user, SessionKind::Browser, now, client)?;
    sessions::insert(conn, &row)?;
    audit::insert(
        conn,
        &audit::NewEntry {
            actor: &audit::Actor::User {
                id: user.id,
                email: user.email.clone(),
            },
            action: audit::AuditAction::SignIn,
            target: Some((user.id, &user.email)),
            detail: match (claimed, created) {
                (true, _) => Some("first sign-in, invitation claimed"),
                (false, true) => Some("first sign-in"),
                (false, false) => None,
            },
            ip: client.ip.as_deref(),
            at: now,
        },
    )?;
    Ok((user, created, dev_admin, token))
}

/// The audit row of an admin grant made at sign-in, by configuration or by the development mode.
fn promoted(
    conn: &mut db::DbConn,
    actor: &audit::Actor,
    user: &User,
    detail: &str,
    client: &ClientInfo,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), SignInError> {
    audit::insert(
        conn,
        &audit::NewEntry {
            actor,
            action: audit::AuditAction::Promote,
            target: Some((user.id, &user.email)),
            detail: Some(detail),
            ip: client.ip.as_deref(),
            at: now,
        },
    )?;
    Ok(())
}
