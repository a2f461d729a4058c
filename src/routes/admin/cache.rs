//! The overview figures and the list's match counts, kept a minute by each instance so that
//! paging through the user list does not recount them on every view.

use crate::cache::TtlCache;
use crate::db::overview::Overview;
use crate::db::totals::Total;
use chrono::{DateTime, Utc};

/// How long the overview figures are reused. Counting the week's active users and the month's
/// sign-ups reads tens of thousands of index entries at a million users: too much to redo on
/// every page view, and nobody needs them fresher than this.
pub const OVERVIEW_TTL: chrono::Duration = chrono::Duration::seconds(60);

/// Distinct filters whose match count is remembered at once.
const MAX_CACHED_COUNTS: usize = 1_000;

/// The last overview computed by this instance, and the match counts of recent filters (a
/// broad search such as "ada" matches tens of thousands of users: paging through it should not
/// recount them on every page). Both are kept `OVERVIEW_TTL`.
#[derive(Debug)]
pub struct OverviewCache {
    overview: TtlCache<(), Overview>,
    counts: TtlCache<String, Total>,
}

impl Default for OverviewCache {
    fn default() -> Self {
        Self {
            overview: TtlCache::new("admin overview", 1, OVERVIEW_TTL),
            counts: TtlCache::new("admin match counts", MAX_CACHED_COUNTS, OVERVIEW_TTL),
        }
    }
}

impl OverviewCache {
    pub fn get(&self, now: DateTime<Utc>) -> Option<Overview> {
        self.overview.get(&(), now)
    }

    pub fn put(&self, now: DateTime<Utc>, o: &Overview) {
        self.overview.insert((), o.clone(), now);
    }

    pub fn count(&self, key: &str, now: DateTime<Utc>) -> Option<Total> {
        self.counts.get(key, now)
    }

    pub fn put_count(&self, key: String, now: DateTime<Utc>, t: Total) {
        self.counts.insert(key, t, now);
    }
}
