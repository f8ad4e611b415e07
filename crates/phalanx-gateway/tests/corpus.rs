//! The template corpus: SAM templates, CloudFormation templates and bare
//! OpenAPI documents under `tests/corpus/`, written for these tests in the
//! shapes public projects use (see `tests/support/corpus.rs` for the layout
//! of a folder). Each must import, and every request of its `checks.yaml`
//! must get the answer listed there from stand-in functions.
//!
//! SAM templates are checked twice: imported directly, and imported from
//! the SAM translator's output (AWS's `aws-sam-translator`, through
//! `scripts/sam-translate.py` and `PHALANX_PYTHON`), which also shows that
//! the checks describe what AWS would deploy.

#[path = "support/corpus.rs"]
mod support;

use phalanx_gateway::model::{IntegrationType, RestApi};
use support::{
    BACKEND, Entry, Kind, entries, http_backend, import_entry, import_translated, run_checks,
};

/// The corpus, or a panic listing the folders that cannot be read.
fn corpus() -> Vec<Entry> {
    let (ok, bad): (Vec<_>, Vec<_>) = entries().into_iter().partition(Result::is_ok);
    let bad: Vec<String> = bad.into_iter().filter_map(Result::err).collect();
    assert!(
        bad.is_empty(),
        "unreadable corpus folders:\n{}",
        bad.join("\n")
    );
    ok.into_iter().filter_map(Result::ok).collect()
}

type Import = fn(&Entry, &str) -> Result<RestApi, String>;

