//! Lambda authorizers (TOKEN and REQUEST) through the pipeline, with an
//! in-process authorizer function: each test pins one AWS behaviour, with
//! its source in a comment. "DG" is the API Gateway developer guide;
//! "failure modes" is Marco Gonzalez's table of answers recorded on AWS
//! ("API Gateway + Lambda authorizer + Lambda proxy integration failure
//! modes", dev.to).

use bytes::Bytes;
use phalanx_gateway::clock::Clock;
use phalanx_gateway::invoke::InProcess;
use phalanx_gateway::model::RestApi;
use phalanx_gateway::{Gateway, GatewayReply, GatewayRequest};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// The events the authorizer received.
type Seen = Arc<Mutex<Vec<Value>>>;

fn allow(resource: &str) -> Value {
    json!({"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": resource})
}

/// The authorizer's answer, chosen by the token (TOKEN) or the `X-Token`
/// header (REQUEST).
fn answer(token: &str, event: &Value) -> Result<Bytes, Bytes> {
    let arn = event["methodArn"].as_str().unwrap_or_default();
    let policy = |statements: Value| {
        json!({
            "principalId": "user-7",
            "policyDocument": {"Version": "2012-10-17", "Statement": statements},
            "context": {"role": "admin", "level": 3, "beta": true},
            "usageIdentifierKey": "authorizer-key-1234567890",
        })
    };
    let output = match token {
        "allow" => policy(json!([allow("*")])),
        // Allows exactly the method ARN of the first request.
        "exact" => policy(json!([allow(arn)])),
        // Every GET under /pets, with `?` for one character.
        "wild" => policy(json!([allow(
            "arn:aws:execute-api:us-east-1:123456789012:*/dev/GET/pets/?"
        )])),
        "deny" => policy(json!([
            allow("*"),
            {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": "*/dev/GET/pets/*"}
        ])),
        "nothing" => policy(json!([allow("arn:aws:execute-api:*:*:*/prod/*")])),
        "unauthorized" => {
            return Err(Bytes::from(
                json!({"errorMessage": "Unauthorized", "errorType": "Error"}).to_string(),
            ));
        }
        "boom" => {
            return Err(Bytes::from(
                json!({"errorMessage": "database down", "errorType": "Error"}).to_string(),
            ));
        }
        "garbage" => return Ok(Bytes::from_static(b"not json at all")),
        "no-policy" => json!({"principalId": "x"}),
        "object-context" => {
            let mut p = policy(json!([allow("*")]));
            p["context"]["nested"] = json!({"a": 1});
            p
        }
        _ => policy(json!([])),
    };
    Ok(Bytes::from(output.to_string()))
}

fn functions(seen: &Seen) -> InProcess {
    let mut f = InProcess::new();
    let s = seen.clone();
    f.register("Auth", move |event: Bytes| {
        let s = s.clone();
        async move {
            let event: Value = serde_json::from_slice(&event).unwrap_or_default();
            s.lock().unwrap().push(event.clone());
            let token = match event["type"].as_str() {
                Some("TOKEN") => event["authorizationToken"].as_str().unwrap_or(""),
                _ => event["headers"]["X-Token"].as_str().unwrap_or(""),
            }
            .to_string();
            answer(&token, &event)
        }
    });
    f.register("Proxy", |event: Bytes| async move {
        let v: Value = serde_json::from_slice(&event).unwrap_or_default();
        Ok(Bytes::from(
            json!({"statusCode": 200, "body": v["requestContext"]["authorizer"].to_string()})
                .to_string(),
        ))
    });
    f
}

fn method(path: &str, verb: &str, authorizer: &str, template: &str) -> Value {
    json!({
        "ResourcePath": path,
        "HttpMethod": verb,
        "AuthorizationType": "CUSTOM",
        "Authorizer": authorizer,
        "MethodResponses": [{"StatusCode": "200"}],
        "Integration": {
            "Type": "MOCK",
            "RequestTemplates": {"application/json": "{\"statusCode\": 200}"},
            "IntegrationResponses": [{
                "StatusCode": "200",
                "ResponseTemplates": {"application/json": template}
            }]
        }
    })
}

fn proxy_method(path: &str, authorizer: &str) -> Value {
    json!({
        "ResourcePath": path,
        "HttpMethod": "GET",
        "AuthorizationType": "CUSTOM",
        "Authorizer": authorizer,
        "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Function": "Proxy"}
    })
}

fn token_authorizer(ttl: u64) -> Value {
    json!({
        "Name": "tok",
        "Type": "TOKEN",
        "Function": "Auth",
        "IdentitySource": "method.request.header.Authorization",
        "IdentityValidationExpression": "[a-z-]+",
        "AuthorizerResultTtlInSeconds": ttl,
    })
}

fn request_authorizer(identity: &str, ttl: u64) -> Value {
    json!({
        "Name": "req",
        "Type": "REQUEST",
        "Function": "Auth",
        "IdentitySource": identity,
        "AuthorizerResultTtlInSeconds": ttl,
    })
}

fn api(methods: Value, authorizers: Value, extra: Value) -> RestApi {
    let mut doc = json!({
        "Name": "auth",
        "Id": "abc123",
        "Methods": methods,
        "Authorizers": authorizers,
        "Functions": {"Auth": {"FunctionName": "Auth"}, "Proxy": {"FunctionName": "Proxy"}},
    });
    if let (Some(d), Some(e)) = (doc.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    serde_json::from_value(doc).expect("test API must deserialize")
}

fn gateway(api: &RestApi, seen: &Seen) -> Gateway {
    Gateway::build(api, "dev", functions(seen)).unwrap_or_else(|e| panic!("{e}"))
}

fn request(target: &str, headers: &[(&str, &str)]) -> GatewayRequest {
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (target.to_string(), None),
    };
    let mut all = vec![("host".to_string(), "localhost".to_string())];
    all.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    GatewayRequest {
        method: "GET".into(),
        path,
        query,
        headers: all,
        source_ip: "127.0.0.1".into(),
        ..GatewayRequest::default()
    }
}

async fn get(gw: &Gateway, target: &str, token: &str) -> GatewayReply {
    gw.handle(request(target, &[("Authorization", token)]))
        .await
}

fn body(reply: &GatewayReply) -> String {
    String::from_utf8_lossy(&reply.body).into_owned()
}

fn calls(seen: &Seen) -> usize {
    seen.lock().unwrap().len()
}

fn pets_api(ttl: u64) -> RestApi {
    api(
        json!([
            method("/pets/{id}", "GET", "tok", "ok"),
            method("/owners", "GET", "tok", "ok")
        ]),
        json!([token_authorizer(ttl)]),
        json!({}),
    )
}

// DG "Input to an API Gateway Lambda authorizer": the TOKEN event is
// `type`, `authorizationToken` and `methodArn`
// (arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/VERB/PATH, the request's
// path).
#[tokio::test]
async fn a_token_authorizer_gets_the_token_and_the_method_arn() {
    let seen = Seen::default();
    let gw = gateway(&pets_api(0), &seen);
    let reply = get(&gw, "/dev/pets/7", "allow").await;
    assert_eq!((reply.status, body(&reply)), (200, "ok".to_string()));
    assert_eq!(
        seen.lock().unwrap()[0],
        json!({
            "type": "TOKEN",
            "authorizationToken": "allow",
            "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/GET/pets/7"
        })
    );
}

// API reference, Authorizer.identitySource, and AWS knowledge center "Why
// do I get API Gateway 401 Unauthorized errors after I create a Lambda
// authorizer?": a missing or empty token, or one the
// IdentityValidationExpression rejects, is 401 {"message":"Unauthorized"}
// and the function is not called.
#[tokio::test]
async fn a_missing_empty_or_invalid_token_is_401_without_a_call() {
    let seen = Seen::default();
    let gw = gateway(&pets_api(300), &seen);
    let reply = gw.handle(request("/dev/pets/7", &[])).await;
    assert_eq!(reply.status, 401);
    assert_eq!(body(&reply), r#"{"message":"Unauthorized"}"#);
    assert_eq!(
        reply.header("x-amzn-ErrorType"),
        Some("UnauthorizedException")
    );
    for token in ["", "UPPER", "allow!"] {
        let reply = get(&gw, "/dev/pets/7", token).await;
        assert_eq!(reply.status, 401, "{token:?}");
    }
    assert_eq!(calls(&seen), 0);
}

// DG "Output from an API Gateway Lambda authorizer" (the policy's
// Resource with wildcards) and failure modes: an explicit Deny is 403
// {"Message":"User is not authorized to access this resource with an
// explicit deny"}; a policy allowing nothing that matches is 403
// {"Message":"User is not authorized to access this resource"} (both
// also in AWS knowledge center "How do I troubleshoot HTTP 403 Forbidden
// errors when using a Lambda authorizer"); `?` matches one character.
#[tokio::test]
async fn the_policy_decides_deny_beats_allow_and_no_match_denies() {
    let seen = Seen::default();
    let gw = gateway(&pets_api(0), &seen);
    let reply = get(&gw, "/dev/pets/7", "deny").await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        body(&reply),
        r#"{"Message":"User is not authorized to access this resource with an explicit deny"}"#
    );
    assert_eq!(
        reply.header("x-amzn-ErrorType"),
        Some("AccessDeniedException")
    );
    // The Deny covers /pets/* only; the Allow covers the rest.
    assert_eq!(get(&gw, "/dev/owners", "deny").await.status, 200);
    let reply = get(&gw, "/dev/pets/7", "nothing").await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        body(&reply),
        r#"{"Message":"User is not authorized to access this resource"}"#
    );
    assert_eq!(get(&gw, "/dev/pets/7", "wild").await.status, 200);
    assert_eq!(get(&gw, "/dev/pets/77", "wild").await.status, 403);
    assert_eq!(get(&gw, "/dev/owners", "wild").await.status, 403);
}

// Failure modes and Stack Overflow's summary of AWS's answers ("API
// Gateway Custom Authorizer: Control error message and code"): the
// function failing with the message `Unauthorized` is 401; any other
// failure, or output that is not a valid policy (also DG: context values
// may not be objects or arrays), is 500 {"message":null} with
// AuthorizerConfigurationException (Luciano Mammino, "Debugging custom
// ApiGateway authorizers", recorded the body).
#[tokio::test]
async fn authorizer_failures_are_401_for_unauthorized_and_500_otherwise() {
    let seen = Seen::default();
    let gw = gateway(&pets_api(0), &seen);
    let reply = get(&gw, "/dev/pets/7", "unauthorized").await;
    assert_eq!(
        (reply.status, body(&reply)),
        (401, r#"{"message":"Unauthorized"}"#.to_string())
    );
    for token in ["boom", "garbage", "no-policy", "object-context"] {
        let reply = get(&gw, "/dev/pets/7", token).await;
        assert_eq!(reply.status, 500, "{token}");
        assert_eq!(body(&reply), r#"{"message":null}"#, "{token}");
        assert_eq!(
            reply.header("x-amzn-ErrorType"),
            Some("AuthorizerConfigurationException"),
            "{token}"
        );
    }
}

// DG "Output from an API Gateway Lambda authorizer": `principalId` and
// the `context` values, stringified, are `$context.authorizer.*` in
// mapping templates and `requestContext.authorizer` in a proxy event.
#[tokio::test]
async fn the_context_reaches_templates_and_proxy_events() {
    let seen = Seen::default();
    let api = api(
        json!([
            method(
                "/pets/{id}",
                "GET",
                "tok",
                "$context.authorizer.principalId $context.authorizer.role $context.authorizer.level $context.authorizer.beta"
            ),
            proxy_method("/proxy", "tok")
        ]),
        json!([token_authorizer(0)]),
        json!({}),
    );
    let gw = gateway(&api, &seen);
    let reply = get(&gw, "/dev/pets/7", "allow").await;
    assert_eq!(body(&reply), "user-7 admin 3 true");
    let reply = get(&gw, "/dev/proxy", "allow").await;
    assert_eq!(reply.status, 200, "{}", body(&reply));
    let authorizer: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(
        authorizer,
        json!({"principalId": "user-7", "role": "admin", "level": "3", "beta": "true"})
    );
}

// DG "Configure a Lambda authorizer" (authorization caching) and AWS
// knowledge center "Why is my API Gateway proxy resource with a Lambda
// authorizer that has caching activated returning HTTP 403": the result
// is cached per token for the TTL and the cached policy is evaluated for
// each method, so one scoped to the first path denies another.
#[tokio::test]
async fn results_are_cached_per_token_for_the_ttl_and_evaluated_per_method() {
    let seen = Seen::default();
    let clock = Clock::manual(SystemTime::now());
    let gw = gateway(&pets_api(60), &seen).with_clock(clock.clone());
    assert_eq!(get(&gw, "/dev/pets/7", "exact").await.status, 200);
    assert_eq!(get(&gw, "/dev/pets/7", "exact").await.status, 200);
    assert_eq!(calls(&seen), 1);
    // The same cached policy, another path: implicit deny, no new call.
    let reply = get(&gw, "/dev/owners", "exact").await;
    assert_eq!(reply.status, 403);
    assert_eq!(calls(&seen), 1);
    // Another token is another entry.
    assert_eq!(get(&gw, "/dev/pets/7", "allow").await.status, 200);
    assert_eq!(calls(&seen), 2);
    // Past the TTL the function runs again.
    clock.advance(Duration::from_secs(59));
    get(&gw, "/dev/pets/7", "exact").await;
    assert_eq!(calls(&seen), 2);
    clock.advance(Duration::from_secs(1));
    get(&gw, "/dev/pets/7", "exact").await;
    assert_eq!(calls(&seen), 3);
}

// API reference, Authorizer.authorizerResultTtlInSeconds: 0 turns caching
// off; every request calls the function.
#[tokio::test]
async fn a_ttl_of_zero_calls_the_function_every_time() {
    let seen = Seen::default();
    let gw = gateway(&pets_api(0), &seen);
    for _ in 0..3 {
        assert_eq!(get(&gw, "/dev/pets/7", "allow").await.status, 200);
    }
    assert_eq!(calls(&seen), 3);
}

// DG "Input to an API Gateway Lambda authorizer", REQUEST input format:
// `type`, `methodArn`, `resource`, `path`, `httpMethod`, headers, query
// strings, `pathParameters`, `stageVariables`, `requestContext`.
#[tokio::test]
async fn a_request_authorizer_gets_the_request() {
    let seen = Seen::default();
    let api = api(
        json!([method("/pets/{id}", "GET", "req", "ok")]),
        json!([request_authorizer("method.request.header.X-Token", 0)]),
        json!({"Stages": [{"StageName": "dev", "Variables": {"env": "test"}}]}),
    );
    let gw = gateway(&api, &seen);
    let reply = gw
        .handle(request("/dev/pets/7?q=1", &[("X-Token", "allow")]))
        .await;
    assert_eq!(reply.status, 200, "{}", body(&reply));
    let event = seen.lock().unwrap()[0].clone();
    assert_eq!(event["type"], "REQUEST");
    assert_eq!(
        event["methodArn"],
        "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/GET/pets/7"
    );
    assert_eq!(event["resource"], "/pets/{id}");
    assert_eq!(event["path"], "/pets/7");
    assert_eq!(event["httpMethod"], "GET");
    assert_eq!(event["headers"]["X-Token"], "allow");
    assert_eq!(event["queryStringParameters"], json!({"q": "1"}));
    assert_eq!(
        event["multiValueQueryStringParameters"],
        json!({"q": ["1"]})
    );
    assert_eq!(event["pathParameters"], json!({"id": "7"}));
    assert_eq!(event["stageVariables"], json!({"env": "test"}));
    assert_eq!(event["requestContext"]["stage"], "dev");
    assert!(event.get("body").is_none());
}

// API reference, Authorizer.identitySource: a REQUEST authorizer's
// identity sources are checked (present, not empty) only when caching is
// enabled; then a missing one is 401 without a call, and the values are
// the cache key.
#[tokio::test]
async fn request_identity_sources_are_required_only_when_cached() {
    let seen = Seen::default();
    let uncached = api(
        json!([method("/pets/{id}", "GET", "req", "ok")]),
        json!([request_authorizer("method.request.header.X-Tenant", 0)]),
        json!({}),
    );
    let gw = gateway(&uncached, &seen);
    let reply = gw
        .handle(request("/dev/pets/7", &[("X-Token", "allow")]))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(calls(&seen), 1);

    let seen = Seen::default();
    let cached = api(
        json!([method("/pets/{id}", "GET", "req", "ok")]),
        json!([request_authorizer(
            "method.request.header.X-Tenant, method.request.querystring.v, stageVariables.env, context.httpMethod",
            300
        )]),
        json!({"Stages": [{"StageName": "dev", "Variables": {"env": "test"}}]}),
    );
    let gw = gateway(&cached, &seen);
    let reply = gw
        .handle(request("/dev/pets/7", &[("X-Token", "allow")]))
        .await;
    assert_eq!(
        (reply.status, body(&reply)),
        (401, r#"{"message":"Unauthorized"}"#.to_string())
    );
    let reply = gw
        .handle(request(
            "/dev/pets/7?v=",
            &[("X-Token", "allow"), ("X-Tenant", "a")],
        ))
        .await;
    assert_eq!(reply.status, 401);
    assert_eq!(calls(&seen), 0);
    for _ in 0..2 {
        let reply = gw
            .handle(request(
                "/dev/pets/7?v=1",
                &[("X-Token", "allow"), ("X-Tenant", "a")],
            ))
            .await;
        assert_eq!(reply.status, 200);
    }
    assert_eq!(calls(&seen), 1);
    // Another tenant is another cache entry.
    gw.handle(request(
        "/dev/pets/7?v=1",
        &[("X-Token", "allow"), ("X-Tenant", "b")],
    ))
    .await;
    assert_eq!(calls(&seen), 2);
}

// DG "Gateway response types for API Gateway": UNAUTHORIZED,
// ACCESS_DENIED and AUTHORIZER_CONFIGURATION_ERROR can be customised
// like any other gateway response.
#[tokio::test]
async fn authorizer_gateway_responses_can_be_customised() {
    let seen = Seen::default();
    let mut api = pets_api(0);
    let customised: Vec<phalanx_gateway::model::GatewayResponse> = serde_json::from_value(json!([
        {"ResponseType": "UNAUTHORIZED", "StatusCode": "401",
         "ResponseParameters": {"gatewayresponse.header.WWW-Authenticate": "'Bearer'"},
         "ResponseTemplates": {"application/json": "{\"error\": \"login\", \"type\": \"$context.error.responseType\"}"}},
        {"ResponseType": "ACCESS_DENIED", "StatusCode": "404",
         "ResponseTemplates": {"application/json": "{\"error\": $context.error.messageString}"}},
        {"ResponseType": "AUTHORIZER_CONFIGURATION_ERROR",
         "ResponseTemplates": {"application/json": "{\"error\": \"try later\"}"}}
    ]))
    .unwrap();
    api.gateway_responses = customised;
    let gw = gateway(&api, &seen);
    let reply = gw.handle(request("/dev/pets/7", &[])).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("WWW-Authenticate"), Some("Bearer"));
    assert_eq!(
        body(&reply),
        r#"{"error": "login", "type": "UNAUTHORIZED"}"#
    );
    let reply = get(&gw, "/dev/pets/7", "deny").await;
    assert_eq!(reply.status, 404);
    assert_eq!(
        body(&reply),
        r#"{"error": "User is not authorized to access this resource with an explicit deny"}"#
    );
    let reply = get(&gw, "/dev/pets/7", "boom").await;
    assert_eq!(
        (reply.status, body(&reply)),
        (500, r#"{"error": "try later"}"#.to_string())
    );
}

// DG "Choose an API key source" and "Output from an API Gateway Lambda
// authorizer": with ApiKeySourceType AUTHORIZER the method's API key is
// the authorizer's usageIdentifierKey, not the x-api-key header; the
// authorizer runs first.
#[tokio::test]
async fn the_api_key_can_come_from_the_authorizer() {
    let seen = Seen::default();
    let mut m = method("/pets/{id}", "GET", "tok", "$context.identity.apiKey");
    m["ApiKeyRequired"] = json!(true);
    let keys = json!([
        {"Name": "from-authorizer", "Value": "authorizer-key-1234567890", "Stages": ["dev"]},
        {"Name": "header", "Value": "header-key-1234567890", "Stages": ["dev"]}
    ]);
    let from_authorizer = api(
        json!([m.clone()]),
        json!([token_authorizer(0)]),
        json!({"ApiKeySourceType": "AUTHORIZER", "ApiKeys": keys}),
    );
    let gw = gateway(&from_authorizer, &seen);
    let reply = get(&gw, "/dev/pets/7", "allow").await;
    assert_eq!(
        (reply.status, body(&reply)),
        (200, "authorizer-key-1234567890".to_string())
    );
    // The header's key is ignored.
    let reply = gw
        .handle(request(
            "/dev/pets/7",
            &[
                ("Authorization", "nothing-matches"),
                ("x-api-key", "header-key-1234567890"),
            ],
        ))
        .await;
    assert_eq!(reply.status, 403);

    let from_header = api(
        json!([m]),
        json!([token_authorizer(0)]),
        json!({"ApiKeys": keys}),
    );
    let gw = gateway(&from_header, &seen);
    assert_eq!(get(&gw, "/dev/pets/7", "allow").await.status, 403);
    let reply = gw
        .handle(request(
            "/dev/pets/7",
            &[
                ("Authorization", "allow"),
                ("x-api-key", "header-key-1234567890"),
            ],
        ))
        .await;
    assert_eq!(
        (reply.status, body(&reply)),
        (200, "header-key-1234567890".to_string())
    );
}

// An authorizer answering garbage never panics the gateway (the brief's
// "no panics on any input"): every shape is a 500.
#[tokio::test]
async fn odd_outputs_are_500() {
    let mut f = InProcess::new();
    let outputs = [
        "null",
        "[]",
        "{\"policyDocument\": \"x\"}",
        "{\"policyDocument\": {\"Statement\": [{\"Effect\": \"Allow\"}]}}",
        "{\"policyDocument\": {\"Statement\": [{\"Effect\": \"Allow\", \"Action\": 1, \"Resource\": \"*\"}]}}",
        "{\"policyDocument\": {\"Statement\": []}, \"context\": []}",
        "{\"policyDocument\": {\"Statement\": []}, \"usageIdentifierKey\": 5}",
    ];
    f.register("Auth", move |event: Bytes| async move {
        let v: Value = serde_json::from_slice(&event).unwrap_or_default();
        let i: usize = v["authorizationToken"]
            .as_str()
            .unwrap_or("0")
            .parse()
            .unwrap_or(0);
        Ok(Bytes::from(
            outputs.get(i).copied().unwrap_or("").to_string(),
        ))
    });
    let mut authorizer = token_authorizer(0);
    authorizer["IdentityValidationExpression"] = json!("[0-9]");
    let api = api(
        json!([method("/pets/{id}", "GET", "tok", "ok")]),
        json!([authorizer]),
        json!({}),
    );
    let gw = Gateway::build(&api, "dev", f).unwrap();
    for i in 0..7 {
        let reply = get(&gw, "/dev/pets/1", &i.to_string()).await;
        assert_eq!(reply.status, 500, "output {i}");
    }
}

// Definition errors name the method or authorizer: a method naming an
// authorizer the API lacks (AWS: "Invalid authorizer ID specified"), a
// TOKEN authorizer without a header, a bad validation expression, a
// function the API does not have.
#[test]
fn definition_errors_name_the_place() {
    let mut bad_regex = token_authorizer(0);
    bad_regex["IdentityValidationExpression"] = json!("([a-z");
    let no_header = json!({"Name": "nohdr", "Type": "TOKEN", "Function": "Auth"});
    let no_function = json!({"Name": "nofn", "Type": "REQUEST", "Function": "Missing", "AuthorizerResultTtlInSeconds": 0});
    let api = api(
        json!([method("/a", "GET", "ghost", "ok")]),
        json!([bad_regex, no_header, no_function]),
        json!({}),
    );
    let errors = Gateway::build(&api, "dev", InProcess::new())
        .err()
        .expect("errors")
        .to_string();
    for expected in [
        "GET /a: Invalid authorizer ID specified: `ghost` is not an authorizer of the API",
        "authorizer tok: Invalid IdentityValidationExpression `([a-z`",
        "authorizer nohdr: a TOKEN authorizer's IdentitySource must be one header",
        "authorizer nofn: the authorizer invokes `Missing`, which is not a function of this API",
    ] {
        assert!(errors.contains(expected), "{expected}\n{errors}");
    }
}
