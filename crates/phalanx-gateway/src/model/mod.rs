//! The API model: API Gateway's REST resources, field for field, with the
//! property names CloudFormation gives them.
//!
//! Everything that describes an API produces this model — the CloudFormation
//! importer ([`crate::cloudformation`]) and, later, the Rust builder API —
//! and everything that uses an API reads it: the gateway engine
//! ([`crate::Gateway`]) and the exporters. The model is plain data; it is
//! checked and compiled once by [`crate::Gateway::build`], which reports
//! every definition error with the resource path and method.
//!
//! Fields added after the first version are left out of the serialized
//! form when empty, so models written before them read and compare the
//! same.
//!
//! Structs that CloudFormation describes directly (an integration, an
//! integration response, a method response) deserialize from a resource's
//! `Properties` with serde, so the importer only has to resolve intrinsic
//! functions and references.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// One REST API with everything it needs to serve requests.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct RestApi {
    /// The API's name (`AWS::ApiGateway::RestApi.Name`).
    pub name: String,
    /// The API's id; appears in `$context.apiId` and in model URLs. Local
    /// APIs get a stable made-up id from their name.
    #[serde(default)]
    pub id: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Media types treated as binary (`BinaryMediaTypes`), e.g. `image/png`
    /// or `*/*`.
    #[serde(default)]
    pub binary_media_types: Vec<String>,
    /// Every method of the API.
    #[serde(default)]
    pub methods: Vec<Method>,
    /// Request/response models (JSON Schema draft 4), by name.
    #[serde(default)]
    pub models: Vec<Model>,
    /// Request validators, by name.
    #[serde(default)]
    pub request_validators: Vec<RequestValidator>,
    /// Customised gateway responses.
    #[serde(default)]
    pub gateway_responses: Vec<GatewayResponse>,
    /// Deployed stages.
    #[serde(default)]
    pub stages: Vec<Stage>,
    /// API keys usable with this API, with the stages their usage plans
    /// cover.
    #[serde(default)]
    pub api_keys: Vec<ApiKey>,
    /// Lambda functions that integrations refer to, by logical id.
    #[serde(default)]
    pub functions: IndexMap<String, Function>,
    /// Lambda and Cognito authorizers (`AWS::ApiGateway::Authorizer`), by
    /// name; methods name theirs in [`Method::authorizer`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorizers: Vec<Authorizer>,
    /// Usage plans: which keys may call which stages, how fast and how
    /// often.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub usage_plans: Vec<UsagePlan>,
    /// Where API keys come from: `HEADER` (`x-api-key`, the default) or
    /// `AUTHORIZER` (a Lambda authorizer's `usageIdentifierKey`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_source_type: Option<String>,
}

/// A method on a resource (`AWS::ApiGateway::Method`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Method {
    /// The resource's full path, e.g. `/pets/{petId}` (`/` for the root).
    pub resource_path: String,
    /// `GET`, `POST`, …, or `ANY`.
    pub http_method: String,
    /// `NONE`, `AWS_IAM`, `CUSTOM`, `COGNITO_USER_POOLS`. `AWS_IAM` and
    /// `COGNITO_USER_POOLS` (with its [`Method::authorizer`]) are checked
    /// against [`crate::pipeline::authorize::LocalAuth`]; `CUSTOM` is not
    /// enforced locally yet.
    #[serde(default)]
    pub authorization_type: Option<String>,
    /// Whether a valid `x-api-key` header is required.
    #[serde(default)]
    pub api_key_required: bool,
    /// The name of the [`Authorizer`] of a `CUSTOM` or
    /// `COGNITO_USER_POOLS` method (CloudFormation's `AuthorizerId`,
    /// resolved to the authorizer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorizer: Option<String>,
    /// OAuth scopes a Cognito token must carry one of
    /// (`AuthorizationScopes`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorization_scopes: Vec<String>,
    /// `method.request.{querystring,header,path}.NAME` → required.
    #[serde(default)]
    pub request_parameters: IndexMap<String, bool>,
    /// Content type → model name.
    #[serde(default)]
    pub request_models: IndexMap<String, String>,
    /// The name of the request validator, if any.
    #[serde(default)]
    pub request_validator: Option<String>,
    /// Declared responses.
    #[serde(default)]
    pub method_responses: Vec<MethodResponse>,
    /// The backend.
    #[serde(default)]
    pub integration: Option<Integration>,
}

