//! One user's page (`GET /admin/users/{public_id}`: profile, sessions, recent audit entries)
//! and the actions on it (`POST /admin/users/{public_id}/{action}`).

use super::audit::AuditView;
use super::flash::{Flash, FlashKind};
use super::users::UserSummary;
use super::{AdminVisit, bad};
use crate::admin::{Action, Refusal, perform};
use crate::auth::Checked;
use crate::db;
use crate::db::audit;
use crate::db::identities::{self, Unlinked};
use crate::db::user_sessions::user_sessions;
use crate::db::users;
use crate::domain::UserId;
use crate::error::AppError;
use crate::i18n::Msg;
use crate::routes::identity_view::{IdentityView, UnlinkForm, provider_name};
use crate::routes::render;
use crate::routes::session_view::SessionView;
use crate::web::Chrome;
use crate::web::see_other;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

/// Sessions shown on a user's page (newest first).
const SESSIONS_SHOWN: i64 = 100;
/// Audit entries shown on a user's page (newest first).
const RECENT_SHOWN: i64 = 10;

#[derive(Template)]
#[template(path = "admin/user.html")]
pub struct UserPage {
    pub chrome: Chrome,
    pub flash: Option<Flash>,
    pub user: UserSummary,
    pub is_self: bool,
    pub email_verified: bool,
    pub locale: String,
    pub updated: String,
    pub sessions: Vec<SessionView>,
    pub sessions_total: i64,
    pub active_sessions: usize,
    pub recent: Vec<AuditView>,
    pub audit_href: String,
    /// The account's ways to sign in, each removable but the last.
    pub identities: Vec<IdentityView>,
}

fn parse_public_id(raw: &str) -> Result<UserId, AppError> {
    UserId::parse(raw).map_err(|_| AppError::NotFound)
}

/// `GET /admin/users/{public_id}`: profile, sessions, actions, recent audit entries.
#[tracing::instrument(skip_all)]
pub async fn show_user(v: AdminVisit, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let id = parse_public_id(&path)?;
    let now = v.state.now();
    let found = db::run(&v.state.pool, move |conn| {
        let Some(user) = users::find_by_public_id(conn, &id)? else {
            return Ok(None);
        };
        let (sessions, total) = user_sessions(conn, user.id, SESSIONS_SHOWN)?;
        let filter = audit::Filter {
            action: None,
            user_id: Some(user.id),
        };
        let (recent, _) = audit::list(conn, &filter, audit::Page::First, RECENT_SHOWN)?;
        let linked = identities::of_user(conn, user.id)?;
        Ok(Some((user, sessions, total, recent, linked)))
    })
    .await?;
    let Some((user, sessions, total, recent, linked)) = found else {
        return Err(AppError::NotFound);
    };
    let own_jti = v.person().jti();
    let chrome = v.chrome();
    let f = chrome.formats;
    let sessions: Vec<SessionView> = sessions
        .into_iter()
        .map(|s| SessionView::new(s, own_jti, now, &f))
        .collect();
    let identities = IdentityView::list(linked, &v.state.sign_in, &f);
    render(UserPage {
        identities,
        chrome,
        flash: Flash::take(&v.session),
        user: UserSummary::new(&user, &f),
        is_self: user.id == v.person().user().id,
        email_verified: user.profile.email_verified,
        locale: user.profile.locale.clone().unwrap_or_else(|| "—".into()),
        updated: f.time(user.updated_at),
        active_sessions: sessions.iter().filter(|s| s.active).count(),
        sessions,
        sessions_total: total,
        recent: recent.into_iter().map(|e| AuditView::new(e, &f)).collect(),
        audit_href: format!(
            "/admin/audit?user={}",
            url::form_urlencoded::byte_serialize(user.public_id.as_str().as_bytes())
                .collect::<String>()
        ),
    })
}

#[derive(Deserialize)]
pub struct ActionForm {
    jti: Option<String>,
}

