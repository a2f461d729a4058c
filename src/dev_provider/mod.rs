//! The built-in development OpenID provider: behaves like Google (authorize page, token endpoint
//! with client secret + PKCE + single-use one-minute codes, RS256 ID tokens with the nonce,
//! userinfo, JWKS, discovery). `serve --dev` mounts it on the app's own origin; the tests run it
//! on its own port with `Faults` switched on to misbehave. The app reaches it only over HTTP.

mod keys;

pub use keys::{DevKeys, SigningKey, write_private as write_private_file};

use crate::domain::random_token;
use crate::web::{Chrome, SiteInfo};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long an authorization code lives (Google: about a minute).
const CODE_TTL: Duration = Duration::from_secs(60);
const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(3600);
const MAX_PENDING: usize = 50_000;

/// Ways to misbehave, chosen by the tests (all off by default).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    pub wrong_nonce: bool,
    pub wrong_audience: bool,
    pub wrong_issuer: bool,
    /// Signed with a key that is not published, under the published key's `kid`.
    pub bad_signature: bool,
    /// Signed with the second key; it is in the JWKS only with `publish_second_key`.
    pub sign_with_second_key: bool,
    pub publish_second_key: bool,
    pub alg_none: bool,
    pub expired: bool,
    pub unverified_email: bool,
    pub token_delay: Option<Duration>,
    pub token_status: Option<u16>,
    pub token_garbage: bool,
    pub token_missing_id_token: bool,
    pub token_oversized: bool,
    pub jwks_down: bool,
    pub userinfo_down: bool,
    pub userinfo_other_sub: bool,
}

/// A person as the provider knows them.
#[derive(Debug, Clone)]
pub struct Person {
    pub sub: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub hd: Option<String>,
    pub picture: Option<String>,
}

impl Person {
    /// The same email always gets the same subject, as at Google.
    pub fn from_email(email: &str, name: &str, verified: bool, picture_base: Option<&str>) -> Self {
        let email = email.trim().to_ascii_lowercase();
        let digest = Sha256::digest(email.as_bytes());
        let mut n = [0u8; 8];
        n.copy_from_slice(&digest[..8]);
        let sub = format!("1{:020}", u64::from_be_bytes(n));
        let name = if name.trim().is_empty() {
            email.split('@').next().unwrap_or("someone").to_string()
        } else {
            name.trim().to_string()
        };
        let mut parts = name.split_whitespace();
        let given_name = parts.next().map(str::to_string);
        let family_name = {
            let rest: Vec<&str> = parts.collect();
            (!rest.is_empty()).then(|| rest.join(" "))
        };
        let domain = email.rsplit_once('@').map(|(_, d)| d.to_string());
        let hd = domain.filter(|d| d != "gmail.com" && d != "googlemail.com");
        Self {
            picture: picture_base.map(|b| format!("{b}/avatar/{sub}.svg")),
            sub,
            email,
            email_verified: verified,
            name,
            given_name,
            family_name,
            hd,
        }
    }
}

struct Grant {
    client_id: String,
    redirect_uri: String,
    nonce: Option<String>,
    code_challenge: Option<String>,
    person: Person,
    created: Instant,
}

/// Settings fixed when the provider starts.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// The provider's issuer: the absolute URL it is mounted at, without a trailing slash.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Registered redirect URIs (more can be added while running, for several app instances).
    pub redirect_uris: Vec<String>,
    /// With `login_hint`, approve at once without showing the page (benchmarks).
    pub auto_approve: bool,
}

pub struct DevProvider {
    settings: ProviderSettings,
    extra_redirect_uris: Mutex<Vec<String>>,
    keys: Arc<DevKeys>,
    codes: Mutex<HashMap<String, Grant>>,
    tokens: Mutex<HashMap<String, (Person, Instant)>>,
    faults: Mutex<Faults>,
}

impl std::fmt::Debug for DevProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevProvider")
            .field("issuer", &self.settings.issuer)
            .finish_non_exhaustive()
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "error": error, "error_description": description }))
}

/// Sample people on the authorize page.
const SAMPLES: &[(&str, &str)] = &[
    ("Ada Lovelace", "ada@example.com"),
    ("Grace Hopper", "grace@example.com"),
    ("Alan Turing", "alan@example.org"),
];

impl DevProvider {
    pub fn new(settings: ProviderSettings, keys: Arc<DevKeys>) -> Self {
        Self {
            settings,
            extra_redirect_uris: Mutex::new(Vec::new()),
            keys,
            codes: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            faults: Mutex::new(Faults::default()),
        }
    }

    pub fn settings(&self) -> &ProviderSettings {
        &self.settings
    }

    /// Registers one more redirect URI (another app instance sharing this provider).
    pub fn add_redirect_uri(&self, uri: &str) {
        if let Ok(mut v) = self.extra_redirect_uris.lock()
            && !v.iter().any(|u| u == uri)
        {
            v.push(uri.to_string());
        }
    }

