//! [`Api`]: the REST API — resources, methods and everything the seed's
//! seven steps configure — built into the gateway's model.

use crate::auth::{ApiKeySource, Authorizer, UsagePlan};
use crate::envelope::{
    ERROR_CODES, ErrorResponse, default_request_templates, error_template, response_template,
};
use crate::function::Function;
use http::{Method, StatusCode};
use phalanx_gateway::model;

/// The name of the request validator [`MethodSpec::request_body`] adds:
/// it checks the body only.
pub const BODY_VALIDATOR: &str = "body";

/// The Lambda invocation URI of a function by logical id (the region and
/// account are placeholders: the export writes a `Fn::Sub` of the
/// function's ARN, and locally `function` is what is invoked).
pub(crate) fn lambda_invocation_uri(function: &str) -> String {
    format!(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{function}/invocations"
    )
}

/// A REST API under construction.
///
/// ```
/// use phalanx::{Api, Context, Function};
/// use http::{Method, StatusCode};
///
/// let hello = Function::new("hello", |e: serde_json::Value, _: Context| async move {
///     Ok::<_, std::convert::Infallible>(e)
/// });
/// let mut api = Api::new("greetings").stage("dev");
/// let get = api.resource("/hello/{name}", &hello).method(Method::GET, StatusCode::OK);
/// get.request_parameter("method.request.querystring.lang", false);
/// assert_eq!(api.routes(), vec!["GET /hello/{name}".to_string()]);
/// ```
#[derive(Debug, Clone)]
pub struct Api {
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) stage: model::Stage,
    pub(crate) resources: Vec<Resource>,
    pub(crate) binary_media_types: Vec<String>,
    pub(crate) endpoint_type: String,
    pub(crate) request_validators: Vec<model::RequestValidator>,
    pub(crate) cors: Option<Cors>,
    pub(crate) usage_plans: Vec<UsagePlan>,
    pub(crate) api_key_source: Option<ApiKeySource>,
}

/// CORS for every resource: an `OPTIONS` method (a MOCK integration, as the
/// API Gateway console's "Enable CORS" creates) answering the preflight,
/// and `Access-Control-Allow-Origin` on every method's responses.
///
/// ```
/// use phalanx::api::Cors;
/// let cors = Cors::default().allow_origin("https://example.com").max_age(600);
/// assert_eq!(cors.allow_headers, "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    /// `Access-Control-Allow-Origin` (default `*`).
    pub allow_origin: String,
    /// `Access-Control-Allow-Headers` (default: the console's list).
    pub allow_headers: String,
    /// `Access-Control-Allow-Methods` (default: the resource's methods and
    /// `OPTIONS`).
    pub allow_methods: Option<String>,
    /// `Access-Control-Max-Age`, seconds.
    pub max_age: Option<u32>,
}

impl Default for Cors {
    fn default() -> Cors {
        Cors {
            allow_origin: "*".to_string(),
            allow_headers: "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token"
                .to_string(),
            allow_methods: None,
            max_age: None,
        }
    }
}

impl Cors {
    /// A specific origin.
    pub fn allow_origin(mut self, origin: &str) -> Cors {
        self.allow_origin = origin.to_string();
        self
    }

    /// The allowed request headers, comma-separated.
    pub fn allow_headers(mut self, headers: &str) -> Cors {
        self.allow_headers = headers.to_string();
        self
    }

    /// The allowed methods, comma-separated.
    pub fn allow_methods(mut self, methods: &str) -> Cors {
        self.allow_methods = Some(methods.to_string());
        self
    }

    /// How long browsers may cache the preflight.
    pub fn max_age(mut self, seconds: u32) -> Cors {
        self.max_age = Some(seconds);
        self
    }
}

/// A literal for a mapping expression: `'value'`.
fn literal(value: &str) -> String {
    format!("'{value}'")
}

