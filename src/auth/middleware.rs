//! The per-request session check: verify the app JWT, check its `sessions` row and user (through
//! the short cache), renew it inside the renewal window, and hand handlers a `CurrentUser`.

use super::app_jwt::{JwtCodec, expiry_for, renewal_due};
use super::cache::{Lookup, SessionCache};
use super::current_user::{AuthVia, CurrentUser};
use super::session::TypedSession;
use crate::clock::SharedClock;
use crate::db::sessions::{self, NewSession, SessionKind, SessionRecord};
use crate::db::{self, DbError, DbPool};
use crate::domain::{RevokeReason, random_token};
use crate::error::AppError;
use crate::net::ClientInfo;
use crate::secret::Secret;
use actix_session::SessionExt;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, web};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// How long a rotated token is still accepted, so that requests racing the renewal succeed.
pub const ROTATION_GRACE: Duration = Duration::seconds(60);
/// `last_used_at` is written at most this often per session.
const TOUCH_EVERY: Duration = Duration::minutes(5);

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The token or its session is not (or no longer) good: the caller is anonymous.
    #[error("refused: {0}")]
    Refused(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Everything the check needs; shared by the middleware, sign-in, logout and the admin actions.
pub struct SessionService {
    pub codec: JwtCodec,
    pub cache: SessionCache,
    pub pool: DbPool,
    pub clock: SharedClock,
    pub ttl: Duration,
    pub renew_within: Duration,
    pub max_age: Duration,
}

impl std::fmt::Debug for SessionService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionService").finish_non_exhaustive()
    }
}

impl SessionService {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// A new session row and its signed token, for a sign-in or an API token.
    pub fn mint(
        &self,
        user_id: i64,
        public_id: &str,
        kind: SessionKind,
        auth_time: DateTime<Utc>,
        client: &ClientInfo,
    ) -> Result<(NewSession, Secret), AppError> {
        let now = self.now();
        let jti = random_token(18);
        let expires_at = expiry_for(now, auth_time, self.ttl, self.max_age);
        let claims = self
            .codec
            .claims_for(public_id, &jti, now, expires_at, auth_time);
        let token = self
            .codec
            .encode(&claims)
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!(e)))?;
        let row = NewSession {
            jti,
            user_id,
            kind,
            created_at: now,
            expires_at,
            auth_time,
            user_agent: client.user_agent.clone(),
            ip: client.ip.clone(),
        };
        Ok((row, token))
    }

    async fn record(
        &self,
        jti: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Arc<SessionRecord>>, DbError> {
        if let Lookup::Hit(r) = self.cache.get(jti, now) {
            tracing::trace!(cached = true, found = r.is_some(), "session row");
            return Ok(r);
        }
        tracing::trace!(cached = false, "session row from the database");
        let jti_owned = jti.to_string();
        let record = db::run(&self.pool, move |conn| {
            let r = sessions::find_with_user(conn, &jti_owned)?;
            if let Some(r) = &r {
                let stale = r.last_used_at.is_none_or(|t| now - t > TOUCH_EVERY);
                if stale && r.revoked_at.is_none() {
                    sessions::touch(conn, &r.jti, now)?;
                }
            }
            Ok(r)
        })
        .await?
        .map(Arc::new);
        self.cache.put(jti, record.clone(), now);
        Ok(record)
    }

    /// Checks a token; with `renew_for` (the request, whose client is recorded on the new row),
    /// replaces it inside the renewal window and returns the new one.
    pub async fn check(
        &self,
        token: &str,
        renew_for: Option<&HttpRequest>,
        via: AuthVia,
    ) -> Result<(CurrentUser, Option<Secret>), CheckError> {
        let now = self.now();
        let claims = self.codec.decode(token, now).map_err(|e| {
            CheckError::Refused(if e == super::app_jwt::JwtError::Expired {
                "expired"
            } else {
                "invalid token"
            })
        })?;
        if claims.auth_time() + self.max_age <= now {
            return Err(CheckError::Refused("past the absolute session age"));
        }
        let record = self
            .record(&claims.jti, now)
            .await?
            .ok_or(CheckError::Refused("unknown session"))?;
        if record.user.public_id.as_str() != claims.sub {
            return Err(CheckError::Refused("subject mismatch"));
        }
        if !record.user.is_active() {
            return Err(CheckError::Refused("user disabled"));
        }
        let in_grace = match (record.revoked_at, record.revoked_reason) {
            (None, _) => false,
            (Some(at), Some(RevokeReason::Rotated)) if now - at < ROTATION_GRACE => true,
            _ => return Err(CheckError::Refused("revoked")),
        };

        let ends_at = claims.auth_time() + self.max_age;
        let mut current = CurrentUser {
            renews_at: None,
            record: record.clone(),
            claims: claims.clone(),
            via,
            ends_at,
        };
        let mut renewed = None;
        let renew_for = renew_for
            .filter(|_| !in_grace && renewal_due(&claims, now, self.renew_within, self.max_age));
        if let Some(req) = renew_for {
            // Only a renewal records the client, so only a renewal pays for reading it.
            let client = ClientInfo::of(req);
            let (row, new_token) = self
                .mint(
                    record.user.id,
                    record.user.public_id.as_str(),
                    record.kind,
                    claims.auth_time(),
                    &client,
                )
                .map_err(|_| CheckError::Refused("cannot sign a renewed token"))?;
            let old = claims.jti.clone();
            let row2 = row.clone();
            let won = db::run(&self.pool, move |conn| {
                sessions::rotate(conn, &old, &row2, now)
            })
            .await?;
            self.cache.invalidate(&claims.jti);
            if won {
                tracing::info!(renewed = true, "session renewed");
                current.claims = self.codec.claims_for(
                    &claims.sub,
                    &row.jti,
                    now,
                    row.expires_at,
                    claims.auth_time(),
                );
                renewed = Some(new_token);
            }
        }
        let exp = current.claims.expires_at();
        if exp < ends_at {
            current.renews_at = Some((exp - self.renew_within).max(now));
        }
        Ok((current, renewed))
    }

    /// Revokes one session, with the token it was rotated from or into, everywhere (the cache of
    /// other instances expires within `CACHE_TTL`).
    pub async fn revoke(&self, jti: &str, reason: RevokeReason) -> Result<bool, DbError> {
        let now = self.now();
        let owned = jti.to_string();
        let (family, changed) = db::run(&self.pool, move |conn| {
            let family = sessions::rotation_family(conn, &owned)?;
            Ok((family, sessions::revoke(conn, &owned, reason, now)?))
        })
        .await?;
        for j in &family {
            self.cache.invalidate(j);
        }
        Ok(changed)
    }
}

