//! A session or an API token as the pages list it: the account page (the person's own) and an
//! admin's user page share one view, so a date, a device or a revocation reads the same on both.

use crate::db::sessions::Revocation;
use crate::db::user_sessions::SessionInfo;
use crate::domain::RevokeReason;
use crate::i18n::format::Formats;
use crate::web::device_summary;
use chrono::{DateTime, Utc};

pub struct SessionView {
    pub jti: String,
    pub kind: String,
    /// An API token's name, else the translated "(unnamed)" (browser sessions too; only the
    /// token table shows it).
    pub name: String,
    pub device: String,
    pub user_agent: String,
    pub ip: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    /// The state in words and its badge's class.
    pub state: String,
    pub state_css: &'static str,
    /// Live: neither revoked nor expired (it can be revoked).
    pub active: bool,
    /// The session of the request that shows the page.
    pub current: bool,
}

impl SessionView {
    pub fn new(s: SessionInfo, own_jti: &str, now: DateTime<Utc>, f: &Formats) -> Self {
        let (state, state_css, active) = session_state(&s, now, f);
        let dash = || "—".to_string();
        Self {
            current: s.jti == own_jti,
            kind: f.lang.t(&format!("kind.{}", s.kind.as_str())).into_owned(),
            name: s
                .name
                .unwrap_or_else(|| f.lang.t("account.unnamed").into_owned()),
            device: device_summary(s.client.user_agent.as_deref()),
            created: f.time(s.created_at),
            expires: f.time(s.expires_at),
            last_used: s.last_used_at.map_or_else(dash, |t| f.time(t)),
            user_agent: s.client.user_agent.unwrap_or_else(dash),
            ip: s.client.ip.unwrap_or_else(dash),
            state,
            state_css,
            active,
            jti: s.jti,
        }
    }
}

/// The session's state in words, its badge's class, and whether it is live.
fn session_state(s: &SessionInfo, now: DateTime<Utc>, f: &Formats) -> (String, &'static str, bool) {
    let l = f.lang;
    match s.revoked {
        Some(Revocation {
            at,
            reason: Some(RevokeReason::Rotated),
        }) => (
            l.tf("session.rotated", &[("at", &f.time(at))]),
            "muted",
            false,
        ),
        Some(Revocation { at, reason }) => {
            let why = match reason {
                Some(RevokeReason::Logout) => "session.why_logout",
                Some(RevokeReason::Admin) => "session.why_admin",
                Some(RevokeReason::Disabled) => "session.why_disabled",
                Some(RevokeReason::Rotated) | None => "session.why_revoked",
            };
            let text = l.tf(
                "session.revoked",
                &[("why", &l.t(why)), ("at", &f.time(at))],
            );
            (text, "revoked", false)
        }
        None if s.expires_at <= now => (l.t("session.expired").into_owned(), "muted", false),
        None => (l.t("session.active").into_owned(), "active", true),
    }
}
