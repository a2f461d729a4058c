//! `Visit`: what a signed-in person's page handler reads besides its own path, query or form —
//! who is asking (`CurrentUser`, or `AdminUser` in `/admin`), their cookie session (CSRF token,
//! flash messages, sign-out), the request (layout, client address) and the shared state.

use crate::auth::{AdminUser, CurrentUser, TypedSession};
use crate::db::audit::Actor;
use crate::error::AppError;
use crate::net::ClientInfo;
use crate::state::AppState;
use crate::web::Chrome;
use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use std::future::{Ready, ready};

pub struct Visit<U = CurrentUser> {
    pub user: U,
    pub session: TypedSession,
    pub req: HttpRequest,
    pub state: web::Data<AppState>,
}

impl<U: AsRef<CurrentUser>> Visit<U> {
    /// The signed-in person (the admin, in `/admin`).
    pub fn person(&self) -> &CurrentUser {
        self.user.as_ref()
    }

    /// The layout's data for this person, with their CSRF token for the forms.
    pub fn chrome(&self) -> Chrome {
        Chrome::new(&self.req, Some(self.person()), self.session.csrf_token())
    }

    /// The person as the audit log names them.
    pub fn actor(&self) -> Actor {
        Actor::user(self.person().user())
    }

    /// The client's address, for the audit log.
    pub fn ip(&self) -> Option<String> {
        ClientInfo::of(&self.req).ip
    }
}

impl AsRef<CurrentUser> for AdminUser {
    fn as_ref(&self) -> &CurrentUser {
        &self.0
    }
}

impl<U> FromRequest for Visit<U>
where
    U: FromRequest<Error = AppError, Future = Ready<Result<U, AppError>>>,
{
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let visit = U::from_request(req, payload).into_inner().and_then(|user| {
            let state = req.app_data::<web::Data<AppState>>().cloned();
            Ok(Visit {
                user,
                session: TypedSession::from(req.get_session()),
                req: req.clone(),
                state: state.ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("no AppState")))?,
            })
        });
        ready(visit)
    }
}

impl AsRef<CurrentUser> for CurrentUser {
    fn as_ref(&self) -> &CurrentUser {
        self
    }
}
