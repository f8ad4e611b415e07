//! Stage 5, integrate: call the backend, within the integration timeout
//! (`TimeoutInMillis`, default 29 s → 504 `Endpoint request timed out`).
//!
//! - `AWS` (Lambda, non-proxy): the integration request body is the event.
//!   A function error comes back with Lambda's error object as the body
//!   and its `errorMessage` for selection.
//! - `AWS_PROXY`: the function's answer must be a proxy response
//!   (`statusCode`, `headers`, `multiValueHeaders`, `body`,
//!   `isBase64Encoded` and nothing else); anything else, and any function
//!   error, is 502 `Internal server error` (developer guide, "Output format
//!   of a Lambda function for proxy integration"; LocalStack's
//!   AWS-validated `integrations/aws.py`).
//! - `MOCK`: the status is the `statusCode` of the rendered request
//!   template, read leniently (`{statusCode: 200}` works, as CDK's CORS
//!   mocks rely on); no status is a 500.
//! - `HTTP`, `HTTP_PROXY`: a real HTTP request to the URI.

use super::integration_request::IntegrationRequest;
use super::{Exchange, GatewayError, ResponseType, accepts_binary};
use crate::compile::CompiledIntegration;
use crate::invoke::{Invocation, InvokeError, InvokeOutput, Invoker};
use crate::model::IntegrationType;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::Value as Json;
use std::time::Duration;

/// Characters escaped in a path parameter substituted into a backend URI.
/// Not `%`: a method request path parameter arrives still percent-encoded
/// (see `route`), and its escapes must reach the backend as they are.
const PATH_VALUE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// What the backend answered.
#[derive(Debug, Clone, Default)]
pub struct EndpointResponse {
    /// The backend's status (200 for a Lambda invocation, error or not).
    pub status: u16,
    /// The backend's headers.
    pub headers: Vec<(String, String)>,
    /// The backend's body.
    pub body: Bytes,
    /// A Lambda function error's `errorMessage` (non-proxy), for selection.
    pub function_error: Option<String>,
}

/// The HTTP client used for HTTP integrations.
pub type HttpClient = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    Full<Bytes>,
>;

/// A new HTTP client.
pub fn http_client() -> HttpClient {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

/// What integrations reach: functions and HTTP backends.
pub(crate) struct Backends<'a> {
    pub(crate) invoker: &'a dyn Invoker,
    pub(crate) http: &'a HttpClient,
}

/// Calls the integration within its timeout.
pub(crate) async fn call(
    x: &Exchange<'_>,
    integration: &CompiledIntegration,
    backends: Backends<'_>,
    ireq: &IntegrationRequest,
) -> Result<EndpointResponse, GatewayError> {
    let Backends { invoker, http } = backends;
    let api = x.api;
    let work = async {
        match integration.kind {
            IntegrationType::Mock => mock(ireq),
            IntegrationType::Aws => lambda(x, integration, invoker, ireq).await,
            IntegrationType::AwsProxy => lambda_proxy(x, integration, invoker, ireq).await,
            IntegrationType::Http | IntegrationType::HttpProxy => {
                http_call(x, integration, http, ireq).await
            }
        }
    };
    // A timer only where it can fire first: a MOCK answers at once, and a
    // function whose own timeout (enforced by the invoker, per the Invoker
    // contract) is shorter than the integration's ends before it.
    let function_timeout_ms = integration
        .function
        .as_ref()
        .and_then(|f| api.functions.get(f))
        .map(|f| f.timeout.unwrap_or(3).saturating_mul(1000));
    let bounded_by_function = matches!(
        integration.kind,
        IntegrationType::Aws | IntegrationType::AwsProxy
    ) && function_timeout_ms.is_some_and(|t| t < integration.timeout_ms);
    if integration.kind == IntegrationType::Mock || bounded_by_function {
        return work.await;
    }
    match tokio::time::timeout(Duration::from_millis(integration.timeout_ms), work).await {
        Ok(result) => result,
        Err(_) => Err(GatewayError::new(
            ResponseType::IntegrationTimeout,
            "Endpoint request timed out",
        )
        .with_detail(format!(
            "the integration did not answer within {} ms",
            integration.timeout_ms
        ))),
    }
}

