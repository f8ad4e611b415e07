//! `#foreach`: the loops in progress ([`Loop`]), the items they walk
//! ([`LiveItems`], live as Java's iterators are), and the `$foreach` object
//! ([`ForeachScope`]) Velocity 1.7 exposes with
//! `foreach.provide.scope.control`. How a name a loop binds is looked up
//! is `lookup.rs`'s.

use super::fuel::SIZE_UNIT;
use super::lookup::{SPECIAL_NAMES, Scopes, loop_name_bit};
use super::{Flow, Rendered, Renderer};
use crate::compiler::ast::{Foreach, LoopPosition};
use crate::value::{MethodError, Object, Value, ViewItem, map_value_at, map_view};
use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

/// A `#foreach` in progress. Velocity keeps the loop variable, `$foreach`,
/// `$velocityCount` and `$velocityHasNext` in the context and restores them
/// after the loop; keeping them here instead gives the same lookups without
/// touching the context's hash table on every iteration.
pub(super) struct Loop {
    pub var: Arc<str>,
    /// `var`'s `name_hash`: most lookups in a loop are of other names, and
    /// comparing hashes rejects them at once.
    pub var_hash: u64,
    /// The current item (null when the item is null: the variable is then
    /// undefined, as Velocity removes it).
    pub item: Value,
    pub scope: Rc<ForeachScope>,
    /// Values `#set` gave to the loop's names during this iteration.
    pub overrides: Vec<(Box<str>, Value)>,
    /// Velocity 1.7 renders the body of a null item through a
    /// `NullHolderContext` whose reads of the loop variable give null, even
    /// after a `#set` or inside an inner loop over the same name, until
    /// something removes the variable (an inner loop over it ending). The
    /// holder is made once per loop, so once removed it stays off.
    pub null_holder: bool,
    /// The macro call the loop runs in (its frame id; 0 at top level).
    pub frame: u64,
}

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

