//! With `dev-faults`: the switches the tests set, and what each one does to an answer.

use crate::dev_provider::keys::{DevKeys, KeyError, SigningKey};
use crate::dev_provider::token::oauth_error;
use crate::dev_provider::{DevProvider, Person};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use std::sync::Mutex;
use std::time::Duration;

/// Ways to misbehave, chosen by the tests (all off by default). Choices that exclude each
/// other (how the ID token is signed, what the token endpoint answers, the `azp`) are one
/// enum each.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    pub wrong_nonce: bool,
    pub wrong_audience: bool,
    pub wrong_issuer: bool,
    pub signing: Signing,
    /// The JWKS publishes the second key too.
    pub publish_second_key: bool,
    pub expired: bool,
    pub unverified_email: bool,
    /// The token endpoint answers only after this long.
    pub token_delay: Option<Duration>,
    pub token: TokenAnswer,
    pub jwks_down: bool,
    pub userinfo_down: bool,
    /// The profile APIs (Naver's `/v1/nid/me`, GitHub's `/user`) refuse the access token.
    pub profile_error: bool,
    /// The discovery document names another issuer.
    pub discovery_other_issuer: bool,
    pub userinfo_other_sub: bool,
    /// The account has no hosted domain (`hd`): a consumer Google account on a non-Gmail address.
    pub no_hd: bool,
    /// The provider gives the consented email another subject (a reassigned address).
    pub new_sub: bool,
    /// The consented person's subject now carries this email (the address was changed).
    pub new_email: Option<String>,
    /// `iat`, `exp` and `auth_time` moved by this many seconds (the provider's clock is off, or
    /// follows the app's moved clock).
    pub time_shift_secs: i64,
    /// `aud` is `[client_id, "another-client"]`.
    pub extra_audience: bool,
    pub azp: Azp,
}

/// How the ID token is signed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum Signing {
    /// With the published key, under its `kid`: behaving.
    #[default]
    Published,
    /// With the second key, under its own `kid` (in the JWKS only with `publish_second_key`).
    SecondKey,
    /// With the second key under the published key's `kid`: a signature that key does not
    /// verify.
    Unpublished,
    /// `alg: none`, without a signature.
    AlgNone,
    /// HS256 whose HMAC secret is the provider's public key (PEM), under its `kid`.
    Hs256WithPublicKey,
}

/// What the token endpoint answers.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum TokenAnswer {
    /// The tokens: behaving.
    #[default]
    Tokens,
    /// An OAuth `server_error` with this HTTP status.
    Status(u16),
    /// An HTML page instead of JSON.
    Garbage,
    /// The tokens without an `id_token`.
    NoIdToken,
    /// A 2 MiB JSON answer.
    Oversized,
}

/// The ID token's `azp` (authorized party).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum Azp {
    /// The client id: behaving.
    #[default]
    ClientId,
    /// No `azp` claim.
    Missing,
    /// Another client's id.
    Other,
}

/// The provider's current switches.
#[derive(Debug, Default)]
pub struct Switch(Mutex<Faults>);

impl Switch {
    pub fn new() -> Self {
        Self::default()
    }
}

impl DevProvider {
    pub fn set_faults(&self, f: Faults) {
        if let Ok(mut g) = self.faults.0.lock() {
            *g = f;
        }
    }

    pub fn faults(&self) -> Faults {
        self.faults.0.lock().map(|g| g.clone()).unwrap_or_default()
    }
}

impl Faults {
    /// The token endpoint's whole answer when a fault replaces it (after any delay).
    pub(in crate::dev_provider) async fn token_answer(&self) -> Option<HttpResponse> {
        if let Some(d) = self.token_delay {
            tokio::time::sleep(d).await;
        }
        match self.token {
            TokenAnswer::Tokens | TokenAnswer::NoIdToken => None,
            TokenAnswer::Status(s) => {
                let status = StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                Some(oauth_error(status, "server_error", "fault injected"))
            }
            TokenAnswer::Garbage => Some(
                HttpResponse::Ok()
                    .content_type("text/html")
                    .body("<html><body>Oops, this is not JSON</body></html>"),
            ),
            TokenAnswer::Oversized => {
                let filler = "x".repeat(2 * 1024 * 1024);
                Some(HttpResponse::Ok().json(json!({
                    "access_token": "a", "token_type": "Bearer", "id_token": "b", "filler": filler,
                })))
            }
        }
    }

