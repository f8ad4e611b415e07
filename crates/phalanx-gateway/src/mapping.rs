//! Parameter mapping expressions: `RequestParameters` of an integration
//! (`integration.request.header.X` ← `method.request.querystring.y`) and
//! `ResponseParameters` of an integration response or gateway response
//! (`method.response.header.Location` ←
//! `integration.response.body.location`).
//!
//! Expressions are parsed once, when the API is built; errors carry AWS's
//! own wording ("Invalid mapping expression specified: Validation Result:
//! warnings : [], errors : [...]"), from the API Gateway REST API
//! reference for `PutIntegration` / `PutIntegrationResponse`.

use crate::jsonpath::Path;

/// Where a mapped value comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// `'literal'`.
    Literal(String),
    /// `method.request.{path,querystring,header}.NAME`.
    MethodRequest(Location, String),
    /// `method.request.multivalue{querystring,header}.NAME` — values joined
    /// with commas.
    MethodRequestMulti(Location, String),
    /// `method.request.body` (whole) or `method.request.body.JSONPath`.
    MethodRequestBody(Option<Path>),
    /// `integration.response.header.NAME`.
    IntegrationResponseHeader(String),
    /// `integration.response.multivalueheader.NAME`.
    IntegrationResponseMultiHeader(String),
    /// `integration.response.body` or `integration.response.body.JSONPath`.
    IntegrationResponseBody(Option<Path>),
    /// `stageVariables.NAME`.
    StageVariable(String),
    /// `context.NAME` (dotted).
    Context(String),
}

/// The part of a request a parameter lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Location {
    /// A path parameter.
    Path,
    /// A query string parameter.
    QueryString,
    /// A header.
    Header,
}

impl Location {
    /// The name AWS uses in expressions.
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::QueryString => "querystring",
            Location::Header => "header",
        }
    }
}

/// Which sources an expression may use, by where it is mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Integration request parameters.
    IntegrationRequest,
    /// Integration response parameters.
    IntegrationResponse,
    /// Gateway response parameters.
    GatewayResponse,
}

/// AWS's wording for a rejected mapping.
pub fn invalid_expression(what: &str) -> String {
    format!(
        "Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: {what}]"
    )
}

/// AWS's wording for a mapping whose parameter is not declared.
pub fn invalid_parameter(what: &str) -> String {
    format!(
        "Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression parameter specified: {what}]"
    )
}

fn location(name: &str) -> Option<Location> {
    match name {
        "path" => Some(Location::Path),
        "querystring" => Some(Location::QueryString),
        "header" => Some(Location::Header),
        _ => None,
    }
}

/// Parses a destination: `integration.request.LOCATION.NAME` (request
/// side), `method.response.header.NAME` or `gatewayresponse.header.NAME`.
pub fn parse_destination(side: Side, dest: &str) -> Result<(Location, String), String> {
    let parsed = match side {
        Side::IntegrationRequest => dest.strip_prefix("integration.request.").and_then(|rest| {
            let (loc, name) = rest.split_once('.')?;
            Some((location(loc)?, name))
        }),
        Side::IntegrationResponse => dest
            .strip_prefix("method.response.header.")
            .map(|n| (Location::Header, n)),
        Side::GatewayResponse => dest
            .strip_prefix("gatewayresponse.header.")
            .map(|n| (Location::Header, n)),
    };
    match parsed {
        Some((loc, name)) if !name.is_empty() => Ok((loc, name.to_string())),
        _ => Err(invalid_parameter(dest)),
    }
}

