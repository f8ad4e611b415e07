//! The request/response envelope (Sparta-compatible): the default mapping
//! templates, the typed request a handler receives, and the [`Response`]
//! and [`ErrorResponse`] it returns.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const COMMON: &str = include_str!("templates/envelope_common.vm");
const BODY_JSON: &str = include_str!("templates/body_json.vm");
const BODY_TEXT: &str = include_str!("templates/body_text.vm");
const BODY_FORM: &str = include_str!("templates/body_form.vm");
const RESPONSE: &str = include_str!("templates/response.vm");
const ERROR: &str = include_str!("templates/error_response.vm");

/// `template` without its whole-line `##` comments. The comments explain
/// the templates here in the source; API Gateway would store them with
/// every method and read past them on every request, and they made one
/// method's export about 25 KB (CloudFormation takes at most 51,200 bytes
/// inline). A `##` comment runs to the end of its line and takes the line
/// break with it (Velocity 1.7's single-line comment), so dropping those
/// lines renders the same text — `tests/envelope.rs` checks that it does.
pub(crate) fn without_comment_lines(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    for line in template.split_inclusive('\n') {
        if !line.starts_with("##") {
            out.push_str(line);
        }
    }
    out
}

/// The default integration response template (see `templates/response.vm`).
pub(crate) fn response_template() -> String {
    without_comment_lines(RESPONSE)
}

/// The template for error responses with status `code` (see
/// `templates/error_response.vm`).
pub(crate) fn error_template(code: u16) -> String {
    without_comment_lines(ERROR).replace("__CODE__", &code.to_string())
}

fn envelope(body: &str) -> String {
    format!(
        "{{\n{},\n{}}}\n",
        without_comment_lines(body).trim_end(),
        without_comment_lines(COMMON).trim_end()
    )
}

/// The default integration request templates, by content type:
/// `application/json` (body as JSON), `text/plain` and
/// `multipart/form-data` (body as a string),
/// `application/x-www-form-urlencoded` (body decoded to an object).
pub fn default_request_templates() -> Vec<(String, String)> {
    vec![
        ("application/json".to_string(), envelope(BODY_JSON)),
        ("text/plain".to_string(), envelope(BODY_TEXT)),
        (
            "application/x-www-form-urlencoded".to_string(),
            envelope(BODY_FORM),
        ),
        ("multipart/form-data".to_string(), envelope(BODY_TEXT)),
    ]
}

/// The caller, as the envelope's `context.identity` shows it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// The caller's account (IAM authorization only).
    #[serde(default)]
    pub account_id: String,
    /// The API key used, if any.
    #[serde(default)]
    pub api_key: String,
    /// The caller (IAM authorization only).
    #[serde(default)]
    pub caller: String,
    /// The client's IP address.
    #[serde(default)]
    pub source_ip: String,
    /// The user (IAM authorization only).
    #[serde(default)]
    pub user: String,
    /// The `User-Agent` header.
    #[serde(default)]
    pub user_agent: String,
    /// The user's ARN (IAM authorization only).
    #[serde(default)]
    pub user_arn: String,
}

/// The envelope's `context`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RequestContext {
    /// The API's id.
    #[serde(default)]
    pub api_id: String,
    /// The HTTP method.
    #[serde(default)]
    pub method: String,
    /// API Gateway's request id.
    #[serde(default)]
    pub request_id: String,
    /// The resource's id.
    #[serde(default)]
    pub resource_id: String,
    /// The resource path, e.g. `/hello/{name}`.
    #[serde(default)]
    pub resource_path: String,
    /// The stage.
    #[serde(default)]
    pub stage: String,
    /// The caller.
    #[serde(default)]
    pub identity: Identity,
}

/// What a handler behind the default templates receives: the request,
/// with the body as `B` (a `serde_json::Value` accepts anything).
///
/// ```
/// use phalanx::ApiGatewayRequest;
/// let event = r#"{"method": "GET", "body": {"a": 1}, "headers": {"Accept": "*/*"},
///   "queryParams": {}, "pathParams": {"name": "ada"},
///   "context": {"apiId": "x", "method": "GET", "requestId": "r", "resourceId": "i",
///     "resourcePath": "/hello/{name}", "stage": "dev", "identity": {"sourceIp": "127.0.0.1"}},
///   "authorizer": {"principalId": ""}, "stageVariables": {}}"#;
/// let req: ApiGatewayRequest<serde_json::Value> = serde_json::from_str(event).unwrap();
/// assert_eq!(req.path_params["name"], "ada");
/// assert_eq!(req.body["a"], 1);
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ApiGatewayRequest<B> {
    /// The HTTP method.
    pub method: String,
    /// The body.
    pub body: B,
    /// Headers (a repeated header: its last value).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Query string parameters, decoded.
    #[serde(default)]
    pub query_params: BTreeMap<String, String>,
    /// Path parameters, as the client sent them: API Gateway does not
    /// percent-decode them (`/items/a%20b` gives `a%20b`).
    #[serde(default)]
    pub path_params: BTreeMap<String, String>,
    /// Request context.
    #[serde(default)]
    pub context: RequestContext,
    /// Authorizer output (`principalId`, …).
    #[serde(default)]
    pub authorizer: BTreeMap<String, String>,
    /// Stage variables.
    #[serde(default)]
    pub stage_variables: BTreeMap<String, String>,
}

