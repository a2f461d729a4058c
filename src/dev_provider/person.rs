//! A person as the provider knows them: the account behind a code, an ID token and userinfo.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct Person {
    pub sub: String,
    pub email: String,
    pub email_verified: bool,
    /// The full name; the given and family names are read from it.
    pub name: String,
    pub hd: Option<String>,
}

impl Person {
    /// The same email always gets the same subject, as at Google.
    pub fn from_email(email: &str, name: &str, verified: bool) -> Self {
        let email = email.trim().to_ascii_lowercase();
        let digest = Sha256::digest(email.as_bytes());
        let mut n = [0u8; 8];
        n.copy_from_slice(&digest[..8]);
        let sub = format!("1{:020}", u64::from_be_bytes(n));
        let name = if name.trim().is_empty() {
            email.split('@').next().unwrap_or("someone").to_string()
        } else {
            name.trim().to_string()
        };
        let domain = email.rsplit_once('@').map(|(_, d)| d.to_string());
        let hd = domain.filter(|d| d != "gmail.com" && d != "googlemail.com");
        Self {
            sub,
            email,
            email_verified: verified,
            name,
            hd,
        }
    }

    /// The name's first word.
    pub fn given_name(&self) -> Option<&str> {
        self.name.split_whitespace().next()
    }

    /// The name after its first word, if any.
    pub fn family_name(&self) -> Option<String> {
        let rest: Vec<&str> = self.name.split_whitespace().skip(1).collect();
        (!rest.is_empty()).then(|| rest.join(" "))
    }

    /// The person's generated picture at the provider `issuer` (its `/avatar/{sub}.svg`).
    pub fn picture(&self, issuer: &str) -> String {
        format!("{issuer}/avatar/{}.svg", self.sub)
    }

    /// The profile claims the ID token and userinfo both carry (OIDC Core §5.1), from the
    /// provider `issuer`.
    pub fn profile_claims(&self, issuer: &str) -> Map<String, Value> {
        let v = json!({
            "sub": self.sub,
            "email": self.email,
            "email_verified": self.email_verified,
            "name": self.name,
            "given_name": self.given_name(),
            "family_name": self.family_name(),
            "picture": self.picture(issuer),
            "locale": "en",
        });
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }
}
