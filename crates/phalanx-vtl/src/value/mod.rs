//! Values: what references, literals and expressions evaluate to.
//!
//! They model the Java objects Velocity works with: `Int` is Java's
//! Integer/Long, `Float` is Double, lists and maps are shared and mutable
//! (`#set($b = $a)` aliases, as Java references do), and [`Object`] lets a
//! host expose its own objects (API Gateway's `$input`, `$util`, `$context`).

mod hashing;
mod methods;
mod number;
mod object;
pub(crate) mod walk;

pub use hashing::KeyHasher;
pub(crate) use hashing::{name_hash, same_name};
pub use number::format_double;
pub use object::{MethodError, Object};

pub(crate) use methods::{
    ViewItem, call_method, get_index, get_property, map_value_at, map_view, set_index, set_property,
};
pub(crate) use number::{arithmetic, compare_numbers};

use indexmap::IndexMap;
use std::cell::RefCell;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::rc::Rc;
use std::sync::Arc;

/// A shared, mutable list (Java `ArrayList`).
pub type List = Rc<RefCell<Vec<Value>>>;
/// A shared, mutable, insertion-ordered map (Java `LinkedHashMap`).
pub type Map = Rc<RefCell<IndexMap<Value, Value, KeyHasher>>>;

/// A template value.
///
/// ```
/// use phalanx_vtl::Value;
/// let v = Value::from_json(&serde_json::json!({"a": [1, 2.5, "x"]}));
/// assert_eq!(v.to_string(), "{a=[1, 2.5, x]}");
/// ```
// A full-word tag: with a one-byte tag, moving a value copied the seven
// padding bytes after it separately, and reading the value back as one
// wide load then stalled on store forwarding (perf: a quarter of the
// envelope benchmark's cycles; this line took it from 8.0 to 6.1 µs).
#[derive(Clone, Default)]
#[repr(u64)]
pub enum Value {
    /// Java `null`; also what an undefined reference evaluates to.
    #[default]
    Null,
    /// Java `Boolean`.
    Bool(bool),
    /// Java `Integer` or `Long` (Velocity widens on overflow).
    Int(i64),
    /// Java `Double`.
    Float(f64),
    /// Java `String`.
    String(Arc<str>),
    /// Java `List`.
    List(List),
    /// Java `Map`.
    Map(Map),
    /// A host object.
    Object(Rc<dyn Object>),
}