impl Renderer<'_> {
    /// `#foreach($var in iterable) body #end`.
    pub(super) fn foreach(&mut self, f: &Foreach) -> Rendered {
        let iterable = self.value(&f.iterable)?;
        // Lists, maps and map views are iterated live, straight from the
        // collection; anything else a host object iterates is copied.
        let mut live = LiveItems::of(&iterable);
        let len = live.len();
        // Walking the items costs as a method call's result does.
        self.burn(len as u64 / SIZE_UNIT, f.span)?;
        if let Some(max) = self.template.limits.max_foreach_iterations
            && len > max
        {
            return Err(self.limit(
                format!(
                    "#foreach over {len} items: more than {max} iterations, the limit per loop"
                ),
                f.span,
            ));
        }
        if len == 0 {
            if matches!(iterable, Value::List(_) | Value::Map(_) | Value::Object(_)) {
                self.scopes.loop_var_removed(&f.var);
            }
            return Ok(Flow::Normal);
        }
        let scope = self.scopes.push_loop(f);
        let mut result = Ok(Flow::Normal);
        for i in 0.. {
            let (item, has_next) = match live.next(i) {
                Ok(Some(next)) => next,
                Ok(None) => break,
                Err(msg) => {
                    result = Err(self.error(msg, f.span));
                    break;
                }
            };
            if let Err(e) = self.tick(f.span) {
                result = Err(e);
                break;
            }
            scope.index.set(i);
            scope.has_next.set(has_next);
            self.scopes.next_item(item);
            match self.block(&f.body) {
                Ok(Flow::Normal) => {}
                Ok(Flow::Break) => break,
                Ok(Flow::Stop) => {
                    result = Ok(Flow::Stop);
                    break;
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        self.scopes.pop_loop(&f.var);
        result
    }
}

/// The loops' side of the names in scope.
impl Scopes<'_> {
    /// Starts a loop over `f.var`; its `$foreach` is the returned scope,
    /// whose `parent` is the `$foreach` around it.
    fn push_loop(&mut self, f: &Foreach) -> Rc<ForeachScope> {
        let parent =
            self.with_binding_outside_macros("foreach", SPECIAL_NAMES.foreach, Value::clone);
        let scope = Rc::new(ForeachScope {
            index: Cell::new(0),
            has_next: Cell::new(false),
            parent,
        });
        let frame = self.current.map_or(0, |i| self.frames[i].id);
        self.loops.push(Loop {
            var_hash: f.var_hash,
            var: f.var.clone(),
            item: Value::Null,
            scope: scope.clone(),
            overrides: Vec::new(),
            null_holder: true,
            frame,
        });
        self.refresh_loop_names();
        scope
    }

    /// The innermost loop moves on to `item`.
    fn next_item(&mut self, item: Value) {
        if let Some(l) = self.loops.last_mut() {
            l.item = item;
            // Velocity 1.7 puts the loop variable, `$velocityCount` and
            // `$velocityHasNext` in the context on every iteration, so a
            // `#set` of them lasts until the next one; `$foreach` is put
            // once per loop, so a `#set` of it lasts the whole loop.
            // (A loop over a variable named `foreach` puts that anew.)
            let keeps_foreach = *l.var != *"foreach";
            l.overrides
                .retain(|(name, _)| keeps_foreach && &**name == "foreach");
        }
    }

    /// The innermost loop, over `var`, ended.
    fn pop_loop(&mut self, var: &str) {
        self.loops.pop();
        self.refresh_loop_names();
        self.loop_var_removed(var);
    }

    /// Recomputes `loop_names` after a loop started or ended.
    fn refresh_loop_names(&mut self) {
        self.loop_names = if self.loops.is_empty() {
            0
        } else {
            let special = &*SPECIAL_NAMES;
            self.loops.iter().fold(
                loop_name_bit(special.foreach)
                    | loop_name_bit(special.velocity_count)
                    | loop_name_bit(special.velocity_has_next),
                |bits, l| bits | loop_name_bit(l.var_hash),
            )
        };
    }

    /// A loop over `var` ended (even one over an empty list): Velocity
    /// removed (or restored) the variable through the contexts around it,
    /// which switches off the null holder of a loop over `var` that is in
    /// a null item.
    fn loop_var_removed(&mut self, var: &str) {
        for l in self
            .loops
            .iter_mut()
            .filter(|l| *l.var == *var && l.item.is_null())
        {
            l.null_holder = false;
        }
    }
}

/// The items of a `#foreach`, read as Java's iterators read them. Over an
/// `ArrayList` or a `LinkedHashMap` they are live: a `set` (or a `put` of
/// an existing key) in the body shows in later items, and a structural
/// change (an item added or removed, seen here as a change of length)
/// makes the next `next()` throw ConcurrentModificationException. Whether
/// there is a next item comes first: an ArrayList's iterator asks
/// `cursor != size`, a LinkedHashMap's whether the entry it last handed
/// out had a successor at that time. The same holds through a map's
/// `keySet()`, `values()` and `entrySet()`. Anything else is iterated as
/// copied.
enum LiveItems {
    List {
        list: crate::value::List,
        len: usize,
    },
    Map {
        map: crate::value::Map,
        item: ViewItem,
        len: usize,
        seen_len: usize,
    },
    Copied(std::vec::IntoIter<Value>),
}

impl LiveItems {
    /// The items of `iterable`: a list, a map (its values) or a map view
    /// read live; what another host object's `iterate` gives, copied; and
    /// nothing for anything else (Velocity 1.7 logs "could not determine
    /// type of iterator" and skips the loop, as for null).
    fn of(iterable: &Value) -> LiveItems {
        match iterable {
            Value::List(list) => LiveItems::List {
                len: list.borrow().len(),
                list: list.clone(),
            },
            Value::Map(map) => {
                let len = map.borrow().len();
                LiveItems::Map {
                    map: map.clone(),
                    item: map_value_at,
                    len,
                    seen_len: len,
                }
            }
            Value::Object(o) => match map_view(iterable) {
                Some((map, item)) => {
                    let len = map.borrow().len();
                    LiveItems::Map {
                        map,
                        item,
                        len,
                        seen_len: len,
                    }
                }
                None => LiveItems::Copied(o.iterate().unwrap_or_default().into_iter()),
            },
            _ => LiveItems::Copied(Vec::new().into_iter()),
        }
    }

    /// How many items the loop starts with.
    fn len(&self) -> usize {
        match self {
            LiveItems::List { len, .. } | LiveItems::Map { len, .. } => *len,
            LiveItems::Copied(items) => items.len(),
        }
    }

    /// Item `i` and whether another follows, `None` at the end, or the
    /// ConcurrentModificationException.
    fn next(&mut self, i: usize) -> Result<Option<(Value, bool)>, &'static str> {
        const CHANGED: &str = "ConcurrentModificationException: the #foreach body added to or removed from the list or map it iterates";
        match self {
            LiveItems::List { list, len } => {
                let list = list.borrow();
                if i == list.len() {
                    return Ok(None);
                }
                if list.len() != *len {
                    return Err(CHANGED);
                }
                Ok(list.get(i).map(|v| (v.clone(), i + 1 != list.len())))
            }
            LiveItems::Map {
                map,
                item,
                len,
                seen_len,
            } => {
                let now = map.borrow().len();
                if i >= *seen_len {
                    return Ok(None);
                }
                if now != *len {
                    return Err(CHANGED);
                }
                *seen_len = now;
                Ok(item(map, i).map(|v| (v, i + 1 < now)))
            }
            LiveItems::Copied(items) => Ok(items.next().map(|v| (v, items.len() > 0))),
        }
    }
}
