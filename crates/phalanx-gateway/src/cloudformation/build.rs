//! Template resources → the API model.
//!
//! CloudFormation describes a REST API as a graph of resources that point
//! at each other by id (a Method's `ResourceId`, a Resource's `ParentId`, a
//! usage plan key's `KeyId`); the model is a tree keyed by paths and names.
//! This module walks the graph for one RestApi: it resolves each
//! resource's id the way [`Template`] resolves references, then joins them.
//! Everything is read through the template's typed accessors, so a property
//! of the wrong type is an error naming its path, never a panic.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::template::{Result, Template, child};
use super::{GeneratedApiKey, ImportOptions, Imported};
use crate::ids::characters;
use crate::model::{
    ApiKey, Authorizer, AuthorizerType, ContentHandling, Function, GatewayResponse, Integration,
    IntegrationResponse, IntegrationType, Method, MethodResponse, MethodSetting, Model,
    PassthroughBehavior, Quota, RequestValidator, RestApi, Stage, Throttle, UsagePlan,
    UsagePlanStage,
};
use crate::openapi::{self, OpenApiOptions};

const REST_API: &str = "AWS::ApiGateway::RestApi";

/// The API's resources, by id.
struct PathTable {
    root_id: String,
    /// Resource id → (logical id, parent id, path part).
    resources: HashMap<String, (String, String, String)>,
    /// Resource id → full path, once computed.
    paths: HashMap<String, String>,
}

/// Builds the model of the chosen RestApi.
pub(crate) fn build(template: &Template<'_>, options: &ImportOptions) -> Result<Imported> {
    let logical_id = choose_api(template, options)?;
    let mut builder = Builder {
        template,
        api_logical_id: logical_id.clone(),
        api_id: Template::api_id(&logical_id),
        base_dir: options.base_dir.clone(),
        warnings: Vec::new(),
        files: Vec::new(),
    };
    let (api, generated_api_keys) = builder.rest_api()?;
    Ok(Imported {
        api,
        logical_id,
        generated_api_keys,
        warnings: builder.warnings,
        files: builder.files,
    })
}

/// The logical id of the RestApi to import.
fn choose_api(template: &Template<'_>, options: &ImportOptions) -> Result<String> {
    let mut apis = Vec::new();
    for (id, resource) in &template.resources {
        if resource.ty == REST_API && template.exists(id)? {
            apis.push(id.clone());
        }
    }
    let list = |apis: &[String]| {
        if apis.is_empty() {
            "none".to_owned()
        } else {
            apis.join(", ")
        }
    };
    match &options.api {
        Some(wanted) => {
            if apis.contains(wanted) {
                Ok(wanted.clone())
            } else {
                let why = match template.resources.get(wanted) {
                    Some(r) if r.ty == REST_API => "is not created (its condition is false)",
                    Some(_) => "is not an AWS::ApiGateway::RestApi",
                    None => "is not in the template",
                };
                Err(template.invalid(
                    &child("Resources", wanted),
                    format!(
                        "the API to import {why}; the template's RestApis: {}",
                        list(&apis)
                    ),
                ))
            }
        }
        None => match apis.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(super::ImportError::new(
                super::ImportErrorKind::Invalid,
                template.file(),
                "the template has no AWS::ApiGateway::RestApi",
            )),
            several => Err(super::ImportError::new(
                super::ImportErrorKind::Invalid,
                template.file(),
                format!(
                    "the template has several REST APIs ({}): choose one with `--api ID` \
                     (ImportOptions::api)",
                    several.join(", ")
                ),
            )),
        },
    }
}

struct Builder<'t, 'a> {
    template: &'t Template<'a>,
    api_logical_id: String,
    api_id: String,
    /// Where `BodyS3Location` files are found.
    base_dir: Option<std::path::PathBuf>,
    warnings: Vec<String>,
    /// The local files read besides the template (`Imported::files`).
    files: Vec<std::path::PathBuf>,
}

fn properties_path(logical_id: &str) -> String {
    child(&child("Resources", logical_id), "Properties")
}

/// `~1` → `/` and `~0` → `~`: BinaryMediaTypes may be written escaped, as
/// the API Gateway API wants them in patch operations.
fn unescape_media_type(media_type: &str) -> String {
    media_type.replace("~1", "/").replace("~0", "~")
}

impl Builder<'_, '_> {
    /// The logical ids of the existing resources of type `ty`, in template
    /// order.
    fn of_type(&self, ty: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for (id, resource) in &self.template.resources {
            if resource.ty == ty && self.template.exists(id)? {
                out.push(id.clone());
            }
        }
        Ok(out)
    }

    /// The existing resources of type `ty` whose `RestApiId` is this API,
    /// with their properties.
    fn of_api(&self, ty: &str) -> Result<Vec<(String, Map<String, Value>)>> {
        let mut out = Vec::new();
        for id in self.of_type(ty)? {
            let props = self.template.properties(&id)?;
            let api = self
                .template
                .required_string(&props, "RestApiId", &properties_path(&id))?;
            if api == self.api_id {
                out.push((id, props));
            }
        }
        Ok(out)
    }

