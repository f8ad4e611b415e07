//! The SAM transform (`Transform: AWS::Serverless-2016-10-31`): a SAM
//! template → the plain CloudFormation template SAM would deploy, as far as
//! the REST API and its functions go.
//!
//! SAM is a CloudFormation macro: `sam deploy` sends the template as
//! written, and CloudFormation runs SAM's translator (PyPI's
//! `aws-sam-translator`) to expand it. The translator writes the REST API as
//! an OpenAPI 2.0 (or 3.0) document in a RestApi's `Body`, with a Deployment
//! and a Stage beside it. This module does the same translation, so the rest
//! of the importer sees exactly what CloudFormation sees after the
//! transform: one model, one OpenAPI reader, and the behaviour of the API
//! SAM deploys (including its quirks: the extra `Stage` stage, CORS
//! preflights that need the default authorizer and API key, lower-cased
//! model names). `tests/sam_translator.rs` pins this against the translator
//! itself.
//!
//! One module per step, in the translator's order:
//! - `globals`: the `Globals` section merged into each function and API;
//! - `function`: `AWS::Serverless::Function` → `AWS::Lambda::Function`,
//!   and its `Api` events;
//! - `events`: each `Api` event written into its API's document (the
//!   implicit `ServerlessRestApi` when it names none);
//! - `api`: each API's CORS, authorizers, gateway responses, binary media
//!   types and models added to its document, then the RestApi, Deployment,
//!   Stage and usage plan resources;
//! - `document`: the OpenAPI editing those steps share.
//!
//! What only matters in AWS (IAM roles, Lambda permissions, aliases,
//! custom domains, access logs) is left out; resources that are not SAM's
//! pass through unchanged.

mod api;
mod document;
mod events;
mod function;
mod globals;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::cloudformation::{ImportError, ImportErrorKind};

/// The name of SAM's transform.
pub const SAM_TRANSFORM: &str = "AWS::Serverless-2016-10-31";

/// A SAM template after the transform.
#[derive(Debug, Clone, PartialEq)]
pub struct Transformed {
    /// The plain CloudFormation template.
    pub template: Value,
    /// What the transform left out or does differently locally, one
    /// sentence each (e.g. a function event that is not an API request).
    pub warnings: Vec<String>,
}

/// Whether a parsed template asks for SAM's transform.
pub fn is_sam(root: &Value) -> bool {
    match root.get("Transform") {
        Some(Value::String(name)) => name == SAM_TRANSFORM,
        Some(Value::Array(names)) => names.iter().any(|n| n.as_str() == Some(SAM_TRANSFORM)),
        _ => false,
    }
}

/// Translates a parsed SAM template (`root`, from `file`) into the plain
/// CloudFormation template SAM's translator would produce for its REST
/// APIs and functions.
///
/// # Errors
///
/// An [`ImportError`] naming the file and the property path (with its line
/// when the resource's line is known) for what SAM itself refuses: an `Api`
/// event without `Path` or `Method`, or whose `RestApiId` is not an
/// `AWS::Serverless::Api` of the template, two events on one route, `Cors`,
/// `Auth` or `Models` on an API defined by `DefinitionUri`, a
/// `DefaultAuthorizer` or `RequestModel` that names nothing, and other
/// transforms besides SAM's.
///
/// # Example
///
/// ```
/// use phalanx_gateway::cloudformation::parse_template;
/// use phalanx_gateway::sam::transform;
///
/// let source = r#"
/// Transform: AWS::Serverless-2016-10-31
/// Resources:
///   Hello:
///     Type: AWS::Serverless::Function
///     Properties:
///       Runtime: python3.12
///       Handler: app.handler
///       CodeUri: src/
///       Events:
///         Get:
///           Type: Api
///           Properties: { Path: /hello, Method: get }
/// "#;
/// let root = parse_template(source, "template.yaml").unwrap();
/// let out = transform(&root, source, "template.yaml").unwrap().template;
/// let resources = &out["Resources"];
/// assert_eq!(resources["Hello"]["Type"], "AWS::Lambda::Function");
/// assert_eq!(resources["ServerlessRestApiProdStage"]["Properties"]["StageName"], "Prod");
/// let body = &resources["ServerlessRestApi"]["Properties"]["Body"];
/// assert_eq!(body["paths"]["/hello"]["get"]["x-amazon-apigateway-integration"]["type"], "aws_proxy");
/// ```
pub fn transform(root: &Value, source: &str, file: &str) -> Result<Transformed, ImportError> {
    let mut sam = Sam::new(root, source, file)?;
    sam.run()?;
    Ok(sam.finish())
}

