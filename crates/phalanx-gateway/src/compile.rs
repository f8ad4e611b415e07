//! Building an API: the model is checked and compiled once — templates
//! compiled, selection patterns compiled, mapping expressions parsed, JSON
//! Schemas compiled, routes laid out — so requests never meet a definition
//! error. Every problem is reported (not just the first), each with the
//! method and resource path it belongs to and, where AWS has one, AWS's
//! own message text.

use crate::mapping::{self, Location, Side, Source};
use crate::model::{
    ContentHandling, Function, IntegrationType, PassthroughBehavior, RestApi, Stage,
};
use crate::pipeline::gateway_response::ResponseType;
use crate::pipeline::route::{PathPart, RouteTree, parse_resource_path};
use fancy_regex::Regex;
use indexmap::IndexMap;
use phalanx_vtl::{Engine, Template};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

/// The default integration timeout, and its maximum (AWS: 50 ms–29 s).
pub const DEFAULT_TIMEOUT_MS: u64 = 29_000;

/// One definition error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    /// Where: `GET /pets/{petId}`, `stage dev`, `model Pet`, ….
    pub place: String,
    /// What is wrong, and how to fix it.
    pub message: String,
}

/// Everything wrong with a definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionErrors(pub Vec<DefinitionError>);

impl fmt::Display for DefinitionErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "the API definition has {n} error{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.0 {
            writeln!(f, "  {}: {}", e.place, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for DefinitionErrors {}

/// A compiled API, for one stage.
pub struct CompiledApi {
    pub(crate) api_id: Arc<str>,
    pub(crate) account_id: Arc<str>,
    pub(crate) deployment_id: Arc<str>,
    pub(crate) stage: Stage,
    pub(crate) stage_name: Arc<str>,
    /// The API's binary media types, as [`crate::pipeline::media_type`]
    /// writes them.
    pub(crate) binary_media_types: Vec<String>,
    pub(crate) routes: RouteTree,
    pub(crate) methods: Vec<CompiledMethod>,
    pub(crate) gateway_responses: HashMap<ResponseType, CompiledGatewayResponse>,
    /// Enabled API key values for this stage → key name.
    pub(crate) api_keys: HashMap<String, String>,
    /// Usage plan and stage throttling, quotas: their buckets and counters.
    pub(crate) limits: crate::pipeline::authorize::usage_plan::Limits,
    pub(crate) functions: IndexMap<String, Function>,
    /// The Lambda authorizers (TOKEN and REQUEST) methods use, indexed by
    /// [`Authorization::Lambda`].
    pub(crate) authorizers: Vec<CompiledAuthorizer>,
    /// The Cognito user pool authorizers methods use, indexed by
    /// [`Authorization::CognitoUserPools`].
    pub(crate) user_pools: Vec<crate::model::Authorizer>,
    /// `ApiKeySourceType: AUTHORIZER`: the API key is the Lambda
    /// authorizer's `usageIdentifierKey`, not the `x-api-key` header.
    pub(crate) api_key_from_authorizer: bool,
    /// What the method ARNs of this stage start with (Lambda authorizers'
    /// policies are evaluated against them).
    pub(crate) method_arn_prefix: String,
}

/// How a method is authorized: its `AuthorizationType` with its
/// authorizer resolved. Each kind has its module in
/// `pipeline/authorize/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Authorization {
    /// `NONE`.
    None,
    /// `CUSTOM`: a Lambda authorizer, by index in [`CompiledApi::authorizers`].
    Lambda(usize),
    /// `COGNITO_USER_POOLS`: a user pool token, checked against the
    /// authorizer at this index of [`CompiledApi::user_pools`] and the
    /// method's scopes.
    CognitoUserPools(usize),
    /// `AWS_IAM`: a SigV4 signature.
    Iam,
}

/// A Lambda authorizer, ready to run.
#[derive(Debug)]
pub(crate) struct CompiledAuthorizer {
    /// The authorizer's name, for logs.
    pub(crate) name: String,
    /// TOKEN or REQUEST.
    pub(crate) kind: crate::model::AuthorizerType,
    /// The function's logical id.
    pub(crate) function: String,
    /// Where the identity comes from; a TOKEN authorizer has one header.
    pub(crate) identity_sources: Vec<IdentitySource>,
    /// `IdentityValidationExpression`, anchored (the whole token must
    /// match), TOKEN only.
    pub(crate) validation: Option<Regex>,
    /// How long a result is cached; zero: not cached.
    pub(crate) ttl: std::time::Duration,
}

/// One identity source of a Lambda authorizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IdentitySource {
    /// `method.request.header.NAME` (or `multivalueheader`).
    Header(String),
    /// `method.request.querystring.NAME` (or `multivaluequerystring`).
    Query(String),
    /// `stageVariables.NAME`.
    StageVariable(String),
    /// `context.NAME` (a `$context` variable, dotted).
    Context(String),
}

