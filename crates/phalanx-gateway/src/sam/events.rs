//! A function's `Api` event → a route of its API's document.
//!
//! An event names its API with `RestApiId: !Ref SomeApi`; without it, the
//! route goes to the implicit API SAM creates, `ServerlessRestApi` with
//! stage `Prod`. Routes are written only into documents SAM manages (an
//! API without `DefinitionBody`, or with `MergeDefinitions: true`): a
//! `DefinitionBody` of the user's own is taken as complete.

use serde_json::{Map, Value, json};

use super::document::{Document, Merged, method_key, skeleton};
use super::function::ApiEvent;
use super::{Sam, api, child};
use crate::cloudformation::ImportError;

/// The implicit API's logical id.
pub(super) const IMPLICIT_API: &str = "ServerlessRestApi";

/// Writes `event`'s route into its API's document.
pub(super) fn add(sam: &mut Sam, event: &ApiEvent) -> Result<(), ImportError> {
    let at = &event.at;
    let string = |sam: &Sam, key: &str| -> Result<String, ImportError> {
        match event.properties.get(key) {
            Some(Value::String(text)) if !text.is_empty() => Ok(text.clone()),
            Some(_) => Err(sam.error(&child(at, key), format!("{key} must be a string"))),
            None => Err(sam.error(
                at,
                format!("an Api event needs {key} (e.g. Path: /items/{{id}}, Method: get)"),
            )),
        }
    };
    let path = string(sam, "Path")?;
    if !path.starts_with('/') {
        return Err(sam.error(
            &child(at, "Path"),
            format!("Path `{path}` must start with `/`"),
        ));
    }
    let method = string(sam, "Method")?;
    let key = method_key(&method);
    const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch"];
    if key != super::document::ANY_METHOD && !METHODS.contains(&key.as_str()) {
        return Err(sam.error(
            &child(at, "Method"),
            format!("Method `{method}` is not an HTTP method API Gateway knows (GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS or ANY)"),
        ));
    }
    let api_id = match event.properties.get("RestApiId") {
        None => {
            if !sam.apis.contains_key(IMPLICIT_API) {
                let implicit = api::SamApi::implicit(sam)?;
                sam.apis.insert(IMPLICIT_API.to_owned(), implicit);
            }
            IMPLICIT_API.to_owned()
        }
        Some(value) => {
            let id = match value {
                Value::String(id) => Some(id.clone()),
                Value::Object(map) => map.get("Ref").and_then(Value::as_str).map(str::to_owned),
                _ => None,
            };
            match id {
                Some(id) if sam.apis.contains_key(&id) => id,
                _ => {
                    return Err(sam.error(
                        &child(at, "RestApiId"),
                        "RestApiId must be a reference (!Ref) to an AWS::Serverless::Api of \
                         this template",
                    ));
                }
            }
        }
    };
    let uri = integration_uri(&event.target);
    let auth = match event.properties.get("Auth") {
        None => None,
        Some(Value::Object(auth)) => Some(auth.clone()),
        Some(_) => return Err(sam.error(&child(at, "Auth"), "Auth must be an object")),
    };
    let sam_api = &sam.apis[&api_id];
    let api_auth = sam_api.auth().cloned();
    if !sam_api.manages_document() {
        // SAM leaves a user's DefinitionBody alone: the route must be in
        // it. Only `Auth.OverrideApiAuth: true` writes the event's Auth
        // into that method.
        // aws/serverless-application-model tests/translator/input/api_with_swagger_authorizer_none_override_api_auth.yaml
        if let Some(auth) = &auth
            && auth.get("OverrideApiAuth") == Some(&json!(true))
            && sam_api.has_document()
        {
            check_auth(sam, event, &api_id, &path, &method, auth)?;
            let sam_api = sam.apis.get_mut(&api_id).expect("checked above");
            add_auth(sam_api.document_mut(), api_auth.as_ref(), &path, &key, auth);
        }
        return Ok(());
    }
    if let Some(auth) = &auth {
        check_auth(sam, event, &api_id, &path, &method, auth)?;
    }
    let request_model = read_request_model(sam, event, &api_id)?;
    let parameters = read_request_parameters(sam, event)?;
    let timeout = event.properties.get("TimeoutInMillis").cloned();

    let uri = match &event.condition {
        Some(condition) => json!({"Fn::If": [condition, uri, {"Ref": "AWS::NoValue"}]}),
        None => uri,
    };
    let route = Route {
        path: &path,
        key: &key,
        uri,
        auth: auth.as_ref(),
        api_auth: api_auth.as_ref(),
        timeout,
        request_model,
        parameters,
    };
    let sam_api = sam.apis.get_mut(&api_id).expect("checked above");
    if sam_api.merges_definitions() {
        // `MergeDefinitions`: SAM writes each event into a skeleton of its
        // own (so a route the user's document already has is no
        // duplicate) and merges the method it wrote into the document.
        // aws/serverless-application-model samtranslator/model/eventsources/push.py
        // (`_add_swagger_integration`, `_get_merged_definitions`)
        let mut generated = Document {
            doc: skeleton(None),
        };
        write_route(&mut generated, &route);
        let method_written = generated.take_method(&path, &key).unwrap_or_default();
        if !sam_api.has_definition_body() {
            // A document SAM generates (the implicit API's, or an explicit
            // API's without DefinitionBody) already has every event's path
            // and method, empty, when the events are merged: SAM's implicit
            // API plugin adds them first. So nothing is dropped for empty
            // `paths`, and an ANY event leaves an empty
            // `x-amazon-apigateway-any-method` beside its `any`.
            // aws/serverless-application-model samtranslator/plugins/api/implicit_api_plugin.py (`_add_api_to_swagger`)
            sam_api.document_mut().add_empty_method(&path, &key);
        }
        let merged = sam_api.document_mut().merge_method(
            &path,
            &method.to_ascii_lowercase(),
            method_written,
        );
        let at_body = child(sam_api.at(), "DefinitionBody");
        match merged {
            Ok(Merged::Merged) => {}
            Ok(Merged::Dropped) => sam.warnings.push(format!(
                "{at_body}: its `paths` is missing or empty, so MergeDefinitions adds no route \
                 of the events ({} {path} of {} is left out), as SAM's translator does",
                method.to_ascii_uppercase(),
                event.function
            )),
            Err(message) => {
                return Err(sam.error(
                    &at_body,
                    format!("DefinitionBody cannot take the events' routes (MergeDefinitions): {message}"),
                ));
            }
        }
        return Ok(());
    }
    let document = sam_api.document_mut();
    if document.has_integration(&path, &key) {
        return Err(sam.error(
            at,
            format!(
                "API method \"{}\" defined multiple times for path \"{path}\" (event {} of {})",
                method.to_ascii_lowercase(),
                event.name,
                event.function
            ),
        ));
    }
    write_route(document, &route);
    if let Some(condition) = &event.condition {
        document.make_method_conditional(&path, &key, condition);
    }
    sam_api.record_route(&path, &key, event.condition.clone());
    Ok(())
}

