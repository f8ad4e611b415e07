//! Bounds on walking nested lists and maps (Java's `equals`, `hashCode`,
//! `toString`, conversion to JSON, and dropping them).
//!
//! A template can build values no JSON context has: nested deeper than any
//! stack allows (`#set($a = [$a])` in a loop), cycles (`$a.add($b)`,
//! `$b.add($a)`), and lists that share a sub-list (`#set($a = [$a, $a])` forty
//! times), whose walk doubles with each level. Java answers the first two
//! with StackOverflowError and spins on the third. Here every walk is bounded
//! in depth ([`MAX_DEPTH`]) and counts its steps on a per-thread meter; a
//! render caps the meter at its fuel and charges the steps it takes as fuel
//! (see `Renderer::burn`), so a walk stops when the render could not pay for it.

use super::KeyHasher;
use super::{Object, Value};
use indexmap::IndexMap;
use rustc_hash::FxHashSet;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// How deep a walk goes into lists and maps nested in each other before it
/// gives up (as Java's stack would). JSON contexts nest at most 128 deep
/// (serde_json's recursion limit), so they are never cut short.
pub(crate) const MAX_DEPTH: usize = 256;

thread_local! {
    /// Lists and maps the walks in progress on this thread are inside.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// Steps taken by walks on this thread, ever.
    static STEPS: Cell<u64> = const { Cell::new(0) };
    /// `STEPS` may not pass this (set by [`metered`]).
    static CAP: Cell<u64> = const { Cell::new(u64::MAX) };
}

/// Being inside one list or map during a walk.
pub(crate) struct Level(());

impl Level {
    /// Enters a list or map, counting a step; `None` (and the walk stops)
    /// when that would go deeper than [`MAX_DEPTH`] or past the step cap.
    pub(crate) fn enter() -> Option<Level> {
        let depth = DEPTH.get();
        if depth >= MAX_DEPTH || !step() {
            return None;
        }
        DEPTH.set(depth + 1);
        Some(Level(()))
    }
}

impl Drop for Level {
    fn drop(&mut self) {
        DEPTH.set(DEPTH.get().saturating_sub(1));
    }
}

/// Counts one step (an item of a list or map visited). False once the
/// cap is passed: the walk must stop.
pub(crate) fn step() -> bool {
    step_n(1)
}

/// Counts `n` steps; false once the cap is passed.
pub(crate) fn step_n(n: u64) -> bool {
    let steps = STEPS.get().saturating_add(n);
    STEPS.set(steps);
    steps <= CAP.get()
}

/// The steps taken on this thread so far.
pub(crate) fn steps() -> u64 {
    STEPS.get()
}

/// Runs `f` with walks capped at `budget` more steps (and any cap already
/// in force); the cap is lifted when `f` returns (or unwinds).
pub(crate) fn metered<R>(budget: u64, f: impl FnOnce() -> R) -> R {
    struct Restore(u64);
    impl Drop for Restore {
        fn drop(&mut self) {
            CAP.set(self.0);
        }
    }
    let outer = CAP.get();
    let _restore = Restore(outer);
    CAP.set(STEPS.get().saturating_add(budget).min(outer));
    f()
}

