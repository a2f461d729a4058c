//! The checks many tests share: a friendly error page, a 401 from the API, and what an answer
//! does to cookies.

use super::header;
use reqwest::header::{CONTENT_TYPE, SET_COOKIE};

/// Asserts a friendly HTML error page with `status` (never a 500) and returns its body.
pub async fn assert_friendly_page(r: reqwest::Response, status: u16, what: &str) -> String {
    let got = r.status().as_u16();
    let ctype = header(&r, CONTENT_TYPE.as_str());
    let body = r.text().await.expect("error page body");
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

/// Asserts a friendly error page with `status` that says `says`; returns its body.
pub async fn assert_page_says(r: reqwest::Response, status: u16, what: &str, says: &str) -> String {
    let body = assert_friendly_page(r, status, what).await;
    assert!(
        body.contains(says),
        "{what}: the page does not say `{says}`: {body}"
    );
    body
}

/// Asserts that `text` contains every one of `expected`, naming the first missing.
pub fn assert_contains_all(text: &str, expected: &[&str]) {
    for e in expected {
        assert!(text.contains(e), "missing {e:?} in {text}");
    }
}

/// Asserts a 401 JSON answer with `WWW-Authenticate: Bearer`.
pub async fn assert_api_401(r: reqwest::Response, what: &str) {
    assert_eq!(r.status().as_u16(), 401, "{what}: status");
    let www = header(&r, "www-authenticate");
    assert!(
        www.starts_with("Bearer"),
        "{what}: WWW-Authenticate `{www}`"
    );
    let v: serde_json::Value = r.json().await.expect("401 body is JSON");
    assert_eq!(v["error"], "unauthorized", "{what}: {v}");
}

/// The `session=VALUE` pair set by an answer, if it sets a non-empty session cookie.
pub fn session_cookie(r: &reqwest::Response) -> Option<String> {
    set_cookies(r)
        .iter()
        .filter_map(|v| v.split(';').next())
        .map(str::trim)
        .find(|pair| pair.starts_with("session=") && pair.len() > "session=".len())
        .map(str::to_string)
}

/// True when the answer sets (or clears) any cookie.
pub fn sets_cookie(r: &reqwest::Response) -> bool {
    r.headers().get(SET_COOKIE).is_some()
}

/// Every `Set-Cookie` header of an answer.
pub fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("Set-Cookie text").to_string())
        .collect()
}

/// The attributes of a `Set-Cookie` value, lower-cased, without the name=value pair.
pub fn cookie_attributes(set_cookie: &str) -> Vec<String> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}
