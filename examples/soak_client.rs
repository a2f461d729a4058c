//! The soak and fault runs' load generator (`bench/soak.sh`, `bench/pg_restart.sh`,
//! `bench/sigterm.sh`): CONNECTIONS workers loop over mixed traffic for SECONDS — the home page
//! and `/api/me` as a signed-in person, complete sign-ins of new people through the dev
//! provider (auto-approve + `login_hint`), and the admin user list when the service has one —
//! and report every answer by status, one line per second (`tick`) and a summary (`total`).
//!
//! Usage: `soak_client BASE CONNECTIONS SECONDS [ADMIN_EMAIL]`
//! Answers are `ok` (2xx/3xx), `http4xx`, `http5xx`, or a transport error: `refused` (no
//! connection could be made) or `broken` (a connection failed mid-request, after one retry as
//! browsers do; `retried` counts those retries).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Default)]
struct Counts {
    ok: AtomicU64,
    http4xx: AtomicU64,
    http5xx: AtomicU64,
    refused: AtomicU64,
    broken: AtomicU64,
    max_ms: AtomicU64,
    retried: AtomicU64,
}

impl Counts {
    fn snapshot(&self) -> [u64; 6] {
        [
            self.ok.load(Ordering::Relaxed),
            self.http4xx.load(Ordering::Relaxed),
            self.http5xx.load(Ordering::Relaxed),
            self.refused.load(Ordering::Relaxed),
            self.broken.load(Ordering::Relaxed),
            self.max_ms.load(Ordering::Relaxed),
        ]
    }
}

struct Ctx {
    base: String,
    http: reqwest::Client,
    /// Never reuses a connection: for the retry.
    fresh: reqwest::Client,
    counts: Counts,
    seq: AtomicU64,
    admin_path: Option<String>,
    admin_cookie: Option<String>,
}

fn client(idle_per_host: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(idle_per_host)
        // Below actix's 5 s keep-alive: connections to the provider sit idle between sign-ins,
        // and reusing one the server is closing fails ("connection closed before message
        // completed"; 10 such failures in the third soak run, a client artefact).
        .pool_idle_timeout(Duration::from_secs(2))
        .build()
        .expect("HTTP client")
}

fn location(r: &reqwest::Response) -> Option<String> {
    Some(r.headers().get("location")?.to_str().ok()?.to_string())
}

fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("session=") || v.starts_with("__Host-session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

fn absolute(base: &str, loc: &str) -> String {
    if loc.starts_with("http") {
        loc.to_string()
    } else {
        format!("{base}{loc}")
    }
}

impl Ctx {
    /// Sends one request and counts its answer; `None` on a transport error.
    async fn send(&self, req: reqwest::RequestBuilder) -> Option<reqwest::Response> {
        let started = Instant::now();
        let (http, request) = req.build_split();
        let Ok(request) = request else {
            self.counts.broken.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        // Only a GET is resent: it asks for nothing to change.
        let retry = (request.method() == reqwest::Method::GET)
            .then(|| request.try_clone())
            .flatten();
        // When the last attempt was sent (the retry's, if there was one).
        let mut attempt_ms = now_ms();
        let mut res = http.execute(request).await;
        // Like a browser (RFC 9112 §9.3.1; Chromium resends on a new socket when a reused one
        // closed or reset before any answer), retry once, on a fresh connection: a server
        // closing its idle keep-alive connections (shutdown, timeout) races with requests
        // written into them, which it never read. Retrying on another pooled connection can
        // meet the next connection being closed in the same instant.
        if let (Err(e), Some(retry)) = (&res, retry)
            && !e.is_connect()
            && !e.is_timeout()
        {
            self.counts.retried.fetch_add(1, Ordering::Relaxed);
            attempt_ms = now_ms();
            res = self.fresh.execute(retry).await;
        }
        let ms = started.elapsed().as_millis() as u64;
        self.counts.max_ms.fetch_max(ms, Ordering::Relaxed);
        match res {
            Ok(r) => {
                let s = r.status().as_u16();
                let c = match s {
                    200..=399 => &self.counts.ok,
                    400..=499 => &self.counts.http4xx,
                    _ => &self.counts.http5xx,
                };
                // The first 100 refusals are printed with what was asked (the path only:
                // a callback's query holds a code and a state).
                if c.fetch_add(1, Ordering::Relaxed) < 100 && s >= 400 {
                    println!(
                        "status code={s} start_ms={} after_ms={ms} path={}",
                        now_ms() - ms as u128,
                        r.url().path()
                    );
                }
                Some(r)
            }
            Err(e) => {
                if e.is_connect() {
                    self.counts.refused.fetch_add(1, Ordering::Relaxed);
                } else {
                    // Both times are printed: a first attempt before SIGTERM may have been
                    // read by the service or lost to the keep-alive race (the client cannot
                    // tell); the service's own count of abandoned requests decides.
                    if self.counts.broken.fetch_add(1, Ordering::Relaxed) < 100 {
                        let e = e.without_url();
                        let mut cause = e.to_string();
                        let mut src = std::error::Error::source(&e);
                        while let Some(s) = src {
                            cause = format!("{cause}: {s}");
                            src = s.source();
                        }
                        println!(
                            "broken start_ms={attempt_ms} first_ms={} after_ms={ms} cause={cause}",
                            now_ms() - ms as u128
                        );
                    }
                }
                None
            }
        }
    }

    /// A complete sign-in of `email`; returns the session cookie.
    async fn sign_in(&self, email: &str) -> Option<String> {
        let r = self
            .send(self.http.get(format!(
                "{}/auth/google/login?login_hint={email}",
                self.base
            )))
            .await?;
        let cookie = session_cookie(&r)?;
        let r = self
            .send(self.http.get(absolute(&self.base, &location(&r)?)))
            .await?;
        let callback = location(&r)?;
        let r = self
            .send(
                self.http
                    .get(absolute(&self.base, &callback))
                    .header("cookie", &cookie),
            )
            .await?;
        if r.status().as_u16() != 303 {
            return None;
        }
        session_cookie(&r).or(Some(cookie))
    }

    async fn get_with(&self, path: &str, cookie: &str) {
        if let Some(r) = self
            .send(
                self.http
                    .get(format!("{}{path}", self.base))
                    .header("cookie", cookie),
            )
            .await
        {
            // Read the body: a page is only served when it has been sent whole.
            let _ = r.bytes().await;
        }
    }
}

async fn worker(ctx: Arc<Ctx>, id: u64, until: Instant) {
    let mut cookie: Option<String> = None;
    let mut i: u64 = 0;
    while Instant::now() < until {
        i += 1;
        let c = match &cookie {
            Some(c) => c.clone(),
            None => {
                let n = ctx.seq.fetch_add(1, Ordering::Relaxed);
                cookie = ctx.sign_in(&format!("soak-{id}-{n}@example.com")).await;
                if cookie.is_none() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                continue;
            }
        };
        match i % 20 {
            // One in twenty: a new person signs in (a new user row, a new session row).
            0 => {
                let n = ctx.seq.fetch_add(1, Ordering::Relaxed);
                if let Some(c) = ctx.sign_in(&format!("soak-{id}-{n}@example.com")).await {
                    cookie = Some(c);
                }
            }
            1 | 2 if ctx.admin_path.is_some() => {
                let (p, ac) = (
                    ctx.admin_path.as_deref().unwrap_or("/"),
                    ctx.admin_cookie.clone().unwrap_or_default(),
                );
                ctx.get_with(p, &ac).await;
            }
            n if n % 2 == 0 => ctx.get_with("/", &c).await,
            _ => ctx.get_with("/api/me", &c).await,
        }
    }
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: soak_client BASE CONNECTIONS SECONDS [ADMIN_EMAIL]");
        std::process::exit(2);
    }
    let base = args[1].trim_end_matches('/').to_string();
    let conns: u64 = args[2].parse().expect("CONNECTIONS");
    let secs: u64 = args[3].parse().expect("SECONDS");
    let mut ctx = Ctx {
        base,
        http: client(256),
        fresh: client(0),
        counts: Counts::default(),
        seq: AtomicU64::new(0),
        admin_path: None,
        admin_cookie: None,
    };
    // The admin list, when this build has one and ADMIN_EMAIL is an admin.
    // (The probe is not counted: a branch without the admin area answers 404.)
    if let Some(admin) = args.get(4)
        && let Some(c) = ctx.sign_in(admin).await
    {
        let probe = ctx
            .http
            .get(format!("{}/admin/users", ctx.base))
            .header("cookie", &c)
            .send()
            .await;
        if probe.is_ok_and(|r| r.status().as_u16() == 200) {
            ctx.admin_path = Some("/admin/users".into());
            ctx.admin_cookie = Some(c);
        }
    }
    println!("admin_list={}", ctx.admin_path.is_some());
    let ctx = Arc::new(ctx);
    let until = Instant::now() + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..conns)
        .map(|id| tokio::spawn(worker(ctx.clone(), id, until)))
        .collect();
    let mut last = ctx.counts.snapshot();
    let started = Instant::now();
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let s = ctx.counts.snapshot();
        println!(
            "tick t={} ms={} ok={} http4xx={} http5xx={} refused={} broken={}",
            started.elapsed().as_secs(),
            now_ms(),
            s[0] - last[0],
            s[1] - last[1],
            s[2] - last[2],
            s[3] - last[3],
            s[4] - last[4]
        );
        last = s;
    }
    for t in tasks {
        let _ = t.await;
    }
    let s = ctx.counts.snapshot();
    let total: u64 = s[..5].iter().sum();
    println!(
        "total requests={total} ok={} http4xx={} http5xx={} refused={} broken={} max_latency_ms={} rps={:.0} signins={} retried={}",
        s[0],
        s[1],
        s[2],
        s[3],
        s[4],
        s[5],
        total as f64 / started.elapsed().as_secs_f64(),
        ctx.seq.load(Ordering::Relaxed),
        ctx.counts.retried.load(Ordering::Relaxed)
    );
}
