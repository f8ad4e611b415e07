//! `phalanx`: the standalone command-line tool.
//!
//! - `phalanx serve --template FILE [--stage NAME] [--function ID=COMMAND]…`
//! - `phalanx vtl render TEMPLATE [--context CTX.json] [--dialect …] [--library MACROS.vm]`
//!
//! Each command lives in its own module under `commands/`.

#![deny(unsafe_code)]
mod commands;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Phalanx: AWS Lambda + API Gateway services in Rust, run locally with AWS's behaviour.
#[derive(Parser)]
#[command(name = "phalanx", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve a CloudFormation template's REST API locally, with AWS's behaviour.
    Serve(commands::serve::ServeArgs),
    /// Velocity (VTL) templates: render one as API Gateway or Velocity 1.7 would.
    Vtl {
        #[command(subcommand)]
        command: commands::vtl::VtlCommand,
    },
}

/// The gateway allocates small values on every request: mimalloc is
/// faster at that than glibc's malloc (see `docs/PERFORMANCE.md`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Access log and warnings on stderr; RUST_LOG overrides the level.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Off the workers' path (see `log_writer`); `_flush` writes what is
    // left when `main` returns.
    let (log_writer, _flush) = phalanx_gateway::server::log_writer();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(log_writer)
        // Colours only on a terminal, not in a log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
    let result = match cli.command {
        Command::Serve(args) => commands::serve::run(args),
        Command::Vtl { command } => commands::vtl::run(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
