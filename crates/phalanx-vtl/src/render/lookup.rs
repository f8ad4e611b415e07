//! How a name is resolved: the only place that says which value `$name`
//! (and `$name.a.b`) stands for, and where `#set($name = …)` puts one.
//!
//! A root name is bound, first to last, by
//! 1. the macro calls in progress, innermost first, then each caller's:
//!    a value `#set` gave a parameter, `$bodyContent`, a parameter (its
//!    argument, evaluated by name in the caller's frame);
//! 2. the `#foreach` loops in progress, innermost first: a value `#set`
//!    gave a name the loop binds, the loop variable (null, whatever was
//!    set, while Velocity's null holder is on), and for the innermost loop
//!    `$foreach`, `$velocityCount` and `$velocityHasNext`;
//! 3. the [`Context`].
//!
//! [`Scopes::with_binding`] answers that without evaluating anything, and
//! hands the bound value to a closure by reference; [`Scopes::with_resolved`]
//! goes on from the root through properties of maps and host objects by
//! reference too (so a string can be written from where it is kept);
//! [`Renderer::lookup`] is the owned form, which also evaluates a macro
//! argument. The renderer's paths all start here.

use super::FAST_PATHS;
use super::foreach::Loop;
use super::fuel::{built_units, size_units};
use super::macros::Frame;
use super::{Context, Renderer};
use crate::compiler::ast::{Accessor, Reference, name_hash};
use crate::error::{Error, Span};
use crate::render::ForeachScope;
use crate::value::{Value, same_name};
use indexmap::map::RawEntryApiV1;
use std::rc::Rc;

/// A name's bit in [`Scopes::loop_names`]: one of 64, chosen by the top
/// bits of its hash.
#[inline]
pub(super) fn loop_name_bit(hash: u64) -> u64 {
    1 << (hash >> 58)
}

/// The `name_hash`es of the names a loop binds besides its variable.
pub(super) struct SpecialNames {
    pub foreach: u64,
    pub velocity_count: u64,
    pub velocity_has_next: u64,
}

pub(super) static SPECIAL_NAMES: std::sync::LazyLock<SpecialNames> =
    std::sync::LazyLock::new(|| SpecialNames {
        foreach: name_hash("foreach"),
        velocity_count: name_hash("velocityCount"),
        velocity_has_next: name_hash("velocityHasNext"),
    });

/// Everything that binds names during a render: the context, the macro
/// calls and the loops in progress. Apart from the rest of the renderer so
/// that a value found here can be read while the output is written.
pub(super) struct Scopes<'a> {
    pub ctx: &'a mut Context,
    /// The macro calls in progress (see [`Frame`]).
    pub frames: Vec<Frame>,
    /// The frame the renderer is in (`None`: top level).
    pub current: Option<usize>,
    /// The id of the next macro call's frame.
    pub next_frame_id: u64,
    /// The `#foreach` loops in progress, innermost last.
    pub loops: Vec<Loop>,
    /// A bit (see [`loop_name_bit`]) for each name the loops in progress
    /// may bind: their variables, and `foreach`, `velocityCount` and
    /// `velocityHasNext` while any loop runs. A name whose bit is clear is
    /// bound by no loop, so looking it up skips the loops altogether
    /// (`$input` and `$util` inside a loop go straight to the context).
    pub loop_names: u64,
}

/// What a macro call binds a name to (besides an [`Argument`]).
pub(super) enum Binding<'s> {
    /// A value `#set` gave a parameter.
    Kept(&'s Value),
    /// `$bodyContent`, made for this lookup.
    Made(Value),
}

/// A macro parameter: argument `position` of the call in `frame`, to
/// evaluate in its caller's frame ([`Renderer::argument_value`]).
pub(super) struct Argument {
    pub frame: usize,
    pub position: usize,
}

impl Binding<'_> {
    /// Calls `f` with the bound value.
    #[inline(always)]
    fn with<T>(self, f: impl FnOnce(&Value) -> T) -> T {
        match self {
            Binding::Kept(v) => f(v),
            Binding::Made(v) => f(&v),
        }
    }
}

