//! The signed-in user as handlers see it, put in the request by the session middleware.

use super::app_jwt::AppClaims;
use crate::db::sessions::SessionRecord;
use crate::db::users::User;
use crate::error::AppError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use chrono::{DateTime, Utc};
use std::future::{Ready, ready};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthVia {
    Cookie,
    Bearer,
}

#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub record: Arc<SessionRecord>,
    /// The claims of the token in force after this request (renewed or not).
    pub claims: AppClaims,
    pub via: AuthVia,
    /// When the token will be renewed (start of the renewal window), if it can be.
    pub renews_at: Option<DateTime<Utc>>,
    /// When the session ends for good and the person must sign in again.
    pub ends_at: DateTime<Utc>,
}

impl CurrentUser {
    pub fn user(&self) -> &User {
        &self.record.user
    }

    pub fn jti(&self) -> &str {
        &self.claims.jti
    }

    pub fn expires_at(&self) -> DateTime<Utc> {
        self.claims.expires_at()
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<CurrentUser>()
                .cloned()
                .ok_or_else(|| {
                    let next = req
                        .uri()
                        .path_and_query()
                        .map(|p| p.as_str().to_string())
                        .unwrap_or_else(|| "/".into());
                    AppError::LoginRequired { next }
                }),
        )
    }
}

/// `CurrentUser` for the JSON API: same check, a 401 JSON answer instead of a sign-in redirect.
#[derive(Debug, Clone)]
pub struct ApiUser(pub CurrentUser);

impl FromRequest for ApiUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<CurrentUser>()
                .cloned()
                .map(ApiUser)
                .ok_or(AppError::Unauthorized),
        )
    }
}
