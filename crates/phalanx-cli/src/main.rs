//! `phalanx`: the standalone command-line tool.
//!
//! - `phalanx vtl render TEMPLATE [--context CTX.json] [--dialect …] [--library MACROS.vm]`
//!
//! Each command lives in its own module under `commands/`.

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
    /// Velocity (VTL) templates: render one as API Gateway or Velocity 1.7 would.
    Vtl {
        #[command(subcommand)]
        command: commands::vtl::VtlCommand,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
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
