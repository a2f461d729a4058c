//! `Application`: resolves keys, opens the pool and migrates, builds the provider client and the
//! route table, binds the listener (port 0 in tests) and runs until stopped.

use crate::auth::middleware::authenticate;
use crate::auth::rekey::{CookieKeys, rekey_cookies};
use crate::clock::{SharedClock, SystemClock};
use crate::config::{
    Config, DEV_CLIENT_ID, DEV_CLIENT_SECRET, ProviderKind, SecretKeySource, dev_issuer,
};
use crate::db::{self, DbPool};
use crate::dev_provider::{self, DevKeys, DevProvider, ProviderSettings, Shape};
use crate::error::render_errors;
use crate::net::TrustedProxies;
use crate::provider::{IdentityProvider, OAuthClient, OidcClient, discovery};
use crate::rate_limit::{self, RateLimits};
use crate::routes;
use crate::secret::Secret;
use crate::security::{SecurityHeaders, add_headers};
use crate::sessions::Sessions;
use crate::sessions::jwt::JwtCodec;
use crate::sessions::keys::Keys;
use crate::signin::{AllowFile, Policy, SignIn};
use crate::state::AppState;
use crate::telemetry::RequestSpan;
use crate::web::SiteInfo;
use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::SameSite;
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use tracing_actix_web::TracingLogger;

/// What tests and benchmarks may choose besides the configuration.
pub struct AppOptions {
    pub clock: SharedClock,
    /// A listener already bound (tests bind port 0 to learn the port before configuring).
    pub listener: Option<TcpListener>,
    /// Keys for the built-in provider (dev mode); generated or loaded from `data/` if `None`.
    pub dev_keys: Option<Arc<DevKeys>>,
    /// Dev provider approves at once when the request carries `login_hint` (benchmarks).
    pub dev_auto_approve: bool,
    pub workers: Option<usize>,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            listener: None,
            dev_keys: None,
            dev_auto_approve: false,
            workers: None,
        }
    }
}

