//! What the provider publishes about itself: the discovery document and the JWKS.

use super::DevProvider;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde_json::json;

/// `GET /.well-known/openid-configuration`.
pub(super) async fn discovery(p: web::Data<DevProvider>) -> HttpResponse {
    p.discovery_requests
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let i = &p.settings.issuer;
    let named = if p.faults().discovery_names_another_issuer() {
        "https://impostor.example.com".to_string()
    } else {
        i.clone()
    };
    HttpResponse::Ok().json(json!({
        "issuer": named,
        "authorization_endpoint": format!("{i}/authorize"),
        "token_endpoint": format!("{i}/token"),
        "userinfo_endpoint": format!("{i}/userinfo"),
        "jwks_uri": format!("{i}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "email", "email_verified", "name", "given_name", "family_name", "picture", "hd", "nonce"],
    }))
}

/// `GET /jwks`: the primary key (and the second one when a fault publishes it).
pub(super) async fn jwks(p: web::Data<DevProvider>) -> HttpResponse {
    p.jwks_requests
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let f = p.faults();
    if f.jwks_down() {
        return HttpResponse::ServiceUnavailable().finish();
    }
    let mut keys = vec![p.keys.primary.jwk.clone()];
    if let Some(second) = f.published_second_key(&p.keys) {
        keys.push(second.jwk.clone());
    }
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .json(json!({ "keys": keys }))
}
