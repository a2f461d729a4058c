//! Test harness: `spawn_app` (real app + real database + dev provider on loopback), a `Browser`
//! with its own cookie jar that does not follow redirects, and sign-in helpers.
#![allow(dead_code)]

use reqwest::header::LOCATION;
use signin::clock::ShiftedClock;
use signin::config::Config;
use signin::db::DbPool;
use signin::dev_provider::{self, DevKeys, DevProvider, Faults, ProviderSettings};
use signin::startup::{AppOptions, Application};
use std::collections::HashMap;
use std::net::TcpListener;
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

/// Runs one async test body on both backends: `name_sqlite` always, `name_postgres` when
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

fn init_logging() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        if std::env::var("TEST_LOG").is_ok() {
            signin::telemetry::init(signin::config::LogFormat::Pretty, "debug", std::io::stdout);
        }
    });
}

/// A database made for one test and dropped afterwards.
pub struct TestDb {
    pub url: String,
    pg_admin_url: Option<String>,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.sqlite3").display());
                Self {
                    url,
                    pg_admin_url: None,
                    pg_name: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                use diesel::{Connection, RunQueryDsl};
                let admin = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
                let name = format!("test_{}", uuid_like());
                let mut conn =
                    diesel::PgConnection::establish(&admin).expect("connect to TEST_DATABASE_URL");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create test database");
                let mut u = url::Url::parse(&admin).expect("TEST_DATABASE_URL is a URL");
                u.set_path(&name);
                Self {
                    url: u.to_string(),
                    pg_admin_url: Some(admin),
                    pg_name: Some(name),
                    _dir: None,
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let (Some(admin), Some(name)) = (self.pg_admin_url.clone(), self.pg_name.clone()) {
            // A plain thread: Drop may run inside the async runtime.
            let _ = std::thread::spawn(move || {
                use diesel::{Connection, RunQueryDsl};
                if let Ok(mut c) = diesel::PgConnection::establish(&admin) {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut c);
                }
            })
            .join();
        }
    }
}

pub fn uuid_like() -> String {
    use rand::RngCore;
    let mut b = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub backend: Backend,
    pub browser: Browser,
    pub provider: actix_web::web::Data<DevProvider>,
    pub provider_url: String,
    pub clock: ShiftedClock,
    pub pool: DbPool,
    pub app: AppParts,
    pub db: Arc<TestDb>,
    handles: Vec<actix_web::dev::ServerHandle>,
}

/// Shared internals a test may need (session service for cache checks).
pub struct AppParts {
    pub sessions: std::sync::Arc<signin::sessions::Sessions>,
}

#[derive(Default, Clone)]
pub struct TestOptions {
    /// Extra environment for `Config` (e.g. `ADMIN_EMAILS`, `HTTP_TIMEOUT`).
    pub env: Vec<(&'static str, String)>,
    /// Reuse this database (several instances sharing one).
    pub db: Option<Arc<TestDb>>,
    /// Reuse this provider (several instances sharing one).
    pub provider: Option<(actix_web::web::Data<DevProvider>, String)>,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, TestOptions::default()).await
}

