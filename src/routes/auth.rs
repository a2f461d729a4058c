//! Sign-in and sign-out: the login page, the redirect to the provider, the callback, logout.

use super::pages::Chrome;
use crate::auth::CurrentUser;
use crate::auth::middleware::SessionService;
use crate::auth::provider::{OidcClient, ProviderError, pkce_challenge};
use crate::auth::session::{PENDING_LOGIN_TTL_SECS, PendingLogin, TypedSession};
use crate::config::Config;
use crate::db::sessions::{self, SessionKind};
use crate::db::users::{self, Profile};
use crate::db::{self, DbError, audit};
use crate::domain::{Email, RevokeReason, random_token, safe_next};
use crate::error::AppError;
use crate::net::ClientInfo;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use diesel::Connection;
use serde::Deserialize;

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
    pub next: String,
    pub notice: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    login_hint: Option<String>,
}

/// `GET /login`: the page with the "Sign in with Google" button.
#[tracing::instrument(skip_all)]
pub async fn login_page(
    req: HttpRequest,
    user: Option<CurrentUser>,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(query.next.as_deref());
    if user.is_some() {
        return Ok(see_other(&next));
    }
    let page = LoginPage {
        chrome: Chrome::new(&req, None, String::new()),
        next,
        notice: None,
    };
    render(page)
}

pub fn render(page: impl Template) -> Result<HttpResponse, AppError> {
    let html = page
        .render()
        .map_err(|e| AppError::Unexpected(anyhow::Error::new(e).context("template")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_string()))
        .finish()
}

/// `GET /auth/google/login`: make state, nonce and PKCE, keep them in the encrypted session,
/// and send the browser to the provider.
#[tracing::instrument(skip_all)]
pub async fn google_login(
    session: TypedSession,
    oidc: web::Data<OidcClient>,
    svc: web::Data<SessionService>,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let pending = PendingLogin {
        state: random_token(32),
        nonce: random_token(32),
        verifier: random_token(32),
        next: safe_next(query.next.as_deref()),
        started: svc.now().timestamp(),
    };
    let hint = query
        .login_hint
        .as_deref()
        .and_then(|h| Email::parse(h).ok());
    let url = oidc.authorize_url(
        &pending.state,
        &pending.nonce,
        &pkce_challenge(&pending.verifier),
        hint.as_ref().map(Email::as_str),
    );
    session
        .set_pending(&pending)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!(e)))?;
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, url.to_string()))
        .finish())
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

fn bad_state() -> AppError {
    AppError::refused(
        "bad_state",
        StatusCode::BAD_REQUEST,
        "This sign-in link is no longer valid",
        "The sign-in could not be matched to one you started here (it may have expired, been used already, or been opened in another browser). Please start again.",
    )
}

/// `GET /auth/google/callback`: check state, exchange the code, verify the ID token, register or
/// update the user, start the session. Every refusal is recorded in the audit log with its
/// reason (and the user, when one is known).
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn google_callback(
    req: HttpRequest,
    session: TypedSession,
    query: web::Query<CallbackQuery>,
    oidc: web::Data<OidcClient>,
    svc: web::Data<SessionService>,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    let client = ClientInfo::of(&req);
    let mut refused_user = None;
    let result = complete_sign_in(
        req,
        session,
        query,
        oidc,
        svc.clone(),
        config,
        &mut refused_user,
    )
    .await;
    if let Err(e) = &result {
        record_refusal(&svc, e, refused_user, &client).await;
    }
    result
}

/// Writes the `sign_in_refused` audit row; a failure to write is logged, never shown.
async fn record_refusal(
    svc: &SessionService,
    err: &AppError,
    user: Option<(i64, String)>,
    client: &ClientInfo,
) {
    let reason = match err {
        AppError::SignInRefused { reason, .. } => *reason,
        AppError::Provider(p) => p.reason(),
        AppError::BadRequest(_) => "bad_request",
        // The database is what failed: there is nowhere to write.
        AppError::Unavailable(_) => return,
        _ => "internal",
    };
    let ip = client.ip.clone();
    let now = svc.now();
    let written = db::run(&svc.pool, move |conn| {
        audit::insert(
            conn,
            &audit::NewEntry {
                actor: &audit::Actor::Anonymous,
                action: audit::AuditAction::SignInRefused,
                target: user.as_ref().map(|(id, email)| (*id, email.as_str())),
                detail: Some(reason),
                ip: ip.as_deref(),
                at: now,
            },
        )
    })
    .await;
    if let Err(e) = written {
        tracing::warn!(error = %e, reason, "could not record the refused sign-in");
    }
}

