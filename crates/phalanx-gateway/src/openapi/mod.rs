//! OpenAPI import: an OpenAPI 2.0 (Swagger) or 3.0 document with API
//! Gateway's `x-amazon-apigateway-*` extensions → [`crate::model::RestApi`].
//!
//! Many REST APIs are written as OpenAPI documents — a file given to
//! `aws apigateway import-rest-api`, or a CloudFormation RestApi's `Body` —
//! rather than as `AWS::ApiGateway::Method` resources. This module reads
//! them into the same model the CloudFormation importer builds, so the
//! gateway serves them the same way. [`import`] reads a file's text (JSON
//! or YAML, with the CloudFormation parser); [`import_document`] an
//! already-parsed value (the CloudFormation importer passes a `Body` with
//! its intrinsic functions resolved).
//!
//! Read, one module each:
//! - `paths`: operations (with `x-amazon-apigateway-any-method` as `ANY`),
//!   parameters, request bodies, method responses;
//! - `integration`: `x-amazon-apigateway-integration`;
//! - `security`: API keys, authorizers, and each operation's authorizer
//!   and scopes;
//! - `models`: `definitions` / `components.schemas`;
//! - `extensions`: validators, gateway responses, binary media types, the
//!   API key source;
//! - `document`: typed readers whose errors name the JSON pointer of the
//!   element at fault, and `$ref`s.
//!
//! Stages are not part of an OpenAPI document: the imported API has none,
//! and the caller picks the stage name.

mod document;
mod extensions;
mod integration;
mod models;
mod paths;
mod security;

use indexmap::IndexMap;
use serde_json::Value;

use crate::cloudformation::{ImportError, ImportErrorKind, Imported, parse_template};
use crate::ids::made_up_id;
use crate::model::{Function, Model, RequestValidator, RestApi};
use document::{Document, Result};

/// The validator extension, on the document (the default) and on
/// operations.
const VALIDATOR: &str = "x-amazon-apigateway-request-validator";

/// How to import an OpenAPI document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpenApiOptions {
    /// The API's name; `None` takes the document's `info.title`.
    pub name: Option<String>,
    /// The API's id (`$context.apiId`, model URLs); `None` makes a stable
    /// one up from the name.
    pub id: Option<String>,
    /// The Lambda functions integrations may invoke, by key (a template's
    /// logical id). A Lambda integration URI names a function by its name
    /// or ARN; a function with that `FunctionName` here is used, any other
    /// is added to the API's functions, keyed by its name.
    pub functions: IndexMap<String, Function>,
}

/// Imports a REST API from an OpenAPI 2.0 or 3.0 document.
///
/// `source` is the document's text, JSON or YAML; `file_name` is only used
/// in error messages. The result's `logical_id` is the API's name, and it
/// has no stages (an OpenAPI document has none).
///
/// # Errors
///
/// An [`ImportError`] whose path is the JSON pointer of the element at
/// fault, for syntax errors, elements of the wrong type, unknown enum
/// values, `$ref`s that point at nothing and documents that are not
/// OpenAPI 2.0 or 3.0.
///
/// # Example
///
/// ```
/// use phalanx_gateway::openapi::{import, OpenApiOptions};
///
/// let document = r#"
/// openapi: 3.0.1
/// info: {title: pets, version: "1"}
/// paths:
///   /pets:
///     get:
///       responses: {"200": {description: ok}}
///       x-amazon-apigateway-integration:
///         type: mock
///         requestTemplates: {application/json: '{"statusCode": 200}'}
///         responses: {default: {statusCode: "200"}}
/// "#;
/// let api = import(document, "pets.yaml", &OpenApiOptions::default()).unwrap().api;
/// assert_eq!(api.name, "pets");
/// assert_eq!(api.methods[0].resource_path, "/pets");
///
/// let broken = document.replace("type: mock", "type: lambda");
/// assert_eq!(
///     import(&broken, "pets.yaml", &OpenApiOptions::default()).unwrap_err().to_string(),
///     "pets.yaml: /paths/~1pets/get/x-amazon-apigateway-integration/type: expected one of \
///      AWS, AWS_PROXY, HTTP, HTTP_PROXY, MOCK, found `lambda`"
/// );
/// ```
pub fn import(
    source: &str,
    file_name: &str,
    options: &OpenApiOptions,
) -> std::result::Result<Imported, ImportError> {
    let root = parse_template(source, file_name)?;
    import_document(&root, file_name, options)
}

