//! A developer's sweep over AWS's own SAM translator test suite: for each
//! template of it that declares a REST API, the API Phalanx builds through
//! its SAM transform against the one it imports from the CloudFormation
//! AWS recorded for that template.
//!
//! Not part of CI (CI has no copy of AWS's repository); run it by hand
//! after changing `src/sam/` or the importers:
//!
//! ```text
//! git -C /path/to/serverless-application-model archive HEAD tests/translator \
//!     | tar -x -C /tmp/sam-suite
//! cargo run -p phalanx-gateway --example sam_sweep -- /tmp/sam-suite/tests/translator
//! ```
//!
//! The argument is a folder with `input/` (SAM templates, `NAME.yaml`) and
//! `output/` (the translator's output for each, `NAME.json`; for
//! `error_*` inputs an object with `errorMessage`). Only `output/NAME.json`
//! is read: the partition variants (`output/aws-cn/`, `output/aws-us-gov/`)
//! are left out, as the importer's region is `us-east-1`. `--diff` prints
//! the whole model diff under each template that differs; a further
//! argument keeps only templates whose name contains it.
//!
//! Per template, one line:
//! - `same`: every RestApi of the recorded output imports to the model
//!   ours does (compared as `tests/sam_translator.rs` compares, through
//!   `tests/support/compare.rs`: without the order API Gateway does not
//!   keep). The model has no custom domains, access logs, canary settings,
//!   tags, IAM roles or Lambda permissions, so those never differ;
//! - `differs: <pointer>: …`: the first difference, as a JSON pointer into
//!   the models;
//! - `we refuse: <our error>`: AWS translated it, we do not;
//! - `both refuse`: an `error_*` input about REST APIs that we refuse too
//!   (both messages printed);
//! - `we accept an invalid template`: an `error_*` input about REST APIs
//!   that we translate;
//! - `skipped: <why>`: no REST API (HttpApi, StateMachine or other
//!   resources only), an error about something else, or a recorded output
//!   the CloudFormation importer itself cannot read.
//!
//! A count of each ends the report.

#[path = "../tests/support/compare.rs"]
mod compare;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use phalanx_gateway::cloudformation::{self, ImportOptions, parse_template};
use phalanx_gateway::sam;
use serde_json::Value;

/// What one template came to.
enum Outcome {
    Same,
    /// The same, but for APIs neither side could import.
    SameIgnoring(String),
    Differs(String),
    WeRefuse(String),
    BothRefuse {
        ours: String,
        aws: String,
    },
    WeAccept(String),
    Skipped(String),
}

