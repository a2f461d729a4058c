//! The pending sign-in's own cookie: state, nonce, PKCE verifier and `next`, encrypted, for 10
//! minutes, sent only to `/auth/` on http (`__Host-` requires `Path=/` on https), and removed at
//! the callback. The session cookie is set only when someone signs in.

use super::rekey::CookieKeys;
use crate::signin::{PENDING_LOGIN_TTL_SECS, PendingLogin};
use actix_web::cookie::{Cookie, CookieJar, SameSite, time::Duration};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};

/// The cookie's name and path for this origin.
fn name_and_path(https: bool) -> (&'static str, &'static str) {
    if https {
        ("__Host-signin-flow", "/")
    } else {
        ("signin-flow", "/auth/")
    }
}

fn base(keys: &CookieKeys, value: String) -> Cookie<'static> {
    let (name, path) = name_and_path(keys.https);
    Cookie::build(name, value)
        .path(path)
        .http_only(true)
        .secure(keys.https)
        .same_site(SameSite::Lax)
        .finish()
}

/// Sets the pending sign-in's cookie on `resp` (encrypted with the current key).
pub fn set(keys: &CookieKeys, resp: &mut HttpResponse, p: &PendingLogin) -> Result<(), FlowError> {
    let json = serde_json::to_string(p).map_err(|_| FlowError)?;
    let mut cookie = base(keys, json);
    cookie.set_max_age(Duration::seconds(PENDING_LOGIN_TTL_SECS));
    let mut jar = CookieJar::new();
    jar.private_mut(&keys.current).add(cookie);
    let sealed = jar.delta().next().cloned().ok_or(FlowError)?;
    resp.add_cookie(&sealed).map_err(|_| FlowError)
}

/// The browser sent to the provider's authorization `url`, carrying the pending sign-in's cookie:
/// `302` from the sign-in button's GET, `303` from the account page's POST.
pub fn redirect(
    keys: &CookieKeys,
    status: StatusCode,
    url: &str,
    p: &PendingLogin,
) -> Result<HttpResponse, FlowError> {
    let mut resp = HttpResponse::build(status)
        .insert_header((header::LOCATION, url))
        .finish();
    set(keys, &mut resp, p)?;
    Ok(resp)
}

/// The pending sign-in the request carries, if its cookie opens (current or previous key).
pub fn read(keys: &CookieKeys, req: &HttpRequest) -> Option<PendingLogin> {
    let (name, _) = name_and_path(keys.https);
    let raw = req.cookie(name)?;
    let (json, _) = keys.open(name, &raw)?;
    serde_json::from_str(&json).ok()
}

/// Removes the cookie (whatever the callback's outcome: the flow is used once).
pub fn remove(keys: &CookieKeys, resp: &mut HttpResponse) {
    let mut cookie = base(keys, String::new());
    cookie.make_removal();
    if resp.add_cookie(&cookie).is_err() {
        tracing::warn!("could not remove the sign-in flow cookie");
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot write the sign-in flow cookie")]
pub struct FlowError;

impl From<FlowError> for crate::error::AppError {
    fn from(e: FlowError) -> Self {
        crate::error::AppError::Unexpected(anyhow::Error::new(e))
    }
}
