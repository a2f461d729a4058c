//! The pending sign-in: state, nonce and PKCE verifier made when a sign-in begins, kept by the
//! caller (in the encrypted cookie) under short keys, and consumed once at the callback.

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// How long a started sign-in may take before its state is refused.
pub const PENDING_LOGIN_TTL_SECS: i64 = 600;

#[derive(Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    #[serde(rename = "s")]
    pub state: String,
    #[serde(rename = "n")]
    pub nonce: String,
    #[serde(rename = "v")]
    pub verifier: String,
    #[serde(rename = "x")]
    pub next: String,
    /// Unix seconds when the sign-in began.
    #[serde(rename = "t")]
    pub started: i64,
    /// The provider's key: only its callback can complete this sign-in (a flow cookie made
    /// before there were several providers was Google's).
    #[serde(rename = "p", default = "google")]
    pub provider: String,
    /// A link flow: the account (row id) that the identity is to be added to, begun from its
    /// account page; the callback adds it only while that account is still the one signed in.
    #[serde(rename = "l", default, skip_serializing_if = "Option::is_none")]
    pub link_to: Option<i64>,
}

fn google() -> String {
    "google".into()
}

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingLogin")
            .field("state", &"[redacted]")
            .field("nonce", &"[redacted]")
            .field("verifier", &"[redacted]")
            .field("next", &self.next)
            .field("started", &self.started)
            .field("provider", &self.provider)
            .field("link_to", &self.link_to)
            .finish()
    }
}

impl PendingLogin {
    /// Constant-time comparison of the returned `state`.
    pub fn state_matches(&self, returned: &str) -> bool {
        self.state.as_bytes().ct_eq(returned.as_bytes()).into()
    }

    /// Started within the last `PENDING_LOGIN_TTL_SECS` (and not in the future, give or take
    /// a minute of clock difference between instances).
    pub fn is_current(&self, now: i64) -> bool {
        now - self.started <= PENDING_LOGIN_TTL_SECS && now >= self.started - 60
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secrets() {
        let p = PendingLogin {
            state: "STATE-VALUE".into(),
            nonce: "NONCE-VALUE".into(),
            verifier: "VERIFIER-VALUE".into(),
            next: "/admin".into(),
            started: 0,
            provider: "google".into(),
            link_to: None,
        };
        let d = format!("{p:?}");
        assert!(!d.contains("VALUE"), "{d}");
        assert!(d.contains("/admin"));
    }

    #[test]
    fn a_flow_cookie_of_the_previous_release_is_google_s() {
        let p: PendingLogin =
            serde_json::from_str(r#"{"s":"st","n":"no","v":"ve","x":"/","t":5}"#).unwrap();
        assert_eq!(p.provider, "google");
    }

    #[test]
    fn a_pending_login_lasts_ten_minutes() {
        let p = PendingLogin {
            state: String::new(),
            nonce: String::new(),
            verifier: String::new(),
            next: "/".into(),
            started: 1_000,
            provider: "google".into(),
            link_to: None,
        };
        assert!(p.is_current(1_000 + PENDING_LOGIN_TTL_SECS));
        assert!(!p.is_current(1_001 + PENDING_LOGIN_TTL_SECS));
        assert!(p.is_current(940));
        assert!(!p.is_current(939));
    }
}
