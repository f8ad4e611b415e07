//! `provision`, `status` and `delete` of the example services against a
//! local AWS stand-in: ministack (PyPI, version pinned in
//! `scripts/test.sh`, which starts it on loopback and puts its URL in
//! `PHALANX_MINISTACK_ENDPOINT`). The commands are the real example
//! binaries; everything read back goes through the AWS SDK for Rust.
//!
//! The stand-in runs CloudFormation change sets (with per-resource events,
//! outputs and rollback), creates the API Gateway resources, and runs the
//! uploaded zip's `bootstrap` as a local process when a function is
//! invoked, so an invocation through the Lambda API is the real Phalanx
//! binary running as the Lambda function. Its own execute-api route does
//! not render VTL for Lambda integrations (it is not AWS), so the
//! gateway's answers are judged by local `test-invoke`: the event it
//! renders is sent through Lambda's Invoke API, and the deployed
//! function's result must equal the local one.
//!
//! What the stand-in lacks, and what these tests therefore do not check:
//! it records request validators without creating them, so validators are
//! not compared; it accepts a missing code object when a function is
//! created (only an update refuses it), so the failed create below uses
//! code in another region's bucket, which it refuses as AWS does (Lambda
//! reads code only from a bucket in the function's region).

mod common;

use aws_sdk_cloudformation::config::{Credentials, Region};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

const REGION: &str = "us-east-1";

fn endpoint() -> String {
    std::env::var("PHALANX_MINISTACK_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "PHALANX_MINISTACK_ENDPOINT is not set: run ./scripts/test.sh, which starts ministack (a local AWS) for these tests"
        )
    })
}

/// The SDK configuration every client uses: the stand-in's endpoint and
/// dummy credentials (the same ones the commands get, so everything lands
/// in the same account).
async fn sdk() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .load()
        .await
}

struct Clients {
    cloudformation: aws_sdk_cloudformation::Client,
    apigateway: aws_sdk_apigateway::Client,
    lambda: aws_sdk_lambda::Client,
    iam: aws_sdk_iam::Client,
    s3: aws_sdk_s3::Client,
}

async fn clients() -> Clients {
    let config = sdk().await;
    Clients {
        cloudformation: aws_sdk_cloudformation::Client::new(&config),
        apigateway: aws_sdk_apigateway::Client::new(&config),
        lambda: aws_sdk_lambda::Client::new(&config),
        iam: aws_sdk_iam::Client::new(&config),
        s3: aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        ),
    }
}

/// Runs an example binary with the stand-in's settings in its environment
/// and no standard input (as CI runs it: not a terminal).
fn run(example: &str, args: &[&str]) -> Output {
    common::run_example(example, args, |command| {
        command
            .env("AWS_ENDPOINT_URL", endpoint())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", REGION)
            .env_remove("AWS_PROFILE")
            .env_remove("RUST_LOG");
    })
}

fn stdout(output: &Output) -> String {
    common::text(&output.stdout)
}

fn stderr(output: &Output) -> String {
    common::text(&output.stderr)
}

/// `provision` of a debug build: the tests run what `cargo test` built.
fn provision(example: &str, stack: &str, bucket: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "provision",
        "--s3-bucket",
        bucket,
        "--stack-name",
        stack,
        "--yes",
        "--allow-debug-build",
    ];
    args.extend_from_slice(extra);
    run(example, &args)
}

async fn create_bucket(clients: &Clients, bucket: &str) {
    let _ = clients.s3.create_bucket().bucket(bucket).send().await;
}

async fn stack_status(clients: &Clients, stack: &str) -> Option<String> {
    match clients
        .cloudformation
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
    {
        Ok(out) => out
            .stacks()
            .first()
            .and_then(|s| s.stack_status())
            .map(|s| s.as_str().to_string()),
        Err(e) => {
            let text = format!("{:?}", e.into_service_error());
            assert!(text.contains("does not exist"), "{text}");
            None
        }
    }
}

