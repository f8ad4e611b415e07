//! `AWS::Serverless::Api` (and the implicit `ServerlessRestApi`) → a
//! RestApi with its OpenAPI `Body`, a Deployment, a Stage, and the usage
//! plan resources of `Auth.UsagePlan`.
//!
//! The API-wide settings are written into the document after every event
//! has added its route, in the translator's order: `Cors` (a preflight per
//! path), `Auth` (authorizers as security schemes, then the default
//! authorizer and API key on every method), `GatewayResponses`,
//! `BinaryMediaTypes`, `Models`, and for OpenAPI 3 the move of what was
//! written in Swagger 2.0 places.

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use super::document::{Cors, Document, api_key_definition, is_openapi_3, skeleton, version_text};
use super::events::IMPLICIT_API;
use super::{Sam, child, is_intrinsic, reference};
use crate::cloudformation::ImportError;

/// `Auth` keys SAM knows.
const AUTH_KEYS: &[&str] = &[
    "DefaultAuthorizer",
    "Authorizers",
    "ApiKeyRequired",
    "AddDefaultAuthorizerToCorsPreflight",
    "AddApiKeyRequiredToCorsPreflight",
    "UsagePlan",
    "ResourcePolicy",
    "InvokeRole",
    "DisableFunctionDefaultPermissions",
];

/// One API being translated.
pub(super) struct SamApi {
    /// `Resources.X.Properties`.
    at: String,
    properties: Map<String, Value>,
    /// `Condition`, `DependsOn` and the like, for the RestApi.
    attributes: Map<String, Value>,
    /// The document: SAM's skeleton, or a copy of `DefinitionBody`; `None`
    /// for `DefinitionUri`.
    document: Option<Document>,
    /// Whether events write their routes into the document.
    managed: bool,
    /// `MergeDefinitions: true`: each event's route is written into a
    /// fresh document and its method merged into this one (see
    /// [`Document::merge_method`]).
    merge: bool,
    /// The routes events wrote, path → method key → the condition of the
    /// event's function, if any.
    route_conditions: IndexMap<String, IndexMap<String, Option<Value>>>,
}

impl SamApi {
    /// An explicit `AWS::Serverless::Api`.
    pub(super) fn read(sam: &Sam, id: &str, resource: &Value) -> Result<SamApi, ImportError> {
        let at = format!("Resources.{id}.Properties");
        let properties = match resource.get("Properties") {
            Some(Value::Object(p)) => p.clone(),
            None => Map::new(),
            Some(_) => return Err(sam.error(&at, "Properties must be an object")),
        };
        if !properties.contains_key("StageName") {
            return Err(sam.error(
                &at,
                "an AWS::Serverless::Api needs StageName (the first path segment of its URLs)",
            ));
        }
        let mut attributes = Map::new();
        for attribute in [
            "Condition",
            "DependsOn",
            "DeletionPolicy",
            "UpdateReplacePolicy",
        ] {
            if let Some(value) = resource.get(attribute) {
                attributes.insert(attribute.to_owned(), value.clone());
            }
        }
        let merge = merge_definitions(sam, &at, &properties)?;
        let document = match (
            properties.get("DefinitionBody"),
            properties.get("DefinitionUri"),
        ) {
            (Some(Value::Object(body)), _) => Some(Document { doc: body.clone() }),
            (Some(_), _) => {
                return Err(sam.error(
                    &child(&at, "DefinitionBody"),
                    "DefinitionBody must be an OpenAPI document (an object)",
                ));
            }
            (None, Some(_)) => None,
            (None, None) => Some(Document {
                doc: skeleton(open_api_version(&properties).as_deref()),
            }),
        };
        // SAM's api_generator refuses it: there is no document to merge
        // into.
        // aws/serverless-application-model tests/translator/input/error_api_merge_definitions_with_definitionuri.yaml
        if merge && properties.contains_key("DefinitionUri") {
            return Err(sam.error(
                &child(&at, "MergeDefinitions"),
                "MergeDefinitions cannot be true with DefinitionUri: the events' routes are \
                 merged into an inline DefinitionBody only",
            ));
        }
        let managed = !properties.contains_key("DefinitionBody")
            && !properties.contains_key("DefinitionUri")
            || merge;
        Ok(SamApi {
            at,
            properties,
            attributes,
            document,
            managed,
            merge,
            route_conditions: IndexMap::new(),
        })
    }

    /// The implicit API, with `Globals.Api`.
    pub(super) fn implicit(sam: &Sam) -> Result<SamApi, ImportError> {
        let mut properties = match &sam.api_globals {
            Some(Value::Object(globals)) => globals.clone(),
            _ => Map::new(),
        };
        properties.insert("StageName".to_owned(), json!("Prod"));
        // Globals.Api's definition applies only to explicit APIs.
        properties.remove("DefinitionBody");
        properties.remove("DefinitionUri");
        let doc = skeleton(open_api_version(&properties).as_deref());
        let at = format!("Globals.Api (the implicit {IMPLICIT_API})");
        // Globals.Api's MergeDefinitions reaches the implicit API too (SAM
        // merges Globals into it like into any other).
        let merge = merge_definitions(sam, "Globals.Api", &properties)?;
        Ok(SamApi {
            at,
            properties,
            attributes: Map::new(),
            document: Some(Document { doc }),
            managed: true,
            merge,
            route_conditions: IndexMap::new(),
        })
    }