    fn rest_api(&mut self) -> Result<(RestApi, Vec<GeneratedApiKey>)> {
        let t = self.template;
        let id = self.api_logical_id.clone();
        let path = properties_path(&id);
        let props = t.properties(&id)?;
        if props.contains_key("CloneFrom") {
            return Err(t.unsupported(
                &child(&path, "CloneFrom"),
                "cloning another API is not supported; describe the API with \
                 AWS::ApiGateway::Resource and AWS::ApiGateway::Method resources, or an OpenAPI \
                 Body",
            ));
        }
        let functions = self.functions()?;
        let body = self.openapi_body(&props, &path, &functions)?;
        let name = match t.string(&props, "Name", &path)? {
            Some(name) => name,
            None => body
                .as_ref()
                .map(|b| b.name.clone())
                .unwrap_or_else(|| id.clone()),
        };
        let description = t.string(&props, "Description", &path)?;
        let mut binary_media_types: Vec<String> = t
            .string_list(&props, "BinaryMediaTypes", &path)?
            .iter()
            .map(|m| unescape_media_type(m))
            .collect();

        let paths = self.paths()?;
        let mut models = self.models()?;
        let (mut request_validators, validator_ids) = self.request_validators()?;
        let (mut authorizers, authorizer_ids) = self.authorizers(&functions)?;
        let mut methods = self.methods(
            &paths,
            &functions,
            &request_validators,
            &validator_ids,
            &authorizer_ids,
        )?;
        let mut gateway_responses = self.gateway_responses()?;
        let stages = self.stages()?;
        let (api_keys, generated, usage_plans) = self.api_keys(&stages)?;
        let mut api_key_source_type = t.string(&props, "ApiKeySourceType", &path)?;
        if let Some(source) = &api_key_source_type
            && !["HEADER", "AUTHORIZER"].contains(&source.as_str())
        {
            return Err(t.invalid(
                &child(&path, "ApiKeySourceType"),
                format!("`{source}` is not one of HEADER, AUTHORIZER"),
            ));
        }
        // The OpenAPI definition's parts come first, the resources' after:
        // both make the API, as in AWS, where resources are added to the
        // API the body created.
        let functions = match body {
            None => functions,
            Some(body) => {
                let mut with_body = body.methods;
                with_body.append(&mut methods);
                methods = with_body;
                let mut with_body = body.models;
                with_body.append(&mut models);
                models = with_body;
                let mut with_body = body.request_validators;
                with_body.append(&mut request_validators);
                request_validators = with_body;
                let mut with_body = body.gateway_responses;
                with_body.append(&mut gateway_responses);
                gateway_responses = with_body;
                let mut with_body = body.authorizers;
                with_body.append(&mut authorizers);
                authorizers = with_body;
                // The property wins over the document's extension, as
                // CloudFormation applies it after importing the body.
                if api_key_source_type.is_none() {
                    api_key_source_type = body.api_key_source_type;
                }
                for media_type in body.binary_media_types {
                    if !binary_media_types.contains(&media_type) {
                        binary_media_types.push(media_type);
                    }
                }
                body.functions
            }
        };
        let api = RestApi {
            name,
            id: self.api_id.clone(),
            description,
            binary_media_types,
            methods,
            models,
            request_validators,
            gateway_responses,
            stages,
            api_keys,
            usage_plans,
            functions,
            authorizers,
            api_key_source_type,
        };
        Ok((api, generated))
    }

    /// The RestApi's OpenAPI definition (`Body` or `BodyS3Location`),
    /// imported, if it has one. Its functions are the template's plus any
    /// other a Lambda integration names.
    fn openapi_body(
        &mut self,
        props: &Map<String, Value>,
        path: &str,
        functions: &IndexMap<String, Function>,
    ) -> Result<Option<RestApi>> {
        let t = self.template;
        let options = OpenApiOptions {
            name: t.string(props, "Name", path)?,
            id: Some(self.api_id.clone()),
            functions: functions.clone(),
        };
        let imported = if let Some(body) = props.get("Body") {
            let body_path = child(path, "Body");
            let document = match t.resolve_deep(body, &body_path)? {
                None => return Ok(None),
                // A JSON or YAML string is accepted too.
                Some(Value::String(text)) => super::parse_template(&text, t.file())
                    .map_err(|e| e.within(&body_path, t.line_of(&body_path)))?,
                Some(document) => document,
            };
            openapi::import_document(&document, t.file(), &options)
                .map_err(|e| e.within(&body_path, t.line_of(&body_path)))?
        } else if let Some(location) = t.object(props, "BodyS3Location", path)? {
            let (file, text) = self.body_file(&location, &child(path, "BodyS3Location"))?;
            openapi::import(&text, &file, &options)?
        } else {
            return Ok(None);
        };
        self.warnings.extend(imported.warnings);
        Ok(Some(imported.api))
    }

