//! The whole route table, in one function, and one file per area.

pub mod account;
pub mod admin;
pub mod api;
pub mod auth;
pub mod health;
pub mod home;
pub(crate) mod identity_view;
pub mod language;
pub mod session_view;
pub mod static_files;
pub mod visit;

use crate::auth::middleware::require_admin;
use crate::error::AppError;
use crate::paths;
use actix_web::middleware::from_fn;
use actix_web::{HttpResponse, web};

/// Routes that need the session (and its check); mounted inside the session middleware. The
/// `/admin` scope is guarded once, by `require_admin`.
pub fn session_routes(cfg: &mut web::ServiceConfig) {
    cfg.route(paths::HOME, web::get().to(home::home))
        .route(paths::LOGIN, web::get().to(auth::login_page))
        .route(paths::GOOGLE_LOGIN, web::get().to(auth::login))
        .route(paths::GOOGLE_CALLBACK, web::get().to(auth::callback))
        .route(paths::LOGOUT, web::post().to(auth::logout))
        .route(paths::TOKENS, web::post().to(home::create_api_token))
        .route(paths::ACCOUNT, web::get().to(account::show_account))
        .route(paths::ACCOUNT_REVOKE, web::post().to(account::revoke))
        .route(paths::ACCOUNT_LINK, web::post().to(account::link))
        .route(paths::ACCOUNT_UNLINK, web::post().to(account::unlink))
        .route(
            paths::ACCOUNT_SIGN_OUT_OTHERS,
            web::post().to(account::sign_out_others),
        )
        .route(
            paths::ACCOUNT_DELETE,
            web::get().to(account::confirm_delete),
        )
        .route(
            paths::ACCOUNT_DELETE,
            web::post().to(account::delete_account),
        )
        .route(paths::API_ME, web::get().to(api::me))
        .service(
            web::scope(paths::ADMIN)
                .wrap(from_fn(require_admin))
                .configure(admin::routes),
        )
        // Last: a pattern route is matched by a regular expression, which every request that
        // reaches it pays (9,000 instructions for the two on `/api/me` when they stood above
        // it); Google's own paths are static routes above.
        .route(paths::PROVIDER_LOGIN, web::get().to(auth::login))
        .route(paths::PROVIDER_CALLBACK, web::get().to(auth::callback));
}

/// Routes that never touch the session (`/metrics` is added by start-up, here or on the
/// `METRICS_ADDR` listener).
pub fn open_routes(cfg: &mut web::ServiceConfig) {
    cfg.route(paths::HEALTHZ, web::get().to(health::healthz))
        .route(paths::READYZ, web::get().to(health::readyz))
        .route(paths::STATIC_FILE, web::get().to(static_files::asset))
        .route(paths::LANGUAGE, web::get().to(language::choose_language));
}

/// `GET /metrics`.
pub fn metrics_route(cfg: &mut web::ServiceConfig) {
    cfg.route(paths::METRICS, web::get().to(crate::metrics::scrape));
}

pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// A page as a 200 HTML answer, with a rendering failure as the handler's error.
pub(crate) fn render(page: impl askama::Template) -> Result<HttpResponse, AppError> {
    Ok(crate::web::render(page)?)
}
