//! The provider's own minimal page layout (`templates/dev/base.html`): rendering, its error page
//! and its stylesheet. Nothing here comes from the app's pages, so the provider looks the same
//! mounted in `serve --dev` and standalone.

use crate::i18n::Lang;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

/// Where the stylesheet is served, relative to the provider's mount point; pages link it
/// relatively (`style.css`), so the link works under `/dev/oidc` and at the root alike.
pub(super) const STYLESHEET_PATH: &str = "/style.css";

const STYLESHEET: &str = include_str!("style.css");

/// A refusal shown to the person instead of being sent back to the client.
#[derive(Template)]
#[template(path = "dev/error.html")]
struct ErrorPage {
    t: Lang,
    /// A catalog key.
    message: &'static str,
}

/// A page answer that is never cached.
pub(super) fn html(status: StatusCode, t: impl Template) -> HttpResponse {
    match t.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

/// `400` with the error page saying the catalog's `message`.
pub(super) fn refused(t: Lang, message: &'static str) -> HttpResponse {
    html(StatusCode::BAD_REQUEST, ErrorPage { t, message })
}

/// The reader's language, as the app chooses it (the switcher's cookie, which the provider's
/// origin shares in `serve --dev`, then `Accept-Language`), defaulting to English: the provider
/// does not read the app's configuration.
pub(super) fn lang_of(req: &HttpRequest) -> Lang {
    crate::web::request_lang(req, Lang::En)
}

/// `GET /style.css`.
pub(super) async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}
