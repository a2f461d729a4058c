//! The OpenID Connect client: authorize URL, code exchange (client secret + PKCE), ID-token
//! verification against the provider's JWKS (cached, one refetch on an unknown `kid`), userinfo.
//!
//! Built on `jsonwebtoken` rather than the `openidconnect` crate (docs/ARCHITECTURE.md,
//! "Decisions"). Every outbound call has a timeout, follows no redirect and reads at most
//! `MAX_BODY` bytes.

use super::discovery;
use super::http;
use super::jwks::JwksCache;
use super::{
    AuthorizeRequest, CodeExchange, EmailAuthority, Identifying, Identity, IdentityProvider,
    LEEWAY_SECS, ProviderError,
};
use crate::config::{GOOGLE_ISSUER, OidcSettings, ProviderConfig, ProviderKind, TokenAuth};
use crate::secret::Secret;
use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value};
use std::sync::{Mutex, RwLock};
use std::time::Duration;
use subtle::ConstantTimeEq;
use url::Url;

/// Tokens from the token endpoint. Never logged.
pub struct Tokens {
    pub access_token: Secret,
    pub id_token: Secret,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens { access_token: true, id_token: true }")
    }
}

pub struct OidcClient {
    cfg: ProviderConfig,
    redirect_uri: String,
    http: reqwest::Client,
    issuers: Vec<String>,
    jwks: JwksCache,
    /// What discovery may move, read on every sign-in.
    endpoints: RwLock<Endpoints>,
    /// `oidc`: the settings to read the discovery document again with.
    rediscovery: Option<Rediscovery>,
}

/// The endpoints a refreshed discovery document may move.
#[derive(Debug, Clone)]
struct Endpoints {
    token_url: Url,
    userinfo_url: Url,
    jwks_url: Url,
    token_auth: TokenAuth,
}

impl Endpoints {
    fn of(c: &ProviderConfig) -> Self {
        Self {
            token_url: c.token_url.clone(),
            userinfo_url: c.userinfo_url.clone(),
            jwks_url: c.jwks_url.clone(),
            token_auth: c.token_auth,
        }
    }
}

struct Rediscovery {
    settings: OidcSettings,
    timeout: Duration,
    /// When the document was last read (`None` until the first JWKS fetch).
    last: Mutex<Option<DateTime<Utc>>>,
}

/// The least time between two readings of the discovery document.
const REDISCOVER_AFTER: chrono::Duration = chrono::Duration::minutes(5);

crate::debug_shows!(OidcClient, |s| { issuer: s.cfg.issuer, client_id: s.cfg.client_id });

fn str_claim(m: &Map<String, Value>, k: &str) -> Option<String> {
    m.get(k)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(512).collect())
}

/// Sets each profile field (name, given and family name, picture, locale) that `m` carries,
/// keeping what `identity` had for the others: the ID token's claims first, then userinfo's over
/// them. The email and `email_verified` are never taken from here (only from the ID token).
fn overlay_profile(identity: &mut Identity, m: &Map<String, Value>) {
    for (field, claim) in [
        (&mut identity.name, "name"),
        (&mut identity.given_name, "given_name"),
        (&mut identity.family_name, "family_name"),
        (&mut identity.picture, "picture"),
        (&mut identity.locale, "locale"),
    ] {
        if let Some(value) = str_claim(m, claim) {
            *field = Some(value);
        }
    }
    // `nickname` (OIDC Core §5.1; Kakao's only name) when there is no `name`.
    if identity.name.is_none() {
        identity.name = str_claim(m, "nickname");
    }
}