impl IdentitySource {
    /// Parses one mapping expression of an `IdentitySource` list.
    fn parse(expression: &str) -> Option<IdentitySource> {
        let e = expression.trim();
        let named = |prefix: &str| {
            e.strip_prefix(prefix)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
        };
        named("method.request.header.")
            .or_else(|| named("method.request.multivalueheader."))
            .map(IdentitySource::Header)
            .or_else(|| {
                named("method.request.querystring.")
                    .or_else(|| named("method.request.multivaluequerystring."))
                    .map(IdentitySource::Query)
            })
            .or_else(|| named("stageVariables.").map(IdentitySource::StageVariable))
            .or_else(|| named("context.").map(IdentitySource::Context))
    }
}

pub(crate) struct CompiledMethod {
    pub(crate) resource_path: Arc<str>,
    pub(crate) resource_id: Arc<str>,
    pub(crate) http_method: String,
    pub(crate) api_key_required: bool,
    pub(crate) authorization: Authorization,
    /// `AuthorizationScopes`: a Cognito access token must carry one.
    pub(crate) authorization_scopes: Vec<String>,
    /// Required parameters, sorted by full name as AWS reports them.
    pub(crate) required_parameters: Vec<(Location, String)>,
    pub(crate) validate_parameters: bool,
    pub(crate) body_schema: Option<jsonschema::Validator>,
    pub(crate) integration: CompiledIntegration,
}

pub(crate) struct CompiledIntegration {
    pub(crate) kind: IntegrationType,
    pub(crate) function: Option<String>,
    pub(crate) uri: Option<String>,
    pub(crate) http_method: Option<String>,
    pub(crate) request_templates: Vec<(String, Template)>,
    pub(crate) has_templates: bool,
    pub(crate) request_parameters: Vec<(Location, String, Source)>,
    pub(crate) passthrough: PassthroughBehavior,
    pub(crate) content_handling: Option<ContentHandling>,
    pub(crate) timeout_ms: u64,
    pub(crate) responses: Vec<CompiledIntegrationResponse>,
}

pub(crate) struct CompiledIntegrationResponse {
    pub(crate) status: u16,
    /// `None` for the default response.
    pub(crate) pattern: Option<SelectionPattern>,
    pub(crate) response_parameters: Vec<(String, Source)>,
    pub(crate) templates: Vec<(String, Template)>,
    pub(crate) content_handling: Option<ContentHandling>,
}

/// An integration response's selection pattern (a Java regex that must
/// match the whole selection value).
pub(crate) struct SelectionPattern {
    regex: Regex,
    /// Whether the pattern matches "", the selection value of every
    /// successful Lambda call: answered once here, since every such call
    /// tries each error response's pattern before it reaches the default.
    matches_empty: bool,
}

impl SelectionPattern {
    pub(crate) fn new(regex: Regex) -> SelectionPattern {
        let matches_empty = regex.is_match("").unwrap_or(false);
        SelectionPattern {
            regex,
            matches_empty,
        }
    }

    /// Whether the pattern matches all of `value` (a match that runs out
    /// of its backtracking budget does not match).
    pub(crate) fn is_match(&self, value: &str) -> bool {
        if value.is_empty() {
            return self.matches_empty;
        }
        self.regex.is_match(value).unwrap_or(false)
    }
}

pub(crate) struct CompiledGatewayResponse {
    pub(crate) status: Option<u16>,
    pub(crate) response_parameters: Vec<(String, Source)>,
    pub(crate) templates: Vec<(String, Template)>,
}

struct Collector {
    errors: Vec<DefinitionError>,
}

impl Collector {
    fn push(&mut self, place: &str, message: impl Into<String>) {
        self.errors.push(DefinitionError {
            place: place.to_string(),
            message: message.into(),
        });
    }
}

/// A content type key of a template map: `type/subtype` (AWS rejects
/// anything else with "Invalid content type specified").
fn check_content_type(c: &mut Collector, place: &str, content_type: &str) -> bool {
    let valid = content_type == "$default"
        || content_type.split_once('/').is_some_and(|(t, s)| {
            let token = |x: &str| {
                !x.is_empty()
                    && x.chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || "!#$&-^_.+*".contains(ch))
            };
            token(t) && token(s)
        });
    if !valid {
        c.push(
            place,
            format!(
                "Invalid content type specified: {content_type} (template keys are media types such as application/json)"
            ),
        );
    }
    valid
}

fn compile_templates(
    c: &mut Collector,
    engine: &Engine,
    place: &str,
    what: &str,
    templates: &IndexMap<String, String>,
) -> Vec<(String, Template)> {
    let mut out = Vec::new();
    for (content_type, source) in templates {
        if !check_content_type(c, place, content_type) {
            continue;
        }
        let name = format!("{place} {what} [{content_type}]");
        match engine.compile(&name, source) {
            Ok(t) => out.push((content_type.clone(), t)),
            Err(e) => c.push(place, format!("{what} template for {content_type}: {e}")),
        }
    }
    out
}

fn status_code(c: &mut Collector, place: &str, code: &str) -> Option<u16> {
    match code.trim().parse::<u16>() {
        Ok(n) if (100..=599).contains(&n) => Some(n),
        _ => {
            c.push(
                place,
                format!("Invalid status code specified: `{code}` (use a number from 100 to 599)"),
            );
            None
        }
    }
}

/// Made-up ids live with every other id in `ids.rs`; re-exported here,
/// where they have always been public.
pub use crate::ids::local_id;

