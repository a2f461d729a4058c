//! `TtlCache`: the one small cache type behind every per-instance cache (verified app tokens,
//! session checks, the admin overview and match counts, the active-session gauge, the JWKS).
//!
//! Each entry lives `ttl` from its insertion, measured on the time the caller passes in (the
//! injected clock, so tests move time instead of sleeping). At most `capacity` entries are kept:
//! expired ones are swept out about once per `ttl`, and when the cache is still full the oldest
//! insertion is forgotten for each new one. The database stays the truth; a cache is only ever
//! an optimisation (docs/ARCHITECTURE.md, "Caches").

use chrono::{DateTime, Duration, Utc};
use std::borrow::Borrow;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Mutex;

struct Entry<V> {
    at: DateTime<Utc>,
    value: V,
}

struct Inner<K, V> {
    map: HashMap<K, Entry<V>>,
    /// Insertion order, for forgetting the oldest when full. It may still name keys already
    /// removed; it is trimmed with the map and never grows past twice the capacity.
    order: VecDeque<K>,
    swept: Option<DateTime<Utc>>,
}

pub struct TtlCache<K, V> {
    name: &'static str,
    capacity: usize,
    ttl: Duration,
    inner: Mutex<Inner<K, V>>,
}

impl<K, V> std::fmt::Debug for TtlCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.inner.lock().map(|i| i.map.len()).unwrap_or(0);
        write!(f, "TtlCache({}: {n}/{} entries)", self.name, self.capacity)
    }
}

impl<K: Hash + Eq + Clone, V: Clone> TtlCache<K, V> {
    /// A cache named for logs and `Debug`, holding at most `capacity` entries for `ttl` each.
    pub fn new(name: &'static str, capacity: usize, ttl: Duration) -> Self {
        Self {
            name,
            capacity: capacity.max(1),
            ttl,
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                order: VecDeque::new(),
                swept: None,
            }),
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn fresh(&self, at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        // A clock that went back makes an entry from "the future" stale, not immortal.
        now >= at && now - at < self.ttl
    }

    /// The value if it is fresh at `now`.
    pub fn get<Q>(&self, key: &Q, now: DateTime<Utc>) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let inner = self.inner.lock().ok()?;
        let e = inner.map.get(key)?;
        self.fresh(e.at, now).then(|| e.value.clone())
    }

    /// The value however old, with when it was stored (a JWKS that cannot be refreshed).
    pub fn get_stale<Q>(&self, key: &Q) -> Option<(V, DateTime<Utc>)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let inner = self.inner.lock().ok()?;
        inner.map.get(key).map(|e| (e.value.clone(), e.at))
    }

    pub fn insert(&self, key: K, value: V, now: DateTime<Utc>) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let inner = &mut *inner;
        if inner.swept.is_none_or(|t| now < t || now - t >= self.ttl) {
            inner
                .map
                .retain(|_, e| now >= e.at && now - e.at < self.ttl);
            inner.order.retain(|k| inner.map.contains_key(k));
            inner.swept = Some(now);
        }
        while !inner.map.contains_key(&key)
            && (inner.map.len() >= self.capacity || inner.order.len() >= 2 * self.capacity)
        {
            match inner.order.pop_front() {
                Some(old) => {
                    inner.map.remove(&old);
                }
                None => break,
            }
        }
        if inner
            .map
            .insert(key.clone(), Entry { at: now, value })
            .is_none()
        {
            inner.order.push_back(key);
        }
    }

    pub fn remove<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Ok(mut inner) = self.inner.lock() {
            inner.map.remove(key);
        }
    }

    /// Keeps only the entries whose value passes `keep` (e.g. forget one user's sessions).
    pub fn retain(&self, mut keep: impl FnMut(&V) -> bool) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.map.retain(|_, e| keep(&e.value));
        }
    }

    pub fn clear(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.map.clear();
            inner.order.clear();
        }
    }

    pub fn len(&self) -> usize {
        self.inner.lock().map(|i| i.map.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        chrono::Utc::now()
    }

    #[test]
    fn entries_live_exactly_their_ttl() {
        let c = TtlCache::new("t", 10, Duration::seconds(5));
        let t = t0();
        c.insert("a".to_string(), 1, t);
        assert_eq!(c.get("a", t), Some(1));
        assert_eq!(c.get("a", t + Duration::milliseconds(4999)), Some(1));
        assert_eq!(c.get("a", t + Duration::seconds(5)), None, "expired at ttl");
        assert_eq!(
            c.get("a", t - Duration::seconds(1)),
            None,
            "a clock that went back does not make it immortal"
        );
        assert_eq!(
            c.get_stale("a").map(|(v, _)| v),
            Some(1),
            "stale still readable"
        );
    }

    #[test]
    fn expired_entries_are_swept_as_new_ones_arrive() {
        let c = TtlCache::new("t", 100_000, Duration::milliseconds(500));
        let t = t0();
        for i in 0..1000 {
            c.insert(format!("k{i}"), (), t);
        }
        assert_eq!(c.len(), 1000, "fresh entries stay");
        c.insert("later".to_string(), (), t + Duration::seconds(1));
        assert_eq!(c.len(), 1, "only the fresh entry is left");
        assert_eq!(c.get("later", t + Duration::seconds(1)), Some(()));
    }

    #[test]
    fn when_full_the_oldest_insertion_goes_first() {
        let c = TtlCache::new("t", 3, Duration::days(1));
        let t = t0();
        for k in ["a", "b", "c", "d"] {
            c.insert(k.to_string(), k, t);
        }
        assert_eq!(c.len(), 3);
        assert_eq!(c.get("a", t), None, "oldest forgotten");
        for k in ["b", "c", "d"] {
            assert_eq!(c.get(k, t), Some(k));
        }
        // Replacing a present key evicts nothing.
        c.insert("d".to_string(), "D", t);
        assert_eq!(c.len(), 3);
        assert_eq!(c.get("b", t), Some("b"));
        assert_eq!(c.get("d", t), Some("D"));
    }

    #[test]
    fn removals_and_churn_keep_memory_bounded() {
        let c = TtlCache::new("t", 16, Duration::days(1));
        let t = t0();
        for i in 0..10_000 {
            c.insert(i, i, t);
            if i % 2 == 0 {
                c.remove(&i);
            }
        }
        assert!(c.len() <= 16);
        let order = c.inner.lock().unwrap().order.len();
        assert!(order <= 32, "the order queue stays bounded: {order}");
    }

    #[test]
    fn retain_forgets_matching_values() {
        let c = TtlCache::new("t", 10, Duration::days(1));
        let t = t0();
        c.insert(1, "alice", t);
        c.insert(2, "bob", t);
        c.retain(|v| *v != "alice");
        assert_eq!(c.get(&1, t), None);
        assert_eq!(c.get(&2, t), Some("bob"));
        c.clear();
        assert!(c.is_empty());
    }
}
