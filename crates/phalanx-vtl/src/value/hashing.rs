//! The hasher of maps and of the context.
//!
//! Keys can come from a client: `$util.parseJson($input.body)` turns a
//! request body's object keys into map keys. An unkeyed hash (like FxHash)
//! lets a client send keys crafted to collide and make every insert scan a
//! long chain. So the hasher is aHash, keyed once per process with runtime
//! randomness; every map and every compiled template of the process shares
//! the key, which is what lets a template hash its names once, at compile
//! time ([`name_hash`]).

use std::hash::BuildHasher;
use std::sync::LazyLock;

static KEYS: LazyLock<ahash::RandomState> = LazyLock::new(ahash::RandomState::new);

/// `BuildHasher` for [`Map`](crate::Map)s: aHash with the process's key.
#[derive(Clone, Debug)]
pub struct KeyHasher(ahash::RandomState);

impl Default for KeyHasher {
    fn default() -> KeyHasher {
        KeyHasher(KEYS.clone())
    }
}

impl BuildHasher for KeyHasher {
    type Hasher = ahash::AHasher;

    fn build_hasher(&self) -> ahash::AHasher {
        self.0.build_hasher()
    }
}

/// The hash maps and the context use for a name (a string key).
pub fn name_hash(name: &str) -> u64 {
    KEYS.hash_one(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    #[test]
    fn a_name_hashes_as_a_string_key_does() {
        // Maps are probed with `name_hash`: it must agree with the hash of
        // a `Value::String` key built by any map's hasher.
        let v = Value::from("identity");
        assert_eq!(KeyHasher::default().hash_one(&v), name_hash("identity"));
    }
}
