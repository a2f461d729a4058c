//! `POST /token`: authenticates the client (Basic or form), redeems the single-use code with its
//! redirect URI and PKCE verifier, and answers with an access token and an RS256 ID token.

use super::keys::KeyError;
use super::person::Person;
use super::{ACCESS_TOKEN_TTL, CODE_TTL, DevProvider, Grant, Shape};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    state: Option<String>,
}

/// Why a token request is refused; the message is the `error_description`.
#[derive(Debug, thiserror::Error)]
enum TokenError {
    #[error("malformed form")]
    MalformedForm,
    #[error("client authentication failed")]
    Client,
    #[error("only authorization_code")]
    GrantType,
    #[error("unknown or used code")]
    UnknownCode,
    #[error("code expired")]
    CodeExpired,
    #[error("redirect_uri mismatch")]
    RedirectUri,
    #[error("PKCE verification failed")]
    Pkce,
    #[error("the ID token could not be signed")]
    Signing(KeyError),
}

impl TokenError {
    fn response(&self) -> HttpResponse {
        let (status, code) = match self {
            Self::MalformedForm => (StatusCode::BAD_REQUEST, "invalid_request"),
            Self::Client => (StatusCode::UNAUTHORIZED, "invalid_client"),
            Self::GrantType => (StatusCode::BAD_REQUEST, "unsupported_grant_type"),
            Self::UnknownCode | Self::CodeExpired | Self::RedirectUri | Self::Pkce => {
                (StatusCode::BAD_REQUEST, "invalid_grant")
            }
            Self::Signing(e) => {
                tracing::error!(error = %e, "dev provider: signing the ID token failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "server_error")
            }
        };
        oauth_error(status, code, &self.to_string())
    }
}

/// An OAuth error answer (RFC 6749 §5.2).
pub(super) fn oauth_error(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "error": error, "error_description": description }))
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let v = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = String::from_utf8(STANDARD.decode(b64.trim()).ok()?).ok()?;
    let (id, secret) = raw.split_once(':')?;
    let dec = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((dec(id), dec(secret)))
}

/// `POST /token`.
pub(super) async fn token(
    req: HttpRequest,
    p: web::Data<DevProvider>,
    body: web::Bytes,
) -> HttpResponse {
    let f = p.faults();
    if let Some(answer) = f.token_answer().await {
        return answer;
    }
    let grant = match redeem(&req, &p, &body) {
        Ok(g) => g,
        Err(e) => return e.response(),
    };

    let person = grant.person;
    if p.settings.shape != Shape::OpenId {
        return oauth_only_answer(&p, person);
    }
    let now = unix_now();
    let mut obj = person.profile_claims(&p.settings.issuer);
    for (k, v) in [
        ("iss", json!(p.settings.issuer)),
        ("aud", json!(p.settings.client_id)),
        ("azp", json!(p.settings.client_id)),
        ("iat", json!(now)),
        ("exp", json!(now + 3600)),
        ("auth_time", json!(now)),
    ] {
        obj.insert(k.into(), v);
    }
    if let Some(hd) = &person.hd {
        obj.insert("hd".into(), json!(hd));
    }
    if let Some(n) = &grant.nonce {
        obj.insert("nonce".into(), json!(n));
    }
    f.tamper_id_token(&mut obj, now);
    let claims = serde_json::Value::Object(obj);
    let signed = match f.forged_id_token(&p.keys, &claims) {
        Some(forged) => forged,
        None => p.keys.primary.sign(&claims, &p.keys.primary.kid),
    };
    let id_token = match signed {
        Ok(t) => t,
        Err(e) => return TokenError::Signing(e).response(),
    };
    let access_token = p.issue_access_token(person);
    let mut answer = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_TTL.as_secs(),
        "scope": "openid email profile",
    });
    if !f.drops_id_token()
        && let Some(o) = answer.as_object_mut()
    {
        o.insert("id_token".into(), json!(id_token));
    }
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(answer)
}

/// Authenticates the client and redeems the code: the grant it stood for.
fn redeem(req: &HttpRequest, p: &DevProvider, body: &[u8]) -> Result<Grant, TokenError> {
    let form =
        serde_urlencoded::from_bytes::<TokenForm>(body).map_err(|_| TokenError::MalformedForm)?;
    let (client_id, secret) = match basic_credentials(req) {
        Some(c) => c,
        None => (
            form.client_id.clone().unwrap_or_default(),
            form.client_secret.clone().unwrap_or_default(),
        ),
    };
    let id_ok = client_id == p.settings.client_id;
    let secret_ok: bool =
        subtle::ConstantTimeEq::ct_eq(secret.as_bytes(), p.settings.client_secret.as_bytes())
            .into();
    if !(id_ok && secret_ok) {
        return Err(TokenError::Client);
    }
    if form.grant_type.as_deref() != Some("authorization_code") {
        return Err(TokenError::GrantType);
    }
    let code = form.code.unwrap_or_default();
    let grant = p.redeem_code(&code).ok_or(TokenError::UnknownCode)?;
    if grant.created.elapsed() > CODE_TTL {
        return Err(TokenError::CodeExpired);
    }
    if grant.client_id != client_id
        || form.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str())
    {
        return Err(TokenError::RedirectUri);
    }
    if p.settings.shape == Shape::Naver {
        // Naver: no PKCE; the state of the authorization request instead.
        return match form.state.as_deref() {
            Some(s) if !s.is_empty() && s == grant.state => Ok(grant),
            _ => Err(TokenError::Pkce),
        };
    }
    let verifier = form.code_verifier.unwrap_or_default();
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if grant.code_challenge.is_empty() || verifier.len() < 43 || computed != grant.code_challenge {
        return Err(TokenError::Pkce);
    }
    Ok(grant)
}

/// The token answer of a provider without ID tokens: Naver's (with a refresh token and
/// `expires_in` as text) or GitHub's (with the granted scopes).
fn oauth_only_answer(p: &DevProvider, person: Person) -> HttpResponse {
    let access_token = p.issue_access_token(person);
    let answer = match p.settings.shape {
        Shape::Naver => json!({
            "access_token": access_token,
            "refresh_token": crate::domain::random_token(16),
            "token_type": "bearer",
            "expires_in": ACCESS_TOKEN_TTL.as_secs().to_string(),
        }),
        _ => json!({
            "access_token": access_token,
            "token_type": "bearer",
            "scope": "read:user,user:email",
        }),
    };
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(answer)
}
