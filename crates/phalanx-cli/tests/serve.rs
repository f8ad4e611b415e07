//! `phalanx serve --template` end to end: the example petstore template,
//! its Python functions run by AWS's runtime interface client
//! (`awslambdaric`, from the virtualenv `scripts/test.sh` creates), and
//! requests over loopback TCP.
//!
//! Every expectation is AWS's behaviour, as pinned (with sources) in
//! `phalanx-gateway/tests/pipeline.rs`; here we check that the parts are
//! wired together: template import, Runtime API host, pipeline, server.

mod common;

use common::{Reply, Server, python, repo, serve, templates};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

/// The petstore example, its two functions run under awslambdaric, with
/// `extra` flags.
fn start(extra: &[&str]) -> Server {
    let py = python();
    let template = repo().join("examples/petstore/template.yaml");
    let items = format!("ItemsFunction={py} -m awslambdaric app.create_item");
    let hello = format!("HelloFunction={py} -m awslambdaric app.hello");
    let mut args = vec!["--template", template.to_str().unwrap()];
    args.extend(["--function", &items, "--function", &hello]);
    args.extend(extra);
    start_with(&args)
}

/// `phalanx serve ARGS`, in the petstore example's functions folder.
fn start_with(args: &[&str]) -> Server {
    start_with_env(args, &[])
}

/// [`start_with`], with environment variables for the server.
fn start_with_env(args: &[&str], env: &[(&str, &std::path::Path)]) -> Server {
    let mut command = serve();
    command
        .current_dir(repo().join("examples/petstore/functions"))
        .envs(env.iter().copied())
        .args(args);
    Server::start(command)
}

/// One request to `/STAGE{path}`.
fn http(server: &Server, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    server.request(method, path, headers, body)
}

