//! The CloudFormation template — RestApi, Resources,
//! Methods, Lambda functions (runtime `provided.al2023`, code from
//! parameters), one least-privilege IAM role per function, Lambda
//! permissions scoped to the API with `SourceArn`, Deployment + Stage and an
//! `ApiGatewayUrl` output. Logical ids are derived from names and paths and
//! everything is emitted in a fixed order, so the same service always
//! exports byte for byte the same template.
//!
//! The Deployment's logical id carries a hash of the API's resources and
//! the code's S3 key (`Deployment3f9a1c2e`): CloudFormation creates a
//! deployment only when the Deployment resource is new, so with a fixed id
//! a changed API would keep being served from the old snapshot (the "stale
//! stage" of SAM issues #479 and #2888). A new id on every change makes a
//! new deployment and moves the stage to it; no change, no new deployment.

use crate::function::logical_id;
use crate::service::Service;
use phalanx_gateway::model;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The API's logical id.
const API: &str = "RestApi";

/// The logical id of the resource at `path` (`/hello/{name}` →
/// `ResourceHelloName`), or `None` for the root.
fn resource_id(path: &str) -> Option<String> {
    if path == "/" || path.is_empty() {
        return None;
    }
    let mut id = String::from("Resource");
    for part in path.trim_start_matches('/').split('/') {
        let part = part.trim_start_matches('{').trim_end_matches('}');
        let greedy = part.ends_with('+');
        id.push_str(&logical_id(part.trim_end_matches('+')));
        if greedy {
            id.push_str("Greedy");
        }
    }
    Some(id)
}

fn method_id(path: &str, verb: &str) -> String {
    let base =
        resource_id(path).map_or_else(|| "Root".to_string(), |r| r["Resource".len()..].to_string());
    format!("Method{base}{}", logical_id(&verb.to_ascii_lowercase()))
}

fn parent_ref(path: &str) -> Value {
    let parent = path
        .rsplit_once('/')
        .map_or("/", |(p, _)| if p.is_empty() { "/" } else { p });
    match resource_id(parent) {
        Some(id) => json!({"Ref": id}),
        None => json!({"Fn::GetAtt": [API, "RootResourceId"]}),
    }
}

fn string_map<V: serde::Serialize>(map: &indexmap::IndexMap<String, V>) -> Value {
    let mut out = Map::new();
    for (k, v) in map {
        out.insert(k.clone(), json!(v));
    }
    Value::Object(out)
}

/// What a template is exported for, beyond the service itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOptions {
    /// The S3 key of the code package when it is known (`provision` knows
    /// it): part of the Deployment's hash, so new code makes a new
    /// deployment. The template's `CodeS3Key` parameter still carries it.
    pub code_key: Option<String>,
    /// The functions' architecture: `x86_64` (the default) or `arm64`.
    pub architecture: String,
}

impl Default for ExportOptions {
    fn default() -> ExportOptions {
        ExportOptions {
            code_key: None,
            architecture: "x86_64".to_string(),
        }
    }
}

/// The CloudFormation template of `service`, as JSON, with the default
/// [`ExportOptions`].
///
/// ```
/// use phalanx::{Api, Context, Function, Service};
/// use http::{Method, StatusCode};
///
/// let echo = Function::new("echo", |e: serde_json::Value, _: Context| async move {
///     Ok::<_, std::convert::Infallible>(e)
/// });
/// let mut api = Api::new("echo");
/// api.resource("/hello", &echo).method(Method::GET, StatusCode::OK);
/// let template = phalanx::export::cloudformation(&Service::new("echo").function(echo).api(api));
/// let resources = template["Resources"].as_object().unwrap();
/// let deployment = resources.keys().find(|id| id.starts_with("Deployment")).unwrap();
/// assert_eq!(deployment.len(), "Deployment".len() + 8);
/// assert_eq!(template["Resources"]["Stage"]["Properties"]["DeploymentId"]["Ref"], deployment.as_str());
/// ```
pub fn cloudformation(service: &Service) -> Value {
    cloudformation_with(service, &ExportOptions::default())
}

