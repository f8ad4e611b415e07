//! `paths` → [`Method`]s: one per operation, on the resource its path
//! names.
//!
//! The model keys methods by their resource's full path, so the resource
//! tree is implied by the paths: `/pets/{id}` is the resource `{id}` under
//! `pets` under the root, as API Gateway's import creates it. Per operation
//! this reads the parameters (the path item's, overridden by the
//! operation's), the request body's model, the declared responses, the
//! security requirements, the validator and the integration.
//!
//! A 2.0 `basePath` (or a 3.0 server's path) is not read: API Gateway's
//! import ignores it unless asked otherwise ("If unspecified, basePath
//! defaults to ignore", developer guide, "Set the OpenAPI basePath
//! property"), so the paths are the resources as written.

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::Importer;
use super::document::{Result, pointer};
use super::integration;
use crate::model::{Method, MethodResponse};

/// Operation keys → the model's HTTP method. `x-amazon-apigateway-any-method`
/// is API Gateway's catch-all `ANY` method.
const OPERATIONS: [(&str, &str); 8] = [
    ("get", "GET"),
    ("put", "PUT"),
    ("post", "POST"),
    ("delete", "DELETE"),
    ("options", "OPTIONS"),
    ("head", "HEAD"),
    ("patch", "PATCH"),
    ("x-amazon-apigateway-any-method", "ANY"),
];

/// Path item keys that are not operations and need no reading.
const OTHER_PATH_KEYS: [&str; 5] = ["parameters", "summary", "description", "servers", "$ref"];