/// Logical id → physical id of the stack's resources.
async fn physical_ids(clients: &Clients, stack: &str) -> BTreeMap<String, String> {
    clients
        .cloudformation
        .list_stack_resources()
        .stack_name(stack)
        .send()
        .await
        .expect("the stack's resources")
        .stack_resource_summaries()
        .iter()
        .map(|r| {
            (
                r.logical_resource_id().unwrap_or_default().to_string(),
                r.physical_resource_id().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn export(example: &str) -> Value {
    let out = run(example, &["export"]);
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).expect("the export is JSON")
}

fn deployment_logical_id(ids: &BTreeMap<String, String>) -> String {
    let found: Vec<&String> = ids.keys().filter(|k| k.starts_with("Deployment")).collect();
    assert_eq!(found.len(), 1, "one Deployment in {ids:?}");
    found[0].clone()
}

async fn stage_deployment(clients: &Clients, api: &str, stage: &str) -> String {
    clients
        .apigateway
        .get_stage()
        .rest_api_id(api)
        .stage_name(stage)
        .send()
        .await
        .expect("the stage")
        .deployment_id()
        .expect("a deployment id")
        .to_string()
}

fn string_map(value: &Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn sdk_map(map: Option<&std::collections::HashMap<String, String>>) -> BTreeMap<String, String> {
    map.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// Every method of the export is in the deployed API with the same
/// integration: type, request templates, integration responses (status,
/// selection pattern, response parameters and templates) and method
/// responses (status and declared parameters).
async fn assert_api_matches_export(
    clients: &Clients,
    api: &str,
    ids: &BTreeMap<String, String>,
    template: &Value,
) -> usize {
    let resources = template["Resources"].as_object().unwrap();
    let mut methods = 0;
    for (logical_id, resource) in resources {
        if resource["Type"] != "AWS::ApiGateway::Method" {
            continue;
        }
        methods += 1;
        let props = &resource["Properties"];
        let resource_id = match &props["ResourceId"] {
            Value::Object(o) if o.contains_key("Ref") => ids[o["Ref"].as_str().unwrap()].clone(),
            // Fn::GetAtt RestApi.RootResourceId: the root.
            _ => clients
                .apigateway
                .get_resources()
                .rest_api_id(api)
                .send()
                .await
                .unwrap()
                .items()
                .iter()
                .find(|r| r.path() == Some("/"))
                .and_then(|r| r.id())
                .unwrap()
                .to_string(),
        };
        let verb = props["HttpMethod"].as_str().unwrap();
        let method = clients
            .apigateway
            .get_method()
            .rest_api_id(api)
            .resource_id(&resource_id)
            .http_method(verb)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{logical_id}: {e:?}"));
        let integration = method.method_integration().expect("an integration");
        let expected = &props["Integration"];
        assert_eq!(
            integration.r#type().map(|t| t.as_str()),
            expected["Type"].as_str(),
            "{logical_id}"
        );
        assert_eq!(
            sdk_map(integration.request_templates()),
            string_map(&expected["RequestTemplates"]),
            "{logical_id}: request templates"
        );
        let deployed = integration
            .integration_responses()
            .expect("integration responses");
        let wanted = expected["IntegrationResponses"].as_array().unwrap();
        assert_eq!(deployed.len(), wanted.len(), "{logical_id}");
        for w in wanted {
            let code = w["StatusCode"].as_str().unwrap();
            let d = &deployed[code];
            // The stand-in reports the default response's missing pattern
            // as "" (AWS leaves it out): the same thing.
            assert_eq!(
                d.selection_pattern().filter(|p| !p.is_empty()),
                w["SelectionPattern"].as_str(),
                "{logical_id} {code}"
            );
            assert_eq!(
                sdk_map(d.response_parameters()),
                string_map(&w["ResponseParameters"]),
                "{logical_id} {code}: response parameters"
            );
            assert_eq!(
                sdk_map(d.response_templates()),
                string_map(&w["ResponseTemplates"]),
                "{logical_id} {code}: response templates"
            );
        }
        let responses = method.method_responses().expect("method responses");
        for w in props["MethodResponses"].as_array().unwrap() {
            let code = w["StatusCode"].as_str().unwrap();
            let d = responses
                .get(code)
                .unwrap_or_else(|| panic!("{logical_id}: no method response {code}"));
            let declared: BTreeMap<String, bool> = d
                .response_parameters()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), *v)).collect())
                .unwrap_or_default();
            let wanted: BTreeMap<String, bool> = w["ResponseParameters"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.clone(), v.as_bool().unwrap()))
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(declared, wanted, "{logical_id} {code}: declared headers");
        }
    }
    methods
}