/// `Deployment` and the first 8 hex digits of the SHA-256 of the API's
/// resources (as exported) and the code key.
fn deployment_id(api_resources: &Map<String, Value>, code_key: Option<&str>) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    // Serialised straight into the hasher (`Sha256` is an `io::Write`):
    // the same bytes as `to_string`, without the copy of the whole API.
    // Writing to a hasher cannot fail, and a map of JSON values always
    // serialises.
    let _ = serde_json::to_writer(&mut hash, api_resources);
    hash.update([0]);
    hash.update(code_key.unwrap_or_default());
    let digest = hash.finalize();
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("Deployment{hex}")
}

/// The CloudFormation template of `service` for `options`, as JSON.
pub fn cloudformation_with(service: &Service, options: &ExportOptions) -> Value {
    let model = service.model();
    let mut resources = Map::new();

    let mut api = Map::new();
    api.insert("Name".into(), json!(model.name));
    if let Some(d) = &model.description {
        api.insert("Description".into(), json!(d));
    }
    if !model.binary_media_types.is_empty() {
        api.insert("BinaryMediaTypes".into(), json!(model.binary_media_types));
    }
    let endpoint = service
        .api
        .as_ref()
        .map_or("REGIONAL", |a| a.endpoint_type.as_str())
        .to_string();
    api.insert("EndpointConfiguration".into(), json!({"Types": [endpoint]}));
    if let Some(source) = &model.api_key_source_type {
        api.insert("ApiKeySourceType".into(), json!(source));
    }
    resources.insert(
        API.into(),
        json!({"Type": "AWS::ApiGateway::RestApi", "Properties": api}),
    );

    // Resources: every path and every parent of one, parents first.
    let mut paths: BTreeMap<String, ()> = BTreeMap::new();
    for m in &model.methods {
        let mut path = String::new();
        for part in m
            .resource_path
            .trim_start_matches('/')
            .split('/')
            .filter(|p| !p.is_empty())
        {
            path.push('/');
            path.push_str(part);
            paths.insert(path.clone(), ());
        }
    }
    for path in paths.keys() {
        let Some(id) = resource_id(path) else {
            continue;
        };
        let part = path.rsplit('/').next().unwrap_or_default();
        resources.insert(
            id,
            json!({
                "Type": "AWS::ApiGateway::Resource",
                "Properties": {"RestApiId": {"Ref": API}, "ParentId": parent_ref(path), "PathPart": part}
            }),
        );
    }

    // Request validators.
    for v in &model.request_validators {
        resources.insert(
            format!("Validator{}", logical_id(&v.name)),
            json!({
                "Type": "AWS::ApiGateway::RequestValidator",
                "Properties": {
                    "RestApiId": {"Ref": API},
                    "Name": v.name,
                    "ValidateRequestBody": v.validate_request_body,
                    "ValidateRequestParameters": v.validate_request_parameters
                }
            }),
        );
    }

    // Models (JSON Schema draft 4), which methods' RequestModels name.
    for m in &model.models {
        let mut props = Map::new();
        props.insert("RestApiId".into(), json!({"Ref": API}));
        props.insert("Name".into(), json!(m.name));
        props.insert(
            "ContentType".into(),
            json!(m.content_type.as_deref().unwrap_or("application/json")),
        );
        props.insert("Schema".into(), m.schema.clone());
        resources.insert(
            model_id(&m.name),
            json!({"Type": "AWS::ApiGateway::Model", "Properties": props}),
        );
    }

    // Authorizers (CloudFormation reference, AWS::ApiGateway::Authorizer).
    for a in &model.authorizers {
        resources.insert(authorizer_id(&a.name), authorizer_json(a));
    }

    // Methods.
    let mut method_ids = Vec::new();
    for m in &model.methods {
        let id = method_id(&m.resource_path, &m.http_method);
        method_ids.push(id.clone());
        let mut props = Map::new();
        props.insert("RestApiId".into(), json!({"Ref": API}));
        props.insert(
            "ResourceId".into(),
            match resource_id(&m.resource_path) {
                Some(r) => json!({"Ref": r}),
                None => json!({"Fn::GetAtt": [API, "RootResourceId"]}),
            },
        );
        props.insert("HttpMethod".into(), json!(m.http_method));
        props.insert(
            "AuthorizationType".into(),
            json!(
                m.authorization_type
                    .clone()
                    .unwrap_or_else(|| "NONE".into())
            ),
        );
        if let Some(a) = &m.authorizer {
            props.insert("AuthorizerId".into(), json!({"Ref": authorizer_id(a)}));
        }
        if !m.authorization_scopes.is_empty() {
            props.insert("AuthorizationScopes".into(), json!(m.authorization_scopes));
        }
        if m.api_key_required {
            props.insert("ApiKeyRequired".into(), json!(true));
        }
        if !m.request_models.is_empty() {
            // `Ref` of a Model is its name; the reference orders the
            // model before the method.
            let mut models = Map::new();
            for (content_type, name) in &m.request_models {
                let value = if model.models.iter().any(|known| &known.name == name) {
                    json!({"Ref": model_id(name)})
                } else {
                    json!(name)
                };
                models.insert(content_type.clone(), value);
            }
            props.insert("RequestModels".into(), Value::Object(models));
        }
        if !m.request_parameters.is_empty() {
            props.insert(
                "RequestParameters".into(),
                string_map(&m.request_parameters),
            );
        }
        if let Some(v) = &m.request_validator {
            props.insert(
                "RequestValidatorId".into(),
                json!({"Ref": format!("Validator{}", logical_id(v))}),
            );
        }
        let method_responses: Vec<Value> = m
            .method_responses
            .iter()
            .map(|r| {
                let mut o = Map::new();
                o.insert("StatusCode".into(), json!(r.status_code));
                if !r.response_parameters.is_empty() {
                    o.insert(
                        "ResponseParameters".into(),
                        string_map(&r.response_parameters),
                    );
                }
                Value::Object(o)
            })
            .collect();
        props.insert("MethodResponses".into(), json!(method_responses));
        if let Some(integration) = &m.integration {
            props.insert("Integration".into(), integration_json(integration));
        }
        resources.insert(
            id,
            json!({"Type": "AWS::ApiGateway::Method", "Properties": props}),
        );
    }

    // Everything so far is the API; its hash names the deployment.
    let deployment = deployment_id(&resources, options.code_key.as_deref());

    // Functions, their roles and their permissions. A function only an
    // authorizer calls gets only the authorizer's permission.
    let integrated: Vec<&str> = model
        .methods
        .iter()
        .filter_map(|m| m.integration.as_ref()?.function.as_deref())
        .collect();
    for f in &service.functions {
        let fid = f.logical_id();
        let role = format!("{fid}Role");
        let mut policies = Vec::new();
        for (i, p) in f.privileges.iter().enumerate() {
            policies.push(json!({
                "PolicyName": format!("{fid}Privilege{}", i + 1),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": p.actions, "Resource": p.resources}]
                }
            }));
        }
        let mut role_props = json!({
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole"
                }]
            },
            "ManagedPolicyArns": [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}]
        });
        if !policies.is_empty()
            && let Some(o) = role_props.as_object_mut()
        {
            o.insert("Policies".into(), json!(policies));
        }
        resources.insert(
            role.clone(),
            json!({"Type": "AWS::IAM::Role", "Properties": role_props}),
        );

        let mut variables = Map::new();
        // The same binary serves every function: this tells it which.
        variables.insert("PHALANX_FUNCTION".into(), json!(f.name));
        for (k, v) in &f.environment {
            variables.insert(k.clone(), json!(v));
        }
        let mut props = Map::new();
        if let Some(d) = &f.description {
            props.insert("Description".into(), json!(d));
        }
        props.insert("Handler".into(), json!(f.name));
        props.insert("Runtime".into(), json!("provided.al2023"));
        props.insert("Architectures".into(), json!([options.architecture]));
        props.insert(
            "Code".into(),
            json!({"S3Bucket": {"Ref": "CodeS3Bucket"}, "S3Key": {"Ref": "CodeS3Key"}}),
        );
        props.insert("Role".into(), json!({"Fn::GetAtt": [role, "Arn"]}));
        props.insert("MemorySize".into(), json!(f.memory_mb));
        props.insert("Timeout".into(), json!(f.timeout.as_secs().max(1)));
        props.insert("Environment".into(), json!({"Variables": variables}));
        if let Some(n) = f.reserved_concurrency {
            props.insert("ReservedConcurrentExecutions".into(), json!(n));
        }
        resources.insert(
            fid.clone(),
            json!({"Type": "AWS::Lambda::Function", "Properties": props}),
        );
        let authorizer_only = !integrated.contains(&fid.as_str())
            && model
                .authorizers
                .iter()
                .any(|a| a.function.as_deref() == Some(fid.as_str()));
        if authorizer_only {
            continue;
        }
        resources.insert(
            format!("{fid}Permission"),
            json!({
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": {"Fn::GetAtt": [fid, "Arn"]},
                    "Principal": "apigateway.amazonaws.com",
                    "SourceArn": {"Fn::Sub": format!("arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{API}}}/*/*/*")}
                }
            }),
        );
    }

    // API Gateway calls an authorizer's function with the authorizer's
    // ARN as the source (developer guide, "Configure a Lambda authorizer
    // using the API Gateway console": lambda:InvokeFunction for
    // apigateway.amazonaws.com on .../authorizers/ID).
    for a in &model.authorizers {
        let Some(fid) = &a.function else {
            continue;
        };
        let aid = authorizer_id(&a.name);
        resources.insert(
            format!("{aid}Permission"),
            json!({
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": {"Fn::GetAtt": [fid, "Arn"]},
                    "Principal": "apigateway.amazonaws.com",
                    "SourceArn": {"Fn::Sub": format!("arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{API}}}/authorizers/${{{aid}}}")}
                }
            }),
        );
    }

    // Deployment and stage.
    let stage = model
        .stages
        .first()
        .cloned()
        .unwrap_or_else(|| model::Stage {
            stage_name: "dev".into(),
            ..model::Stage::default()
        });
    resources.insert(
        deployment.clone(),
        json!({
            "Type": "AWS::ApiGateway::Deployment",
            "DependsOn": method_ids,
            "Properties": {"RestApiId": {"Ref": API}}
        }),
    );
    let mut stage_props = Map::new();
    stage_props.insert("RestApiId".into(), json!({"Ref": API}));
    stage_props.insert("DeploymentId".into(), json!({"Ref": deployment}));
    stage_props.insert("StageName".into(), json!(stage.stage_name));
    if let Some(d) = &stage.description {
        stage_props.insert("Description".into(), json!(d));
    }
    if !stage.variables.is_empty() {
        stage_props.insert("Variables".into(), string_map(&stage.variables));
    }
    if !stage.method_settings.is_empty() {
        let settings: Vec<Value> = stage
            .method_settings
            .iter()
            .map(|s| {
                let mut o = Map::new();
                o.insert(
                    "ResourcePath".into(),
                    json!(method_setting_path(&s.resource_path)),
                );
                o.insert("HttpMethod".into(), json!(s.http_method));
                if let Some(r) = s.throttling_rate_limit {
                    o.insert("ThrottlingRateLimit".into(), json!(r));
                }
                if let Some(b) = s.throttling_burst_limit {
                    o.insert("ThrottlingBurstLimit".into(), json!(b));
                }
                Value::Object(o)
            })
            .collect();
        stage_props.insert("MethodSettings".into(), json!(settings));
    }
    resources.insert(
        "Stage".into(),
        json!({"Type": "AWS::ApiGateway::Stage", "Properties": stage_props}),
    );

    usage_plans(&model, &mut resources);

    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!("{} (generated by Phalanx)", service.name),
        "Parameters": {
            "CodeS3Bucket": {"Type": "String", "Description": "The S3 bucket holding the service's Lambda package (bootstrap zip)"},
            "CodeS3Key": {"Type": "String", "Description": "The package's S3 key"}
        },
        "Resources": resources,
        "Outputs": {
            "ApiGatewayUrl": {
                "Description": "The stage's invoke URL",
                "Value": {"Fn::Sub": format!("https://${{{API}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{}", stage.stage_name)}
            }
        }
    })
}

