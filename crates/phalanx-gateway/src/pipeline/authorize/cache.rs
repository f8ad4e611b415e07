//! The Lambda authorizer result cache: one entry per authorizer and
//! identity (the token, or the REQUEST identity sources' values), kept for
//! the authorizer's `AuthorizerResultTtlInSeconds` (default 300; 0: no
//! cache). What is cached is the authorizer's output — the policy, not a
//! decision — so each request evaluates the cached policy against its own
//! method ARN: a policy that allows one path denies another within the TTL
//! (AWS knowledge center, "Why is my API Gateway proxy resource with a
//! Lambda authorizer that has caching activated returning HTTP 403 …").

use super::lambda::Output;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Entries above which expired ones are swept (and, if that is not
/// enough, all dropped), so a flood of distinct tokens cannot grow the
/// cache without bound.
const MAX_ENTRIES: usize = 10_000;

/// Authorizer index and identity values.
type Key = (usize, Vec<String>);

/// Cached authorizer outputs, shared by every request of a gateway.
#[derive(Default)]
pub(crate) struct AuthorizerCache {
    entries: Mutex<HashMap<Key, (SystemTime, Arc<Output>)>>,
}

impl AuthorizerCache {
    /// The output cached for `key`, unless it expired by `now`.
    pub(crate) fn get(&self, key: &Key, now: SystemTime) -> Option<Arc<Output>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(expires, _)| now < *expires)
            .map(|(_, output)| output.clone())
    }

    /// Keeps `output` for `key` until `expires`.
    pub(crate) fn put(&self, key: Key, expires: SystemTime, output: Arc<Output>, now: SystemTime) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (e, _)| now < *e);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, (expires, output));
    }
}