/// An event's route, checked, as it is written into a document.
struct Route<'a> {
    path: &'a str,
    /// The method's key in the path item (`x-amazon-apigateway-any-method`
    /// for ANY).
    key: &'a str,
    uri: Value,
    auth: Option<&'a Map<String, Value>>,
    /// The API's `Auth`, for an authorizer's scopes.
    api_auth: Option<&'a Map<String, Value>>,
    timeout: Option<Value>,
    request_model: Option<RequestModel>,
    parameters: Vec<(String, bool, bool)>,
}

/// The integration, the event's auth, timeout, request model and
/// parameters, on the route's method of `document`.
fn write_route(document: &mut Document, route: &Route) {
    let (path, key) = (route.path, route.key);
    document.add_lambda_integration(path, key, route.uri.clone());
    if let Some(auth) = route.auth {
        add_auth(document, route.api_auth, path, key, auth);
    }
    if let Some(timeout) = &route.timeout
        && let Some(integration) = document
            .method_mut(path, key)
            .and_then(|m| m.get_mut(super::document::INTEGRATION))
            .and_then(Value::as_object_mut)
    {
        integration.insert("timeoutInMillis".to_owned(), timeout.clone());
    }
    if let Some(model) = &route.request_model {
        document.add_request_model(path, key, &model.name, model.required);
        if model.validate_body.is_some() || model.validate_parameters.is_some() {
            document.add_request_validator(
                path,
                key,
                model.validate_body.unwrap_or(false),
                model.validate_parameters.unwrap_or(false),
            );
        }
    }
    if !route.parameters.is_empty() {
        document.add_request_parameters(path, key, &route.parameters);
    }
}

