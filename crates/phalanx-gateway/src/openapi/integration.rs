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

/// The function name or ARN a Lambda invocation URI names, if it is one
/// (see [`crate::model::lambda_uri_target`]).
pub(crate) fn lambda_target(uri: &str) -> Option<&str> {
    if !uri.contains(":lambda:path/") {
        return None;
    }
    crate::model::lambda_uri_target(uri)
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
        let kind = IntegrationType::from_name(&kind).ok_or_else(|| {
            d.invalid(
                &type_at,
                format!("expected one of AWS, AWS_PROXY, HTTP, HTTP_PROXY, MOCK, found `{kind}`"),
            )
        })?;
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
            Some(value) => Some(PassthroughBehavior::from_name(&value).ok_or_else(|| {
                d.invalid(
                    &pointer(at, "passthroughBehavior"),
                    format!(
                        "expected one of when_no_match, when_no_templates, never, found \
                         `{value}`"
                    ),
                )
            })?),
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
            Some(value) => ContentHandling::from_name(&value).map(Some).ok_or_else(|| {
                d.invalid(
                    &pointer(at, "contentHandling"),
                    format!("expected one of CONVERT_TO_TEXT, CONVERT_TO_BINARY, found `{value}`"),
                )
            }),
        }
    }

    /// The key in [`crate::model::RestApi::functions`] of the function a
    /// Lambda integration invokes: a known function with that name (a
    /// template's `AWS::Lambda::Function`, or the functions the caller
    /// passed), else a new entry keyed by the function's name, so a bare
    /// document's functions can be given commands by name.
    pub(super) fn function_for(
        &mut self,
        target: &str,
        at: &str,
        method: &str,
    ) -> Result<Option<String>> {
        if target.contains("${stageVariables.") {
            self.warnings.push(format!(
                "{method}: the Lambda function is chosen by a stage variable ({target}), so the \
                 importer cannot tell which one it is; the integration names no function"
            ));
            return Ok(None);
        }
        let name = crate::model::lambda_function_name(target);
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
