//! `phalanx serve --template FILE` (a CloudFormation template) or
//! `phalanx serve --openapi FILE` (an OpenAPI 2.0/3.0 document with API
//! Gateway's extensions): the REST API served locally with AWS's
//! behaviour; its Lambda functions run as local processes through the
//! Lambda Runtime API.
//!
//! With `--watch`, the files are read again when they change (see
//! [`super::watch`] for what is watched): the new API is compiled and
//! swapped in while the server keeps its connections; when it does not
//! load, the error is printed and the previous API is still served.
//! Function processes whose settings or code changed are stopped, and the
//! next invocation starts a fresh one; the others stay warm.

use super::derive::{Carried, Deriver};
use super::watch::{Changes, FileWatcher};
use clap::Args;
use phalanx_gateway::cloudformation::{
    GeneratedApiKey, ImportOptions, Imported, import, parse_template,
};
use phalanx_gateway::invoke::{FunctionProcess, RuntimeApiHost};
use phalanx_gateway::model::{AuthorizerType, Function, IntegrationType};
use phalanx_gateway::openapi::{self, OpenApiOptions};
use phalanx_gateway::pipeline::authorize::LocalAuth;
use phalanx_gateway::server::SwappableGateway;
use phalanx_gateway::{Gateway, server};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
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
    /// Read the template (or OpenAPI document) again whenever it changes,
    /// and swap the new API in without dropping connections; if it does
    /// not load, print why and keep serving the previous one. Also watched:
    /// a `BodyS3Location` document and the code folders of functions whose
    /// command was derived; a function whose code or settings changed gets
    /// new processes.
    #[arg(long)]
    pub watch: bool,
    /// A Cognito user pool's public keys, for `COGNITO_USER_POOLS`
    /// methods: `POOL=FILE`, POOL the pool's id (`eu-west-1_AbC123`) or
    /// ARN, FILE a JWKS (what the pool serves at
    /// `/.well-known/jwks.json`). Repeatable. A pool without one refuses
    /// every token.
    #[arg(long = "jwks", value_name = "POOL=FILE")]
    pub jwks: Vec<String>,
    /// Access keys for `AWS_IAM` methods: a file in the AWS shared
    /// credentials format (every profile's key is accepted). The key of
    /// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN` is
    /// accepted too.
    #[arg(long, value_name = "FILE")]
    pub credentials: Option<PathBuf>,
    /// The region: `AWS::Region` in templates, and the region `AWS_IAM`
    /// requests must be signed for.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

/// The region served (`--region`, else the import default).
fn region(args: &ServeArgs) -> String {
    args.region
        .clone()
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| ImportOptions::default().region)
}

/// What `AWS_IAM` and `COGNITO_USER_POOLS` methods are checked against:
/// `--credentials`, the environment's key, `--jwks`.
fn local_auth(args: &ServeArgs) -> Result<LocalAuth, String> {
    let mut auth = LocalAuth::new(&region(args)).with_env_credentials();
    if let Some(path) = &args.credentials {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        auth = auth
            .with_credentials_file(&text)
            .map_err(|e| format!("--credentials {}: {e}", path.display()))?;
    }
    for pair in &args.jwks {
        let (pool, file) = split_pair("jwks", pair)?;
        let text = std::fs::read_to_string(file).map_err(|e| format!("--jwks {file}: {e}"))?;
        auth = auth
            .with_jwks(pool, &text)
            .map_err(|e| format!("--jwks {pool}={file}: {e}"))?;
    }
    Ok(auth)
}

fn split_pair<'a>(flag: &str, value: &'a str) -> Result<(&'a str, &'a str), String> {
    value
        .split_once('=')
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("--{flag} {value:?}: expected NAME=VALUE"))
}