pub async fn spawn_app_with(backend: Backend, opts: TestOptions) -> TestApp {
    init_logging();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind app");
    let port = listener.local_addr().expect("addr").port();
    let address = format!("http://127.0.0.1:{port}");
    let mut handles = Vec::new();

    let (provider, provider_url) = match opts.provider {
        Some(p) => p,
        None => {
            let pl = TcpListener::bind("127.0.0.1:0").expect("bind provider");
            let pport = pl.local_addr().expect("addr").port();
            let purl = format!("http://127.0.0.1:{pport}");
            let running = dev_provider::spawn_standalone(
                pl,
                ProviderSettings {
                    issuer: purl.clone(),
                    client_id: CLIENT_ID.into(),
                    client_secret: CLIENT_SECRET.into(),
                    redirect_uris: vec![format!("{address}/auth/google/callback")],
                    auto_approve: true,
                },
                test_keys(),
                1,
            )
            .expect("start provider");
            handles.push(running.handle.clone());
            (running.provider, purl)
        }
    };
    provider.add_redirect_uri(&format!("{address}/auth/google/callback"));

    let db = opts.db.unwrap_or_else(|| Arc::new(TestDb::new(backend)));
    let mut env: HashMap<String, String> = [
        ("APP_BASE_URL", address.clone()),
        ("BIND_ADDR", "127.0.0.1:0".into()),
        ("DATABASE_URL", db.url.clone()),
        ("DATABASE_POOL_SIZE", "8".into()),
        ("SECRET_KEY", SECRET_KEY.into()),
        ("GOOGLE_CLIENT_ID", CLIENT_ID.into()),
        ("GOOGLE_CLIENT_SECRET", CLIENT_SECRET.into()),
        ("GOOGLE_ISSUER", provider_url.clone()),
        ("GOOGLE_AUTH_URL", format!("{provider_url}/authorize")),
        ("GOOGLE_TOKEN_URL", format!("{provider_url}/token")),
        ("GOOGLE_USERINFO_URL", format!("{provider_url}/userinfo")),
        ("GOOGLE_JWKS_URL", format!("{provider_url}/jwks")),
        ("HTTP_TIMEOUT", "3s".into()),
        ("RATE_LIMIT_PER_MINUTE", "0".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in opts.env {
        env.insert(k.to_string(), v);
    }
    let config = Config::from_env(&env, false).expect("test config");
    let clock = ShiftedClock::new();
    let app = Application::build(
        config,
        AppOptions {
            clock: Arc::new(clock.clone()),
            listener: Some(listener),
            dev_keys: None,
            dev_auto_approve: false,
            workers: Some(2),
        },
    )
    .await
    .expect("build app");
    handles.push(app.handle());
    let pool = app.pool.clone();
    let parts = AppParts {
        sessions: app.state.sessions.clone(),
    };
    tokio::spawn(app.run_until_stopped());

    TestApp {
        browser: Browser::new(&address),
        address,
        port,
        backend,
        provider,
        provider_url,
        clock,
        pool,
        app: parts,
        db,
        handles,
    }
}

impl TestApp {
    pub fn new_browser(&self) -> Browser {
        Browser::new(&self.address)
    }

    pub fn set_faults(&self, f: Faults) {
        self.provider.set_faults(f);
    }

    /// Signs the default browser in as `email` through the real flow; returns the callback answer.
    pub async fn sign_in(&self, email: &str, name: &str) -> reqwest::Response {
        self.browser.sign_in(email, name, None).await
    }

    /// Runs a query on the app's database.
    pub fn query<T>(&self, f: impl FnOnce(&mut signin::db::DbConn) -> T) -> T {
        let mut c = self.pool.get().expect("test connection");
        f(&mut c)
    }

    pub fn count_users(&self) -> i64 {
        self.query(|c| signin::db::users::count(c).expect("count users"))
    }

    pub fn count_sessions(&self) -> i64 {
        use diesel::prelude::*;
        use signin::db::schema::sessions;
        self.query(|c| {
            sessions::table
                .count()
                .get_result::<i64>(c)
                .expect("count sessions")
        })
    }

    pub async fn stop(&self) {
        for h in &self.handles {
            h.stop(false).await;
        }
    }
}

/// One browser: its own cookie jar, never follows redirects (each hop is checked).
#[derive(Clone)]
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .expect("client");
        Self {
            base: base.to_string(),
            client,
        }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{}", self.base, path)
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_text(&self, path: &str) -> String {
        self.get(path).await.text().await.expect("body")
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    /// The CSRF token on the home page (signed in only).
    pub async fn csrf(&self) -> String {
        let html = self.get_text("/").await;
        extract_input(&html, "csrf").expect("csrf field on the home page")
    }

    /// `GET /auth/google/login` → the provider's authorize URL.
    pub async fn begin_sign_in(&self, next: Option<&str>) -> String {
        let path = match next {
            Some(n) => format!("/auth/google/login?next={}", urlencode(n)),
            None => "/auth/google/login".to_string(),
        };
        let r = self.get(&path).await;
        assert_eq!(r.status().as_u16(), 302, "login redirect");
        location(&r)
    }

    /// Approves on the provider's consent form as `email`/`name` → the callback URL.
    pub async fn consent(&self, authorize_url: &str, email: &str, name: &str) -> String {
        let u = url::Url::parse(authorize_url).expect("authorize URL");
        let mut form: Vec<(String, String)> = u.query_pairs().into_owned().collect();
        form.push(("decision".into(), "approve".into()));
        form.push(("email".into(), email.into()));
        form.push(("name".into(), name.into()));
        form.push(("email_verified".into(), "true".into()));
        let post_to = format!(
            "{}://{}{}",
            u.scheme(),
            u.host_str().unwrap_or("127.0.0.1"),
            u.port().map(|p| format!(":{p}")).unwrap_or_default()
        ) + u.path();
        let r = self
            .client
            .post(post_to)
            .form(&form)
            .send()
            .await
            .expect("consent");
        assert_eq!(r.status().as_u16(), 302, "consent redirect");
        location(&r)
    }

    /// The whole flow; returns the callback's answer (303 on success).
    pub async fn sign_in(&self, email: &str, name: &str, next: Option<&str>) -> reqwest::Response {
        let authorize = self.begin_sign_in(next).await;
        let callback = self.consent(&authorize, email, name).await;
        self.get(&callback).await
    }
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The `value` of `<input name="NAME" value="…">` in a page.
pub fn extract_input(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_string())
}
