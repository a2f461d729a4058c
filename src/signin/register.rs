//! The sign-in transaction's writes: the account found through its identity (provider and
//! subject) or made with it, the admin grants of a new account, the session row and the audit
//! rows.

use super::{Refusal, SignInError, audit_about};
use crate::db::roles::{self, UserChange};
use crate::db::sessions::{self, SessionKind};
use crate::db::users::{self, SignInProfile, User};
use crate::db::{self, audit};
use crate::db::{identities, invitations};
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
    /// The provider's verified email counts at all (not Naver, Kakao or an untrusted `oidc`):
    /// only then may it claim an invitation, which admits past the allowlists.
    pub claims_invitations: bool,
    /// `serve --dev`: the first sign-in while no admin exists makes an admin.
    pub dev_first_admin: bool,
    /// `LINK_BY_VERIFIED_EMAIL` is on and this provider is authoritative for the address: a new
    /// identity may join the account whose own identity verified the same address.
    pub link_by_email: bool,
}

/// Inside the sign-in transaction: the account of the identity, made if new, refused if
/// disabled, a session row minted, and the audit rows written. `grants.admin_email` is applied only
/// when this sign-in creates the user (recorded as done by `config`); after that only an admin
/// or the CLI changes the role, so a demotion is never undone by a sign-in. With
/// `grants.dev_first_admin` (`serve --dev` only) a sign-in while no admin exists makes this person the
/// admin, decided under a lock so that two concurrent first sign-ins cannot both win.
pub(super) fn register(
    conn: &mut db::DbConn,
    sessions: &Sessions,
    signed_in: &SignInProfile,
    grants: Grants,
    now: chrono::DateTime<chrono::Utc>,
    client: &ClientInfo,
) -> Result<(User, bool, bool, Secret), SignInError> {
    // One look at who else holds this address, before the users table is written (the state's
    // row was written first, so SQLite's transaction is already a writer). An invitation for it
    // is claimed, keeping the role and name it was given; any other holder refuses the sign-in.
    // Accounts are found through their identities: an address that another account holds here
    // is never merged into that account or duplicated. A sign-in with no invitation pays one
    // indexed lookup here, as it did before invitations.
    let holder = users::email_held_by_other(conn, &signed_in.profile.email, signed_in)?;
    let invited = match &holder {
        Some(h) if h.invited && grants.claims_invitations => {
            invitations::claim(conn, signed_in, grants.authoritative, now)?
        }
        _ => None,
    };
    let claimed = invited.is_some();
    // After a claim, the claimed row holds this subject; a second holder (an account whose
    // address changed to this one after the invitation was made) still refuses.
    let holder = if claimed {
        users::email_held_by_other(conn, &signed_in.profile.email, signed_in)?
    } else {
        holder
    };
    if let Some(holder) = holder {
        // Linked by the address only when every rule holds (docs/SECURITY.md, "Linking"):
        // the setting, this provider's authority (in `link_by_email`), this identity's
        // verified email (checked before), and an identity of the holder that verified it.
        let vouched = grants.link_by_email
            && identities::verified_address(conn, holder.id, &signed_in.profile.email)?;
        if !vouched || !identities::attach(conn, holder.id, signed_in, now)? {
            return Err(Refusal::EmailHeldByOther {
                user_id: holder.id,
                email: holder.profile.email,
            }
            .into());
        }
        let detail = format!("{}; by verified email", signed_in.provider);
        audit_about(
            conn,
            &audit::Actor::user(&holder),
            audit::AuditAction::LinkIdentity,
            &holder,
            Some(&detail),
            (client, now),
        )?;
    }
    let (mut user, created) = match invited {
        Some(user) => (user, true),
        None => users::upsert_on_sign_in(conn, signed_in, grants.admin_email, now)?,
    };
    if !user.is_active() {
        return Err(Refusal::UserDisabled {
            user_id: user.id,
            email: user.profile.email,
        }
        .into());
    }
    if created && !claimed && user.is_admin() {
        audit_about(
            conn,
            &audit::Actor::Config,
            audit::AuditAction::Promote,
            &user,
            Some("ADMIN_EMAILS, first sign-in"),
            (client, now),
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
            audit_about(
                conn,
                &audit::Actor::DevMode,
                audit::AuditAction::Promote,
                &user,
                Some(audit::DEV_FIRST_ADMIN),
                (client, now),
            )?;
        }
    }
    let (row, token) = sessions.mint(&user, SessionKind::Browser, now, client)?;
    sessions::insert(conn, &row)?;
    let detail = match (claimed, created) {
        (true, _) => Some("first sign-in, invitation claimed"),
        (false, true) => Some("first sign-in"),
        (false, false) => None,
    };
    let actor = audit::Actor::user(&user);
    audit_about(
        conn,
        &actor,
        audit::AuditAction::SignIn,
        &user,
        detail,
        (client, now),
    )?;
    Ok((user, created, dev_admin, token))
}