    /// The local file a `BodyS3Location` stands for: `Key`, then
    /// `Bucket/Key`, in the import's base folder. There is no S3 locally;
    /// this lets a template point at the document it uploads.
    fn body_file(&mut self, location: &Map<String, Value>, path: &str) -> Result<(String, String)> {
        let t = self.template;
        let key = t.required_string(location, "Key", path)?;
        let bucket = t.string(location, "Bucket", path)?;
        let Some(base) = &self.base_dir else {
            return Err(t.unsupported(
                path,
                "BodyS3Location needs the template's folder to find the file locally (`phalanx \
                 serve --template` gives it)",
            ));
        };
        let mut candidates = vec![base.join(&key)];
        if let Some(bucket) = &bucket {
            candidates.push(base.join(bucket).join(&key));
        }
        // Watched for changes (`phalanx serve --watch`) even when missing,
        // so that creating one is seen.
        self.files.extend(candidates.iter().cloned());
        for candidate in &candidates {
            if candidate.is_file() {
                let text = std::fs::read_to_string(candidate).map_err(|e| {
                    t.invalid(path, format!("cannot read {}: {e}", candidate.display()))
                })?;
                return Ok((candidate.display().to_string(), text));
            }
        }
        let tried: Vec<String> = candidates.iter().map(|c| c.display().to_string()).collect();
        Err(t.invalid(
            path,
            format!(
                "the OpenAPI document is not a local file (S3 is not emulated); looked for {}",
                tried.join(" and ")
            ),
        ))
    }

    /// The API's resources and their full paths.
    fn paths(&self) -> Result<PathTable> {
        let t = self.template;
        let mut table = PathTable {
            root_id: Template::root_resource_id(&self.api_logical_id),
            resources: HashMap::new(),
            paths: HashMap::new(),
        };
        let resources = self.of_api("AWS::ApiGateway::Resource")?;
        for (id, props) in &resources {
            let path = properties_path(id);
            let parent = t.required_string(props, "ParentId", &path)?;
            let part = t.required_string(props, "PathPart", &path)?;
            if part.is_empty() || part.contains('/') {
                return Err(t.invalid(
                    &child(&path, "PathPart"),
                    format!("`{part}` is not a path segment (one non-empty segment without `/`)"),
                ));
            }
            let resource_id = t.physical_id(id, &path)?;
            table
                .resources
                .insert(resource_id, (id.clone(), parent, part));
        }
        let mut seen: HashMap<String, String> = HashMap::new();
        for (id, _) in &resources {
            let resource_id = t.physical_id(id, &properties_path(id))?;
            let full = self.path_of(&mut table, &resource_id, 0)?;
            if let Some(other) = seen.insert(full.clone(), id.clone()) {
                return Err(t.invalid(
                    &properties_path(id),
                    format!("the path {full} is also defined by `{other}`"),
                ));
            }
        }
        Ok(table)
    }

    fn path_of(&self, table: &mut PathTable, resource_id: &str, depth: usize) -> Result<String> {
        if resource_id == table.root_id {
            return Ok("/".to_owned());
        }
        if let Some(path) = table.paths.get(resource_id) {
            return Ok(path.clone());
        }
        let Some((logical, parent, part)) = table.resources.get(resource_id).cloned() else {
            // Only reached for a parent id: resource ids come from the table.
            return Err(self
                .template
                .invalid("Resources", format!("unknown resource id {resource_id}")));
        };
        let parent_path = child(&properties_path(&logical), "ParentId");
        if depth > table.resources.len() {
            return Err(self
                .template
                .invalid(&parent_path, "the resource is its own ancestor"));
        }
        if parent != table.root_id && !table.resources.contains_key(&parent) {
            return Err(self.template.invalid(
                &parent_path,
                format!(
                    "`{parent}` is neither the root resource of `{}` \
                     (Fn::GetAtt {}.RootResourceId) \
                     nor an AWS::ApiGateway::Resource of it",
                    self.api_logical_id, self.api_logical_id
                ),
            ));
        }
        let parent_full = self.path_of(table, &parent, depth + 1)?;
        let full = if parent_full == "/" {
            format!("/{part}")
        } else {
            format!("{parent_full}/{part}")
        };
        table.paths.insert(resource_id.to_owned(), full.clone());
        Ok(full)
    }

    /// Every Lambda function of the template, by logical id.
    fn functions(&self) -> Result<IndexMap<String, Function>> {
        let t = self.template;
        let mut out = IndexMap::new();
        for id in self.of_type("AWS::Lambda::Function")? {
            let path = properties_path(&id);
            let props = t.properties(&id)?;
            let environment = match t.object(&props, "Environment", &path)? {
                Some(environment) => {
                    t.string_map(&environment, "Variables", &child(&path, "Environment"))?
                }
                None => IndexMap::new(),
            };
            let function = Function {
                function_name: t.physical_id(&id, &path)?,
                handler: t.string(&props, "Handler", &path)?,
                runtime: t.string(&props, "Runtime", &path)?,
                timeout: t.unsigned(&props, "Timeout", &path)?,
                memory_size: t.unsigned(&props, "MemorySize", &path)?,
                environment,
            };
            out.insert(id, function);
        }
        Ok(out)
    }

    fn models(&self) -> Result<Vec<Model>> {
        let t = self.template;
        let mut out = Vec::new();
        for (id, props) in self.of_api("AWS::ApiGateway::Model")? {
            let path = properties_path(&id);
            let schema = match t.json(&props, "Schema", &path)? {
                Some(Value::String(text)) => serde_json::from_str(&text).map_err(|e| {
                    t.invalid(
                        &child(&path, "Schema"),
                        format!("the schema is not valid JSON: {e}"),
                    )
                })?,
                Some(schema) => schema,
                None => Value::Null,
            };
            out.push(Model {
                name: t.physical_id(&id, &path)?,
                content_type: t.string(&props, "ContentType", &path)?,
                schema,
            });
        }
        Ok(out)
    }

