//! `provision`: the package and the template go to S3, then a change set —
//! shown, confirmed, executed and followed until the stack settles.
//!
//! The template always travels through S3 (`TemplateURL`): an inline
//! template body may be at most 51,200 bytes (CloudFormation quotas,
//! "Template body size in a request"), which a service of a few methods
//! passes; from S3 the limit is 1 MB.

use crate::aws::{Aws, describe_error, failed};
use crate::changes::{self, Change};
use crate::events::{Settled, Watcher};
use crate::package::{Package, hex, human_size};
use crate::{Error, binary, stack, ui};
use aws_sdk_cloudformation::types::{Capability, ChangeSetStatus, ChangeSetType, Parameter, Tag};
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

/// What `provision` is asked for.
#[derive(Debug, Clone)]
pub struct ProvisionOptions {
    /// The stack.
    pub stack_name: String,
    /// The service (the S3 key prefix `phalanx/SERVICE/`).
    pub service: String,
    /// The bucket the package and the template are uploaded to.
    pub bucket: String,
    /// The CloudFormation template (JSON).
    pub template: String,
    /// Template parameters, `CodeS3Bucket` and `CodeS3Key` (set from the
    /// upload) possibly among them to override.
    pub parameters: Vec<(String, String)>,
    /// Stack tags.
    pub tags: Vec<(String, String)>,
    /// Execute without asking.
    pub yes: bool,
    /// Stop after showing the changes.
    pub dry_run: bool,
}

/// How a `provision` ended, when it did not fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The change set was executed; the stack's outputs.
    Deployed {
        /// `(key, value)`, e.g. `ApiGatewayUrl`.
        outputs: Vec<(String, String)>,
    },
    /// The stack already is what the template says.
    NoChanges,
    /// `--dry-run`, or the person said no: the change set was deleted.
    NotExecuted,
}

/// Deploys `package` and `options.template` to the stack. Prints the steps
/// to standard error, the change table and the outputs to standard output.
pub async fn provision(
    aws: &Aws,
    package: &Package,
    options: &ProvisionOptions,
) -> Result<Outcome, Error> {
    let began = Instant::now();
    if !options.dry_run {
        ui::require_yes_or_terminal(options.yes, "provision")?;
    }
    let name = &options.stack_name;
    let change_set_type = change_set_type(aws, name).await?;

    let code_key = package.s3_key(&options.service);
    upload(aws, &options.bucket, &code_key, &package.zip, "code").await?;
    let template_key = format!(
        "phalanx/{}/template-{}.json",
        options.service,
        hex(&Sha256::digest(options.template.as_bytes()))
    );
    upload(
        aws,
        &options.bucket,
        &template_key,
        options.template.as_bytes(),
        "template",
    )
    .await?;

    let (change_set_id, stack_id) =
        create_change_set(aws, options, &change_set_type, code_key, &template_key).await?;

    let changes = match wait_for_change_set(aws, &change_set_id).await? {
        ChangeSetReady::Changes(changes) => changes,
        ChangeSetReady::Empty => {
            let _ = aws
                .cloudformation
                .delete_change_set()
                .change_set_name(&change_set_id)
                .send()
                .await;
            println!("No changes to deploy: stack {name} is up to date");
            return Ok(Outcome::NoChanges);
        }
    };
    println!("Changes to stack {name} ({}):", changes::summary(&changes));
    print!("{}", changes::table(&changes));

    let go = !options.dry_run
        && ui::confirm(
            options.yes,
            &format!("Deploy these changes to stack {name}?"),
        )?;
    if !go {
        discard(aws, &change_set_id, &stack_id, &change_set_type).await;
        println!(
            "{}: nothing was deployed (change set deleted)",
            if options.dry_run {
                "Dry run"
            } else {
                "Not confirmed"
            }
        );
        return Ok(Outcome::NotExecuted);
    }

    let mut watcher = Watcher::start(&aws.cloudformation, &stack_id, changes.len(), name).await?;
    aws.cloudformation
        .execute_change_set()
        .change_set_name(&change_set_id)
        .send()
        .await
        .map_err(failed(format!("cannot execute change set {change_set_id}")))?;
    let settled = watcher.wait().await?;
    if !stack::succeeded(&settled.status) {
        return Err(failure_report(name, &settled, &watcher));
    }
    eprintln!(
        "Stack {name}: {} in {:.1}s ({:.1}s in all)",
        settled.status,
        watcher.elapsed().as_secs_f64(),
        began.elapsed().as_secs_f64()
    );
    let outputs = settled
        .stack
        .as_ref()
        .map(stack::outputs)
        .unwrap_or_default();
    if !outputs.is_empty() {
        println!("Outputs:");
        for (k, v) in &outputs {
            println!("  {k} = {v}");
        }
    }
    Ok(Outcome::Deployed { outputs })
}