/// The file `--template` or `--openapi` names, and what it is called in
/// messages.
fn source_file(args: &ServeArgs) -> Result<(&Path, &'static str), String> {
    match (&args.template, &args.openapi) {
        (Some(template), _) => Ok((template, "the template")),
        (None, Some(document)) => Ok((document, "the OpenAPI document")),
        (None, None) => Err("pass --template FILE or --openapi FILE".to_string()),
    }
}

/// Reads and imports the API from `--template` or `--openapi`; for a
/// template, also its parsed text (for deriving function commands).
fn import_api(args: &ServeArgs) -> Result<(Imported, Option<serde_json::Value>), String> {
    let (path, _) = source_file(args)?;
    let source = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file_name = path.display().to_string();
    if args.template.is_none() {
        let imported = openapi::import(&source, &file_name, &OpenApiOptions::default())
            .map_err(|e| e.to_string())?;
        return Ok((imported, None));
    }
    let mut options = ImportOptions {
        api: args.api.clone(),
        region: region(args),
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
    let imported = import(&source, &file_name, &options).map_err(|e| e.to_string())?;
    let mut root = parse_template(&source, &file_name).map_err(|e| e.to_string())?;
    // A SAM function's code is read from the translated template, where
    // `CodeUri`/`InlineCode` have become `Code`.
    if phalanx_gateway::sam::is_sam(&root) {
        root = phalanx_gateway::sam::transform(&root, &source, &file_name)
            .map_err(|e| e.to_string())?
            .template;
    }
    Ok((imported, Some(root)))
}

/// A command for a function, and the folder it runs in (`None`: the
/// current one).
type Commands = BTreeMap<String, (String, Option<PathBuf>)>;

/// One reading of the files: the API compiled and ready to serve.
struct Loaded {
    /// The API's name, for the banner.
    name: String,
    gateway: Gateway,
    host: RuntimeApiHost,
    generated_api_keys: Vec<GeneratedApiKey>,
    /// The import's warnings (a reload prints only new ones).
    warnings: Vec<String>,
    /// The template's functions, to tell which changed on a reload.
    functions: BTreeMap<String, Function>,
    commands: Commands,
    /// The files a change of which means reading again: the template or
    /// document, a `BodyS3Location` document.
    files: Vec<PathBuf>,
    /// The code folders of functions with a derived command (not inline).
    code: BTreeMap<String, PathBuf>,
    /// The functions restarted because their code changed (a watched
    /// folder, or an inline source in the template).
    code_changed: BTreeSet<String>,
}

/// What one server keeps between readings of its files.
struct Session {
    args: ServeArgs,
    /// The deriver's temporary folder and interpreter check.
    carried: Carried,
}

impl Session {
    /// Reads the files and builds the API. `previous` is what is served
    /// now (`--watch`): its unchanged functions keep their processes,
    /// except those in `restart` (their code changed); messages already
    /// printed for it are not repeated.
    fn load(
        &mut self,
        previous: Option<&Loaded>,
        restart: &BTreeSet<String>,
    ) -> Result<Loaded, String> {
        let args = &self.args;
        let (path, what) = source_file(args)?;
        let file_name = path.display().to_string();
        let (imported, root) = import_api(args)?;
        for warning in &imported.warnings {
            if previous.is_none_or(|p| !p.warnings.contains(warning)) {
                eprintln!("warning: {warning}");
            }
        }
        let api = imported.api;

        let mut commands = Commands::new();
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
        let mut code = BTreeMap::new();
        let mut restart: HashSet<String> = restart.iter().cloned().collect();
        if let Some(root) = root {
            let carried = std::mem::take(&mut self.carried);
            let mut deriver = Deriver::new(path, &root, args.python.clone(), carried);
            for (id, function) in &api.functions {
                if commands.contains_key(id) {
                    continue;
                }
                match deriver.derive(id, function) {
                    Ok(derived) => {
                        let command = (derived.command, Some(derived.working_dir));
                        if previous.and_then(|p| p.commands.get(id)) != Some(&command) {
                            eprintln!(
                                "function {id}: derived command `{}` in {}",
                                command.0,
                                derived_dir(&command.1).display()
                            );
                        }
                        if !derived.inline {
                            code.insert(id.clone(), derived_dir(&command.1).to_path_buf());
                        }
                        commands.insert(id.clone(), command);
                    }
                    Err(why) if integrated.contains(&id) => {
                        underivable.insert(id.clone(), why);
                    }
                    Err(why) => {
                        if previous.is_none_or(|p| p.commands.contains_key(id)) {
                            eprintln!(
                                "warning: function {id} has no command ({why}); no method invokes it, \
                                 so it is not started (pass --function {id}='COMMAND' to run it)"
                            );
                        }
                    }
                }
            }
            // The temporary folder goes on to the next reading; it is
            // removed with the session.
            let (carried, rewritten) = deriver.finish();
            self.carried = carried;
            restart.extend(rewritten);
        }
        let restart_for_code: BTreeSet<String> = restart.iter().cloned().collect();
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
        let host = match previous {
            None => RuntimeApiHost::new(processes),
            Some(previous) => {
                // A function whose definition changed (its timeout, say,
                // which is not a process setting) gets new processes too, as
                // an update of its configuration does in AWS.
                for (id, function) in &api.functions {
                    if previous
                        .functions
                        .get(id)
                        .is_some_and(|old| old != function)
                    {
                        restart.insert(id.clone());
                    }
                }
                previous.host.reconfigured(processes, &restart)
            }
        }
        .map_err(|e| e.to_string())?;
        let auth = local_auth(args)?;
        let mut warnings = imported.warnings;
        for authorizer in &api.authorizers {
            if authorizer.kind != AuthorizerType::CognitoUserPools {
                continue;
            }
            for pool in &authorizer.provider_arns {
                if !auth.has_user_pool(pool) {
                    let warning = format!(
                        "authorizer {}: no --jwks for user pool {pool}; its methods refuse every token",
                        authorizer.name
                    );
                    if previous.is_none_or(|p| !p.warnings.contains(&warning)) {
                        eprintln!("warning: {warning}");
                    }
                    warnings.push(warning);
                }
            }
        }
        let gateway = Gateway::build_shared(&api, &stage, Arc::new(host.clone()))
            .map_err(|e| format!("{file_name}: {e}"))?
            .with_auth(auth);
        let mut files = vec![path.to_path_buf()];
        files.extend(imported.files);
        Ok(Loaded {
            name: api.name.clone(),
            gateway,
            host,
            generated_api_keys: imported.generated_api_keys,
            warnings,
            functions: api
                .functions
                .iter()
                .map(|(id, f)| (id.clone(), f.clone()))
                .collect(),
            code_changed: restart_for_code,
            commands,
            files,
            code,
        })
    }
}

/// The folder a command runs in.
fn derived_dir(dir: &Option<PathBuf>) -> &Path {
    dir.as_deref().unwrap_or(Path::new("."))
}

/// Prints the API keys the import made up (write errors ignored).
fn print_api_keys(keys: &[GeneratedApiKey]) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for key in keys {
        let _ = writeln!(out, "  API key {} = {}", key.logical_id, key.value);
    }
    let _ = out.flush();
}

