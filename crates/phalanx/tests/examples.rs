//! The examples, served over HTTP on loopback exactly as
//! `cargo run --example NAME -- serve` serves them (same service, same
//! server), and asserted over HTTP.

#[allow(dead_code)]
#[path = "../examples/echo.rs"]
mod echo;
#[allow(dead_code)]
#[path = "../examples/location.rs"]
mod location;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serves `service` on an ephemeral port; returns the address.
async fn serve(service: phalanx::Service) -> String {
    let gateway = service.gateway(None).expect("the example builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(phalanx::gateway::server::serve(
        listener,
        gateway,
        std::future::pending(),
    ));
    addr
}

/// One HTTP/1.1 request (`Connection: close`): status, headers, body.
async fn http(
    addr: &str,
    method: &str,
    target: &str,
    content_type: &str,
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: phalanx-test\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, body.to_string())
}

#[tokio::test]
async fn echo_returns_the_request_envelope() {
    let addr = serve(echo::service()).await;
    let (status, _, body) = http(
        &addr,
        "GET",
        "/dev/hello?name=ada&lang=en",
        "application/json",
        "",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let envelope: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(envelope["method"], "GET");
    assert_eq!(envelope["queryParams"]["name"], "ada");
    assert_eq!(envelope["queryParams"]["lang"], "en");
    assert_eq!(envelope["headers"]["User-Agent"], "phalanx-test");
    assert_eq!(envelope["context"]["resourcePath"], "/hello");
    assert_eq!(envelope["context"]["stage"], "dev");
    assert_eq!(envelope["context"]["identity"]["sourceIp"], "127.0.0.1");
    // Unknown routes are API Gateway's 403.
    let (status, _, _) = http(&addr, "GET", "/dev/nope", "application/json", "").await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn location_promotes_the_header_from_the_payload() {
    let addr = serve(location::service()).await;
    let (status, headers, body) = http(
        &addr,
        "POST",
        "/dev/items",
        "application/json",
        r#"{"name": "Big Pen"}"#,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let location = headers
        .iter()
        .find(|(k, _)| k == "location")
        .map(|(_, v)| v.as_str());
    assert_eq!(location, Some("/dev/items/big-pen"));
    let item: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(item["id"], "big-pen");

    let (status, headers, body) = http(
        &addr,
        "POST",
        "/dev/items",
        "application/json",
        r#"{"name": "  "}"#,
    )
    .await;
    assert_eq!(status, 400);
    assert!(!headers.iter().any(|(k, _)| k == "location"));
    assert_eq!(body, r#"{"code":400,"message":"an item needs a name"}"#);
}