/// Whether `item` is, or holds, the list or map `container` (through
/// lists, maps, and the objects that hold values: map views and entries,
/// `$foreach`). Putting it in would make a reference cycle, which Java's
/// garbage collector frees but reference counting never does: every render
/// that made one would leak it, so the methods that add to a list or map
/// refuse to (see `methods::refuse_cycle`).
///
/// The walk is a loop (no recursion), visits each list, map and object
/// once, and counts a step per item it looks at.
pub(crate) fn holds(item: &Value, container: *const ()) -> bool {
    if !matches!(item, Value::List(_) | Value::Map(_) | Value::Object(_)) {
        return false;
    }
    let mut seen: FxHashSet<*const ()> = FxHashSet::default();
    let mut todo: Vec<Value> = vec![item.clone()];
    while let Some(v) = todo.pop() {
        let id = match &v {
            Value::List(l) => Rc::as_ptr(l) as *const (),
            Value::Map(m) => Rc::as_ptr(m) as *const (),
            Value::Object(o) => Rc::as_ptr(o) as *const (),
            _ => continue,
        };
        if id == container {
            return true;
        }
        if !seen.insert(id) {
            continue;
        }
        let holds_values =
            |v: &&Value| matches!(v, Value::List(_) | Value::Map(_) | Value::Object(_));
        let counted = match &v {
            Value::List(l) => l.try_borrow().map_or(0, |l| {
                todo.extend(l.iter().filter(holds_values).cloned());
                l.len()
            }),
            Value::Map(m) => m.try_borrow().map_or(0, |m| {
                todo.extend(m.keys().chain(m.values()).filter(holds_values).cloned());
                m.len()
            }),
            Value::Object(o) => {
                let held = super::methods::values_held_by(o.as_ref());
                let n = held.len();
                todo.extend(held);
                n
            }
            _ => 0,
        };
        // Out of fuel: the render fails at its next step anyway.
        if !step_n(1 + counted as u64) {
            return true;
        }
    }
    false
}

/// What a list or map held when the last reference to it was dropped.
/// (Never read: they exist to be dropped.)
#[allow(dead_code)]
enum Orphans {
    List(Vec<Value>),
    Map(IndexMap<Value, Value, KeyHasher>),
    /// A host object (or a `$foreach`, a map entry, …), which may hold values.
    Object(Rc<dyn Object>),
}

/// What a dropped object reference is swapped for.
struct Dropped;

impl Object for Dropped {
    fn type_name(&self) -> &str {
        "Dropped"
    }
}

thread_local! {
    /// `Some` while a drop on this thread is emptying nested lists, maps and
    /// objects: what they held waits here instead of being dropped recursively.
    static ORPHANS: RefCell<Option<Vec<Orphans>>> = const { RefCell::new(None) };
    static DROPPED: Rc<dyn Object> = Rc::new(Dropped);
}

/// Dropping a list, map or object drops what it holds, which would recurse
/// as deep as the value is nested: `#set($a = [$a])` a million times (or a
/// chain of a million `$foreach.parent`s) would overflow the stack when the
/// context is dropped. Instead, the drop of the last reference to a list,
/// map or object takes what it holds; the outermost such drop on the thread
/// drops that, and what is taken by the drops that causes is queued and
/// dropped in a loop, so the stack stays flat.
impl Drop for Value {
    #[inline]
    fn drop(&mut self) {
        // Only the last reference to a list, map or object can have anything
        // to hand over; every other value drops as usual. Kept inline and
        // tiny: values are dropped on every step of a render.
        let last = match self {
            Value::List(l) => Rc::strong_count(l) == 1,
            Value::Map(m) => Rc::strong_count(m) == 1,
            Value::Object(o) => Rc::strong_count(o) == 1,
            _ => false,
        };
        if last {
            drop_last(self);
        }
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::List(_) | Value::Map(_) | Value::Object(_))
}