impl Cors {
    /// The preflight method of a resource whose methods are `verbs`.
    fn options_method(&self, path: &str, verbs: &[String]) -> model::Method {
        let methods = self.allow_methods.clone().unwrap_or_else(|| {
            let mut all: Vec<String> = verbs.to_vec();
            all.push("OPTIONS".to_string());
            all.join(",")
        });
        let mut headers = vec![
            ("Access-Control-Allow-Origin", literal(&self.allow_origin)),
            ("Access-Control-Allow-Headers", literal(&self.allow_headers)),
            ("Access-Control-Allow-Methods", literal(&methods)),
        ];
        if let Some(age) = self.max_age {
            headers.push(("Access-Control-Max-Age", literal(&age.to_string())));
        }
        model::Method {
            resource_path: path.to_string(),
            http_method: "OPTIONS".to_string(),
            authorization_type: Some("NONE".to_string()),
            method_responses: vec![model::MethodResponse {
                status_code: "200".to_string(),
                response_parameters: headers
                    .iter()
                    .map(|(h, _)| (format!("method.response.header.{h}"), false))
                    .collect(),
                ..model::MethodResponse::default()
            }],
            integration: Some(model::Integration {
                kind: model::IntegrationType::Mock,
                request_templates: [(
                    "application/json".to_string(),
                    "{\"statusCode\": 200}".to_string(),
                )]
                .into_iter()
                .collect(),
                passthrough_behavior: Some(model::PassthroughBehavior::WhenNoMatch),
                integration_responses: vec![model::IntegrationResponse {
                    status_code: "200".to_string(),
                    response_parameters: headers
                        .iter()
                        .map(|(h, v)| (format!("method.response.header.{h}"), v.clone()))
                        .collect(),
                    response_templates: [("application/json".to_string(), String::new())]
                        .into_iter()
                        .collect(),
                    ..model::IntegrationResponse::default()
                }],
                ..model::Integration::default()
            }),
            ..model::Method::default()
        }
    }

    /// Adds `Access-Control-Allow-Origin` to every response of `method`.
    fn allow_origin_on(&self, method: &mut model::Method) {
        let header = "method.response.header.Access-Control-Allow-Origin".to_string();
        for r in &mut method.method_responses {
            r.response_parameters.insert(header.clone(), false);
        }
        if let Some(i) = &mut method.integration {
            for r in &mut i.integration_responses {
                r.response_parameters
                    .insert(header.clone(), literal(&self.allow_origin));
            }
        }
    }
}

/// A resource path bound to the function its methods invoke.
#[derive(Debug, Clone)]
pub struct Resource {
    pub(crate) path: String,
    pub(crate) function: String,
    pub(crate) methods: Vec<MethodSpec>,
}

/// One method: everything the seed lists for it — method request
/// parameters, integration request templates, integration responses,
/// method responses. Starts with Phalanx's defaults (envelope templates,
/// the success response, one error response per [`ERROR_CODES`] code).
#[derive(Debug, Clone)]
pub struct MethodSpec {
    pub(crate) method: model::Method,
    /// The method's authorizer, carried so the API (and the service) get
    /// it and its function without a separate registration.
    pub(crate) authorizer: Option<Authorizer>,
    /// Models derived by [`MethodSpec::request_body`].
    pub(crate) models: Vec<model::Model>,
}

impl Api {
    /// An API named `name`, with a `dev` stage.
    pub fn new(name: &str) -> Api {
        Api {
            name: name.to_string(),
            description: None,
            stage: model::Stage {
                stage_name: "dev".to_string(),
                ..model::Stage::default()
            },
            resources: Vec::new(),
            binary_media_types: Vec::new(),
            endpoint_type: "REGIONAL".to_string(),
            request_validators: Vec::new(),
            cors: None,
            usage_plans: Vec::new(),
            api_key_source: None,
        }
    }

    /// A description.
    pub fn description(mut self, description: &str) -> Api {
        self.description = Some(description.to_string());
        self
    }

    /// The stage's name.
    pub fn stage(mut self, name: &str) -> Api {
        self.stage.stage_name = name.to_string();
        self
    }

    /// A stage variable (`$stageVariables.NAME`).
    pub fn stage_variable(mut self, name: &str, value: &str) -> Api {
        self.stage
            .variables
            .insert(name.to_string(), value.to_string());
        self
    }

    /// A media type treated as binary.
    pub fn binary_media_type(mut self, media_type: &str) -> Api {
        self.binary_media_types.push(media_type.to_string());
        self
    }

    /// A request validator methods can name (`MethodSpec::request_validator`):
    /// it checks required parameters, the body against the method's model,
    /// or both.
    pub fn request_validator(mut self, name: &str, body: bool, parameters: bool) -> Api {
        self.request_validators.push(model::RequestValidator {
            name: name.to_string(),
            validate_request_body: body,
            validate_request_parameters: parameters,
        });
        self
    }

