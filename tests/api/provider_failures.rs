//! A misbehaving token endpoint (hanging, failing, answering garbage, no ID token, too big)
//! gives a friendly error page in bounded time and writes nothing.

use crate::helpers::*;
use crate::{both_backends, faults};
use signin::dev_provider::{Faults, TokenAnswer};
use std::time::{Duration, Instant};

both_backends!(
    hanging_token_endpoint_times_out_friendly,
    |backend| async move {
        let app = TestApp::with_env(backend, &[("HTTP_TIMEOUT", "1s")]).await;
        app.set_faults(faults!(token_delay: Some(Duration::from_secs(6))));
        let b = &app.browser;
        let callback = b.consented("slow@example.com", "Slow").await;
        let started = Instant::now();
        let r = b.get(&callback).await;
        let took = started.elapsed();
        assert_page_says(r, 504, "hanging token endpoint", "did not answer in time").await;
        assert!(
            took < Duration::from_secs(3),
            "answered after {took:?}, HTTP_TIMEOUT is 1 s"
        );
        assert!(
            took >= Duration::from_millis(900),
            "did not wait at all: {took:?}"
        );
        assert_eq!(app.counts(), (0, 0));
        app.stop().await;
    }
);

/// Signs in with `faults` on the provider: a friendly 502 page and nothing written.
async fn token_fault(backend: Backend, faults: Faults, what: &str) {
    let app = TestApp::spawn(backend).await;
    app.set_faults(faults);
    let r = app.sign_in("ada@example.com", "Ada").await;
    assert_page_says(r, 502, what, "did not answer as expected").await;
    assert_eq!(app.counts(), (0, 0), "{what}: nothing written");
    app.stop().await;
}

/// One test (on both backends) of `token_fault` with these fault switches.
macro_rules! token_fault_test {
    ($name:ident, $what:expr, $($faults:tt)*) => {
        both_backends!($name, |backend| async move {
            token_fault(backend, faults!($($faults)*), $what).await;
        });
    };
}

token_fault_test!(
    token_endpoint_500_is_a_friendly_502,
    "token 500",
    token: TokenAnswer::Status(500)
);
token_fault_test!(
    token_endpoint_garbage_is_a_friendly_502,
    "garbage",
    token: TokenAnswer::Garbage
);
token_fault_test!(
    token_answer_without_id_token_is_a_friendly_502,
    "no id_token",
    token: TokenAnswer::NoIdToken
);
token_fault_test!(
    oversized_token_answer_is_a_friendly_502,
    "oversized",
    token: TokenAnswer::Oversized
);
token_fault_test!(unreachable_jwks_is_a_friendly_502, "JWKS down", jwks_down);
token_fault_test!(
    failing_userinfo_is_a_friendly_502,
    "userinfo down",
    userinfo_down
);
token_fault_test!(
    userinfo_about_someone_else_is_refused,
    "userinfo sub mismatch",
    userinfo_other_sub
);