    /// The validators, and validator id → name.
    fn request_validators(&self) -> Result<(Vec<RequestValidator>, HashMap<String, String>)> {
        let t = self.template;
        let mut out = Vec::new();
        let mut ids = HashMap::new();
        for (id, props) in self.of_api("AWS::ApiGateway::RequestValidator")? {
            let path = properties_path(&id);
            let name = t
                .string(&props, "Name", &path)?
                .unwrap_or_else(|| id.clone());
            ids.insert(t.physical_id(&id, &path)?, name.clone());
            out.push(RequestValidator {
                name,
                validate_request_body: t
                    .boolean(&props, "ValidateRequestBody", &path)?
                    .unwrap_or(false),
                validate_request_parameters: t
                    .boolean(&props, "ValidateRequestParameters", &path)?
                    .unwrap_or(false),
            });
        }
        Ok((out, ids))
    }

    /// The API's authorizers, and authorizer id → name (what a Method's
    /// `AuthorizerId` refers to).
    fn authorizers(
        &mut self,
        functions: &IndexMap<String, Function>,
    ) -> Result<(Vec<Authorizer>, HashMap<String, String>)> {
        let t = self.template;
        let mut out = Vec::new();
        let mut ids = HashMap::new();
        for (id, props) in self.of_api("AWS::ApiGateway::Authorizer")? {
            let path = properties_path(&id);
            let name = t
                .string(&props, "Name", &path)?
                .unwrap_or_else(|| id.clone());
            ids.insert(t.physical_id(&id, &path)?, name.clone());
            let kind = t.required_string(&props, "Type", &path)?;
            let kind = AuthorizerType::from_name(&kind).ok_or_else(|| {
                t.invalid(
                    &child(&path, "Type"),
                    format!("`{kind}` is not one of TOKEN, REQUEST, COGNITO_USER_POOLS"),
                )
            })?;
            let authorizer_uri = t.string(&props, "AuthorizerUri", &path)?;
            let function = match (&kind, &authorizer_uri) {
                (AuthorizerType::CognitoUserPools, _) => None,
                (_, None) => {
                    return Err(t.invalid(
                        &path,
                        "a TOKEN or REQUEST authorizer needs an AuthorizerUri (the Lambda \
                         function's invocation URI)",
                    ));
                }
                (_, Some(uri)) => self.lambda_function(
                    uri,
                    &child(&path, "AuthorizerUri"),
                    functions,
                    &format!("{id} (authorizer {name})"),
                    "authorizer",
                )?,
            };
            out.push(Authorizer {
                name,
                kind,
                function,
                authorizer_uri,
                identity_source: t.string(&props, "IdentitySource", &path)?,
                identity_validation_expression: t.string(
                    &props,
                    "IdentityValidationExpression",
                    &path,
                )?,
                authorizer_result_ttl_in_seconds: t.unsigned(
                    &props,
                    "AuthorizerResultTtlInSeconds",
                    &path,
                )?,
                provider_arns: t.string_list(&props, "ProviderARNs", &path)?,
            });
        }
        Ok((out, ids))
    }

    fn methods(
        &mut self,
        paths: &PathTable,
        functions: &IndexMap<String, Function>,
        validators: &[RequestValidator],
        validator_ids: &HashMap<String, String>,
        authorizer_ids: &HashMap<String, String>,
    ) -> Result<Vec<Method>> {
        const METHODS: [&str; 8] = [
            "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY",
        ];
        let t = self.template;
        let mut out = Vec::new();
        let mut seen: HashMap<(String, String), String> = HashMap::new();
        for (id, props) in self.of_api("AWS::ApiGateway::Method")? {
            let path = properties_path(&id);
            let resource_id = t.required_string(&props, "ResourceId", &path)?;
            let resource_path = if resource_id == paths.root_id {
                "/".to_owned()
            } else if let Some(full) = paths.paths.get(&resource_id) {
                full.clone()
            } else {
                return Err(t.invalid(
                    &child(&path, "ResourceId"),
                    format!(
                        "`{resource_id}` is neither the root resource of `{}` (Fn::GetAtt \
                         {}.RootResourceId) nor an AWS::ApiGateway::Resource of it",
                        self.api_logical_id, self.api_logical_id
                    ),
                ));
            };
            let http_method = t
                .required_string(&props, "HttpMethod", &path)?
                .to_uppercase();
            if !METHODS.contains(&http_method.as_str()) {
                return Err(t.invalid(
                    &child(&path, "HttpMethod"),
                    format!("`{http_method}` is not one of {}", METHODS.join(", ")),
                ));
            }
            let key = (resource_path.clone(), http_method.clone());
            if let Some(other) = seen.insert(key, id.clone()) {
                return Err(t.invalid(
                    &path,
                    format!("{http_method} {resource_path} is also defined by `{other}`"),
                ));
            }
            let authorization_type = t.string(&props, "AuthorizationType", &path)?;
            let authorizer = match t.string(&props, "AuthorizerId", &path)? {
                None => None,
                Some(authorizer) => match authorizer_ids.get(&authorizer) {
                    Some(name) => Some(name.clone()),
                    None => {
                        return Err(t.invalid(
                            &child(&path, "AuthorizerId"),
                            format!(
                                "`{authorizer}` is not an AWS::ApiGateway::Authorizer of `{}`",
                                self.api_logical_id
                            ),
                        ));
                    }
                },
            };
            let request_validator = match t.string(&props, "RequestValidatorId", &path)? {
                None => None,
                Some(validator) => match validator_ids.get(&validator) {
                    Some(name) => Some(name.clone()),
                    None if validators.iter().any(|v| v.name == validator) => Some(validator),
                    None => {
                        return Err(t.invalid(
                            &child(&path, "RequestValidatorId"),
                            format!(
                                "`{validator}` is not an AWS::ApiGateway::RequestValidator of `{}`",
                                self.api_logical_id
                            ),
                        ));
                    }
                },
            };
            let mut method_responses = Vec::new();
            for (response_path, response) in t.object_list(&props, "MethodResponses", &path)? {
                method_responses.push(MethodResponse {
                    status_code: t.required_string(&response, "StatusCode", &response_path)?,
                    response_parameters: t.bool_map(
                        &response,
                        "ResponseParameters",
                        &response_path,
                    )?,
                    response_models: t.string_map(&response, "ResponseModels", &response_path)?,
                });
            }
            let integration = match t.object(&props, "Integration", &path)? {
                None => None,
                Some(integration) => Some(self.integration(
                    &integration,
                    &child(&path, "Integration"),
                    functions,
                    &format!("{id} ({http_method} {resource_path})"),
                )?),
            };
            out.push(Method {
                resource_path,
                http_method,
                authorization_type,
                api_key_required: t.boolean(&props, "ApiKeyRequired", &path)?.unwrap_or(false),
                authorizer,
                authorization_scopes: t.string_list(&props, "AuthorizationScopes", &path)?,
                request_parameters: t.bool_map(&props, "RequestParameters", &path)?,
                request_models: t.string_map(&props, "RequestModels", &path)?,
                request_validator,
                method_responses,
                integration,
            });
        }
        Ok(out)
    }

