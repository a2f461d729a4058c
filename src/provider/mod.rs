//! Identity providers: the seam a sign-in goes through (`IdentityProvider`), what a provider
//! tells us about a person (`Identity`), and how a provider call fails (`ProviderError`). The
//! OpenID Connect client (`oidc`) is the one implementation today; a second provider implements
//! the same trait without touching the sign-in flow or its handler (docs/ARCHITECTURE.md).

pub mod discovery;
mod http;
mod jwks;
pub mod oauth;
pub mod oidc;

use crate::config::ProviderConfig;
use chrono::{DateTime, Utc};
use std::future::Future;
use std::pin::Pin;
use url::Url;

pub use oauth::OAuthClient;
pub use oidc::OidcClient;

/// Cap on every provider response body.
pub const MAX_BODY: usize = 1024 * 1024;
/// Allowed clock difference with the provider for `exp` and `iat`.
pub const LEEWAY_SECS: i64 = 60;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What `IdentityProvider::identify` returns: the person, once every check has passed.
pub type Identifying<'a> = BoxFuture<'a, Result<Identity, ProviderError>>;

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("the provider did not answer in time")]
    Timeout,
    #[error("the provider could not be reached")]
    Unreachable,
    #[error("the provider answered HTTP {status} ({error})")]
    Status { status: u16, error: String },
    #[error("the provider's answer was not understood: {0}")]
    BadResponse(&'static str),
    #[error("the ID token was refused: {0}")]
    IdToken(&'static str),
}

impl ProviderError {
    /// A short, stable label for metrics and the audit log.
    pub fn reason(&self) -> &'static str {
        match self {
            ProviderError::Timeout => "provider_timeout",
            ProviderError::Unreachable => "provider_unreachable",
            ProviderError::Status { .. } => "provider_refused",
            ProviderError::BadResponse(_) => "provider_bad_response",
            ProviderError::IdToken(_) => "id_token_invalid",
        }
    }
}

/// What the authorization request carries besides the client's own settings.
#[derive(Debug)]
pub struct AuthorizeRequest<'a> {
    pub state: &'a str,
    pub nonce: &'a str,
    pub code_challenge: &'a str,
    pub login_hint: Option<&'a str>,
}

/// What the callback hands back for the code exchange: the code, and the PKCE verifier and
/// nonce made with the authorization request.
#[derive(Debug, Clone, Copy)]
pub struct CodeExchange<'a> {
    pub code: &'a str,
    /// The authorization request's state (Naver asks for it again at the token endpoint).
    pub state: &'a str,
    pub verifier: &'a str,
    pub nonce: &'a str,
}

/// The person as the provider vouched for them, after every check the provider's protocol
/// asks for (signature, issuer, audience, nonce, times, the userinfo `sub`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Identity {
    /// The provider's stable subject identifier: users are keyed on it, never on the email.
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    /// Google's hosted domain (Workspace accounts), lower-cased.
    pub hd: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub picture: Option<String>,
    pub locale: Option<String>,
}

/// What a provider's verified email proves about the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailAuthority {
    /// Google itself: a Workspace account's `hd` proves the domain, a Gmail address its owner;
    /// any other verified address only that someone made a Google account with it.
    Google,
    /// The verified email proves the address (a stand-in for Google in tests and `--dev`; an
    /// `oidc` provider with `OIDC_TRUSTED_EMAILS=true`).
    Trusted,
    /// The address is the provider's say-so: it admits by the allowlists, but never makes an
    /// admin or claims an admin invitation.
    Untrusted,
}

/// The authorization request's parameters every provider takes (the code flow, the client,
/// where to come back, the state), on the provider's authorization endpoint; the caller adds
/// its own.
fn authorize_base(cfg: &ProviderConfig, redirect_uri: &str, state: &str) -> Url {
    let mut url = cfg.auth_url.clone();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &cfg.client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state);
    url
}

/// One way to sign in. `identify` completes the code flow: exchange the code (with the PKCE
/// verifier), verify what comes back, and say who the person is.
pub trait IdentityProvider: Send + Sync + std::fmt::Debug {
    /// The provider's settings.
    fn config(&self) -> &ProviderConfig;
    /// The provider's key in `PROVIDERS` and in the `identities` table (`google`, …).
    fn key(&self) -> &str {
        self.config().kind.key()
    }
    /// The provider's name as people read it ("Google").
    fn display_name(&self) -> &str {
        &self.config().name
    }
    /// What the provider's verified email proves.
    fn email_authority(&self) -> EmailAuthority;
    /// The provider never says whether an address is verified (Naver): its address may sign a
    /// person in to a service open to everyone, but never past an allowlist.
    fn unverified_email_signs_in(&self) -> bool {
        false
    }
    /// Where the browser is sent to sign in.
    fn authorize_url(&self, req: &AuthorizeRequest<'_>) -> Url;
    /// The RFC 9207 `iss` authorization-response parameter, when the provider sends one,
    /// must name this provider (mix-up defence).
    fn issuer_matches(&self, iss: &str) -> bool;
    fn identify<'a>(&'a self, exchange: CodeExchange<'a>, now: DateTime<Utc>) -> Identifying<'a>;
}

/// The PKCE S256 challenge of a verifier (RFC 7636 §4.2).
pub fn pkce_challenge(verifier: &str) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_matches_rfc7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