    /// Whether events add their routes to this API's document.
    pub(super) fn manages_document(&self) -> bool {
        self.managed && self.document.is_some()
    }

    /// Whether events' routes are merged into the document rather than
    /// written into it (`MergeDefinitions: true`).
    pub(super) fn merges_definitions(&self) -> bool {
        self.merge
    }

    /// Whether the API's document is the user's `DefinitionBody` (not one
    /// SAM generates from the events).
    pub(super) fn has_definition_body(&self) -> bool {
        self.properties.contains_key("DefinitionBody")
    }

    /// `Resources.X.Properties`, for messages.
    pub(super) fn at(&self) -> &str {
        &self.at
    }

    /// Notes the route an event wrote, with its function's condition.
    pub(super) fn record_route(&mut self, path: &str, key: &str, condition: Option<Value>) {
        self.route_conditions
            .entry(path.to_owned())
            .or_default()
            .insert(key.to_owned(), condition);
    }

    /// The conditions SAM's implicit API plugin adds once every event is
    /// written
    /// (aws/serverless-application-model samtranslator/plugins/api/implicit_api_plugin.py,
    /// `_maybe_add_conditions_to_implicit_api_paths` and
    /// `_maybe_add_condition_to_implicit_api`): a path whose every method
    /// is a conditional function's is itself under the condition (or, for
    /// several, `<Api><Path>PathCondition`, their `Fn::Or`), and the
    /// implicit API whose every route is conditional gets the condition
    /// (or `ServerlessRestApiCondition`). So where the conditions are false
    /// the routes, and the implicit API, are left out. New template
    /// conditions go into `conditions`.
    pub(super) fn add_route_conditions(&mut self, id: &str, conditions: &mut Map<String, Value>) {
        if !self.manages_document() || self.route_conditions.is_empty() {
            return;
        }
        let route_conditions = std::mem::take(&mut self.route_conditions);
        let mut every: Vec<String> = Vec::new();
        let mut all_conditional = true;
        for (path, methods) in &route_conditions {
            let mut names: Vec<String> = Vec::new();
            let mut path_conditional = true;
            for condition in methods.values() {
                match condition.as_ref().and_then(Value::as_str) {
                    Some(name) => names.push(name.to_owned()),
                    None => path_conditional = false,
                }
            }
            all_conditional &= path_conditional;
            names.sort();
            names.dedup();
            every.extend(names.iter().cloned());
            if !path_conditional || names.is_empty() {
                continue;
            }
            let condition = if names.len() == 1 {
                names.remove(0)
            } else {
                // Only letters and digits in a logical id.
                let logical = path
                    .replace('/', "SLASH")
                    .replace('{', "OB")
                    .replace('}', "CB");
                let name = format!("{id}{logical}PathCondition");
                conditions.extend(combined_condition(names, &name));
                name
            };
            self.document_mut()
                .make_path_conditional(path, &Value::String(condition));
        }
        if id != IMPLICIT_API || !all_conditional {
            return;
        }
        every.sort();
        every.dedup();
        let condition = match every.len() {
            0 => return,
            1 => every.remove(0),
            _ => {
                let name = "ServerlessRestApiCondition".to_owned();
                conditions.extend(combined_condition(every, &name));
                name
            }
        };
        self.attributes
            .insert("Condition".to_owned(), Value::String(condition));
    }

    /// Whether the API has a document to edit (not `DefinitionUri`).
    pub(super) fn has_document(&self) -> bool {
        self.document.is_some()
    }

    /// The document (only called when [`Self::has_document`]).
    pub(super) fn document_mut(&mut self) -> &mut Document {
        self.document.get_or_insert_with(|| Document {
            doc: skeleton(None),
        })
    }

    /// `Auth`, when it is an object (anything else is refused by
    /// [`Self::finish_document`]).
    pub(super) fn auth(&self) -> Option<&Map<String, Value>> {
        self.properties.get("Auth").and_then(Value::as_object)
    }

    /// Whether `Models` has `name`.
    pub(super) fn has_model(&self, name: &str) -> bool {
        self.properties
            .get("Models")
            .and_then(Value::as_object)
            .is_some_and(|models| models.contains_key(name))
    }

