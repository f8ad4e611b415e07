//! Differential test against Apache Velocity 1.7: generated and
//! hand-written templates are rendered by our engine and by the real
//! Velocity (`tools/velocity-java`, one batch JVM per test), and the outputs
//! must be identical. An error in both engines counts as agreement (the
//! messages differ); an error in one of them is a divergence.
//!
//! - `PHALANX_DIFF_SEED=1,2,0x10`: the seeds (default: [`SEEDS`]);
//! - `PHALANX_DIFF_CASES=N`: how many templates to generate in all
//!   (default [`DEFAULT_CASES`]), spread over the seeds;
//! - `PHALANX_DIFF_EXTRA=path`: also compare the templates in this file
//!   (one JSON string per line) with the tricky cases, to try one quickly;
//! - `PHALANX_DIFF_DUMP=path`: write every case with both outcomes as JSON
//!   lines next to `path` (for debugging);
//! - `PHALANX_DIFF_TRACE=1`: print each template before our engine renders
//!   it (with `--nocapture`, to find one that crashes or hangs);
//! - `PHALANX_VELOCITY_CP`: the harness classpath; when unset the test runs
//!   `tools/velocity-java/build.sh` itself.
//!
//! Divergences we know and cannot (or choose not to) fix are listed in
//! `tests/differential_known_divergences.txt`; the generator avoids them.

#[path = "differential/compare.rs"]
mod compare;
#[path = "differential/generator.rs"]
mod generator;
#[path = "differential/java.rs"]
mod java;
#[path = "differential/tricky.rs"]
mod tricky;

use compare::Case;
use serde_json::Value as Json;

/// The fixed seeds: a run is reproducible, and a failing case can be
/// regenerated from its label.
const SEEDS: &[u64] = &[0x5EED_0001, 0x5EED_0002, 0x5EED_0003];
const DEFAULT_CASES: u64 = 1500;

fn context() -> Json {
    serde_json::from_str(generator::CONTEXT_JSON).expect("CONTEXT_JSON is valid JSON")
}

fn seeds() -> Vec<u64> {
    let Some(var) = std::env::var("PHALANX_DIFF_SEED")
        .ok()
        .filter(|v| !v.trim().is_empty())
    else {
        return SEEDS.to_vec();
    };
    var.split(',')
        .map(|s| {
            let s = s.trim();
            let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => s.parse(),
            };
            parsed.unwrap_or_else(|e| panic!("PHALANX_DIFF_SEED: {s:?} is not a number: {e}"))
        })
        .collect()
}

fn case_count() -> u64 {
    match std::env::var("PHALANX_DIFF_CASES") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("PHALANX_DIFF_CASES: {v:?} is not a number: {e}")),
        _ => DEFAULT_CASES,
    }
}

#[test]
fn generated_templates_match_velocity_1_7() {
    let seeds = seeds();
    let total = case_count();
    let per_seed = total.div_ceil(seeds.len().max(1) as u64);
    let mut cases = Vec::new();
    for &seed in &seeds {
        for index in 0..per_seed {
            if cases.len() as u64 >= total {
                break;
            }
            cases.push(Case {
                label: format!("seed {seed:#x} case {index} (PHALANX_DIFF_SEED={seed:#x} PHALANX_DIFF_CASES={})", index + 1),
                template: generator::generate(seed, index),
            });
        }
    }
    compare::check("generated templates", &cases, &context()).assert_clean();
}

#[test]
fn tricky_cases_match_velocity_1_7() {
    let mut cases: Vec<Case> = tricky::CASES
        .iter()
        .map(|(what, template)| Case {
            label: format!("tricky case: {what}"),
            template: template.to_string(),
        })
        .collect();
    if let Some(path) = std::env::var_os("PHALANX_DIFF_EXTRA") {
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("PHALANX_DIFF_EXTRA: {e}"));
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            cases.push(Case {
                label: format!("PHALANX_DIFF_EXTRA line {}", n + 1),
                template: serde_json::from_str(line).unwrap_or_else(|e| {
                    panic!("PHALANX_DIFF_EXTRA line {}: not a JSON string: {e}", n + 1)
                }),
            });
        }
    }
    compare::check("tricky cases", &cases, &context()).assert_clean();
}

/// Every known divergence still diverges (as the known gaps of the
/// conformance test must still fail): its example is compared and must
/// differ, and match its entry.
#[test]
fn known_divergences_still_diverge() {
    let known = compare::known_divergences();
    let cases: Vec<Case> = tricky::KNOWN_EXAMPLES
        .iter()
        .map(|t| Case {
            label: format!("known divergence example {t:?}"),
            template: t.to_string(),
        })
        .collect();
    let report = compare::check("known divergence examples", &cases, &context());
    let excused: Vec<&str> = report.known.iter().map(|(_, p)| p.as_str()).collect();
    for k in &known {
        assert!(
            excused.contains(&k.pattern.as_str()),
            "the known divergence `{}` has no example that still diverges; if it is fixed, remove it \
             from tests/differential_known_divergences.txt (and its example from KNOWN_EXAMPLES)",
            k.pattern
        );
    }
    assert!(
        report.divergences.is_empty() && report.known.len() == cases.len(),
        "every example in KNOWN_EXAMPLES must diverge and match an entry:\n{}",
        report.divergences.join("\n\n")
    );
}

/// Every known-divergence entry is well formed, and the generator never
/// produces one of the listed constructs (they are documented, not skipped).
#[test]
fn generator_avoids_known_divergences() {
    let known = compare::known_divergences();
    for &seed in SEEDS {
        // Ten times what a run renders: generating is cheap.
        for index in 0..10 * DEFAULT_CASES / SEEDS.len() as u64 {
            let t = generator::generate(seed, index);
            if let Some(k) = known.iter().find(|k| !k.on_output && k.matches(&t)) {
                panic!(
                    "seed {seed:#x} case {index} contains the known divergence `{}` ({}); make the generator avoid it:\n{t:?}",
                    k.pattern, k.reason
                );
            }
        }
    }
}