/// An event's `Auth.Authorizer` and `Auth.ApiKeyRequired` on its method,
/// before the API's defaults are applied.
fn add_auth(
    document: &mut Document,
    api_auth: Option<&Map<String, Value>>,
    path: &str,
    key: &str,
    auth: &Map<String, Value>,
) {
    if let Some(name) = auth.get("Authorizer").and_then(Value::as_str) {
        let scopes = auth
            .get("AuthorizationScopes")
            .cloned()
            .or_else(|| {
                api_auth?
                    .get("Authorizers")?
                    .get(name)?
                    .get("AuthorizationScopes")
                    .cloned()
            })
            .unwrap_or_else(|| json!([]));
        let scopes = if name == "NONE" { json!([]) } else { scopes };
        document.add_method_authorizer(path, key, name, scopes);
        if name == "AWS_IAM" {
            document.add_security_definition("AWS_IAM", api::aws_iam_definition());
        }
    }
    if let Some(required) = auth.get("ApiKeyRequired").and_then(Value::as_bool) {
        document.set_method_api_key(path, key, required);
    }
}

/// An event's `Auth` against its API's, as SAM checks it: a named
/// authorizer must be one of the API's, `NONE` needs a `DefaultAuthorizer`
/// to opt out of, `ApiKeyRequired: false` an API-wide `ApiKeyRequired`,
/// `AuthorizationScopes` an `Authorizer`, and `OverrideApiAuth` something
/// to override with.
fn check_auth(
    sam: &Sam,
    event: &ApiEvent,
    api_id: &str,
    path: &str,
    method: &str,
    auth: &Map<String, Value>,
) -> Result<(), ImportError> {
    let at = child(&event.at, "Auth");
    let method = method.to_ascii_lowercase();
    let api_auth = sam.apis[api_id].auth();
    let api_has = |key: &str| {
        api_auth
            .and_then(|a| a.get(key))
            .is_some_and(|v| !v.is_null() && v != &json!(false) && v != &json!(""))
    };
    let authorizer = auth.get("Authorizer");
    match authorizer.and_then(Value::as_str) {
        Some("AWS_IAM") | None => {}
        // aws/serverless-application-model tests/translator/input/error_function_with_method_auth_and_no_api_auth.yaml
        Some("NONE") => {
            if !api_has("DefaultAuthorizer") {
                return Err(sam.error(
                    &child(&at, "Authorizer"),
                    format!(
                        "Authorizer NONE on {method} {path} opts out of the API's \
                         DefaultAuthorizer, but {api_id} has none (SAM refuses it)"
                    ),
                ));
            }
        }
        Some(name) => {
            let defined = api_auth
                .and_then(|a| a.get("Authorizers"))
                .and_then(Value::as_object)
                .is_some_and(|all| all.contains_key(name));
            if !defined {
                return Err(sam.error(
                    &child(&at, "Authorizer"),
                    format!(
                        "the authorizer `{name}` of {method} {path} is not one of the Authorizers \
                         of {api_id} (or AWS_IAM, NONE)"
                    ),
                ));
            }
        }
    }
    // aws/serverless-application-model tests/translator/input/error_function_with_api_key_false.yaml
    if auth.get("ApiKeyRequired") == Some(&json!(false)) && !api_has("ApiKeyRequired") {
        return Err(sam.error(
            &child(&at, "ApiKeyRequired"),
            format!(
                "ApiKeyRequired: false on {method} {path} opts out of the API's ApiKeyRequired, \
                 but {api_id} does not require keys (SAM refuses it)"
            ),
        ));
    }
    if auth
        .get("AuthorizationScopes")
        .is_some_and(|s| s.as_array().is_some_and(|s| !s.is_empty()))
        && authorizer.is_none()
    {
        return Err(sam.error(
            &child(&at, "AuthorizationScopes"),
            "AuthorizationScopes works only with an Authorizer",
        ));
    }
    // aws/serverless-application-model tests/translator/input/error_api_override_api_auth_without_authorizer.yaml
    if auth.get("OverrideApiAuth") == Some(&json!(true))
        && !["Authorizer", "ApiKeyRequired", "ResourcePolicy"]
            .iter()
            .any(|k| auth.contains_key(*k))
    {
        return Err(sam.error(
            &child(&at, "OverrideApiAuth"),
            "OverrideApiAuth needs one of Authorizer, ApiKeyRequired or ResourcePolicy to \
             override the API's Auth with",
        ));
    }
    Ok(())
}

