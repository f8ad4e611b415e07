//! `provision`: build, upload, and deploy the service's stack through a
//! CloudFormation change set (see `phalanx_deploy::provision`).

use super::build::BuildArgs;
use super::deploy_args::{AwsArgs, key_value, runtime};
use crate::export::{ExportOptions, cloudformation_with};
use crate::service::Service;
use phalanx_deploy::{Aws, ProvisionOptions};

/// `provision --s3-bucket B [--stack-name NAME] [--param K=V]... [--tag K=V]... [--yes] [--dry-run]`.
#[derive(clap::Args, Debug)]
pub(crate) struct ProvisionArgs {
    /// The S3 bucket the code and the template are uploaded to (it must
    /// exist, in the stack's region).
    #[arg(long = "s3-bucket", value_name = "BUCKET")]
    bucket: String,
    /// The stack (default: the service's name).
    #[arg(long)]
    stack_name: Option<String>,
    /// A template parameter, `NAME=VALUE` (repeatable; `CodeS3Key` and
    /// `CodeS3Bucket` are set from the upload unless given).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = key_value)]
    params: Vec<(String, String)>,
    /// A stack tag, `KEY=VALUE` (repeatable).
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = key_value)]
    tags: Vec<(String, String)>,
    /// Deploy without asking (required when standard input is not a
    /// terminal).
    #[arg(long, short = 'y')]
    yes: bool,
    /// Show the changes, then delete the change set without deploying.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    build: BuildArgs,
    #[command(flatten)]
    aws: AwsArgs,
}

/// Builds, uploads and deploys; prints the outputs.
pub(crate) fn run(service: &Service, args: &ProvisionArgs) -> Result<(), phalanx_deploy::Error> {
    let failed = |e: String| phalanx_deploy::Error::new(e);
    // The same checks as serve and export, before anything is built.
    service
        .gateway(None)
        .map_err(|e| failed(format!("{}: {e}", service.name())))?;
    service.check_privileges().map_err(failed)?;
    service.check_auth().map_err(failed)?;
    let package = super::build::run(service, &args.build).map_err(failed)?;
    let template = cloudformation_with(
        service,
        &ExportOptions {
            code_key: Some(package.s3_key(service.name())),
            architecture: package.arch.lambda_name().to_string(),
        },
    );
    let options = ProvisionOptions {
        stack_name: args
            .stack_name
            .clone()
            .unwrap_or_else(|| service.name().to_string()),
        service: service.name().to_string(),
        bucket: args.bucket.clone(),
        // Compact: the template's size counts against CloudFormation's
        // limits, its indentation would too.
        template: template.to_string(),
        parameters: args.params.clone(),
        tags: args.tags.clone(),
        yes: args.yes,
        dry_run: args.dry_run,
    };
    runtime().map_err(failed)?.block_on(async {
        let aws = Aws::load(&args.aws.options()).await?;
        phalanx_deploy::provision(&aws, &package, &options).await?;
        Ok(())
    })
}