    /// The RestApi, Deployment, Stage and usage plan resources.
    pub(super) fn into_resources(
        mut self,
        sam: &mut Sam,
        id: &str,
    ) -> Result<Vec<(String, Value)>, ImportError> {
        self.finish_document(sam)?;
        let at = self.at.clone();
        let mut rest_api = Map::new();
        if let Some(document) = &self.document {
            rest_api.insert("Body".to_owned(), Value::Object(document.doc.clone()));
        } else if let Some(uri) = self.properties.get("DefinitionUri") {
            rest_api.insert(
                "BodyS3Location".to_owned(),
                body_s3_location(sam, &child(&at, "DefinitionUri"), uri)?,
            );
        }
        for key in [
            "Name",
            "Description",
            "BinaryMediaTypes",
            "ApiKeySourceType",
            "MinimumCompressionSize",
            "Policy",
            "FailOnWarnings",
            "DisableExecuteApiEndpoint",
        ] {
            if let Some(value) = self.properties.get(key) {
                rest_api.insert(key.to_owned(), value.clone());
            }
        }
        if let Some(endpoint) = self.properties.get("EndpointConfiguration") {
            let endpoint = match endpoint {
                Value::String(kind) => json!({ "Types": [kind] }),
                Value::Object(map) => {
                    let mut out = Map::new();
                    if let Some(kind) = map.get("Type") {
                        out.insert("Types".to_owned(), json!([kind]));
                    }
                    if let Some(ids) = map.get("VPCEndpointIds") {
                        out.insert("VpcEndpointIds".to_owned(), ids.clone());
                    }
                    Value::Object(out)
                }
                other => other.clone(),
            };
            rest_api.insert("EndpointConfiguration".to_owned(), endpoint);
        }
        let mut resources = Vec::new();
        let mut api = self.attributes.clone();
        api.insert("Type".to_owned(), json!("AWS::ApiGateway::RestApi"));
        api.insert("Properties".to_owned(), Value::Object(rest_api.clone()));
        resources.push((id.to_owned(), Value::Object(api)));

        // The Deployment's logical id changes with the API, so that
        // CloudFormation deploys again when it changes, as SAM's does.
        let hash = format!(
            "{:016x}",
            crate::ids::stable_hash(&Value::Object(rest_api).to_string())
        );
        let deployment_id = format!("{id}Deployment{}", &hash[..10]);
        let mut deployment = json!({
            "Description": format!("RestApi deployment id: {hash}"),
            "RestApiId": reference(id),
        });
        // Without OpenApiVersion, SAM's Deployment also creates a stage
        // named `Stage` (a known SAM quirk, kept for compatibility).
        if open_api_version(&self.properties).is_none() {
            deployment["StageName"] = json!("Stage");
        }
        let stage_name = self
            .properties
            .get("StageName")
            .cloned()
            .unwrap_or(json!("Prod"));
        let stage_id = match stage_name.as_str() {
            Some(name) if !name.is_empty() && name.chars().all(char::is_alphanumeric) => {
                format!("{id}{name}Stage")
            }
            _ => format!(
                "{id}Stage{}",
                &format!("{:016x}", crate::ids::stable_hash(&stage_name.to_string()))[..10]
            ),
        };
        let mut stage = Map::new();
        stage.insert("DeploymentId".to_owned(), reference(&deployment_id));
        stage.insert("RestApiId".to_owned(), reference(id));
        stage.insert("StageName".to_owned(), stage_name);
        for key in [
            "Variables",
            "MethodSettings",
            "CacheClusterEnabled",
            "CacheClusterSize",
            "TracingEnabled",
            "AccessLogSetting",
            "CanarySetting",
        ] {
            if let Some(value) = self.properties.get(key) {
                stage.insert(key.to_owned(), value.clone());
            }
        }
        resources.push((
            stage_id.clone(),
            with_attributes(
                &self.attributes,
                "AWS::ApiGateway::Stage",
                Value::Object(stage),
            ),
        ));
        // The Stage before the Deployment, in the translator's order: the
        // first stage of an API is the one `phalanx serve` names first.
        resources.push((
            deployment_id.clone(),
            with_attributes(&self.attributes, "AWS::ApiGateway::Deployment", deployment),
        ));
        resources.extend(self.usage_plan(sam, id, &stage_id)?);
        Ok(resources)
    }

