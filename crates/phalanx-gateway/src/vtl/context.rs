//! `$context`: the request's context variables, and the request/response
//! overrides a template may set through it.
//!
//! The variables are the ones the AWS developer guide lists for REST APIs
//! ("$context variables for data models, authorizers, mapping templates,
//! and access logging"). A request builds one [`RequestContext`]; each
//! template render turns it into a VTL map, and reads the overrides back
//! out after the render.

use super::override_map::OverrideMap;
use indexmap::IndexMap;
use phalanx_vtl::{KeyHasher, MethodError, Object, Value};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Value as Json, json};
use std::cell::{OnceCell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

/// The caller, as `$context.identity` shows it. Local requests are
/// unauthenticated, so most fields are empty, as they are in AWS for an
/// API without IAM or Cognito authorization.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    /// The client's IP address.
    pub source_ip: String,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// The API key, for methods that require one.
    pub api_key: String,
    /// The API key's id.
    pub api_key_id: String,
    /// The caller's account, for a request signed with SigV4 (`AWS_IAM`).
    pub account_id: String,
    /// The principal that signed the request (`AWS_IAM`).
    pub caller: String,
    /// The access key that signed the request (`AWS_IAM`).
    pub access_key: String,
    /// The effective user's ARN (`AWS_IAM`).
    pub user_arn: String,
    /// The user's principal id (`AWS_IAM`).
    pub user: String,
}

impl Identity {
    /// The value of each of [`IDENTITY_KEYS`], in order; `None` (null) for
    /// a field the request does not have.
    fn values(&self) -> [Option<&str>; IDENTITY_KEYS.len()] {
        fn optional(s: &str) -> Option<&str> {
            (!s.is_empty()).then_some(s)
        }
        [
            None,
            optional(&self.account_id),
            None,
            optional(&self.caller),
            Some(&self.source_ip),
            None,
            optional(&self.access_key),
            None,
            None,
            optional(&self.user_arn),
            Some(&self.user_agent),
            optional(&self.user),
            optional(&self.api_key),
            optional(&self.api_key_id),
        ]
    }
}

/// `identity`'s keys, in the order AWS lists them (and `IdentityJson`
/// writes them).
const IDENTITY_KEYS: [&str; 14] = [
    "cognitoIdentityPoolId",
    "accountId",
    "cognitoIdentityId",
    "caller",
    "sourceIp",
    "principalOrgId",
    "accessKey",
    "cognitoAuthenticationType",
    "cognitoAuthenticationProvider",
    "userArn",
    "userAgent",
    "user",
    "apiKey",
    "apiKeyId",
];

/// What an authorizer returned, as `$context.authorizer` shows it: for a
/// Lambda authorizer, `principalId` and the `context` map, every value a
/// string (developer guide, "Output from an API Gateway Lambda
/// authorizer": values are stringified; objects and arrays are refused);
/// for a Cognito user pool authorizer, the token's `claims`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthorizerContext {
    /// `principalId`, when the authorizer returned one.
    pub principal_id: Option<String>,
    /// The `context` map, values stringified.
    pub values: IndexMap<String, String>,
    /// A Cognito token's claims, values as strings (`$context.authorizer.
    /// claims.sub`); empty for Lambda authorizers.
    pub claims: IndexMap<String, String>,
}

impl AuthorizerContext {
    /// As JSON: the context's values, then `principalId`, then `claims`.
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// The context's values, then `principalId` and `claims` (which win over a
/// context value of the same name).
impl Serialize for AuthorizerContext {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (k, v) in &self.values {
            let shadowed = (k == "principalId" && self.principal_id.is_some())
                || (k == "claims" && !self.claims.is_empty());
            if !shadowed {
                map.serialize_entry(k, v)?;
            }
        }
        if let Some(p) = &self.principal_id {
            map.serialize_entry("principalId", p)?;
        }
        if !self.claims.is_empty() {
            map.serialize_entry("claims", &self.claims)?;
        }
        map.end()
    }
}

/// A gateway error, as `$context.error` shows it to gateway response
/// templates.
#[derive(Debug, Clone, Default)]
pub struct ErrorInfo {
    /// The message, e.g. `Missing Authentication Token`.
    pub message: String,
    /// The response type, e.g. `MISSING_AUTHENTICATION_TOKEN`.
    pub response_type: String,
    /// Request validation detail, when validation failed.
    pub validation_error_string: String,
}