/// The `aws_proxy` integration URI of `target` (`Fn.Arn`, or an alias's
/// logical id), as SAM writes it.
fn integration_uri(target: &str) -> Value {
    json!({"Fn::Sub": format!(
        "arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{target}}}/invocations"
    )})
}

struct RequestModel {
    name: String,
    required: Option<bool>,
    validate_body: Option<bool>,
    validate_parameters: Option<bool>,
}

/// `RequestModel`, checked against the API's `Models` as SAM checks it.
fn read_request_model(
    sam: &Sam,
    event: &ApiEvent,
    api_id: &str,
) -> Result<Option<RequestModel>, ImportError> {
    let Some(model) = event.properties.get("RequestModel") else {
        return Ok(None);
    };
    let at = child(&event.at, "RequestModel");
    let Some(model) = model.as_object() else {
        return Err(sam.error(&at, "RequestModel must be an object with Model"));
    };
    let Some(name) = model.get("Model").and_then(Value::as_str) else {
        return Err(sam.error(
            &child(&at, "Model"),
            "RequestModel needs Model, the name of one of the API's Models",
        ));
    };
    if !sam.apis[api_id].has_model(name) {
        return Err(sam.error(
            &child(&at, "Model"),
            format!("the model `{name}` is not one of the Models of {api_id}"),
        ));
    }
    let flag = |key: &str| -> Result<Option<bool>, ImportError> {
        match model.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(sam.error(&child(&at, key), format!("{key} must be true or false"))),
        }
    };
    Ok(Some(RequestModel {
        name: name.to_owned(),
        required: flag("Required")?,
        validate_body: flag("ValidateBody")?,
        validate_parameters: flag("ValidateParameters")?,
    }))
}

/// `RequestParameters`: names, or `{name: {Required, Caching}}` maps.
fn read_request_parameters(
    sam: &Sam,
    event: &ApiEvent,
) -> Result<Vec<(String, bool, bool)>, ImportError> {
    let Some(list) = event.properties.get("RequestParameters") else {
        return Ok(Vec::new());
    };
    let at = child(&event.at, "RequestParameters");
    let Some(list) = list.as_array() else {
        return Err(sam.error(&at, "RequestParameters must be a list"));
    };
    let valid_name = |name: &str| {
        [
            "method.request.querystring.",
            "method.request.path.",
            "method.request.header.",
        ]
        .iter()
        .any(|prefix| {
            name.strip_prefix(prefix)
                .is_some_and(|rest| !rest.is_empty())
        })
    };
    let mut parameters = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let item_at = format!("{at}[{i}]");
        let (name, settings) = match item {
            Value::String(name) => (name.clone(), Map::new()),
            Value::Object(map) if map.len() == 1 => {
                let (name, settings) = map.iter().next().expect("one entry");
                let Some(settings) = settings.as_object() else {
                    return Err(sam.error(&item_at, "a parameter's settings are an object, e.g. { Required: true, Caching: false }"));
                };
                (name.clone(), settings.clone())
            }
            _ => {
                return Err(sam.error(
                    &item_at,
                    "a request parameter is a name or { name: { Required, Caching } }",
                ));
            }
        };
        if !valid_name(&name) {
            return Err(sam.error(
                &item_at,
                format!("`{name}` must be method.request.[querystring|path|header].NAME, e.g. method.request.header.Authorization"),
            ));
        }
        let flag = |key: &str| settings.get(key).and_then(Value::as_bool).unwrap_or(false);
        parameters.push((name, flag("Required"), flag("Caching")));
    }
    Ok(parameters)
}
