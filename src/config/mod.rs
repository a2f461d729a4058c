//! Configuration: environment (or `.env`) → one validated `Config`, or one error listing every problem.
//! The one-off commands (`migrate`, `users …`) read only the database part, `DatabaseConfig`, by
//! the same rules.
//!
//! Parsing has no side effects; the generated development secret is only *located* here and
//! created by start-up.

mod allowlist;
mod keys;
mod oidc;
mod provider;
mod read;
#[cfg(test)]
mod secret_files_tests;
mod site;
#[cfg(test)]
mod tests;
mod vars;

pub use allowlist::{AllowlistConfig, BadLine, parse_allow_file};
pub use keys::{MIN_SECRET_KEY_DISTINCT, MIN_SECRET_KEY_LEN, SecretKeySource};
pub use oidc::{DEV_OIDC_NAME, OidcSettings};
pub use provider::{
    DEV_CLIENT_ID, DEV_CLIENT_SECRET, GOOGLE_AUTH_URL, GOOGLE_ISSUER, GOOGLE_JWKS_URL,
    GOOGLE_TOKEN_URL, GOOGLE_USERINFO_URL, ProviderConfig, ProviderKind, TokenAuth, dev_issuer,
};
pub use read::{DurationError, parse_duration};
pub use site::{MAX_SITE_NAME, SiteConfig};
pub use vars::{SECRET_FILE_VARS, VARS};

use crate::db::DatabaseUrl;
use crate::paths;
use crate::secret::Secret;
use keys::{read_previous_keys, read_secret_key};
use oidc::read_oidc;
use provider::{check_provider_urls, dev_mode_problems, read_fixed, read_provider, read_providers};
use read::{Reader, SecretValue, split_list};
use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::time::Duration as StdDuration;
use url::Url;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/app.sqlite3";
/// `BIND_ADDR` when unset (also where `signin healthcheck` looks by default).
pub const DEFAULT_BIND_ADDR: &str = "127.0.0.1:8000";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

impl AppEnv {
    /// The one notion of production: `APP_ENV=production` (or `prod`). Anything else that is
    /// not `development` (or `dev`, or unset) is refused as a configuration error.
    pub fn is_production(self) -> bool {
        self == AppEnv::Production
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Where the key material comes from.

#[derive(Debug, Clone)]
pub struct RateLimit {
    /// Requests allowed per minute per client IP (sustained rate); 0 disables the limit.
    pub per_minute: u32,
    /// Requests allowed at once above the sustained rate.
    pub burst: u32,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub app_env: AppEnv,
    pub dev_provider: bool,
    pub base_url: Url,
    /// `BIND_ADDR`, `METRICS_ADDR`, `TRUSTED_PROXIES`, the rate limit, `SHUTDOWN_TIMEOUT`.
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    /// `SECRET_KEY`, `SECRET_KEY_PREVIOUS`, and which secrets were read from files.
    pub secrets: SecretsConfig,
    pub providers: ProvidersConfig,
    /// Who may sign in and who is an admin by configuration.
    pub access: AccessConfig,
    /// `JWT_TTL`, `JWT_RENEW_WITHIN`, `SESSION_MAX_AGE`, `API_TOKEN_TTL`.
    pub lifetimes: Lifetimes,
    pub http_timeout: StdDuration,
    pub log_format: LogFormat,
    /// `SITE_NAME`, `DEFAULT_LANGUAGE`, `DISPLAY_TIMEZONE`.
    pub site: SiteConfig,
}

/// The providers people sign in with.
#[derive(Debug, Clone)]
pub struct ProvidersConfig {
    /// `PROVIDERS`: the sign-in page's buttons, in order.
    pub enabled: Vec<ProviderKind>,
    /// Google's settings (or the development provider's under `--dev`); read even when
    /// `PROVIDERS` leaves Google out, since its issuer names the keys.
    pub google: ProviderConfig,
    /// `OIDC_*`, when `PROVIDERS` names `oidc`.
    pub oidc: Option<OidcSettings>,
    /// Kakao, Naver and GitHub, those `PROVIDERS` names, in its order.
    pub fixed: Vec<ProviderConfig>,
}

/// Where the service listens and how it treats its clients.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub bind_addr: String,
    /// `METRICS_ADDR`: `/metrics` on its own listener there, and not on the public one.
    pub metrics_addr: Option<String>,
    pub trusted_proxies: Vec<IpAddr>,
    pub rate_limit: RateLimit,
    pub shutdown_timeout: StdDuration,
}

/// The keys sessions and cookies are signed and encrypted with, and where secrets came from.
#[derive(Debug, Clone)]
pub struct SecretsConfig {
    pub key: SecretKeySource,
    /// `SECRET_KEY_PREVIOUS`: keys being rotated out; what they made is still accepted and is
    /// re-issued under the current key.
    pub previous_keys: Vec<Secret>,
    /// The `<NAME>_FILE` variables a secret was read through (for `check-config`).
    pub from_files: Vec<String>,
}

/// Who may sign in, and who is an admin by configuration (`ALLOWED_EMAIL_DOMAINS`, the
/// allowlist, `ADMIN_EMAILS`, `LINK_BY_VERIFIED_EMAIL`).
#[derive(Debug, Clone)]
pub struct AccessConfig {
    pub allowed_email_domains: Vec<String>,
    pub allowlist: AllowlistConfig,
    pub admin_emails: Vec<String>,
    /// Link a new identity to the account of the same verified address, when both providers
    /// vouch for it (docs/SECURITY.md, "Linking").
    pub link_by_verified_email: bool,
}

/// How long sessions and API tokens live.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lifetimes {
    /// An app JWT's lifetime (`JWT_TTL`); it is renewed when less than `renew_within` is left.
    pub ttl: chrono::Duration,
    /// `JWT_RENEW_WITHIN`.
    pub renew_within: chrono::Duration,
    /// A browser session's absolute age from its sign-in (`SESSION_MAX_AGE`).
    pub max_age: chrono::Duration,
    /// An API token's lifetime from its creation (`API_TOKEN_TTL`), never renewed.
    pub api_ttl: chrono::Duration,
}