/// Every `$context` variable of one request. Values that are the same
/// for every request of an API or method are shared (`Arc<str>`).
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// `accountId`.
    pub account_id: Arc<str>,
    /// `apiId`.
    pub api_id: Arc<str>,
    /// `domainName` — the `Host` header.
    pub domain_name: String,
    /// `domainPrefix` — the first label of the domain name.
    pub domain_prefix: String,
    /// `extendedRequestId`.
    pub extended_request_id: String,
    /// `httpMethod`.
    pub http_method: String,
    /// `identity.*`.
    pub identity: Identity,
    /// `path` — the request path including the stage, e.g. `/dev/pets/1`.
    pub path: String,
    /// `protocol`, e.g. `HTTP/1.1`.
    pub protocol: String,
    /// `requestId`.
    pub request_id: String,
    /// `requestTime` (CLF format).
    pub request_time: String,
    /// `requestTimeEpoch` (ms).
    pub request_time_epoch: i64,
    /// `resourceId`.
    pub resource_id: Arc<str>,
    /// `resourcePath`, e.g. `/pets/{petId}`.
    pub resource_path: Arc<str>,
    /// `stage`.
    pub stage: Arc<str>,
    /// `deploymentId`.
    pub deployment_id: Arc<str>,
    /// `error.*` — set for gateway responses.
    pub error: Option<ErrorInfo>,
    /// `authorizer.*` — what the method's Lambda authorizer returned.
    pub authorizer: Option<Arc<AuthorizerContext>>,
}

impl RequestContext {
    /// The context as JSON, with AWS's key names (`requestContext` of a
    /// proxy event is this, without `error`).
    pub fn to_json(&self) -> Json {
        serde_json::to_value(ContextJson {
            context: self,
            with_error: true,
        })
        .unwrap_or_default()
    }

    /// `identity` as the VTL map templates read, built directly (not
    /// through JSON): every `$context.identity.x` of a render reads it. A
    /// copy of a per-thread map of the keys (all null), so the keys are
    /// neither made nor hashed again; then the values the request has are set in
    /// place.
    fn identity_value(&self) -> Value {
        thread_local! {
            static NULLS: IndexMap<Value, Value, KeyHasher> =
                IDENTITY_KEYS.iter().map(|k| (Value::from(*k), Value::Null)).collect();
        }
        let mut map = NULLS.with(IndexMap::clone);
        for ((_, slot), value) in map.iter_mut().zip(self.identity.values()) {
            if let Some(value) = value {
                *slot = Value::from(value);
            }
        }
        Value::Map(Rc::new(RefCell::new(map)))
    }

    /// A context variable by its dotted name (`requestId`,
    /// `identity.sourceIp`, …), as a mapping expression `context.NAME`
    /// reads it. Absent and null variables are `None`.
    pub fn lookup(&self, dotted: &str) -> Option<String> {
        // The common names without building the whole context.
        let direct = match dotted {
            "requestId" => Some(&self.request_id),
            "httpMethod" => Some(&self.http_method),
            "path" => Some(&self.path),
            "requestTime" => Some(&self.request_time),
            "domainName" => Some(&self.domain_name),
            "identity.sourceIp" => Some(&self.identity.source_ip),
            "identity.userAgent" => Some(&self.identity.user_agent),
            _ => None,
        };
        if let Some(value) = direct {
            return Some(value.clone());
        }
        let json = self.to_json();
        let mut node = &json;
        for part in dotted.split('.') {
            node = node.get(part)?;
        }
        match node {
            Json::Null => None,
            Json::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }

    /// The `$context` object for one render, with the current overrides.
    pub fn to_value(self: &Arc<Self>, overrides: &Overrides) -> Value {
        Value::object(ContextObject {
            context: self.clone(),
            // Most requests set no overrides: nothing is made for them (an
            // empty `Overrides` is four maps, each seeding its hasher).
            base: (!overrides.is_empty()).then(|| Box::new(overrides.clone())),
            request_override: OnceCell::new(),
            response_override: OnceCell::new(),
            identity: OnceCell::new(),
            error: OnceCell::new(),
        })
    }
}

/// A [`RequestContext`] as JSON, written straight into a serializer (the
/// proxy event's `requestContext` is serialised through this, with no
/// `serde_json::Value` tree in between).
pub struct ContextJson<'a> {
    /// The context.
    pub context: &'a RequestContext,
    /// Whether `error` is written when set (gateway response templates see
    /// it; a proxy event's `requestContext` has none).
    pub with_error: bool,
}