/// The event local `test-invoke` renders for a request, and the function
/// result it gets (the "integration request" and "endpoint response"
/// stages of its JSON trace).
fn local_invocation(example: &str, args: &[&str]) -> (String, Value) {
    let mut all = vec!["test-invoke"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let out = run(example, &all);
    assert!(out.status.success());
    let trace: Value = serde_json::from_slice(&out.stdout).unwrap();
    let stage = |name: &str| -> String {
        let detail = trace["trace"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["stage"] == name)
            .unwrap_or_else(|| panic!("no {name} stage"))["detail"]
            .as_str()
            .unwrap()
            .to_string();
        // The first line says what follows ("template [...] rendered:",
        // "status 200").
        detail.split_once('\n').unwrap().1.to_string()
    };
    let event = stage("integration request");
    let result = serde_json::from_str(&stage("endpoint response")).unwrap();
    (event, result)
}

/// Invokes the deployed function with `event`; its result as JSON.
async fn invoke_deployed(clients: &Clients, function: &str, event: &str) -> Value {
    let out = clients
        .lambda
        .invoke()
        .function_name(function)
        .payload(aws_sdk_lambda::primitives::Blob::new(event.as_bytes()))
        .send()
        .await
        .expect("the invocation");
    let payload = out
        .payload()
        .map(|b| b.as_ref().to_vec())
        .unwrap_or_default();
    assert_eq!(
        out.function_error(),
        None,
        "function error: {}",
        String::from_utf8_lossy(&payload)
    );
    serde_json::from_slice(&payload).expect("the result is JSON")
}

fn unzip_bootstrap(zip_path: &Path) -> Vec<u8> {
    use std::io::Read;
    let file = std::fs::File::open(zip_path).unwrap();
    let mut archive = zip::ZipArchive::new(file).unwrap();
    let mut entry = archive.by_name("bootstrap").unwrap();
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).unwrap();
    bytes
}

#[tokio::test]
async fn echo_provision_update_rollback_status_and_delete() {
    let clients = clients().await;
    let (stack, bucket) = ("phalanx-test-echo", "phalanx-test-echo");
    create_bucket(&clients, bucket).await;
    let out_dir = tempfile::tempdir().unwrap();
    let out_arg = out_dir.path().to_str().unwrap();

    // Create.
    let created = provision("echo", stack, bucket, &["--out", out_arg]);
    assert!(created.status.success(), "{}", stderr(&created));
    let text = stdout(&created);
    assert!(text.contains("+ Add     Echo "), "{text}");
    assert!(text.contains("ApiGatewayUrl = https://"), "{text}");
    assert!(stderr(&created).contains("CREATE_COMPLETE"));
    assert_eq!(
        stack_status(&clients, stack).await.as_deref(),
        Some("CREATE_COMPLETE")
    );

    // The deployed API is the exported one.
    let ids = physical_ids(&clients, stack).await;
    let api = ids["RestApi"].clone();
    let methods = assert_api_matches_export(&clients, &api, &ids, &export("echo")).await;
    assert_eq!(methods, 1);
    let deployment = stage_deployment(&clients, &api, "dev").await;
    assert_eq!(deployment, ids[&deployment_logical_id(&ids)]);

    // The deployed function answers the event the local gateway renders
    // as the local function does: the Phalanx binary ran from the zip.
    let (event, local) = local_invocation("echo", &["GET", "/hello?name=ada"]);
    assert_eq!(invoke_deployed(&clients, &ids["Echo"], &event).await, local);

    // Unchanged: nothing to deploy, the stage keeps its deployment.
    let again = provision("echo", stack, bucket, &["--out", out_arg]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains(&format!(
            "No changes to deploy: stack {stack} is up to date"
        )),
        "{}",
        stdout(&again)
    );
    assert_eq!(stage_deployment(&clients, &api, "dev").await, deployment);

    // New code (the same program with a byte more, as a rebuild gives):
    // the function is updated and the stage moves to a new deployment.
    let mut changed = unzip_bootstrap(&out_dir.path().join("bootstrap-x86_64.zip"));
    changed.push(0);
    let binary = out_dir.path().join("bootstrap-changed");
    std::fs::write(&binary, &changed).unwrap();
    let binary_arg = binary.to_str().unwrap();
    let updated = provision(
        "echo",
        stack,
        bucket,
        &["--out", out_arg, "--binary", binary_arg],
    );
    assert!(updated.status.success(), "{}", stderr(&updated));
    let text = stdout(&updated);
    assert!(text.contains("* Modify  Echo "), "{text}");
    assert!(text.contains("- Delete  Deployment"), "{text}");
    assert_eq!(
        stack_status(&clients, stack).await.as_deref(),
        Some("UPDATE_COMPLETE")
    );
    let ids = physical_ids(&clients, stack).await;
    let moved = stage_deployment(&clients, &api, "dev").await;
    assert_ne!(
        moved, deployment,
        "the stage must move to the new deployment"
    );
    assert_eq!(moved, ids[&deployment_logical_id(&ids)]);
    assert_eq!(invoke_deployed(&clients, &ids["Echo"], &event).await, local);

    // A failing update (code that is not in the bucket) is rolled back,
    // and the failed resource is named with its reason.
    let failed = provision(
        "echo",
        stack,
        bucket,
        &[
            "--out",
            out_arg,
            "--binary",
            binary_arg,
            "--param",
            "CodeS3Key=phalanx/echo/missing.zip",
        ],
    );
    assert!(!failed.status.success());
    let text = stderr(&failed);
    assert!(
        text.contains("Echo (AWS::Lambda::Function) UPDATE_FAILED: "),
        "{text}"
    );
    assert!(text.contains("missing.zip"), "{text}");
    assert!(
        text.contains("the stack is UPDATE_ROLLBACK_COMPLETE"),
        "{text}"
    );
    assert_eq!(
        stack_status(&clients, stack).await.as_deref(),
        Some("UPDATE_ROLLBACK_COMPLETE")
    );
    assert_eq!(invoke_deployed(&clients, &ids["Echo"], &event).await, local);

    // status: the outputs.
    let status = run("echo", &["status", "--stack-name", stack]);
    assert!(status.status.success());
    let text = stdout(&status);
    assert!(
        text.contains("Status:       UPDATE_ROLLBACK_COMPLETE"),
        "{text}"
    );
    assert!(
        text.contains(&format!("ApiGatewayUrl = https://{api}.execute-api.")),
        "{text}"
    );

    // delete: everything goes, and deleting again is fine.
    let deleted = run("echo", &["delete", "--stack-name", stack, "--yes"]);
    assert!(deleted.status.success(), "{}", stderr(&deleted));
    assert!(stdout(&deleted).contains(&format!("s3://{bucket}/phalanx/")));
    assert_eq!(stack_status(&clients, stack).await, None);
    assert!(
        clients
            .apigateway
            .get_rest_api()
            .rest_api_id(&api)
            .send()
            .await
            .is_err()
    );
    let function = clients
        .lambda
        .get_function()
        .function_name(&ids["Echo"])
        .send()
        .await;
    assert!(
        function
            .unwrap_err()
            .into_service_error()
            .is_resource_not_found_exception()
    );
    let role = clients
        .iam
        .get_role()
        .role_name(&ids["EchoRole"])
        .send()
        .await;
    assert!(
        role.unwrap_err()
            .into_service_error()
            .is_no_such_entity_exception()
    );
    let again = run("echo", &["delete", "--stack-name", stack, "--yes"]);
    assert!(again.status.success());
    assert!(
        stdout(&again).contains("does not exist"),
        "{}",
        stdout(&again)
    );
    // A missing stack is `status`'s exit code 3.
    assert_eq!(
        run("echo", &["status", "--stack-name", stack])
            .status
            .code(),
        Some(3)
    );
}

