//! The provider's signing keys: fetched from its JWKS endpoint, kept `JWKS_TTL`, refetched once
//! for an unknown `kid` (a rotated key), and still served stale while the provider cannot be
//! reached, but never older than `JWKS_MAX_STALE`: then sign-in fails closed (a key the provider
//! has since withdrawn must not stay trusted for ever). Ages are on the injected clock.

use super::ProviderError;
use crate::cache::TtlCache;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet};
use std::future::Future;

/// How long a fetched JWKS is trusted before it is fetched again.
const JWKS_TTL: Duration = Duration::hours(1);
/// The oldest key set still used while the provider's JWKS cannot be fetched.
const JWKS_MAX_STALE: Duration = Duration::hours(24);

#[derive(Debug)]
pub struct JwksCache {
    /// One entry: the provider's key set.
    keys: TtlCache<(), JwkSet>,
}

impl Default for JwksCache {
    fn default() -> Self {
        Self {
            keys: TtlCache::new("JWKS", 1, JWKS_TTL),
        }
    }
}

/// The RSA key named `kid`; without a `kid`, the only RSA key (several make it ambiguous).
fn find_key<'a>(set: &'a JwkSet, kid: Option<&str>) -> Option<&'a Jwk> {
    let rsa = |k: &&Jwk| matches!(k.algorithm, AlgorithmParameters::RSA(_));
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

impl JwksCache {
    /// Fetches and keeps the JWKS; on failure keeps serving a stale copy no older than
    /// `JWKS_MAX_STALE`, if there is one.
    async fn refresh<F>(
        &self,
        fetch: impl FnOnce() -> F,
        now: DateTime<Utc>,
    ) -> Result<JwkSet, ProviderError>
    where
        F: Future<Output = Result<JwkSet, ProviderError>>,
    {
        match fetch().await {
            Ok(set) => {
                self.keys.insert((), set.clone(), now);
                Ok(set)
            }
            Err(e) => {
                tracing::warn!(error = %e, "JWKS fetch failed");
                match self.keys.get_stale(&()) {
                    Some((set, fetched)) if now - fetched <= JWKS_MAX_STALE => Ok(set),
                    Some(_) => {
                        tracing::error!("JWKS older than 24 h and cannot be refreshed: refusing");
                        Err(e)
                    }
                    None => Err(e),
                }
            }
        }
    }

    /// The key for `kid`, fetching the set when there is none fresh, and once more when the
    /// `kid` is unknown to a set that was not just fetched.
    pub async fn key_for<F>(
        &self,
        kid: Option<&str>,
        fetch: impl Fn() -> F,
        now: DateTime<Utc>,
    ) -> Result<DecodingKey, ProviderError>
    where
        F: Future<Output = Result<JwkSet, ProviderError>>,
    {
        let (set, fresh) = match self.keys.get(&(), now) {
            Some(set) => (set, false),
            None => (self.refresh(&fetch, now).await?, true),
        };
        let jwk = match find_key(&set, kid) {
            Some(k) => k.clone(),
            // An unknown kid may be a rotated key: refetch once, never more per token.
            None if !fresh => {
                let set = self.refresh(&fetch, now).await?;
                find_key(&set, kid)
                    .cloned()
                    .ok_or(ProviderError::IdToken("signed with an unknown key"))?
            }
            None => return Err(ProviderError::IdToken("signed with an unknown key")),
        };
        DecodingKey::from_jwk(&jwk).map_err(|_| ProviderError::IdToken("unusable signing key"))
    }
}