impl Serialize for ContextJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let c = self.context;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("resourceId", &*c.resource_id)?;
        map.serialize_entry("resourcePath", &*c.resource_path)?;
        map.serialize_entry("httpMethod", &c.http_method)?;
        map.serialize_entry("extendedRequestId", &c.extended_request_id)?;
        map.serialize_entry("requestTime", &c.request_time)?;
        map.serialize_entry("path", &c.path)?;
        map.serialize_entry("accountId", &*c.account_id)?;
        map.serialize_entry("protocol", &c.protocol)?;
        map.serialize_entry("stage", &*c.stage)?;
        map.serialize_entry("domainPrefix", &c.domain_prefix)?;
        map.serialize_entry("requestTimeEpoch", &c.request_time_epoch)?;
        map.serialize_entry("requestId", &c.request_id)?;
        map.serialize_entry("identity", &IdentityJson(&c.identity))?;
        map.serialize_entry("domainName", &c.domain_name)?;
        map.serialize_entry("deploymentId", &*c.deployment_id)?;
        map.serialize_entry("apiId", &*c.api_id)?;
        if let Some(authorizer) = &c.authorizer {
            map.serialize_entry("authorizer", &**authorizer)?;
        }
        if let (Some(error), true) = (&c.error, self.with_error) {
            map.serialize_entry(
                "error",
                &json!({
                    "message": error.message,
                    "messageString": Json::String(error.message.clone()).to_string(),
                    "responseType": error.response_type,
                    "validationErrorString": error.validation_error_string,
                }),
            )?;
        }
        map.end()
    }
}

/// `identity` as JSON: the caller fields a local request has, null for
/// the ones it lacks (Cognito identity pools are never local).
struct IdentityJson<'a>(&'a Identity);

impl Serialize for IdentityJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(IDENTITY_KEYS.len()))?;
        for (key, value) in IDENTITY_KEYS.iter().zip(self.0.values()) {
            map.serialize_entry(key, &value)?;
        }
        map.end()
    }
}

/// `$context` as templates see it: variables are produced when a template
/// reads them (most templates read two or three), while the two override
/// maps live in the object so `#set($context.responseOverride.status = …)`
/// changes them and [`Overrides::read_from`] finds the change.
struct ContextObject {
    context: Arc<RequestContext>,
    /// The overrides before this render (`None`: none); the maps below
    /// are made from them when a template first touches them.
    base: Option<Box<Overrides>>,
    request_override: OnceCell<Value>,
    response_override: OnceCell<Value>,
    identity: OnceCell<Value>,
    error: OnceCell<Value>,
}

impl ContextObject {
    /// The overrides before this render.
    fn base(&self) -> std::borrow::Cow<'_, Overrides> {
        match &self.base {
            Some(base) => std::borrow::Cow::Borrowed(base),
            None => std::borrow::Cow::Owned(Overrides::default()),
        }
    }
}

impl Object for ContextObject {
    fn type_name(&self) -> &str {
        "java.util.HashMap"
    }