    fn redirect_uri_registered(&self, uri: &str) -> bool {
        self.settings.redirect_uris.iter().any(|u| u == uri)
            || self
                .extra_redirect_uris
                .lock()
                .is_ok_and(|v| v.iter().any(|u| u == uri))
    }

    pub fn set_faults(&self, f: Faults) {
        if let Ok(mut g) = self.faults.lock() {
            *g = f;
        }
    }

    pub fn faults(&self) -> Faults {
        self.faults.lock().map(|g| g.clone()).unwrap_or_default()
    }

    fn issue_code(&self, grant: Grant) -> String {
        let code = format!("dev-{}", random_token(32));
        if let Ok(mut codes) = self.codes.lock() {
            if codes.len() >= MAX_PENDING {
                codes.retain(|_, g| g.created.elapsed() < CODE_TTL);
            }
            codes.insert(code.clone(), grant);
        }
        code
    }

    fn sign_id_token(&self, claims: &Value, f: &Faults) -> String {
        let body = URL_SAFE_NO_PAD.encode(claims.to_string());
        if f.alg_none {
            let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
            return format!("{header}.{body}.");
        }
        let second = self.keys.secondary.as_ref();
        let (key, kid) = match (f.bad_signature, f.sign_with_second_key, second) {
            (true, _, Some(k2)) => (k2, self.keys.primary.kid.as_str()),
            (false, true, Some(k2)) => (k2, k2.kid.as_str()),
            _ => (&self.keys.primary, self.keys.primary.kid.as_str()),
        };
        key.sign(claims, kid).unwrap_or_default()
    }

    fn jwks(&self, f: &Faults) -> Value {
        let mut keys = vec![self.keys.primary.jwk.clone()];
        if f.publish_second_key
            && let Some(k2) = &self.keys.secondary
        {
            keys.push(k2.jwk.clone());
        }
        json!({ "keys": keys })
    }
}

/// Mounts the provider's endpoints on a scope (`/dev/oidc` in dev mode, `/` in tests).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/.well-known/openid-configuration",
        web::get().to(discovery),
    )
    .route("/authorize", web::get().to(authorize_page))
    .route("/authorize", web::post().to(authorize_decision))
    .route("/token", web::post().to(token))
    .route("/userinfo", web::get().to(userinfo))
    .route("/jwks", web::get().to(jwks))
    .route("/avatar/{file}", web::get().to(avatar));
}