pub struct Application {
    port: u16,
    server: Server,
    /// The `METRICS_ADDR` listener's server and port, when configured.
    metrics_server: Option<(Server, u16)>,
    pub pool: DbPool,
    pub state: web::Data<AppState>,
    /// `--dev`: the development providers and where each is mounted.
    pub dev_providers: Vec<(&'static str, web::Data<DevProvider>)>,
    pub metrics: web::Data<crate::metrics::Metrics>,
}

/// Development only: a random secret kept in a file, so that sessions survive restarts.
fn resolve_secret(source: &SecretKeySource) -> anyhow::Result<Secret> {
    match source {
        SecretKeySource::Given(s) => Ok(s.clone()),
        SecretKeySource::GeneratedAt(path) => {
            if let Ok(s) = std::fs::read_to_string(path) {
                let s = s.trim().to_string();
                if s.len() >= crate::config::MIN_SECRET_KEY_LEN {
                    return Ok(Secret::new(s));
                }
            }
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            let s = crate::domain::random_token(48);
            dev_provider::write_private_file(path, s.as_bytes()).map_err(anyhow::Error::msg)?;
            tracing::info!(path = %path.display(), "generated a development SECRET_KEY");
            Ok(Secret::new(s))
        }
    }
}

impl Application {
    pub async fn build(config: Config, opts: AppOptions) -> anyhow::Result<Self> {
        let secret = resolve_secret(&config.secrets.key)?;
        let keys = Keys::derive(&secret, &config.providers.google.issuer)?;
        let previous = config
            .secrets
            .previous_keys
            .iter()
            .map(|s| Keys::derive(s, &config.providers.google.issuer))
            .collect::<Result<Vec<_>, _>>()?;

        let pool = db::build_pool(
            &config.database.url,
            config.database.pool_size,
            config.database.pool_timeout,
        )?;
        {
            let pool = pool.clone();
            let url = config.database.url.clone();
            let applied = tokio::task::spawn_blocking(move || db::connect_and_migrate(&pool, &url))
                .await
                .context("migration task")??;
            if !applied.is_empty() {
                tracing::info!(migrations = ?applied, "migrations applied");
            }
        }

        // One client per `PROVIDERS` entry, in order; `oidc` finds its endpoints by discovery
        // now (a provider that does not answer, or answers for another issuer, stops the start).
        let mut providers: Vec<Arc<dyn IdentityProvider>> = Vec::new();
        let mut provider_origins = Vec::new();
        // `oidc` found by discovery reads its document again with its JWKS.
        let rediscover = config.providers.oidc.clone().filter(|o| o.dev.is_none());
        for &kind in &config.providers.enabled {
            let cfg = match kind {
                ProviderKind::Google => config.providers.google.clone(),
                ProviderKind::Kakao | ProviderKind::Naver | ProviderKind::Github => config
                    .providers
                    .fixed
                    .iter()
                    .find(|c| c.kind == kind)
                    .cloned()
                    .context("PROVIDERS names a provider whose settings were not read")?,
                ProviderKind::Oidc => {
                    let oidc = config
                        .providers
                        .oidc
                        .as_ref()
                        .context("PROVIDERS names oidc but its settings were not read")?;
                    match &oidc.dev {
                        Some(dev) => dev.clone(),
                        None => discovery::discover(oidc, config.http_timeout).await?,
                    }
                }
            };
            provider_origins.push(cfg.auth_url.origin().ascii_serialization());
            let redirect_uri = config.redirect_uri_of(kind);
            providers.push(if kind.is_openid() {
                let client = OidcClient::new(cfg, redirect_uri, config.http_timeout)?;
                match (kind, &rediscover) {
                    (ProviderKind::Oidc, Some(settings)) => {
                        Arc::new(client.rediscovering(settings.clone(), config.http_timeout))
                    }
                    _ => Arc::new(client),
                }
            } else {
                Arc::new(OAuthClient::new(cfg, redirect_uri, config.http_timeout)?)
            });
        }

        let listener = match opts.listener {
            Some(l) => l,
            None => TcpListener::bind(&config.server.bind_addr)
                .with_context(|| format!("cannot listen on {}", config.server.bind_addr))?,
        };
        let port = listener.local_addr()?.port();

        // `--dev`: a development provider standing in for each enabled provider, on this origin.
        let mut dev_providers = Vec::new();
        if config.dev_provider {
            let keys = match opts.dev_keys {
                Some(k) => k,
                None => Arc::new(
                    DevKeys::load_or_generate(Path::new("data/dev_provider_key.pem"))
                        .map_err(anyhow::Error::msg)?,
                ),
            };
            for &kind in &config.providers.enabled {
                dev_providers.push((
                    kind.dev_mount(),
                    web::Data::new(DevProvider::new(
                        ProviderSettings {
                            issuer: dev_issuer(&config.base_url, kind),
                            client_id: DEV_CLIENT_ID.into(),
                            client_secret: DEV_CLIENT_SECRET.into(),
                            redirect_uris: vec![config.redirect_uri_of(kind)],
                            auto_approve: opts.dev_auto_approve,
                            shape: match kind {
                                ProviderKind::Naver => Shape::Naver,
                                ProviderKind::Github => Shape::Github,
                                _ => Shape::OpenId,
                            },
                        },
                        keys.clone(),
                    )),
                ));
            }
        }

        let sessions = Arc::new(Sessions::new(
            JwtCodec::new(&keys.jwt, config.origin())?
                .with_previous(&previous.iter().map(|k| k.jwt).collect::<Vec<_>>())?,
            pool.clone(),
            opts.clock.clone(),
            config.lifetimes,
        ));
        let sign_in = SignIn::new(
            providers,
            Policy {
                allowed_domains: config.access.allowed_email_domains.clone(),
                allowed_emails: config.access.allowlist.emails.clone(),
                allowed_emails_file: config
                    .access
                    .allowlist
                    .file
                    .clone()
                    .map(|p| Arc::new(AllowFile::new(p))),
                admin_emails: config.access.admin_emails.clone(),
                dev_first_admin: config.dev_provider,
                link_by_verified_email: config.access.link_by_verified_email,
            },
            sessions.clone(),
            pool.clone(),
        );
        let state = web::Data::new(AppState {
            pool: pool.clone(),
            clock: opts.clock,
            sessions,
            sign_in,
            origin: config.origin().to_string(),
        });

        let security = web::Data::new(SecurityHeaders::new(&provider_origins, config.is_https()));
        let site = web::Data::new(SiteInfo::from_config(&config));
        let trusted = web::Data::new(TrustedProxies(config.server.trusted_proxies.clone()));
        let overview_cache = web::Data::new(routes::admin::OverviewCache::default());
        let limits = web::Data::new(RateLimits::new(&config.server.rate_limit));
        let https = config.is_https();
        let cookie_key = keys.cookie.clone();
        let session_cookie_name = if https { "__Host-session" } else { "session" };
        let cookie_keys = web::Data::new(CookieKeys {
            session_cookie: session_cookie_name.to_string(),
            current: keys.cookie.clone(),
            previous: previous.iter().map(|k| k.cookie.clone()).collect(),
            https,
        });
        let session_max_age = config.lifetimes.max_age;
        let shutdown_secs = config.server.shutdown_timeout.as_secs();
        let state_data = state.clone();
        let dev_data = dev_providers.clone();
        let metrics = web::Data::new(crate::metrics::Metrics::new());
        let metrics_kept = metrics.clone();
        let metrics_server = match &config.server.metrics_addr {
            Some(addr) => {
                let l = TcpListener::bind(addr)
                    .with_context(|| format!("cannot listen on METRICS_ADDR {addr}"))?;
                let metrics_port = l.local_addr()?.port();
                let (m, st) = (metrics.clone(), state.clone());
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(m.clone())
                        .app_data(st.clone())
                        .configure(routes::metrics_route)
                })
                .workers(1)
                .listen(l)?
                .run();
                Some((server, metrics_port))
            }
            None => None,
        };
        let public_metrics = metrics_server.is_none();

