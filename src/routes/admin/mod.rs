//! The admin area: the user list with its overview and chart, one user's page with its
//! sessions and actions (CSRF-checked POSTs answering with a redirect and a flash message), and
//! the audit log. Admins only: others get a 403 page, visitors are sent to sign in. This file
//! holds what every admin page shares: the `AdminUser` extractor and the request checks.

mod audit;
mod cache;
mod flash;
mod overview;
mod user;
mod users;

pub use audit::audit_log;
pub use cache::OverviewCache;
pub use user::{show_user, user_action};
pub use users::list_users;

use super::auth::see_other;
use crate::auth::CurrentUser;
use crate::auth::session::TypedSession;
use crate::db::audit::Actor;
use crate::error::AppError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use std::future::{Ready, ready};

/// Rows per page of the user list and of the audit log.
pub const PAGE_SIZE: i64 = 50;

/// A signed-in admin. Visitors are sent to sign in (and back); other users get a 403 page.
/// A disabled admin never gets here: the session check signs them out first.
#[derive(Debug, Clone)]
pub struct AdminUser(pub CurrentUser);

impl FromRequest for AdminUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = match CurrentUser::from_request(req, payload).into_inner() {
            Ok(u) => u,
            Err(e) => return ready(Err(e)),
        };
        ready(if user.user().is_admin() {
            Ok(AdminUser(user))
        } else {
            Err(AppError::Forbidden(
                "This part of the site is for administrators. If you need access, ask an administrator to give your account the admin role.".into(),
            ))
        })
    }
}

impl AdminUser {
    /// The admin as the audit log names them.
    fn actor(&self) -> Actor {
        Actor::User {
            id: self.0.user().id,
            email: self.0.user().email.clone(),
        }
    }
}

/// A 400 page with `msg`.
fn bad(msg: &str) -> AppError {
    AppError::BadRequest(msg.into())
}

/// The form's CSRF token against the session's; a mismatch is a 403 that says what to do.
pub(crate) fn check_csrf(session: &TypedSession, given: &str) -> Result<(), AppError> {
    if session.csrf_matches(given) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "The form had expired. Go back, reload the page and try again.".into(),
        ))
    }
}

/// `GET /admin`: the user list.
pub async fn admin_home(_admin: AdminUser) -> HttpResponse {
    see_other("/admin/users")
}