async fn discovery(p: web::Data<DevProvider>) -> HttpResponse {
    let i = &p.settings.issuer;
    HttpResponse::Ok().json(json!({
        "issuer": i,
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

/// The parameters of an authorization request, carried through the consent form.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthParams {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    scope: String,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    login_hint: Option<String>,
}

#[derive(Template)]
#[template(path = "dev_authorize.html")]
struct AuthorizePage<'a> {
    chrome: Chrome,
    p: &'a AuthParams,
    samples: &'a [(&'a str, &'a str)],
}

#[derive(Template)]
#[template(path = "dev_provider_error.html")]
struct ProviderErrorPage<'a> {
    chrome: Chrome,
    message: &'a str,
}

fn dev_chrome(req: &HttpRequest) -> Chrome {
    let mut c = Chrome::new(req, None, String::new());
    c.dev = true;
    if req.app_data::<web::Data<SiteInfo>>().is_none() {
        c.site = "Development provider";
    }
    c
}

fn html(status: StatusCode, t: impl Template) -> HttpResponse {
    match t.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

/// Problems that must be shown to the person rather than sent back to the client (an unknown
/// client or redirect URI must never be redirected to: RFC 6749 §4.1.2.1).
fn check_client(p: &DevProvider, a: &AuthParams) -> Result<(), &'static str> {
    if a.client_id != p.settings.client_id {
        return Err("Unknown client_id: this OAuth client is not registered with the provider.");
    }
    if !p.redirect_uri_registered(&a.redirect_uri) {
        return Err("redirect_uri_mismatch: the redirect URI is not registered for this client.");
    }
    Ok(())
}

/// Problems reported back to the client with `error=` on its redirect URI.
fn check_request(a: &AuthParams) -> Result<(), (&'static str, &'static str)> {
    if a.response_type != "code" {
        return Err((
            "unsupported_response_type",
            "only the code flow is supported",
        ));
    }
    if !a.scope.split_whitespace().any(|s| s == "openid") {
        return Err(("invalid_scope", "scope must include openid"));
    }
    if a.code_challenge.is_some() && a.code_challenge_method.as_deref() != Some("S256") {
        return Err(("invalid_request", "code_challenge_method must be S256"));
    }
    Ok(())
}

fn redirect_back(a: &AuthParams, p: &DevProvider, params: &[(&str, &str)]) -> HttpResponse {
    let mut url = match url::Url::parse(&a.redirect_uri) {
        Ok(u) => u,
        Err(_) => return HttpResponse::BadRequest().finish(),
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        if let Some(s) = &a.state {
            q.append_pair("state", s);
        }
        q.append_pair("iss", &p.settings.issuer);
    }
    HttpResponse::Found()
        .insert_header((header::LOCATION, url.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn approve(p: &DevProvider, a: &AuthParams, person: Person) -> HttpResponse {
    let code = p.issue_code(Grant {
        client_id: a.client_id.clone(),
        redirect_uri: a.redirect_uri.clone(),
        nonce: a.nonce.clone(),
        code_challenge: a.code_challenge.clone(),
        person,
        created: Instant::now(),
    });
    redirect_back(a, p, &[("code", &code)])
}

fn picture_base(p: &DevProvider) -> Option<&str> {
    Some(p.settings.issuer.as_str())
}

async fn authorize_page(
    req: HttpRequest,
    p: web::Data<DevProvider>,
    q: web::Query<AuthParams>,
) -> HttpResponse {
    let a = q.into_inner();
    if let Err(m) = check_client(&p, &a) {
        return html(
            StatusCode::BAD_REQUEST,
            ProviderErrorPage {
                chrome: dev_chrome(&req),
                message: m,
            },
        );
    }
    if let Err((e, d)) = check_request(&a) {
        return redirect_back(&a, &p, &[("error", e), ("error_description", d)]);
    }
    if p.settings.auto_approve
        && let Some(hint) = a.login_hint.as_deref().filter(|h| h.contains('@'))
    {
        let person = Person::from_email(hint, "", true, picture_base(&p));
        return approve(&p, &a, person);
    }
    html(
        StatusCode::OK,
        AuthorizePage {
            chrome: dev_chrome(&req),
            p: &a,
            samples: SAMPLES,
        },
    )
}

#[derive(Debug, Deserialize)]
struct Decision {
    #[serde(flatten)]
    params: AuthParams,
    decision: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    email_verified: Option<String>,
    sample: Option<String>,
}

async fn authorize_decision(
    req: HttpRequest,
    p: web::Data<DevProvider>,
    body: web::Bytes,
) -> HttpResponse {
    let Ok(d) = serde_urlencoded::from_bytes::<Decision>(&body) else {
        return html(
            StatusCode::BAD_REQUEST,
            ProviderErrorPage {
                chrome: dev_chrome(&req),
                message: "The consent form was incomplete.",
            },
        );
    };
    let a = &d.params;
    if let Err(m) = check_client(&p, a) {
        return html(
            StatusCode::BAD_REQUEST,
            ProviderErrorPage {
                chrome: dev_chrome(&req),
                message: m,
            },
        );
    }
    if let Err((e, desc)) = check_request(a) {
        return redirect_back(a, &p, &[("error", e), ("error_description", desc)]);
    }
    if d.decision == "cancel" {
        return redirect_back(
            a,
            &p,
            &[
                ("error", "access_denied"),
                ("error_description", "The user cancelled."),
            ],
        );
    }
    let (email, name, verified) = match d
        .sample
        .as_deref()
        .and_then(|s| SAMPLES.iter().find(|(_, e)| *e == s))
    {
        Some((name, email)) => (email.to_string(), name.to_string(), true),
        None => (d.email.clone(), d.name.clone(), d.email_verified.is_some()),
    };
    if !email.contains('@') || email.len() > 254 || d.name.len() > 200 {
        let mut again = html(
            StatusCode::BAD_REQUEST,
            AuthorizePage {
                chrome: dev_chrome(&req),
                p: a,
                samples: SAMPLES,
            },
        );
        again.headers_mut().insert(
            header::HeaderName::from_static("x-dev-provider-error"),
            header::HeaderValue::from_static("invalid-email"),
        );
        return again;
    }
    approve(
        &p,
        a,
        Person::from_email(&email, &name, verified, picture_base(&p)),
    )
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
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

async fn token(req: HttpRequest, p: web::Data<DevProvider>, body: web::Bytes) -> HttpResponse {
    let f = p.faults();
    if let Some(d) = f.token_delay {
        tokio::time::sleep(d).await;
    }
    if let Some(s) = f.token_status {
        let status = StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return oauth_error(status, "server_error", "fault injected");
    }
    if f.token_garbage {
        return HttpResponse::Ok()
            .content_type("text/html")
            .body("<html><body>Oops, this is not JSON</body></html>");
    }
    if f.token_oversized {
        let filler = "x".repeat(2 * 1024 * 1024);
        return HttpResponse::Ok().json(json!({ "access_token": "a", "token_type": "Bearer", "id_token": "b", "filler": filler }));
    }

    let Ok(form) = serde_urlencoded::from_bytes::<TokenForm>(&body) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "malformed form");
    };
    let (client_id, secret) = match basic_credentials(&req) {
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
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        );
    }
    if form.grant_type.as_deref() != Some("authorization_code") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only authorization_code",
        );
    }
    let code = form.code.unwrap_or_default();
    let grant = p.codes.lock().ok().and_then(|mut c| c.remove(&code));
    let Some(grant) = grant else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "unknown or used code",
        );
    };
    if grant.created.elapsed() > CODE_TTL {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "code expired");
    }
    if grant.client_id != client_id
        || form.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str())
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "redirect_uri mismatch",
        );
    }
    if let Some(challenge) = &grant.code_challenge {
        let verifier = form.code_verifier.unwrap_or_default();
        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        if verifier.len() < 43 || computed != *challenge {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "PKCE verification failed",
            );
        }
    }

    let person = grant.person;
    let now = unix_now();
    let (iat, exp) = if f.expired {
        (now - 7200, now - 3600)
    } else {
        (now, now + 3600)
    };
    let mut claims = json!({
        "iss": if f.wrong_issuer { "https://evil.example" } else { p.settings.issuer.as_str() },
        "aud": if f.wrong_audience { "someone-else" } else { p.settings.client_id.as_str() },
        "azp": p.settings.client_id,
        "sub": person.sub,
        "email": person.email,
        "email_verified": person.email_verified && !f.unverified_email,
        "name": person.name,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "picture": person.picture,
        "locale": "en",
        "iat": iat,
        "exp": exp,
        "auth_time": now,
    });
    if let Some(obj) = claims.as_object_mut() {
        if let Some(hd) = &person.hd {
            obj.insert("hd".into(), json!(hd));
        }
        match (&grant.nonce, f.wrong_nonce) {
            (_, true) => {
                obj.insert("nonce".into(), json!("not-the-nonce"));
            }
            (Some(n), false) => {
                obj.insert("nonce".into(), json!(n));
            }
            (None, false) => {}
        }
    }
    let id_token = p.sign_id_token(&claims, &f);
    let access_token = format!("dev-at-{}", random_token(32));
    if let Ok(mut t) = p.tokens.lock() {
        if t.len() >= MAX_PENDING {
            t.retain(|_, (_, at)| at.elapsed() < ACCESS_TOKEN_TTL);
        }
        t.insert(access_token.clone(), (person, Instant::now()));
    }
    let mut answer = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_TTL.as_secs(),
        "scope": "openid email profile",
    });
    if !f.token_missing_id_token
        && let Some(o) = answer.as_object_mut()
    {
        o.insert("id_token".into(), json!(id_token));
    }
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(answer)
}