    /// The API-wide settings written into the document.
    fn finish_document(&mut self, sam: &Sam) -> Result<(), ImportError> {
        let at = self.at.clone();
        // SAM refuses both rather than ignoring them.
        // aws/serverless-application-model tests/translator/input/error_http_api_with_invalid_auth_while_method_auth_is_none.yaml
        if let Some(auth) = self.properties.get("Auth")
            && !auth.is_object()
        {
            return Err(sam.error(
                &child(&at, "Auth"),
                "Auth must be an object (DefaultAuthorizer, Authorizers, ApiKeyRequired, …)",
            ));
        }
        // aws/serverless-application-model tests/translator/input/error_api_invalid_fail_on_warnings.yaml
        if let Some(fail) = self.properties.get("FailOnWarnings")
            && !fail.is_boolean()
            && !is_intrinsic(fail)
        {
            return Err(sam.error(
                &child(&at, "FailOnWarnings"),
                "FailOnWarnings must be true or false",
            ));
        }
        let Some(document) = &self.document else {
            for key in ["Cors", "Auth", "GatewayResponses", "Models"] {
                let needs_document = match key {
                    // A usage plan alone needs no document.
                    "Auth" => self
                        .auth()
                        .is_some_and(|auth| auth.keys().any(|k| k != "UsagePlan")),
                    _ => self.properties.contains_key(key),
                };
                if needs_document {
                    return Err(sam.error(
                        &child(&at, key),
                        format!(
                            "{key} works only with an inline OpenAPI document in DefinitionBody \
                             (SAM refuses it with DefinitionUri too)"
                        ),
                    ));
                }
            }
            return Ok(());
        };
        let needs_valid = ["Cors", "Auth", "GatewayResponses", "Models"]
            .iter()
            .find(|key| self.properties.contains_key(**key));
        if let Some(key) = needs_valid
            && !Document::is_valid(&document.doc)
        {
            return Err(sam.error(
                &child(&at, "DefinitionBody"),
                format!(
                    "{key} can only be added to a DefinitionBody with a `swagger` or `openapi: 3…` \
                     version and `paths`"
                ),
            ));
        }
        if needs_valid.is_some()
            && let Some(pointer) = document.malformed_condition()
        {
            return Err(sam.error(
                &child(&child(&at, "DefinitionBody"), &pointer),
                "Fn::If takes a list: [ConditionName, value if true, value if false]",
            ));
        }
        if let Some(cors) = self.properties.get("Cors") {
            let cors = read_cors(sam, &child(&at, "Cors"), cors)?;
            let document = self.document_mut();
            let mut seen = std::collections::HashSet::new();
            for path in document.paths() {
                // `/a` and `/a/` are one resource in API Gateway.
                let normal = if path == "/" {
                    path.clone()
                } else {
                    path.trim_end_matches('/').to_owned()
                };
                if seen.insert(normal) {
                    document.add_cors(&path, &cors);
                }
            }
        }
        if self.auth().is_some() {
            self.add_auth(sam)?;
        }
        if let Some(responses) = self.properties.get("GatewayResponses") {
            let responses = gateway_responses(sam, &child(&at, "GatewayResponses"), responses)?;
            self.document_mut().add_gateway_responses(responses);
        }
        if let Some(types) = self.properties.get("BinaryMediaTypes").cloned() {
            self.document_mut().doc.insert(
                "x-amazon-apigateway-binary-media-types".to_owned(),
                unescape_media_types(&types),
            );
        }
        if let Some(models) = self.properties.get("Models") {
            let models_at = child(&at, "Models");
            let Some(models) = models.as_object() else {
                return Err(sam.error(
                    &models_at,
                    "Models must be an object of JSON schemas by name",
                ));
            };
            for (name, schema) in models {
                if schema.get("type").is_none() {
                    return Err(sam.error(
                        &child(&models_at, name),
                        "a model's schema needs a `type` (SAM refuses it without)",
                    ));
                }
            }
            let models = models.clone();
            self.document_mut().add_models(&models);
        }
        let version = open_api_version(&self.properties);
        let document = self.document_mut();
        let is_3 = !document.doc.contains_key("swagger")
            && version
                .as_deref()
                .or(version_text(document.doc.get("openapi")).as_deref())
                .is_some_and(is_openapi_3);
        if is_3 {
            document.move_to_openapi_3_places();
        }
        Ok(())
    }