impl Value {
    /// A new list value.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(RefCell::new(items)))
    }

    /// A new map value from key/value pairs (string keys).
    pub fn map<K: Into<Value>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(Rc::new(RefCell::new(
            entries.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        )))
    }

    /// A host object value.
    pub fn object(object: impl Object + 'static) -> Value {
        Value::Object(Rc::new(object))
    }

    /// Converts JSON: objects become insertion-ordered maps, integers that
    /// fit become `Int`, other numbers `Float`.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::from(s.as_str()),
            serde_json::Value::Array(items) => {
                Value::list(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => Value::map(
                map.iter()
                    .map(|(k, v)| (Value::from(k.as_str()), Value::from_json(v))),
            ),
        }
    }

    /// Converts to JSON (host objects become their string form).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Int(i) => (*i).into(),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            // Nested deeper than a walk may go (or a cycle): null there.
            Value::List(_) | Value::Map(_) => match walk::Level::enter() {
                None => serde_json::Value::Null,
                Some(_level) => match self {
                    Value::List(l) => l.borrow().iter().map(Value::to_json).collect(),
                    Value::Map(m) => serde_json::Value::Object(
                        m.borrow()
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.to_json()))
                            .collect(),
                    ),
                    _ => serde_json::Value::Null,
                },
            },
            Value::Object(o) => serde_json::Value::String(o.render()),
        }
    }

    /// The host object of type `T`, if this is one.
    ///
    /// ```
    /// use phalanx_vtl::{Object, Value};
    /// struct Thing;
    /// impl Object for Thing {
    ///     fn type_name(&self) -> &str { "Thing" }
    /// }
    /// assert!(Value::object(Thing).downcast_object::<Thing>().is_some());
    /// assert!(Value::from("x").downcast_object::<Thing>().is_none());
    /// ```
    pub fn downcast_object<T: Object>(&self) -> Option<&T> {
        match self {
            Value::Object(o) => (o.as_ref() as &dyn std::any::Any).downcast_ref::<T>(),
            _ => None,
        }
    }

    /// True for `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The string slice if this is a `String`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Velocity's truthiness for a reference in `#if`: null is false, a
    /// Boolean is itself, anything else is true (even `""` and `0` in 1.7).
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            _ => true,
        }
    }

    /// The Java class name, for messages.
    pub fn type_name(&self) -> &str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "Boolean",
            Value::Int(i) if i32::try_from(*i).is_ok() => "Integer",
            Value::Int(_) => "Long",
            Value::Float(_) => "Double",
            Value::String(_) => "String",
            Value::List(_) => "ArrayList",
            Value::Map(_) => "LinkedHashMap",
            Value::Object(o) => o.type_name(),
        }
    }

    /// Java's `equals`, with Velocity's numeric comparison across number types.
    ///
    /// Lists and maps nested deeper than a walk may go (see `walk`), which
    /// Java could not compare either (StackOverflowError), are unequal.
    pub fn java_equals(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            (Value::String(a), Value::String(b)) => same_name(a, b),
            (Value::List(a), Value::List(b)) => {
                Rc::ptr_eq(a, b) || {
                    // A list being changed (`$l.remove($l)`) is compared by identity.
                    let (Ok(a), Ok(b), Some(_level)) =
                        (a.try_borrow(), b.try_borrow(), walk::Level::enter())
                    else {
                        return false;
                    };
                    a.len() == b.len()
                        && a.iter()
                            .zip(b.iter())
                            .all(|(x, y)| walk::step() && x.java_equals(y))
                }
            }
            (Value::Map(a), Value::Map(b)) => {
                Rc::ptr_eq(a, b) || {
                    // A map being changed (`$m.put($m, 1)`) is compared by identity.
                    let (Ok(a), Ok(b), Some(_level)) =
                        (a.try_borrow(), b.try_borrow(), walk::Level::enter())
                    else {
                        return false;
                    };
                    a.len() == b.len()
                        && a.iter().all(|(k, v)| {
                            walk::step() && b.get(k).is_some_and(|w| v.java_equals(w))
                        })
                }
            }
            (Value::Object(a), Value::Object(b)) => std::ptr::addr_eq(Rc::as_ptr(a), Rc::as_ptr(b)),
            _ => false,
        }
    }

    /// The `String` this value renders as (Java's `toString`). A list or
    /// map that contains itself other than directly renders `(cycle)` where
    /// Java would overflow its stack.
    pub fn render_into(&self, out: &mut String) {
        if self.try_render_into(out).is_err() {
            out.push_str("(cycle)");
        }
    }

    /// Java's `toString`, which fails where Java's would recurse forever:
    /// Java prints a collection that contains itself directly as
    /// `(this Collection)` / `(this Map)`, but any longer cycle (`$a`
    /// holds `$b` holds `$a`) throws StackOverflowError.
    pub(crate) fn try_render_into(&self, out: &mut String) -> Result<(), ContainsItself> {
        self.render_nested(out, &mut Vec::new())
    }

    /// `open`: the lists and maps being rendered around this value.
    fn render_nested(
        &self,
        out: &mut String,
        open: &mut Vec<*const ()>,
    ) -> Result<(), ContainsItself> {
        use std::fmt::Write;
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => number::write_double(out, *f),
            Value::String(s) => out.push_str(s),
            Value::List(l) => {
                let id = Rc::as_ptr(l) as *const ();
                if open.contains(&id) {
                    return Err(ContainsItself);
                }
                let Some(_level) = walk::Level::enter() else {
                    return Err(ContainsItself);
                };
                open.push(id);
                out.push('[');
                for (i, v) in l.borrow().iter().enumerate() {
                    if !walk::step_n(render_cost(v)) {
                        return Err(ContainsItself);
                    }
                    if i > 0 {
                        out.push_str(", ");
                    }
                    match v {
                        Value::List(inner) if Rc::ptr_eq(inner, l) => {
                            out.push_str("(this Collection)")
                        }
                        _ => v.render_nested(out, open)?,
                    }
                }
                out.push(']');
                open.pop();
            }
            Value::Map(m) => {
                let id = Rc::as_ptr(m) as *const ();
                if open.contains(&id) {
                    return Err(ContainsItself);
                }
                let Some(_level) = walk::Level::enter() else {
                    return Err(ContainsItself);
                };
                open.push(id);
                out.push('{');
                for (i, (k, v)) in m.borrow().iter().enumerate() {
                    if !walk::step_n(render_cost(k) + render_cost(v)) {
                        return Err(ContainsItself);
                    }
                    if i > 0 {
                        out.push_str(", ");
                    }
                    k.render_nested(out, open)?;
                    out.push('=');
                    match v {
                        Value::Map(inner) if Rc::ptr_eq(inner, m) => out.push_str("(this Map)"),
                        _ => v.render_nested(out, open)?,
                    }
                }
                out.push('}');
                open.pop();
            }
            Value::Object(o) => {
                // An object's string may be long (a map view renders its
                // map): it costs a step a byte, as strings in a list do.
                let rendered = o.render();
                if !walk::step_n(rendered.len() as u64) {
                    return Err(ContainsItself);
                }
                out.push_str(&rendered);
            }
        }
        Ok(())
    }
}

