//! Lambda authorizers end to end: `phalanx serve --template` with a
//! TOKEN and a REQUEST authorizer written in Python, run by AWS's runtime
//! interface client (`awslambdaric`) with commands derived from the
//! template, and requests over loopback TCP. The AWS behaviours (with
//! their sources) are pinned in `phalanx-gateway/tests/authorizers.rs`;
//! this checks the wiring: import, Runtime API processes as authorizers,
//! the cache, the context in the proxy event.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    /// SIGTERM, so the server stops its function processes; SIGKILL after
    /// 5 s.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Server {
    let template =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/templates/authorizers/template.yaml");
    std::env::var("PHALANX_PYTHON").unwrap_or_else(|_| {
        panic!("PHALANX_PYTHON is not set: it must name a Python with awslambdaric installed")
    });
    let mut child = Command::new(env!("CARGO_BIN_EXE_phalanx"))
        .args([
            "serve",
            "--port",
            "0",
            "--template",
            template.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("phalanx starts");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    reader.read_line(&mut first).expect("startup line");
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let base = first
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(
        base.starts_with("http://127.0.0.1:"),
        "startup line: {first}"
    );
    Server { child, base }
}

/// One GET with `Connection: close`: (status, body).
fn get(server: &Server, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let hostport = server
        .base
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap();
    let stage = server.base.rsplit('/').next().unwrap();
    let mut stream = TcpStream::connect(hostport).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut req =
        format!("GET /{stage}{path} HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("a full HTTP response");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_string())
}

#[test]
fn python_token_and_request_authorizers_guard_the_api() {
    let server = start();
    assert!(server.base.ends_with("/v1"), "{}", server.base);

    // TOKEN: no header, 401 without a call.
    assert_eq!(
        get(&server, "/token", &[]),
        (401, r#"{"message":"Unauthorized"}"#.into())
    );
    let (status, body) = get(&server, "/token", &[("Authorization", "alice")]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        r#"{"admin": "false", "calls": "1", "principalId": "user-alice", "type": "TOKEN"}"#
    );
    // Cached for the TTL: the function is not called again.
    let (_, body) = get(&server, "/token", &[("Authorization", "alice")]);
    assert!(body.contains(r#""calls": "1""#), "{body}");
    let (_, body) = get(&server, "/token", &[("Authorization", "root")]);
    assert!(
        body.contains(r#""calls": "2""#) && body.contains(r#""admin": "true""#),
        "{body}"
    );
    assert_eq!(
        get(&server, "/token", &[("Authorization", "deny")]),
        (
            403,
            r#"{"Message":"User is not authorized to access this resource with an explicit deny"}"#
                .into()
        )
    );
    assert_eq!(
        get(&server, "/token", &[("Authorization", "unauthorized")]),
        (401, r#"{"message":"Unauthorized"}"#.into())
    );
    assert_eq!(
        get(&server, "/token", &[("Authorization", "crash")]),
        (500, r#"{"message":null}"#.into())
    );

    // REQUEST: cached, so both identity sources are required.
    assert_eq!(get(&server, "/request?v=2", &[]).0, 401);
    assert_eq!(get(&server, "/request", &[("X-Tenant", "acme")]).0, 401);
    let (status, body) = get(&server, "/request?v=2", &[("X-Tenant", "acme")]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        r#"{"principalId": "acme", "tenant": "acme", "type": "REQUEST", "version": "2"}"#
    );
    assert_eq!(get(&server, "/request?v=2", &[("X-Tenant", "evil")]).0, 403);
}
