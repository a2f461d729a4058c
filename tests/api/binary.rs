//! The real binary: `serve --dev` at trace level never logs a secret of the sign-in, and
//! `check-config` reports every problem and refuses development defaults in production.

use crate::helpers::*;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_signin");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_logs() {
    secrets_stay_out_of_logs_in("pretty").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_json_logs() {
    secrets_stay_out_of_logs_in("json").await;
}

/// Runs `serve --dev` at trace level with `LOG_FORMAT=format`, signs in, creates and uses an
/// API token, signs out, and looks for every secret that went by in the server's output.
async fn secrets_stay_out_of_logs_in(format: &str) {
    let secret_key = format!("LOGTEST-SECRET-KEY-{}-{}", uuid_like(), "s".repeat(48));
    let env = [
        ("RUST_LOG", "trace".to_string()),
        ("LOG_FORMAT", format.to_string()),
        ("SECRET_KEY", secret_key.clone()),
    ];
    let mut bin = RunningBinary::start(&["serve", "--dev"], &env, Capture::AllToFile, None).await;
    let base = bin.address.clone();

    // A full sign-in through the built-in provider, remembering every secret that goes by.
    let b = Browser::new(&base);
    let authorize = b.begin_sign_in(None).await;
    assert!(
        authorize.starts_with(&format!("{base}/dev/oidc/authorize?")),
        "{authorize}"
    );
    let state = query_param(&authorize, "state").unwrap();
    let nonce = query_param(&authorize, "nonce").unwrap();
    let callback = b
        .consent(&authorize, "logged@example.com", "Log Test")
        .await;
    let code = query_param(&callback, "code").unwrap();
    let r = b.get(&callback).await;
    assert_eq!(r.status().as_u16(), 303, "sign-in through the dev provider");
    let cookie = session_cookie(&r).unwrap();
    let cookie_value = cookie.trim_start_matches("session=").to_string();
    let csrf = b.csrf().await;
    let api_token = b.create_api_token().await;
    let r = me_with_bearer_at(&base, &api_token).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(b.get("/api/me").await.status().as_u16(), 200);
    // A replayed code and a forged bearer token go through the error paths too.
    assert_eq!(b.get(&callback).await.status().as_u16(), 400);
    assert_eq!(
        me_with_bearer_at(&base, &format!("{api_token}x"))
            .await
            .status()
            .as_u16(),
        401
    );
    let r = b.post_form("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(r.status().as_u16(), 303);

    bin.kill();
    let logs = bin.logs();
    // The logs are real: trace level and the sign-in are in them.
    assert!(
        logs.contains("signed in"),
        "no sign-in event in the logs:\n{logs}"
    );
    assert!(logs.contains("TRACE"), "RUST_LOG=trace had no effect");
    let secrets: [(&str, &str); 10] = [
        ("authorization code", &code),
        ("state", &state),
        ("nonce", &nonce),
        ("session cookie", &cookie_value),
        ("API token", &api_token),
        ("CSRF token", &csrf),
        ("client secret", "dev-client-secret"),
        ("SECRET_KEY", &secret_key),
        ("a JWT (ID token or app token)", "eyJ"),
        ("the provider's access token", "dev-at-"),
    ];
    let leaked: Vec<&str> = secrets
        .iter()
        .filter(|(_, s)| logs.contains(s))
        .map(|(what, _)| *what)
        .collect();
    assert!(
        leaked.is_empty(),
        "secrets in the logs: {leaked:?}\n{}",
        logs.lines()
            .filter(|l| secrets.iter().any(|(_, s)| l.contains(s)))
            .take(10)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        !logs.contains("code_verifier"),
        "the PKCE verifier form field was logged"
    );
}

fn check_config(env: &[(&str, &str)], dev: bool) -> Output {
    let dir = tempfile::tempdir().unwrap(); // no `.env` to pick up
    let mut cmd = Command::new(BIN);
    cmd.arg("check-config");
    if dev {
        cmd.arg("--dev");
    }
    cmd.env_clear()
        .envs(env.iter().copied())
        .current_dir(dir.path())
        .output()
        .unwrap()
}

#[test]
fn check_config_lists_every_problem() {
    let out = check_config(
        &[
            ("APP_ENV", "staging"),
            ("BIND_ADDR", "nowhere"),
            ("DATABASE_URL", "mysql://db/app"),
            ("JWT_TTL", "soon"),
            ("HTTP_TIMEOUT", "10 parsecs"),
            ("LOG_FORMAT", "xml"),
        ],
        true,
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for key in [
        "APP_ENV",
        "BIND_ADDR",
        "DATABASE_URL",
        "JWT_TTL",
        "HTTP_TIMEOUT",
        "LOG_FORMAT",
    ] {
        assert!(err.contains(key), "{key} missing from:\n{err}");
    }
    assert!(err.contains("6 problem"), "{err}");

    // The same command passes with a good development configuration.
    let ok = check_config(&[], true);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn check_config_refuses_development_defaults_in_production() {
    let out = check_config(&[("APP_ENV", "production"), ("SECRET_KEY", "short")], true);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--dev"), "{err}");
    assert!(err.contains("SECRET_KEY"), "{err}");
    assert!(err.contains("https"), "{err}");

    let no_key = check_config(&[("APP_ENV", "production")], false);
    assert!(!no_key.status.success());
    let err = String::from_utf8_lossy(&no_key.stderr);
    assert!(err.contains("SECRET_KEY is required"), "{err}");
    assert!(err.contains("GOOGLE_CLIENT_ID"), "{err}");

    let key = SECRET_KEY.to_string();
    let good = check_config(
        &[
            ("APP_ENV", "production"),
            ("APP_BASE_URL", "https://signin.example"),
            ("SECRET_KEY", &key),
            ("GOOGLE_CLIENT_ID", "id.apps.googleusercontent.com"),
            ("GOOGLE_CLIENT_SECRET", "GOCSPX-secret"),
        ],
        false,
    );
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    let said = String::from_utf8_lossy(&good.stdout);
    assert!(!said.contains(&key), "check-config printed the SECRET_KEY");
    assert!(
        !said.contains("GOCSPX-secret"),
        "check-config printed the client secret"
    );
}

/// `*_FILE`: systemd credentials and container secrets. `check-config` says which secrets came
/// from files, never their values, and names a file it cannot read.
#[test]
fn check_config_reads_secrets_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("secret_key");
    std::fs::write(&key_file, format!("{SECRET_KEY}\n")).unwrap();
    let client_file = dir.path().join("client_secret");
    std::fs::write(&client_file, "GOCSPX-from-file\n").unwrap();
    let db_file = dir.path().join("database_url");
    std::fs::write(&db_file, "sqlite://data/app.sqlite3\n").unwrap();
    let (key_path, client_path, db_path) = (
        key_file.to_str().unwrap(),
        client_file.to_str().unwrap(),
        db_file.to_str().unwrap(),
    );
    let production = [
        ("APP_ENV", "production"),
        ("APP_BASE_URL", "https://signin.example"),
        ("GOOGLE_CLIENT_ID", "id.apps.googleusercontent.com"),
    ];
    let mut env = production.to_vec();
    env.extend([
        ("SECRET_KEY_FILE", key_path),
        ("GOOGLE_CLIENT_SECRET_FILE", client_path),
        ("DATABASE_URL_FILE", db_path),
    ]);
    let good = check_config(&env, false);
    let said = String::from_utf8_lossy(&good.stdout);
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert!(
        said.contains(
            "secrets read from files: DATABASE_URL_FILE, SECRET_KEY_FILE, GOOGLE_CLIENT_SECRET_FILE"
        ),
        "{said}"
    );
    assert!(
        !said.contains(SECRET_KEY) && !said.contains("GOCSPX"),
        "{said}"
    );

    let missing = dir.path().join("nope");
    let mut env = production.to_vec();
    env.extend([
        ("SECRET_KEY_FILE", missing.to_str().unwrap()),
        ("GOOGLE_CLIENT_SECRET", "GOCSPX-env"),
        ("GOOGLE_CLIENT_SECRET_FILE", client_path),
    ]);
    let bad = check_config(&env, false);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains(&format!(
            "SECRET_KEY_FILE {} cannot be read",
            missing.display()
        )),
        "{err}"
    );
    assert!(
        err.contains("set GOOGLE_CLIENT_SECRET or GOOGLE_CLIENT_SECRET_FILE, not both"),
        "{err}"
    );
    assert!(!err.contains("GOCSPX"), "{err}");
}