#[test]
fn serves_the_example_api_with_python_functions() {
    let server = start(&[]);
    let json = [("Content-Type", "application/json")];

    // Non-proxy Lambda: request template → function → Location promoted
    // from integration.response.body.location, response template.
    let r = http(&server, "POST", "/items", &json, r#"{"name":"pen"}"#);
    assert_eq!(r.status, 201, "{}", r.body);
    let location = r.header("Location").expect("Location header").to_string();
    assert!(location.starts_with("/dev/items/"), "{location}");
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["name"], "pen");
    assert_eq!(
        location,
        format!("/dev/items/{}", body["id"].as_str().unwrap())
    );

    // A Python exception selects the 400 response by its errorMessage.
    let r = http(&server, "POST", "/items", &json, r#"{"name":""}"#);
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body.trim(),
        r#"{"error": "Invalid item: a non-empty name is required"}"#
    );

    // The body model (request validator) → 400 before the function runs.
    let r = http(&server, "POST", "/items", &json, r#"{"title":"no name"}"#);
    assert_eq!(r.status, 400);
    assert_eq!(r.body, r#"{"message":"Invalid request body"}"#);

    // A crashed function process behind a non-proxy integration is a
    // function error (Runtime.ExitError) that a selection pattern maps.
    let r = http(&server, "POST", "/items", &json, r#"{"name":"crash"}"#);
    assert_eq!(r.status, 502, "{}", r.body);
    assert_eq!(
        r.body.trim(),
        r#"{"error": "the item service failed", "type": "Runtime.ExitError"}"#
    );

    // The integration timeout (300 ms) → 504.
    let r = http(&server, "GET", "/slow", &[], "");
    assert_eq!(r.status, 504);
    assert_eq!(r.body, r#"{"message":"Endpoint request timed out"}"#);

    // PassthroughBehavior NEVER and no template for text/plain → 415.
    let r = http(
        &server,
        "GET",
        "/pets",
        &[("Content-Type", "text/plain")],
        "",
    );
    assert_eq!(r.status, 415);
    assert_eq!(r.body, r#"{"message":"Unsupported Media Type"}"#);

    // Proxy integration.
    let r = http(&server, "GET", "/hello/bob?x=1", &[], "");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("X-Function"), Some("HelloFunction"));
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["message"], "Hello, bob!");
    assert_eq!(body["query"], serde_json::json!({"x": "1"}));

    // A malformed proxy response and a crashing process are 502; the next
    // request is served by a fresh process.
    for name in ["malformed", "crash"] {
        let r = http(&server, "GET", &format!("/hello/{name}"), &[], "");
        assert_eq!(r.status, 502, "{name}");
        assert_eq!(r.body, r#"{"message":"Internal server error"}"#);
    }
    assert_eq!(http(&server, "GET", "/hello/again", &[], "").status, 200);

    // MOCK with overrides.
    let r = http(&server, "GET", "/pets?limit=1", &[], "");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("X-Limit"), Some("1"));

    // Unknown route.
    let r = http(&server, "GET", "/nope", &[], "");
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("x-amzn-ErrorType"),
        Some("MissingAuthenticationTokenException")
    );
}

/// API Gateway's payload limit is 10 MB (developer guide, "Amazon API
/// Gateway quotas"): 10 MB + 1 byte is refused with 413 — from the declared
/// length, before reading the body.
#[test]
fn bodies_over_10_mb_are_413() {
    let server = start(&[]);
    let hostport = server.host_port();
    let mut stream = TcpStream::connect(hostport).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "POST /dev/items HTTP/1.1\r\nHost: {hostport}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        10 * 1024 * 1024 + 1
    );
    stream.write_all(head.as_bytes()).unwrap();
    // Send only the first chunk: the answer must come without the rest.
    stream.write_all(&vec![b' '; 64 * 1024]).unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let r = Reply::parse(&raw);
    assert_eq!(r.status, 413);
    // And the server still serves.
    assert_eq!(http(&server, "GET", "/pets", &[], "").status, 200);
}

/// Slow or half-sent requests on many connections do not stop others from
/// being served (one task per connection, on the worker threads).
#[test]
fn half_sent_requests_do_not_block_other_clients() {
    let server = start(&[]);
    let hostport = server.host_port();
    let mut idle = Vec::new();
    for i in 0..1000 {
        let mut s = TcpStream::connect(hostport).expect("connect");
        // Half a request line, or headers without the body they announce.
        let partial = if i % 2 == 0 {
            "GET /dev/pe".to_string()
        } else {
            format!("POST /dev/items HTTP/1.1\r\nHost: {hostport}\r\nContent-Length: 100\r\n\r\n{{")
        };
        s.write_all(partial.as_bytes()).unwrap();
        idle.push(s);
    }
    for _ in 0..5 {
        assert_eq!(http(&server, "GET", "/pets", &[], "").status, 200);
    }
    drop(idle);
}

/// A function a method invokes whose command can be neither given nor
/// derived stops startup, naming the function, why, and the flag.
#[test]
fn a_function_without_a_command_stops_startup() {
    let example = repo().join("examples/petstore");
    let template = example.join("template.yaml");
    // HelloFunction's inline Python would be derived, but this "Python"
    // cannot import awslambdaric.
    let out = Command::new(env!("CARGO_BIN_EXE_phalanx"))
        .arg("serve")
        .arg("--template")
        .arg(&template)
        .args(["--port", "0", "--function", "ItemsFunction=true"])
        .args(["--python", "/bin/false"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "{}: no command for function HelloFunction: awslambdaric is not importable by \
             /bin/false: pip install awslambdaric (pass --function HelloFunction='COMMAND')\n",
            template.display()
        )
    );
    assert!(out.stdout.is_empty(), "nothing served");

    let folder = templates("derived");
    let template = folder.join("node.yaml");
    let out = Command::new(env!("CARGO_BIN_EXE_phalanx"))
        .arg("serve")
        .arg("--template")
        .arg(&template)
        .args(["--port", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "{}: no command for function NodeFunction: Runtime nodejs24.x: aws-lambda-ric not \
             found in {}: npm install aws-lambda-ric there (pass --function NodeFunction='COMMAND')\n",
            template.display(),
            folder.join("node-app").canonicalize().unwrap().display()
        )
    );
    assert!(out.stdout.is_empty(), "nothing served");
}

/// No `--function` flags: an inline `ZipFile` Python function and one
/// whose `Code` is a local folder run under awslambdaric (the Python of
/// `PHALANX_PYTHON`), a `provided.al2023` one by its folder's `bootstrap`,
/// a `nodejs24.x` one by its folder's `node_modules/.bin/aws-lambda-ric`
/// (a stand-in: no Node.js needed); a Node.js function without it that no
/// method invokes only warns.
#[test]
fn derives_the_commands_of_local_functions() {
    let template = templates("derived/template.yaml");
    python(); // PHALANX_PYTHON must be set; the server reads it.
    // The server's temporary directory (for the inline source) goes here.
    let tmp = tempfile::tempdir().unwrap();
    let server = start_with_env(
        &["--template", template.to_str().unwrap()],
        &[("TMPDIR", tmp.path())],
    );
    assert!(server.base.ends_with("/v1"), "{}", server.base);
    let reply = http(&server, "GET", "/inline", &[], "");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body, r#"{"from": "inline", "path": "/inline"}"#);
    let reply = http(&server, "GET", "/bob", &[], "");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body,
        r#"{"from": "folder", "name": "bob", "task_root": "python-app"}"#
    );
    let reply = http(&server, "GET", "/custom", &[], "");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body,
        r#"{"from": "bootstrap", "handler": "custom.handler", "path": "/custom"}"#
    );
    let reply = http(&server, "GET", "/node", &[], "");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body,
        r#"{"from": "aws-lambda-ric", "handler": "index.handler", "path": "/node"}"#
    );
    let entries = || std::fs::read_dir(tmp.path()).unwrap().count();
    assert_eq!(entries(), 1, "the inline source's temporary directory");
    // SIGTERM stops the server cleanly, which removes it.
    server.stop();
    assert_eq!(entries(), 0, "removed at exit");
}

