//! The home page (profile, or the sign-in page for visitors) and API-token creation.

use super::auth::LoginPage;
use super::render;
use super::visit::Visit;
use crate::auth::{Checked, CurrentUser, TypedSession};
use crate::domain::{Email, ParseError, TOKEN_NAME_MAX, TokenName};
use crate::error::AppError;
use crate::i18n::Msg;
use crate::net::ClientInfo;
use crate::web::{Chrome, initials};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub chrome: Chrome,
    pub name: String,
    pub email: Email,
    pub picture: Option<String>,
    pub initials: String,
    pub is_admin: bool,
    /// The development mode made this person the admin (`serve --dev`, first sign-in).
    pub dev_admin: bool,
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
        return render(LoginPage::new(&req, "/".into(), None));
    };
    let u = cu.user();
    let chrome = Chrome::new(&req, Some(&cu), session.csrf_token());
    // The sign-in that made this person the development server's first admin said so in
    // the session cookie: no query on the home page.
    let dev_admin = chrome.dev && u.is_admin() && session.dev_admin();
    let f = chrome.formats;
    let page = HomePage {
        dev_admin,
        name: u.profile.name.clone(),
        email: u.profile.email.clone(),
        picture: u.profile.picture.clone(),
        initials: initials(&u.profile.name),
        is_admin: u.is_admin(),
        member_since: f.date(u.created_at),
        last_sign_in: u.last_login_at.map_or_else(|| "—".into(), |t| f.time(t)),
        renews: cu
            .renews_at
            .map_or_else(|| chrome.t("home.renews_never").into_owned(), |t| f.time(t)),
        ends: f.time(cu.ends_at),
        chrome,
    };
    render(page)
}

#[derive(Template)]
#[template(path = "token.html")]
pub struct TokenPage {
    pub chrome: Chrome,
    pub name: String,
    pub token: String,
    pub expires: String,
    pub origin: String,
}

/// The token form: its CSRF field and the name the person gives the token.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

/// `POST /tokens`: a separately revocable, named API token (its own `sessions` row), shown
/// once. Only a browser session reaches here: a Bearer token is ignored outside `/api/`.
#[tracing::instrument(skip_all)]
pub async fn create_api_token(
    v: Visit,
    Checked(form): Checked<TokenForm>,
) -> Result<HttpResponse, AppError> {
    let name = TokenName::parse(&form.name).map_err(|e| {
        AppError::BadRequest(match e {
            ParseError::TokenNameTooLong => {
                Msg::new("error.token_name_too_long").arg("max", TOKEN_NAME_MAX)
            }
            _ => Msg::new("error.token_name_missing"),
        })
    })?;
    let (token, expires) = v
        .state
        .sessions
        .create_api_token(&v.user, &name, &ClientInfo::of(&v.req))
        .await?;
    tracing::info!(token = true, "API token created");
    let chrome = v.chrome();
    render(TokenPage {
        name: name.as_str().to_string(),
        token: token.expose().to_string(),
        expires: chrome.time(expires),
        chrome,
        origin: v.state.origin.clone(),
    })
}
