//! The request pipeline: a request in, a response out, through API
//! Gateway's stages in order, each its own module:
//!
//! 1. [`route`] — stage prefix, resource tree, method;
//! 2. [`authorize`] — the caller (a Lambda authorizer, `AWS_IAM`
//!    signatures, Cognito user pool tokens), then API keys, usage plan
//!    throttling and quotas, stage throttling;
//! 3. [`method_request`] — required parameters, body models;
//! 4. [`integration_request`] — template selection, passthrough,
//!    parameter mapping, the request template;
//! 5. [`integrate`] — Lambda (non-proxy and proxy), MOCK, HTTP, with the
//!    integration timeout;
//! 6. [`integration_response`] — selection pattern, response parameters,
//!    response template, overrides;
//! 7. [`method_response`] — declared headers only, and the headers AWS adds.
//!
//! Any stage may stop with a [`GatewayError`], which one edge
//! ([`gateway_response`]) turns into the API's gateway response.
//!
//! What every stage reads about the request — the API, the request, its
//! parsed parameters, `$context` — travels in one `Exchange`, passed by
//! reference; each stage takes it, the part of the method it applies, and
//! what the stage before it produced.

pub mod authorize;
pub mod gateway_response;
pub mod integrate;
pub mod integration_request;
pub mod integration_response;
pub mod method_request;
pub mod method_response;
mod proxy_event;
pub mod route;

pub use gateway_response::{GatewayError, ResponseType};

use crate::compile::CompiledApi;
use crate::vtl::{Overrides, Params, RequestContext};
use bytes::Bytes;
use std::sync::Arc;

/// A request as the gateway receives it.
#[derive(Debug, Clone, Default)]
pub struct GatewayRequest {
    /// `GET`, `POST`, ….
    pub method: String,
    /// The raw (still percent-encoded) path, e.g. `/dev/pets/a%20b`.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// Headers in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
    /// The client's address.
    pub source_ip: String,
    /// e.g. `HTTP/1.1`.
    pub protocol: String,
}

impl GatewayRequest {
    /// The last value of a header (names compared without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A response from the gateway.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GatewayReply {
    /// The status code.
    pub status: u16,
    /// Headers in order; a name may repeat.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl GatewayReply {
    /// The last value of a header (names compared without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One step of a request's trace, as API Gateway's console test shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceStep {
    /// The stage, e.g. `integration request`.
    pub stage: &'static str,
    /// What happened.
    pub detail: String,
}

/// One request on its way through the stages: what every stage reads,
/// gathered once, as `http::request::Parts` gathers a request's head.
/// It only borrows — building one copies nothing — and is passed by
/// reference.
///
/// The matched method is not in it: a request that matches no route still
/// reaches the error edge ([`gateway_response::render`]), so the stages
/// after routing take the method (or its integration) beside it.
pub(crate) struct Exchange<'a> {
    /// The compiled API for the stage served (stage variables, binary media
    /// types, gateway responses, functions).
    pub(crate) api: &'a CompiledApi,
    /// The request as received (method, path, body, client); its headers
    /// have moved into `params`.
    pub(crate) request: &'a GatewayRequest,
    /// Path parameters (still percent-encoded, as AWS passes them), decoded
    /// query string, headers (names title-cased):
    /// what mapping expressions and `$input.params()` read.
    pub(crate) params: &'a Arc<Params>,
    /// `$context`. At the error edge, the context with the error set
    /// ([`gateway_response::error_context`]).
    pub(crate) context: &'a Arc<RequestContext>,
}

impl Exchange<'_> {
    /// Path parameters, as the client encoded them.
    pub(crate) fn path(&self) -> &[(String, String)] {
        &self.params.path
    }

    /// The decoded query string, every value in order.
    pub(crate) fn query(&self) -> &[(String, String)] {
        &self.params.querystring
    }

    /// The headers, every value in order.
    pub(crate) fn headers(&self) -> &[(String, String)] {
        &self.params.header
    }

    /// The last value of a header (names compared without case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.params.header(name)
    }
}

/// Header names as a browser or curl sends them (`Content-Type`): hyper
/// gives lower-case names, AWS passes on the client's spelling, and
/// clients almost always send this one.
pub(crate) fn title_case(name: &str) -> String {
    let mut out = name.to_string();
    title_case_in_place(&mut out);
    out
}

/// [`title_case`] without allocating (header names are ASCII).
pub(crate) fn title_case_in_place(name: &mut String) {
    let mut upper = true;
    // Only ASCII letters change, so the bytes stay UTF-8.
    let mut bytes = std::mem::take(name).into_bytes();
    for b in bytes.iter_mut() {
        if upper {
            b.make_ascii_uppercase();
        }
        upper = *b == b'-';
    }
    *name = String::from_utf8(bytes).unwrap_or_default();
}

