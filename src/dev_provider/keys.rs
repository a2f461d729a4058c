//! RSA signing keys for the development provider, with their JWKs.
//!
//! Built on `aws-lc-rs`, the backend jsonwebtoken verifies with: it generates, stores (PKCS#8
//! PEM) and signs (RS256 in about a millisecond), so the tree carries no `rsa` crate
//! (RUSTSEC-2023-0071; docs/ARCHITECTURE.md, "Decisions").

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Why a key could not be made, loaded, stored or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("RSA key generation failed")]
    Generate,
    #[error("RSA key encoding failed")]
    Encode,
    #[error("RSA key: {0}")]
    Rejected(aws_lc_rs::error::KeyRejected),
    #[error("RSA signing failed")]
    Sign,
    #[error("{}: not a PEM RSA private key (PKCS#8 or PKCS#1)", path.display())]
    Pem { path: PathBuf },
    #[error("{}: {error}", path.display())]
    File {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl KeyError {
    fn file(path: &Path) -> impl FnOnce(std::io::Error) -> Self {
        move |error| Self::File {
            path: path.to_path_buf(),
            error,
        }
    }
}

pub struct SigningKey {
    pub kid: String,
    pair: KeyPair,
    pub jwk: Value,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.kid)
    }
}

impl SigningKey {
    fn from_pair(pair: KeyPair) -> Self {
        let public = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
        let kid = hex8(&Sha256::digest(&public.n));
        let jwk = json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(&public.n), "e": URL_SAFE_NO_PAD.encode(&public.e),
        });
        Self { kid, pair, jwk }
    }

    fn generate() -> Result<Self, KeyError> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generate)?;
        Ok(Self::from_pair(pair))
    }

    /// The private key as PKCS#8 PEM.
    fn to_pem(&self) -> Result<String, KeyError> {
        let der = self.pair.as_der().map_err(|_| KeyError::Encode)?;
        Ok(pem("PRIVATE KEY", der.as_ref()))
    }

    /// A PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`, written by earlier versions) PEM.
    fn from_pem(pem: &str, path: &Path) -> Result<Self, KeyError> {
        let bad = || KeyError::Pem {
            path: path.to_path_buf(),
        };
        let pem = pem.trim();
        let (label, rest) = pem
            .strip_prefix("-----BEGIN ")
            .and_then(|r| r.split_once("-----"))
            .ok_or_else(bad)?;
        let body = rest
            .trim_end()
            .strip_suffix(&format!("-----END {label}-----"))
            .ok_or_else(bad)?;
        let b64: String = body.split_whitespace().collect();
        let der = STANDARD.decode(b64).map_err(|_| bad())?;
        let pair = match label {
            "PRIVATE KEY" => KeyPair::from_pkcs8(&der),
            "RSA PRIVATE KEY" => KeyPair::from_der(&der),
            _ => return Err(bad()),
        }
        .map_err(KeyError::Rejected)?;
        Ok(Self::from_pair(pair))
    }

    /// RS256 over the claims, with `kid` in the header.
    pub fn sign(&self, claims: &Value, kid: &str) -> Result<String, KeyError> {
        let header = json!({ "alg": "RS256", "typ": "JWT", "kid": kid });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                signing_input.as_bytes(),
                &mut sig,
            )
            .map_err(|_| KeyError::Sign)?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }
}

#[cfg(feature = "dev-faults")]
impl SigningKey {
    /// The algorithm-confusion forgery (tests): HS256 keyed with this key's public PEM, under
    /// its `kid`, as a verifier that let the token's header pick the algorithm would accept.
    pub fn hs256_with_public_key(&self, claims: &Value) -> Result<String, KeyError> {
        let der = self
            .pair
            .public_key()
            .as_der()
            .map_err(|_| KeyError::Encode)?;
        let pem = pem("PUBLIC KEY", der.as_ref());
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        let key =
            jsonwebtoken::EncodingKey::from_secret(pem.as_bytes()).map_err(|_| KeyError::Sign)?;
        jsonwebtoken::encode(&header, claims, &key).map_err(|_| KeyError::Sign)
    }
}

fn hex8(bytes: &[u8]) -> String {
    bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug)]
pub struct DevKeys {
    /// Published in the JWKS.
    pub primary: SigningKey,
    /// For tests: a second key for rotation, bad signatures and unknown `kid`s.
    pub secondary: Option<SigningKey>,
}

impl DevKeys {
    /// Dev mode: one key, generated once and kept at `path` (PKCS#8 PEM), so that restarts are quick.
    pub fn load_or_generate(path: &Path) -> Result<Self, KeyError> {
        let primary = match std::fs::read_to_string(path) {
            Ok(pem) => SigningKey::from_pem(&pem, path)?,
            Err(_) => {
                let key = SigningKey::generate()?;
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(KeyError::file(dir))?;
                }
                write_private(path, key.to_pem()?.as_bytes())?;
                key
            }
        };
        Ok(Self {
            primary,
            secondary: None,
        })
    }

    /// Two fresh keys (tests).
    pub fn generate_pair() -> Result<Self, KeyError> {
        Ok(Self {
            primary: SigningKey::generate()?,
            secondary: Some(SigningKey::generate()?),
        })
    }
}

/// Writes a file readable by its owner only.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), KeyError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(KeyError::file(path))?;
    f.write_all(bytes).map_err(KeyError::file(path))
}

/// DER as a PEM block labelled `label` (base64 in 64-character lines).
fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::Jwk};

    #[test]
    fn a_stored_key_loads_back_with_the_same_kid() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys").join("dev.pem");
        let first = DevKeys::load_or_generate(&path).unwrap();
        let again = DevKeys::load_or_generate(&path).unwrap();
        assert_eq!(first.primary.kid, again.primary.kid);
        assert_eq!(first.primary.jwk, again.primary.jwk);
        let pem = std::fs::read_to_string(&path).unwrap();
        assert!(
            pem.starts_with("-----BEGIN PRIVATE KEY-----\n"),
            "{pem:.40}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_key_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        for text in [
            "not a pem",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        ] {
            let path = dir.path().join("bad.pem");
            std::fs::write(&path, text).unwrap();
            let err = DevKeys::load_or_generate(&path).unwrap_err();
            assert!(
                matches!(err, KeyError::Pem { .. } | KeyError::Rejected(_)),
                "{text}: {err}"
            );
            assert!(err.to_string().contains("bad.pem") || matches!(err, KeyError::Rejected(_)));
        }
    }

    #[test]
    fn a_signature_verifies_with_the_published_jwk_and_not_with_another() {
        let keys = DevKeys::generate_pair().unwrap();
        let other = keys.secondary.as_ref().unwrap();
        let claims = json!({ "sub": "1", "aud": "client", "exp": 4_000_000_000u64 });
        let token = keys.primary.sign(&claims, &keys.primary.kid).unwrap();
        let mut v = Validation::new(Algorithm::RS256);
        v.set_audience(&["client"]);
        let own: Jwk = serde_json::from_value(keys.primary.jwk.clone()).unwrap();
        let decoded =
            jsonwebtoken::decode::<Value>(&token, &DecodingKey::from_jwk(&own).unwrap(), &v);
        assert_eq!(decoded.unwrap().claims["sub"], "1");
        let theirs: Jwk = serde_json::from_value(other.jwk.clone()).unwrap();
        assert!(
            jsonwebtoken::decode::<Value>(&token, &DecodingKey::from_jwk(&theirs).unwrap(), &v)
                .is_err()
        );
    }
}