    /// CORS on every resource ([`Cors::default`] allows any origin).
    pub fn cors(mut self, cors: Cors) -> Api {
        self.cors = Some(cors);
        self
    }

    /// A usage plan over the API's stage, with its keys.
    pub fn usage_plan(mut self, plan: UsagePlan) -> Api {
        self.usage_plans.push(plan);
        self
    }

    /// Throttles every caller of the stage together (the stage's
    /// `MethodSettings` for `/*` `*`): `rate` requests a second on
    /// average, `burst` at once; beyond it, 429. Usage plans throttle
    /// each key apart.
    pub fn stage_throttle(self, rate: f64, burst: u64) -> Api {
        self.method_setting("/*", "*", rate, burst)
    }

    /// Throttles every caller of one method of the stage (`path` as
    /// declared, e.g. `/items/{id}`), in place of the stage's throttle.
    ///
    /// ```
    /// use phalanx::{Api, Method};
    /// let api = Api::new("a").stage_throttle(100.0, 200).method_throttle("/items", Method::POST, 5.0, 10);
    /// # let _ = api;
    /// ```
    pub fn method_throttle(self, path: &str, method: Method, rate: f64, burst: u64) -> Api {
        self.method_setting(path, method.as_str(), rate, burst)
    }

    fn method_setting(mut self, path: &str, method: &str, rate: f64, burst: u64) -> Api {
        let settings = &mut self.stage.method_settings;
        settings.retain(|s| !(s.resource_path == path && s.http_method == method));
        settings.push(model::MethodSetting {
            resource_path: path.to_string(),
            http_method: method.to_string(),
            throttling_rate_limit: Some(rate),
            throttling_burst_limit: Some(burst),
        });
        self
    }

    /// Where API keys come from (AWS's default: the `x-api-key` header).
    pub fn api_key_source(mut self, source: ApiKeySource) -> Api {
        self.api_key_source = Some(source);
        self
    }

    /// Every authorizer a method uses, once each, in the order methods
    /// first use them.
    pub fn authorizers(&self) -> Vec<&Authorizer> {
        let mut out: Vec<&Authorizer> = Vec::new();
        for m in self.resources.iter().flat_map(|r| &r.methods) {
            if let Some(a) = &m.authorizer
                && !out.iter().any(|o| o.name() == a.name())
            {
                out.push(a);
            }
        }
        out
    }

    /// `EDGE`, `REGIONAL` (default) or `PRIVATE`.
    pub fn endpoint_type(mut self, endpoint_type: &str) -> Api {
        self.endpoint_type = endpoint_type.to_string();
        self
    }

    /// The resource at `path` (intermediate path parts are created when
    /// the API is built), whose methods invoke `function`.
    pub fn resource(&mut self, path: &str, function: &Function) -> &mut Resource {
        self.resources.push(Resource {
            path: path.to_string(),
            function: function.logical_id(),
            methods: Vec::new(),
        });
        let last = self.resources.len() - 1;
        &mut self.resources[last]
    }

    /// Every route, `METHOD /path`.
    pub fn routes(&self) -> Vec<String> {
        self.resources
            .iter()
            .flat_map(|r| {
                r.methods
                    .iter()
                    .map(move |m| format!("{} {}", m.method.http_method, r.path))
            })
            .collect()
    }

