//! Apache Velocity 1.7's own test suite, run from the data in
//! `../shared/conformance/velocity-1.7/` (read in place, never copied):
//! its template tests (`TemplateTestCase`) and the inline cases of its unit
//! tests (`assertEvalEquals`). Every case we do not pass must be listed,
//! with its reason, in `tests/velocity_known_gaps.txt`.

use phalanx_vtl::{Context, Engine, Value};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn conformance_dir() -> PathBuf {
    let dir = std::env::var_os("PHALANX_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")
        })
        .join("velocity-1.7");
    assert!(
        dir.join("manifest.json").is_file(),
        "conformance data not found at {}: the repository expects ../shared beside it (or set PHALANX_CONFORMANCE_DIR)",
        dir.display()
    );
    dir
}

fn read_json(path: PathBuf) -> Json {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The original harness's normalisation: `\r\n` and `\r\r\n` become `\n`.
fn normalise(s: &str) -> String {
    s.replace("\r\r\n", "\n").replace("\r\n", "\n")
}

/// The driver's context: every key of `context`, plus each alias bound to
/// the same (shared) value.
pub fn driver_context(dir: &std::path::Path) -> Context {
    let json = read_json(dir.join("context.json"));
    let mut ctx = Context::new();
    if let Some(obj) = json["context"].as_object() {
        for (k, v) in obj {
            ctx.insert(k.clone(), Value::from_json(v));
        }
    }
    if let Some(aliases) = json["aliases"].as_object() {
        for (alias, target) in aliases {
            let shared = ctx
                .get(target.as_str().unwrap_or(""))
                .cloned()
                .unwrap_or_default();
            ctx.insert(alias.clone(), shared);
        }
    }
    ctx
}

#[test]
fn all_27_templates_match_byte_for_byte() {
    let dir = conformance_dir();
    let manifest = read_json(dir.join("manifest.json"));
    let library = std::fs::read_to_string(dir.join("templates/VM_global_library.vm")).unwrap();
    let mut failures = Vec::new();
    let mut ran = 0;
    for entry in manifest.as_array().unwrap() {
        if entry["copied"] != Json::Bool(true) {
            continue;
        }
        ran += 1;
        let name = entry["name"].as_str().unwrap();
        let source =
            std::fs::read_to_string(dir.join(entry["template"].as_str().unwrap())).unwrap();
        let expected =
            std::fs::read_to_string(dir.join(entry["expected"].as_str().unwrap())).unwrap();
        let mut engine = Engine::velocity();
        engine
            .add_library("VM_global_library.vm", &library)
            .unwrap();
        let result = engine
            .compile(&format!("{name}.vm"), &source)
            .and_then(|t| t.render(&mut driver_context(&dir)));
        match result {
            Ok(out) if normalise(&out) == normalise(&expected) => {}
            Ok(out) => failures.push(format!(
                "{name}: output differs\n{}",
                first_difference(&normalise(&expected), &normalise(&out))
            )),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert_eq!(ran, 27, "the manifest should list 27 copied templates");
    assert!(
        failures.is_empty(),
        "{} of 27 templates fail:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Shows where two outputs part, with a little context.
pub fn first_difference(expected: &str, actual: &str) -> String {
    let at = expected
        .char_indices()
        .zip(actual.chars())
        .find(|((_, a), b)| a != b)
        .map(|((i, _), _)| i)
        .unwrap_or(expected.len().min(actual.len()));
    let from = expected[..at].rfind('\n').map_or(0, |i| i + 1);
    let window = |s: &str| -> String {
        let start = from.min(s.len());
        s.get(start..).unwrap_or("").chars().take(160).collect()
    };
    format!(
        "  at byte {at}\n  expected: {:?}\n  actual:   {:?}",
        window(expected),
        window(actual)
    )
}

struct Case {
    key: String,
    template: String,
    expected: String,
    context: serde_json::Map<String, Json>,
    has_properties: bool,
}

/// Runs the inline cases group by group (one engine and context per test
/// method, cases in `seq` order, macros and `#set`s carrying over) and
/// returns (case key, outcome) with `Err(why)` for failures.
fn run_inline_cases() -> Vec<(String, bool, Result<(), String>)> {
    let dir = conformance_dir();
    let cases = read_json(dir.join("inline-cases.json"));
    let mut groups: BTreeMap<(String, String), Vec<(u64, Case)>> = BTreeMap::new();
    for c in cases.as_array().unwrap() {
        let source = c["source"].as_str().unwrap().to_string();
        let test = c["test"].as_str().unwrap().to_string();
        let seq = c["seq"].as_u64().unwrap();
        let case = Case {
            key: format!("{source}#{test}#{seq}"),
            template: c["template"].as_str().unwrap().to_string(),
            expected: c["expected"].as_str().unwrap().to_string(),
            context: c["context"].as_object().cloned().unwrap_or_default(),
            has_properties: c["properties"].as_object().is_some_and(|p| !p.is_empty()),
        };
        groups.entry((source, test)).or_default().push((seq, case));
    }
    let mut results = Vec::new();
    for (_, mut group) in groups {
        group.sort_by_key(|(seq, _)| *seq);
        let mut engine = Engine::velocity();
        let mut ctx = Context::new();
        for (_, case) in group {
            for (k, v) in &case.context {
                ctx.insert(k.clone(), Value::from_json(v));
            }
            let outcome = match engine.compile("inline", &case.template) {
                Ok(t) => {
                    let r = t.render(&mut ctx);
                    engine.add_macros_from(&t);
                    match r {
                        Ok(out) if out == case.expected => Ok(()),
                        Ok(out) => Err(format!("expected {:?}, got {:?}", case.expected, out)),
                        Err(e) => Err(format!("error: {e}")),
                    }
                }
                Err(e) => Err(format!("error: {e}")),
            };
            results.push((case.key, case.has_properties, outcome));
        }
    }
    results
}

fn known_gaps() -> BTreeMap<String, String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/velocity_known_gaps.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (key, reason) = l.split_once(' ').unwrap_or((l, ""));
            (key.to_string(), reason.trim().to_string())
        })
        .collect()
}

#[test]
fn inline_cases_pass_or_are_listed_as_known_gaps() {
    let results = run_inline_cases();
    assert_eq!(
        results.len(),
        227,
        "inline-cases.json should hold 227 cases"
    );
    let gaps = known_gaps();
    let plain: Vec<_> = results.iter().filter(|(_, props, _)| !props).collect();
    let plain_passed = plain.iter().filter(|(_, _, r)| r.is_ok()).count();
    let all_passed = results.iter().filter(|(_, _, r)| r.is_ok()).count();
    println!(
        "inline cases: {plain_passed}/{} without engine properties, {all_passed}/{} in all",
        plain.len(),
        results.len()
    );
    let mut unlisted = Vec::new();
    for (key, _, r) in &results {
        if let Err(why) = r
            && !gaps.contains_key(key)
        {
            unlisted.push(format!("{key}: {why}"));
        }
    }
    let stale: Vec<_> = gaps
        .keys()
        .filter(|k| results.iter().any(|(key, _, r)| key == *k && r.is_ok()))
        .collect();
    assert!(
        unlisted.is_empty(),
        "{} failing cases are not in tests/velocity_known_gaps.txt:\n{}",
        unlisted.len(),
        unlisted.join("\n")
    );
    assert!(
        stale.is_empty(),
        "these known gaps now pass; remove them: {stale:?}"
    );
    assert_eq!(plain.len(), 84, "84 cases set no engine property");
    assert!(
        plain_passed * 10 >= plain.len() * 9,
        "only {plain_passed} of {} property-free inline cases pass; at least 90% must",
        plain.len()
    );
}
