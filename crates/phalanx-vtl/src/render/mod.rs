//! The evaluator: walks a compiled template's tree against a [`Context`]
//! and writes the output.

mod context;
mod limits;
mod scope;

pub use context::{Context, Name};
pub use limits::Limits;
pub(crate) use scope::ForeachScope;

use crate::compiler::ast::*;
use crate::dialect::Dialect;
use crate::engine::{Macro, TemplateInner};
use crate::error::{Error, SourceRef, Span};
use crate::value::walk;
use crate::value::{
    MethodError, Object, Value, ViewItem, arithmetic, call_method, compare_numbers, get_index,
    get_property, map_value_at, map_view, same_name, set_index, set_property,
};
use indexmap::map::RawEntryApiV1;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

/// The empty string API Gateway's dialect reads null references as.
static EMPTY: std::sync::LazyLock<Arc<str>> = std::sync::LazyLock::new(|| Arc::from(""));

/// A name's bit in [`Renderer::loop_names`]: one of 64, chosen by the top
/// bits of its hash.
#[inline]
fn loop_name_bit(hash: u64) -> u64 {
    1 << (hash >> 58)
}

/// The `name_hash`es of the names a loop binds besides its variable.
struct SpecialNames {
    foreach: u64,
    velocity_count: u64,
    velocity_has_next: u64,
}

static SPECIAL_NAMES: std::sync::LazyLock<SpecialNames> = std::sync::LazyLock::new(|| {
    use crate::compiler::ast::name_hash;
    SpecialNames {
        foreach: name_hash("foreach"),
        velocity_count: name_hash("velocityCount"),
        velocity_has_next: name_hash("velocityHasNext"),
    }
});

/// How control leaves a block early.
enum Flow {
    Normal,
    /// `#break`: unwinds to the innermost `#foreach`, macro or `#define`.
    Break,
    /// `#stop`: unwinds the whole render.
    Stop,
}

type Rendered = Result<Flow, Error>;

/// A macro call in progress. Arguments are passed by name: each use of a
/// parameter evaluates the caller's expression again, in the caller's frame.
#[derive(Clone)]
struct Frame {
    /// Tells this call from a later one at the same depth.
    id: u64,
    def: Arc<Macro>,
    args: Vec<Arc<Expr>>,
    /// Values `#set` inside the macro gave to parameter names.
    overrides: Vec<(Box<str>, Value)>,
    /// The frame that was current at the call (`None`: top level).
    caller: Option<usize>,
    /// The source the caller's expressions point into.
    caller_source: SourceRef,
    body: Option<Arc<Block>>,
}

/// A `#define` block stored in the context: rendering the reference renders
/// the block.
pub(crate) struct DefinedBlock {
    body: Arc<Block>,
    source: SourceRef,
    /// How many renders of this block are in progress (it may refer to itself).
    depth: Cell<usize>,
    /// The macro calls in progress where the block was made. Velocity's
    /// `Block.Reference` keeps that context: rendering `$block` uses the
    /// current one, but its `toString()` (also used by `+`, `==` and
    /// `#evaluate`) renders with the one it kept, so a `#define` made in a
    /// macro still sees that call's arguments after it returned.
    scope: MacroScope,
}

/// A copy of the macro frames up to `current`, to render in later.
struct MacroScope {
    frames: Vec<Frame>,
    current: Option<usize>,
}

fn as_defined(value: &Value) -> Option<&DefinedBlock> {
    match value {
        Value::Object(o) => (o.as_ref() as &dyn std::any::Any).downcast_ref::<DefinedBlock>(),
        _ => None,
    }
}

/// Velocity 1.7's default `directive.define.max.depth`.
const MAX_DEFINE_DEPTH: usize = 2;

fn defined_depth(value: &Value) -> Option<usize> {
    as_defined(value).map(|d| d.depth.get())
}

impl Object for DefinedBlock {
    fn type_name(&self) -> &str {
        "Block.Reference"
    }
}

pub(crate) struct Renderer<'a> {
    template: &'a TemplateInner,
    ctx: &'a mut Context,
    out: String,
    frames: Vec<Frame>,
    current: Option<usize>,
    source: SourceRef,
    nesting: usize,
    fuel: u64,
    /// `walk::steps()` when fuel was last burnt: the steps walks over lists
    /// and maps took since then are charged as fuel too.
    steps_seen: u64,
    /// Blocks being rendered, one inside the other (through macro calls and
    /// `#evaluate` too): bounded so that the stack is (see `block`).
    blocks: usize,
    /// The `#foreach` loops in progress, innermost last.
    loops: Vec<Loop>,
    /// A bit (see [`loop_name_bit`]) for each name the loops in progress
    /// may bind: their variables, and `foreach`, `velocityCount` and
    /// `velocityHasNext` while any loop runs. A name whose bit is clear is
    /// bound by no loop, so looking it up skips the loops altogether
    /// (`$input` and `$util` inside a loop go straight to the context).
    loop_names: u64,
    /// The id of the next macro call's frame.
    next_frame_id: u64,
    /// A `#break` or `#stop` leaving an expression (see [`Renderer::unwind`]).
    unwinding: Option<Flow>,
}