/// A declared method response (`MethodResponse`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct MethodResponse {
    /// The status code, e.g. `"200"`.
    pub status_code: String,
    /// `method.response.header.NAME` → required (the flag is informative).
    #[serde(default)]
    pub response_parameters: IndexMap<String, bool>,
    /// Content type → model name.
    #[serde(default)]
    pub response_models: IndexMap<String, String>,
}

/// The integration behind a method (`Integration`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Integration {
    /// `AWS`, `AWS_PROXY`, `HTTP`, `HTTP_PROXY` or `MOCK`.
    #[serde(rename = "Type")]
    pub kind: IntegrationType,
    /// The backend: a Lambda invocation ARN or an HTTP URL.
    #[serde(default)]
    pub uri: Option<String>,
    /// The Lambda function (logical id in [`RestApi::functions`]) that a
    /// Lambda integration invokes; the importer fills it from `Uri`.
    #[serde(default)]
    pub function: Option<String>,
    /// The HTTP method used towards the backend.
    #[serde(default)]
    pub integration_http_method: Option<String>,
    /// Content type → VTL template.
    #[serde(default)]
    pub request_templates: IndexMap<String, String>,
    /// `integration.request.{querystring,header,path}.NAME` → expression.
    #[serde(default)]
    pub request_parameters: IndexMap<String, String>,
    /// What happens when no request template matches.
    #[serde(default)]
    pub passthrough_behavior: Option<PassthroughBehavior>,
    /// `CONVERT_TO_TEXT` or `CONVERT_TO_BINARY`.
    #[serde(default)]
    pub content_handling: Option<ContentHandling>,
    /// Milliseconds before the gateway gives up (50–29,000; default 29,000).
    #[serde(default)]
    pub timeout_in_millis: Option<u64>,
    /// How backend answers map to method responses.
    #[serde(default)]
    pub integration_responses: Vec<IntegrationResponse>,
}

/// The kind of an integration.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IntegrationType {
    /// A Lambda function (or another AWS service) with mapping templates.
    Aws,
    /// A Lambda function receiving the whole request (payload format 1.0).
    AwsProxy,
    /// An HTTP backend with mapping templates.
    Http,
    /// An HTTP backend receiving the request as is.
    HttpProxy,
    /// No backend: the request template's `statusCode` picks the response.
    #[default]
    Mock,
}

impl IntegrationType {
    /// The name AWS uses.
    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationType::Aws => "AWS",
            IntegrationType::AwsProxy => "AWS_PROXY",
            IntegrationType::Http => "HTTP",
            IntegrationType::HttpProxy => "HTTP_PROXY",
            IntegrationType::Mock => "MOCK",
        }
    }

    /// The type AWS names so, in any case (exported OpenAPI documents write
    /// `aws_proxy`); `None` for any other name.
    pub fn from_name(name: &str) -> Option<IntegrationType> {
        [
            IntegrationType::Aws,
            IntegrationType::AwsProxy,
            IntegrationType::Http,
            IntegrationType::HttpProxy,
            IntegrationType::Mock,
        ]
        .into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(name))
    }
}

/// The function part of a Lambda invocation URI
/// (`arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/TARGET/invocations`):
/// a function name or ARN, as written. `None` when the URI has no
/// `/functions/…/invocations`.
pub fn lambda_uri_target(uri: &str) -> Option<&str> {
    uri.split_once("/functions/")
        .and_then(|(_, rest)| rest.rsplit_once("/invocations"))
        .map(|(target, _)| target)
}

/// A function's name from a Lambda target: the name itself, a qualified
/// name (`name:alias`), or an ARN
/// (`arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`).
pub fn lambda_function_name(target: &str) -> &str {
    if target.starts_with("arn:") {
        target.split(':').nth(6).unwrap_or_default()
    } else {
        target.split(':').next().unwrap_or_default()
    }
}

