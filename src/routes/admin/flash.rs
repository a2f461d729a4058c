//! Flash messages: one short sentence carried across the redirect after an admin action.

use crate::auth::TypedSession;
use crate::i18n::{Lang, Msg};
use serde::{Deserialize, Serialize};

/// The session key the message rides under.
const FLASH: &str = "f";

/// Longest argument kept: the message rides the encrypted session cookie.
const MAX_CHARS: usize = 200;

/// A one-time message shown after a redirect; it rides the encrypted session cookie, so it is
/// kept to one short sentence.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    #[serde(rename = "k")]
    pub kind: FlashKind,
    /// The message's catalog key and arguments: the page says it in the reader's language.
    #[serde(rename = "m")]
    key: String,
    #[serde(rename = "a", default)]
    args: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum FlashKind {
    #[serde(rename = "o")]
    Ok,
    #[serde(rename = "e")]
    Error,
}

impl Flash {
    pub fn css(&self) -> &'static str {
        match self.kind {
            FlashKind::Ok => "ok",
            FlashKind::Error => "error",
        }
    }

    /// The message in `lang`.
    pub fn message(&self, lang: &Lang) -> String {
        let args: Vec<(&str, &dyn std::fmt::Display)> = self
            .args
            .iter()
            .map(|(n, v)| (n.as_str(), v as &dyn std::fmt::Display))
            .collect();
        lang.tf(&self.key, &args)
    }

    /// Leaves `message` for the next page this session shows.
    pub fn set(session: &TypedSession, kind: FlashKind, message: Msg) {
        let args = message
            .args()
            .iter()
            .map(|(n, v)| (n.to_string(), v.chars().take(MAX_CHARS).collect()))
            .collect();
        let flash = Flash {
            kind,
            key: message.key().to_string(),
            args,
        };
        if session.inner().insert(FLASH, flash).is_err() {
            tracing::warn!("could not store the flash message");
        }
    }

    /// The message left for this page, once.
    pub fn take(session: &TypedSession) -> Option<Flash> {
        let raw = session.inner().remove(FLASH)?;
        serde_json::from_str(&raw).ok()
    }
}