        let mut server = HttpServer::new(move || {
            let session_mw =
                SessionMiddleware::builder(CookieSessionStore::default(), cookie_key.clone())
                    .cookie_name(session_cookie_name.into())
                    .cookie_secure(https)
                    .cookie_http_only(true)
                    .cookie_same_site(SameSite::Lax)
                    .cookie_path("/".into())
                    .cookie_domain(None)
                    .cookie_content_security(CookieContentSecurity::Private)
                    .session_lifecycle(PersistentSession::default().session_ttl(
                        actix_web::cookie::time::Duration::seconds(session_max_age.num_seconds()),
                    ))
                    .build();
            let mut app = App::new()
                .app_data(state_data.clone())
                .app_data(security.clone())
                .app_data(site.clone())
                .app_data(trusted.clone())
                .app_data(overview_cache.clone())
                .app_data(limits.clone())
                .app_data(cookie_keys.clone())
                .app_data(web::FormConfig::default().limit(16 * 1024))
                .app_data(web::QueryConfig::default())
                // On the whole app (it covers `/readyz` too); over-quota clients cost no cookie
                // decryption, since the session middleware is inside; `render_errors` outside
                // it renders the 429.
                .wrap(from_fn(rate_limit::limit))
                .wrap(from_fn(render_errors))
                .wrap(from_fn(add_headers))
                .wrap(TracingLogger::<RequestSpan>::new())
                .app_data(metrics.clone())
                .wrap(from_fn(crate::metrics::track))
                .configure(routes::open_routes);
            if public_metrics {
                app = app.configure(routes::metrics_route);
            }
            for (mount, p) in &dev_data {
                app = app.service(
                    web::scope(mount)
                        .app_data(p.clone())
                        .configure(dev_provider::configure),
                );
            }
            app.service(
                web::scope("")
                    .wrap(from_fn(authenticate))
                    .wrap(session_mw)
                    .wrap(from_fn(rekey_cookies))
                    .configure(routes::session_routes)
                    .default_service(web::to(routes::not_found)),
            )
        })
        .shutdown_timeout(shutdown_secs);
        if let Some(w) = opts.workers {
            server = server.workers(w);
        }
        let server = server.listen(listener)?.run();
        Ok(Self {
            port,
            server,
            metrics_server,
            pool,
            state,
            dev_providers,
            metrics: metrics_kept,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// The `METRICS_ADDR` listener's port and server handle, when configured.
    pub fn metrics_listener(&self) -> Option<(u16, ServerHandle)> {
        self.metrics_server.as_ref().map(|(s, p)| (*p, s.handle()))
    }

    /// Serves until stopped (SIGTERM/SIGINT: stop accepting, finish in-flight requests within
    /// `SHUTDOWN_TIMEOUT`), then says how many requests were ever dropped before their answer.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        if let Some((m, _)) = self.metrics_server {
            tokio::spawn(m);
        }
        let r = self.server.await;
        // Begun minus answered: exact now that the workers have stopped, even if a cut
        // request's future has not been dropped yet.
        let abandoned = self.metrics.unanswered();
        if abandoned > 0 {
            tracing::warn!(
                abandoned,
                "stopped; some requests were dropped before their answer"
            );
        } else {
            tracing::info!(abandoned, "stopped");
        }
        r
    }
}