    fn integration(
        &mut self,
        props: &Map<String, Value>,
        path: &str,
        functions: &IndexMap<String, Function>,
        method: &str,
    ) -> Result<Integration> {
        let t = self.template;
        let kind = t.required_string(props, "Type", path)?;
        let kind = IntegrationType::from_name(&kind).ok_or_else(|| {
            t.invalid(
                &child(path, "Type"),
                format!("`{kind}` is not one of AWS, AWS_PROXY, HTTP, HTTP_PROXY, MOCK"),
            )
        })?;
        let uri = t.string(props, "Uri", path)?;
        let function = match (&kind, &uri) {
            (IntegrationType::Aws | IntegrationType::AwsProxy, Some(uri))
                if uri.contains(":lambda:path/") =>
            {
                self.lambda_function(uri, &child(path, "Uri"), functions, method, "integration")?
            }
            _ => None,
        };
        let mut integration_responses = Vec::new();
        for (response_path, response) in t.object_list(props, "IntegrationResponses", path)? {
            integration_responses.push(IntegrationResponse {
                status_code: t.required_string(&response, "StatusCode", &response_path)?,
                selection_pattern: t.string(&response, "SelectionPattern", &response_path)?,
                response_parameters: t.string_map(
                    &response,
                    "ResponseParameters",
                    &response_path,
                )?,
                response_templates: t.string_map(&response, "ResponseTemplates", &response_path)?,
                content_handling: self.content_handling(&response, &response_path)?,
            });
        }
        let passthrough_behavior = match t.string(props, "PassthroughBehavior", path)? {
            None => None,
            Some(value) => Some(PassthroughBehavior::from_name(&value).ok_or_else(|| {
                t.invalid(
                    &child(path, "PassthroughBehavior"),
                    format!("`{value}` is not one of WHEN_NO_MATCH, WHEN_NO_TEMPLATES, NEVER"),
                )
            })?),
        };
        Ok(Integration {
            kind,
            uri,
            function,
            integration_http_method: t
                .string(props, "IntegrationHttpMethod", path)?
                .map(|m| m.to_uppercase()),
            request_templates: t.string_map(props, "RequestTemplates", path)?,
            request_parameters: t.string_map(props, "RequestParameters", path)?,
            passthrough_behavior,
            content_handling: self.content_handling(props, path)?,
            timeout_in_millis: t.unsigned(props, "TimeoutInMillis", path)?,
            integration_responses,
        })
    }

    fn content_handling(
        &self,
        props: &Map<String, Value>,
        path: &str,
    ) -> Result<Option<ContentHandling>> {
        let t = self.template;
        match t.string(props, "ContentHandling", path)? {
            None => Ok(None),
            Some(value) => ContentHandling::from_name(&value).map(Some).ok_or_else(|| {
                t.invalid(
                    &child(path, "ContentHandling"),
                    format!("`{value}` is not one of CONVERT_TO_TEXT, CONVERT_TO_BINARY"),
                )
            }),
        }
    }

