//! `AppError`: every failure a handler can answer with, rendered once by `render_errors` as a
//! friendly HTML page (with the request id) for people or as JSON under `/api/`. Internal causes
//! are logged with their chain and never shown.

use crate::db::DbError;
use crate::i18n::{Lang, Msg};
use crate::sessions::SessionError;
use crate::signin::{Refusal, SignInError};
use crate::telemetry::RequestId;
use crate::web::{Chrome, ErrorPage, RenderError};
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError};
use askama::Template;

#[derive(thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(Msg),
    /// A page that needs a signed-in person; they are sent to sign in and brought back.
    #[error("sign-in required")]
    LoginRequired { next: String },
    /// The API without valid credentials.
    #[error("authentication required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(Msg),
    #[error("not found")]
    NotFound,
    /// A sign-in that was refused for a reason the person should read, at the provider named.
    #[error("sign-in refused: {}", .0.reason())]
    SignIn(#[source] Refusal, ProviderName),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service unavailable")]
    Unavailable(#[source] DbError),
    #[error("unexpected error")]
    Unexpected(#[from] anyhow::Error),
}

impl std::fmt::Debug for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{self}")?;
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            writeln!(f, "  caused by: {c}")?;
            cause = c.source();
        }
        Ok(())
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        if e.is_unavailable() {
            AppError::Unavailable(e)
        } else {
            AppError::Unexpected(anyhow::Error::new(e).context("database query failed"))
        }
    }
}

/// The provider a refused sign-in was with, as its pages name it ("Google" unless the handler
/// says otherwise).
#[derive(Debug, Clone)]
pub struct ProviderName(pub String);

impl Default for ProviderName {
    fn default() -> Self {
        Self("Google".into())
    }
}

impl AppError {
    /// Names the provider on a sign-in refusal's page; any other error is unchanged.
    pub fn at_provider(self, name: &str) -> Self {
        match self {
            AppError::SignIn(r, _) => AppError::SignIn(r, ProviderName(name.to_string())),
            e => e,
        }
    }
}

impl From<SignInError> for AppError {
    fn from(e: SignInError) -> Self {
        match e {
            SignInError::Refused(r) => AppError::SignIn(r, ProviderName::default()),
            SignInError::Db(e) => e.into(),
            e @ SignInError::Signing(_) => AppError::Unexpected(anyhow::Error::new(e)),
        }
    }
}

impl From<SessionError> for AppError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::Db(e) => e.into(),
            e @ SessionError::Signing(_) => AppError::Unexpected(anyhow::Error::new(e)),
            SessionError::NotFromBrowser => AppError::Forbidden("error.token_from_browser".into()),
        }
    }
}

impl From<RenderError> for AppError {
    fn from(e: RenderError) -> Self {
        AppError::Unexpected(anyhow::Error::new(e))
    }
}

impl AppError {
    /// The answer to a form whose CSRF token does not match the session's.
    pub fn stale_form() -> Self {
        AppError::Forbidden("error.stale_form".into())
    }

    /// Title and message for people, in `lang`; never internal detail.
    fn public_text(&self, lang: Lang) -> (String, String) {
        let (title, message): (&str, Msg) = match self {
            AppError::BadRequest(m) => ("error.bad_request.title", m.clone()),
            AppError::LoginRequired { .. } | AppError::Unauthorized => {
                ("error.sign_in.title", Msg::new("error.sign_in.message"))
            }
            AppError::Forbidden(m) => ("error.forbidden.title", m.clone()),
            AppError::NotFound => ("error.not_found.title", Msg::new("error.not_found.message")),
            AppError::SignIn(r, provider) => {
                let (title, message) = r.text();
                return (
                    title.arg("provider", &provider.0).render(lang),
                    message.arg("provider", &provider.0).render(lang),
                );
            }
            AppError::TooManyRequests { .. } => {
                ("error.too_many.title", Msg::new("error.too_many.message"))
            }
            AppError::Unavailable(_) => (
                "error.unavailable.title",
                Msg::new("error.unavailable.message"),
            ),
            AppError::Unexpected(_) => (
                "error.unexpected.title",
                Msg::new("error.unexpected.message"),
            ),
        };
        (lang.t(title).into_owned(), message.render(lang))
    }

