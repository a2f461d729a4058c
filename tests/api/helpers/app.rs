//! `TestApp`: the real application on a free loopback port with its own database and its own
//! dev provider, a default `Browser`, and the ways a test signs in, replays a cookie, calls the
//! API, moves the clock, switches provider faults and starts a second instance.

use super::{Backend, Browser, CLIENT_ID, CLIENT_SECRET, SECRET_KEY, TestDb, init_logging};
use super::{plain_client, test_keys};
use actix_web::web::Data;
use reqwest::header::COOKIE;
use signin::clock::ShiftedClock;
use signin::config::Config;
use signin::db::DbPool;
use signin::dev_provider::{self, DevProvider, Faults, ProviderSettings, RunningProvider, Shape};
use signin::sessions::Sessions;
use signin::startup::{AppOptions, Application};
use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;

/// One running instance of the app and what a test reaches through it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`, also its `APP_BASE_URL` unless the test set another.
    pub address: String,
    pub port: u16,
    pub backend: Backend,
    /// A browser that has done nothing yet.
    pub browser: Browser,
    /// The dev provider (shared with a twin or sibling), for its fault switches.
    pub provider: Data<DevProvider>,
    pub provider_url: String,
    /// The app's clock: `clock.advance(…)` moves the app's time, not the test's.
    pub clock: ShiftedClock,
    pub pool: DbPool,
    /// The session service (its cache, revocation, the JWT codec).
    pub sessions: std::sync::Arc<Sessions>,
    pub db: Arc<TestDb>,
    /// `http://127.0.0.1:PORT` of the `METRICS_ADDR` listener, when the test set one.
    pub metrics_address: Option<String>,
    handles: Vec<actix_web::dev::ServerHandle>,
}

#[derive(Default, Clone)]
pub struct TestOptions {
    /// Extra environment for `Config` (e.g. `ADMIN_EMAILS`, `HTTP_TIMEOUT`).
    pub env: Vec<(&'static str, String)>,
    /// Reuse this database (several instances sharing one).
    pub db: Option<Arc<TestDb>>,
    /// Reuse this provider (several instances sharing one).
    pub provider: Option<(Data<DevProvider>, String)>,
    /// The new provider calls itself Google's issuer, so that the app applies Google's rules
    /// (the `hd` claim proves a Workspace domain); its endpoints stay on loopback.
    pub as_google: bool,
    /// Runs as `serve --dev` does (`Config.dev_provider`), while signing in through the test's
    /// own provider as every other test does.
    pub dev_mode: bool,
}

impl TestOptions {
    /// Options with these environment variables set for `Config`.
    pub fn env(env: &[(&'static str, &str)]) -> Self {
        Self {
            env: env.iter().map(|(k, v)| (*k, v.to_string())).collect(),
            ..Default::default()
        }
    }
}

/// The test provider's `GOOGLE_*` settings, for the app at `provider_url`.
pub fn provider_env(provider_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("GOOGLE_CLIENT_ID", CLIENT_ID.to_string()),
        ("GOOGLE_CLIENT_SECRET", CLIENT_SECRET.to_string()),
        ("GOOGLE_ISSUER", provider_url.to_string()),
        ("GOOGLE_AUTH_URL", format!("{provider_url}/authorize")),
        ("GOOGLE_TOKEN_URL", format!("{provider_url}/token")),
        ("GOOGLE_USERINFO_URL", format!("{provider_url}/userinfo")),
        ("GOOGLE_JWKS_URL", format!("{provider_url}/jwks")),
    ]
}

/// A dev provider on its own loopback port that accepts the app at `app_address`; its URL.
pub fn spawn_provider(app_address: &str) -> (RunningProvider, String) {
    spawn_provider_as(app_address, None)
}

/// `spawn_provider`, naming itself `issuer` when given (its URL otherwise).
pub fn spawn_provider_as(app_address: &str, issuer: Option<&str>) -> (RunningProvider, String) {
    spawn_provider_shaped(app_address, issuer, Shape::OpenId)
}

/// `spawn_provider_as`, answering as `shape` (an OpenID provider, Naver or GitHub).
pub fn spawn_provider_shaped(
    app_address: &str,
    issuer: Option<&str>,
    shape: Shape,
) -> (RunningProvider, String) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind provider");
    let url = format!(
        "http://127.0.0.1:{}",
        listener.local_addr().expect("addr").port()
    );
    let running = dev_provider::spawn_standalone(
        listener,
        ProviderSettings {
            issuer: issuer.unwrap_or(&url).to_string(),
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            redirect_uris: vec![format!("{app_address}/auth/google/callback")],
            auto_approve: true,
            shape,
        },
        test_keys(),
        1,
    )
    .expect("start provider");
    (running, url)
}

impl TestApp {
    /// A fresh app on `backend` with the test defaults.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, TestOptions::default()).await
    }

