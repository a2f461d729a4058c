//! OpenID Provider discovery (OpenID Connect Discovery 1.0 §4): the `oidc` provider's endpoints
//! from `{OIDC_ISSUER}/.well-known/openid-configuration`, read once at start. The document's
//! `issuer` must be exactly `OIDC_ISSUER` (§4.3: a mismatch means another provider answered, and
//! its tokens would be trusted as this one's), every endpoint https when the issuer is, and the
//! token endpoint must take a client secret the way we send it (`client_secret_basic`, the
//! default when the document says nothing, or `client_secret_post`).

use super::MAX_BODY;
use crate::config::{OidcSettings, ProviderConfig, ProviderKind, TokenAuth};
use serde::Deserialize;
use std::time::Duration;
use url::Url;

/// Why the discovery document of `issuer` could not be used.
#[derive(Debug, thiserror::Error)]
#[error("OIDC_ISSUER {issuer}: {problem}")]
pub struct DiscoveryError {
    pub issuer: String,
    pub problem: DiscoveryProblem,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryProblem {
    #[error("the discovery document could not be fetched ({0})")]
    Unreachable(String),
    #[error("the discovery document answered HTTP {0}")]
    Status(u16),
    #[error("the discovery document is not valid ({0})")]
    Invalid(String),
    /// The document's `issuer` (at most 200 characters).
    #[error(
        "the discovery document names the issuer `{0}`; they must be equal (set OIDC_ISSUER to the provider's issuer exactly)"
    )]
    IssuerMismatch(String),
}

impl DiscoveryProblem {
    /// This problem, with the issuer whose document has it.
    fn at(self, issuer: &str) -> DiscoveryError {
        DiscoveryError {
            issuer: issuer.to_string(),
            problem: self,
        }
    }
}