    /// The logical id of the function a Lambda integration URI
    /// (`arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/ARN/invocations`)
    /// invokes.
    fn lambda_function(
        &mut self,
        uri: &str,
        path: &str,
        functions: &IndexMap<String, Function>,
        method: &str,
        subject: &str,
    ) -> Result<Option<String>> {
        let t = self.template;
        let target = crate::model::lambda_uri_target(uri).ok_or_else(|| {
            t.invalid(
                path,
                format!(
                    "`{uri}` is not a Lambda invocation URI \
                         (arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/\
                         FUNCTION_ARN/invocations)"
                ),
            )
        })?;
        if target.contains("${stageVariables.") {
            self.warnings.push(format!(
                "{method}: the Lambda function is chosen by a stage variable ({target}), so \
                 the importer cannot tell which one it is; the {subject} names no function"
            ));
            return Ok(None);
        }
        let name = crate::model::lambda_function_name(target);
        functions
            .iter()
            .find(|(_, function)| function.function_name == name)
            .map(|(id, _)| Some(id.clone()))
            .ok_or_else(|| {
                t.invalid(
                    path,
                    format!(
                        "the {subject} invokes the Lambda function `{name}` ({target}), which is \
                         not an AWS::Lambda::Function of this template"
                    ),
                )
            })
    }

    fn gateway_responses(&self) -> Result<Vec<GatewayResponse>> {
        let t = self.template;
        let mut out = Vec::new();
        for (id, props) in self.of_api("AWS::ApiGateway::GatewayResponse")? {
            let path = properties_path(&id);
            out.push(GatewayResponse {
                response_type: t.required_string(&props, "ResponseType", &path)?,
                status_code: t.string(&props, "StatusCode", &path)?,
                response_parameters: t.string_map(&props, "ResponseParameters", &path)?,
                response_templates: t.string_map(&props, "ResponseTemplates", &path)?,
            });
        }
        Ok(out)
    }

    /// Stage resources and the stages deployments create, in template
    /// order.
    fn stages(&self) -> Result<Vec<Stage>> {
        let t = self.template;
        let mut stages: Vec<(String, Stage)> = Vec::new();
        for (id, resource) in &t.resources {
            let ty = resource.ty.as_str();
            if ty != "AWS::ApiGateway::Stage" && ty != "AWS::ApiGateway::Deployment" {
                continue;
            }
            if !t.exists(id)? {
                continue;
            }
            let path = properties_path(id);
            let props = t.properties(id)?;
            if t.required_string(&props, "RestApiId", &path)? != self.api_id {
                continue;
            }
            let stage = if ty == "AWS::ApiGateway::Stage" {
                Stage {
                    stage_name: t.required_string(&props, "StageName", &path)?,
                    description: t.string(&props, "Description", &path)?,
                    variables: t.string_map(&props, "Variables", &path)?,
                    method_settings: self.method_settings(&props, &path)?,
                }
            } else {
                let Some(stage_name) = t.string(&props, "StageName", &path)? else {
                    continue;
                };
                let description_path = child(&path, "StageDescription");
                let description = t
                    .object(&props, "StageDescription", &path)?
                    .unwrap_or_default();
                let mut method_settings = self.method_settings(&description, &description_path)?;
                // StageDescription's own ThrottlingRateLimit and
                // ThrottlingBurstLimit are the stage's defaults for every
                // method (CloudFormation's `StageDescription` reference: they
                // set `/*/*`); listed last so a MethodSettings entry for a
                // method is more specific.
                let rate = t.number(&description, "ThrottlingRateLimit", &description_path)?;
                let burst = t.unsigned(&description, "ThrottlingBurstLimit", &description_path)?;
                if rate.is_some() || burst.is_some() {
                    method_settings.push(MethodSetting {
                        resource_path: "/*".into(),
                        http_method: "*".into(),
                        throttling_rate_limit: rate,
                        throttling_burst_limit: burst,
                    });
                }
                Stage {
                    stage_name,
                    description: t.string(&description, "Description", &description_path)?,
                    variables: t.string_map(&description, "Variables", &description_path)?,
                    method_settings,
                }
            };
            if let Some((other, _)) = stages
                .iter()
                .find(|(_, s)| s.stage_name == stage.stage_name)
            {
                return Err(t.invalid(
                    &path,
                    format!(
                        "the stage `{}` is also created by `{other}`",
                        stage.stage_name
                    ),
                ));
            }
            stages.push((id.clone(), stage));
        }
        Ok(stages.into_iter().map(|(_, stage)| stage).collect())
    }