/// Runs `phalanx serve`.
pub fn run(args: ServeArgs) -> Result<(), String> {
    let mut session = Session {
        args,
        carried: Carried::default(),
    };
    let loaded = session.load(None, &BTreeSet::new())?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async move {
        // Watching before the banner, so that no change made once the
        // server answers is missed.
        let watcher = if session.args.watch {
            let mut watcher = FileWatcher::new()?;
            watcher.watch(&loaded.files, &loaded.code);
            Some(watcher)
        } else {
            None
        };
        let args = &session.args;
        let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
            .await
            .map_err(|e| format!("cannot listen on {}:{}: {e}", args.host, args.port))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot read the listening address: {e}"))?;
        server::print_banner(&format!("API {}", loaded.name), &loaded.gateway, addr);
        print_api_keys(&loaded.generated_api_keys);
        let current = SwappableGateway::new(loaded.gateway.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let reloads = if let Some(watcher) = watcher {
            let reloader = Reloader {
                session,
                loaded,
                watcher,
                current: current.clone(),
                addr,
            };
            Ok(tokio::spawn(reloader.run(stopped)))
        } else {
            Err((session, loaded))
        };
        server::serve_swappable(listener, current, shutdown_signal())
            .await
            .map_err(|e| e.to_string())?;
        // The API served last: its processes are stopped, and the
        // temporary folder of inline code removed.
        let (session, loaded) = match reloads {
            Ok(task) => {
                let _ = stop.send(());
                task.await
                    .map_err(|e| format!("the file watcher failed: {e}"))?
            }
            Err(last) => last,
        };
        loaded.host.shutdown();
        drop(session);
        eprintln!("stopped");
        Ok(())
    })
}

