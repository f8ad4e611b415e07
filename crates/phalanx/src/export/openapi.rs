//! The OpenAPI 3.0 document: paths and operations with their parameters and
//! declared responses, and API Gateway's extensions — the integration
//! (`x-amazon-apigateway-integration`, with request templates, responses by
//! selection pattern, response parameters), request validators, binary
//! media types — so `aws apigateway import-rest-api` rebuilds the API.

use crate::service::Service;
use phalanx_gateway::model;
use serde_json::{Map, Value, json};

fn string_map<V: serde::Serialize>(map: &indexmap::IndexMap<String, V>) -> Value {
    let mut out = Map::new();
    for (k, v) in map {
        out.insert(k.clone(), json!(v));
    }
    Value::Object(out)
}

/// The Lambda invocation URI of a function (the account and region are
/// placeholders AWS's import replaces with a `Fn::Sub` when deployed
/// through CloudFormation).
fn lambda_uri(function: &str) -> String {
    format!(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{function}/invocations"
    )
}

fn operation(service: &Service, m: &model::Method) -> Value {
    let mut op = Map::new();
    let mut parameters = Vec::new();
    // Path variables are always required path parameters.
    for part in m.resource_path.split('/') {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            parameters.push(json!({
                "name": name.trim_end_matches('+'), "in": "path", "required": true,
                "schema": {"type": "string"}
            }));
        }
    }
    for (name, required) in &m.request_parameters {
        let Some(rest) = name.strip_prefix("method.request.") else {
            continue;
        };
        let Some((location, param)) = rest.split_once('.') else {
            continue;
        };
        let location = match location {
            "querystring" | "multivaluequerystring" => "query",
            "header" | "multivalueheader" => "header",
            _ => continue,
        };
        parameters.push(json!({
            "name": param, "in": location, "required": required, "schema": {"type": "string"}
        }));
    }
    if !parameters.is_empty() {
        op.insert("parameters".into(), json!(parameters));
    }
    let mut responses = Map::new();
    for r in &m.method_responses {
        let mut response = Map::new();
        response.insert(
            "description".into(),
            json!(format!("{} response", r.status_code)),
        );
        if !r.response_parameters.is_empty() {
            let mut headers = Map::new();
            for name in r.response_parameters.keys() {
                let header = name.trim_start_matches("method.response.header.");
                headers.insert(header.to_string(), json!({"schema": {"type": "string"}}));
            }
            response.insert("headers".into(), Value::Object(headers));
        }
        responses.insert(r.status_code.clone(), Value::Object(response));
    }
    op.insert("responses".into(), Value::Object(responses));
    if let Some(v) = &m.request_validator {
        op.insert("x-amazon-apigateway-request-validator".into(), json!(v));
    }
    if m.api_key_required {
        op.insert("security".into(), json!([{"api_key": []}]));
    }
    if let Some(i) = &m.integration {
        let mut integration = Map::new();
        integration.insert("type".into(), json!(i.kind.as_str().to_ascii_lowercase()));
        if let Some(h) = &i.integration_http_method {
            integration.insert("httpMethod".into(), json!(h));
        }
        let uri = match (&i.function, i.kind) {
            (Some(f), model::IntegrationType::Aws | model::IntegrationType::AwsProxy) => {
                let name = service
                    .functions
                    .iter()
                    .find(|x| &x.logical_id() == f)
                    .map_or(f.as_str(), |x| x.name.as_str());
                Some(lambda_uri(name))
            }
            _ => i.uri.clone(),
        };
        if let Some(uri) = uri {
            integration.insert("uri".into(), json!(uri));
        }
        if !i.request_templates.is_empty() {
            integration.insert("requestTemplates".into(), string_map(&i.request_templates));
        }
        if !i.request_parameters.is_empty() {
            integration.insert(
                "requestParameters".into(),
                string_map(&i.request_parameters),
            );
        }
        if let Some(p) = i.passthrough_behavior {
            let p = serde_json::to_value(p).unwrap_or(Value::Null);
            integration.insert(
                "passthroughBehavior".into(),
                json!(p.as_str().unwrap_or("WHEN_NO_MATCH").to_ascii_lowercase()),
            );
        }
        if let Some(t) = i.timeout_in_millis {
            integration.insert("timeoutInMillis".into(), json!(t));
        }
        let mut by_pattern = Map::new();
        for r in &i.integration_responses {
            let mut o = Map::new();
            o.insert("statusCode".into(), json!(r.status_code));
            if !r.response_parameters.is_empty() {
                o.insert(
                    "responseParameters".into(),
                    string_map(&r.response_parameters),
                );
            }
            if !r.response_templates.is_empty() {
                o.insert(
                    "responseTemplates".into(),
                    string_map(&r.response_templates),
                );
            }
            let key = r
                .selection_pattern
                .clone()
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "default".to_string());
            by_pattern.insert(key, Value::Object(o));
        }
        integration.insert("responses".into(), Value::Object(by_pattern));
        op.insert(
            "x-amazon-apigateway-integration".into(),
            Value::Object(integration),
        );
    }
    Value::Object(op)
}

/// The OpenAPI 3.0 document of `service`.
pub fn openapi(service: &Service) -> Value {
    let api = service.model();
    let mut paths = Map::new();
    for m in &api.methods {
        let verb = if m.http_method == "ANY" {
            "x-amazon-apigateway-any-method".to_string()
        } else {
            m.http_method.to_ascii_lowercase()
        };
        let entry = paths
            .entry(m.resource_path.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(o) = entry.as_object_mut() {
            o.insert(verb, operation(service, m));
        }
    }
    let mut doc = Map::new();
    doc.insert("openapi".into(), json!("3.0.1"));
    let mut info = Map::new();
    info.insert("title".into(), json!(api.name));
    if let Some(d) = &api.description {
        info.insert("description".into(), json!(d));
    }
    info.insert("version".into(), json!("1.0"));
    doc.insert("info".into(), Value::Object(info));
    doc.insert("paths".into(), Value::Object(paths));
    if api.methods.iter().any(|m| m.api_key_required) {
        doc.insert(
            "components".into(),
            json!({"securitySchemes": {"api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}}}),
        );
    }
    if !api.request_validators.is_empty() {
        let mut validators = Map::new();
        for v in &api.request_validators {
            validators.insert(
                v.name.clone(),
                json!({"validateRequestBody": v.validate_request_body, "validateRequestParameters": v.validate_request_parameters}),
            );
        }
        doc.insert(
            "x-amazon-apigateway-request-validators".into(),
            Value::Object(validators),
        );
    }
    if !api.binary_media_types.is_empty() {
        doc.insert(
            "x-amazon-apigateway-binary-media-types".into(),
            json!(api.binary_media_types),
        );
    }
    Value::Object(doc)
}
