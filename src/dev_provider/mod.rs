//! The built-in development OpenID provider: behaves like Google (authorize page, token endpoint
//! with client secret + PKCE + single-use one-minute codes, RS256 ID tokens with the nonce,
//! userinfo, JWKS, discovery). `serve --dev` mounts it on the app's own origin; the tests run it
//! on its own port and, with the `dev-faults` feature, switch `Faults` on to misbehave. The app
//! reaches it only over HTTP, and it borrows nothing from the app's pages.
//!
//! This file owns the provider's state, its settings, the route table and the standalone server;
//! each endpoint lives in its own file.

mod authorize;
mod avatar;
mod discovery;
mod faults;
mod keys;
mod page;
mod person;
mod profile_apis;
mod token;
mod userinfo;

#[cfg(feature = "dev-faults")]
pub use faults::{Azp, Faults, Signing, TokenAnswer};
pub use keys::{DevKeys, KeyError, SigningKey, write_private as write_private_file};
pub use person::Person;

use actix_web::web;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an authorization code lives (Google: about a minute).
const CODE_TTL: Duration = Duration::from_secs(60);
const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(3600);
/// Outstanding codes and access tokens kept at most; expired ones are swept when it is reached.
const MAX_PENDING: usize = 50_000;

/// What a code stands for until it is redeemed at the token endpoint.
struct Grant {
    client_id: String,
    redirect_uri: String,
    nonce: Option<String>,
    /// The PKCE S256 challenge (required at the authorize endpoint but for Naver's shape).
    code_challenge: String,
    /// The authorization request's state (Naver's token endpoint asks for it again).
    state: String,
    person: Person,
    created: Instant,
}

/// Settings fixed when the provider starts.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// The provider's issuer: the absolute URL it is mounted at, without a trailing slash.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Registered redirect URIs (more can be added while running, for several app instances).
    pub redirect_uris: Vec<String>,
    /// With `login_hint`, approve at once without showing the page (benchmarks).
    pub auto_approve: bool,
    /// Whose answers it gives: an OpenID provider's, Naver's or GitHub's.
    pub shape: Shape,
}

/// Which provider the development provider impersonates after the shared authorize page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shape {
    /// ID tokens, userinfo, JWKS and discovery (Google, any OpenID provider, Kakao).
    #[default]
    OpenId,
    /// No ID token; the profile API `/v1/nid/me` in Naver's envelope.
    Naver,
    /// No ID token; `/user` and `/user/emails` as GitHub's REST API answers them.
    Github,
}

pub struct DevProvider {
    settings: ProviderSettings,
    extra_redirect_uris: Mutex<Vec<String>>,
    keys: Arc<DevKeys>,
    codes: Mutex<HashMap<String, Grant>>,
    tokens: Mutex<HashMap<String, (Person, Instant)>>,
    faults: faults::Switch,
    /// JWKS requests answered (tests count the app's refetches).
    jwks_requests: AtomicU64,
    /// Discovery documents served (tests see the app read it again).
    discovery_requests: AtomicU64,
}

crate::debug_shows!(DevProvider, |s| { issuer: s.settings.issuer });

impl DevProvider {
    pub fn new(settings: ProviderSettings, keys: Arc<DevKeys>) -> Self {
        Self {
            settings,
            extra_redirect_uris: Mutex::new(Vec::new()),
            keys,
            codes: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            faults: faults::Switch::new(),
            jwks_requests: AtomicU64::new(0),
            discovery_requests: AtomicU64::new(0),
        }
    }

    pub fn settings(&self) -> &ProviderSettings {
        &self.settings
    }

    /// How many times the JWKS has been asked for since start.
    pub fn jwks_requests(&self) -> u64 {
        self.jwks_requests.load(Ordering::SeqCst)
    }

    pub fn discovery_requests(&self) -> u64 {
        self.discovery_requests.load(Ordering::SeqCst)
    }

    /// Registers one more redirect URI (another app instance sharing this provider).
    pub fn add_redirect_uri(&self, uri: &str) {
        if let Ok(mut v) = self.extra_redirect_uris.lock()
            && !v.iter().any(|u| u == uri)
        {
            v.push(uri.to_string());
        }
    }

    fn redirect_uri_registered(&self, uri: &str) -> bool {
        self.settings.redirect_uris.iter().any(|u| u == uri)
            || self
                .extra_redirect_uris
                .lock()
                .is_ok_and(|v| v.iter().any(|u| u == uri))
    }

    fn issue_code(&self, grant: Grant) -> String {
        let code = format!("dev-{}", crate::domain::random_token(32));
        if let Ok(mut codes) = self.codes.lock() {
            if codes.len() >= MAX_PENDING {
                codes.retain(|_, g| g.created.elapsed() < CODE_TTL);
            }
            codes.insert(code.clone(), grant);
        }
        code
    }

    /// Takes a code out (codes are single-use, whether or not the exchange succeeds).
    fn redeem_code(&self, code: &str) -> Option<Grant> {
        self.codes.lock().ok().and_then(|mut c| c.remove(code))
    }

    fn issue_access_token(&self, person: Person) -> String {
        let access_token = format!("dev-at-{}", crate::domain::random_token(32));
        if let Ok(mut t) = self.tokens.lock() {
            if t.len() >= MAX_PENDING {
                t.retain(|_, (_, at)| at.elapsed() < ACCESS_TOKEN_TTL);
            }
            t.insert(access_token.clone(), (person, Instant::now()));
        }
        access_token
    }

    /// The person an unexpired access token was issued for.
    fn token_holder(&self, access_token: &str) -> Option<Person> {
        self.tokens.lock().ok().and_then(|t| {
            t.get(access_token)
                .filter(|(_, at)| at.elapsed() < ACCESS_TOKEN_TTL)
                .map(|(person, _)| person.clone())
        })
    }
}

/// Mounts the provider's endpoints on a scope (`/dev/oidc` in dev mode, `/` in tests).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/.well-known/openid-configuration",
        web::get().to(discovery::discovery),
    )
    .route("/authorize", web::get().to(authorize::page))
    .route("/authorize", web::post().to(authorize::decision))
    .route("/token", web::post().to(token::token))
    .route("/userinfo", web::get().to(userinfo::userinfo))
    .route("/jwks", web::get().to(discovery::jwks))
    .route("/v1/nid/me", web::get().to(profile_apis::naver_me))
    .route("/user", web::get().to(profile_apis::github_user))
    .route("/user/emails", web::get().to(profile_apis::github_emails))
    .route("/avatar/{file}", web::get().to(avatar::avatar))
    .route(page::STYLESHEET_PATH, web::get().to(page::stylesheet));
}

/// A provider running on its own listener (tests, and the benchmark's separate provider).
pub struct RunningProvider {
    pub port: u16,
    pub provider: web::Data<DevProvider>,
    pub handle: actix_web::dev::ServerHandle,
}

/// Serves the provider at the root of `listener` on its own small server.
pub fn spawn_standalone(
    listener: std::net::TcpListener,
    settings: ProviderSettings,
    keys: Arc<DevKeys>,
    workers: usize,
) -> std::io::Result<RunningProvider> {
    let port = listener.local_addr()?.port();
    let provider = web::Data::new(DevProvider::new(settings, keys));
    let data = provider.clone();
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(data.clone())
            .configure(configure)
    })
    .workers(workers)
    .disable_signals()
    .listen(listener)?
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok(RunningProvider {
        port,
        provider,
        handle,
    })
}
