//! Helpers shared by the integration tests.

use std::path::PathBuf;

/// An example binary cargo built for this test run
/// (`target/debug/examples/NAME`; `cargo test` builds examples).
pub fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/debug");
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is missing: cargo test builds examples",
        path.display()
    );
    path
}
