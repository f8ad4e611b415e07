//! `export`: the CloudFormation template of each example is snapshot-tested
//! (`tests/snapshots/`), passes AWS's `cfn-lint`, and — imported back by the
//! gateway's CloudFormation importer — serves the same answers as the
//! service built in process (one model, two doors). The OpenAPI export,
//! imported back by the gateway's OpenAPI importer, does too, for every
//! example.

#[allow(dead_code)]
#[path = "../examples/catalog.rs"]
mod catalog;
#[allow(dead_code)]
#[path = "../examples/echo.rs"]
mod echo;
#[allow(dead_code)]
#[path = "../examples/location.rs"]
mod location;
#[allow(dead_code)]
#[path = "../examples/presign.rs"]
mod presign;

use phalanx::Service;
use phalanx::gateway::cloudformation::{ImportOptions, Imported, import};
use phalanx::gateway::openapi::OpenApiOptions;
use phalanx::gateway::{Gateway, GatewayReply, GatewayRequest};
mod common;

use common::{cfn_lint, example_binary, openapi_validator, passes};

fn examples() -> Vec<(&'static str, Service)> {
    vec![
        ("echo", echo::service()),
        ("location", location::service()),
        ("presign", presign::service()),
    ]
}

/// The OpenAPI documents are stable and valid OpenAPI 3.0
/// (`openapi-spec-validator`, from PyPI).
#[test]
fn openapi_exports_are_stable_and_valid() {
    for (name, service) in examples() {
        let document = phalanx::export::openapi(&service);
        insta::assert_json_snapshot!(format!("{name}_openapi"), document);
        passes(&openapi_validator(), name, &document);
        // Every method carries its integration.
        let get_or_post = document["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|p| p.as_object().unwrap().values());
        for op in get_or_post {
            assert!(
                op["x-amazon-apigateway-integration"]["type"] == "aws",
                "{op}"
            );
        }
    }
}

#[test]
fn exports_are_stable_and_pass_cfn_lint() {
    for (name, service) in examples() {
        let template = phalanx::export::cloudformation(&service);
        insta::assert_json_snapshot!(format!("{name}_cloudformation"), template);
        passes(&cfn_lint(), name, &template);
    }
}

fn request(method: &str, path: &str, body: &str) -> GatewayRequest {
    GatewayRequest {
        method: method.into(),
        path: path.into(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("user-agent".into(), "t".into()),
        ],
        body: body.to_string().into(),
        source_ip: "127.0.0.1".into(),
        ..GatewayRequest::default()
    }
}

/// Status, the headers that do not carry ids, and the body with the ids
/// that differ per request or per API blanked.
fn comparable(reply: &GatewayReply) -> (u16, Vec<(String, String)>, serde_json::Value) {
    let headers = reply
        .headers
        .iter()
        .filter(|(k, _)| !k.to_ascii_lowercase().starts_with("x-am"))
        .cloned()
        .collect();
    let mut body: serde_json::Value =
        serde_json::from_slice(&reply.body).unwrap_or(serde_json::Value::Null);
    if let Some(ctx) = body.get_mut("context").and_then(|c| c.as_object_mut()) {
        ctx.remove("requestId");
        ctx.remove("apiId");
        ctx.remove("resourceId");
    }
    (reply.status, headers, body)
}

/// The service's CloudFormation export, read back by the gateway's importer.
/// Every request answered by `other` as by `in_process` (`what` names the
/// case in a failure).
async fn assert_same_answers(
    in_process: &Gateway,
    other: &Gateway,
    requests: Vec<GatewayRequest>,
    what: &str,
) {
    for r in requests {
        let case = format!("{what}: {} {}", r.method, r.path);
        let a = comparable(&in_process.handle(r.clone()).await);
        let b = comparable(&other.handle(r).await);
        assert_eq!(a, b, "{case}");
    }
}

/// `requests` answered by `imported`, served on stage `dev` with the
/// example binary `name` as every function's process (the Lambda runtime
/// side of `phalanx::main`, through the gateway's Runtime API host), as by
/// the in-process service. The host stops its processes when dropped, also
/// when an assertion fails.
async fn assert_served_by_processes_like(
    name: &str,
    service: &Service,
    imported: &Imported,
    requests: Vec<GatewayRequest>,
) {
    use phalanx::gateway::invoke::{FunctionProcess, RuntimeApiHost};
    let in_process = service.gateway(None).unwrap();
    let command = example_binary(name).display().to_string();
    let processes = imported
        .api
        .functions
        .iter()
        .map(|(id, f)| FunctionProcess::from_model(id, &command, f))
        .collect();
    let host = RuntimeApiHost::new(processes).unwrap();
    let served = Gateway::build(&imported.api, "dev", host.clone()).unwrap();
    assert_same_answers(&in_process, &served, requests, name).await;
    host.shutdown();
}

/// The requests the function-process tests send, per example.
fn process_cases() -> [(&'static str, Vec<GatewayRequest>); 2] {
    [
        ("echo", vec![request("GET", "/dev/hello?x=1", "")]),
        (
            "location",
            vec![
                request("POST", "/dev/items", r#"{"name": "Pen"}"#),
                request("POST", "/dev/items", r#"{"name": ""}"#),
            ],
        ),
    ]
}

fn exported_and_imported(name: &str, service: &Service) -> Imported {
    let template = serde_json::to_string(&phalanx::export::cloudformation(service)).unwrap();
    import(
        &template,
        &format!("{name}.json"),
        &ImportOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn the_export_serves_what_the_service_serves() {
    let cases = [
        ("echo", vec![request("GET", "/dev/hello?x=1", "")]),
        (
            "location",
            vec![
                request("POST", "/dev/items", r#"{"name": "Pen"}"#),
                request("POST", "/dev/items", r#"{"name": ""}"#),
                request("POST", "/dev/items", r#"{"wrong": 1}"#),
            ],
        ),
    ];
    for ((name, service), (case, requests)) in examples().into_iter().zip(cases) {
        assert_eq!(name, case);
        let in_process = service.gateway(None).unwrap();
        let imported = exported_and_imported(name, &service);
        let from_template = Gateway::build(&imported.api, "dev", service.in_process())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(in_process.routes(), from_template.routes());
        assert_same_answers(&in_process, &from_template, requests, name).await;
    }
}

/// The exported template, served with the example binary itself as every
/// function's process (the Lambda runtime side of `phalanx::main`, through
/// the gateway's Runtime API host, as `phalanx serve --template FILE
/// --function ID=target/debug/examples/NAME` runs it), answers as the
/// in-process service does.
#[tokio::test]
async fn the_export_served_by_function_processes_answers_the_same() {
    for ((name, service), (case, requests)) in examples().into_iter().zip(process_cases()) {
        assert_eq!(name, case);
        let imported = exported_and_imported(name, &service);
        assert_served_by_processes_like(name, &service, &imported, requests).await;
    }
}

/// The service's OpenAPI export, read back by the gateway's OpenAPI
/// importer, given the service's functions so that the integrations' Lambda
/// URIs (which name functions by name) find them.
fn openapi_exported_and_imported(name: &str, service: &Service) -> Imported {
    let document = serde_json::to_string(&phalanx::export::openapi(service)).unwrap();
    let options = OpenApiOptions {
        functions: service.model().functions,
        ..OpenApiOptions::default()
    };
    phalanx::gateway::openapi::import(&document, &format!("{name}.json"), &options)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The round trip issue 13 asks for: for every example, its OpenAPI export
/// imported back and served answers as the in-process service does.
#[tokio::test]
async fn the_openapi_export_imported_back_answers_like_the_in_process_service() {
    let mut examples = examples();
    examples.push(("catalog", catalog::service()));
    let cases = [
        (
            "echo",
            vec![
                request("GET", "/dev/hello?x=1", ""),
                request("POST", "/dev/hello", r#"{"a": 1}"#),
                request("GET", "/dev/nowhere", ""),
            ],
        ),
        (
            "location",
            vec![
                request("POST", "/dev/items", r#"{"name": "Pen"}"#),
                request("POST", "/dev/items", r#"{"name": ""}"#),
                request("POST", "/dev/items", r#"{"wrong": 1}"#),
                request("GET", "/dev/items", ""),
            ],
        ),
        (
            // Without its query parameters the validator answers; the
            // function (which would call S3) is not reached.
            "presign",
            vec![
                request("GET", "/dev/info", ""),
                request("GET", "/dev/info?bucketName=b", ""),
            ],
        ),
        (
            "catalog",
            vec![
                request("GET", "/v1/products", ""),
                request("GET", "/v1/products?category=pens", ""),
                request("GET", "/v1/products/pen", ""),
                request("GET", "/v1/products/nothing", ""),
                request("GET", "/v1/categories", ""),
                request("GET", "/v1/products/pen/reviews", ""),
                request(
                    "POST",
                    "/v1/products/pen/reviews",
                    r#"{"stars": 4, "text": "fine"}"#,
                ),
                request(
                    "POST",
                    "/v1/products/pen/reviews",
                    r#"{"stars": 9, "text": "too much"}"#,
                ),
                request("DELETE", "/v1/products/pen/reviews/pen-4", ""),
            ],
        ),
    ];
    assert_eq!(examples.len(), cases.len());
    for ((name, service), (case, requests)) in examples.into_iter().zip(cases) {
        assert_eq!(name, case);
        let in_process = service.gateway(None).unwrap();
        let imported = openapi_exported_and_imported(name, &service);
        let stage = service.model().stages[0].stage_name.clone();
        let from_openapi = Gateway::build(&imported.api, &stage, service.in_process())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(in_process.routes(), from_openapi.routes(), "{name}");
        assert_same_answers(&in_process, &from_openapi, requests, name).await;
    }
}

/// The OpenAPI export, imported back and served with the example binary as
/// every function's process (as `phalanx serve --openapi FILE --function
/// NAME=target/debug/examples/NAME` runs it), answers as the in-process
/// service does.
#[tokio::test]
async fn the_openapi_export_served_by_function_processes_answers_the_same() {
    for ((name, service), (case, requests)) in examples().into_iter().zip(process_cases()) {
        assert_eq!(name, case);
        let imported = openapi_exported_and_imported(name, &service);
        assert_served_by_processes_like(name, &service, &imported, requests).await;
    }
}
