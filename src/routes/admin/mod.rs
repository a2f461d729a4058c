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

/// How the page shown was reached: the list's start, or a step forward or back from a row.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Reached {
    Start,
    Forward,
    Back,
}

/// Which way a pager link steps from the row it names.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Back,
    Forward,
}

/// A keyset-paged list's links: to its start, a step back from the first row shown and a step
/// forward from the last, each only where there is something to see.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pager {
    pub first: Option<String>,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `more`: the query found rows past the page in the direction it read. `link(None)` is
    /// the list's start, `link(Some((step, row)))` a step from `row`.
    fn new<R>(
        rows: &[R],
        reached: Reached,
        more: bool,
        link: impl Fn(Option<(Step, &R)>) -> String,
    ) -> Self {
        let (back, forward) = match reached {
            Reached::Start => (false, more),
            Reached::Forward => (true, more),
            Reached::Back => (more, true),
        };
        Self {
            first: (reached != Reached::Start).then(|| link(None)),
            prev: rows
                .first()
                .filter(|_| back)
                .map(|r| link(Some((Step::Back, r)))),
            next: rows
                .last()
                .filter(|_| forward)
                .map(|r| link(Some((Step::Forward, r)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(to: Option<(Step, &i32)>) -> String {
        match to {
            None => "start".into(),
            Some((Step::Back, r)) => format!("back-{r}"),
            Some((Step::Forward, r)) => format!("forward-{r}"),
        }
    }

    fn pager(first: Option<&str>, prev: Option<&str>, next: Option<&str>) -> Pager {
        Pager {
            first: first.map(Into::into),
            prev: prev.map(Into::into),
            next: next.map(Into::into),
        }
    }

    #[test]
    fn the_start_links_forward_only_when_there_is_more() {
        let rows = [1, 2, 3];
        let more = Pager::new(&rows, Reached::Start, true, link);
        assert_eq!(more, pager(None, None, Some("forward-3")));
        assert_eq!(
            Pager::new(&rows, Reached::Start, false, link),
            Pager::default()
        );
    }

    #[test]
    fn a_step_forward_links_back_and_to_the_start() {
        let rows = [4, 5];
        let end = Pager::new(&rows, Reached::Forward, false, link);
        assert_eq!(end, pager(Some("start"), Some("back-4"), None));
        let middle = Pager::new(&rows, Reached::Forward, true, link);
        assert_eq!(middle.next.as_deref(), Some("forward-5"));
    }

    #[test]
    fn a_step_back_always_links_forward_and_back_only_when_there_is_more() {
        let rows = [7, 8];
        let middle = Pager::new(&rows, Reached::Back, true, link);
        assert_eq!(
            middle,
            pager(Some("start"), Some("back-7"), Some("forward-8"))
        );
        let near_start = Pager::new(&rows, Reached::Back, false, link);
        assert_eq!(near_start.prev, None);
    }

    #[test]
    fn an_empty_page_links_only_to_the_start() {
        let rows: [i32; 0] = [];
        assert_eq!(
            Pager::new(&rows, Reached::Forward, true, link),
            pager(Some("start"), None, None)
        );
    }
}
