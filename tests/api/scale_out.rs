//! Two instances behind one origin share only the database: a sign-in begun on one finishes on
//! the other, and a logout on one is honoured by the other within the session cache's TTL.

use crate::both_backends;
use crate::helpers::*;
use crate::support::*;
use chrono::Duration;

/// `url` with its port replaced: the load balancer sent this request to the other instance.
fn on_port(url: &str, port: u16) -> String {
    let mut u = url::Url::parse(url).unwrap();
    u.set_port(Some(port)).unwrap();
    u.to_string()
}

both_backends!(
    two_instances_share_sign_in_and_revocation,
    |backend| async move {
        let a = spawn_app(backend).await;
        let b = spawn_app_with(
            backend,
            TestOptions {
                // Both serve the same public origin, as behind a load balancer.
                env: vec![("APP_BASE_URL", a.address.clone())],
                db: Some(a.db.clone()),
                provider: Some((a.provider.clone(), a.provider_url.clone())),
            },
        )
        .await;

        let browser = a.new_browser();
        let authorize = browser.begin_sign_in(None).await;
        let callback = browser.consent(&authorize, "ada@example.com", "Ada").await;
        let r = browser.get(&on_port(&callback, b.port)).await;
        assert_eq!(r.status().as_u16(), 303, "B finishes the sign-in A began");
        let cookie = session_cookie(&r).unwrap();
        for app in [&a, &b] {
            let r = get_with_cookie(app, "/api/me", &cookie).await;
            assert_eq!(r.status().as_u16(), 200, "signed in on port {}", app.port);
        }

        // Sign out on B; A may serve its cached check for at most the cache TTL, then refuses.
        let csrf = extract_input(
            &get_with_cookie(&b, "/", &cookie)
                .await
                .text()
                .await
                .unwrap(),
            "csrf",
        )
        .unwrap();
        let r = plain_client()
            .post(format!("{}/logout", b.address))
            .header(reqwest::header::COOKIE, &cookie)
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        a.clock.advance(Duration::seconds(1));
        assert_api_401(
            get_with_cookie(&a, "/api/me", &cookie).await,
            "revoked on B, seen by A",
        )
        .await;
        b.stop().await;
        a.stop().await;
    }
);
