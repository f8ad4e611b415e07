//! The evaluator: walks a compiled template's tree against a [`Context`]
//! and writes the output.

mod context;
mod limits;
mod scope;

pub use context::Context;
pub use limits::Limits;

use crate::compiler::ast::*;
use crate::dialect::Dialect;
use crate::engine::{Macro, TemplateInner};
use crate::error::{Error, SourceRef, Span};
use crate::value::{
    MethodError, Object, Value, arithmetic, call_method, compare_numbers, get_index,
    get_property, set_index, set_property,
};
use scope::ForeachScope;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

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

/// A macro call in progress. Arguments are passed by name: each use of a
/// parameter evaluates the caller's expression again, in the caller's frame.
struct Frame {
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
}

/// Velocity 1.7's default `directive.define.max.depth`.
const MAX_DEFINE_DEPTH: usize = 2;

fn defined_depth(value: &Value) -> Option<usize> {
    match value {
        Value::Object(o) => (o.as_ref() as &dyn std::any::Any)
            .downcast_ref::<DefinedBlock>()
            .map(|d| d.depth.get()),
        _ => None,
    }
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
    /// The `#foreach` loops in progress, innermost last.
    loops: Vec<Loop>,
}

/// A `#foreach` in progress. Velocity keeps the loop variable, `$foreach`,
/// `$velocityCount` and `$velocityHasNext` in the context and restores them
/// after the loop; keeping them here instead gives the same lookups without
/// touching the context's hash table on every iteration.
struct Loop {
    var: Arc<str>,
    /// The current item (null when the item is null: the variable is then
    /// undefined, as Velocity removes it).
    item: Value,
    scope: Rc<ForeachScope>,
    /// Values `#set` gave to the loop's names during this iteration.
    overrides: Vec<(Box<str>, Value)>,
}

