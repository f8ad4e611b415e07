//! The evaluator: walks a compiled template's tree against a [`Context`]
//! and writes the output.
//!
//! One file per concern:
//! - this file: the [`Renderer`], statements and how a reference is
//!   written;
//! - `lookup.rs`: how a name is resolved (macro frames, loops, the
//!   context) and where `#set` puts a value — the only place;
//! - `expr.rs`: expressions, conditions, property/method/index access;
//! - `foreach.rs`: `#foreach`, its live items and the `$foreach` object;
//! - `macros.rs`: macro calls and their frames, `#define` blocks;
//! - `fuel.rs`: the [`Limits`] and the meters that enforce them;
//! - `context.rs`: the [`Context`] of variables.

mod context;
mod expr;
mod foreach;
mod fuel;
mod lookup;
mod macros;

pub use context::{Context, Name};
pub(crate) use foreach::ForeachScope;
pub use fuel::Limits;

use crate::compiler::ast::*;
use crate::dialect::Dialect;
use crate::engine::TemplateInner;
use crate::error::{Error, SourceRef, Span};
use crate::value::{MethodError, Value, set_index, set_property, walk};
use lookup::Scopes;
use macros::{DefinedBlock, MAX_DEFINE_DEPTH, as_defined, defined_depth};
use std::cell::Cell;
use std::sync::Arc;

/// Whether the renderer takes its fast paths: shortcuts that give the same
/// answer as the general path, only sooner. Off with the `no-fast-paths`
/// feature, so that `scripts/test.sh` runs the fixtures, the Velocity
/// conformance suite and the differential test through the general paths
/// alone and "the fast path gives the same answer" is a test. They are:
/// - a string a reference reaches written from where it is kept (no clone);
/// - properties of maps and host objects walked by reference
///   (`lookup::walk_properties`), not cloned at each step;
/// - `$foreach.hasNext` (`.index`, …) read from the loop without making
///   the `$foreach` object (`Reference::loop_position`);
/// - a call whose arguments are all literals given the values made at
///   compile time (`Accessor::Method::const_args`);
/// - a plain `$name` argument passed by reference, and a reference in a
///   condition read where its value is kept;
/// - text nodes, strings and integers written without the general
///   statement and value machinery.
pub(crate) const FAST_PATHS: bool = !cfg!(feature = "no-fast-paths");

/// The empty string API Gateway's dialect reads null references as.
static EMPTY: std::sync::LazyLock<Arc<str>> = std::sync::LazyLock::new(|| Arc::from(""));

/// How control leaves a block early.
enum Flow {
    Normal,
    /// `#break`: unwinds to the innermost `#foreach`, macro or `#define`.
    Break,
    /// `#stop`: unwinds the whole render.
    Stop,
}

type Rendered = Result<Flow, Error>;

/// One render of a template: the output so far, the names in scope, the
/// meters.
pub(crate) struct Renderer<'a> {
    template: &'a TemplateInner,
    /// Everything that binds names (see `lookup.rs`).
    scopes: Scopes<'a>,
    out: String,
    source: SourceRef,
    nesting: usize,
    fuel: u64,
    /// `walk::steps()` when fuel was last burnt: the steps walks over lists
    /// and maps took since then are charged as fuel too.
    steps_seen: u64,
    /// Blocks being rendered, one inside the other (through macro calls and
    /// `#evaluate` too): bounded so that the stack is (see `block`).
    blocks: usize,
    /// A `#break` or `#stop` leaving an expression (see [`Renderer::unwind`]).
    unwinding: Option<Flow>,
}

