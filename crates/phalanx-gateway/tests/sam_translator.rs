//! The SAM transform against AWS's own: for each SAM template of the
//! corpus (`tests/corpus/`), the API Phalanx builds from the template
//! equals the one it builds from the output of AWS's SAM translator (PyPI's
//! `aws-sam-translator`, the library `sam` runs), run by
//! `scripts/sam-translate.py` under `PHALANX_PYTHON`.
//!
//! The translator's output is plain CloudFormation, which the importer
//! reads without any SAM knowledge, so the comparison pins the transform
//! to what AWS deploys: paths, integrations, stages, CORS, authorizers'
//! effect on methods, API keys and usage plans, gateway responses, models.
//! Collections API Gateway keeps unordered are compared without their
//! order (see `normalise`).

#[path = "support/corpus.rs"]
mod support;

#[path = "support/compare.rs"]
mod compare;

use compare::{diff, normalise, pretty};
use support::{BACKEND, Entry, Kind, entries, import_entry, import_translated};

fn sam_entries() -> Vec<Entry> {
    let (ok, bad): (Vec<_>, Vec<_>) = entries().into_iter().partition(Result::is_ok);
    let bad: Vec<String> = bad.into_iter().filter_map(Result::err).collect();
    assert!(
        bad.is_empty(),
        "unreadable corpus folders:\n{}",
        bad.join("\n")
    );
    let sam: Vec<Entry> = ok
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.kind == Kind::Sam)
        .collect();
    assert!(!sam.is_empty(), "the corpus has no SAM template");
    sam
}

#[test]
fn every_translation_imports() {
    let failures: Vec<String> = sam_entries()
        .iter()
        .filter_map(|e| import_translated(e, BACKEND).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_sam_transform_builds_the_api_the_translator_deploys() {
    let mut failures = Vec::new();
    let entries = sam_entries();
    for entry in &entries {
        let label = entry.label();
        let aws = match import_translated(entry, BACKEND) {
            Ok(api) => normalise(api),
            Err(e) => {
                failures.push(format!("{label}: the translator's output: {e}"));
                continue;
            }
        };
        let ours = match import_entry(entry, BACKEND) {
            Ok(api) => normalise(api),
            Err(e) => {
                failures.push(format!("{label}: does not import: {e}"));
                continue;
            }
        };
        if ours != aws {
            failures.push(format!(
                "{label}: the API differs from the translator's (- ours, + translator's):\n{}",
                diff(&pretty(&ours), &pretty(&aws))
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} SAM templates differ:\n\n{}",
        failures.len(),
        entries.len(),
        failures.join("\n\n")
    );
}

/// The diff shows what differs, with context, and nothing else.
#[test]
fn the_diff_shows_the_differing_lines() {
    let ours = "{\n  \"Name\": \"a\",\n  \"Id\": \"x\",\n  \"Stages\": [\n    \"Prod\"\n  ]\n}";
    let aws = "{\n  \"Name\": \"a\",\n  \"Id\": \"x\",\n  \"Stages\": [\n    \"Prod\",\n    \"Stage\"\n  ]\n}";
    assert_eq!(
        diff(ours, aws),
        "@@ line 5 (ours) / 5 (translator) @@\n    \"Id\": \"x\",\n    \"Stages\": [\n-     \"Prod\"\n+     \"Prod\",\n+     \"Stage\""
    );
    assert_eq!(diff(ours, ours), "");
}
