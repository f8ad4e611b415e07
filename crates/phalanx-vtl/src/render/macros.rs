//! Macro calls and `#define` blocks: the frames of the calls in progress
//! ([`Frame`]), how an argument is evaluated (by name, in the caller's
//! frame), and the blocks `#define` and `$bodyContent` store
//! ([`DefinedBlock`]). Which frame binds a name is `lookup.rs`'s.

use super::lookup::{Argument, Scopes};
use super::{Flow, Rendered, Renderer};
use crate::compiler::ast::{Block, Expr, MacroCall, Reference};
use crate::engine::Macro;
use crate::error::{Error, SourceRef, Span};
use crate::value::{Object, Value};
use std::cell::Cell;
use std::sync::Arc;

/// A macro call in progress. Arguments are passed by name: each use of a
/// parameter evaluates the caller's expression again, in the caller's frame.
#[derive(Clone)]
pub(super) struct Frame {
    /// Tells this call from a later one at the same depth.
    pub id: u64,
    pub def: Arc<Macro>,
    pub args: Vec<Arc<Expr>>,
    /// Values `#set` inside the macro gave to parameter names.
    pub overrides: Vec<(Box<str>, Value)>,
    /// The frame that was current at the call (`None`: top level).
    pub caller: Option<usize>,
    /// The source the caller's expressions point into.
    pub caller_source: SourceRef,
    /// The body of a block macro call (`#@name() … #end`): `$bodyContent`.
    pub body: Option<Arc<Block>>,
}

/// A `#define` block stored in the context: rendering the reference renders
/// the block.
pub(crate) struct DefinedBlock {
    pub(super) body: Arc<Block>,
    pub(super) source: SourceRef,
    /// How many renders of this block are in progress (it may refer to itself).
    pub(super) depth: Cell<usize>,
    /// The macro calls in progress where the block was made. Velocity's
    /// `Block.Reference` keeps that context: rendering `$block` uses the
    /// current one, but its `toString()` (also used by `+`, `==` and
    /// `#evaluate`) renders with the one it kept, so a `#define` made in a
    /// macro still sees that call's arguments after it returned.
    pub(super) scope: MacroScope,
}

/// A copy of the macro frames up to `current`, to render in later.
pub(super) struct MacroScope {
    frames: Vec<Frame>,
    current: Option<usize>,
}

impl Object for DefinedBlock {
    fn type_name(&self) -> &str {
        "Block.Reference"
    }
}

/// The `#define` block a value holds, if it is one.
pub(super) fn as_defined(value: &Value) -> Option<&DefinedBlock> {
    match value {
        Value::Object(o) => (o.as_ref() as &dyn std::any::Any).downcast_ref::<DefinedBlock>(),
        _ => None,
    }
}

/// Velocity 1.7's default `directive.define.max.depth`.
pub(super) const MAX_DEFINE_DEPTH: usize = 2;

/// How many renders of the `#define` block `value` holds are in progress;
/// `None` when it holds none.
pub(super) fn defined_depth(value: &Value) -> Option<usize> {
    as_defined(value).map(|d| d.depth.get())
}

impl Scopes<'_> {
    /// The macro frames up to `current`, kept for a block made there.
    pub(super) fn macro_scope(&self, current: Option<usize>) -> MacroScope {
        MacroScope {
            frames: current.map_or_else(Vec::new, |i| self.frames[..=i].to_vec()),
            current,
        }
    }

    /// `$bodyContent` in frame `f`: the call's body, rendered in the
    /// caller's frames.
    pub(super) fn body_content(&self, f: &Frame, body: &Arc<Block>) -> Value {
        Value::object(DefinedBlock {
            body: body.clone(),
            source: f.caller_source.clone(),
            depth: Cell::new(0),
            scope: self.macro_scope(f.caller),
        })
    }
}

