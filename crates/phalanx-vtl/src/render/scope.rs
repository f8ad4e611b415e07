//! `$foreach`: the loop object Velocity 1.7 exposes with
//! `foreach.provide.scope.control`.

use crate::compiler::ast::LoopPosition;
use crate::value::{MethodError, Object, Value};
use std::cell::Cell;

/// The state of one `#foreach` loop, updated before each iteration.
pub(crate) struct ForeachScope {
    pub index: Cell<usize>,
    pub has_next: Cell<bool>,
    pub parent: Value,
}

impl ForeachScope {
    /// The loop's position as `$foreach.index` (`.count`, …) reads it.
    pub(crate) fn position(&self, position: LoopPosition) -> Value {
        let i = self.index.get();
        match position {
            LoopPosition::Index => i.into(),
            LoopPosition::Count => (i + 1).into(),
            LoopPosition::HasNext => self.has_next.get().into(),
            LoopPosition::First => (i == 0).into(),
            LoopPosition::Last => (!self.has_next.get()).into(),
        }
    }

    /// A property of the loop: its position (`index`, `hasNext`, …) or
    /// the enclosing loop's scope (`parent`).
    pub(crate) fn get(&self, name: &str) -> Option<Value> {
        match name {
            "parent" => Some(self.parent.clone()),
            _ => LoopPosition::named(name).map(|p| self.position(p)),
        }
    }
}

impl Object for ForeachScope {
    fn type_name(&self) -> &str {
        "ForeachScope"
    }

    fn property(&self, name: &str) -> Option<Value> {
        self.get(name)
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, MethodError> {
        let property = match (method, args) {
            ("getIndex", []) => "index",
            ("getCount", []) => "count",
            ("hasNext", []) => "hasNext",
            ("isFirst", []) => "first",
            ("isLast", []) => "last",
            ("getParent", []) => "parent",
            _ => return Err(MethodError::NotFound),
        };
        self.get(property).ok_or(MethodError::NotFound)
    }

    /// Velocity 1.7's `Scope` is an `AbstractMap` of the values put in it
    /// (none here), so `$foreach` prints as an empty map.
    fn render(&self) -> String {
        "{}".into()
    }
}
