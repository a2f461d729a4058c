//! `GET /userinfo`: the profile of the person an access token was issued for.

use super::DevProvider;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

pub(super) async fn userinfo(req: HttpRequest, p: web::Data<DevProvider>) -> HttpResponse {
    let f = p.faults();
    if f.userinfo_down() {
        return HttpResponse::ServiceUnavailable().finish();
    }
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let Some(person) = p.token_holder(token) else {
        return HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\""))
            .finish();
    };
    let mut info = person.profile_claims(&p.settings.issuer);
    info.insert("hd".into(), json!(person.hd));
    f.tamper_userinfo(&mut info);
    HttpResponse::Ok().json(info)
}
