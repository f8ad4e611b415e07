//! The OpenAPI document of one SAM API, and the edits SAM makes to it.
//!
//! Each edit follows what SAM's translator writes (its `SwaggerEditor`), as
//! `tests/sam_translator.rs` checks: an `aws_proxy` integration per event,
//! CORS as a MOCK `OPTIONS` method per path, authorizers and API keys as
//! `security` requirements, models as `definitions`.

use serde_json::{Map, Value, json};

/// API Gateway's extension for a method's integration.
pub(super) const INTEGRATION: &str = "x-amazon-apigateway-integration";
/// API Gateway's extension for the catch-all method.
pub(super) const ANY_METHOD: &str = "x-amazon-apigateway-any-method";
/// Every method an `ANY` method stands for, as CORS lists them.
const ALL_METHODS: &str = "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT";
/// Keys of a path item that are not methods.
const NOT_METHODS: &[&str] = &["summary", "description", "parameters", "servers", "$ref"];

/// A method's key in a path item: lower case, `any` as API Gateway's
/// extension.
pub(super) fn method_key(method: &str) -> String {
    let lower = method.to_ascii_lowercase();
    if lower == "any" {
        ANY_METHOD.to_owned()
    } else {
        lower
    }
}

/// The document SAM starts from when an API has no `DefinitionBody`:
/// Swagger 2.0, or the given OpenAPI 3 version, titled with the stack name.
pub(super) fn skeleton(open_api_version: Option<&str>) -> Map<String, Value> {
    let mut doc = Map::new();
    match open_api_version {
        Some(version) if is_openapi_3(version) => {
            doc.insert("openapi".to_owned(), json!(version));
        }
        _ => {
            doc.insert("swagger".to_owned(), json!("2.0"));
        }
    }
    doc.insert(
        "info".to_owned(),
        json!({"version": "1.0", "title": {"Ref": "AWS::StackName"}}),
    );
    doc.insert("paths".to_owned(), json!({}));
    doc
}

