//! The JSON API.

use crate::auth::{ApiUser, AuthVia};
use crate::db::users::Profile;
use crate::domain::{Role, Status};
use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Serialize)]
pub struct Me<'a> {
    id: &'a str,
    #[serde(flatten)]
    profile: &'a Profile,
    role: Role,
    status: Status,
    created_at: DateTime<Utc>,
    last_login_at: Option<DateTime<Utc>>,
    session: SessionInfo,
}

#[derive(Serialize)]
struct SessionInfo {
    via: &'static str,
    expires_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
}

/// `GET /api/me`: the caller's profile, for a Bearer app JWT or the session cookie.
#[tracing::instrument(skip_all)]
pub async fn me(ApiUser(cu): ApiUser) -> HttpResponse {
    let u = cu.user();
    let me = Me {
        id: u.public_id.as_str(),
        profile: &u.profile,
        role: u.role,
        status: u.status,
        created_at: u.created_at,
        last_login_at: u.last_login_at,
        session: SessionInfo {
            via: match cu.via {
                AuthVia::Cookie => "cookie",
                AuthVia::Bearer => "bearer",
            },
            expires_at: cu.expires_at(),
            ends_at: cu.ends_at,
        },
    };
    HttpResponse::Ok().json(me)
}
