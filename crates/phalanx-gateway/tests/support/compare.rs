//! Comparing two imported APIs without the order API Gateway does not
//! keep: shared by `tests/sam_translator.rs` (the corpus against the
//! pinned translator) and `examples/sam_sweep.rs` (SAM's own translator
//! test suite against its recorded outputs), so both judge "the same API"
//! alike.

// Each user takes part of this module.
#![allow(dead_code)]

use phalanx_gateway::model::RestApi;
use serde_json::Value;

/// The API with what API Gateway keeps unordered put in one order: its
/// methods, models, validators, gateway responses, stages, keys,
/// authorizers, usage plans and functions are sets (or maps) there, as are a method's responses and an
/// integration's responses (keyed by status code). The translator's order
/// means nothing: it emits its dictionaries in Python 2.7's hash order
/// (samtranslator's `py27hash_fix`), which the transform need not copy.
pub fn normalise(mut api: RestApi) -> RestApi {
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
    // Methods name their authorizer, and plans their stages, by name: the
    // lists' order means nothing either.
    // aws/serverless-application-model tests/translator/input/api_with_auth_with_default_scopes.yaml
    api.authorizers.sort_by(|a, b| a.name.cmp(&b.name));
    api.usage_plans.sort_by(|a, b| a.name.cmp(&b.name));
    api.functions.sort_keys();
    api
}

/// The API as pretty JSON, one field a line and every object's keys
/// sorted (the model's maps compare without order), for a readable diff.
pub fn pretty(api: &RestApi) -> String {
    let mut value =
        serde_json::to_value(api).unwrap_or_else(|e| panic!("the model does not serialise: {e}"));
    value.sort_all_objects();
    serde_json::to_string_pretty(&value)
        .unwrap_or_else(|e| panic!("the model does not serialise: {e}"))
}

/// The lines where `ours` and `aws` part: each differing stretch, with
/// two lines of context (a plain walk that re-synchronises on the next
/// equal line: enough for the model's one-field-a-line JSON).
pub fn diff(ours: &str, aws: &str) -> String {
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

/// The first place, as a JSON pointer into the serialised models, where
/// `ours` and `aws` (both [`normalise`]d) differ (object keys in sorted
/// order, arrays by index), with both values shortened; `None` when they
/// are equal. For one-line reports; [`diff`] shows everything.
pub fn first_difference(ours: &RestApi, aws: &RestApi) -> Option<String> {
    let (Ok(a), Ok(b)) = (serde_json::to_value(ours), serde_json::to_value(aws)) else {
        return Some("the model does not serialise".to_owned());
    };
    let mut pointer = String::new();
    let (a, b) = first_pair(&a, &b, &mut pointer)?;
    Some(format!(
        "{}: ours {}, translator's {}",
        if pointer.is_empty() { "/" } else { &pointer },
        shorten(a),
        shorten(b)
    ))
}

/// The first differing pair of values under `a` and `b`, `pointer`
/// extended to it.
fn first_pair<'v>(
    a: &'v Value,
    b: &'v Value,
    pointer: &mut String,
) -> Option<(Option<&'v Value>, Option<&'v Value>)> {
    if a == b {
        return None;
    }
    let base = pointer.len();
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                pointer.truncate(base);
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                match (x.get(key), y.get(key)) {
                    (Some(u), Some(v)) => {
                        if let Some(found) = first_pair(u, v, pointer) {
                            return Some(found);
                        }
                    }
                    (u, v) => return Some((u, v)),
                }
            }
            pointer.truncate(base);
            None
        }
        (Value::Array(x), Value::Array(y)) => {
            for i in 0..x.len().max(y.len()) {
                pointer.truncate(base);
                pointer.push_str(&format!("/{i}"));
                match (x.get(i), y.get(i)) {
                    (Some(u), Some(v)) => {
                        if let Some(found) = first_pair(u, v, pointer) {
                            return Some(found);
                        }
                    }
                    (u, v) => return Some((u, v)),
                }
            }
            pointer.truncate(base);
            None
        }
        _ => Some((Some(a), Some(b))),
    }
}

/// A value on one line, at most 120 characters; `(absent)` for none.
fn shorten(value: Option<&Value>) -> String {
    let Some(value) = value else {
        return "(absent)".to_owned();
    };
    let text = value.to_string();
    if text.chars().count() > 120 {
        let cut: String = text.chars().take(117).collect();
        format!("{cut}...")
    } else {
        text
    }
}