    fn property(&self, name: &str) -> Option<Value> {
        let c = &self.context;
        let s = |v: &str| Some(Value::from(v));
        match name {
            "requestOverride" => Some(
                self.request_override
                    .get_or_init(|| self.base().request_value())
                    .clone(),
            ),
            "responseOverride" => Some(
                self.response_override
                    .get_or_init(|| self.base().response_value())
                    .clone(),
            ),
            "identity" => Some(
                self.identity
                    .get_or_init(|| self.context.identity_value())
                    .clone(),
            ),
            "error" => Some(
                self.error
                    .get_or_init(|| {
                        let json = self.context.to_json();
                        json.get("error").map(Value::from_json).unwrap_or_default()
                    })
                    .clone(),
            ),
            // Shared strings are handed out shared, not copied.
            "accountId" => Some(Value::String(c.account_id.clone())),
            "apiId" => Some(Value::String(c.api_id.clone())),
            "domainName" => s(&c.domain_name),
            "domainPrefix" => s(&c.domain_prefix),
            "extendedRequestId" => s(&c.extended_request_id),
            "httpMethod" => s(&c.http_method),
            "path" => s(&c.path),
            "protocol" => s(&c.protocol),
            "requestId" | "awsEndpointRequestId" => s(&c.request_id),
            "requestTime" => s(&c.request_time),
            "requestTimeEpoch" => Some(Value::Int(c.request_time_epoch)),
            "resourceId" => Some(Value::String(c.resource_id.clone())),
            "resourcePath" => Some(Value::String(c.resource_path.clone())),
            "stage" => Some(Value::String(c.stage.clone())),
            "deploymentId" => Some(Value::String(c.deployment_id.clone())),
            "isCanaryRequest" => Some(Value::Bool(false)),
            "authorizer" => c
                .authorizer
                .as_ref()
                .map(|a| Value::from_json(&a.to_json())),
            _ => None,
        }
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, MethodError> {
        match (method, args) {
            ("get", [name]) => Ok(self.property(&name.to_string()).unwrap_or_default()),
            ("containsKey", [name]) => Ok(Value::Bool(self.property(&name.to_string()).is_some())),
            _ => Err(MethodError::NotFound),
        }
    }

    fn render(&self) -> String {
        Value::from_json(&self.context.to_json()).to_string()
    }
}

/// What templates set through `$context.requestOverride` and
/// `$context.responseOverride`. Overrides set by the request template stay
/// visible to (and in force after) the response template, as in AWS.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// `requestOverride.header.*`.
    pub request_headers: IndexMap<String, String>,
    /// `requestOverride.querystring.*`.
    pub request_querystring: IndexMap<String, String>,
    /// `requestOverride.path.*`.
    pub request_path: IndexMap<String, String>,
    /// `responseOverride.status`.
    pub response_status: Option<u16>,
    /// `responseOverride.header.*`.
    pub response_headers: IndexMap<String, String>,
    /// Other properties a template set on `requestOverride` or
    /// `responseOverride` (`#set($context.responseOverride.custom = …)`):
    /// they change nothing, but a later template reads them back, as AWS
    /// lets it (LocalStack's AWS-validated
    /// `test_integration_mock_with_response_override_in_request_template`).
    /// Kept as their text. Keyed `requestOverride.NAME` or
    /// `responseOverride.NAME`.
    pub other: IndexMap<String, String>,
}

fn string_map(name: &'static str, entries: &IndexMap<String, String>) -> Value {
    OverrideMap::value(
        name,
        entries
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str()))),
    )
}

/// The strings of the override map `key` of `parent`.
fn read_string_map(parent: &Value, key: &str) -> IndexMap<String, String> {
    parent
        .downcast_object::<OverrideMap>()
        .and_then(|parent| parent.get(key))
        .and_then(|map| {
            map.downcast_object::<OverrideMap>()
                .map(OverrideMap::strings)
        })
        .unwrap_or_default()
}

impl Overrides {
    /// Whether no override is set.
    pub fn is_empty(&self) -> bool {
        self.request_headers.is_empty()
            && self.request_querystring.is_empty()
            && self.request_path.is_empty()
            && self.response_status.is_none()
            && self.response_headers.is_empty()
            && self.other.is_empty()
    }

