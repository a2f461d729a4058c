//! `Sessions`: the one owner of sessions and API tokens. It alone mints them, checks them (app
//! JWT, then the `sessions` row and its user through a short per-instance cache), renews them
//! inside the renewal window and revokes them, and it invalidates its cache in the same call,
//! so no caller can forget to. No web types: the middleware and the handlers call it
//! (docs/ARCHITECTURE.md, "Sessions").

pub mod jwt;
pub mod keys;
mod own;

use crate::cache::TtlCache;
use crate::clock::SharedClock;
use crate::db::sessions::{self, NewSession, Revocation, SessionKind, SessionRecord};
use crate::db::users::User;
use crate::db::{self, DbError, DbPool, audit};
use crate::domain::{RevokeReason, TokenName, random_token};
use crate::net::ClientInfo;
use crate::secret::Secret;
use chrono::{DateTime, Duration, Utc};
use jwt::{AppClaims, JwtCodec, JwtError, expiry_for, renewal_due};
use std::sync::Arc;

/// How long a rotated token is still accepted, so that requests racing the renewal succeed.
pub const ROTATION_GRACE: Duration = Duration::seconds(60);
/// `last_used_at` is written at most this often per session or API token, so that the API
/// path stays one cached read most of the time.
const TOUCH_EVERY: Duration = Duration::minutes(1);
/// Upper bound on how stale a cached session check may be. Revocation must reach every
/// instance within 1 s; half of that leaves room for the request itself.
pub const CACHE_TTL: Duration = Duration::milliseconds(500);
/// Session checks remembered at once per instance.
const CACHE_MAX: usize = 100_000;

/// Whether a session id a form names could be one (not empty, at most 128 bytes); anything
/// else is turned away before the database is asked.
pub fn plausible_jti(jti: &str) -> bool {
    !jti.is_empty() && jti.len() <= 128
}

/// How a request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthVia {
    Cookie,
    Bearer,
}

/// The signed-in person as handlers see it: put in the request by the session middleware.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub record: Arc<SessionRecord>,
    /// The claims of the token in force after this request (renewed or not).
    pub claims: AppClaims,
    pub via: AuthVia,
    /// When the token will be renewed (start of the renewal window), if it can be.
    pub renews_at: Option<DateTime<Utc>>,
    /// When the session ends for good and the person must sign in again.
    pub ends_at: DateTime<Utc>,
}

impl CurrentUser {
    pub fn user(&self) -> &User {
        &self.record.user
    }

    pub fn jti(&self) -> &str {
        &self.claims.jti
    }

