//! Request ids: random (version 4) UUIDs like AWS's, without a system call
//! per request — a per-thread xorshift generator seeded once from the OS.
//! They only need to be unique, not secret.

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

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_v4_uuids_and_differ() {
        let a = super::request_id();
        let b = super::request_id();
        assert_ne!(a, b);
        let parsed = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
    }
}