async fn complete_sign_in(
    req: HttpRequest,
    session: TypedSession,
    query: web::Query<CallbackQuery>,
    oidc: web::Data<OidcClient>,
    svc: web::Data<SessionService>,
    config: web::Data<Config>,
    refused_user: &mut Option<(i64, String)>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let pending = session.take_pending();
    let now = svc.now();

    if let Some(error) = q.error.as_deref() {
        let (title, message) = if error == "access_denied" {
            (
                "Sign-in cancelled",
                "You cancelled signing in with Google, so nothing was changed.".to_string(),
            )
        } else {
            (
                "Google could not sign you in",
                "Google reported a problem and did not sign you in. Please try again.".to_string(),
            )
        };
        tracing::info!(provider_error = %error.chars().filter(char::is_ascii_alphanumeric).take(40).collect::<String>(), "provider returned an error");
        return Err(AppError::refused(
            "provider_error",
            StatusCode::BAD_REQUEST,
            title,
            message,
        ));
    }

    let pending = match (pending, q.state.as_deref()) {
        (Some(p), Some(state)) if p.state_matches(state) => p,
        _ => return Err(bad_state()),
    };
    if now.timestamp() - pending.started > PENDING_LOGIN_TTL_SECS
        || now.timestamp() < pending.started - 60
    {
        return Err(bad_state());
    }
    if let Some(iss) = q.iss.as_deref()
        && !oidc.issuer_matches(iss)
    {
        return Err(bad_state());
    }
    let code = q
        .code
        .filter(|c| !c.is_empty() && c.len() <= 2048)
        .ok_or_else(|| {
            AppError::BadRequest("The sign-in answer had no code. Please start again.".into())
        })?;

    let tokens = oidc.exchange_code(&code, &pending.verifier).await?;
    let claims = oidc
        .verify_id_token(&tokens.id_token, &pending.nonce, now)
        .await?;

    if !claims.email_verified {
        return Err(AppError::refused(
            "email_unverified",
            StatusCode::FORBIDDEN,
            "Your email address is not verified",
            "Google has not verified the email address of this account. Verify it with Google, then sign in again.",
        ));
    }
    let email = claims
        .email
        .as_deref()
        .and_then(|e| Email::parse(e).ok())
        .ok_or(ProviderError::IdToken("no usable email"))?;
    if !domain_allowed(
        &config.allowed_email_domains,
        &email,
        claims.hd.as_deref(),
        oidc.is_google(),
    ) {
        return Err(AppError::refused(
            "domain_not_allowed",
            StatusCode::FORBIDDEN,
            "This account is not allowed here",
            format!(
                "Only accounts from {} can sign in to this service.",
                config.allowed_email_domains.join(", ")
            ),
        ));
    }

    let info = oidc.userinfo(&tokens.access_token, &claims.sub).await?;
    let name = info.name.or(claims.name).unwrap_or_else(|| {
        email
            .as_str()
            .split('@')
            .next()
            .unwrap_or_default()
            .to_string()
    });
    let profile = Profile {
        google_sub: claims.sub,
        email,
        email_verified: true,
        name,
        given_name: info.given_name.or(claims.given_name),
        family_name: info.family_name.or(claims.family_name),
        picture: info
            .picture
            .or(claims.picture)
            .filter(|p| p.starts_with("https://") || p.starts_with("http://")),
        locale: info.locale.or(claims.locale),
    };
    let grant_admin = config.is_admin_email(profile.email.as_str());
    let client = ClientInfo::of(&req);

    // User and session are written in one transaction: a fault leaves neither.
    let svc2 = svc.clone();
    let outcome = db::run(&svc.pool, move |conn| {
        let r = conn.transaction::<_, TxError, _>(|conn| {
            let (user, created) = users::upsert_on_sign_in(conn, &profile, grant_admin, now)?;
            if !user.is_active() {
                return Err(TxError::Disabled(user.id, user.email));
            }
            let (row, token) = svc2
                .mint(
                    user.id,
                    user.public_id.as_str(),
                    SessionKind::Browser,
                    now,
                    &client,
                )
                .map_err(|_| TxError::Signing)?;
            sessions::insert(conn, &row)?;
            audit::insert(
                conn,
                &audit::NewEntry {
                    actor: &audit::Actor::User {
                        id: user.id,
                        email: user.email.clone(),
                    },
                    action: audit::AuditAction::SignIn,
                    target: Some((user.id, &user.email)),
                    detail: created.then_some("first sign-in"),
                    ip: client.ip.as_deref(),
                    at: now,
                },
            )?;
            Ok((user, created, token))
        });
        match r {
            Ok(v) => Ok(Ok(v)),
            Err(TxError::Db(e)) => Err(e),
            Err(other) => Ok(Err(other)),
        }
    })
    .await?;
    let (user, created, token) = match outcome {
        Ok(v) => v,
        Err(TxError::Disabled(id, email)) => {
            *refused_user = Some((id, email));
            return Err(AppError::refused(
                "user_disabled",
                StatusCode::FORBIDDEN,
                "This account is disabled",
                "An administrator has disabled this account, so it cannot sign in. Contact the administrator if you think this is a mistake.",
            ));
        }
        Err(e) => return Err(AppError::Unexpected(anyhow::anyhow!("sign-in failed: {e}"))),
    };
    tracing::Span::current().record("user_id", user.public_id.as_str());
    tracing::info!(created, admin = user.is_admin(), "signed in");
    session
        .start(&token)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!(e)))?;
    Ok(see_other(&safe_next(Some(&pending.next))))
}

