//! The default envelope templates produce valid JSON for every input, and
//! the handler receives exactly what was sent: headers, query values, path
//! values and bodies with quotes (single and double), backslashes, control
//! characters and non-ASCII text. (`$util.escapeJavaScript` escapes `'` as
//! `\'`, which is not valid JSON; the templates undo that.)

use phalanx::gateway::GatewayRequest;
use phalanx::{Api, ApiGatewayRequest, Context, Function, Method, Service, StatusCode};
use serde_json::{Value, json};

fn service() -> Service {
    let echo = Function::new(
        "echo",
        |req: ApiGatewayRequest<Value>, _: Context| async move {
            Ok::<_, std::convert::Infallible>(req)
        },
    );
    let mut api = Api::new("envelope").stage_variable("v", "it's \"quoted\"");
    api.resource("/echo/{p}", &echo)
        .method(Method::POST, StatusCode::OK);
    Service::new("envelope").function(echo).api(api)
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A string mixing the characters templates trip over.
    fn string(&mut self, allow_controls: bool) -> String {
        const POOL: &[&str] = &[
            "a", "Z", "0", " ", "'", "\"", "\\", "\\'", "/", "$", "#", "{", "}", "[", "]", ",",
            ":", "&", "=", "+", "%", "?", "é", "ß", "日本", "😀", "\u{2028}", "O'Brien", "\\\"",
            "${x}", "#if(", "##", "\u{7f}",
        ];
        const CONTROLS: &[&str] = &["\u{1}", "\u{8}", "\t", "\n", "\r", "\u{c}", "\u{1f}"];
        let len = 1 + (self.next() % 12) as usize;
        (0..len)
            .map(|_| {
                let n = self.next() as usize;
                if allow_controls && n.is_multiple_of(5) {
                    CONTROLS[n / 5 % CONTROLS.len()]
                } else {
                    POOL[n % POOL.len()]
                }
            })
            .collect()
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn send(gw: &phalanx::gateway::Gateway, req: GatewayRequest) -> Value {
    let reply = gw.handle(req).await;
    let text = String::from_utf8_lossy(&reply.body).into_owned();
    assert_eq!(reply.status, 200, "{text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[tokio::test]
async fn every_value_arrives_exactly() {
    let gw = service().gateway(None).unwrap();
    let mut g = Gen(0x9e37_79b9_7f4a_7c15);
    for round in 0..300 {
        let header = g.string(true);
        let query = g.string(true);
        let path = g.string(true);
        let body_text = g.string(true);
        let (content_type, body, expected_body) = match round % 3 {
            0 => (
                "application/json",
                json!({"s": body_text}).to_string(),
                json!({"s": body_text}),
            ),
            1 => ("text/plain", body_text.clone(), json!(body_text)),
            _ => (
                "application/x-www-form-urlencoded",
                format!("k={}&other=1", encode(&body_text)),
                json!({"k": body_text, "other": "1"}),
            ),
        };
        let request = GatewayRequest {
            method: "POST".into(),
            path: format!("/dev/echo/{}", encode(&path)),
            query: Some(format!("q={}", encode(&query))),
            headers: vec![
                ("content-type".into(), content_type.into()),
                ("x-tricky".into(), header.clone()),
            ],
            body: body.clone().into(),
            source_ip: "127.0.0.1".into(),
            ..GatewayRequest::default()
        };
        let echoed = send(&gw, request).await;
        let ctx =
            format!("round {round}: header {header:?} query {query:?} path {path:?} body {body:?}");
        assert_eq!(echoed["headers"]["X-Tricky"], json!(header), "{ctx}");
        assert_eq!(echoed["queryParams"]["q"], json!(query), "{ctx}");
        // Path parameters keep the client's percent-encoding, as in AWS
        // (LocalStack's AWS-recorded test_lambda_aws_proxy_integration
        // snapshot: `%2B` stays `%2B`; serverless/serverless#5037: `%40`).
        assert_eq!(echoed["pathParams"]["p"], json!(encode(&path)), "{ctx}");
        assert_eq!(echoed["body"], expected_body, "{ctx}");
        assert_eq!(echoed["method"], "POST");
        assert_eq!(echoed["stageVariables"]["v"], "it's \"quoted\"");
        assert_eq!(echoed["context"]["resourcePath"], "/echo/{p}");
    }
}

#[tokio::test]
async fn handler_errors_become_their_status() {
    use phalanx::ErrorResponse;
    let missing = Function::new(
        "missing",
        |_: ApiGatewayRequest<Value>, _: Context| async move {
            Err::<Value, _>(ErrorResponse::new(404, "no such item: it's \"gone\""))
        },
    );
    let panics = Function::new(
        "panics",
        |_: ApiGatewayRequest<Value>, _: Context| async move {
            if true {
                panic!("bug in the handler");
            }
            Ok::<Value, ErrorResponse>(Value::Null)
        },
    );
    let typed = Function::new(
        "typed",
        |_: ApiGatewayRequest<u32>, _: Context| async move { Ok::<_, ErrorResponse>(json!("never")) },
    );
    let mut api = Api::new("errors");
    api.resource("/missing", &missing)
        .method(Method::GET, StatusCode::OK);
    api.resource("/panics", &panics)
        .method(Method::GET, StatusCode::OK);
    api.resource("/typed", &typed)
        .method(Method::POST, StatusCode::OK);
    let gw = Service::new("errors")
        .function(missing)
        .function(panics)
        .function(typed)
        .api(api)
        .gateway(None)
        .unwrap();
    let get = |path: &str| GatewayRequest {
        method: "GET".into(),
        path: path.into(),
        ..GatewayRequest::default()
    };
    let reply = gw.handle(get("/dev/missing")).await;
    assert_eq!(reply.status, 404);
    let body: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(
        body,
        json!({"code": 404, "message": "no such item: it's \"gone\""})
    );

    let reply = gw.handle(get("/dev/panics")).await;
    assert_eq!(reply.status, 500);
    let body: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(body["code"], 500);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("bug in the handler"),
        "{body}"
    );

    // A body the handler's type cannot hold is the client's error: 400.
    let mut post = get("/dev/typed");
    post.method = "POST".into();
    post.headers = vec![("content-type".into(), "application/json".into())];
    post.body = r#"{"not": "a number"}"#.into();
    let reply = gw.handle(post).await;
    assert_eq!(
        reply.status,
        400,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
}

/// `Response::new(code, body).header(..)`: the default response template
/// makes the code the status and the headers response headers.
#[tokio::test]
async fn responses_set_status_and_headers() {
    use phalanx::Response;
    let f = Function::new("f", |_: ApiGatewayRequest<Value>, _: Context| async move {
        Ok::<_, std::convert::Infallible>(
            Response::new(202, json!({"queued": true, "note": "it's \"fine\""}))
                .header("X-Custom", "v")
                .header("Cache-Control", "no-store"),
        )
    });
    let mut api = Api::new("r");
    api.resource("/r", &f).method(Method::POST, StatusCode::OK);
    let gw = Service::new("r")
        .function(f)
        .api(api)
        .gateway(None)
        .unwrap();
    let reply = gw
        .handle(GatewayRequest {
            method: "POST".into(),
            path: "/dev/r".into(),
            ..GatewayRequest::default()
        })
        .await;
    assert_eq!(reply.status, 202);
    assert_eq!(reply.header("X-Custom"), Some("v"));
    assert_eq!(reply.header("Cache-Control"), Some("no-store"));
    let body: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(body, json!({"queued": true, "note": "it's \"fine\""}));
}

/// Any result that is not a `Response` is the response body exactly as the
/// handler serialised it (key order, escapes, numbers), also one that
/// starts like a `Response` but is not one.
#[tokio::test]
async fn other_results_are_the_body_as_serialised() {
    #[derive(serde::Serialize)]
    struct Looks {
        code: &'static str,
        headers: &'static str,
    }
    let plain = Function::new("plain", |_: Value, _: Context| async move {
        Ok::<_, std::convert::Infallible>(json!({"z": 1, "a": "é \"q\" \\ it's", "n": 1.5e300}))
    });
    let looks = Function::new("looks", |_: Value, _: Context| async move {
        Ok::<_, std::convert::Infallible>(Looks {
            code: "x",
            headers: "y",
        })
    });
    let mut api = Api::new("o");
    api.resource("/plain", &plain)
        .method(Method::POST, StatusCode::OK);
    api.resource("/looks", &looks)
        .method(Method::POST, StatusCode::OK);
    let gw = Service::new("o")
        .function(plain)
        .function(looks)
        .api(api)
        .gateway(None)
        .unwrap();
    for (path, expected) in [
        (
            "/dev/plain",
            serde_json::to_vec(&json!({"z": 1, "a": "é \"q\" \\ it's", "n": 1.5e300})).unwrap(),
        ),
        ("/dev/looks", br#"{"code":"x","headers":"y"}"#.to_vec()),
    ] {
        let reply = gw
            .handle(GatewayRequest {
                method: "POST".into(),
                path: path.into(),
                ..GatewayRequest::default()
            })
            .await;
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.body, expected, "{path}");
    }
}

/// The handler's `Context` carries the function's name and its configured
/// timeout, also when `.timeout()` is called after `Function::new`.
#[tokio::test]
async fn the_context_has_the_configured_timeout() {
    use std::time::Duration;
    let f = Function::new("timed", |_: Value, ctx: Context| async move {
        Ok::<_, std::convert::Infallible>(
            json!({"name": ctx.function_name, "ms": ctx.timeout.as_millis() as u64}),
        )
    })
    .timeout(Duration::from_secs(12));
    let out = phalanx::gateway::invoke::Invoker::invoke(
        &Service::new("t").function(f).in_process(),
        phalanx::gateway::invoke::Invocation {
            function: "Timed".into(),
            payload: "{}".into(),
            request_id: "r".into(),
            timeout: Duration::from_secs(12),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        phalanx::gateway::invoke::InvokeOutput::Success(r#"{"name":"timed","ms":12000}"#.into())
    );
}
