//! `GET /avatar/{sub}.svg`: a generated picture, so that dev-mode profiles have one on the
//! app's own origin.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use sha2::{Digest, Sha256};

pub(super) async fn avatar(path: web::Path<String>) -> HttpResponse {
    let sub = path.trim_end_matches(".svg");
    let hue = hue(sub);
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" fill="hsl({hue},55%,45%)"/><circle cx="32" cy="25" r="11" fill="#fff" opacity=".9"/><path d="M12 58c2-11 10-17 20-17s18 6 20 17" fill="#fff" opacity=".9"/></svg>"##
    );
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(svg)
}

/// The picture's hue, 0..360, from the subject's hash. Widened before the multiplication: a
/// first byte of 183 or more times 360 does not fit in a `u16`.
fn hue(sub: &str) -> u32 {
    u32::from(Sha256::digest(sub.as_bytes())[0]) * 360 / 256
}

#[cfg(test)]
mod tests {
    use super::hue;

    #[test]
    fn every_subject_gets_a_hue_below_360() {
        // This subject's hash starts with a byte above 182: it overflowed a u16 and panicked.
        assert!(hue("106858385147992725136") < 360);
        let hues: std::collections::HashSet<u32> = (0..2000).map(|i| hue(&i.to_string())).collect();
        assert!(hues.iter().all(|h| *h < 360));
        assert!(hues.iter().any(|h| *h > 257), "the upper range is reached");
    }
}
