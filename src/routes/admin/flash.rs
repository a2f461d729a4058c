//! Flash messages: one short sentence carried across the redirect after an admin action.

use crate::auth::TypedSession;
use serde::{Deserialize, Serialize};

/// The session key the message rides under.
const FLASH: &str = "f";

/// Longest message kept: it rides the encrypted session cookie.
const MAX_CHARS: usize = 200;

/// A one-time message shown after a redirect; it rides the encrypted session cookie, so it is
/// kept to one short sentence.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    #[serde(rename = "k")]
    pub kind: FlashKind,
    #[serde(rename = "m")]
    pub message: String,
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

    /// Leaves `message` for the next page this session shows.
    pub fn set(session: &TypedSession, kind: FlashKind, message: String) {
        let message: String = message.chars().take(MAX_CHARS).collect();
        if session
            .inner()
            .insert(FLASH, Flash { kind, message })
            .is_err()
        {
            tracing::warn!("could not store the flash message");
        }
    }

    /// The message left for this page, once.
    pub fn take(session: &TypedSession) -> Option<Flash> {
        let raw = session.inner().remove(FLASH)?;
        serde_json::from_str(&raw).ok()
    }
}
