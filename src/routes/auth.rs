//! Sign-in and sign-out pages: the login page, the redirect to the provider, the callback (which
//! hands the request to `signin::SignIn` and renders its outcome), logout.

use super::render;
use crate::auth::rekey::CookieKeys;
use crate::auth::{CsrfForm, CurrentUser, TypedSession, flow};
use crate::config::ProviderKind;
use crate::domain::safe_next;
use crate::error::AppError;
use crate::metrics::SignInOutcome;
use crate::net::ClientInfo;
use crate::paths;
use crate::signin::{Arrival, Callback};
use crate::state::AppState;
use crate::web::{Chrome, see_other};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;
use std::borrow::Cow;
use std::convert::Infallible;
use std::future::{Ready, ready};

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
    pub next: String,
    pub notice: Option<&'static str>,
    /// One per enabled provider, in `PROVIDERS` order.
    pub buttons: Vec<LoginButton>,
    /// Google is the only way in: the page names it.
    pub only_google: bool,
}

/// A provider's button: a GET form to its login path, named "Sign in with …".
pub struct LoginButton {
    pub action: String,
    pub label: Cow<'static, str>,
    /// The provider's brand style (`google-button`, `provider-button`).
    pub class: &'static str,
    pub google: bool,
}

impl LoginPage {
    /// The sign-in page for a visitor, returning to `next` afterwards.
    pub fn new(req: &HttpRequest, next: String, notice: Option<&'static str>) -> Self {
        let chrome = Chrome::new(req, None, String::new());
        let buttons: Vec<LoginButton> = req
            .app_data::<web::Data<AppState>>()
            .map(|state| {
                state
                    .sign_in
                    .providers()
                    .map(|p| {
                        let google = p.key() == ProviderKind::Google.key();
                        LoginButton {
                            action: paths::login(p.key()),
                            label: if google {
                                chrome.t("login.button")
                            } else {
                                Cow::Owned(chrome.t1(
                                    "login.button_with",
                                    "provider",
                                    p.display_name(),
                                ))
                            },
                            class: match ProviderKind::parse(p.key()) {
                                Some(ProviderKind::Google) => "google-button",
                                Some(ProviderKind::Kakao) => "provider-button kakao",
                                Some(ProviderKind::Naver) => "provider-button naver",
                                Some(ProviderKind::Github) => "provider-button github",
                                _ => "provider-button",
                            },
                            google,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let only_google = buttons.len() == 1 && buttons[0].google;
        Self {
            chrome,
            next,
            notice,
            buttons,
            only_google,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    login_hint: Option<String>,
}

/// `GET /login`: the page with a "Sign in with …" button per provider.
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
    render(LoginPage::new(&req, next, None))
}

/// The provider a sign-in route is for: its `{provider}` segment, or Google on Google's own
/// static routes (`/auth/google/…`, kept apart for their metrics labels and speed: see
/// `routes::session_routes`).
pub struct RouteProvider(String);

impl FromRequest for RouteProvider {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = req
            .match_info()
            .get("provider")
            .unwrap_or(ProviderKind::Google.key());
        ready(Ok(Self(key.to_owned())))
    }
}

/// `GET /auth/{provider}/login`: a new pending sign-in with that provider kept in its own
/// short encrypted cookie (`auth::flow`; no session cookie for a visitor), and the browser sent
/// to the provider. A provider that is not enabled is a 404.
#[tracing::instrument(skip_all, fields(provider = %provider.0))]
pub async fn login(
    provider: RouteProvider,
    keys: web::Data<CookieKeys>,
    state: web::Data<AppState>,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let (pending, url) = state
        .sign_in
        .begin(
            &provider.0,
            query.next.as_deref(),
            query.login_hint.as_deref(),
        )
        .ok_or(AppError::NotFound)?;
    Ok(flow::redirect(
        &keys,
        StatusCode::FOUND,
        url.as_str(),
        &pending,
    )?)
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

/// `GET /auth/{provider}/callback`: `SignIn::complete` decides; this starts the cookie session
/// or renders the refusal, and tells the metrics how it ended. A provider that is not enabled
/// is a 404 (and leaves the pending sign-in alone).
#[tracing::instrument(skip_all, fields(provider = %provider.0, user_id))]
pub async fn callback(
    provider: RouteProvider,
    req: HttpRequest,
    session: TypedSession,
    user: Option<CurrentUser>,
    keys: web::Data<CookieKeys>,
    query: web::Query<CallbackQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Some(provider) = state.sign_in.provider(&provider.0) else {
        return Err(AppError::NotFound);
    };
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
    let linking = pending.as_ref().is_some_and(|p| p.link_to.is_some());
    let at = Arrival {
        provider,
        pending,
        callback,
        client: ClientInfo::of(&req),
    };
    let named = |e| AppError::from(e).at_provider(provider.display_name());
    let outcome = if linking {
        // A link flow from the account page: the identity joins the signed-in account.
        state
            .sign_in
            .link(at, user.as_ref().map(|u| u.user()))
            .await
            .map_err(named)
            .map(|_| see_other(paths::ACCOUNT))
    } else {
        state
            .sign_in
            .complete(at)
            .await
            .map_err(named)
            .and_then(|done| {
                tracing::Span::current().record("user_id", done.user.public_id.as_str());
                session.start(&done.token)?;
                if done.dev_admin {
                    session.mark_dev_admin()?;
                }
                Ok(see_other(&done.next))
            })
    };
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
