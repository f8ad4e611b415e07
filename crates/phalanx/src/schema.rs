//! Request models from Rust types: schemars' draft-07 output rewritten as
//! the JSON Schema draft 4 API Gateway takes (AWS developer guide,
//! "Working with models and mapping templates": models are draft 4), and
//! the same schema as an OpenAPI 3.0 schema object.
//!
//! schemars (1.x) has no draft-4 dialect. Draft 07 is the nearest: it
//! keeps `definitions` (not 2019-09's `$defs`) and its transforms already
//! remove what draft 07 lacks (`unevaluatedProperties`, `prefixItems`).
//! What is left to rewrite is what draft 4 spells differently or lacks:
//! - `$schema` names draft 04;
//! - `exclusiveMinimum`/`exclusiveMaximum` are numbers in draft 6+, and
//!   booleans beside `minimum`/`maximum` in draft 4;
//! - `const` (draft 6) becomes a one-value `enum`;
//! - boolean schemas (draft 6) become `{}` (true) and `{"not": {}}`
//!   (false), except under `additionalProperties`/`additionalItems`, where
//!   draft 4 takes booleans;
//! - keywords draft 4 does not know and would ignore (`contains`,
//!   `propertyNames`, `if`/`then`/`else`, `examples`, `$comment`,
//!   `readOnly`, `writeOnly`) are dropped rather than left to look like
//!   constraints that are checked.
//!
//! Subschemas are inlined (`inline_subschemas`), so a model is one
//! self-contained document; only recursive types keep `definitions` and
//! `#/definitions/NAME` references.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

/// Draft 4's meta-schema URI.
pub(crate) const DRAFT4: &str = "http://json-schema.org/draft-04/schema#";

/// The model name (API Gateway takes alphanumeric names only) and draft-4
/// schema of `T`.
pub(crate) fn draft4_model<T: JsonSchema>() -> (String, Value) {
    let settings = SchemaSettings::draft07().with(|s| s.inline_subschemas = true);
    let schema = settings.into_generator().into_root_schema_for::<T>();
    let name: String = T::schema_name()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let name = if name.is_empty() {
        "Body".to_string()
    } else {
        name
    };
    let mut value = schema.to_value();
    to_draft4(&mut value);
    if let Value::Object(o) = &mut value {
        o.insert("$schema".into(), json!(DRAFT4));
    }
    (name, value)
}

/// Rewrites one schema (and its subschemas) from draft 07 to draft 4.
fn to_draft4(schema: &mut Value) {
    match schema {
        Value::Bool(true) => *schema = json!({}),
        Value::Bool(false) => *schema = json!({"not": {}}),
        Value::Object(o) => {
            for dropped in [
                "contains",
                "propertyNames",
                "if",
                "then",
                "else",
                "examples",
                "$comment",
                "readOnly",
                "writeOnly",
            ] {
                o.remove(dropped);
            }
            if let Some(value) = o.remove("const") {
                o.insert("enum".into(), json!([value]));
            }
            for (exclusive, bound) in [
                ("exclusiveMinimum", "minimum"),
                ("exclusiveMaximum", "maximum"),
            ] {
                if let Some(limit) = o.get(exclusive).filter(|v| v.is_number()).cloned() {
                    // Both forms at once (draft 6 allows it): the
                    // exclusive bound is the one kept only when it is the
                    // stricter; otherwise the inclusive one stays.
                    let stricter = match (o.get(bound).and_then(Value::as_f64), limit.as_f64()) {
                        (Some(inclusive), Some(exclusive_limit)) => {
                            if bound == "minimum" {
                                exclusive_limit >= inclusive
                            } else {
                                exclusive_limit <= inclusive
                            }
                        }
                        _ => true,
                    };
                    if stricter {
                        o.insert(bound.into(), limit);
                        o.insert(exclusive.into(), json!(true));
                    } else {
                        o.remove(exclusive);
                    }
                }
            }
            for key in ["properties", "patternProperties", "definitions"] {
                if let Some(Value::Object(children)) = o.get_mut(key) {
                    children.values_mut().for_each(to_draft4);
                }
            }
            for key in ["allOf", "anyOf", "oneOf"] {
                if let Some(Value::Array(children)) = o.get_mut(key) {
                    children.iter_mut().for_each(to_draft4);
                }
            }
            match o.get_mut("items") {
                Some(Value::Array(children)) => children.iter_mut().for_each(to_draft4),
                Some(child) => to_draft4(child),
                None => {}
            }
            if let Some(child) = o.get_mut("not") {
                to_draft4(child);
            }
            if let Some(Value::Object(deps)) = o.get_mut("dependencies") {
                deps.values_mut()
                    .filter(|d| !d.is_array())
                    .for_each(to_draft4);
            }
            for key in ["additionalProperties", "additionalItems"] {
                if let Some(child) = o.get_mut(key).filter(|c| c.is_object()) {
                    to_draft4(child);
                }
            }
        }
        _ => {}
    }
}

