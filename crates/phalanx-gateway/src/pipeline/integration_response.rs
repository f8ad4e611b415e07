//! Stage 6, integration response: from the backend's answer to the
//! method response's status, headers and body (non-proxy integrations;
//! proxy integrations pass the answer through).
//!
//! - Selection: for Lambda, each `SelectionPattern` is a Java regex matched
//!   against the **whole** `errorMessage` (`""` for a success, so `.+`
//!   selects errors only — developer guide, `selectionPattern` in the
//!   `IntegrationResponse` reference); for HTTP and MOCK, against the status
//!   code. No match → the response without a pattern; none → 500
//!   (`Execution failed due to configuration error: No match for output
//!   mapping and no default output mapping configured`).
//! - `ResponseParameters` map `integration.response.body.JSONPath`,
//!   `integration.response.header.X`, literals, context and stage variables
//!   to declared method response headers. For a Lambda function error whose
//!   `errorMessage` is a stringified JSON object, the body they read has it
//!   deserialised (`integration.response.body.errorMessage.trace.function`;
//!   developer guide, "Handle custom Lambda errors in API Gateway").
//! - The template is chosen by the request's `Accept` media types, then
//!   `application/json`, then the first; without templates the body passes
//!   through. Response overrides (from the request or response template)
//!   apply last.
//! - Before the template, the body is converted as the developer guide's
//!   "Content type conversions in API Gateway" response table says, from
//!   whether the backend's `Content-Type` is a binary media type, whether
//!   the request's first `Accept` type is one, and the integration
//!   response's `ContentHandling`: `CONVERT_TO_BINARY` base64-decodes a
//!   text body, `CONVERT_TO_TEXT` base64-encodes a binary one, and without
//!   it a binary `Accept` decodes a text body and a text `Accept` encodes a
//!   binary one.

use super::integrate::EndpointResponse;
use super::{
    Exchange, GatewayError, GatewayReply, ResponseType, accepts_binary, is_binary, media_type,
};
use crate::compile::{CompiledIntegration, CompiledIntegrationResponse};
use crate::mapping::Sources;
use crate::model::ContentHandling;
use crate::model::IntegrationType;
use crate::vtl::Overrides;
use base64::Engine as _;
use bytes::Bytes;

/// Which integration response was selected, for traces.
pub(crate) struct Selected {
    pub(crate) reply: GatewayReply,
    pub(crate) status: u16,
    pub(crate) selection_value: String,
}

/// Picks the integration response for a selection value.
pub(crate) fn select<'a>(
    integration: &'a CompiledIntegration,
    value: &str,
) -> Option<&'a CompiledIntegrationResponse> {
    integration
        .responses
        .iter()
        .find(|r| r.pattern.as_ref().is_some_and(|p| p.is_match(value)))
        .or_else(|| integration.responses.iter().find(|r| r.pattern.is_none()))
}

/// Applies the integration response to the backend's answer, after the
/// request template set `overrides`.
pub(crate) fn apply(
    x: &Exchange<'_>,
    integration: &CompiledIntegration,
    endpoint: EndpointResponse,
    overrides: &Overrides,
) -> Result<Selected, GatewayError> {
    if matches!(
        integration.kind,
        IntegrationType::AwsProxy | IntegrationType::HttpProxy
    ) {
        let status = endpoint.status;
        return Ok(Selected {
            reply: GatewayReply {
                status,
                headers: endpoint.headers,
                body: endpoint.body,
            },
            status,
            selection_value: String::new(),
        });
    }
    let selection_value = match integration.kind {
        IntegrationType::Aws => endpoint.function_error.clone().unwrap_or_default(),
        _ => endpoint.status.to_string(),
    };
    let Some(response) = select(integration, &selection_value) else {
        return Err(GatewayError::configuration(format!(
            "Execution failed due to configuration error: No match for output mapping and no default output mapping configured. Endpoint Response Status Code: {}",
            endpoint.status
        )));
    };

    let mut headers: Vec<(String, String)> = Vec::new();
    // A Lambda error whose errorMessage is a JSON object is deserialised for
    // body-to-header mappings (not for templates).
    let header_body = match (&integration.kind, &endpoint.function_error) {
        (IntegrationType::Aws, Some(_)) if !response.response_parameters.is_empty() => {
            crate::mapping::lambda_error_header_body(&endpoint.body)
        }
        _ => None,
    };
    let sources = Sources {
        path: x.path(),
        querystring: x.query(),
        headers: x.headers(),
        request_body: &x.request.body,
        integration_response: Some((
            &endpoint.headers,
            header_body.as_deref().unwrap_or(&endpoint.body),
        )),
        stage_variables: &x.api.stage.variables,
        context: x.context,
    };
    for (header, source) in &response.response_parameters {
        if let Some(value) = source.evaluate(&sources) {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case(header));
            headers.push((header.clone(), value));
        }
    }

    let converted = convert_body(x, &endpoint, response.content_handling)?;
    let template = choose_template(&response.templates, x.header("accept"));
    let (body, content_type, overrides) = match template {
        Some((content_type, template)) => {
            let (rendered, overrides) = super::render_mapping(x, template, &converted, overrides)?;
            (rendered, content_type.clone(), overrides)
        }
        None => (
            converted,
            "application/json".to_string(),
            if overrides.is_empty() {
                Overrides::default()
            } else {
                overrides.clone()
            },
        ),
    };
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.insert(0, ("Content-Type".to_string(), content_type));
    }
    let mut status = response.status;
    if let Some(s) = overrides.response_status {
        status = s;
    }
    for (k, v) in &overrides.response_headers {
        headers.retain(|(h, _)| !h.eq_ignore_ascii_case(k));
        headers.push((k.clone(), v.clone()));
    }
    Ok(Selected {
        reply: GatewayReply {
            status,
            headers,
            body,
        },
        status: response.status,
        selection_value,
    })
}