/// Builds the model into a [`CompiledApi`] for `stage_name`: each part of
/// the API is compiled by a function of its own below, in the order AWS's
/// own checks would meet them, all reporting into one list of errors.
pub(crate) fn compile(api: &RestApi, stage_name: &str) -> Result<CompiledApi, DefinitionErrors> {
    let mut cx = Compiler::new(api);
    let stage = cx.stage(stage_name);
    let (authorizers, authorizer_index) = cx.authorizers();
    cx.authorizer_index = authorizer_index;
    let (routes, methods) = cx.methods();
    let gateway_responses = cx.gateway_responses();
    let api_keys = stage_api_keys(api, stage_name);
    let (limits, problems) = crate::pipeline::authorize::usage_plan::Limits::compile(
        api, stage_name, &methods, &api_keys,
    );
    for (place, message) in problems {
        cx.c.push(&place, message);
    }

    if !cx.c.errors.is_empty() {
        return Err(DefinitionErrors(cx.c.errors));
    }
    let api_id = cx.api_id;
    Ok(CompiledApi {
        deployment_id: Arc::from(&local_id(&format!("{api_id}/{stage_name}"))[..6]),
        api_id: Arc::from(api_id.as_str()),
        account_id: Arc::from(crate::gateway::LOCAL_ACCOUNT_ID),
        stage_name: Arc::from(stage_name),
        stage,
        // Normalised once here (parameters off, lower case), not on every
        // request that asks whether a body is binary.
        binary_media_types: api
            .binary_media_types
            .iter()
            .map(|b| crate::pipeline::media_type(b))
            .collect(),
        routes,
        methods,
        gateway_responses,
        api_keys,
        limits,
        functions: api.functions.clone(),
        authorizers,
        user_pools: cx.user_pools,
        api_key_from_authorizer: api
            .api_key_source_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("AUTHORIZER")),
        method_arn_prefix: crate::pipeline::authorize::lambda::method_arn_prefix(
            crate::gateway::LOCAL_ACCOUNT_ID,
            &api_id,
            stage_name,
        ),
    })
}

/// What every step of one compilation reads, and where it reports.
struct Compiler<'a> {
    api: &'a RestApi,
    /// The API's id: its own, or one made up from its name.
    api_id: String,
    engine: Engine,
    c: Collector,
    /// Every model by name: a method's body model is compiled with `$ref`s
    /// to the others resolved through them.
    models: HashMap<&'a str, &'a crate::model::Model>,
    validators: HashMap<&'a str, &'a crate::model::RequestValidator>,
    /// Authorizer name → how a method naming it is authorized.
    authorizer_index: HashMap<String, Authorization>,
    /// Cognito authorizers, as [`Authorization::CognitoUserPools`] indexes
    /// them.
    user_pools: Vec<crate::model::Authorizer>,
}

/// A method request's checks, compiled.
struct MethodRequest<'a> {
    /// Required parameters, sorted by full name as AWS reports them.
    required_parameters: Vec<(Location, String)>,
    /// Every declared `method.request.*` name: integration request
    /// parameters may only map these.
    declared: HashSet<&'a str>,
    validate_parameters: bool,
    body_schema: Option<jsonschema::Validator>,
}

