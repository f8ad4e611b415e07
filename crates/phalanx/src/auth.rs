//! Who may call a method: Lambda authorizers written as Rust functions,
//! Cognito user pool authorizers, API keys and usage plans.
//!
//! A Lambda authorizer is a Lambda function like any other: the same
//! binary serves it in AWS (`PHALANX_FUNCTION` names it) and it runs in
//! process locally. Its event and answer are AWS's own shapes, the types
//! of the `aws_lambda_events` crate: [`TokenEvent`] (`type: TOKEN`, the
//! token and the method's ARN), [`RequestEvent`] (`type: REQUEST`, the
//! request's headers, query string, path and stage variables and
//! context), and [`AuthorizerResponse`] (principal, IAM policy, context,
//! usage identifier key), as the AWS developer guide describes them
//! ("Input to an API Gateway Lambda authorizer", "Output from an API
//! Gateway Lambda authorizer").
//!
//! ```
//! use phalanx::auth::{self, Authorizer, TokenEvent, UsagePlan, ApiKey, QuotaPeriod};
//! use phalanx::{Api, Context, Function, Method, Service, StatusCode};
//!
//! let authorizer = Authorizer::token("check-token", |event: TokenEvent, _: Context| async move {
//!     let arn = event.method_arn.unwrap_or_default();
//!     match event.authorization_token.as_deref() {
//!         Some("allow") => Ok(auth::allow("user-1", &arn)),
//!         Some("deny") => Ok(auth::deny("user-1", &arn)),
//!         // AWS answers 401 when the authorizer fails with "Unauthorized".
//!         _ => Err("Unauthorized"),
//!     }
//! })
//! .ttl(std::time::Duration::from_secs(60));
//!
//! let hello = Function::new("hello", |e: serde_json::Value, _: Context| async move {
//!     Ok::<_, std::convert::Infallible>(e)
//! });
//! let mut api = Api::new("greetings").usage_plan(
//!     UsagePlan::new("basic")
//!         .throttle(10.0, 20)
//!         .quota(1000, QuotaPeriod::Day)
//!         .api_key(ApiKey::new("partner", "partner-key-0123456789abcdef")),
//! );
//! api.resource("/hello", &hello)
//!     .method(Method::GET, StatusCode::OK)
//!     .authorizer(&authorizer)
//!     .api_key_required();
//! let service = Service::new("greetings").function(hello).api(api);
//! assert_eq!(service.model().authorizers[0].name, "check-token");
//! ```

use crate::function::{Context, Function, HandlerError};
use phalanx_gateway::model;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::time::Duration;

pub use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy as Policy, ApiGatewayCustomAuthorizerRequest as TokenEvent,
    ApiGatewayCustomAuthorizerRequestTypeRequest as RequestEvent,
};
pub use aws_lambda_events::iam::{IamPolicyEffect as Effect, IamPolicyStatement as Statement};

/// What a Lambda authorizer answers: the principal, an IAM policy over
/// `execute-api:Invoke`, a context passed to the integration
/// (`$context.authorizer.KEY`) and, for `ApiKeySourceType: AUTHORIZER`,
/// the API key (`usageIdentifierKey`). `C` is the context's type (a map
/// of strings, numbers and booleans in AWS).
pub type AuthorizerResponse<C = serde_json::Value> =
    aws_lambda_events::apigw::ApiGatewayCustomAuthorizerResponse<C>;

/// A policy with one statement: `effect` on `execute-api:Invoke` for
/// `resources` (method ARNs, wildcards allowed:
/// `arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/VERB/PATH`).
pub fn policy<R: Into<String>>(effect: Effect, resources: impl IntoIterator<Item = R>) -> Policy {
    // Both types are `non_exhaustive`: built from their defaults.
    let mut statement = Statement::default();
    statement.action = vec!["execute-api:Invoke".to_string()];
    statement.effect = effect;
    statement.resource = resources.into_iter().map(Into::into).collect();
    let mut policy = Policy::default();
    policy.version = Some("2012-10-17".to_string());
    policy.statement = vec![statement];
    policy
}