/// A `#foreach` in progress. Velocity keeps the loop variable, `$foreach`,
/// `$velocityCount` and `$velocityHasNext` in the context and restores them
/// after the loop; keeping them here instead gives the same lookups without
/// touching the context's hash table on every iteration.
struct Loop {
    var: Arc<str>,
    /// `var`'s `name_hash`: most lookups in a loop are of other names, and
    /// comparing hashes rejects them at once.
    var_hash: u64,
    /// The current item (null when the item is null: the variable is then
    /// undefined, as Velocity removes it).
    item: Value,
    scope: Rc<ForeachScope>,
    /// Values `#set` gave to the loop's names during this iteration.
    overrides: Vec<(Box<str>, Value)>,
    /// Velocity 1.7 renders the body of a null item through a
    /// `NullHolderContext` whose reads of the loop variable give null, even
    /// after a `#set` or inside an inner loop over the same name, until
    /// something removes the variable (an inner loop over it ending). The
    /// holder is made once per loop, so once removed it stays off.
    null_holder: bool,
    /// The macro call the loop runs in (its frame id; 0 at top level).
    frame: u64,
}

impl<'a> Renderer<'a> {
    pub(crate) fn new(template: &'a TemplateInner, ctx: &'a mut Context) -> Renderer<'a> {
        Renderer {
            fuel: template.limits.fuel,
            steps_seen: walk::steps(),
            blocks: 0,
            source: template.source.clone(),
            template,
            ctx,
            out: String::with_capacity(template.output_hint.get()),
            frames: Vec::new(),
            next_frame_id: 0,
            unwinding: None,
            current: None,
            nesting: 0,
            loops: Vec::new(),
            loop_names: 0,
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

    fn limit(&self, message: impl Into<String>, span: Span) -> Error {
        Error::limit(message, span).with_source(&self.source)
    }

    fn error(&self, message: impl Into<String>, span: Span) -> Error {
        Error::render(message, span).with_source(&self.source)
    }

    /// The unit of fuel a node costs. Reading the per-thread meter of value
    /// walks on every node would cost more than the node, so this reads it
    /// every 64th node (and when the tank is nearly empty); every other
    /// charge (`burn`) reads it, so a walk cut short is seen at once.
    #[inline]
    fn tick(&mut self, span: Span) -> Result<(), Error> {
        if self.fuel & 63 != 0 && self.fuel > 1 {
            self.fuel -= 1;
            return Ok(());
        }
        self.burn(1, span)
    }

    fn burn(&mut self, units: u64, span: Span) -> Result<(), Error> {
        let steps = walk::steps();
        let units = units.saturating_add(steps.saturating_sub(self.steps_seen));
        self.steps_seen = steps;
        match self.fuel.checked_sub(units) {
            Some(left) => {
                self.fuel = left;
                Ok(())
            }
            None => Err(self.limit(
                format!(
                    "the render did more than {} units of work (Limits::fuel); is there a runaway loop?",
                    self.template.limits.fuel
                ),
                span,
            )),
        }
    }

    fn write(&mut self, s: &str, span: Span) -> Result<(), Error> {
        self.out.push_str(s);
        self.check_output(span)
    }

    fn check_output(&self, span: Span) -> Result<(), Error> {
        if self.out.len() > self.template.limits.max_output_bytes {
            return Err(self.limit(
                format!(
                    "the output is larger than the limit of {} bytes",
                    self.template.limits.max_output_bytes
                ),
                span,
            ));
        }
        Ok(())
    }

    fn nest(&mut self, span: Span) -> Result<(), Error> {
        self.nesting += 1;
        if self.nesting > self.template.limits.max_nesting {
            return Err(self.limit(
                format!(
                    "rendering nested deeper than the limit of {} levels (a #define or #evaluate that includes itself?)",
                    self.template.limits.max_nesting
                ),
                span,
            ));
        }
        Ok(())
    }

    /// Renders a block. Blocks nest as deep as a template does (at most
    /// `max_nesting`), but macro calls (`max_macro_depth` of them) and
    /// `#evaluate`s (`max_nesting`) each nest a template's depth again:
    /// 120 × 100 blocks would need more stack than a 2 MB thread has. So
    /// blocks rendering inside each other are bounded at
    /// [`MAX_BLOCKS_PER_NESTING`] × `max_nesting` in all.
    fn block(&mut self, block: &Block) -> Rendered {
        let max = self
            .template
            .limits
            .max_nesting
            .saturating_mul(MAX_BLOCKS_PER_NESTING);
        if self.blocks >= max {
            return Err(self.limit(
                format!("blocks rendered inside each other deeper than {max} (through macro calls or #evaluate)"),
                Span::default(),
            ));
        }
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
            if let Node::Text(t) = node {
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
                    scope: self.macro_scope(self.current),
                };
                self.assign_variable(name, name_hash(name), Value::object(block));
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

    fn render_reference(&mut self, r: &Reference) -> Rendered {
        // The common `$name` holding a string: written from where it is
        // kept, without a clone (strings are shared: a clone and its drop
        // are two atomic operations).
        if r.backslashes == 0
            && self.current.is_none()
            && matches!(r.accessors.first(), None | Some(Accessor::Property { .. }))
        {
            let bound = peek_variable(&self.loops, self.loop_names, self.ctx, &r.root, r.root_hash);
            let out = &mut self.out;
            let mut units = 0;
            let written = match (bound, &r.accessors[..]) {
                (Some(Value::String(s)), []) => {
                    out.push_str(s);
                    true
                }
                // `$context.identity.sourceIp`: properties of maps and host
                // objects, followed by reference to the string at the end.
                (Some(root), [Accessor::Property { .. }, ..]) => {
                    with_map_path(root, &r.accessors, &mut units, &mut |value| match value {
                        Value::String(s) => {
                            out.push_str(s);
                            true
                        }
                        _ => false,
                    })
                }
                _ => false,
            };
            if written {
                if units > 0 {
                    self.burn(units, r.span)?;
                }
                self.check_output(r.span)?;
                return Ok(Flow::Normal);
            }
        }
        let mut value = self.reference_value(r)?;
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

    /// The text written for a null reference: its source, except that a
    /// macro parameter shows the caller's argument (Velocity substitutes the
    /// argument's tree for the parameter), e.g. `$notincontext.woogie()`.
    fn null_literal(&self, r: &Reference) -> String {
        // Velocity 1.7's macro call stores each reference argument under
        // `.literal.$name`, and a null reference looks its own text up there:
        // only a plain `$name` matches, not `$!name`, `${name}` or
        // `$name.x`, and the argument's own text is used as it was written,
        // even if it is itself a parameter of an outer macro.
        // The key is looked up as any name is: where the call gave no
        // argument for it, in the context the macro was called from.
        let plain =
            r.accessors.is_empty() && r.literal.strip_prefix('$').is_some_and(|l| *l == *r.root);
        let mut frame = if plain { self.current } else { None };
        while let Some(i) = frame {
            let f = &self.frames[i];
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

    /// Writes a value; a `#define` block renders its body here.
    fn render_value(&mut self, value: &Value, span: Span) -> Rendered {
        // The common cases first: no walk, no downcast.
        match value {
            Value::String(s) => return self.write(s, span).map(|()| Flow::Normal),
            Value::Int(i) => {
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

    /// The macro frames up to `current`, kept for a block made there.
    fn macro_scope(&self, current: Option<usize>) -> MacroScope {
        MacroScope {
            frames: current.map_or_else(Vec::new, |i| self.frames[..=i].to_vec()),
            current,
        }
    }

    /// Runs `f` in the macro frames of `scope`: those still in progress, or
    /// else a copy of them pushed for the time being.
    fn in_macro_scope<R>(&mut self, scope: &MacroScope, f: impl FnOnce(&mut Self) -> R) -> R {
        let saved = self.current;
        let base = self.frames.len();
        self.current = match scope.current {
            Some(i) if self.frames.get(i).map(|f| f.id) != scope.frames.get(i).map(|f| f.id) => {
                self.frames
                    .extend(scope.frames.iter().cloned().map(|mut f| {
                        f.caller = f.caller.map(|c| c + base);
                        f
                    }));
                Some(base + i)
            }
            current => current,
        };
        let result = f(self);
        self.frames.truncate(base);
        self.current = saved;
        result
    }

    fn reference_value(&mut self, r: &Reference) -> Result<Value, Error> {
        if let Some(value) = self.loop_position(r) {
            return Ok(value);
        }
        let mut units = 0;
        let value = match self.context_map_path(r, &mut units) {
            Ok(value) => {
                if units > 0 {
                    self.burn(units, r.span)?;
                }
                value
            }
            Err(root) => {
                let mut value = match root {
                    Some(root) => root,
                    None => self.lookup_hashed(&r.root, r.root_hash, r.span)?,
                };
                for accessor in &r.accessors {
                    if value.is_null() {
                        break;
                    }
                    value = self.access(&value, accessor)?;
                }
                value
            }
        };
        if value.is_null() && self.template.dialect == Dialect::ApiGateway {
            // API Gateway reads a null or undefined reference as the empty
            // string everywhere: it renders as nothing, is true in #if and
            // equals '' (see `Dialect::ApiGateway`).
            return Ok(Value::String(EMPTY.clone()));
        }
        Ok(value)
    }

    /// The common `$foreach.hasNext` (or `.index`, `.count`, `.first`,
    /// `.last`, recognised at compile time) read straight from the
    /// innermost loop, without making the `$foreach` object: when nothing
    /// else can bind `foreach` there (no macro call in progress, no loop
    /// over a variable of that name, no `#set` in force of a name the
    /// innermost loop binds). `None` sends everything else down the
    /// general path, which gives the same answer.
    fn loop_position(&self, r: &Reference) -> Option<Value> {
        let position = r.loop_position?;
        if self.current.is_some() {
            return None;
        }
        let innermost = self.loops.last()?;
        if !innermost.overrides.is_empty()
            || self
                .loops
                .iter()
                .any(|l| l.var_hash == r.root_hash && *l.var == *"foreach")
        {
            return None;
        }
        Some(innermost.scope.position(position))
    }

    /// The common `$context.identity.sourceIp`: a context variable followed
    /// only by properties of maps (walked by reference so that only the
    /// value at the end is cloned) and of host objects. When the reference
    /// is anything else, `Err` for the general path: with the root
    /// variable's value when it was found here (a host object followed by
    /// a method, say), so that it is not looked up twice, or `None` when
    /// the general path must look it up itself. `units`: what host objects'
    /// properties built, for the caller to charge as `access` would.
    fn context_map_path(&self, r: &Reference, units: &mut u64) -> Result<Value, Option<Value>> {
        // Inside macros, and for names loops bind, other names bind first:
        // the general path.
        if r.accessors.is_empty() || self.current.is_some() || self.may_be_loop_bound(r.root_hash) {
            return Err(None);
        }
        if !matches!(r.accessors.first(), Some(Accessor::Property { .. })) {
            return Err(None);
        }
        // Only the context binds the name here: absent, it is null.
        let Some(root) = self.ctx.get_hashed(&r.root, r.root_hash) else {
            return Ok(Value::Null);
        };
        map_path(root, &r.accessors, units).ok_or_else(|| Some(root.clone()))
    }

    fn access(&mut self, target: &Value, accessor: &Accessor) -> Result<Value, Error> {
        match accessor {
            Accessor::Property { name, hash, span } => {
                let value = match target {
                    // Maps are keyed like the context: by the precomputed hash.
                    Value::Map(m) => m
                        .borrow()
                        .raw_entry_v1()
                        .from_hash(*hash, |k| k.as_str().is_some_and(|k| same_name(k, name)))
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default(),
                    _ => get_property(target, name).unwrap_or_default(),
                };
                // `$s.bytes` builds a list as long as the string. (No walk
                // happens in a property read, so nothing else is charged.)
                let units = built_units(&value);
                if units > 0 {
                    self.burn(units, *span)?;
                }
                Ok(value)
            }
            // Most calls take no or one argument: no vector for those.
            Accessor::Method {
                name,
                kind,
                const_args: Some(values),
                span,
                ..
            } => {
                let values = values.values();
                let result = call_method(target, name, values);
                let arg_units = values.iter().map(size_units).sum();
                self.call_result(target, name, *kind, arg_units, result, *span)
            }
            Accessor::Method {
                name,
                kind,
                args,
                span,
                ..
            } => match &args[..] {
                [] => self.invoke(target, name, *kind, &[], *span),
                [arg] => {
                    // A plain `$name` argument is passed from where it is
                    // kept, without a clone.
                    if let Expr::Reference(r) = arg
                        && r.accessors.is_empty()
                        && self.current.is_none()
                        && let Some(bound) = peek_variable(
                            &self.loops,
                            self.loop_names,
                            self.ctx,
                            &r.root,
                            r.root_hash,
                        )
                    {
                        let result = call_method(target, name, std::slice::from_ref(bound));
                        let arg_units = size_units(bound);
                        return self.call_result(target, name, *kind, arg_units, result, *span);
                    }
                    let arg = self.value(arg)?;
                    self.invoke(target, name, *kind, std::slice::from_ref(&arg), *span)
                }
                _ => {
                    let mut values = smallvec::SmallVec::<[Value; 3]>::new();
                    for a in args {
                        values.push(self.value(a)?);
                    }
                    self.invoke(target, name, *kind, &values, *span)
                }
            },
            Accessor::Index { index, span } => {
                let index = self.value(index)?;
                match get_index(target, &index) {
                    Ok(v) => Ok(v),
                    Err(MethodError::NotFound) => Ok(Value::Null),
                    Err(MethodError::Failed(msg)) => {
                        Err(self.error(format!("index [{index}] failed: {msg}"), *span))
                    }
                }
            }
        }
    }

    fn invoke(
        &mut self,
        target: &Value,
        name: &str,
        kind: MethodKind,
        args: &[Value],
        span: Span,
    ) -> Result<Value, Error> {
        // A `#define` block's (and `$bodyContent`'s) `toString()` renders it.
        if kind == MethodKind::ToString && args.is_empty() && defined_depth(target).is_some() {
            return self.value_to_string(target, span).map(Value::from);
        }
        let result = call_method(target, name, args);
        let arg_units = args.iter().map(size_units).sum::<u64>();
        self.call_result(target, name, kind, arg_units, result, span)
    }

    /// Charges a method call (`arg_units`: what its arguments cost) and
    /// turns its result into the reference's value or a render error.
    fn call_result(
        &mut self,
        target: &Value,
        name: &str,
        kind: MethodKind,
        arg_units: u64,
        result: Result<Value, MethodError>,
        span: Span,
    ) -> Result<Value, Error> {
        // A call costs what it reads and builds (an addAll grows its target).
        let mut cost = 1 + size_units(target) + arg_units + result.as_ref().map_or(0, built_units);
        if let (Value::String(s), MethodKind::Regex) = (target, kind) {
            // A regular expression costs more a byte than a scan: a unit a
            // byte (and a backtracking match at most its backtrack limit).
            cost += s.len() as u64;
        }
        // `burn` also charges the walks the call made (`toString`, `equals`,
        // `hashCode`), so a walk cut short for want of fuel fails as such.
        self.burn(cost, span)?;
        match result {
            // No string may be longer than the output could be: a string
            // doubled by `concat` in a loop fails here, not in the allocator.
            Ok(Value::String(ref s)) if s.len() > self.template.limits.max_output_bytes => Err(self.limit(
                format!(
                    "method '{name}' made a string of {} bytes, longer than the output limit of {} bytes",
                    s.len(),
                    self.template.limits.max_output_bytes
                ),
                span,
            )),
            Ok(v) => Ok(v),
            Err(MethodError::NotFound) => Ok(Value::Null),
            Err(MethodError::Failed(msg)) => Err(self.error(
                format!(
                    "invocation of method '{name}' on {} threw {msg}",
                    target.type_name()
                ),
                span,
            )),
        }
    }

    /// Resolves a root name (its `name_hash` computed at compile time):
    /// macro parameters first, then loop variables, then the context.
    fn lookup_hashed(&mut self, name: &str, hash: u64, span: Span) -> Result<Value, Error> {
        // Outside macros, and for names no loop binds, only the context
        // binds names.
        if self.current.is_none() && !self.may_be_loop_bound(hash) {
            return Ok(self.ctx.get_hashed(name, hash).cloned().unwrap_or_default());
        }
        let mut frame = self.current;
        while let Some(i) = frame {
            let f = &self.frames[i];
            if let Some((_, v)) = f.overrides.iter().find(|(n, _)| same_name(n, name)) {
                return Ok(v.clone());
            }
            if name == "bodyContent"
                && let Some(body) = &f.body
            {
                let caller = f.caller;
                let block = DefinedBlock {
                    body: body.clone(),
                    source: f.caller_source.clone(),
                    depth: Cell::new(0),
                    scope: self.macro_scope(caller),
                };
                return Ok(Value::object(block));
            }
            if let Some(pos) = f.def.def.params.iter().position(|p| **p == *name) {
                let Some(arg) = f.args.get(pos).cloned() else {
                    // A parameter the call gave no argument for is not
                    // bound: Velocity looks it up as any other name.
                    frame = f.caller;
                    continue;
                };
                let caller = f.caller;
                let caller_source = f.caller_source.clone();
                let saved = (
                    self.current,
                    std::mem::replace(&mut self.source, caller_source),
                );
                self.current = caller;
                self.nest(span)?;
                // A parameter evaluates its caller's argument, which may be a
                // parameter of the caller's caller: keep room on the stack.
                let v = stacker::maybe_grow(128 * 1024, 1024 * 1024, || self.value(&arg));
                self.nesting -= 1;
                self.current = saved.0;
                self.source = saved.1;
                return v;
            }
            // Not bound here: Velocity 1.7 looks in the context the macro
            // was called from, which sees that caller's parameters and
            // `$bodyContent` too (a macro called inside another sees them).
            frame = f.caller;
        }
        if let Some(v) = self.loop_variable(name, hash) {
            return Ok(v);
        }
        Ok(self.ctx.get_hashed(name, hash).cloned().unwrap_or_default())
    }

    /// Whether a loop in progress may bind the name of this hash (false:
    /// certainly not).
    #[inline]
    fn may_be_loop_bound(&self, hash: u64) -> bool {
        self.loop_names & loop_name_bit(hash) != 0
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

    /// A name bound by a loop in progress: its variable, or for the
    /// innermost loop `$foreach`, `$velocityCount` and `$velocityHasNext`.
    fn loop_variable(&self, name: &str, hash: u64) -> Option<Value> {
        if !self.may_be_loop_bound(hash) {
            return None;
        }
        let innermost = self.loops.len().checked_sub(1)?;
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
                return Some(Value::Null);
            }
        }
        for (depth, l) in self.loops.iter().enumerate().rev() {
            if let Some((_, v)) = l.overrides.iter().find(|(n, _)| same_name(n, name)) {
                return Some(v.clone());
            }
            if is_var(l) {
                return Some(l.item.clone());
            }
            // Compared by hash first: this runs for every name a template
            // looks up inside a loop.
            if depth == innermost {
                let special = &*SPECIAL_NAMES;
                if hash == special.foreach && name == "foreach" {
                    return Some(Value::Object(l.scope.clone()));
                }
                if hash == special.velocity_count && name == "velocityCount" {
                    return Some(Value::from(l.scope.index.get() + 1));
                }
                if hash == special.velocity_has_next && name == "velocityHasNext" {
                    return Some(Value::Bool(l.scope.has_next.get()));
                }
            }
        }
        None
    }

    /// `#set($name = v)` on a root name.
    ///
    /// Velocity 1.7 (`velocimacro.context.localscope = false`): a macro's
    /// context puts the value in its own scope *and* in the context it was
    /// called from, up to the global one, so `#macro(m $p)#set($p = 1)#end`
    /// changes `$p` after the call too. Only a parameter's value can differ
    /// from the global one, so each frame on the way that has such a
    /// parameter records it; the value then goes on to the context.
    /// `#set($name = …)` (`hash` is `name`'s `name_hash`).
    fn assign_variable(&mut self, name: &str, hash: u64, value: Value) {
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

    fn set(&mut self, target: &Reference, value: &Expr, span: Span) -> Result<(), Error> {
        let value = self.value(value)?;
        // `directive.set.null.allowed = false`: a null right side leaves the
        // target as it was.
        if value.is_null() {
            return Ok(());
        }
        let Some((last, path)) = target.accessors.split_last() else {
            self.assign_variable(&target.root, target.root_hash, value);
            return Ok(());
        };
        let mut holder = self.lookup_hashed(&target.root, target.root_hash, target.span)?;
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

    // ----- directives -------------------------------------------------

    fn foreach(&mut self, f: &Foreach) -> Rendered {
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
                self.loop_var_removed(&f.var);
            }
            return Ok(Flow::Normal);
        }
        let parent = self
            .loop_variable("foreach", SPECIAL_NAMES.foreach)
            .unwrap_or_else(|| self.ctx.get("foreach").cloned().unwrap_or_default());
        let scope = Rc::new(ForeachScope {
            index: Cell::new(0),
            has_next: Cell::new(false),
            parent,
        });
        self.loops.push(Loop {
            var_hash: f.var_hash,
            var: f.var.clone(),
            item: Value::Null,
            scope: scope.clone(),
            overrides: Vec::new(),
            null_holder: true,
            frame: self.current.map_or(0, |i| self.frames[i].id),
        });
        self.refresh_loop_names();
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
        self.loops.pop();
        self.refresh_loop_names();
        self.loop_var_removed(&f.var);
        result
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

    fn macro_call(&mut self, call: &MacroCall) -> Rendered {
        let Some(def) = self.template.find_macro(&call.name) else {
            // Velocity 1.7 binds macro calls at render time and writes the
            // call's source text when no macro has that name.
            self.write(&call.literal, call.span)?;
            return Ok(Flow::Normal);
        };
        if self.frames.len() >= self.template.limits.max_macro_depth {
            return Err(self.limit(
                format!(
                    "macro calls nested deeper than {} (velocimacro.max.depth) in #{}",
                    self.template.limits.max_macro_depth, call.name
                ),
                call.span,
            ));
        }
        let macro_source = def.source.clone();
        self.next_frame_id += 1;
        self.frames.push(Frame {
            id: self.next_frame_id,
            def: def.clone(),
            args: call.args.clone(),
            overrides: Vec::new(),
            caller: self.current,
            caller_source: self.source.clone(),
            body: call.body.clone(),
        });
        let saved = (
            self.current,
            std::mem::replace(&mut self.source, macro_source),
        );
        self.current = Some(self.frames.len() - 1);
        let flow = self.block(&def.def.body);
        self.current = saved.0;
        self.source = saved.1;
        self.frames.pop();
        Ok(match flow? {
            Flow::Stop => Flow::Stop,
            _ => Flow::Normal,
        })
    }

    // ----- expressions ------------------------------------------------

    /// The boolean an expression has as a condition. As in Velocity 1.7
    /// only references, `true`/`false`, comparisons and logic have one:
    /// a literal string, number, list or arithmetic result is false.
    fn truthy(&mut self, e: &Expr) -> Result<bool, Error> {
        match e {
            Expr::Reference(r) => Ok(self.reference_value(r)?.is_truthy()),
            Expr::Literal(Literal::Bool(b)) => Ok(*b),
            Expr::Unary {
                op: UnaryOp::Not,
                operand,
            } => Ok(!self.truthy(operand)?),
            Expr::Binary {
                op,
                left,
                right,
                span,
                ..
            } => match op {
                BinaryOp::And => Ok(self.truthy(left)? && self.truthy(right)?),
                BinaryOp::Or => Ok(self.truthy(left)? || self.truthy(right)?),
                BinaryOp::Eq | BinaryOp::Ne => {
                    let (l, r) = (self.value(left)?, self.value(right)?);
                    let eq = self.velocity_equals(&l, &r, *span)?;
                    Ok(eq == (*op == BinaryOp::Eq))
                }
                BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                    let (l, r) = (self.value(left)?, self.value(right)?);
                    Ok(compare_numbers(&l, &r).is_some_and(|o| match op {
                        BinaryOp::Lt => o.is_lt(),
                        BinaryOp::Le => o.is_le(),
                        BinaryOp::Gt => o.is_gt(),
                        _ => o.is_ge(),
                    }))
                }
                _ => Ok(false),
            },
            _ => Ok(false),
        }
    }

    /// Velocity 1.7's `==`: numbers by value; values of one class by
    /// `equals`; otherwise their `toString()`s; null equals only null.
    fn velocity_equals(&mut self, l: &Value, r: &Value, span: Span) -> Result<bool, Error> {
        if compare_numbers(l, r).is_some() {
            return Ok(compare_numbers(l, r).is_some_and(|o| o.is_eq()));
        }
        match (l, r) {
            (Value::Null, Value::Null) => Ok(true),
            (Value::Null, _) | (_, Value::Null) => Ok(false),
            _ if std::mem::discriminant(l) == std::mem::discriminant(r)
                && !matches!(l, Value::Object(_)) =>
            {
                Ok(l.java_equals(r))
            }
            _ => Ok(self.value_to_string(l, span)? == self.value_to_string(r, span)?),
        }
    }

    /// The source text Velocity writes for a null operand of `+` (see
    /// `Expr::Binary::literal`).
    fn literal_of(&self, e: &Expr) -> String {
        let span = match e {
            Expr::Reference(r) => return r.literal.to_string(),
            Expr::Binary { literal, .. } => literal,
            Expr::Range { span, .. } => span,
            _ => return "null".into(),
        };
        let text: &str = &self.source.text;
        text.get(span.start as usize..span.end as usize)
            .unwrap_or("null")
            .to_string()
    }

    /// The value of an expression.
    pub(crate) fn value(&mut self, e: &Expr) -> Result<Value, Error> {
        match e {
            Expr::Literal(l) => Ok(l.to_value()),
            Expr::Reference(r) => self.reference_value(r),
            Expr::Interpolated { parts, span } => {
                self.nest(*span)?;
                let start = self.out.len();
                let flow = self.block(parts);
                self.nesting -= 1;
                let text = self.out.split_off(start);
                match flow? {
                    Flow::Normal => Ok(Value::from(text)),
                    flow => Err(self.unwind(flow)),
                }
            }
            Expr::List(items) => {
                let items = items
                    .iter()
                    .map(|i| self.value(i))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::list(items))
            }
            Expr::Map(entries) => {
                let mut map =
                    indexmap::IndexMap::with_capacity_and_hasher(entries.len(), Default::default());
                for (k, v) in entries {
                    let k = self.value(k)?;
                    let v = self.value(v)?;
                    map.insert(k, v);
                }
                Ok(Value::Map(Rc::new(std::cell::RefCell::new(map))))
            }
            Expr::Range { from, to, span } => {
                let (from, to) = (self.value(from)?, self.value(to)?);
                let (Some(a), Some(b)) = (range_bound(&from), range_bound(&to)) else {
                    // Velocity 1.7 logs and yields null for a non-integer bound.
                    return Ok(Value::Null);
                };
                let len = a.abs_diff(b).saturating_add(1);
                self.burn(len, *span)?;
                let items: Vec<Value> = if a <= b {
                    (a..=b).map(Value::Int).collect()
                } else {
                    (b..=a).rev().map(Value::Int).collect()
                };
                Ok(Value::list(items))
            }
            Expr::Unary { .. } => Ok(Value::Bool(self.truthy(e)?)),
            Expr::Binary {
                op,
                left,
                right,
                span,
                ..
            } => match op {
                BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
                    let (l, r) = (self.value(left)?, self.value(right)?);
                    // `+` with a String on either side concatenates; a null
                    // side contributes its source text (ASTAddNode).
                    if *op == BinaryOp::Add
                        && (matches!(l, Value::String(_)) || matches!(r, Value::String(_)))
                    {
                        let ls = if l.is_null() {
                            self.literal_of(left)
                        } else {
                            self.value_to_string(&l, *span)?
                        };
                        let rs = if r.is_null() {
                            self.literal_of(right)
                        } else {
                            self.value_to_string(&r, *span)?
                        };
                        return Ok(Value::from(ls + &rs));
                    }
                    Ok(arithmetic(*op, &l, &r).unwrap_or_default())
                }
                _ => Ok(Value::Bool(self.truthy(e)?)),
            },
        }
    }
}

/// Blocks that may render inside each other, per level of
/// `Limits::max_nesting` (see `Renderer::block`): 500 by default, which
/// takes about 1 MB of stack in a debug build and a tenth of that optimized.
const MAX_BLOCKS_PER_NESTING: usize = 5;

/// Items (string bytes, list or map entries) a unit of fuel pays for when a
/// method reads or builds them.
const SIZE_UNIT: u64 = 16;

/// The fuel a value costs to read or build in a method call: one unit per
/// [`SIZE_UNIT`] bytes of a string or entries of a list or map, so that
/// calls on long strings and lists in a loop cannot do unbounded work (or
/// build unbounded values) for little fuel. Walks over nested values count
/// their own steps (see `walk`).
fn size_units(v: &Value) -> u64 {
    let items = match v {
        Value::String(s) => s.len(),
        Value::List(l) => l.try_borrow().map_or(0, |l| l.len()),
        Value::Map(m) => m.try_borrow().map_or(0, |m| m.len()),
        _ => 0,
    };
    items as u64 / SIZE_UNIT
}

/// The fuel a value a method or property built costs: a new list or map
/// (one nothing else refers to yet, like `split`'s or `$s.bytes`) a unit an
/// entry, as a range's items do, since each is a value made; anything else
/// as [`size_units`].
fn built_units(v: &Value) -> u64 {
    match v {
        Value::List(l) if Rc::strong_count(l) == 1 => l.try_borrow().map_or(0, |l| l.len() as u64),
        Value::Map(m) if Rc::strong_count(m) == 1 => m.try_borrow().map_or(0, |m| m.len() as u64),
        _ => size_units(v),
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

fn range_bound(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Follows map properties from `value` by reference (see
/// `Renderer::context_map_path`): a missing key ends the walk with null, as
/// the general path does; anything but a map property gives `None`.
/// The non-null value a root name is bound to outside macro calls, by
/// reference: in the loops in progress (their variables and the values
/// `#set` gave them) or the context. `None` when the name is unbound or
/// null, or bound in a way only [`Renderer::lookup_hashed`] works out
/// (`$foreach`, `$velocityCount`, `$velocityHasNext`, a loop variable in
/// a null item): the caller then takes the general path, which gives the
/// same value. A free function over the fields it reads, so that the
/// renderer can write its output while it holds the value.
fn peek_variable<'v>(
    loops: &'v [Loop],
    loop_names: u64,
    ctx: &'v Context,
    name: &str,
    hash: u64,
) -> Option<&'v Value> {
    if loop_names & loop_name_bit(hash) != 0 {
        let special = &*SPECIAL_NAMES;
        if hash == special.foreach
            || hash == special.velocity_count
            || hash == special.velocity_has_next
        {
            return None;
        }
        let is_var = |l: &Loop| l.var_hash == hash && same_name(&l.var, name);
        if loops.iter().any(|l| is_var(l) && l.item.is_null()) {
            return None;
        }
        for l in loops.iter().rev() {
            if let Some((_, v)) = l.overrides.iter().find(|(n, _)| same_name(n, name)) {
                return Some(v).filter(|v| !v.is_null());
            }
            if is_var(l) {
                return Some(&l.item);
            }
        }
    }
    ctx.get_hashed(name, hash).filter(|v| !v.is_null())
}

/// Calls `f` with the value at the end of `accessors` when all of them are
/// properties of maps (read by reference, inside the maps' borrows) or of
/// host objects (`$context.stage`: the object's `property`, as `access`
/// reads it) starting at `value`; false when they are not, or `f` says so.
/// As in [`map_path`], a host object is only asked when every accessor
/// after it is a property (a `false` then sends the general path to ask it
/// again, which only happens when the value at the end is not a string).
/// `units` adds up what the properties read from host objects built, for
/// the caller to charge as `access` would.
fn with_map_path(
    value: &Value,
    accessors: &[Accessor],
    units: &mut u64,
    f: &mut dyn FnMut(&Value) -> bool,
) -> bool {
    let Some((first, rest)) = accessors.split_first() else {
        return f(value);
    };
    let Accessor::Property { name, hash, .. } = first else {
        return false;
    };
    let m = match value {
        Value::Map(m) => m,
        Value::Object(o) if rest.iter().all(|a| matches!(a, Accessor::Property { .. })) => {
            // A property the object does not have is left to the general
            // path (which makes it null, or reports it).
            let Some(child) = o.property(name) else {
                return false;
            };
            *units = units.saturating_add(built_units(&child));
            return with_map_path(&child, rest, units, f);
        }
        _ => return false,
    };
    let Ok(map) = m.try_borrow() else {
        return false;
    };
    match map
        .raw_entry_v1()
        .from_hash(*hash, |k| k.as_str().is_some_and(|k| same_name(k, name)))
    {
        Some((_, child)) => with_map_path(child, rest, units, f),
        None => false,
    }
}

/// The value at the end of `accessors` from `value`, when they are all
/// properties of maps and host objects (a null on the way gives null, as
/// the general path's walk stops there); `None` for anything else. A host
/// object is only asked when every accessor after it is a property too, so
/// that a `None` never leaves the general path to ask it again.
fn map_path(value: &Value, accessors: &[Accessor], units: &mut u64) -> Option<Value> {
    let Some((first, rest)) = accessors.split_first() else {
        return Some(value.clone());
    };
    let Accessor::Property { name, hash, .. } = first else {
        return value.is_null().then_some(Value::Null);
    };
    let m = match value {
        Value::Map(m) => m,
        Value::Object(o) if rest.iter().all(|a| matches!(a, Accessor::Property { .. })) => {
            // As `access` reads it: a property the object lacks is null.
            let child = o.property(name).unwrap_or_default();
            *units = units.saturating_add(built_units(&child));
            return map_path(&child, rest, units);
        }
        Value::Null => return Some(Value::Null),
        _ => return None,
    };
    let map = m.try_borrow().ok()?;
    match map
        .raw_entry_v1()
        .from_hash(*hash, |k| k.as_str().is_some_and(|k| same_name(k, name)))
    {
        Some((_, child)) => map_path(child, rest, units),
        None => Some(Value::Null),
    }
}
