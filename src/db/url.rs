//! The database URL: which backend it names, and a `Display` that hides the password.

use std::fmt;
use std::path::PathBuf;
use url::Url;

/// Why a `DATABASE_URL` names no database this service can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// `url`'s messages describe the fault only, never the URL (so never its password).
    #[error("DATABASE_URL is not a valid URL: {0}")]
    Invalid(url::ParseError),
    #[error("DATABASE_URL `sqlite://` needs a file path")]
    NoSqlitePath,
    #[error("DATABASE_URL must start with postgres:// or sqlite://")]
    UnknownScheme,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseKind {
    Postgres,
    Sqlite(PathBuf),
}

/// A database URL, checked once; its `Display` and `Debug` hide the password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    raw: String,
    kind: DatabaseKind,
}

impl DatabaseUrl {
    /// `postgres://…`, `postgresql://…`, or `sqlite://path` (`sqlite:path` too).
    pub fn parse(raw: &str) -> Result<Self, UrlError> {
        let raw = raw.trim();
        let kind = if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Url::parse(raw).map_err(UrlError::Invalid)?;
            DatabaseKind::Postgres
        } else if let Some(rest) = raw.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err(UrlError::NoSqlitePath);
            }
            DatabaseKind::Sqlite(PathBuf::from(path))
        } else {
            return Err(UrlError::UnknownScheme);
        };
        Ok(Self {
            raw: raw.to_string(),
            kind,
        })
    }

    /// A SQLite database in this file.
    pub fn sqlite(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        Self {
            raw: format!("sqlite://{}", path.display()),
            kind: DatabaseKind::Sqlite(path),
        }
    }

    pub fn kind(&self) -> &DatabaseKind {
        &self.kind
    }

    /// The URL with its secret, for the driver only.
    pub fn expose(&self) -> &str {
        &self.raw
    }

    /// The URL with the password replaced, safe for logs and error messages.
    pub fn redacted(&self) -> String {
        match Url::parse(&self.raw) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some("***"));
                u.to_string()
            }
            _ => self.raw.clone(),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_hidden() {
        let u = DatabaseUrl::parse("postgres://app:s3cr3t@db.example:5432/app").unwrap();
        assert!(!u.to_string().contains("s3cr3t"));
        assert!(!format!("{u:?}").contains("s3cr3t"));
        assert!(u.to_string().contains("db.example"));
        assert_eq!(u.kind(), &DatabaseKind::Postgres);
        assert!(u.expose().contains("s3cr3t"));
    }

    #[test]
    fn backends_and_refusals() {
        for (raw, path) in [
            ("sqlite://data/app.sqlite3", "data/app.sqlite3"),
            ("sqlite:relative.db", "relative.db"),
            (" sqlite:///abs/app.db ", "/abs/app.db"),
        ] {
            let u = DatabaseUrl::parse(raw).unwrap();
            assert_eq!(u.kind(), &DatabaseKind::Sqlite(path.into()), "{raw}");
        }
        assert_eq!(
            DatabaseUrl::parse("postgresql://db/app").unwrap().kind(),
            &DatabaseKind::Postgres
        );
        assert_eq!(DatabaseUrl::parse("sqlite://"), Err(UrlError::NoSqlitePath));
        assert_eq!(
            DatabaseUrl::parse("mysql://db/app"),
            Err(UrlError::UnknownScheme)
        );
        assert!(matches!(
            DatabaseUrl::parse("postgres://db:port/app"),
            Err(UrlError::Invalid(_))
        ));
        let s = DatabaseUrl::sqlite("data/x.sqlite3");
        assert_eq!(DatabaseUrl::parse(s.expose()), Ok(s));
    }
}