/// An answer for `principal_id` with `policy` and an empty context.
pub fn response(principal_id: &str, policy: Policy) -> AuthorizerResponse {
    let mut response = AuthorizerResponse::default();
    response.principal_id = Some(principal_id.to_string());
    response.policy_document = policy;
    // An empty object, not `null`: the context AWS documents is a map.
    response.context = serde_json::Value::Object(serde_json::Map::new());
    response
}

/// Allows `principal_id` to invoke `method_arn` (the event's
/// `methodArn`, or a wildcard ARN to let a cached answer cover other
/// methods).
///
/// ```
/// let answer = phalanx::auth::allow("user-1", "arn:aws:execute-api:us-east-1:123456789012:abc/dev/GET/hello");
/// let json = serde_json::to_value(&answer).unwrap();
/// assert_eq!(json["policyDocument"]["Statement"][0]["Effect"], "Allow");
/// assert_eq!(json["policyDocument"]["Statement"][0]["Action"][0], "execute-api:Invoke");
/// ```
pub fn allow(principal_id: &str, method_arn: &str) -> AuthorizerResponse {
    response(principal_id, policy(Effect::Allow, [method_arn]))
}

/// Denies `principal_id` `method_arn`: AWS answers 403.
pub fn deny(principal_id: &str, method_arn: &str) -> AuthorizerResponse {
    response(principal_id, policy(Effect::Deny, [method_arn]))
}

/// An authorizer (`AWS::ApiGateway::Authorizer`): a Lambda function given
/// a token ([`Authorizer::token`]) or the request ([`Authorizer::request`]),
/// or a Cognito user pool ([`Authorizer::cognito`]). Methods choose it
/// with [`crate::api::MethodSpec::authorizer`]; the API and the service
/// pick it (and its function) up from there.
#[derive(Debug, Clone)]
pub struct Authorizer {
    pub(crate) model: model::Authorizer,
    pub(crate) function: Option<Function>,
}