/// Why the sign-in transaction rolled back.
#[derive(Debug, thiserror::Error)]
enum TxError {
    #[error("the user is disabled")]
    Disabled(i64, String),
    #[error("the session token could not be signed")]
    Signing,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for TxError {
    fn from(e: diesel::result::Error) -> Self {
        TxError::Db(DbError::Query(e))
    }
}

/// The domain rule. With Google, a Workspace account proves its domain with the `hd` claim; an
/// email domain alone does not (anyone can make a Google account on any address), except
/// Google's own consumer domains. Other providers have no `hd`: their verified email decides.
pub fn domain_allowed(allowed: &[String], email: &Email, hd: Option<&str>, google: bool) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let listed = |d: &str| allowed.iter().any(|a| a == d);
    match hd {
        Some(hd) => listed(hd),
        None if google => {
            matches!(email.domain(), "gmail.com" | "googlemail.com") && listed(email.domain())
        }
        None => listed(email.domain()),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /logout`: CSRF-checked; revokes the session row and clears the cookie.
#[tracing::instrument(skip_all)]
pub async fn logout(
    req: HttpRequest,
    session: TypedSession,
    user: Option<CurrentUser>,
    form: web::Form<CsrfForm>,
    svc: web::Data<SessionService>,
) -> Result<HttpResponse, AppError> {
    let Some(user) = user else {
        session.purge();
        return Ok(see_other("/login"));
    };
    if !session.csrf_matches(&form.csrf) {
        return Err(AppError::Forbidden(
            "The form had expired. Go back, reload the page and try again.".into(),
        ));
    }
    // The revocation and its audit row in one transaction.
    let (jti, id, email) = (
        user.jti().to_string(),
        user.user().id,
        user.user().email.clone(),
    );
    let now = svc.now();
    let ip = ClientInfo::of(&req).ip;
    let family = db::run(&svc.pool, move |conn| {
        // Read before the transaction (SQLite cannot upgrade a read transaction to a write).
        let family = sessions::rotation_family(conn, &jti)?;
        conn.transaction::<_, DbError, _>(|conn| {
            sessions::revoke_family(conn, &family, RevokeReason::Logout, now)?;
            let actor = audit::Actor::User {
                id,
                email: email.clone(),
            };
            audit::insert(
                conn,
                &audit::NewEntry {
                    actor: &actor,
                    action: audit::AuditAction::SignOut,
                    target: Some((id, &email)),
                    detail: None,
                    ip: ip.as_deref(),
                    at: now,
                },
            )
        })?;
        Ok(family)
    })
    .await?;
    for j in &family {
        svc.cache.invalidate(j);
    }
    tracing::info!("signed out");
    session.purge();
    Ok(see_other("/login"))
}