/// The action the path and the form name; an unknown one is a 404.
fn parse_action(raw: &str, form: &ActionForm) -> Result<Action, AppError> {
    Ok(match raw {
        "disable" => Action::Disable,
        "enable" => Action::Enable,
        "promote" => Action::Promote,
        "demote" => Action::Demote,
        "revoke-all" => Action::RevokeAllSessions,
        "revoke-session" => {
            let jti = form
                .jti
                .as_deref()
                .filter(|j| crate::sessions::plausible_jti(j))
                .ok_or_else(|| bad("error.admin.no_session"))?;
            Action::RevokeSession(jti.to_string())
        }
        _ => return Err(AppError::NotFound),
    })
}

/// `POST /admin/users/{public_id}/{action}`: disable, enable, promote, demote, revoke-session,
/// revoke-all. CSRF-checked; answers with a redirect back to the user and a flash message.
#[tracing::instrument(skip_all, fields(action))]
pub async fn user_action(
    v: AdminVisit,
    path: web::Path<(String, String)>,
    Checked(form): Checked<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let (raw_id, raw_action) = path.into_inner();
    tracing::Span::current().record("action", raw_action.as_str());
    let id = parse_public_id(&raw_id)?;
    let action = parse_action(&raw_action, &form)?;
    let actor = v.actor();
    let ip = v.ip();
    let now = v.state.now();
    let target = db::run(&v.state.pool, move |conn| {
        users::find_by_public_id(conn, &id)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    // The change and its audit row in one transaction; this instance forgets the target's
    // cached checks at once, others within the cache TTL.
    let result = {
        let target = target.clone();
        v.state
            .sessions
            .change_user(target.id, move |conn| {
                perform(conn, &actor, &target, &action, ip.as_deref(), now)
            })
            .await?
    };
    match result {
        Ok(outcome) => {
            tracing::info!(target = %target.public_id, changed = outcome.changed, "admin action");
            Flash::set(&v.session, FlashKind::Ok, outcome.message);
        }
        Err(refusal) => {
            tracing::info!(target = %target.public_id, reason = %refusal, "admin action refused");
            Flash::set(
                &v.session,
                FlashKind::Error,
                Msg::new(refusal_text(refusal)),
            );
        }
    }
    Ok(see_other(&format!("/admin/users/{}", target.public_id)))
}

fn refusal_text(r: Refusal) -> &'static str {
    match r {
        Refusal::SelfAction => "flash.self_action",
        Refusal::LastAdmin => "flash.last_admin",
        Refusal::NoSuchSession => "flash.no_such_session",
        Refusal::NoSuchUser => "flash.no_such_user",
    }
}

/// `POST /admin/users/{public_id}/unlink`: removes one of the user's ways to sign in, never the
/// last (said in the flash message). CSRF-checked; audited with the admin as the actor.
#[tracing::instrument(skip_all)]
pub async fn unlink_identity(
    v: AdminVisit,
    path: web::Path<String>,
    Checked(form): Checked<UnlinkForm>,
) -> Result<HttpResponse, AppError> {
    let pid = parse_public_id(&path)?;
    let identity = form.id()?;
    let target = db::run(&v.state.pool, move |conn| {
        users::find_by_public_id(conn, &pid)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    let done = v
        .state
        .sign_in
        .unlink(v.actor(), &target, identity, v.ip())
        .await?;
    let email = target.profile.email.as_str();
    match done {
        Unlinked::Removed(gone) => {
            let provider = provider_name(&v.state.sign_in, &gone.provider);
            Flash::set(
                &v.session,
                FlashKind::Ok,
                Msg::new("flash.identity_removed")
                    .arg("provider", provider)
                    .arg("email", email),
            );
        }
        Unlinked::Last => Flash::set(
            &v.session,
            FlashKind::Error,
            Msg::new("flash.last_identity"),
        ),
        Unlinked::NotFound => return Err(AppError::NotFound),
    }
    Ok(see_other(&format!("/admin/users/{}", target.public_id)))
}
