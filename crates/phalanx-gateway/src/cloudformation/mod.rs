//! CloudFormation import: a template (JSON or YAML) → [`crate::model::RestApi`].
//!
//! Most REST APIs that people want to run locally are already described in
//! a CloudFormation template, so that template is the natural input: the
//! same file that deploys the API runs it. [`import`] reads one RestApi out
//! of a template, with its resources, methods, integrations, models,
//! validators, gateway responses, stages, API keys and the Lambda functions
//! its integrations invoke.
//!
//! There is no deployed stack locally, so intrinsic functions are resolved
//! here with made-up but stable values (see [`ImportOptions`] for the
//! region, account and parameter values used). What only AWS could answer —
//! `Fn::ImportValue`, SSM parameters, `CloneFrom`, SAM transforms —
//! is an [`ImportError`] naming the file, the resource and the property, so
//! the user knows exactly what to replace.
//!
//! The work is split in steps, one module each:
//! - parsing JSON or YAML, with YAML's short-form tags turned into long
//!   forms ([`parse_template`]);
//! - the parsed template's sections and typed property readers
//!   (`template`);
//! - intrinsic functions, parameters, conditions and references
//!   (`intrinsics`);
//! - joining the resources of one RestApi into the model (`build`), where
//!   each supported resource type is read.

mod build;
mod error;
mod intrinsics;
mod parse;
mod template;

use indexmap::IndexMap;
use serde_json::Value;

pub use error::{ImportError, ImportErrorKind};
pub(crate) use intrinsics::intrinsic;
pub use parse::parse_template;
pub(crate) use template::entry_lines;
/// JSON's name for a value's kind, for "expected …, found …" messages
/// (the OpenAPI importer's too).
pub(crate) use template::kind_of;

use crate::model::RestApi;
use template::{Pseudo, Template, child};

/// How to import a template: which API, and the values CloudFormation would
/// supply when deploying it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// The logical id of the `AWS::ApiGateway::RestApi` to import. `None`
    /// takes the template's only RestApi (several are an error that lists
    /// them).
    pub api: Option<String>,
    /// Parameter values, by parameter name; they replace the parameters'
    /// `Default`s.
    pub parameters: IndexMap<String, String>,
    /// `AWS::Region` (default `us-east-1`); also decides `AWS::Partition`.
    pub region: String,
    /// `AWS::AccountId` (default `123456789012`).
    pub account_id: String,
    /// `AWS::StackName` (default `phalanx-local`).
    pub stack_name: String,
    /// The folder a RestApi's `BodyS3Location` is looked up in (usually
    /// the template's): `Key`, then `Bucket/Key`, relative to it. `None`
    /// refuses `BodyS3Location`.
    pub base_dir: Option<std::path::PathBuf>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            api: None,
            parameters: IndexMap::new(),
            region: "us-east-1".to_owned(),
            account_id: "123456789012".to_owned(),
            stack_name: "phalanx-local".to_owned(),
            base_dir: None,
        }
    }
}

/// The result of an import.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The API, ready for the gateway engine to build.
    pub api: RestApi,
    /// The logical id of the RestApi that was imported.
    pub logical_id: String,
    /// API keys that had no `Value` and got a made-up one (stable between
    /// runs), so they can be shown to the user.
    pub generated_api_keys: Vec<GeneratedApiKey>,
    /// Things that were imported but behave differently locally (say, an
    /// authorizer that is not enforced), one sentence each.
    pub warnings: Vec<String>,
    /// The local files the import read besides the template or document
    /// itself: a `BodyS3Location`'s OpenAPI document (each place it was
    /// looked for). `phalanx serve --watch` watches them.
    pub files: Vec<std::path::PathBuf>,
}

/// An API key whose value the importer made up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedApiKey {
    /// The `AWS::ApiGateway::ApiKey`'s logical id.
    pub logical_id: String,
    /// The key's `Name` (or logical id).
    pub name: String,
    /// The value to send in `x-api-key`.
    pub value: String,
}