    pub fn expires_at(&self) -> DateTime<Utc> {
        self.claims.expires_at()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The token or its session is not (or no longer) good: the caller is anonymous.
    #[error("refused: {0}")]
    Refused(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("the session token could not be signed")]
    Signing(#[from] JwtError),
    #[error("only a signed-in browser can create an API token")]
    NotFromBrowser,
    #[error(transparent)]
    Db(#[from] DbError),
}

use crate::config::Lifetimes;

pub struct Sessions {
    codec: JwtCodec,
    /// Session checks by `jti` (`None`: a known-unknown `jti`).
    cache: TtlCache<String, Option<Arc<SessionRecord>>>,
    pool: DbPool,
    clock: SharedClock,
    life: Lifetimes,
}

crate::debug_shows!(Sessions, |s| { cache: s.cache });

impl Sessions {
    pub fn new(codec: JwtCodec, pool: DbPool, clock: SharedClock, life: Lifetimes) -> Self {
        Self {
            codec,
            cache: TtlCache::new("session checks", CACHE_MAX, CACHE_TTL),
            pool,
            clock,
            life,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The app-JWT codec (tests sign tokens of their own with it).
    pub fn codec(&self) -> &JwtCodec {
        &self.codec
    }

    pub fn lifetimes(&self) -> Lifetimes {
        self.life
    }

    /// A new session row and its signed token, for a sign-in or an API token. Pure: the caller
    /// writes the row (inside its own transaction, for a sign-in).
    pub fn mint(
        &self,
        user: &User,
        kind: SessionKind,
        auth_time: DateTime<Utc>,
        client: &ClientInfo,
    ) -> Result<(NewSession, Secret), JwtError> {
        let now = self.now();
        let jti = random_token(18);
        let expires_at = match kind {
            SessionKind::Browser => expiry_for(now, auth_time, self.life.ttl, self.life.max_age),
            // An API token has its own lifetime from creation, and is never renewed.
            SessionKind::Api => now + self.life.api_ttl,
        };
        let claims =
            self.codec
                .claims_for(user.public_id.as_str(), &jti, now, expires_at, auth_time);
        let token = self.codec.encode(&claims)?;
        let row = NewSession {
            jti,
            user_id: user.id,
            kind,
            name: None,
            created_at: now,
            expires_at,
            auth_time,
            client: client.clone(),
        };
        Ok((row, token))
    }

    /// A separately revocable API token (its own `sessions` row, named), with its audit row in
    /// the same transaction; returns it and its expiry. Only a browser session may ask: a token
    /// never mints another (the caller's `via` is checked here as well as by the routes).
    pub async fn create_api_token(
        &self,
        current: &CurrentUser,
        name: &TokenName,
        client: &ClientInfo,
    ) -> Result<(Secret, DateTime<Utc>), SessionError> {
        if current.via != AuthVia::Cookie || current.record.kind != SessionKind::Browser {
            return Err(SessionError::NotFromBrowser);
        }
        let user = current.user();
        let now = self.now();
        let (mut row, token) = self.mint(user, SessionKind::Api, now, client)?;
        row.name = Some(name.as_str().to_string());
        let expires = row.expires_at;
        let (id, email) = (user.id, user.profile.email.clone());
        let detail = format!("token \"{}\"", name.as_str());
        db::run(&self.pool, move |conn| {
            db::transaction(conn, |conn| {
                sessions::insert(conn, &row)?;
                audit::insert(
                    conn,
                    &audit::NewEntry {
                        actor: &audit::Actor::User {
                            id,
                            email: email.clone(),
                        },
                        action: audit::AuditAction::CreateApiToken,
                        target: Some((id, &email)),
                        detail: Some(&detail),
                        ip: row.client.ip.as_deref(),
                        at: now,
                    },
                )
            })
        })
        .await?;
        Ok((token, expires))
    }

    async fn record(
        &self,
        jti: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Arc<SessionRecord>>, DbError> {
        if let Some(r) = self.cache.get(jti, now) {
            tracing::trace!(cached = true, found = r.is_some(), "session row");
            return Ok(r);
        }
        tracing::trace!(cached = false, "session row from the database");
        let jti_owned = jti.to_string();
        let record = db::run(&self.pool, move |conn| {
            let r = sessions::find_with_user(conn, &jti_owned)?;
            if let Some(r) = &r {
                let stale = r.last_used_at.is_none_or(|t| now - t > TOUCH_EVERY);
                if stale && r.revoked.is_none() {
                    sessions::touch(conn, &r.jti, now)?;
                }
            }
            Ok(r)
        })
        .await?
        .map(Arc::new);
        self.cache.insert(jti.to_string(), record.clone(), now);
        Ok(record)
    }

    /// Checks a token; with `renew_for` (which reads the client recorded on the new row),
    /// replaces it inside the renewal window and returns the new one.
    pub async fn check(
        &self,
        token: &str,
        renew_for: Option<&dyn Fn() -> ClientInfo>,
        via: AuthVia,
    ) -> Result<(CurrentUser, Option<Secret>), CheckError> {
        let now = self.now();
        let (claims, current_key) = self.codec.decode_keyed(token, now).map_err(|e| {
            CheckError::Refused(if e == JwtError::Expired {
                "expired"
            } else {
                "invalid token"
            })
        })?;
        let record = self
            .record(&claims.jti, now)
            .await?
            .ok_or(CheckError::Refused("unknown session"))?;
        // A browser session stops at `SESSION_MAX_AGE` since sign-in; an API token at its own
        // expiry (the JWT's `exp`, checked above), which nothing extends.
        let ends_at = match record.kind {
            SessionKind::Browser => claims.auth_time() + self.life.max_age,
            SessionKind::Api => claims.expires_at(),
        };
        if ends_at <= now {
            return Err(CheckError::Refused("past the absolute session age"));
        }
        if record.user.public_id.as_str() != claims.sub {
            return Err(CheckError::Refused("subject mismatch"));
        }
        if !record.user.is_active() {
            return Err(CheckError::Refused("user disabled"));
        }
        let in_grace = match record.revoked {
            None => false,
            Some(Revocation {
                at,
                reason: Some(RevokeReason::Rotated),
            }) if now - at < ROTATION_GRACE => true,
            _ => return Err(CheckError::Refused("revoked")),
        };

        let mut current = CurrentUser {
            renews_at: None,
            record: record.clone(),
            claims: claims.clone(),
            via,
            ends_at,
        };
        let mut renewed = None;
        // A browser session signed with a previous key (`SECRET_KEY_PREVIOUS`) is re-issued
        // under the current key at once, so it outlives the old key's removal.
        let renew_for = renew_for.filter(|_| {
            record.kind == SessionKind::Browser
                && !in_grace
                && (!current_key
                    || renewal_due(&claims, now, self.life.renew_within, self.life.max_age))
        });
        if let Some(client) = renew_for {
            // Only a renewal records the client, so only a renewal pays for reading it.
            let (row, new_token) = self
                .mint(&record.user, record.kind, claims.auth_time(), &client())
                .map_err(|_| CheckError::Refused("cannot sign a renewed token"))?;
            let old = claims.jti.clone();
            let row2 = row.clone();
            let won = db::run(&self.pool, move |conn| {
                sessions::rotate(conn, &old, &row2, now)
            })
            .await?;
            self.cache.remove(claims.jti.as_str());
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
            current.renews_at = Some((exp - self.life.renew_within).max(now));
        }
        Ok((current, renewed))
    }

    /// Signs one person out: their session and the tokens it was rotated from or into are
    /// revoked, with the audit row, in one transaction; this instance forgets them at once,
    /// others within `CACHE_TTL`.
    pub async fn sign_out(&self, current: &CurrentUser, ip: Option<String>) -> Result<(), DbError> {
        let (jti, id, email) = (
            current.jti().to_string(),
            current.user().id,
            current.user().profile.email.clone(),
        );
        let now = self.now();
        let family = db::run(&self.pool, move |conn| {
            // Read before the transaction (SQLite cannot upgrade a read transaction to a write).
            let family = sessions::rotation_family(conn, &jti)?;
            db::transaction(conn, |conn| {
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
            self.cache.remove(j.as_str());
        }
        Ok(())
    }

    /// Runs a change to one user or their sessions (an admin action: role, status, revoking)
    /// and then forgets that user's cached checks here; other instances follow within
    /// `CACHE_TTL`. The change writes its own audit row inside its own transaction.
    pub async fn change_user<T, E, F>(&self, user_id: i64, change: F) -> Result<T, E>
    where
        F: FnOnce(&mut db::DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let outcome = db::run(&self.pool, move |conn| Ok(change(conn))).await?;
        self.forget_user(user_id);
        outcome
    }

    /// Forgets every cached check of one user on this instance (tests that play a second
    /// instance call it directly).
    pub fn forget_user(&self, user_id: i64) {
        self.cache
            .retain(|r| r.as_ref().is_none_or(|r| r.user.id != user_id));
    }

    /// Session checks this instance remembers (for tests and `Debug`).
    pub fn cached_checks(&self) -> usize {
        self.cache.len()
    }
}