/// `PassthroughBehavior`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PassthroughBehavior {
    /// Pass the body through when no template matches the content type.
    #[default]
    WhenNoMatch,
    /// Pass through only when the integration has no templates at all.
    WhenNoTemplates,
    /// Reject unmatched content types with 415.
    Never,
}

impl PassthroughBehavior {
    /// The behaviour AWS names so (`WHEN_NO_MATCH`, …), in any case.
    pub fn from_name(name: &str) -> Option<PassthroughBehavior> {
        [
            ("WHEN_NO_MATCH", PassthroughBehavior::WhenNoMatch),
            ("WHEN_NO_TEMPLATES", PassthroughBehavior::WhenNoTemplates),
            ("NEVER", PassthroughBehavior::Never),
        ]
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, b)| b)
    }
}

/// `ContentHandling`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContentHandling {
    /// Binary payloads become base64 text.
    ConvertToText,
    /// Base64 text becomes binary.
    ConvertToBinary,
}

impl ContentHandling {
    /// The conversion AWS names so (`CONVERT_TO_TEXT`, …), in any case.
    pub fn from_name(name: &str) -> Option<ContentHandling> {
        [
            ("CONVERT_TO_TEXT", ContentHandling::ConvertToText),
            ("CONVERT_TO_BINARY", ContentHandling::ConvertToBinary),
        ]
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, c)| c)
    }
}

/// How one kind of backend answer becomes a method response
/// (`IntegrationResponse`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct IntegrationResponse {
    /// The method response status this selects.
    pub status_code: String,
    /// A Java regex: over a Lambda error's `errorMessage` (whole match), or
    /// over an HTTP/MOCK status code. Absent: the default response.
    #[serde(default)]
    pub selection_pattern: Option<String>,
    /// `method.response.header.NAME` → expression.
    #[serde(default)]
    pub response_parameters: IndexMap<String, String>,
    /// Content type → VTL template.
    #[serde(default)]
    pub response_templates: IndexMap<String, String>,
    /// `CONVERT_TO_TEXT` or `CONVERT_TO_BINARY`.
    #[serde(default)]
    pub content_handling: Option<ContentHandling>,
}

/// A request/response model (`AWS::ApiGateway::Model`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Model {
    /// The model's name, used in `RequestModels` and `$ref` URLs.
    pub name: String,
    /// Usually `application/json`.
    #[serde(default)]
    pub content_type: Option<String>,
    /// A JSON Schema draft 4 document.
    #[serde(default)]
    pub schema: serde_json::Value,
}

/// `AWS::ApiGateway::RequestValidator`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct RequestValidator {
    /// Referred to by [`Method::request_validator`].
    pub name: String,
    /// Check the body against the method's request model.
    #[serde(default)]
    pub validate_request_body: bool,
    /// Check required parameters.
    #[serde(default)]
    pub validate_request_parameters: bool,
}

/// A customised gateway response (`AWS::ApiGateway::GatewayResponse`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct GatewayResponse {
    /// `DEFAULT_4XX`, `MISSING_AUTHENTICATION_TOKEN`, ….
    pub response_type: String,
    /// Overrides the type's default status.
    #[serde(default)]
    pub status_code: Option<String>,
    /// `gatewayresponse.header.NAME` → expression.
    #[serde(default)]
    pub response_parameters: IndexMap<String, String>,
    /// Content type → VTL template.
    #[serde(default)]
    pub response_templates: IndexMap<String, String>,
}

/// A stage (`AWS::ApiGateway::Stage`, or a Deployment's `StageName`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Stage {
    /// The first path segment of every URL of the stage.
    pub stage_name: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// `$stageVariables`.
    #[serde(default)]
    pub variables: IndexMap<String, String>,
    /// Per-method settings; only throttling changes local answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub method_settings: Vec<MethodSetting>,
}

