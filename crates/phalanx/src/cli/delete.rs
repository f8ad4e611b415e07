//! `delete`: removes the stack and waits until it is gone (see
//! `phalanx_deploy::delete`). A missing stack is success.

use super::deploy_args::{AwsArgs, runtime};
use crate::service::Service;
use phalanx_deploy::{Aws, DeleteOptions};

/// `delete [--stack-name NAME] [--yes]`.
#[derive(clap::Args, Debug)]
pub(crate) struct DeleteArgs {
    /// The stack (default: the service's name).
    #[arg(long)]
    stack_name: Option<String>,
    /// Delete without asking (required when standard input is not a
    /// terminal).
    #[arg(long, short = 'y')]
    yes: bool,
    #[command(flatten)]
    aws: AwsArgs,
}

/// Deletes the stack.
pub(crate) fn run(service: &Service, args: &DeleteArgs) -> Result<(), phalanx_deploy::Error> {
    let options = DeleteOptions {
        stack_name: args
            .stack_name
            .clone()
            .unwrap_or_else(|| service.name().to_string()),
        yes: args.yes,
    };
    runtime()
        .map_err(phalanx_deploy::Error::new)?
        .block_on(async {
            let aws = Aws::load(&args.aws.options()).await?;
            phalanx_deploy::delete(&aws, &options).await
        })
}
