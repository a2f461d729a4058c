//! The OpenID Connect client: authorize URL, code exchange (client secret + PKCE), ID-token
//! verification against the provider's JWKS (cached, one refetch on an unknown `kid`), userinfo.
//!
//! Built on `jsonwebtoken` rather than the `openidconnect` crate: see the commit that added it.
//! Every outbound call has a timeout, follows no redirect and reads at most `MAX_BODY` bytes.

use crate::config::{GOOGLE_ISSUER, ProviderConfig};
use crate::secret::Secret;
use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use std::sync::RwLock;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;
use url::Url;

/// Cap on every provider response body.
pub const MAX_BODY: usize = 1024 * 1024;
/// Allowed clock difference with the provider for `exp` and `iat`.
pub const LEEWAY_SECS: i64 = 60;
/// How long a fetched JWKS is trusted before it is fetched again (a stale copy is still used
/// while the provider cannot be reached).
const JWKS_TTL: Duration = Duration::from_secs(3600);

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

fn from_reqwest(e: reqwest::Error) -> ProviderError {
    // The cause chain says why (refused, reset, closed); the URL is configuration, not news.
    let e = e.without_url();
    let mut cause = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        cause.push_str(": ");
        cause.push_str(&s.to_string());
        source = s.source();
    }
    tracing::warn!(%cause, "provider call failed");
    if e.is_timeout() {
        ProviderError::Timeout
    } else {
        ProviderError::Unreachable
    }
}

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

/// The verified ID token's claims that matter to us.
#[derive(Debug, Clone, PartialEq)]
pub struct IdClaims {
    pub sub: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub hd: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub picture: Option<String>,
    pub locale: Option<String>,
}

/// The userinfo answer (its `sub` already checked against the ID token's).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserInfo {
    pub email: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub picture: Option<String>,
    pub locale: Option<String>,
}

struct CachedJwks {
    set: JwkSet,
    fetched: Instant,
}

pub struct OidcClient {
    cfg: ProviderConfig,
    redirect_uri: String,
    http: reqwest::Client,
    issuers: Vec<String>,
    jwks: RwLock<Option<CachedJwks>>,
}

impl std::fmt::Debug for OidcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcClient")
            .field("issuer", &self.cfg.issuer)
            .field("client_id", &self.cfg.client_id)
            .finish_non_exhaustive()
    }
}

fn str_claim(m: &Map<String, Value>, k: &str) -> Option<String> {
    m.get(k)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(512).collect())
}

/// `email_verified` is a boolean at Google, but some providers send the string "true".
fn bool_claim(m: &Map<String, Value>, k: &str) -> bool {
    match m.get(k) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn find_key<'a>(set: &'a JwkSet, kid: Option<&str>) -> Option<&'a Jwk> {
    let rsa = |k: &&Jwk| matches!(k.algorithm, jsonwebtoken::jwk::AlgorithmParameters::RSA(_));
    match kid {
        Some(kid) => set
            .keys
            .iter()
            .filter(rsa)
            .find(|k| k.common.key_id.as_deref() == Some(kid)),
        None => {
            let mut rsa_keys = set.keys.iter().filter(rsa);
            let only = rsa_keys.next();
            if rsa_keys.next().is_some() {
                None
            } else {
                only
            }
        }
    }
}

