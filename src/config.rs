//! Configuration: environment (or `.env`) → one validated `Config`, or one error listing every problem.
//!
//! Parsing has no side effects; the generated development secret is only *located* here and
//! created by start-up.

use crate::secret::Secret;
use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration as StdDuration;
use url::Url;

pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";
pub const GOOGLE_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
pub const GOOGLE_USERINFO_URL: &str = "https://openidconnect.googleapis.com/v1/userinfo";
pub const GOOGLE_JWKS_URL: &str = "https://www.googleapis.com/oauth2/v3/certs";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/app.sqlite3";
pub const DEV_CLIENT_ID: &str = "dev-client";
pub const DEV_CLIENT_SECRET: &str = "dev-client-secret";
/// Where the built-in development provider is mounted on the app's own origin.
pub const DEV_PROVIDER_PATH: &str = "/dev/oidc";
pub const MIN_SECRET_KEY_LEN: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// A database URL whose `Display` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseKind {
    Postgres,
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let me = Self(raw.trim().to_string());
        me.kind()?;
        Ok(me)
    }

    pub fn kind(&self) -> Result<DatabaseKind, String> {
        let s = self.0.as_str();
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Url::parse(s).map_err(|e| format!("DATABASE_URL is not a valid URL: {e}"))?;
            Ok(DatabaseKind::Postgres)
        } else if let Some(rest) = s.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err("DATABASE_URL `sqlite://` needs a file path".into());
            }
            Ok(DatabaseKind::Sqlite(PathBuf::from(path)))
        } else {
            Err("DATABASE_URL must start with postgres:// or sqlite://".into())
        }
    }

    /// The URL with its secret, for the driver only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with the password replaced, safe for logs and error messages.
    pub fn redacted(&self) -> String {
        match Url::parse(&self.0) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some("***"));
                u.to_string()
            }
            _ => self.0.clone(),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Where the key material comes from.
#[derive(Debug, Clone)]
pub enum SecretKeySource {
    Given(Secret),
    /// Development only: generated on first start and kept in this file.
    GeneratedAt(PathBuf),
}

#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub client_id: String,
    pub client_secret: Secret,
    pub issuer: String,
    pub auth_url: Url,
    pub token_url: Url,
    pub userinfo_url: Url,
    pub jwks_url: Url,
}

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
    pub bind_addr: String,
    pub base_url: Url,
    pub database_url: DatabaseUrl,
    pub pool_size: u32,
    /// How long a request waits for a pooled connection before answering 503.
    pub pool_timeout: StdDuration,
    pub secret_key: SecretKeySource,
    pub provider: ProviderConfig,
    pub allowed_email_domains: Vec<String>,
    pub admin_emails: Vec<String>,
    pub jwt_ttl: chrono::Duration,
    pub jwt_renew_within: chrono::Duration,
    pub session_max_age: chrono::Duration,
    pub http_timeout: StdDuration,
    pub trusted_proxies: Vec<IpAddr>,
    pub log_format: LogFormat,
    pub rate_limit: RateLimit,
    pub shutdown_timeout: StdDuration,
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

/// Parses `30d`, `12h`, `15m`, `10s`, `500ms` or a bare number of seconds.
pub fn parse_duration(raw: &str) -> Result<chrono::Duration, String> {
    let s = raw.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: i64 = num
        .parse()
        .map_err(|_| format!("`{raw}` is not a duration like 30d, 12h, 15m or 10s"))?;
    let unit_ms: i64 = match unit.trim() {
        "" | "s" => 1_000,
        "ms" => 1,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("`{raw}`: unknown unit (use ms, s, m, h or d)")),
    };
    n.checked_mul(unit_ms)
        .filter(|ms| *ms <= 3_650 * 86_400_000)
        .map(chrono::Duration::milliseconds)
        .ok_or_else(|| format!("`{raw}` is too long"))
}

fn split_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

struct Reader<'a> {
    env: &'a HashMap<String, String>,
    problems: Vec<String>,
}

