//! `X-Request-Id`: reused as the request's id only from a peer in `TRUSTED_PROXIES` and only when
//! it is 1 to 64 of `A-Z a-z 0-9 . _ -`; every other request gets a fresh id.

use crate::app_test;
use crate::helpers::*;

/// The id the answer carries, in its header and (for an error) its JSON body.
async fn ids_for(app: &TestApp, sent: &str) -> (String, String) {
    // As bytes: `é` is not a visible-ASCII header value, but a client may still send it.
    let value = reqwest::header::HeaderValue::from_bytes(sent.as_bytes()).unwrap();
    let r = plain_client()
        .get(app.browser.url("/api/unknown"))
        .header("X-Request-Id", value)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let header = header(&r, "x-request-id");
    let v: serde_json::Value = r.json().await.unwrap();
    (
        header,
        v["request_id"].as_str().unwrap_or_default().to_string(),
    )
}

fn is_fresh(id: &str) -> bool {
    id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

app_test!(sqlite: a_trusted_proxys_request_id_is_reused, |_unused| {
    let app = TestApp::with_env(Backend::Sqlite, &[("TRUSTED_PROXIES", "127.0.0.1")]).await;
    for sent in ["nginx-7f3a.01_Z", "a", &"x".repeat(64)] {
        let (header, body) = ids_for(&app, sent).await;
        assert_eq!(header, sent);
        assert_eq!(body, sent);
    }
    // On a page too.
    let r = plain_client()
        .get(app.browser.url("/no/such/page"))
        .header("X-Request-Id", "edge-42")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&r, "x-request-id"), "edge-42");
    assert!(r.text().await.unwrap().contains("<code>edge-42</code>"));
    app.stop().await;
});

app_test!(sqlite: an_unsafe_request_id_is_replaced_even_from_a_trusted_proxy, |_unused| {
    let app = TestApp::with_env(Backend::Sqlite, &[("TRUSTED_PROXIES", "127.0.0.1")]).await;
    let too_long = "x".repeat(65);
    for sent in ["a b", "<script>", "id;drop", "a/b", "é", "a\tb", too_long.as_str()] {
        let (header, body) = ids_for(&app, sent).await;
        assert!(is_fresh(&header), "{sent:?} -> {header}");
        assert_eq!(body, header);
    }
    app.stop().await;
});

app_test!(sqlite: an_untrusted_peers_request_id_is_ignored, |_unused| {
    // A proxy is configured, but the test client is not it.
    let app = TestApp::with_env(Backend::Sqlite, &[("TRUSTED_PROXIES", "10.0.0.1")]).await;
    let (header, body) = ids_for(&app, "chosen-by-a-stranger").await;
    assert!(is_fresh(&header), "{header}");
    assert_eq!(body, header);
    let (again, _) = ids_for(&app, "chosen-by-a-stranger").await;
    assert_ne!(again, header, "each request its own id");
    app.stop().await;
});
