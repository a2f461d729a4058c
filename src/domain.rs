//! Domain values built only through `parse()`: public user ids, emails, roles, statuses, revoke
//! reasons, and the `next` path sanitiser.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use std::fmt;

/// Why a raw string is not a domain value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("not a user id")]
    UserId,
    #[error("an email needs an @")]
    EmailWithoutAt,
    #[error("`{0}` is not an email address")]
    Email(String),
    /// A word outside a fixed set (role, status, revoke reason).
    #[error("unknown {what} `{value}`")]
    Unknown { what: &'static str, value: String },
    #[error("a token needs a name")]
    TokenNameEmpty,
    #[error("a token name is at most {TOKEN_NAME_MAX} characters")]
    TokenNameTooLong,
}

/// Longest API-token name, in characters.
pub const TOKEN_NAME_MAX: usize = 100;

/// The name a person gives an API token on creation: trimmed, not empty, at most
/// `TOKEN_NAME_MAX` characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenName(String);

impl TokenName {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let s: String = raw.trim().chars().filter(|c| !c.is_control()).collect();
        if s.is_empty() {
            return Err(ParseError::TokenNameEmpty);
        }
        if s.chars().count() > TOKEN_NAME_MAX {
            return Err(ParseError::TokenNameTooLong);
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Random bytes as unpadded base64url: 32 bytes → 256 bits for state, nonce, PKCE, CSRF, jti.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// The user's public id (the JWT `sub`), never the row id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserId(String);

impl UserId {
    pub fn generate() -> Self {
        Self(format!("u_{}", random_token(12)))
    }

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let ok = raw.len() <= 40
            && raw.starts_with("u_")
            && raw.len() > 2
            && raw[2..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(raw.to_string()))
        } else {
            Err(ParseError::UserId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a request came from, as far as the service can tell: recorded with sessions and in the
/// audit log (`net::ClientInfo::of` reads it off a request).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A lower-cased email address with one `@`, a local part and a dotted-or-not domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let s = raw.trim().to_ascii_lowercase();
        let (local, domain) = s.split_once('@').ok_or(ParseError::EmailWithoutAt)?;
        if local.is_empty() || domain.is_empty() || domain.contains('@') || s.len() > 320 {
            return Err(ParseError::Email(raw.to_string()));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ParseError::Email(raw.to_string()));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A stored address, checked as `parse` checks it but kept as written (rows written before
    /// sign-in lower-cased, or by hand, show as they are).
    pub fn stored(raw: String) -> Result<Self, ParseError> {
        Self::parse(&raw).map(|_| Self(raw))
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

impl serde::Serialize for Email {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An enum stored and shown as one fixed lower-case word per variant: `parse` (the word back to the
/// variant, or a `ParseError` naming `$what`), `as_str` (the variant's word), `ALL` (every
/// variant) and a `Serialize` as the word, from one table. Every such enum is a plain `Copy`
/// value that compares and hashes.
macro_rules! word_enum {
    (
        $(#[$attr:meta])*
        pub enum $name:ident ($what:literal) {
            $($variant:ident = $word:literal,)+
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
        }

        impl $name {
            pub const ALL: &[Self] = &[$(Self::$variant,)+];

            pub fn parse(raw: &str) -> Result<Self, ParseError> {
                match raw {
                    $($word => Ok(Self::$variant),)+
                    other => Err(ParseError::Unknown {
                        what: $what,
                        value: other.to_string(),
                    }),
                }
            }

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $word,)+
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

word_enum! {
    pub enum Role ("role") {
        User = "user",
        Admin = "admin",
    }
}

word_enum! {
    pub enum Status ("status") {
        Active = "active",
        Disabled = "disabled",
    }
}

word_enum! {
    /// Why a session row stopped being valid.
    pub enum RevokeReason ("revoke reason") {
        Logout = "logout",
        Rotated = "rotated",
        Admin = "admin",
        Disabled = "disabled",
    }
}

/// Keeps `next` to a path on this site; anything else becomes `/`.
///
/// Refused: absolute URLs (`https://…`), scheme-relative `//host`, backslash tricks (`/\host`,
/// which browsers treat as `//host`), control characters and anything not starting with `/`.
/// Also `"`: browsers always percent-encode it in a URL, and JSON escapes it twice inside the
/// session cookie (512 of them would take the cookie to 3.7 KB, near the 4 KB limit).
pub fn safe_next(raw: Option<&str>) -> String {
    let Some(raw) = raw else {
        return "/".into();
    };
    let ok = raw.starts_with('/')
        && !raw.starts_with("//")
        && !raw.starts_with("/\\")
        && raw.len() <= 512
        && !raw
            .chars()
            .any(|c| c.is_control() || c == '\\' || c == '"' || c.is_whitespace());
    if ok { raw.to_string() } else { "/".into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_names_are_trimmed_required_and_bounded() {
        assert_eq!(
            TokenName::parse("  ci deploy \n").unwrap().as_str(),
            "ci deploy"
        );
        assert_eq!(TokenName::parse("   "), Err(ParseError::TokenNameEmpty));
        assert!(TokenName::parse(&"é".repeat(100)).is_ok());
        assert_eq!(
            TokenName::parse(&"x".repeat(101)),
            Err(ParseError::TokenNameTooLong)
        );
    }

    #[test]
    fn next_keeps_local_paths() {
        assert_eq!(safe_next(Some("/admin/users?q=a")), "/admin/users?q=a");
        assert_eq!(safe_next(Some("/")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn next_refuses_other_sites() {
        for bad in [
            "//evil.example",
            "https://evil.example",
            "http:evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "evil.example",
            "/\t/evil.example",
            "/ /evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
    }

    #[test]
    fn user_ids_round_trip_and_refuse_junk() {
        let id = UserId::generate();
        assert_eq!(UserId::parse(id.as_str()).unwrap(), id);
        assert!(UserId::parse("42").is_err());
        assert!(UserId::parse("u_<script>").is_err());
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            Email::parse(" Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        assert_eq!(Email::parse("a@b.c").unwrap().domain(), "b.c");
        assert!(Email::parse("no-at").is_err());
        assert!(Email::parse("a@b@c").is_err());
        assert!(Email::parse("@b.c").is_err());
    }

    #[test]
    fn words_round_trip_and_unknown_ones_are_named() {
        for &r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        for &s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Ok(s));
        }
        for &r in RevokeReason::ALL {
            assert_eq!(RevokeReason::parse(r.as_str()), Ok(r));
        }
        assert_eq!(
            Role::parse("root").unwrap_err().to_string(),
            "unknown role `root`"
        );
        assert_eq!(
            Status::parse("Active").unwrap_err().to_string(),
            "unknown status `Active`"
        );
        assert!(RevokeReason::parse("").is_err());
        assert_eq!(
            serde_json::to_string(&[Role::Admin]).unwrap(),
            r#"["admin"]"#
        );
        assert_eq!(
            serde_json::to_string(&Status::Disabled).unwrap(),
            r#""disabled""#
        );
    }

    #[test]
    fn random_tokens_are_long_and_distinct() {
        let a = random_token(32);
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token(32));
    }
}