/// A SAM project as `sam init` lays it out: `phalanx serve --template
/// template.yaml` alone serves both its APIs, the functions run from their
/// `CodeUri` folders under awslambdaric, with `Globals` applied. The first
/// API (the implicit one, stage `Prod`) is served; `--api` picks the other.
#[test]
fn serves_a_sam_project_without_function_flags() {
    let template = templates("sam-app/template.yaml");
    let template = template.to_str().unwrap();
    python(); // PHALANX_PYTHON must be set; the server reads it.
    let server = start_with(&["--template", template, "--api", "ServerlessRestApi"]);
    assert!(server.base.ends_with("/Prod"), "{}", server.base);
    let reply = http(&server, "GET", "/hello", &[], "");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body, r#"{"message": "hello world", "stage": "Prod"}"#);
    drop(server);

    let server = start_with(&["--template", template, "--api", "OrdersApi"]);
    assert!(server.base.ends_with("/v1"), "{}", server.base);
    let reply = http(&server, "POST", "/orders", &[], r#"{"item": "tea"}"#);
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body, r#"{"ordered": "tea"}"#);
    // SAM's `Cors: "'*'"` adds a preflight to every path.
    let preflight = http(&server, "OPTIONS", "/orders", &[], "");
    assert_eq!(preflight.status, 200, "{}", preflight.body);
    assert_eq!(preflight.header("Access-Control-Allow-Origin"), Some("*"));
    assert_eq!(
        preflight.header("Access-Control-Allow-Methods"),
        Some("OPTIONS,POST")
    );
}

/// The OpenAPI document of the gateway's import tests, served with
/// `--openapi`: its Lambda integration names the function `find-book`,
/// and its TOKEN authorizer the function `check`, which `--function` maps
/// to local processes by those names.
#[test]
fn serves_an_openapi_document() {
    let py = python();
    let document = repo().join("crates/phalanx-gateway/tests/openapi/bookshelf-3.0.yaml");
    let find = format!("find-book={py} -m awslambdaric app.hello");
    let check = format!("check={py} -m awslambdaric allow_all.handler");
    let authorizers = templates("authorizers");
    let server = start_with_env(
        &[
            "--openapi",
            document.to_str().unwrap(),
            "--function",
            &find,
            "--function",
            &check,
        ],
        &[("PYTHONPATH", &authorizers)],
    );
    assert!(server.base.ends_with("/dev"), "{}", server.base);
    let reply = http(&server, "GET", "/books?author=Herbert", &[], "");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("x-count"), Some("1"));
    let reply = http(&server, "GET", "/books/978", &[], "");
    assert_eq!(reply.status, 401, "{}", reply.body);
    let reply = http(
        &server,
        "GET",
        "/books/978",
        &[("Authorization", "reader")],
        "",
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.contains("world"), "{}", reply.body);
    assert_eq!(reply.header("X-Function"), Some("find-book"));
}

#[test]
fn openapi_and_template_are_exclusive_and_functions_are_named() {
    let repo = repo();
    let document = repo.join("crates/phalanx-gateway/tests/openapi/bookshelf-3.0.yaml");
    let template = repo.join("examples/petstore/template.yaml");
    let out = Command::new(env!("CARGO_BIN_EXE_phalanx"))
        .arg("serve")
        .arg("--openapi")
        .arg(&document)
        .arg("--template")
        .arg(&template)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot be used with"), "{stderr}");

    let out = Command::new(env!("CARGO_BIN_EXE_phalanx"))
        .arg("serve")
        .arg("--openapi")
        .arg(&document)
        .args(["--port", "0", "--function", "nope=true"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "--function nope: the OpenAPI document has no function `nope` (it has: check, find-book)"
        ),
        "{stderr}"
    );
}
