//! Resource limits: what keeps a hostile or mistaken template from hanging
//! or exhausting the process. Each one fails the render with a clear error.

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
