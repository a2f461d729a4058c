//! A short-lived, per-instance cache of session checks, so that most requests cost no database
//! round trip. Entries live `CACHE_TTL`; revocation on any instance therefore takes effect
//! everywhere within that bound (the database stays the truth, see DESIGN.md "Scale-out").

use crate::db::sessions::SessionRecord;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Upper bound on how stale a cached session check may be. Revocation must reach every
/// instance within 1 s; half of that leaves room for the request itself.
pub const CACHE_TTL: Duration = Duration::milliseconds(500);
const MAX_ENTRIES: usize = 100_000;

#[derive(Clone)]
struct Entry {
    at: DateTime<Utc>,
    record: Option<Arc<SessionRecord>>,
}

#[derive(Default)]
pub struct SessionCache {
    map: Mutex<HashMap<String, Entry>>,
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.map.lock().map(|m| m.len()).unwrap_or(0);
        write!(f, "SessionCache({n} entries)")
    }
}

pub enum Lookup {
    /// Fresh entry: the session row (or `None` for a known-unknown `jti`).
    Hit(Option<Arc<SessionRecord>>),
    Miss,
}

impl SessionCache {
    pub fn get(&self, jti: &str, now: DateTime<Utc>) -> Lookup {
        let Ok(map) = self.map.lock() else {
            return Lookup::Miss;
        };
        match map.get(jti) {
            Some(e) if now - e.at < CACHE_TTL && now >= e.at => Lookup::Hit(e.record.clone()),
            _ => Lookup::Miss,
        }
    }

    pub fn put(&self, jti: &str, record: Option<Arc<SessionRecord>>, now: DateTime<Utc>) {
        let Ok(mut map) = self.map.lock() else { return };
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, e| now - e.at < CACHE_TTL);
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
        }
        map.insert(jti.to_string(), Entry { at: now, record });
    }

    pub fn invalidate(&self, jti: &str) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(jti);
        }
    }

    /// Drops every cached session of one user (after disable, role change or revoke-all here).
    pub fn invalidate_user(&self, user_id: i64) {
        if let Ok(mut map) = self.map.lock() {
            map.retain(|_, e| e.record.as_ref().is_none_or(|r| r.user.id != user_id));
        }
    }

    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