/// `a=1&b=x+y&a=2` → decoded pairs in order (`+` is a space, as AWS's
/// `queryStringParameters` show it).
pub(crate) fn parse_query(query: Option<&str>) -> Vec<(String, String)> {
    let Some(q) = query else { return Vec::new() };
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// Renders a mapping template for this request over `body` (the request
/// body or the integration response's), with the overrides set so far; a
/// template that fails is a 500, as AWS answers a template error.
pub(crate) fn render_mapping(
    x: &Exchange<'_>,
    template: &phalanx_vtl::Template,
    body: &[u8],
    overrides: &Overrides,
) -> Result<(Bytes, Overrides), GatewayError> {
    let text = text(body);
    let (rendered, overrides) = crate::vtl::render(
        template,
        crate::vtl::TemplateInput {
            body: &text,
            params: x.params.clone(),
            context: x.context,
            stage_variables: &x.api.stage.variables,
            overrides,
        },
    )
    .map_err(|e| integration_request::template_failure(&e))?;
    Ok((Bytes::from(rendered), overrides))
}

/// A body as text: borrowed when it is UTF-8 (checked with the standard
/// library's fast validator), with U+FFFD for bad bytes otherwise.
pub(crate) fn text(body: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(body) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(body),
    }
}

/// The media type of a `Content-Type` or `Accept` value, parameters
/// stripped and lower-cased.
pub(crate) fn media_type(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Whether `media` matches one of the API's binary media types. An entry
/// matches its own media type, `type/*` every subtype of its type, and
/// `*/*` everything ("to return binary media when you can't control the
/// order of Accept header values … set your API's binary media types to
/// `*/*`", developer guide, "Binary media types for REST APIs"). An entry
/// with a wildcard on the left (`*/test`) matches nothing, and `media` is
/// compared as written, so an `Accept` of `*/*` or `image/*` does not
/// match `image/png` (LocalStack's AWS-validated
/// `test_aws_proxy_binary_response`: `*/test` configured, `random/test`
/// and `*/test` accepted → text; `image/*` and `*/*` accepted with
/// `image/png` configured → text; `application/*` configured,
/// `application/*` accepted → binary).
///
/// `binary_media_types` are the compiled API's, already written as
/// [`media_type`] writes them.
pub(crate) fn is_binary(media: &str, binary_media_types: &[String]) -> bool {
    let Some((t, _)) = media.split_once('/') else {
        return false;
    };
    binary_media_types.iter().any(|b| {
        let b = b.as_str();
        if b == "*/*" {
            return true;
        }
        match b.split_once('/') {
            Some(("*", _)) | None => false,
            Some((bt, "*")) => bt == t,
            Some(_) => b == media,
        }
    })
}

/// Whether a request's `Accept` asks for binary: AWS reads only its first
/// media type ("if a request's Accept header contains multiple media
/// types, API Gateway honors only the first Accept media type", developer
/// guide, "Content type conversions in API Gateway"; recorded in
/// LocalStack's `test_aws_proxy_binary_response`: `image/webp,image/png`
/// → text, `image/png,image/*` → binary).
pub(crate) fn accepts_binary(accept: Option<&str>, binary_media_types: &[String]) -> bool {
    accept.is_some_and(|a| {
        let first = a.split(',').next().unwrap_or("");
        is_binary(&media_type(first), binary_media_types)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_header_helpers() {
        assert_eq!(
            parse_query(Some("a=1&b=x+y%2Bz&a=2&flag")),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y+z".into()),
                ("a".into(), "2".into()),
                ("flag".into(), "".into())
            ]
        );
        assert_eq!(title_case("x-amz-date"), "X-Amz-Date");
        assert_eq!(
            media_type("Application/JSON; charset=utf-8"),
            "application/json"
        );
        let types = vec![
            "image/*".to_string(),
            "application/octet-stream".to_string(),
        ];
        assert!(is_binary("image/png", &types));
        assert!(!is_binary("application/json", &types));
        assert!(is_binary("text/plain", &["*/*".to_string()]));
    }

    #[test]
    fn binary_accept_is_the_first_type_and_wildcards_are_literal() {
        // LocalStack's AWS-validated `test_aws_proxy_binary_response`
        // (tests/aws/services/apigateway/test_apigateway_lambda.py): with
        // `image/png` and `*/test` configured …
        let types = vec!["image/png".to_string(), "*/test".to_string()];
        assert!(accepts_binary(Some("image/png"), &types));
        assert!(!accepts_binary(Some("image/jpg"), &types));
        assert!(!accepts_binary(Some("image/*"), &types));
        assert!(!accepts_binary(Some("*/test"), &types));
        assert!(!accepts_binary(Some("random/test"), &types));
        assert!(!accepts_binary(Some("*/*"), &types));
        assert!(!accepts_binary(
            Some("image/webp,image/png,*/*;q=0.8"),
            &types
        ));
        assert!(accepts_binary(Some("image/png,image/*,*/*;q=0.8"), &types));
        assert!(!accepts_binary(None, &types));
        // … then with `application/*`: any application subtype, and the
        // wildcard itself.
        let types = vec!["application/*".to_string()];
        assert!(accepts_binary(Some("application/whatever"), &types));
        assert!(accepts_binary(Some("application/*"), &types));
        assert!(!accepts_binary(Some("text/plain"), &types));
    }
}
