//! Every id the gateway makes, in one place.
//!
//! - Request ids: random (version 4) UUIDs like AWS's, without a system
//!   call per request — a per-thread xorshift generator seeded once from
//!   the OS. They only need to be unique, not secret.
//! - Made-up stable ids, for what AWS would assign and the local emulator
//!   must invent: API, resource and deployment ids, API key ids and values,
//!   stack ids. Each is drawn from [`stable_hash`] of a seed (FNV-1a), so it
//!   is the same on every run, platform and Rust version. Two ways of
//!   drawing characters from that hash are in use — [`local_id`]'s base-36
//!   digits (ids of APIs built from the model) and [`characters`]'
//!   SplitMix64 stream (ids of CloudFormation imports, any length and
//!   alphabet) — and both stay: the ids appear in test expectations and in
//!   what users see (URLs, `$context`, generated API keys), so neither may
//!   change.

use std::cell::Cell;

thread_local! {
    static STATE: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let mut s = u64::from_le_bytes(bytes[..8].try_into().unwrap_or([7; 8]));
    if s == 0 {
        s = 0x9e37_79b9_7f4a_7c15;
    }
    s
}

fn next() -> u64 {
    STATE.with(|state| {
        // xorshift64*
        let mut x = state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    })
}

/// A new version 4 UUID, e.g. `c6af9ac6-7b61-11e6-9a41-93e8deadbeef`.
pub fn request_id() -> String {
    let bits = (u128::from(next()) << 64) | u128::from(next());
    uuid::Builder::from_random_bytes(bits.to_le_bytes())
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// Lowercase letters and digits: the alphabet of made-up ids.
const LOWERCASE_ALPHANUMERIC: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// The 64-bit FNV-1a hash of `seed`, the start of every made-up id: stable
/// across runs, platforms and Rust versions, unlike std's hasher.
pub(crate) fn stable_hash(seed: &str) -> u64 {
    seed.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A stable made-up id (10 lowercase letters and digits) for local APIs:
/// the base-36 digits of the seed's 64-bit FNV-1a hash, least significant
/// first.
pub fn local_id(seed: &str) -> String {
    let mut h = stable_hash(seed);
    (0..10)
        .map(|_| {
            let ch = LOWERCASE_ALPHANUMERIC[(h % 36) as usize] as char;
            h /= 36;
            ch
        })
        .collect()
}

/// A stable made-up id: `len` lowercase alphanumeric characters drawn by
/// [`characters`].
pub(crate) fn made_up_id(seed: &str, len: usize) -> String {
    characters(seed, len, LOWERCASE_ALPHANUMERIC)
}

/// `len` characters drawn from `alphabet` by a SplitMix64 stream seeded
/// with [`stable_hash`] of `seed` (so any length and alphabet).
pub(crate) fn characters(seed: &str, len: usize, alphabet: &[u8]) -> String {
    let mut state = stable_hash(seed);
    let mut out = String::with_capacity(len);
    for _ in 0..len {
        // SplitMix64.
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let index = usize::try_from(z % alphabet.len() as u64).unwrap_or(0);
        out.push(char::from(alphabet[index]));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn stable_ids_do_not_change() {
        // Pinned from the two generators as they were before they met
        // here: users see these ids, so a change here is a breaking one.
        for (seed, id) in [
            ("", "fe74et9rss"),
            ("pets", "5kfvvvfbuv"),
            ("/pets/{petId}", "bpzipc078w"),
            ("abc123/dev", "rrd4pp8gk7"),
            ("my-key", "7q1fmwt8ht"),
        ] {
            assert_eq!(super::local_id(seed), id, "{seed}");
        }
        assert_eq!(
            super::made_up_id("AWS::ApiGateway::RestApi/Api", 10),
            "jpwxgbdqz7"
        );
        assert_eq!(super::made_up_id("root/Api", 10), "osi8gi50df");
        assert_eq!(
            super::characters("phalanx-local", 32, b"0123456789abcdef"),
            "e59c0b570b220ae5d54fc5461630a1cd"
        );
        assert_eq!(
            super::characters(
                "AWS::ApiGateway::ApiKey/Key",
                40,
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
            ),
            "zRI6d6ynxWE5DetwTLipoYo7SGSW3FqWRB72p2rF"
        );
    }

    #[test]
    fn ids_are_v4_uuids_and_differ() {
        let a = super::request_id();
        let b = super::request_id();
        assert_ne!(a, b);
        let parsed = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
    }
}
