//! [`main`]: the command line every service binary gets.
//!
//! One module per command, each holding the command's clap arguments
//! (`serve::ServeArgs`, `test_invoke::TestInvokeArgs`, …) beside its
//! `run`; the deploy commands share their AWS and package arguments
//! through `deploy_args`. A new command is a new module here, a variant of
//! `Command` wrapping its `Args`, and an arm in [`main`]'s `match`.

#[cfg(feature = "deploy")]
mod build;
#[cfg(feature = "deploy")]
mod delete;
#[cfg(feature = "deploy")]
mod deploy_args;
mod describe;
mod export;
mod invoke;
#[cfg(feature = "deploy")]
mod provision;
mod serve;
#[cfg(feature = "deploy")]
mod status;
mod test_invoke;

use crate::service::Service;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    about = "A Phalanx service: serve it locally with AWS API Gateway's behaviour, deploy it to AWS"
)]
struct Cli {
    /// Log level: error, warn, info, debug, trace.
    #[arg(long, default_value = "info", global = true)]
    log_level: String,
    /// Log format.
    #[arg(long, default_value = "text", global = true, value_parser = ["text", "json"])]
    format: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API on 127.0.0.1 with the handlers in process.
    Serve(serve::ServeArgs),
    /// One request through the pipeline, printing every stage as API
    /// Gateway's console test does.
    TestInvoke(test_invoke::TestInvokeArgs),
    /// Call one function with an event and print its result.
    Invoke(invoke::InvokeArgs),
    /// Write a self-contained HTML page describing the service: a graph,
    /// every method's mappings, the CloudFormation template.
    Describe(describe::DescribeArgs),
    /// Print the CloudFormation template that deploys the service, or its
    /// OpenAPI 3 document with API Gateway's extensions.
    Export(export::ExportArgs),
    /// Build the Lambda package: this service's executable as `bootstrap`
    /// (release build, stripped, glibc checked against Lambda's) in a
    /// reproducible zip.
    #[cfg(feature = "deploy")]
    Build(build::BuildArgs),
    /// Deploy to AWS: build, upload the code and the template to S3, show
    /// the CloudFormation change set, confirm, execute it and follow the
    /// stack's events; prints the API's URL.
    #[cfg(feature = "deploy")]
    #[command(after_help = PROVISION_HELP)]
    Provision(provision::ProvisionArgs),
    /// The deployed stack: status, outputs, last events (exit code 3 when
    /// it does not exist).
    #[cfg(feature = "deploy")]
    Status(status::StatusArgs),
    /// Delete the deployed stack and wait until it is gone (the uploaded
    /// objects stay in S3).
    #[cfg(feature = "deploy")]
    Delete(delete::DeleteArgs),
}

/// The whole path, under `provision --help`.
#[cfg(feature = "deploy")]
const PROVISION_HELP: &str = "\
From a new crate to a deployed URL:
  0. cargo new my-service; cargo add phalanx; declare the functions and the
     API and end main with phalanx::main(service) (docs/GUIDE.md, 1-3)
  1. once: an S3 bucket in your region for the code and templates
       aws s3 mb s3://my-deploy-bucket
  2. credentials and region as for the AWS CLI (AWS_PROFILE or --profile,
     AWS_REGION or --region; AWS_ENDPOINT_URL for a local AWS)
  3. cargo run --release --bin my-service -- provision --s3-bucket my-deploy-bucket
     (prints the change set, asks, deploys, prints ApiGatewayUrl)
  4. my-service status / my-service delete

The running executable is deployed when it fits Lambda (a Linux release
build needing glibc <= 2.34); otherwise it is rebuilt for the target with
cargo zigbuild (pip install ziglang; cargo install cargo-zigbuild).
See docs/GUIDE.md, \"5. Deploy to AWS\".";

/// Runs the command line for `service`: `serve`, `test-invoke`, `invoke`,
/// `describe`, `export`, and the deploy commands `build`, `provision`,
/// `status`, `delete`. When
/// `AWS_LAMBDA_RUNTIME_API` is set — in AWS, or as a function process of
/// `phalanx serve --template` — it is instead the Lambda runtime of the
/// function named by `PHALANX_FUNCTION` (or `_HANDLER`).
///
/// ```no_run
/// use phalanx::{Api, Context, Function, Service};
/// use http::{Method, StatusCode};
///
/// fn main() -> std::process::ExitCode {
///     let echo = Function::new("echo", |e: serde_json::Value, _: Context| async move {
///         Ok::<_, std::convert::Infallible>(e)
///     });
///     let mut api = Api::new("echo");
///     api.resource("/hello", &echo).method(Method::GET, StatusCode::OK);
///     phalanx::main(Service::new("echo").function(echo).api(api))
/// }
/// ```
pub fn main(service: Service) -> ExitCode {
    // In AWS (or under `phalanx serve --template`), the binary is a Lambda
    // runtime: it serves the one function the environment names.
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        return match crate::runtime::run(&service) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("{message}");
                ExitCode::FAILURE
            }
        };
    }
    let cli = Cli::parse();
    // The AWS SDK's own warnings (e.g. that no instance metadata service
    // answers on a laptop, while it looks for a region) are not the
    // user's business unless asked for with RUST_LOG.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!(
            "{},aws_config=error,aws_smithy_runtime=error",
            cli.log_level
        ))
    });
    // Off the workers' path (see `log_writer`); `_flush` writes what is
    // left when `main` returns.
    let (log_writer, _flush) = phalanx_gateway::server::log_writer();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(log_writer)
        // Colours only on a terminal, not in a log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    let _ = if cli.format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    let result: Result<(), Failure> = match cli.command {
        Command::Serve(args) => serve::run(&service, &args).map_err(Into::into),
        Command::TestInvoke(args) => {
            test_invoke::run(&service, &args, &cli.format).map_err(Into::into)
        }
        Command::Invoke(args) => invoke::run(&service, &args).map_err(Into::into),
        Command::Describe(args) => describe::run(&service, &args).map_err(Into::into),
        Command::Export(args) => export::run(&service, &args).map_err(Into::into),
        #[cfg(feature = "deploy")]
        Command::Build(args) => build::run(&service, &args).map(|_| ()).map_err(Into::into),
        #[cfg(feature = "deploy")]
        Command::Provision(args) => provision::run(&service, &args).map_err(Into::into),
        #[cfg(feature = "deploy")]
        Command::Status(args) => status::run(&service, &args).map_err(Into::into),
        #[cfg(feature = "deploy")]
        Command::Delete(args) => delete::run(&service, &args).map_err(Into::into),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// A command's failure: the message and the exit code (1, or one a
/// command documents, e.g. `status`'s 3 for a missing stack).
struct Failure {
    message: String,
    code: u8,
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure { message, code: 1 }
    }
}

#[cfg(feature = "deploy")]
impl From<phalanx_deploy::Error> for Failure {
    fn from(error: phalanx_deploy::Error) -> Failure {
        Failure {
            code: error.exit_code(),
            message: error.to_string(),
        }
    }
}
