//! The real binary as an operator runs it: `LOG_FORMAT=json` prints one JSON object per line,
//! and SIGTERM lets an in-flight request finish while new connections are refused.

use crate::helpers::*;
use signin::dev_provider::{self, Faults, ProviderSettings};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A port that was free a moment ago (the binary binds it itself).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The spawned binary; killed when dropped, so that a failing test leaves nothing behind.
pub struct RunningBinary {
    pub child: Child,
    pub port: u16,
    pub address: String,
    /// Lines the binary printed on stdout (when captured).
    pub lines: Option<mpsc::Receiver<String>>,
    _dir: tempfile::TempDir,
}

impl Drop for RunningBinary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl RunningBinary {
    /// Starts `signin ARGS` in a fresh working directory with a fresh SQLite database, the
    /// given environment on top of a minimal one, and waits until `/readyz` answers 200.
    /// `port`: one chosen by the caller (who had to configure something with it), or a free one.
    pub async fn start(
        args: &[&str],
        env: &[(&str, String)],
        capture_stdout: bool,
        port: Option<u16>,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = port.unwrap_or_else(free_port);
        let address = format!("http://127.0.0.1:{port}");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_signin"));
        cmd.args(args)
            .current_dir(dir.path())
            .env_clear()
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("APP_BASE_URL", &address)
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", dir.path().join("app.sqlite3").display()),
            )
            .env("SECRET_KEY", SECRET_KEY)
            .env("RATE_LIMIT_PER_MINUTE", "0")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stderr(if std::env::var("TEST_LOG").is_ok() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .stdout(if capture_stdout {
                Stdio::piped()
            } else {
                Stdio::null()
            });
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start the signin binary");
        let lines = child.stdout.take().map(|out| {
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
            rx
        });
        let me = Self {
            child,
            port,
            address,
            lines,
            _dir: dir,
        };
        me.wait_ready().await;
        me
    }

    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        let t0 = Instant::now();
        loop {
            if let Ok(r) = client.get(format!("{}/readyz", self.address)).send().await
                && r.status().as_u16() == 200
            {
                return;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "the binary did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig}");
    }

