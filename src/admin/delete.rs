//! Deleting an account, by its owner or by an admin: the user row, their sessions and tokens go,
//! their personal data in the audit log becomes a pseudonym, and one audit row records the
//! deletion, all in one transaction that also keeps the last-admin rule.

use super::{Refusal, TxError};
use crate::db::audit::{self, Actor};
use crate::db::roles::{count_active_admins, lock_for_removal};
use crate::db::users::find_by_id;
use crate::db::{DbConn, DbError, account, transaction};
use crate::domain::{Role, Status};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// What replaces a deleted user's email in the audit log: stable for one user, not their id.
pub fn pseudonym(user_id: i64) -> String {
    let hash = Sha256::digest(format!("signin-deleted-user:{user_id}").as_bytes());
    let hex: String = hash.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("deleted-user-{hex}")
}

/// Deletes `target_id` as `actor`; returns the pseudonym. The target is read inside the
/// transaction, after the admins' rows are locked, so that the last active admin is never
/// removed, whoever deletes them. A self-deletion records neither the email nor the IP.
pub fn delete_user(
    conn: &mut DbConn,
    actor: &Actor,
    target_id: i64,
    ip: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Result<String, Refusal>, DbError> {
    let r = transaction(conn, |conn| {
        lock_for_removal(conn, target_id)?;
        let target = find_by_id(conn, target_id)?.ok_or(TxError::Refused(Refusal::NoSuchUser))?;
        let was_admin = target.role == Role::Admin && target.status == Status::Active;
        let pseudo = pseudonym(target.id);
        account::delete_user(conn, target.id, target.profile.email.as_str(), &pseudo)?;
        if was_admin && count_active_admins(conn)? == 0 {
            return Err(TxError::Refused(Refusal::LastAdmin));
        }
        let is_self = matches!(actor, Actor::User { id, .. } if *id == target.id);
        let (actor, ip) = if is_self {
            (Actor::Pseudonym(pseudo.clone()), None)
        } else {
            (actor.clone(), ip)
        };
        audit::insert_deletion(conn, &actor, &pseudo, ip, now)?;
        Ok(pseudo)
    });
    match r {
        Ok(p) => Ok(Ok(p)),
        Err(TxError::Refused(why)) => Ok(Err(why)),
        Err(TxError::Db(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pseudonyms_are_stable_short_and_distinct() {
        let a = super::pseudonym(1);
        assert_eq!(a, super::pseudonym(1));
        assert_ne!(a, super::pseudonym(2));
        assert!(a.starts_with("deleted-user-") && a.len() == "deleted-user-".len() + 8);
    }
}
