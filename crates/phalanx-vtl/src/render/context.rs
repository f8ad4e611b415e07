//! The variables a template sees.

use crate::compiler::ast::name_hash;
use crate::error::{Error, ErrorKind};
use crate::value::{Value, same_name};
use hashbrown::HashTable;
use std::borrow::Cow;

/// A variable name known at compile time, with its hash: see
/// [`Context::insert_name`]. (The hash is the process's own, so a `Name` is
/// made at run time, e.g. in a `LazyLock`.)
#[derive(Debug, Clone, Copy)]
pub struct Name {
    text: &'static str,
    hash: u64,
}

impl Name {
    /// The name `text`, hashed now rather than on every insert.
    pub fn new(text: &'static str) -> Name {
        Name {
            text,
            hash: name_hash(text),
        }
    }
}

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
    // A raw table keyed by `name_hash`: a compiled template knows the hash
    // of every name it looks up, so a render never hashes a name.
    // Names a host inserts on every render are usually literals: `Cow`
    // keeps them unallocated.
    vars: HashTable<(Cow<'static, str>, Value)>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Context {
        Context::default()
    }

    /// An empty context with room for `n` variables (hosts that insert the
    /// same few objects on every render save the table's regrowth).
    pub fn with_capacity(n: usize) -> Context {
        Context {
            vars: HashTable::with_capacity(n),
        }
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
        self.set_hashed(name, name_hash(name), value)
    }

    /// Sets a variable by its `name_hash`; the name is copied only when
    /// the variable is new (`#set` mostly changes variables already set).
    pub(crate) fn set_hashed(&mut self, name: &str, hash: u64, value: Value) -> Option<Value> {
        match self.replace_existing(name, hash, value) {
            Ok(previous) => Some(previous),
            Err(value) => {
                self.insert_new(Cow::Owned(name.to_string()), hash, value);
                None
            }
        }
    }

    /// [`Context::insert`] for a name known at compile time; the name is
    /// not copied.
    ///
    /// ```
    /// use phalanx_vtl::{Context, Value};
    /// let mut ctx = Context::new();
    /// ctx.insert_static("answer", Value::Int(42));
    /// assert_eq!(ctx.get("answer"), Some(&Value::Int(42)));
    /// ```
    pub fn insert_static(&mut self, name: &'static str, value: Value) -> Option<Value> {
        self.insert_cow(Cow::Borrowed(name), value)
    }

    /// [`Context::insert_static`] with the name's hash computed once, in
    /// [`Name::new`], for hosts that insert the same names on every render.
    ///
    /// ```
    /// use phalanx_vtl::{Context, Name, Value};
    /// use std::sync::LazyLock;
    /// static ANSWER: LazyLock<Name> = LazyLock::new(|| Name::new("answer"));
    /// let mut ctx = Context::with_capacity(1);
    /// ctx.insert_name(&ANSWER, Value::Int(42));
    /// assert_eq!(ctx.get("answer"), Some(&Value::Int(42)));
    /// ```
    pub fn insert_name(&mut self, name: &Name, value: Value) -> Option<Value> {
        self.insert_hashed(Cow::Borrowed(name.text), name.hash, value)
    }

    fn insert_cow(&mut self, name: Cow<'static, str>, value: Value) -> Option<Value> {
        let hash = name_hash(&name);
        self.insert_hashed(name, hash, value)
    }

    fn insert_hashed(&mut self, name: Cow<'static, str>, hash: u64, value: Value) -> Option<Value> {
        match self.replace_existing(&name, hash, value) {
            Ok(previous) => Some(previous),
            Err(value) => {
                self.insert_new(name, hash, value);
                None
            }
        }
    }

    /// Replaces the value of a variable that is set, returning the previous
    /// one; `Err` gives `value` back when the variable is not set. (In place:
    /// its key is not made again.)
    fn replace_existing(&mut self, name: &str, hash: u64, value: Value) -> Result<Value, Value> {
        match self.vars.find_mut(hash, |(k, _)| same_name(k, name)) {
            Some((_, slot)) => Ok(std::mem::replace(slot, value)),
            None => Err(value),
        }
    }

    /// Adds a variable known not to be set.
    fn insert_new(&mut self, name: Cow<'static, str>, hash: u64, value: Value) {
        self.vars
            .insert_unique(hash, (name, value), |(k, _)| name_hash(k));
    }

    /// Looks a variable up.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.get_hashed(name, name_hash(name))
    }

    /// Looks a variable up by the hash `name_hash` gives for it.
    #[inline]
    pub(crate) fn get_hashed(&self, name: &str, hash: u64) -> Option<&Value> {
        self.vars
            .find(hash, |(k, _)| same_name(k, name))
            .map(|(_, v)| v)
    }

    /// Removes a variable, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let entry = self
            .vars
            .find_entry(name_hash(name), |(k, _)| same_name(k, name))
            .ok()?;
        Some(entry.remove().0.1)
    }

    /// True if the variable is set.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The variable names, in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.vars.iter().map(|(k, _)| &**k)
    }
}