/// `email_verified` is a boolean at Google, but some providers send the string "true".
fn bool_claim(m: &Map<String, Value>, k: &str) -> bool {
    match m.get(k) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

impl OidcClient {
    pub fn new(
        cfg: ProviderConfig,
        redirect_uri: String,
        timeout: Duration,
    ) -> Result<Self, ProviderError> {
        let http = http::client(timeout)?;
        let mut issuers = vec![cfg.issuer.clone()];
        if cfg.issuer == GOOGLE_ISSUER {
            // Google's ID tokens carry either form.
            issuers.push("accounts.google.com".into());
        }
        Ok(Self {
            endpoints: RwLock::new(Endpoints::of(&cfg)),
            cfg,
            redirect_uri,
            http,
            issuers,
            jwks: JwksCache::default(),
            rediscovery: None,
        })
    }

    /// An `oidc` client whose endpoints discovery found: read again with the JWKS.
    pub fn rediscovering(mut self, settings: OidcSettings, timeout: Duration) -> Self {
        self.rediscovery = Some(Rediscovery {
            settings,
            timeout,
            last: Mutex::new(None),
        });
        self
    }

    /// Exchanges the code, authenticating with the client secret (HTTP Basic, RFC 6749 §2.3.1,
    /// or in the form when the provider's discovery document asks for `client_secret_post`)
    /// and proving possession of the PKCE verifier.
    #[tracing::instrument(skip_all)]
    async fn exchange_code(&self, code: &str, verifier: &str) -> Result<Tokens, ProviderError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("code_verifier", verifier),
        ];
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let req = self.http.post(self.endpoints().token_url);
        let req = match self.endpoints().token_auth {
            TokenAuth::Basic => req
                .basic_auth(
                    enc(&self.cfg.client_id),
                    Some(enc(self.cfg.client_secret.expose())),
                )
                .form(&form),
            TokenAuth::Post => {
                let secret = [
                    ("client_id", self.cfg.client_id.as_str()),
                    ("client_secret", self.cfg.client_secret.expose()),
                ];
                req.form(&form.iter().chain(secret.iter()).collect::<Vec<_>>())
            }
        };
        let v = http::call_json(req, http::oauth_error).await?;
        // Indexing a JSON value reads a missing field (or a non-object) as null.
        let token_type = v["token_type"].as_str().unwrap_or("");
        if !token_type.eq_ignore_ascii_case("bearer") {
            return Err(ProviderError::BadResponse("token_type is not Bearer"));
        }
        let access_token = v["access_token"]
            .as_str()
            .ok_or(ProviderError::BadResponse("no access_token"))?;
        let id_token = v["id_token"]
            .as_str()
            .ok_or(ProviderError::BadResponse("no id_token"))?;
        tracing::debug!(access_token = true, id_token = true, "code exchanged");
        Ok(Tokens {
            access_token: Secret::new(access_token),
            id_token: Secret::new(id_token),
        })
    }

    /// The endpoints as last discovered (or configured).
    fn endpoints(&self) -> Endpoints {
        match self.endpoints.read() {
            Ok(e) => e.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// An `oidc` provider's endpoints come from its discovery document again whenever the
    /// JWKS is fetched, at most every `REDISCOVER_AFTER` (not at the first fetch: start-up has
    /// just read it). A document that fails its checks (another issuer, an endpoint not https)
    /// or cannot be read leaves the endpoints as they were, with a warning. The authorization
    /// endpoint stays where it was at start: the pages' CSP names its origin.
    async fn rediscover(&self, now: DateTime<Utc>) {
        let Some(d) = &self.rediscovery else {
            return;
        };
        {
            let Ok(mut last) = d.last.lock() else {
                return;
            };
            match *last {
                Some(t) if now - t < REDISCOVER_AFTER => return,
                None => {
                    *last = Some(now);
                    return;
                }
                Some(_) => *last = Some(now),
            }
        }
        match discovery::discover(&d.settings, d.timeout).await {
            Ok(fresh) => {
                if fresh.auth_url != self.cfg.auth_url {
                    tracing::warn!(
                        "the provider's authorization endpoint moved; it is used after a restart"
                    );
                }
                if let Ok(mut e) = self.endpoints.write() {
                    *e = Endpoints::of(&fresh);
                }
                tracing::debug!("discovery document refreshed");
            }
            Err(e) => tracing::warn!(error = %e, "discovery refresh failed; endpoints kept"),
        }
    }

    async fn fetch_jwks(&self, now: DateTime<Utc>) -> Result<JwkSet, ProviderError> {
        self.rediscover(now).await;
        let req = self.http.get(self.endpoints().jwks_url);
        let v = http::call_json(req, |_| "jwks".into()).await?;
        serde_json::from_value::<JwkSet>(v).map_err(|_| ProviderError::BadResponse("JWKS"))
    }

    /// Verifies signature (RS256 only), `iss`, `aud`/`azp`, `exp`, `iat` and `nonce`.
    #[tracing::instrument(skip_all)]
    async fn verify_id_token(
        &self,
        id_token: &Secret,
        expected_nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<Identity, ProviderError> {
        let token = id_token.expose();
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| ProviderError::IdToken("malformed or unsupported algorithm"))?;
        if header.alg != Algorithm::RS256 {
            return Err(ProviderError::IdToken("algorithm not allowed"));
        }
        let key = self
            .jwks
            .key_for(header.kid.as_deref(), || self.fetch_jwks(now), now)
            .await?;
        let mut v = Validation::new(Algorithm::RS256);
        v.set_audience(&[&self.cfg.client_id]);
        v.set_issuer(&self.issuers);
        v.validate_exp = false; // checked below against the injected clock
        v.validate_nbf = false;
        v.required_spec_claims = ["exp", "iss", "aud", "sub"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &v).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            ProviderError::IdToken(match e.kind() {
                K::InvalidSignature => "bad signature",
                K::InvalidAudience => "wrong audience",
                K::InvalidIssuer => "wrong issuer",
                K::InvalidAlgorithm => "algorithm not allowed",
                K::MissingRequiredClaim(_) => "missing claim",
                _ => "malformed",
            })
        })?;
        let c = data.claims;
        let now_s = now.timestamp();
        let exp = c
            .get("exp")
            .and_then(Value::as_i64)
            .ok_or(ProviderError::IdToken("missing claim"))?;
        let iat = c
            .get("iat")
            .and_then(Value::as_i64)
            .ok_or(ProviderError::IdToken("missing iat"))?;
        if exp + LEEWAY_SECS < now_s {
            return Err(ProviderError::IdToken("expired"));
        }
        if iat - LEEWAY_SECS > now_s {
            return Err(ProviderError::IdToken("issued in the future"));
        }
        // With several audiences the authorized party must be us (OIDC Core §3.1.3.7).
        if c.get("aud")
            .and_then(Value::as_array)
            .is_some_and(|a| a.len() > 1)
            && str_claim(&c, "azp").as_deref() != Some(self.cfg.client_id.as_str())
        {
            return Err(ProviderError::IdToken("wrong authorized party"));
        }
        let nonce = str_claim(&c, "nonce").unwrap_or_default();
        if !bool::from(nonce.as_bytes().ct_eq(expected_nonce.as_bytes())) {
            return Err(ProviderError::IdToken("nonce mismatch"));
        }
        let sub = str_claim(&c, "sub").ok_or(ProviderError::IdToken("missing sub"))?;
        if sub.len() > 255 {
            return Err(ProviderError::IdToken("sub too long"));
        }
        let mut identity = Identity {
            subject: sub,
            email: str_claim(&c, "email"),
            email_verified: bool_claim(&c, "email_verified"),
            // `hd` proves a Workspace domain only in Google's own tokens.
            hd: (self.cfg.kind == ProviderKind::Google)
                .then(|| str_claim(&c, "hd").map(|h| h.to_ascii_lowercase()))
                .flatten(),
            ..Identity::default()
        };
        overlay_profile(&mut identity, &c);
        Ok(identity)
    }

    /// Fills in the profile from userinfo, whose fields win over the ID token's; its `sub` must
    /// be the ID token's (OIDC Core §5.3.2).
    #[tracing::instrument(skip_all)]
    async fn userinfo(
        &self,
        access_token: &Secret,
        identity: &mut Identity,
    ) -> Result<(), ProviderError> {
        let req = self
            .http
            .get(self.endpoints().userinfo_url)
            .bearer_auth(access_token.expose());
        let v = http::call_json(req, |_| "userinfo".into()).await?;
        let m = v
            .as_object()
            .ok_or(ProviderError::BadResponse("userinfo"))?;
        if str_claim(m, "sub").as_deref() != Some(identity.subject.as_str()) {
            return Err(ProviderError::BadResponse("userinfo is about someone else"));
        }
        overlay_profile(identity, m);
        if self.cfg.kind == ProviderKind::Kakao {
            // Kakao's ID token carries the address without `email_verified`; its userinfo
            // says both, and the address counts only when Kakao marks it verified.
            identity.email = str_claim(m, "email");
            identity.email_verified = bool_claim(m, "email_verified");
        }
        Ok(())
    }
}