    /// API keys with the stages of this API their usage plans cover, and
    /// the usage plans that cover a stage of this API (with their keys'
    /// names).
    fn api_keys(
        &mut self,
        stages: &[Stage],
    ) -> Result<(Vec<ApiKey>, Vec<GeneratedApiKey>, Vec<UsagePlan>)> {
        let t = self.template;
        // Usage plan id → stages of this API.
        let mut plans: HashMap<String, Vec<String>> = HashMap::new();
        // Usage plan id → the plan (keys filled below), in template order.
        let mut usage_plans: Vec<(String, UsagePlan)> = Vec::new();
        // Usage plan id → its keys' ids.
        let mut plan_keys: HashMap<String, Vec<String>> = HashMap::new();
        for id in self.of_type("AWS::ApiGateway::UsagePlan")? {
            let path = properties_path(&id);
            let props = t.properties(&id)?;
            let mut covered = Vec::new();
            let mut api_stages = Vec::new();
            for (stage_path, api_stage) in t.object_list(&props, "ApiStages", &path)? {
                if t.required_string(&api_stage, "ApiId", &stage_path)? != self.api_id {
                    continue;
                }
                let stage = t.required_string(&api_stage, "Stage", &stage_path)?;
                api_stages.push(UsagePlanStage {
                    stage: stage.clone(),
                    throttle: self.method_throttles(&api_stage, &stage_path)?,
                });
                if !stages.iter().any(|s| s.stage_name == stage) {
                    self.warnings.push(format!(
                        "{id}: the usage plan covers the stage `{stage}`, which `{}` does not \
                         define",
                        self.api_logical_id
                    ));
                }
                covered.push(stage);
            }
            let physical = t.physical_id(&id, &path)?;
            if !api_stages.is_empty() {
                usage_plans.push((
                    physical.clone(),
                    UsagePlan {
                        name: t
                            .string(&props, "UsagePlanName", &path)?
                            .unwrap_or_else(|| id.clone()),
                        api_stages,
                        throttle: self.throttle(&props, "Throttle", &path)?,
                        quota: self.quota(&props, &path)?,
                        api_keys: Vec::new(),
                    },
                ));
            }
            plans.insert(physical, covered);
        }
        // API key id → stages.
        let mut keys: HashMap<String, Vec<String>> = HashMap::new();
        for id in self.of_type("AWS::ApiGateway::UsagePlanKey")? {
            let path = properties_path(&id);
            let props = t.properties(&id)?;
            let key_type = t.required_string(&props, "KeyType", &path)?;
            if key_type != "API_KEY" {
                return Err(t.invalid(
                    &child(&path, "KeyType"),
                    format!("`{key_type}` is not API_KEY"),
                ));
            }
            let key = t.required_string(&props, "KeyId", &path)?;
            let plan = t.required_string(&props, "UsagePlanId", &path)?;
            let covered = plans.get(&plan).cloned().ok_or_else(|| {
                t.invalid(
                    &child(&path, "UsagePlanId"),
                    format!("`{plan}` is not an AWS::ApiGateway::UsagePlan of this template"),
                )
            })?;
            plan_keys.entry(plan).or_default().push(key.clone());
            keys.entry(key).or_default().extend(covered);
        }
        // API key id → name, for the plans' key lists.
        let mut key_names: HashMap<String, String> = HashMap::new();
        let mut out = Vec::new();
        let mut generated = Vec::new();
        for id in self.of_type("AWS::ApiGateway::ApiKey")? {
            let path = properties_path(&id);
            let props = t.properties(&id)?;
            let physical = t.physical_id(&id, &path)?;
            let name = t
                .string(&props, "Name", &path)?
                .unwrap_or_else(|| id.clone());
            key_names.insert(physical.clone(), name.clone());
            let mut covered = keys.remove(&physical).unwrap_or_default();
            for (stage_path, stage_key) in t.object_list(&props, "StageKeys", &path)? {
                if t.required_string(&stage_key, "RestApiId", &stage_path)? == self.api_id
                    && let Some(stage) = t.string(&stage_key, "StageName", &stage_path)?
                {
                    covered.push(stage);
                }
            }
            let mut stages = Vec::new();
            for stage in covered {
                if !stages.contains(&stage) {
                    stages.push(stage);
                }
            }
            if stages.is_empty() {
                continue;
            }
            let value = match t.string(&props, "Value", &path)? {
                Some(value) => value,
                None => {
                    const ALPHANUMERIC: &[u8] =
                        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
                    let value =
                        characters(&format!("AWS::ApiGateway::ApiKey/{id}"), 40, ALPHANUMERIC);
                    generated.push(GeneratedApiKey {
                        logical_id: id.clone(),
                        name: name.clone(),
                        value: value.clone(),
                    });
                    value
                }
            };
            // CloudFormation's (and API Gateway's) default is a disabled key.
            let enabled = t.boolean(&props, "Enabled", &path)?.unwrap_or(false);
            if !enabled {
                self.warnings.push(format!(
                    "{id}: the API key is not enabled (Enabled defaults to false), so requests \
                     with it are refused"
                ));
            }
            out.push(ApiKey {
                name,
                value,
                enabled,
                stages,
            });
        }
        let usage_plans = usage_plans
            .into_iter()
            .map(|(physical, mut plan)| {
                plan.api_keys = plan_keys
                    .get(&physical)
                    .into_iter()
                    .flatten()
                    .filter_map(|key| key_names.get(key).cloned())
                    .collect();
                plan
            })
            .collect();
        Ok((out, generated, usage_plans))
    }