impl Renderer<'_> {
    /// `#name(args)`: renders the macro's body in a new frame.
    pub(super) fn macro_call(&mut self, call: &MacroCall) -> Rendered {
        let Some(def) = self.template.find_macro(&call.name) else {
            // Velocity 1.7 binds macro calls at render time and writes the
            // call's source text when no macro has that name.
            self.write(&call.literal, call.span)?;
            return Ok(Flow::Normal);
        };
        if self.scopes.frames.len() >= self.template.limits.max_macro_depth {
            return Err(self.limit(
                format!(
                    "macro calls nested deeper than {} (velocimacro.max.depth) in #{}",
                    self.template.limits.max_macro_depth, call.name
                ),
                call.span,
            ));
        }
        let macro_source = def.source.clone();
        self.scopes.next_frame_id += 1;
        self.scopes.frames.push(Frame {
            id: self.scopes.next_frame_id,
            def: def.clone(),
            args: call.args.clone(),
            overrides: Vec::new(),
            caller: self.scopes.current,
            caller_source: self.source.clone(),
            body: call.body.clone(),
        });
        let saved = (
            self.scopes.current,
            std::mem::replace(&mut self.source, macro_source),
        );
        self.scopes.current = Some(self.scopes.frames.len() - 1);
        let flow = self.block(&def.def.body);
        self.scopes.current = saved.0;
        self.source = saved.1;
        self.scopes.frames.pop();
        Ok(match flow? {
            Flow::Stop => Flow::Stop,
            _ => Flow::Normal,
        })
    }

    /// The value of a macro argument: its expression evaluated in the
    /// caller's frame (which may find a
    /// parameter of the caller's caller: the stack grows as needed).
    pub(super) fn argument_value(&mut self, arg: Argument, span: Span) -> Result<Value, Error> {
        let f = &self.scopes.frames[arg.frame];
        let arg = f.args[arg.position].clone();
        let caller = f.caller;
        let caller_source = f.caller_source.clone();
        let saved = (
            self.scopes.current,
            std::mem::replace(&mut self.source, caller_source),
        );
        self.scopes.current = caller;
        self.nest(span)?;
        let v = stacker::maybe_grow(128 * 1024, 1024 * 1024, || self.value(&arg));
        self.nesting -= 1;
        self.scopes.current = saved.0;
        self.source = saved.1;
        v
    }

    /// Runs `f` in the macro frames of `scope`: those still in progress, or
    /// else a copy of them pushed for the time being.
    pub(super) fn in_macro_scope<R>(
        &mut self,
        scope: &MacroScope,
        f: impl FnOnce(&mut Self) -> R,
    ) -> R {
        let saved = self.scopes.current;
        let base = self.scopes.frames.len();
        self.scopes.current = match scope.current {
            Some(i)
                if self.scopes.frames.get(i).map(|f| f.id) != scope.frames.get(i).map(|f| f.id) =>
            {
                self.scopes
                    .frames
                    .extend(scope.frames.iter().cloned().map(|mut f| {
                        f.caller = f.caller.map(|c| c + base);
                        f
                    }));
                Some(base + i)
            }
            current => current,
        };
        let result = f(self);
        self.scopes.frames.truncate(base);
        self.scopes.current = saved;
        result
    }

    /// The text written for a null reference: its source, except that a
    /// macro parameter shows the caller's argument (Velocity substitutes the
    /// argument's tree for the parameter), e.g. `$notincontext.woogie()`.
    pub(super) fn null_literal(&self, r: &Reference) -> String {
        // Velocity 1.7's macro call stores each reference argument under
        // `.literal.$name`, and a null reference looks its own text up there:
        // only a plain `$name` matches, not `$!name`, `${name}` or
        // `$name.x`, and the argument's own text is used as it was written,
        // even if it is itself a parameter of an outer macro.
        // The key is looked up as any name is: where the call gave no
        // argument for it, in the context the macro was called from.
        let plain =
            r.accessors.is_empty() && r.literal.strip_prefix('$').is_some_and(|l| *l == *r.root);
        let mut frame = if plain { self.scopes.current } else { None };
        while let Some(i) = frame {
            let f = &self.scopes.frames[i];
            let arg = f
                .def
                .def
                .params
                .iter()
                .position(|p| **p == *r.root)
                .and_then(|pos| f.args.get(pos));
            match arg.map(|a| &**a) {
                Some(Expr::Reference(arg)) => return arg.literal.to_string(),
                Some(_) => break,
                None => frame = f.caller,
            }
        }
        r.literal.to_string()
    }
}
