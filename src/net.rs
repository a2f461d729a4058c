//! Who is asking: the client IP (believing `X-Forwarded-For` only from `TRUSTED_PROXIES`), the
//! scheme, and the user agent, as recorded in sessions, logs and the audit log.

use actix_web::HttpRequest;
use std::net::IpAddr;

/// Trusted proxy addresses, kept in app data.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<IpAddr>);

pub use crate::domain::ClientInfo;

impl ClientInfo {
    pub fn of(req: &HttpRequest) -> Self {
        let trusted = req
            .app_data::<actix_web::web::Data<TrustedProxies>>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        Self {
            ip: client_ip(req, &trusted).map(|ip| ip.to_string()),
            user_agent: req
                .headers()
                .get(actix_web::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(256).collect()),
        }
    }
}

/// The group a client is counted under (rate limits, refused sign-ins): an IPv4 address as it
/// is, an IPv6 address by its /64 (one customer's allocation: 2^64 addresses must not be 2^64
/// clients), an IPv4-mapped IPv6 address as the IPv4 one.
pub fn client_group(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut s = v6.segments();
                s[4..].fill(0);
                IpAddr::V6(s.into())
            }
        },
    }
}

/// The peer address, or — only when the peer is a trusted proxy — the right-most address in
/// `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(req: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip())?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let mut chosen = peer;
    for hop in forwarded.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => chosen = ip,
            Ok(ip) => return Some(ip),
            Err(_) => return Some(chosen),
        }
    }
    Some(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn req(peer: &str, xff: Option<&str>) -> HttpRequest {
        let mut r = TestRequest::default().peer_addr(format!("{peer}:5000").parse().unwrap());
        if let Some(x) = xff {
            r = r.insert_header(("X-Forwarded-For", x));
        }
        r.to_http_request()
    }

    #[test]
    fn forged_header_from_untrusted_peer_is_ignored() {
        let ip = client_ip(&req("203.0.113.9", Some("1.2.3.4")), &[]).unwrap();
        assert_eq!(ip.to_string(), "203.0.113.9");
    }

    #[test]
    fn trusted_proxy_forwarding_is_believed() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let ip = client_ip(&req("10.0.0.1", Some("6.6.6.6, 198.51.100.7")), &[proxy]).unwrap();
        assert_eq!(ip.to_string(), "198.51.100.7");
    }
}