/// Imports one REST API from a CloudFormation template.
///
/// `source` is the template's text, JSON or YAML (with short-form tags such
/// as `!Ref` and `!Sub`); `file_name` is only used in error messages.
///
/// A SAM template (`Transform: AWS::Serverless-2016-10-31`) is first
/// translated by [`crate::sam::transform`] into the CloudFormation that
/// SAM deploys, then imported like any other; its warnings come first.
///
/// A RestApi's OpenAPI definition is read with [`crate::openapi`]: `Body`
/// (an object, intrinsic functions inside resolved first, or a string of
/// JSON or YAML) or `BodyS3Location`, a local file found through
/// [`ImportOptions::base_dir`] (its text is taken as is, as CloudFormation
/// does not resolve intrinsics in it). The document's methods, models,
/// validators, gateway responses and binary media types join those of the
/// template's resources; `Name` overrides the document's title.
///
/// Supported: `AWS::ApiGateway::{RestApi, Resource, Method, Model,
/// RequestValidator, GatewayResponse, Stage, Deployment, ApiKey, UsagePlan,
/// UsagePlanKey}` and `AWS::Lambda::Function`; other resource types are
/// ignored unless something the API uses refers to them. Intrinsic
/// functions: `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::Select`,
/// `Fn::Split`, `Fn::If` (with `Fn::Equals`, `Fn::Not`, `Fn::And`,
/// `Fn::Or` and `Condition` in Conditions), `Fn::FindInMap`, `Fn::Base64`,
/// `Fn::GetAZs`, and resource `Condition`s.
///
/// # Errors
///
/// An [`ImportError`] naming the file, the resource's logical id and the
/// property path: for syntax errors (with line and column), properties of
/// the wrong type, references to missing resources, and what cannot be
/// emulated (`Fn::ImportValue`, `CloneFrom`, transforms other than SAM's, …).
///
/// # Example
///
/// ```
/// use phalanx_gateway::cloudformation::{import, ImportOptions};
///
/// let template = r#"
/// Resources:
///   Api:
///     Type: AWS::ApiGateway::RestApi
///     Properties:
///       Name: pets
///   Pets:
///     Type: AWS::ApiGateway::Resource
///     Properties:
///       RestApiId: !Ref Api
///       ParentId: !GetAtt Api.RootResourceId
///       PathPart: pets
///   GetPets:
///     Type: AWS::ApiGateway::Method
///     Properties:
///       RestApiId: !Ref Api
///       ResourceId: !Ref Pets
///       HttpMethod: GET
///       AuthorizationType: NONE
///       Integration:
///         Type: MOCK
///         RequestTemplates:
///           application/json: '{"statusCode": 200}'
///         IntegrationResponses:
///           - StatusCode: 200
/// "#;
/// let imported = import(template, "template.yaml", &ImportOptions::default()).unwrap();
/// assert_eq!(imported.api.name, "pets");
/// assert_eq!(imported.api.methods[0].resource_path, "/pets");
/// let integration = imported.api.methods[0].integration.as_ref().unwrap();
/// assert_eq!(integration.integration_responses[0].status_code, "200");
///
/// let error = import("Resources: [", "broken.yaml", &ImportOptions::default()).unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "broken.yaml:2:1: invalid YAML: did not find expected node content, \
///      while parsing a flow node"
/// );
/// ```
pub fn import(
    source: &str,
    file_name: &str,
    options: &ImportOptions,
) -> Result<Imported, ImportError> {
    let mut root = parse_template(source, file_name)?;
    let mut sam_warnings = Vec::new();
    if crate::sam::is_sam(&root) {
        let transformed = crate::sam::transform(&root, source, file_name)?;
        root = transformed.template;
        sam_warnings = transformed.warnings;
    }
    check_transforms(&root, file_name)?;
    let template = Template::new(
        &root,
        source,
        file_name,
        Pseudo {
            region: options.region.clone(),
            account_id: options.account_id.clone(),
            stack_name: options.stack_name.clone(),
        },
        &options.parameters,
    )?;
    let mut imported = build::build(&template, options)?;
    imported.warnings.splice(0..0, sam_warnings);
    Ok(imported)
}

/// Transforms are macros that CloudFormation expands on its side; SAM's is
/// done by [`crate::sam`] before this check, so what is left is another
/// transform, or SAM resources in a template that does not ask for SAM.
fn check_transforms(root: &Value, file: &str) -> Result<(), ImportError> {
    let names: Vec<String> = match root.get("Transform") {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(transform_name).collect(),
        Some(one) => vec![transform_name(one)],
    };
    if let Some(name) = names.first() {
        return Err(ImportError::at(
            ImportErrorKind::Unsupported,
            file,
            "Transform",
            format!(
                "the transform {name} is not supported locally (only {} is): import the \
                 processed template (`aws cloudformation get-template --template-stage \
                 Processed`)",
                crate::sam::SAM_TRANSFORM
            ),
        ));
    }
    if let Some(Value::Object(resources)) = root.get("Resources") {
        for (id, resource) in resources {
            if let Some(ty) = resource.get("Type").and_then(Value::as_str)
                && ty.starts_with("AWS::Serverless::")
            {
                return Err(ImportError::at(
                    ImportErrorKind::Invalid,
                    file,
                    &child(&child("Resources", id), "Type"),
                    format!(
                        "{ty} is a SAM resource, but the template does not ask for SAM's \
                         transform: add `Transform: {}` at the top",
                        crate::sam::SAM_TRANSFORM
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn transform_name(value: &Value) -> String {
    match value {
        Value::String(name) => name.clone(),
        Value::Object(map) => match map.get("Name") {
            Some(Value::String(name)) => name.clone(),
            _ => Value::Object(map.clone()).to_string(),
        },
        other => other.to_string(),
    }
}
