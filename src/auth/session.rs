//! The typed cookie session: the app JWT, the pending login and the CSRF token, under short keys
//! because every byte is encrypted into the cookie (browsers drop cookies over 4 KB).

use crate::domain::random_token;
use crate::secret::Secret;
use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::{Deserialize, Serialize};
use std::future::{Ready, ready};
use subtle::ConstantTimeEq;

const JWT: &str = "t";
const PENDING: &str = "l";
const CSRF: &str = "c";

/// How long a started sign-in may take before its state is refused.
pub const PENDING_LOGIN_TTL_SECS: i64 = 600;

/// State, nonce and PKCE verifier made at `/auth/google/login`, consumed once at the callback.
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
}

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingLogin")
            .field("state", &"[redacted]")
            .field("nonce", &"[redacted]")
            .field("verifier", &"[redacted]")
            .field("next", &self.next)
            .field("started", &self.started)
            .finish()
    }
}

impl PendingLogin {
    /// Constant-time comparison of the returned `state`.
    pub fn state_matches(&self, returned: &str) -> bool {
        self.state.as_bytes().ct_eq(returned.as_bytes()).into()
    }
}

pub struct TypedSession(Session);

impl TypedSession {
    pub fn jwt(&self) -> Option<Secret> {
        self.0.get::<String>(JWT).ok().flatten().map(Secret::new)
    }

    pub fn set_jwt(&self, token: &Secret) -> Result<(), String> {
        self.0
            .insert(JWT, token.expose())
            .map_err(|_| "cannot write the session".to_string())
    }

    pub fn set_pending(&self, p: &PendingLogin) -> Result<(), String> {
        self.0
            .insert(PENDING, p)
            .map_err(|_| "cannot write the session".to_string())
    }

    /// Removes and returns the pending login: whatever happens next, it is used once.
    pub fn take_pending(&self) -> Option<PendingLogin> {
        let raw = self.0.remove(PENDING)?;
        serde_json::from_str(&raw).ok()
    }

    /// The CSRF token, created on first use.
    pub fn csrf_token(&self) -> String {
        if let Ok(Some(t)) = self.0.get::<String>(CSRF) {
            return t;
        }
        let t = random_token(32);
        let _ = self.0.insert(CSRF, &t);
        t
    }

    /// True when `given` equals this session's CSRF token (constant time); false without one.
    pub fn csrf_matches(&self, given: &str) -> bool {
        match self.0.get::<String>(CSRF) {
            Ok(Some(t)) => t.as_bytes().ct_eq(given.as_bytes()).into(),
            _ => false,
        }
    }

    /// Signs in: a fresh session id (no fixation), the JWT and a new CSRF token.
    pub fn start(&self, token: &Secret) -> Result<(), String> {
        self.0.renew();
        let _ = self.0.remove(CSRF);
        self.set_jwt(token)?;
        let _ = self.csrf_token();
        Ok(())
    }

    /// Forgets everything and removes the cookie.
    pub fn purge(&self) {
        self.0.purge();
    }

    pub fn inner(&self) -> &Session {
        &self.0
    }
}

impl From<Session> for TypedSession {
    fn from(s: Session) -> Self {
        Self(s)
    }
}

impl FromRequest for TypedSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self(req.get_session())))
    }
}