/// CREATE when the stack is absent (or only a change set's placeholder,
/// `REVIEW_IN_PROGRESS`), else UPDATE; refuses a stack CloudFormation
/// cannot update now, saying what to do.
async fn change_set_type(aws: &Aws, name: &str) -> Result<ChangeSetType, Error> {
    let existing = stack::find(&aws.cloudformation, name).await?;
    match existing.as_ref().map(stack::status_of) {
        None | Some("REVIEW_IN_PROGRESS") => Ok(ChangeSetType::Create),
        Some("ROLLBACK_COMPLETE") => Err(Error::new(format!(
            "stack {name} is in ROLLBACK_COMPLETE (its creation failed and was rolled back): CloudFormation cannot update it.\n\
             fix: delete it (`{}`), then provision again",
            binary::command_line(&format!("delete --stack-name {name}"))
        ))),
        Some(status) if stack::in_progress(status) => Err(Error::new(format!(
            "stack {name} is busy ({status}): wait until it settles (`{}`), then provision again",
            binary::command_line(&format!("status --stack-name {name}"))
        ))),
        Some(_) => Ok(ChangeSetType::Update),
    }
}

/// Creates the change set from the uploaded template, with the code's
/// location as parameters (the user's `--param`s win); its id and the
/// stack's.
async fn create_change_set(
    aws: &Aws,
    options: &ProvisionOptions,
    change_set_type: &ChangeSetType,
    code_key: String,
    template_key: &str,
) -> Result<(String, String), Error> {
    let name = &options.stack_name;
    let mut parameters = vec![
        ("CodeS3Bucket".to_string(), options.bucket.clone()),
        ("CodeS3Key".to_string(), code_key),
    ];
    for (k, v) in &options.parameters {
        parameters.retain(|(name, _)| name != k);
        parameters.push((k.clone(), v.clone()));
    }
    let change_set_name = format!(
        "phalanx-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
    );
    eprintln!(
        "Creating change set {change_set_name} ({}) for stack {name}",
        change_set_type.as_str()
    );
    let created = aws
        .cloudformation
        .create_change_set()
        .stack_name(name)
        .change_set_name(&change_set_name)
        .change_set_type(change_set_type.clone())
        .template_url(aws.object_url(&options.bucket, template_key))
        .set_parameters(Some(
            parameters
                .iter()
                .map(|(k, v)| {
                    Parameter::builder()
                        .parameter_key(k)
                        .parameter_value(v)
                        .build()
                })
                .collect(),
        ))
        .set_tags(Some(
            options
                .tags
                .iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect(),
        ))
        .capabilities(Capability::CapabilityIam)
        .description(format!("Phalanx provision of {}", options.service))
        .send()
        .await
        .map_err(failed(format!(
            "cannot create a change set for stack {name}"
        )))?;
    let change_set_id = created.id.unwrap_or(change_set_name);
    let stack_id = created.stack_id.unwrap_or_else(|| name.clone());
    Ok((change_set_id, stack_id))
}