#[tokio::test]
async fn location_deploys_its_header_mapping() {
    let clients = clients().await;
    let (stack, bucket) = ("phalanx-test-location", "phalanx-test-location");
    create_bucket(&clients, bucket).await;
    let created = provision("location", stack, bucket, &[]);
    assert!(created.status.success(), "{}", stderr(&created));
    let ids = physical_ids(&clients, stack).await;
    let api = ids["RestApi"].clone();
    let template = export("location");
    assert_eq!(
        assert_api_matches_export(&clients, &api, &ids, &template).await,
        1
    );
    // The seed's mapping, as deployed.
    let method = &template["Resources"]["MethodItemsPost"]["Properties"];
    let created_response = method["Integration"]["IntegrationResponses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["StatusCode"] == "201")
        .unwrap();
    assert_eq!(
        created_response["ResponseParameters"]["method.response.header.Location"],
        "integration.response.body.location"
    );

    let (event, local) = local_invocation(
        "location",
        &[
            "POST",
            "/items",
            "--header",
            "Content-Type: application/json",
            "--body",
            r#"{"name": "Big Pen"}"#,
        ],
    );
    assert_eq!(local["location"], "/dev/items/big-pen");
    assert_eq!(
        invoke_deployed(&clients, &ids["CreateItem"], &event).await,
        local
    );

    let deleted = run("location", &["delete", "--stack-name", stack, "--yes"]);
    assert!(deleted.status.success());
    assert_eq!(stack_status(&clients, stack).await, None);
}

#[tokio::test]
async fn a_template_past_the_inline_limit_deploys_through_s3() {
    let clients = clients().await;
    let (stack, bucket) = ("phalanx-test-catalog", "phalanx-test-catalog");
    create_bucket(&clients, bucket).await;
    let template = export("catalog");
    // CloudFormation takes at most 51,200 bytes inline (TemplateBody);
    // provision sends the template compact, through TemplateURL.
    assert!(template.to_string().len() > 51_200);
    let created = provision("catalog", stack, bucket, &[]);
    assert!(created.status.success(), "{}", stderr(&created));
    let ids = physical_ids(&clients, stack).await;
    let api = ids["RestApi"].clone();
    assert_eq!(
        assert_api_matches_export(&clients, &api, &ids, &template).await,
        6
    );

    let (event, local) = local_invocation("catalog", &["GET", "/products/pen"]);
    assert_eq!(local["name"], "Fountain pen");
    assert_eq!(
        invoke_deployed(&clients, &ids["Products"], &event).await,
        local
    );

    let deleted = run("catalog", &["delete", "--stack-name", stack, "--yes"]);
    assert!(deleted.status.success());
}

#[tokio::test]
async fn without_a_terminal_provision_needs_yes_and_a_dry_run_deploys_nothing() {
    let clients = clients().await;
    let (stack, bucket) = ("phalanx-test-dry-run", "phalanx-test-dry-run");
    create_bucket(&clients, bucket).await;

    let refused = run(
        "echo",
        &[
            "provision",
            "--s3-bucket",
            bucket,
            "--stack-name",
            stack,
            "--allow-debug-build",
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    let text = stderr(&refused);
    assert!(text.contains("standard input is not a terminal"), "{text}");
    assert!(text.contains("pass --yes"), "{text}");
    assert_eq!(stack_status(&clients, stack).await, None);

    let dry = run(
        "echo",
        &[
            "provision",
            "--s3-bucket",
            bucket,
            "--stack-name",
            stack,
            "--allow-debug-build",
            "--dry-run",
        ],
    );
    assert!(dry.status.success(), "{}", stderr(&dry));
    let text = stdout(&dry);
    assert!(text.contains("+ Add     RestApi "), "{text}");
    assert!(text.contains("Dry run: nothing was deployed"), "{text}");
    // The CREATE change set's empty stack is removed with it.
    let left = stack_status(&clients, stack).await;
    assert!(
        left.is_none() || left.as_deref() == Some("DELETE_COMPLETE"),
        "{left:?}"
    );
}

#[tokio::test]
async fn a_failed_create_is_rolled_back_and_explained_with_the_delete_command() {
    let clients = clients().await;
    let (stack, bucket) = ("phalanx-test-failed-create", "phalanx-test-failed-create");
    create_bucket(&clients, bucket).await;
    // The code, in a bucket of another region.
    let elsewhere = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk().await)
            .region(Region::new("eu-west-1"))
            .force_path_style(true)
            .build(),
    );
    let _ = elsewhere
        .create_bucket()
        .bucket("phalanx-test-eu-west-1")
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await;
    elsewhere
        .put_object()
        .bucket("phalanx-test-eu-west-1")
        .key("code.zip")
        .body(b"PK".to_vec().into())
        .send()
        .await
        .unwrap();

    let failed = provision(
        "echo",
        stack,
        bucket,
        &[
            "--param",
            "CodeS3Bucket=phalanx-test-eu-west-1",
            "--param",
            "CodeS3Key=code.zip",
        ],
    );
    assert_eq!(failed.status.code(), Some(1));
    let text = stderr(&failed);
    assert!(
        text.contains("Echo (AWS::Lambda::Function) CREATE_FAILED: "),
        "{text}"
    );
    assert!(text.contains("the stack is ROLLBACK_COMPLETE"), "{text}");
    let delete = format!("cargo run --release --example echo -- delete --stack-name {stack}");
    assert!(text.contains(&delete), "{text}");
    assert_eq!(
        stack_status(&clients, stack).await.as_deref(),
        Some("ROLLBACK_COMPLETE")
    );

    // Provisioning again is refused before anything is uploaded, with the
    // same fix (CloudFormation cannot update a ROLLBACK_COMPLETE stack).
    let again = provision("echo", stack, bucket, &[]);
    assert_eq!(again.status.code(), Some(1));
    let text = stderr(&again);
    assert!(text.contains("is in ROLLBACK_COMPLETE"), "{text}");
    assert!(text.contains(&delete), "{text}");

    let deleted = run("echo", &["delete", "--stack-name", stack, "--yes"]);
    assert!(deleted.status.success(), "{}", stderr(&deleted));
    assert_eq!(stack_status(&clients, stack).await, None);
    let created = provision("echo", stack, bucket, &[]);
    assert!(created.status.success(), "{}", stderr(&created));
    let deleted = run("echo", &["delete", "--stack-name", stack, "--yes"]);
    assert!(deleted.status.success());
}
