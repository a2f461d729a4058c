//! `GET /avatar/{sub}.svg`: a generated picture, so that dev-mode profiles have one on the
//! app's own origin.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use sha2::{Digest, Sha256};

pub(super) async fn avatar(path: web::Path<String>) -> HttpResponse {
    let sub = path.trim_end_matches(".svg");
    let digest = Sha256::digest(sub.as_bytes());
    let hue = u16::from(digest[0]) * 360 / 256;
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" fill="hsl({hue},55%,45%)"/><circle cx="32" cy="25" r="11" fill="#fff" opacity=".9"/><path d="M12 58c2-11 10-17 20-17s18 6 20 17" fill="#fff" opacity=".9"/></svg>"##
    );
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(svg)
}
