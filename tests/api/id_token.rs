//! ID-token verification: every fault of the dev provider is refused with a friendly page and
//! writes nothing; a rotated provider key is picked up by one JWKS refetch.

use crate::helpers::*;
use crate::{app_test, both_backends, faults};
use signin::dev_provider::{Faults, Signing};

/// Signs one person in normally (so that the JWKS is cached, as in a running service), then
/// turns `faults` on and checks that a second person's sign-in is refused and writes nothing.
async fn refused_with(backend: Backend, faults: Faults, what: &str) {
    let app = TestApp::spawn(backend).await;
    app.signed_in("first@example.com", "First").await;
    let before = app.counts();

    app.set_faults(faults);
    let b = app.new_browser();
    let r = b.sign_in("victim@example.com", "Victim", None).await;
    assert_page_says(r, 502, what, "could not be verified").await;
    assert_eq!(app.counts(), before, "{what}: nothing written");
    let r = b.get("/api/me").await;
    assert_eq!(r.status().as_u16(), 401, "{what}: not signed in");

    // The same fault on a cold JWKS cache (first sign-in of a fresh instance).
    let cold = app.sibling().await;
    let r = cold.sign_in("victim@example.com", "Victim").await;
    assert_friendly_page(r, 502, what).await;
    assert_eq!(cold.counts(), (0, 0), "{what}: cold cache wrote nothing");
    cold.stop().await;
    app.stop().await;
}

/// One test (on both backends) of `refused_with` with these fault switches.
macro_rules! id_token_fault {
    ($name:ident, $($faults:tt)*) => {
        both_backends!($name, |backend| async move {
            refused_with(backend, faults!($($faults)*), stringify!($($faults)*)).await;
        });
    };
}

id_token_fault!(wrong_nonce_is_refused, wrong_nonce);
id_token_fault!(wrong_audience_is_refused, wrong_audience);
id_token_fault!(wrong_issuer_is_refused, wrong_issuer);
id_token_fault!(bad_signature_is_refused, signing: Signing::Unpublished);
id_token_fault!(unknown_kid_is_refused, signing: Signing::SecondKey);
id_token_fault!(alg_none_is_refused, signing: Signing::AlgNone);
id_token_fault!(expired_id_token_is_refused, expired);

app_test!(rotated_provider_key_is_fetched_once, |app| {
    // The first sign-in caches the JWKS, which holds only the first key.
    app.signed_in("first@example.com", "First").await;
    // The provider rotates: tokens now carry the second key's kid, and the JWKS publishes it.
    app.set_faults(faults!(signing: Signing::SecondKey, publish_second_key));
    let b = app.new_browser();
    let r = b.sign_in("second@example.com", "Second", None).await;
    assert_eq!(
        r.status().as_u16(),
        303,
        "the unknown kid triggers one refetch"
    );
    assert_eq!(app.counts(), (2, 2));
    assert_eq!(b.me().await["email"], "second@example.com");
});