impl<'a> Compiler<'a> {
    fn new(api: &'a RestApi) -> Compiler<'a> {
        let engine = Engine::api_gateway();
        let api_id = if api.id.is_empty() {
            local_id(&api.name)
        } else {
            api.id.clone()
        };
        // Models: compiled lazily per method, with `$ref`s between them
        // resolved through a registry of every model.
        let models = api.models.iter().map(|m| (m.name.as_str(), m)).collect();
        let validators = api
            .request_validators
            .iter()
            .map(|v| (v.name.as_str(), v))
            .collect();
        Compiler {
            api,
            api_id,
            engine,
            c: Collector { errors: Vec::new() },
            models,
            validators,
            authorizer_index: HashMap::new(),
            user_pools: Vec::new(),
        }
    }

    /// The API's authorizers: Lambda ones compiled, Cognito ones noted;
    /// and name → the authorization a method naming it gets.
    fn authorizers(&mut self) -> (Vec<CompiledAuthorizer>, HashMap<String, Authorization>) {
        use crate::model::AuthorizerType;
        let mut compiled = Vec::new();
        let mut index = HashMap::new();
        for a in &self.api.authorizers {
            let place = format!("authorizer {}", a.name);
            if index.contains_key(&a.name) {
                self.c
                    .push(&place, "another authorizer of the API has this name");
                continue;
            }
            if a.kind == AuthorizerType::CognitoUserPools {
                index.insert(
                    a.name.clone(),
                    Authorization::CognitoUserPools(self.user_pools.len()),
                );
                self.user_pools.push(a.clone());
                continue;
            }
            let Some(function) = a.function.clone() else {
                self.c.push(
                    &place,
                    format!(
                        "the authorizer's AuthorizerUri does not name a Lambda function of this template ({})",
                        a.authorizer_uri.as_deref().unwrap_or("no AuthorizerUri")
                    ),
                );
                continue;
            };
            if !self.api.functions.contains_key(&function) {
                self.c.push(
                    &place,
                    format!(
                        "the authorizer invokes `{function}`, which is not a function of this API"
                    ),
                );
                continue;
            }
            let mut identity_sources = Vec::new();
            for expression in a
                .identity_source
                .as_deref()
                .unwrap_or("")
                .split(',')
                .filter(|e| !e.trim().is_empty())
            {
                match IdentitySource::parse(expression) {
                    Some(source) => identity_sources.push(source),
                    None => self.c.push(
                        &place,
                        format!(
                            "Invalid identity source `{}` (use method.request.header.NAME, \
                             method.request.querystring.NAME, stageVariables.NAME or context.NAME)",
                            expression.trim()
                        ),
                    ),
                }
            }
            // A TTL of 0 turns the cache off; AWS's default is 300 s
            // (API reference, Authorizer.authorizerResultTtlInSeconds).
            let ttl =
                std::time::Duration::from_secs(a.authorizer_result_ttl_in_seconds.unwrap_or(300));
            match a.kind {
                AuthorizerType::Token => {
                    // API reference, Authorizer.identitySource: required
                    // for a TOKEN authorizer, one header.
                    if !matches!(identity_sources.as_slice(), [IdentitySource::Header(_)]) {
                        self.c.push(
                            &place,
                            "a TOKEN authorizer's IdentitySource must be one header \
                             (method.request.header.NAME)",
                        );
                    }
                }
                AuthorizerType::Request => {
                    // API reference: required when caching is enabled.
                    if identity_sources.is_empty() && !ttl.is_zero() {
                        self.c.push(
                            &place,
                            "a REQUEST authorizer needs an IdentitySource when its results \
                             are cached (AuthorizerResultTtlInSeconds > 0, 300 by default)",
                        );
                    }
                }
                AuthorizerType::CognitoUserPools => {}
            }
            let validation = match (&a.identity_validation_expression, a.kind) {
                (Some(expression), AuthorizerType::Token) if !expression.is_empty() => {
                    match Regex::new(&format!("^(?:{expression})$")) {
                        Ok(regex) => Some(regex),
                        Err(e) => {
                            self.c.push(
                                &place,
                                format!("Invalid IdentityValidationExpression `{expression}`: {e}"),
                            );
                            None
                        }
                    }
                }
                _ => None,
            };
            index.insert(a.name.clone(), Authorization::Lambda(compiled.len()));
            compiled.push(CompiledAuthorizer {
                name: a.name.clone(),
                kind: a.kind,
                function,
                identity_sources,
                validation,
                ttl,
            });
        }
        (compiled, index)
    }

    /// How `method` is authorized: its AuthorizationType, with the
    /// authorizer it names.
    fn authorization(&mut self, method: &crate::model::Method, place: &str) -> Authorization {
        let kind = method
            .authorization_type
            .as_deref()
            .unwrap_or("NONE")
            .to_ascii_uppercase();
        let named = match &method.authorizer {
            None => None,
            Some(name) => match self.authorizer_index.get(name) {
                Some(a) => Some(*a),
                None => {
                    self.c.push(
                        place,
                        format!("Invalid authorizer ID specified: `{name}` is not an authorizer of the API"),
                    );
                    return Authorization::None;
                }
            },
        };
        match (kind.as_str(), named) {
            ("NONE", None) => Authorization::None,
            ("AWS_IAM", _) => Authorization::Iam,
            ("CUSTOM", Some(a @ Authorization::Lambda(_)))
            | ("COGNITO_USER_POOLS", Some(a @ Authorization::CognitoUserPools(_))) => a,
            // An authorizer without a type: the authorizer's kind decides.
            ("NONE", Some(a)) if method.authorization_type.is_none() => a,
            ("CUSTOM" | "COGNITO_USER_POOLS", None) => {
                self.c.push(
                    place,
                    format!("AuthorizationType {kind} needs an authorizer (AuthorizerId)"),
                );
                Authorization::None
            }
            (_, Some(_)) if kind == "CUSTOM" || kind == "COGNITO_USER_POOLS" => {
                self.c.push(
                    place,
                    format!(
                        "AuthorizationType {kind} does not match the kind of the authorizer `{}`",
                        method.authorizer.as_deref().unwrap_or("")
                    ),
                );
                Authorization::None
            }
            ("NONE", Some(_)) => Authorization::None,
            _ => {
                self.c.push(
                    place,
                    format!("Invalid AuthorizationType `{kind}` (use NONE, AWS_IAM, CUSTOM or COGNITO_USER_POOLS)"),
                );
                Authorization::None
            }
        }
    }

    /// The stage served: the API's stage of that name; any name when the
    /// API declares no stages (a model built in code); an error naming the
    /// stages otherwise.
    fn stage(&mut self, stage_name: &str) -> Stage {
        let api = self.api;
        match api.stages.iter().find(|s| s.stage_name == stage_name) {
            Some(s) => s.clone(),
            None if api.stages.is_empty() => Stage {
                stage_name: stage_name.to_string(),
                ..Stage::default()
            },
            None => {
                let known: Vec<&str> = api.stages.iter().map(|s| s.stage_name.as_str()).collect();
                self.c.push(
                    &format!("stage {stage_name}"),
                    format!(
                        "Invalid stage identifier specified; the API has stages: {}",
                        known.join(", ")
                    ),
                );
                Stage::default()
            }
        }
    }

    /// Every method, and the route tree that finds them by index.
    fn methods(&mut self) -> (RouteTree, Vec<CompiledMethod>) {
        let mut routes = RouteTree::default();
        let mut methods = Vec::new();
        for method in &self.api.methods {
            if let Some(compiled) = self.method(method, &mut routes, methods.len()) {
                methods.push(compiled);
            }
        }
        (routes, methods)
    }

    /// One method, routed as `index`. `None` when it cannot be compiled at
    /// all (its errors are reported); the compilation then fails, so the
    /// route left behind is never served.
    fn method(
        &mut self,
        method: &'a crate::model::Method,
        routes: &mut RouteTree,
        index: usize,
    ) -> Option<CompiledMethod> {
        let verb = method.http_method.to_ascii_uppercase();
        let place = format!("{verb} {}", method.resource_path);
        let parts = self.route(method, &verb, &place, routes, index)?;
        let request = self.method_request(method, &place);
        let method_responses = self.method_responses(method, &place);
        let authorization = self.authorization(method, &place);
        let Some(integration) = &method.integration else {
            self.c.push(
                &place,
                "No integration defined for method (add an Integration; MOCK answers without a backend)",
            );
            return None;
        };
        let integration =
            self.integration(integration, &place, &request, &parts, &method_responses);
        Some(CompiledMethod {
            resource_path: Arc::from(method.resource_path.as_str()),
            resource_id: Arc::from(&local_id(&method.resource_path)[..6]),
            http_method: verb,
            api_key_required: method.api_key_required,
            authorization,
            authorization_scopes: method.authorization_scopes.clone(),
            required_parameters: request.required_parameters,
            validate_parameters: request.validate_parameters,
            body_schema: request.body_schema,
            integration,
        })
    }

    /// The method's resource path and verb, checked, and its place in the
    /// route tree; the path's parts, for the path variables a mapping may
    /// read.
    fn route(
        &mut self,
        method: &crate::model::Method,
        verb: &str,
        place: &str,
        routes: &mut RouteTree,
        index: usize,
    ) -> Option<Vec<PathPart>> {
        let parts = match parse_resource_path(&method.resource_path) {
            Ok(p) => p,
            Err(e) => {
                self.c.push(place, e);
                return None;
            }
        };
        const VERBS: [&str; 8] = [
            "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY",
        ];
        if !VERBS.contains(&verb) {
            self.c.push(
                place,
                format!(
                    "Invalid HttpMethod specified: {verb} (use one of {})",
                    VERBS.join(", ")
                ),
            );
            return None;
        }
        if let Err(e) = routes.insert(&parts, verb, index) {
            self.c.push(place, e);
            return None;
        }
        Some(parts)
    }

    /// The method request: declared parameters (which are required), and
    /// the request validator's checks.
    fn method_request(
        &mut self,
        method: &'a crate::model::Method,
        place: &str,
    ) -> MethodRequest<'a> {
        let (required_parameters, declared) = self.method_request_parameters(method, place);
        let (validate_parameters, body_schema) = self.request_validator(method, place);
        MethodRequest {
            required_parameters,
            declared,
            validate_parameters,
            body_schema,
        }
    }

