//! Stage 4, integration request: what the backend receives.
//!
//! - Proxy integrations: `AWS_PROXY` gets the payload format 1.0 event
//!   (the `proxy_event` module); `HTTP_PROXY` gets the request as is.
//! - Other integrations: the request template is chosen by the request's
//!   media type (parameters stripped; no `Content-Type` means
//!   `application/json`; then `$default`), and when none matches the
//!   passthrough behaviour decides: `WHEN_NO_MATCH` passes the body
//!   through, `WHEN_NO_TEMPLATES` only if the integration has no templates
//!   at all, `NEVER` never — else 415 `Unsupported Media Type`
//!   (developer guide, "Method request behavior for payloads without
//!   mapping templates"). The template renders with `$input`, `$util`,
//!   `$context`, `$stageVariables`; `RequestParameters` are mapped; the
//!   template's `requestOverride`s win over mapped parameters.

use super::proxy_event::{self, Recipient};
use super::{Exchange, GatewayError, ResponseType, is_binary, media_type};
use crate::compile::CompiledIntegration;
use crate::mapping::{Location, Sources};
use crate::model::{ContentHandling, IntegrationType, PassthroughBehavior};
use crate::vtl::Overrides;
use base64::Engine as _;
use bytes::Bytes;

/// What the integration is called with.
#[derive(Debug, Clone, Default)]
pub struct IntegrationRequest {
    /// The payload: the rendered template, the passed-through body, or the
    /// proxy event.
    pub body: Bytes,
    /// Headers for HTTP backends.
    pub headers: Vec<(String, String)>,
    /// Query string for HTTP backends.
    pub query: Vec<(String, String)>,
    /// Path parameters substituted into an HTTP backend's URI.
    pub path: Vec<(String, String)>,
    /// Overrides the request template set.
    pub overrides: Overrides,
    /// Which template rendered the body, if any.
    pub template: Option<String>,
}

/// Builds the integration request for `integration`, the integration of
/// the method at `resource_path`.
pub(crate) fn build(
    x: &Exchange<'_>,
    integration: &CompiledIntegration,
    resource_path: &str,
) -> Result<IntegrationRequest, GatewayError> {
    let request = x.request;
    match integration.kind {
        IntegrationType::AwsProxy => {
            let event = proxy_event::to_bytes(x, resource_path, Recipient::Integration);
            return Ok(IntegrationRequest {
                body: Bytes::from(event),
                ..IntegrationRequest::default()
            });
        }
        IntegrationType::HttpProxy => {
            let mut out = IntegrationRequest {
                body: request.body.clone(),
                headers: x
                    .headers()
                    .iter()
                    .filter(|(k, _)| !k.eq_ignore_ascii_case("host"))
                    .cloned()
                    .collect(),
                query: x.query().to_vec(),
                path: x.path().to_vec(),
                ..IntegrationRequest::default()
            };
            apply_parameters(x, integration, &mut out);
            return Ok(out);
        }
        _ => {}
    }

    let content_type = x
        .header("content-type")
        .map(media_type)
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "application/json".to_string());
    let template = integration
        .request_templates
        .iter()
        .find(|(ct, _)| ct.eq_ignore_ascii_case(&content_type))
        .or_else(|| {
            integration
                .request_templates
                .iter()
                .find(|(ct, _)| ct == "$default")
        });
    if template.is_none() {
        let refuse = match integration.passthrough {
            PassthroughBehavior::WhenNoMatch => false,
            PassthroughBehavior::WhenNoTemplates => integration.has_templates,
            PassthroughBehavior::Never => true,
        };
        if refuse {
            return Err(GatewayError::new(
                ResponseType::UnsupportedMediaType,
                "Unsupported Media Type",
            )
            .with_detail(format!(
                "no request template for {content_type} and PassthroughBehavior is {:?}",
                integration.passthrough
            )));
        }
    }

    let body = convert_body(x, integration)?;
    let mut out = IntegrationRequest::default();
    match template {
        Some((ct, template)) => {
            let (rendered, overrides) =
                super::render_mapping(x, template, &body, &Overrides::default())?;
            out.body = rendered;
            out.overrides = overrides;
            out.template = Some(ct.clone());
        }
        None => out.body = body,
    }
    out.path = x.path().to_vec();
    apply_parameters(x, integration, &mut out);
    // The template's overrides win over mapped parameters.
    for (k, v) in &out.overrides.request_headers {
        set(&mut out.headers, k, v);
    }
    for (k, v) in &out.overrides.request_querystring {
        set(&mut out.query, k, v);
    }
    for (k, v) in &out.overrides.request_path {
        set(&mut out.path, k, v);
    }
    Ok(out)
}

/// A template that fails to render is a 500, as AWS answers a template
/// error (the message goes to the log, never to the client).
pub(crate) fn template_failure(e: &phalanx_vtl::Error) -> GatewayError {
    GatewayError::new(ResponseType::Default5xx, "Internal server error").with_detail(format!(
        "Execution failed due to an error in the mapping template: {e}"
    ))
}

fn set(list: &mut Vec<(String, String)>, name: &str, value: &str) {
    list.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    list.push((name.to_string(), value.to_string()));
}

/// `RequestParameters`: each mapped value set on the integration
/// request's headers, query string or path.
fn apply_parameters(
    x: &Exchange<'_>,
    integration: &CompiledIntegration,
    out: &mut IntegrationRequest,
) {
    let sources = Sources {
        path: x.path(),
        querystring: x.query(),
        headers: x.headers(),
        request_body: &x.request.body,
        integration_response: None,
        stage_variables: &x.api.stage.variables,
        context: x.context,
    };
    for (location, name, source) in &integration.request_parameters {
        let Some(value) = source.evaluate(&sources) else {
            continue;
        };
        let list = match location {
            Location::Header => &mut out.headers,
            Location::QueryString => &mut out.query,
            Location::Path => &mut out.path,
        };
        set(list, name, &value);
    }
}

/// Content handling of the request body (developer guide, "Content type
/// conversions in API Gateway").
fn convert_body(
    x: &Exchange<'_>,
    integration: &CompiledIntegration,
) -> Result<Bytes, GatewayError> {
    let request = x.request;
    let binary = x
        .header("content-type")
        .is_some_and(|ct| is_binary(&media_type(ct), &x.api.binary_media_types));
    match (binary, integration.content_handling) {
        (true, Some(ContentHandling::ConvertToText)) => Ok(Bytes::from(
            base64::engine::general_purpose::STANDARD.encode(&request.body),
        )),
        (false, Some(ContentHandling::ConvertToBinary)) => {
            base64::engine::general_purpose::STANDARD
                .decode(request.body.as_ref())
                .map(Bytes::from)
                .map_err(|e| {
                    GatewayError::new(ResponseType::Default5xx, "Internal server error")
                        .with_detail(format!("CONVERT_TO_BINARY: the body is not base64: {e}"))
                })
        }
        _ => Ok(request.body.clone()),
    }
}
