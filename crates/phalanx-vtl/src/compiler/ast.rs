//! The syntax tree a template compiles to. Every node that can fail at render
//! time carries the [`Span`] of its source so errors can point at it.

use crate::error::Span;
use std::sync::Arc;

/// A sequence of nodes: a template body, a branch, a loop body.
pub type Block = Vec<Node>;

/// A piece of template output.
#[derive(Debug)]
pub enum Node {
    /// Literal text, written as is.
    Text(Box<str>),
    /// `$a.b.c()` in text: rendered as its value (or its source text if null).
    Reference(Box<Reference>),
    /// `#set($target = value)`.
    Set {
        target: Box<Reference>,
        value: Expr,
        span: Span,
    },
    /// `#if(..) .. #elseif(..) .. #else .. #end`.
    If {
        branches: Vec<(Expr, Block)>,
        otherwise: Option<Block>,
    },
    /// `#foreach($var in iterable) body #end`.
    Foreach(Box<Foreach>),
    /// `#break` (optionally `#break($foreach)`): leaves the innermost loop.
    // The span is not read by the renderer; it stays in the tree for
    // `unstable-internals` users (and `Debug`).
    Break(#[cfg_attr(not(feature = "unstable-internals"), allow(dead_code))] Span),
    /// `#stop`: ends the whole render, keeping the output so far.
    Stop,
    /// `#define($name) body #end`: `$name` renders the body when referenced.
    Define { name: Box<str>, body: Arc<Block> },
    /// `#evaluate(expr)`: renders the value of `expr` as a template.
    Evaluate { expr: Expr, span: Span },
    /// `#name(args)` or `#@name(args) body #end`: a macro call, bound at
    /// render time (Velocity 1.7's `RuntimeMacro`); rendered as its source
    /// text when no macro of that name exists.
    MacroCall(Box<MacroCall>),
    /// `#include`/`#parse`: we have no resource loader; rendering fails
    /// (unless the argument is null, which Velocity skips).
    Unsupported {
        directive: Box<str>,
        args: Vec<Expr>,
        span: Span,
    },
}

/// A `#foreach` loop.
#[derive(Debug)]
pub struct Foreach {
    pub var: Arc<str>,
    /// `var`'s hash (see [`name_hash`]), computed once at compile time.
    pub var_hash: u64,
    pub iterable: Expr,
    pub body: Block,
    pub span: Span,
}

/// A macro call site.
#[derive(Debug)]
pub struct MacroCall {
    pub name: Box<str>,
    /// Shared so that a macro frame can hold them while the body renders:
    /// Velocity passes arguments by name and evaluates them at each use.
    pub args: Vec<Arc<Expr>>,
    /// The body of a block macro call (`#@name() body #end`).
    pub body: Option<Arc<Block>>,
    /// The call's source text, rendered when the macro does not exist.
    pub literal: Box<str>,
    pub span: Span,
}

/// A macro definition (`#macro(name $a $b) body #end`).
#[derive(Debug)]
pub struct MacroDef {
    pub name: Box<str>,
    pub params: Vec<Box<str>>,
    pub body: Block,
    // Not read by the renderer; kept for `unstable-internals` users (and
    // `Debug`), as `Break`'s span.
    #[cfg_attr(not(feature = "unstable-internals"), allow(dead_code))]
    pub span: Span,
}

/// A reference: `$name` followed by property, method and index accesses.
#[derive(Debug)]
pub struct Reference {
    /// The root variable name.
    pub root: Box<str>,
    /// `root`'s hash (see [`name_hash`]), computed once at compile time.
    pub root_hash: u64,
    pub accessors: Vec<Accessor>,
    /// `$!name`: renders nothing instead of its source text when null.
    pub quiet: bool,
    /// Number of backslashes written directly before the `$`.
    pub backslashes: u32,
    /// The source text without the backslashes, e.g. `${a.b}`: what Velocity
    /// renders for a null reference.
    pub literal: Box<str>,
    pub span: Span,
    /// `Some` for `$foreach.hasNext` (`.index`, `.count`, `.first`,
    /// `.last`): the renderer can read these straight from the loop in
    /// progress. Worked out once here, since every reference would
    /// otherwise be checked for it on every render.
    pub loop_position: Option<LoopPosition>,
}

/// A property of the innermost loop's position (`$foreach.hasNext` …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopPosition {
    Index,
    Count,
    HasNext,
    First,
    Last,
}

impl LoopPosition {
    /// The position `$root.accessors` reads, if it is one.
    pub fn of(root: &str, accessors: &[Accessor]) -> Option<LoopPosition> {
        let [Accessor::Property { name, .. }] = accessors else {
            return None;
        };
        if root != "foreach" {
            return None;
        }
        LoopPosition::named(name)
    }

    /// The position a property of `$foreach` of this name reads.
    pub fn named(property: &str) -> Option<LoopPosition> {
        Some(match property {
            "index" => LoopPosition::Index,
            "count" => LoopPosition::Count,
            "hasNext" => LoopPosition::HasNext,
            "first" => LoopPosition::First,
            "last" => LoopPosition::Last,
            _ => return None,
        })
    }
}

