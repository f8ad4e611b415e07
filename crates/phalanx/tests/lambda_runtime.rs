//! The service binary as a Lambda runtime: with `AWS_LAMBDA_RUNTIME_API`
//! set it serves the function the environment names, and logs JSON lines
//! when the function's log format is JSON (Lambda's advanced logging
//! controls set `AWS_LAMBDA_LOG_FORMAT`; AWS Lambda developer guide,
//! "Configuring JSON and plain text log formats").

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// The first line the runtime writes to standard output, started against
/// a Runtime API that accepts connections and never answers (the runtime
/// then waits for its first invocation).
fn first_log_line(log_format: Option<&str>) -> String {
    let api = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut command = Command::new(common::example_binary("echo"));
    command
        .env(
            "AWS_LAMBDA_RUNTIME_API",
            api.local_addr().unwrap().to_string(),
        )
        .env("PHALANX_FUNCTION", "echo")
        .env("AWS_LAMBDA_FUNCTION_NAME", "echo")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/echo")
        .env_remove("AWS_LAMBDA_LOG_LEVEL")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    match log_format {
        Some(format) => command.env("AWS_LAMBDA_LOG_FORMAT", format),
        None => command.env_remove("AWS_LAMBDA_LOG_FORMAT"),
    };
    let mut child = command.spawn().unwrap();
    // Read on a thread, so a runtime that writes nothing fails the test
    // in 30 s instead of hanging it.
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(line);
    });
    let line = receiver.recv_timeout(std::time::Duration::from_secs(30));
    child.kill().unwrap();
    child.wait().unwrap();
    line.expect("the runtime logs a line when it starts")
}

#[test]
fn logs_are_json_lines_when_the_log_format_is_json() {
    let line = first_log_line(Some("JSON"));
    let entry: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
    assert_eq!(entry["level"], "INFO", "{line}");
    assert_eq!(entry["function"], "echo", "{line}");
    assert!(
        entry["message"]
            .as_str()
            .is_some_and(|m| m.contains("Lambda Runtime API")),
        "{line}"
    );
}

#[test]
fn logs_are_text_otherwise() {
    let line = first_log_line(None);
    assert!(
        serde_json::from_str::<serde_json::Value>(&line).is_err(),
        "{line}"
    );
    assert!(line.contains("INFO"), "{line}");
    assert!(line.contains("function=echo"), "{line}");
}
