//! Response headers on every answer: CSP without inline script, nosniff, referrer policy,
//! permissions policy, HSTS on https, and `no-store` on everything but static assets.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

/// Computed once at start-up.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    pub csp: HeaderValue,
    pub hsts: bool,
}

impl SecurityHeaders {
    /// `provider_origins` are the authorize endpoints' origins (forms post there in dev mode
    /// only, but `form-action` also governs where a form's redirect may lead).
    pub fn new(provider_origins: &[String], https: bool) -> Self {
        let mut origins: Vec<&str> = provider_origins.iter().map(String::as_str).collect();
        origins.sort_unstable();
        origins.dedup();
        let provider_origins = origins.join(" ");
        let csp = format!(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https://lh3.googleusercontent.com; \
             font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
             form-action 'self' {provider_origins}"
        );
        Self {
            csp: HeaderValue::from_str(&csp)
                .unwrap_or(HeaderValue::from_static("default-src 'self'")),
            hsts: https,
        }
    }
}

pub async fn add_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let cfg = req.app_data::<web::Data<SecurityHeaders>>().cloned();
    let path = req.path();
    let on_callback = path.starts_with(crate::paths::AUTH) && path.ends_with("/callback");
    let is_static = path.starts_with("/static/");
    let request_id = req
        .extensions()
        .get::<crate::telemetry::RequestId>()
        .and_then(|id| HeaderValue::from_str(&id.0).ok());
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    if let Some(id) = request_id {
        // The same id as in the logs and on error pages, for support requests.
        h.insert(HeaderName::from_static("x-request-id"), id);
    }
    if let Some(cfg) = cfg {
        h.insert(header::CONTENT_SECURITY_POLICY, cfg.csp.clone());
        if cfg.hsts {
            h.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=63072000; includeSubDomains"),
            );
        }
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let referrer = if on_callback {
        // The code must never leak through a Referer header.
        "no-referrer"
    } else {
        "strict-origin-when-cross-origin"
    };
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static(referrer));
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
        ),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if !is_static {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}