/// The transform's state: the template being written and what was found.
struct Sam<'a> {
    file: &'a str,
    /// Lines of `Resources.X` entries in the source, for messages.
    lines: std::collections::HashMap<String, usize>,
    /// The input template's top-level sections, SAM's removed.
    root: Map<String, Value>,
    /// The input resources, `Globals` merged in.
    input: IndexMap<String, Value>,
    /// The output resources.
    output: Map<String, Value>,
    /// The APIs that will be written: explicit ones by logical id, and the
    /// implicit `ServerlessRestApi` once an event needs it.
    apis: IndexMap<String, api::SamApi>,
    /// `Globals.Api`, for the implicit API.
    api_globals: Option<Value>,
    /// The usage plan APIs with `CreateUsagePlan: SHARED` join.
    shared_usage_plan: Option<api::SharedUsagePlan>,
    warnings: Vec<String>,
}

impl<'a> Sam<'a> {
    fn new(root: &Value, source: &str, file: &'a str) -> Result<Sam<'a>, ImportError> {
        let Some(object) = root.as_object() else {
            return Err(ImportError::new(
                ImportErrorKind::Invalid,
                file,
                "a template is an object (with Resources)",
            ));
        };
        check_other_transforms(root, file)?;
        let lines = crate::cloudformation::entry_lines(source, object);
        let globals = globals::Globals::read(object.get("Globals"), file)?;
        let mut input = IndexMap::new();
        if let Some(resources) = object.get("Resources") {
            let Some(resources) = resources.as_object() else {
                return Err(ImportError::at(
                    ImportErrorKind::Invalid,
                    file,
                    "Resources",
                    "Resources must be an object of resources by logical id",
                ));
            };
            for (id, resource) in resources {
                input.insert(id.clone(), globals.apply(resource));
            }
        }
        let mut root = object.clone();
        root.remove("Transform");
        root.remove("Globals");
        Ok(Sam {
            file,
            lines,
            root,
            input,
            output: Map::new(),
            apis: IndexMap::new(),
            api_globals: globals.api().cloned(),
            shared_usage_plan: None,
            warnings: Vec::new(),
        })
    }

    /// The translation, in the translator's order: functions (and their
    /// events, which write the implicit API's routes), then APIs.
    fn run(&mut self) -> Result<(), ImportError> {
        let input = std::mem::take(&mut self.input);
        for (id, resource) in &input {
            if resource.get("Type").and_then(Value::as_str) == Some("AWS::Serverless::Api") {
                let api = api::SamApi::read(self, id, resource)?;
                self.apis.insert(id.clone(), api);
            }
        }
        let mut events = Vec::new();
        for (id, resource) in &input {
            let kind = resource.get("Type").and_then(Value::as_str).unwrap_or("");
            match kind {
                "AWS::Serverless::Function" => {
                    let translated = function::translate(self, id, resource)?;
                    self.output.insert(id.clone(), translated.function);
                    // What SAM adds beside the function never replaces a
                    // resource of the template's own.
                    for (other_id, other) in translated.others {
                        if !input.contains_key(&other_id) {
                            self.output.insert(other_id, other);
                        }
                    }
                    events.extend(translated.events);
                }
                "AWS::Serverless::Api" => {}
                other if other.starts_with("AWS::Serverless::") => {
                    if other == "AWS::Serverless::HttpApi" {
                        self.warnings.push(format!(
                            "Resources.{id}: AWS::Serverless::HttpApi is an HTTP API (API \
                             Gateway v2); only REST APIs are served locally, so it is left out"
                        ));
                    }
                    // What SAM writes for it, without properties, so that a
                    // `!Ref` or `!GetAtt` to it (a table name in a function's
                    // environment, say) still resolves.
                    if let Some(kind) = stand_in_type(other) {
                        self.output.insert(
                            id.clone(),
                            serde_json::json!({"Type": kind, "Properties": {}}),
                        );
                    }
                }
                _ => {
                    self.output.insert(id.clone(), resource.clone());
                }
            }
        }
        for event in &events {
            events::add(self, event)?;
        }
        let mut conditions = Map::new();
        for (id, sam_api) in self.apis.iter_mut() {
            sam_api.add_route_conditions(id, &mut conditions);
        }
        if !conditions.is_empty() {
            let template_conditions = self
                .root
                .entry("Conditions")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(template_conditions) = template_conditions.as_object_mut() {
                template_conditions.extend(conditions);
            }
        }
        for (id, sam_api) in std::mem::take(&mut self.apis) {
            let resources = sam_api.into_resources(self, &id)?;
            for (resource_id, resource) in resources {
                self.output.insert(resource_id, resource);
            }
        }
        api::finish_shared_usage_plan(self);
        Ok(())
    }

    fn finish(mut self) -> Transformed {
        self.root
            .insert("Resources".to_owned(), Value::Object(self.output));
        Transformed {
            template: Value::Object(self.root),
            warnings: self.warnings,
        }
    }

    /// An error at `path` (`Resources.X.Properties…`), with the resource's
    /// line.
    fn error(&self, path: &str, message: impl Into<String>) -> ImportError {
        let line = path
            .strip_prefix("Resources.")
            .and_then(|rest| rest.split(['.', '[']).next())
            .and_then(|id| self.lines.get(&format!("Resources.{id}")).copied());
        ImportError::at(ImportErrorKind::Invalid, self.file, path, message).with_line(line)
    }
}

/// SAM's transform is supported; any other (alone or beside it) is
/// CloudFormation's to expand, and cannot be done here.
fn check_other_transforms(root: &Value, file: &str) -> Result<(), ImportError> {
    let names: Vec<&Value> = match root.get("Transform") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    for name in names {
        if name.as_str() != Some(SAM_TRANSFORM) {
            let shown = name
                .as_str()
                .map_or_else(|| name.to_string(), str::to_owned);
            return Err(ImportError::at(
                ImportErrorKind::Unsupported,
                file,
                "Transform",
                format!(
                    "the transform {shown} is not supported locally (only {SAM_TRANSFORM} is): \
                     import the processed template (`aws cloudformation get-template \
                     --template-stage Processed`)"
                ),
            ));
        }
    }
    Ok(())
}

/// The CloudFormation type SAM translates a SAM resource that is not a
/// function or REST API into.
fn stand_in_type(sam_type: &str) -> Option<&'static str> {
    Some(match sam_type {
        "AWS::Serverless::SimpleTable" => "AWS::DynamoDB::Table",
        "AWS::Serverless::LayerVersion" => "AWS::Lambda::LayerVersion",
        "AWS::Serverless::HttpApi" => "AWS::ApiGatewayV2::Api",
        "AWS::Serverless::StateMachine" => "AWS::StepFunctions::StateMachine",
        "AWS::Serverless::Application" => "AWS::CloudFormation::Stack",
        "AWS::Serverless::GraphQLApi" => "AWS::AppSync::GraphQLApi",
        _ => return None,
    })
}

/// Whether `value` is an intrinsic function (`Ref`, `Fn::…`): a value
/// CloudFormation computes, passed through as it is.
fn is_intrinsic(value: &Value) -> bool {
    crate::cloudformation::intrinsic(value).is_some()
}

/// `{"Ref": id}`.
fn reference(id: &str) -> Value {
    serde_json::json!({ "Ref": id })
}

/// `path.key`.
fn child(path: &str, key: &str) -> String {
    format!("{path}.{key}")
}
