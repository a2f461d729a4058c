//! The service's own JWT: HS256 with a derived key, algorithm pinned, time from the injected clock.

use crate::cache::TtlCache;
use crate::secret::Secret;
use chrono::{DateTime, Duration, TimeZone, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AppClaims {
    pub iss: String,
    pub aud: String,
    /// The user's public id.
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    /// Sign-in time, for the absolute cap (`SESSION_MAX_AGE`).
    pub auth_time: i64,
}

impl AppClaims {
    pub fn expires_at(&self) -> DateTime<Utc> {
        ts(self.exp)
    }

    pub fn auth_time(&self) -> DateTime<Utc> {
        ts(self.auth_time)
    }
}

pub fn ts(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    #[error("unusable JWT key")]
    Key,
    #[error("malformed or wrongly signed token")]
    Invalid,
    #[error("expired token")]
    Expired,
    #[error("could not sign the token")]
    Signing,
}

pub struct JwtCodec {
    enc: EncodingKey,
    /// The current key's id, in the header of every token made here.
    kid: String,
    /// Verification keys by id: the current one first, then `SECRET_KEY_PREVIOUS`'s.
    dec: Vec<(String, DecodingKey)>,
    validation: Validation,
    issuer: String,
    audience: String,
    /// Tokens that passed full verification, with their claims: a browser or API client sends
    /// the same token on every request, and parsing the header and claims twice plus the HMAC
    /// was the largest single cost of a signed-in request (docs/BENCHMARKS.md, "Profile").
    /// Only the signature and the fixed claims are remembered: expiry is checked on every use,
    /// and revocation is the session check's business, not this one's.
    /// The flag says whether the current key signed it.
    verified: TtlCache<Arc<str>, (AppClaims, bool)>,
}

/// The `kid` of a JWT key: 8 hex digits of a one-way hash of it, so that verification picks
/// the key without trying them all and the id says nothing about the key.
pub fn key_id(key: &[u8; 32]) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::new()
        .chain_update(b"signin/app-jwt-kid\0")
        .chain_update(key)
        .finalize();
    h[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// At most this many verified tokens are remembered (about 600 bytes each); when full, the
/// oldest is forgotten for each new one.
const VERIFIED_MAX: usize = 4096;
/// A remembered verification is dropped after this long at the latest (each token's own expiry
/// is checked on every use anyway).
const VERIFIED_TTL: Duration = Duration::hours(1);

impl std::fmt::Debug for JwtCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtCodec")
            .field("issuer", &self.issuer)
            .field("key", &"[redacted]")
            .finish()
    }
}

/// When the renewal rule says a token should be replaced: less than `renew_within` left, and a
/// replacement would actually extend it (the absolute cap since sign-in has not been reached).
pub fn renewal_due(
    claims: &AppClaims,
    now: DateTime<Utc>,
    renew_within: Duration,
    max_age: Duration,
) -> bool {
    let exp = claims.expires_at();
    let cap = claims.auth_time() + max_age;
    exp - now < renew_within && cap > exp
}

/// Expiry of a token issued now: the TTL, never past the absolute cap.
pub fn expiry_for(
    now: DateTime<Utc>,
    auth_time: DateTime<Utc>,
    ttl: Duration,
    max_age: Duration,
) -> DateTime<Utc> {
    (now + ttl).min(auth_time + max_age)
}

impl JwtCodec {
    pub fn new(key: &[u8; 32], issuer: &str) -> Result<Self, JwtError> {
        let audience = format!("{issuer}#app");
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[&audience]);
        // Expiry is checked against the injected clock below.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = 0;
        validation.required_spec_claims = ["exp", "iss", "aud", "sub"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        Ok(Self {
            enc: EncodingKey::from_secret(key).map_err(|_| JwtError::Key)?,
            kid: key_id(key),
            dec: vec![(
                key_id(key),
                DecodingKey::from_secret(key).map_err(|_| JwtError::Key)?,
            )],
            validation,
            issuer: issuer.to_string(),
            audience,
            verified: TtlCache::new("verified app tokens", VERIFIED_MAX, VERIFIED_TTL),
        })
    }

    /// Also accepts tokens signed with these older keys (`SECRET_KEY_PREVIOUS`).
    pub fn with_previous(mut self, previous: &[[u8; 32]]) -> Result<Self, JwtError> {
        for key in previous {
            let dec = DecodingKey::from_secret(key).map_err(|_| JwtError::Key)?;
            self.dec.push((key_id(key), dec));
        }
        Ok(self)
    }

