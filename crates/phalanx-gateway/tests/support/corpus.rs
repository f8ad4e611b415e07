//! The template corpus (`tests/corpus/<name>/`), shared by `tests/corpus.rs`
//! and `tests/sam_translator.rs`.
//!
//! Each folder holds one API definition and a `checks.yaml`:
//!
//! * `template.yaml` / `template.json`: a CloudFormation template, SAM when
//!   its `Transform` is `AWS::Serverless-2016-10-31`;
//! * `openapi.yaml` / `openapi.json`: a bare OpenAPI 2.0 or 3.0 document.
//!
//! `checks.yaml` names the API to import (`api`, a logical id, when the
//! template has several), the stage (`stage`) and lists requests with what
//! they must answer. Every function the API invokes is a stand-in (see
//! [`stand_ins`]), so the routes answer without any code of the templates.

// Each test target uses part of this module.
#![allow(dead_code)]

use indexmap::IndexMap;
use phalanx_gateway::cloudformation::{self, ImportOptions};
use phalanx_gateway::invoke::InProcess;
use phalanx_gateway::model::{IntegrationType, RestApi};
use phalanx_gateway::openapi::{self, OpenApiOptions};
use phalanx_gateway::{Gateway, GatewayRequest};
use serde::Deserialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

pub fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// What kind of definition a corpus folder holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sam,
    CloudFormation,
    OpenApi,
}

/// One folder of the corpus.
#[derive(Debug)]
pub struct Entry {
    /// The folder's name.
    pub name: String,
    pub dir: PathBuf,
    /// The definition's file (`template.yaml`, `openapi.json`, …).
    pub file: PathBuf,
    pub kind: Kind,
    pub checks: Checks,
}

impl Entry {
    /// `corpus/<name>/<file>`, for messages.
    pub fn label(&self) -> String {
        format!(
            "corpus/{}/{}",
            self.name,
            self.file.file_name().unwrap_or_default().to_string_lossy()
        )
    }

    pub fn source(&self) -> Result<String, String> {
        std::fs::read_to_string(&self.file).map_err(|e| format!("{}: {e}", self.label()))
    }

    pub fn import_options(&self) -> ImportOptions {
        ImportOptions {
            api: self.checks.api.clone(),
            base_dir: Some(self.dir.clone()),
            ..ImportOptions::default()
        }
    }
}

/// A folder's `checks.yaml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checks {
    /// The logical id of the RestApi (or `AWS::Serverless::Api`) to
    /// import, when the template has several.
    #[serde(default)]
    pub api: Option<String>,
    /// The stage the requests go to (the first segment of their paths).
    pub stage: String,
    pub checks: Vec<Check>,
}

/// One request and what it must answer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// Another stage of the API than the file's `stage` (SAM's extra
    /// `Stage` stage, say).
    #[serde(default)]
    pub stage: Option<String>,
    pub method: String,
    /// With the stage and the query string: `/Prod/pets?limit=2`.
    pub path: String,
    /// Request headers; `{api_key}` in a value becomes the value of an
    /// API key valid on the stage (made up by the importer when the
    /// template gives none).
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    #[serde(default)]
    pub body: Option<String>,
    pub status: u16,
    /// Substrings the reply's body must contain.
    #[serde(default)]
    pub body_contains: Vec<String>,
    /// Reply headers (names without case) and their exact values; `~`
    /// (null) for a header that must be absent.
    #[serde(default)]
    pub reply_headers: IndexMap<String, Option<String>>,
}

/// Every folder of the corpus, sorted by name; a folder that cannot be
/// read is an `Err` naming it.
pub fn entries() -> Vec<Result<Entry, String>> {
    let root = corpus_dir();
    let mut dirs: Vec<PathBuf> = match std::fs::read_dir(&root) {
        Ok(read) => read
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect(),
        Err(e) => panic!("{}: {e}", root.display()),
    };
    dirs.sort();
    dirs.into_iter().map(|dir| entry(&dir)).collect()
}