/// `3.0`, `3.0.1`: SAM's test for an OpenAPI 3 version (its regex
/// `\A3(\.\d)(\.\d)?$`: one or two single-digit parts after the 3, so
/// neither `3` nor `3.10` is one).
pub(super) fn is_openapi_3(version: &str) -> bool {
    let mut parts = version.split('.');
    if parts.next() != Some("3") {
        return false;
    }
    let rest: Vec<&str> = parts.collect();
    matches!(rest.len(), 1 | 2)
        && rest
            .iter()
            .all(|p| p.len() == 1 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A version as text: a string, or a number as Python's `str()` writes
/// it (SAM matches versions against `str(value)`).
pub(super) fn version_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// CloudFormation's condition function, around a path item or a method.
const IF: &str = "Fn::If";

/// What a path item or method stands for: itself, or for an `Fn::If`
/// (an object with that key, as SAM tests it) the values after the
/// condition less `AWS::NoValue` (SAM's `get_conditional_contents`); none
/// when its arguments are not a list (refused beforehand, see
/// [`Document::malformed_condition`]).
fn conditional_contents(value: &Value) -> Vec<&Value> {
    match value.as_object().and_then(|map| map.get(IF)) {
        None => vec![value],
        Some(arguments) => arguments
            .as_array()
            .map(|items| items.iter().skip(1).filter(|v| !is_no_value(v)).collect())
            .unwrap_or_default(),
    }
}

/// [`conditional_contents`], to edit.
fn conditional_contents_mut(value: &mut Value) -> Vec<&mut Value> {
    if !value.as_object().is_some_and(|map| map.contains_key(IF)) {
        return vec![value];
    }
    match value.get_mut(IF).and_then(Value::as_array_mut) {
        Some(items) => items
            .iter_mut()
            .skip(1)
            .filter(|v| !is_no_value(v))
            .collect(),
        None => Vec::new(),
    }
}

/// `value` where `condition` holds, nothing where it does not (SAM's
/// `make_conditional`).
fn conditional(condition: &Value, value: Value) -> Value {
    json!({IF: [condition, value, {"Ref": "AWS::NoValue"}]})
}

/// `{"Ref": "AWS::NoValue"}`.
fn is_no_value(value: &Value) -> bool {
    value.as_object().is_some_and(|map| {
        map.len() == 1 && map.get("Ref").and_then(Value::as_str) == Some("AWS::NoValue")
    })
}

/// Python's truth of a JSON value, as SAM tests `swagger`.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// A document being edited.
pub(super) struct Document {
    pub(super) doc: Map<String, Value>,
}

impl Document {
    /// Whether SAM can edit it: a `swagger` version (any value Python
    /// counts true: `swagger: 2.0` unquoted is a number) or an OpenAPI 3
    /// `openapi` version, and `paths`.
    // aws/serverless-application-model tests/translator/input/globals_for_api.yaml
    pub(super) fn is_valid(doc: &Map<String, Value>) -> bool {
        (doc.get("swagger").is_some_and(truthy)
            || version_text(doc.get("openapi")).is_some_and(|v| is_openapi_3(&v)))
            && doc.get("paths").is_some_and(Value::is_object)
    }

    fn paths_mut(&mut self) -> &mut Map<String, Value> {
        let paths = self
            .doc
            .entry("paths")
            .or_insert_with(|| Value::Object(Map::new()));
        if !paths.is_object() {
            *paths = Value::Object(Map::new());
        }
        paths.as_object_mut().expect("made an object above")
    }

    /// The document's paths, in order.
    pub(super) fn paths(&self) -> Vec<String> {
        self.doc
            .get("paths")
            .and_then(Value::as_object)
            .map(|paths| paths.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn path_item_mut(&mut self, path: &str) -> Option<&mut Map<String, Value>> {
        self.paths_mut().get_mut(path)?.as_object_mut()
    }

    /// A condition around the method `key` of `path` (in each branch of
    /// a path item under `Fn::If`): `{"Fn::If": [condition, method,
    /// {"Ref": "AWS::NoValue"}]}`, so the method is left out where the
    /// condition is false — SAM's `add_lambda_integration` for a function
    /// with a `Condition`
    /// (aws/serverless-application-model samtranslator/swagger/swagger.py).
    pub(super) fn make_method_conditional(&mut self, path: &str, key: &str, condition: &Value) {
        if let Some(item) = self.paths_mut().get_mut(path) {
            for item in conditional_contents_mut(item) {
                if let Some(method) = item.as_object_mut().and_then(|i| i.get_mut(key)) {
                    *method = conditional(condition, method.take());
                }
            }
        }
    }

    /// A condition around the whole path item of `path` (SAM's
    /// `make_path_conditional`).
    pub(super) fn make_path_conditional(&mut self, path: &str, condition: &Value) {
        if let Some(item) = self.paths_mut().get_mut(path) {
            *item = conditional(condition, item.take());
        }
    }

    /// The method `key` of `path`, if both exist.
    pub(super) fn method_mut(&mut self, path: &str, key: &str) -> Option<&mut Map<String, Value>> {
        self.path_item_mut(path)?.get_mut(key)?.as_object_mut()
    }

    /// Whether `path` has method `key` with an API Gateway integration.
    pub(super) fn has_integration(&self, path: &str, key: &str) -> bool {
        self.doc
            .get("paths")
            .and_then(|p| p.get(path))
            .and_then(|item| item.get(key))
            .is_some_and(|method| method.get(INTEGRATION).is_some())
    }

    /// `path`'s method definitions that have an integration (the ones
    /// SAM's API-wide settings apply to), with their keys: inside the
    /// branches of an `Fn::If` too, around the path item or around a method,
    /// as SAM's `iter_on_all_methods_for_path` walks them, so that
    /// CloudFormation's choice of branch gets them either way.
    // aws/serverless-application-model tests/translator/input/api_rest_paths_with_if_condition_swagger.yaml
    fn integrated_methods_mut(&mut self, path: &str) -> Vec<(String, &mut Map<String, Value>)> {
        let Some(item) = self
            .doc
            .get_mut("paths")
            .and_then(Value::as_object_mut)
            .and_then(|paths| paths.get_mut(path))
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for branch in conditional_contents_mut(item) {
            let Some(branch) = branch.as_object_mut() else {
                continue;
            };
            for (key, method) in branch.iter_mut() {
                if NOT_METHODS.contains(&key.as_str()) {
                    continue;
                }
                for definition in conditional_contents_mut(method) {
                    if let Some(definition) = definition.as_object_mut()
                        && definition.get(INTEGRATION).is_some()
                    {
                        out.push((key.clone(), definition));
                    }
                }
            }
        }
        out
    }

    /// The pointer of the first `Fn::If` around a path item or a method
    /// whose value is not a list (SAM refuses it: "Value of Fn::If must be
    /// a list").
    // aws/serverless-application-model tests/translator/input/error_api_with_invalid_if_condition_swagger.yaml
    pub(super) fn malformed_condition(&self) -> Option<String> {
        let paths = self.doc.get("paths")?.as_object()?;
        let malformed = |value: &Value| {
            value
                .as_object()
                .and_then(|map| map.get(IF))
                .is_some_and(|arguments| !arguments.is_array())
        };
        for (path, item) in paths {
            if malformed(item) {
                return Some(format!("paths.{path}"));
            }
            for branch in conditional_contents(item) {
                let Some(branch) = branch.as_object() else {
                    continue;
                };
                for (key, method) in branch {
                    if !NOT_METHODS.contains(&key.as_str()) && malformed(method) {
                        return Some(format!("paths.{path}.{key}"));
                    }
                }
            }
        }
        None
    }

    /// An `aws_proxy` integration with the Lambda function at `uri`, as an
    /// `Api` event writes it.
    pub(super) fn add_lambda_integration(&mut self, path: &str, key: &str, uri: Value) {
        let item = self
            .paths_mut()
            .entry(path)
            .or_insert_with(|| Value::Object(Map::new()));
        if !item.is_object() {
            *item = Value::Object(Map::new());
        }
        let item = item.as_object_mut().expect("made an object above");
        let method = item.entry(key).or_insert_with(|| Value::Object(Map::new()));
        if let Some(method) = method.as_object_mut() {
            method.insert(
                INTEGRATION.to_owned(),
                json!({"type": "aws_proxy", "httpMethod": "POST", "uri": uri}),
            );
            method
                .entry("responses")
                .or_insert_with(|| Value::Object(Map::new()));
        }
    }

    /// `MergeDefinitions`: `generated`, the method SAM wrote for an event
    /// into a document of its own, merged into this (the user's) document
    /// at `paths[path][method]`, as SAM's `_get_merged_definitions` does:
    /// the generated method's keys replace the user's (a whole
    /// `security`, `parameters` or `responses` list is replaced, not
    /// joined), the user's other keys stay. What the event added beside
    /// its method (request validators, security schemes) is not merged.
    ///
    /// `method` is the event's method lower-cased but not normalised, so an
    /// `ANY` event lands under `any`, not `x-amazon-apigateway-any-method`:
    /// SAM looks it up and stores it under that key (and API Gateway has no
    /// `any` method, so the importer leaves it out with a warning).
    ///
    /// SAM reads the user's `paths` with `paths or {}`: when it is missing,
    /// `null` or empty, the route goes into a map that is then dropped, and
    /// nothing is merged ([`Merged::Dropped`]).
    pub(super) fn merge_method(
        &mut self,
        path: &str,
        method: &str,
        generated: Map<String, Value>,
    ) -> Result<Merged, String> {
        let Some(paths) = self.doc.get_mut("paths").filter(|p| truthy(p)) else {
            return Ok(Merged::Dropped);
        };
        let Some(paths) = paths.as_object_mut() else {
            return Err("`paths` must be an object of path items".to_owned());
        };
        let item = paths
            .entry(path)
            .or_insert_with(|| Value::Object(Map::new()));
        let Some(item) = item.as_object_mut() else {
            // SAM fails on it too (a `null` path item, which it cannot
            // assign into, or any other non-map).
            return Err(format!("`paths.{path}` must be an object of methods"));
        };
        let mut merged = match item.get(method) {
            Some(Value::Object(existing)) => existing.clone(),
            Some(other) if truthy(other) => {
                return Err(format!("`paths.{path}.{method}` must be an object"));
            }
            _ => Map::new(),
        };
        merged.extend(generated);
        item.insert(method.to_owned(), Value::Object(merged));
        Ok(Merged::Merged)
    }

    /// `paths[path][key]` as an empty method unless there is one.
    pub(super) fn add_empty_method(&mut self, path: &str, key: &str) {
        let item = self
            .paths_mut()
            .entry(path)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(item) = item.as_object_mut() {
            item.entry(key).or_insert_with(|| Value::Object(Map::new()));
        }
    }

    /// The method `key` of `path`, taken out of the document.
    pub(super) fn take_method(&mut self, path: &str, key: &str) -> Option<Map<String, Value>> {
        match self.path_item_mut(path)?.remove(key)? {
            Value::Object(method) => Some(method),
            _ => None,
        }
    }

    /// A MOCK `OPTIONS` method answering CORS preflights on `path`, unless
    /// it has one (SAM's guide for `Cors`; the snippet is the one the API
    /// Gateway guide gives for enabling CORS through an import).
    ///
    /// Under an `Fn::If`, each branch is a path item of its own and gets
    /// its own preflight (SAM's `add_cors` walks the branches so). Without
    /// `AllowMethods`, the methods listed are those of the first branch
    /// that needed a preflight, for every branch: SAM computes them into
    /// the variable that holds `AllowMethods` and finds it set at the next
    /// branch.
    // aws/serverless-application-model tests/translator/input/api_rest_paths_with_if_condition_swagger.yaml
    pub(super) fn add_cors(&mut self, path: &str, cors: &Cors) {
        let Some(item) = self
            .doc
            .get_mut("paths")
            .and_then(Value::as_object_mut)
            .and_then(|paths| paths.get_mut(path))
        else {
            return;
        };
        let mut allow_methods = cors.allow_methods.clone();
        for branch in conditional_contents_mut(item) {
            let Some(branch) = branch.as_object_mut() else {
                continue;
            };
            if branch.contains_key("options") {
                continue;
            }
            let methods = allow_methods
                .get_or_insert_with(|| allowed_methods(branch))
                .clone();
            add_preflight(branch, cors, methods);
        }
    }

    /// Adds `name` to `securityDefinitions` unless it is there.
    pub(super) fn add_security_definition(&mut self, name: &str, definition: Value) {
        let definitions = self
            .doc
            .entry("securityDefinitions")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(definitions) = definitions.as_object_mut()
            && !definitions.contains_key(name)
        {
            definitions.insert(name.to_owned(), definition);
        }
    }

    /// The method's `security` list (created empty).
    fn security_mut(method: &mut Map<String, Value>) -> &mut Vec<Value> {
        let security = method
            .entry("security")
            .or_insert_with(|| Value::Array(Vec::new()));
        if !security.is_array() {
            *security = Value::Array(Vec::new());
        }
        security.as_array_mut().expect("made an array above")
    }

    /// An event's `Auth.Authorizer`: appended to the method's requirements
    /// with its scopes.
    pub(super) fn add_method_authorizer(
        &mut self,
        path: &str,
        key: &str,
        name: &str,
        scopes: Value,
    ) {
        if let Some(method) = self.method_mut(path, key) {
            Self::security_mut(method).push(json!({ name: scopes }));
        }
    }

    /// An event's `Auth.ApiKeyRequired`: `api_key`, or a marker that keeps
    /// the API's default from adding it.
    pub(super) fn set_method_api_key(&mut self, path: &str, key: &str, required: bool) {
        if required {
            self.add_security_definition("api_key", api_key_definition());
        }
        if let Some(method) = self.method_mut(path, key) {
            let marker = if required { "api_key" } else { "api_key_false" };
            Self::security_mut(method).push(json!({ marker: [] }));
        }
    }

    /// The API's `DefaultAuthorizer` on each integrated method of `path`
    /// that names no authorizer of its own; `NONE` opts a method out.
    /// `authorizer_names` are the API's authorizers (and `AWS_IAM`).
    pub(super) fn set_default_authorizer(
        &mut self,
        path: &str,
        default: &str,
        scopes: &Value,
        authorizer_names: &[String],
        on_preflight: bool,
    ) {
        for (key, method) in self.integrated_methods_mut(path) {
            if key == "options" && !on_preflight {
                continue;
            }
            let existing = method
                .get("security")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let names_authorizer = |requirement: &Value| {
                requirement
                    .as_object()
                    .is_some_and(|r| r.keys().any(|k| authorizer_names.contains(k)))
            };
            let (authorizer_security, mut other): (Vec<Value>, Vec<Value>) =
                existing.into_iter().partition(names_authorizer);
            let none = other
                .iter()
                .position(|r| r.as_object().is_some_and(|r| r.contains_key("NONE")));
            let security = if let Some(none) = none {
                other.remove(none);
                other
            } else if !authorizer_security.is_empty() {
                other.into_iter().chain(authorizer_security).collect()
            } else {
                other
                    .into_iter()
                    .chain([json!({ default: scopes.clone() })])
                    .collect()
            };
            // An empty result leaves the method's requirements as they were
            // (so a `NONE` alone stays), as SAM's translator does.
            if !security.is_empty() {
                method.insert("security".to_owned(), Value::Array(security));
            }
        }
    }

    /// The API's `ApiKeyRequired: true` on each integrated method of
    /// `path`, unless the method opted out.
    pub(super) fn set_default_api_key(&mut self, path: &str, on_preflight: bool) {
        for (key, method) in self.integrated_methods_mut(path) {
            let existing = method
                .get("security")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let is_key = |r: &Value| {
                r.as_object()
                    .is_some_and(|r| r.contains_key("api_key") || r.contains_key("api_key_false"))
            };
            // The method's own `api_key` entries are replaced by one; its
            // `api_key_false` opts out (and is dropped, as SAM drops it).
            let other: Vec<Value> = existing.iter().filter(|r| !is_key(r)).cloned().collect();
            let opted_out = existing.iter().any(|r| {
                r.as_object()
                    .is_some_and(|r| r.contains_key("api_key_false"))
            });
            let added = if opted_out {
                Vec::new()
            } else {
                vec![json!({"api_key": []})]
            };
            let security: Vec<Value> = if key == "options" && !on_preflight {
                other
            } else {
                other.into_iter().chain(added).collect()
            };
            if security != existing {
                method.insert("security".to_owned(), Value::Array(security));
            }
        }
    }

    /// A request validator named as SAM names them (`body-only`,
    /// `params-only`, `body-and-params`, `no-validation`) on the method.
    pub(super) fn add_request_validator(
        &mut self,
        path: &str,
        key: &str,
        body: bool,
        params: bool,
    ) {
        let name = match (body, params) {
            (true, true) => "body-and-params",
            (true, false) => "body-only",
            (false, true) => "params-only",
            (false, false) => "no-validation",
        };
        let validators = self
            .doc
            .entry("x-amazon-apigateway-request-validators")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(validators) = validators.as_object_mut() {
            validators.entry(name).or_insert_with(
                || json!({"validateRequestBody": body, "validateRequestParameters": params}),
            );
        }
        if let Some(method) = self.method_mut(path, key) {
            method.insert(
                "x-amazon-apigateway-request-validator".to_owned(),
                json!(name),
            );
        }
    }

    /// `RequestModel`: the model (its name lower-cased, as SAM writes
    /// `definitions`) as the method's body.
    pub(super) fn add_request_model(
        &mut self,
        path: &str,
        key: &str,
        model: &str,
        required: Option<bool>,
    ) {
        let name = model.to_ascii_lowercase();
        let swagger = self.doc.contains_key("swagger");
        let Some(method) = self.method_mut(path, key) else {
            return;
        };
        if swagger {
            let mut parameter = Map::new();
            parameter.insert("in".to_owned(), json!("body"));
            parameter.insert("name".to_owned(), json!(name));
            parameter.insert(
                "schema".to_owned(),
                json!({ "$ref": format!("#/definitions/{name}") }),
            );
            if let Some(required) = required {
                parameter.insert("required".to_owned(), json!(required));
            }
            push_parameter(method, Value::Object(parameter));
        } else {
            let mut body = Map::new();
            body.insert(
                "content".to_owned(),
                json!({"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}}),
            );
            if let Some(required) = required {
                body.insert("required".to_owned(), json!(required));
            }
            method.insert("requestBody".to_owned(), Value::Object(body));
        }
    }

    /// `RequestParameters`: `(method.request.LOCATION.NAME, required,
    /// caching)` as parameters; cached ones also as the integration's
    /// cache key parameters.
    pub(super) fn add_request_parameters(
        &mut self,
        path: &str,
        key: &str,
        parameters: &[(String, bool, bool)],
    ) {
        let Some(method) = self.method_mut(path, key) else {
            return;
        };
        for (full_name, required, caching) in parameters {
            let rest = full_name.trim_start_matches("method.request.");
            let (location, name) = rest.split_once('.').unwrap_or((rest, ""));
            let location = if location == "querystring" {
                "query"
            } else {
                location
            };
            push_parameter(
                method,
                json!({"in": location, "name": name, "required": required, "type": "string"}),
            );
            if *caching
                && let Some(integration) =
                    method.get_mut(INTEGRATION).and_then(Value::as_object_mut)
            {
                let keys = integration
                    .entry("cacheKeyParameters")
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Some(keys) = keys.as_array_mut() {
                    keys.push(json!(full_name));
                }
            }
        }
    }

    /// `x-amazon-apigateway-gateway-responses` entries.
    pub(super) fn add_gateway_responses(&mut self, responses: Map<String, Value>) {
        let all = self
            .doc
            .entry("x-amazon-apigateway-gateway-responses")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(all) = all.as_object_mut() {
            all.extend(responses);
        }
    }

    /// `Models` as `definitions`, their names lower-cased.
    pub(super) fn add_models(&mut self, models: &Map<String, Value>) {
        let definitions = self
            .doc
            .entry("definitions")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(definitions) = definitions.as_object_mut() {
            for (name, schema) in models {
                definitions.insert(name.to_ascii_lowercase(), schema.clone());
            }
        }
    }

    /// For an OpenAPI 3 document, what SAM wrote in Swagger 2.0 places
    /// moved to 3.0's: `securityDefinitions` → `components.securitySchemes`,
    /// `definitions` → `components.schemas`, and the CORS preflight's
    /// response headers given a `schema`.
    pub(super) fn move_to_openapi_3_places(&mut self) {
        for (from, to) in [
            ("securityDefinitions", "securitySchemes"),
            ("definitions", "schemas"),
        ] {
            let Some(moved) = self.doc.remove(from) else {
                continue;
            };
            if moved.as_object().is_some_and(Map::is_empty) {
                continue;
            }
            let components = self
                .doc
                .entry("components")
                .or_insert_with(|| Value::Object(Map::new()));
            if !components.is_object() {
                *components = Value::Object(Map::new());
            }
            if let Some(components) = components.as_object_mut() {
                components.insert(to.to_owned(), moved);
            }
        }
        for path in self.paths() {
            let Some(options) = self.method_mut(&path, "options") else {
                continue;
            };
            options.remove("produces");
            options.remove("consumes");
            if let Some(headers) = options
                .get_mut("responses")
                .and_then(|r| r.get_mut("200"))
                .and_then(|r| r.get_mut("headers"))
                .and_then(Value::as_object_mut)
            {
                for header in headers.values_mut() {
                    *header = json!({ "schema": header.clone() });
                }
            }
        }
    }
}

/// `Access-Control-Allow-Methods` when `Cors` gives none: every method of
/// the path item, upper case, sorted, with OPTIONS; all of them for ANY.
fn allowed_methods(item: &Map<String, Value>) -> Value {
    let text = if item.contains_key(ANY_METHOD) {
        ALL_METHODS.to_owned()
    } else {
        let mut methods: Vec<String> = item.keys().map(|k| k.to_ascii_uppercase()).collect();
        methods.push("OPTIONS".to_owned());
        methods.sort();
        methods.dedup();
        methods.join(",")
    };
    json!(format!("'{text}'"))
}

/// A MOCK `OPTIONS` method on one path item (which has none).
fn add_preflight(item: &mut Map<String, Value>, cors: &Cors, allow_methods: Value) {
    let mut parameters = Map::new();
    let mut headers = Map::new();
    let mut header = |name: &str, value: &Value, kind: &str| {
        parameters.insert(format!("method.response.header.{name}"), value.clone());
        headers.insert(name.to_owned(), json!({ "type": kind }));
    };
    header("Access-Control-Allow-Origin", &cors.allow_origin, "string");
    if let Some(allow_headers) = &cors.allow_headers {
        header("Access-Control-Allow-Headers", allow_headers, "string");
    }
    if !allow_methods.is_null() && allow_methods != json!("") {
        header("Access-Control-Allow-Methods", &allow_methods, "string");
    }
    if let Some(max_age) = &cors.max_age {
        header("Access-Control-Max-Age", max_age, "integer");
    }
    if cors.allow_credentials {
        header(
            "Access-Control-Allow-Credentials",
            &json!("'true'"),
            "string",
        );
    }
    item.insert(
        "options".to_owned(),
        json!({
            "summary": "CORS support",
            "consumes": ["application/json"],
            "produces": ["application/json"],
            INTEGRATION: {
                "type": "mock",
                "requestTemplates": {"application/json": "{\n  \"statusCode\" : 200\n}\n"},
                "responses": {"default": {
                    "statusCode": "200",
                    "responseParameters": parameters,
                    "responseTemplates": {"application/json": "{}\n"},
                }},
            },
            "responses": {"200": {
                "description": "Default response for CORS method",
                "headers": headers,
            }},
        }),
    );
}

/// Appends to a method's `parameters`.
fn push_parameter(method: &mut Map<String, Value>, parameter: Value) {
    let parameters = method
        .entry("parameters")
        .or_insert_with(|| Value::Array(Vec::new()));
    if !parameters.is_array() {
        *parameters = Value::Array(Vec::new());
    }
    if let Some(parameters) = parameters.as_array_mut() {
        parameters.push(parameter);
    }
}

/// What [`Document::merge_method`] did.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Merged {
    Merged,
    /// The document's `paths` is missing or empty: the route is lost.
    Dropped,
}

/// The `api_key` security scheme SAM declares.
pub(super) fn api_key_definition() -> Value {
    json!({"type": "apiKey", "name": "x-api-key", "in": "header"})
}

/// An API's `Cors` setting, its values as written (quoted strings).
pub(super) struct Cors {
    pub(super) allow_origin: Value,
    pub(super) allow_headers: Option<Value>,
    pub(super) allow_methods: Option<Value>,
    pub(super) max_age: Option<Value>,
    pub(super) allow_credentials: bool,
}
