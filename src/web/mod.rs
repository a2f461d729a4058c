//! Presentation, below the handlers and the error renderer: what every page shares (the
//! layout's data, `Chrome`), the error page, turning a template into a response, and dates as
//! people read them.

mod device;

pub use device::device_summary;

use crate::i18n::format::Formats;
use crate::i18n::{self, Lang};
use crate::paths;
use crate::sessions::CurrentUser;
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::borrow::Cow;
use std::fmt::Display;
use std::sync::Arc;

/// The language switcher's cookie: a language code, nothing else.
pub const LANG_COOKIE: &str = "lang";

/// Facts about the site that every page shows (set once at start-up).
#[derive(Debug, Clone)]
pub struct SiteInfo {
    pub dev: bool,
    /// `SITE_NAME`: the brand in the header, the footer and every title.
    pub name: Arc<str>,
    /// `DEFAULT_LANGUAGE`: for a reader who chose none and whose browser asks for none we have.
    pub default_lang: Lang,
    /// `DISPLAY_TIMEZONE`.
    pub tz: Tz,
    /// The switcher's cookie is `Secure` on an https origin.
    pub https: bool,
}

impl SiteInfo {
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            dev: config.dev_provider,
            name: Arc::from(config.site.name.as_str()),
            default_lang: config.site.default_lang,
            tz: config.site.display_tz,
            https: config.is_https(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NavUser {
    pub name: String,
    pub is_admin: bool,
}

/// The language a request gets: the switcher's cookie, then `Accept-Language`, then the
/// deployment's default (`i18n::negotiate`).
pub fn request_lang(req: &HttpRequest, default: Lang) -> Lang {
    let cookie = req.cookie(LANG_COOKIE);
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    i18n::negotiate(cookie.as_ref().map(|c| c.value()), accept, default)
}

/// The layout's data: dev banner, who is signed in, the CSRF token for the sign-out form, and
/// the reader's language and date formats (resolved once, here, for the whole page).
#[derive(Debug, Clone)]
pub struct Chrome {
    pub dev: bool,
    pub site: Arc<str>,
    pub user: Option<NavUser>,
    pub csrf: String,
    pub lang: Lang,
    pub formats: Formats,
    /// This page's path and query: where the language switcher brings the reader back.
    here: String,
}

impl Chrome {
    pub fn new(req: &HttpRequest, user: Option<&CurrentUser>, csrf: String) -> Self {
        let site = req.app_data::<web::Data<SiteInfo>>();
        let lang = request_lang(req, site.map_or(Lang::En, |s| s.default_lang));
        let tz = site.map_or(Tz::UTC, |s| s.tz);
        Self {
            dev: site.is_some_and(|s| s.dev),
            site: site.map_or_else(|| Arc::from("Sign in"), |s| s.name.clone()),
            user: user.map(|u| NavUser {
                name: u.user().profile.name.clone(),
                is_admin: u.user().is_admin(),
            }),
            csrf,
            lang,
            formats: Formats::new(lang, tz),
            here: req
                .uri()
                .path_and_query()
                .map_or_else(|| "/".to_string(), |p| p.as_str().to_string()),
        }
    }

    /// For error pages: no forms, so no CSRF token.
    pub fn for_error(req: &HttpRequest) -> Self {
        let user = req.extensions().get::<CurrentUser>().cloned();
        Self::new(req, user.as_ref(), String::new())
    }

    /// The catalog's text for `key` in the reader's language.
    pub fn t(&self, key: &str) -> Cow<'static, str> {
        self.lang.t(key)
    }

    /// The same with one `%{name}` filled in.
    pub fn t1(&self, key: &str, name: &str, value: impl Display) -> String {
        self.lang.t1(key, name, value)
    }

    /// The same with two.
    pub fn t2(&self, key: &str, n1: &str, v1: impl Display, n2: &str, v2: impl Display) -> String {
        self.lang.t2(key, n1, v1, n2, v2)
    }

    pub fn time(&self, t: DateTime<Utc>) -> String {
        self.formats.time(t)
    }

    pub fn date(&self, t: DateTime<Utc>) -> String {
        self.formats.date(t)
    }

    /// A count with the language's grouping (templates pass it by reference).
    pub fn count<N: Copy + TryInto<i64>>(&self, n: &N) -> String {
        self.formats.count((*n).try_into().unwrap_or(i64::MAX))
    }

    /// The switcher's links: each language, its link back to this page, and whether it is the
    /// current one.
    pub fn languages(&self) -> Vec<(Lang, String, bool)> {
        let next: String = url::form_urlencoded::byte_serialize(self.here.as_bytes()).collect();
        Lang::ALL
            .into_iter()
            .map(|l| {
                let href = format!("{}?lang={}&next={next}", paths::LANGUAGE, l.code());
                (l, href, l == self.lang)
            })
            .collect()
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

/// Up to two initials for the avatar placeholder.
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}
