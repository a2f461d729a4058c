//! The profile APIs of the providers without ID tokens, as they answer: Naver's `/v1/nid/me`
//! (`{"resultcode","message","response":{…}}`) and GitHub's `/user` and `/user/emails` (the
//! consented address is the primary one, verified as the consent form said).

use super::DevProvider;
use super::person::Person;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

/// The person the request's Bearer token was issued for.
fn holder(req: &HttpRequest, p: &DevProvider) -> Option<Person> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))?;
    p.token_holder(token)
}

/// `GET /v1/nid/me`: Naver's profile; `024` (authentication failed) for a bad token, or when
/// the `profile_error` fault is on.
pub(super) async fn naver_me(req: HttpRequest, p: web::Data<DevProvider>) -> HttpResponse {
    let person = holder(&req, &p).filter(|_| !p.faults().profile_error());
    let Some(person) = person else {
        return HttpResponse::Unauthorized().json(json!({
            "resultcode": "024",
            "message": "Authentication failed / 인증에 실패했습니다.",
        }));
    };
    HttpResponse::Ok().json(json!({
        "resultcode": "00",
        "message": "success",
        "response": {
            "id": person.sub,
            "email": person.email,
            "name": person.name,
            "nickname": person.given_name(),
            "profile_image": person.picture(&p.settings.issuer),
        },
    }))
}

fn bad_credentials() -> HttpResponse {
    HttpResponse::Unauthorized().json(json!({
        "message": "Bad credentials",
        "documentation_url": "https://docs.github.com/rest",
        "status": "401",
    }))
}

/// GitHub's numeric user id for a person (the subject's digits).
fn github_id(person: &Person) -> u64 {
    person
        .sub
        .chars()
        .rev()
        .take(15)
        .collect::<String>()
        .parse()
        .unwrap_or(1)
}

/// `GET /user`: the account; `email` is the public address, which may be null.
pub(super) async fn github_user(req: HttpRequest, p: web::Data<DevProvider>) -> HttpResponse {
    let Some(person) = holder(&req, &p).filter(|_| !p.faults().profile_error()) else {
        return bad_credentials();
    };
    let login: String = person
        .email
        .split('@')
        .next()
        .unwrap_or("someone")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    HttpResponse::Ok().json(json!({
        "login": login,
        "id": github_id(&person),
        "avatar_url": person.picture(&p.settings.issuer),
        "name": person.name,
        "email": serde_json::Value::Null,
    }))
}

/// `GET /user/emails`: the consented address as the primary (verified as consented), and a
/// verified secondary one that must never count.
pub(super) async fn github_emails(req: HttpRequest, p: web::Data<DevProvider>) -> HttpResponse {
    let Some(person) = holder(&req, &p) else {
        return bad_credentials();
    };
    HttpResponse::Ok().json(json!([
        {
            "email": format!("secondary+{}", person.email),
            "primary": false,
            "verified": true,
            "visibility": null,
        },
        {
            "email": person.email,
            "primary": true,
            "verified": person.email_verified,
            "visibility": "private",
        },
    ]))
}