impl<B: DeserializeOwned> ApiGatewayRequest<B> {
    /// A header, names compared without case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A successful answer: status code, headers and body. The default
/// response template makes `code` the status and `headers` response
/// headers.
///
/// ```
/// use phalanx::Response;
/// let r = Response::new(201, serde_json::json!({"id": 7})).header("Location", "/items/7");
/// assert_eq!(serde_json::to_value(&r).unwrap()["headers"]["Location"], "/items/7");
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Response<T> {
    /// The HTTP status.
    pub code: u16,
    /// Response headers.
    pub headers: BTreeMap<String, String>,
    /// The body.
    pub body: T,
}

impl<T> Response<T> {
    /// `code` with `body`.
    pub fn new(code: u16, body: T) -> Response<T> {
        Response {
            code,
            headers: BTreeMap::new(),
            body,
        }
    }

    /// With a header.
    pub fn header(mut self, name: &str, value: &str) -> Response<T> {
        self.headers.insert(name.to_string(), value.to_string());
        self
    }
}

/// A failed answer with a 4xx/5xx status: the function fails with an
/// `errorMessage` of `{"code":404,"message":"…"}`, which the method's
/// default integration responses select by code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    /// The HTTP status (one of [`ERROR_CODES`]).
    pub code: u16,
    /// The message.
    pub message: String,
}

/// The error statuses every method gets an integration response for.
pub const ERROR_CODES: [u16; 10] = [400, 401, 403, 404, 409, 422, 429, 500, 502, 503];

impl ErrorResponse {
    /// An error with `code` and `message`.
    pub fn new(code: u16, message: impl Into<String>) -> ErrorResponse {
        ErrorResponse {
            code,
            message: message.into(),
        }
    }

    /// The `errorMessage` text.
    pub fn to_message(&self) -> String {
        serde_json::json!({"code": self.code, "message": self.message}).to_string()
    }

    /// The selection pattern that picks `code` out of an error message.
    /// The 500 response also takes every error that is not an
    /// `ErrorResponse` (panics, timeouts, events the handler cannot
    /// decode); its pattern excludes the other codes so no message matches
    /// two responses (AWS does not say which of two matches wins).
    pub fn selection_pattern(code: u16) -> String {
        if code == 500 {
            let others: Vec<String> = ERROR_CODES
                .iter()
                .filter(|c| **c != 500)
                .map(u16::to_string)
                .collect();
            format!(r#"(?s)(?!\{{"code":({}),).+"#, others.join("|"))
        } else {
            format!(r#"\{{"code":{code},.*"#)
        }
    }
}

impl std::fmt::Display for ErrorResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.message)
    }
}

impl std::error::Error for ErrorResponse {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Api, Context, Function, Service};
    use http::{Method, StatusCode};
    use phalanx_gateway::GatewayRequest;
    use serde_json::Value;

    /// The request template as the source has it, comments and all.
    fn with_comments(body: &str) -> String {
        format!("{{\n{},\n{}}}\n", body.trim_end(), COMMON.trim_end())
    }

    /// `(status, body)` of a POST through a service whose function returns
    /// its event (plus a `Response` code when asked for, to take the
    /// response template's other branch), with `requestId` (new on every
    /// request) taken out.
    fn answer(service: &Service, content_type: &str, body: &str) -> (u16, Value) {
        let gateway = service.gateway(None).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let reply = rt.block_on(gateway.handle(GatewayRequest {
            method: "POST".into(),
            path: "/dev/x".into(),
            query: Some("q=1&r=%22".into()),
            headers: vec![
                ("content-type".into(), content_type.into()),
                ("x-quote".into(), "it's \"quoted\"".into()),
            ],
            body: body.to_string().into(),
            ..Default::default()
        }));
        let mut value: Value = serde_json::from_slice(&reply.body).unwrap();
        if let Some(context) = value.get_mut("context").and_then(Value::as_object_mut) {
            context.remove("requestId");
        }
        (reply.status, value)
    }

    fn service(raw_templates: bool) -> Service {
        let echo = Function::new("echo", |event: Value, _: Context| async move {
            if event["queryParams"]["q"] == "1" && event["body"] == "respond" {
                return Ok(
                    serde_json::json!({"code": 202, "headers": {"x-a": "b"}, "body": event}),
                );
            }
            Ok::<_, std::convert::Infallible>(event)
        });
        let mut api = Api::new("t").stage("dev");
        let method = api
            .resource("/x", &echo)
            .method(Method::POST, StatusCode::OK);
        if raw_templates {
            for (content_type, body) in [
                ("application/json", BODY_JSON),
                ("text/plain", BODY_TEXT),
                ("application/x-www-form-urlencoded", BODY_FORM),
            ] {
                method.request_template(content_type, &with_comments(body));
            }
            method
                .integration_response(StatusCode::OK)
                .response_templates
                .insert("application/json".into(), RESPONSE.into());
        }
        Service::new("t").function(echo).api(api)
    }

    #[test]
    fn templates_without_their_comment_lines_render_the_same() {
        let (raw, stripped) = (service(true), service(false));
        for (content_type, body) in [
            ("application/json", r#"{"name": "pen", "n": [1, 2]}"#),
            ("text/plain", "respond"),
            ("text/plain", "line one\nline \"two\" \\ it's"),
            ("application/x-www-form-urlencoded", "a=1&b=x%20y&c&=d"),
        ] {
            let expected = answer(&raw, content_type, body);
            assert_eq!(
                answer(&stripped, content_type, body),
                expected,
                "{content_type}: {body}"
            );
        }
        // And they are smaller: no line of them is a comment.
        for template in default_request_templates().iter().map(|(_, t)| t) {
            assert!(!template.lines().any(|l| l.starts_with("##")));
        }
        assert!(response_template().len() < RESPONSE.len() / 2);
    }
}