/// A draft-4 model as OpenAPI 3.0 schema objects: the model itself and its
/// `definitions`, which become sibling component schemas (the OpenAPI
/// Schema Object has no `$schema` or `definitions`). References are
/// rewritten to `#/components/schemas/NAME`; a `null` among a `type` list
/// or an `anyOf`/`oneOf` becomes `nullable: true` (OpenAPI 3.0 has no
/// `null` type).
pub(crate) fn openapi_schemas(schema: &Value) -> (Value, Vec<(String, Value)>) {
    let mut root = schema.clone();
    let mut definitions = Vec::new();
    if let Value::Object(o) = &mut root {
        o.remove("$schema");
        if let Some(Value::Object(defs)) = o.remove("definitions") {
            for (name, mut def) in defs {
                to_openapi(&mut def);
                definitions.push((name, def));
            }
        }
    }
    to_openapi(&mut root);
    (root, definitions)
}

fn to_openapi(schema: &mut Value) {
    match schema {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get_mut("$ref")
                && let Some(name) = r.strip_prefix("#/definitions/")
            {
                *r = format!("#/components/schemas/{name}");
            }
            if let Some(Value::Array(types)) = o.get("type") {
                let nullable = types.iter().any(|t| t == "null");
                let rest: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
                if rest.len() == 1 {
                    o.insert("type".into(), rest[0].clone());
                } else {
                    // OpenAPI 3.0 has one type per schema: several become
                    // a oneOf of single-type schemas.
                    o.remove("type");
                    let one_of: Vec<Value> = rest.into_iter().map(|t| json!({"type": t})).collect();
                    o.insert("oneOf".into(), Value::Array(one_of));
                }
                if nullable {
                    o.insert("nullable".into(), json!(true));
                }
            }
            for key in ["anyOf", "oneOf"] {
                if let Some(Value::Array(children)) = o.get_mut(key) {
                    let before = children.len();
                    children.retain(|c| c.get("type") != Some(&json!("null")));
                    if children.len() != before {
                        o.insert("nullable".into(), json!(true));
                    }
                }
                // A single remaining alternative stays an `anyOf`/`oneOf`
                // of one: `$ref` may have no siblings, and `nullable` is one.
            }
            for (key, child) in o.iter_mut() {
                match key.as_str() {
                    "properties" | "patternProperties" => {
                        if let Value::Object(children) = child {
                            children.values_mut().for_each(to_openapi);
                        }
                    }
                    "allOf" | "anyOf" | "oneOf" => {
                        if let Value::Array(children) = child {
                            children.iter_mut().for_each(to_openapi);
                        }
                    }
                    "items" | "not" | "additionalProperties" => to_openapi(child),
                    _ => {}
                }
            }
            // OpenAPI 3.0's `items` is one schema, never a tuple list.
            if let Some(Value::Array(tuple)) = o.get("items") {
                let any_of = Value::Array(tuple.clone());
                o.insert("items".into(), json!({"anyOf": any_of}));
            }
            o.remove("additionalItems");
            o.remove("dependencies");
            o.remove("patternProperties");
        }
        Value::Array(items) => items.iter_mut().for_each(to_openapi),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(schemars::JsonSchema, serde::Deserialize)]
    #[allow(dead_code)]
    struct Order {
        item: String,
        #[schemars(range(min = 1, max = 10))]
        quantity: u32,
        note: Option<String>,
        tags: Vec<String>,
    }

    #[test]
    fn a_struct_becomes_a_draft_4_model() {
        let (name, schema) = draft4_model::<Order>();
        assert_eq!(name, "Order");
        assert_eq!(schema["$schema"], DRAFT4);
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["required"], json!(["item", "quantity", "tags"]));
        assert_eq!(schema["properties"]["quantity"]["minimum"], 1);
        assert_eq!(schema["properties"]["quantity"]["maximum"], 10);
        assert_eq!(
            schema["properties"]["note"]["type"],
            json!(["string", "null"])
        );
        assert!(!schema.to_string().contains("$defs"));
    }

    #[test]
    fn draft_6_keywords_are_rewritten() {
        let mut schema = json!({
            "type": "object",
            "properties": {
                "a": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 5},
                "b": {"const": "x"},
                "c": true,
                "d": {"type": "array", "items": false, "contains": {"type": "string"}},
                "e": {"type": "number", "minimum": 3, "exclusiveMinimum": 1}
            },
            "additionalProperties": false,
            "definitions": {"N": {"anyOf": [true, {"type": "null"}]}}
        });
        to_draft4(&mut schema);
        let p = &schema["properties"];
        assert_eq!(
            p["a"],
            json!({"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 5, "exclusiveMaximum": true})
        );
        assert_eq!(p["b"], json!({"enum": ["x"]}));
        assert_eq!(p["c"], json!({}));
        assert_eq!(p["d"], json!({"type": "array", "items": {"not": {}}}));
        assert_eq!(p["e"], json!({"type": "number", "minimum": 3}));
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(schema["definitions"]["N"]["anyOf"][0], json!({}));
    }

    #[test]
    fn openapi_schemas_have_no_null_type_nor_definitions() {
        let model = json!({
            "$schema": DRAFT4,
            "type": "object",
            "properties": {
                "note": {"type": ["string", "null"]},
                "next": {"anyOf": [{"$ref": "#/definitions/Node"}, {"type": "null"}]}
            },
            "definitions": {"Node": {"type": "object"}}
        });
        let (root, defs) = openapi_schemas(&model);
        assert_eq!(root.get("$schema"), None);
        assert_eq!(root.get("definitions"), None);
        assert_eq!(
            root["properties"]["note"],
            json!({"type": "string", "nullable": true})
        );
        assert_eq!(
            root["properties"]["next"],
            json!({"anyOf": [{"$ref": "#/components/schemas/Node"}], "nullable": true})
        );
        assert_eq!(defs, vec![("Node".to_string(), json!({"type": "object"}))]);
    }
}