impl Outcome {
    fn label(&self) -> &'static str {
        match self {
            Outcome::Same => "same",
            Outcome::SameIgnoring(_) => "same (ignoring some)",
            Outcome::Differs(_) => "differs",
            Outcome::WeRefuse(_) => "we refuse",
            Outcome::BothRefuse { .. } => "both refuse",
            Outcome::WeAccept(_) => "we accept an invalid template",
            Outcome::Skipped(_) => "skipped",
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut suite = None;
    let mut filter = None;
    let mut show_diff = false;
    for arg in args.by_ref() {
        if arg == "--diff" {
            show_diff = true;
        } else if suite.is_none() {
            suite = Some(PathBuf::from(arg));
        } else {
            filter = Some(arg);
        }
    }
    let Some(suite) = suite else {
        eprintln!("usage: sam_sweep [--diff] SUITE_DIR [NAME_FILTER]");
        eprintln!("  SUITE_DIR has input/*.yaml and output/*.json (SAM's tests/translator)");
        std::process::exit(2);
    };
    let inputs = match std::fs::read_dir(suite.join("input")) {
        Ok(read) => {
            let mut files: Vec<PathBuf> = read
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
                .collect();
            files.sort();
            files
        }
        Err(e) => {
            eprintln!("{}: {e}", suite.join("input").display());
            std::process::exit(2);
        }
    };
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for input in inputs {
        let name = input
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if filter.as_ref().is_some_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        let output = suite.join("output").join(format!("{name}.json"));
        let (outcome, diff) = sweep_one(&input, &output, &name);
        *counts.entry(outcome.label()).or_default() += 1;
        match &outcome {
            Outcome::Same => println!("{name}: same"),
            Outcome::SameIgnoring(what) => println!("{name}: same (ignoring {})", one_line(what)),
            Outcome::Differs(first) => println!("{name}: differs: {first}"),
            Outcome::WeRefuse(ours) => println!("{name}: we refuse: {}", one_line(ours)),
            Outcome::BothRefuse { ours, aws } => println!(
                "{name}: both refuse\n    ours: {}\n    AWS:  {}",
                one_line(ours),
                one_line(aws)
            ),
            Outcome::WeAccept(aws) => println!(
                "{name}: we accept an invalid template\n    AWS:  {}",
                one_line(aws)
            ),
            Outcome::Skipped(why) => println!("{name}: skipped: {}", one_line(why)),
        }
        if show_diff && let Some(diff) = diff {
            println!("{diff}");
        }
    }
    let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    println!("\n{}", summary.join(", "));
}

/// A message on one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The outcome for one input, and the full diff when it differs.
fn sweep_one(input: &Path, output: &Path, name: &str) -> (Outcome, Option<String>) {
    let source = match std::fs::read_to_string(input) {
        Ok(source) => source,
        Err(e) => return (Outcome::Skipped(format!("reading the input: {e}")), None),
    };
    let file = format!("{name}.yaml");
    let root = match parse_template(&source, &file) {
        Ok(root) if root.get("Transform").is_none() => {
            // The suite's inputs mostly leave `Transform` out (its tests
            // call the translator directly); the transform is asked for at
            // the end, so that our messages' line numbers stay the file's.
            let source = format!("{}\nTransform: {}\n", source.trim_end(), sam::SAM_TRANSFORM);
            match parse_template(&source, &file) {
                Ok(root) => return sweep_parsed(&root, &source, &file, output, name),
                Err(e) => {
                    return (
                        Outcome::Skipped(format!("the input does not parse: {e}")),
                        None,
                    );
                }
            }
        }
        Ok(root) => root,
        Err(e) => {
            return (
                Outcome::Skipped(format!("the input does not parse: {e}")),
                None,
            );
        }
    };
    sweep_parsed(&root, &source, &file, output, name)
}

/// [`sweep_one`] once the input is parsed (as SAM).
fn sweep_parsed(
    root: &Value,
    source: &str,
    file: &str,
    output: &Path,
    name: &str,
) -> (Outcome, Option<String>) {
    let rest = RestIds::of(root);
    if rest.is_empty() {
        return (Outcome::Skipped(rest.why_not(root)), None);
    }
    let recorded: Value = match std::fs::read_to_string(output)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
    {
        Ok(recorded) => recorded,
        Err(e) => {
            return (
                Outcome::Skipped(format!("no recorded output ({}): {e}", output.display())),
                None,
            );
        }
    };
    if let Some(message) = recorded.get("errorMessage").and_then(Value::as_str) {
        return (refusal(root, source, file, &rest, message), None);
    }
    compare_all(&recorded, source, file, name)
}

/// An `error_*` input: whether the error is about REST APIs, and whether
/// we refuse it too.
fn refusal(root: &Value, source: &str, file: &str, rest: &RestIds, message: &str) -> Outcome {
    if !rest.concerns(message) {
        return Outcome::Skipped(format!(
            "the translator's error is not about REST APIs: {message}"
        ));
    }
    let transformed = match sam::transform(root, source, file) {
        Ok(transformed) => transformed.template,
        Err(e) => {
            return Outcome::BothRefuse {
                ours: e.to_string(),
                aws: message.to_owned(),
            };
        }
    };
    for id in rest_api_ids(&transformed) {
        if let Err(e) = cloudformation::import(source, file, &options(Some(id))) {
            return Outcome::BothRefuse {
                ours: e.to_string(),
                aws: message.to_owned(),
            };
        }
    }
    Outcome::WeAccept(message.to_owned())
}

/// Every RestApi of the recorded output, imported from it and from our
/// transform of the input, compared; the first that differs decides. An
/// API that neither import can read, with the same message (a definition
/// in S3, an API whose condition is false), is left out of the comparison
/// and named in a `same (ignoring …)`.
fn compare_all(
    recorded: &Value,
    source: &str,
    file: &str,
    name: &str,
) -> (Outcome, Option<String>) {
    let ids = rest_api_ids(recorded);
    if ids.is_empty() {
        return (
            Outcome::Skipped("the recorded output has no AWS::ApiGateway::RestApi".into()),
            None,
        );
    }
    let recorded_text = recorded.to_string();
    let recorded_file = format!("{name}.json (recorded)");
    let mut ignored = Vec::new();
    for &id in &ids {
        let aws = cloudformation::import(&recorded_text, &recorded_file, &options(Some(id)));
        let ours = cloudformation::import(source, file, &options(Some(id)));
        let (aws, ours) = match (aws, ours) {
            (Ok(aws), Ok(ours)) => (compare::normalise(aws.api), compare::normalise(ours.api)),
            (Err(aws), Err(ours)) if without_file(&aws) == without_file(&ours) => {
                ignored.push(format!(
                    "{id}, which neither imports: {}",
                    without_file(&ours)
                ));
                continue;
            }
            (Err(aws), _) => {
                return (
                    Outcome::Skipped(format!("the recorded output does not import: {aws}")),
                    None,
                );
            }
            (Ok(_), Err(ours)) => return (Outcome::WeRefuse(ours.to_string()), None),
        };
        if let Some(first) = compare::first_difference(&ours, &aws) {
            let diff = compare::diff(&compare::pretty(&ours), &compare::pretty(&aws));
            return (
                Outcome::Differs(format!("{id} {first}")),
                Some(format!("  (- ours, + translator's)\n{diff}")),
            );
        }
    }
    match ignored.len() {
        0 => (Outcome::Same, None),
        n if n == ids.len() => (
            Outcome::Skipped(format!("no API imports: {}", ignored.join("; "))),
            None,
        ),
        _ => (Outcome::SameIgnoring(ignored.join("; ")), None),
    }
}

/// An import error's message without the file and line that start it (the
/// recorded output's and the input's differ).
fn without_file(error: &cloudformation::ImportError) -> String {
    let text = error.to_string();
    match text.split_once(": ") {
        Some((_, rest)) => rest.to_owned(),
        None => text,
    }
}

/// The corpus's options (`tests/support/corpus.rs`): the API by logical
/// id, the defaults otherwise. The suite's CodeUris and DefinitionUris
/// are S3 locations, so no folder is needed.
fn options(api: Option<&str>) -> ImportOptions {
    ImportOptions {
        api: api.map(str::to_owned),
        ..ImportOptions::default()
    }
}

/// The logical ids of a template's `AWS::ApiGateway::RestApi` resources.
fn rest_api_ids(template: &Value) -> Vec<&str> {
    template
        .get("Resources")
        .and_then(Value::as_object)
        .map(|resources| {
            resources
                .iter()
                .filter(|(_, r)| {
                    r.get("Type").and_then(Value::as_str) == Some("AWS::ApiGateway::RestApi")
                })
                .map(|(id, _)| id.as_str())
                .collect()
        })
        .unwrap_or_default()
}

/// What of a SAM template is about REST APIs: its `AWS::Serverless::Api`
/// resources, and its functions' `Api` events (by event name).
struct RestIds {
    apis: Vec<String>,
    events: Vec<String>,
}

impl RestIds {
    fn of(root: &Value) -> RestIds {
        let mut ids = RestIds {
            apis: Vec::new(),
            events: Vec::new(),
        };
        let Some(resources) = root.get("Resources").and_then(Value::as_object) else {
            return ids;
        };
        for (id, resource) in resources {
            match resource.get("Type").and_then(Value::as_str) {
                Some("AWS::Serverless::Api") => ids.apis.push(id.clone()),
                Some("AWS::Serverless::Function") => {
                    let events = resource
                        .get("Properties")
                        .and_then(|p| p.get("Events"))
                        .and_then(Value::as_object);
                    for (name, event) in events.into_iter().flatten() {
                        if event.get("Type").and_then(Value::as_str) == Some("Api") {
                            ids.events.push(name.clone());
                        }
                    }
                }
                _ => {}
            }
        }
        ids
    }