fn mock(ireq: &IntegrationRequest) -> Result<EndpointResponse, GatewayError> {
    let text = super::text(&ireq.body);
    match mock_status(&text) {
        Some(status) => Ok(EndpointResponse {
            status,
            ..EndpointResponse::default()
        }),
        None => Err(GatewayError::new(ResponseType::Default5xx, "Internal server error").with_detail(
            "Execution failed due to configuration error: Unable to parse statusCode. It should be an integer that is defined in the request template.",
        )),
    }
}

/// The `statusCode` of a MOCK request template's output: strict JSON
/// first, then the lenient `{key: value, …}` form AWS also accepts.
pub fn mock_status(text: &str) -> Option<u16> {
    let from_json = |v: &Json| {
        v.get("statusCode")?
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
    };
    if let Ok(v) = serde_json::from_str::<Json>(text) {
        return from_json(&v);
    }
    let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    for pair in inner.split(',') {
        let (key, value) = pair.split_once(':')?;
        let key = key.trim().trim_matches(|c| c == '"' || c == '\'');
        if key == "statusCode" {
            return value.trim().parse().ok();
        }
    }
    None
}

/// Invokes the integration's function with `payload`, under the
/// request's id and the function's own timeout.
async fn invoke(
    x: &Exchange<'_>,
    integration: &CompiledIntegration,
    invoker: &dyn Invoker,
    payload: Bytes,
) -> Result<InvokeOutput, GatewayError> {
    let function = integration
        .function
        .clone()
        .ok_or_else(|| GatewayError::configuration("the integration names no function"))?;
    let timeout = x
        .api
        .functions
        .get(&function)
        .and_then(|f| f.timeout)
        .unwrap_or(3);
    invoker
        .invoke(Invocation {
            function,
            payload: payload.clone(),
            request_id: x.context.request_id.clone(),
            timeout: Duration::from_secs(timeout),
        })
        .await
        .map_err(|e| match e {
            InvokeError::EventNotJson => match crate::invoke::not_json_message(&payload) {
                Some(message) => GatewayError::event_not_json(&message),
                None => GatewayError::configuration(e.to_string()),
            },
            InvokeError::UnknownFunction(_) => GatewayError::configuration(e.to_string()),
            InvokeError::Unavailable(_) => {
                GatewayError::new(ResponseType::IntegrationFailure, "Internal server error")
                    .with_status(500)
                    .with_detail(e.to_string())
            }
        })
}

/// A Lambda (non-proxy) integration: the integration request is the event.
async fn lambda(
    x: &Exchange<'_>,
    integration: &CompiledIntegration,
    invoker: &dyn Invoker,
    ireq: &IntegrationRequest,
) -> Result<EndpointResponse, GatewayError> {
    // Lambda refuses an event that is not JSON before the function runs;
    // API Gateway answers 400 with Lambda's message (see
    // `GatewayError::event_not_json`). (An invoker that refuses it itself
    // is not asked twice.)
    let refused_by_invoker = integration
        .function
        .as_deref()
        .is_some_and(|f| invoker.refuses_non_json(f));
    if !refused_by_invoker && let Some(message) = crate::invoke::not_json_message(&ireq.body) {
        return Err(GatewayError::event_not_json(&message));
    }
    let json_header = vec![("Content-Type".to_string(), "application/json".to_string())];
    match invoke(x, integration, invoker, lambda_event(&ireq.body)).await? {
        InvokeOutput::Success(body) => Ok(EndpointResponse {
            status: 200,
            headers: json_header,
            body,
            function_error: None,
        }),
        InvokeOutput::FunctionError(body) => {
            let message = serde_json::from_slice::<Json>(&body)
                .ok()
                .and_then(|v| {
                    v.get("errorMessage")
                        .and_then(Json::as_str)
                        .map(str::to_string)
                })
                .unwrap_or_default();
            Ok(EndpointResponse {
                status: 200,
                headers: json_header,
                body,
                function_error: Some(message),
            })
        }
    }
}

/// The event Lambda hands a function for a non-proxy integration's
/// request: the request as the template left it, except that Lambda's
/// Invoke API turns an empty payload into `{}` (LocalStack's AWS-validated
/// `test_lambda_common.py`: an invocation with no payload reaches an echo
/// function as `{}`). A request without a body and without a template (or
/// one that renders nothing) is such a payload; a runtime client would
/// otherwise fail to decode it (`Runtime.UnmarshalError` in awslambdaric).
/// Blank text counts as empty too, as it passes for JSON in
/// `not_json_message`.
fn lambda_event(body: &Bytes) -> Bytes {
    if body.iter().all(u8::is_ascii_whitespace) {
        Bytes::from_static(b"{}")
    } else {
        body.clone()
    }
}

