//! Lambda authorizers (`CUSTOM` methods, TOKEN and REQUEST), run through
//! the same [`Invoker`] as integrations. Sources, developer guide unless
//! said otherwise:
//!
//! - "Input to an API Gateway Lambda authorizer": the TOKEN event
//!   (`type`, `authorizationToken`, `methodArn`) and the REQUEST event
//!   (`type`, `methodArn`, `resource`, `path`, `httpMethod`, headers, query
//!   strings, `pathParameters`, `stageVariables`, `requestContext`);
//! - "Output from an API Gateway Lambda authorizer": `principalId`,
//!   `policyDocument`, `context` (string, number or boolean values, read as
//!   `$context.authorizer.KEY`), `usageIdentifierKey`;
//! - API reference, `Authorizer.identitySource`: a TOKEN authorizer's
//!   header missing or empty, or a REQUEST authorizer's identity source
//!   missing, null or empty *when caching is enabled*, is 401 Unauthorized
//!   without calling the function; `identityValidationExpression` mismatch
//!   likewise (AWS knowledge center, "Why do I get API Gateway 401
//!   Unauthorized errors after I create a Lambda authorizer?");
//! - AWS knowledge center, "How do I troubleshoot HTTP 403 Forbidden errors
//!   when using a Lambda authorizer", and Marco Gonzalez's failure-mode
//!   table recorded on AWS ("API Gateway + Lambda authorizer + Lambda proxy
//!   integration failure modes", dev.to): explicit deny 403
//!   `{"Message":"User is not authorized to access this resource with an
//!   explicit deny"}`, implicit deny 403 `{"Message":"User is not authorized
//!   to access this resource"}`, the function failing with `Unauthorized`
//!   401 `{"message":"Unauthorized"}`, any other failure, timeout or
//!   invalid output 500 `{"message":null}` (AUTHORIZER_CONFIGURATION_ERROR;
//!   also Luciano Mammino, "Debugging custom ApiGateway authorizers").