/// Uploads `body` to `key` unless an object is there already (the keys
/// are content hashes, so it is the same object).
async fn upload(aws: &Aws, bucket: &str, key: &str, body: &[u8], what: &str) -> Result<(), Error> {
    let url = format!("s3://{bucket}/{key}");
    match aws.s3.head_object().bucket(bucket).key(key).send().await {
        Ok(_) => {
            eprintln!("Upload {what}: {url} is already there");
            return Ok(());
        }
        Err(e) => {
            let not_found = e
                .as_service_error()
                .is_some_and(aws_sdk_s3::operation::head_object::HeadObjectError::is_not_found);
            if !not_found {
                return Err(Error::new(format!(
                    "cannot reach s3://{bucket}: {}\nfix: check that the bucket exists in this region and your credentials may write to it (create it once with `aws s3 mb s3://{bucket}`)",
                    describe_error(&e)
                )));
            }
        }
    }
    let started = Instant::now();
    eprintln!("Upload {what}: {url} ({})", human_size(body.len()));
    aws.s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body.to_vec().into())
        .send()
        .await
        .map_err(|e| {
            Error::new(format!(
                "cannot upload to {url}: {}\nfix: check that the bucket exists in this region and your credentials may write to it",
                describe_error(&e)
            ))
        })?;
    eprintln!("  uploaded in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

enum ChangeSetReady {
    Changes(Vec<Change>),
    Empty,
}

/// Waits until the change set is computed. A change set with nothing to
/// do ends `FAILED` with "The submitted information didn't contain changes"
/// (or, for some updates, "No updates are to be performed"): that is
/// [`ChangeSetReady::Empty`], not an error.
async fn wait_for_change_set(aws: &Aws, id: &str) -> Result<ChangeSetReady, Error> {
    let mut pause = Duration::from_millis(200);
    loop {
        let mut changes = Vec::new();
        let mut token = None;
        let status;
        let reason;
        loop {
            let out = aws
                .cloudformation
                .describe_change_set()
                .change_set_name(id)
                .set_next_token(token)
                .send()
                .await
                .map_err(failed(format!("cannot read change set {id}")))?;
            changes.extend(out.changes().iter().filter_map(Change::from_sdk));
            token = out.next_token.clone();
            if token.is_none() {
                status = out.status.clone();
                reason = out.status_reason.clone().unwrap_or_default();
                break;
            }
        }
        match status {
            Some(ChangeSetStatus::CreateComplete) => {
                return Ok(if changes.is_empty() {
                    ChangeSetReady::Empty
                } else {
                    ChangeSetReady::Changes(changes)
                });
            }
            Some(ChangeSetStatus::Failed) => {
                // (Matched without the apostrophe, which some servers
                // send as an XML character reference.)
                if reason.contains("contain changes")
                    || reason.contains("No updates are to be performed")
                {
                    return Ok(ChangeSetReady::Empty);
                }
                return Err(Error::new(format!(
                    "CloudFormation refused the change set: {reason}"
                )));
            }
            _ => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
        }
    }
}

/// Deletes a change set that will not run, and the empty stack a CREATE
/// change set made (`REVIEW_IN_PROGRESS`), so a dry run leaves nothing.
async fn discard(aws: &Aws, change_set: &str, stack_id: &str, kind: &ChangeSetType) {
    let _ = aws
        .cloudformation
        .delete_change_set()
        .change_set_name(change_set)
        .send()
        .await;
    if *kind == ChangeSetType::Create {
        let _ = aws
            .cloudformation
            .delete_stack()
            .stack_name(stack_id)
            .send()
            .await;
    }
}

/// The error of a failed operation: each failed resource with its reason,
/// the final status, and what to do about a stack that cannot be updated.
fn failure_report(name: &str, settled: &Settled, watcher: &Watcher<'_>) -> Error {
    let status = settled.status.as_str();
    let mut message = format!("provision of stack {name} failed: the stack is {status}");
    let failures = watcher.failure_report();
    if !failures.is_empty() {
        message.push_str(&failures);
    } else if let Some(reason) = settled
        .stack
        .as_ref()
        .and_then(|s| s.stack_status_reason())
        .filter(|r| !r.is_empty())
    {
        message.push_str(&format!("\nreason: {reason}"));
    }
    if status == "ROLLBACK_COMPLETE" {
        message.push_str(&format!(
            "\nThe stack's creation was rolled back; CloudFormation cannot update a stack in ROLLBACK_COMPLETE.\n\
             fix: delete it (`{}`), correct the cause above, and provision again",
            binary::command_line(&format!("delete --stack-name {name}"))
        ));
    } else if status == "UPDATE_ROLLBACK_COMPLETE" {
        message.push_str("\nThe stack was rolled back to what it was before this provision.");
    }
    Error::new(message)
}
