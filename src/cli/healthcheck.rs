//! `signin healthcheck [URL]`: one GET of `/readyz` (by default on the configured `BIND_ADDR`),
//! so that a container or a supervisor can check the service without curl in the image.
//! Healthy is a 200 within the timeout; anything else is one line saying why.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use url::Url;

/// Long enough for a loaded instance to answer `/readyz` (one pooled `SELECT 1`), short enough
/// that a hung one is reported before Docker's own timeout (3 s in the Dockerfile) kills the check.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// Why the service is not healthy, in one line. URLs are shown without a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unhealthy {
    #[error("BIND_ADDR `{0}` is not an IP address and port, like 127.0.0.1:8000")]
    BadBindAddr(String),
    #[error("`{0}` is not an http:// or https:// URL")]
    BadUrl(String),
    #[error("cannot make the HTTP client: {0}")]
    Client(String),
    /// The URL (its password hidden) did not answer 200.
    #[error("{url}{why}")]
    NotOk { url: String, why: NotOk },
}

/// How a health URL failed, said after the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotOk {
    #[error(": no answer within {0} ms")]
    Timeout(u128),
    #[error(": cannot connect: {0}")]
    Unreachable(String),
    #[error(" answered {0}, not 200")]
    Status(u16),
}

/// `http://<BIND_ADDR>/readyz`; an unspecified address (`0.0.0.0`, `::`) is asked on loopback
/// of the same family, where a service listening on every address also answers.
pub fn default_url(bind_addr: &str) -> Result<Url, Unhealthy> {
    let mut addr: SocketAddr = bind_addr
        .trim()
        .parse()
        .map_err(|_| Unhealthy::BadBindAddr(bind_addr.to_string()))?;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    Url::parse(&format!("http://{addr}{}", crate::paths::READYZ))
        .map_err(|_| Unhealthy::BadBindAddr(bind_addr.to_string()))
}

/// A URL given on the command line: http or https only.
pub fn parse_url(raw: &str) -> Result<Url, Unhealthy> {
    match Url::parse(raw.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(u),
        _ => Err(Unhealthy::BadUrl(shown(raw))),
    }
}

/// One GET, redirects not followed: `Ok(())` on 200.
pub async fn check(url: &Url, timeout: Duration) -> Result<(), Unhealthy> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Unhealthy::Client(innermost(&e)))?;
    let why = match client.get(url.clone()).send().await {
        Ok(r) if r.status().as_u16() == 200 => return Ok(()),
        Ok(r) => NotOk::Status(r.status().as_u16()),
        Err(e) if e.is_timeout() => NotOk::Timeout(timeout.as_millis()),
        Err(e) => NotOk::Unreachable(innermost(&e)),
    };
    Err(Unhealthy::NotOk {
        url: shown(url.as_str()),
        why,
    })
}

/// The URL without its password (a health URL should carry none, but it is typed by people).
fn shown(raw: &str) -> String {
    match Url::parse(raw.trim()) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("redacted"));
            }
            u.to_string()
        }
        Err(_) => raw.chars().take(100).collect(),
    }
}

/// The root cause's message ("Connection refused (os error 111)"), which is what a person
/// needs; reqwest's outer messages repeat the URL.
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_url_asks_loopback_for_an_unspecified_address() {
        let u = |a| default_url(a).map(|u| u.to_string());
        assert_eq!(u("0.0.0.0:8000"), Ok("http://127.0.0.1:8000/readyz".into()));
        assert_eq!(u("[::]:9000"), Ok("http://[::1]:9000/readyz".into()));
        assert_eq!(u("10.1.2.3:80"), Ok("http://10.1.2.3/readyz".into()));
        assert_eq!(
            u(" 127.0.0.1:8000 "),
            Ok("http://127.0.0.1:8000/readyz".into())
        );
        assert_eq!(
            u("localhost:8000"),
            Err(Unhealthy::BadBindAddr("localhost:8000".into()))
        );
    }

    #[test]
    fn only_http_urls_are_checked_and_passwords_are_not_shown() {
        assert!(parse_url("https://signin.example/readyz").is_ok());
        assert!(parse_url("ftp://signin.example/").is_err());
        assert!(parse_url("/readyz").is_err());
        let e = parse_url("gopher://u:hunter2@x/").unwrap_err().to_string();
        assert!(!e.contains("hunter2"), "{e}");
        assert!(!shown("http://u:hunter2@x/readyz").contains("hunter2"));
    }
}