fn integration_json(i: &model::Integration) -> Value {
    let mut o = Map::new();
    o.insert("Type".into(), json!(i.kind.as_str()));
    if let Some(m) = &i.integration_http_method {
        o.insert("IntegrationHttpMethod".into(), json!(m));
    }
    match (&i.function, i.kind) {
        (Some(f), model::IntegrationType::Aws | model::IntegrationType::AwsProxy) => {
            o.insert("Uri".into(), invocation_uri(f));
        }
        _ => {
            if let Some(uri) = &i.uri {
                o.insert("Uri".into(), json!(uri));
            }
        }
    }
    if !i.request_templates.is_empty() {
        o.insert("RequestTemplates".into(), string_map(&i.request_templates));
    }
    if !i.request_parameters.is_empty() {
        o.insert(
            "RequestParameters".into(),
            string_map(&i.request_parameters),
        );
    }
    if let Some(p) = i.passthrough_behavior {
        o.insert(
            "PassthroughBehavior".into(),
            serde_json::to_value(p).unwrap_or(Value::Null),
        );
    }
    if let Some(t) = i.timeout_in_millis {
        o.insert("TimeoutInMillis".into(), json!(t));
    }
    let responses: Vec<Value> = i
        .integration_responses
        .iter()
        .map(|r| {
            let mut o = Map::new();
            o.insert("StatusCode".into(), json!(r.status_code));
            if let Some(p) = &r.selection_pattern {
                o.insert("SelectionPattern".into(), json!(p));
            }
            if !r.response_parameters.is_empty() {
                o.insert(
                    "ResponseParameters".into(),
                    string_map(&r.response_parameters),
                );
            }
            if !r.response_templates.is_empty() {
                o.insert(
                    "ResponseTemplates".into(),
                    string_map(&r.response_templates),
                );
            }
            Value::Object(o)
        })
        .collect();
    o.insert("IntegrationResponses".into(), json!(responses));
    Value::Object(o)
}

