//! The whole route table, in one function, and one file per area.

pub mod admin;
pub mod api;
pub mod auth;
pub mod health;
pub mod home;
pub mod pages;
pub mod static_files;

use crate::error::AppError;
use actix_web::web;

/// Routes that need the session (and its check); mounted inside the session middleware.
pub fn session_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::home))
        .route("/login", web::get().to(auth::login_page))
        .route("/auth/google/login", web::get().to(auth::google_login))
        .route(
            "/auth/google/callback",
            web::get().to(auth::google_callback),
        )
        .route("/logout", web::post().to(auth::logout))
        .route("/tokens", web::post().to(home::create_api_token))
        .route("/api/me", web::get().to(api::me))
        .route("/admin", web::get().to(admin::admin_home))
        .route("/admin/users", web::get().to(admin::list_users))
        .route("/admin/users/{public_id}", web::get().to(admin::show_user))
        .route(
            "/admin/users/{public_id}/{action}",
            web::post().to(admin::user_action),
        )
        .route("/admin/audit", web::get().to(admin::audit_log));
}

/// Routes that never touch the session.
pub fn open_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(crate::metrics::scrape))
        .route("/static/{file}", web::get().to(static_files::asset));
}

pub async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