    fn is_empty(&self) -> bool {
        self.apis.is_empty() && self.events.is_empty()
    }

    /// Why a template without REST APIs is skipped.
    fn why_not(&self, root: &Value) -> String {
        let mut kinds: Vec<&str> = root
            .get("Resources")
            .and_then(Value::as_object)
            .map(|r| {
                r.values()
                    .filter_map(|r| r.get("Type").and_then(Value::as_str))
                    .filter(|t| t.starts_with("AWS::Serverless::"))
                    .collect()
            })
            .unwrap_or_default();
        kinds.sort_unstable();
        kinds.dedup();
        if kinds.is_empty() {
            "no REST API (no SAM resources)".to_owned()
        } else {
            format!("no REST API ({})", kinds.join(", "))
        }
    }

    /// Whether the translator's error `message` is about REST APIs: it
    /// names an `AWS::Serverless::Api` or an `Api` event, or the OpenAPI
    /// document ("Structure of the SAM template is invalid" with a path or
    /// Swagger), and is not about a custom domain (which is not
    /// modelled).
    fn concerns(&self, message: &str) -> bool {
        let named = |prefix: &str| -> Vec<String> {
            message
                .match_indices(prefix)
                .filter_map(|(at, _)| {
                    let rest = &message[at + prefix.len()..];
                    rest.find(']').map(|end| rest[..end].to_owned())
                })
                .collect()
        };
        let resources = named("Resource with id [");
        let events = named("Event with id [");
        let api_named = resources.iter().any(|r| self.apis.contains(r));
        let event_named = events.iter().any(|e| self.events.contains(e));
        let document = message.contains("Structure of the SAM template is invalid")
            && ["Swagger", "OpenAPI", "path", "DefinitionBody"]
                .iter()
                .any(|w| message.contains(w));
        // Custom domains (and their mTLS) are not modelled: an error that
        // names one is about them.
        let domain = message.contains("Domain") || message.contains("Route53");
        (api_named || event_named || document) && !domain
    }
}
