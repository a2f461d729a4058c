//! Per-client rate limits on `/auth/*`, `/logout`, `/api/*`, `/readyz` and every request with a
//! state-changing method (so routes added later are covered too: `/tokens`, admin actions,
//! account actions): a GCRA limiter (`governor`) keyed on the client as `net::client_ip` decides
//! it (forwarding headers only from `TRUSTED_PROXIES`), an IPv4 address whole and an IPv6 one by
//! its /64 (one customer's allocation, 2^64 addresses that must not be 2^64 quotas), answering 429
//! with `Retry-After` through `AppError::TooManyRequests`.
//!
//! `governor` is used directly rather than through `actix-governor`: the latter is GPL-3.0, and
//! the middleware it would give us is a dozen lines. Counters are per instance (an
//! optimisation, never the truth: docs/ARCHITECTURE.md, "Scale-out").

use crate::config::RateLimit;
use crate::error::AppError;
use crate::net::{TrustedProxies, client_group, client_ip};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

/// Forget idle clients every this many checks, so the table stays small under address churn.
const SWEEP_EVERY: u64 = 4096;

pub struct RateLimits {
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    checks: AtomicU64,
}

crate::debug_shows!(RateLimits, |s| { enabled: s.limiter.is_some() });

impl RateLimits {
    /// `per_minute == 0` disables the limit.
    pub fn new(cfg: &RateLimit) -> Self {
        let limiter = NonZeroU32::new(cfg.per_minute).map(|rate| {
            let burst = NonZeroU32::new(cfg.burst).unwrap_or(NonZeroU32::MIN);
            RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst))
        });
        Self {
            limiter,
            checks: AtomicU64::new(0),
        }
    }

    /// `Err(seconds to wait)` when `ip`'s group (`client_group`) is over its quota.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        let ip = client_group(ip);
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        limiter.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(limiter.clock().now());
            // Round up: "Retry-After: 0" would invite an immediate retry that fails again.
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

/// The requests the limit applies to: every state-changing method, and reads of the sign-in,
/// the API and `/readyz` (a database query); other pages, `/healthz` and static files are free.
pub fn is_limited(method: &Method, path: &str) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        || path.starts_with("/auth/")
        || path == "/logout"
        || path == "/api"
        || path.starts_with("/api/")
        || path == "/readyz"
}

/// Middleware for the session scope: refuses over-quota clients before any cookie is decoded.
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, actix_web::Error> {
    if is_limited(req.method(), req.path())
        && let Some(limits) = req.app_data::<web::Data<RateLimits>>()
    {
        let trusted = req
            .app_data::<web::Data<TrustedProxies>>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        if let Some(ip) = client_ip(req.request(), &trusted)
            && let Err(retry_after_secs) = limits.check(ip)
        {
            tracing::info!(%ip, retry_after_secs, "rate limited");
            let res = req.error_response(AppError::TooManyRequests { retry_after_secs });
            return Ok(res.map_into_right_body());
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_sign_in_api_readyz_and_every_post() {
        for p in [
            "/auth/google/login",
            "/auth/google/callback",
            "/logout",
            "/api/me",
            "/api",
            "/readyz",
        ] {
            assert!(is_limited(&Method::GET, p), "{p}");
        }
        for p in [
            "/",
            "/login",
            "/healthz",
            "/static/app.css",
            "/apiary",
            "/logout2",
        ] {
            assert!(!is_limited(&Method::GET, p), "{p}");
            assert!(is_limited(&Method::POST, p), "POST {p}");
        }
        assert!(is_limited(&Method::DELETE, "/anything"));
    }

    #[test]
    fn ipv6_is_grouped_by_64() {
        assert_eq!(
            client_group(ip("2001:db8:1:2:aaaa::1")),
            client_group(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            client_group(ip("2001:db8:1:2::1")),
            client_group(ip("2001:db8:1:3::1"))
        );
        assert_eq!(client_group(ip("192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(client_group(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
    }

    fn limits(per_minute: u32, burst: u32) -> RateLimits {
        RateLimits::new(&RateLimit { per_minute, burst })
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn burst_then_refusal_with_a_wait_per_ip() {
        let l = limits(60, 2);
        let (a, b) = (ip("192.0.2.1"), ip("192.0.2.2"));
        assert!(l.check(a).is_ok());
        assert!(l.check(a).is_ok());
        let wait = l.check(a).unwrap_err();
        assert!((1..=1).contains(&wait), "{wait}");
        assert!(l.check(b).is_ok(), "another client is not affected");
    }

    #[test]
    fn zero_disables() {
        let l = limits(0, 1);
        let a = ip("192.0.2.1");
        assert!((0..1000).all(|_| l.check(a).is_ok()));
    }
}
