//! `phalanx vtl render`: render a template file, print only the output.

use clap::{Subcommand, ValueEnum};
use phalanx_vtl::{Context, Dialect, Engine};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum VtlCommand {
    /// Render TEMPLATE_FILE and print the output (and nothing else) on stdout.
    ///
    /// Errors go to stderr as `file:line:col: message` and exit non-zero.
    Render {
        /// The template to render.
        template: PathBuf,
        /// A JSON object whose members become the template's variables.
        #[arg(long, value_name = "CONTEXT.json")]
        context: Option<PathBuf>,
        /// `velocity`: Apache Velocity 1.7 (an undefined `$ref` renders as
        /// written). `apigateway`: API Gateway's mapping templates (a null
        /// or undefined reference is the empty string; no inline `#macro`
        /// or `#evaluate`; `#foreach` limited to 1000 iterations; templates
        /// to 300 KB).
        #[arg(long, value_enum, default_value_t = DialectArg::Velocity)]
        dialect: DialectArg,
        /// A global macro library, loaded before the template as Velocity's
        /// `velocimacro.library` is.
        #[arg(long, value_name = "MACROS.vm")]
        library: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum DialectArg {
    Velocity,
    Apigateway,
}

pub fn run(command: VtlCommand) -> Result<(), String> {
    match command {
        VtlCommand::Render {
            template,
            context,
            dialect,
            library,
        } => {
            let dialect = match dialect {
                DialectArg::Velocity => Dialect::Velocity,
                DialectArg::Apigateway => Dialect::ApiGateway,
            };
            let output = render(&template, context.as_deref(), dialect, &library)?;
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(output.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|e| format!("error: writing the output: {e}"))
        }
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))
}

/// Renders `template` and returns the output, or an error that names the
/// file, line and column.
pub fn render(
    template: &Path,
    context: Option<&Path>,
    dialect: Dialect,
    libraries: &[PathBuf],
) -> Result<String, String> {
    let mut engine = Engine::new(dialect);
    for library in libraries {
        engine
            .add_library(&library.display().to_string(), &read(library)?)
            .map_err(|e| e.to_string())?;
    }
    let mut ctx = match context {
        Some(path) => {
            let text = read(path)?;
            let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                // serde_json appends " at line L column C"; we lead with it.
                let message = e.to_string();
                let message = message.split(" at line ").next().unwrap_or(&message);
                format!(
                    "{}:{}:{}: invalid JSON in the context: {message}",
                    path.display(),
                    e.line(),
                    e.column().max(1)
                )
            })?;
            Context::from_json(&json).map_err(|e| format!("{}:1:1: {e}", path.display()))?
        }
        None => Context::new(),
    };
    let compiled = engine
        .compile(&template.display().to_string(), &read(template)?)
        .map_err(|e| e.to_string())?;
    compiled.render(&mut ctx).map_err(|e| e.to_string())
}
