//! `x-amazon-apigateway-integration` → [`Integration`].
//!
//! The extension object carries the same fields as CloudFormation's
//! `Integration` property, camel-cased, with one difference: responses are
//! an object keyed by selection pattern, where `default` is the response
//! without a pattern. "Either a regular expression used to match the
//! integration response to the method response, or `default` to catch any
//! response that you haven't configured" (API Gateway developer guide,
//! "x-amazon-apigateway-integration.responses object").

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::Importer;
use super::document::{Result, pointer};
use crate::model::{
    ContentHandling, Function, Integration, IntegrationResponse, IntegrationType,
    PassthroughBehavior,
};

/// The extension's name.
pub(super) const EXTENSION: &str = "x-amazon-apigateway-integration";

/// The function name or ARN a Lambda invocation URI
/// (`arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/TARGET/invocations`)
/// names, if it is one.
pub(crate) fn lambda_target(uri: &str) -> Option<&str> {
    if !uri.contains(":lambda:path/") {
        return None;
    }
    uri.split_once("/functions/")
        .and_then(|(_, rest)| rest.rsplit_once("/invocations"))
        .map(|(target, _)| target)
}

/// A function's name from a Lambda target: the name itself, a qualified
/// name (`name:alias`), or an ARN (`arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`).
pub(crate) fn function_name(target: &str) -> &str {
    if target.starts_with("arn:") {
        target.split(':').nth(6).unwrap_or_default()
    } else {
        target.split(':').next().unwrap_or_default()
    }
}

impl Importer<'_> {
    /// Reads the integration of the operation at `at` (`method` names the
    /// operation in warnings).
    pub(super) fn integration(
        &mut self,
        object: &Map<String, Value>,
        at: &str,
        method: &str,
    ) -> Result<Integration> {
        let d = self.doc;
        let type_at = pointer(at, "type");
        let kind = d
            .string_at(object, "type", at)?
            .ok_or_else(|| d.invalid(&type_at, "required"))?;
        // The documents AWS exports write the type in lower case (`aws_proxy`).
        let kind = match kind.to_ascii_uppercase().as_str() {
            "AWS" => IntegrationType::Aws,
            "AWS_PROXY" => IntegrationType::AwsProxy,
            "HTTP" => IntegrationType::Http,
            "HTTP_PROXY" => IntegrationType::HttpProxy,
            "MOCK" => IntegrationType::Mock,
            _ => {
                return Err(d.invalid(
                    &type_at,
                    format!(
                        "expected one of AWS, AWS_PROXY, HTTP, HTTP_PROXY, MOCK, found `{kind}`"
                    ),
                ));
            }
        };
        let uri = d.string_at(object, "uri", at)?;
        let function = match (kind, uri.as_deref().and_then(lambda_target)) {
            (IntegrationType::Aws | IntegrationType::AwsProxy, Some(target)) => {
                self.function_for(target, &pointer(at, "uri"), method)?
            }
            _ => None,
        };
        let responses_at = pointer(at, "responses");
        let mut integration_responses = Vec::new();
        if let Some(responses) = d.object_at(object, "responses", at)? {
            for (pattern, response) in responses {
                let response_at = pointer(&responses_at, pattern);
                let response = d.object(response, &response_at)?;
                let status_code = d
                    .string_at(response, "statusCode", &response_at)?
                    .ok_or_else(|| d.invalid(&pointer(&response_at, "statusCode"), "required"))?;
                integration_responses.push(IntegrationResponse {
                    status_code,
                    selection_pattern: (pattern != "default").then(|| pattern.clone()),
                    response_parameters: d.string_map_at(
                        response,
                        "responseParameters",
                        &response_at,
                    )?,
                    response_templates: d.string_map_at(
                        response,
                        "responseTemplates",
                        &response_at,
                    )?,
                    content_handling: self.content_handling(response, &response_at)?,
                });
            }
        }
        let passthrough_behavior = match d.string_at(object, "passthroughBehavior", at)? {
            None => None,
            Some(value) => Some(match value.to_ascii_uppercase().as_str() {
                "WHEN_NO_MATCH" => PassthroughBehavior::WhenNoMatch,
                "WHEN_NO_TEMPLATES" => PassthroughBehavior::WhenNoTemplates,
                "NEVER" => PassthroughBehavior::Never,
                _ => {
                    return Err(d.invalid(
                        &pointer(at, "passthroughBehavior"),
                        format!(
                            "expected one of when_no_match, when_no_templates, never, found \
                             `{value}`"
                        ),
                    ));
                }
            }),
        };
        Ok(Integration {
            kind,
            uri,
            function,
            integration_http_method: d
                .string_at(object, "httpMethod", at)?
                .map(|m| m.to_ascii_uppercase()),
            request_templates: d.string_map_at(object, "requestTemplates", at)?,
            request_parameters: d.string_map_at(object, "requestParameters", at)?,
            passthrough_behavior,
            content_handling: self.content_handling(object, at)?,
            timeout_in_millis: d.unsigned_at(object, "timeoutInMillis", at)?,
            integration_responses,
        })
    }

    fn content_handling(
        &self,
        object: &Map<String, Value>,
        at: &str,
    ) -> Result<Option<ContentHandling>> {
        let d = self.doc;
        match d.string_at(object, "contentHandling", at)? {
            None => Ok(None),
            Some(value) => match value.to_ascii_uppercase().as_str() {
                "CONVERT_TO_TEXT" => Ok(Some(ContentHandling::ConvertToText)),
                "CONVERT_TO_BINARY" => Ok(Some(ContentHandling::ConvertToBinary)),
                _ => Err(d.invalid(
                    &pointer(at, "contentHandling"),
                    format!("expected one of CONVERT_TO_TEXT, CONVERT_TO_BINARY, found `{value}`"),
                )),
            },
        }
    }

    /// The key in [`crate::model::RestApi::functions`] of the function a
    /// Lambda integration invokes: a known function with that name (a
    /// template's `AWS::Lambda::Function`, or the functions the caller
    /// passed), else a new entry keyed by the function's name, so a bare
    /// document's functions can be given commands by name.
    fn function_for(&mut self, target: &str, at: &str, method: &str) -> Result<Option<String>> {
        if target.contains("${stageVariables.") {
            self.warnings.push(format!(
                "{method}: the Lambda function is chosen by a stage variable ({target}), so the \
                 importer cannot tell which one it is; the integration names no function"
            ));
            return Ok(None);
        }
        let name = function_name(target);
        if name.is_empty() {
            return Err(self.doc.invalid(
                at,
                format!("`{target}` names no Lambda function (a name or a function ARN)"),
            ));
        }
        if let Some((key, _)) = self.functions.iter().find(|(_, f)| f.function_name == name) {
            return Ok(Some(key.clone()));
        }
        self.functions.insert(
            name.to_owned(),
            Function {
                function_name: name.to_owned(),
                environment: IndexMap::new(),
                ..Function::default()
            },
        );
        Ok(Some(name.to_owned()))
    }
}