/// A list or map that contains itself through another one: Java's
/// `toString` on it throws StackOverflowError. Also a list or map nested
/// deeper than a walk may go, or whose walk took more steps than the render
/// has fuel left (see `walk`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ContainsItself;

/// The steps rendering an item of a list or map costs: one, plus a string's
/// bytes, so that a list holding one long string many times (or a sub-list
/// shared at every level) cannot build a huge string before the output
/// limit is checked.
fn render_cost(v: &Value) -> u64 {
    match v {
        Value::String(s) => 1 + s.len() as u64,
        _ => 1,
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.render_into(&mut s);
        f.write_str(&s)
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => write!(f, "{s:?}"),
            Value::Object(o) => write!(f, "<{}>", o.type_name()),
            other => write!(f, "{other}"),
        }
    }
}

/// Map keys compare with Java `equals` and hash consistently with it.
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.java_equals(other)
    }
}

impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Value::Null => 0u8.hash(state),
            Value::Bool(b) => b.hash(state),
            Value::Int(i) => i.hash(state),
            Value::Float(f) => f.to_bits().hash(state),
            // Hashes exactly like `str`, so maps can be queried by `&str`
            // (see the `Equivalent` impl below) without allocating.
            Value::String(s) => (**s).hash(state),
            // A list or map being changed (`$m.put($m, 1)`) hashes as empty.
            Value::List(l) => l.try_borrow().map_or(0, |l| l.len()).hash(state),
            Value::Map(m) => m.try_borrow().map_or(0, |m| m.len()).hash(state),
            Value::Object(o) => std::ptr::hash(Rc::as_ptr(o) as *const u8, state),
        }
    }
}

impl indexmap::Equivalent<Value> for str {
    fn equivalent(&self, key: &Value) -> bool {
        key.as_str().is_some_and(|k| same_name(k, self))
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(Arc::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(Arc::from(s))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Value {
        Value::Int(i.into())
    }
}

impl From<usize> for Value {
    fn from(i: usize) -> Value {
        Value::Int(i64::try_from(i).unwrap_or(i64::MAX))
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::list(items)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Value {
        o.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_three_words_and_options_of_it_too() {
        // The tag's unused values are still a niche: `Option<Value>` and
        // `Result<Value, _>` cost no extra word.
        assert_eq!(std::mem::size_of::<Value>(), 24);
        assert_eq!(std::mem::size_of::<Option<Value>>(), 24);
    }

    #[test]
    fn java_to_string() {
        let m = Value::map([
            ("a", Value::Int(1)),
            ("b", Value::list(vec![Value::Float(2.0), Value::Null])),
        ]);
        assert_eq!(m.to_string(), "{a=1, b=[2.0, null]}");
    }

    #[test]
    fn maps_are_queried_by_str() {
        let m = Value::map([("k", Value::Int(1))]);
        let Value::Map(m) = &m else { unreachable!() };
        assert!(m.borrow().get("k").is_some());
        assert!(m.borrow().get("x").is_none());
    }

    #[test]
    fn self_containing_list_renders_like_java() {
        let l = Value::list(vec![]);
        if let Value::List(inner) = &l {
            inner.borrow_mut().push(l.clone());
        }
        assert_eq!(l.to_string(), "[(this Collection)]");
        // Break the cycle so the test does not leak.
        if let Value::List(inner) = &l {
            inner.borrow_mut().clear();
        }
    }
}