impl<'a> Renderer<'a> {
    pub(crate) fn new(template: &'a TemplateInner, ctx: &'a mut Context) -> Renderer<'a> {
        Renderer {
            fuel: template.limits.fuel,
            steps_seen: walk::steps(),
            blocks: 0,
            source: template.source.clone(),
            template,
            scopes: Scopes {
                ctx,
                frames: Vec::new(),
                current: None,
                next_frame_id: 0,
                loops: Vec::new(),
                loop_names: 0,
            },
            out: String::with_capacity(template.output_hint.get()),
            unwinding: None,
            nesting: 0,
        }
    }

    /// Renders the template's body.
    pub(crate) fn render(mut self) -> Result<String, Error> {
        let template = self.template;
        // No walk over a list or map may take more steps than the render
        // has fuel (`#set($a = [$a, $a])` forty times doubles a walk forty times).
        let fuel = self.fuel;
        let rendered = walk::metered(fuel, || self.block(&template.body));
        // The steps of the last walks are paid for too (a walk cut short
        // for want of fuel may have answered wrongly).
        match rendered.and_then(|_| self.burn(0, Span::default())) {
            Ok(_) => {
                template.output_hint.set(self.out.len());
                Ok(self.out)
            }
            Err(e) => Err(e),
        }
    }

    fn error(&self, message: impl Into<String>, span: Span) -> Error {
        Error::render(message, span).with_source(&self.source)
    }

    fn write(&mut self, s: &str, span: Span) -> Result<(), Error> {
        self.out.push_str(s);
        self.check_output(span)
    }

    /// Renders a block. Blocks nest as deep as a template does (at most
    /// `max_nesting`), but macro calls (`max_macro_depth` of them) and
    /// `#evaluate`s (`max_nesting`) each nest a template's depth again:
    /// 120 × 100 blocks would need more stack than a 2 MB thread has. So
    /// blocks rendering inside each other are bounded at
    /// [`MAX_BLOCKS_PER_NESTING`] × `max_nesting` in all.
    fn block(&mut self, block: &Block) -> Rendered {
        self.check_blocks()?;
        self.blocks += 1;
        // Blocks nest as deep as the limits allow, on whatever stack the
        // caller gave us (a 2 MB worker thread, a debug build's fat frames):
        // when less than 128 KB is left, continue on a fresh 1 MB segment.
        let flow = stacker::maybe_grow(128 * 1024, 1024 * 1024, || self.block_nodes(block));
        self.blocks -= 1;
        flow
    }

    fn block_nodes(&mut self, block: &Block) -> Rendered {
        for node in block {
            // Text is half of most templates' nodes: written here, without
            // the statement machinery.
            if FAST_PATHS && let Node::Text(t) = node {
                self.tick(Span::default())?;
                self.write(t, Span::default())?;
                continue;
            }
            match self.node(node)? {
                Flow::Normal => {}
                flow => return Ok(flow),
            }
        }
        Ok(Flow::Normal)
    }

    fn node(&mut self, node: &Node) -> Rendered {
        match self.statement(node) {
            Err(e) => match self.unwinding.take() {
                Some(flow) => Ok(flow),
                None => Err(e),
            },
            rendered => rendered,
        }
    }

    /// A `#break` or `#stop` rendered inside an expression (a string
    /// literal, a `#define`'s `toString()`): in Velocity it is an exception
    /// that leaves the expression, and what it rendered there, and acts on
    /// the statement around it (`#set($x = "#break")` ends the loop). It
    /// travels as an error up to [`Renderer::node`], which turns it back
    /// into the flow.
    fn unwind(&mut self, flow: Flow) -> Error {
        self.unwinding = Some(flow);
        Error::render("#break or #stop inside an expression", Span::default())
    }

    fn statement(&mut self, node: &Node) -> Rendered {
        self.tick(Span::default())?;
        match node {
            Node::Text(t) => {
                self.write(t, Span::default())?;
            }
            Node::Reference(r) => return self.render_reference(r),
            Node::Set {
                target,
                value,
                span,
            } => self.set(target, value, *span)?,
            Node::If {
                branches,
                otherwise,
            } => {
                for (cond, body) in branches {
                    if self.truthy(cond)? {
                        return self.block(body);
                    }
                }
                if let Some(body) = otherwise {
                    return self.block(body);
                }
            }
            Node::Foreach(f) => return self.foreach(f),
            Node::Break(_) => return Ok(Flow::Break),
            Node::Stop => return Ok(Flow::Stop),
            Node::Define { name, body } => {
                let block = DefinedBlock {
                    body: body.clone(),
                    source: self.source.clone(),
                    depth: Cell::new(0),
                    scope: self.scopes.macro_scope(self.scopes.current),
                };
                self.scopes
                    .assign(name, name_hash(name), Value::object(block));
            }
            Node::Evaluate { expr, span } => return self.evaluate(expr, *span),
            Node::MacroCall(call) => return self.macro_call(call),
            Node::Unsupported {
                directive,
                args,
                span,
            } => {
                if let [arg] = &args[..]
                    && self.value(arg)?.is_null()
                {
                    return Ok(Flow::Normal);
                }
                return Err(self.error(
                    format!(
                        "#{directive} is not supported: templates here cannot load other templates"
                    ),
                    *span,
                ));
            }
        }
        Ok(Flow::Normal)
    }

    // ----- references -------------------------------------------------

    /// Writes a reference: its value, or for a null one its source text
    /// (with Velocity's rules for backslashes in front).
    fn render_reference(&mut self, r: &Reference) -> Rendered {
        // The common `$name` or `$context.identity.sourceIp` holding a
        // string: written from where it is kept, without a clone (strings
        // are shared: a clone and its drop are two atomic operations).
        // Anything else goes on from the value reached.
        let mut units = 0;
        let out = &mut self.out;
        let reached = self
            .scopes
            .with_resolved(r, &mut units, |value, rest| match value {
                Value::String(s) if FAST_PATHS && rest.is_empty() && r.backslashes == 0 => {
                    out.push_str(s);
                    None
                }
                _ => Some((value.clone(), r.accessors.len() - rest.len())),
            });
        if units > 0 {
            self.burn(units, r.span)?;
        }
        let mut value = match reached {
            Some(None) => {
                self.check_output(r.span)?;
                return Ok(Flow::Normal);
            }
            Some(Some((value, walked))) => self.finish_reference(r, value, walked)?,
            None => self.reference_value(r)?,
        };
        if defined_depth(&value).is_some_and(|d| d >= MAX_DEFINE_DEPTH) {
            // Velocity's `directive.define.max.depth`: a #define nested in
            // itself deeper than this renders as null (its reference text).
            value = Value::Null;
        }
        let escapes = r.backslashes as usize;
        if value.is_null() {
            // Velocity 1.7's ASTReference keeps `escapes / 2` backslashes as
            // its prefix. An escaped (odd) null reference writes the prefix,
            // one `\` and its source: `\\\$u` gives `\\$u`. An unescaped
            // one writes the prefix twice (all its backslashes) and then its
            // source, or nothing for `$!` and in API Gateway: `\\$!u` gives `\\`.
            if escapes % 2 == 1 {
                self.out.extend(std::iter::repeat_n('\\', escapes / 2 + 1));
            } else {
                self.out.extend(std::iter::repeat_n('\\', escapes));
            }
            if escapes % 2 == 1 || (!r.quiet && self.template.dialect == Dialect::Velocity) {
                let literal = self.null_literal(r);
                self.write(&literal, r.span)?;
            }
            return Ok(Flow::Normal);
        }
        if escapes % 2 == 1 {
            self.out.extend(std::iter::repeat_n('\\', escapes / 2));
            self.write(&r.literal, r.span)?;
            return Ok(Flow::Normal);
        }
        // A `#define` block renders itself, without the backslashes in
        // front (Velocity's `Renderable` path skips its prefix).
        if escapes > 1 && defined_depth(&value).is_none() {
            self.out.extend(std::iter::repeat_n('\\', escapes / 2));
        }
        self.render_value(&value, r.span)
    }

    /// The value of a reference (see `lookup.rs` for how its root is
    /// resolved).
    fn reference_value(&mut self, r: &Reference) -> Result<Value, Error> {
        let mut units = 0;
        let reached = self.scopes.with_resolved(r, &mut units, |value, rest| {
            (value.clone(), r.accessors.len() - rest.len())
        });
        if units > 0 {
            self.burn(units, r.span)?;
        }
        match reached {
            Some((value, walked)) => self.finish_reference(r, value, walked),
            None => {
                // A macro argument: evaluated, then accessed.
                let root = self.lookup(&r.root, r.root_hash, r.span)?;
                self.finish_reference(r, root, 0)
            }
        }
    }

    /// Goes on from `value`, reached after `walked` of `r`'s accessors, to
    /// the reference's value.
    #[inline(always)]
    pub(super) fn finish_reference(
        &mut self,
        r: &Reference,
        mut value: Value,
        walked: usize,
    ) -> Result<Value, Error> {
        for accessor in &r.accessors[walked..] {
            if value.is_null() {
                break;
            }
            value = self.access(&value, accessor)?;
        }
        if value.is_null() && self.template.dialect == Dialect::ApiGateway {
            // API Gateway reads a null or undefined reference as the empty
            // string everywhere: it renders as nothing, is true in #if and
            // equals '' (see `Dialect::ApiGateway`).
            return Ok(Value::String(EMPTY.clone()));
        }
        Ok(value)
    }

    /// Writes a value; a `#define` block renders its body here.
    fn render_value(&mut self, value: &Value, span: Span) -> Rendered {
        // The common cases first: no walk, no downcast.
        match value {
            Value::String(s) if FAST_PATHS => return self.write(s, span).map(|()| Flow::Normal),
            Value::Int(i) if FAST_PATHS => {
                let mut digits = itoa::Buffer::new();
                return self.write(digits.format(*i), span).map(|()| Flow::Normal);
            }
            _ => {}
        }
        if let Value::Object(o) = value
            && let Some(defined) = (o.as_ref() as &dyn std::any::Any).downcast_ref::<DefinedBlock>()
        {
            let body = defined.body.clone();
            let source = std::mem::replace(&mut self.source, defined.source.clone());
            self.nest(span)?;
            defined.depth.set(defined.depth.get() + 1);
            let flow = self.block(&body);
            defined.depth.set(defined.depth.get() - 1);
            self.nesting -= 1;
            self.source = source;
            return flow.map(|f| match f {
                Flow::Stop => Flow::Stop,
                _ => Flow::Normal,
            });
        }
        if value.try_render_into(&mut self.out).is_err() {
            // A walk cut short for want of fuel fails as such.
            self.burn(0, span)?;
            return Err(self.error(
                format!(
                    "cannot render a list or map that contains itself or is nested more than {} deep: Java's toString throws StackOverflowError",
                    walk::MAX_DEPTH
                ),
                span,
            ));
        }
        self.check_output(span)?;
        Ok(Flow::Normal)
    }

    /// The string a value renders as (a `#define` block is rendered).
    fn value_to_string(&mut self, value: &Value, span: Span) -> Result<String, Error> {
        let start = self.out.len();
        let flow = match as_defined(value) {
            Some(defined) => {
                self.in_macro_scope(&defined.scope, |r| r.render_value(value, span))?
            }
            None => self.render_value(value, span)?,
        };
        let text = self.out.split_off(start);
        match flow {
            Flow::Normal => Ok(text),
            flow => Err(self.unwind(flow)),
        }
    }

    /// `#set(target = value)`.
    fn set(&mut self, target: &Reference, value: &Expr, span: Span) -> Result<(), Error> {
        let value = self.value(value)?;
        // `directive.set.null.allowed = false`: a null right side leaves the
        // target as it was.
        if value.is_null() {
            return Ok(());
        }
        let Some((last, path)) = target.accessors.split_last() else {
            self.scopes.assign(&target.root, target.root_hash, value);
            return Ok(());
        };
        let mut holder = self.lookup(&target.root, target.root_hash, target.span)?;
        for accessor in path {
            if holder.is_null() {
                return Ok(());
            }
            holder = self.access(&holder, accessor)?;
        }
        if holder.is_null() {
            return Ok(());
        }
        let result = match last {
            Accessor::Property { name, .. } => set_property(&holder, name, value),
            Accessor::Index { index, .. } => {
                let index = self.value(index)?;
                set_index(&holder, &index, value)
            }
            Accessor::Method { .. } => Err(MethodError::NotFound),
        };
        match result {
            Ok(()) | Err(MethodError::NotFound) => Ok(()),
            Err(MethodError::Failed(msg)) => {
                Err(self.error(format!("#set of {} failed: {msg}", target.literal), span))
            }
        }
    }

    /// `#evaluate(expr)`: renders the expression's text as a template.
    fn evaluate(&mut self, expr: &Expr, span: Span) -> Rendered {
        let value = self.value(expr)?;
        if value.is_null() {
            return Ok(Flow::Normal);
        }
        let text = self.value_to_string(&value, span)?;
        // Parsing costs a unit a byte: `#evaluate($long)` in a loop is bounded.
        self.burn(text.len() as u64, span)?;
        let template = self.template;
        let is_global_macro = |name: &str| template.find_macro(name).is_some();
        let syntax = crate::engine::syntax_for(
            template.dialect,
            template.limits.max_nesting,
            &is_global_macro,
        );
        let parsed = crate::compiler::parser::parse(&text, &syntax).map_err(|e| {
            let source = SourceRef {
                name: format!("{} (#evaluate)", self.source.name).into(),
                text: text.as_str().into(),
            };
            e.with_source(&source)
        })?;
        let source = SourceRef {
            name: format!("{} (#evaluate)", self.source.name).into(),
            text: text.into(),
        };
        let saved = std::mem::replace(&mut self.source, source);
        self.nest(span)?;
        let flow = self.block(&parsed.body);
        self.nesting -= 1;
        self.source = saved;
        // `#break` in the evaluated text acts on the loop around the
        // `#evaluate`, as `#stop` does on the template.
        flow
    }
}