impl Authorizer {
    fn lambda<Ev, C, E, F, Fut>(
        name: &str,
        kind: model::AuthorizerType,
        identity_source: Option<&str>,
        handler: F,
    ) -> Authorizer
    where
        Ev: DeserializeOwned + Send + 'static,
        C: Serialize + DeserializeOwned + Send + 'static,
        E: HandlerError + Send + 'static,
        F: Fn(Ev, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<AuthorizerResponse<C>, E>> + Send + 'static,
    {
        let function = Function::new(name, handler);
        let logical = function.logical_id();
        Authorizer {
            model: model::Authorizer {
                name: name.to_string(),
                kind,
                authorizer_uri: Some(crate::api::lambda_invocation_uri(&logical)),
                function: Some(logical),
                identity_source: identity_source.map(str::to_string),
                ..model::Authorizer::default()
            },
            function: Some(function),
        }
    }

    /// A `TOKEN` authorizer: `handler` gets the `Authorization` header's
    /// value (change the header with [`Authorizer::identity_source`]) and
    /// the method's ARN. Failing with `Unauthorized` answers 401; a Deny
    /// policy 403; any other failure 500.
    pub fn token<C, E, F, Fut>(name: &str, handler: F) -> Authorizer
    where
        C: Serialize + DeserializeOwned + Send + 'static,
        E: HandlerError + Send + 'static,
        F: Fn(TokenEvent, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<AuthorizerResponse<C>, E>> + Send + 'static,
    {
        Authorizer::lambda(
            name,
            model::AuthorizerType::Token,
            Some("method.request.header.Authorization"),
            handler,
        )
    }

    /// A `REQUEST` authorizer: `handler` gets the request's headers, query
    /// string, path parameters, stage variables and context. Name its
    /// identity sources with [`Authorizer::identity_source`]: AWS caches
    /// answers by them and answers 401 without calling the function when
    /// one is missing. Without any, caching must be off (`.ttl(0 s)`).
    ///
    /// ```
    /// use phalanx::auth::{self, Authorizer, RequestEvent};
    /// use phalanx::Context;
    ///
    /// let by_key = Authorizer::request("by-key", |event: RequestEvent, _: Context| async move {
    ///     let arn = event.method_arn.clone().unwrap_or_default();
    ///     match event.query_string_parameters.first("key") {
    ///         Some("open-sesame") => Ok(auth::allow("caller", &arn)),
    ///         _ => Err("Unauthorized"),
    ///     }
    /// })
    /// .identity_source("method.request.querystring.key");
    /// assert_eq!(by_key.name(), "by-key");
    /// ```
    pub fn request<C, E, F, Fut>(name: &str, handler: F) -> Authorizer
    where
        C: Serialize + DeserializeOwned + Send + 'static,
        E: HandlerError + Send + 'static,
        F: Fn(RequestEvent, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<AuthorizerResponse<C>, E>> + Send + 'static,
    {
        Authorizer::lambda(name, model::AuthorizerType::Request, None, handler)
    }

    /// A `COGNITO_USER_POOLS` authorizer: the `Authorization` header must
    /// hold an ID or access token of one of the pools (by ARN). Methods
    /// may require OAuth scopes of an access token
    /// ([`crate::api::MethodSpec::authorization_scopes`]).
    ///
    /// ```
    /// use phalanx::auth::Authorizer;
    /// let users = Authorizer::cognito("users", ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf"]);
    /// assert_eq!(users.model().provider_arns.len(), 1);
    /// ```
    pub fn cognito<S: Into<String>>(
        name: &str,
        user_pool_arns: impl IntoIterator<Item = S>,
    ) -> Authorizer {
        Authorizer {
            model: model::Authorizer {
                name: name.to_string(),
                kind: model::AuthorizerType::CognitoUserPools,
                identity_source: Some("method.request.header.Authorization".to_string()),
                provider_arns: user_pool_arns.into_iter().map(Into::into).collect(),
                ..model::Authorizer::default()
            },
            function: None,
        }
    }

    /// Where the identity comes from: one `method.request.header.NAME` for
    /// a TOKEN or Cognito authorizer; for a REQUEST one, a comma-separated
    /// list of `method.request.header.NAME`,
    /// `method.request.querystring.NAME`, `stageVariables.NAME` and
    /// `context.NAME`.
    pub fn identity_source(mut self, source: &str) -> Authorizer {
        self.model.identity_source = Some(source.to_string());
        self
    }

    /// A regular expression the token must match, else 401 without
    /// calling the function (TOKEN and Cognito authorizers).
    pub fn validation_expression(mut self, regex: &str) -> Authorizer {
        self.model.identity_validation_expression = Some(regex.to_string());
        self
    }

    /// How long an answer is cached per identity (AWS: 0 to 3600 s,
    /// default 300 s; 0 turns caching off). Whole seconds.
    pub fn ttl(mut self, ttl: Duration) -> Authorizer {
        self.model.authorizer_result_ttl_in_seconds = Some(ttl.as_secs());
        self
    }

    /// Changes the authorizer's Lambda function (memory, timeout,
    /// environment, privileges); nothing for a Cognito authorizer.
    ///
    /// ```
    /// # use phalanx::auth::{self, Authorizer, TokenEvent};
    /// # use phalanx::Context;
    /// let a = Authorizer::token("t", |e: TokenEvent, _: Context| async move {
    ///     Ok::<_, String>(auth::allow("p", &e.method_arn.unwrap_or_default()))
    /// })
    /// .configure_function(|f| f.memory_mb(256).env("ISSUER", "https://example.com"));
    /// assert_eq!(a.function().unwrap().name(), "t");
    /// ```
    pub fn configure_function(
        mut self,
        configure: impl FnOnce(Function) -> Function,
    ) -> Authorizer {
        self.function = self.function.map(configure);
        self
    }

    /// The authorizer's name.
    pub fn name(&self) -> &str {
        &self.model.name
    }

    /// Its Lambda function (none for a Cognito authorizer).
    pub fn function(&self) -> Option<&Function> {
        self.function.as_ref()
    }

    /// The gateway model of the authorizer.
    pub fn model(&self) -> &model::Authorizer {
        &self.model
    }
}

/// A quota's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaPeriod {
    /// A day (UTC).
    Day,
    /// A week.
    Week,
    /// A month.
    Month,
}

impl QuotaPeriod {
    /// AWS's name: `DAY`, `WEEK`, `MONTH`.
    pub fn as_str(self) -> &'static str {
        match self {
            QuotaPeriod::Day => "DAY",
            QuotaPeriod::Week => "WEEK",
            QuotaPeriod::Month => "MONTH",
        }
    }
}

/// An API key (`AWS::ApiGateway::ApiKey`), enabled, with the value
/// clients send in `x-api-key`.
///
/// The value is written into the exported template (CloudFormation has
/// no other way to give a key a known value); AWS requires at least 20
/// characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub(crate) name: String,
    pub(crate) value: String,
    pub(crate) enabled: bool,
}

