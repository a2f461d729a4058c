//! The overview figures and the list's match counts, kept a minute by each instance so that
//! paging through the user list does not recount them on every view.

use crate::db::overview::Overview;
use crate::db::totals::Total;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

/// How long the overview figures are reused. Counting the week's active users and the month's
/// sign-ups reads tens of thousands of index entries at a million users: too much to redo on
/// every page view, and nobody needs them fresher than this.
pub const OVERVIEW_TTL: chrono::Duration = chrono::Duration::seconds(60);

/// Distinct filters whose match count is remembered at once.
const MAX_CACHED_COUNTS: usize = 1_000;

/// The last overview computed by this instance, and the match counts of recent filters (a
/// broad search such as "ada" matches tens of thousands of users: paging through it should not
/// recount them on every page). Both are kept `OVERVIEW_TTL`.
#[derive(Debug, Default)]
pub struct OverviewCache {
    overview: Mutex<Option<(DateTime<Utc>, Overview)>>,
    counts: Mutex<HashMap<String, (DateTime<Utc>, Total)>>,
}

fn fresh(at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now >= at && now - at < OVERVIEW_TTL
}

impl OverviewCache {
    pub fn get(&self, now: DateTime<Utc>) -> Option<Overview> {
        let guard = self.overview.lock().ok()?;
        match guard.as_ref() {
            Some((at, o)) if fresh(*at, now) => Some(o.clone()),
            _ => None,
        }
    }

    pub fn put(&self, now: DateTime<Utc>, o: &Overview) {
        if let Ok(mut guard) = self.overview.lock() {
            *guard = Some((now, o.clone()));
        }
    }

    pub fn count(&self, key: &str, now: DateTime<Utc>) -> Option<Total> {
        let map = self.counts.lock().ok()?;
        map.get(key).filter(|(at, _)| fresh(*at, now)).map(|e| e.1)
    }

    pub fn put_count(&self, key: String, now: DateTime<Utc>, t: Total) {
        if let Ok(mut map) = self.counts.lock() {
            if map.len() >= MAX_CACHED_COUNTS {
                map.retain(|_, (at, _)| fresh(*at, now));
                if map.len() >= MAX_CACHED_COUNTS {
                    map.clear();
                }
            }
            map.insert(key, (now, t));
        }
    }
}