    /// `Auth`: authorizers as security schemes, then the defaults.
    fn add_auth(&mut self, sam: &Sam) -> Result<(), ImportError> {
        let auth_at = child(&self.at, "Auth");
        let auth = self.auth().cloned().unwrap_or_default();
        if let Some(key) = auth.keys().find(|k| !AUTH_KEYS.contains(&k.as_str())) {
            return Err(sam.error(
                &child(&auth_at, key),
                format!(
                    "`{key}` is not an Auth property SAM knows ({})",
                    AUTH_KEYS.join(", ")
                ),
            ));
        }
        // aws/serverless-application-model tests/translator/input/error_default_authorizer_should_be_string_in_api.yaml
        let default = match auth.get("DefaultAuthorizer") {
            None => None,
            Some(Value::String(name)) => Some(name.as_str()),
            Some(_) => {
                return Err(sam.error(
                    &child(&auth_at, "DefaultAuthorizer"),
                    "DefaultAuthorizer must be the name of one of Authorizers (or AWS_IAM), a \
                     string (SAM does not resolve an intrinsic here)",
                ));
            }
        };
        let mut definitions: Vec<(String, Value)> = Vec::new();
        if default == Some("AWS_IAM") {
            definitions.push(("AWS_IAM".to_owned(), aws_iam_definition()));
        }
        if let Some(authorizers) = auth.get("Authorizers") {
            let authorizers_at = child(&auth_at, "Authorizers");
            let Some(authorizers) = authorizers.as_object() else {
                return Err(sam.error(
                    &authorizers_at,
                    "Authorizers must be an object of authorizers by name",
                ));
            };
            for (name, authorizer) in authorizers {
                let definition =
                    authorizer_definition(sam, &child(&authorizers_at, name), authorizer)?;
                definitions.push((name.clone(), definition));
            }
        }
        let names: Vec<String> = std::iter::once("AWS_IAM".to_owned())
            .chain(definitions.iter().map(|(n, _)| n.clone()))
            .collect();
        let document = self.document_mut();
        for (name, definition) in &definitions {
            document.add_security_definition(name, definition.clone());
        }
        if let Some(default) = default
            && !definitions.is_empty()
        {
            if !definitions.iter().any(|(n, _)| n == default) {
                return Err(sam.error(
                    &child(&auth_at, "DefaultAuthorizer"),
                    format!("DefaultAuthorizer `{default}` is not one of Authorizers (or AWS_IAM)"),
                ));
            }
            let scopes = auth
                .get("Authorizers")
                .and_then(|a| a.get(default))
                .and_then(|a| a.get("AuthorizationScopes"))
                .cloned()
                .unwrap_or_else(|| json!([]));
            let on_preflight = auth
                .get("AddDefaultAuthorizerToCorsPreflight")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            for path in document.paths() {
                document.set_default_authorizer(&path, default, &scopes, &names, on_preflight);
            }
        }
        if auth.get("ApiKeyRequired").and_then(Value::as_bool) == Some(true) {
            document.add_security_definition("api_key", api_key_definition());
            let on_preflight = auth
                .get("AddApiKeyRequiredToCorsPreflight")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            for path in document.paths() {
                document.set_default_api_key(&path, on_preflight);
            }
        }
        Ok(())
    }

    /// `Auth.UsagePlan`: a plan, an API key and the key's link to the plan,
    /// for this API alone (`PER_API`) or shared by every API (`SHARED`).
    fn usage_plan(
        &self,
        sam: &mut Sam,
        id: &str,
        stage_id: &str,
    ) -> Result<Vec<(String, Value)>, ImportError> {
        let Some(plan) = self.auth().and_then(|a| a.get("UsagePlan")) else {
            return Ok(Vec::new());
        };
        let at = child(&child(&self.at, "Auth"), "UsagePlan");
        let Some(plan) = plan.as_object() else {
            return Err(sam.error(&at, "UsagePlan must be an object with CreateUsagePlan"));
        };
        let mode = plan.get("CreateUsagePlan").and_then(Value::as_str);
        let settings: Map<String, Value> =
            ["UsagePlanName", "Description", "Quota", "Tags", "Throttle"]
                .iter()
                .filter_map(|k| plan.get(*k).map(|v| ((*k).to_owned(), v.clone())))
                .collect();
        let api_stage = json!({"ApiId": reference(id), "Stage": reference(stage_id)});
        let stage_key = json!({"RestApiId": reference(id), "StageName": reference(stage_id)});
        match mode {
            Some("NONE") => Ok(Vec::new()),
            Some("PER_API") => {
                let plan_id = format!("{id}UsagePlan");
                let key_id = format!("{id}ApiKey");
                let mut properties = settings;
                properties.insert("ApiStages".to_owned(), json!([api_stage]));
                Ok(plan_resources(
                    &plan_id,
                    &key_id,
                    &format!("{id}UsagePlanKey"),
                    properties,
                    vec![stage_key],
                    id,
                ))
            }
            Some("SHARED") => {
                let shared = sam.shared_usage_plan.get_or_insert_with(Default::default);
                shared.api_stages.push(api_stage);
                shared.stage_keys.push(stage_key);
                shared.depends_on.push(id.to_owned());
                shared.settings.extend(settings);
                Ok(Vec::new())
            }
            _ => Err(sam.error(
                &child(&at, "CreateUsagePlan"),
                "CreateUsagePlan is required: PER_API, SHARED or NONE",
            )),
        }
    }
}

/// The usage plan every `SHARED` API joined.
#[derive(Default)]
pub(super) struct SharedUsagePlan {
    api_stages: Vec<Value>,
    stage_keys: Vec<Value>,
    depends_on: Vec<String>,
    settings: Map<String, Value>,
}

/// Writes the shared usage plan, if any API asked for one.
pub(super) fn finish_shared_usage_plan(sam: &mut Sam) {
    let Some(shared) = sam.shared_usage_plan.take() else {
        return;
    };
    let mut properties = shared.settings;
    properties.insert("ApiStages".to_owned(), Value::Array(shared.api_stages));
    let depends = shared.depends_on.first().cloned().unwrap_or_default();
    for (id, resource) in plan_resources(
        "ServerlessUsagePlan",
        "ServerlessApiKey",
        "ServerlessUsagePlanKey",
        properties,
        shared.stage_keys,
        &depends,
    ) {
        sam.output.insert(id, resource);
    }
}

