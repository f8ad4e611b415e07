//! The Lambda authorizer result cache: one entry per authorizer and
//! identity (the token, or the REQUEST identity sources' values), kept for
//! the authorizer's `AuthorizerResultTtlInSeconds` (default 300; 0: no
//! cache). What is cached is the authorizer's output — the policy, not a
//! decision — so each request evaluates the cached policy against its own
//! method ARN: a policy that allows one path denies another within the TTL
//! (AWS knowledge center, "Why is my API Gateway proxy resource with a
//! Lambda authorizer that has caching activated returning HTTP 403 …").

use super::lambda::Output;
use ahash::RandomState;
use rustc_hash::FxHashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Entries above which expired ones are swept (and, if that is not
/// enough, all dropped), so a flood of distinct tokens cannot grow the
/// cache without bound.
const MAX_ENTRIES: usize = 10_000;

/// One cached output: the identity it is for, until when.
struct Entry {
    authorizer: usize,
    identity: Box<[String]>,
    expires: SystemTime,
    output: Arc<Output>,
}

impl Entry {
    fn is_for(&self, authorizer: usize, identity: &[&str]) -> bool {
        self.authorizer == authorizer
            && self.identity.len() == identity.len()
            && self.identity.iter().zip(identity).all(|(a, b)| a == b)
    }
}

/// Cached authorizer outputs, shared by every request of a gateway.
///
/// Entries are found by a hash of the authorizer and the identity values,
/// computed from the request's borrowed values, so a lookup (every
/// request of a cached authorizer) copies nothing; the values are copied
/// only when an output is stored. The hasher (aHash) is seeded at random,
/// since clients choose the tokens.
#[derive(Default)]
pub(crate) struct AuthorizerCache {
    hasher: RandomState,
    /// Hash → the entries with that hash (almost always one). The key is
    /// already a keyed hash: FxHash only spreads it.
    entries: Mutex<FxHashMap<u64, Vec<Entry>>>,
}

impl AuthorizerCache {
    fn hash(&self, authorizer: usize, identity: &[&str]) -> u64 {
        let mut h = self.hasher.build_hasher();
        h.write_usize(authorizer);
        for value in identity {
            // Length first, so ["ab", "c"] and ["a", "bc"] differ.
            h.write_usize(value.len());
            h.write(value.as_bytes());
        }
        h.finish()
    }

    /// The output cached for `authorizer` and `identity`, unless it
    /// expired by `now`.
    pub(crate) fn get(
        &self,
        authorizer: usize,
        identity: &[&str],
        now: SystemTime,
    ) -> Option<Arc<Output>> {
        let hash = self.hash(authorizer, identity);
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&hash)?
            .iter()
            .find(|e| e.is_for(authorizer, identity))
            .filter(|e| now < e.expires)
            .map(|e| e.output.clone())
    }

    /// Keeps `output` for `authorizer` and `identity` until `expires`.
    pub(crate) fn put(
        &self,
        authorizer: usize,
        identity: &[&str],
        expires: SystemTime,
        output: Arc<Output>,
        now: SystemTime,
    ) {
        let hash = self.hash(authorizer, identity);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, list| {
                list.retain(|e| now < e.expires);
                !list.is_empty()
            });
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        let list = entries.entry(hash).or_default();
        list.retain(|e| !e.is_for(authorizer, identity));
        list.push(Entry {
            authorizer,
            identity: identity.iter().map(|v| v.to_string()).collect(),
            expires,
            output,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn output() -> Arc<Output> {
        Arc::new(Output::default())
    }

    #[test]
    fn entries_are_per_authorizer_and_identity_until_they_expire() {
        let cache = AuthorizerCache::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let later = now + Duration::from_secs(300);
        let stored = output();
        cache.put(0, &["a", "bc"], later, stored.clone(), now);
        let found = cache.get(0, &["a", "bc"], now);
        assert!(found.is_some_and(|o| Arc::ptr_eq(&o, &stored)));
        // Another authorizer, other values, the same bytes split
        // differently: not this entry.
        assert!(cache.get(1, &["a", "bc"], now).is_none());
        assert!(cache.get(0, &["ab", "c"], now).is_none());
        assert!(cache.get(0, &["a"], now).is_none());
        // Expired at its expiry time.
        assert!(cache.get(0, &["a", "bc"], later).is_none());
        // A new output for the same identity replaces the old one.
        let newer = output();
        cache.put(0, &["a", "bc"], later, newer.clone(), now);
        let found = cache.get(0, &["a", "bc"], now);
        assert!(found.is_some_and(|o| Arc::ptr_eq(&o, &newer)));
    }

    #[test]
    fn a_flood_of_identities_does_not_grow_it_without_bound() {
        let cache = AuthorizerCache::default();
        let now = SystemTime::UNIX_EPOCH;
        let later = now + Duration::from_secs(300);
        for i in 0..MAX_ENTRIES + 10 {
            cache.put(0, &[&i.to_string()], later, output(), now);
        }
        let size = cache.entries.lock().map(|e| e.len()).unwrap_or(0);
        assert!(size <= MAX_ENTRIES, "{size}");
    }
}
