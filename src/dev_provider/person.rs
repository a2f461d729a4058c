//! A person as the provider knows them: the account behind a code, an ID token and userinfo.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct Person {
    pub sub: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub hd: Option<String>,
    pub picture: Option<String>,
}

impl Person {
    /// The same email always gets the same subject, as at Google.
    pub fn from_email(email: &str, name: &str, verified: bool, picture_base: Option<&str>) -> Self {
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
        let mut parts = name.split_whitespace();
        let given_name = parts.next().map(str::to_string);
        let family_name = {
            let rest: Vec<&str> = parts.collect();
            (!rest.is_empty()).then(|| rest.join(" "))
        };
        let domain = email.rsplit_once('@').map(|(_, d)| d.to_string());
        let hd = domain.filter(|d| d != "gmail.com" && d != "googlemail.com");
        Self {
            picture: picture_base.map(|b| format!("{b}/avatar/{sub}.svg")),
            sub,
            email,
            email_verified: verified,
            name,
            given_name,
            family_name,
            hd,
        }
    }

    /// The profile claims the ID token and userinfo both carry (OIDC Core §5.1).
    pub fn profile_claims(&self) -> Map<String, Value> {
        let v = json!({
            "sub": self.sub,
            "email": self.email,
            "email_verified": self.email_verified,
            "name": self.name,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "picture": self.picture,
            "locale": "en",
        });
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }
}
