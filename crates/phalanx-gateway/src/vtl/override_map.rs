//! The maps behind `$context.requestOverride` and
//! `$context.responseOverride` (and their `header`, `querystring` and
//! `path` maps): maps whose entries a template may set only once each.
//!
//! AWS developer guide, "Override your API's request and response
//! parameters and status codes": "Overrides are final. An override may only
//! be applied to each parameter once. Trying to override the same parameter
//! multiple times will result in 5XX responses from Amazon API Gateway." The
//! rule is kept per template: a response template may change what the
//! request template set (AWS does not say otherwise).

use indexmap::IndexMap;
use phalanx_vtl::{MethodError, Object, Value};
use std::cell::RefCell;

/// One override map.
pub(crate) struct OverrideMap {
    /// Where it is, for the error message: `requestOverride.header`.
    name: &'static str,
    entries: RefCell<IndexMap<String, Value>>,
    /// The keys this render has set.
    set: RefCell<Vec<String>>,
}

impl OverrideMap {
    /// A map called `name` holding `entries` (what earlier templates set).
    pub(crate) fn value(
        name: &'static str,
        entries: impl IntoIterator<Item = (String, Value)>,
    ) -> Value {
        Value::object(OverrideMap {
            name,
            entries: RefCell::new(entries.into_iter().collect()),
            set: RefCell::new(Vec::new()),
        })
    }

    /// The entry `key`, if it is set.
    pub(crate) fn get(&self, key: &str) -> Option<Value> {
        self.entries.borrow().get(key).cloned()
    }

    /// The entries as strings (null entries left out).
    pub(crate) fn strings(&self) -> IndexMap<String, String> {
        self.entries
            .borrow()
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect()
    }

    fn put(&self, key: &str, value: Value) -> Result<Value, MethodError> {
        let mut set = self.set.borrow_mut();
        if set.iter().any(|k| k == key) {
            return Err(MethodError::Failed(format!(
                "{}.{key} is set a second time: an override can be applied only once (API Gateway answers 5XX)",
                self.name
            )));
        }
        set.push(key.to_string());
        // Overrides are strings (and a status number): a list, map or
        // object is kept as its string form, so no template can make the
        // map hold something that holds the map (a cycle would never be
        // freed).
        let value = match value {
            Value::List(_) | Value::Map(_) | Value::Object(_) => Value::from(value.to_string()),
            scalar => scalar,
        };
        Ok(self
            .entries
            .borrow_mut()
            .insert(key.to_string(), value)
            .unwrap_or_default())
    }

    /// The map as a VTL map (for `toString`, `keySet` and the like).
    fn as_map(&self) -> Value {
        Value::map(
            self.entries
                .borrow()
                .iter()
                .map(|(k, v)| (Value::from(k.as_str()), v.clone())),
        )
    }
}

impl Object for OverrideMap {
    fn type_name(&self) -> &str {
        "java.util.HashMap"
    }

    fn property(&self, name: &str) -> Option<Value> {
        self.get(name)
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, MethodError> {
        match (method, args) {
            ("put", [key, value]) => self.put(&key.to_string(), value.clone()),
            ("get", [key]) => Ok(self.get(&key.to_string()).unwrap_or_default()),
            ("containsKey", [key]) => Ok(Value::Bool(
                self.entries.borrow().contains_key(&key.to_string()),
            )),
            ("size", []) => Ok(Value::from(self.entries.borrow().len())),
            ("isEmpty", []) => Ok(Value::Bool(self.entries.borrow().is_empty())),
            ("keySet", []) => Ok(Value::list(
                self.entries
                    .borrow()
                    .keys()
                    .map(|k| Value::from(k.as_str()))
                    .collect(),
            )),
            ("values", []) => Ok(Value::list(
                self.entries.borrow().values().cloned().collect(),
            )),
            ("toString", []) => Ok(Value::from(self.render())),
            _ => Err(MethodError::NotFound),
        }
    }

    fn render(&self) -> String {
        self.as_map().to_string()
    }

    /// `#foreach` over a map visits its values, as over a Java map.
    fn iterate(&self) -> Option<Vec<Value>> {
        Some(self.entries.borrow().values().cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_are_kept_as_strings_and_a_second_put_fails() {
        let map = OverrideMap::value("requestOverride.path", []);
        let Value::Object(o) = &map else {
            unreachable!()
        };
        let list = Value::list(vec![Value::Int(1), map.clone()]);
        assert_eq!(o.call("put", &["a".into(), list]), Ok(Value::Null));
        // The list (which holds the map itself) is stored as its text.
        assert!(matches!(o.property("a"), Some(Value::String(_))));
        assert_eq!(o.call("put", &["b".into(), Value::Int(7)]), Ok(Value::Null));
        assert_eq!(o.property("b"), Some(Value::Int(7)));
        assert!(matches!(
            o.call("put", &["b".into(), Value::Int(8)]),
            Err(MethodError::Failed(m)) if m.starts_with("requestOverride.path.b is set a second time")
        ));
    }
}