impl Scopes<'_> {
    /// Calls `f` with what `name` (`hash` is its `name_hash`) is bound to
    /// here, by reference; `Err` when it is a macro argument, which must be
    /// evaluated ([`Renderer::lookup`] does).
    // Inlined, and no `Binding` made on the way for a name only the
    // context binds: every reference starts here (about 80 times in a
    // render of the benchmark's envelope template), most at top level.
    #[inline(always)]
    pub(super) fn with_binding<T>(
        &self,
        name: &str,
        hash: u64,
        f: impl FnOnce(&Value) -> T,
    ) -> Result<T, Argument> {
        if self.current.is_some()
            && let Some(binding) = self.resolve_in_macros(name)
        {
            return binding.map(|b| b.with(f));
        }
        Ok(self.with_binding_outside_macros(name, hash, f))
    }

    /// What the macro calls in progress bind `name` to, if anything.
    #[inline(never)]
    fn resolve_in_macros(&self, name: &str) -> Option<Result<Binding<'_>, Argument>> {
        let mut frame = self.current;
        while let Some(i) = frame {
            let f = &self.frames[i];
            if let Some((_, v)) = f.overrides.iter().find(|(n, _)| same_name(n, name)) {
                return Some(Ok(Binding::Kept(v)));
            }
            if name == "bodyContent"
                && let Some(body) = &f.body
            {
                return Some(Ok(Binding::Made(self.body_content(f, body))));
            }
            // A parameter the call gave no argument for is not bound:
            // Velocity looks it up as any other name.
            if let Some(position) = f.def.def.params.iter().position(|p| **p == *name)
                && position < f.args.len()
            {
                return Some(Err(Argument { frame: i, position }));
            }
            // Not bound here: Velocity 1.7 looks in the context the macro
            // was called from, which sees that caller's parameters and
            // `$bodyContent` too (a macro called inside another sees them).
            frame = f.caller;
        }
        None
    }

    /// [`Scopes::with_binding`] for the loops in progress and the context
    /// alone.
    #[inline(always)]
    pub(super) fn with_binding_outside_macros<T>(
        &self,
        name: &str,
        hash: u64,
        f: impl FnOnce(&Value) -> T,
    ) -> T {
        let f = if self.may_be_loop_bound(hash) {
            match self.with_loop_binding(name, hash, f) {
                Ok(found) => return found,
                Err(f) => f,
            }
        } else {
            f
        };
        match self.ctx.get_hashed(name, hash) {
            Some(v) => f(v),
            None => f(&Value::Null),
        }
    }

    /// Whether a loop in progress may bind the name of this hash (false:
    /// certainly not).
    #[inline]
    fn may_be_loop_bound(&self, hash: u64) -> bool {
        self.loop_names & loop_name_bit(hash) != 0
    }

    /// Calls `f` with the value a loop in progress binds `name` to: its
    /// variable, or for the innermost loop `$foreach`, `$velocityCount`
    /// and `$velocityHasNext`; gives `f` back when no loop binds it. (A
    /// closure, not a value returned: the value is read where it is kept.)
    #[inline]
    fn with_loop_binding<T, F: FnOnce(&Value) -> T>(
        &self,
        name: &str,
        hash: u64,
        f: F,
    ) -> Result<T, F> {
        let Some(innermost) = self.loops.len().checked_sub(1) else {
            return Err(f);
        };
        let is_var = |l: &Loop| l.var_hash == hash && same_name(&l.var, name);
        if let Some(pos) = self
            .loops
            .iter()
            .position(|l| l.null_holder && l.item.is_null() && is_var(l))
        {
            // A macro called from the null item keeps what its body sets
            // (an inner loop over the name too) in a context of its own,
            // which is read before the holder.
            let frame = self.loops[pos].frame;
            if !self.loops[pos + 1..]
                .iter()
                .any(|l| *l.var == *name && l.frame != frame)
            {
                return Ok(f(&Value::Null));
            }
        }
        for (depth, l) in self.loops.iter().enumerate().rev() {
            if let Some((_, v)) = l.overrides.iter().find(|(n, _)| same_name(n, name)) {
                return Ok(f(v));
            }
            if is_var(l) {
                return Ok(f(&l.item));
            }
            // Compared by hash first: this runs for every name a template
            // looks up inside a loop.
            if depth == innermost {
                let special = &*SPECIAL_NAMES;
                if hash == special.foreach && name == "foreach" {
                    return Ok(f(&Value::Object(l.scope.clone())));
                }
                if hash == special.velocity_count && name == "velocityCount" {
                    return Ok(f(&Value::from(l.scope.index.get() + 1)));
                }
                if hash == special.velocity_has_next && name == "velocityHasNext" {
                    return Ok(f(&Value::Bool(l.scope.has_next.get())));
                }
            }
        }
        Err(f)
    }

    /// The innermost loop's `$foreach` when nothing else can bind the
    /// name `foreach` (no macro call in progress, no loop over a variable
    /// of that name, no `#set` in the innermost loop): what [`with_binding`]
    /// gives then, found sooner, for `$foreach.hasNext` (`.index`, …,
    /// recognised at compile time: `Reference::loop_position`), which runs
    /// on every iteration.
    ///
    /// [`with_binding`]: Scopes::with_binding
    #[inline]
    fn innermost_foreach(&self) -> Option<&Rc<ForeachScope>> {
        let innermost = self.loops.last()?;
        let foreach = SPECIAL_NAMES.foreach;
        (self.current.is_none()
            && innermost.overrides.is_empty()
            && !self
                .loops
                .iter()
                .any(|l| l.var_hash == foreach && *l.var == *"foreach"))
        .then_some(&innermost.scope)
    }

    /// Resolves `r`'s root and follows its properties by reference as far
    /// as they are properties of maps and host objects (see
    /// [`walk_properties`]), then calls `f` with the value reached and the
    /// accessors left. `None` when the root is a macro argument, which
    /// must be evaluated first. `units` adds up the fuel the properties
    /// read cost, as `access` would charge them, for the caller to charge.
    #[inline(always)]
    pub(super) fn with_resolved<T>(
        &self,
        r: &Reference,
        units: &mut u64,
        f: impl FnOnce(&Value, &[Accessor]) -> T,
    ) -> Option<T> {
        if FAST_PATHS
            && let Some(position) = r.loop_position
            && let Some(scope) = self.innermost_foreach()
        {
            // `loop_position` is only set for one property accessor.
            return Some(f(
                &scope.position(position),
                r.accessors.get(1..).unwrap_or_default(),
            ));
        }
        self.with_binding(&r.root, r.root_hash, |root| {
            walk_properties(root, &r.accessors, units, f)
        })
        .ok()
    }

    /// `#set($name = value)` on a root name (`hash` is its `name_hash`).
    ///
    /// Velocity 1.7 (`velocimacro.context.localscope = false`): a macro's
    /// context puts the value in its own scope *and* in the context it was
    /// called from, up to the global one, so `#macro(m $p)#set($p = 1)#end`
    /// changes `$p` after the call too. Only a parameter's value can differ
    /// from the global one, so each frame on the way that has such a
    /// parameter records it; the value then goes on to the context.
    pub(super) fn assign(&mut self, name: &str, hash: u64, value: Value) {
        let mut frame = self.current;
        while let Some(i) = frame {
            let f = &mut self.frames[i];
            if f.def.def.params.iter().any(|p| **p == *name) {
                match f.overrides.iter_mut().find(|(n, _)| same_name(n, name)) {
                    Some(slot) => slot.1 = value.clone(),
                    None => f.overrides.push((name.into(), value.clone())),
                }
            }
            frame = f.caller;
        }
        // A name a loop binds is overridden until the loop's next iteration.
        let innermost = self.loops.len().saturating_sub(1);
        let special = matches!(name, "foreach" | "velocityCount" | "velocityHasNext");
        for (depth, l) in self.loops.iter_mut().enumerate().rev() {
            if *l.var == *name || (special && depth == innermost) {
                match l.overrides.iter_mut().find(|(n, _)| same_name(n, name)) {
                    Some(slot) => slot.1 = value,
                    None => l.overrides.push((name.into(), value)),
                }
                return;
            }
        }
        self.ctx.set_hashed(name, hash, value);
    }
}

