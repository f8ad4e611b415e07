//! `phalanx::main`'s commands, run through an example's binary.

use std::io::Write;
mod common;

use common::example_binary;
use std::process::{Command, Stdio};

#[test]
fn test_invoke_prints_every_stage_and_the_response() {
    let out = Command::new(example_binary("location"))
        .args([
            "test-invoke",
            "POST",
            "/items",
            "--body",
            r#"{"name":"Pen"}"#,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "Method request: POST /dev/items",
        "Integration request:\n  template [application/json] rendered:",
        "Endpoint response:\n  status 200",
        "Integration response:\n  selected 201",
        "Method response: 201",
        "Location: /dev/items/pen",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }

    let out = Command::new(example_binary("location"))
        .args([
            "--format",
            "json",
            "test-invoke",
            "POST",
            "/items",
            "--body",
            r#"{"name":""}"#,
        ])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    assert_eq!(doc["response"]["status"], 400);
    assert_eq!(doc["trace"][0]["stage"], "route");
}

#[test]
fn invoke_calls_one_function() {
    let mut child = Command::new(example_binary("location"))
        .args(["invoke", "create-item", "--event", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"method": "POST", "body": {"name": "Cup"}, "context": {"stage": "dev"}}"#)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["location"], "/dev/items/cup");

    let out = Command::new(example_binary("location"))
        .args(["invoke", "nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no function `nope` (this service has: create-item)")
    );
}