/// `--watch`: reads the files again when they change.
struct Reloader {
    session: Session,
    /// What is served now.
    loaded: Loaded,
    watcher: FileWatcher,
    current: SwappableGateway,
    addr: SocketAddr,
}

impl Reloader {
    /// Reloads on every batch of changes until `stop`; returns the session
    /// and what is served last.
    async fn run(mut self, mut stop: tokio::sync::oneshot::Receiver<()>) -> (Session, Loaded) {
        // Functions whose code changed since the last successful reload.
        let mut restart = BTreeSet::new();
        loop {
            let changes: Changes = tokio::select! {
                changes = self.watcher.changes() => changes,
                _ = &mut stop => break,
            };
            restart.extend(changes.functions);
            // Reading and compiling is synchronous work: the accepting and
            // the other tasks go on on the other threads meanwhile.
            let loaded =
                tokio::task::block_in_place(|| self.session.load(Some(&self.loaded), &restart));
            match loaded {
                Ok(loaded) => {
                    self.swap(loaded);
                    restart.clear();
                }
                Err(e) => {
                    eprintln!("{e}");
                    eprintln!(
                        "reload failed: still serving the previous API (the files are read again when they change)"
                    );
                }
            }
            // Folders may have come or gone either way.
            self.watcher.watch(&self.loaded.files, &self.loaded.code);
        }
        (self.session, self.loaded)
    }

    /// Serves `loaded` from now on; prints what changed.
    fn swap(&mut self, loaded: Loaded) {
        let before: BTreeSet<String> = self.loaded.gateway.routes().into_iter().collect();
        let after: BTreeSet<String> = loaded.gateway.routes().into_iter().collect();
        self.current.swap(loaded.gateway.clone());
        let restarted = self.loaded.host.retire_replaced(&loaded.host);
        let previous = std::mem::replace(&mut self.loaded, loaded);
        let loaded = &self.loaded;
        let stage = loaded.gateway.stage();
        let file = previous
            .files
            .first()
            .map(|f| f.display().to_string())
            .unwrap_or_default();
        server::print_routes(
            &format!(
                "Reloaded {file}: API {} (stage {stage}) at http://{}/{stage}, {} routes (+{} -{})",
                loaded.name,
                self.addr,
                after.len(),
                after.difference(&before).count(),
                before.difference(&after).count(),
            ),
            &loaded.gateway,
            self.addr,
        );
        if loaded.generated_api_keys != previous.generated_api_keys {
            print_api_keys(&loaded.generated_api_keys);
        }
        for id in restarted {
            if !loaded.commands.contains_key(&id) {
                continue;
            }
            let why = if loaded.code_changed.contains(&id) {
                "its code changed"
            } else {
                "its definition changed"
            };
            eprintln!("function {id}: {why}; new invocations start new processes");
        }
    }
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
