//! `signin healthcheck`: the real binary against a running app (exit 0), and against a closed
//! port, a wrong path and a server that never answers (exit 1, one line saying why).

use crate::app_test;
use crate::helpers::*;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_signin");

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `signin healthcheck ARGS` with only `env` (and no `.env` to pick up).
async fn healthcheck(args: &[&str], env: &[(&str, String)]) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new(BIN)
        .arg("healthcheck")
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(dir.path())
        .output()
        .await
        .unwrap();
    Outcome {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn assert_one_line_failure(o: &Outcome, says: &str) {
    assert_eq!(o.code, Some(1), "stdout: {} stderr: {}", o.stdout, o.stderr);
    assert_eq!(o.stderr.trim().lines().count(), 1, "{}", o.stderr);
    assert!(o.stderr.starts_with("unhealthy: "), "{}", o.stderr);
    assert!(o.stderr.contains(says), "`{says}` not in: {}", o.stderr);
}

app_test!(healthcheck_passes_when_the_app_is_ready, |app| {
    // The default URL: /readyz on BIND_ADDR, with 0.0.0.0 asked on 127.0.0.1.
    let o = healthcheck(&[], &[("BIND_ADDR", format!("0.0.0.0:{}", app.port))]).await;
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(
        o.stdout.contains(&format!(
            "http://127.0.0.1:{}/readyz answered 200",
            app.port
        )),
        "{}",
        o.stdout
    );

    let o = healthcheck(&[&format!("{}/readyz", app.address)], &[]).await;
    assert_eq!(o.code, Some(0), "{}", o.stderr);

    // Any answer but 200 is a failure, with the status.
    let o = healthcheck(&[&format!("{}/no/such/page", app.address)], &[]).await;
    assert_one_line_failure(&o, "answered 404");
});

#[tokio::test]
async fn healthcheck_fails_on_a_closed_port() {
    let port = free_port();
    let o = healthcheck(&[], &[("BIND_ADDR", format!("127.0.0.1:{port}"))]).await;
    assert_one_line_failure(&o, "cannot connect");
    assert!(o.stderr.contains(&port.to_string()), "{}", o.stderr);
}

#[tokio::test]
async fn healthcheck_gives_up_on_a_server_that_never_answers() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts connections and holds them without a word.
    let held = tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((c, _)) = listener.accept().await {
            conns.push(c);
        }
    });
    let t0 = Instant::now();
    let o = healthcheck(
        &[
            &format!("http://127.0.0.1:{port}/readyz"),
            "--timeout",
            "500ms",
        ],
        &[],
    )
    .await;
    assert_one_line_failure(&o, "no answer within 500 ms");
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    held.abort();
}

#[tokio::test]
async fn healthcheck_names_a_bad_bind_addr_or_url() {
    let o = healthcheck(&[], &[("BIND_ADDR", "nowhere".to_string())]).await;
    assert_one_line_failure(&o, "BIND_ADDR `nowhere`");
    let o = healthcheck(&["ftp://127.0.0.1/readyz"], &[]).await;
    assert_one_line_failure(&o, "not an http:// or https:// URL");
}
