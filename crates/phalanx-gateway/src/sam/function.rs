//! `AWS::Serverless::Function` → `AWS::Lambda::Function`, and the function's
//! `Api` events for [`super::events`].

use serde_json::{Map, Value, json};

use super::{Sam, child, is_intrinsic};
use crate::cloudformation::ImportError;

/// Properties copied to the Lambda function as they are.
const COPIED: &[&str] = &[
    "FunctionName",
    "Description",
    "Handler",
    "Runtime",
    "Timeout",
    "MemorySize",
    "Environment",
    "Layers",
    "Architectures",
    "Role",
    "PackageType",
    "KmsKeyArn",
    "ReservedConcurrentExecutions",
    "EphemeralStorage",
    "LoggingConfig",
    "VpcConfig",
    "Tags",
];

/// One `Type: Api` event of a function.
pub(super) struct ApiEvent {
    /// The function's logical id.
    pub(super) function: String,
    /// The event's name.
    pub(super) name: String,
    /// `Resources.F.Properties.Events.E.Properties`, for messages.
    pub(super) at: String,
    /// The event's `Properties`.
    pub(super) properties: Map<String, Value>,
    /// The function's `Condition`, if any.
    pub(super) condition: Option<Value>,
    /// What the integration URI invokes, as a `Fn::Sub` variable: the
    /// function's `Fn.Arn`, or its alias with `AutoPublishAlias`.
    pub(super) target: String,
}

/// What one SAM function becomes: the Lambda function, other resources
/// beside it, and its `Api` events.
pub(super) struct Translated {
    pub(super) function: Value,
    /// `<Fn>Alias<name>` for `AutoPublishAlias`, `<Fn>Role` without `Role`.
    pub(super) others: Vec<(String, Value)>,
    /// Sorted by name, as SAM handles them.
    pub(super) events: Vec<ApiEvent>,
}

