//! Sign-in and sign-out pages: the login page, the redirect to the provider, the callback (which
//! hands the request to `signin::SignIn` and renders its outcome), logout.

use super::render;
use crate::auth::rekey::CookieKeys;
use crate::auth::{CsrfForm, CurrentUser, TypedSession, flow};
use crate::domain::safe_next;
use crate::error::AppError;
use crate::metrics::SignInOutcome;
use crate::net::ClientInfo;
use crate::paths;
use crate::signin::Callback;
use crate::state::AppState;
use crate::web::{Chrome, see_other};
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
    pub next: String,
    pub notice: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    login_hint: Option<String>,
}

/// `GET /login`: the page with the "Sign in with Google" button.
#[tracing::instrument(skip_all)]
pub async fn login_page(
    req: HttpRequest,
    user: Option<CurrentUser>,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(query.next.as_deref());
    if user.is_some() {
        return Ok(see_other(&next));
    }
    render(LoginPage {
        chrome: Chrome::new(&req, None, String::new()),
        next,
        notice: None,
    })
}

/// `GET /auth/google/login`: a new pending sign-in kept in its own short encrypted cookie
/// (`auth::flow`; no session cookie for a visitor), and the browser sent to the provider.
#[tracing::instrument(skip_all)]
pub async fn google_login(
    keys: web::Data<CookieKeys>,
    state: web::Data<AppState>,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let (pending, url) = state
        .sign_in
        .begin(query.next.as_deref(), query.login_hint.as_deref());
    let mut resp = HttpResponse::Found()
        .insert_header((header::LOCATION, url.to_string()))
        .finish();
    flow::set(&keys, &mut resp, &pending)?;
    Ok(resp)
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

/// `GET /auth/google/callback`: `SignIn::complete` decides; this starts the cookie session or
/// renders the refusal, and tells the metrics how it ended.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn google_callback(
    req: HttpRequest,
    session: TypedSession,
    keys: web::Data<CookieKeys>,
    query: web::Query<CallbackQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let callback = Callback {
        code: q.code,
        state: q.state,
        error: q.error,
        iss: q.iss,
    };
    // Whatever happens next, the pending sign-in is used once: its cookie goes, and its state
    // is recorded as used on the server (`SignIn::complete`).
    let pending = flow::read(&keys, &req);
    let outcome = state
        .sign_in
        .complete(pending, callback, ClientInfo::of(&req))
        .await
        .map_err(AppError::from)
        .and_then(|done| {
            tracing::Span::current().record("user_id", done.user.public_id.as_str());
            session.start(&done.token)?;
            if done.dev_admin {
                session.mark_dev_admin()?;
            }
            Ok(see_other(&done.next))
        });
    req.extensions_mut().insert(match &outcome {
        Ok(_) => SignInOutcome::success(),
        Err(e) => SignInOutcome::failed(e.status_code().is_server_error(), e.code()),
    });
    let mut resp = outcome.unwrap_or_else(HttpResponse::from_error);
    flow::remove(&keys, &mut resp);
    Ok(resp)
}

/// `POST /logout`: CSRF-checked; revokes the session and clears the cookie.
#[tracing::instrument(skip_all)]
pub async fn logout(
    req: HttpRequest,
    session: TypedSession,
    user: Option<CurrentUser>,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Some(user) = user else {
        session.purge();
        return Ok(see_other(paths::LOGIN));
    };
    session.check_csrf(&form.csrf)?;
    state
        .sessions
        .sign_out(&user, ClientInfo::of(&req).ip)
        .await?;
    tracing::info!("signed out");
    session.purge();
    Ok(see_other(paths::LOGIN))
}