    /// The gateway model (functions are filled in by [`crate::Service`]).
    pub(crate) fn to_model(&self) -> model::RestApi {
        let mut methods = Vec::new();
        let mut models: Vec<model::Model> = Vec::new();
        // One preflight per path, even when several resources share it.
        let mut preflights = std::collections::HashSet::new();
        for r in &self.resources {
            for m in &r.methods {
                let mut method = m.method.clone();
                for derived in &m.models {
                    // Two types may share a name (from different modules):
                    // the second gets a number, and this method names it.
                    let mut name = derived.name.clone();
                    let mut n = 1;
                    while let Some(known) = models.iter().find(|k: &&model::Model| k.name == name) {
                        if known.schema == derived.schema {
                            break;
                        }
                        n += 1;
                        name = format!("{}{n}", derived.name);
                    }
                    if !models.iter().any(|k| k.name == name) {
                        models.push(model::Model {
                            name: name.clone(),
                            ..derived.clone()
                        });
                    }
                    for named in method.request_models.values_mut() {
                        if *named == derived.name {
                            named.clone_from(&name);
                        }
                    }
                }
                if let Some(cors) = &self.cors {
                    cors.allow_origin_on(&mut method);
                }
                methods.push(method);
            }
            let declares_options = self
                .resources
                .iter()
                .filter(|other| other.path == r.path)
                .any(|other| {
                    other
                        .methods
                        .iter()
                        .any(|m| m.method.http_method == "OPTIONS")
                });
            if let Some(cors) = &self.cors
                && !declares_options
                && preflights.insert(r.path.clone())
            {
                let verbs: Vec<String> = self
                    .resources
                    .iter()
                    .filter(|other| other.path == r.path)
                    .flat_map(|other| other.methods.iter().map(|m| m.method.http_method.clone()))
                    .collect();
                methods.push(cors.options_method(&r.path, &verbs));
            }
        }
        let mut request_validators = self.request_validators.clone();
        for m in self.resources.iter().flat_map(|r| &r.methods) {
            if m.method.request_validator.as_deref() == Some(BODY_VALIDATOR)
                && !request_validators.iter().any(|v| v.name == BODY_VALIDATOR)
            {
                request_validators.push(model::RequestValidator {
                    name: BODY_VALIDATOR.to_string(),
                    validate_request_body: true,
                    validate_request_parameters: false,
                });
            }
        }
        let stage = self.stage.stage_name.clone();
        let mut api_keys: Vec<model::ApiKey> = Vec::new();
        let mut usage_plans = Vec::new();
        for plan in &self.usage_plans {
            for key in &plan.keys {
                match api_keys.iter_mut().find(|k| k.name == key.name) {
                    Some(known) => {
                        if !known.stages.contains(&stage) {
                            known.stages.push(stage.clone());
                        }
                    }
                    None => api_keys.push(model::ApiKey {
                        name: key.name.clone(),
                        value: key.value.clone(),
                        enabled: key.enabled,
                        stages: vec![stage.clone()],
                    }),
                }
            }
            usage_plans.push(model::UsagePlan {
                name: plan.name.clone(),
                api_stages: vec![model::UsagePlanStage {
                    stage: stage.clone(),
                    throttle: plan.method_throttles.clone(),
                }],
                throttle: plan.throttle.clone(),
                quota: plan.quota.clone(),
                api_keys: plan.keys.iter().map(|k| k.name.clone()).collect(),
            });
        }
        model::RestApi {
            name: self.name.clone(),
            description: self.description.clone(),
            binary_media_types: self.binary_media_types.clone(),
            methods,
            models,
            request_validators,
            stages: vec![self.stage.clone()],
            api_keys,
            authorizers: self
                .authorizers()
                .into_iter()
                .map(|a| a.model.clone())
                .collect(),
            usage_plans,
            api_key_source_type: self.api_key_source.map(|s| s.as_str().to_string()),
            ..model::RestApi::default()
        }
    }
}

impl Resource {
    /// A method answering `status` on success, invoking the resource's
    /// function through a Lambda (non-proxy) integration with Phalanx's
    /// envelope templates.
    pub fn method(&mut self, method: Method, status: StatusCode) -> &mut MethodSpec {
        let success = status.as_u16().to_string();
        let mut method_responses = vec![model::MethodResponse {
            status_code: success.clone(),
            ..model::MethodResponse::default()
        }];
        let mut integration_responses = vec![model::IntegrationResponse {
            status_code: success,
            response_templates: [("application/json".to_string(), response_template())]
                .into_iter()
                .collect(),
            ..model::IntegrationResponse::default()
        }];
        for code in ERROR_CODES {
            if code == status.as_u16() {
                continue;
            }
            method_responses.push(model::MethodResponse {
                status_code: code.to_string(),
                ..model::MethodResponse::default()
            });
            integration_responses.push(model::IntegrationResponse {
                status_code: code.to_string(),
                selection_pattern: Some(ErrorResponse::selection_pattern(code)),
                response_templates: [("application/json".to_string(), error_template(code))]
                    .into_iter()
                    .collect(),
                ..model::IntegrationResponse::default()
            });
        }
        let function_uri = lambda_invocation_uri(&self.function);
        self.methods.push(MethodSpec {
            method: model::Method {
                resource_path: self.path.clone(),
                http_method: method.as_str().to_string(),
                authorization_type: Some("NONE".to_string()),
                method_responses,
                integration: Some(model::Integration {
                    kind: model::IntegrationType::Aws,
                    uri: Some(function_uri),
                    function: Some(self.function.clone()),
                    integration_http_method: Some("POST".to_string()),
                    request_templates: default_request_templates().into_iter().collect(),
                    passthrough_behavior: Some(model::PassthroughBehavior::WhenNoTemplates),
                    integration_responses,
                    ..model::Integration::default()
                }),
                ..model::Method::default()
            },
            authorizer: None,
            models: Vec::new(),
        });
        let last = self.methods.len() - 1;
        &mut self.methods[last]
    }
}

