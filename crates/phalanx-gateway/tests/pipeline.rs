//! The request pipeline, end to end in process: each test pins one AWS
//! behaviour, with its source in a comment. APIs are written as the model's
//! JSON (CloudFormation property names); functions are in-process Rust.

use bytes::Bytes;
use phalanx_gateway::invoke::InProcess;
use phalanx_gateway::model::RestApi;
use phalanx_gateway::{Gateway, GatewayReply, GatewayRequest};
use serde_json::{Value, json};
use std::time::Duration;

fn api(methods: Value) -> RestApi {
    api_with(json!({ "Name": "test", "Methods": methods }))
}

fn api_with(doc: Value) -> RestApi {
    serde_json::from_value(doc).expect("test API must deserialize")
}

fn functions() -> InProcess {
    let mut f = InProcess::new();
    f.register("Echo", |event| async move { Ok(event) });
    f.register("Fail", |event: Bytes| async move {
        let v: Value = serde_json::from_slice(&event).unwrap_or_default();
        let message = v["message"].as_str().unwrap_or("boom").to_string();
        Err(Bytes::from(
            json!({"errorMessage": message, "errorType": "Error", "stackTrace": []}).to_string(),
        ))
    });
    f.register("Proxy", |event: Bytes| async move {
        let v: Value = serde_json::from_slice(&event).unwrap_or_default();
        Ok(Bytes::from(
            json!({
                "statusCode": 201,
                "headers": {"X-Seen-Path": v["path"], "Content-Type": "text/plain"},
                "multiValueHeaders": {"X-Multi": ["a", "b"]},
                "body": v.to_string(),
            })
            .to_string(),
        ))
    });
    f.register("Malformed", |_| async move {
        Ok(Bytes::from(
            r#"{"statusCode": 200, "body": {"not": "a string"}}"#,
        ))
    });
    f.register("Panics", |_| async move {
        if true {
            panic!("handler bug");
        }
        Ok(Bytes::new())
    });
    f.register("Slow", |event| async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        Ok(event)
    });
    f
}

fn functions_json() -> Value {
    json!({
        "Echo": {"FunctionName": "Echo"},
        "Fail": {"FunctionName": "Fail"},
        "Proxy": {"FunctionName": "Proxy"},
        "Malformed": {"FunctionName": "Malformed"},
        "Panics": {"FunctionName": "Panics"},
        "Slow": {"FunctionName": "Slow", "Timeout": 10},
    })
}

fn gateway(api: &RestApi) -> Gateway {
    let mut api = api.clone();
    if api.functions.is_empty() {
        api.functions = serde_json::from_value(functions_json()).unwrap();
    }
    Gateway::build(&api, "dev", functions()).unwrap_or_else(|e| panic!("{e}"))
}

fn request(method: &str, target: &str) -> GatewayRequest {
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (target.to_string(), None),
    };
    GatewayRequest {
        method: method.into(),
        path,
        query,
        headers: vec![("host".into(), "localhost".into())],
        source_ip: "127.0.0.1".into(),
        ..GatewayRequest::default()
    }
}

fn with_body(mut r: GatewayRequest, content_type: &str, body: &str) -> GatewayRequest {
    r.headers.push(("content-type".into(), content_type.into()));
    r.body = Bytes::from(body.to_string());
    r
}

async fn send(gw: &Gateway, r: GatewayRequest) -> GatewayReply {
    gw.handle(r).await
}

fn body(reply: &GatewayReply) -> String {
    String::from_utf8_lossy(&reply.body).into_owned()
}

fn mock_method(path: &str, verb: &str, request_template: &str, response_template: &str) -> Value {
    json!({
        "ResourcePath": path,
        "HttpMethod": verb,
        "MethodResponses": [{"StatusCode": "200"}],
        "Integration": {
            "Type": "MOCK",
            "RequestTemplates": {"application/json": request_template},
            "IntegrationResponses": [{
                "StatusCode": "200",
                "ResponseTemplates": {"application/json": response_template}
            }]
        }
    })
}

// Developer guide, "Amazon API Gateway important notes for REST APIs" and the
// gateway response table: an unknown resource or method is 403 "Missing
// Authentication Token" with x-amzn-ErrorType MissingAuthenticationTokenException.
#[tokio::test]
async fn unknown_routes_are_403_missing_authentication_token() {
    let gw = gateway(&api(json!([mock_method(
        "/pets",
        "GET",
        r#"{"statusCode": 200}"#,
        "ok"
    )])));
    for (m, p) in [
        ("GET", "/dev/nope"),
        ("POST", "/dev/pets"),
        ("GET", "/prod/pets"),
        ("GET", "/"),
    ] {
        let reply = send(&gw, request(m, p)).await;
        assert_eq!(reply.status, 403, "{m} {p}");
        assert_eq!(
            body(&reply),
            r#"{"message":"Missing Authentication Token"}"#
        );
        assert_eq!(
            reply.header("x-amzn-ErrorType"),
            Some("MissingAuthenticationTokenException")
        );
    }
    assert_eq!(send(&gw, request("GET", "/dev/pets")).await.status, 200);
}

// The rig AWS's own VTL recordings use (localstack/airspeed
// test_templating.snapshot.json, recorded against AWS): a MOCK request
// template stores the body in requestOverride.path, the response template
// reads it back. Also: `$input.params(x)` searches path, query string,
// header; absent → "".
#[tokio::test]
async fn mock_rig_carries_request_overrides_into_the_response_template() {
    let gw = gateway(&api(json!([mock_method(
        "/items/{id}",
        "POST",
        "#set($context.requestOverride.path.body = $input.body)\n{\"statusCode\": 200}",
        "#set($b = $util.parseJson($context.requestOverride.path.body))$b.name|$input.params('id')|$input.params('q')|$input.params('X-Custom')|[$input.params('none')]|$context.resourcePath|$context.httpMethod|$context.stage"
    )])));
    let mut r = with_body(
        request("POST", "/dev/items/42?q=search+term"),
        "application/json",
        r#"{"name":"widget"}"#,
    );
    r.headers.push(("x-custom".into(), "hdr".into()));
    let reply = send(&gw, r).await;
    assert_eq!(reply.status, 200, "{}", body(&reply));
    assert_eq!(
        body(&reply),
        "widget|42|search term|hdr|[]|/items/{id}|POST|dev"
    );
}