    /// The other properties set on `map` (`requestOverride` or
    /// `responseOverride`), as VTL values.
    fn other_entries(&self, map: &str) -> impl Iterator<Item = (String, Value)> + '_ {
        let prefix = format!("{map}.");
        self.other.iter().filter_map(move |(k, v)| {
            k.strip_prefix(&prefix)
                .map(|name| (name.to_string(), Value::from(v.as_str())))
        })
    }

    fn request_value(&self) -> Value {
        OverrideMap::value(
            "requestOverride",
            [
                (
                    "header".to_string(),
                    string_map("requestOverride.header", &self.request_headers),
                ),
                (
                    "querystring".to_string(),
                    string_map("requestOverride.querystring", &self.request_querystring),
                ),
                (
                    "path".to_string(),
                    string_map("requestOverride.path", &self.request_path),
                ),
            ]
            .into_iter()
            .chain(self.other_entries("requestOverride")),
        )
    }

    fn response_value(&self) -> Value {
        let mut entries = vec![(
            "header".to_string(),
            string_map("responseOverride.header", &self.response_headers),
        )];
        if let Some(status) = self.response_status {
            entries.push(("status".to_string(), Value::Int(i64::from(status))));
        }
        entries.extend(self.other_entries("responseOverride"));
        OverrideMap::value("responseOverride", entries)
    }

    /// Reads the overrides back from a rendered `$context` map.
    ///
    /// A `responseOverride.status` that is not an integer from 100 to 599
    /// is ignored, as LocalStack's AWS-validated handler does.
    pub fn read_from(context: &Value) -> Overrides {
        let Some(ctx) = context.downcast_object::<ContextObject>() else {
            return Overrides::default();
        };
        let (Some(request), Some(response)) =
            (ctx.request_override.get(), ctx.response_override.get())
        else {
            // A template that never touched an override map: the overrides
            // are the ones it started with, apart from any map it did touch.
            // (Usually none: an empty set is made, not cloned map by map.)
            let mut out = ctx.base.as_deref().cloned().unwrap_or_default();
            if let Some(request) = ctx.request_override.get() {
                let read = Overrides::read_maps(request, &Value::Null);
                out.request_headers = read.request_headers;
                out.request_querystring = read.request_querystring;
                out.request_path = read.request_path;
                out.other.retain(|k, _| !k.starts_with("requestOverride."));
                out.other.extend(read.other);
            }
            if let Some(response) = ctx.response_override.get() {
                let read = Overrides::read_maps(&Value::Null, response);
                out.response_status = read.response_status;
                out.response_headers = read.response_headers;
                out.other.retain(|k, _| !k.starts_with("responseOverride."));
                out.other.extend(read.other);
            }
            return out;
        };
        Overrides::read_maps(request, response)
    }

    fn read_maps(request: &Value, response: &Value) -> Overrides {
        let response_status = match response
            .downcast_object::<OverrideMap>()
            .and_then(|m| m.get("status"))
        {
            Some(Value::Int(n)) => u16::try_from(n).ok().filter(|n| (100..600).contains(n)),
            _ => None,
        };
        let mut other = IndexMap::new();
        for (map, value, known) in [
            (
                "requestOverride",
                request,
                &["header", "querystring", "path"][..],
            ),
            ("responseOverride", response, &["header", "status"][..]),
        ] {
            if let Some(entries) = value.downcast_object::<OverrideMap>() {
                for (k, v) in entries.strings() {
                    if !known.contains(&k.as_str()) {
                        other.insert(format!("{map}.{k}"), v);
                    }
                }
            }
        }
        Overrides {
            request_headers: read_string_map(request, "header"),
            request_querystring: read_string_map(request, "querystring"),
            request_path: read_string_map(request, "path"),
            response_status,
            response_headers: read_string_map(response, "header"),
            other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_agrees_with_the_context_json() {
        let ctx = RequestContext {
            request_id: "r-1".into(),
            http_method: "GET".into(),
            path: "/dev/x".into(),
            stage: Arc::from("dev"),
            identity: Identity {
                source_ip: "10.0.0.1".into(),
                user_agent: "curl".into(),
                api_key: "k".into(),
                ..Identity::default()
            },
            ..RequestContext::default()
        };
        let json = ctx.to_json();
        for name in [
            "requestId",
            "httpMethod",
            "path",
            "stage",
            "identity.sourceIp",
            "identity.userAgent",
            "identity.apiKey",
        ] {
            let mut node = &json;
            for part in name.split('.') {
                node = &node[part];
            }
            assert_eq!(ctx.lookup(name).as_deref(), node.as_str(), "{name}");
        }
        assert_eq!(ctx.lookup("identity.caller"), None);
        assert_eq!(ctx.lookup("nope"), None);
    }

    #[test]
    fn identity_value_is_the_identity_json() {
        for api_key in ["", "k"] {
            let ctx = RequestContext {
                identity: Identity {
                    source_ip: "10.0.0.1".into(),
                    user_agent: "curl".into(),
                    api_key: api_key.into(),
                    api_key_id: api_key.into(),
                    // The IAM caller's fields too (empty: null).
                    account_id: api_key.into(),
                    caller: api_key.into(),
                    access_key: api_key.into(),
                    user_arn: api_key.into(),
                    user: api_key.into(),
                },
                ..RequestContext::default()
            };
            let from_json = Value::from_json(&ctx.to_json()["identity"]);
            // Same entries, same order.
            assert_eq!(ctx.identity_value().to_string(), from_json.to_string());
        }
    }
}
