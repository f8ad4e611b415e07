//! `phalanx vtl render` end to end: Velocity 1.7's 27 conformance templates
//! through the binary, and its error reporting.

use std::path::PathBuf;
use std::process::Command;

fn phalanx() -> Command {
    Command::new(env!("CARGO_BIN_EXE_phalanx"))
}

fn conformance_dir() -> PathBuf {
    let dir = std::env::var_os("PHALANX_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")
        })
        .join("velocity-1.7");
    assert!(
        dir.join("manifest.json").is_file(),
        "conformance data not found at {}",
        dir.display()
    );
    dir
}

fn normalise(s: &str) -> String {
    s.replace("\r\r\n", "\n").replace("\r\n", "\n")
}

#[test]
fn renders_the_27_velocity_templates_byte_for_byte() {
    let dir = conformance_dir();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    // The driver's context with its aliases spelled out (JSON has no
    // shared references; no copied template depends on the sharing).
    let driver: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("context.json")).unwrap()).unwrap();
    let mut context = driver["context"].as_object().unwrap().clone();
    for (alias, target) in driver["aliases"].as_object().unwrap() {
        let value = context[target.as_str().unwrap()].clone();
        context.insert(alias.clone(), value);
    }
    let tmp = tempfile::tempdir().unwrap();
    let context_file = tmp.path().join("context.json");
    std::fs::write(&context_file, serde_json::to_string(&context).unwrap()).unwrap();

    let mut failures = Vec::new();
    let mut ran = 0;
    for entry in manifest.as_array().unwrap() {
        if entry["copied"] != serde_json::Value::Bool(true) {
            continue;
        }
        ran += 1;
        let name = entry["name"].as_str().unwrap();
        let output = phalanx()
            .args(["vtl", "render"])
            .arg(dir.join(entry["template"].as_str().unwrap()))
            .arg("--context")
            .arg(&context_file)
            .arg("--library")
            .arg(dir.join("templates/VM_global_library.vm"))
            .output()
            .unwrap();
        let expected =
            std::fs::read_to_string(dir.join(entry["expected"].as_str().unwrap())).unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        if !output.status.success() {
            failures.push(format!(
                "{name}: exit {}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ));
        } else if normalise(&stdout) != normalise(&expected) {
            failures.push(format!("{name}: output differs"));
        }
    }
    assert_eq!(ran, 27);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_bad_template_exits_non_zero_with_file_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let template = tmp.path().join("bad.vm");
    std::fs::write(&template, "first line\n  #foreach($x in)\n#end").unwrap();
    let output = phalanx()
        .args(["vtl", "render"])
        .arg(&template)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "nothing on stdout");
    let stderr = String::from_utf8(output.stderr).unwrap();
    let expected_prefix = format!("{}:2:17: expected a value", template.display());
    assert!(stderr.starts_with(&expected_prefix), "{stderr}");
}

/// Renders `$a` with `context_json` as the context file; returns the
/// context file's path and the command's output.
fn render_with_context(context_json: &str) -> (tempfile::TempDir, PathBuf, std::process::Output) {
    let tmp = tempfile::tempdir().unwrap();
    let template = tmp.path().join("t.vm");
    std::fs::write(&template, "$a").unwrap();
    let context = tmp.path().join("ctx.json");
    std::fs::write(&context, context_json).unwrap();
    let output = phalanx()
        .args(["vtl", "render"])
        .arg(&template)
        .arg("--context")
        .arg(&context)
        .output()
        .unwrap();
    (tmp, context, output)
}

#[test]
fn a_bad_context_names_the_json_position() {
    let (_tmp, context, output) = render_with_context("{\n  \"a\": 1,,\n}");
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!("{}:2:", context.display())),
        "{stderr}"
    );
}

#[test]
fn a_context_that_is_not_an_object_is_refused() {
    let (_tmp, _, output) = render_with_context("[1, 2]");
    assert!(!output.status.success());
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("must be a JSON object")
    );
}

#[test]
fn the_dialect_decides_how_undefined_references_render() {
    let tmp = tempfile::tempdir().unwrap();
    let template = tmp.path().join("t.vm");
    std::fs::write(&template, "[$missing]").unwrap();
    let velocity = phalanx()
        .args(["vtl", "render"])
        .arg(&template)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(velocity.stdout).unwrap(), "[$missing]");
    let aws = phalanx()
        .args(["vtl", "render", "--dialect", "apigateway"])
        .arg(&template)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(aws.stdout).unwrap(), "[]");
}
