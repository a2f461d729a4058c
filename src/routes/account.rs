//! The signed-in person's own account (`/account`): their ways to sign in (link another,
//! remove one but the last), their browser sessions and API tokens with Revoke, "Sign out
//! everywhere else", and "Delete my account" (a confirmation page, then the deletion). Every POST is CSRF-checked; the changes go through `Sessions` or
//! `Sessions::change_user`, so this instance's cache forgets them in the same call.

use super::identity_view::{IdentityView, LinkButton, UnlinkForm};
use super::render;
use super::session_view::SessionView;
use super::visit::Visit;
use crate::admin::{Refusal, delete_user};
use crate::auth::rekey::CookieKeys;
use crate::auth::{Checked, flow};
use crate::db;
use crate::db::account::live_sessions;
use crate::db::identities::{self, Unlinked};
use crate::db::sessions::SessionKind;
use crate::error::AppError;
use crate::paths;
use crate::signin::may_link;
use crate::web::{Chrome, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

/// Sessions and tokens listed at most.
const LISTED: i64 = 200;

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub chrome: Chrome,
    pub sessions: Vec<SessionView>,
    pub tokens: Vec<SessionView>,
    /// The ways to sign in to this account, and the buttons that add one.
    pub identities: Vec<IdentityView>,
    pub link_buttons: Vec<LinkButton>,
}

/// `GET /account`: the person's live sessions (this one marked) and API tokens.
#[tracing::instrument(skip_all)]
pub async fn show_account(v: Visit) -> Result<HttpResponse, AppError> {
    let (id, now) = (v.user.user().id, v.state.now());
    let (all, linked) = db::run(&v.state.pool, move |conn| {
        Ok((
            live_sessions(conn, id, now, LISTED)?,
            identities::of_user(conn, id)?,
        ))
    })
    .await?;
    let chrome = v.chrome();
    let (mut sessions, mut tokens) = (Vec::new(), Vec::new());
    for s in all {
        let list = match s.kind {
            SessionKind::Browser => &mut sessions,
            SessionKind::Api => &mut tokens,
        };
        list.push(SessionView::new(s, v.user.jti(), now, &chrome.formats));
    }
    let identities = IdentityView::list(linked, &v.state.sign_in, &chrome.formats);
    render(AccountPage {
        chrome,
        sessions,
        tokens,
        identities,
        link_buttons: LinkButton::all(&v.state.sign_in),
    })
}

#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    provider: String,
}

/// `POST /account/link`: a link flow with that provider for this account (its own flow
/// cookie, as a sign-in's), and the browser sent to the provider; the provider's callback adds
/// the identity. Only within `LINK_WITHIN` of signing in (else a 403 page that says to sign in
/// again); a provider that is not enabled is a 404.
#[tracing::instrument(skip_all)]
pub async fn link(
    v: Visit,
    keys: web::Data<CookieKeys>,
    Checked(LinkForm { provider }): Checked<LinkForm>,
) -> Result<HttpResponse, AppError> {
    if !may_link(v.person().claims.auth_time(), v.state.now()) {
        return Err(AppError::Forbidden(
            "error.link_needs_recent_sign_in".into(),
        ));
    }
    let (pending, url) = v
        .state
        .sign_in
        .begin_link(&provider, v.person().user().id)
        .ok_or(AppError::NotFound)?;
    Ok(flow::redirect(
        &keys,
        StatusCode::SEE_OTHER,
        url.as_str(),
        &pending,
    )?)
}

/// `POST /account/unlink`: removes one of the account's ways to sign in, never the last (a 400
/// page saying so); another account's or an unknown one is a 404.
#[tracing::instrument(skip_all)]
pub async fn unlink(
    v: Visit,
    Checked(form): Checked<UnlinkForm>,
) -> Result<HttpResponse, AppError> {
    let id = form.id()?;
    let done = v
        .state
        .sign_in
        .unlink(v.actor(), v.person().user(), id, v.ip())
        .await?;
    unlinked(done, paths::ACCOUNT)
}

/// The answer to a removal: back to `page`, or why not.
pub(crate) fn unlinked(done: Unlinked, page: &str) -> Result<HttpResponse, AppError> {
    match done {
        Unlinked::Removed(gone) => {
            tracing::info!(provider = %gone.provider, "identity removed");
            Ok(see_other(page))
        }
        Unlinked::Last => Err(AppError::BadRequest("error.unlink_last".into())),
        Unlinked::NotFound => Err(AppError::NotFound),
    }
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    jti: String,
}

/// `POST /account/revoke`: ends one of the person's own sessions or tokens; anything else
/// (someone else's, unknown, already ended) is a 404 and changes nothing.
#[tracing::instrument(skip_all)]
pub async fn revoke(
    v: Visit,
    Checked(RevokeForm { jti }): Checked<RevokeForm>,
) -> Result<HttpResponse, AppError> {
    if !crate::sessions::plausible_jti(&jti) {
        return Err(AppError::NotFound);
    }
    if !v.state.sessions.revoke_own(&v.user, jti, v.ip()).await? {
        return Err(AppError::NotFound);
    }
    Ok(see_other(paths::ACCOUNT))
}

/// `POST /account/sign-out-others`: every other browser session ends; this one and the API
/// tokens stay.
#[tracing::instrument(skip_all)]
pub async fn sign_out_others(v: Visit, _: Checked) -> Result<HttpResponse, AppError> {
    let n = v.state.sessions.sign_out_others(&v.user, v.ip()).await?;
    tracing::info!(ended = n, "signed out everywhere else");
    Ok(see_other(paths::ACCOUNT))
}

#[derive(Template)]
#[template(path = "delete_account.html")]
pub struct ConfirmDeletePage {
    pub chrome: Chrome,
    /// The heading: whose account is deleted.
    pub whose: String,
    pub action: String,
    pub cancel: String,
}

/// `GET /account/delete`: what deleting removes, and the button that does it.
#[tracing::instrument(skip_all)]
pub async fn confirm_delete(v: Visit) -> Result<HttpResponse, AppError> {
    let chrome = v.chrome();
    render(ConfirmDeletePage {
        whose: chrome.t("delete.heading_own").into_owned(),
        chrome,
        action: paths::ACCOUNT_DELETE.into(),
        cancel: paths::ACCOUNT.into(),
    })
}

#[derive(Template)]
#[template(path = "deleted.html")]
pub struct DeletedPage {
    pub chrome: Chrome,
    pub own: bool,
}

/// `POST /account/delete`: the account, its sessions and tokens go; the browser is signed out.
#[tracing::instrument(skip_all)]
pub async fn delete_account(v: Visit, _: Checked) -> Result<HttpResponse, AppError> {
    let (id, actor, now) = (v.person().user().id, v.actor(), v.state.now());
    let done = v
        .state
        .sessions
        .change_user(id, move |conn| delete_user(conn, &actor, id, None, now))
        .await?;
    match done {
        Ok(_) => {
            tracing::info!("account deleted by its owner");
            v.session.purge();
            render(DeletedPage {
                chrome: Chrome::new(&v.req, None, String::new()),
                own: true,
            })
        }
        Err(r) => Err(refused(r)),
    }
}

/// A refused deletion as the page says it.
pub(crate) fn refused(r: Refusal) -> AppError {
    match r {
        Refusal::LastAdmin => AppError::Forbidden("error.delete_last_admin".into()),
        Refusal::NoSuchUser | Refusal::NoSuchSession => AppError::NotFound,
        Refusal::SelfAction => AppError::Forbidden("error.delete_self_in_admin".into()),
    }
}