impl IdentityProvider for OidcClient {
    fn config(&self) -> &ProviderConfig {
        &self.cfg
    }

    fn email_authority(&self) -> EmailAuthority {
        match self.cfg.kind {
            ProviderKind::Google if self.cfg.issuer == GOOGLE_ISSUER => EmailAuthority::Google,
            ProviderKind::Google => EmailAuthority::Trusted,
            _ if self.cfg.trusted_emails => EmailAuthority::Trusted,
            _ => EmailAuthority::Untrusted,
        }
    }

    /// The authorization request (code flow, PKCE S256, nonce, state).
    fn authorize_url(&self, r: &AuthorizeRequest<'_>) -> Url {
        let mut url = super::authorize_base(&self.cfg, &self.redirect_uri, r.state);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("scope", &self.cfg.scopes)
                .append_pair("nonce", r.nonce)
                .append_pair("code_challenge", r.code_challenge)
                .append_pair("code_challenge_method", "S256");
            if let Some(hint) = r.login_hint {
                q.append_pair("login_hint", hint);
            }
        }
        url
    }

    fn issuer_matches(&self, iss: &str) -> bool {
        self.issuers.iter().any(|i| i == iss)
    }

    /// Exchange, ID token, then userinfo (whose profile fields win over the token's).
    fn identify<'a>(&'a self, ex: CodeExchange<'a>, now: DateTime<Utc>) -> Identifying<'a> {
        Box::pin(async move {
            let tokens = self.exchange_code(ex.code, ex.verifier).await?;
            let mut identity = self
                .verify_id_token(&tokens.id_token, ex.nonce, now)
                .await?;
            self.userinfo(&tokens.access_token, &mut identity).await?;
            Ok(identity)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_verified_accepts_bool_or_string() {
        let m: Map<String, Value> =
            serde_json::from_str(r#"{"a":true,"b":"true","c":"false","d":1}"#).unwrap();
        assert!(bool_claim(&m, "a"));
        assert!(bool_claim(&m, "b"));
        assert!(!bool_claim(&m, "c"));
        assert!(!bool_claim(&m, "d"));
        assert!(!bool_claim(&m, "missing"));
    }

    #[test]
    fn userinfo_profile_wins_over_the_id_tokens_and_leaves_the_email_alone() {
        let token: Map<String, Value> =
            serde_json::from_str(r#"{"name":"Token","locale":"en","picture":"t.png"}"#).unwrap();
        let info: Map<String, Value> = serde_json::from_str(
            r#"{"name":"Info","given_name":"Ada","picture":"  ","email":"other@example.com"}"#,
        )
        .unwrap();
        let mut identity = Identity {
            subject: "s".into(),
            email: Some("ada@example.com".into()),
            email_verified: true,
            ..Identity::default()
        };
        overlay_profile(&mut identity, &token);
        overlay_profile(&mut identity, &info);
        assert_eq!(identity.name.as_deref(), Some("Info"));
        assert_eq!(identity.given_name.as_deref(), Some("Ada"));
        assert_eq!(identity.family_name, None);
        assert_eq!(
            identity.picture.as_deref(),
            Some("t.png"),
            "blank is absent"
        );
        assert_eq!(identity.locale.as_deref(), Some("en"));
        assert_eq!(identity.email.as_deref(), Some("ada@example.com"));
        assert!(identity.email_verified);
    }
}