    /// A fresh app with these environment variables set on top of the test defaults.
    pub async fn with_env(backend: Backend, env: &[(&'static str, &str)]) -> Self {
        Self::spawn_with(backend, TestOptions::env(env)).await
    }

    /// `with_env`, with a provider that the app takes for Google (see `TestOptions::as_google`).
    pub async fn as_google(backend: Backend, env: &[(&'static str, &str)]) -> Self {
        let mut opts = TestOptions::env(env);
        opts.as_google = true;
        Self::spawn_with(backend, opts).await
    }

    pub async fn spawn_with(backend: Backend, opts: TestOptions) -> Self {
        init_logging();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind app");
        let port = listener.local_addr().expect("addr").port();
        let address = format!("http://127.0.0.1:{port}");
        let mut handles = Vec::new();

        let google = opts.as_google.then_some(signin::config::GOOGLE_ISSUER);
        let (provider, provider_url) = match opts.provider {
            Some(p) => p,
            None => {
                let (running, url) = spawn_provider_as(&address, google);
                handles.push(running.handle.clone());
                (running.provider, url)
            }
        };
        provider.add_redirect_uri(&format!("{address}/auth/google/callback"));

        let db = opts.db.unwrap_or_else(|| Arc::new(TestDb::new(backend)));
        let env: HashMap<String, String> = [
            ("APP_BASE_URL", address.clone()),
            ("BIND_ADDR", "127.0.0.1:0".into()),
            ("DATABASE_URL", db.url.clone()),
            ("DATABASE_POOL_SIZE", "8".into()),
            ("SECRET_KEY", SECRET_KEY.into()),
            ("HTTP_TIMEOUT", "3s".into()),
            ("RATE_LIMIT_PER_MINUTE", "0".into()),
        ]
        .into_iter()
        .chain(provider_env(&provider_url))
        .chain(google.map(|g| ("GOOGLE_ISSUER", g.to_string())))
        .chain(opts.env)
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let mut config = Config::from_env(&env, false).expect("test config");
        config.dev_provider = opts.dev_mode;
        let clock = ShiftedClock::new();
        let app = Application::build(
            config,
            AppOptions {
                clock: Arc::new(clock.clone()),
                listener: Some(listener),
                dev_keys: opts.dev_mode.then(test_keys),
                dev_auto_approve: false,
                workers: Some(2),
            },
        )
        .await
        .expect("build app");
        handles.push(app.handle());
        let metrics_address = app.metrics_listener().map(|(port, handle)| {
            handles.push(handle);
            format!("http://127.0.0.1:{port}")
        });
        let pool = app.pool.clone();
        let sessions = app.state.sessions.clone();
        tokio::spawn(app.run_until_stopped());

        Self {
            browser: Browser::new(&address),
            address,
            port,
            backend,
            provider,
            provider_url,
            clock,
            pool,
            sessions,
            db,
            metrics_address,
            handles,
        }
    }

    /// The app with `PROVIDERS=google,oidc` (and `env` on top), its `oidc` provider a second dev
    /// provider on its own port, found by discovery, which accepts the app's `oidc` callback.
    /// `stop` stops that provider too.
    pub async fn with_oidc(
        backend: Backend,
        env: &[(&'static str, &str)],
    ) -> (Self, RunningProvider) {
        let (oidc, url) = spawn_provider("http://127.0.0.1:1");
        let settings = vec![
            ("PROVIDERS", "google,oidc".to_string()),
            ("OIDC_ISSUER", url),
            ("OIDC_CLIENT_ID", CLIENT_ID.to_string()),
            ("OIDC_CLIENT_SECRET", CLIENT_SECRET.to_string()),
            ("OIDC_NAME", "Example ID".to_string()),
        ];
        Self::with_second_provider(backend, "oidc", oidc, settings, env).await
    }

    /// The app with `PROVIDERS=google,{key}` (`kakao`, `naver` or `github`) and `env` on top,
    /// that provider a dev provider of its shape on its own port, reached through the
    /// provider's endpoint overrides. `stop` stops that provider too.
    pub async fn with_provider(
        backend: Backend,
        key: &'static str,
        env: &[(&'static str, &str)],
    ) -> (Self, RunningProvider) {
        let shape = match key {
            "naver" => Shape::Naver,
            "github" => Shape::Github,
            _ => Shape::OpenId,
        };
        let (running, url) = spawn_provider_shaped("http://127.0.0.1:1", None, shape);
        let at = |p: &str| format!("{url}{p}");
        let endpoints: Vec<(&'static str, String)> = match key {
            "kakao" => vec![
                ("KAKAO_ISSUER", url.clone()),
                ("KAKAO_AUTH_URL", at("/authorize")),
                ("KAKAO_TOKEN_URL", at("/token")),
                ("KAKAO_USERINFO_URL", at("/userinfo")),
                ("KAKAO_JWKS_URL", at("/jwks")),
            ],
            "naver" => vec![
                ("NAVER_AUTH_URL", at("/authorize")),
                ("NAVER_TOKEN_URL", at("/token")),
                ("NAVER_PROFILE_URL", at("/v1/nid/me")),
            ],
            _ => vec![
                ("GITHUB_AUTH_URL", at("/authorize")),
                ("GITHUB_TOKEN_URL", at("/token")),
                ("GITHUB_API_URL", url.clone()),
            ],
        };
        let prefix = key.to_ascii_uppercase();
        let id_key: &'static str = Box::leak(format!("{prefix}_CLIENT_ID").into_boxed_str());
        let secret_key: &'static str =
            Box::leak(format!("{prefix}_CLIENT_SECRET").into_boxed_str());
        let mut settings = vec![
            ("PROVIDERS", format!("google,{key}")),
            (id_key, CLIENT_ID.to_string()),
            (secret_key, CLIENT_SECRET.to_string()),
        ];
        settings.extend(endpoints);
        Self::with_second_provider(backend, key, running, settings, env).await
    }

    /// The app with `settings` for its second provider `key` (already `running`) and `env` on
    /// top; the provider accepts the app's `key` callback and stops with the app.
    async fn with_second_provider(
        backend: Backend,
        key: &str,
        running: RunningProvider,
        mut settings: Vec<(&'static str, String)>,
        env: &[(&'static str, &str)],
    ) -> (Self, RunningProvider) {
        settings.extend(env.iter().map(|(k, v)| (*k, v.to_string())));
        let mut app = Self::spawn_with(
            backend,
            TestOptions {
                env: settings,
                ..Default::default()
            },
        )
        .await;
        running
            .provider
            .add_redirect_uri(&format!("{}/auth/{key}/callback", app.address));
        app.handles.push(running.handle.clone());
        (app, running)
    }

    /// Two instances behind one load balancer: B shares A's database, `SECRET_KEY` and
    /// provider, and answers for A's public origin (`APP_BASE_URL`).
    pub async fn pair(backend: Backend) -> (Self, Self) {
        let a = Self::spawn(backend).await;
        let b = a.twin().await;
        (a, b)
    }

    /// A second instance of this app: the same database, provider and public origin.
    pub async fn twin(&self) -> Self {
        let mut opts = self.sibling_options();
        opts.db = Some(self.db.clone());
        // Both serve the same public origin, as behind a load balancer.
        opts.env.push(("APP_BASE_URL", self.address.clone()));
        Self::spawn_with(self.backend, opts).await
    }

    /// Another app on this one's provider, with its own fresh database and cold caches.
    pub async fn sibling(&self) -> Self {
        Self::spawn_with(self.backend, self.sibling_options()).await
    }

    fn sibling_options(&self) -> TestOptions {
        TestOptions {
            provider: Some((self.provider.clone(), self.provider_url.clone())),
            ..Default::default()
        }
    }

    pub fn new_browser(&self) -> Browser {
        Browser::new(&self.address)
    }

    /// A new browser signed in as `email` through the real flow (the callback's 303 checked).
    pub async fn signed_in(&self, email: &str, name: &str) -> Browser {
        let b = self.new_browser();
        let r = b.sign_in(email, name, None).await;
        assert_eq!(r.status().as_u16(), 303, "sign-in as {email}");
        b
    }

    /// A new browser signed in as `email` through the provider `key` (the callback's 303
    /// checked).
    pub async fn signed_in_with(&self, key: &str, email: &str, name: &str) -> Browser {
        let b = self.new_browser();
        let r = b.sign_in_with(key, email, name).await;
        assert_eq!(r.status().as_u16(), 303, "{key} sign-in as {email}");
        b
    }

    /// A new browser's whole sign-in as `email`: the callback's answer, unchecked.
    pub async fn new_sign_in(&self, email: &str, name: &str) -> reqwest::Response {
        self.new_browser().sign_in(email, name, None).await
    }

    /// A new browser's whole sign-in as `email` through the provider `key`: the callback's
    /// answer, unchecked.
    pub async fn new_sign_in_with(&self, key: &str, email: &str, name: &str) -> reqwest::Response {
        self.new_browser().sign_in_with(key, email, name).await
    }

    /// Signs the default browser in as `email`; returns the callback's answer, unchecked.
    pub async fn sign_in(&self, email: &str, name: &str) -> reqwest::Response {
        self.browser.sign_in(email, name, None).await
    }

    /// Turns the provider's fault switches to exactly `f` (see `faults!`).
    pub fn set_faults(&self, f: Faults) {
        self.provider.set_faults(f);
    }

    /// `GET path` carrying a saved `Cookie` header, as a copied cookie would be replayed.
    pub async fn get_with_cookie(&self, path: &str, cookie: &str) -> reqwest::Response {
        plain_client()
            .get(self.browser.url(path))
            .header(COOKIE, cookie)
            .send()
            .await
            .expect("GET with a cookie")
    }

    /// Signs out with a saved `Cookie` header: the CSRF token read from the home page that
    /// cookie opens, then `POST /logout`.
    pub async fn logout_with_cookie(&self, cookie: &str) -> reqwest::Response {
        let html = self.get_with_cookie("/", cookie).await.text().await;
        let html = html.expect("home page");
        let csrf = super::extract_input(&html, "csrf").expect("the cookie is signed in");
        plain_client()
            .post(self.browser.url("/logout"))
            .header(COOKIE, cookie)
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .expect("POST /logout")
    }

    /// `GET /api/me` with `Authorization: Bearer <token>` and no cookie.
    pub async fn me_with_bearer(&self, token: &str) -> reqwest::Response {
        super::me_with_bearer_at(&self.address, token).await
    }

    /// The status of `GET /api/me` with this bearer token and no cookie.
    pub async fn me_status_with_bearer(&self, token: &str) -> u16 {
        self.me_with_bearer(token).await.status().as_u16()
    }

    /// The status of `GET /api/me` with this saved `Cookie` header.
    pub async fn me_status_with_cookie(&self, cookie: &str) -> u16 {
        self.get_with_cookie("/api/me", cookie)
            .await
            .status()
            .as_u16()
    }

    /// Revokes the session behind this token (its `jti`) as the admin action does, through
    /// `Sessions::change_user`; true when it was live.
    pub async fn revoke(&self, token: &str) -> bool {
        use diesel::prelude::*;
        use signin::db::schema::sessions;
        let jti = super::jti_of(token);
        let owner = jti.clone();
        let user_id: i64 = self.query(move |c| {
            sessions::table
                .filter(sessions::jti.eq(&owner))
                .select(sessions::user_id)
                .first(c)
                .expect("the token's session row")
        });
        let target = self
            .query(move |c| signin::db::users::find_by_id(c, user_id))
            .expect("read the user")
            .expect("the session's user");
        let now = self.sessions.now();
        let outcome = self
            .sessions
            .change_user(user_id, move |conn| {
                signin::admin::perform(
                    conn,
                    &signin::db::audit::Actor::Cli,
                    &target,
                    &signin::admin::Action::RevokeSession(jti),
                    None,
                    now,
                )
            })
            .await
            .expect("revoke");
        outcome.is_ok_and(|o| o.changed)
    }

    /// The value of one series in `/metrics` (0 when absent).
    pub async fn metric(&self, series: &str) -> f64 {
        let text = self.new_browser().get_text("/metrics").await;
        super::sample(&text, series).unwrap_or(0.0)
    }

    pub async fn stop(&self) {
        for h in &self.handles {
            h.stop(false).await;
        }
    }
}

/// An app with Ada signed in as `name` and holding an API token: (app, her browser, the token).
pub async fn ada_with_a_token(backend: Backend, name: &str) -> (TestApp, Browser, String) {
    let app = TestApp::spawn(backend).await;
    let b = app.signed_in("ada@example.com", name).await;
    let token = b.create_api_token().await;
    (app, b, token)
}