fn bearer_token(req: &ServiceRequest) -> Option<String> {
    let h = req.headers().get(actix_web::http::header::AUTHORIZATION)?;
    let v = h.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// Marks a request whose `Authorization: Bearer` token was refused (for the 401 body).
#[derive(Debug, Clone, Copy)]
pub struct BearerRefused;

/// The middleware on every page and API scope.
///
/// A database failure is answered here as a response carrying the `AppError` (not as `Err`,
/// which would bypass `render_errors` and leave a bare status without a page or JSON).
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, actix_web::Error> {
    let Some(svc) = req.app_data::<web::Data<SessionService>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    if let Some(token) = bearer_token(&req) {
        match svc.check(&token, None, AuthVia::Bearer).await {
            Ok((user, _)) => {
                req.extensions_mut().insert(user);
            }
            Err(CheckError::Refused(why)) => {
                tracing::info!(reason = why, "bearer token refused");
                req.extensions_mut().insert(BearerRefused);
            }
            Err(CheckError::Db(e)) => {
                return Ok(req.error_response(AppError::from(e)).map_into_right_body());
            }
        }
    } else {
        let session = TypedSession::from(req.get_session());
        if let Some(token) = session.jwt() {
            match svc
                .check(token.expose(), Some(req.request()), AuthVia::Cookie)
                .await
            {
                Ok((user, renewed)) => {
                    if let Some(t) = renewed
                        && session.set_jwt(&t).is_err()
                    {
                        tracing::warn!("could not write the renewed session");
                    }
                    req.extensions_mut().insert(user);
                }
                Err(CheckError::Refused(why)) => {
                    tracing::info!(reason = why, "session refused; signed out");
                    session.purge();
                }
                Err(CheckError::Db(e)) => {
                    return Ok(req.error_response(AppError::from(e)).map_into_right_body());
                }
            }
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}