/// Parses a source expression for `side`.
pub fn parse_source(side: Side, expr: &str) -> Result<Source, String> {
    let bad = || invalid_expression(expr);
    let e = expr.trim();
    if let Some(rest) = e.strip_prefix('\'') {
        return rest
            .strip_suffix('\'')
            .map(|lit| Source::Literal(lit.to_string()))
            .ok_or_else(bad);
    }
    if let Some(name) = e.strip_prefix("stageVariables.") {
        return non_empty(name).map(Source::StageVariable).ok_or_else(bad);
    }
    if let Some(name) = e.strip_prefix("context.") {
        return non_empty(name).map(Source::Context).ok_or_else(bad);
    }
    if let Some(rest) = e.strip_prefix("method.request.") {
        if side == Side::IntegrationResponse {
            return Err(bad());
        }
        if rest == "body" {
            return Ok(Source::MethodRequestBody(None));
        }
        if let Some(path) = rest.strip_prefix("body.") {
            return Ok(Source::MethodRequestBody(Some(
                json_path(path).ok_or_else(bad)?,
            )));
        }
        let (loc, name) = rest.split_once('.').ok_or_else(bad)?;
        let name = non_empty(name).ok_or_else(bad)?;
        return match loc {
            "multivaluequerystring" => Ok(Source::MethodRequestMulti(Location::QueryString, name)),
            "multivalueheader" => Ok(Source::MethodRequestMulti(Location::Header, name)),
            _ => location(loc)
                .map(|l| Source::MethodRequest(l, name))
                .ok_or_else(bad),
        };
    }
    if let Some(rest) = e.strip_prefix("integration.response.") {
        if side != Side::IntegrationResponse {
            return Err(bad());
        }
        if rest == "body" {
            return Ok(Source::IntegrationResponseBody(None));
        }
        if let Some(path) = rest.strip_prefix("body.") {
            return Ok(Source::IntegrationResponseBody(Some(
                json_path(path).ok_or_else(bad)?,
            )));
        }
        if let Some(name) = rest.strip_prefix("header.") {
            return non_empty(name)
                .map(Source::IntegrationResponseHeader)
                .ok_or_else(bad);
        }
        if let Some(name) = rest.strip_prefix("multivalueheader.") {
            return non_empty(name)
                .map(Source::IntegrationResponseMultiHeader)
                .ok_or_else(bad);
        }
    }
    Err(bad())
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// `integration.response.body.a.b` is the JSONPath `$.a.b`.
fn json_path(path: &str) -> Option<Path> {
    Path::parse(&format!("$.{path}")).ok()
}

/// The body that body-to-header mappings read for a Lambda function error
/// (developer guide, "Handle custom Lambda errors in API Gateway"): when the
/// error's `errorMessage` is a stringified JSON object, API Gateway
/// deserialises it for header mappings, so
/// `integration.response.body.errorMessage.trace.function` reaches into it
/// (a nested object or number comes out as its JSON text). This applies only
/// to body-to-header mappings, not to `$input.body` in templates. `None`
/// when the body is not such an error: mappings then read it as it is.
pub fn lambda_error_header_body(body: &[u8]) -> Option<Vec<u8>> {
    let mut doc: serde_json::Value = serde_json::from_slice(body).ok()?;
    let message = doc.get_mut("errorMessage")?;
    let parsed: serde_json::Value = serde_json::from_str(message.as_str()?).ok()?;
    if !parsed.is_object() {
        return None;
    }
    *message = parsed;
    serde_json::to_vec(&doc).ok()
}

/// An integration response's headers and body.
pub type IntegrationResponseParts<'a> = (&'a [(String, String)], &'a [u8]);

/// The values a mapping may read, for one request.
pub struct Sources<'a> {
    /// Path parameters.
    pub path: &'a [(String, String)],
    /// Query string parameters, every value.
    pub querystring: &'a [(String, String)],
    /// Request headers, every value.
    pub headers: &'a [(String, String)],
    /// The method request body.
    pub request_body: &'a [u8],
    /// The integration response, on the response side.
    pub integration_response: Option<IntegrationResponseParts<'a>>,
    /// Stage variables.
    pub stage_variables: &'a indexmap::IndexMap<String, String>,
    /// `$context`.
    pub context: &'a crate::vtl::RequestContext,
}

