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

/// Runs an example binary with `args`, no standard input (as CI runs it:
/// not a terminal) and whatever `configure` adds (environment); echoes
/// the command and its output to the test's log.
#[allow(dead_code)] // not every test binary runs examples this way
pub fn run_example(
    name: &str,
    args: &[&str],
    configure: impl FnOnce(&mut std::process::Command),
) -> std::process::Output {
    let mut command = std::process::Command::new(example_binary(name));
    command.args(args).stdin(std::process::Stdio::null());
    configure(&mut command);
    let output = command.output().expect("the example runs");
    eprintln!(
        "$ {name} {}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        text(&output.stdout),
        text(&output.stderr)
    );
    output
}

/// Output bytes as text.
#[allow(dead_code)]
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
