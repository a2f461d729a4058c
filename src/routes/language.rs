//! `GET /language?lang=ko&next=/path`: the footer's language switcher. A plain link, so it works
//! without JavaScript; it only stores a language code in a small cookie (not the session) and
//! sends the reader back to a path on this site (`safe_next`: never another origin).

use crate::domain::safe_next;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::web::{LANG_COOKIE, SiteInfo, see_other};
use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct LanguageQuery {
    lang: String,
    next: Option<String>,
}

/// How long the choice is remembered.
const REMEMBER_DAYS: i64 = 365;

#[tracing::instrument(skip_all)]
pub async fn choose_language(
    site: Option<web::Data<SiteInfo>>,
    query: web::Query<LanguageQuery>,
) -> Result<HttpResponse, AppError> {
    let Some(lang) = Lang::ALL.into_iter().find(|l| l.code() == query.lang) else {
        return Err(AppError::BadRequest("error.unknown_language".into()));
    };
    let cookie = Cookie::build(LANG_COOKIE, lang.code())
        .path("/")
        .max_age(Duration::days(REMEMBER_DAYS))
        .same_site(SameSite::Lax)
        .http_only(true)
        .secure(site.is_some_and(|s| s.https))
        .finish();
    let mut resp = see_other(&safe_next(query.next.as_deref()));
    resp.add_cookie(&cookie)
        .map_err(|e| AppError::Unexpected(anyhow::Error::new(e)))?;
    Ok(resp)
}