/// The slow path of `Value`'s drop: empties a list, map or object held by
/// its last reference without recursing.
#[cold]
#[inline(never)]
fn drop_last(value: &mut Value) {
    {
        let orphans = match value {
            // A list or map of scalars drops only one level deep: the
            // ordinary drop is safe and much cheaper than the queue.
            Value::List(l) if Rc::strong_count(l) == 1 => match l.try_borrow_mut() {
                Ok(mut items) if !items.iter().all(is_scalar) => {
                    Orphans::List(std::mem::take(&mut *items))
                }
                _ => return,
            },
            Value::Map(m) if Rc::strong_count(m) == 1 => match m.try_borrow_mut() {
                Ok(mut entries) if !entries.iter().all(|(k, v)| is_scalar(k) && is_scalar(v)) => {
                    Orphans::Map(std::mem::take(&mut *entries))
                }
                _ => return,
            },
            Value::Object(o) if Rc::strong_count(o) == 1 => match DROPPED.try_with(Rc::clone) {
                Ok(dropped) => Orphans::Object(std::mem::replace(o, dropped)),
                Err(_) => return,
            },
            _ => return,
        };
        // Queue them if an outer drop is emptying the queue (or if the
        // thread is shutting down, drop them here, recursively).
        let first = ORPHANS.try_with(|queue| match &mut *queue.borrow_mut() {
            Some(queue) => {
                queue.push(orphans);
                None
            }
            slot @ None => {
                *slot = Some(Vec::new());
                Some(orphans)
            }
        });
        let Ok(Some(first)) = first else { return };

        /// Ends the outermost drop, even if a host object's drop panics.
        struct Outermost;
        impl Drop for Outermost {
            fn drop(&mut self) {
                // Whatever is left is dropped after the queue is closed.
                let _left = ORPHANS.try_with(|queue| queue.borrow_mut().take());
            }
        }
        let _outermost = Outermost;
        drop(first);
        while let Ok(Some(next)) =
            ORPHANS.try_with(|queue| queue.borrow_mut().as_mut().and_then(Vec::pop))
        {
            drop(next);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_is_bounded_and_restored() {
        let levels: Vec<Level> = std::iter::from_fn(Level::enter)
            .take(MAX_DEPTH + 10)
            .collect();
        assert_eq!(levels.len(), MAX_DEPTH);
        drop(levels);
        assert!(Level::enter().is_some());
    }

    #[test]
    fn the_cap_stops_walks_and_is_lifted() {
        metered(3, || {
            assert!(step() && step() && step());
            assert!(!step());
            assert!(Level::enter().is_none());
        });
        assert!(step());
    }

    /// `[[…[x]…]]`, `depth` lists deep.
    fn nested(depth: usize, x: Value) -> Value {
        (0..depth).fold(x, |v, _| Value::list(vec![v]))
    }

    #[test]
    fn walks_over_cycles_a_host_made_stop() {
        // Templates cannot make cycles (`holds`), but a host can.
        let (a, b) = (Value::list(Vec::new()), Value::list(Vec::new()));
        for v in [&a, &b] {
            if let Value::List(l) = v {
                l.borrow_mut().push(Value::list(vec![v.clone()]));
            }
        }
        assert!(!a.java_equals(&b));
        assert!(a.try_render_into(&mut String::new()).is_err());
        assert!(super::super::call_method(&a, "hashCode", &[]).is_err());
        assert!(a.to_json().to_string().contains("null"));
        let Value::List(l) = &a else { unreachable!() };
        assert!(holds(&a, Rc::as_ptr(l) as *const ()));
        // Break the cycles so the test does not leak.
        for v in [&a, &b] {
            if let Value::List(l) = v {
                l.borrow_mut().clear();
            }
        }
    }

    #[test]
    fn walks_stop_at_the_depth_limit() {
        let deep = nested(MAX_DEPTH + 1, Value::Int(1));
        let same = nested(MAX_DEPTH + 1, Value::Int(1));
        assert!(!deep.java_equals(&same));
        assert!(deep.try_render_into(&mut String::new()).is_err());
        let shallow = nested(MAX_DEPTH - 1, Value::Int(1));
        assert!(shallow.java_equals(&nested(MAX_DEPTH - 1, Value::Int(1))));
        assert!(shallow.try_render_into(&mut String::new()).is_ok());
    }

    #[test]
    fn dropping_a_deeply_nested_value_does_not_overflow_the_stack() {
        struct Holder(#[allow(dead_code)] Value);
        impl Object for Holder {
            fn type_name(&self) -> &str {
                "Holder"
            }
        }
        // A small stack, like a worker thread's.
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let mut v = Value::list(Vec::new());
                for i in 0..1_000_000 {
                    v = match i % 3 {
                        0 => Value::list(vec![v]),
                        1 => Value::map([("k", v)]),
                        _ => Value::object(Holder(v)),
                    };
                }
                drop(v);
            })
            .unwrap()
            .join()
            .unwrap();
    }
}