impl MethodSpec {
    fn integration(&mut self) -> &mut model::Integration {
        self.method
            .integration
            .get_or_insert_with(model::Integration::default)
    }

    /// Declares a method request parameter, e.g.
    /// `method.request.querystring.keyName`, required or not.
    pub fn request_parameter(&mut self, name: &str, required: bool) -> &mut MethodSpec {
        self.method
            .request_parameters
            .insert(name.to_string(), required);
        self
    }

    /// Replaces (or adds) the integration request template for a content
    /// type.
    pub fn request_template(&mut self, content_type: &str, template: &str) -> &mut MethodSpec {
        self.integration()
            .request_templates
            .insert(content_type.to_string(), template.to_string());
        self
    }

    /// Declares a header on the method response for `status` (creating
    /// that method response if needed), e.g. `Location`.
    pub fn response_header(&mut self, status: StatusCode, header: &str) -> &mut MethodSpec {
        let code = status.as_u16().to_string();
        let responses = &mut self.method.method_responses;
        let index = match responses.iter().position(|r| r.status_code == code) {
            Some(i) => i,
            None => {
                responses.push(model::MethodResponse {
                    status_code: code,
                    ..model::MethodResponse::default()
                });
                responses.len() - 1
            }
        };
        responses[index]
            .response_parameters
            .insert(format!("method.response.header.{header}"), true);
        self
    }

    /// The integration response for `status` (created, as a default
    /// response, if needed), to set its selection pattern, response
    /// parameters or templates.
    pub fn integration_response(&mut self, status: StatusCode) -> &mut model::IntegrationResponse {
        let code = status.as_u16().to_string();
        let responses = &mut self.integration().integration_responses;
        let index = match responses.iter().position(|r| r.status_code == code) {
            Some(i) => i,
            None => {
                responses.push(model::IntegrationResponse {
                    status_code: code,
                    ..model::IntegrationResponse::default()
                });
                responses.len() - 1
            }
        };
        &mut responses[index]
    }

    /// Maps a method response header from an expression, on the
    /// integration response for `status`: e.g. `Location` ←
    /// `integration.response.body.location` (the seed's example).
    pub fn map_response_header(
        &mut self,
        status: StatusCode,
        header: &str,
        expression: &str,
    ) -> &mut MethodSpec {
        self.integration_response(status)
            .response_parameters
            .insert(
                format!("method.response.header.{header}"),
                expression.to_string(),
            );
        self
    }

    /// Checks requests with the API's validator `name`
    /// ([`Api::request_validator`]).
    pub fn request_validator(&mut self, name: &str) -> &mut MethodSpec {
        self.method.request_validator = Some(name.to_string());
        self
    }

    /// Requires an API key (`x-api-key`, or the authorizer's
    /// `usageIdentifierKey` with [`ApiKeySource::Authorizer`]) of a usage
    /// plan covering the stage: without one, 403.
    pub fn api_key_required(&mut self) -> &mut MethodSpec {
        self.method.api_key_required = true;
        self
    }