fn entry(dir: &Path) -> Result<Entry, String> {
    let name = dir
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let candidates = [
        "template.yaml",
        "template.json",
        "openapi.yaml",
        "openapi.json",
    ];
    let found: Vec<&str> = candidates
        .into_iter()
        .filter(|f| dir.join(f).is_file())
        .collect();
    let file = match found[..] {
        [one] => one,
        [] => return Err(format!("corpus/{name}: no {}", candidates.join(", "))),
        _ => return Err(format!("corpus/{name}: several of {}", found.join(", "))),
    };
    let path = dir.join(file);
    let kind = if file.starts_with("openapi") {
        Kind::OpenApi
    } else {
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("corpus/{name}/{file}: {e}"))?;
        if text.contains("AWS::Serverless-2016-10-31") {
            Kind::Sam
        } else {
            Kind::CloudFormation
        }
    };
    let checks_path = dir.join("checks.yaml");
    let checks_text = std::fs::read_to_string(&checks_path)
        .map_err(|e| format!("corpus/{name}/checks.yaml: {e}"))?;
    let checks: Checks = serde_yaml_ng::from_str(&checks_text)
        .map_err(|e| format!("corpus/{name}/checks.yaml: {e}"))?;
    if checks.checks.is_empty() {
        return Err(format!("corpus/{name}/checks.yaml: no checks"));
    }
    Ok(Entry {
        name,
        dir: dir.to_path_buf(),
        file: path,
        kind,
        checks,
    })
}

/// The host HTTP integrations of the corpus name (`.example` is reserved
/// for examples); the tests point it at [`http_backend`] on loopback.
pub const BACKEND: &str = "http://backend.example";

/// Points the API's HTTP integrations on [`BACKEND`] at `backend`. (In
/// the model rather than in the text, as the importer reads a
/// `BodyS3Location` document itself.)
fn point_at(mut api: RestApi, backend: &str) -> RestApi {
    for method in &mut api.methods {
        if let Some(uri) = method.integration.as_mut().and_then(|i| i.uri.as_mut())
            && let Some(rest) = uri.strip_prefix(BACKEND)
        {
            *uri = format!("{backend}{rest}");
        }
    }
    api
}

/// Imports the folder's own definition: a template with
/// `cloudformation::import` (SAM included), a bare document with
/// `openapi::import`; HTTP integrations reach `backend` (see [`BACKEND`]).
pub fn import_entry(entry: &Entry, backend: &str) -> Result<RestApi, String> {
    import_own(entry).map(|api| point_at(api, backend))
}

fn import_own(entry: &Entry) -> Result<RestApi, String> {
    let source = entry.source()?;
    let label = entry.label();
    match entry.kind {
        Kind::OpenApi => openapi::import(&source, &label, &OpenApiOptions::default())
            .map(|i| i.api)
            .map_err(|e| e.to_string()),
        Kind::Sam | Kind::CloudFormation => {
            cloudformation::import(&source, &label, &entry.import_options())
                .map(|i| i.api)
                .map_err(|e| e.to_string())
        }
    }
}