fn plan_resources(
    plan_id: &str,
    key_id: &str,
    link_id: &str,
    plan: Map<String, Value>,
    stage_keys: Vec<Value>,
    api_id: &str,
) -> Vec<(String, Value)> {
    vec![
        (
            plan_id.to_owned(),
            json!({"Type": "AWS::ApiGateway::UsagePlan", "DependsOn": [api_id], "Properties": plan}),
        ),
        (
            key_id.to_owned(),
            json!({"Type": "AWS::ApiGateway::ApiKey", "DependsOn": [plan_id],
                   "Properties": {"Enabled": true, "StageKeys": stage_keys}}),
        ),
        (
            link_id.to_owned(),
            json!({"Type": "AWS::ApiGateway::UsagePlanKey", "DependsOn": [key_id],
                   "Properties": {"KeyId": reference(key_id), "KeyType": "API_KEY",
                                  "UsagePlanId": reference(plan_id)}}),
        ),
    ]
}

fn with_attributes(attributes: &Map<String, Value>, kind: &str, properties: Value) -> Value {
    let mut resource = attributes.clone();
    resource.remove("DependsOn");
    resource.insert("Type".to_owned(), json!(kind));
    resource.insert("Properties".to_owned(), properties);
    Value::Object(resource)
}

/// `MergeDefinitions`: a boolean, as SAM's property type requires (an
/// intrinsic is refused there too: SAM decides on it before CloudFormation
/// could resolve it).
fn merge_definitions(
    sam: &Sam,
    at: &str,
    properties: &Map<String, Value>,
) -> Result<bool, ImportError> {
    match properties.get("MergeDefinitions") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(merge)) => Ok(*merge),
        Some(_) => Err(sam.error(
            &child(at, "MergeDefinitions"),
            "MergeDefinitions must be true or false",
        )),
    }
}

/// `OpenApiVersion` as text: a string, or a number as YAML read it
/// (`OpenApiVersion: 3.0` unquoted is the number 3.0, which SAM reads as
/// `"3.0"` through Python's `str()`).
// aws/serverless-application-model tests/translator/input/api_request_model_openapi_3.yaml
fn open_api_version(properties: &Map<String, Value>) -> Option<String> {
    version_text(properties.get("OpenApiVersion"))
}

/// The security scheme SAM declares for IAM auth.
pub(super) fn aws_iam_definition() -> Value {
    json!({"x-amazon-apigateway-authtype": "awsSigv4", "type": "apiKey",
           "name": "Authorization", "in": "header"})
}

/// A Lambda (TOKEN or REQUEST) or Cognito authorizer as the security scheme
/// SAM writes for it.
fn authorizer_definition(sam: &Sam, at: &str, authorizer: &Value) -> Result<Value, ImportError> {
    let Some(authorizer) = authorizer.as_object() else {
        return Err(sam.error(
            at,
            "an authorizer is an object with FunctionArn or UserPoolArn",
        ));
    };
    let identity = match authorizer.get("Identity") {
        None => Map::new(),
        Some(Value::Object(identity)) => identity.clone(),
        Some(_) => return Err(sam.error(&child(at, "Identity"), "Identity must be an object")),
    };
    let header = identity
        .get("Header")
        .filter(|h| h.as_str() != Some(""))
        .cloned()
        .unwrap_or_else(|| json!("Authorization"));
    if let Some(pool) = authorizer.get("UserPoolArn") {
        let providers = match pool {
            Value::Array(_) => pool.clone(),
            one => json!([one]),
        };
        let mut extension = Map::new();
        extension.insert("type".to_owned(), json!("cognito_user_pools"));
        extension.insert("providerARNs".to_owned(), providers);
        if let Some(expression) = identity.get("ValidationExpression") {
            extension.insert(
                "identityValidationExpression".to_owned(),
                expression.clone(),
            );
        }
        return Ok(json!({"type": "apiKey", "name": header, "in": "header",
                         "x-amazon-apigateway-authtype": "cognito_user_pools",
                         "x-amazon-apigateway-authorizer": extension}));
    }
    let Some(function_arn) = authorizer.get("FunctionArn") else {
        return Err(sam.error(
            at,
            "an authorizer needs FunctionArn (a Lambda authorizer) or UserPoolArn (a Cognito one)",
        ));
    };
    let payload = authorizer
        .get("FunctionPayloadType")
        .and_then(Value::as_str)
        .unwrap_or("TOKEN");
    if payload != "TOKEN" && payload != "REQUEST" {
        return Err(sam.error(
            &child(at, "FunctionPayloadType"),
            format!("FunctionPayloadType `{payload}` must be TOKEN or REQUEST"),
        ));
    }
    let mut extension = Map::new();
    extension.insert("type".to_owned(), json!(payload.to_ascii_lowercase()));
    extension.insert(
        "authorizerUri".to_owned(),
        json!({"Fn::Sub": [
            "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${__FunctionArn__}/invocations",
            {"__FunctionArn__": function_arn}
        ]}),
    );
    if let Some(ttl) = identity.get("ReauthorizeEvery") {
        extension.insert("authorizerResultTtlInSeconds".to_owned(), ttl.clone());
    }
    if let Some(role) = authorizer
        .get("FunctionInvokeRole")
        .filter(|r| r.as_str() != Some("NONE"))
    {
        extension.insert("authorizerCredentials".to_owned(), role.clone());
    }
    let name = if payload == "REQUEST" {
        let mut sources = Vec::new();
        for (key, prefix) in [
            ("Headers", "method.request.header."),
            ("QueryStrings", "method.request.querystring."),
            ("StageVariables", "stageVariables."),
            ("Context", "context."),
        ] {
            if let Some(list) = identity.get(key) {
                let Some(list) = list.as_array() else {
                    return Err(sam.error(
                        &child(&child(at, "Identity"), key),
                        format!("Identity.{key} must be a list of names"),
                    ));
                };
                for item in list {
                    let Some(item) = item.as_str() else {
                        return Err(sam.error(
                            &child(&child(at, "Identity"), key),
                            format!("Identity.{key} must be a list of names"),
                        ));
                    };
                    sources.push(format!("{prefix}{item}"));
                }
            }
        }
        if !sources.is_empty() {
            extension.insert("identitySource".to_owned(), json!(sources.join(", ")));
        }
        json!("Unused")
    } else {
        if let Some(expression) = identity.get("ValidationExpression") {
            extension.insert(
                "identityValidationExpression".to_owned(),
                expression.clone(),
            );
        }
        header
    };
    Ok(json!({"type": "apiKey", "name": name, "in": "header",
              "x-amazon-apigateway-authtype": "custom",
              "x-amazon-apigateway-authorizer": extension}))
}