    /// `method.request.{path,querystring,header}.NAME` declarations: every
    /// declared name, and the required ones sorted by full name (the order
    /// AWS lists missing parameters in).
    fn method_request_parameters(
        &mut self,
        method: &'a crate::model::Method,
        place: &str,
    ) -> (Vec<(Location, String)>, HashSet<&'a str>) {
        let mut required_parameters = Vec::new();
        let mut declared: HashSet<&str> = HashSet::new();
        for (name, required) in &method.request_parameters {
            let parsed = name.strip_prefix("method.request.").and_then(|rest| {
                let (loc, n) = rest.split_once('.')?;
                let loc = match loc {
                    "path" => Location::Path,
                    "querystring" | "multivaluequerystring" => Location::QueryString,
                    "header" | "multivalueheader" => Location::Header,
                    _ => return None,
                };
                (!n.is_empty()).then(|| (loc, n.to_string()))
            });
            match parsed {
                Some((loc, n)) => {
                    declared.insert(name.as_str());
                    if *required {
                        required_parameters.push((name.clone(), loc, n));
                    }
                }
                None => self.c.push(place, mapping::invalid_parameter(name)),
            }
        }
        required_parameters.sort_by(|a, b| a.0.cmp(&b.0));
        let required_parameters = required_parameters
            .into_iter()
            .map(|(_, loc, n)| (loc, n))
            .collect();
        (required_parameters, declared)
    }

