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

use phalanx_gateway::model::RestApi;
use support::{BACKEND, Entry, Kind, entries, import_entry, import_translated};

/// The API with what API Gateway keeps unordered put in one order: its
/// methods, models, validators, gateway responses, stages, keys and
/// functions are sets (or maps) there, as are a method's responses and an
/// integration's responses (keyed by status code). The translator's order
/// means nothing: it emits its dictionaries in Python 2.7's hash order
/// (samtranslator's `py27hash_fix`), which the transform need not copy.
fn normalise(mut api: RestApi) -> RestApi {
    api.methods.sort_by(|a, b| {
        (&a.resource_path, &a.http_method).cmp(&(&b.resource_path, &b.http_method))
    });
    for method in &mut api.methods {
        method
            .method_responses
            .sort_by(|a, b| a.status_code.cmp(&b.status_code));
        if let Some(integration) = &mut method.integration {
            integration.integration_responses.sort_by(|a, b| {
                (&a.status_code, &a.selection_pattern).cmp(&(&b.status_code, &b.selection_pattern))
            });
        }
    }
    api.binary_media_types.sort();
    api.models.sort_by(|a, b| a.name.cmp(&b.name));
    api.request_validators.sort_by(|a, b| a.name.cmp(&b.name));
    api.gateway_responses
        .sort_by(|a, b| a.response_type.cmp(&b.response_type));
    api.stages.sort_by(|a, b| a.stage_name.cmp(&b.stage_name));
    api.api_keys.sort_by(|a, b| a.name.cmp(&b.name));
    api.functions.sort_keys();
    api
}

/// The API as pretty JSON, one field a line and every object's keys
/// sorted (the model's maps compare without order), for a readable diff.
fn pretty(api: &RestApi) -> String {
    let mut value =
        serde_json::to_value(api).unwrap_or_else(|e| panic!("the model does not serialise: {e}"));
    value.sort_all_objects();
    serde_json::to_string_pretty(&value)
        .unwrap_or_else(|e| panic!("the model does not serialise: {e}"))
}

/// The lines where `ours` and `aws` part: each differing stretch, with
/// two lines of context (a plain walk that re-synchronises on the next
/// equal line: enough for the model's one-field-a-line JSON).
fn diff(ours: &str, aws: &str) -> String {
    let a: Vec<&str> = ours.lines().collect();
    let b: Vec<&str> = aws.lines().collect();
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
            continue;
        }
        // The nearest pair of equal lines after the difference.
        let resync = (0..(a.len() - i).max(b.len() - j))
            .flat_map(|d| (0..=d).map(move |k| (i + k, j + d - k)))
            .find(|&(x, y)| x < a.len() && y < b.len() && a[x] == b[y])
            .unwrap_or((a.len(), b.len()));
        out.push(format!(
            "@@ line {} (ours) / {} (translator) @@",
            i + 1,
            j + 1
        ));
        for line in &a[i.saturating_sub(2)..i] {
            out.push(format!("  {line}"));
        }
        for line in &a[i..resync.0] {
            out.push(format!("- {line}"));
        }
        for line in &b[j..resync.1] {
            out.push(format!("+ {line}"));
        }
        (i, j) = resync;
        if out.len() > 400 {
            out.push("… (more differences left out)".into());
            break;
        }
    }
    out.join("\n")
}

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