impl Renderer<'_> {
    /// The value a root name is bound to, owned: a macro argument is
    /// evaluated.
    pub(super) fn lookup(&mut self, name: &str, hash: u64, span: Span) -> Result<Value, Error> {
        match self.scopes.with_binding(name, hash, Value::clone) {
            Ok(value) => Ok(value),
            Err(arg) => self.argument_value(arg, span),
        }
    }
}

/// Follows `accessors` from `value` by reference while they are properties
/// of maps (read inside the maps' borrows) and of host objects (the
/// object's `property`, as `Renderer::access` reads it), then calls `f`
/// with the value reached and the accessors left. A null on the way ends
/// the walk with null, as a missing key or property does, as the owned
/// walk (`access`) would. `units` adds up the fuel the properties cost as
/// `access` charges them. With the fast paths off, walks nothing.
#[inline(always)]
pub(super) fn walk_properties<T>(
    value: &Value,
    accessors: &[Accessor],
    units: &mut u64,
    f: impl FnOnce(&Value, &[Accessor]) -> T,
) -> T {
    match accessors.first() {
        Some(Accessor::Property { .. }) if FAST_PATHS => {
            walk_property_chain(value, accessors, units, f)
        }
        _ => f(value, accessors),
    }
}

/// [`walk_properties`] from a property on.
fn walk_property_chain<T>(
    value: &Value,
    accessors: &[Accessor],
    units: &mut u64,
    f: impl FnOnce(&Value, &[Accessor]) -> T,
) -> T {
    let Some((Accessor::Property { name, hash, .. }, rest)) = accessors.split_first() else {
        return f(value, accessors);
    };
    match value {
        Value::Map(m) => {
            let Ok(map) = m.try_borrow() else {
                return f(value, accessors);
            };
            match map
                .raw_entry_v1()
                .from_hash(*hash, |k| k.as_str().is_some_and(|k| same_name(k, name)))
            {
                Some((_, child)) => {
                    // `access` charges what it clones out of a map.
                    *units = units.saturating_add(size_units(child));
                    walk_properties(child, rest, units, f)
                }
                None => f(&Value::Null, rest),
            }
        }
        Value::Object(o) => {
            // As `access` reads it: a property the object lacks is null.
            let child = o.property(name).unwrap_or_default();
            *units = units.saturating_add(built_units(&child));
            walk_properties(&child, rest, units, f)
        }
        _ => f(value, accessors),
    }
}
