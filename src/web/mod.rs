//! Presentation, below the handlers and the error renderer: what every page shares (the
//! layout's data, `Chrome`), the error page, turning a template into a response, and dates as
//! people read them.

mod device;

pub use device::device_summary;

use crate::sessions::CurrentUser;
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
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

#[derive(Debug, thiserror::Error)]
#[error("a page could not be rendered")]
pub struct RenderError(#[from] askama::Error);

/// A page as a 200 HTML answer.
pub fn render(page: impl Template) -> Result<HttpResponse, RenderError> {
    let html = page.render()?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// A 303 to a local path (after a form, or a sign-in).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_string()))
        .finish()
}

/// Dates as people read them, in UTC.
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// "5 Mar 2026, 09:07 UTC". Written out by hand: chrono's `format` parses its pattern on every
/// call, and the home page shows four dates (a visible cost in the request profile).
pub fn fmt_time(t: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Timelike;
    format!("{}, {:02}:{:02} UTC", fmt_date(t), t.hour(), t.minute())
}

/// "5 Mar 2026".
pub fn fmt_date(t: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Datelike;
    let month = MONTHS.get(t.month0() as usize).copied().unwrap_or("?");
    format!("{} {month} {}", t.day(), t.year())
}

/// Up to two initials for the avatar placeholder.
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn dates_read_as_chrono_would_write_them() {
        let mut t = Utc.with_ymd_and_hms(1999, 1, 1, 0, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2031, 1, 1, 0, 0, 0).unwrap();
        while t < end {
            assert_eq!(fmt_date(t), t.format("%-d %b %Y").to_string());
            assert_eq!(fmt_time(t), t.format("%-d %b %Y, %H:%M UTC").to_string());
            t += Duration::minutes(7919);
        }
    }
}
