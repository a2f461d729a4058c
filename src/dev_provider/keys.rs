//! RSA signing keys for the development provider, with their JWKs.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::RsaPrivateKey;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Why a key could not be made, loaded, stored or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("RSA keygen: {0}")]
    Generate(rsa::Error),
    #[error("RSA key encoding: {0}")]
    Encode(rsa::pkcs1::Error),
    #[error("RSA key: {0}")]
    Rejected(ring::error::KeyRejected),
    #[error("RSA signing failed")]
    Sign,
    #[error("{}: {error}", path.display())]
    Pem {
        path: PathBuf,
        error: rsa::pkcs1::Error,
    },
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
    /// Signs with `ring`: jsonwebtoken's rust_crypto backend (rsa 0.10, constant-time boxed
    /// big integers) spent ~25 ms per RS256 signature here, which capped the whole sign-in
    /// flow at a few dozen per second (bench/profile.sh); ring signs in about a millisecond.
    pair: ring::signature::RsaKeyPair,
    pub jwk: Value,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.kid)
    }
}

impl SigningKey {
    fn from_rsa(key: &RsaPrivateKey) -> Result<Self, KeyError> {
        let der = key.to_pkcs1_der().map_err(KeyError::Encode)?;
        let pair =
            ring::signature::RsaKeyPair::from_der(der.as_bytes()).map_err(KeyError::Rejected)?;
        let n = key.n().to_bytes_be();
        let e = key.e().to_bytes_be();
        let kid = hex8(&Sha256::digest(&n));
        let jwk = json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(&n), "e": URL_SAFE_NO_PAD.encode(&e),
        });
        Ok(Self { kid, pair, jwk })
    }

    fn generate() -> Result<(Self, RsaPrivateKey), KeyError> {
        let key = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).map_err(KeyError::Generate)?;
        Ok((Self::from_rsa(&key)?, key))
    }

    /// RS256 over the claims, with `kid` in the header.
    pub fn sign(&self, claims: &Value, kid: &str) -> Result<String, KeyError> {
        let header = json!({ "alg": "RS256", "typ": "JWT", "kid": kid });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut sig = vec![0u8; self.pair.public().modulus_len()];
        self.pair
            .sign(
                &ring::signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                signing_input.as_bytes(),
                &mut sig,
            )
            .map_err(|_| KeyError::Sign)?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
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
    /// Dev mode: one key, generated once and kept at `path` (PKCS#1 PEM), so that restarts are quick.
    pub fn load_or_generate(path: &Path) -> Result<Self, KeyError> {
        let key = match std::fs::read_to_string(path) {
            Ok(pem) => RsaPrivateKey::from_pkcs1_pem(&pem).map_err(|error| KeyError::Pem {
                path: path.to_path_buf(),
                error,
            })?,
            Err(_) => {
                let (_, key) = SigningKey::generate()?;
                let pem = key
                    .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
                    .map_err(KeyError::Encode)?;
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(KeyError::file(dir))?;
                }
                write_private(path, pem.as_bytes())?;
                key
            }
        };
        Ok(Self {
            primary: SigningKey::from_rsa(&key)?,
            secondary: None,
        })
    }

    /// Two fresh keys (tests).
    pub fn generate_pair() -> Result<Self, KeyError> {
        Ok(Self {
            primary: SigningKey::generate()?.0,
            secondary: Some(SigningKey::generate()?.0),
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
