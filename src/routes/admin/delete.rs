//! An admin deletes a user: `GET /admin/users/{public_id}/delete` asks, the POST does it (the
//! same deletion as the owner's own, CSRF-checked, audited, last-admin rule inside it).

use super::AdminVisit;
use super::flash::{Flash, FlashKind};
use crate::admin::{Refusal, delete_user};
use crate::auth::Checked;
use crate::db::{self, users};
use crate::domain::UserId;
use crate::error::AppError;
use crate::i18n::Msg;
use crate::paths;
use crate::routes::account::{ConfirmDeletePage, refused};
use crate::routes::render;
use crate::web::see_other;
use actix_web::{HttpResponse, web};

async fn find(svc: &crate::state::AppState, raw: &str) -> Result<users::User, AppError> {
    let id = UserId::parse(raw).map_err(|_| AppError::NotFound)?;
    db::run(&svc.pool, move |conn| users::find_by_public_id(conn, &id))
        .await?
        .ok_or(AppError::NotFound)
}

/// `GET /admin/users/{public_id}/delete`: the confirmation page.
#[tracing::instrument(skip_all)]
pub async fn confirm_delete_user(
    v: AdminVisit,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user = find(&v.state, &path).await?;
    let back = format!("{}/{}", paths::ADMIN_USERS, user.public_id);
    let chrome = v.chrome();
    render(ConfirmDeletePage {
        whose: chrome.t1("delete.heading_other", "email", &user.profile.email),
        chrome,
        action: format!("{back}/delete"),
        cancel: back,
    })
}

/// `POST /admin/users/{public_id}/delete`: deletes the user; back to the list with a message.
#[tracing::instrument(skip_all)]
pub async fn delete_user_account(
    v: AdminVisit,
    path: web::Path<String>,
    _: Checked,
) -> Result<HttpResponse, AppError> {
    let user = find(&v.state, &path).await?;
    if user.id == v.person().user().id {
        return Err(refused(Refusal::SelfAction));
    }
    let (who, ip, now) = (v.actor(), v.ip(), v.state.now());
    let id = user.id;
    let done = v
        .state
        .sessions
        .change_user(id, move |conn| {
            delete_user(conn, &who, id, ip.as_deref(), now)
        })
        .await?;
    match done {
        Ok(pseudonym) => {
            tracing::info!(deleted = %pseudonym, "user deleted by an admin");
            Flash::set(
                &v.session,
                FlashKind::Ok,
                Msg::new("flash.deleted")
                    .arg("email", &user.profile.email)
                    .arg("pseudonym", pseudonym),
            );
            Ok(see_other(paths::ADMIN_USERS))
        }
        Err(r) => Err(refused(r)),
    }
}