/// `Cors`: a string (or intrinsic) is the allowed origin; an object gives
/// each header's value.
fn read_cors(sam: &Sam, at: &str, cors: &Value) -> Result<Cors, ImportError> {
    const KEYS: &[&str] = &[
        "AllowMethods",
        "AllowHeaders",
        "AllowOrigin",
        "MaxAge",
        "AllowCredentials",
    ];
    let object =
        match cors {
            Value::String(_) => {
                return Ok(Cors {
                    allow_origin: cors.clone(),
                    allow_headers: None,
                    allow_methods: None,
                    max_age: None,
                    allow_credentials: false,
                });
            }
            Value::Object(_) if is_intrinsic(cors) => {
                return Ok(Cors {
                    allow_origin: cors.clone(),
                    allow_headers: None,
                    allow_methods: None,
                    max_age: None,
                    allow_credentials: false,
                });
            }
            Value::Object(map) => map,
            _ => return Err(sam.error(
                at,
                "Cors is a quoted origin (\"'*'\") or an object with AllowOrigin, AllowMethods, …",
            )),
        };
    if let Some(key) = object.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(sam.error(
            &child(at, key),
            format!("`{key}` is not a Cors property ({})", KEYS.join(", ")),
        ));
    }
    // Without AllowOrigin SAM allows every origin (its CorsProperties
    // default `'*'`); an empty one is refused.
    // aws/serverless-application-model tests/translator/input/api_with_cors_and_only_maxage.yaml
    let wildcard = json!("'*'");
    let allow_origin = match object.get("AllowOrigin") {
        None => &wildcard,
        Some(origin) if origin.is_null() || origin.as_str() == Some("") => {
            return Err(sam.error(
                &child(at, "AllowOrigin"),
                "Cors's AllowOrigin must not be empty, e.g. \"'https://example.com'\" (leave it out for \"'*'\")",
            ));
        }
        Some(origin) => origin,
    };
    let allow_credentials = object.get("AllowCredentials").and_then(Value::as_bool) == Some(true);
    if allow_credentials && allow_origin.as_str() == Some("'*'") {
        return Err(sam.error(
            &child(at, "AllowCredentials"),
            "AllowCredentials cannot be true when AllowOrigin is \"'*'\" or not set (browsers refuse it; SAM does too)",
        ));
    }
    let non_empty = |key: &str| {
        object
            .get(key)
            .filter(|v| !v.is_null() && v.as_str() != Some(""))
            .cloned()
    };
    Ok(Cors {
        allow_origin: allow_origin.clone(),
        allow_headers: non_empty("AllowHeaders"),
        allow_methods: non_empty("AllowMethods"),
        max_age: object.get("MaxAge").filter(|v| !v.is_null()).cloned(),
        allow_credentials,
    })
}

