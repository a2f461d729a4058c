//! `GET /authorize` (the consent page) and `POST /authorize` (the person's decision): checks the
//! authorization request, then redirects back to the client with a code or an `error=`.

use super::page::{html, lang_of, refused};
use super::{DevProvider, Grant, Person, Shape};
use crate::i18n::Lang;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use std::time::Instant;

/// Sample people on the authorize page.
const SAMPLES: &[(&str, &str)] = &[
    ("Ada Lovelace", "ada@example.com"),
    ("Grace Hopper", "grace@example.com"),
    ("Alan Turing", "alan@example.org"),
];

/// The parameters of an authorization request, carried through the consent form.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct AuthParams {
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
#[template(path = "dev/authorize.html")]
struct AuthorizePage<'a> {
    t: Lang,
    p: &'a AuthParams,
    samples: &'a [(&'a str, &'a str)],
}

/// Problems that must be shown to the person rather than sent back to the client (an unknown
/// client or redirect URI must never be redirected to: RFC 6749 §4.1.2.1).
#[derive(Debug, thiserror::Error)]
enum NotRedirectable {
    #[error("Unknown client_id: this OAuth client is not registered with the provider.")]
    UnknownClient,
    #[error("redirect_uri_mismatch: the redirect URI is not registered for this client.")]
    RedirectUri,
    #[error("The consent form was incomplete.")]
    IncompleteForm,
}

impl NotRedirectable {
    /// The catalog key of what the person reads.
    fn key(&self) -> &'static str {
        match self {
            Self::UnknownClient => "dev.unknown_client",
            Self::RedirectUri => "dev.redirect_uri",
            Self::IncompleteForm => "dev.incomplete",
        }
    }
}

/// Problems reported back to the client with `error=` on its redirect URI; the message is the
/// `error_description`.
#[derive(Debug, thiserror::Error)]
enum BadRequest {
    #[error("only the code flow is supported")]
    ResponseType,
    #[error("scope must include openid")]
    Scope,
    #[error("state is required")]
    StateMissing,
    #[error("code_challenge is required (PKCE with S256)")]
    ChallengeMissing,
    #[error("code_challenge_method must be S256")]
    ChallengeMethod,
}

impl BadRequest {
    /// The OAuth `error` code.
    fn code(&self) -> &'static str {
        match self {
            Self::ResponseType => "unsupported_response_type",
            Self::Scope => "invalid_scope",
            Self::StateMissing | Self::ChallengeMissing | Self::ChallengeMethod => {
                "invalid_request"
            }
        }
    }
}

fn check_client(p: &DevProvider, a: &AuthParams) -> Result<(), NotRedirectable> {
    if a.client_id != p.settings.client_id {
        return Err(NotRedirectable::UnknownClient);
    }
    if !p.redirect_uri_registered(&a.redirect_uri) {
        return Err(NotRedirectable::RedirectUri);
    }
    Ok(())
}

fn check_request(a: &AuthParams, shape: Shape) -> Result<(), BadRequest> {
    if a.response_type != "code" {
        return Err(BadRequest::ResponseType);
    }
    if shape == Shape::Naver {
        // Naver: no scope, no PKCE; the state is required (and asked for again at the token
        // endpoint).
        if a.state.as_deref().is_none_or(str::is_empty) {
            return Err(BadRequest::StateMissing);
        }
        return Ok(());
    }
    if shape == Shape::OpenId && !a.scope.split_whitespace().any(|s| s == "openid") {
        return Err(BadRequest::Scope);
    }
    // PKCE S256 on every request (stricter than Google, which accepts none or `plain`), so that
    // a client that drops PKCE fails the tests instead of passing them.
    if a.code_challenge.as_deref().is_none_or(str::is_empty) {
        return Err(BadRequest::ChallengeMissing);
    }
    if a.code_challenge_method.as_deref() != Some("S256") {
        return Err(BadRequest::ChallengeMethod);
    }
    Ok(())
}

/// Both checks; a refusal is the whole answer (the error page, or the redirect with `error=`).
fn refusal(p: &DevProvider, a: &AuthParams, t: Lang) -> Option<HttpResponse> {
    if let Err(e) = check_client(p, a) {
        return Some(refused(t, e.key()));
    }
    let e = check_request(a, p.settings.shape).err()?;
    let description = e.to_string();
    Some(redirect_back(
        a,
        p,
        &[("error", e.code()), ("error_description", &description)],
    ))
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
        // RFC 9207's `iss`, as OpenID providers send it (Naver and GitHub do not).
        if p.settings.shape == Shape::OpenId {
            q.append_pair("iss", &p.settings.issuer);
        }
    }
    HttpResponse::Found()
        .insert_header((header::LOCATION, url.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn approve(p: &DevProvider, a: &AuthParams, person: Person) -> HttpResponse {
    let person = p.faults().reassign(person);
    let code = p.issue_code(Grant {
        client_id: a.client_id.clone(),
        redirect_uri: a.redirect_uri.clone(),
        nonce: a.nonce.clone(),
        code_challenge: a.code_challenge.clone().unwrap_or_default(),
        state: a.state.clone().unwrap_or_default(),
        person,
        created: Instant::now(),
    });
    redirect_back(a, p, &[("code", &code)])
}

/// `GET /authorize`.
pub(super) async fn page(
    req: HttpRequest,
    p: web::Data<DevProvider>,
    q: web::Query<AuthParams>,
) -> HttpResponse {
    let a = q.into_inner();
    let t = lang_of(&req);
    if let Some(answer) = refusal(&p, &a, t) {
        return answer;
    }
    if p.settings.auto_approve
        && let Some(hint) = a.login_hint.as_deref().filter(|h| h.contains('@'))
    {
        let person = Person::from_email(hint, "", true);
        return approve(&p, &a, person);
    }
    html(
        StatusCode::OK,
        AuthorizePage {
            t,
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

/// `POST /authorize`: approve (as a sample person or as the typed one) or cancel.
pub(super) async fn decision(
    req: HttpRequest,
    p: web::Data<DevProvider>,
    body: web::Bytes,
) -> HttpResponse {
    let t = lang_of(&req);
    let Ok(d) = serde_urlencoded::from_bytes::<Decision>(&body) else {
        return refused(t, NotRedirectable::IncompleteForm.key());
    };
    let a = &d.params;
    if let Some(answer) = refusal(&p, a, t) {
        return answer;
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
                t,
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
    approve(&p, a, Person::from_email(&email, &name, verified))
}
