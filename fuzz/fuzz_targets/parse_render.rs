//! Compiles and renders arbitrary input with both dialects under tight
//! limits. Errors are fine; a panic, stack overflow, hang or huge
//! allocation is a bug.
//!
//! Input layout: the first byte is a selector, the rest is UTF-8 (lossily
//! decoded) source.
//! - bit 0: if set and the source contains a NUL byte, the part before the
//!   first NUL is loaded as a macro library (`Engine::add_library`) and the
//!   part after it is the template;
//! - bit 1: render the compiled template a second time against the context
//!   the first render changed (`#set` persists; exercises the output hint);
//! - bit 2: start from an empty context instead of the fixed one.
//!
//! Each input runs on a thread with a 2 MB stack (a Tokio worker's, and
//! Rust's default for spawned threads), not on the fuzzer's 8 MB main
//! thread, so that recursion too deep for a server's threads shows up.

#![no_main]

use libfuzzer_sys::fuzz_target;
use phalanx_vtl::{Context, Dialect, Engine, Limits, MethodError, Object, Value};

/// A host object like API Gateway's `$input`/`$util`: properties, methods
/// and iteration.
struct Host;

impl Object for Host {
    fn type_name(&self) -> &str {
        "Host"
    }
    fn property(&self, name: &str) -> Option<Value> {
        match name {
            "name" => Some("host".into()),
            "items" => Some(Value::list(vec![Value::Int(1), "two".into()])),
            _ => None,
        }
    }
    fn call(&self, method: &str, args: &[Value]) -> Result<Value, MethodError> {
        match (method, args) {
            ("echo", [v]) => Ok(v.clone()),
            ("get", [k]) => Ok(Value::from(format!("got {k}"))),
            ("fail", _) => Err(MethodError::Failed("boom".into())),
            _ => Err(MethodError::NotFound),
        }
    }
    fn iterate(&self) -> Option<Vec<Value>> {
        Some(vec!["a".into(), Value::Null, Value::Int(3)])
    }
}

fn context() -> Context {
    let mut ctx = Context::new();
    ctx.insert("s", "hello, world".into());
    ctx.insert("e", "".into());
    ctx.insert("u", "h\u{e9}llo \u{1F600} w\u{f6}rld".into());
    ctx.insert("ws", "  padded\t\n".into());
    ctx.insert("csv", "a,b,,c,,".into());
    ctx.insert("re", "[a-z]+".into());
    ctx.insert("num", "42".into());
    ctx.insert("i", Value::Int(7));
    ctx.insert("neg", Value::Int(-3));
    ctx.insert("zero", Value::Int(0));
    ctx.insert("big", Value::Int(i64::MAX));
    ctx.insert("small", Value::Int(i64::MIN));
    ctx.insert("f", Value::Float(2.5));
    ctx.insert("nan", Value::Float(f64::NAN));
    ctx.insert("inf", Value::Float(f64::INFINITY));
    ctx.insert("t", Value::Bool(true));
    ctx.insert("no", Value::Bool(false));
    ctx.insert(
        "list",
        Value::list(vec![
            Value::Int(1),
            "two".into(),
            Value::Float(3.0),
            Value::Null,
            Value::Bool(true),
        ]),
    );
    ctx.insert("empty", Value::list(Vec::new()));
    ctx.insert(
        "nested",
        Value::list(vec![
            Value::list(vec![Value::Int(1), Value::Int(2)]),
            Value::map([("k", Value::from("v"))]),
        ]),
    );
    ctx.insert(
        "map",
        Value::map([
            ("a", Value::Int(1)),
            ("b", "bee".into()),
            ("list", Value::list(vec!["x".into(), "y".into()])),
            ("inner", Value::map([("deep", Value::from("est"))])),
            ("nil", Value::Null),
        ]),
    );
    ctx.insert(
        "people",
        Value::list(vec![
            Value::map([("name", Value::from("Ada")), ("age", Value::Int(36))]),
            Value::map([("name", Value::from("Alan")), ("age", Value::Int(41))]),
        ]),
    );
    ctx.insert("host", Value::object(Host));
    ctx
}

fn limits() -> Limits {
    Limits {
        max_foreach_iterations: Some(1000),
        max_template_bytes: 64 * 1024,
        max_nesting: 100,
        max_macro_depth: 20,
        max_output_bytes: 1024 * 1024,
        fuel: 200_000,
    }
}

/// The stack each input runs on.
const STACK: usize = 2 * 1024 * 1024;

fuzz_target!(|data: &[u8]| {
    let data = data.to_vec();
    let thread = std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || run(&data))
        .expect("spawn");
    if let Err(panic) = thread.join() {
        std::panic::resume_unwind(panic);
    }
});

fn run(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let source = String::from_utf8_lossy(rest);
    let (library, template) = match source.split_once('\0') {
        Some((lib, tpl)) if selector & 1 == 1 => (Some(lib), tpl),
        _ => (None, &*source),
    };
    for dialect in [Dialect::Velocity, Dialect::ApiGateway] {
        let mut engine = Engine::new(dialect).with_limits(limits());
        if let Some(library) = library {
            if let Err(e) = engine.add_library("lib.vm", library) {
                let _ = e.to_string();
            }
        }
        let compiled = match engine.compile("fuzz.vm", template) {
            Ok(t) => t,
            Err(e) => {
                // Formatting the error exercises the line/column code.
                let _ = (e.to_string(), e.location());
                continue;
            }
        };
        let mut ctx = if selector & 4 == 4 {
            Context::new()
        } else {
            context()
        };
        let renders = if selector & 2 == 2 { 2 } else { 1 };
        for _ in 0..renders {
            match compiled.render(&mut ctx) {
                Ok(out) => assert!(out.len() <= limits().max_output_bytes),
                Err(e) => {
                    let _ = (e.to_string(), e.location());
                }
            }
        }
    }
}
