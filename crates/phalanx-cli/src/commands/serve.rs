//! `phalanx serve --template FILE` (a CloudFormation template) or
//! `phalanx serve --openapi FILE` (an OpenAPI 2.0/3.0 document with API
//! Gateway's extensions): the REST API served locally with AWS's
//! behaviour; its Lambda functions run as local processes through the
//! Lambda Runtime API.

use super::derive::Deriver;
use clap::Args;
use phalanx_gateway::cloudformation::{ImportOptions, import, parse_template};
use phalanx_gateway::invoke::{FunctionProcess, RuntimeApiHost};
use phalanx_gateway::model::IntegrationType;
use phalanx_gateway::openapi::{self, OpenApiOptions};
use phalanx_gateway::{Gateway, server};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Options of `phalanx serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The CloudFormation template (JSON or YAML).
    #[arg(long, value_name = "FILE", required_unless_present = "openapi")]
    pub template: Option<PathBuf>,
    /// An OpenAPI 2.0 or 3.0 document (JSON or YAML) with API Gateway's
    /// `x-amazon-apigateway-*` extensions, instead of a template.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["template", "api", "parameters"])]
    pub openapi: Option<PathBuf>,
    /// The stage to serve (default: the template's first stage, else `dev`).
    #[arg(long, value_name = "NAME")]
    pub stage: Option<String>,
    /// The RestApi's logical id, when the template has several.
    #[arg(long, value_name = "LOGICAL_ID")]
    pub api: Option<String>,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// The port (0 picks a free one; the URL is printed).
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
    /// How to run a function: `LOGICAL_ID=COMMAND`, run with `sh -c` in the
    /// current directory, e.g. `Echo='python3 -m awslambdaric echo.handler'`.
    /// With `--openapi`, the function is named by the function name its
    /// integrations' Lambda URIs give (`…/functions/arn:…:function:NAME/invocations`).
    /// Without it, a template function's command is derived from its
    /// `Runtime`, `Handler` and local `Code` when possible.
    #[arg(long = "function", value_name = "LOGICAL_ID=COMMAND")]
    pub functions: Vec<String>,
    /// The Python that runs `python3.*` functions without `--function`
    /// (`PATH -m awslambdaric HANDLER`); default `PHALANX_PYTHON`, else
    /// `python3` on `PATH`. It must be able to import `awslambdaric`.
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// A template parameter value: `NAME=VALUE`.
    #[arg(long = "parameter", value_name = "NAME=VALUE")]
    pub parameters: Vec<String>,
    /// Processes per function at most (concurrent invocations).
    #[arg(long, default_value_t = 10)]
    pub max_processes: usize,
}

fn split_pair<'a>(flag: &str, value: &'a str) -> Result<(&'a str, &'a str), String> {
    value
        .split_once('=')
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("--{flag} {value:?}: expected NAME=VALUE"))
}

/// Reads the API from `--template` or `--openapi`: the import, the file
/// name for messages, and what the file is called in them.
fn load(
    args: &ServeArgs,
) -> Result<
    (
        phalanx_gateway::cloudformation::Imported,
        String,
        &'static str,
        Option<Deriver>,
    ),
    String,
> {
    let (path, what) = match (&args.template, &args.openapi) {
        (Some(template), _) => (template, "the template"),
        (None, Some(document)) => (document, "the OpenAPI document"),
        (None, None) => return Err("pass --template FILE or --openapi FILE".to_string()),
    };
    let source = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file_name = path.display().to_string();
    let mut deriver = None;
    let imported = if args.template.is_some() {
        let mut options = ImportOptions {
            api: args.api.clone(),
            // `BodyS3Location` files are found next to the template.
            base_dir: Some(
                path.parent()
                    .map(PathBuf::from)
                    .unwrap_or_else(|| PathBuf::from(".")),
            ),
            ..ImportOptions::default()
        };
        for p in &args.parameters {
            let (k, v) = split_pair("parameter", p)?;
            options.parameters.insert(k.to_string(), v.to_string());
        }
        let imported = import(&source, &file_name, &options);
        if imported.is_ok() {
            let mut root = parse_template(&source, &file_name).map_err(|e| e.to_string())?;
            // A SAM function's code is read from the translated template,
            // where `CodeUri`/`InlineCode` have become `Code`.
            if phalanx_gateway::sam::is_sam(&root) {
                root = phalanx_gateway::sam::transform(&root, &source, &file_name)
                    .map_err(|e| e.to_string())?
                    .template;
            }
            deriver = Some(Deriver::new(path, &root, args.python.clone()));
        }
        imported
    } else {
        openapi::import(&source, &file_name, &OpenApiOptions::default())
    }
    .map_err(|e| e.to_string())?;
    Ok((imported, file_name, what, deriver))
}

/// Runs `phalanx serve`.
pub fn run(args: ServeArgs) -> Result<(), String> {
    let (imported, file_name, what, deriver) = load(&args)?;
    for warning in &imported.warnings {
        eprintln!("warning: {warning}");
    }
    let api = imported.api;

    let mut commands = BTreeMap::new();
    for f in &args.functions {
        let (id, command) = split_pair("function", f)?;
        if !api.functions.contains_key(id) {
            let known: Vec<&str> = api.functions.keys().map(String::as_str).collect();
            return Err(format!(
                "--function {id}: {what} has no function `{id}` (it has: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ));
        }
        commands.insert(id.to_string(), (command.to_string(), None));
    }
    // The functions a Lambda integration invokes.
    let mut integrated: Vec<&String> = Vec::new();
    for m in &api.methods {
        if let Some(integration) = &m.integration
            && matches!(
                integration.kind,
                IntegrationType::Aws | IntegrationType::AwsProxy
            )
            && let Some(f) = &integration.function
            && !integrated.contains(&f)
        {
            integrated.push(f);
        }
    }
    // A template function without `--function`: derive its command from
    // its Runtime, Handler and local Code when possible.
    let mut underivable = BTreeMap::new();
    let mut scratch = None;
    if let Some(mut deriver) = deriver {
        for (id, function) in &api.functions {
            if commands.contains_key(id) {
                continue;
            }
            match deriver.derive(id, function) {
                Ok(derived) => {
                    eprintln!(
                        "function {id}: derived command `{}` in {}",
                        derived.command,
                        derived.working_dir.display()
                    );
                    commands.insert(id.clone(), (derived.command, Some(derived.working_dir)));
                }
                Err(why) if integrated.contains(&id) => {
                    underivable.insert(id.clone(), why);
                }
                Err(why) => eprintln!(
                    "warning: function {id} has no command ({why}); no method invokes it, \
                     so it is not started (pass --function {id}='COMMAND' to run it)"
                ),
            }
        }
        // Removed (with the inline sources in it) when `run` returns.
        scratch = deriver.into_scratch();
    }
    // Every function a Lambda integration invokes needs a command: refuse
    // to start a half-working server.
    let missing: Vec<String> = integrated
        .iter()
        .filter(|f| !commands.contains_key(f.as_str()))
        .map(|f| match underivable.get(f.as_str()) {
            Some(why) => format!(
                "{file_name}: no command for function {f}: {why} (pass --function {f}='COMMAND')"
            ),
            None => {
                format!("{file_name}: no command for function {f} (pass --function {f}='COMMAND')")
            }
        })
        .collect();
    if !missing.is_empty() {
        return Err(missing.join("\n"));
    }

    let stage = args
        .stage
        .clone()
        .or_else(|| api.stages.first().map(|s| s.stage_name.clone()))
        .unwrap_or_else(|| "dev".to_string());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async move {
        let processes = commands
            .iter()
            .filter_map(|(id, (command, working_dir))| {
                let mut p = FunctionProcess::from_model(id, command, api.functions.get(id)?);
                p.max_concurrency = args.max_processes.max(1);
                if let Some(dir) = working_dir {
                    p.working_dir = dir.clone();
                }
                Some(p)
            })
            .collect();
        let host = RuntimeApiHost::new(processes).map_err(|e| e.to_string())?;
        let gateway = Gateway::build_shared(&api, &stage, Arc::new(host.clone()))
            .map_err(|e| format!("{file_name}: {e}"))?;
        let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
            .await
            .map_err(|e| format!("cannot listen on {}:{}: {e}", args.host, args.port))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot read the listening address: {e}"))?;
        server::print_banner(&format!("API {}", api.name), &gateway, addr);
        // Write errors are ignored: a closed stdout must not stop the server.
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        for key in &imported.generated_api_keys {
            let _ = writeln!(out, "  API key {} = {}", key.logical_id, key.value);
        }
        let _ = out.flush();
        drop(out);
        server::serve(listener, gateway, shutdown_signal())
            .await
            .map_err(|e| e.to_string())?;
        host.shutdown();
        drop(scratch);
        eprintln!("stopped");
        Ok(())
    })
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