impl ApiKey {
    /// A key named `name` whose secret is `value`.
    pub fn new(name: &str, value: &str) -> ApiKey {
        ApiKey {
            name: name.to_string(),
            value: value.to_string(),
            enabled: true,
        }
    }

    /// A disabled key (refused with 403).
    pub fn disabled(mut self) -> ApiKey {
        self.enabled = false;
        self
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A usage plan (`AWS::ApiGateway::UsagePlan`): which API keys may call
/// the API's stage, how fast (throttle, per key) and how often (quota,
/// per key), with per-method throttles.
///
/// ```
/// use phalanx::auth::{ApiKey, QuotaPeriod, UsagePlan};
/// use phalanx::Method;
///
/// let plan = UsagePlan::new("gold")
///     .throttle(100.0, 200)
///     .quota(10_000, QuotaPeriod::Month)
///     .method_throttle("/items", Method::POST, 5.0, 10)
///     .api_key(ApiKey::new("acme", "acme-key-0123456789abcdef"));
/// assert_eq!(plan.name(), "gold");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct UsagePlan {
    pub(crate) name: String,
    pub(crate) throttle: Option<model::Throttle>,
    pub(crate) quota: Option<model::Quota>,
    pub(crate) method_throttles: indexmap::IndexMap<String, model::Throttle>,
    pub(crate) keys: Vec<ApiKey>,
}

impl UsagePlan {
    /// A plan named `name`, without limits.
    pub fn new(name: &str) -> UsagePlan {
        UsagePlan {
            name: name.to_string(),
            throttle: None,
            quota: None,
            method_throttles: indexmap::IndexMap::new(),
            keys: Vec::new(),
        }
    }

    /// Each key's throttle: `rate` requests a second on average, `burst`
    /// at once; beyond it, 429.
    pub fn throttle(mut self, rate: f64, burst: u64) -> UsagePlan {
        self.throttle = Some(model::Throttle {
            rate_limit: Some(rate),
            burst_limit: Some(burst),
        });
        self
    }

    /// Each key's quota: `limit` requests per `period`; beyond it, 429.
    pub fn quota(mut self, limit: u64, period: QuotaPeriod) -> UsagePlan {
        self.quota = Some(model::Quota {
            limit,
            period: period.as_str().to_string(),
            offset: 0,
        });
        self
    }

    /// A throttle for one method (`path` as declared, e.g. `/items/{id}`),
    /// in place of the plan's for that method.
    pub fn method_throttle(
        mut self,
        path: &str,
        method: http::Method,
        rate: f64,
        burst: u64,
    ) -> UsagePlan {
        self.method_throttles.insert(
            format!("{path}/{}", method.as_str()),
            model::Throttle {
                rate_limit: Some(rate),
                burst_limit: Some(burst),
            },
        );
        self
    }

    /// A key of the plan.
    pub fn api_key(mut self, key: ApiKey) -> UsagePlan {
        self.keys.push(key);
        self
    }

    /// The plan's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Where API keys come from (`ApiKeySourceType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeySource {
    /// The `x-api-key` header (AWS's default).
    Header,
    /// A Lambda authorizer's `usageIdentifierKey`.
    Authorizer,
}

impl ApiKeySource {
    /// AWS's name: `HEADER` or `AUTHORIZER`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiKeySource::Header => "HEADER",
            ApiKeySource::Authorizer => "AUTHORIZER",
        }
    }
}