// Developer guide, "Override your API's request and response parameters and
// status codes": responseOverride.status and .header apply to the response,
// also when set in a MOCK's request template.
#[tokio::test]
async fn response_overrides_set_status_and_headers() {
    let gw = gateway(&api(json!([mock_method(
        "/o",
        "GET",
        "#set($context.responseOverride.status = 418)#set($context.responseOverride.header.X-Teapot = 'yes'){\"statusCode\": 200}",
        "short and stout"
    )])));
    let reply = send(&gw, request("GET", "/dev/o")).await;
    assert_eq!(reply.status, 418);
    assert_eq!(reply.header("X-Teapot"), Some("yes"));
    assert_eq!(body(&reply), "short and stout");
}

// Developer guide, "Override your API's request and response parameters and
// status codes": "Overrides are final. An override may only be applied to
// each parameter once. Trying to override the same parameter multiple times
// will result in 5XX responses from Amazon API Gateway." Setting two
// different parameters, or reading one back, is fine; a later template (the
// response template) may set again what the request template set.
#[tokio::test]
async fn an_override_may_be_set_only_once() {
    let gw = gateway(&api(json!([
        mock_method(
            "/twice-header",
            "GET",
            "#set($context.requestOverride.header.X-A = 'one')#set($context.requestOverride.header.X-A = 'two'){\"statusCode\": 200}",
            "unreachable"
        ),
        mock_method(
            "/twice-status",
            "GET",
            "{\"statusCode\": 200}",
            "#set($context.responseOverride.status = 201)#set($context.responseOverride.status = 202)unreachable"
        ),
        mock_method(
            "/twice-by-index",
            "GET",
            "#set($context.responseOverride.header['X-B'] = 'one')#set($context.responseOverride.header['X-B'] = 'two'){\"statusCode\": 200}",
            "unreachable"
        ),
        mock_method(
            "/once-each",
            "GET",
            "#set($context.responseOverride.header.X-A = 'a')#set($context.responseOverride.header.X-B = 'b')#set($context.responseOverride.status = 203){\"statusCode\": 200}",
            "#set($context.responseOverride.status = 206)$context.responseOverride.header.X-A $context.responseOverride.header.get('X-B') $context.responseOverride.header.containsKey('X-C')"
        ),
    ])));
    for path in [
        "/dev/twice-header",
        "/dev/twice-status",
        "/dev/twice-by-index",
    ] {
        let reply = send(&gw, request("GET", path)).await;
        assert_eq!(reply.status, 500, "{path}");
        assert_eq!(
            body(&reply),
            r#"{"message":"Internal server error"}"#,
            "{path}"
        );
    }
    let reply = send(&gw, request("GET", "/dev/once-each")).await;
    assert_eq!(reply.status, 206);
    assert_eq!(reply.header("X-A"), Some("a"));
    assert_eq!(reply.header("X-B"), Some("b"));
    assert_eq!(body(&reply), "a b false");
}

// LocalStack's AWS-validated MOCK integration: the status comes from the
// rendered template's statusCode, also in CDK's lenient `{statusCode: 200}`;
// none → 500.
#[tokio::test]
async fn mock_status_comes_from_the_request_template() {
    let gw = gateway(&api(json!([
        mock_method("/lenient", "GET", "{statusCode: 200}", "lenient"),
        mock_method("/none", "GET", "{\"nothing\": 1}", "x"),
    ])));
    assert_eq!(
        body(&send(&gw, request("GET", "/dev/lenient")).await),
        "lenient"
    );
    let reply = send(&gw, request("GET", "/dev/none")).await;
    assert_eq!(reply.status, 500);
    assert_eq!(body(&reply), r#"{"message":"Internal server error"}"#);
}

fn lambda_method(path: &str, function: &str, extra: Value) -> Value {
    let mut m = json!({
        "ResourcePath": path,
        "HttpMethod": "POST",
        "MethodResponses": [
            {"StatusCode": "200"},
            {"StatusCode": "201", "ResponseParameters": {"method.response.header.Location": true}},
            {"StatusCode": "400"},
            {"StatusCode": "404"}
        ],
        "Integration": {
            "Type": "AWS",
            "IntegrationHttpMethod": "POST",
            "Uri": format!("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{function}/invocations"),
            "Function": function,
            "IntegrationResponses": [
                {"StatusCode": "200"},
                {"StatusCode": "404", "SelectionPattern": ".*Not Found.*",
                 "ResponseTemplates": {"application/json": "{\"error\": \"$input.path('$.errorMessage')\"}"}},
                {"StatusCode": "400", "SelectionPattern": "Bad"}
            ]
        }
    });
    if let (Some(target), Some(extra)) = (m.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            target.insert(k.clone(), v.clone());
        }
    }
    m
}