impl Reader<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.env
            .get(key)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    fn url(&mut self, key: &str, default: &str) -> Url {
        let raw = self.get(key).unwrap_or(default).to_string();
        match Url::parse(&raw) {
            Ok(u) if u.scheme() == "http" || u.scheme() == "https" => u,
            Ok(_) => {
                self.problems
                    .push(format!("{key} must be an http:// or https:// URL"));
                placeholder_url()
            }
            Err(e) => {
                self.problems
                    .push(format!("{key} `{raw}` is not a URL: {e}"));
                placeholder_url()
            }
        }
    }

    fn duration(&mut self, key: &str, default: &str) -> chrono::Duration {
        match parse_duration(self.get(key).unwrap_or(default)) {
            Ok(d) if d > chrono::Duration::zero() => d,
            Ok(_) => {
                self.problems
                    .push(format!("{key} must be greater than zero"));
                chrono::Duration::seconds(1)
            }
            Err(e) => {
                self.problems.push(format!("{key}: {e}"));
                chrono::Duration::seconds(1)
            }
        }
    }

    fn number(&mut self, key: &str, default: u32, min: u32, max: u32) -> u32 {
        match self.get(key) {
            None => default,
            Some(raw) => match raw.parse::<u32>() {
                Ok(n) if (min..=max).contains(&n) => n,
                _ => {
                    self.problems
                        .push(format!("{key} must be a whole number from {min} to {max}"));
                    default
                }
            },
        }
    }
}