/// A Lambda proxy integration: the answer must be a proxy response.
async fn lambda_proxy(
    x: &Exchange<'_>,
    integration: &CompiledIntegration,
    invoker: &dyn Invoker,
    ireq: &IntegrationRequest,
) -> Result<EndpointResponse, GatewayError> {
    let payload = match invoke(x, integration, invoker, ireq.body.clone()).await? {
        InvokeOutput::Success(p) => p,
        InvokeOutput::FunctionError(body) => {
            return Err(GatewayError::bad_gateway(format!(
                "Lambda execution failed due to a function error: {}",
                String::from_utf8_lossy(&body)
            )));
        }
    };
    let binary_accepted = accepts_binary(x.header("accept"), &x.api.binary_media_types);
    parse_proxy_response(&payload, binary_accepted).map_err(|why| {
        GatewayError::bad_gateway(format!(
            "Execution failed due to configuration error: Malformed Lambda proxy response ({why}): {}",
            String::from_utf8_lossy(&payload)
        ))
    })
}

/// Reads a Lambda proxy response; `Err` says why it is malformed.
pub fn parse_proxy_response(
    payload: &[u8],
    binary_accepted: bool,
) -> Result<EndpointResponse, String> {
    let value: Json = serde_json::from_slice(payload).map_err(|e| format!("not JSON: {e}"))?;
    let Json::Object(map) = value else {
        return Err("not a JSON object".into());
    };
    const KEYS: [&str; 5] = [
        "statusCode",
        "headers",
        "multiValueHeaders",
        "body",
        "isBase64Encoded",
    ];
    if let Some(extra) = map.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(format!("unexpected field `{extra}`"));
    }
    let status = match map.get("statusCode") {
        None | Some(Json::Null) => 200,
        Some(Json::Number(n)) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .ok_or("statusCode is not a status code")?,
        Some(Json::String(s)) => s.trim().parse().map_err(|_| "statusCode is not a number")?,
        Some(_) => return Err("statusCode is not a number".into()),
    };
    if !(100..=599).contains(&status) {
        return Err(format!("statusCode {status} is out of range"));
    }
    let scalar = |v: &Json| match v {
        Json::String(s) => Some(s.clone()),
        Json::Bool(b) => Some(b.to_string()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    let mut set = |name: &str, value: String, replace: bool| {
        if replace {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        }
        headers.push((name.to_string(), value));
    };
    let mut single: Vec<(String, String)> = Vec::new();
    match map.get("headers") {
        None | Some(Json::Null) => {}
        Some(Json::Object(h)) => {
            for (k, v) in h {
                single.push((
                    k.clone(),
                    scalar(v).ok_or(format!("header `{k}` is not a string"))?,
                ));
            }
        }
        Some(_) => return Err("headers is not an object".into()),
    }
    let mut multi: Vec<(String, Vec<String>)> = Vec::new();
    match map.get("multiValueHeaders") {
        None | Some(Json::Null) => {}
        Some(Json::Object(h)) => {
            for (k, v) in h {
                let Json::Array(items) = v else {
                    return Err(format!("multiValueHeaders `{k}` is not a list"));
                };
                let values = items
                    .iter()
                    .map(|i| {
                        scalar(i).ok_or(format!(
                            "a value of multiValueHeaders `{k}` is not a string"
                        ))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                multi.push((k.clone(), values));
            }
        }
        Some(_) => return Err("multiValueHeaders is not an object".into()),
    }
    for (k, v) in &single {
        if !multi.iter().any(|(m, _)| m.eq_ignore_ascii_case(k)) {
            set(k, v.clone(), true);
        }
    }
    for (k, values) in &multi {
        let mut first = true;
        for v in values {
            set(k, v.clone(), first);
            first = false;
        }
        if let Some((_, v)) = single.iter().find(|(s, _)| s.eq_ignore_ascii_case(k)) {
            set(k, v.clone(), false);
        }
    }
    let is_base64 = match map.get("isBase64Encoded") {
        None | Some(Json::Null) => false,
        Some(Json::Bool(b)) => *b,
        Some(_) => return Err("isBase64Encoded is not a boolean".into()),
    };
    let body = match map.get("body") {
        None | Some(Json::Null) => Bytes::new(),
        Some(Json::String(s)) if is_base64 && binary_accepted => {
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .map(Bytes::from)
                .map_err(|e| format!("body is not base64: {e}"))?
        }
        Some(Json::String(s)) => Bytes::from(s.clone()),
        Some(_) => return Err("body is not a string".into()),
    };
    Ok(EndpointResponse {
        status,
        headers,
        body,
        function_error: None,
    })
}

/// An HTTP or HTTP_PROXY integration: a real request to the URI.
async fn http_call(
    x: &Exchange<'_>,
    integration: &CompiledIntegration,
    http: &HttpClient,
    ireq: &IntegrationRequest,
) -> Result<EndpointResponse, GatewayError> {
    let request = x.request;
    let mut url = integration.uri.clone().unwrap_or_default();
    // Path parameters keep their slashes: the developer guide's HTTP proxy
    // example maps `{proxy}` ← method.request.path.proxy and /pets/1 reaches
    // the backend as /pets/1.
    for (name, value) in &ireq.path {
        let encoded = percent_encoding::utf8_percent_encode(value, PATH_VALUE).to_string();
        url = url
            .replace(&format!("{{{name}+}}"), &encoded)
            .replace(&format!("{{{name}}}"), &encoded);
    }
    if !ireq.query.is_empty() {
        let query: Vec<String> = ireq
            .query
            .iter()
            .map(|(k, v)| {
                let enc = |s: &str| {
                    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
                        .to_string()
                };
                format!("{}={}", enc(k), enc(v))
            })
            .collect();
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&query.join("&"));
    }
    let method = match integration.http_method.as_deref() {
        None | Some("ANY") => request.method.clone(),
        Some(m) => m.to_string(),
    };
    let failure = |detail: String| {
        GatewayError::new(ResponseType::IntegrationFailure, "Internal server error")
            .with_status(500)
            .with_detail(detail)
    };
    let mut builder = http::Request::builder().method(method.as_str()).uri(&url);
    for (k, v) in &ireq.headers {
        if k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("connection") {
            continue;
        }
        builder = builder.header(k.as_str(), v.as_str());
    }
    let outgoing = builder
        .body(Full::new(ireq.body.clone()))
        .map_err(|e| failure(format!("invalid integration request to {url}: {e}")))?;
    let response = http
        .request(outgoing)
        .await
        .map_err(|e| failure(format!("the HTTP integration {url} failed: {e}")))?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                super::title_case(k.as_str()),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| failure(format!("reading the response of {url}: {e}")))?
        .to_bytes();
    Ok(EndpointResponse {
        status,
        headers,
        body,
        function_error: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mock_status_is_read_leniently() {
        assert_eq!(mock_status(r#"{"statusCode": 200}"#), Some(200));
        assert_eq!(mock_status("{statusCode: 404, message: 'x'}"), Some(404));
        assert_eq!(mock_status("{'statusCode': 201}"), Some(201));
        assert_eq!(mock_status(r#"{"statusCode": "200"}"#), None);
        assert_eq!(mock_status(""), None);
        assert_eq!(mock_status("nonsense"), None);
    }

    #[test]
    fn proxy_responses_are_validated() {
        let ok = parse_proxy_response(
            br#"{"statusCode": 201, "headers": {"Location": "/x", "X-B": true}, "body": "hi"}"#,
            false,
        )
        .unwrap();
        assert_eq!(ok.status, 201);
        assert!(ok.headers.contains(&("Location".into(), "/x".into())));
        assert!(ok.headers.contains(&("X-B".into(), "true".into())));
        assert_eq!(ok.body, "hi");
        for bad in [
            &br#"{"statusCode": 200, "body": {"a": 1}}"#[..],
            br#"{"statusCode": 200, "extra": 1}"#,
            br#"{"statusCode": "abc"}"#,
            br#"[1]"#,
            b"not json",
            br#"{"headers": {"a": {"b": 1}}}"#,
        ] {
            assert!(
                parse_proxy_response(bad, false).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let defaulted = parse_proxy_response(b"{}", false).unwrap();
        assert_eq!(defaulted.status, 200);
    }
}