/// The fields of the discovery document we use.
#[derive(Debug, Deserialize)]
struct Document {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: Option<String>,
    jwks_uri: String,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// The discovery document's URL for an issuer (Discovery §4.1: the issuer's path kept, the
/// well-known suffix appended).
pub fn document_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// Fetches and checks the discovery document of `settings.issuer`, and makes the client's
/// settings from it.
pub async fn discover(
    settings: &OidcSettings,
    timeout: Duration,
) -> Result<ProviderConfig, DiscoveryError> {
    let issuer = settings.issuer.as_str();
    let unreachable =
        |e: reqwest::Error| DiscoveryProblem::Unreachable(e.without_url().to_string()).at(issuer);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .user_agent(concat!("signin/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(unreachable)?;
    let mut resp = http
        .get(document_url(issuer))
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(unreachable)?;
    let status = resp.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(DiscoveryProblem::Status(status).at(issuer));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(unreachable)? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(DiscoveryProblem::Invalid("larger than 1 MiB".into()).at(issuer));
        }
        body.extend_from_slice(&chunk);
    }
    let doc: Document = serde_json::from_slice(&body).map_err(|_| {
        DiscoveryProblem::Invalid(
            "not JSON with issuer, authorization_endpoint, token_endpoint and jwks_uri".into(),
        )
        .at(issuer)
    })?;
    config_from(settings, doc)
}

/// Checks the document against the settings and makes the client's settings.
fn config_from(settings: &OidcSettings, doc: Document) -> Result<ProviderConfig, DiscoveryError> {
    let issuer = &settings.issuer;
    let invalid = |what: String| DiscoveryProblem::Invalid(what).at(issuer);
    // §4.3: exactly equal, a trailing `/` included.
    if doc.issuer != *issuer {
        let found = doc.issuer.chars().take(200).collect();
        return Err(DiscoveryProblem::IssuerMismatch(found).at(issuer));
    }
    let https = issuer.starts_with("https://");
    let endpoint = |name: &str, raw: &str| -> Result<Url, DiscoveryError> {
        let url = Url::parse(raw).map_err(|_| invalid(format!("{name} is not a URL")))?;
        let scheme_ok = url.scheme() == "https" || (!https && url.scheme() == "http");
        if !scheme_ok {
            return Err(invalid(format!("{name} is not https")));
        }
        Ok(url)
    };
    let userinfo = doc
        .userinfo_endpoint
        .as_deref()
        .ok_or_else(|| invalid("it has no userinfo_endpoint".into()))?;
    let methods = doc
        .token_endpoint_auth_methods_supported
        .unwrap_or_else(|| vec!["client_secret_basic".into()]);
    let token_auth = if methods.iter().any(|m| m == "client_secret_basic") {
        TokenAuth::Basic
    } else if methods.iter().any(|m| m == "client_secret_post") {
        TokenAuth::Post
    } else {
        return Err(invalid(
            "its token endpoint takes neither client_secret_basic nor client_secret_post".into(),
        ));
    };
    Ok(ProviderConfig {
        kind: ProviderKind::Oidc,
        name: settings.name.clone(),
        scopes: settings.scopes.clone(),
        token_auth,
        trusted_emails: settings.trusted_emails,
        client_id: settings.client_id.clone(),
        client_secret: settings.client_secret.clone(),
        issuer: issuer.clone(),
        auth_url: endpoint("authorization_endpoint", &doc.authorization_endpoint)?,
        token_url: endpoint("token_endpoint", &doc.token_endpoint)?,
        userinfo_url: endpoint("userinfo_endpoint", userinfo)?,
        jwks_url: endpoint("jwks_uri", &doc.jwks_uri)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn settings() -> OidcSettings {
        OidcSettings {
            issuer: "https://id.example.com/realms/main".into(),
            client_id: "app".into(),
            client_secret: Secret::new("s3cret"),
            name: "Example ID".into(),
            scopes: "openid email profile".into(),
            trusted_emails: false,
            dev: None,
        }
    }

    fn doc(issuer: &str, methods: Option<&[&str]>) -> Document {
        let at = |p: &str| format!("https://id.example.com/realms/main/{p}");
        Document {
            issuer: issuer.into(),
            authorization_endpoint: at("auth"),
            token_endpoint: at("token"),
            userinfo_endpoint: Some(at("userinfo")),
            jwks_uri: at("certs"),
            token_endpoint_auth_methods_supported: methods
                .map(|m| m.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn an_issuer_ending_with_a_slash_is_compared_exactly() {
        let mut s = settings();
        s.issuer = "https://tenant.auth0.example.com/".into();
        let mut d = doc(&s.issuer, None);
        d.issuer = s.issuer.clone();
        assert_eq!(
            config_from(&s, d).unwrap().issuer,
            "https://tenant.auth0.example.com/"
        );
        let mut d = doc(&s.issuer, None);
        d.issuer = "https://tenant.auth0.example.com".into();
        assert!(
            config_from(&s, d).is_err(),
            "the slash is part of the issuer"
        );
    }

    #[test]
    fn the_document_url_keeps_the_issuer_path() {
        assert_eq!(
            document_url("https://id.example.com/realms/main/"),
            "https://id.example.com/realms/main/.well-known/openid-configuration"
        );
    }

    #[test]
    fn an_issuer_that_differs_is_refused() {
        for other in [
            "https://id.example.com/realms/main/",
            "https://id.example.com/realms/other",
            "https://evil.example.com/realms/main",
            "http://id.example.com/realms/main",
        ] {
            let e = config_from(&settings(), doc(other, None)).unwrap_err();
            assert!(
                matches!(e.problem, DiscoveryProblem::IssuerMismatch(_)),
                "{other}: {e}"
            );
            assert!(e.to_string().contains(other), "{e}");
        }
    }

    #[test]
    fn the_auth_method_follows_the_document() {
        let c = config_from(&settings(), doc(&settings().issuer, None)).unwrap();
        assert_eq!(c.token_auth, TokenAuth::Basic, "the default is basic");
        let c = config_from(
            &settings(),
            doc(
                &settings().issuer,
                Some(&["client_secret_post", "private_key_jwt"]),
            ),
        )
        .unwrap();
        assert_eq!(c.token_auth, TokenAuth::Post);
        let e = config_from(
            &settings(),
            doc(&settings().issuer, Some(&["private_key_jwt"])),
        )
        .unwrap_err();
        assert!(e.to_string().contains("neither"), "{e}");
        assert_eq!(c.kind, ProviderKind::Oidc);
        assert_eq!(c.name, "Example ID");
        assert_eq!(
            c.jwks_url.as_str(),
            "https://id.example.com/realms/main/certs"
        );
    }

    #[test]
    fn an_http_endpoint_under_an_https_issuer_is_refused() {
        let mut d = doc(&settings().issuer, None);
        d.token_endpoint = "http://id.example.com/token".into();
        let e = config_from(&settings(), d).unwrap_err();
        assert!(e.to_string().contains("token_endpoint is not https"), "{e}");
    }
}