// Developer guide, "Handle Lambda errors in API Gateway": the selection
// pattern is matched against errorMessage — the whole message (Java
// `matches`); no match → the default response, which passes the error object
// through.
#[tokio::test]
async fn lambda_errors_select_integration_responses_by_whole_message() {
    let gw = gateway(&api(json!([lambda_method("/fail", "Fail", json!({}))])));
    let call = |msg: &str| {
        with_body(
            request("POST", "/dev/fail"),
            "application/json",
            &json!({"message": msg}).to_string(),
        )
    };
    let reply = send(&gw, call("Item Not Found here")).await;
    assert_eq!(reply.status, 404);
    assert_eq!(body(&reply), r#"{"error": "Item Not Found here"}"#);
    // "Bad" must match the whole message: "Bad request" does not select 400.
    let reply = send(&gw, call("Bad request")).await;
    assert_eq!(reply.status, 200);
    let v: Value = serde_json::from_str(&body(&reply)).unwrap();
    assert_eq!(v["errorMessage"], "Bad request");
    assert_eq!(v["errorType"], "Error");
    assert_eq!(send(&gw, call("Bad")).await.status, 400);
}

// The seed's custom-header example and the developer guide's "Map response
// headers": method.response.header.Location ← integration.response.body.location.
#[tokio::test]
async fn location_header_is_promoted_from_the_lambda_payload() {
    let mut m = lambda_method("/items", "Echo", json!({}));
    m["Integration"]["IntegrationResponses"] = json!([{
        "StatusCode": "201",
        "ResponseParameters": {"method.response.header.Location": "integration.response.body.location"},
        "ResponseTemplates": {"application/json": "{\"id\": $input.json('$.id')}"}
    }]);
    m["Integration"]["RequestTemplates"] = json!({
        "application/json": "{\"id\": \"$input.path('$.name')-1\", \"location\": \"/items/$input.path('$.name')-1\"}"
    });
    let gw = gateway(&api(json!([m])));
    let reply = send(
        &gw,
        with_body(
            request("POST", "/dev/items"),
            "application/json",
            r#"{"name":"pen"}"#,
        ),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", body(&reply));
    assert_eq!(reply.header("Location"), Some("/items/pen-1"));
    assert_eq!(body(&reply), r#"{"id": "pen-1"}"#);
}

// Developer guide, "Handle custom Lambda errors in API Gateway": when a
// function's errorMessage is a stringified JSON object, API Gateway
// deserialises it for body-to-header mappings, so
// integration.response.body.errorMessage.trace.function reaches into it (a
// number or nested object comes out as JSON text); body mappings still see
// the string. A plain-text message or a missing key maps no header.
#[tokio::test]
async fn json_error_messages_are_deserialised_for_header_mappings() {
    let mut m = lambda_method("/fail", "Fail", json!({}));
    let headers = [
        "error_type",
        "error_status",
        "error_trace",
        "error_trace_function",
        "error_missing",
    ];
    let declared: serde_json::Map<String, Value> = headers
        .iter()
        .map(|h| (format!("method.response.header.{h}"), json!(true)))
        .collect();
    m["MethodResponses"] = json!([
        {"StatusCode": "200"},
        {"StatusCode": "500", "ResponseParameters": declared}
    ]);
    m["Integration"]["IntegrationResponses"] = json!([
        {"StatusCode": "200"},
        {"StatusCode": "500", "SelectionPattern": ".+", "ResponseParameters": {
            "method.response.header.error_type": "integration.response.body.errorMessage.errorType",
            "method.response.header.error_status": "integration.response.body.errorMessage.httpStatus",
            "method.response.header.error_trace": "integration.response.body.errorMessage.trace",
            "method.response.header.error_trace_function": "integration.response.body.errorMessage.trace.function",
            "method.response.header.error_missing": "integration.response.body.errorMessage.nope"
        }}
    ]);
    let gw = gateway(&api(json!([m])));
    let call = |msg: &str| {
        with_body(
            request("POST", "/dev/fail"),
            "application/json",
            &json!({"message": msg}).to_string(),
        )
    };
    let custom = json!({
        "errorType": "InternalServerError",
        "httpStatus": 500,
        "trace": {"function": "abc()", "line": 123, "file": "abc.js"}
    })
    .to_string();
    let reply = send(&gw, call(&custom)).await;
    assert_eq!(reply.status, 500, "{}", body(&reply));
    assert_eq!(reply.header("error_type"), Some("InternalServerError"));
    assert_eq!(reply.header("error_status"), Some("500"));
    assert_eq!(
        reply.header("error_trace"),
        Some(r#"{"function":"abc()","line":123,"file":"abc.js"}"#)
    );
    assert_eq!(reply.header("error_trace_function"), Some("abc()"));
    assert_eq!(reply.header("error_missing"), None);
    // The body passes through with errorMessage still a string.
    let v: Value = serde_json::from_str(&body(&reply)).unwrap();
    assert_eq!(v["errorMessage"], custom.as_str());

    // Not JSON: the path finds nothing, as for any string.
    let reply = send(&gw, call("Malformed input ...")).await;
    assert_eq!(reply.status, 500);
    for h in headers {
        assert_eq!(reply.header(h), None, "{h}");
    }
    // JSON, but without the keys mapped.
    let reply = send(&gw, call(r#"{"other": 1}"#)).await;
    assert_eq!(reply.status, 500);
    for h in headers {
        assert_eq!(reply.header(h), None, "{h}");
    }
}

// Putting an integration response that maps a header the method response does
// not declare fails with AWS's message (PutIntegrationResponse).
#[test]
fn undeclared_response_header_is_a_definition_error_with_aws_text() {
    let mut m = lambda_method("/items", "Echo", json!({}));
    m["Integration"]["IntegrationResponses"] = json!([{
        "StatusCode": "200",
        "ResponseParameters": {"method.response.header.X": "'v'"}
    }]);
    let mut a = api(json!([m]));
    a.functions = serde_json::from_value(functions_json()).unwrap();
    let err = Gateway::build(&a, "dev", functions())
        .err()
        .expect("must fail");
    let text = err.to_string();
    assert!(
        text.contains("POST /items integration response 200: Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression parameter specified: method.response.header.X]"),
        "{text}"
    );
}

// Developer guide, "Lambda proxy integration": the function's statusCode,
// headers, multiValueHeaders and body become the response; the event carries
// the raw path without the stage, resource, query parameters (`+` is a
// space), and path parameters.
#[tokio::test]
async fn proxy_integration_passes_the_event_and_the_response() {
    let gw = gateway(&api(json!([{
        "ResourcePath": "/{proxy+}",
        "HttpMethod": "ANY",
        "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Function": "Proxy"}
    }])));
    let reply = send(&gw, request("GET", "/dev/a/b%20c?x=1&x=2&y=p+q")).await;
    assert_eq!(reply.status, 201);
    assert_eq!(reply.header("Content-Type"), Some("text/plain"));
    assert_eq!(reply.header("X-Seen-Path"), Some("/a/b%20c"));
    let multi: Vec<&str> = reply
        .headers
        .iter()
        .filter(|(k, _)| k == "X-Multi")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(multi, ["a", "b"]);
    let event: Value = serde_json::from_str(&body(&reply)).unwrap();
    assert_eq!(event["resource"], "/{proxy+}");
    assert_eq!(event["httpMethod"], "GET");
    // Still percent-encoded, as AWS passes it (see the next test).
    assert_eq!(event["pathParameters"], json!({"proxy": "a/b%20c"}));
    assert_eq!(
        event["queryStringParameters"],
        json!({"x": "2", "y": "p q"})
    );
    assert_eq!(
        event["multiValueQueryStringParameters"],
        json!({"x": ["1", "2"], "y": ["p q"]})
    );
    assert_eq!(event["requestContext"]["stage"], "dev");
    assert_eq!(event["requestContext"]["path"], "/dev/a/b%20c");
    assert_eq!(event["requestContext"]["resourcePath"], "/{proxy+}");
    assert_eq!(event["body"], Value::Null);
    assert_eq!(event["isBase64Encoded"], false);
    assert_eq!(event["stageVariables"], Value::Null);
}

// LocalStack's AWS-validated snapshot test_lambda_aws_proxy_integration
// (tests/aws/services/apigateway/test_apigateway_lambda.snapshot.json,
// recorded on AWS 2024-08-02): slashes right after the stage are dropped
// from the event's `path` and `{proxy+}` but kept in
// `requestContext.path`; slashes before the stage are dropped everywhere;
// a doubled slash inside is kept; `%2B` stays encoded in `path`,
// `pathParameters` and `requestContext.path` (and `+` stays `+`).
#[tokio::test]
async fn slashes_and_encodings_reach_the_proxy_event_as_aws_passes_them() {
    let gw = gateway(&api(json!([{
        "ResourcePath": "/{proxy+}",
        "HttpMethod": "ANY",
        "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Function": "Proxy"}
    }])));
    let event = |target: &'static str| {
        let gw = &gw;
        async move {
            let reply = send(gw, request("GET", target)).await;
            assert_eq!(reply.status, 201, "{target}: {}", body(&reply));
            serde_json::from_str::<Value>(&body(&reply)).unwrap()
        }
    };
    for (target, path, proxy, context_path) in [
        ("/dev//lp/x", "/lp/x", "lp/x", "/dev//lp/x"),
        ("//dev/lp/x", "/lp/x", "lp/x", "/dev/lp/x"),
        ("/dev/lp/x/", "/lp/x/", "lp/x", "/dev/lp/x/"),
        ("/dev/lp//x", "/lp//x", "lp//x", "/dev/lp//x"),
        (
            "/dev/user/test%2Balias@gmail.com/plus/test+alias@gmail.com",
            "/user/test%2Balias@gmail.com/plus/test+alias@gmail.com",
            "user/test%2Balias@gmail.com/plus/test+alias@gmail.com",
            "/dev/user/test%2Balias@gmail.com/plus/test+alias@gmail.com",
        ),
    ] {
        let e = event(target).await;
        assert_eq!(e["path"], path, "{target}");
        assert_eq!(e["pathParameters"], json!({ "proxy": proxy }), "{target}");
        assert_eq!(e["requestContext"]["path"], context_path, "{target}");
    }
}

// LocalStack's AWS-validated proxy handling: a malformed proxy response, a
// function error and a crashed handler are all 502 Internal server error,
// and the gateway keeps serving.
#[tokio::test]
async fn malformed_proxy_responses_and_panics_are_502() {
    let proxy = |path: &str, f: &str| {
        json!({"ResourcePath": path, "HttpMethod": "GET",
               "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Function": f}})
    };
    let gw = gateway(&api(json!([
        proxy("/malformed", "Malformed"),
        proxy("/panics", "Panics"),
        proxy("/fails", "Fail"),
        proxy("/ok", "Proxy")
    ])));
    for p in ["/dev/malformed", "/dev/panics", "/dev/fails"] {
        let reply = send(&gw, request("GET", p)).await;
        assert_eq!(reply.status, 502, "{p}");
        assert_eq!(body(&reply), r#"{"message":"Internal server error"}"#);
    }
    assert_eq!(send(&gw, request("GET", "/dev/ok")).await.status, 201);
}

// A panicking handler behind a non-proxy integration is a function error:
// the default integration response passes Lambda's error object on.
#[tokio::test]
async fn panics_behind_non_proxy_integrations_are_function_errors() {
    let gw = gateway(&api(json!([lambda_method("/p", "Panics", json!({}))])));
    let reply = send(
        &gw,
        with_body(request("POST", "/dev/p"), "application/json", "{}"),
    )
    .await;
    assert_eq!(reply.status, 200);
    let v: Value = serde_json::from_str(&body(&reply)).unwrap();
    assert!(
        v["errorMessage"].as_str().unwrap().contains("handler bug"),
        "{v}"
    );
}

// LocalStack's AWS-validated method_request.py: required parameters are
// checked by a validator, reported sorted by full name; the body is checked
// against the model (draft 4) → "Invalid request body".
#[tokio::test]
async fn request_validators_check_parameters_and_body() {
    let doc = json!({
        "Name": "v",
        "RequestValidators": [{"Name": "all", "ValidateRequestBody": true, "ValidateRequestParameters": true}],
        "Models": [
            {"Name": "Pet", "ContentType": "application/json", "Schema": {
                "$schema": "http://json-schema.org/draft-04/schema#",
                "type": "object", "required": ["name"],
                "properties": {"name": {"type": "string"}, "tag": {"$ref": "https://apigateway.amazonaws.com/restapis/abc123/models/Tag"}}
            }},
            {"Name": "Tag", "ContentType": "application/json", "Schema": {"type": "string", "maxLength": 3}}
        ],
        "Id": "abc123",
        "Methods": [{
            "ResourcePath": "/pets",
            "HttpMethod": "POST",
            "RequestValidator": "all",
            "RequestModels": {"application/json": "Pet"},
            "RequestParameters": {
                "method.request.querystring.zeta": true,
                "method.request.header.X-Alpha": true,
                "method.request.querystring.beta": true,
                "method.request.querystring.optional": false
            },
            "MethodResponses": [{"StatusCode": "200"}],
            "Integration": {"Type": "MOCK", "RequestTemplates": {"application/json": "{\"statusCode\": 200}"},
                            "IntegrationResponses": [{"StatusCode": "200", "ResponseTemplates": {"application/json": "valid"}}]}
        }]
    });
    let gw = gateway(&api_with(doc));
    let reply = send(
        &gw,
        with_body(
            request("POST", "/dev/pets?beta=%20"),
            "application/json",
            r#"{"name":"rex"}"#,
        ),
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        body(&reply),
        r#"{"message":"Missing required request parameters: [X-Alpha, beta, zeta]"}"#
    );
    assert_eq!(
        reply.header("x-amzn-ErrorType"),
        Some("BadRequestException")
    );

    let ok = |b: &str| {
        let mut r = with_body(
            request("POST", "/dev/pets?beta=1&zeta=2"),
            "application/json",
            b,
        );
        r.headers.push(("x-alpha".into(), "a".into()));
        r
    };
    let reply = send(&gw, ok(r#"{"tag": "dog"}"#)).await;
    assert_eq!(reply.status, 400);
    assert_eq!(body(&reply), r#"{"message":"Invalid request body"}"#);
    let reply = send(&gw, ok(r#"{"name": "rex", "tag": "toolong"}"#)).await;
    assert_eq!(reply.status, 400, "the $ref to the Tag model is followed");
    assert_eq!(
        body(&send(&gw, ok(r#"{"name": "rex", "tag": "dog"}"#)).await),
        "valid"
    );
}

// Developer guide, "Method request behavior for payloads without mapping
// templates": NEVER refuses an unmapped content type with 415;
// WHEN_NO_TEMPLATES passes through only when there are no templates.
#[tokio::test]
async fn passthrough_behaviour_decides_unmapped_content_types() {
    let mut never = mock_method("/never", "POST", r#"{"statusCode": 200}"#, "mapped");
    never["Integration"]["PassthroughBehavior"] = json!("NEVER");
    let mut when_no_templates = mock_method("/wnt", "POST", r#"{"statusCode": 200}"#, "mapped");
    when_no_templates["Integration"]["PassthroughBehavior"] = json!("WHEN_NO_TEMPLATES");
    let gw = gateway(&api(json!([never, when_no_templates])));
    for p in ["/dev/never", "/dev/wnt"] {
        let reply = send(&gw, with_body(request("POST", p), "text/plain", "x")).await;
        assert_eq!(reply.status, 415, "{p}");
        assert_eq!(body(&reply), r#"{"message":"Unsupported Media Type"}"#);
        // Parameters of the media type are ignored when choosing the template.
        let reply = send(
            &gw,
            with_body(request("POST", p), "application/json; charset=utf-8", "{}"),
        )
        .await;
        assert_eq!(body(&reply), "mapped", "{p}");
    }
}

// Developer guide, "Amazon API Gateway quotas": integration timeout
// (TimeoutInMillis) → 504 "Endpoint request timed out".
#[tokio::test]
async fn integration_timeout_is_504() {
    let mut m = lambda_method("/slow", "Slow", json!({}));
    m["Integration"]["TimeoutInMillis"] = json!(50);
    let gw = gateway(&api(json!([m])));
    let reply = send(
        &gw,
        with_body(request("POST", "/dev/slow"), "application/json", "{}"),
    )
    .await;
    assert_eq!(reply.status, 504);
    assert_eq!(body(&reply), r#"{"message":"Endpoint request timed out"}"#);
}

// Developer guide, "API keys": a method requiring a key answers 403
// {"message":"Forbidden"} without a valid x-api-key for the stage.
#[tokio::test]
async fn api_keys_are_checked_per_stage() {
    let mut m = mock_method(
        "/k",
        "GET",
        r#"{"statusCode": 200}"#,
        "$context.identity.apiKey",
    );
    m["ApiKeyRequired"] = json!(true);
    let gw = gateway(&api_with(json!({
        "Name": "k",
        "Methods": [m],
        "ApiKeys": [
            {"Name": "good", "Value": "secret-1234567890", "Stages": ["dev"]},
            {"Name": "other-stage", "Value": "prod-key-1234567890", "Stages": ["prod"]},
            {"Name": "disabled", "Value": "off-1234567890", "Enabled": false, "Stages": ["dev"]}
        ]
    })));
    for key in [
        None,
        Some("wrong"),
        Some("prod-key-1234567890"),
        Some("off-1234567890"),
    ] {
        let mut r = request("GET", "/dev/k");
        if let Some(k) = key {
            r.headers.push(("x-api-key".into(), k.into()));
        }
        let reply = send(&gw, r).await;
        assert_eq!(reply.status, 403, "{key:?}");
        assert_eq!(body(&reply), r#"{"message":"Forbidden"}"#);
    }
    let mut r = request("GET", "/dev/k");
    r.headers
        .push(("x-api-key".into(), "secret-1234567890".into()));
    assert_eq!(body(&send(&gw, r).await), "secret-1234567890");
}

// API Gateway's #foreach limit is 1000 iterations (developer guide,
// "Amazon API Gateway quotas": "Iterations in a #foreach ... 1,000"); going
// past it fails the template: a 5xx gateway response, nothing hangs.
#[tokio::test]
async fn foreach_over_1001_items_is_a_5xx() {
    let gw = gateway(&api(json!([mock_method(
        "/loop",
        "GET",
        r#"{"statusCode": 200}"#,
        "#foreach($i in [1..1001])$i#end"
    )])));
    let reply = send(&gw, request("GET", "/dev/loop")).await;
    assert_eq!(reply.status, 500);
    assert_eq!(body(&reply), r#"{"message":"Internal server error"}"#);
}

// Developer guide, "Set up gateway responses to customize error responses":
// DEFAULT_4XX customises every 4xx type without its own customisation;
// templates see $context.error.*.
#[tokio::test]
async fn gateway_responses_can_be_customised() {
    let gw = gateway(&api_with(json!({
        "Name": "g",
        "Methods": [mock_method("/x", "GET", r#"{"statusCode": 200}"#, "x")],
        "GatewayResponses": [{
            "ResponseType": "DEFAULT_4XX",
            "StatusCode": "404",
            "ResponseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
            "ResponseTemplates": {"application/json": "{\"error\": $context.error.messageString, \"type\": \"$context.error.responseType\"}"}
        }]
    })));
    let reply = send(&gw, request("GET", "/dev/missing")).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.header("Access-Control-Allow-Origin"), Some("*"));
    assert_eq!(
        body(&reply),
        r#"{"error": "Missing Authentication Token", "type": "MISSING_AUTHENTICATION_TOKEN"}"#
    );
}

// AWS's recorded $input.path / $input.json semantics (airspeed snapshot,
// LocalStack VelocityInput): path gives objects (maps print Java-style,
// arrays as JSON), json gives JSON text, an empty body is "{}".
#[tokio::test]
async fn input_path_and_json_follow_aws() {
    let gw = gateway(&api(json!([
        mock_method(
            "/in",
            "POST",
            "#set($context.requestOverride.path.body = $input.body){\"statusCode\": 200}",
            "#set($i = $util.parseJson($context.requestOverride.path.body))$i.size()"
        ),
        mock_method("/direct", "POST", "{\"statusCode\": 200}", "$input.body")
    ])));
    // The response template's $input is the (empty) MOCK response body.
    let reply = send(
        &gw,
        with_body(request("POST", "/dev/direct"), "application/json", "{}"),
    )
    .await;
    assert_eq!(body(&reply), "{}");
    let reply = send(
        &gw,
        with_body(
            request("POST", "/dev/in"),
            "application/json",
            r#"{"a":1,"b":[1,2]}"#,
        ),
    )
    .await;
    assert_eq!(body(&reply), "2");
}

/// A real HTTP backend on loopback: answers with a JSON echo of what it
/// received; `X-Status` picks the status, `X-Delay-Ms` delays the answer.
async fn http_backend() -> String {
    use http_body_util::{BodyExt, Full};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    |req: hyper::Request<hyper::body::Incoming>| async move {
                        let (parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let header = |n: &str| {
                            parts
                                .headers
                                .get(n)
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_string)
                        };
                        if let Some(ms) = header("x-delay-ms").and_then(|v| v.parse().ok()) {
                            tokio::time::sleep(Duration::from_millis(ms)).await;
                        }
                        let echo = json!({
                            "method": parts.method.as_str(),
                            "path": parts.uri.path(),
                            "query": parts.uri.query(),
                            "x_mapped": header("x-mapped"),
                            "body": String::from_utf8_lossy(&body),
                        });
                        let status = header("x-status")
                            .and_then(|s| s.parse().ok())
                            .unwrap_or(200u16);
                        let response = hyper::Response::builder()
                            .status(status)
                            .header("Content-Type", "application/json")
                            .header("X-Backend", "yes")
                            .body(Full::new(Bytes::from(echo.to_string())))
                            .unwrap();
                        Ok::<_, std::convert::Infallible>(response)
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

// Developer guide, "Set up HTTP proxy integrations" (the petstore example:
// Uri .../{proxy} with integration.request.path.proxy ←
// method.request.path.proxy, /pets/1 reaches the backend as /pets/1):
// HTTP_PROXY passes the request through and the backend's status, headers
// and body back.
#[tokio::test]
async fn http_proxy_passes_requests_and_answers_through() {
    let backend = http_backend().await;
    let gw = gateway(&api(json!([{
        "ResourcePath": "/{proxy+}",
        "HttpMethod": "ANY",
        "RequestParameters": {"method.request.path.proxy": true},
        "Integration": {
            "Type": "HTTP_PROXY",
            "IntegrationHttpMethod": "ANY",
            "Uri": format!("{backend}/base/{{proxy}}"),
            "RequestParameters": {
                "integration.request.path.proxy": "method.request.path.proxy",
                "integration.request.header.X-Mapped": "'constant'"
            }
        }
    }])));
    let mut r = with_body(request("PUT", "/dev/a/b?x=1"), "text/plain", "hello");
    r.headers.push(("x-status".into(), "202".into()));
    let reply = send(&gw, r).await;
    assert_eq!(reply.status, 202, "{}", body(&reply));
    assert_eq!(reply.header("X-Backend"), Some("yes"));
    let echo: Value = serde_json::from_str(&body(&reply)).unwrap();
    assert_eq!(echo["method"], "PUT");
    assert_eq!(echo["path"], "/base/a/b");
    assert_eq!(echo["query"], "x=1");
    assert_eq!(echo["x_mapped"], "constant");
    assert_eq!(echo["body"], "hello");
}

// Developer guide, "Set up an integration response": for HTTP backends the
// selection pattern matches the status code; response parameters read the
// backend's headers and body.
#[tokio::test]
async fn http_integration_selects_by_status_and_maps_headers() {
    let backend = http_backend().await;
    let gw = gateway(&api(json!([{
        "ResourcePath": "/h",
        "HttpMethod": "POST",
        "RequestParameters": {"method.request.querystring.status": false},
        "MethodResponses": [
            {"StatusCode": "200", "ResponseParameters": {"method.response.header.X-From": true}},
            {"StatusCode": "400"}
        ],
        "Integration": {
            "Type": "HTTP",
            "IntegrationHttpMethod": "POST",
            "Uri": format!("{backend}/items"),
            "RequestParameters": {"integration.request.header.X-Status": "method.request.querystring.status"},
            "RequestTemplates": {"application/json": "{\"wrapped\": $input.json('$')}"},
            "IntegrationResponses": [
                {"StatusCode": "200",
                 "ResponseParameters": {"method.response.header.X-From": "integration.response.header.X-Backend"},
                 "ResponseTemplates": {"application/json": "$input.path('$.body')"}},
                {"StatusCode": "400", "SelectionPattern": "4\\d{2}",
                 "ResponseTemplates": {"application/json": "{\"backend\": \"refused\"}"}}
            ]
        }
    }])));
    let reply = send(
        &gw,
        with_body(request("POST", "/dev/h"), "application/json", r#"{"a":1}"#),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("X-From"), Some("yes"));
    assert_eq!(body(&reply), r#"{"wrapped": {"a":1}}"#);
    let mut r = with_body(request("POST", "/dev/h"), "application/json", "{}");
    r.headers.push(("x-status".into(), "404".into()));
    // The method request's headers are not passed to HTTP (non-proxy)
    // backends unless mapped: the backend answers 200 here.
    assert_eq!(send(&gw, r).await.status, 200);
    // Mapped from the query string, the status reaches the backend, whose
    // 404 the `4\d{2}` pattern selects.
    let r = with_body(
        request("POST", "/dev/h?status=404"),
        "application/json",
        "{}",
    );
    let reply = send(&gw, r).await;
    assert_eq!(reply.status, 400);
    assert_eq!(body(&reply), r#"{"backend": "refused"}"#);
    assert_eq!(
        reply.header("X-From"),
        None,
        "the 400 response maps no header"
    );
}

// Integration timeouts apply to HTTP backends too: 504.
#[tokio::test]
async fn slow_http_backends_time_out_with_504() {
    let backend = http_backend().await;
    let gw = gateway(&api(json!([{
        "ResourcePath": "/slow",
        "HttpMethod": "GET",
        "Integration": {
            "Type": "HTTP_PROXY",
            "IntegrationHttpMethod": "GET",
            "Uri": format!("{backend}/slow"),
            "TimeoutInMillis": 100
        }
    }])));
    let mut r = request("GET", "/dev/slow");
    r.headers.push(("x-delay-ms".into(), "2000".into()));
    let reply = send(&gw, r).await;
    assert_eq!(reply.status, 504);
    assert_eq!(body(&reply), r#"{"message":"Endpoint request timed out"}"#);
}

// Developer guide, "Binary media types for REST APIs" and "Lambda proxy
// integration": a request whose Content-Type is a binary media type reaches
// the function base64-encoded with isBase64Encoded true; a text type does
// not; a base64 response is decoded when the Accept type is binary.
#[tokio::test]
async fn binary_media_types_decide_base64_both_ways() {
    let mut functions = InProcess::new();
    functions.register("Bin", |event: Bytes| async move {
        let v: Value = serde_json::from_slice(&event).unwrap_or_default();
        Ok(Bytes::from(
            json!({
                "statusCode": 200,
                "headers": {"Content-Type": "image/png", "X-Event-Base64": v["isBase64Encoded"].to_string(), "X-Event-Body": v["body"]},
                "body": "AAEC/w==",
                "isBase64Encoded": true
            })
            .to_string(),
        ))
    });
    let a = api_with(json!({
        "Name": "bin",
        "BinaryMediaTypes": ["image/png"],
        "Functions": {"Bin": {"FunctionName": "Bin"}},
        "Methods": [{
            "ResourcePath": "/img",
            "HttpMethod": "POST",
            "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Function": "Bin"}
        }]
    }));
    let gw = Gateway::build(&a, "dev", functions).unwrap();
    let mut r = request("POST", "/dev/img");
    r.headers.push(("content-type".into(), "image/png".into()));
    r.headers.push(("accept".into(), "image/png".into()));
    r.body = Bytes::from_static(&[0x89, b'P', b'N', b'G']);
    let reply = send(&gw, r).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("X-Event-Base64"), Some("true"));
    assert_eq!(reply.header("X-Event-Body"), Some("iVBORw=="));
    assert_eq!(reply.body.as_ref(), &[0x00, 0x01, 0x02, 0xff]);

    let r = with_body(request("POST", "/dev/img"), "text/plain", "hi");
    let reply = send(&gw, r).await;
    assert_eq!(reply.header("X-Event-Base64"), Some("false"));
    assert_eq!(reply.header("X-Event-Body"), Some("hi"));
    // Accept is not binary: the base64 text is returned as is.
    assert_eq!(body(&reply), "AAEC/w==");
}

// Lambda's Invoke API refuses an event that is not JSON
// (InvalidRequestContentException, "Could not parse request body into
// json") before any function runs, and API Gateway answers 400 with
// Lambda's message: recorded answers in serverless/serverless#2270 and
// #2807 ("The method integration is never called") and a December 2016
// `curl -i` (blog post "Configuring API Gateway for GraphQL Lambda
// functions": `HTTP/1.1 400 Bad Request`, `{"message": "Could not parse
// request body into json: Unrecognized token \'eyB…\': …"}`). The same
// holds whether the gateway checks the event (a handler registered with
// `register`) or the handler finds out itself (`register_parsing`, as
// phalanx's typed functions are).
#[tokio::test]
async fn an_event_that_is_not_json_is_refused_as_lambda_refuses_it() {
    let mut functions = functions();
    functions.register_parsing(
        "Typed",
        std::sync::Arc::new(|event: Bytes| {
            Box::pin(async move {
                #[derive(serde::Deserialize)]
                struct Named {
                    name: String,
                }
                match serde_json::from_slice::<Named>(&event) {
                    Ok(n) => Ok(Bytes::from(json!({ "hello": n.name }).to_string())),
                    // (A selection pattern matches the whole message.)
                    Err(_) => Err(Bytes::from(
                        json!({"errorMessage": "Bad", "errorType": "Error"}).to_string(),
                    )),
                }
            })
        }),
    );
    for function in ["Echo", "Typed"] {
        let mut m = lambda_method("/items", function, json!({}));
        let mut gw_with = |template: &str| {
            m["Integration"]["RequestTemplates"] = json!({ "application/json": template });
            let mut api = api(json!([m.clone()]));
            api.functions = serde_json::from_value(json!({
                "Echo": {"FunctionName": "Echo"},
                "Typed": {"FunctionName": "Typed"},
            }))
            .unwrap();
            Gateway::build(&api, "dev", functions.clone()).unwrap_or_else(|e| panic!("{e}"))
        };
        // POST /items {"name":"pen"}
        let pen = || {
            with_body(
                request("POST", "/dev/items"),
                "application/json",
                r#"{"name":"pen"}"#,
            )
        };

        let not_json = gw_with("name=$input.path('$.name')");
        let reply = send(&not_json, pen()).await;
        assert_eq!(reply.status, 400, "{function}: {}", body(&reply));
        assert_eq!(
            body(&reply),
            r#"{"message": "Could not parse request body into json: Could not parse payload into json: Unrecognized token \'name\': was expecting (\'true\', \'false\' or \'null\')\n at [Source: (byte[])\"name=pen\"; line: 1, column: 3]"}"#
        );
        assert_eq!(
            reply.header("x-amzn-ErrorType"),
            Some("BadRequestException")
        );

        let json = gw_with("{\"name\": \"$input.path('$.name')\"}");
        let reply = send(&json, pen()).await;
        assert_eq!(reply.status, 200, "{function}: {}", body(&reply));
        // JSON the typed handler cannot hold is the function's error, not
        // Lambda's refusal: selected by the "Bad" pattern.
        if function == "Typed" {
            let wrong = gw_with("{\"title\": \"$input.path('$.name')\"}");
            let reply = send(&wrong, pen()).await;
            assert_eq!(reply.status, 400, "{}", body(&reply));
        }
    }
}

// The classic: `$util.escapeJavaScript` turns `'` into `\'`, which JSON
// does not have, so the rendered event is not JSON. Recorded in
// serverless/serverless#2807 (a form value "what's up"): `{"message":
// "Could not parse request body into json: Unrecognized character escape
// \'\'\' (code 39)\n at [Source: [B@3eb459f3; line: 6, column: 594]"}`,
// "The method integration is never called" (#2270); 400 as in the 2016
// `curl -i` recording. Jackson's current source format, `(byte[])"…"`,
// and the "Could not parse payload into json: " clause are from an August
// 2024 recording (see `invoke::event_json`).
#[tokio::test]
async fn a_template_that_renders_invalid_json_is_a_400_and_the_function_never_runs() {
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut functions = InProcess::new();
    let counted = calls.clone();
    functions.register("Echo", move |event| {
        counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async move { Ok(event) }
    });
    let mut m = lambda_method("/items", "Echo", json!({}));
    m["Integration"]["RequestTemplates"] = json!({
        "application/json": "{\"name\": \"$util.escapeJavaScript($input.path('$.name'))\"}"
    });
    let mut api = api(json!([m]));
    api.functions = serde_json::from_value(json!({"Echo": {"FunctionName": "Echo"}})).unwrap();
    let gw = Gateway::build(&api, "dev", functions).unwrap_or_else(|e| panic!("{e}"));
    let r = with_body(
        request("POST", "/dev/items"),
        "application/json",
        r#"{"name":"O'Brien"}"#,
    );
    let reply = send(&gw, r).await;
    assert_eq!(reply.status, 400, "{}", body(&reply));
    assert_eq!(
        body(&reply),
        r#"{"message": "Could not parse request body into json: Could not parse payload into json: Unrecognized character escape \'\'\' (code 39)\n at [Source: (byte[])\"{\"name\": \"O\\\'Brien\"}\"; line: 1, column: 14]"}"#
    );
    assert_eq!(reply.header("Content-Type"), Some("application/json"));
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 0);
    // A name without a quote goes through.
    let r = with_body(
        request("POST", "/dev/items"),
        "application/json",
        r#"{"name":"Pat"}"#,
    );
    assert_eq!(send(&gw, r).await.status, 200);
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
}

// Lambda's Invoke API turns an empty payload into `{}` (LocalStack's
// AWS-validated tests/aws/services/lambda_/test_lambda_common.py, "no
// payload at all"), so a request without a body or template reaches a
// non-proxy function as `{}`, whichever invoker runs it.
#[tokio::test]
async fn an_empty_non_proxy_event_is_an_empty_object() {
    let mut api = api(json!([lambda_method("/items", "Echo", json!({}))]));
    api.functions = serde_json::from_value(functions_json()).unwrap();
    let gw = Gateway::build(&api, "dev", functions()).unwrap_or_else(|e| panic!("{e}"));
    let reply = send(&gw, request("POST", "/dev/items")).await;
    assert_eq!(reply.status, 200, "{}", body(&reply));
    assert_eq!(body(&reply), "{}");
}

// LocalStack's AWS-validated test_integration_mock_with_response_override_in_request_template
// (tests/aws/services/apigateway/test_apigateway_integrations.snapshot.json,
// recorded on AWS 2025-05-16): what a request template sets in
// `$context.responseOverride` — the status, a header, and a property of its
// own (`custom`) — reads back in the response template (`"444"`, `"bar"`,
// `"is also passed around"`) and is in force on the answer (444, `foo:
// bar`), with a response template or without one (then the body is empty).
#[tokio::test]
async fn response_overrides_set_in_the_request_template_read_back_in_the_response_template() {
    let request_template = "#set($context.responseOverride.status = 444)\n#set($context.responseOverride.header.foo = \"bar\")\n#set($context.responseOverride.custom = \"is also passed around\")\n{\n  \"statusCode\": 200\n}\n";
    let response_template = "#set($statusOverride = $context.responseOverride.status)\n#set($fooHeader = $context.responseOverride.header.foo)\n#set($custom = $context.responseOverride.custom)\n{\n    \"statusOverride\": \"$statusOverride\",\n    \"fooHeader\": \"$fooHeader\",\n    \"custom\": \"$custom\"\n}\n";
    for with_response_template in [true, false] {
        let templates = if with_response_template {
            json!({"application/json": response_template})
        } else {
            json!({})
        };
        let gw = gateway(&api(json!([{
            "ResourcePath": "/",
            "HttpMethod": "GET",
            "MethodResponses": [{"StatusCode": "200"}],
            "Integration": {
                "Type": "MOCK",
                "RequestTemplates": {"application/json": request_template},
                "IntegrationResponses": [{
                    "StatusCode": "200",
                    "SelectionPattern": "2\\d{2}",
                    "ResponseTemplates": templates
                }]
            }
        }])));
        let reply = send(&gw, request("GET", "/dev")).await;
        assert_eq!(reply.status, 444, "{}", body(&reply));
        assert_eq!(reply.header("foo"), Some("bar"));
        if with_response_template {
            let got: Value = serde_json::from_str(&body(&reply)).unwrap();
            assert_eq!(
                got,
                json!({"statusOverride": "444", "fooHeader": "bar", "custom": "is also passed around"})
            );
        } else {
            assert_eq!(body(&reply), "");
        }
    }
}
