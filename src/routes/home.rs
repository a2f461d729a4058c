//! The home page (profile, or the sign-in page for visitors) and API-token creation.

use super::auth::LoginPage;
use super::render;
use crate::auth::{CsrfForm, CurrentUser, TypedSession};
use crate::domain::Email;
use crate::error::AppError;
use crate::net::ClientInfo;
use crate::state::AppState;
use crate::web::{Chrome, fmt_date, fmt_time, initials};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub chrome: Chrome,
    pub name: String,
    pub email: Email,
    pub picture: Option<String>,
    pub initials: String,
    pub is_admin: bool,
    pub member_since: String,
    pub last_sign_in: String,
    pub renews: String,
    pub ends: String,
}

/// `GET /`: the signed-in person's profile, or the sign-in page.
#[tracing::instrument(skip_all)]
pub async fn home(
    req: HttpRequest,
    user: Option<CurrentUser>,
    session: TypedSession,
) -> Result<HttpResponse, AppError> {
    let Some(cu) = user else {
        return render(LoginPage {
            chrome: Chrome::new(&req, None, String::new()),
            next: "/".into(),
            notice: None,
        });
    };
    let u = cu.user();
    let page = HomePage {
        chrome: Chrome::new(&req, Some(&cu), session.csrf_token()),
        name: u.name.clone(),
        email: u.email.clone(),
        picture: u.picture.clone(),
        initials: initials(&u.name),
        is_admin: u.is_admin(),
        member_since: fmt_date(u.created_at),
        last_sign_in: u.last_login_at.map(fmt_time).unwrap_or_else(|| "—".into()),
        renews: cu
            .renews_at
            .map(fmt_time)
            .unwrap_or_else(|| "not before it ends".into()),
        ends: fmt_time(cu.ends_at),
    };
    render(page)
}

#[derive(Template)]
#[template(path = "token.html")]
pub struct TokenPage {
    pub chrome: Chrome,
    pub token: String,
    pub expires: String,
    pub origin: String,
}

/// `POST /tokens`: a separately revocable API token (its own `sessions` row), shown once.
#[tracing::instrument(skip_all)]
pub async fn create_api_token(
    req: HttpRequest,
    cu: CurrentUser,
    session: TypedSession,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    session.check_csrf(&form.csrf)?;
    let (token, expires) = state
        .sessions
        .create_api_token(cu.user(), &ClientInfo::of(&req))
        .await?;
    tracing::info!(token = true, "API token created");
    render(TokenPage {
        chrome: Chrome::new(&req, Some(&cu), session.csrf_token()),
        token: token.expose().to_string(),
        expires: fmt_time(expires),
        origin: state.origin.clone(),
    })
}
