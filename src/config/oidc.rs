//! Any OpenID provider (`oidc`, issue 13): its variables (`OIDC_*`), checked all at once, and
//! under `--dev` the development provider's stand-in. Its endpoints come from discovery at
//! start (`provider::discovery`).

use super::ProviderConfig;
use super::provider::{ProviderKind, client_secret, dev_provider_config, is_loopback};
use super::read::Reader;
use crate::secret::Secret;
use url::Url;

/// The OpenID provider stand-in for `oidc` under `--dev`, on the app's own origin.
pub const DEV_OIDC_NAME: &str = "Dev OpenID";

/// Any OpenID provider (`oidc`): what the variables say. Its endpoints come from discovery
/// at start (`provider::discovery`); under `--dev` from the development provider's stand-in.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    /// `OIDC_ISSUER`, exactly as given.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub name: String,
    pub scopes: String,
    pub trusted_emails: bool,
    /// `--dev`: the stand-in's settings, no discovery.
    pub dev: Option<ProviderConfig>,
}

pub(super) fn read_oidc(
    r: &mut Reader,
    dev_provider: bool,
    base_url: &Url,
    production: bool,
) -> OidcSettings {
    let name = r
        .get("OIDC_NAME")
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    let scopes = r
        .get("OIDC_SCOPES")
        .unwrap_or("openid email profile")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if !scopes.split(' ').any(|s| s == "openid") {
        r.problem(
            "OIDC_SCOPES must include `openid` (an OpenID provider sends the ID token only then)",
        );
    }
    let trusted_emails = matches!(r.get("OIDC_TRUSTED_EMAILS"), Some("1" | "true" | "yes"));
    if dev_provider {
        let mut dev = dev_provider_config(
            base_url,
            ProviderKind::Oidc,
            name.clone().unwrap_or_else(|| DEV_OIDC_NAME.into()),
        );
        dev.scopes = scopes.clone();
        dev.trusted_emails = trusted_emails;
        return OidcSettings {
            issuer: dev.issuer.clone(),
            client_id: dev.client_id.clone(),
            client_secret: dev.client_secret.clone(),
            name: dev.name.clone(),
            scopes,
            trusted_emails,
            dev: Some(dev),
        };
    }
    let issuer = r.get("OIDC_ISSUER").unwrap_or_default().trim().to_string();
    let allow_http = matches!(r.get("ALLOW_HTTP"), Some("1" | "true" | "yes"));
    if issuer.is_empty() {
        r.problem("OIDC_ISSUER is required when PROVIDERS names `oidc` (the provider's issuer URL, as its discovery document states it)");
    } else {
        match Url::parse(&issuer) {
            Err(_) => r.problem(format!("OIDC_ISSUER `{issuer}` is not a URL")),
            Ok(u) => {
                let http_ok = !production || (allow_http && is_loopback(&u));
                if !(u.scheme() == "https" || (u.scheme() == "http" && http_ok)) {
                    r.problem("OIDC_ISSUER must be https:// in production (http:// is accepted only for a loopback host with ALLOW_HTTP=true)");
                }
            }
        }
    }
    let client_id = r.get("OIDC_CLIENT_ID").unwrap_or_default().to_string();
    if client_id.is_empty() {
        r.problem("OIDC_CLIENT_ID is required when PROVIDERS names `oidc`");
    }
    let client_secret = client_secret(r, "OIDC_CLIENT_SECRET", true);
    let name = name.unwrap_or_else(|| {
        r.problem("OIDC_NAME is required when PROVIDERS names `oidc` (the button reads \"Sign in with {OIDC_NAME}\")");
        String::new()
    });
    OidcSettings {
        // Exactly as given: the document's `issuer` and the ID tokens' `iss` must equal it
        // (an issuer may end with `/`, as Auth0's does).
        issuer,
        client_id,
        client_secret,
        name,
        scopes,
        trusted_emails,
        dev: None,
    }
}