#[cfg(test)]
mod recursive {
    use super::*;

    #[derive(schemars::JsonSchema, serde::Deserialize)]
    #[allow(dead_code)]
    struct Node {
        name: String,
        children: Vec<Node>,
    }

    #[derive(schemars::JsonSchema, serde::Deserialize)]
    #[allow(dead_code)]
    struct Tree {
        root: Node,
    }

    /// A recursive type keeps references, as draft 4 spells them
    /// (`definitions`, never `$defs`), and the gateway's draft-4
    /// validator follows them.
    #[test]
    fn a_recursive_type_keeps_draft_4_references() {
        let (_, schema) = draft4_model::<Tree>();
        let text = schema.to_string();
        assert!(!text.contains("$defs"), "{text}");
        assert!(text.contains("#/definitions/Node"), "{text}");
        let validator = jsonschema_check(&schema);
        assert!(validator(
            &json!({"root": {"name": "a", "children": [{"name": "b", "children": []}]}})
        ));
        assert!(!validator(
            &json!({"root": {"name": "a", "children": [{"name": 1, "children": []}]}})
        ));
        let (root, definitions) = openapi_schemas(&schema);
        assert!(root.to_string().contains("#/components/schemas/Node"));
        assert_eq!(definitions[0].0, "Node");
    }

    /// Validates through the gateway itself: a model on a method with a
    /// body validator, as `request_body` declares it.
    fn jsonschema_check(schema: &Value) -> impl Fn(&Value) -> bool {
        let schema = schema.clone();
        move |body: &Value| {
            use phalanx_gateway::model;
            let api = model::RestApi {
                name: "t".into(),
                models: vec![model::Model {
                    name: "Tree".into(),
                    content_type: Some("application/json".into()),
                    schema: schema.clone(),
                }],
                request_validators: vec![model::RequestValidator {
                    name: "body".into(),
                    validate_request_body: true,
                    validate_request_parameters: false,
                }],
                methods: vec![model::Method {
                    resource_path: "/".into(),
                    http_method: "POST".into(),
                    request_models: [("application/json".to_string(), "Tree".to_string())]
                        .into_iter()
                        .collect(),
                    request_validator: Some("body".into()),
                    integration: Some(model::Integration {
                        kind: model::IntegrationType::Mock,
                        request_templates: [(
                            "application/json".to_string(),
                            "{\"statusCode\": 200}".to_string(),
                        )]
                        .into_iter()
                        .collect(),
                        integration_responses: vec![model::IntegrationResponse {
                            status_code: "200".into(),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }),
                    method_responses: vec![model::MethodResponse {
                        status_code: "200".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                stages: vec![model::Stage {
                    stage_name: "dev".into(),
                    ..Default::default()
                }],
                ..Default::default()
            };
            let gateway = phalanx_gateway::Gateway::build(
                &api,
                "dev",
                phalanx_gateway::invoke::InProcess::new(),
            )
            .unwrap_or_else(|e| panic!("{e}"));
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let reply = rt.block_on(gateway.handle(phalanx_gateway::GatewayRequest {
                method: "POST".into(),
                path: "/dev/".into(),
                headers: vec![("content-type".into(), "application/json".into())],
                body: body.to_string().into(),
                ..Default::default()
            }));
            reply.status == 200
        }
    }
}
