//! An admin deletes a user: `GET /admin/users/{public_id}/delete` asks, the POST does it (the
//! same deletion as the owner's own, CSRF-checked, audited, last-admin rule inside it).

use super::actor;
use super::flash::{Flash, FlashKind};
use crate::admin::{Refusal, delete_user};
use crate::auth::{AdminUser, CsrfForm, TypedSession};
use crate::db::{self, users};
use crate::domain::UserId;
use crate::error::AppError;
use crate::i18n::Msg;
use crate::net::ClientInfo;
use crate::paths;
use crate::routes::account::{ConfirmDeletePage, refused};
use crate::routes::render;
use crate::web::{Chrome, see_other};
use actix_web::{HttpRequest, HttpResponse, web};

async fn find(svc: &crate::state::AppState, raw: &str) -> Result<users::User, AppError> {
    let id = UserId::parse(raw).map_err(|_| AppError::NotFound)?;
    db::run(&svc.pool, move |conn| users::find_by_public_id(conn, &id))
        .await?
        .ok_or(AppError::NotFound)
}

/// `GET /admin/users/{public_id}/delete`: the confirmation page.
#[tracing::instrument(skip_all)]
pub async fn confirm_delete_user(
    req: HttpRequest,
    admin: AdminUser,
    session: TypedSession,
    path: web::Path<String>,
    svc: web::Data<crate::state::AppState>,
) -> Result<HttpResponse, AppError> {
    let user = find(&svc, &path).await?;
    let back = format!("{}/{}", paths::ADMIN_USERS, user.public_id);
    let chrome = Chrome::new(&req, Some(&admin.0), session.csrf_token());
    render(ConfirmDeletePage {
        whose: chrome.t1("delete.heading_other", "email", &user.email),
        chrome,
        action: format!("{back}/delete"),
        cancel: back,
    })
}

/// `POST /admin/users/{public_id}/delete`: deletes the user; back to the list with a message.
#[tracing::instrument(skip_all)]
pub async fn delete_user_account(
    req: HttpRequest,
    admin: AdminUser,
    session: TypedSession,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
    svc: web::Data<crate::state::AppState>,
) -> Result<HttpResponse, AppError> {
    session.check_csrf(&form.csrf)?;
    let user = find(&svc, &path).await?;
    if user.id == admin.0.user().id {
        return Err(refused(Refusal::SelfAction));
    }
    let (who, ip, now) = (actor(&admin), ClientInfo::of(&req).ip, svc.now());
    let id = user.id;
    let done = svc
        .sessions
        .change_user(id, move |conn| {
            delete_user(conn, &who, id, ip.as_deref(), now)
        })
        .await?;
    match done {
        Ok(pseudonym) => {
            tracing::info!(deleted = %pseudonym, "user deleted by an admin");
            Flash::set(
                &session,
                FlashKind::Ok,
                Msg::new("flash.deleted")
                    .arg("email", &user.email)
                    .arg("pseudonym", pseudonym),
            );
            Ok(see_other(paths::ADMIN_USERS))
        }
        Err(r) => Err(refused(r)),
    }
}
