//! The OpenAPI 3.0 document: paths and operations with their parameters and
//! declared responses, and API Gateway's extensions — the integration
//! (`x-amazon-apigateway-integration`, with request templates, responses by
//! selection pattern, response parameters), request validators, binary
//! media types — so `aws apigateway import-rest-api` rebuilds the API.

use crate::api::lambda_invocation_uri;
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
    if !m.request_models.is_empty() {
        let mut content = Map::new();
        for (content_type, name) in &m.request_models {
            content.insert(
                content_type.clone(),
                json!({"schema": {"$ref": format!("#/components/schemas/{name}")}}),
            );
        }
        op.insert(
            "requestBody".into(),
            json!({"content": content, "required": true}),
        );
    }
    if let Some(v) = &m.request_validator {
        op.insert("x-amazon-apigateway-request-validator".into(), json!(v));
    }
    // One security requirement naming every scheme the method needs (all
    // must pass: an API key and an authorizer together are one object).
    let mut requirement = Map::new();
    if m.api_key_required {
        requirement.insert("api_key".into(), json!([]));
    }
    match m.authorization_type.as_deref() {
        Some("AWS_IAM") => {
            requirement.insert(SIGV4.into(), json!([]));
        }
        Some("CUSTOM" | "COGNITO_USER_POOLS") => {
            if let Some(a) = &m.authorizer {
                // Scopes go in the requirement's list, as AWS documents
                // for Cognito authorizers ("Set up method-level
                // authorization scopes").
                requirement.insert(a.clone(), json!(m.authorization_scopes));
            }
        }
        _ => {}
    }
    if !requirement.is_empty() {
        op.insert("security".into(), json!([requirement]));
    }
    if let Some(i) = &m.integration {
        let mut integration = Map::new();
        integration.insert("type".into(), json!(i.kind.as_str().to_ascii_lowercase()));
        if let Some(h) = &i.integration_http_method {
            integration.insert("httpMethod".into(), json!(h));
        }
        let uri = match (&i.function, i.kind) {
            (Some(f), model::IntegrationType::Aws | model::IntegrationType::AwsProxy) => {
                Some(lambda_invocation_uri(function_name(service, f)))
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

/// The security scheme of IAM authorization (`AWS_IAM`).
const SIGV4: &str = "sigv4";

/// The security schemes the methods use, in the shapes of the AWS
/// developer guide ("x-amazon-apigateway-authtype property",
/// "x-amazon-apigateway-authorizer object"): `api_key` (the `x-api-key`
/// header), `sigv4` (`awsSigv4`), and one `apiKey`-typed scheme per
/// authorizer carrying its `x-amazon-apigateway-authorizer` (Lambda:
/// `token`/`request` with the function's invocation URI, identity source,
/// validation expression and TTL; Cognito: `cognito_user_pools` with the
/// pools' ARNs).
fn security_schemes(service: &Service, api: &model::RestApi) -> Map<String, Value> {
    let mut schemes = Map::new();
    if api.methods.iter().any(|m| m.api_key_required) {
        schemes.insert(
            "api_key".into(),
            json!({"type": "apiKey", "name": "x-api-key", "in": "header"}),
        );
    }
    if api
        .methods
        .iter()
        .any(|m| m.authorization_type.as_deref() == Some("AWS_IAM"))
    {
        schemes.insert(
            SIGV4.into(),
            json!({"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authtype": "awsSigv4"}),
        );
    }
    for a in &api.authorizers {
        let mut authorizer = Map::new();
        let (kind, authtype) = match a.kind {
            model::AuthorizerType::Token => ("token", "custom"),
            model::AuthorizerType::Request => ("request", "custom"),
            model::AuthorizerType::CognitoUserPools => ("cognito_user_pools", "cognito_user_pools"),
        };
        authorizer.insert("type".into(), json!(kind));
        let uri = match &a.function {
            Some(f) => Some(lambda_invocation_uri(function_name(service, f))),
            None => a.authorizer_uri.clone(),
        };
        if let Some(uri) = uri {
            authorizer.insert("authorizerUri".into(), json!(uri));
        }
        if !a.provider_arns.is_empty() {
            authorizer.insert("providerARNs".into(), json!(a.provider_arns));
        }
        // A TOKEN authorizer's source is the scheme's header; AWS's
        // examples give REQUEST ones (and Cognito ones with another
        // header) an `identitySource` too.
        if let Some(source) = &a.identity_source
            && (a.kind == model::AuthorizerType::Request
                || source != "method.request.header.Authorization")
        {
            authorizer.insert("identitySource".into(), json!(source));
        }
        if let Some(regex) = &a.identity_validation_expression {
            authorizer.insert("identityValidationExpression".into(), json!(regex));
        }
        if let Some(ttl) = a.authorizer_result_ttl_in_seconds {
            authorizer.insert("authorizerResultTtlInSeconds".into(), json!(ttl));
        }
        // The scheme's header: the token's for TOKEN and Cognito, the
        // first header source of a REQUEST authorizer, else AWS's
        // "Unused".
        let header = a
            .identity_source
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .find_map(|s| s.trim().strip_prefix("method.request.header."))
            .unwrap_or(match a.kind {
                model::AuthorizerType::Request => "Unused",
                _ => "Authorization",
            });
        schemes.insert(
            a.name.clone(),
            json!({
                "type": "apiKey",
                "name": header,
                "in": "header",
                "x-amazon-apigateway-authtype": authtype,
                "x-amazon-apigateway-authorizer": authorizer
            }),
        );
    }
    schemes
}

/// The function name of a function's logical id (what a Lambda URI names).
fn function_name<'a>(service: &'a Service, logical: &'a str) -> &'a str {
    service
        .functions
        .iter()
        .find(|x| x.logical_id() == logical)
        .map_or(logical, |x| x.name.as_str())
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
    let mut components = Map::new();
    let schemes = security_schemes(service, &api);
    if !schemes.is_empty() {
        components.insert("securitySchemes".into(), Value::Object(schemes));
    }
    if !api.models.is_empty() {
        let mut schemas = Map::new();
        for m in &api.models {
            let (schema, definitions) = crate::schema::openapi_schemas(&m.schema);
            schemas.insert(m.name.clone(), schema);
            for (name, definition) in definitions {
                schemas.entry(name).or_insert(definition);
            }
        }
        components.insert("schemas".into(), Value::Object(schemas));
    }
    if !components.is_empty() {
        doc.insert("components".into(), Value::Object(components));
    }
    if let Some(source) = &api.api_key_source_type {
        doc.insert("x-amazon-apigateway-api-key-source".into(), json!(source));
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
