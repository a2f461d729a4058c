//! Sign-in as a use case, below the web layer (no actix types): `begin` makes the pending
//! sign-in and the provider URL; `complete` checks the callback against it, lets the provider
//! identify the person, applies the policy (verified email, allowed domains, admin grant),
//! registers the user and starts their session in one transaction, and writes the audit row of
//! every refusal (docs/ARCHITECTURE.md, "Sign-in").

mod allowlist;
mod link;
mod pending;
mod policy;
mod refusal;
mod register;

pub use allowlist::AllowFile;
pub use link::{LINK_WITHIN, Linked, may_link};
pub use pending::{PENDING_LOGIN_TTL_SECS, PendingLogin};
pub use policy::Policy;
pub use refusal::Refusal;
use register::{Grants, register};

use crate::cache::TtlCache;
use crate::db::users::{Profile, SignInProfile, User};
use crate::db::{self, DbError, DbPool, audit};
use crate::db::{invitations, signin_states};
use crate::domain::{Email, random_token, safe_next};
use crate::net::{ClientInfo, client_group};
use crate::provider::{
    AuthorizeRequest, CodeExchange, Identity, IdentityProvider, ProviderError, pkce_challenge,
};
use crate::secret::Secret;
use crate::sessions::Sessions;
use crate::sessions::jwt::JwtError;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use url::Url;

/// What the provider sent back to the callback.
#[derive(Debug, Default)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub iss: Option<String>,
}

/// What reached a provider's callback, as the route hands it over: the provider, the pending
/// flow (already taken out of the browser's keeping: whatever happens, it is used once), what
/// the provider sent, and who sent it.
pub struct Arrival<'a> {
    pub provider: &'a dyn IdentityProvider,
    pub pending: Option<PendingLogin>,
    pub callback: Callback,
    pub client: ClientInfo,
}

/// A completed sign-in: the session token to keep and where to go next.
#[derive(Debug)]
pub struct SignedIn {
    pub token: Secret,
    pub next: String,
    pub user: User,
    pub created: bool,
    /// `serve --dev` made this person the first admin with this sign-in.
    pub dev_admin: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("sign-in refused: {}", .0.reason())]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("the session token could not be signed")]
    Signing(#[from] JwtError),
}

impl From<ProviderError> for SignInError {
    fn from(e: ProviderError) -> Self {
        SignInError::Refused(Refusal::Provider(e))
    }
}

impl SignInError {
    /// The audit and metrics label; `None` when the database itself failed (nowhere to write).
    fn audit_reason(&self) -> Option<&'static str> {
        match self {
            SignInError::Refused(r) => Some(r.reason()),
            SignInError::Db(e) if e.is_unavailable() => None,
            SignInError::Db(_) | SignInError::Signing(_) => Some("internal"),
        }
    }
}

/// Refused sign-ins are audited at most once per client group per this window, with a count.
const REFUSAL_WINDOW: chrono::Duration = chrono::Duration::minutes(1);
/// Clients whose refusal row is remembered at most (the oldest forgotten first).
const REFUSAL_CLIENTS: usize = 100_000;