/// The invocation URI of the function with logical id `function`, as
/// CloudFormation resolves it (an integration's `Uri`, a Lambda
/// authorizer's `AuthorizerUri`).
fn invocation_uri(function: &str) -> Value {
    json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{function}.Arn}}/invocations")})
}

/// The logical id of the model `name`.
fn model_id(name: &str) -> String {
    format!("Model{}", logical_id(name))
}

/// The logical id of the authorizer `name`.
fn authorizer_id(name: &str) -> String {
    format!("Authorizer{}", logical_id(name))
}

/// An `AWS::ApiGateway::Authorizer`: a Lambda authorizer's `AuthorizerUri`
/// is its function's invocation ARN, a Cognito one's `ProviderARNs` its
/// pools.
fn authorizer_json(a: &model::Authorizer) -> Value {
    let mut props = Map::new();
    props.insert("RestApiId".into(), json!({"Ref": API}));
    props.insert("Name".into(), json!(a.name));
    props.insert(
        "Type".into(),
        serde_json::to_value(a.kind).unwrap_or(Value::Null),
    );
    match &a.function {
        Some(f) => {
            props.insert("AuthorizerUri".into(), invocation_uri(f));
        }
        None => {
            if let Some(uri) = &a.authorizer_uri {
                props.insert("AuthorizerUri".into(), json!(uri));
            }
        }
    }
    if let Some(source) = &a.identity_source {
        props.insert("IdentitySource".into(), json!(source));
    }
    if let Some(regex) = &a.identity_validation_expression {
        props.insert("IdentityValidationExpression".into(), json!(regex));
    }
    if let Some(ttl) = a.authorizer_result_ttl_in_seconds {
        props.insert("AuthorizerResultTtlInSeconds".into(), json!(ttl));
    }
    if !a.provider_arns.is_empty() {
        props.insert("ProviderARNs".into(), json!(a.provider_arns));
    }
    json!({"Type": "AWS::ApiGateway::Authorizer", "Properties": props})
}