    /// Waits for the process to exit; `None` if it is still running after `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let t0 = Instant::now();
        while t0.elapsed() < limit {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

/// A dev provider on its own port for a binary running without `--dev`, and the `GOOGLE_*`
/// environment that points the binary at it.
fn provider_for(app_address: &str) -> (dev_provider::RunningProvider, Vec<(&'static str, String)>) {
    let pl = TcpListener::bind("127.0.0.1:0").unwrap();
    let purl = format!("http://127.0.0.1:{}", pl.local_addr().unwrap().port());
    let running = dev_provider::spawn_standalone(
        pl,
        ProviderSettings {
            issuer: purl.clone(),
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            redirect_uris: vec![format!("{app_address}/auth/google/callback")],
            auto_approve: true,
        },
        test_keys(),
        1,
    )
    .unwrap();
    let env = vec![
        ("GOOGLE_CLIENT_ID", CLIENT_ID.to_string()),
        ("GOOGLE_CLIENT_SECRET", CLIENT_SECRET.to_string()),
        ("GOOGLE_ISSUER", purl.clone()),
        ("GOOGLE_AUTH_URL", format!("{purl}/authorize")),
        ("GOOGLE_TOKEN_URL", format!("{purl}/token")),
        ("GOOGLE_USERINFO_URL", format!("{purl}/userinfo")),
        ("GOOGLE_JWKS_URL", format!("{purl}/jwks")),
    ];
    (running, env)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_format_json_prints_json_lines() {
    let mut bin = RunningBinary::start(
        &["serve", "--dev"],
        &[("LOG_FORMAT", "json".into())],
        true,
        None,
    )
    .await;
    let r = reqwest::get(format!("{}/login", bin.address))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // A refused request is logged inside its request span.
    let r = reqwest::get(format!("{}/no-such-page", bin.address))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    // Give the request's log line a moment to be written, then stop and collect everything.
    tokio::time::sleep(Duration::from_millis(200)).await;
    bin.signal("TERM");
    assert!(
        bin.wait_exit(Duration::from_secs(10)).is_some(),
        "the binary did not stop"
    );
    let rx = bin.lines.take().unwrap();
    let lines: Vec<String> = rx.try_iter().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        lines.len() >= 2,
        "expected several log lines, got {lines:?}"
    );
    let mut messages = Vec::new();
    for line in &lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(v["timestamp"].is_string(), "{line}");
        assert!(v["level"].is_string(), "{line}");
        messages.push(v["message"].as_str().unwrap_or_default().to_string());
    }
    assert!(messages.iter().any(|m| m == "listening"), "{lines:?}");
    // The refusal was logged with its request's span (path and request id) as JSON fields.
    let refused = lines
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["message"] == "request refused")
        .unwrap_or_else(|| panic!("no `request refused` line in {lines:#?}"));
    let span = refused["span"].to_string();
    assert!(span.contains("/no-such-page"), "{refused}");
    assert!(span.contains("request_id"), "{refused}");
    assert!(!lines.iter().any(|l| l.contains(SECRET_KEY)));
}

/// The binary (JSON logs captured, `SHUTDOWN_TIMEOUT` as given) with a sign-in consented at
/// its provider, whose token endpoint now answers after `token_delay`: a GET of the returned
/// callback URL stays in flight that long.
async fn token_endpoint_stalled(
    shutdown_timeout: &str,
    token_delay: Duration,
) -> (
    RunningBinary,
    dev_provider::RunningProvider,
    Browser,
    String,
) {
    let port = free_port();
    let address = format!("http://127.0.0.1:{port}");
    let (provider, mut env) = provider_for(&address);
    env.push(("SHUTDOWN_TIMEOUT", shutdown_timeout.into()));
    env.push(("HTTP_TIMEOUT", "10s".into()));
    env.push(("LOG_FORMAT", "json".into()));
    let bin = RunningBinary::start(&["serve"], &env, true, Some(port)).await;
    assert_eq!(bin.port, port);
    let browser = Browser::new(&address);
    let authorize = browser.begin_sign_in(None).await;
    let callback = browser
        .consent(&authorize, "ada@example.com", "Ada Lovelace")
        .await;
    provider.provider.set_faults(Faults {
        token_delay: Some(token_delay),
        ..Default::default()
    });
    (bin, provider, browser, callback)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_in_flight_requests_and_refuses_new_connections() {
    // The callback will wait on the provider's token endpoint for 2 s: an in-flight request.
    let delay = Duration::from_secs(2);
    let (mut bin, provider, browser, callback) = token_endpoint_stalled("20s", delay).await;
    let in_flight = {
        let browser = browser.clone();
        tokio::spawn(async move {
            let t0 = Instant::now();
            let r = browser.get(&callback).await;
            (
                r.status().as_u16(),
                location(&r),
                r.headers().get("set-cookie").is_some(),
                t0.elapsed(),
            )
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !in_flight.is_finished(),
        "the request should still be in flight"
    );
    bin.signal("TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;

    // New connections are refused while the in-flight request is still being answered.
    assert!(
        !in_flight.is_finished(),
        "the in-flight request ended too early"
    );
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let r = fresh.get(format!("{}/healthz", bin.address)).send().await;
    assert!(
        r.is_err(),
        "a new connection was served after SIGTERM: {:?}",
        r.map(|r| r.status())
    );
    assert!(
        bin.child.try_wait().unwrap().is_none(),
        "the process quit before finishing its work"
    );

    let (status, to, cookie, took) = in_flight.await.unwrap();
    assert_eq!(status, 303, "the in-flight sign-in completed normally");
    assert_eq!(to, "/");
    assert!(cookie, "with its session cookie");
    assert!(took >= delay);
    let exit = bin
        .wait_exit(Duration::from_secs(10))
        .expect("the binary exits after draining");
    assert!(exit.success(), "exit status {exit:?}");
    // As it stops, the service says how many requests it dropped before their answer.
    assert_eq!(stop_line(&mut bin)["abandoned"], 0);
    provider.handle.stop(false).await;
}

/// The `stopped` line the binary logs (JSON) as it exits.
fn stop_line(bin: &mut RunningBinary) -> serde_json::Value {
    let rx = bin.lines.take().expect("stdout captured");
    // Until the pipe closes: the process has exited, so this ends.
    let lines: Vec<String> = rx.iter().collect();
    lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| {
            v["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("stopped"))
        })
        .unwrap_or_else(|| panic!("no `stopped` line in {lines:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_cut_by_the_shutdown_timeout_is_counted_as_abandoned() {
    // The token endpoint answers after 6 s: longer than the 1 s the shutdown may wait.
    let (mut bin, provider, browser, callback) =
        token_endpoint_stalled("1s", Duration::from_secs(6)).await;
    let in_flight = {
        let browser = browser.clone();
        tokio::spawn(async move { browser.client.get(browser.url(&callback)).send().await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    bin.signal("TERM");
    let exit = bin
        .wait_exit(Duration::from_secs(10))
        .expect("the binary exits after its shutdown timeout");
    assert!(exit.success(), "exit status {exit:?}");
    assert!(
        in_flight.await.unwrap().is_err(),
        "the cut request got an answer"
    );
    let line = stop_line(&mut bin);
    assert_eq!(line["abandoned"], 1, "{line}");
    assert_eq!(line["level"], "WARN", "{line}");
    provider.handle.stop(false).await;
}