/// A stage's `MethodSettings` entry: throttling for every caller of the
/// methods it matches.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct MethodSetting {
    /// `/*` for every resource, or a resource path such as `/pets`.
    #[serde(default = "every")]
    pub resource_path: String,
    /// `*` for every method, or `GET`, ….
    #[serde(default = "every")]
    pub http_method: String,
    /// Requests a second, on average.
    #[serde(default)]
    pub throttling_rate_limit: Option<f64>,
    /// Requests at once above the rate.
    #[serde(default)]
    pub throttling_burst_limit: Option<u64>,
}

fn every() -> String {
    "*".to_owned()
}

impl Stage {
    /// How the stage throttles `http_method` on `resource_path`, for every
    /// caller: the most specific `MethodSettings` entry that sets
    /// throttling (the method's own, then its resource's `*`, then `/*`
    /// with its verb, then `/*` `*`; of equally specific entries the
    /// last, as a later setting wins), with the limits it leaves out taken
    /// from the `/*` `*` entry (developer guide, "Throttle requests to
    /// your REST APIs for better throughput": the most specific setting
    /// applies). `None`: the stage does not throttle it.
    pub fn method_throttle(
        &self,
        resource_path: &str,
        http_method: &str,
    ) -> Option<(&MethodSetting, Throttle)> {
        let settings = &self.method_settings;
        let rank = |s: &MethodSetting| {
            let path = if s.resource_path == "/*" {
                0
            } else if s.resource_path == resource_path {
                2
            } else {
                return None;
            };
            let verb = if s.http_method == "*" {
                0
            } else if s.http_method.eq_ignore_ascii_case(http_method) {
                1
            } else {
                return None;
            };
            Some(path + verb)
        };
        let best = settings
            .iter()
            .filter(|s| s.throttling_rate_limit.is_some() || s.throttling_burst_limit.is_some())
            .filter_map(|s| rank(s).map(|r| (r, s)))
            .max_by_key(|(r, _)| *r)?
            .1;
        let every = settings
            .iter()
            .rev()
            .find(|s| s.resource_path == "/*" && s.http_method == "*");
        let throttle = Throttle {
            rate_limit: best
                .throttling_rate_limit
                .or_else(|| every.and_then(|e| e.throttling_rate_limit)),
            burst_limit: best
                .throttling_burst_limit
                .or_else(|| every.and_then(|e| e.throttling_burst_limit)),
        };
        Some((best, throttle))
    }
}

/// A Lambda or Cognito authorizer (`AWS::ApiGateway::Authorizer`, or an
/// OpenAPI security scheme with `x-amazon-apigateway-authorizer`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Authorizer {
    /// The authorizer's name, which methods refer to.
    pub name: String,
    /// `TOKEN`, `REQUEST` or `COGNITO_USER_POOLS`.
    #[serde(rename = "Type")]
    pub kind: AuthorizerType,
    /// The Lambda function (logical id in [`RestApi::functions`]) of a
    /// Lambda authorizer; the importer fills it from `AuthorizerUri`.
    #[serde(default)]
    pub function: Option<String>,
    /// The Lambda invocation ARN, as written.
    #[serde(default)]
    pub authorizer_uri: Option<String>,
    /// Where the identity comes from: `method.request.header.Authorization`
    /// for a TOKEN or Cognito authorizer; a comma-separated list of
    /// `method.request.header.X`, `method.request.querystring.X`,
    /// `stageVariables.X` and `context.X` for a REQUEST one.
    #[serde(default)]
    pub identity_source: Option<String>,
    /// A regular expression the token must match (TOKEN and Cognito only).
    #[serde(default)]
    pub identity_validation_expression: Option<String>,
    /// How long a result is cached, in seconds (default 300; 0 = off).
    #[serde(default)]
    pub authorizer_result_ttl_in_seconds: Option<u64>,
    /// The Cognito user pools' ARNs.
    #[serde(default, rename = "ProviderARNs")]
    pub provider_arns: Vec<String>,
}

/// The kind of an [`Authorizer`].
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthorizerType {
    /// A Lambda function given one token (a header).
    #[default]
    Token,
    /// A Lambda function given the request's identity sources.
    Request,
    /// A Cognito user pool's JWTs.
    CognitoUserPools,
}

