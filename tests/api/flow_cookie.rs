//! The pending sign-in in its own short cookie: a visitor who clicks "Sign in" gets only that
//! (10 minutes, `/auth/`), the session cookie comes with the sign-in, and a state is used once
//! on every instance, even with a copied flow cookie.

use crate::helpers::*;
use crate::{app_test, pair_test};

fn named<'a>(cookies: &'a [String], name: &str) -> Option<&'a String> {
    cookies.iter().find(|c| c.starts_with(&format!("{name}=")))
}

app_test!(
    an_anonymous_click_on_sign_in_leaves_no_session_cookie,
    |app| {
        let b = app.new_browser();
        for path in ["/", "/login", "/login?next=/admin"] {
            let r = b.get(path).await;
            assert!(
                !sets_cookie(&r),
                "{path} sets a cookie: {:?}",
                set_cookies(&r)
            );
        }
        let r = b.get("/auth/google/login").await;
        assert_eq!(r.status().as_u16(), 302);
        let cookies = set_cookies(&r);
        assert_eq!(cookies.len(), 1, "only the flow cookie: {cookies:?}");
        let flow = named(&cookies, "signin-flow").expect("the flow cookie");
        let attrs = cookie_attributes(flow);
        for want in ["max-age=600", "path=/auth/", "httponly", "samesite=lax"] {
            assert!(attrs.iter().any(|a| a == want), "{want} in {flow}");
        }
        assert!(!attrs.iter().any(|a| a == "secure"), "http: {flow}");

        // The callback signs in: the session cookie for SESSION_MAX_AGE, the flow cookie removed.
        let callback = b.consent(&location(&r), "ada@example.com", "Ada").await;
        let r = b.get(&callback).await;
        assert_eq!(r.status().as_u16(), 303);
        let cookies = set_cookies(&r);
        let session = named(&cookies, "session").expect("the session cookie");
        assert!(
            cookie_attributes(session)
                .iter()
                .any(|a| a == "max-age=7776000"),
            "{session}"
        );
        let gone = named(&cookies, "signin-flow").expect("the flow cookie removed");
        assert!(
            cookie_attributes(gone).iter().any(|a| a == "max-age=0"),
            "{gone}"
        );
        assert_eq!(b.me().await["email"], "ada@example.com");
    }
);

app_test!(
    a_refused_callback_removes_the_flow_cookie_and_sets_no_session,
    |app| {
        let b = app.new_browser();
        let authorize = b.begin_sign_in(None).await;
        let callback = b.consent(&authorize, "ada@example.com", "Ada").await;
        let r = b.get(&with_param(&callback, "state", Some("forged"))).await;
        let cookies = set_cookies(&r);
        assert!(named(&cookies, "session").is_none(), "{cookies:?}");
        let gone = named(&cookies, "signin-flow").expect("the flow cookie removed");
        assert!(
            cookie_attributes(gone).iter().any(|a| a == "max-age=0"),
            "{gone}"
        );
        assert_friendly_page(r, 400, "forged state").await;
    }
);

pair_test!(a_state_is_used_once_on_every_instance, |a, b| {
    let browser = a.new_browser();
    let r = browser.get("/auth/google/login").await;
    let authorize = location(&r);
    let flow = named(&set_cookies(&r), "signin-flow")
        .and_then(|c| c.split(';').next())
        .expect("the flow cookie")
        .to_string();
    let callback = browser.consent(&authorize, "ada@example.com", "Ada").await;
    assert_eq!(
        browser.get(&callback).await.status().as_u16(),
        303,
        "first use on A"
    );

    // An attacker with a copy of the flow cookie gets a fresh code for the same state and
    // replays the callback on B: refused, though the cookie alone would let it through.
    let attacker = Browser::new(&a.address);
    let callback2 = attacker.consent(&authorize, "ada@example.com", "Ada").await;
    assert_ne!(
        query_param(&callback2, "code"),
        query_param(&callback, "code")
    );
    let r = plain_client()
        .get(on_port(&callback2, b.port))
        .header("cookie", &flow)
        .send()
        .await
        .unwrap();
    assert!(session_cookie(&r).is_none());
    assert_friendly_page(r, 400, "replayed state on B").await;
    assert_eq!(a.count_sessions(), 1, "no second session");
});