/// The database settings alone (`APP_ENV`, `DATABASE_URL`, `DATABASE_POOL_SIZE`,
/// `DATABASE_POOL_TIMEOUT`), read exactly as `Config` reads them: what `migrate` and `users …`
/// need, without requiring the provider credentials or a secret key.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    pub app_env: AppEnv,
    pub url: DatabaseUrl,
    pub pool_size: u32,
    pub pool_timeout: StdDuration,
}

/// Every problem found, one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration ({} problem(s)):", self.0.len())?;
        for p in &self.0 {
            writeln!(f, "  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

fn read_app_env(r: &mut Reader) -> AppEnv {
    match r.get("APP_ENV").unwrap_or("development") {
        "development" | "dev" => AppEnv::Development,
        "production" | "prod" => AppEnv::Production,
        other => {
            r.problem(format!(
                "APP_ENV `{other}` must be `development` or `production`"
            ));
            AppEnv::Development
        }
    }
}

impl DatabaseConfig {
    /// Reads the process environment (after `.env`).
    pub fn from_process_env() -> Result<Self, ConfigErrors> {
        let env: HashMap<String, String> = std::env::vars().collect();
        Self::from_env(&env)
    }

    pub fn from_env(env: &HashMap<String, String>) -> Result<Self, ConfigErrors> {
        let mut r = Reader::new(env);
        let app_env = read_app_env(&mut r);
        let db = Self::read(&mut r, app_env);
        r.finish(db)
    }

    pub fn is_production(&self) -> bool {
        self.app_env.is_production()
    }

    fn read(r: &mut Reader, app_env: AppEnv) -> Self {
        let given = match r.secret("DATABASE_URL") {
            SecretValue::Given(u) => Some(u),
            SecretValue::Unset => Some(crate::secret::Secret::new(DEFAULT_DATABASE_URL)),
            SecretValue::Refused => None,
        };
        let parsed = given.map(|u| DatabaseUrl::parse(u.expose()));
        let url = match parsed {
            Some(Ok(u)) => u,
            Some(Err(e)) => {
                r.problem(e.to_string());
                DatabaseUrl::sqlite("data/app.sqlite3")
            }
            None => DatabaseUrl::sqlite("data/app.sqlite3"),
        };
        let cores = std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(2);
        let pool_size = r.number("DATABASE_POOL_SIZE", (cores * 4).clamp(4, 32), 1, 512);
        let pool_timeout = r.std_duration("DATABASE_POOL_TIMEOUT", "5s", 5);
        Self {
            app_env,
            url,
            pool_size,
            pool_timeout,
        }
    }
}

/// `APP_BASE_URL`: an origin, https in production unless `ALLOW_HTTP` says otherwise.
fn read_base_url(r: &mut Reader, production: bool) -> Url {
    let mut base_url = r.url("APP_BASE_URL", "http://localhost:8000");
    if base_url.path() != "/" || base_url.query().is_some() || base_url.fragment().is_some() {
        r.problem(
            "APP_BASE_URL must be an origin only (scheme, host, optional port), without a path",
        );
    }
    base_url.set_path("/");
    let allow_http = matches!(r.get("ALLOW_HTTP"), Some("1" | "true" | "yes"));
    if production && base_url.scheme() != "https" && !allow_http {
        r.problem(
            "APP_BASE_URL must be https:// in production (set ALLOW_HTTP=true to accept http deliberately)",
        );
    }
    base_url
}

impl Config {
    /// Reads the process environment (after `.env`).
    pub fn from_process_env(dev_provider: bool) -> Result<Self, ConfigErrors> {
        let env: HashMap<String, String> = std::env::vars().collect();
        Self::from_env(&env, dev_provider)
    }

    /// Validates everything at once; `dev_provider` is the `--dev` switch.
    pub fn from_env(
        env: &HashMap<String, String>,
        dev_provider: bool,
    ) -> Result<Self, ConfigErrors> {
        let mut r = Reader::new(env);

        let app_env = read_app_env(&mut r);
        let production = app_env.is_production();

        let bind_addr = r.get("BIND_ADDR").unwrap_or(DEFAULT_BIND_ADDR).to_string();
        if bind_addr.parse::<std::net::SocketAddr>().is_err() {
            r.problem(format!(
                "BIND_ADDR `{bind_addr}` must be an IP address and port, like 127.0.0.1:8000"
            ));
        }
        let base_url = read_base_url(&mut r, production);
        let database = DatabaseConfig::read(&mut r, app_env);
        let secret_key = read_secret_key(&mut r, production);
        let secret_key_previous = read_previous_keys(&mut r);

        if dev_provider {
            dev_mode_problems(&mut r, production, &base_url, &bind_addr);
        }
        let providers = read_providers(&mut r);
        let google = providers.contains(&ProviderKind::Google);
        let provider = read_provider(&mut r, dev_provider, &base_url, google);
        if production && !dev_provider && google {
            check_provider_urls(&mut r, &provider);
        }
        let oidc = providers
            .contains(&ProviderKind::Oidc)
            .then(|| read_oidc(&mut r, dev_provider, &base_url, production));
        let fixed = providers
            .iter()
            .filter(|k| {
                matches!(
                    k,
                    ProviderKind::Kakao | ProviderKind::Naver | ProviderKind::Github
                )
            })
            .map(|&k| read_fixed(&mut r, k, dev_provider, &base_url, production))
            .collect();

        let allowed_email_domains = split_list(r.get("ALLOWED_EMAIL_DOMAINS").unwrap_or(""));
        let allowlist = allowlist::read(&mut r);
        let admin_emails = split_list(r.get("ADMIN_EMAILS").unwrap_or(""));
        let link_by_verified_email = match r.get("LINK_BY_VERIFIED_EMAIL").map(str::trim) {
            None | Some("" | "0" | "false" | "no") => false,
            Some("1" | "true" | "yes") => true,
            Some(other) => {
                r.problem(format!(
                    "LINK_BY_VERIFIED_EMAIL `{other}` must be true or false"
                ));
                false
            }
        };
        for e in &admin_emails {
            if !e.contains('@') {
                r.problem(format!("ADMIN_EMAILS: `{e}` is not an email address"));
            }
        }

        let before = r.problems.len();
        let jwt_ttl = r.duration("JWT_TTL", "30d");
        let jwt_renew_within = r.duration("JWT_RENEW_WITHIN", "7d");
        let session_max_age = r.duration("SESSION_MAX_AGE", "90d");
        let lifetimes_parsed = r.problems.len() == before;
        if lifetimes_parsed && jwt_renew_within >= jwt_ttl {
            r.problem("JWT_RENEW_WITHIN must be shorter than JWT_TTL");
        }
        if lifetimes_parsed && session_max_age < jwt_ttl {
            r.problem("SESSION_MAX_AGE must be at least JWT_TTL");
        }
        let api_token_ttl = r.duration("API_TOKEN_TTL", "90d");
        let http_timeout = r.std_duration("HTTP_TIMEOUT", "10s", 10);
        let shutdown_timeout = r.std_duration("SHUTDOWN_TIMEOUT", "30s", 30);

        let mut trusted_proxies = Vec::new();
        for p in split_list(r.get("TRUSTED_PROXIES").unwrap_or("")) {
            match p.parse::<IpAddr>() {
                Ok(ip) => trusted_proxies.push(ip),
                Err(_) => r.problem(format!("TRUSTED_PROXIES: `{p}` is not an IP address")),
            }
        }

        let log_format = match r.get("LOG_FORMAT").unwrap_or("pretty") {
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            other => {
                r.problem(format!("LOG_FORMAT `{other}` must be `pretty` or `json`"));
                LogFormat::Pretty
            }
        };

        let rate_limit = RateLimit {
            per_minute: r.number("RATE_LIMIT_PER_MINUTE", 600, 0, 1_000_000),
            burst: r.number("RATE_LIMIT_BURST", 60, 1, 1_000_000),
        };

        let metrics_addr = r.get("METRICS_ADDR").map(str::to_string);
        if let Some(a) = &metrics_addr
            && a.parse::<std::net::SocketAddr>().is_err()
        {
            r.problem(format!(
                "METRICS_ADDR `{a}` must be an IP address and port, like 127.0.0.1:9100"
            ));
        }

        let site = site::read(&mut r, &base_url);
        let secrets_from_files = r.from_files.clone();

        r.finish(Config {
            app_env,
            dev_provider,
            base_url,
            server: ServerConfig {
                bind_addr,
                metrics_addr,
                trusted_proxies,
                rate_limit,
                shutdown_timeout,
            },
            database,
            secrets: SecretsConfig {
                key: secret_key,
                previous_keys: secret_key_previous,
                from_files: secrets_from_files,
            },
            providers: ProvidersConfig {
                enabled: providers,
                google: provider,
                oidc,
                fixed,
            },
            access: AccessConfig {
                allowed_email_domains,
                allowlist,
                admin_emails,
                link_by_verified_email,
            },
            lifetimes: Lifetimes {
                ttl: jwt_ttl,
                renew_within: jwt_renew_within,
                max_age: session_max_age,
                api_ttl: api_token_ttl,
            },
            http_timeout,
            log_format,
            site,
        })
    }

    /// `APP_BASE_URL` without the trailing slash.
    pub fn origin(&self) -> &str {
        self.base_url.as_str().trim_end_matches('/')
    }

    /// Google's redirect URI. Always from configuration, never from the request's `Host` or
    /// `X-Forwarded-*`.
    pub fn redirect_uri(&self) -> String {
        self.redirect_uri_of(ProviderKind::Google)
    }

    /// The redirect URI to register at the provider of `kind`.
    pub fn redirect_uri_of(&self, kind: ProviderKind) -> String {
        format!("{}{}", self.origin(), paths::callback(kind.key()))
    }

    pub fn is_https(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    pub fn is_admin_email(&self, email: &str) -> bool {
        let e = email.to_ascii_lowercase();
        self.access.admin_emails.contains(&e)
    }
}
