//! What handlers ask for: `CurrentUser` (pages: visitors are sent to sign in), `ApiUser` (the
//! JSON API: 401 instead), `AdminUser` (granted once, by `middleware::require_admin` on the
//! `/admin` scope) and `Checked` (a POST form whose CSRF field matched the session's).

use super::TypedSession;
use crate::error::AppError;
use crate::sessions::CurrentUser;
use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::future::{Future, Ready, ready};
use std::pin::Pin;

/// `FromRequest` for what the middleware leaves in the request: `$stored` is the value it left,
/// `$wrap` turns that into the extractor, and `$missing(req)` is the answer when there is none.
macro_rules! from_extensions {
    ($extractor:ty: $stored:ty => $wrap:expr, else $missing:expr) => {
        impl FromRequest for $extractor {
            type Error = AppError;
            type Future = Ready<Result<Self, AppError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let found = req.extensions().get::<$stored>().cloned().map($wrap);
                ready(found.ok_or_else(|| $missing(req)))
            }
        }
    };
}

from_extensions!(
    CurrentUser: CurrentUser => |u| u,
    else |req: &HttpRequest| login_required(req.uri())
);

/// Send the visitor to sign in, and back to this address afterwards.
pub(crate) fn login_required(uri: &actix_web::http::Uri) -> AppError {
    let next = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    AppError::LoginRequired { next }
}

/// `CurrentUser` for the JSON API: same check, a 401 JSON answer instead of a sign-in redirect.
#[derive(Debug, Clone)]
pub struct ApiUser(pub CurrentUser);

from_extensions!(ApiUser: CurrentUser => ApiUser, else |_| AppError::Unauthorized);

/// A signed-in admin, as `require_admin` found them; outside that scope nobody is one.
#[derive(Debug, Clone)]
pub struct AdminUser(pub CurrentUser);

from_extensions!(
    AdminUser: AdminUser => |a| a,
    else |_| AppError::Forbidden(NOT_AN_ADMIN.into())
);

pub(crate) const NOT_AN_ADMIN: &str = "error.not_an_admin";

/// The CSRF token field of every POST form, for a handler that checks it itself.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// A form with no fields but the CSRF token (`Checked<NoFields>`, or just `Checked`).
#[derive(Debug, Default, Deserialize)]
pub struct NoFields {}

/// A POST form whose `csrf` field matched the session's token (`TypedSession::check_csrf`),
/// and its other fields `T`: a handler that takes one never runs for a stale or foreign form,
/// which gets the 403 page.
#[derive(Debug)]
pub struct Checked<T = NoFields>(pub T);

#[derive(Deserialize)]
struct WithCsrf<T> {
    csrf: String,
    #[serde(flatten)]
    fields: T,
}

impl<T: DeserializeOwned + 'static> FromRequest for Checked<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = TypedSession::from(req.get_session());
        let form = web::Form::<WithCsrf<T>>::from_request(req, payload);
        Box::pin(async move {
            let form = form.await?.into_inner();
            session.check_csrf(&form.csrf)?;
            Ok(Checked(form.fields))
        })
    }
}
