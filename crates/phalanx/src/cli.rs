//! [`main`]: the command line every service binary gets.

use crate::service::Service;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(about = "A Phalanx service: serve it locally with AWS API Gateway's behaviour")]
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
    Serve {
        /// The port (0 picks a free one; the URL is printed).
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// The stage to serve (default: the API's).
        #[arg(long)]
        stage: Option<String>,
    },
    /// Print the CloudFormation template that deploys the service.
    Export {
        /// The format (OpenAPI is not built yet).
        #[arg(long, default_value = "cloudformation", value_parser = ["cloudformation"])]
        format: String,
        /// YAML instead of JSON.
        #[arg(long)]
        yaml: bool,
        /// Write to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
    },
}

/// Runs the command line for `service`: `serve` and `export` (more commands
/// come with the framework: see the README's status table). When
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
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&cli.log_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = if cli.format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    let result = match cli.command {
        Command::Serve { port, host, stage } => serve(&service, &host, port, stage.as_deref()),
        Command::Export {
            format: _,
            yaml,
            out,
        } => export(&service, yaml, out.as_deref()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn export(service: &Service, yaml: bool, out: Option<&std::path::Path>) -> Result<(), String> {
    // The service must build before it is exported: the same checks as serve.
    service
        .gateway(None)
        .map_err(|e| format!("{}: {e}", service.name()))?;
    let template = crate::export::cloudformation(service);
    let text = if yaml {
        serde_yaml_ng::to_string(&template).map_err(|e| format!("cannot write YAML: {e}"))?
    } else {
        let mut t = serde_json::to_string_pretty(&template).map_err(|e| e.to_string())?;
        t.push('\n');
        t
    };
    match out {
        Some(path) => std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display())),
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(text.as_bytes())
                .map_err(|e| format!("cannot write to stdout: {e}"))
        }
    }
}

fn serve(service: &Service, host: &str, port: u16, stage: Option<&str>) -> Result<(), String> {
    let gateway = service
        .gateway(stage)
        .map_err(|e| format!("{}: {e}", service.name()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind((host, port))
            .await
            .map_err(|e| format!("cannot listen on {host}:{port}: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot read the listening address: {e}"))?;
        let base = format!("http://{addr}");
        {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "Serving {} (stage {}) at {base}/{}",
                service.name(),
                gateway.stage(),
                gateway.stage()
            );
            for route in gateway.routes() {
                let (method, path) = route.split_once(' ').unwrap_or(("", &route));
                let _ = writeln!(out, "  {method:<7} {base}{path}");
            }
            let _ = out.flush();
        }
        phalanx_gateway::server::serve(listener, gateway, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
    })
}
