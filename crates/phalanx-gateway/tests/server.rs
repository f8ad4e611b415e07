//! The HTTP server over real sockets: connections spread over the worker
//! threads are all answered, keep-alive works across workers, a
//! shutdown lets the requests in flight finish before `serve` returns, and
//! a swapped-in gateway answers the next request of an open connection.

use bytes::Bytes;
use phalanx_gateway::Gateway;
use phalanx_gateway::invoke::InProcess;
use phalanx_gateway::model::RestApi;
use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// `GET /dev/fast` and `GET /dev/slow` (300 ms), both Lambda proxy
/// integrations whose body names the path.
fn gateway() -> Gateway {
    gateway_answering(br#"{"statusCode": 200, "body": "fast"}"#)
}

/// [`gateway`], with `fast` as the Fast function's result.
fn gateway_answering(fast: &'static [u8]) -> Gateway {
    let method = |path: &str, function: &str| {
        json!({
            "ResourcePath": path,
            "HttpMethod": "GET",
            "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Function": function}
        })
    };
    let api: RestApi = serde_json::from_value(json!({
        "Name": "server-test",
        "Functions": {"Fast": {"FunctionName": "Fast"}, "Slow": {"FunctionName": "Slow"}},
        "Methods": [method("/fast", "Fast"), method("/slow", "Slow")]
    }))
    .expect("a valid API");
    let mut functions = InProcess::new();
    functions.register("Fast", move |_| async move { Ok(Bytes::from_static(fast)) });
    functions.register("Slow", |_| async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok(Bytes::from_static(
            br#"{"statusCode": 200, "body": "slow"}"#,
        ))
    });
    Gateway::build(&api, "dev", functions).expect("the API builds")
}

