//! Schemas → [`Model`]s: `definitions` (2.0) and `components.schemas`
//! (3.0) become the API's models by name, and a body or response schema
//! refers to one (`$ref`) or, written inline, becomes a model of its own,
//! as API Gateway's import creates one for it.

use serde_json::{Map, Value};

use super::Importer;
use super::document::{Result, pointer};
use crate::model::Model;

/// Where schemas live in each version, as `$ref` prefixes.
const SCHEMA_PREFIXES: [&str; 2] = ["#/definitions/", "#/components/schemas/"];

impl Importer<'_> {
    /// The models of `definitions` and `components.schemas`.
    pub(super) fn read_models(&mut self) -> Result<()> {
        let d = self.doc;
        let root = d.object(d.root, "")?;
        let mut found: Vec<(String, Value)> = Vec::new();
        if let Some(definitions) = d.object_at(root, "definitions", "")? {
            found.extend(definitions.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if let Some(components) = d.object_at(root, "components", "")?
            && let Some(schemas) = d.object_at(components, "schemas", "/components")?
        {
            found.extend(schemas.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        for (name, schema) in found {
            let schema = self.model_schema(&schema);
            self.models.push(Model {
                name,
                content_type: Some("application/json".to_owned()),
                schema,
            });
        }
        Ok(())
    }

    /// The model name a body or response schema stands for: the model it
    /// refers to, or a new model made of the inline schema.
    pub(super) fn model_for(&mut self, schema: &Value, at: &str, role: &str) -> Result<String> {
        if let Some(reference) = schema.get("$ref") {
            let ref_at = pointer(at, "$ref");
            let Some(reference) = reference.as_str() else {
                return Err(self.doc.expected(&ref_at, "a string", reference));
            };
            let name = SCHEMA_PREFIXES
                .iter()
                .find_map(|prefix| reference.strip_prefix(prefix));
            return match name {
                Some(name) if self.models.iter().any(|m| m.name == name) => Ok(name.to_owned()),
                _ => Err(self.doc.invalid(
                    &ref_at,
                    format!(
                        "`{reference}` is not a model: body and response schemas refer to \
                         #/definitions/NAME (2.0) or #/components/schemas/NAME (3.0)"
                    ),
                )),
            };
        }
        self.doc.object(schema, at)?;
        // A name API Gateway accepts (alphanumeric) that no other model has.
        let mut n = self.models.len() + 1;
        let name = loop {
            let name = format!("{role}Model{n}");
            if !self.models.iter().any(|m| m.name == name) {
                break name;
            }
            n += 1;
        };
        let schema = self.model_schema(schema);
        self.models.push(Model {
            name: name.clone(),
            content_type: Some("application/json".to_owned()),
            schema,
        });
        Ok(name)
    }

    /// A schema with its references to other schemas in the model URL form
    /// API Gateway's models use
    /// (`https://apigateway.amazonaws.com/restapis/API_ID/models/NAME`),
    /// which is how the compiled API finds them.
    fn model_schema(&self, schema: &Value) -> Value {
        match schema {
            Value::Object(map) => {
                let mut out = Map::new();
                for (key, value) in map {
                    let value = match (key.as_str(), value.as_str()) {
                        ("$ref", Some(reference)) => {
                            match SCHEMA_PREFIXES
                                .iter()
                                .find_map(|p| reference.strip_prefix(p))
                            {
                                Some(name) => Value::String(format!(
                                    "https://apigateway.amazonaws.com/restapis/{}/models/{name}",
                                    self.api_id
                                )),
                                None => value.clone(),
                            }
                        }
                        _ => self.model_schema(value),
                    };
                    out.insert(key.clone(), value);
                }
                Value::Object(out)
            }
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.model_schema(v)).collect())
            }
            other => other.clone(),
        }
    }
}