use super::cache::AuthorizerCache;
use super::policy::{Decision, Policy};
use crate::compile::{CompiledAuthorizer, IdentitySource};
use crate::invoke::{Invocation, InvokeOutput, Invoker};
use crate::model::AuthorizerType;
use crate::pipeline::proxy_event::{self, Recipient};
use crate::pipeline::{Exchange, GatewayError, ResponseType};
use crate::vtl::AuthorizerContext;
use bytes::Bytes;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The region of local method ARNs (the importers' default region).
const REGION: &str = "us-east-1";

/// An authorizer's output, parsed: what the cache keeps.
#[derive(Debug, Default)]
pub(crate) struct Output {
    policy: Policy,
    context: Arc<AuthorizerContext>,
    usage_identifier_key: Option<String>,
}

/// A request the authorizer allowed: what it adds to the request.
#[derive(Debug)]
pub(crate) struct Authorized {
    /// `$context.authorizer`.
    pub(crate) context: Arc<AuthorizerContext>,
    /// The API key, for `ApiKeySourceType: AUTHORIZER`.
    pub(crate) usage_identifier_key: Option<String>,
}

/// 401 `{"message":"Unauthorized"}`.
fn unauthorized(detail: impl Into<String>) -> GatewayError {
    GatewayError::new(ResponseType::Unauthorized, "Unauthorized").with_detail(detail)
}

/// 500 `{"message":null}`, AUTHORIZER_CONFIGURATION_ERROR.
fn configuration_error(detail: impl Into<String>) -> GatewayError {
    let mut e =
        GatewayError::new(ResponseType::AuthorizerConfigurationError, "").with_detail(detail);
    e.default_body = Some(r#"{"message":null}"#.to_owned());
    e
}

/// 403 ACCESS_DENIED, with AWS's capitalised `Message` key.
fn denied(explicit: bool, detail: String) -> GatewayError {
    let message = if explicit {
        "User is not authorized to access this resource with an explicit deny"
    } else {
        "User is not authorized to access this resource"
    };
    let mut e = GatewayError::new(ResponseType::AccessDenied, message).with_detail(detail);
    e.default_body = Some(format!("{{\"Message\":\"{message}\"}}"));
    e
}

/// `arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/`: what every method ARN
/// of a stage starts with, made once when the API is compiled.
pub(crate) fn method_arn_prefix(account_id: &str, api_id: &str, stage: &str) -> String {
    format!("arn:aws:execute-api:{REGION}:{account_id}:{api_id}/{stage}/")
}

/// `arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/VERB/PATH`: the request's
/// verb and path after the stage (not the resource template), as the
/// developer guide's REQUEST example shows (`…/test/GET/request`).
pub(crate) fn method_arn(x: &Exchange<'_>) -> String {
    let path = crate::pipeline::route::after_stage(&x.request.path, &x.api.stage.stage_name)
        .unwrap_or("")
        .trim_start_matches('/');
    let prefix = &x.api.method_arn_prefix;
    let verb = &x.request.method;
    let mut arn = String::with_capacity(prefix.len() + verb.len() + 1 + path.len());
    arn.push_str(prefix);
    arn.extend(verb.chars().map(|c| c.to_ascii_uppercase()));
    arn.push('/');
    arn.push_str(path);
    arn
}

/// The identity value of a request for one source; `None` for a source
/// the request lacks (or has empty). Borrowed from the request where it
/// can be: a cached authorizer reads them on every request.
fn identity<'a>(x: &'a Exchange<'_>, source: &IdentitySource) -> Option<Cow<'a, str>> {
    let value = match source {
        IdentitySource::Header(name) => x.header(name).map(Cow::Borrowed),
        IdentitySource::Query(name) => x
            .query()
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| Cow::Borrowed(v.as_str())),
        IdentitySource::StageVariable(name) => x
            .api
            .stage
            .variables
            .get(name)
            .map(|v| Cow::Borrowed(v.as_str())),
        IdentitySource::Context(name) => x.context.lookup(name).map(Cow::Owned),
    };
    value.filter(|v| !v.is_empty())
}

/// Runs `authorizer` for the request (or takes its cached output) and
/// evaluates the policy against the method ARN.
pub(crate) async fn authorize(
    x: &Exchange<'_>,
    authorizer: &CompiledAuthorizer,
    index: usize,
    invoker: &dyn Invoker,
    cache: &AuthorizerCache,
    now: SystemTime,
) -> Result<Authorized, GatewayError> {
    let caching = !authorizer.ttl.is_zero();
    let values: Vec<Option<Cow<'_, str>>> = authorizer
        .identity_sources
        .iter()
        .map(|s| identity(x, s))
        .collect();
    let token = match authorizer.kind {
        AuthorizerType::Token => {
            let Some(token) = values.first().and_then(Option::as_deref) else {
                return Err(unauthorized(format!(
                    "authorizer {}: the token header is missing or empty",
                    authorizer.name
                )));
            };
            if let Some(regex) = &authorizer.validation
                && !regex.is_match(token).unwrap_or(false)
            {
                return Err(unauthorized(format!(
                    "authorizer {}: the token does not match the IdentityValidationExpression",
                    authorizer.name
                )));
            }
            Some(token)
        }
        _ => {
            if caching && values.iter().any(Option::is_none) {
                return Err(unauthorized(format!(
                    "authorizer {}: an identity source is missing or empty",
                    authorizer.name
                )));
            }
            None
        }
    };
    let arn = method_arn(x);
    let identity: Vec<&str> = values.iter().map(|v| v.as_deref().unwrap_or("")).collect();
    let cached = if caching {
        cache.get(index, &identity, now)
    } else {
        None
    };
    let output = match cached {
        Some(output) => output,
        None => {
            let output = Arc::new(invoke(x, authorizer, invoker, token, &arn).await?);
            if caching {
                cache.put(index, &identity, now + authorizer.ttl, output.clone(), now);
            }
            output
        }
    };
    match output.policy.evaluate(&arn) {
        Decision::Allow => Ok(Authorized {
            context: output.context.clone(),
            usage_identifier_key: output.usage_identifier_key.clone(),
        }),
        decision => Err(denied(
            decision == Decision::ExplicitDeny,
            format!(
                "authorizer {}: the policy does not allow {arn}",
                authorizer.name
            ),
        )),
    }
}

/// Calls the authorizer's function and reads its output.
async fn invoke(
    x: &Exchange<'_>,
    authorizer: &CompiledAuthorizer,
    invoker: &dyn Invoker,
    token: Option<&str>,
    arn: &str,
) -> Result<Output, GatewayError> {
    let event = match token {
        Some(token) => json!({
            "type": "TOKEN",
            "authorizationToken": token,
            "methodArn": arn,
        })
        .to_string()
        .into_bytes(),
        None => proxy_event::to_bytes(
            x,
            &x.context.resource_path,
            Recipient::RequestAuthorizer { method_arn: arn },
        ),
    };
    let timeout = x
        .api
        .functions
        .get(&authorizer.function)
        .and_then(|f| f.timeout)
        .unwrap_or(3);
    let result = invoker
        .invoke(Invocation {
            function: authorizer.function.clone(),
            payload: Bytes::from(event),
            request_id: crate::ids::request_id(),
            timeout: Duration::from_secs(timeout),
        })
        .await
        .map_err(|e| configuration_error(format!("authorizer {}: {e}", authorizer.name)))?;
    match result {
        InvokeOutput::FunctionError(payload) => {
            let error: Value = serde_json::from_slice(&payload).unwrap_or_default();
            let message = error.get("errorMessage").and_then(Value::as_str);
            if message == Some("Unauthorized") {
                Err(unauthorized(format!(
                    "authorizer {}: the function answered Unauthorized",
                    authorizer.name
                )))
            } else {
                Err(configuration_error(format!(
                    "authorizer {}: the function failed: {}",
                    authorizer.name,
                    String::from_utf8_lossy(&payload)
                )))
            }
        }
        InvokeOutput::Success(payload) => parse_output(&payload).map_err(|why| {
            configuration_error(format!(
                "authorizer {}: invalid output ({why}): {}",
                authorizer.name,
                String::from_utf8_lossy(&payload)
            ))
        }),
    }
}

/// A string, number or boolean as the string AWS passes on; `None` for
/// anything else.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Reads an authorizer's output.
fn parse_output(payload: &[u8]) -> Result<Output, String> {
    let value: Value = serde_json::from_slice(payload).map_err(|e| format!("not JSON: {e}"))?;
    let object = value.as_object().ok_or("not a JSON object")?;
    let policy = Policy::parse(object.get("policyDocument").ok_or("no policyDocument")?)?;
    // The developer guide says an output "must include" principalId;
    // the recorded failure modes (dev.to, above) need only the policy, so a
    // missing one is accepted.
    let principal_id = match object.get("principalId") {
        None | Some(Value::Null) => None,
        Some(v) => Some(scalar(v).ok_or("principalId is not a string")?),
    };
    let mut values = indexmap::IndexMap::new();
    match object.get("context") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                // "You cannot set a JSON object or array as a valid value
                // of any key in the context map."
                let v = scalar(v)
                    .ok_or_else(|| format!("context.{k} is not a string, number or boolean"))?;
                values.insert(k.clone(), v);
            }
        }
        Some(_) => return Err("context is not an object".into()),
    }
    let usage_identifier_key = match object.get("usageIdentifierKey") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err("usageIdentifierKey is not a string".into()),
    };
    Ok(Output {
        policy,
        context: Arc::new(AuthorizerContext {
            principal_id,
            values,
            claims: Default::default(),
        }),
        usage_identifier_key,
    })
}