/// A stage's `MethodSettings` `ResourcePath`: CloudFormation wants every
/// slash of the path as `~1` after a leading `/` (reference: "the path
/// value /resource/subresource must be encoded as
/// /~1resource~1subresource"); `/*` (every resource) and `/` (the root)
/// stay.
fn method_setting_path(path: &str) -> String {
    if path == "/*" || path == "/" {
        return path.to_string();
    }
    format!("/{}", path.replace('/', "~1"))
}

fn throttle_json(t: &model::Throttle) -> Value {
    let mut o = Map::new();
    if let Some(b) = t.burst_limit {
        o.insert("BurstLimit".into(), json!(b));
    }
    if let Some(r) = t.rate_limit {
        o.insert("RateLimit".into(), json!(r));
    }
    Value::Object(o)
}

/// API keys, usage plans over the stage and the keys' `UsagePlanKey`s.
/// Not part of the Deployment: a plan's `ApiStages` refers to the Stage,
/// which orders it after the stage exists.
fn usage_plans(model: &model::RestApi, resources: &mut Map<String, Value>) {
    for k in &model.api_keys {
        resources.insert(
            format!("ApiKey{}", logical_id(&k.name)),
            json!({
                "Type": "AWS::ApiGateway::ApiKey",
                "Properties": {"Name": k.name, "Value": k.value, "Enabled": k.enabled}
            }),
        );
    }
    for p in &model.usage_plans {
        let pid = format!("UsagePlan{}", logical_id(&p.name));
        let stages: Vec<Value> = p
            .api_stages
            .iter()
            .map(|s| {
                let mut o = Map::new();
                o.insert("ApiId".into(), json!({"Ref": API}));
                o.insert("Stage".into(), json!({"Ref": "Stage"}));
                if !s.throttle.is_empty() {
                    let mut by_method = Map::new();
                    for (key, t) in &s.throttle {
                        by_method.insert(key.clone(), throttle_json(t));
                    }
                    o.insert("Throttle".into(), Value::Object(by_method));
                }
                Value::Object(o)
            })
            .collect();
        let mut props = Map::new();
        props.insert("UsagePlanName".into(), json!(p.name));
        props.insert("ApiStages".into(), json!(stages));
        if let Some(t) = &p.throttle {
            props.insert("Throttle".into(), throttle_json(t));
        }
        if let Some(q) = &p.quota {
            let mut o = Map::new();
            o.insert("Limit".into(), json!(q.limit));
            o.insert("Period".into(), json!(q.period));
            if q.offset > 0 {
                o.insert("Offset".into(), json!(q.offset));
            }
            props.insert("Quota".into(), Value::Object(o));
        }
        resources.insert(
            pid.clone(),
            json!({"Type": "AWS::ApiGateway::UsagePlan", "Properties": props}),
        );
        for key in &p.api_keys {
            let kid = format!("ApiKey{}", logical_id(key));
            resources.insert(
                format!("{pid}{kid}"),
                json!({
                    "Type": "AWS::ApiGateway::UsagePlanKey",
                    "Properties": {"KeyId": {"Ref": kid}, "KeyType": "API_KEY", "UsagePlanId": {"Ref": pid}}
                }),
            );
        }
    }
}
