//! What every page shares: the layout's data (`Chrome`) and the error page.

use crate::auth::CurrentUser;
use actix_web::{HttpMessage, HttpRequest, web};
use askama::Template;

/// Facts about the site that every page shows (set once at start-up).
#[derive(Debug, Clone)]
pub struct SiteInfo {
    pub dev: bool,
    pub name: &'static str,
}

#[derive(Debug, Clone)]
pub struct NavUser {
    pub name: String,
    pub is_admin: bool,
}

/// The layout's data: dev banner, who is signed in, the CSRF token for the sign-out form.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub dev: bool,
    pub site: &'static str,
    pub user: Option<NavUser>,
    pub csrf: String,
}

impl Chrome {
    pub fn new(req: &HttpRequest, user: Option<&CurrentUser>, csrf: String) -> Self {
        let site = req.app_data::<web::Data<SiteInfo>>();
        Self {
            dev: site.is_some_and(|s| s.dev),
            site: site.map(|s| s.name).unwrap_or("Sign in"),
            user: user.map(|u| NavUser {
                name: u.user().name.clone(),
                is_admin: u.user().is_admin(),
            }),
            csrf,
        }
    }

    /// For error pages: no forms, so no CSRF token.
    pub fn for_error(req: &HttpRequest) -> Self {
        let user = req.extensions().get::<CurrentUser>().cloned();
        Self::new(req, user.as_ref(), String::new())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub chrome: Chrome,
    pub status: u16,
    pub title: &'a str,
    pub message: &'a str,
    pub request_id: &'a str,
    pub retry_sign_in: bool,
}

/// Dates as people read them, in UTC.
pub fn fmt_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%-d %b %Y, %H:%M UTC").to_string()
}

pub fn fmt_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%-d %b %Y").to_string()
}

/// Up to two initials for the avatar placeholder.
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}