/// Imports and checks every entry of `kinds` with `import`; panics with
/// every failure at once.
async fn check_all(kinds: &[Kind], how: &str, import: Import) {
    let backend = http_backend().await;
    let mut failures = Vec::new();
    let mut checked = 0;
    for entry in corpus().iter().filter(|e| kinds.contains(&e.kind)) {
        checked += 1;
        let label = format!("{} ({how})", entry.label());
        match import(entry, &backend) {
            Ok(api) => failures.extend(run_checks(entry, &api, &label).await),
            Err(e) => failures.push(format!("{label}: does not import: {e}")),
        }
    }
    assert!(checked > 0, "no corpus entries of kinds {kinds:?}");
    assert!(
        failures.is_empty(),
        "{} failure(s) over {checked} templates:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[tokio::test]
async fn openapi_and_cloudformation_templates_answer() {
    check_all(
        &[Kind::OpenApi, Kind::CloudFormation],
        "imported",
        import_entry,
    )
    .await;
}

#[tokio::test]
async fn sam_templates_answer() {
    check_all(&[Kind::Sam], "imported", import_entry).await;
}

#[tokio::test]
async fn translated_sam_templates_answer() {
    check_all(
        &[Kind::Sam],
        "translated by aws-sam-translator",
        import_translated,
    )
    .await;
}

/// The corpus keeps its size (issue 13 asks for at least 30 templates)
/// and, together, every integration type.
#[test]
fn the_corpus_is_large_and_varied() {
    let corpus = corpus();
    let count = |kind| corpus.iter().filter(|e| e.kind == kind).count();
    assert!(corpus.len() >= 30, "only {} templates", corpus.len());
    assert!(
        count(Kind::Sam) >= 15,
        "only {} SAM templates",
        count(Kind::Sam)
    );
    assert!(
        count(Kind::OpenApi) >= 8,
        "only {} OpenAPI documents",
        count(Kind::OpenApi)
    );
    assert!(
        count(Kind::CloudFormation) >= 4,
        "only {} CloudFormation templates",
        count(Kind::CloudFormation)
    );
    let apis: Vec<_> = corpus
        .iter()
        .filter(|e| e.kind != Kind::Sam)
        .filter_map(|e| import_entry(e, BACKEND).ok())
        .collect();
    for kind in [
        IntegrationType::Aws,
        IntegrationType::AwsProxy,
        IntegrationType::Mock,
        IntegrationType::Http,
        IntegrationType::HttpProxy,
    ] {
        assert!(
            apis.iter().any(|api| support::uses(api, kind)),
            "no OpenAPI or CloudFormation template of the corpus uses {kind:?}"
        );
    }
}

/// Every construct issue 13 lists appears somewhere in the corpus, so
/// editing a template cannot silently drop one. Each is found by a piece
/// of text of the definitions (templates, documents and the files they
/// refer to), per kind of definition.
#[test]
fn the_corpus_uses_every_construct() {
    let corpus = corpus();
    let text = |kinds: &[Kind]| -> String {
        let mut all = String::new();
        for entry in corpus.iter().filter(|e| kinds.contains(&e.kind)) {
            for file in files(&entry.dir) {
                if file.file_name().is_some_and(|n| n != "checks.yaml") {
                    all.push_str(&std::fs::read_to_string(&file).unwrap_or_default());
                }
            }
        }
        all
    };
    let openapi = text(&[Kind::OpenApi, Kind::CloudFormation]);
    let sam = text(&[Kind::Sam]);
    let openapi_constructs = [
        "swagger: \"2.0\"",
        "\"swagger\": \"2.0\"",
        "openapi: 3.0",
        "\"openapi\": \"3.0",
        "Body:",
        "Fn::Sub",
        "BodyS3Location",
        "x-amazon-apigateway-any-method",
        "type: aws\n",
        "type: aws_proxy",
        "type: mock",
        "\"type\": \"http\"",
        "\"type\": \"http_proxy\"",
        "requestTemplates",
        "requestParameters",
        "passthroughBehavior: never",
        "contentHandling: CONVERT_TO_TEXT",
        "timeoutInMillis",
        "\"5\\\\d{2}\"",
        "responseParameters",
        "responseTemplates",
        "required: true",
        "requestBody",
        "\"in\": \"body\"",
        "\"definitions\"",
        "components:\n  schemas:",
        "x-amazon-apigateway-request-validators",
        "x-amazon-apigateway-request-validator:",
        "x-amazon-apigateway-gateway-responses",
        "x-amazon-apigateway-binary-media-types",
        "x-amazon-apigateway-api-key-source",
        "securityDefinitions",
        "securitySchemes",
        "x-amazon-apigateway-authorizer",
        "type: token",
        "type: request",
        "type: cognito_user_pools",
        "\"type\": \"apiKey\"",
        "AWS::ApiGateway::Resource",
        "AWS::ApiGateway::UsagePlanKey",
    ];
    let sam_constructs = [
        "Type: Api\n",
        "AWS::Serverless::Api",
        "StageName:",
        "DefinitionBody:",
        "DefinitionUri:",
        "Cors: \"'*'\"",
        "AllowCredentials",
        "DefaultAuthorizer",
        "FunctionPayloadType: TOKEN",
        "FunctionPayloadType: REQUEST",
        "UserPoolArn",
        "ApiKeyRequired: true",
        "UsagePlan:",
        "GatewayResponses:",
        "BinaryMediaTypes:",
        "Variables:",
        "Models:",
        "RequestModel:",
        "RequestParameters:",
        "OpenApiVersion:",
        "Globals:\n  Function:",
        "  Api:\n    Cors:",
        "CodeUri:",
        "InlineCode:",
        "Authorizer: NONE",
    ];
    let missing: Vec<String> = openapi_constructs
        .iter()
        .filter(|c| !openapi.contains(*c))
        .map(|c| format!("OpenAPI/CloudFormation: {c:?}"))
        .chain(
            sam_constructs
                .iter()
                .filter(|c| !sam.contains(*c))
                .map(|c| format!("SAM: {c:?}")),
        )
        .collect();
    assert!(
        missing.is_empty(),
        "constructs no template of the corpus uses:\n{}",
        missing.join("\n")
    );
    // Two APIs in one template, one picked by `api` in checks.yaml.
    for kind in [Kind::Sam, Kind::CloudFormation] {
        assert!(
            corpus
                .iter()
                .any(|e| e.kind == kind && e.checks.api.is_some()),
            "no {kind:?} template picks one of several APIs"
        );
    }
}

/// Every file under `dir`, recursively.
fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(read) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in read.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}
