//! `status`: the stack's status, outputs and last events (see
//! `phalanx_deploy::status`). Exit code 3 when the stack does not exist.

use super::deploy_args::{AwsArgs, runtime};
use crate::service::Service;
use phalanx_deploy::Aws;

/// `status [--stack-name NAME]`.
#[derive(clap::Args, Debug)]
pub(crate) struct StatusArgs {
    /// The stack (default: the service's name).
    #[arg(long)]
    stack_name: Option<String>,
    #[command(flatten)]
    aws: AwsArgs,
}

/// Prints the stack's status.
pub(crate) fn run(service: &Service, args: &StatusArgs) -> Result<(), phalanx_deploy::Error> {
    let name = args.stack_name.as_deref().unwrap_or(service.name());
    runtime()
        .map_err(phalanx_deploy::Error::new)?
        .block_on(async {
            let aws = Aws::load(&args.aws.options()).await?;
            phalanx_deploy::status(&aws, name).await
        })
}
