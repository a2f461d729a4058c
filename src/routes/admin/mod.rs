//! The admin area: the user list with its overview and chart, one user's page with its
//! sessions and actions (CSRF-checked POSTs answering with a redirect and a flash message), and
//! the audit log. Admins only: others get a 403 page, visitors are sent to sign in. This file
//! holds the scope's route table and what every admin page shares.

mod audit;
mod cache;
mod delete;
mod export;
mod flash;
mod overview;
mod user;
mod users;

pub use audit::audit_log;
pub use cache::OverviewCache;
pub use user::{show_user, user_action};
pub use users::list_users;

use super::visit::Visit;
use crate::admin::filters::FilterError;
use crate::auth::AdminUser;
use crate::error::AppError;
use crate::paths;
use crate::web::see_other;
use actix_web::{HttpResponse, web};

/// Rows per page of the user list and of the audit log.
pub const PAGE_SIZE: i64 = 50;

/// The admin scope's routes, relative to `/admin` (the scope is guarded by `require_admin`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(admin_home))
        .route("/users", web::get().to(list_users))
        // Before `/users/{public_id}`, which would take `export.csv` for a user's id.
        .route(
            "/users/export.csv",
            web::get().to(export::export::<users::ListQuery>),
        )
        .route("/users/{public_id}", web::get().to(show_user))
        .route(
            "/users/{public_id}/delete",
            web::get().to(delete::confirm_delete_user),
        )
        .route(
            "/users/{public_id}/delete",
            web::post().to(delete::delete_user_account),
        )
        .route(
            "/users/{public_id}/unlink",
            web::post().to(user::unlink_identity),
        )
        .route("/users/{public_id}/{action}", web::post().to(user_action))
        .route("/audit", web::get().to(audit_log))
        .route(
            "/audit/export.csv",
            web::get().to(export::export::<audit::AuditQuery>),
        );
}

/// What an admin page handler reads about the request (see `Visit`).
type AdminVisit = Visit<AdminUser>;

/// A 400 page saying the catalog's `key`.
fn bad(key: &'static str) -> AppError {
    AppError::BadRequest(key.into())
}

/// A 400 page saying why a filter was refused.
fn filter_refused(e: FilterError) -> AppError {
    AppError::BadRequest(e.key().into())
}

/// `GET /admin`: the user list.
pub async fn admin_home(_admin: AdminUser) -> HttpResponse {
    see_other(paths::ADMIN_USERS)
}