    /// A `ThrottleSettings` object (`RateLimit`, `BurstLimit`) at
    /// `object[key]`.
    fn throttle(
        &self,
        object: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<Option<Throttle>> {
        let t = self.template;
        let Some(settings) = t.object(object, key, path)? else {
            return Ok(None);
        };
        let path = child(path, key);
        Ok(Some(Throttle {
            rate_limit: t.number(&settings, "RateLimit", &path)?,
            burst_limit: t.unsigned(&settings, "BurstLimit", &path)?,
        }))
    }

    /// A usage plan stage's `Throttle`: a map from `/resource/path/METHOD`
    /// to `ThrottleSettings` (CloudFormation's `ApiStage` reference: "the
    /// key is a method path, e.g. `/pets/GET`"), each key checked.
    fn method_throttles(
        &self,
        api_stage: &Map<String, Value>,
        path: &str,
    ) -> Result<IndexMap<String, Throttle>> {
        let t = self.template;
        let map = t.object(api_stage, "Throttle", path)?.unwrap_or_default();
        let map_path = child(path, "Throttle");
        let mut out = IndexMap::new();
        for key in map.keys() {
            let valid = key.starts_with('/')
                && key
                    .rsplit_once('/')
                    .is_some_and(|(_, verb)| !verb.is_empty() && verb != "*");
            if !valid {
                return Err(t.invalid(
                    &child(&map_path, key),
                    format!(
                        "`{key}` is not a method path: write the resource path and the HTTP \
                         method, e.g. `/pets/GET` (`//GET` for the root resource)"
                    ),
                ));
            }
            if let Some(throttle) = self.throttle(&map, key, &map_path)? {
                out.insert(key.clone(), throttle);
            }
        }
        Ok(out)
    }

    /// A usage plan's `Quota` (`Limit`, `Period`: DAY, WEEK or MONTH,
    /// `Offset`).
    fn quota(&self, props: &Map<String, Value>, path: &str) -> Result<Option<Quota>> {
        let t = self.template;
        let Some(quota) = t.object(props, "Quota", path)? else {
            return Ok(None);
        };
        let path = child(path, "Quota");
        let Some(limit) = t.unsigned(&quota, "Limit", &path)? else {
            // A quota without a limit limits nothing.
            return Ok(None);
        };
        let period = t
            .string(&quota, "Period", &path)?
            .unwrap_or_default()
            .to_ascii_uppercase();
        if !["DAY", "WEEK", "MONTH"].contains(&period.as_str()) {
            return Err(t.invalid(
                &child(&path, "Period"),
                format!("`{period}` is not a quota period: use DAY, WEEK or MONTH"),
            ));
        }
        let offset = t.unsigned(&quota, "Offset", &path)?.unwrap_or(0);
        Ok(Some(Quota {
            limit,
            period,
            offset,
        }))
    }

    /// A stage's (or a deployment's `StageDescription`'s) `MethodSettings`:
    /// throttling per method. CloudFormation writes the resource path with
    /// its slashes escaped as `~1` after a leading `/` (`/~1pets~1{id}` is
    /// `/pets/{id}`), `/` for the root and `/*` for every resource
    /// (CloudFormation's `MethodSetting` reference, `ResourcePath`); the
    /// model holds the path unescaped.
    fn method_settings(
        &self,
        props: &Map<String, Value>,
        path: &str,
    ) -> Result<Vec<MethodSetting>> {
        let t = self.template;
        let mut out = Vec::new();
        for (setting_path, setting) in t.object_list(props, "MethodSettings", path)? {
            let written = t
                .string(&setting, "ResourcePath", &setting_path)?
                .unwrap_or_else(|| "/*".into());
            let Some(resource_path) = unescape_setting_path(&written) else {
                return Err(t.invalid(
                    &child(&setting_path, "ResourcePath"),
                    format!(
                        "`{written}` is not a method setting path: CloudFormation escapes the \
                         resource path's slashes as ~1 after a leading slash (`/~1pets~1{{id}}` \
                         for /pets/{{id}}), `/` is the root resource and `/*` every resource"
                    ),
                ));
            };
            let http_method = t
                .string(&setting, "HttpMethod", &setting_path)?
                .unwrap_or_else(|| "*".into())
                .to_ascii_uppercase();
            out.push(MethodSetting {
                resource_path,
                http_method,
                throttling_rate_limit: t.number(&setting, "ThrottlingRateLimit", &setting_path)?,
                throttling_burst_limit: t.unsigned(
                    &setting,
                    "ThrottlingBurstLimit",
                    &setting_path,
                )?,
            });
        }
        Ok(out)
    }
}

/// A `MethodSetting`'s `ResourcePath` unescaped: `/*` and `/` as they are,
/// `/~1a~1b` → `/a/b` (`~0` → `~`, as in a JSON pointer); `None` when the
/// escaped form is not followed (`/pets`).
fn unescape_setting_path(written: &str) -> Option<String> {
    if written == "/*" || written == "/" {
        return Some(written.to_string());
    }
    let rest = written.strip_prefix('/')?;
    if !rest.starts_with("~1") {
        return None;
    }
    Some(rest.replace("~1", "/").replace("~0", "~"))
}

#[cfg(test)]
mod tests {
    use super::unescape_setting_path;

    // CloudFormation's AWS::ApiGateway::Stage MethodSetting reference,
    // ResourcePath: "Forward slashes (/) are encoded as ~1 and the initial
    // slash must include a forward slash. For example, the path value
    // /resource/subresource must be encoded as /~1resource~1subresource.
    // To specify the root path, use only a slash (/)."
    #[test]
    fn method_setting_paths_are_unescaped() {
        assert_eq!(
            unescape_setting_path("/~1resource~1subresource").as_deref(),
            Some("/resource/subresource")
        );
        assert_eq!(unescape_setting_path("/~1a~0b").as_deref(), Some("/a~b"));
        assert_eq!(unescape_setting_path("/").as_deref(), Some("/"));
        assert_eq!(unescape_setting_path("/*").as_deref(), Some("/*"));
        assert_eq!(unescape_setting_path("/pets"), None);
        assert_eq!(unescape_setting_path("pets"), None);
        assert_eq!(unescape_setting_path(""), None);
    }
}