async fn userinfo(req: HttpRequest, p: web::Data<DevProvider>) -> HttpResponse {
    let f = p.faults();
    if f.userinfo_down {
        return HttpResponse::ServiceUnavailable().finish();
    }
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let person = p.tokens.lock().ok().and_then(|t| {
        t.get(token)
            .filter(|(_, at)| at.elapsed() < ACCESS_TOKEN_TTL)
            .map(|(person, _)| person.clone())
    });
    let Some(person) = person else {
        return HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\""))
            .finish();
    };
    let sub = if f.userinfo_other_sub {
        "0".to_string()
    } else {
        person.sub.clone()
    };
    HttpResponse::Ok().json(json!({
        "sub": sub,
        "email": person.email,
        "email_verified": person.email_verified && !f.unverified_email,
        "name": person.name,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "picture": person.picture,
        "locale": "en",
        "hd": person.hd,
    }))
}

async fn jwks(p: web::Data<DevProvider>) -> HttpResponse {
    let f = p.faults();
    if f.jwks_down {
        return HttpResponse::ServiceUnavailable().finish();
    }
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .json(p.jwks(&f))
}

/// A generated avatar, so that dev-mode profiles have a picture on the app's own origin.
async fn avatar(path: web::Path<String>) -> HttpResponse {
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

/// A provider running on its own listener (tests, and the benchmark's separate provider).
pub struct RunningProvider {
    pub port: u16,
    pub provider: web::Data<DevProvider>,
    pub handle: actix_web::dev::ServerHandle,
}

/// Serves the provider at the root of `listener` on its own small server.
pub fn spawn_standalone(
    listener: std::net::TcpListener,
    settings: ProviderSettings,
    keys: Arc<DevKeys>,
    workers: usize,
) -> std::io::Result<RunningProvider> {
    let port = listener.local_addr()?.port();
    let provider = web::Data::new(DevProvider::new(settings, keys));
    let data = provider.clone();
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(data.clone())
            .configure(configure)
    })
    .workers(workers)
    .disable_signals()
    .listen(listener)?
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok(RunningProvider {
        port,
        provider,
        handle,
    })
}