    /// The person as the provider now sees them: another subject, another email, no `hd`.
    pub(in crate::dev_provider) fn reassign(&self, mut person: Person) -> Person {
        if self.no_hd {
            person.hd = None;
        }
        if self.new_sub {
            person.sub = format!("9{}", &person.sub[1..]);
        }
        if let Some(email) = &self.new_email {
            person.email = email.clone();
        }
        person
    }

    /// Spoils the ID token's claims as switched (`now` is their issue time).
    pub(in crate::dev_provider) fn tamper_id_token(
        &self,
        claims: &mut Map<String, Value>,
        now: i64,
    ) {
        if self.time_shift_secs != 0 {
            let at = now + self.time_shift_secs;
            claims.insert("iat".into(), json!(at));
            claims.insert("auth_time".into(), json!(at));
            claims.insert("exp".into(), json!(at + 3600));
        }
        if self.extra_audience
            && let Some(aud) = claims.get("aud").cloned()
        {
            claims.insert("aud".into(), json!([aud, "another-client"]));
        }
        match self.azp {
            Azp::ClientId => {}
            Azp::Missing => {
                claims.remove("azp");
            }
            Azp::Other => {
                claims.insert("azp".into(), json!("another-client"));
            }
        }
        if self.wrong_issuer {
            claims.insert("iss".into(), json!("https://evil.example"));
        }
        if self.wrong_audience {
            claims.insert("aud".into(), json!("someone-else"));
        }
        if self.expired {
            claims.insert("iat".into(), json!(now - 7200));
            claims.insert("exp".into(), json!(now - 3600));
        }
        if self.unverified_email {
            claims.insert("email_verified".into(), json!(false));
        }
        if self.wrong_nonce {
            claims.insert("nonce".into(), json!("not-the-nonce"));
        }
    }

    /// An ID token signed otherwise than with the published key, when switched.
    pub(in crate::dev_provider) fn forged_id_token(
        &self,
        keys: &DevKeys,
        claims: &Value,
    ) -> Option<Result<String, KeyError>> {
        match self.signing {
            Signing::Published => None,
            Signing::AlgNone => {
                let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
                let body = URL_SAFE_NO_PAD.encode(claims.to_string());
                Some(Ok(format!("{header}.{body}.")))
            }
            Signing::Hs256WithPublicKey => Some(keys.primary.hs256_with_public_key(claims)),
            Signing::Unpublished => {
                let second: &SigningKey = keys.secondary.as_ref()?;
                Some(second.sign(claims, &keys.primary.kid))
            }
            Signing::SecondKey => {
                let second: &SigningKey = keys.secondary.as_ref()?;
                Some(second.sign(claims, &second.kid))
            }
        }
    }

    /// The token endpoint answers without an `id_token`.
    pub(in crate::dev_provider) fn drops_id_token(&self) -> bool {
        self.token == TokenAnswer::NoIdToken
    }

    pub(in crate::dev_provider) fn jwks_down(&self) -> bool {
        self.jwks_down
    }

    /// The second key, when the JWKS publishes it too.
    pub(in crate::dev_provider) fn published_second_key<'k>(
        &self,
        keys: &'k DevKeys,
    ) -> Option<&'k SigningKey> {
        keys.secondary.as_ref().filter(|_| self.publish_second_key)
    }

    pub(in crate::dev_provider) fn userinfo_down(&self) -> bool {
        self.userinfo_down
    }

    pub(in crate::dev_provider) fn profile_error(&self) -> bool {
        self.profile_error
    }

    pub(in crate::dev_provider) fn discovery_names_another_issuer(&self) -> bool {
        self.discovery_other_issuer
    }

    /// Spoils the userinfo answer as switched.
    pub(in crate::dev_provider) fn tamper_userinfo(&self, info: &mut Map<String, Value>) {
        if self.userinfo_other_sub {
            info.insert("sub".into(), json!("0"));
        }
        if self.unverified_email {
            info.insert("email_verified".into(), json!(false));
        }
    }
}
