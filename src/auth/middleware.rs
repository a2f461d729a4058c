//! The per-request session check (`authenticate`): the app JWT from the cookie or a Bearer
//! header goes to `Sessions::check`, a renewed token is written back to the cookie, and handlers
//! get a `CurrentUser`. `require_admin` guards the `/admin` scope.

use super::cookie::TypedSession;
use super::extractors::{AdminUser, NOT_AN_ADMIN, login_required};
use crate::error::AppError;
use crate::net::ClientInfo;
use crate::paths;
use crate::sessions::{AuthVia, CheckError, CurrentUser};
use crate::state::AppState;
use actix_session::SessionExt;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

fn bearer_token(req: &ServiceRequest) -> Option<String> {
    let h = req.headers().get(actix_web::http::header::AUTHORIZATION)?;
    let v = h.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// True for the JSON API's paths, the only ones where a Bearer token counts.
fn is_api_path(path: &str) -> bool {
    path.strip_prefix(paths::API)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Marks a request whose `Authorization: Bearer` token was refused (for the 401 body).
#[derive(Debug, Clone, Copy)]
pub struct BearerRefused;

/// The middleware on every page and API scope.
///
/// A database failure is answered here as a response carrying the `AppError` (not as `Err`,
/// which would bypass `render_errors` and leave a bare status without a page or JSON).
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    // A Bearer token is an API credential and nothing more: outside `/api/` it is ignored, so
    // a page, a form or an admin action sees the request as anonymous (or as the cookie's).
    let bearer = is_api_path(req.path())
        .then(|| bearer_token(&req))
        .flatten();
    if let Some(token) = bearer {
        match state.sessions.check(&token, None, AuthVia::Bearer).await {
            Ok((user, _)) => {
                req.extensions_mut().insert(user);
            }
            Err(CheckError::Refused(why)) => {
                tracing::info!(reason = why, "bearer token refused");
                req.extensions_mut().insert(BearerRefused);
            }
            Err(CheckError::Db(e)) => {
                return Ok(req.error_response(AppError::from(e)).map_into_right_body());
            }
        }
    } else {
        let session = TypedSession::from(req.get_session());
        if req.extensions().contains::<super::rekey::Rekeyed>() {
            // The cookie came in under a previous key: the answer carries it under the current one.
            session.inner().renew();
        }
        if let Some(token) = session.jwt() {
            let client = || ClientInfo::of(req.request());
            match state
                .sessions
                .check(token.expose(), Some(&client), AuthVia::Cookie)
                .await
            {
                Ok((user, renewed)) => {
                    if let Some(t) = renewed
                        && session.set_jwt(&t).is_err()
                    {
                        tracing::warn!("could not write the renewed session");
                    }
                    req.extensions_mut().insert(user);
                }
                Err(CheckError::Refused(why)) => {
                    tracing::info!(reason = why, "session refused; signed out");
                    session.purge();
                }
                Err(CheckError::Db(e)) => {
                    return Ok(req.error_response(AppError::from(e)).map_into_right_body());
                }
            }
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// The guard of the `/admin` scope, where admin access is decided once: visitors are sent to
/// sign in (and back), other users get a 403 page, admins get an `AdminUser` for the handlers.
/// A disabled admin never gets here: the session check signs them out first.
pub async fn require_admin(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, actix_web::Error> {
    let user = req.extensions().get::<CurrentUser>().cloned();
    let refusal = match user {
        Some(u) if u.user().is_admin() => {
            req.extensions_mut().insert(AdminUser(u));
            None
        }
        Some(_) => Some(AppError::Forbidden(NOT_AN_ADMIN.into())),
        None => Some(login_required(req.uri())),
    };
    match refusal {
        Some(e) => Ok(req.error_response(e).map_into_right_body()),
        None => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
    }
}

#[cfg(test)]
mod tests {
    use super::is_api_path;

    #[test]
    fn only_the_api_takes_a_bearer_token() {
        for p in ["/api", "/api/me", "/api/x/y"] {
            assert!(is_api_path(p), "{p}");
        }
        for p in [
            "/",
            "/apix",
            "/tokens",
            "/admin/users",
            "/account",
            "/x/api/me",
        ] {
            assert!(!is_api_path(p), "{p}");
        }
    }
}