    /// The machine-readable code: the JSON `error` field, and the metrics' reason.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::LoginRequired { .. } | AppError::Unauthorized => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound => "not_found",
            AppError::SignIn(r, _) => r.reason(),
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Unavailable(_) => "unavailable",
            AppError::Unexpected(_) => "internal",
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::LoginRequired { .. } => StatusCode::SEE_OTHER,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::SignIn(r, _) => {
                StatusCode::from_u16(r.status()).unwrap_or(StatusCode::BAD_REQUEST)
            }
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A bare answer; `render_errors` replaces it with the page or JSON for the request.
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).finish()
    }
}

fn is_api(req: &HttpRequest) -> bool {
    req.path() == "/api" || req.path().starts_with("/api/")
}

/// Builds the final error answer for a request.
pub fn render(req: &HttpRequest, status: StatusCode, err: Option<&AppError>) -> HttpResponse {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.to_string())
        .unwrap_or_default();

    if let Some(AppError::LoginRequired { next }) = err
        && !is_api(req)
    {
        let to = format!(
            "/login?next={}",
            url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        );
        return HttpResponse::SeeOther()
            .insert_header((header::LOCATION, to))
            .finish();
    }
    let status = match err {
        Some(AppError::LoginRequired { .. }) => StatusCode::UNAUTHORIZED,
        _ => status,
    };
    let fallback;
    let err = match err {
        Some(e) => e,
        None => {
            fallback = match status {
                StatusCode::NOT_FOUND => AppError::NotFound,
                s if s.is_server_error() => AppError::Unexpected(anyhow::anyhow!("{s}")),
                StatusCode::METHOD_NOT_ALLOWED => {
                    AppError::BadRequest("error.method_not_allowed".into())
                }
                StatusCode::PAYLOAD_TOO_LARGE => AppError::BadRequest("error.too_large".into()),
                _ => AppError::BadRequest("error.malformed".into()),
            };
            &fallback
        }
    };
    let code = err.code();
    let mut b = HttpResponse::build(status);
    b.insert_header((header::CACHE_CONTROL, "no-store"));
    if let AppError::TooManyRequests { retry_after_secs } = err {
        b.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
    }
    if is_api(req) {
        // The JSON API speaks English, whatever the reader's language.
        let (_, message) = err.public_text(Lang::En);
        if status == StatusCode::UNAUTHORIZED {
            b.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        return b.json(serde_json::json!({
            "error": code,
            "message": message,
            "request_id": request_id,
        }));
    }
    let chrome = Chrome::for_error(req);
    let (title, message) = err.public_text(chrome.lang);
    let page = ErrorPage {
        chrome,
        status: status.as_u16(),
        title: &title,
        message: &message,
        request_id: &request_id,
        retry_sign_in: matches!(err, AppError::SignIn(r, _) if r.offers_retry()),
    };
    match page.render() {
        Ok(html) => b.content_type("text/html; charset=utf-8").body(html),
        Err(_) => b.content_type("text/plain; charset=utf-8").body(format!(
            "{title}\n\n{message}\n\nRequest id: {request_id}\n"
        )),
    }
}

/// Replaces every error answer (ours, actix's extractor errors, 404/405) with the rendered one,
/// and logs the cause chain of unexpected errors.
pub async fn render_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static, BoxBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    let status = res.status();
    let has_error = res.response().error().is_some();
    let empty_body = matches!(
        res.response().body().size(),
        actix_web::body::BodySize::Sized(0) | actix_web::body::BodySize::None
    );
    let is_error_status = status.is_client_error() || status.is_server_error();
    // Answers that already carry their own body (the dev provider's JSON errors) pass through.
    if !(has_error || (is_error_status && empty_body)) {
        return Ok(res.map_into_left_body());
    }
    let app_err = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>());
    if let Some(e) = app_err {
        if status.is_server_error() {
            tracing::error!(error = ?e, "request failed");
        } else {
            tracing::info!(error = %e, "request refused");
        }
    } else if let Some(e) = res.response().error() {
        tracing::info!(error = %e, status = status.as_u16(), "request refused");
    }
    let mut rendered = render(res.request(), status, app_err);
    // Keep the session middleware's Set-Cookie: a consumed pending login or a purged session
    // must be written back even when the answer is an error page.
    for cookie in res.headers().get_all(header::SET_COOKIE) {
        rendered
            .headers_mut()
            .append(header::SET_COOKIE, cookie.clone());
    }
    let (req, _old) = res.into_parts();
    Ok(ServiceResponse::new(req, rendered).map_into_right_body())
}