/// The SAM translator's output for a SAM folder (plain CloudFormation,
/// JSON), from `scripts/sam-translate.py` run with `PHALANX_PYTHON`.
pub fn translate(entry: &Entry) -> Result<String, String> {
    let python = python();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/sam-translate.py");
    let output = std::process::Command::new(&python)
        .arg(&script)
        .arg(&entry.file)
        .output()
        .map_err(|e| {
            format!(
                "{}: running {python} {}: {e}",
                entry.label(),
                script.display()
            )
        })?;
    if !output.status.success() {
        return Err(format!(
            "{}: the SAM translator failed ({}): {}",
            entry.label(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    String::from_utf8(output.stdout)
        .map_err(|e| format!("{}: the translator's output: {e}", entry.label()))
}

/// Imports the translator's output for a SAM folder; HTTP integrations
/// reach `backend`.
pub fn import_translated(entry: &Entry, backend: &str) -> Result<RestApi, String> {
    let translated = translate(entry)?;
    let label = format!("{} (translated)", entry.label());
    cloudformation::import(&translated, &label, &entry.import_options())
        .map(|i| point_at(i.api, backend))
        .map_err(|e| e.to_string())
}

/// The interpreter that has aws-sam-translator installed.
pub fn python() -> String {
    match std::env::var("PHALANX_PYTHON") {
        Ok(python) if !python.is_empty() => python,
        _ => panic!(
            "PHALANX_PYTHON is not set. The SAM templates of tests/corpus are translated with \
             AWS's SAM translator (PyPI's aws-sam-translator) by scripts/sam-translate.py: run \
             ./scripts/test.sh, which installs it into target/venv and sets PHALANX_PYTHON, or \
             point PHALANX_PYTHON at a python that has aws-sam-translator installed."
        ),
    }
}

/// A stand-in for every function the API invokes, registered under the
/// name the integrations use. Each answers with what it saw, so checks can
/// tell which function a route reached and what the mapping gave it:
///
/// * a Lambda proxy event (it has `requestContext` and `httpMethod`)
///   gets `{"statusCode": 200, "body": …}`, the body a JSON object with
///   the function, resource, path, method, path parameters, query, stage
///   variables, body and `isBase64Encoded`; a request body with `"fail"`
///   makes it fail with that message instead;
/// * any other event (a non-proxy integration's mapped request) gets
///   `{"function": …, "event": …}`; an event with a non-empty `"fail"` (at
///   its top or in its `body`) makes it fail with that message as `errorMessage`, for
///   selection patterns;
/// * a Lambda authorizer's event (`type` TOKEN or REQUEST, with a
///   `methodArn`) gets a policy allowing every method, with the function's
///   name in its `context`.
pub fn stand_ins(api: &RestApi) -> InProcess {
    let mut names: Vec<String> = api.functions.keys().cloned().collect();
    for method in &api.methods {
        if let Some(function) = method.integration.as_ref().and_then(|i| i.function.clone())
            && !names.contains(&function)
        {
            names.push(function);
        }
    }
    let mut functions = InProcess::new();
    for name in names {
        let function = name.clone();
        functions.register(&name, move |event| {
            let function = function.clone();
            async move { stand_in(&function, &event) }
        });
    }
    functions
}

fn stand_in(function: &str, event: &[u8]) -> Result<bytes::Bytes, bytes::Bytes> {
    let event: Value = serde_json::from_slice(event).unwrap_or(Value::Null);
    let error = |message: &Value| {
        Err(
            json!({"errorMessage": message, "errorType": "StandInError"})
                .to_string()
                .into(),
        )
    };
    if event.get("methodArn").is_some()
        && matches!(event["type"].as_str(), Some("TOKEN" | "REQUEST"))
    {
        let output = json!({
            "principalId": "stand-in",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}],
            },
            "context": {"authorizer": function},
        });
        return Ok(output.to_string().into());
    }
    if event.get("requestContext").is_some() && event.get("httpMethod").is_some() {
        let body: Value = event["body"]
            .as_str()
            .and_then(|b| serde_json::from_str(b).ok())
            .unwrap_or(Value::Null);
        if let Some(message) = body.get("fail") {
            return error(message);
        }
        let seen = json!({
            "function": function,
            "resource": event["resource"],
            "path": event["path"],
            "method": event["httpMethod"],
            "pathParameters": event["pathParameters"],
            "query": event["queryStringParameters"],
            "stageVariables": event["stageVariables"],
            "body": event["body"],
            "isBase64Encoded": event["isBase64Encoded"],
        });
        let reply = json!({
            "statusCode": 200,
            "headers": {"Content-Type": "application/json", "X-Function": function},
            "body": seen.to_string(),
        });
        return Ok(reply.to_string().into());
    }
    // The mapped event is either the request body itself or an object
    // with the body under `body` (two common request templates); a
    // template that always maps `fail` leaves it empty when not failing.
    if let Some(message) = event
        .get("fail")
        .or_else(|| event["body"].get("fail"))
        .filter(|m| m.as_str() != Some(""))
    {
        return error(message);
    }
    Ok(json!({"function": function, "event": event})
        .to_string()
        .into())
}

/// Whether any integration of the API is of `kind` (used in assertions
/// that the corpus covers every integration type).
pub fn uses(api: &RestApi, kind: IntegrationType) -> bool {
    api.methods
        .iter()
        .any(|m| m.integration.as_ref().is_some_and(|i| i.kind == kind))
}

/// Runs every check of `entry` against `api`; one message per failure,
/// each naming `label` (the definition as imported) and the check.
pub async fn run_checks(entry: &Entry, api: &RestApi, label: &str) -> Vec<String> {
    let mut failures = Vec::new();
    let mut gateways: IndexMap<&str, Gateway> = IndexMap::new();
    for (i, check) in entry.checks.checks.iter().enumerate() {
        let what = format!("{label}: check {} ({} {})", i + 1, check.method, check.path);
        let stage = check.stage.as_deref().unwrap_or(&entry.checks.stage);
        if !gateways.contains_key(stage) {
            match Gateway::build(api, stage, stand_ins(api)) {
                Ok(g) => {
                    gateways.insert(stage, g);
                }
                Err(e) => {
                    failures.push(format!(
                        "{what}: the gateway refuses the API for stage {stage}: {e}"
                    ));
                    continue;
                }
            }
        }
        let gateway = &gateways[stage];
        let api_key = api
            .api_keys
            .iter()
            .find(|k| k.enabled && k.stages.iter().any(|s| s == stage))
            .map(|k| k.value.clone());
        let mut headers = Vec::new();
        let mut missing_key = false;
        for (name, value) in &check.headers {
            let value = if value.contains("{api_key}") {
                match &api_key {
                    Some(key) => value.replace("{api_key}", key),
                    None => {
                        missing_key = true;
                        continue;
                    }
                }
            } else {
                value.clone()
            };
            headers.push((name.clone(), value));
        }
        if missing_key {
            failures.push(format!(
                "{what}: the check uses {{api_key}} but the API has no key for stage {stage}"
            ));
            continue;
        }
        if check.body.is_some()
            && !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            headers.push(("Content-Type".into(), "application/json".into()));
        }
        let (path, query) = match check.path.split_once('?') {
            Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
            None => (check.path.clone(), None),
        };
        let mut trace = Vec::new();
        let reply = gateway
            .handle_traced(
                GatewayRequest {
                    method: check.method.clone(),
                    path,
                    query,
                    headers,
                    body: check.body.clone().unwrap_or_default().into(),
                    source_ip: "127.0.0.1".into(),
                    protocol: "HTTP/1.1".into(),
                },
                Some(&mut trace),
            )
            .await;
        let body = String::from_utf8_lossy(&reply.body);
        let mut wrong = Vec::new();
        if reply.status != check.status {
            wrong.push(format!(
                "status {} (expected {})",
                reply.status, check.status
            ));
        }
        for want in &check.body_contains {
            if !body.contains(want.as_str()) {
                wrong.push(format!("the body lacks {want:?}"));
            }
        }
        for (name, want) in &check.reply_headers {
            let got = reply
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str());
            if got != want.as_deref() {
                wrong.push(format!("header {name}: {got:?} (expected {want:?})"));
            }
        }
        if !wrong.is_empty() {
            // What each stage of the pipeline did, as the console's test
            // shows it: the cause of a 500 is only there.
            let trace: Vec<String> = trace
                .iter()
                .map(|step| format!("    {}: {}", step.stage, step.detail))
                .collect();
            failures.push(format!(
                "{what}: {}; the reply: {} {:?} {body}\n  trace:\n{}",
                wrong.join(", "),
                reply.status,
                reply.headers,
                trace.join("\n")
            ));
        }
    }
    failures
}

