//! `Globals`: properties shared by every function and API of a template.
//!
//! SAM merges them into each resource before translating it, by these
//! rules (SAM's "Globals section of the AWS SAM template" guide): a
//! property only in `Globals` is added; maps are merged key by key, the
//! resource's value winning; lists are joined, the global items first; any
//! other value in the resource replaces the global one.

use serde_json::{Map, Value};

use crate::cloudformation::{ImportError, ImportErrorKind};

/// The `Globals` section, by resource kind.
pub(super) struct Globals {
    function: Option<Value>,
    api: Option<Value>,
}

impl Globals {
    pub(super) fn read(section: Option<&Value>, file: &str) -> Result<Globals, ImportError> {
        let Some(section) = section else {
            return Ok(Globals {
                function: None,
                api: None,
            });
        };
        let Some(section) = section.as_object() else {
            return Err(ImportError::at(
                ImportErrorKind::Invalid,
                file,
                "Globals",
                "Globals must be an object with Function, Api, … sections",
            ));
        };
        for (kind, properties) in section {
            if !properties.is_object() {
                return Err(ImportError::at(
                    ImportErrorKind::Invalid,
                    file,
                    &format!("Globals.{kind}"),
                    format!("Globals.{kind} must be an object of properties"),
                ));
            }
        }
        Ok(Globals {
            function: section.get("Function").cloned(),
            api: section.get("Api").cloned(),
        })
    }

    /// `Globals.Api`, which the implicit API also takes.
    pub(super) fn api(&self) -> Option<&Value> {
        self.api.as_ref()
    }

    /// The resource with the globals of its kind merged into its
    /// `Properties`.
    pub(super) fn apply(&self, resource: &Value) -> Value {
        let globals = match resource.get("Type").and_then(Value::as_str) {
            Some("AWS::Serverless::Function") => self.function.as_ref(),
            Some("AWS::Serverless::Api") => self.api.as_ref(),
            _ => None,
        };
        let (Some(globals), Some(object)) = (globals, resource.as_object()) else {
            return resource.clone();
        };
        let mut resource = object.clone();
        let properties = resource
            .get("Properties")
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new()));
        resource.insert("Properties".to_owned(), merge(globals, &properties));
        Value::Object(resource)
    }
}

/// `local` merged over `global`, by SAM's rules.
pub(super) fn merge(global: &Value, local: &Value) -> Value {
    match (global, local) {
        // An intrinsic on either side is a value, not a map to merge into:
        // SAM's globals plugin counts it a primitive, and a primitive and a
        // map are different kinds, so the resource's value wins.
        // aws/serverless-application-model tests/translator/input/api_with_cors.yaml
        (Value::Object(global_map), Value::Object(local_map))
            if !replaces(global) && !replaces(local) =>
        {
            let global = global_map;
            let mut merged = global.clone();
            for (key, value) in local_map {
                let value = match global.get(key) {
                    Some(global_value) => merge(global_value, value),
                    None => value.clone(),
                };
                merged.insert(key.clone(), value);
            }
            Value::Object(merged)
        }
        (Value::Array(global), Value::Array(local)) => {
            Value::Array(global.iter().chain(local).cloned().collect())
        }
        (_, local) => local.clone(),
    }
}

/// A value that replaces rather than merges: an intrinsic function, or a
/// `{"Condition": …}`, which SAM's `is_intrinsic` counts among them too.
fn replaces(local: &Value) -> bool {
    super::is_intrinsic(local)
        || local
            .as_object()
            .is_some_and(|map| map.len() == 1 && map.contains_key("Condition"))
}

#[cfg(test)]
mod tests {
    use super::merge;
    use serde_json::json;

    // SAM's guide, "Globals section of the AWS SAM template": primitives
    // are overridden, maps merged, lists additive (global items first).
    #[test]
    fn merges_as_sams_globals_guide_says() {
        let global = json!({
            "Runtime": "python3.11",
            "Environment": {"Variables": {"STAGE": "prod", "TABLE": "t"}},
            "Layers": ["a"],
        });
        let local = json!({
            "Runtime": "python3.12",
            "Environment": {"Variables": {"TABLE": "mine"}},
            "Layers": ["b"],
        });
        assert_eq!(
            merge(&global, &local),
            json!({
                "Runtime": "python3.12",
                "Environment": {"Variables": {"STAGE": "prod", "TABLE": "mine"}},
                "Layers": ["a", "b"],
            })
        );
        // An intrinsic replaces the global map.
        assert_eq!(
            merge(
                &json!({"Variables": {"A": "1"}}),
                &json!({"Fn::If": ["c", {}, {}]})
            ),
            json!({"Fn::If": ["c", {}, {}]})
        );
    }
}
