//! The variables a template sees.

use crate::error::{Error, ErrorKind};
use crate::value::Value;
use rustc_hash::FxHashMap;

/// The variables of one render: what `$name` looks up and `#set` writes.
///
/// A context is changed by rendering (`#set`), so build a fresh one per
/// render unless you want the changes.
///
/// ```
/// use phalanx_vtl::{Context, Value};
/// let mut ctx = Context::from_json(&serde_json::json!({"name": "world"})).unwrap();
/// ctx.insert("count", Value::Int(3));
/// assert_eq!(ctx.get("name").and_then(Value::as_str), Some("world"));
/// ```
#[derive(Default, Clone, Debug)]
pub struct Context {
    // Fx hashing: keys are short variable names chosen by template authors,
    // and lookups are on every reference of every render.
    vars: FxHashMap<Box<str>, Value>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// A context holding the members of a JSON object.
    pub fn from_json(json: &serde_json::Value) -> Result<Context, Error> {
        let serde_json::Value::Object(map) = json else {
            return Err(Error::without_location(
                ErrorKind::Render,
                "the context must be a JSON object whose members become variables",
            ));
        };
        let mut ctx = Context::new();
        for (k, v) in map {
            ctx.insert(k, Value::from_json(v));
        }
        Ok(ctx)
    }

    /// Sets a variable, returning its previous value.
    pub fn insert(&mut self, name: impl AsRef<str>, value: Value) -> Option<Value> {
        let name = name.as_ref();
        // Replacing in place keeps loops (which set their variable on every
        // iteration) from allocating a key each time.
        match self.vars.get_mut(name) {
            Some(slot) => Some(std::mem::replace(slot, value)),
            None => self.vars.insert(name.into(), value),
        }
    }

    /// Looks a variable up.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.vars.get(name)
    }

    /// Removes a variable, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.vars.remove(name)
    }

    /// True if the variable is set.
    pub fn contains(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }

    /// The variable names, in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.vars.keys().map(|k| &**k)
    }
}
