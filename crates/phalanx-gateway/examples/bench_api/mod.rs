//! The API both benchmark examples serve: one POST method with a Lambda
//! (non-proxy) integration, a request template and a response template.

use phalanx_gateway::model::RestApi;

const REQUEST_TEMPLATE: &str = r#"{
  "name": $input.json('$.name'),
  "agent": "$util.escapeJavaScript($input.params('User-Agent'))",
  "requestId": "$context.requestId",
  "stage": "$context.stage"
}"#;

const RESPONSE_TEMPLATE: &str = r#"#set($body = $input.path('$'))
{"hello": "$body.name", "request": "$body.requestId"}"#;

pub fn api() -> RestApi {
    serde_json::from_value(serde_json::json!({
        "Name": "bench",
        "Functions": {"Echo": {"FunctionName": "Echo", "Timeout": 10}},
        "Methods": [{
            "ResourcePath": "/hello",
            "HttpMethod": "POST",
            "MethodResponses": [{"StatusCode": "200"}],
            "Integration": {
                "Type": "AWS",
                "IntegrationHttpMethod": "POST",
                "Function": "Echo",
                "RequestTemplates": {"application/json": REQUEST_TEMPLATE},
                "IntegrationResponses": [{
                    "StatusCode": "200",
                    "ResponseTemplates": {"application/json": RESPONSE_TEMPLATE}
                }]
            }
        }]
    }))
    .expect("the bench API is valid")
}