    /// The request validator: whether it checks parameters, and the body's
    /// compiled JSON Schema when it checks bodies. Request models are
    /// checked to exist even when no validator reads them, as AWS does at
    /// deployment.
    fn request_validator(
        &mut self,
        method: &crate::model::Method,
        place: &str,
    ) -> (bool, Option<jsonschema::Validator>) {
        let validator = match method.request_validator.as_deref() {
            None | Some("") => None,
            Some(name) => match self.validators.get(name) {
                Some(v) => Some(*v),
                None => {
                    self.c.push(
                        place,
                        format!("Invalid Request Validator identifier specified: {name} (no RequestValidator has that name)"),
                    );
                    None
                }
            },
        };
        let validate_parameters = validator.is_some_and(|v| v.validate_request_parameters);
        let body_schema = if validator.is_some_and(|v| v.validate_request_body) {
            let model_name = method
                .request_models
                .get("application/json")
                .or_else(|| method.request_models.get("$default"))
                .map(String::as_str)
                .unwrap_or("Empty");
            compile_model(&mut self.c, place, &self.api_id, model_name, &self.models)
        } else {
            for model_name in method.request_models.values() {
                if model_name != "Empty"
                    && model_name != "Error"
                    && !self.models.contains_key(model_name.as_str())
                {
                    self.c.push(
                        place,
                        format!("Invalid model identifier specified: {model_name}"),
                    );
                }
            }
            None
        };
        (validate_parameters, body_schema)
    }

    /// The method responses: status → the header names (lower-cased) each
    /// declares, which integration responses may map and nothing else.
    fn method_responses(
        &mut self,
        method: &crate::model::Method,
        place: &str,
    ) -> HashMap<u16, HashSet<String>> {
        let mut method_responses: HashMap<u16, HashSet<String>> = HashMap::new();
        for mr in &method.method_responses {
            let Some(status) = status_code(&mut self.c, place, &mr.status_code) else {
                continue;
            };
            let mut headers = HashSet::new();
            for name in mr.response_parameters.keys() {
                match name.strip_prefix("method.response.header.") {
                    Some(h) if !h.is_empty() => {
                        headers.insert(h.to_ascii_lowercase());
                    }
                    _ => self.c.push(place, mapping::invalid_parameter(name)),
                }
            }
            if method_responses.insert(status, headers).is_some() {
                self.c
                    .push(place, format!("Method response {status} is declared twice"));
            }
        }
        method_responses
    }

    /// The integration: its backend, timeout, request templates and
    /// parameters, and its responses.
    fn integration(
        &mut self,
        integration: &crate::model::Integration,
        place: &str,
        request: &MethodRequest<'_>,
        parts: &[PathPart],
        method_responses: &HashMap<u16, HashSet<String>>,
    ) -> CompiledIntegration {
        self.backend(integration, place);
        let timeout_ms = integration.timeout_in_millis.unwrap_or(DEFAULT_TIMEOUT_MS);
        if !(50..=DEFAULT_TIMEOUT_MS).contains(&timeout_ms) {
            self.c.push(
                place,
                format!(
                    "Timeout should be between 50 ms and 29000 ms (TimeoutInMillis is {timeout_ms})"
                ),
            );
        }
        let request_templates = compile_templates(
            &mut self.c,
            &self.engine,
            place,
            "integration request",
            &integration.request_templates,
        );
        let request_parameters =
            self.integration_request_parameters(integration, place, &request.declared, parts);
        let responses =
            self.integration_responses(&integration.integration_responses, place, method_responses);
        CompiledIntegration {
            kind: integration.kind,
            function: integration.function.clone(),
            uri: integration.uri.clone(),
            http_method: integration.integration_http_method.clone(),
            has_templates: !integration.request_templates.is_empty(),
            request_templates,
            request_parameters,
            passthrough: integration.passthrough_behavior.unwrap_or_default(),
            content_handling: integration.content_handling,
            timeout_ms,
            responses,
        }
    }

    /// What the integration calls, checked for its type: a Lambda function
    /// of this API (the only AWS service emulated), an http(s) URL, or
    /// nothing for MOCK.
    fn backend(&mut self, integration: &crate::model::Integration, place: &str) {
        let kind = integration.kind;
        let function = &integration.function;
        match kind {
            IntegrationType::Aws | IntegrationType::AwsProxy => {
                let lambda = integration
                    .uri
                    .as_deref()
                    .is_none_or(|u| u.contains(":lambda:path/"));
                if !lambda {
                    self.c.push(
                        place,
                        format!(
                            "AWS service integrations other than Lambda are not supported locally (Uri {})",
                            integration.uri.as_deref().unwrap_or("")
                        ),
                    );
                } else if function.is_none() {
                    self.c.push(
                        place,
                        format!(
                            "the {} integration's Uri does not name a Lambda function of this template ({})",
                            kind.as_str(),
                            integration.uri.as_deref().unwrap_or("no Uri")
                        ),
                    );
                } else if let Some(f) = function
                    && !self.api.functions.contains_key(f)
                {
                    self.c.push(
                        place,
                        format!(
                            "the integration invokes `{f}`, which is not a function of this API"
                        ),
                    );
                }
                if kind == IntegrationType::AwsProxy
                    && integration
                        .integration_http_method
                        .as_deref()
                        .is_some_and(|m| !m.eq_ignore_ascii_case("POST"))
                {
                    self.c.push(
                        place,
                        "The 'AWS_PROXY' integration can only be used with the POST integration method (set IntegrationHttpMethod: POST)",
                    );
                }
            }
            IntegrationType::Http | IntegrationType::HttpProxy => {
                let ok = integration
                    .uri
                    .as_deref()
                    .is_some_and(|u| u.starts_with("http://") || u.starts_with("https://"));
                if !ok {
                    self.c.push(
                        place,
                        format!(
                            "Invalid HTTP endpoint specified for URI: {} (use an http:// or https:// URL)",
                            integration.uri.as_deref().unwrap_or("(none)")
                        ),
                    );
                }
            }
            IntegrationType::Mock => {}
        }
    }

