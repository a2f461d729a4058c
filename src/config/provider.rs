//! The identity provider's settings: the built-in development provider (`--dev`) or Google
//! (or a stand-in) from the `GOOGLE_*` variables, and the rules that keep `--dev` on loopback.

use super::read::{Reader, SecretValue, placeholder_url};
use crate::paths;
use crate::secret::Secret;
use url::Url;

pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";
pub const GOOGLE_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
pub const GOOGLE_USERINFO_URL: &str = "https://openidconnect.googleapis.com/v1/userinfo";
pub const GOOGLE_JWKS_URL: &str = "https://www.googleapis.com/oauth2/v3/certs";
pub const DEV_CLIENT_ID: &str = "dev-client";
pub const DEV_CLIENT_SECRET: &str = "dev-client-secret";

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

/// True for a loopback host (`localhost`, 127.0.0.0/8, `[::1]`).
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// `--dev` lets anyone sign in as anyone through a provider whose client secret is public, so
/// it must not be able to face the world: refused unless `APP_ENV` is development (set or left
/// at its default) and both the public origin and the listening address are loopback. Every
/// failing reason is its own problem, so one run names them all.
pub(super) fn dev_mode_problems(r: &mut Reader, production: bool, base_url: &Url, bind_addr: &str) {
    if production {
        r.problem(
            "the development provider (--dev) is refused when APP_ENV=production (it needs APP_ENV=development or unset)",
        );
    }
    // A refused URL (replaced by the placeholder) is already reported as such.
    if !is_loopback(base_url) && *base_url != placeholder_url() {
        r.problem(format!(
            "the development provider (--dev) is refused: APP_BASE_URL `{}` is not loopback (localhost, 127.0.0.0/8 or [::1])",
            base_url.as_str().trim_end_matches('/')
        ));
    }
    // An address that does not parse is already reported as such.
    if let Ok(addr) = bind_addr.parse::<std::net::SocketAddr>()
        && !addr.ip().is_loopback()
    {
        r.problem(format!(
            "the development provider (--dev) is refused: BIND_ADDR `{bind_addr}` is not loopback (127.0.0.0/8 or [::1])"
        ));
    }
}

/// In production every provider URL is `https://` (the client secret, the code and the tokens
/// travel on them); `http://` only to a loopback host and only with `ALLOW_HTTP=true`. One
/// problem per URL, so that `check-config` lists each.
pub(super) fn check_provider_urls(r: &mut Reader, provider: &ProviderConfig) {
    let allow_http = matches!(r.get("ALLOW_HTTP"), Some("1" | "true" | "yes"));
    for (key, url) in [
        ("GOOGLE_AUTH_URL", &provider.auth_url),
        ("GOOGLE_TOKEN_URL", &provider.token_url),
        ("GOOGLE_USERINFO_URL", &provider.userinfo_url),
        ("GOOGLE_JWKS_URL", &provider.jwks_url),
    ] {
        if url.scheme() != "https" && !(allow_http && is_loopback(url)) {
            r.problem(format!(
                "{key} must be https:// in production (http:// is accepted only for a loopback host with ALLOW_HTTP=true)"
            ));
        }
    }
}

/// The built-in development provider on this origin (`--dev`), or Google (or a stand-in) from
/// the `GOOGLE_*` variables.
pub(super) fn read_provider(r: &mut Reader, dev_provider: bool, base_url: &Url) -> ProviderConfig {
    if dev_provider {
        let issuer = format!(
            "{}{}",
            base_url.as_str().trim_end_matches('/'),
            paths::DEV_PROVIDER
        );
        let at =
            |p: &str| Url::parse(&format!("{issuer}{p}")).unwrap_or_else(|_| placeholder_url());
        return ProviderConfig {
            client_id: DEV_CLIENT_ID.into(),
            client_secret: Secret::new(DEV_CLIENT_SECRET),
            auth_url: at("/authorize"),
            token_url: at("/token"),
            userinfo_url: at("/userinfo"),
            jwks_url: at("/jwks"),
            issuer,
        };
    }
    let client_id = r.get("GOOGLE_CLIENT_ID").unwrap_or_default().to_string();
    let client_secret = r.secret("GOOGLE_CLIENT_SECRET");
    if client_id.is_empty() {
        r.problem(
            "GOOGLE_CLIENT_ID is required (or run `serve --dev` for the built-in development provider)",
        );
    }
    let client_secret = match client_secret {
        SecretValue::Given(s) => s,
        SecretValue::Refused => Secret::new(""),
        SecretValue::Unset => {
            r.problem("GOOGLE_CLIENT_SECRET is required (or GOOGLE_CLIENT_SECRET_FILE)");
            Secret::new("")
        }
    };
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
}