    /// Guards the method with `authorizer`: `CUSTOM` for a Lambda
    /// authorizer, `COGNITO_USER_POOLS` for a Cognito one. The authorizer
    /// (and its function) become part of the API and the service.
    ///
    /// ```
    /// use phalanx::auth::{self, Authorizer, TokenEvent};
    /// use phalanx::{Api, Context, Function, Method, StatusCode};
    ///
    /// let check = Authorizer::token("check", |e: TokenEvent, _: Context| async move {
    ///     Ok::<_, &str>(auth::allow("me", &e.method_arn.unwrap_or_default()))
    /// });
    /// let users = Authorizer::cognito("users", ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf"]);
    /// let f = Function::new("f", |e: serde_json::Value, _: Context| async move {
    ///     Ok::<_, std::convert::Infallible>(e)
    /// });
    /// let mut api = Api::new("a");
    /// let r = api.resource("/things", &f);
    /// r.method(Method::GET, StatusCode::OK).authorizer(&check);
    /// r.method(Method::POST, StatusCode::CREATED)
    ///     .authorizer(&users)
    ///     .authorization_scopes(["things/write"]);
    /// r.method(Method::DELETE, StatusCode::OK).iam_auth();
    /// assert_eq!(api.authorizers().len(), 2);
    /// ```
    pub fn authorizer(&mut self, authorizer: &Authorizer) -> &mut MethodSpec {
        self.method.authorization_type = Some(
            match authorizer.model.kind {
                model::AuthorizerType::CognitoUserPools => "COGNITO_USER_POOLS",
                model::AuthorizerType::Token | model::AuthorizerType::Request => "CUSTOM",
            }
            .to_string(),
        );
        self.method.authorizer = Some(authorizer.name().to_string());
        self.authorizer = Some(authorizer.clone());
        self
    }

    /// OAuth scopes an access token of the method's Cognito authorizer
    /// must carry one of (`AuthorizationScopes`); an ID token is then
    /// refused.
    pub fn authorization_scopes<S: Into<String>>(
        &mut self,
        scopes: impl IntoIterator<Item = S>,
    ) -> &mut MethodSpec {
        self.method.authorization_scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Requires requests signed with AWS Signature Version 4 by a
    /// principal whose IAM policy allows `execute-api:Invoke` on the
    /// method (`AWS_IAM`).
    pub fn iam_auth(&mut self) -> &mut MethodSpec {
        self.method.authorization_type = Some("AWS_IAM".to_string());
        self.method.authorizer = None;
        self.authorizer = None;
        self
    }

    /// Declares the JSON body as `T`'s JSON Schema (draft 4, derived with
    /// schemars: `#[derive(JsonSchema)]`), the method's
    /// `application/json` request model, and checks it with the
    /// [`BODY_VALIDATOR`] request validator (unless the method already
    /// names one): a body that does not match is answered 400 `{"message":
    /// "Invalid request body"}` by the gateway, locally and in AWS, before
    /// any function runs. `T` is the handler's body type (the `T` of its
    /// `ApiGatewayRequest<T>`). The derive is re-exported as
    /// [`crate::JsonSchema`]; without a dependency on `schemars` of its
    /// own, a crate points the derive at it with
    /// `#[schemars(crate = "phalanx::schemars")]`.
    ///
    /// ```
    /// use phalanx::{Api, ApiGatewayRequest, Context, Function, JsonSchema, Method, StatusCode};
    ///
    /// #[derive(serde::Deserialize, JsonSchema)]
    /// #[schemars(crate = "phalanx::schemars")]
    /// struct NewItem {
    ///     name: String,
    ///     quantity: u32,
    /// }
    ///
    /// let create = Function::new("create", |r: ApiGatewayRequest<NewItem>, _: Context| async move {
    ///     Ok::<_, std::convert::Infallible>(r.body.name)
    /// });
    /// let mut api = Api::new("items");
    /// api.resource("/items", &create)
    ///     .method(Method::POST, StatusCode::CREATED)
    ///     .request_body::<NewItem>();
    /// let service = phalanx::Service::new("items").function(create).api(api);
    /// let model = service.model();
    /// assert_eq!(model.methods[0].request_models["application/json"], "NewItem");
    /// assert_eq!(model.models[0].schema["$schema"], "http://json-schema.org/draft-04/schema#");
    /// ```
    pub fn request_body<T: schemars::JsonSchema>(&mut self) -> &mut MethodSpec {
        let (name, schema) = crate::schema::draft4_model::<T>();
        self.models.retain(|m| m.name != name);
        self.models.push(model::Model {
            name: name.clone(),
            content_type: Some("application/json".to_string()),
            schema,
        });
        self.method
            .request_models
            .insert("application/json".to_string(), name);
        if self.method.request_validator.is_none() {
            self.method.request_validator = Some(BODY_VALIDATOR.to_string());
        }
        self
    }

    /// The model as it stands (for inspection).
    pub fn model(&self) -> &model::Method {
        &self.method
    }

    /// The model, for anything the helpers above do not cover.
    pub fn model_mut(&mut self) -> &mut model::Method {
        &mut self.method
    }
}
