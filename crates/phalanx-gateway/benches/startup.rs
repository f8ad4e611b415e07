//! What `phalanx serve` spends before it can answer, in process: reading a
//! template (a SAM one goes through the SAM transform first) or an OpenAPI
//! document into the model, then compiling it into a gateway (templates,
//! selection patterns, schemas, routes). Function processes start on first
//! use and are not part of it. Results are in `docs/PERFORMANCE.md`.
//!
//! `cargo bench -p phalanx-gateway --bench startup`

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use phalanx_gateway::Gateway;
use phalanx_gateway::cloudformation::{ImportOptions, import};
use phalanx_gateway::invoke::InProcess;
use phalanx_gateway::openapi::{OpenApiOptions, import as import_openapi};

fn corpus(path: &str) -> (String, PathBuf) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(path);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let dir = path.parent().expect("a folder").to_path_buf();
    (text, dir)
}

fn startup(c: &mut Criterion) {
    let templates = [
        ("sam", "sam-crud-several-functions/template.yaml"),
        ("sam-cors", "sam-cors-object/template.yaml"),
        ("cloudformation", "cfn-resources-methods/template.json"),
    ];
    for (name, path) in templates {
        let (text, dir) = corpus(path);
        let options = ImportOptions {
            base_dir: Some(dir),
            ..ImportOptions::default()
        };
        c.bench_function(&format!("import/{name}"), |b| {
            b.iter(|| import(&text, path, &options).expect("imports"))
        });
        let imported = import(&text, path, &options).expect("imports");
        let stage = imported.api.stages[0].stage_name.clone();
        c.bench_function(&format!("import+compile/{name}"), |b| {
            b.iter(|| {
                let imported = import(&text, path, &options).expect("imports");
                Gateway::build(&imported.api, &stage, InProcess::new()).expect("compiles")
            })
        });
    }
    let (text, _) = corpus("oas3-lambda-custom/openapi.yaml");
    c.bench_function("import+compile/openapi", |b| {
        b.iter(|| {
            let imported =
                import_openapi(&text, "openapi.yaml", &OpenApiOptions::default()).expect("imports");
            Gateway::build(&imported.api, "dev", InProcess::new()).expect("compiles")
        })
    });
}

criterion_group!(benches, startup);
criterion_main!(benches);
