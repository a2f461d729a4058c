//! `AppState`: what the handlers and the middleware share, built once by `startup` and handed
//! to them as `web::Data<AppState>`.

use crate::clock::SharedClock;
use crate::db::DbPool;
use crate::sessions::Sessions;
use crate::signin::SignIn;
use chrono::{DateTime, Utc};
use std::sync::Arc;

pub struct AppState {
    pub pool: DbPool,
    pub clock: SharedClock,
    pub sessions: Arc<Sessions>,
    pub sign_in: SignIn,
    /// `APP_BASE_URL` without the trailing slash (shown on the API-token page).
    pub origin: String,
}

crate::debug_shows!(AppState, |s| { sessions: s.sessions, sign_in: s.sign_in });

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
