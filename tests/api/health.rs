//! Liveness, readiness and not-found answers (HTML page with the request id; JSON under /api).

use crate::app_test;
use crate::helpers::*;

app_test!(health_and_readiness_answer, |app| {
    let r = app.browser.get("/healthz").await;
    assert_eq!(r.status().as_u16(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["status"], "ok");
    let r = app.browser.get("/readyz").await;
    assert_eq!(r.status().as_u16(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["status"], "ready");
});

/// The text of the first `<code>` after "Request id".
fn request_id(html: &str) -> Option<String> {
    let at = html.find("Request id")?;
    let rest = &html[at..];
    let start = rest.find("<code>")? + "<code>".len();
    let end = rest[start..].find("</code>")?;
    Some(rest[start..start + end].to_string())
}

app_test!(unknown_paths_get_a_friendly_404, |app| {
    let r = app.browser.get("/no/such/page").await;
    let body = assert_page_says(r, 404, "unknown page", "Page not found").await;
    let id = request_id(&body).expect("request id on the page");
    assert!(
        id.len() >= 8 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-'),
        "{id}"
    );

    // Each request has its own id.
    let again = app.browser.get_text("/no/such/page").await;
    assert_ne!(request_id(&again), Some(id));

    let r = app.browser.get("/api/unknown").await;
    assert_eq!(r.status().as_u16(), 404);
    let ctype = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ctype.starts_with("application/json"), "{ctype}");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"], "not_found");
    assert!(
        !v["request_id"].as_str().unwrap_or_default().is_empty(),
        "{v}"
    );
});