/// Reads one HTTP/1.1 response with a Content-Length: (status, body).
async fn read_response<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> (u16, String) {
    let mut status_line = String::new();
    reader.read_line(&mut status_line).await.unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.unwrap();
    (status, String::from_utf8(body).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_connection_is_answered_and_kept_alive() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(phalanx_gateway::server::serve(
        listener,
        gateway(),
        std::future::pending(),
    ));
    // More connections than workers, each sending three requests on the
    // same connection: each is answered by the worker that holds it.
    let clients = (0..24).map(|_| {
        tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            let mut stream = BufReader::new(stream);
            let mut answers = Vec::new();
            for _ in 0..3 {
                stream
                    .get_mut()
                    .write_all(b"GET /dev/fast HTTP/1.1\r\nHost: test\r\n\r\n")
                    .await
                    .unwrap();
                answers.push(read_response(&mut stream).await);
            }
            answers
        })
    });
    for client in clients {
        let answers = client.await.unwrap();
        assert_eq!(answers, vec![(200, "fast".to_string()); 3]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_waits_for_requests_in_flight() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(phalanx_gateway::server::serve(listener, gateway(), async {
        let _ = stopped.await;
    }));
    let slow = tokio::spawn(async move {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /dev/slow HTTP/1.1\r\nHost: test\r\n\r\n")
            .await
            .unwrap();
        read_response(&mut BufReader::new(stream)).await
    });
    // The slow request is in its function when the server is told to stop.
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    assert_eq!(slow.await.unwrap(), (200, "slow".to_string()));
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("serve returns once the request is done")
        .unwrap()
        .unwrap();
    // No longer listening.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

/// `phalanx serve --watch`'s swap: a request in flight finishes on the
/// gateway it started on; the next request of a kept-alive connection is
/// answered by the new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swapped_gateway_answers_the_next_request_on_an_open_connection() {
    use phalanx_gateway::server::{SwappableGateway, serve_swappable};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let current = SwappableGateway::new(gateway());
    tokio::spawn(serve_swappable(
        listener,
        current.clone(),
        std::future::pending(),
    ));
    let mut kept = BufReader::new(tokio::net::TcpStream::connect(addr).await.unwrap());
    let fast = b"GET /dev/fast HTTP/1.1\r\nHost: test\r\n\r\n";
    kept.get_mut().write_all(fast).await.unwrap();
    assert_eq!(read_response(&mut kept).await, (200, "fast".to_string()));

    let slow = tokio::spawn(async move {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /dev/slow HTTP/1.1\r\nHost: test\r\n\r\n")
            .await
            .unwrap();
        read_response(&mut BufReader::new(stream)).await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let old = current.swap(gateway_answering(
        br#"{"statusCode": 200, "body": "fast, swapped"}"#,
    ));
    assert_eq!(old.stage(), "dev");
    assert_eq!(slow.await.unwrap(), (200, "slow".to_string()));

    kept.get_mut().write_all(fast).await.unwrap();
    assert_eq!(
        read_response(&mut kept).await,
        (200, "fast, swapped".to_string())
    );
}

// LocalStack's AWS-validated snapshot test_lambda_aws_proxy_integration
// (tests/aws/services/apigateway/test_apigateway_lambda.snapshot.json,
// recorded on AWS 2024-08-02): a client's `tEsT-HEADeR` reaches the proxy
// event's `headers` and `multiValueHeaders` spelled so, and its
// `authorization` as `Authorization` ("it will get Pascal cased"). Other
// names keep the client's spelling too (`x-lower` stays lower-case). Two
// requests with bodies, pipelined on one connection and sent in small
// pieces, each get their own names; a request template's
// `$input.params().header` sees the same names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_names_keep_the_clients_spelling() {
    let api: RestApi = serde_json::from_value(json!({
        "Name": "header-case",
        "Functions": {"Echo": {"FunctionName": "Echo"}},
        "Methods": [{
            "ResourcePath": "/echo",
            "HttpMethod": "POST",
            "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Function": "Echo"}
        }, {
            "ResourcePath": "/mock",
            "HttpMethod": "GET",
            "MethodResponses": [{"StatusCode": "200"}],
            "Integration": {
                "Type": "MOCK",
                "RequestTemplates": {"application/json": "{\"statusCode\": 200}"},
                "IntegrationResponses": [{"StatusCode": "200", "ResponseTemplates": {
                    "application/json": "#foreach($name in $input.params().header.keySet())$name;#end"
                }}]
            }
        }]
    }))
    .expect("a valid API");
    let mut functions = InProcess::new();
    functions.register("Echo", |event: Bytes| async move {
        let event: serde_json::Value = serde_json::from_slice(&event).unwrap_or_default();
        let names = |key: &str| -> Vec<String> {
            let mut names: Vec<String> = event[key]
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            names.sort();
            names
        };
        let body = json!({"headers": names("headers"), "multi": names("multiValueHeaders")});
        Ok(Bytes::from(
            json!({"statusCode": 200, "body": body.to_string()}).to_string(),
        ))
    });
    let gateway = Gateway::build(&api, "dev", functions).expect("the API builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(phalanx_gateway::server::serve(
        listener,
        gateway,
        std::future::pending(),
    ));
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut stream = BufReader::new(stream);
    let requests = b"POST /dev/echo HTTP/1.1\r\nHost: test\r\ntEsT-HEADeR: aValUE\r\nauthorization: random-value\r\nx-lower: 1\r\nContent-Length: 5\r\n\r\nhello\
POST /dev/echo HTTP/1.1\r\nHOST: test\r\nX-UPPER: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n\
GET /dev/mock HTTP/1.1\r\nhost: test\r\nMiXeD: 3\r\n\r\n";
    for piece in requests.chunks(7) {
        stream.get_mut().write_all(piece).await.unwrap();
        stream.get_mut().flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let (status, first) = read_response(&mut stream).await;
    assert_eq!(status, 200, "{first}");
    let first: serde_json::Value = serde_json::from_str(&first).unwrap();
    let expected = json!([
        "Authorization",
        "Content-Length",
        "Host",
        "X-Forwarded-For",
        "X-Forwarded-Proto",
        "tEsT-HEADeR",
        "x-lower"
    ]);
    assert_eq!(first["headers"], expected);
    assert_eq!(first["multi"], expected);
    let (status, second) = read_response(&mut stream).await;
    assert_eq!(status, 200, "{second}");
    let second: serde_json::Value = serde_json::from_str(&second).unwrap();
    assert_eq!(
        second["headers"],
        json!([
            "HOST",
            "Transfer-Encoding",
            "X-Forwarded-For",
            "X-Forwarded-Proto",
            "X-UPPER"
        ])
    );
    let (status, third) = read_response(&mut stream).await;
    assert_eq!(status, 200, "{third}");
    assert_eq!(third, "host;MiXeD;");
}
