//! The provider's signing keys: fetched from its JWKS endpoint, kept `JWKS_TTL`, refetched once
//! for an unknown `kid` (a rotated key), and still served stale while the provider cannot be
//! reached.

use super::ProviderError;
use crate::cache::TtlCache;
use chrono::{Duration, Utc};
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet};
use std::future::Future;

/// How long a fetched JWKS is trusted before it is fetched again.
const JWKS_TTL: Duration = Duration::hours(1);

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
    /// Fetches and keeps the JWKS; on failure keeps serving a stale copy if there is one.
    async fn refresh<F>(&self, fetch: impl FnOnce() -> F) -> Result<JwkSet, ProviderError>
    where
        F: Future<Output = Result<JwkSet, ProviderError>>,
    {
        match fetch().await {
            Ok(set) => {
                self.keys.insert((), set.clone(), Utc::now());
                Ok(set)
            }
            Err(e) => {
                tracing::warn!(error = %e, "JWKS fetch failed");
                self.keys.get_stale(&()).map(|(set, _)| set).ok_or(e)
            }
        }
    }

    /// The key for `kid`, fetching the set when there is none fresh, and once more when the
    /// `kid` is unknown to a set that was not just fetched.
    pub async fn key_for<F>(
        &self,
        kid: Option<&str>,
        fetch: impl Fn() -> F,
    ) -> Result<DecodingKey, ProviderError>
    where
        F: Future<Output = Result<JwkSet, ProviderError>>,
    {
        let (set, fresh) = match self.keys.get(&(), Utc::now()) {
            Some(set) => (set, false),
            None => (self.refresh(&fetch).await?, true),
        };
        let jwk = match find_key(&set, kid) {
            Some(k) => k.clone(),
            // An unknown kid may be a rotated key: refetch once, never more per token.
            None if !fresh => {
                let set = self.refresh(&fetch).await?;
                find_key(&set, kid)
                    .cloned()
                    .ok_or(ProviderError::IdToken("signed with an unknown key"))?
            }
            None => return Err(ProviderError::IdToken("signed with an unknown key")),
        };
        DecodingKey::from_jwk(&jwk).map_err(|_| ProviderError::IdToken("unusable signing key"))
    }
}
