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

/// Whether two names (or string keys) are equal: `a == b`, without the
/// call to `memcmp` that comparison compiles to. Names are short and are
/// compared on every lookup (a hash match is confirmed by comparing), and
/// for a few bytes the call costs more than the comparison: perf put a
/// tenth of a render's time in `memcmp`. Up to 16 bytes are compared as
/// two overlapping words; longer strings as usual.
#[inline]
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    match a.len() {
        0 => true,
        1..=3 => {
            // First, middle and last byte cover every length up to 3.
            let mid = a.len() / 2;
            a[0] == b[0] && a[mid] == b[mid] && a[a.len() - 1] == b[b.len() - 1]
        }
        4..=7 => word::<4>(a, b),
        8..=16 => word::<8>(a, b),
        _ => a == b,
    }
}

/// Compares the first and the last `N` bytes of two slices of the same
/// length, at least `N` and at most `2 * N` long: together they cover it.
#[inline]
fn word<const N: usize>(a: &[u8], b: &[u8]) -> bool {
    match (
        a.first_chunk::<N>(),
        b.first_chunk::<N>(),
        a.last_chunk::<N>(),
        b.last_chunk::<N>(),
    ) {
        (Some(a0), Some(b0), Some(a1), Some(b1)) => a0 == b0 && a1 == b1,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    #[test]
    fn same_name_is_string_equality() {
        let words = [
            "",
            "a",
            "b",
            "ab",
            "ba",
            "abc",
            "abd",
            "xbc",
            "axc",
            "abcd",
            "abce",
            "xbcd",
            "abcdefg",
            "abcdefh",
            "xbcdefg",
            "abcxefg",
            "abcdefgh",
            "abcdefgi",
            "abcdefghijklmnop",
            "abcdefghijklmnoq",
            "xbcdefghijklmnop",
            "abcdefghXjklmnop",
            "abcdefghijklmnopq",
            "abcdefghijklmnopr",
            "Zoë",
            "Zoé",
        ];
        for a in words {
            for b in words {
                assert_eq!(same_name(a, b), a == b, "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn a_name_hashes_as_a_string_key_does() {
        // Maps are probed with `name_hash`: it must agree with the hash of
        // a `Value::String` key built by any map's hasher.
        let v = Value::from("identity");
        assert_eq!(KeyHasher::default().hash_one(&v), name_hash("identity"));
    }
}
