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

#[allow(dead_code)] // used by the export tests
pub fn cfn_lint() -> PathBuf {
    if let Ok(path) = std::env::var("PHALANX_CFN_LINT") {
        return PathBuf::from(path);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/venv/bin/cfn-lint");
    assert!(
        venv.exists(),
        "cfn-lint not found: run ./scripts/test.sh (it installs cfn-lint into target/venv) or set PHALANX_CFN_LINT"
    );
    venv
}

#[allow(dead_code)] // used by the export tests
pub fn openapi_validator() -> PathBuf {
    if let Ok(path) = std::env::var("PHALANX_OPENAPI_VALIDATOR") {
        return PathBuf::from(path);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/venv/bin/openapi-spec-validator");
    assert!(
        venv.exists(),
        "openapi-spec-validator not found: run ./scripts/test.sh (it installs it into target/venv) or set PHALANX_OPENAPI_VALIDATOR"
    );
    venv
}

/// Runs `checker` (cfn-lint, openapi-spec-validator) on `document`, written
/// to a file named after the example, and requires it to pass.
#[allow(dead_code)] // used by the export tests
pub fn passes(checker: &std::path::Path, name: &str, document: &serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("{name}.json"));
    std::fs::write(&file, serde_json::to_string_pretty(document).unwrap()).unwrap();
    let out = std::process::Command::new(checker)
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("{} runs: {e}", checker.display()));
    assert!(
        out.status.success(),
        "{} on {name}:\n{}{}",
        checker.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
