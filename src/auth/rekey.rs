//! Key rotation for cookies: actix-session opens its cookie with one key, so a cookie made
//! under a key in `SECRET_KEY_PREVIOUS` is re-encrypted here under the current key before the
//! session middleware reads it, and the request is marked `Rekeyed` so that the answer sets it
//! under the current key. Without previous keys this costs one lookup per request.

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, CookieJar, Key};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{COOKIE, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

/// The cookie keys: the current one and those being rotated out.
pub struct CookieKeys {
    pub session_cookie: String,
    pub current: Key,
    pub previous: Vec<Key>,
    /// Whether `APP_BASE_URL` is https (the flow cookie's name, path and `Secure`).
    pub https: bool,
}

impl CookieKeys {
    /// The value of private cookie `name` opened with the current key or, failing that, a
    /// previous one; the flag says whether an old key opened it.
    pub fn open(&self, name: &str, raw: &Cookie<'static>) -> Option<(String, bool)> {
        let mut jar = CookieJar::new();
        jar.add_original(raw.clone());
        if let Some(c) = jar.private(&self.current).get(name) {
            return Some((c.value().to_string(), false));
        }
        self.previous
            .iter()
            .find_map(|k| jar.private(k).get(name))
            .map(|c| (c.value().to_string(), true))
    }

    /// `value` sealed under the current key, as cookie `name`'s encrypted value.
    pub fn seal(&self, name: &str, value: &str) -> Option<String> {
        let mut jar = CookieJar::new();
        jar.private_mut(&self.current)
            .add(Cookie::new(name.to_string(), value.to_string()));
        jar.get(name).map(|c| c.value().to_string())
    }
}

/// A request whose session cookie was made under a previous key.
#[derive(Debug, Clone, Copy)]
pub struct Rekeyed;

pub async fn rekey_cookies(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let keys = req.app_data::<web::Data<CookieKeys>>().cloned();
    if let Some(keys) = keys.filter(|k| !k.previous.is_empty())
        && let Some(header) = rekeyed_header(&req, &keys)
    {
        // The parsed cookies are cached on first read: nobody has read them yet.
        req.headers_mut().remove(COOKIE);
        req.headers_mut().insert(COOKIE, header);
        req.extensions_mut().insert(Rekeyed);
    }
    next.call(req).await
}

/// The request's `Cookie` header with the session cookie re-sealed under the current key, when
/// only a previous key opens it.
fn rekeyed_header(req: &ServiceRequest, keys: &CookieKeys) -> Option<HeaderValue> {
    let mut pairs = Vec::new();
    let mut changed = false;
    for value in req.headers().get_all(COOKIE) {
        for pair in value.to_str().ok()?.split(';').map(str::trim) {
            if pair.is_empty() {
                continue;
            }
            // As actix-web reads and writes them: values percent-encoded.
            let ours = Cookie::parse_encoded(pair.to_string())
                .ok()
                .filter(|c| c.name() == keys.session_cookie);
            match ours.and_then(|c| keys.open(&keys.session_cookie, &c)) {
                Some((plain, true)) => {
                    let sealed = keys.seal(&keys.session_cookie, &plain)?;
                    let c = Cookie::new(keys.session_cookie.as_str(), sealed);
                    pairs.push(c.encoded().to_string());
                    changed = true;
                }
                _ => pairs.push(pair.to_string()),
            }
        }
    }
    changed
        .then(|| HeaderValue::from_str(&pairs.join("; ")).ok())
        .flatten()
}
