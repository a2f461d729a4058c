//! A misbehaving token endpoint (hanging, failing, answering garbage, no ID token, too big)
//! gives a friendly error page in bounded time and writes nothing.

use crate::both_backends;
use crate::helpers::*;
use crate::support::*;
use signin::dev_provider::Faults;
use std::time::{Duration, Instant};

both_backends!(
    hanging_token_endpoint_times_out_friendly,
    |backend| async move {
        let app = spawn_app_with(
            backend,
            TestOptions {
                env: vec![("HTTP_TIMEOUT", "1s".into())],
                ..Default::default()
            },
        )
        .await;
        app.set_faults(Faults {
            token_delay: Some(Duration::from_secs(6)),
            ..Default::default()
        });
        let b = &app.browser;
        let authorize = b.begin_sign_in(None).await;
        let callback = b.consent(&authorize, "slow@example.com", "Slow").await;
        let started = Instant::now();
        let r = b.get(&callback).await;
        let took = started.elapsed();
        let body = assert_friendly_page(r, 504, "hanging token endpoint").await;
        assert!(body.contains("did not answer in time"), "{body}");
        assert!(
            took < Duration::from_secs(3),
            "answered after {took:?}, HTTP_TIMEOUT is 1 s"
        );
        assert!(
            took >= Duration::from_millis(900),
            "did not wait at all: {took:?}"
        );
        assert_eq!(counts(&app), (0, 0));
        app.stop().await;
    }
);

/// Signs in with `faults` on the provider: a friendly 502 page and nothing written.
async fn token_fault(backend: Backend, faults: Faults, what: &str) {
    let app = spawn_app(backend).await;
    app.set_faults(faults);
    let r = app.sign_in("ada@example.com", "Ada").await;
    let body = assert_friendly_page(r, 502, what).await;
    assert!(
        body.contains("did not answer as expected"),
        "{what}: {body}"
    );
    assert_eq!(counts(&app), (0, 0), "{what}: nothing written");
    app.stop().await;
}

both_backends!(token_endpoint_500_is_a_friendly_502, |backend| async move {
    let f = Faults {
        token_status: Some(500),
        ..Default::default()
    };
    token_fault(backend, f, "token 500").await;
});

both_backends!(
    token_endpoint_garbage_is_a_friendly_502,
    |backend| async move {
        let f = Faults {
            token_garbage: true,
            ..Default::default()
        };
        token_fault(backend, f, "garbage").await;
    }
);

both_backends!(
    token_answer_without_id_token_is_a_friendly_502,
    |backend| async move {
        let f = Faults {
            token_missing_id_token: true,
            ..Default::default()
        };
        token_fault(backend, f, "no id_token").await;
    }
);

both_backends!(
    oversized_token_answer_is_a_friendly_502,
    |backend| async move {
        let f = Faults {
            token_oversized: true,
            ..Default::default()
        };
        token_fault(backend, f, "oversized").await;
    }
);

both_backends!(unreachable_jwks_is_a_friendly_502, |backend| async move {
    let f = Faults {
        jwks_down: true,
        ..Default::default()
    };
    token_fault(backend, f, "JWKS down").await;
});

both_backends!(failing_userinfo_is_a_friendly_502, |backend| async move {
    let f = Faults {
        userinfo_down: true,
        ..Default::default()
    };
    token_fault(backend, f, "userinfo down").await;
});

both_backends!(
    userinfo_about_someone_else_is_refused,
    |backend| async move {
        let f = Faults {
            userinfo_other_sub: true,
            ..Default::default()
        };
        token_fault(backend, f, "userinfo sub mismatch").await;
    }
);