impl Importer<'_> {
    /// Every operation of the document, in document order.
    pub(super) fn methods(&mut self) -> Result<Vec<Method>> {
        let d = self.doc;
        let root = d.object(d.root, "")?;
        let mut out = Vec::new();
        let Some(paths) = d.object_at(root, "paths", "")? else {
            return Ok(out);
        };
        for (path, item) in paths {
            let item_at = pointer("/paths", path);
            let resource_path = self.resource_path(path, &item_at)?;
            let (item, item_at) = self.doc.resolve(item, &item_at)?;
            let item = self.doc.object(item, &item_at)?;
            let shared = self.doc.list_at(item, "parameters", &item_at)?;
            let shared_at = pointer(&item_at, "parameters");
            for (key, operation) in item {
                let Some((_, http_method)) = OPERATIONS.iter().find(|(k, _)| k == key) else {
                    if !OTHER_PATH_KEYS.contains(&key.as_str()) && !key.starts_with("x-") {
                        self.warnings.push(format!(
                            "{item_at}/{key}: API Gateway has no `{key}` method; it is left out"
                        ));
                    }
                    continue;
                };
                let operation_at = pointer(&item_at, key);
                let operation = self.doc.object(operation, &operation_at)?;
                out.push(self.method(
                    &resource_path,
                    http_method,
                    operation,
                    &operation_at,
                    shared,
                    &shared_at,
                )?);
            }
        }
        Ok(out)
    }

    /// Checks a path key (`/`, `/pets/{id}`, `/files/{proxy+}`) and returns
    /// it as a resource path (without a trailing `/`).
    fn resource_path(&self, path: &str, at: &str) -> Result<String> {
        let d = self.doc;
        if !path.starts_with('/') {
            return Err(d.invalid(at, format!("the path `{path}` does not start with `/`")));
        }
        let trimmed = path.trim_end_matches('/');
        if trimmed.is_empty() {
            return Ok("/".to_owned());
        }
        for segment in trimmed[1..].split('/') {
            if segment.is_empty() {
                return Err(d.invalid(at, format!("the path `{path}` has an empty segment")));
            }
        }
        Ok(trimmed.to_owned())
    }

    fn method(
        &mut self,
        resource_path: &str,
        http_method: &str,
        operation: &Map<String, Value>,
        at: &str,
        shared: &[Value],
        shared_at: &str,
    ) -> Result<Method> {
        let name = format!("{http_method} {resource_path}");
        let mut request_parameters = IndexMap::new();
        let mut request_models = IndexMap::new();
        // The path item's parameters first, so the operation's override
        // them (same key).
        let own = self.doc.list_at(operation, "parameters", at)?;
        let own_at = pointer(at, "parameters");
        for (list, list_at) in [(shared, shared_at), (own, own_at.as_str())] {
            for (i, parameter) in list.iter().enumerate() {
                let parameter_at = pointer(list_at, &i.to_string());
                self.parameter(
                    parameter,
                    &parameter_at,
                    operation,
                    &mut request_parameters,
                    &mut request_models,
                )?;
            }
        }
        if let Some(body) = operation.get("requestBody") {
            self.request_body(body, &pointer(at, "requestBody"), &mut request_models)?;
        }
        let method_responses = self.method_responses(operation, at)?;
        let security = self.security(operation, at, &name)?;
        let request_validator = match self.doc.string_at(operation, super::VALIDATOR, at)? {
            Some(validator) => Some(self.validator(&validator, &pointer(at, super::VALIDATOR))?),
            None => self.default_validator.clone(),
        };
        let integration = match self.doc.object_at(operation, integration::EXTENSION, at)? {
            None => {
                self.warnings.push(format!(
                    "{at}: {name} has no {} and answers 500 (Internal server error) as in AWS",
                    integration::EXTENSION
                ));
                None
            }
            Some(object) => {
                Some(self.integration(object, &pointer(at, integration::EXTENSION), &name)?)
            }
        };
        Ok(Method {
            resource_path: resource_path.to_owned(),
            http_method: http_method.to_owned(),
            authorization_type: security.authorization_type,
            api_key_required: security.api_key_required,
            authorizer: security.authorizer,
            authorization_scopes: security.scopes,
            request_parameters,
            request_models,
            request_validator,
            method_responses,
            integration,
        })
    }

    /// One parameter: `in: query|header|path` → `method.request.…` with its
    /// required flag; a 2.0 `in: body` → the request models.
    fn parameter(
        &mut self,
        parameter: &Value,
        at: &str,
        operation: &Map<String, Value>,
        parameters: &mut IndexMap<String, bool>,
        models: &mut IndexMap<String, String>,
    ) -> Result<()> {
        let (parameter, at) = self.doc.resolve(parameter, at)?;
        let d = self.doc;
        let object = d.object(parameter, &at)?;
        let name = d
            .string_at(object, "name", &at)?
            .ok_or_else(|| d.invalid(&pointer(&at, "name"), "required"))?;
        let location = d
            .string_at(object, "in", &at)?
            .ok_or_else(|| d.invalid(&pointer(&at, "in"), "required"))?;
        let required = d.bool_at(object, "required", &at)?.unwrap_or(false);
        let prefix = match location.as_str() {
            "query" => "querystring",
            "header" => "header",
            "path" => "path",
            "body" => {
                if let Some(schema) = object.get("schema") {
                    let schema_at = pointer(&at, "schema");
                    let model = self.model_for(schema, &schema_at, "Body")?;
                    for media_type in self.consumes(operation, &at)? {
                        models.insert(media_type, model.clone());
                    }
                }
                return Ok(());
            }
            "formData" | "cookie" => {
                self.warnings.push(format!(
                    "{at}: `in: {location}` parameters have no API Gateway counterpart; \
                     `{name}` is not checked"
                ));
                return Ok(());
            }
            _ => {
                return Err(d.invalid(
                    &pointer(&at, "in"),
                    format!("expected one of query, header, path, body, found `{location}`"),
                ));
            }
        };
        parameters.insert(format!("method.request.{prefix}.{name}"), required);
        Ok(())
    }

    /// The media types a 2.0 body may have: the operation's `consumes`,
    /// else the document's, else `application/json`.
    fn consumes(&self, operation: &Map<String, Value>, at: &str) -> Result<Vec<String>> {
        let d = self.doc;
        let root = d.object(d.root, "")?;
        let (list, list_at) = if operation.contains_key("consumes") {
            (
                d.list_at(operation, "consumes", at)?,
                pointer(at, "consumes"),
            )
        } else {
            (d.list_at(root, "consumes", "")?, "/consumes".to_owned())
        };
        let mut out = Vec::new();
        for (i, item) in list.iter().enumerate() {
            match item.as_str() {
                Some(media_type) => out.push(media_type.to_owned()),
                None => {
                    return Err(d.expected(&pointer(&list_at, &i.to_string()), "a string", item));
                }
            }
        }
        if out.is_empty() {
            out.push("application/json".to_owned());
        }
        Ok(out)
    }

    /// A 3.0 `requestBody`: each media type's schema → a request model.
    fn request_body(
        &mut self,
        body: &Value,
        at: &str,
        models: &mut IndexMap<String, String>,
    ) -> Result<()> {
        let (body, at) = self.doc.resolve(body, at)?;
        let object = self.doc.object(body, &at)?;
        if let Some(content) = self.doc.object_at(object, "content", &at)? {
            let content_at = pointer(&at, "content");
            for (media_type, entry) in content {
                let entry_at = pointer(&content_at, media_type);
                let entry = self.doc.object(entry, &entry_at)?;
                if let Some(schema) = entry.get("schema") {
                    let model = self.model_for(schema, &pointer(&entry_at, "schema"), "Body")?;
                    models.insert(media_type.clone(), model);
                }
            }
        }
        Ok(())
    }

    /// The declared responses: numeric status codes with their headers and
    /// models.
    fn method_responses(
        &mut self,
        operation: &Map<String, Value>,
        at: &str,
    ) -> Result<Vec<MethodResponse>> {
        let mut out = Vec::new();
        let Some(responses) = self.doc.object_at(operation, "responses", at)? else {
            return Ok(out);
        };
        let responses_at = pointer(at, "responses");
        for (status, response) in responses {
            let response_at = pointer(&responses_at, status);
            if status.len() != 3 || !status.bytes().all(|b| b.is_ascii_digit()) {
                // `default` and `2XX` ranges have no method response in
                // API Gateway, which needs one status code per response.
                if !status.starts_with("x-") {
                    self.warnings.push(format!(
                        "{response_at}: `{status}` is not a status code; no method response is made"
                    ));
                }
                continue;
            }
            let (response, response_at) = self.doc.resolve(response, &response_at)?;
            let response = self.doc.object(response, &response_at)?;
            let mut response_parameters = IndexMap::new();
            if let Some(headers) = self.doc.object_at(response, "headers", &response_at)? {
                let headers_at = pointer(&response_at, "headers");
                for (header, declaration) in headers {
                    let (declaration, declaration_at) = self
                        .doc
                        .resolve(declaration, &pointer(&headers_at, header))?;
                    let declaration = self.doc.object(declaration, &declaration_at)?;
                    let required = self
                        .doc
                        .bool_at(declaration, "required", &declaration_at)?
                        .unwrap_or(false);
                    response_parameters
                        .insert(format!("method.response.header.{header}"), required);
                }
            }
            let mut response_models = IndexMap::new();
            if let Some(content) = self.doc.object_at(response, "content", &response_at)? {
                let content_at = pointer(&response_at, "content");
                for (media_type, entry) in content {
                    let entry_at = pointer(&content_at, media_type);
                    let entry = self.doc.object(entry, &entry_at)?;
                    if let Some(schema) = entry.get("schema") {
                        let model =
                            self.model_for(schema, &pointer(&entry_at, "schema"), "Response")?;
                        response_models.insert(media_type.clone(), model);
                    }
                }
            } else if let Some(schema) = response.get("schema") {
                let model = self.model_for(schema, &pointer(&response_at, "schema"), "Response")?;
                response_models.insert("application/json".to_owned(), model);
            }
            out.push(MethodResponse {
                status_code: status.clone(),
                response_parameters,
                response_models,
            });
        }
        Ok(out)
    }
}