/// Imports a REST API from a parsed OpenAPI document (see [`import`]).
///
/// # Errors
///
/// As [`import`], without the syntax errors.
pub fn import_document(
    root: &Value,
    file_name: &str,
    options: &OpenApiOptions,
) -> std::result::Result<Imported, ImportError> {
    let doc = Document {
        root,
        file: file_name,
    };
    let object = doc.object(root, "")?;
    check_version(&doc, object)?;
    let name = match &options.name {
        Some(name) => name.clone(),
        None => match doc.object_at(object, "info", "")? {
            Some(info) => doc.string_at(info, "title", "/info")?,
            None => None,
        }
        .ok_or_else(|| doc.invalid("/info/title", "required (the API's name)"))?,
    };
    let description = match doc.object_at(object, "info", "")? {
        Some(info) => doc.string_at(info, "description", "/info")?,
        None => None,
    };
    let mut importer = Importer {
        doc,
        api_id: options
            .id
            .clone()
            .unwrap_or_else(|| made_up_id(&format!("openapi/{name}"), 10)),
        warnings: Vec::new(),
        functions: options.functions.clone(),
        models: Vec::new(),
        validators: Vec::new(),
        default_validator: None,
    };
    importer.read_models()?;
    importer.read_validators()?;
    let api_key_source_type = importer.api_key_source()?;
    let authorizers = importer.read_authorizers()?;
    let methods = importer.methods()?;
    let gateway_responses = importer.gateway_responses()?;
    let binary_media_types = importer.binary_media_types()?;
    let api = RestApi {
        name: name.clone(),
        id: importer.api_id.clone(),
        description,
        binary_media_types,
        methods,
        models: importer.models,
        request_validators: importer.validators,
        gateway_responses,
        stages: Vec::new(),
        api_keys: Vec::new(),
        functions: importer.functions,
        authorizers,
        api_key_source_type,
        ..Default::default()
    };
    Ok(Imported {
        api,
        logical_id: name,
        generated_api_keys: Vec::new(),
        warnings: importer.warnings,
        files: Vec::new(),
    })
}

/// `swagger: "2.0"` or `openapi: 3.0.x`; 3.1 is not what API Gateway
/// imports ("API Gateway supports OpenAPI v2.0 and OpenAPI v3.0", developer
/// guide, "Develop REST APIs using OpenAPI").
fn check_version(doc: &Document<'_>, root: &serde_json::Map<String, Value>) -> Result<()> {
    if let Some(version) = doc.string_at(root, "swagger", "")? {
        if version == "2.0" {
            return Ok(());
        }
        return Err(doc.invalid("/swagger", format!("expected 2.0, found `{version}`")));
    }
    if let Some(version) = doc.string_at(root, "openapi", "")? {
        if version.starts_with("3.0") {
            return Ok(());
        }
        return Err(ImportError::at(
            ImportErrorKind::Unsupported,
            doc.file,
            "/openapi",
            format!("OpenAPI {version} is not supported (API Gateway imports 2.0 and 3.0)"),
        ));
    }
    Err(doc.invalid(
        "",
        "not an OpenAPI document: expected `swagger: \"2.0\"` or `openapi: 3.0.x`",
    ))
}

/// The state of one import: the document, and what is collected while
/// walking it.
struct Importer<'a> {
    doc: Document<'a>,
    /// The API's made-up id (models' `$ref` URLs use it).
    api_id: String,
    warnings: Vec<String>,
    /// The functions given, and those Lambda integrations named.
    functions: IndexMap<String, Function>,
    models: Vec<Model>,
    validators: Vec<RequestValidator>,
    /// The document's `x-amazon-apigateway-request-validator`.
    default_validator: Option<String>,
}