/// A client's refusal row in the current window: its id, the refusals so far, the reason of
/// the first, and when the window began.
type RefusalRow = (i64, u64, &'static str, chrono::DateTime<chrono::Utc>);

pub struct SignIn {
    /// In the sign-in page's order (`PROVIDERS`).
    providers: Vec<Arc<dyn IdentityProvider>>,
    policy: Policy,
    sessions: Arc<Sessions>,
    pool: DbPool,
    /// Per client group (`net::client_group`; `None`: no address known).
    refusals: TtlCache<Option<std::net::IpAddr>, RefusalRow>,
    /// `serve --dev`: a sign-in has seen an admin in the database. From then on sign-ins skip
    /// the first-admin look (the last-admin rule keeps one admin for good).
    admin_seen: AtomicBool,
}

crate::debug_shows!(SignIn, |s| { providers: s.providers });

impl SignIn {
    pub fn new(
        providers: Vec<Arc<dyn IdentityProvider>>,
        policy: Policy,
        sessions: Arc<Sessions>,
        pool: DbPool,
    ) -> Self {
        Self {
            providers,
            policy,
            sessions,
            pool,
            refusals: TtlCache::new("refused sign-ins", REFUSAL_CLIENTS, REFUSAL_WINDOW),
            admin_seen: AtomicBool::new(false),
        }
    }

    /// The providers, in the sign-in page's order.
    pub fn providers(&self) -> impl Iterator<Item = &dyn IdentityProvider> {
        self.providers.iter().map(|p| p.as_ref())
    }

    /// The enabled provider of that key, if any.
    pub fn provider(&self, key: &str) -> Option<&dyn IdentityProvider> {
        self.providers().find(|p| p.key() == key)
    }

    /// A new pending sign-in with the provider `key` (state, nonce, PKCE verifier, where to
    /// return) and the provider URL to send the browser to; `None` when no such provider is
    /// enabled.
    pub fn begin(
        &self,
        key: &str,
        next: Option<&str>,
        login_hint: Option<&str>,
    ) -> Option<(PendingLogin, Url)> {
        let provider = self.provider(key)?;
        let pending = PendingLogin {
            provider: key.to_string(),
            link_to: None,
            state: random_token(32),
            nonce: random_token(32),
            verifier: random_token(32),
            next: safe_next(next),
            started: self.sessions.now().timestamp(),
        };
        let hint = login_hint.and_then(|h| Email::parse(h).ok());
        let url = provider.authorize_url(&AuthorizeRequest {
            state: &pending.state,
            nonce: &pending.nonce,
            code_challenge: &pkce_challenge(&pending.verifier),
            login_hint: hint.as_ref().map(Email::as_str),
        });
        Some((pending, url))
    }

    /// Completes at the callback the sign-in begun with `at.pending`. A refusal is recorded in
    /// the audit log.
    pub async fn complete(&self, at: Arrival<'_>) -> Result<SignedIn, SignInError> {
        let ip = at.client.ip.clone();
        let result = self.complete_inner(at).await;
        self.recorded(result, ip).await
    }

    /// `result`, after recording it in the audit log when it is a refusal.
    async fn recorded<T>(
        &self,
        result: Result<T, SignInError>,
        ip: Option<String>,
    ) -> Result<T, SignInError> {
        if let Err(e) = &result {
            self.record_refusal(e, ip).await;
        }
        result
    }

    async fn complete_inner(&self, at: Arrival<'_>) -> Result<SignedIn, SignInError> {
        let (provider, client) = (at.provider, at.client);
        let now = self.sessions.now();
        let (pending, who, email) = self
            .identify_at_callback(provider, at.pending, at.callback, now)
            .await?;
        if pending.link_to.is_some() {
            // A link flow's cookie brought to a sign-in: it signs nobody in.
            return Err(Refusal::BadState.into());
        }
        let authority = provider.email_authority();
        if let Err(refused) = self
            .policy
            .admission(&email, who.hd.as_deref(), authority, now)
        {
            // An invitation admits its address past the lists (looked up only on refusal).
            let e = email.clone();
            if !db::run(&self.pool, move |conn| invitations::is_invited(conn, &e)).await? {
                return Err(refused.into());
            }
        }
        let grants = Grants {
            admin_email: self
                .policy
                .grants_admin(&email, who.hd.as_deref(), authority),
            authoritative: policy::authoritative(&email, who.hd.as_deref(), authority),
            claims_invitations: authority != crate::provider::EmailAuthority::Untrusted,
            dev_first_admin: self.policy.dev_first_admin
                && !self.admin_seen.load(Ordering::Relaxed),
            link_by_email: self.policy.link_by_verified_email
                && policy::authoritative(&email, who.hd.as_deref(), authority),
        };
        let profile = sign_in_profile(provider, who, email);

        // The state is used once on every instance: its hash is recorded in the same
        // transaction as the user and the session (a fault leaves none of them).
        let used = UsedState::of(&pending);
        let sessions = self.sessions.clone();
        let (user, created, dev_admin, token) = db::run(&self.pool, move |conn| {
            Ok(db::transaction(conn, |conn| {
                if !signin_states::consume(conn, &used.hash, used.until, now)? {
                    tracing::info!("state replayed after its first use");
                    return Err(Refusal::BadState.into());
                }
                register(conn, &sessions, &profile, grants, now, &client)
            }))
        })
        .await??;
        if grants.dev_first_admin {
            // The committed transaction found an admin or made one.
            self.admin_seen.store(true, Ordering::Relaxed);
        }
        tracing::info!(created, admin = user.is_admin(), "signed in");
        Ok(SignedIn {
            token,
            next: safe_next(Some(&pending.next)),
            user,
            created,
            dev_admin,
        })
    }

    /// What every callback checks before anything is written (the provider's `error`, the
    /// state in constant time, that the flow was begun with this provider, its age, `iss`, the
    /// code), then the provider's word on who the person is, with a verified, usable email.
    async fn identify_at_callback(
        &self,
        provider: &dyn IdentityProvider,
        pending: Option<PendingLogin>,
        q: Callback,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(PendingLogin, Identity, Email), SignInError> {
        if let Some(error) = q.error.as_deref() {
            let shown: String = error
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(40)
                .collect();
            tracing::info!(provider_error = %shown, "provider returned an error");
            return Err(if error == "access_denied" {
                Refusal::Cancelled
            } else {
                Refusal::ProviderSaidNo
            }
            .into());
        }
        // The state proves the browser that began the flow; the provider's key, that it comes
        // back from the provider it was sent to.
        let pending = match (pending, q.state.as_deref()) {
            (Some(p), Some(state)) if p.state_matches(state) && p.provider == provider.key() => p,
            _ => return Err(Refusal::BadState.into()),
        };
        if !pending.is_current(now.timestamp()) {
            return Err(Refusal::BadState.into());
        }
        if let Some(iss) = q.iss.as_deref()
            && !provider.issuer_matches(iss)
        {
            return Err(Refusal::BadState.into());
        }
        let code = q
            .code
            .filter(|c| !c.is_empty() && c.len() <= 2048)
            .ok_or(Refusal::NoCode)?;

        let who = provider
            .identify(
                CodeExchange {
                    code: &code,
                    state: &pending.state,
                    verifier: &pending.verifier,
                    nonce: &pending.nonce,
                },
                now,
            )
            .await?;
        // An unverified address signs in only at a provider that never verifies (Naver), and
        // only where no allowlist applies: it proves nothing a list could be checked against.
        let open_to_unverified = provider.unverified_email_signs_in() && self.policy.is_open();
        if !(who.email_verified || open_to_unverified) {
            return Err(Refusal::EmailUnverified.into());
        }
        let email = who
            .email
            .as_deref()
            .and_then(|e| Email::parse(e).ok())
            .ok_or(ProviderError::IdToken("no usable email"))?;
        Ok((pending, who, email))
    }

    /// Writes the `sign_in_refused` audit row; a failure to write is logged, never shown. At
    /// most one row per client group (IPv6 by /64) per minute: later refusals in the window
    /// update that row's count ("bad_state; 20 refusals"), so anonymous traffic cannot grow the
    /// log without bound. (Per instance, like the rate limits.)
    async fn record_refusal(&self, err: &SignInError, ip: Option<String>) {
        let Some(reason) = err.audit_reason() else {
            return;
        };
        let user = match err {
            SignInError::Refused(r) => r.user().map(|(id, e)| (id, e.clone())),
            _ => None,
        };
        let now = self.sessions.now();
        let group = ip.as_deref().and_then(|i| i.parse().ok()).map(client_group);
        if let Some((id, n, first, started)) = self.refusals.get(&group, now) {
            let n = n + 1;
            self.refusals
                .insert(group, (id, n, first, started), started);
            let detail = format!("{first}; {n} refusals");
            let written =
                db::run(&self.pool, move |conn| audit::set_detail(conn, id, &detail)).await;
            if let Err(e) = written {
                tracing::warn!(error = %e, reason, "could not count the refused sign-in");
            }
            return;
        }
        let written = db::run(&self.pool, move |conn| {
            audit::insert_returning_id(
                conn,
                &audit::NewEntry {
                    actor: &audit::Actor::Anonymous,
                    action: audit::AuditAction::SignInRefused,
                    target: user.as_ref().map(|(id, email)| (*id, email)),
                    detail: Some(reason),
                    ip: ip.as_deref(),
                    at: now,
                },
            )
        })
        .await;
        match written {
            Ok(id) => self.refusals.insert(group, (id, 1, reason, now), now),
            Err(e) => tracing::warn!(error = %e, reason, "could not record the refused sign-in"),
        }
    }
}

/// What the account keeps of the person the provider identified (the email checked as verified,
/// or at Naver admitted unverified to an open service): the name defaults to the address's local
/// part, a picture must be a web URL.
fn sign_in_profile(provider: &dyn IdentityProvider, who: Identity, email: Email) -> SignInProfile {
    let vouched = policy::authoritative(&email, who.hd.as_deref(), provider.email_authority());
    let name = who.name.unwrap_or_else(|| {
        email
            .as_str()
            .split('@')
            .next()
            .unwrap_or_default()
            .to_string()
    });
    SignInProfile {
        vouched,
        provider: provider.key().to_string(),
        subject: who.subject,
        profile: Profile {
            email,
            email_verified: who.email_verified,
            name,
            given_name: who.given_name,
            family_name: who.family_name,
            picture: who
                .picture
                .filter(|p| p.starts_with("https://") || p.starts_with("http://")),
            locale: who.locale,
        },
    }
}

/// What the used-states table keeps of a pending sign-in: the state's hash (never the state),
/// until the flow could no longer complete anyway.
struct UsedState {
    hash: String,
    until: chrono::DateTime<chrono::Utc>,
}

impl UsedState {
    fn of(p: &PendingLogin) -> Self {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(p.state.as_bytes());
        // A minute beyond the lifetime: `is_current` allows that much clock difference.
        let until = crate::sessions::jwt::ts(p.started + PENDING_LOGIN_TTL_SECS + 60);
        Self {
            hash: digest.iter().map(|b| format!("{b:02x}")).collect(),
            until,
        }
    }
}

/// An audit row about `user` written during a sign-in or a link, by `actor`; `at` is who asked
/// and when.
pub(super) fn audit_about(
    conn: &mut db::DbConn,
    actor: &audit::Actor,
    action: audit::AuditAction,
    user: &User,
    detail: Option<&str>,
    at: (&ClientInfo, chrono::DateTime<chrono::Utc>),
) -> Result<(), DbError> {
    audit::insert(
        conn,
        &audit::NewEntry {
            actor,
            action,
            target: Some((user.id, &user.profile.email)),
            detail,
            ip: at.0.ip.as_deref(),
            at: at.1,
        },
    )
}
