//! The benchmark's own client (`bench/run.sh`), for what wrk cannot do:
//! - `credentials BASE`: signs in once through the real flow (auto-approving dev provider) and
//!   prints `COOKIE=…` and `TOKEN=…` (a session cookie and an API token) for the wrk runs;
//! - `signins BASE CONCURRENCY SECONDS`: complete sign-ins per second, each one a new user:
//!   `/auth/google/login?login_hint=…` → provider authorize (auto-approve) → callback → 303;
//! - `ready URL -- CMD ARGS…`: starts CMD and prints the milliseconds until URL answers 200,
//!   then leaves the process running and prints its pid.

use std::time::{Duration, Instant};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(4)
        .build()
        .expect("HTTP client")
}

fn location(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get(reqwest::header::LOCATION)?
        .to_str()
        .ok()
        .map(str::to_string)
}

/// The `name=value` part of the cookie called `name` (or `__Host-name`) that a response sets.
fn cookie_named(r: &reqwest::Response, name: &str) -> Option<String> {
    let plain = format!("{name}=");
    let host = format!("__Host-{name}=");
    r.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&plain) || v.starts_with(&host))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

/// The signed-in session cookie a response sets.
fn session_cookie(r: &reqwest::Response) -> Option<String> {
    cookie_named(r, "session")
}

fn absolute(base: &str, loc: &str) -> String {
    if loc.starts_with("http") {
        loc.to_string()
    } else {
        format!("{base}{loc}")
    }
}

/// One complete sign-in as `email`; returns the signed-in session cookie.
async fn sign_in(c: &reqwest::Client, base: &str, email: &str) -> Result<String, String> {
    let r = c
        .get(format!("{base}/auth/google/login?login_hint={email}"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if r.status().as_u16() != 302 {
        return Err(format!("login: {}", r.status()));
    }
    let cookie = cookie_named(&r, "signin-flow").ok_or("login set no sign-in flow cookie")?;
    let authorize = location(&r).ok_or("login: no Location")?;
    let r = c
        .get(absolute(base, &authorize))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if r.status().as_u16() != 302 {
        return Err(format!(
            "authorize: {} (is --dev-auto-approve on?)",
            r.status()
        ));
    }
    let callback = location(&r).ok_or("authorize: no Location")?;
    let r = c
        .get(absolute(base, &callback))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if r.status().as_u16() != 303 {
        return Err(format!("callback: {}", r.status()));
    }
    session_cookie(&r).ok_or_else(|| "callback set no cookie".to_string())
}

fn input_value(html: &str, marker: &str) -> Option<String> {
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find(['"', '<'])?;
    Some(html[start..start + end].trim().to_string())
}

async fn credentials(base: &str) -> Result<(), String> {
    let c = client();
    let email = format!("bench-{}@bench.example", std::process::id());
    let cookie = sign_in(&c, base, &email).await?;
    let home = c
        .get(format!("{base}/"))
        .header(reqwest::header::COOKIE, &cookie)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    let csrf = input_value(&home, "name=\"csrf\" value=\"").ok_or("no CSRF field on home")?;
    let page = c
        .post(format!("{base}/tokens"))
        .header(reqwest::header::COOKIE, &cookie)
        .form(&[("csrf", csrf.as_str()), ("name", "bench")])
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    let token = input_value(&page, "spellcheck=\"false\">").ok_or("no token on the token page")?;
    println!("COOKIE={cookie}");
    println!("TOKEN={token}");
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn signins(base: &str, concurrency: usize, seconds: u64) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let run = std::process::id();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let base = base.to_string();
        tasks.push(tokio::spawn(async move {
            let c = client();
            let mut times = Vec::new();
            let mut errors = 0u64;
            let mut first_error = None;
            let mut n = 0u64;
            while Instant::now() < deadline {
                n += 1;
                let email = format!("u{run}-{t}-{n}@bench.example");
                let t0 = Instant::now();
                match sign_in(&c, &base, &email).await {
                    Ok(_) => times.push(t0.elapsed()),
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(e);
                    }
                }
            }
            (times, errors, first_error)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for t in tasks {
        let (times, e, fe) = t.await.map_err(|e| e.to_string())?;
        all.extend(times);
        errors += e;
        if first_error.is_none() {
            first_error = fe;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    println!(
        "signins={} errors={} per_sec={:.1} p50_ms={:.2} p99_ms={:.2}",
        all.len(),
        errors,
        all.len() as f64 / elapsed,
        percentile(&all, 0.50),
        percentile(&all, 0.99)
    );
    if let Some(e) = first_error {
        eprintln!("first error: {e}");
    }
    Ok(())
}

async fn ready(url: &str, cmd: &[String]) -> Result<(), String> {
    let (prog, args) = cmd.split_first().ok_or("no command")?;
    let c = client();
    let t0 = Instant::now();
    let child = std::process::Command::new(prog)
        .args(args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("{prog}: {e}"))?;
    loop {
        if let Ok(r) = c.get(url).send().await
            && r.status().as_u16() == 200
        {
            break;
        }
        if t0.elapsed() > Duration::from_secs(30) {
            return Err("not ready after 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    println!("ready_ms={:.1}", t0.elapsed().as_secs_f64() * 1000.0);
    println!("pid={}", child.id());
    Ok(())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: bench_client credentials BASE | signins BASE CONCURRENCY SECONDS | ready URL -- CMD…";
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["credentials", base] => credentials(base).await,
        ["signins", base, c, s] => {
            signins(base, c.parse().expect(usage), s.parse().expect(usage)).await
        }
        ["ready", url, "--", ..] => ready(url, &args[3..]).await,
        _ => Err(usage.to_string()),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