impl Source {
    /// Evaluates the expression; `None` when the source is absent (AWS then
    /// leaves the destination unset).
    pub fn evaluate(&self, s: &Sources<'_>) -> Option<String> {
        fn last(list: &[(String, String)], name: &str, fold_case: bool) -> Option<String> {
            list.iter()
                .rev()
                .find(|(k, _)| {
                    if fold_case {
                        k.eq_ignore_ascii_case(name)
                    } else {
                        k == name
                    }
                })
                .map(|(_, v)| v.clone())
        }
        fn all(list: &[(String, String)], name: &str, fold_case: bool) -> Option<String> {
            let values: Vec<&str> = list
                .iter()
                .filter(|(k, _)| {
                    if fold_case {
                        k.eq_ignore_ascii_case(name)
                    } else {
                        k == name
                    }
                })
                .map(|(_, v)| v.as_str())
                .collect();
            (!values.is_empty()).then(|| values.join(","))
        }
        fn body_value(body: &[u8], path: &Option<Path>) -> Option<String> {
            let Some(path) = path else {
                return Some(String::from_utf8_lossy(body).into_owned());
            };
            let doc: serde_json::Value = serde_json::from_slice(body).ok()?;
            match path.select(&doc)? {
                serde_json::Value::String(s) => Some(s),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            }
        }
        match self {
            Source::Literal(s) => Some(s.clone()),
            Source::MethodRequest(Location::Path, name) => last(s.path, name, false),
            Source::MethodRequest(Location::QueryString, name) => last(s.querystring, name, false),
            Source::MethodRequest(Location::Header, name) => last(s.headers, name, true),
            Source::MethodRequestMulti(Location::Header, name) => all(s.headers, name, true),
            Source::MethodRequestMulti(_, name) => all(s.querystring, name, false),
            Source::MethodRequestBody(path) => body_value(s.request_body, path),
            Source::IntegrationResponseHeader(name) => last(s.integration_response?.0, name, true),
            Source::IntegrationResponseMultiHeader(name) => {
                all(s.integration_response?.0, name, true)
            }
            Source::IntegrationResponseBody(path) => body_value(s.integration_response?.1, path),
            Source::StageVariable(name) => s.stage_variables.get(name).cloned(),
            Source::Context(name) => s.context.lookup(name),
        }
    }

    /// The method request parameter this reads, if any, as
    /// `method.request.LOCATION.NAME` — it must be declared on the method.
    pub fn method_request_parameter(&self) -> Option<String> {
        match self {
            Source::MethodRequest(loc, name) | Source::MethodRequestMulti(loc, name) => {
                Some(format!("method.request.{}.{name}", loc.as_str()))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_source_kind() {
        use Side::*;
        assert!(
            matches!(parse_source(IntegrationResponse, "'a b'"), Ok(Source::Literal(s)) if s == "a b")
        );
        assert!(matches!(
            parse_source(IntegrationRequest, "method.request.querystring.q"),
            Ok(Source::MethodRequest(Location::QueryString, n)) if n == "q"
        ));
        assert!(matches!(
            parse_source(IntegrationResponse, "integration.response.body.location"),
            Ok(Source::IntegrationResponseBody(Some(_)))
        ));
        assert!(matches!(
            parse_source(IntegrationResponse, "integration.response.header.X-Id"),
            Ok(Source::IntegrationResponseHeader(n)) if n == "X-Id"
        ));
        assert!(matches!(
            parse_source(GatewayResponse, "context.requestId"),
            Ok(Source::Context(_))
        ));
    }

    #[test]
    fn lambda_error_messages_holding_json_objects_are_deserialised() {
        let body = br#"{"errorMessage":"{\"a\":{\"b\":1}}","errorType":"E"}"#;
        let out = lambda_error_header_body(body).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["errorMessage"]["a"]["b"], 1);
        assert_eq!(v["errorType"], "E");
        for body in [
            &br#"{"errorMessage":"plain text"}"#[..],
            br#"{"errorMessage":"[1,2]"}"#,
            br#"{"errorMessage":"12"}"#,
            br#"{"errorMessage":{"a":1}}"#,
            br#"{"other":"{}"}"#,
            br#"["errorMessage"]"#,
            b"not json",
            b"",
        ] {
            assert!(lambda_error_header_body(body).is_none());
        }
    }

    #[test]
    fn rejects_with_aws_wording() {
        assert_eq!(
            parse_source(Side::IntegrationResponse, "true").unwrap_err(),
            "Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: true]"
        );
        assert!(parse_source(Side::IntegrationResponse, "'unterminated").is_err());
        assert!(parse_source(Side::IntegrationResponse, "method.request.header.x").is_err());
        assert!(parse_source(Side::IntegrationRequest, "integration.response.body").is_err());
        assert_eq!(
            parse_destination(Side::IntegrationResponse, "method.response.body").unwrap_err(),
            "Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression parameter specified: method.response.body]"
        );
    }
}
