//! One sign-in method of an account as its pages show it (the account page and an admin's user
//! page), and the buttons that add one.

use crate::db::identities::LinkedIdentity;
use crate::error::AppError;
use crate::i18n::format::Formats;
use crate::signin::SignIn;
use serde::Deserialize;

pub struct IdentityView {
    pub id: i64,
    /// The provider as people read it ("Google"), or its key when it is no longer enabled.
    pub provider: String,
    pub email: String,
    pub created: String,
    pub last_used: String,
    /// Another method remains, so this one may be removed.
    pub removable: bool,
}

impl IdentityView {
    pub fn list(all: Vec<LinkedIdentity>, sign_in: &SignIn, f: &Formats) -> Vec<Self> {
        let removable = all.len() > 1;
        all.into_iter()
            .map(|i| Self {
                id: i.id,
                provider: provider_name(sign_in, &i.provider),
                email: i.email.map(|e| e.as_str().to_string()).unwrap_or_default(),
                created: f.time(i.created_at),
                last_used: i.last_used_at.map(|t| f.time(t)).unwrap_or_default(),
                removable,
            })
            .collect()
    }
}

/// A provider's name as people read it, or its key when it is not enabled any more.
pub fn provider_name(sign_in: &SignIn, key: &str) -> String {
    sign_in
        .provider(key)
        .map_or_else(|| key.to_string(), |p| p.display_name().to_string())
}

/// A "Link …" button: the provider's key and its name.
pub struct LinkButton {
    pub key: String,
    pub name: String,
}

impl LinkButton {
    /// One per enabled provider (a second account at the same provider may be linked too).
    pub fn all(sign_in: &SignIn) -> Vec<Self> {
        sign_in
            .providers()
            .map(|p| Self {
                key: p.key().to_string(),
                name: p.display_name().to_string(),
            })
            .collect()
    }
}

/// The removal form of the account page and of an admin's user page: which identity.
#[derive(Deserialize)]
pub struct UnlinkForm {
    /// The identity's row id (a string: a flattened form field cannot be read as a number).
    #[serde(default)]
    id: String,
}

impl UnlinkForm {
    /// The identity's row id; anything else names no identity (404).
    pub fn id(&self) -> Result<i64, AppError> {
        self.id.parse().map_err(|_| AppError::NotFound)
    }
}
