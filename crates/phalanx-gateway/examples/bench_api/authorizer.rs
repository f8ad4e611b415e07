//! The API the warm-authorizer benchmarks serve (`benches/authorizer.rs`
//! in process, `bench_server authorizer` under load): the same Lambda
//! proxy method twice, at `/open/{id}` without authorization and at
//! `/guarded/{id}` behind a TOKEN authorizer (TTL 300 s); both functions
//! are in process and answer fixed bodies.

use bytes::Bytes;
use phalanx_gateway::invoke::InProcess;
use phalanx_gateway::model::RestApi;
use serde_json::json;

/// The token every benchmark request carries (to both paths, so that
/// they differ only in being authorized).
pub const TOKEN: &str = "Bearer token-123";

fn method(path: &str, authorized: bool) -> serde_json::Value {
    let mut m = json!({
        "ResourcePath": path,
        "HttpMethod": "GET",
        "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Function": "Echo"}
    });
    if authorized {
        m["AuthorizationType"] = json!("CUSTOM");
        m["Authorizer"] = json!("token");
    }
    m
}

/// The API: `/open/{id}` and `/guarded/{id}`.
pub fn api() -> RestApi {
    serde_json::from_value(json!({
        "Name": "bench",
        "Methods": [method("/open/{id}", false), method("/guarded/{id}", true)],
        "Authorizers": [{
            "Name": "token",
            "Type": "TOKEN",
            "Function": "Auth",
            "IdentitySource": "method.request.header.Authorization",
            "AuthorizerResultTtlInSeconds": 300
        }],
        "Functions": {"Echo": {"FunctionName": "Echo"}, "Auth": {"FunctionName": "Auth"}}
    }))
    .expect("the bench API")
}

/// `Echo` answers a fixed proxy response; `Auth` allows `GET /guarded/*`
/// for principal `user-7` with two context values.
pub fn functions() -> InProcess {
    let mut functions = InProcess::new();
    functions.register("Echo", |_event| async {
        Ok(Bytes::from_static(br#"{"statusCode": 200, "body": "ok"}"#))
    });
    functions.register("Auth", |_event| async {
        Ok(Bytes::from(
            json!({
                "principalId": "user-7",
                "policyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "execute-api:Invoke",
                     "Resource": "arn:aws:execute-api:*:*:*/dev/GET/guarded/*"}
                ]},
                "context": {"role": "admin", "tenant": "acme"}
            })
            .to_string(),
        ))
    });
    functions
}