/// A real HTTP backend on loopback, for the corpus's HTTP and HTTP_PROXY
/// integrations: answers with a JSON echo of the request it received
/// (`"backend": true`, method, path, query, `x-` headers, body); a path
/// segment
/// `status-NNN` picks the status. Returns its base URL.
pub async fn http_backend() -> String {
    use http_body_util::{BodyExt, Full};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("binding the corpus's HTTP backend: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("the corpus's HTTP backend: {e}"));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    |req: hyper::Request<hyper::body::Incoming>| async move {
                        let (parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let status = parts
                            .uri
                            .path()
                            .split('/')
                            .find_map(|s| s.strip_prefix("status-")?.parse().ok())
                            .unwrap_or(200u16);
                        // The `x-` headers: those integrations map.
                        let headers: serde_json::Map<String, Value> = parts
                            .headers
                            .iter()
                            .filter(|(name, _)| name.as_str().starts_with("x-"))
                            .map(|(name, value)| {
                                let value = String::from_utf8_lossy(value.as_bytes());
                                (name.to_string(), Value::String(value.into_owned()))
                            })
                            .collect();
                        let echo = json!({
                            "backend": true,
                            "method": parts.method.as_str(),
                            "path": parts.uri.path(),
                            "query": parts.uri.query(),
                            "headers": headers,
                            "body": String::from_utf8_lossy(&body),
                        });
                        // A status http refuses fails the connection.
                        hyper::Response::builder()
                            .status(status)
                            .header("Content-Type", "application/json")
                            .header("X-Backend", "echo")
                            .body(Full::new(bytes::Bytes::from(echo.to_string())))
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    format!("http://{addr}")
}