#[allow(clippy::unwrap_used)] // a constant, valid URL
fn placeholder_url() -> Url {
    Url::parse("http://invalid.invalid/").unwrap()
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
        let mut r = Reader {
            env,
            problems: Vec::new(),
        };

        let app_env = match r.get("APP_ENV").unwrap_or("development") {
            "development" | "dev" => AppEnv::Development,
            "production" | "prod" => AppEnv::Production,
            other => {
                r.problems.push(format!(
                    "APP_ENV `{other}` must be `development` or `production`"
                ));
                AppEnv::Development
            }
        };
        let production = app_env == AppEnv::Production;

        let bind_addr = r.get("BIND_ADDR").unwrap_or("127.0.0.1:8000").to_string();
        if bind_addr.parse::<std::net::SocketAddr>().is_err() {
            r.problems.push(format!(
                "BIND_ADDR `{bind_addr}` must be an IP address and port, like 127.0.0.1:8000"
            ));
        }

        let mut base_url = r.url("APP_BASE_URL", "http://localhost:8000");
        if base_url.path() != "/" || base_url.query().is_some() || base_url.fragment().is_some() {
            r.problems.push(
                "APP_BASE_URL must be an origin only (scheme, host, optional port), without a path"
                    .into(),
            );
        }
        base_url.set_path("/");
        let allow_http = matches!(r.get("ALLOW_HTTP"), Some("1" | "true" | "yes"));
        if production && base_url.scheme() != "https" && !allow_http {
            r.problems.push(
                "APP_BASE_URL must be https:// in production (set ALLOW_HTTP=true to accept http deliberately)"
                    .into(),
            );
        }

        let database_url =
            match DatabaseUrl::parse(r.get("DATABASE_URL").unwrap_or(DEFAULT_DATABASE_URL)) {
                Ok(u) => u,
                Err(e) => {
                    r.problems.push(e);
                    DatabaseUrl(DEFAULT_DATABASE_URL.into())
                }
            };
        let cores = std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(2);
        let pool_size = r.number("DATABASE_POOL_SIZE", (cores * 4).clamp(4, 32), 1, 512);
        let pool_timeout = r
            .duration("DATABASE_POOL_TIMEOUT", "5s")
            .to_std()
            .unwrap_or(StdDuration::from_secs(5));

        let secret_key = match r.get("SECRET_KEY") {
            Some(k) if k.len() >= MIN_SECRET_KEY_LEN => SecretKeySource::Given(Secret::new(k)),
            Some(_) => {
                r.problems.push(format!(
                    "SECRET_KEY must be at least {MIN_SECRET_KEY_LEN} characters (try `openssl rand -hex 48`)"
                ));
                SecretKeySource::GeneratedAt(PathBuf::from("data/secret_key"))
            }
            None if production => {
                r.problems.push(
                    "SECRET_KEY is required in production (try `openssl rand -hex 48`)".into(),
                );
                SecretKeySource::GeneratedAt(PathBuf::from("data/secret_key"))
            }
            None => SecretKeySource::GeneratedAt(PathBuf::from("data/secret_key")),
        };

        if dev_provider && production {
            r.problems
                .push("the development provider (--dev) is refused when APP_ENV=production".into());
        }
        let provider = if dev_provider {
            let base = base_url.as_str().trim_end_matches('/').to_string();
            let at = |p: &str| {
                Url::parse(&format!("{base}{DEV_PROVIDER_PATH}{p}"))
                    .unwrap_or_else(|_| placeholder_url())
            };
            ProviderConfig {
                client_id: DEV_CLIENT_ID.into(),
                client_secret: Secret::new(DEV_CLIENT_SECRET),
                issuer: format!("{base}{DEV_PROVIDER_PATH}"),
                auth_url: at("/authorize"),
                token_url: at("/token"),
                userinfo_url: at("/userinfo"),
                jwks_url: at("/jwks"),
            }
        } else {
            let client_id = r.get("GOOGLE_CLIENT_ID").unwrap_or_default().to_string();
            let client_secret = Secret::new(r.get("GOOGLE_CLIENT_SECRET").unwrap_or_default());
            if client_id.is_empty() {
                r.problems.push(
                    "GOOGLE_CLIENT_ID is required (or run `serve --dev` for the built-in development provider)"
                        .into(),
                );
            }
            if client_secret.is_empty() {
                r.problems.push("GOOGLE_CLIENT_SECRET is required".into());
            }
            let issuer = r.get("GOOGLE_ISSUER").unwrap_or(GOOGLE_ISSUER).to_string();
            ProviderConfig {
                client_id,
                client_secret,
                issuer,
                auth_url: r.url("GOOGLE_AUTH_URL", GOOGLE_AUTH_URL),
                token_url: r.url("GOOGLE_TOKEN_URL", GOOGLE_TOKEN_URL),
                userinfo_url: r.url("GOOGLE_USERINFO_URL", GOOGLE_USERINFO_URL),
                jwks_url: r.url("GOOGLE_JWKS_URL", GOOGLE_JWKS_URL),
            }
        };

        let allowed_email_domains = split_list(r.get("ALLOWED_EMAIL_DOMAINS").unwrap_or(""));
        let admin_emails = split_list(r.get("ADMIN_EMAILS").unwrap_or(""));
        for e in &admin_emails {
            if !e.contains('@') {
                r.problems
                    .push(format!("ADMIN_EMAILS: `{e}` is not an email address"));
            }
        }

        let before = r.problems.len();
        let jwt_ttl = r.duration("JWT_TTL", "30d");
        let jwt_renew_within = r.duration("JWT_RENEW_WITHIN", "7d");
        let session_max_age = r.duration("SESSION_MAX_AGE", "90d");
        let lifetimes_parsed = r.problems.len() == before;
        if lifetimes_parsed && jwt_renew_within >= jwt_ttl {
            r.problems
                .push("JWT_RENEW_WITHIN must be shorter than JWT_TTL".into());
        }
        if lifetimes_parsed && session_max_age < jwt_ttl {
            r.problems
                .push("SESSION_MAX_AGE must be at least JWT_TTL".into());
        }
        let http_timeout = r
            .duration("HTTP_TIMEOUT", "10s")
            .to_std()
            .unwrap_or(StdDuration::from_secs(10));
        let shutdown_timeout = r
            .duration("SHUTDOWN_TIMEOUT", "30s")
            .to_std()
            .unwrap_or(StdDuration::from_secs(30));

        let mut trusted_proxies = Vec::new();
        for p in split_list(r.get("TRUSTED_PROXIES").unwrap_or("")) {
            match p.parse::<IpAddr>() {
                Ok(ip) => trusted_proxies.push(ip),
                Err(_) => r
                    .problems
                    .push(format!("TRUSTED_PROXIES: `{p}` is not an IP address")),
            }
        }

        let log_format = match r.get("LOG_FORMAT").unwrap_or("pretty") {
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            other => {
                r.problems
                    .push(format!("LOG_FORMAT `{other}` must be `pretty` or `json`"));
                LogFormat::Pretty
            }
        };

        let rate_limit = RateLimit {
            per_minute: r.number("RATE_LIMIT_PER_MINUTE", 600, 0, 1_000_000),
            burst: r.number("RATE_LIMIT_BURST", 60, 1, 1_000_000),
        };

        if !r.problems.is_empty() {
            return Err(ConfigErrors(r.problems));
        }
        Ok(Config {
            app_env,
            dev_provider,
            bind_addr,
            base_url,
            database_url,
            pool_size,
            pool_timeout,
            secret_key,
            provider,
            allowed_email_domains,
            admin_emails,
            jwt_ttl,
            jwt_renew_within,
            session_max_age,
            http_timeout,
            trusted_proxies,
            log_format,
            rate_limit,
            shutdown_timeout,
        })
    }

    /// `APP_BASE_URL` without the trailing slash.
    pub fn origin(&self) -> &str {
        self.base_url.as_str().trim_end_matches('/')
    }

    /// Always from configuration, never from the request's `Host` or `X-Forwarded-*`.
    pub fn redirect_uri(&self) -> String {
        format!("{}/auth/google/callback", self.origin())
    }

    pub fn is_https(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    pub fn is_admin_email(&self, email: &str) -> bool {
        let e = email.to_ascii_lowercase();
        self.admin_emails.contains(&e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn dev_defaults_are_valid() {
        let c = Config::from_env(&env(&[]), true).unwrap();
        assert_eq!(c.app_env, AppEnv::Development);
        assert_eq!(
            c.redirect_uri(),
            "http://localhost:8000/auth/google/callback"
        );
        assert_eq!(c.jwt_ttl, chrono::Duration::days(30));
        assert_eq!(c.jwt_renew_within, chrono::Duration::days(7));
        assert_eq!(c.session_max_age, chrono::Duration::days(90));
        assert!(matches!(c.database_url.kind(), Ok(DatabaseKind::Sqlite(_))));
        assert!(
            c.provider
                .token_url
                .as_str()
                .starts_with("http://localhost:8000/dev/oidc/")
        );
    }

    #[test]
    fn production_refuses_development_defaults_all_at_once() {
        let err = Config::from_env(&env(&[("APP_ENV", "production")]), true).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("SECRET_KEY"), "{text}");
        assert!(text.contains("--dev"), "{text}");
        assert!(text.contains("https"), "{text}");
        assert!(err.0.len() >= 3);
    }

    #[test]
    fn production_requires_google_credentials_and_long_key() {
        let err = Config::from_env(
            &env(&[
                ("APP_ENV", "production"),
                ("APP_BASE_URL", "https://example.com"),
                ("SECRET_KEY", "short"),
            ]),
            false,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("GOOGLE_CLIENT_ID"), "{text}");
        assert!(text.contains("GOOGLE_CLIENT_SECRET"), "{text}");
        assert!(text.contains("at least 64"), "{text}");
    }

    #[test]
    fn every_bad_value_is_reported() {
        let err = Config::from_env(
            &env(&[
                ("APP_ENV", "staging"),
                ("BIND_ADDR", "nowhere"),
                ("APP_BASE_URL", "ftp://x"),
                ("DATABASE_URL", "mysql://x"),
                ("JWT_TTL", "soon"),
                ("HTTP_TIMEOUT", "10 parsecs"),
                ("TRUSTED_PROXIES", "1.2.3.4,not-an-ip"),
                ("LOG_FORMAT", "xml"),
                ("DATABASE_POOL_SIZE", "0"),
            ]),
            true,
        )
        .unwrap_err();
        assert_eq!(err.0.len(), 9, "{err}");
    }

    #[test]
    fn database_url_password_is_hidden() {
        let u = DatabaseUrl::parse("postgres://app:s3cr3t@db.example:5432/app").unwrap();
        assert!(!u.to_string().contains("s3cr3t"));
        assert!(!format!("{u:?}").contains("s3cr3t"));
        assert!(u.to_string().contains("db.example"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30d").unwrap(), chrono::Duration::days(30));
        assert_eq!(
            parse_duration("10s").unwrap(),
            chrono::Duration::seconds(10)
        );
        assert_eq!(parse_duration("15").unwrap(), chrono::Duration::seconds(15));
        assert_eq!(
            parse_duration("250ms").unwrap(),
            chrono::Duration::milliseconds(250)
        );
        assert!(parse_duration("d").is_err());
        assert!(parse_duration("99999999999999d").is_err());
        assert!(parse_duration("-5s").is_err());
    }

    #[test]
    fn secret_key_is_redacted_in_debug() {
        let key = "k".repeat(64) + "UNIQUEMARK";
        let c = Config::from_env(&env(&[("SECRET_KEY", &key)]), true).unwrap();
        assert!(!format!("{c:?}").contains("UNIQUEMARK"));
    }
}
