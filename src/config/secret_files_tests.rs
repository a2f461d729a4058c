//! `SECRET_KEY_FILE`, `GOOGLE_CLIENT_SECRET_FILE`, `DATABASE_URL_FILE`: the secret read from a
//! file, one trailing newline dropped; both a variable and its file, or a file that cannot be
//! read or is empty, refused with the variable and the path named and the content never shown.

use super::tests::{GOOD_KEY as KEY, env};
use super::*;
use std::io::Write;

fn file_with(content: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(content).unwrap();
    f
}

fn path(f: &tempfile::NamedTempFile) -> &str {
    f.path().to_str().unwrap()
}

/// Google, not `--dev`, so that the client secret is read.
fn google(extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut e = env(&[("GOOGLE_CLIENT_ID", "id.apps.googleusercontent.com")]);
    e.extend(env(extra));
    e
}

#[test]
fn each_secret_can_come_from_a_file() {
    let key = file_with(format!("{KEY}\n").as_bytes());
    let client = file_with(b"GOCSPX-from-a-file\r\n");
    let db = file_with(b"sqlite://data/from-file.sqlite3\n");
    let c = Config::from_env(
        &google(&[
            ("SECRET_KEY_FILE", path(&key)),
            ("GOOGLE_CLIENT_SECRET_FILE", path(&client)),
            ("DATABASE_URL_FILE", path(&db)),
        ]),
        false,
    )
    .unwrap();
    match &c.secrets.key {
        SecretKeySource::Given(k) => assert_eq!(k.expose(), KEY),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        c.providers.google.client_secret.expose(),
        "GOCSPX-from-a-file"
    );
    assert_eq!(c.database.url.expose(), "sqlite://data/from-file.sqlite3");
    assert_eq!(
        c.secrets.from_files,
        [
            "DATABASE_URL_FILE",
            "SECRET_KEY_FILE",
            "GOOGLE_CLIENT_SECRET_FILE"
        ]
    );
    let shown = format!("{c:?}");
    assert!(!shown.contains(KEY) && !shown.contains("GOCSPX"), "{shown}");

    // The one-off commands read the database URL by the same rule.
    let d = DatabaseConfig::from_env(&env(&[("DATABASE_URL_FILE", path(&db))])).unwrap();
    assert_eq!(d.url.expose(), "sqlite://data/from-file.sqlite3");
}

#[test]
fn only_one_trailing_newline_is_dropped() {
    let key = file_with(format!("{KEY}\n\n").as_bytes());
    let c = Config::from_env(&env(&[("SECRET_KEY_FILE", path(&key))]), true).unwrap();
    match &c.secrets.key {
        SecretKeySource::Given(k) => assert_eq!(k.expose(), format!("{KEY}\n")),
        other => panic!("{other:?}"),
    }
    let key = file_with(KEY.as_bytes());
    let c = Config::from_env(&env(&[("SECRET_KEY_FILE", path(&key))]), true).unwrap();
    assert!(matches!(&c.secrets.key, SecretKeySource::Given(k) if k.expose() == KEY));
}

#[test]
fn a_variable_and_its_file_together_are_refused() {
    let key = file_with(KEY.as_bytes());
    let client = file_with(b"GOCSPX-file");
    let db = file_with(b"sqlite://x.sqlite3");
    let err = Config::from_env(
        &google(&[
            ("APP_ENV", "production"),
            ("APP_BASE_URL", "https://signin.example"),
            ("SECRET_KEY", KEY),
            ("SECRET_KEY_FILE", path(&key)),
            ("GOOGLE_CLIENT_SECRET", "GOCSPX-env"),
            ("GOOGLE_CLIENT_SECRET_FILE", path(&client)),
            ("DATABASE_URL", "sqlite://y.sqlite3"),
            ("DATABASE_URL_FILE", path(&db)),
        ]),
        false,
    )
    .unwrap_err();
    for k in ["SECRET_KEY", "GOOGLE_CLIENT_SECRET", "DATABASE_URL"] {
        let p = format!("set {k} or {k}_FILE, not both");
        assert!(err.0.contains(&p), "{err}");
    }
    // Refused, not missing: no "is required" on top.
    assert_eq!(err.0.len(), 3, "{err}");
}

#[test]
fn unreadable_or_empty_files_are_named_without_their_content() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-secret");
    let missing = missing.to_str().unwrap();
    let binary = file_with(b"TOPSECRET-\xff\xfe-value");
    let empty = file_with(b"\n");
    let err = Config::from_env(
        &google(&[
            ("SECRET_KEY_FILE", missing),
            ("GOOGLE_CLIENT_SECRET_FILE", path(&binary)),
            ("DATABASE_URL_FILE", path(&empty)),
        ]),
        false,
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        err.0
            .iter()
            .any(|p| p.starts_with(&format!("SECRET_KEY_FILE {missing} cannot be read: "))),
        "{text}"
    );
    assert!(
        err.0.iter().any(|p| p.starts_with(&format!(
            "GOOGLE_CLIENT_SECRET_FILE {} cannot be read: ",
            path(&binary)
        ))),
        "{text}"
    );
    assert!(
        err.0
            .contains(&format!("DATABASE_URL_FILE {} is empty", path(&empty))),
        "{text}"
    );
    assert!(!text.contains("TOPSECRET"), "{text}");
    assert!(!text.contains("is required"), "{text}");
    assert_eq!(err.0.len(), 3, "{text}");

    // A directory is not a file either.
    let err =
        DatabaseConfig::from_env(&env(&[("DATABASE_URL_FILE", dir.path().to_str().unwrap())]))
            .unwrap_err();
    assert!(err.0[0].starts_with("DATABASE_URL_FILE "), "{err}");
}

#[test]
fn a_weak_key_from_a_file_is_refused_like_one_from_the_environment() {
    let key = file_with(b"short\n");
    let err = Config::from_env(&env(&[("SECRET_KEY_FILE", path(&key))]), true).unwrap_err();
    assert!(err.to_string().contains("at least 64"), "{err}");
    assert!(!err.to_string().contains("short"), "{err}");
}