    /// `RequestParameters`: each destination parsed, each source parsed
    /// and, when it reads a method request parameter, checked to be
    /// declared (or a path variable of the resource, always available).
    fn integration_request_parameters(
        &mut self,
        integration: &crate::model::Integration,
        place: &str,
        declared: &HashSet<&str>,
        parts: &[PathPart],
    ) -> Vec<(Location, String, Source)> {
        let mut request_parameters = Vec::new();
        for (dest, expr) in &integration.request_parameters {
            let dest = match mapping::parse_destination(Side::IntegrationRequest, dest) {
                Ok(d) => d,
                Err(e) => {
                    self.c.push(place, e);
                    continue;
                }
            };
            match mapping::parse_source(Side::IntegrationRequest, expr) {
                Ok(source) => {
                    if let Some(param) = source.method_request_parameter()
                        && !declared.contains(param.as_str())
                        && !declared_multi(declared, &param)
                        && !is_path_variable(parts, &source)
                    {
                        self.c.push(place, mapping::invalid_parameter(&param));
                        continue;
                    }
                    request_parameters.push((dest.0, dest.1, source));
                }
                Err(e) => self.c.push(place, e),
            }
        }
        request_parameters
    }

    /// The integration responses, in order; at most one may be the default
    /// (no `SelectionPattern`).
    fn integration_responses(
        &mut self,
        integration_responses: &[crate::model::IntegrationResponse],
        place: &str,
        method_responses: &HashMap<u16, HashSet<String>>,
    ) -> Vec<CompiledIntegrationResponse> {
        let responses: Vec<CompiledIntegrationResponse> = integration_responses
            .iter()
            .filter_map(|ir| self.integration_response(ir, place, method_responses))
            .collect();
        let defaults = responses.iter().filter(|r| r.pattern.is_none()).count();
        if defaults > 1 {
            self.c.push(
                place,
                "more than one integration response has no SelectionPattern; only one default response is allowed",
            );
        }
        responses
    }

    /// One integration response: its status must be a method response's;
    /// its selection pattern compiles as a whole-string Java regex; its
    /// header mappings may only reach headers that method response
    /// declares (AWS checks this at deployment).
    fn integration_response(
        &mut self,
        ir: &crate::model::IntegrationResponse,
        place: &str,
        method_responses: &HashMap<u16, HashSet<String>>,
    ) -> Option<CompiledIntegrationResponse> {
        let status = status_code(&mut self.c, place, &ir.status_code)?;
        let rplace = format!("{place} integration response {status}");
        let Some(declared_headers) = method_responses.get(&status) else {
            self.c.push(
                &rplace,
                format!("Invalid Response status code specified: there is no method response {status} (add it to MethodResponses)"),
            );
            return None;
        };
        let pattern = match ir.selection_pattern.as_deref() {
            None | Some("") => None,
            Some(p) => match phalanx_vtl::java_regex_whole_match(p) {
                Ok(r) => Some(SelectionPattern::new(r)),
                Err(e) => {
                    self.c
                        .push(&rplace, format!("Invalid selection pattern specified: {e}"));
                    return None;
                }
            },
        };
        let mut response_parameters = Vec::new();
        for (dest, expr) in &ir.response_parameters {
            let header = match mapping::parse_destination(Side::IntegrationResponse, dest) {
                Ok((_, h)) => h,
                Err(e) => {
                    self.c.push(&rplace, e);
                    continue;
                }
            };
            if !declared_headers.contains(&header.to_ascii_lowercase()) {
                self.c.push(
                    &rplace,
                    format!(
                        "{} (declare {dest} in the {status} method response's ResponseParameters)",
                        mapping::invalid_parameter(dest)
                    ),
                );
                continue;
            }
            match mapping::parse_source(Side::IntegrationResponse, expr) {
                Ok(source) => response_parameters.push((header, source)),
                Err(e) => self.c.push(&rplace, e),
            }
        }
        let templates = compile_templates(
            &mut self.c,
            &self.engine,
            &rplace,
            "integration response",
            &ir.response_templates,
        );
        Some(CompiledIntegrationResponse {
            status,
            pattern,
            response_parameters,
            templates,
            content_handling: ir.content_handling,
        })
    }

    /// The API's gateway response customisations, by type.
    fn gateway_responses(&mut self) -> HashMap<ResponseType, CompiledGatewayResponse> {
        let mut gateway_responses = HashMap::new();
        for gr in &self.api.gateway_responses {
            if let Some((kind, compiled)) = self.gateway_response(gr) {
                gateway_responses.insert(kind, compiled);
            }
        }
        gateway_responses
    }

