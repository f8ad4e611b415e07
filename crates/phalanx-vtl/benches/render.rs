//! Parse and render the shared benchmark template (`tools/bench/envelope.vm`,
//! a JSON envelope like Sparta's default integration request template) with
//! the request in `tools/bench/request.json`: API Gateway's `$util` is the
//! gateway's own (`phalanx_gateway::vtl::Util`); `$input` and `$context` are
//! stand-ins with the same semantics as the Java and Node benchmarks' (see
//! `tools/bench/README.md`).
//!
//! `cargo bench -p phalanx-vtl --bench render`; `tools/bench/run-vtl-bench.sh` runs
//! it beside Apache Velocity 1.7 and velocityjs. Before timing, the output is
//! checked against Velocity 1.7's (`target/bench/velocity-1.7.out`) when that
//! file exists, and the allocations of one render are counted and printed.

#![deny(unsafe_code)] // one audited exception: the counting allocator

use criterion::{Criterion, criterion_group, criterion_main};
use phalanx_vtl::{Context, Engine, MethodError, Object, Template, Value};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Counts allocations so the bench can report them per render.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
/// Counting is switched on only around the renders that are counted: the
/// counter's atomic increment is not the engine's cost, and must not be
/// in the timed renders.
static COUNTING: AtomicBool = AtomicBool::new(false);

fn count_allocation() {
    if COUNTING.load(Ordering::Relaxed) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

/// The allocations `f` makes.
fn allocations_of(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    f();
    COUNTING.store(false, Ordering::Relaxed);
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

// SAFETY: `Counting` only counts, and forwards every call unchanged to
// `System`, which upholds `GlobalAlloc`'s contract.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_allocation();
        // SAFETY: forwards the caller's layout to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_allocation();
        // SAFETY: as for `dealloc`, and `new_size` is the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// `$input`: `json('$')` and `body` give the raw body; `params()` the
/// header/querystring/path maps; `params(name)` looks in path, querystring,
/// then header.
struct Input {
    body: Value,
    params: Value,
}

impl Object for Input {
    fn type_name(&self) -> &str {
        "Input"
    }
    fn property(&self, name: &str) -> Option<Value> {
        match name {
            "body" => Some(self.body.clone()),
            "params" => Some(self.params.clone()),
            _ => None,
        }
    }
    fn call(&self, method: &str, args: &[Value]) -> Result<Value, MethodError> {
        match (method, args) {
            ("json", [path]) if path.as_str() == Some("$") => Ok(self.body.clone()),
            ("params", []) => Ok(self.params.clone()),
            ("params", [name]) => {
                let Value::Map(all) = &self.params else {
                    return Ok(Value::Null);
                };
                let name = name.as_str().unwrap_or("");
                for kind in ["path", "querystring", "header"] {
                    if let Some(Value::Map(m)) = all.borrow().get(kind)
                        && let Some(v) = m.borrow().get(name)
                    {
                        return Ok(v.clone());
                    }
                }
                Ok(Value::Null)
            }
            _ => Err(MethodError::NotFound),
        }
    }
}

fn bench_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/bench")
}

struct Fixture {
    source: String,
    input: Value,
    util: Value,
    context: Value,
}

fn fixture() -> Fixture {
    let dir = bench_dir();
    // PHALANX_BENCH_TEMPLATE renders another template with the same objects
    // (to see what a part of the envelope costs).
    let path = std::env::var_os("PHALANX_BENCH_TEMPLATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join("envelope.vm"));
    let source = std::fs::read_to_string(&path).expect("the bench template");
    let request: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("request.json")).expect("request.json"),
    )
    .expect("request.json is JSON");
    Fixture {
        source,
        input: Value::object(Input {
            body: Value::from(request["body"].as_str().unwrap_or("")),
            params: Value::from_json(&request["params"]),
        }),
        util: Value::object(phalanx_gateway::vtl::Util),
        context: Value::from_json(&request["context"]),
    }
}

fn render_once(template: &Template, f: &Fixture) -> String {
    // As a host (the gateway) does it: the names are literals, not copied.
    let mut ctx = Context::with_capacity(3);
    ctx.insert_static("input", f.input.clone());
    ctx.insert_static("util", f.util.clone());
    ctx.insert_static("context", f.context.clone());
    template.render(&mut ctx).expect("the envelope renders")
}

fn envelope(c: &mut Criterion) {
    let f = fixture();
    let engine = Engine::api_gateway();
    let template = engine
        .compile("envelope.vm", &f.source)
        .expect("envelope.vm compiles");
    let out = render_once(&template, &f);
    let reference =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench/velocity-1.7.out");
    let own_template = std::env::var_os("PHALANX_BENCH_TEMPLATE").is_some();
    if !own_template {
        serde_json::from_str::<serde_json::Value>(&out).expect("the envelope is valid JSON");
    }
    match std::fs::read_to_string(&reference)
        .ok()
        .filter(|_| !own_template)
    {
        Some(expected) => {
            assert_eq!(
                out,
                expected,
                "our output differs from Velocity 1.7's ({})",
                reference.display()
            );
            eprintln!(
                "output: {} bytes, identical to Apache Velocity 1.7's",
                out.len()
            );
        }
        None => eprintln!(
            "output: {} bytes (no Velocity 1.7 output to compare with)",
            out.len()
        ),
    }
    let per_render = allocations_of(|| drop(render_once(&template, &f)));
    eprintln!("allocations per render (context setup included): {per_render}");
    let per_parse = allocations_of(|| drop(engine.compile("envelope.vm", &f.source)));
    eprintln!("allocations per parse: {per_parse}");
    // For instruction-count profiling (`valgrind --tool=callgrind`): a fixed
    // number of renders, no timing.
    if let Some(n) = std::env::var("PHALANX_BENCH_RENDERS")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    {
        for _ in 0..n {
            std::hint::black_box(render_once(&template, &f));
        }
        std::process::exit(0);
    }

    c.bench_function("envelope/render", |b| b.iter(|| render_once(&template, &f)));
    c.bench_function("envelope/parse", |b| {
        b.iter(|| engine.compile("envelope.vm", &f.source).expect("compiles"))
    });
    c.bench_function("envelope/parse+render", |b| {
        b.iter(|| {
            let t = engine.compile("envelope.vm", &f.source).expect("compiles");
            render_once(&t, &f)
        })
    });
}

criterion_group!(benches, envelope);
criterion_main!(benches);
