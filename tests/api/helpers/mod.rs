//! The test harness, one door for every integration test: `TestApp` (the real app on a free
//! loopback port, its own database, its own dev provider, a signed-in client, a second instance
//! sharing its database), `Browser` (a cookie jar that never follows redirects, so that each hop
//! is checked), the common checks (friendly page, API 401, cookies), `RunningBinary` for the
//! tests that run the real executable, and `DbProxy` for cutting the database mid-test.
//!
//! The harness's ties to the application's internals (its start-up options and configuration,
//! the session service, the dev provider, the schema behind the shared reads and writes) are all
//! in this folder, so that a change in `src/` is adapted here; a test that exercises an internal
//! API on purpose (the JWT codec, the admin rules, the bulk seed) names it itself.
#![allow(dead_code)]

mod app;
mod binary;
mod browser;
mod checks;
mod db;
mod db_proxy;

pub use app::*;
pub use binary::*;
pub use browser::*;
pub use checks::*;
pub use db::*;
pub use db_proxy::DbProxy;

use signin::dev_provider::DevKeys;
use std::sync::{Arc, OnceLock};

pub const CLIENT_ID: &str = "test-client";
pub const CLIENT_SECRET: &str = "test-client-secret-XYZZY";
pub const SECRET_KEY: &str =
    "test-secret-key-0123456789-0123456789-0123456789-0123456789-abcdefghij";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs one async test body on both backends: `name::sqlite` always, `name::postgres` when
/// `TEST_DATABASE_URL` is set (and it must be set when `REQUIRE_POSTGRES=1`, as in CI).
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)($crate::helpers::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if !$crate::helpers::postgres_available() {
                    return;
                }
                ($body)($crate::helpers::Backend::Postgres).await;
            }
        }
    };
}

/// One test on both backends with a fresh `TestApp` (default settings), stopped at the end:
/// `app_test!(name, |app| { … })`, where `app` is a `&TestApp`; `app_test!(sqlite: name, …)`
/// runs on SQLite only (for what does not depend on the database). A test that needs settings,
/// several apps or its own start-up uses `both_backends!` and `TestApp::with_env`/`pair`.
#[macro_export]
macro_rules! app_test {
    (sqlite: $name:ident, |$app:ident| $body:block) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let $app = &$crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await;
            $body
            $app.stop().await;
        }
    };
    ($name:ident, |$app:ident| $body:block) => {
        $crate::both_backends!($name, |backend| async move {
            let $app = &$crate::helpers::TestApp::spawn(backend).await;
            $body
            $app.stop().await;
        });
    };
}

/// One test on both backends with a fresh `TestApp::with_oidc(backend, env)`, stopped at the end
/// with its `oidc` provider: `oidc_test!(name, &[…], |app| { … })`, where `app` is a `&TestApp`,
/// or `|app, oidc| { … }` for a test that reaches that provider (a `RunningProvider`) itself.
#[macro_export]
macro_rules! oidc_test {
    ($name:ident, $env:expr, |$app:ident| $body:block) => {
        $crate::oidc_test!($name, $env, |$app, _oidc| $body);
    };
    ($name:ident, $env:expr, |$app:ident, $oidc:ident| $body:block) => {
        $crate::both_backends!($name, |backend| async move {
            let (app, $oidc) = $crate::helpers::TestApp::with_oidc(backend, $env).await;
            let $app = &app;
            $body
            $app.stop().await;
        });
    };
}

/// One test on both backends with two instances behind one load balancer (`TestApp::pair`),
/// both stopped at the end: `pair_test!(name, |a, b| { … })`, where `a` and `b` are `&TestApp`.
#[macro_export]
macro_rules! pair_test {
    ($name:ident, |$a:ident, $b:ident| $body:block) => {
        $crate::both_backends!($name, |backend| async move {
            let pair = $crate::helpers::TestApp::pair(backend).await;
            let ($a, $b) = (&pair.0, &pair.1);
            $body
            $a.stop().await;
            $b.stop().await;
        });
    };
}

/// The dev provider's fault switches: `faults!(jwks_down)` turns a switch on,
/// `faults!(token: TokenAnswer::Status(500))` sets a value; everything else stays off.
#[macro_export]
macro_rules! faults {
    ($($field:ident $(: $value:expr)?),* $(,)?) => {
        signin::dev_provider::Faults {
            $($field: $crate::faults!(@value $($value)?),)*
            ..Default::default()
        }
    };
    (@value) => { true };
    (@value $value:expr) => { $value };
}

/// True when PostgreSQL tests can run; panics when CI requires them and they cannot.
pub fn postgres_available() -> bool {
    let set = std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty());
    if !set && std::env::var("REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
        panic!("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set");
    }
    if !set {
        eprintln!("skipping: TEST_DATABASE_URL is not set");
    }
    set
}

/// RSA keys are slow to make: one pair per test process.
pub fn test_keys() -> Arc<DevKeys> {
    static KEYS: OnceLock<Arc<DevKeys>> = OnceLock::new();
    KEYS.get_or_init(|| Arc::new(DevKeys::generate_pair().expect("test RSA keys")))
        .clone()
}

/// `TEST_LOG=1` shows the app's logs (debug level) on the test's output.
fn init_logging() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        if std::env::var("TEST_LOG").is_ok() {
            signin::telemetry::init(signin::config::LogFormat::Pretty, "debug", std::io::stdout);
        }
    });
}

/// 16 random hex digits, for unique names.
pub fn uuid_like() -> String {
    use rand::RngCore;
    let mut b = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A port that was free a moment ago (for a process that binds it itself).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind a free port")
        .local_addr()
        .expect("local address")
        .port()
}