    /// One gateway response customisation: a known type, an optional
    /// status, header mappings and templates.
    fn gateway_response(
        &mut self,
        gr: &crate::model::GatewayResponse,
    ) -> Option<(ResponseType, CompiledGatewayResponse)> {
        let place = format!("gateway response {}", gr.response_type);
        let Some(kind) = ResponseType::from_name(&gr.response_type) else {
            self.c.push(
                &place,
                format!("Invalid ResponseType specified: {} (use one of DEFAULT_4XX, DEFAULT_5XX, MISSING_AUTHENTICATION_TOKEN, …)", gr.response_type),
            );
            return None;
        };
        let status = gr
            .status_code
            .as_deref()
            .and_then(|s| status_code(&mut self.c, &place, s));
        let mut response_parameters = Vec::new();
        for (dest, expr) in &gr.response_parameters {
            match (
                mapping::parse_destination(Side::GatewayResponse, dest),
                mapping::parse_source(Side::GatewayResponse, expr),
            ) {
                (Ok((_, header)), Ok(source)) => response_parameters.push((header, source)),
                (Err(e), _) | (_, Err(e)) => self.c.push(&place, e),
            }
        }
        let templates = compile_templates(
            &mut self.c,
            &self.engine,
            &place,
            "gateway response",
            &gr.response_templates,
        );
        Some((
            kind,
            CompiledGatewayResponse {
                status,
                response_parameters,
                templates,
            },
        ))
    }
}

/// The stage's API keys: enabled keys of a usage plan that covers the
/// stage, value → key name.
fn stage_api_keys(api: &RestApi, stage_name: &str) -> HashMap<String, String> {
    api.api_keys
        .iter()
        .filter(|k| k.enabled && k.stages.iter().any(|s| s == stage_name))
        .map(|k| (k.value.clone(), k.name.clone()))
        .collect()
}

fn declared_multi(declared: &HashSet<&str>, param: &str) -> bool {
    let alt = param
        .replacen(
            "method.request.querystring.",
            "method.request.multivaluequerystring.",
            1,
        )
        .replacen(
            "method.request.header.",
            "method.request.multivalueheader.",
            1,
        );
    declared.contains(alt.as_str())
}

/// `method.request.path.X` is available for every `{X}` of the resource
/// path even when not declared.
fn is_path_variable(parts: &[PathPart], source: &Source) -> bool {
    match source {
        Source::MethodRequest(Location::Path, name) => parts
            .iter()
            .any(|p| matches!(p, PathPart::Variable(n) | PathPart::Greedy(n) if n == name)),
        _ => false,
    }
}

/// The built-in `Empty` model accepts any JSON (AWS: `{"type": "object"}`
/// in draft 4 terms; LocalStack validates an empty body as `{}`).
fn compile_model(
    c: &mut Collector,
    place: &str,
    api_id: &str,
    name: &str,
    models: &HashMap<&str, &crate::model::Model>,
) -> Option<jsonschema::Validator> {
    let schema = match models.get(name) {
        Some(m) => m.schema.clone(),
        None if name == "Empty" => {
            serde_json::json!({"$schema": "http://json-schema.org/draft-04/schema#", "title": "Empty Schema", "type": "object"})
        }
        None => {
            c.push(place, format!("Invalid model identifier specified: {name}"));
            return None;
        }
    };
    // `$ref`s to other models use AWS's URL form; they are served from
    // memory, never fetched.
    let schemas = models
        .iter()
        .map(|(other, model)| {
            (
                format!("https://apigateway.amazonaws.com/restapis/{api_id}/models/{other}"),
                model.schema.clone(),
            )
        })
        .collect();
    let options = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .with_retriever(ModelRetriever { schemas });
    match options.build(&schema) {
        Ok(v) => Some(v),
        Err(e) => {
            c.push(
                place,
                format!("model {name} is not a valid JSON Schema draft 4: {e}"),
            );
            None
        }
    }
}

/// Serves the API's models to `$ref`s in AWS's model URL form.
struct ModelRetriever {
    schemas: HashMap<String, serde_json::Value>,
}

impl jsonschema::Retrieve for ModelRetriever {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
        self.schemas.get(uri.as_str()).cloned().ok_or_else(|| {
            format!(
                "no model at {uri} (references to models look like https://apigateway.amazonaws.com/restapis/API_ID/models/NAME)"
            )
            .into()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::SelectionPattern;

    fn pattern(p: &str) -> SelectionPattern {
        SelectionPattern::new(phalanx_vtl::java_regex_whole_match(p).expect("a valid pattern"))
    }

    #[test]
    fn the_empty_selection_value_gets_the_answer_the_regex_gives() {
        // The answer for "" is computed once; it must be the regex's own.
        assert!(pattern(".*").is_match(""));
        assert!(pattern("(4\\d{2})?").is_match(""));
        assert!(!pattern(".*\"code\":4\\d{2}.*").is_match(""));
        assert!(!pattern(".+").is_match(""));
        // Other values still go to the regex, whole-string.
        assert!(pattern(".+").is_match("x"));
        assert!(!pattern("4\\d{2}").is_match("4000"));
    }
}
