//! Limits and metering: what keeps a hostile or mistaken template from
//! hanging or exhausting the process. [`Limits`] says how much a template
//! may use; the renderer's meters here (fuel, output size, nesting) charge
//! each step against them, and each limit reached fails the render with a
//! clear error.

use super::Renderer;
use crate::error::{Error, Span};
use crate::value::{Value, walk};
use std::rc::Rc;

/// Limits applied while compiling and rendering.
///
/// ```
/// use phalanx_vtl::{Context, Engine, Limits};
/// let engine = Engine::api_gateway().with_limits(Limits {
///     max_foreach_iterations: Some(2),
///     ..Limits::api_gateway()
/// });
/// let t = engine.compile("t", "#foreach($i in [1..3])$i#end").unwrap();
/// let err = t.render(&mut Context::new()).unwrap_err();
/// assert!(err.message().contains("more than 2 iterations"), "{err}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Iterations one `#foreach` may make (API Gateway: 1000).
    pub max_foreach_iterations: Option<usize>,
    /// Size of a template's source in bytes (API Gateway: 300 KB).
    pub max_template_bytes: usize,
    /// Nesting of blocks and expressions when parsing, and of `#define`,
    /// `#evaluate` and string interpolation when rendering. Blocks rendering
    /// inside each other through macro calls and `#evaluate` may nest five
    /// times as deep, which keeps a render well within a 2 MB stack.
    pub max_nesting: usize,
    /// Depth of macro calls (Velocity's `velocimacro.max.depth`, 20).
    pub max_macro_depth: usize,
    /// Size of the rendered output in bytes.
    pub max_output_bytes: usize,
    /// Work units per render (a node rendered, an iteration, an item of a
    /// range; a method call one plus one per 16 bytes or entries it reads
    /// and one per list or map entry it builds; a byte of a regular
    /// expression's subject or of an `#evaluate`d string; an item visited
    /// comparing, hashing or printing nested lists and maps): bounds the
    /// time a render can take, and what it can build.
    pub fuel: u64,
}

impl Limits {
    /// API Gateway's limits: 1000 `#foreach` iterations and 300 KB
    /// templates (AWS API Gateway developer guide, "Amazon API Gateway
    /// important notes" and "quotas": "The number of iterations allowed in a
    /// #foreach loop is limited to 1000"; "Mapping template size: 300 KB").
    /// The output limit is the 10 MB payload limit.
    pub fn api_gateway() -> Limits {
        Limits {
            max_foreach_iterations: Some(1000),
            max_template_bytes: 300 * 1024,
            max_nesting: 100,
            max_macro_depth: 20,
            max_output_bytes: 10 * 1024 * 1024,
            fuel: 50_000_000,
        }
    }

    /// Plain Velocity 1.7 has no loop or size limits; these keep a render
    /// bounded all the same.
    pub fn velocity() -> Limits {
        Limits {
            max_foreach_iterations: None,
            max_template_bytes: 16 * 1024 * 1024,
            max_nesting: 100,
            max_macro_depth: 20,
            max_output_bytes: 64 * 1024 * 1024,
            fuel: 50_000_000,
        }
    }
}

/// Blocks that may render inside each other, per level of
/// `Limits::max_nesting` (see `Renderer::block`): 500 by default, which
/// takes about 1 MB of stack in a debug build and a tenth of that optimized.
pub(super) const MAX_BLOCKS_PER_NESTING: usize = 5;

/// Items (string bytes, list or map entries) a unit of fuel pays for when a
/// method reads or builds them.
pub(super) const SIZE_UNIT: u64 = 16;

/// The fuel a value costs to read or build in a method call: one unit per
/// [`SIZE_UNIT`] bytes of a string or entries of a list or map, so that
/// calls on long strings and lists in a loop cannot do unbounded work (or
/// build unbounded values) for little fuel. Walks over nested values count
/// their own steps (see `walk`).
pub(super) fn size_units(v: &Value) -> u64 {
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
pub(super) fn built_units(v: &Value) -> u64 {
    match v {
        Value::List(l) if Rc::strong_count(l) == 1 => l.try_borrow().map_or(0, |l| l.len() as u64),
        Value::Map(m) if Rc::strong_count(m) == 1 => m.try_borrow().map_or(0, |m| m.len() as u64),
        _ => size_units(v),
    }
}

/// The meters: each charges the render and fails it with a limit error
/// when the template's [`Limits`] are reached.
impl Renderer<'_> {
    pub(super) fn limit(&self, message: impl Into<String>, span: Span) -> Error {
        Error::limit(message, span).with_source(&self.source)
    }

    /// The unit of fuel a node costs. Reading the per-thread meter of value
    /// walks on every node would cost more than the node, so this reads it
    /// every 64th node (and when the tank is nearly empty); every other
    /// charge (`burn`) reads it, so a walk cut short is seen at once.
    #[inline]
    pub(super) fn tick(&mut self, span: Span) -> Result<(), Error> {
        if self.fuel & 63 != 0 && self.fuel > 1 {
            self.fuel -= 1;
            return Ok(());
        }
        self.burn(1, span)
    }

    /// Charges `units` of fuel, and the steps walks over lists and maps
    /// took since the last charge.
    pub(super) fn burn(&mut self, units: u64, span: Span) -> Result<(), Error> {
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

    /// Fails when the output has grown past `Limits::max_output_bytes`.
    pub(super) fn check_output(&self, span: Span) -> Result<(), Error> {
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

    /// One level deeper of `#define`, `#evaluate`, string interpolation or
    /// macro argument (the caller takes it back off `nesting`).
    pub(super) fn nest(&mut self, span: Span) -> Result<(), Error> {
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

    /// Fails when blocks render inside each other deeper than
    /// [`MAX_BLOCKS_PER_NESTING`] × `max_nesting` (see `Renderer::block`).
    pub(super) fn check_blocks(&self) -> Result<(), Error> {
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
        Ok(())
    }

    /// A method call's result charged and checked: `arg_units` is what
    /// its arguments cost; a call costs what it reads and builds (an
    /// `addAll` grows its target), a regular expression a unit a byte of
    /// its subject. No string may be longer than the output could be: a
    /// string doubled by `concat` in a loop fails here, not in the
    /// allocator.
    pub(super) fn charge_call(
        &mut self,
        target: &Value,
        name: &str,
        regex: bool,
        arg_units: u64,
        result: Option<&Value>,
        span: Span,
    ) -> Result<(), Error> {
        let mut cost = 1 + size_units(target) + arg_units + result.map_or(0, built_units);
        if let (Value::String(s), true) = (target, regex) {
            // A regular expression costs more a byte than a scan (and a
            // backtracking match at most its backtrack limit).
            cost += s.len() as u64;
        }
        // `burn` also charges the walks the call made (`toString`,
        // `equals`, `hashCode`), so a walk cut short for want of fuel
        // fails as such.
        self.burn(cost, span)?;
        if let Some(Value::String(s)) = result
            && s.len() > self.template.limits.max_output_bytes
        {
            return Err(self.limit(
                format!(
                    "method '{name}' made a string of {} bytes, longer than the output limit of {} bytes",
                    s.len(),
                    self.template.limits.max_output_bytes
                ),
                span,
            ));
        }
        Ok(())
    }
}
