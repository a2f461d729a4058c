//! Small tools shared by the sign-in tests: cookies read from answers, consent forms with
//! chosen fields, API tokens scraped from the page, JWT payloads, session rows, error checks.
#![allow(dead_code)]

use crate::helpers::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};

/// The `session=VALUE` pair set by an answer, if it sets a non-empty session cookie.
pub fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::trim)
        .find(|pair| pair.starts_with("session=") && pair.len() > "session=".len())
        .map(str::to_string)
}

/// True when the answer sets (or clears) any cookie.
pub fn sets_cookie(r: &reqwest::Response) -> bool {
    r.headers().get(SET_COOKIE).is_some()
}

/// A client with no cookie jar and no redirects: it sends exactly the headers it is given.
pub fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// `GET path` on the app carrying a saved `Cookie` header, as a copied cookie would be replayed.
pub async fn get_with_cookie(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    plain_client()
        .get(format!("{}{}", app.address, path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

/// `GET /api/me` with `Authorization: Bearer <token>` and no cookie.
pub async fn me_with_bearer(app: &TestApp, token: &str) -> reqwest::Response {
    plain_client()
        .get(format!("{}/api/me", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// Posts the provider's consent form for `authorize_url` with exactly these extra fields.
pub async fn post_consent(
    browser: &Browser,
    authorize_url: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let u = url::Url::parse(authorize_url).unwrap();
    let mut form: Vec<(String, String)> = u.query_pairs().into_owned().collect();
    form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let mut post_to = u.clone();
    post_to.set_query(None);
    browser
        .client
        .post(post_to.as_str())
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// The value of query parameter `name` in `url`.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `url` with parameter `name` replaced by `value` (or removed when `None`).
pub fn with_param(url: &str, name: &str, value: Option<&str>) -> String {
    let mut u = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| k != name)
        .collect();
    {
        let mut q = u.query_pairs_mut();
        q.clear();
        for (k, v) in &pairs {
            q.append_pair(k, v);
        }
        if let Some(v) = value {
            q.append_pair(name, v);
        }
    }
    u.to_string()
}

/// The API token shown once on the token page.
pub fn scrape_token(html: &str) -> Option<String> {
    let start = html.find("spellcheck=\"false\">")? + "spellcheck=\"false\">".len();
    let end = html[start..].find("</textarea>")?;
    Some(html[start..start + end].trim().to_string())
}

/// Creates an API token through the home page's form (signed-in browser) and returns it.
pub async fn create_api_token(browser: &Browser) -> String {
    let csrf = browser.csrf().await;
    let r = browser.post_form("/tokens", &[("csrf", &csrf)]).await;
    assert_eq!(r.status().as_u16(), 200, "token page");
    let html = r.text().await.unwrap();
    scrape_token(&html).expect("token on the page")
}

/// The payload of a JWT, not verified (tests read `exp`, `jti`).
pub fn jwt_payload(token: &str) -> serde_json::Value {
    let body = token.split('.').nth(1).expect("JWT payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).expect("base64url")).expect("JSON")
}

/// `(jti, revoked_reason, kind)` of every session row.
pub fn session_rows(app: &TestApp) -> Vec<(String, Option<String>, String)> {
    use diesel::prelude::*;
    use signin::db::schema::sessions;
    app.query(|c| {
        sessions::table
            .select((sessions::jti, sessions::revoked_reason, sessions::kind))
            .order(sessions::created_at.asc())
            .load::<(String, Option<String>, String)>(c)
            .unwrap()
    })
}

/// Asserts a friendly HTML error page with `status` (never a 500) and returns its body.
pub async fn assert_friendly_page(r: reqwest::Response, status: u16, what: &str) -> String {
    let got = r.status().as_u16();
    let ctype = r
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = r.text().await.unwrap();
    assert_eq!(got, status, "{what}: status; body: {body}");
    assert!(
        ctype.starts_with("text/html"),
        "{what}: content type {ctype}"
    );
    assert!(body.contains("Request id"), "{what}: no request id: {body}");
    assert!(
        !body.contains("Something went wrong"),
        "{what}: the generic internal-error page: {body}"
    );
    body
}

/// Asserts a 401 JSON answer with `WWW-Authenticate: Bearer`.
pub async fn assert_api_401(r: reqwest::Response, what: &str) {
    assert_eq!(r.status().as_u16(), 401, "{what}: status");
    let www = r
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        www.starts_with("Bearer"),
        "{what}: WWW-Authenticate `{www}`"
    );
    let v: serde_json::Value = r.json().await.expect("401 body is JSON");
    assert_eq!(v["error"], "unauthorized", "{what}: {v}");
}

/// `(users, sessions)` row counts, to prove that nothing was written.
pub fn counts(app: &TestApp) -> (i64, i64) {
    (app.count_users(), app.count_sessions())
}
