//! Binary responses: which `Accept` asks for binary, and an integration
//! response's `ContentHandling`. Each test names its AWS source.

use bytes::Bytes;
use phalanx_gateway::invoke::InProcess;
use phalanx_gateway::model::RestApi;
use phalanx_gateway::{Gateway, GatewayReply, GatewayRequest};
use serde_json::{Value, json};

/// A function answering base64 text (not JSON: a non-proxy Lambda
/// integration passes the payload on as it is).
fn functions() -> InProcess {
    let mut f = InProcess::new();
    f.register(
        "B64",
        |_| async move { Ok(Bytes::from_static(b"AAEC/w==")) },
    );
    f.register("Proxy", |_| async move {
        Ok(Bytes::from(
            json!({
                "statusCode": 200,
                "headers": {"Content-Type": "image/png"},
                "body": "AAEC/w==",
                "isBase64Encoded": true
            })
            .to_string(),
        ))
    });
    f
}

fn api(binary_media_types: Value, content_handling: Value) -> RestApi {
    let mut response = json!({"StatusCode": "200"});
    if !content_handling.is_null() {
        response["ContentHandling"] = content_handling;
    }
    serde_json::from_value(json!({
        "Name": "bin",
        "BinaryMediaTypes": binary_media_types,
        "Functions": {"B64": {"FunctionName": "B64"}, "Proxy": {"FunctionName": "Proxy"}},
        "Methods": [{
            "ResourcePath": "/b64",
            "HttpMethod": "GET",
            "MethodResponses": [{"StatusCode": "200"}],
            "Integration": {
                "Type": "AWS",
                "IntegrationHttpMethod": "POST",
                "Function": "B64",
                "IntegrationResponses": [response]
            }
        }, {
            "ResourcePath": "/proxy",
            "HttpMethod": "GET",
            "Integration": {"Type": "AWS_PROXY", "IntegrationHttpMethod": "POST", "Function": "Proxy"}
        }]
    }))
    .expect("test API must deserialize")
}

async fn get(gw: &Gateway, path: &str, accept: Option<&str>) -> GatewayReply {
    let mut headers = vec![("host".to_string(), "localhost".to_string())];
    if let Some(a) = accept {
        headers.push(("accept".to_string(), a.to_string()));
    }
    gw.handle(GatewayRequest {
        method: "GET".into(),
        path: format!("/dev{path}"),
        headers,
        ..GatewayRequest::default()
    })
    .await
}

const DECODED: &[u8] = &[0x00, 0x01, 0x02, 0xff];

// Developer guide, "Content type conversions in API Gateway", the response
// table: with CONVERT_TO_BINARY a text payload is "Base64-decoded binary
// blob" whatever the Accept and binaryMediaTypes; with CONVERT_TO_TEXT or
// nothing and a text Accept it stays text. LocalStack's AWS-validated
// `test_apigw_s3_binary_support_response_convert_to_binary` (no
// binaryMediaTypes, CONVERT_TO_BINARY: a base64 object comes back decoded).
#[tokio::test]
async fn convert_to_binary_decodes_the_integration_response_body() {
    let gw = Gateway::build(
        &api(json!([]), json!("CONVERT_TO_BINARY")),
        "dev",
        functions(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for accept in [None, Some("application/json"), Some("image/png")] {
        let reply = get(&gw, "/b64", accept).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body.as_ref(), DECODED, "{accept:?}");
    }
    let gw = Gateway::build(&api(json!([]), Value::Null), "dev", functions())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        get(&gw, "/b64", Some("image/png")).await.body.as_ref(),
        b"AAEC/w=="
    );
    let gw = Gateway::build(
        &api(json!(["image/png"]), json!("CONVERT_TO_TEXT")),
        "dev",
        functions(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        get(&gw, "/b64", Some("image/png")).await.body.as_ref(),
        b"AAEC/w=="
    );
}

// The same table, no ContentHandling: a text payload with a binary Accept
// (its first type) is base64-decoded; with a text first type it stays text
// ("API Gateway honors only the first Accept media type").
#[tokio::test]
async fn without_content_handling_the_first_accept_type_decides() {
    let gw = Gateway::build(&api(json!(["image/png"]), Value::Null), "dev", functions())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        get(&gw, "/b64", Some("image/png")).await.body.as_ref(),
        DECODED
    );
    assert_eq!(
        get(&gw, "/b64", Some("image/png,text/html"))
            .await
            .body
            .as_ref(),
        DECODED
    );
    for text in ["text/html,image/png", "image/*", "*/*"] {
        assert_eq!(
            get(&gw, "/b64", Some(text)).await.body.as_ref(),
            b"AAEC/w==",
            "{text}"
        );
    }
}

// LocalStack's AWS-validated `test_aws_proxy_binary_response`
// (tests/aws/services/apigateway/test_apigateway_lambda.py): a Lambda
// proxy's base64 body is decoded only when the first Accept type is a
// binary media type: `image/webp,image/png,*/*` → text,
// `image/png,image/*,*/*` → binary; `*/*`, `image/*` and a left wildcard
// (`*/test`) configured or accepted never match.
#[tokio::test]
async fn a_proxy_body_is_decoded_by_the_first_accept_type_only() {
    let gw = Gateway::build(
        &api(json!(["image/png", "*/test"]), Value::Null),
        "dev",
        functions(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let cases = [
        ("image/png", true),
        ("image/jpg", false),
        ("image/*", false),
        ("*/test", false),
        ("random/test", false),
        ("*/*", false),
        ("image/webp,image/png,*/*;q=0.8", false),
        ("image/png,image/*,*/*;q=0.8", true),
    ];
    for (accept, binary) in cases {
        let reply = get(&gw, "/proxy", Some(accept)).await;
        assert_eq!(reply.status, 200);
        let expected: &[u8] = if binary { DECODED } else { b"AAEC/w==" };
        assert_eq!(reply.body.as_ref(), expected, "{accept}");
    }
}