/// One step after the root of a reference.
#[derive(Debug)]
pub enum Accessor {
    /// `.name`: Velocity's property lookup (`getName()`, `get("name")`, `isName()`).
    Property {
        name: Box<str>,
        /// `name`'s hash (see [`name_hash`]), computed once here rather than
        /// on every lookup.
        hash: u64,
        span: Span,
    },
    /// `.name(args)`: a method call.
    Method {
        name: Box<str>,
        /// What the renderer must treat apart in a call of this name,
        /// worked out once here.
        kind: MethodKind,
        args: Vec<Expr>,
        /// `args` as values when every one is a literal (`.replace("\'",
        /// "'")`, `$input.path('$.x')`): passed as they are, with nothing
        /// to evaluate, clone or drop on each call.
        const_args: Option<ConstArgs>,
        span: Span,
    },
    /// `[expr]`: list index or map key.
    Index { index: Expr, span: Span },
}

/// The arguments of a call whose arguments are all literals, as values made
/// once at compile time.
pub struct ConstArgs(Box<[crate::value::Value]>);

impl ConstArgs {
    /// The arguments as values, when every one is a literal (and there is
    /// at least one).
    pub fn of(args: &[Expr]) -> Option<ConstArgs> {
        if args.is_empty() {
            return None;
        }
        let values = args
            .iter()
            .map(|a| match a {
                Expr::Literal(l) => Some(l.to_value()),
                _ => None,
            })
            .collect::<Option<Box<[_]>>>()?;
        Some(ConstArgs(values))
    }

    /// The values, to pass to a method as they are.
    pub fn values(&self) -> &[crate::value::Value] {
        &self.0
    }
}

impl std::fmt::Debug for ConstArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

// SAFETY: a compiled template is shared between threads, and `Value` is
// not `Send` or `Sync` because lists, maps and host objects are `Rc`s. A
// `ConstArgs` is made only by `ConstArgs::of`, from `Literal`s, so every
// value in it is a scalar: null, a boolean, a number or a string, whose
// parts (`bool`, `i64`, `f64`, `Arc<str>`) are all `Send + Sync`. It is
// never changed after it is made (there is no `&mut` access), and all that
// can be done with a `&Value` of a scalar (read it, clone it: an `Arc`
// clone) is thread-safe. Dropping one runs `Value`'s `Drop`, which only
// touches thread-locals for lists, maps and objects. The field is private,
// so no code outside this module can put another kind of value in one.
#[allow(unsafe_code)]
unsafe impl Send for ConstArgs {}
// SAFETY: as for `Send` above: only scalars, never mutated, so shared
// `&ConstArgs` on several threads only read `bool`s, numbers and `Arc<str>`s.
#[allow(unsafe_code)]
unsafe impl Sync for ConstArgs {}

/// The method names the renderer treats apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodKind {
    /// `toString`: renders a `#define` block.
    ToString,
    /// `matches`, `replaceAll`, `replaceFirst`, `split`: on a string they
    /// run a regular expression, which costs more fuel.
    Regex,
    /// Any other name.
    Plain,
}

impl MethodKind {
    /// The kind of a method of this name.
    pub fn of(name: &str) -> MethodKind {
        match name {
            "toString" => MethodKind::ToString,
            "matches" | "replaceAll" | "replaceFirst" | "split" => MethodKind::Regex,
            _ => MethodKind::Plain,
        }
    }
}

/// An expression in a directive's arguments or a method's arguments.
#[derive(Debug)]
pub enum Expr {
    /// A literal value known at compile time (numbers, booleans, plain strings).
    Literal(Literal),
    /// A double-quoted string containing `$` or `#`: rendered as a template.
    Interpolated {
        parts: Block,
        span: Span,
    },
    Reference(Box<Reference>),
    List(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    Range {
        from: Box<Expr>,
        to: Box<Expr>,
        span: Span,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
        span: Span,
        /// What Velocity writes for this operand when it is null in a `+`
        /// with a string (its `SimpleNode.literal()`): the source from
        /// after the operator to the end of the right operand and the
        /// blanks after it (`$n * 2 ` gives ` 2 `), or, in parentheses,
        /// all that is inside them.
        literal: Span,
    },
}

/// A constant. Kept apart from [`Value`](crate::Value) so that compiled
/// templates are `Send + Sync` (values hold `Rc`s).
#[derive(Debug, Clone)]
pub enum Literal {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
}

impl Literal {
    pub fn to_value(&self) -> crate::value::Value {
        use crate::value::Value;
        match self {
            Literal::Null => Value::Null,
            Literal::Bool(b) => Value::Bool(*b),
            Literal::Int(i) => Value::Int(*i),
            Literal::Float(f) => Value::Float(*f),
            Literal::Str(s) => Value::String(s.clone()),
        }
    }
}

/// `!` / `not`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
}

/// Binary operators, in Velocity's spellings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// The hash the context and maps use for a name (see `value::hashing`),
/// so that a compiled template can compute it once instead of on every
/// render.
pub fn name_hash(name: &str) -> u64 {
    crate::value::name_hash(name)
}