impl AuthorizerType {
    /// The type AWS names so (`TOKEN`, `REQUEST`, `COGNITO_USER_POOLS`), in
    /// any case.
    pub fn from_name(name: &str) -> Option<AuthorizerType> {
        [
            ("TOKEN", AuthorizerType::Token),
            ("REQUEST", AuthorizerType::Request),
            ("COGNITO_USER_POOLS", AuthorizerType::CognitoUserPools),
        ]
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, t)| t)
    }
}

/// A usage plan (`AWS::ApiGateway::UsagePlan` with its
/// `UsagePlanKey`s): keys, the stages they may call, and limits.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct UsagePlan {
    /// `UsagePlanName`, or the logical id.
    pub name: String,
    /// The stages the plan covers, with per-method throttling.
    #[serde(default)]
    pub api_stages: Vec<UsagePlanStage>,
    /// The plan's throttling, per key.
    #[serde(default)]
    pub throttle: Option<Throttle>,
    /// The plan's quota, per key.
    #[serde(default)]
    pub quota: Option<Quota>,
    /// The names of the plan's keys ([`ApiKey::name`]).
    #[serde(default)]
    pub api_keys: Vec<String>,
}

/// One stage of a usage plan.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct UsagePlanStage {
    /// The stage's name.
    pub stage: String,
    /// Per-method throttling, keyed `/resource/path/METHOD` (e.g.
    /// `/pets/GET`), as CloudFormation's `ApiStages[].Throttle` keys them.
    #[serde(default)]
    pub throttle: IndexMap<String, Throttle>,
}

impl UsagePlanStage {
    /// The plan's own throttle for `http_method` on `resource_path` (a
    /// `throttle` key `/resource/path/METHOD`; `//GET` is the root's GET).
    pub fn method_throttle(&self, resource_path: &str, http_method: &str) -> Option<&Throttle> {
        self.throttle.iter().find_map(|(key, throttle)| {
            let (resource, verb) = split_throttle_key(key)?;
            (resource == resource_path && verb.eq_ignore_ascii_case(http_method))
                .then_some(throttle)
        })
    }
}

/// A usage plan stage's throttle key `/resource/path/METHOD` as its
/// resource path and method (`//GET` → `/`, `GET`).
pub fn split_throttle_key(key: &str) -> Option<(&str, &str)> {
    let (resource, verb) = key.rsplit_once('/')?;
    Some((if resource.is_empty() { "/" } else { resource }, verb))
}

/// Throttling: a token bucket refilled at `rate_limit` a second, holding
/// up to `burst_limit`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Throttle {
    /// Requests a second, on average.
    #[serde(default)]
    pub rate_limit: Option<f64>,
    /// Requests at once.
    #[serde(default)]
    pub burst_limit: Option<u64>,
}

/// A quota: at most `limit` requests per `period`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Quota {
    /// Requests per period.
    pub limit: u64,
    /// `DAY`, `WEEK` or `MONTH`.
    pub period: String,
    /// Requests already counted in the first period.
    #[serde(default)]
    pub offset: u64,
}

/// An API key and the stages its usage plans allow.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct ApiKey {
    /// Logical id or name, for messages.
    pub name: String,
    /// The secret sent in `x-api-key`.
    pub value: String,
    /// Disabled keys are refused.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Stage names the key's usage plans cover.
    #[serde(default)]
    pub stages: Vec<String>,
}

fn yes() -> bool {
    true
}

/// A Lambda function (`AWS::Lambda::Function`), as far as running it locally
/// needs.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Function {
    /// `FunctionName`, or the logical id.
    pub function_name: String,
    /// `_HANDLER` for the runtime.
    #[serde(default)]
    pub handler: Option<String>,
    /// e.g. `python3.12`, `provided.al2023`.
    #[serde(default)]
    pub runtime: Option<String>,
    /// Seconds (default 3).
    #[serde(default)]
    pub timeout: Option<u64>,
    /// MiB (default 128).
    #[serde(default)]
    pub memory_size: Option<u64>,
    /// Environment variables.
    #[serde(default)]
    pub environment: IndexMap<String, String>,
}
