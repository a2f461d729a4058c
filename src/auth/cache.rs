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
    /// When expired entries were last swept out (see `put`).
    swept: Mutex<Option<DateTime<Utc>>>,
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
        // Sweep expired entries about once per TTL: without it every session ever seen stayed
        // until MAX_ENTRIES (memory grew all through the soak run, one entry per sign-in).
        if let Ok(mut swept) = self.swept.lock()
            && swept.is_none_or(|t| now - t >= CACHE_TTL || now < t)
        {
            map.retain(|_, e| now - e.at < CACHE_TTL && now >= e.at);
            *swept = Some(now);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_entries_are_swept_as_new_ones_arrive() {
        let c = SessionCache::default();
        let t0 = chrono::Utc::now();
        for i in 0..1000 {
            c.put(&format!("jti-{i}"), None, t0);
        }
        assert_eq!(c.len(), 1000, "fresh entries stay");
        c.put("later", None, t0 + Duration::seconds(1));
        assert_eq!(c.len(), 1, "only the fresh entry is left");
        assert!(matches!(
            c.get("later", t0 + Duration::seconds(1)),
            Lookup::Hit(None)
        ));
    }
}
