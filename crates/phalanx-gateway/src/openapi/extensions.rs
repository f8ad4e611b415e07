//! The document-level `x-amazon-apigateway-*` extensions: request
//! validators (and the default one), gateway responses, binary media types
//! and the API key source.

use super::document::{Result, pointer};
use super::{Importer, VALIDATOR};
use crate::model::{GatewayResponse, RequestValidator};

const VALIDATORS: &str = "x-amazon-apigateway-request-validators";
const GATEWAY_RESPONSES: &str = "x-amazon-apigateway-gateway-responses";
const BINARY_MEDIA_TYPES: &str = "x-amazon-apigateway-binary-media-types";
const API_KEY_SOURCE: &str = "x-amazon-apigateway-api-key-source";

impl Importer<'_> {
    /// `x-amazon-apigateway-request-validators`, and the document's
    /// `x-amazon-apigateway-request-validator`: the validator of every
    /// operation that names none.
    pub(super) fn read_validators(&mut self) -> Result<()> {
        let d = self.doc;
        let root = d.object(d.root, "")?;
        if let Some(validators) = d.object_at(root, VALIDATORS, "")? {
            let at = pointer("", VALIDATORS);
            for (name, validator) in validators {
                let validator_at = pointer(&at, name);
                let validator = d.object(validator, &validator_at)?;
                self.validators.push(RequestValidator {
                    name: name.clone(),
                    validate_request_body: d
                        .bool_at(validator, "validateRequestBody", &validator_at)?
                        .unwrap_or(false),
                    validate_request_parameters: d
                        .bool_at(validator, "validateRequestParameters", &validator_at)?
                        .unwrap_or(false),
                });
            }
        }
        if let Some(name) = d.string_at(root, VALIDATOR, "")? {
            self.default_validator = Some(self.validator(&name, &pointer("", VALIDATOR))?);
        }
        Ok(())
    }

    /// `name` if it is one of the document's validators.
    pub(super) fn validator(&self, name: &str, at: &str) -> Result<String> {
        if self.validators.iter().any(|v| v.name == name) {
            return Ok(name.to_owned());
        }
        let known: Vec<&str> = self.validators.iter().map(|v| v.name.as_str()).collect();
        Err(self.doc.invalid(
            at,
            format!(
                "`{name}` is not one of the document's {VALIDATORS} ({})",
                if known.is_empty() {
                    "there are none".to_owned()
                } else {
                    known.join(", ")
                }
            ),
        ))
    }

    /// `x-amazon-apigateway-gateway-responses`: response type → status,
    /// parameters, templates.
    pub(super) fn gateway_responses(&self) -> Result<Vec<GatewayResponse>> {
        let d = self.doc;
        let root = d.object(d.root, "")?;
        let mut out = Vec::new();
        let Some(responses) = d.object_at(root, GATEWAY_RESPONSES, "")? else {
            return Ok(out);
        };
        let at = pointer("", GATEWAY_RESPONSES);
        for (response_type, response) in responses {
            let response_at = pointer(&at, response_type);
            let response = d.object(response, &response_at)?;
            out.push(GatewayResponse {
                response_type: response_type.clone(),
                status_code: d.string_at(response, "statusCode", &response_at)?,
                response_parameters: d.string_map_at(
                    response,
                    "responseParameters",
                    &response_at,
                )?,
                response_templates: d.string_map_at(response, "responseTemplates", &response_at)?,
            });
        }
        Ok(out)
    }

    /// `x-amazon-apigateway-binary-media-types`.
    pub(super) fn binary_media_types(&self) -> Result<Vec<String>> {
        let d = self.doc;
        let root = d.object(d.root, "")?;
        let at = pointer("", BINARY_MEDIA_TYPES);
        let mut out = Vec::new();
        for (i, item) in d.list_at(root, BINARY_MEDIA_TYPES, "")?.iter().enumerate() {
            match item.as_str() {
                // Written escaped (`image~1png`) where the API's patch
                // operations want it; the same media type.
                Some(media_type) => out.push(media_type.replace("~1", "/").replace("~0", "~")),
                None => return Err(d.expected(&pointer(&at, &i.to_string()), "a string", item)),
            }
        }
        Ok(out)
    }

    /// `x-amazon-apigateway-api-key-source`: `HEADER` (the default: the
    /// `x-api-key` header) or `AUTHORIZER` (a Lambda authorizer's
    /// `usageIdentifierKey`), the developer guide's two values
    /// ("x-amazon-apigateway-api-key-source property").
    pub(super) fn api_key_source(&mut self) -> Result<Option<String>> {
        let d = self.doc;
        let root = d.object(d.root, "")?;
        let at = pointer("", API_KEY_SOURCE);
        match d.string_at(root, API_KEY_SOURCE, "")? {
            None => Ok(None),
            Some(source)
                if source.eq_ignore_ascii_case("HEADER")
                    || source.eq_ignore_ascii_case("AUTHORIZER") =>
            {
                Ok(Some(source.to_ascii_uppercase()))
            }
            Some(source) => Err(d.invalid(
                &at,
                format!("expected one of HEADER, AUTHORIZER, found `{source}`"),
            )),
        }
    }
}