/// The Lambda function SAM writes for `resource`, and its `Api` events.
pub(super) fn translate(
    sam: &mut Sam,
    id: &str,
    resource: &Value,
) -> Result<Translated, ImportError> {
    let at = format!("Resources.{id}.Properties");
    let empty = Map::new();
    let properties = match resource.get("Properties") {
        None => &empty,
        Some(Value::Object(p)) => p,
        Some(_) => return Err(sam.error(&at, "Properties must be an object")),
    };
    let mut lambda = Map::new();
    for key in COPIED {
        if let Some(value) = properties.get(*key) {
            lambda.insert((*key).to_owned(), value.clone());
        }
    }
    if let Some(code) = code(sam, properties, &at)? {
        lambda.insert("Code".to_owned(), code);
    }
    if let Some(image) = properties.get("ImageUri") {
        lambda.insert("Code".to_owned(), json!({ "ImageUri": image }));
    }
    let mut out = Map::new();
    out.insert("Type".to_owned(), json!("AWS::Lambda::Function"));
    for attribute in ["Condition", "DependsOn", "Metadata"] {
        if let Some(value) = resource.get(attribute) {
            out.insert(attribute.to_owned(), value.clone());
        }
    }
    out.insert("Properties".to_owned(), Value::Object(lambda));

    // With AutoPublishAlias, SAM publishes a version under the alias and
    // integrations invoke the alias (`…:function:NAME:ALIAS`).
    let mut others = Vec::new();
    let target = match properties.get("AutoPublishAlias") {
        Some(Value::String(alias)) if !alias.is_empty() => {
            let alias_id = format!("{id}Alias{alias}");
            others.push((
                alias_id.clone(),
                json!({"Type": "AWS::Lambda::Alias", "Properties": {
                    "Name": alias, "FunctionName": {"Ref": id}, "FunctionVersion": "1"}}),
            ));
            alias_id
        }
        Some(Value::String(_)) | None => format!("{id}.Arn"),
        Some(_) => {
            return Err(sam.error(
                &child(&at, "AutoPublishAlias"),
                "AutoPublishAlias must be the alias's name, e.g. live",
            ));
        }
    };

    // Without `Role`, SAM creates the function's execution role as
    // `<Fn>Role`, which other resources may name (an authorizer's
    // `FunctionInvokeRole: !GetAtt FnRole.Arn`, say): a stand-in without
    // properties lets those references resolve (roles are not enforced
    // locally).
    // aws/serverless-application-model tests/translator/input/api_rest_paths_with_if_condition_swagger.yaml
    if !properties.contains_key("Role") {
        others.push((
            format!("{id}Role"),
            json!({"Type": "AWS::IAM::Role", "Properties": {}}),
        ));
    }

    let mut events = Vec::new();
    if let Some(all) = properties.get("Events") {
        let events_at = child(&at, "Events");
        let Some(all) = all.as_object() else {
            return Err(sam.error(&events_at, "Events must be an object of events by name"));
        };
        let mut names: Vec<&String> = all.keys().collect();
        // SAM's translator handles a function's events sorted by name.
        names.sort();
        for name in names {
            let event_at = child(&events_at, name);
            let event = &all[name];
            let kind = event.get("Type").and_then(Value::as_str);
            match kind {
                Some("Api") => {
                    let properties_at = child(&event_at, "Properties");
                    let Some(properties) = event.get("Properties").and_then(Value::as_object)
                    else {
                        return Err(sam.error(
                            &properties_at,
                            "an Api event needs Properties with Path and Method",
                        ));
                    };
                    events.push(ApiEvent {
                        function: id.to_owned(),
                        name: name.clone(),
                        at: properties_at,
                        properties: properties.clone(),
                        condition: resource.get("Condition").cloned(),
                        target: target.clone(),
                    });
                }
                Some("HttpApi") => sam.warnings.push(format!(
                    "{event_at}: an HttpApi event belongs to an HTTP API (API Gateway v2); only \
                     REST APIs are served locally, so it is left out"
                )),
                Some(other) => sam.warnings.push(format!(
                    "{event_at}: {other} events are not API requests; they are not emulated \
                     locally (invoke the function with `phalanx invoke` instead)"
                )),
                None => return Err(sam.error(&child(&event_at, "Type"), "an event needs a Type")),
            }
        }
    }
    Ok(Translated {
        function: Value::Object(out),
        others,
        events,
    })
}

/// `Code` from `InlineCode` or `CodeUri`: an `s3://bucket/key` URI or a
/// `Bucket`/`Key` object becomes the S3 location; any other string is a
/// local folder or file (what `sam build` and `sam package` would upload),
/// kept as a path so `phalanx serve` can run the function from it.
fn code(
    sam: &Sam,
    properties: &Map<String, Value>,
    at: &str,
) -> Result<Option<Value>, ImportError> {
    if let Some(inline) = properties.get("InlineCode") {
        return Ok(Some(json!({ "ZipFile": inline })));
    }
    let Some(uri) = properties.get("CodeUri") else {
        return Ok(None);
    };
    Ok(Some(match uri {
        Value::String(text) => match text.strip_prefix("s3://") {
            Some(rest) => {
                let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
                json!({ "S3Bucket": bucket, "S3Key": key })
            }
            None => Value::String(text.clone()),
        },
        Value::Object(location) if location.contains_key("Bucket") => {
            let mut s3 = Map::new();
            for (from, to) in [
                ("Bucket", "S3Bucket"),
                ("Key", "S3Key"),
                ("Version", "S3ObjectVersion"),
            ] {
                if let Some(value) = location.get(from) {
                    s3.insert(to.to_owned(), value.clone());
                }
            }
            Value::Object(s3)
        }
        other if is_intrinsic(other) => other.clone(),
        _ => {
            return Err(sam.error(
                &child(at, "CodeUri"),
                "CodeUri must be a local path, an s3:// URI or an object with Bucket and Key",
            ));
        }
    }))
}
