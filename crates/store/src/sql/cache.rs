//! A read-through cache for rows read on every request (API tokens). Every write to those rows
//! through this store empties it after the commit, and a read that raced a write does not fill
//! it (a generation count), so this process never answers from a row older than its own last
//! write. Writes by another process (`helpline token revoke`, a second server) are seen after
//! `TTL`.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a cached row may be served: the bound on seeing another process's writes.
pub(crate) const TTL: Duration = Duration::from_secs(1);
/// Rows held at most; a full cache starts again empty (cheaper than tracking recency).
const CAPACITY: usize = 100_000;

#[derive(Debug)]
pub(crate) struct RowCache<K, V> {
    inner: Mutex<Inner<K, V>>,
}

#[derive(Debug)]
struct Inner<K, V> {
    generation: u64,
    rows: HashMap<K, (V, Instant)>,
}

/// Where the cache stood when a read began: `fill` only keeps the row if no write came between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket(u64);

impl<K: Eq + Hash, V: Clone> RowCache<K, V> {
    pub(crate) fn new() -> Self {
        Self {
            inner: Mutex::new(Inner {
                generation: 0,
                rows: HashMap::new(),
            }),
        }
    }

    /// The cached row if it is younger than `TTL`, else a ticket for filling it after reading.
    pub(crate) fn get(&self, key: &K) -> Result<V, Ticket> {
        let inner = self.lock();
        match inner.rows.get(key) {
            Some((row, at)) if at.elapsed() < TTL => Ok(row.clone()),
            _ => Err(Ticket(inner.generation)),
        }
    }

    pub(crate) fn fill(&self, ticket: Ticket, key: K, row: V) {
        let mut inner = self.lock();
        if inner.generation != ticket.0 {
            return;
        }
        if inner.rows.len() >= CAPACITY {
            inner.rows.clear();
        }
        inner.rows.insert(key, (row, Instant::now()));
    }

    /// Called after every committed write to the cached table.
    pub(crate) fn invalidate(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.rows.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<K, V>> {
        // The map holds no invariant a panicking holder could break: keep using it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filled_row_is_served_until_a_write() {
        let cache = RowCache::new();
        let ticket = cache.get(&1).unwrap_err();
        cache.fill(ticket, 1, "a");
        assert_eq!(cache.get(&1), Ok("a"));
        cache.invalidate();
        assert!(cache.get(&1).is_err());
    }

    #[test]
    fn a_read_that_raced_a_write_does_not_fill() {
        let cache = RowCache::new();
        let ticket = cache.get(&1).unwrap_err();
        cache.invalidate(); // a write committed while the read was running
        cache.fill(ticket, 1, "old");
        assert!(cache.get(&1).is_err());
    }

    #[test]
    fn a_full_cache_starts_again() {
        let cache = RowCache::new();
        for key in 0..CAPACITY + 1 {
            let ticket = cache.get(&key).unwrap_err();
            cache.fill(ticket, key, ());
        }
        assert_eq!(cache.get(&CAPACITY), Ok(()));
        assert!(cache.get(&0).is_err());
    }
}