impl OidcClient {
    pub fn new(
        cfg: ProviderConfig,
        redirect_uri: String,
        timeout: Duration,
    ) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("signin/", env!("CARGO_PKG_VERSION")))
            // No pooled connections, for two faults seen under load (bench/soak.sh and
            // bench/sigterm.sh): a pooled connection lives on the runtime of the actix worker
            // that opened it, so when that worker stops first at shutdown the other workers'
            // in-flight sign-ins fail ("runtime dropped the dispatch task"); and a request
            // written into an idle connection the provider is closing fails ("connection closed
            // before message completed"). A sign-in makes two or three calls, so a fresh
            // connection each (a TLS handshake with Google) is a small price.
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let mut issuers = vec![cfg.issuer.clone()];
        if cfg.issuer == GOOGLE_ISSUER {
            // Google's ID tokens carry either form.
            issuers.push("accounts.google.com".into());
        }
        Ok(Self {
            cfg,
            redirect_uri,
            http,
            issuers,
            jwks: RwLock::new(None),
        })
    }

    pub fn config(&self) -> &ProviderConfig {
        &self.cfg
    }

    pub fn is_google(&self) -> bool {
        self.cfg.issuer == GOOGLE_ISSUER
    }

    /// The authorization request (code flow, PKCE S256, nonce, state).
    pub fn authorize_url(
        &self,
        state: &str,
        nonce: &str,
        code_challenge: &str,
        login_hint: Option<&str>,
    ) -> Url {
        let mut url = self.cfg.auth_url.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &self.cfg.client_id)
                .append_pair("redirect_uri", &self.redirect_uri)
                .append_pair("scope", "openid email profile")
                .append_pair("state", state)
                .append_pair("nonce", nonce)
                .append_pair("code_challenge", code_challenge)
                .append_pair("code_challenge_method", "S256");
            if let Some(hint) = login_hint {
                q.append_pair("login_hint", hint);
            }
        }
        url
    }

    /// The RFC 9207 `iss` authorization-response parameter, when the provider sends one,
    /// must name our provider (mix-up defence).
    pub fn issuer_matches(&self, iss: &str) -> bool {
        self.issuers.iter().any(|i| i == iss)
    }

    async fn read_json(&self, resp: reqwest::Response) -> Result<(u16, Value), ProviderError> {
        let status = resp.status().as_u16();
        if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
            return Err(ProviderError::BadResponse("response too large"));
        }
        let mut resp = resp;
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(from_reqwest)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(ProviderError::BadResponse("response too large"));
            }
            body.extend_from_slice(&chunk);
        }
        match serde_json::from_slice::<Value>(&body) {
            Ok(v) => Ok((status, v)),
            Err(_) if !(200..300).contains(&status) => Err(ProviderError::Status {
                status,
                error: "non-JSON error".into(),
            }),
            Err(_) => Err(ProviderError::BadResponse("not JSON")),
        }
    }

    /// Exchanges the code, authenticating with the client secret (HTTP Basic, RFC 6749 §2.3.1)
    /// and proving possession of the PKCE verifier.
    #[tracing::instrument(skip_all)]
    pub async fn exchange_code(&self, code: &str, verifier: &str) -> Result<Tokens, ProviderError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("code_verifier", verifier),
        ];
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let resp = self
            .http
            .post(self.cfg.token_url.clone())
            .basic_auth(
                enc(&self.cfg.client_id),
                Some(enc(self.cfg.client_secret.expose())),
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form)
            .send()
            .await
            .map_err(from_reqwest)?;
        let (status, v) = self.read_json(resp).await?;
        if !(200..300).contains(&status) {
            let error = v
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("unknown")
                .chars()
                .filter(|c| c.is_ascii_graphic())
                .take(64)
                .collect();
            return Err(ProviderError::Status { status, error });
        }
        let token_type = v.get("token_type").and_then(Value::as_str).unwrap_or("");
        if !token_type.eq_ignore_ascii_case("bearer") {
            return Err(ProviderError::BadResponse("token_type is not Bearer"));
        }
        let access_token = v
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or(ProviderError::BadResponse("no access_token"))?;
        let id_token = v
            .get("id_token")
            .and_then(Value::as_str)
            .ok_or(ProviderError::BadResponse("no id_token"))?;
        tracing::debug!(access_token = true, id_token = true, "code exchanged");
        Ok(Tokens {
            access_token: Secret::new(access_token),
            id_token: Secret::new(id_token),
        })
    }

    async fn fetch_jwks(&self) -> Result<JwkSet, ProviderError> {
        let resp = self
            .http
            .get(self.cfg.jwks_url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(from_reqwest)?;
        let (status, v) = self.read_json(resp).await?;
        if !(200..300).contains(&status) {
            return Err(ProviderError::Status {
                status,
                error: "jwks".into(),
            });
        }
        serde_json::from_value::<JwkSet>(v).map_err(|_| ProviderError::BadResponse("JWKS"))
    }

    /// Fetches and caches the JWKS; on failure keeps serving a stale copy if there is one.
    async fn refresh_jwks(&self) -> Result<JwkSet, ProviderError> {
        match self.fetch_jwks().await {
            Ok(set) => {
                if let Ok(mut w) = self.jwks.write() {
                    *w = Some(CachedJwks {
                        set: set.clone(),
                        fetched: Instant::now(),
                    });
                }
                Ok(set)
            }
            Err(e) => {
                tracing::warn!(error = %e, "JWKS fetch failed");
                self.cached_jwks(true).ok_or(e)
            }
        }
    }

    fn cached_jwks(&self, allow_stale: bool) -> Option<JwkSet> {
        let r = self.jwks.read().ok()?;
        let c = r.as_ref()?;
        (allow_stale || c.fetched.elapsed() < JWKS_TTL).then(|| c.set.clone())
    }

    async fn key_for(&self, kid: Option<&str>) -> Result<DecodingKey, ProviderError> {
        let (set, fresh) = match self.cached_jwks(false) {
            Some(set) => (set, false),
            None => (self.refresh_jwks().await?, true),
        };
        let jwk = match find_key(&set, kid) {
            Some(k) => k.clone(),
            // An unknown kid may be a rotated key: refetch once, never more per token.
            None if !fresh => {
                let set = self.refresh_jwks().await?;
                find_key(&set, kid)
                    .cloned()
                    .ok_or(ProviderError::IdToken("signed with an unknown key"))?
            }
            None => return Err(ProviderError::IdToken("signed with an unknown key")),
        };
        DecodingKey::from_jwk(&jwk).map_err(|_| ProviderError::IdToken("unusable signing key"))
    }

    /// Verifies signature (RS256 only), `iss`, `aud`/`azp`, `exp`, `iat` and `nonce`.
    #[tracing::instrument(skip_all)]
    pub async fn verify_id_token(
        &self,
        id_token: &Secret,
        expected_nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<IdClaims, ProviderError> {
        let token = id_token.expose();
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| ProviderError::IdToken("malformed or unsupported algorithm"))?;
        if header.alg != Algorithm::RS256 {
            return Err(ProviderError::IdToken("algorithm not allowed"));
        }
        let key = self.key_for(header.kid.as_deref()).await?;
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
        Ok(IdClaims {
            sub,
            email: str_claim(&c, "email"),
            email_verified: bool_claim(&c, "email_verified"),
            hd: str_claim(&c, "hd").map(|h| h.to_ascii_lowercase()),
            name: str_claim(&c, "name"),
            given_name: str_claim(&c, "given_name"),
            family_name: str_claim(&c, "family_name"),
            picture: str_claim(&c, "picture"),
            locale: str_claim(&c, "locale"),
        })
    }

    /// The profile from userinfo; its `sub` must be the ID token's (OIDC Core §5.3.2).
    #[tracing::instrument(skip_all)]
    pub async fn userinfo(
        &self,
        access_token: &Secret,
        sub: &str,
    ) -> Result<UserInfo, ProviderError> {
        let resp = self
            .http
            .get(self.cfg.userinfo_url.clone())
            .bearer_auth(access_token.expose())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(from_reqwest)?;
        let (status, v) = self.read_json(resp).await?;
        if !(200..300).contains(&status) {
            return Err(ProviderError::Status {
                status,
                error: "userinfo".into(),
            });
        }
        let m = v
            .as_object()
            .ok_or(ProviderError::BadResponse("userinfo"))?;
        if str_claim(m, "sub").as_deref() != Some(sub) {
            return Err(ProviderError::BadResponse("userinfo is about someone else"));
        }
        Ok(UserInfo {
            email: str_claim(m, "email"),
            name: str_claim(m, "name"),
            given_name: str_claim(m, "given_name"),
            family_name: str_claim(m, "family_name"),
            picture: str_claim(m, "picture"),
            locale: str_claim(m, "locale"),
        })
    }
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
}
