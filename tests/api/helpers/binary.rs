//! `RunningBinary`: the real `signin` executable as an operator runs it, in a fresh working
//! directory with a fresh SQLite database; killed when dropped, so that a failing test leaves
//! nothing behind.

use super::{SECRET_KEY, free_port};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Where the binary's output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capture {
    /// Nowhere (stderr is shown when `TEST_LOG` is set).
    Nothing,
    /// Stdout line by line into `RunningBinary::lines`.
    StdoutLines,
    /// Stdout and stderr together into a file, read with `RunningBinary::logs`.
    AllToFile,
}

pub struct RunningBinary {
    pub child: Child,
    pub port: u16,
    pub address: String,
    /// Lines the binary printed on stdout (with `Capture::StdoutLines`).
    pub lines: Option<mpsc::Receiver<String>>,
    log_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for RunningBinary {
    fn drop(&mut self) {
        self.kill();
    }
}

impl RunningBinary {
    /// Starts `signin ARGS` with the given environment on top of a minimal one, and waits until
    /// `/readyz` answers 200. `port`: one chosen by the caller (who had to configure something
    /// with it), or a free one.
    pub async fn start(
        args: &[&str],
        env: &[(&str, String)],
        output: Capture,
        port: Option<u16>,
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = port.unwrap_or_else(free_port);
        let address = format!("http://127.0.0.1:{port}");
        let log_file = dir.path().join("server.log");
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
            .stdin(Stdio::null());
        match output {
            Capture::Nothing | Capture::StdoutLines => {
                cmd.stderr(if std::env::var("TEST_LOG").is_ok() {
                    Stdio::inherit()
                } else {
                    Stdio::null()
                })
                .stdout(if output == Capture::StdoutLines {
                    Stdio::piped()
                } else {
                    Stdio::null()
                });
            }
            Capture::AllToFile => {
                let log = std::fs::File::create(&log_file).expect("log file");
                cmd.stdout(log.try_clone().expect("log file")).stderr(log);
            }
        }
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
        let mut me = Self {
            child,
            port,
            address,
            lines,
            log_file,
            _dir: dir,
        };
        me.wait_ready().await;
        me
    }

    async fn wait_ready(&mut self) {
        let client = reqwest::Client::new();
        let t0 = Instant::now();
        loop {
            if let Ok(r) = client.get(format!("{}/readyz", self.address)).send().await
                && r.status().as_u16() == 200
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the binary exited ({status}):\n{}", self.logs());
            }
            assert!(
                t0.elapsed() < Duration::from_secs(60),
                "the binary did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// What the binary wrote with `Capture::AllToFile` so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log_file).unwrap_or_default()
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .expect("run kill")
            .success();
        assert!(ok, "kill -{sig}");
    }

    /// Stops the binary at once (SIGKILL) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to exit; `None` if it is still running after `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let t0 = Instant::now();
        while t0.elapsed() < limit {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}
