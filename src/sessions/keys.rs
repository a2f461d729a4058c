//! Key material derived from `SECRET_KEY` with HKDF-SHA256, one key per purpose and per
//! provider: the provider's issuer is part of the HKDF info, so a cookie or token minted under
//! one provider (the development one, say) never verifies under another, even with the same
//! `SECRET_KEY`.

use crate::secret::Secret;
use hkdf::Hkdf;
use sha2::Sha256;

pub struct Keys {
    /// 64 bytes for actix-session's private (encrypted + signed) cookie.
    pub cookie: actix_web::cookie::Key,
    /// 32 bytes for the app JWT (HS256).
    pub jwt: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys([redacted])")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot derive a key from SECRET_KEY: {0}")]
    Derive(&'static str),
}

impl Keys {
    /// The secret is used as written (not decoded): docs/ARCHITECTURE.md, "Keys". `issuer` is
    /// the identity provider's issuer.
    pub fn derive(secret: &Secret, issuer: &str) -> Result<Self, KeyError> {
        let hk = Hkdf::<Sha256>::new(Some(b"signin/v1"), secret.expose().as_bytes());
        let expand = |purpose: &[u8], out: &mut [u8]| {
            hk.expand_multi_info(&[purpose, b"\0", issuer.as_bytes()], out)
                .map_err(|_| KeyError::Derive("HKDF output too long"))
        };
        let mut cookie = [0u8; 64];
        let mut jwt = [0u8; 32];
        expand(b"session-cookie", &mut cookie)?;
        expand(b"app-jwt-hs256", &mut jwt)?;
        let cookie = actix_web::cookie::Key::try_from(&cookie[..])
            .map_err(|_| KeyError::Derive("cookie key too short"))?;
        Ok(Self { cookie, jwt })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_purpose_secret_and_issuer() {
        let google = "https://accounts.google.com";
        let a = Keys::derive(&Secret::new("a".repeat(64)), google).unwrap();
        let b = Keys::derive(&Secret::new("b".repeat(64)), google).unwrap();
        assert_ne!(a.jwt, b.jwt);
        assert_ne!(&a.cookie.master()[..32], &a.jwt[..]);
        assert_eq!(format!("{a:?}"), "Keys([redacted])");
        let dev = Keys::derive(
            &Secret::new("a".repeat(64)),
            "http://localhost:8000/dev/oidc",
        );
        let dev = dev.unwrap();
        assert_ne!(a.jwt, dev.jwt);
        assert_ne!(a.cookie.master(), dev.cookie.master());
        let again = Keys::derive(&Secret::new("a".repeat(64)), google).unwrap();
        assert_eq!(a.jwt, again.jwt);
    }
}
