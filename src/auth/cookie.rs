//! The typed cookie session: the app JWT and the CSRF token (the pending sign-in has its own
//! cookie, `auth::flow`), under short
//! keys because every byte is encrypted into the cookie (browsers drop cookies over 4 KB).

use crate::domain::random_token;
use crate::error::AppError;
use crate::secret::Secret;
use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use std::future::{Ready, ready};
use subtle::ConstantTimeEq;

const JWT: &str = "t";
const CSRF: &str = "c";
/// Set by the sign-in that made this person the admin of a development server (`serve --dev`).
const DEV_ADMIN: &str = "d";

#[derive(Debug, thiserror::Error)]
pub enum CookieError {
    #[error("cannot write the session cookie")]
    Write,
}

impl From<CookieError> for AppError {
    fn from(e: CookieError) -> Self {
        AppError::Unexpected(anyhow::Error::new(e))
    }
}

pub struct TypedSession(Session);

impl TypedSession {
    pub fn jwt(&self) -> Option<Secret> {
        self.0.get::<String>(JWT).ok().flatten().map(Secret::new)
    }

    pub fn set_jwt(&self, token: &Secret) -> Result<(), CookieError> {
        self.0
            .insert(JWT, token.expose())
            .map_err(|_| CookieError::Write)
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

    /// The CSRF check of every form: a stale or foreign form is refused with a 403 page.
    pub fn check_csrf(&self, given: &str) -> Result<(), AppError> {
        if self.csrf_matches(given) {
            Ok(())
        } else {
            Err(AppError::stale_form())
        }
    }

    /// Signs in: a fresh session id (no fixation), the JWT and a new CSRF token.
    pub fn start(&self, token: &Secret) -> Result<(), CookieError> {
        self.0.renew();
        let _ = self.0.remove(CSRF);
        let _ = self.0.remove(DEV_ADMIN);
        self.set_jwt(token)?;
        let _ = self.csrf_token();
        Ok(())
    }

    /// This sign-in made the person the development server's first admin: the home page says so
    /// for as long as this session lasts (no query on every page view).
    pub fn mark_dev_admin(&self) -> Result<(), CookieError> {
        self.0
            .insert(DEV_ADMIN, true)
            .map_err(|_| CookieError::Write)
    }

    pub fn dev_admin(&self) -> bool {
        matches!(self.0.get::<bool>(DEV_ADMIN), Ok(Some(true)))
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
