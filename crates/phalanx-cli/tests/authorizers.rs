//! Lambda authorizers end to end: `phalanx serve --template` with a
//! TOKEN and a REQUEST authorizer written in Python, run by AWS's runtime
//! interface client (`awslambdaric`) with commands derived from the
//! template, and requests over loopback TCP. The AWS behaviours (with
//! their sources) are pinned in `phalanx-gateway/tests/authorizers.rs`;
//! this checks the wiring: import, Runtime API processes as authorizers,
//! the cache, the context in the proxy event.

mod common;

use common::{Server, python, serve, templates};

/// `phalanx serve --template tests/templates/authorizers/template.yaml`:
/// every function's command derived (Python, under `PHALANX_PYTHON`).
fn start() -> Server {
    python();
    let mut command = serve();
    command
        .arg("--template")
        .arg(templates("authorizers/template.yaml"));
    Server::start(command)
}

/// One GET: (status, body).
fn get(server: &Server, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let reply = server.request("GET", path, headers, "");
    (reply.status, reply.body)
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