    /// The current key's id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn claims_for(
        &self,
        sub: &str,
        jti: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        auth_time: DateTime<Utc>,
    ) -> AppClaims {
        AppClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: sub.to_string(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            jti: jti.to_string(),
            auth_time: auth_time.timestamp(),
        }
    }

    pub fn encode(&self, claims: &AppClaims) -> Result<Secret, JwtError> {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.enc)
            .map(Secret::new)
            .map_err(|_| JwtError::Signing)
    }

    pub fn decode(&self, token: &str, now: DateTime<Utc>) -> Result<AppClaims, JwtError> {
        self.decode_keyed(token, now).map(|(claims, _)| claims)
    }

    /// The claims, and whether the current key signed the token (false: an older key did, and
    /// a browser session is re-issued under the current one).
    pub fn decode_keyed(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<(AppClaims, bool), JwtError> {
        if token.len() > 4096 {
            return Err(JwtError::Invalid);
        }
        let (claims, current) = match self.verified.get(token, now) {
            Some(c) => c,
            None => {
                let (claims, current) = self.verify(token)?;
                if claims.exp > now.timestamp() {
                    self.verified
                        .insert(Arc::from(token), (claims.clone(), current), now);
                }
                (claims, current)
            }
        };
        if claims.exp <= now.timestamp() {
            self.verified.remove(token);
            return Err(JwtError::Expired);
        }
        Ok((claims, current))
    }

    /// Full verification with the key the header's `kid` names; a token without `kid` (made
    /// before keys had ids) is tried against each key in turn.
    fn verify(&self, token: &str) -> Result<(AppClaims, bool), JwtError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| JwtError::Invalid)?;
        let candidates = self
            .dec
            .iter()
            .enumerate()
            .filter(|(_, (kid, _))| header.kid.as_deref().is_none_or(|k| k == kid));
        for (i, (_, key)) in candidates {
            if let Ok(data) = jsonwebtoken::decode::<AppClaims>(token, key, &self.validation) {
                return Ok((data.claims, i == 0));
            }
        }
        Err(JwtError::Invalid)
    }

    /// How many verified tokens are remembered (for tests).
    pub fn remembered(&self) -> usize {
        self.verified.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn codec_with(key: u8, issuer: &str) -> JwtCodec {
        JwtCodec::new(&[key; 32], issuer).unwrap()
    }

    fn codec() -> JwtCodec {
        codec_with(7, "http://localhost:8000")
    }

    fn claims(c: &JwtCodec, now: DateTime<Utc>) -> AppClaims {
        c.claims_for("u_abc", "jti1", now, now + Duration::days(30), now)
    }

    /// A 30-day token for `u_abc`, signed by `c`.
    fn token(c: &JwtCodec, now: DateTime<Utc>) -> Secret {
        c.encode(&claims(c, now)).unwrap()
    }

    /// A fresh codec, the time, and a token it signed then.
    fn signed_now() -> (JwtCodec, DateTime<Utc>, Secret) {
        let c = codec();
        let now = Utc::now();
        let t = token(&c, now);
        (c, now, t)
    }

    #[test]
    fn round_trip() {
        let (c, now, t) = signed_now();
        assert_eq!(c.decode(t.expose(), now).unwrap().sub, "u_abc");
    }

    #[test]
    fn expired_by_the_injected_clock() {
        let (c, now, t) = signed_now();
        assert_eq!(
            c.decode(t.expose(), now + Duration::days(31)),
            Err(JwtError::Expired)
        );
    }

    #[test]
    fn wrong_key_other_issuer_alg_none_and_garbage_are_invalid() {
        let c = codec();
        let now = Utc::now();
        for other in [
            codec_with(8, "http://localhost:8000"),
            codec_with(7, "http://elsewhere"),
        ] {
            let t = token(&other, now);
            assert_eq!(c.decode(t.expose(), now), Err(JwtError::Invalid));
        }
        assert_eq!(c.decode("garbage", now), Err(JwtError::Invalid));
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(&c, now)).unwrap());
        assert_eq!(
            c.decode(&format!("{header}.{body}."), now),
            Err(JwtError::Invalid)
        );
    }

    #[test]
    fn remembered_tokens_still_expire_and_only_verified_ones_are_remembered() {
        let (c, now, t) = signed_now();
        assert_eq!(c.decode(t.expose(), now).unwrap().jti, "jti1");
        assert_eq!(c.remembered(), 1);
        // Served from memory: same claims.
        assert_eq!(c.decode(t.expose(), now).unwrap(), claims(&c, now));
        // Expiry is checked on every use, and the expired token is forgotten.
        assert_eq!(
            c.decode(t.expose(), now + Duration::days(31)),
            Err(JwtError::Expired)
        );
        assert_eq!(c.remembered(), 0);
        // A token that fails verification is never remembered, and a remembered token does
        // not vouch for a tampered copy (one changed signature character).
        let good = token(&c, now);
        assert!(c.decode(good.expose(), now).is_ok());
        let mut bad = good.expose().to_string();
        let last = bad.pop().unwrap();
        bad.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(c.decode(&bad, now), Err(JwtError::Invalid));
        assert_eq!(c.decode("a.b.c", now), Err(JwtError::Invalid));
        assert_eq!(c.remembered(), 1);
    }

    #[test]
    fn the_memory_of_verified_tokens_is_bounded() {
        let c = codec();
        let now = Utc::now();
        for i in 0..(VERIFIED_MAX + 10) {
            let cl = c.claims_for("u", &format!("j{i}"), now, now + Duration::days(1), now);
            let t = c.encode(&cl).unwrap();
            assert!(c.decode(t.expose(), now).is_ok());
            assert!(c.remembered() <= VERIFIED_MAX);
        }
        // The oldest were forgotten first; the newest is remembered.
        assert_eq!(c.remembered(), VERIFIED_MAX);
        let first = c.claims_for("u", "j0", now, now + Duration::days(1), now);
        let first = c.encode(&first).unwrap();
        assert!(c.verified.get(first.expose(), now).is_none());
        let last = format!("j{}", VERIFIED_MAX + 9);
        let last = c.claims_for("u", &last, now, now + Duration::days(1), now);
        let last = c.encode(&last).unwrap();
        assert!(c.verified.get(last.expose(), now).is_some());
    }

    #[test]
    fn previous_keys_verify_by_kid_and_only_the_current_key_signs() {
        let now = Utc::now();
        let old = codec_with(1, "http://localhost:8000");
        let old_token = token(&old, now);
        let rotated = codec_with(2, "http://localhost:8000")
            .with_previous(&[[1; 32]])
            .unwrap();
        let kid_of = |t: &Secret| {
            jsonwebtoken::decode_header(t.expose())
                .unwrap()
                .kid
                .unwrap()
        };
        assert_eq!(kid_of(&old_token), key_id(&[1; 32]));
        assert_eq!(kid_of(&old_token).len(), 8);
        // The old key's token is accepted, and said to be old; new tokens use the new key.
        assert!(!rotated.decode_keyed(old_token.expose(), now).unwrap().1);
        let new_token = token(&rotated, now);
        assert_eq!(kid_of(&new_token), rotated.kid());
        assert!(rotated.decode_keyed(new_token.expose(), now).unwrap().1);
        // Once the old key is dropped, its tokens are refused.
        let only_new = codec_with(2, "http://localhost:8000");
        assert_eq!(
            only_new.decode(old_token.expose(), now),
            Err(JwtError::Invalid)
        );
        // A token whose kid names one key but is signed with another is refused.
        let mut forged = Header::new(Algorithm::HS256);
        forged.kid = Some(rotated.kid().to_string());
        let forged = jsonwebtoken::encode(
            &forged,
            &claims(&old, now),
            &EncodingKey::from_secret(&[1; 32]).unwrap(),
        )
        .unwrap();
        assert_eq!(rotated.decode(&forged, now), Err(JwtError::Invalid));
    }

    #[test]
    fn renewal_rule() {
        let c = codec();
        let t0 = Utc::now();
        let cl = claims(&c, t0);
        let d = Duration::days;
        assert!(!renewal_due(&cl, t0 + d(22), d(7), d(90)), "8 days left");
        assert!(renewal_due(&cl, t0 + d(24), d(7), d(90)), "6 days left");
        // Near the absolute cap a renewal would not extend anything.
        let capped = c.claims_for("u", "j", t0, t0 + d(30), t0 - d(60));
        assert!(!renewal_due(&capped, t0 + d(24), d(7), d(90)));
        assert_eq!(expiry_for(t0, t0 - d(80), d(30), d(90)), t0 + d(10));
    }
}