/// `GatewayResponses` in the document's form: `ResponseParameters`'
/// `Headers`, `Paths` and `QueryStrings` as `gatewayresponse.header.X` …
fn gateway_responses(
    sam: &Sam,
    at: &str,
    responses: &Value,
) -> Result<Map<String, Value>, ImportError> {
    let Some(responses) = responses.as_object() else {
        return Err(sam.error(
            at,
            "GatewayResponses must be an object of responses by type",
        ));
    };
    let mut out = Map::new();
    for (kind, response) in responses {
        let response_at = child(at, kind);
        let Some(response) = response.as_object() else {
            return Err(sam.error(&response_at, "a gateway response is an object with StatusCode, ResponseParameters, ResponseTemplates"));
        };
        if let Some(key) = response.keys().find(|k| {
            !["StatusCode", "ResponseParameters", "ResponseTemplates"].contains(&k.as_str())
        }) {
            return Err(sam.error(&child(&response_at, key), format!("`{key}` is not a gateway response property (StatusCode, ResponseParameters, ResponseTemplates)")));
        }
        let mut parameters = Map::new();
        if let Some(given) = response.get("ResponseParameters") {
            let parameters_at = child(&response_at, "ResponseParameters");
            let Some(given) = given.as_object() else {
                return Err(sam.error(
                    &parameters_at,
                    "ResponseParameters must be an object with Headers, Paths, QueryStrings",
                ));
            };
            // aws/serverless-application-model tests/translator/input/error_api_gateway_responses_unknown_responseparameter.yaml
            if let Some(group) = given
                .keys()
                .find(|k| !["Headers", "Paths", "QueryStrings"].contains(&k.as_str()))
            {
                return Err(sam.error(
                    &child(&parameters_at, group),
                    format!("`{group}` is not a gateway response parameter group (Headers, Paths, QueryStrings)"),
                ));
            }
            for (group, prefix) in [
                ("Headers", "header."),
                ("Paths", "path."),
                ("QueryStrings", "querystring."),
            ] {
                let Some(values) = given.get(group) else {
                    continue;
                };
                let Some(values) = values.as_object() else {
                    return Err(sam.error(
                        &child(&parameters_at, group),
                        format!("{group} must be an object"),
                    ));
                };
                for (name, value) in values {
                    parameters.insert(format!("gatewayresponse.{prefix}{name}"), value.clone());
                }
            }
        }
        let mut entry = Map::new();
        entry.insert("responseParameters".to_owned(), Value::Object(parameters));
        entry.insert(
            "responseTemplates".to_owned(),
            response
                .get("ResponseTemplates")
                .cloned()
                .unwrap_or_else(|| json!({})),
        );
        if let Some(status) = response.get("StatusCode") {
            let status = match status {
                Value::Number(n) => json!(n.to_string()),
                other => other.clone(),
            };
            // SAM checks only that it looks like a status code: 1 to 3
            // digits.
            // aws/serverless-application-model tests/translator/input/error_api_gateway_responses_nonnumeric_status_code.yaml
            if let Some(text) = status.as_str()
                && !((1..=3).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(sam.error(
                    &child(&response_at, "StatusCode"),
                    format!("StatusCode `{text}` must be numeric, e.g. 401"),
                ));
            }
            entry.insert("statusCode".to_owned(), status);
        }
        out.insert(kind.clone(), Value::Object(entry));
    }
    Ok(out)
}

/// `~1` → `/` in media types, as SAM writes them into the document.
fn unescape_media_types(types: &Value) -> Value {
    match types {
        Value::String(text) => json!(text.replace("~1", "/")),
        Value::Array(items) => Value::Array(items.iter().map(unescape_media_types).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.replace("~1", "/"), unescape_media_types(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `DefinitionUri` as a `BodyS3Location`: an `s3://` URI or `Bucket`/`Key`
/// object as it is; a local path (what `sam package` would upload) as the
/// key, which the importer finds beside the template.
fn body_s3_location(sam: &Sam, at: &str, uri: &Value) -> Result<Value, ImportError> {
    match uri {
        Value::String(text) => Ok(match text.strip_prefix("s3://") {
            Some(rest) => {
                let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
                json!({"Bucket": bucket, "Key": key})
            }
            None => json!({"Bucket": "", "Key": text}),
        }),
        Value::Object(location) if location.contains_key("Bucket") => Ok(json!({
            "Bucket": location.get("Bucket"),
            "Key": location.get("Key"),
        })),
        _ => Err(sam.error(
            at,
            "DefinitionUri must be a local path, an s3:// URI or an object with Bucket and Key",
        )),
    }
}

/// `names` combined with `Fn::Or` under `name`, as SAM's
/// `make_combined_condition` does: an `Fn::Or` takes at most 10
/// conditions, so more are combined in groups named `name1`, `name2`, …
/// whose own `Fn::Or` is `name`.
fn combined_condition(mut names: Vec<String>, name: &str) -> Vec<(String, Value)> {
    const MAX: usize = 10;
    let mut extra = names
        .len()
        .saturating_sub(1)
        .div_ceil(MAX - 1)
        .saturating_sub(1);
    let mut out = Vec::new();
    while names.len() > 1 {
        let group_name = if extra > 0 {
            let group = format!("{name}{extra}");
            extra -= 1;
            group
        } else {
            name.to_owned()
        };
        let group: Vec<Value> = names
            .drain(..names.len().min(MAX))
            .map(|c| json!({"Condition": c}))
            .collect();
        out.push((group_name.clone(), json!({"Fn::Or": group})));
        names.push(group_name);
    }
    out
}