impl<'a> Renderer<'a> {
    pub(crate) fn new(template: &'a TemplateInner, ctx: &'a mut Context) -> Renderer<'a> {
        Renderer {
            fuel: template.limits.fuel,
            source: template.source.clone(),
            template,
            ctx,
            out: String::with_capacity(template.output_hint.get()),
            frames: Vec::new(),
            current: None,
            nesting: 0,
            loops: Vec::new(),
        }
    }

    /// Renders the template's body.
    pub(crate) fn render(mut self) -> Result<String, Error> {
        let template = self.template;
        match self.block(&template.body) {
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

    fn burn(&mut self, units: u64, span: Span) -> Result<(), Error> {
        match self.fuel.checked_sub(units) {
            Some(left) => {
                self.fuel = left;
                Ok(())
            }
            None => Err(Error::limit(
                format!(
                    "the render did more than {} units of work (Limits::fuel); is there a runaway loop?",
                    self.template.limits.fuel
                ),
                span,
            )
            .with_source(&self.source)),
        }
    }

    fn write(&mut self, s: &str, span: Span) -> Result<(), Error> {
        self.out.push_str(s);
        self.check_output(span)
    }

    fn check_output(&self, span: Span) -> Result<(), Error> {
        if self.out.len() > self.template.limits.max_output_bytes {
            return Err(Error::limit(
                format!(
                    "the output is larger than the limit of {} bytes",
                    self.template.limits.max_output_bytes
                ),
                span,
            )
            .with_source(&self.source));
        }
        Ok(())
    }

    fn nest(&mut self, span: Span) -> Result<(), Error> {
        self.nesting += 1;
        if self.nesting > self.template.limits.max_nesting {
            return Err(Error::limit(
                format!(
                    "rendering nested deeper than the limit of {} levels (a #define or #evaluate that includes itself?)",
                    self.template.limits.max_nesting
                ),
                span,
            )
            .with_source(&self.source));
        }
        Ok(())
    }

    fn block(&mut self, block: &Block) -> Rendered {
        for node in block {
            match self.node(node)? {
                Flow::Normal => {}
                flow => return Ok(flow),
            }
        }
        Ok(Flow::Normal)
    }

    fn node(&mut self, node: &Node) -> Rendered {
        self.burn(1, Span::default())?;
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
                };
                self.assign_variable(name, Value::object(block));
            }
            Node::Evaluate { expr, span } => return self.evaluate(expr, *span),
            Node::MacroCall(call) => return self.macro_call(call),
            Node::Unsupported {
                directive,
                args,
                span,
            } => {
                if let [arg] = &args[..] {
                    if self.value(arg)?.is_null() {
                        return Ok(Flow::Normal);
                    }
                }
                return Err(self.error(
                    format!("#{directive} is not supported: templates here cannot load other templates"),
                    *span,
                ));
            }
        }
        Ok(Flow::Normal)
    }

    // ----- references -------------------------------------------------

    fn render_reference(&mut self, r: &Reference) -> Rendered {
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
        if escapes > 1 {
            self.out.extend(std::iter::repeat_n('\\', escapes / 2));
        }
        if escapes % 2 == 1 {
            self.write(&r.literal, r.span)?;
            return Ok(Flow::Normal);
        }
        self.render_value(&value, r.span)
    }

    /// The text written for a null reference: its source, except that a
    /// macro parameter shows the caller's argument (Velocity substitutes the
    /// argument's tree for the parameter), e.g. `$notincontext.woogie()`.
    fn null_literal(&self, r: &Reference) -> String {
        let mut literal = r.literal.to_string();
        let mut frame = self.current;
        let mut root: &str = &r.root;
        while let Some(i) = frame {
            let f = &self.frames[i];
            let Some(pos) = f.def.def.params.iter().position(|p| **p == *root) else {
                break;
            };
            let Some(Expr::Reference(arg)) = f.args.get(pos).map(|a| &**a) else {
                break;
            };
            let prefix = if literal.starts_with("$!{") {
                3
            } else if literal.starts_with("${") || literal.starts_with("$!") {
                2
            } else {
                1
            };
            let Some(suffix) = literal.get(prefix + root.len()..) else {
                break;
            };
            if prefix == 3 || literal.starts_with("${") {
                break;
            }
            literal = format!("{}{suffix}", arg.literal);
            root = &arg.root;
            frame = f.caller;
        }
        literal
    }

    /// Writes a value; a `#define` block renders its body here.
    fn render_value(&mut self, value: &Value, span: Span) -> Rendered {
        if let Value::Object(o) = value {
            if let Some(defined) = (o.as_ref() as &dyn std::any::Any).downcast_ref::<DefinedBlock>() {
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
        }
        if value.try_render_into(&mut self.out).is_err() {
            return Err(self.error(
                "cannot render a list or map that contains itself: Java's toString throws StackOverflowError",
                span,
            ));
        }
        self.check_output(span)?;
        Ok(Flow::Normal)
    }

    /// The string a value renders as (a `#define` block is rendered).
    fn value_to_string(&mut self, value: &Value, span: Span) -> Result<String, Error> {
        let start = self.out.len();
        self.render_value(value, span)?;
        Ok(self.out.split_off(start))
    }

    fn reference_value(&mut self, r: &Reference) -> Result<Value, Error> {
        let mut value = self.lookup(&r.root, r.span)?;
        for accessor in &r.accessors {
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

    fn access(&mut self, target: &Value, accessor: &Accessor) -> Result<Value, Error> {
        match accessor {
            Accessor::Property { name, .. } => Ok(get_property(target, name).unwrap_or_default()),
            Accessor::Method { name, args, span } => {
                // Most calls take a few arguments: keep them off the heap.
                let mut values = smallvec::SmallVec::<[Value; 3]>::new();
                for a in args {
                    values.push(self.value(a)?);
                }
                self.invoke(target, name, &values, *span)
            }
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

    fn invoke(&mut self, target: &Value, name: &str, args: &[Value], span: Span) -> Result<Value, Error> {
        match call_method(target, name, args) {
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

    /// Resolves a root name: macro parameters first, then the context.
    fn lookup(&mut self, name: &str, span: Span) -> Result<Value, Error> {
        let mut frame = self.current;
        while let Some(i) = frame {
            let f = &self.frames[i];
            if let Some((_, v)) = f.overrides.iter().find(|(n, _)| **n == *name) {
                return Ok(v.clone());
            }
            if name == "bodyContent" {
                if let Some(body) = &f.body {
                    let block = DefinedBlock {
                        body: body.clone(),
                        source: f.caller_source.clone(),
                        depth: Cell::new(0),
                    };
                    return Ok(Value::object(block));
                }
            }
            if let Some(pos) = f.def.def.params.iter().position(|p| **p == *name) {
                let Some(arg) = f.args.get(pos).cloned() else {
                    // A missing argument is an undefined reference.
                    return Ok(Value::Null);
                };
                let caller = f.caller;
                let caller_source = f.caller_source.clone();
                let saved = (self.current, std::mem::replace(&mut self.source, caller_source));
                self.current = caller;
                self.nest(span)?;
                let v = self.value(&arg);
                self.nesting -= 1;
                self.current = saved.0;
                self.source = saved.1;
                return v;
            }
            // Velocity 1.7's macros see the caller's context, not its
            // parameters: only the innermost frame binds names.
            frame = None;
        }
        if let Some(v) = self.loop_variable(name) {
            return Ok(v);
        }
        Ok(self.ctx.get(name).cloned().unwrap_or_default())
    }

    /// A name bound by a loop in progress: its variable, or for the
    /// innermost loop `$foreach`, `$velocityCount` and `$velocityHasNext`.
    fn loop_variable(&self, name: &str) -> Option<Value> {
        let innermost = self.loops.len().checked_sub(1)?;
        for (depth, l) in self.loops.iter().enumerate().rev() {
            if let Some((_, v)) = l.overrides.iter().find(|(n, _)| **n == *name) {
                return Some(v.clone());
            }
            if *l.var == *name {
                return Some(l.item.clone());
            }
            // Dispatch on the length first: this runs for every name a
            // template looks up inside a loop.
            if depth == innermost {
                let i = l.scope.index.get();
                match name.len() {
                    7 if name == "foreach" => return Some(Value::Object(l.scope.clone())),
                    13 if name == "velocityCount" => return Some(Value::from(i + 1)),
                    15 if name == "velocityHasNext" => {
                        return Some(Value::Bool(l.scope.has_next.get()));
                    }
                    _ => {}
                }
            }
        }
        None
    }

    /// `#set($name = v)` on a root name: a macro parameter is shadowed in
    /// its frame, anything else goes to the context.
    fn assign_variable(&mut self, name: &str, value: Value) {
        if let Some(i) = self.current {
            let f = &mut self.frames[i];
            if f.def.def.params.iter().any(|p| **p == *name) {
                match f.overrides.iter_mut().find(|(n, _)| **n == *name) {
                    Some(slot) => slot.1 = value,
                    None => f.overrides.push((name.into(), value)),
                }
                return;
            }
        }
        // A name a loop binds is overridden until the loop's next iteration.
        let innermost = self.loops.len().saturating_sub(1);
        let special = matches!(name, "foreach" | "velocityCount" | "velocityHasNext");
        for (depth, l) in self.loops.iter_mut().enumerate().rev() {
            if *l.var == *name || (special && depth == innermost) {
                match l.overrides.iter_mut().find(|(n, _)| **n == *name) {
                    Some(slot) => slot.1 = value,
                    None => l.overrides.push((name.into(), value)),
                }
                return;
            }
        }
        self.ctx.insert(name, value);
    }

    fn set(&mut self, target: &Reference, value: &Expr, span: Span) -> Result<(), Error> {
        let value = self.value(value)?;
        // `directive.set.null.allowed = false`: a null right side leaves the
        // target as it was.
        if value.is_null() {
            return Ok(());
        }
        let Some((last, path)) = target.accessors.split_last() else {
            self.assign_variable(&target.root, value);
            return Ok(());
        };
        let mut holder = self.lookup(&target.root, target.span)?;
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
        let items: Vec<Value> = match &iterable {
            Value::List(l) => l.borrow().clone(),
            Value::Map(m) => m.borrow().values().cloned().collect(),
            Value::Object(o) => o.iterate().unwrap_or_default(),
            // Velocity 1.7 logs "could not determine type of iterator" and
            // skips the loop for anything else (and for null).
            _ => Vec::new(),
        };
        if let Some(max) = self.template.limits.max_foreach_iterations {
            if items.len() > max {
                return Err(Error::limit(
                    format!(
                        "#foreach over {} items: more than {max} iterations, the limit per loop",
                        items.len()
                    ),
                    f.span,
                )
                .with_source(&self.source));
            }
        }
        if items.is_empty() {
            return Ok(Flow::Normal);
        }
        let parent = self.loop_variable("foreach").unwrap_or_else(|| {
            self.ctx.get("foreach").cloned().unwrap_or_default()
        });
        let scope = Rc::new(ForeachScope {
            index: Cell::new(0),
            has_next: Cell::new(false),
            parent,
        });
        self.loops.push(Loop {
            var: f.var.clone(),
            item: Value::Null,
            scope: scope.clone(),
            overrides: Vec::new(),
        });
        let n = items.len();
        let mut result = Ok(Flow::Normal);
        for (i, item) in items.into_iter().enumerate() {
            if let Err(e) = self.burn(1, f.span) {
                result = Err(e);
                break;
            }
            scope.index.set(i);
            scope.has_next.set(i + 1 < n);
            if let Some(l) = self.loops.last_mut() {
                l.item = item;
                l.overrides.clear();
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
        result
    }

    fn evaluate(&mut self, expr: &Expr, span: Span) -> Rendered {
        let value = self.value(expr)?;
        if value.is_null() {
            return Ok(Flow::Normal);
        }
        let text = self.value_to_string(&value, span)?;
        let template = self.template;
        let is_global_macro = |name: &str| template.find_macro(name).is_some();
        let syntax = crate::engine::syntax_for(template.dialect, template.limits.max_nesting, &is_global_macro);
        let parsed = crate::compiler::parser::parse(&text, &syntax)
            .map_err(|e| {
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
        Ok(match flow? {
            Flow::Stop => Flow::Stop,
            _ => Flow::Normal,
        })
    }

    fn macro_call(&mut self, call: &MacroCall) -> Rendered {
        let Some(def) = self.template.find_macro(&call.name) else {
            // Velocity 1.7 binds macro calls at render time and writes the
            // call's source text when no macro has that name.
            self.write(&call.literal, call.span)?;
            return Ok(Flow::Normal);
        };
        if self.frames.len() >= self.template.limits.max_macro_depth {
            return Err(Error::limit(
                format!(
                    "macro calls nested deeper than {} (velocimacro.max.depth) in #{}",
                    self.template.limits.max_macro_depth, call.name
                ),
                call.span,
            )
            .with_source(&self.source));
        }
        let macro_source = def.source.clone();
        self.frames.push(Frame {
            def: def.clone(),
            args: call.args.clone(),
            overrides: Vec::new(),
            caller: self.current,
            caller_source: self.source.clone(),
            body: call.body.clone(),
        });
        let saved = (self.current, std::mem::replace(&mut self.source, macro_source));
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
                flow?;
                Ok(Value::from(text))
            }
            Expr::List(items) => {
                let items = items
                    .iter()
                    .map(|i| self.value(i))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::list(items))
            }
            Expr::Map(entries) => {
                let mut map = indexmap::IndexMap::with_capacity_and_hasher(entries.len(), Default::default());
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
            } => match op {
                BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
                    let (l, r) = (self.value(left)?, self.value(right)?);
                    // `+` with a String on either side concatenates; a null
                    // side contributes its source text (ASTAddNode).
                    if *op == BinaryOp::Add
                        && (matches!(l, Value::String(_)) || matches!(r, Value::String(_)))
                    {
                        let ls = if l.is_null() { literal_of(left) } else { self.value_to_string(&l, *span)? };
                        let rs = if r.is_null() { literal_of(right) } else { self.value_to_string(&r, *span)? };
                        return Ok(Value::from(ls + &rs));
                    }
                    Ok(arithmetic(*op, &l, &r).unwrap_or_default())
                }
                _ => Ok(Value::Bool(self.truthy(e)?)),
            },
        }
    }
}

/// The source text Velocity substitutes for a null operand of `+`.
fn literal_of(e: &Expr) -> String {
    match e {
        Expr::Reference(r) => r.literal.to_string(),
        _ => "null".into(),
    }
}

fn range_bound(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