/// The endpoint's body converted for the method response (the developer
/// guide's response table; LocalStack's handler and its AWS-validated
/// `test_apigw_s3_binary_support_response*` tests follow the same rules).
fn convert_body(
    x: &Exchange<'_>,
    endpoint: &EndpointResponse,
    content_handling: Option<ContentHandling>,
) -> Result<Bytes, GatewayError> {
    let types = &x.api.binary_media_types;
    let binary_payload = endpoint
        .headers
        .iter()
        .rev()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .is_some_and(|(_, ct)| is_binary(&media_type(ct), types));
    let wants_text = match content_handling {
        Some(ContentHandling::ConvertToText) => true,
        Some(ContentHandling::ConvertToBinary) => false,
        None => !accepts_binary(x.header("accept"), types),
    };
    match (binary_payload, wants_text) {
        (true, true) => Ok(Bytes::from(
            base64::engine::general_purpose::STANDARD.encode(&endpoint.body),
        )),
        (false, false) => {
            let text = endpoint.body.trim_ascii();
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map(Bytes::from)
                .map_err(|e| {
                    GatewayError::new(ResponseType::Default5xx, "Internal server error")
                        .with_detail(format!(
                            "the integration response converts the body to binary, but it is \
                             not base64: {e}"
                        ))
                })
        }
        _ => Ok(endpoint.body.clone()),
    }
}

/// The template for the `Accept` header: its media types in order, then
/// `application/json`, then the first template.
pub(crate) fn choose_template<'a, T>(
    templates: &'a [(String, T)],
    accept: Option<&str>,
) -> Option<&'a (String, T)> {
    if templates.is_empty() {
        return None;
    }
    if let Some(accept) = accept {
        for wanted in accept.split(',').map(media_type) {
            if let Some(t) = templates
                .iter()
                .find(|(ct, _)| ct.eq_ignore_ascii_case(&wanted))
            {
                return Some(t);
            }
        }
    }
    templates
        .iter()
        .find(|(ct, _)| ct == "application/json")
        .or_else(|| templates.first())
}

#[cfg(test)]
mod tests {
    use super::choose_template;

    #[test]
    fn template_choice_follows_accept_then_json_then_first() {
        let t = vec![
            ("application/xml".to_string(), 1),
            ("application/json".to_string(), 2),
        ];
        assert_eq!(choose_template(&t, Some("application/xml")).unwrap().1, 1);
        assert_eq!(
            choose_template(&t, Some("text/html, application/xml;q=0.9"))
                .unwrap()
                .1,
            1
        );
        assert_eq!(choose_template(&t, Some("text/html")).unwrap().1, 2);
        assert_eq!(choose_template(&t, None).unwrap().1, 2);
        let only = vec![("text/plain".to_string(), 3)];
        assert_eq!(
            choose_template(&only, Some("application/json")).unwrap().1,
            3
        );
    }
}
