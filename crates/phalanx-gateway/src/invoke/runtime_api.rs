//! [`RuntimeApiHost`]: functions as local processes in any language,
//! driven through the Lambda Runtime API as AWS drives them. The design
//! notes are on the type, where the public documentation shows them.

use super::{BoxFuture, Invocation, InvokeError, InvokeOutput, Invoker, timeout_message};
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::convert::Infallible;
use std::io;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::{Notify, Semaphore, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

/// The largest invocation result (or error) a runtime may post: Lambda's
/// 6 MB synchronous payload limit as the Runtime API counts it
/// (6 × 1024 × 1024 + 100 bytes, the figure AWS's messages print).
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024 + 100;

/// How much of an oversized body is read (and dropped) before the
/// connection is given up on.
const MAX_DRAINED_BYTES: usize = 64 * 1024 * 1024;

/// The account id in the ARNs processes see
/// (`Lambda-Runtime-Invoked-Function-Arn`); AWS's documentation example.
pub const ACCOUNT_ID: &str = "123456789012";

/// The Runtime API version prefix every path starts with.
const API_PREFIX: &str = "/2018-06-01/runtime/";

/// The header runtimes put the error type in on `/error` and `/init/error`.
const ERROR_TYPE_HEADER: &str = "lambda-runtime-function-error-type";

/// The longest line of function output forwarded as one line; longer
/// output is split, so a process that never writes a newline cannot grow
/// our memory without bound.
const MAX_LOG_LINE: u64 = 64 * 1024;

/// One function the host runs: how to start its processes and the
/// settings they see.
///
/// The timeout is not here: it comes with each [`Invocation`], as for
/// [`super::InProcess`].
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionProcess {
    /// The logical id invocations name ([`Invocation::function`]); also the
    /// prefix of the process's forwarded output (`[Echo] …`).
    pub logical_id: String,
    /// Shell command that starts the runtime, run as `sh -c COMMAND`, e.g.
    /// `python3 -m awslambdaric app.handler` or `./bootstrap`.
    pub command: String,
    /// Where the command runs; also `LAMBDA_TASK_ROOT`.
    pub working_dir: PathBuf,
    /// `AWS_LAMBDA_FUNCTION_NAME` and the name in the function's ARN.
    pub function_name: String,
    /// `_HANDLER` (not set when empty).
    pub handler: String,
    /// The template's `Runtime` (e.g. `python3.12`): sets
    /// `AWS_EXECUTION_ENV=AWS_Lambda_python3.12` when present.
    pub runtime: Option<String>,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, in MiB (nothing enforces it).
    pub memory_mb: u64,
    /// The function's own environment variables. The reserved ones Lambda
    /// sets (`AWS_REGION`, `_HANDLER`, …) win over these, as in AWS, where
    /// they cannot be configured.
    pub environment: Vec<(String, String)>,
    /// `AWS_REGION`, `AWS_DEFAULT_REGION` and the ARN's region.
    pub region: String,
    /// How many processes of this function may run at once (at least 1).
    pub max_concurrency: usize,
    /// How long a new process may take to ask for its first invocation
    /// (AWS's init phase limit, 10 s).
    pub init_timeout: Duration,
}

impl FunctionProcess {
    /// A function with AWS's defaults: named after its logical id, 128 MiB,
    /// `us-east-1`, run in the current directory, at most 10 processes,
    /// 10 s to initialise.
    pub fn new(logical_id: impl Into<String>, command: impl Into<String>) -> FunctionProcess {
        let logical_id = logical_id.into();
        FunctionProcess {
            function_name: logical_id.clone(),
            logical_id,
            command: command.into(),
            working_dir: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            handler: String::new(),
            runtime: None,
            memory_mb: 128,
            environment: Vec::new(),
            region: "us-east-1".to_string(),
            max_concurrency: 10,
            init_timeout: Duration::from_secs(10),
        }
    }

    /// A function described by a template's `AWS::Lambda::Function`, run by
    /// `command`.
    pub fn from_model(
        logical_id: &str,
        command: &str,
        function: &crate::model::Function,
    ) -> FunctionProcess {
        let mut process = FunctionProcess::new(logical_id, command);
        if !function.function_name.is_empty() {
            process.function_name = function.function_name.clone();
        }
        process.handler = function.handler.clone().unwrap_or_default();
        process.runtime = function.runtime.clone();
        process.memory_mb = function.memory_size.unwrap_or(128);
        process.environment = function
            .environment
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        process
    }

    /// `arn:aws:lambda:REGION:123456789012:function:NAME`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:lambda:{}:{ACCOUNT_ID}:function:{}",
            self.region, self.function_name
        )
    }
}

/// Runs functions as local processes speaking the [Lambda Runtime API]
/// (any language whose runtime client AWS or the community ships, or a
/// custom `bootstrap`).
///
/// How it is laid out, and why:
///
/// - **One Runtime API listener per process.** Runtime clients build their
///   URLs from `AWS_LAMBDA_RUNTIME_API` plus fixed paths
///   (`/2018-06-01/runtime/invocation/next`, …), so a request says nothing
///   about which process sent it. Each process therefore gets its own
///   listener on `127.0.0.1` (an ephemeral port), and everything that
///   arrives on that port is about that process's invocation.
/// - **One invocation per process at a time**, as in a Lambda execution
///   environment. Processes start lazily on the first invocation that finds
///   no idle one, up to [`FunctionProcess::max_concurrency`]; later
///   invocations wait for a process to free up (AWS would throttle with a
///   429; queueing is kinder locally). Idle processes are reused warm, the
///   most recently used first.
/// - **Processes run in their own process group** (`sh -c COMMAND` does
///   not `exec` the command with Debian's `dash`, so the runtime is a
///   grandchild): timeouts, shutdown and drop signal the whole group, so
///   nothing the command started outlives it.
/// - **Time limits as AWS sets them**: the process has
///   [`FunctionProcess::init_timeout`] (AWS's 10 s init phase) to ask for
///   its first invocation; from then the invocation's own
///   [`Invocation::timeout`] runs, and `Lambda-Runtime-Deadline-Ms` says
///   when it ends. A process that misses either is killed and never reused.
///
/// The error objects are AWS's: `Sandbox.Timedout` for timeouts,
/// `Runtime.ExitError` (`RequestId: … Error: Runtime exited with error:
/// exit status 1`) for a process that dies, the runtime's own object for
/// `/init/error` and `/error` (for `awslambdaric`, e.g.
/// `Runtime.ImportModuleError`), and `Function.ResponseSizeTooLarge` for
/// results over Lambda's 6 MB limit. The Runtime API's own answers (`202`
/// `{"status":"OK"}`, `400` `InvalidRequestID`, `413`
/// `RequestEntityTooLarge`) follow AWS's Runtime Interface Emulator.
///
/// [Lambda Runtime API]: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
///
/// Cloning is cheap and shares the processes. Dropping the last clone (or
/// calling [`RuntimeApiHost::shutdown`]) kills every idle process; a
/// process busy with an invocation is killed when that invocation ends.
/// Processes also die with the Tokio runtime that started them.
///
/// ```no_run
/// use phalanx_gateway::invoke::{FunctionProcess, Invocation, Invoker, RuntimeApiHost};
/// use std::time::Duration;
///
/// # async fn example() -> std::io::Result<()> {
/// let mut echo = FunctionProcess::new("Echo", "python3 -m awslambdaric app.handler");
/// echo.handler = "app.handler".into();
/// echo.working_dir = "functions/echo".into();
/// let host = RuntimeApiHost::new(vec![echo])?;
/// let output = host
///     .invoke(Invocation {
///         function: "Echo".into(),
///         payload: "{\"a\":1}".into(),
///         request_id: "8476a536-e9f4-11e8-9739-2dfe598c3fcd".into(),
///         timeout: Duration::from_secs(3),
///     })
///     .await;
/// println!("{output:?}");
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RuntimeApiHost {
    inner: Arc<Host>,
}

struct Host {
    pools: HashMap<String, Pool>,
    closed: AtomicBool,
}

/// One function's processes.
struct Pool {
    config: Arc<FunctionProcess>,
    /// One permit per process that may run an invocation.
    permits: Arc<Semaphore>,
    /// Warm processes waiting for work; the last is the most recently used.
    idle: Mutex<Vec<Worker>>,
}

impl std::fmt::Debug for RuntimeApiHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut functions: Vec<&str> = self.inner.pools.keys().map(String::as_str).collect();
        functions.sort_unstable();
        f.debug_struct("RuntimeApiHost")
            .field("functions", &functions)
            .finish_non_exhaustive()
    }
}

impl RuntimeApiHost {
    /// A host for `functions`. No process starts until an invocation needs
    /// one; invoking needs a Tokio runtime (with the I/O and time drivers).
    ///
    /// Fails with [`io::ErrorKind::InvalidInput`] when two functions share a
    /// logical id or one allows no process at all (`max_concurrency` 0).
    pub fn new(functions: Vec<FunctionProcess>) -> io::Result<RuntimeApiHost> {
        let mut pools = HashMap::new();
        for function in functions {
            if function.max_concurrency == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "function `{}`: max_concurrency must be at least 1",
                        function.logical_id
                    ),
                ));
            }
            let permits = function.max_concurrency.min(Semaphore::MAX_PERMITS);
            let id = function.logical_id.clone();
            let pool = Pool {
                config: Arc::new(function),
                permits: Arc::new(Semaphore::new(permits)),
                idle: Mutex::new(Vec::new()),
            };
            if pools.insert(id.clone(), pool).is_some() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("function `{id}` is registered twice"),
                ));
            }
        }
        Ok(RuntimeApiHost {
            inner: Arc::new(Host {
                pools,
                closed: AtomicBool::new(false),
            }),
        })
    }

    /// Whether a function with that logical id is registered.
    pub fn contains(&self, logical_id: &str) -> bool {
        self.inner.pools.contains_key(logical_id)
    }

    /// Stops the host: kills every idle process now; invocations under way
    /// finish (or time out) and their processes are then killed; later
    /// invocations fail with [`InvokeError::Unavailable`].
    pub fn shutdown(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
        for pool in self.inner.pools.values() {
            pool.permits.close();
            // Dropping a worker kills its process group.
            drop(std::mem::take(&mut *lock(&pool.idle)));
        }
    }
}

impl Invoker for RuntimeApiHost {
    fn invoke(&self, invocation: Invocation) -> BoxFuture<'_, Result<InvokeOutput, InvokeError>> {
        Box::pin(async move {
            let pool = self
                .inner
                .pools
                .get(&invocation.function)
                .ok_or_else(|| InvokeError::UnknownFunction(invocation.function.clone()))?;
            let shut_down = || InvokeError::Unavailable("the Runtime API host is shut down".into());
            if self.inner.closed.load(Ordering::SeqCst) {
                return Err(shut_down());
            }
            let _permit = pool
                .permits
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| shut_down())?;
            let job = JobSpec {
                request_id: usable_request_id(&invocation.request_id),
                payload: invocation.payload,
                timeout: invocation.timeout,
            };
            loop {
                let (worker, warm) = match pool.take_idle() {
                    Some(worker) => (worker, true),
                    None => (spawn_worker(&pool.config).await?, false),
                };
                match run_on(&worker, &job, pool.config.init_timeout).await {
                    // A warm process that died while idle never saw the
                    // job: run it on a fresh one instead.
                    Attempt::Stale if warm => continue,
                    Attempt::Stale => {
                        return Ok(exit_error(&job.request_id, &worker.exit_description()));
                    }
                    Attempt::Done(output, reuse) => {
                        if reuse
                            && !worker.has_exited()
                            && !self.inner.closed.load(Ordering::SeqCst)
                        {
                            // Back in the pool before the permit is released,
                            // so a waiting invocation finds it warm.
                            lock(&pool.idle).push(worker);
                        }
                        return Ok(output);
                    }
                }
            }
        })
    }
}

impl Pool {
    /// The most recently used idle process that is still alive.
    fn take_idle(&self) -> Option<Worker> {
        let mut idle = lock(&self.idle);
        while let Some(worker) = idle.pop() {
            if !worker.has_exited() {
                return Some(worker);
            }
        }
        None
    }
}

/// Locks a mutex, carrying on after a panic elsewhere poisoned it: the
/// data it guards stays consistent (every critical section is a few
/// field moves).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The request id the runtime sees: the caller's, unless it cannot travel
/// in a header and a URL path segment.
fn usable_request_id(id: &str) -> String {
    let usable = !id.is_empty()
        && id.len() <= 256
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if usable {
        id.to_string()
    } else {
        uuid::Uuid::new_v4().to_string()
    }
}

// ---------------------------------------------------------------------------
// Running one invocation on one process.

/// What an invocation asks of a process.
struct JobSpec {
    request_id: String,
    payload: Bytes,
    timeout: Duration,
}

/// How one attempt on one process went.
enum Attempt {
    /// The process died before taking the job.
    Stale,
    /// The invocation's outcome, and whether the process may run another.
    Done(InvokeOutput, bool),
}

async fn run_on(worker: &Worker, spec: &JobSpec, init_timeout: Duration) -> Attempt {
    let (reply_tx, mut reply_rx) = oneshot::channel();
    let (started_tx, mut started_rx) = oneshot::channel();
    worker.shared.queue(Job {
        request_id: spec.request_id.clone(),
        payload: spec.payload.clone(),
        timeout: spec.timeout,
        started: started_tx,
        reply: reply_tx,
    });
    let mut exit = worker.exit.clone();
    let timed_out = || {
        InvokeOutput::error(
            &timeout_message(&spec.request_id, spec.timeout),
            "Sandbox.Timedout",
        )
    };

    // Until the process takes the job: a new one is still initialising.
    tokio::select! {
        // A reply (an init error) or the pick-up beats the process's exit:
        // both are sent before the runtime hears back, so before it can exit.
        biased;
        reply = &mut reply_rx => return settle(reply, &spec.request_id, &worker.exit_description()),
        started = &mut started_rx => {
            if started.is_err() {
                return Attempt::Done(lost_invocation(), false);
            }
        }
        status = exited(&mut exit) => {
            if worker.shared.withdraw(&spec.request_id) {
                return Attempt::Stale;
            }
            // It took the job as it died.
            return match reply_rx.try_recv() {
                Ok(reply) => settle(Ok(reply), &spec.request_id, &status),
                Err(_) => Attempt::Done(exit_error(&spec.request_id, &status), false),
            };
        }
        () = tokio::time::sleep(init_timeout) => {
            // As when AWS retries a slow init inside the invocation and the
            // function's timeout cuts it short.
            return Attempt::Done(timed_out(), false);
        }
    }

    // The process has the event; the function's timeout runs.
    tokio::select! {
        biased;
        reply = &mut reply_rx => settle(reply, &spec.request_id, &worker.exit_description()),
        status = exited(&mut exit) => match reply_rx.try_recv() {
            Ok(reply) => settle(Ok(reply), &spec.request_id, &status),
            Err(_) => Attempt::Done(exit_error(&spec.request_id, &status), false),
        },
        () = tokio::time::sleep(spec.timeout) => {
            // A late answer must not be taken for a later invocation's.
            worker.shared.abandon(&spec.request_id);
            Attempt::Done(timed_out(), false)
        }
    }
}

/// The outcome a runtime's reply makes.
fn settle(
    reply: Result<Reply, oneshot::error::RecvError>,
    request_id: &str,
    exit: &str,
) -> Attempt {
    match reply {
        Ok(Reply::Response(body)) => Attempt::Done(InvokeOutput::Success(body), true),
        Ok(Reply::Error(body)) => Attempt::Done(InvokeOutput::FunctionError(body), true),
        Ok(Reply::InitError(body)) => Attempt::Done(InvokeOutput::FunctionError(body), false),
        Ok(Reply::TooLarge) => {
            let body = serde_json::json!({
                "errorMessage": format!(
                    "Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."
                ),
                "errorType": "Function.ResponseSizeTooLarge",
            });
            Attempt::Done(InvokeOutput::FunctionError(body.to_string().into()), true)
        }
        // The worker dropped the reply without answering: only when it is
        // torn down, i.e. the process is gone.
        Err(_) if !exit.is_empty() => Attempt::Done(exit_error(request_id, exit), false),
        Err(_) => Attempt::Done(lost_invocation(), false),
    }
}

fn lost_invocation() -> InvokeOutput {
    InvokeOutput::error("the runtime process lost the invocation", "Runtime.Unknown")
}

/// AWS's error for a runtime process that exits mid-invocation (or during
/// init): `{"errorMessage": "RequestId: … Error: Runtime exited with error:
/// exit status 1", "errorType": "Runtime.ExitError"}`.
fn exit_error(request_id: &str, status: &str) -> InvokeOutput {
    let body = serde_json::json!({
        "errorMessage": format!("RequestId: {request_id} Error: Runtime exited with error: {status}"),
        "errorType": "Runtime.ExitError",
    });
    InvokeOutput::FunctionError(body.to_string().into())
}

/// Waits for the process to exit; returns how it ended.
async fn exited(exit: &mut watch::Receiver<Option<String>>) -> String {
    match exit.wait_for(Option::is_some).await {
        Ok(status) => status.clone().unwrap_or_default(),
        // The supervisor went away without a word: the runtime is shutting
        // down and took the process with it.
        Err(_) => "signal: killed".to_string(),
    }
}

// ---------------------------------------------------------------------------
// A process and its Runtime API endpoint.

/// One runtime process. Dropping it kills the process group and closes its
/// Runtime API listener.
struct Worker {
    shared: Arc<WorkerShared>,
    exit: watch::Receiver<Option<String>>,
    /// Dropped with the worker; the supervisor then kills the process group.
    _kill: oneshot::Sender<()>,
    server: JoinHandle<()>,
}

impl Worker {
    fn has_exited(&self) -> bool {
        self.exit.borrow().is_some()
    }

    /// How the process ended (empty while it runs).
    fn exit_description(&self) -> String {
        self.exit.borrow().clone().unwrap_or_default()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Aborting the accept loop drops its connections (and any
        // long-polling `next`) with it.
        self.server.abort();
    }
}

/// What a process's Runtime API endpoint and its invoker share.
struct WorkerShared {
    config: Arc<FunctionProcess>,
    slot: Mutex<Slot>,
    /// Wakes the process's long-polling `next` when a job is queued.
    job_ready: Notify,
}

#[derive(Default)]
struct Slot {
    /// Queued, not yet handed to the process by `next`.
    queued: Option<Job>,
    /// Handed out; waiting for `/response` or `/error`.
    current: Option<(String, oneshot::Sender<Reply>)>,
}

struct Job {
    request_id: String,
    payload: Bytes,
    timeout: Duration,
    /// Told when `next` hands the job out.
    started: oneshot::Sender<()>,
    reply: oneshot::Sender<Reply>,
}

/// A runtime's answer to one invocation.
#[derive(Debug)]
enum Reply {
    Response(Bytes),
    Error(Bytes),
    InitError(Bytes),
    TooLarge,
}

/// What `next` renders.
struct Delivery {
    request_id: String,
    payload: Bytes,
    deadline_ms: u128,
}

impl WorkerShared {
    fn queue(&self, job: Job) {
        lock(&self.slot).queued = Some(job);
        self.job_ready.notify_one();
    }

    /// Hands the queued job to the process, if there is one.
    fn take(&self) -> Option<Delivery> {
        let mut slot = lock(&self.slot);
        let job = slot.queued.take()?;
        let now = crate::clock::epoch_millis(SystemTime::now());
        let deadline_ms = now.saturating_add(job.timeout.as_millis());
        // The invoker may have given up (its future dropped); the process
        // still gets the event, and its answer is ignored.
        let _ = job.started.send(());
        slot.current = Some((job.request_id.clone(), job.reply));
        Some(Delivery {
            request_id: job.request_id,
            payload: job.payload,
            deadline_ms,
        })
    }

    /// Takes back a job the process has not picked up; false if it has.
    fn withdraw(&self, request_id: &str) -> bool {
        let mut slot = lock(&self.slot);
        match &slot.queued {
            Some(job) if job.request_id == request_id => {
                slot.queued = None;
                true
            }
            _ => false,
        }
    }

    /// Forgets a timed-out invocation, so a late answer is refused.
    fn abandon(&self, request_id: &str) {
        let mut slot = lock(&self.slot);
        if slot
            .current
            .as_ref()
            .is_some_and(|(id, _)| id == request_id)
        {
            slot.current = None;
        }
    }

    fn is_current(&self, request_id: &str) -> bool {
        lock(&self.slot)
            .current
            .as_ref()
            .is_some_and(|(id, _)| id == request_id)
    }

    /// Delivers the answer to the invocation `request_id`; false if that is
    /// not the invocation the process holds (unknown, or already answered).
    fn answer(&self, request_id: &str, reply: Reply) -> bool {
        let mut slot = lock(&self.slot);
        match slot.current.take() {
            Some((id, sender)) if id == request_id => {
                let _ = sender.send(reply);
                true
            }
            other => {
                slot.current = other;
                false
            }
        }
    }

    /// The runtime could not initialise: fails whichever invocation it was
    /// meant to run.
    fn init_failed(&self, body: Bytes) {
        let mut slot = lock(&self.slot);
        if let Some((_, sender)) = slot.current.take() {
            let _ = sender.send(Reply::InitError(body));
        } else if let Some(job) = slot.queued.take() {
            let _ = job.reply.send(Reply::InitError(body));
        }
    }
}

/// Starts a process for `config`, with its own Runtime API listener.
async fn spawn_worker(config: &Arc<FunctionProcess>) -> Result<Worker, InvokeError> {
    let unavailable = |what: &str, e: io::Error| {
        InvokeError::Unavailable(format!("function `{}`: {what}: {e}", config.logical_id))
    };
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .map_err(|e| unavailable("cannot listen for its Runtime API", e))?;
    let address = listener
        .local_addr()
        .map_err(|e| unavailable("cannot listen for its Runtime API", e))?;
    let shared = Arc::new(WorkerShared {
        config: config.clone(),
        slot: Mutex::new(Slot::default()),
        job_ready: Notify::new(),
    });

    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(&config.command)
        .current_dir(&config.working_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    command.process_group(0);
    // Lambda variables inherited from wherever Phalanx runs describe some
    // other function; one of them (AWS_LAMBDA_MAX_CONCURRENCY) even turns
    // awslambdaric into its multi-concurrency mode.
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(|n| n.starts_with("AWS_LAMBDA_")) {
            command.env_remove(name);
        }
    }
    command.envs(config.environment.iter().map(|(k, v)| (k, v)));
    command.envs(reserved_environment(config, &address.to_string()));

    let mut child = command
        .spawn()
        .map_err(|e| unavailable(&format!("cannot start `{}`", config.command), e))?;
    let name: Arc<str> = Arc::from(config.logical_id.as_str());
    if let Some(stdout) = child.stdout.take() {
        forward_output(stdout, name.clone());
    }
    if let Some(stderr) = child.stderr.take() {
        forward_output(stderr, name);
    }
    let group = child.id();
    let (kill_tx, kill_rx) = oneshot::channel();
    let (exit_tx, exit_rx) = watch::channel(None);
    tokio::spawn(supervise(ProcessGuard { child, group }, kill_rx, exit_tx));
    let server = tokio::spawn(serve(listener, shared.clone()));
    Ok(Worker {
        shared,
        exit: exit_rx,
        _kill: kill_tx,
        server,
    })
}

/// The variables Lambda sets in every execution environment (the
/// developer guide's "reserved environment variables"), for this host.
fn reserved_environment(config: &FunctionProcess, runtime_api: &str) -> Vec<(String, String)> {
    let today = crate::clock::iso8601_millis(SystemTime::now());
    let date = today.get(..10).unwrap_or("1970-01-01").replace('-', "/");
    let stream = format!("{date}/[$LATEST]{}", uuid::Uuid::new_v4().simple());
    let task_root =
        std::path::absolute(&config.working_dir).unwrap_or_else(|_| config.working_dir.clone());
    let mut env = vec![
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", config.function_name.clone()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            config.memory_mb.to_string(),
        ),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_string()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{}", config.function_name),
        ),
        ("AWS_LAMBDA_LOG_STREAM_NAME", stream),
        ("AWS_REGION", config.region.clone()),
        ("AWS_DEFAULT_REGION", config.region.clone()),
        ("LAMBDA_TASK_ROOT", task_root.to_string_lossy().into_owned()),
        ("TZ", ":UTC".to_string()),
    ];
    if !config.handler.is_empty() {
        env.push(("_HANDLER", config.handler.clone()));
    }
    if let Some(runtime) = &config.runtime {
        env.push(("AWS_EXECUTION_ENV", format!("AWS_Lambda_{runtime}")));
    }
    env.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// Copies a process's output to our stderr, line by line, prefixed with the
/// function's logical id.
fn forward_output(stream: impl AsyncRead + Unpin + Send + 'static, name: Arc<str>) {
    tokio::spawn(async move {
        let mut reader = BufReader::new(stream);
        let mut line = Vec::new();
        loop {
            line.clear();
            match (&mut reader)
                .take(MAX_LOG_LINE)
                .read_until(b'\n', &mut line)
                .await
            {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let text = String::from_utf8_lossy(&line);
                    eprintln!("[{name}] {}", text.trim_end_matches(['\n', '\r']));
                }
            }
        }
    });
}

/// The child process, and its process group to signal.
struct ProcessGuard {
    child: Child,
    /// The group's id (the child's pid); None once signalling it could hit
    /// an unrelated group.
    group: Option<u32>,
}

impl ProcessGuard {
    fn kill_group(&self) {
        #[cfg(unix)]
        if let Some(pgid) = self.group.and_then(|pid| i32::try_from(pid).ok()) {
            // SAFETY: kill(2) takes plain integers and touches no memory of
            // ours; a negative pid addresses the process group we created
            // (`process_group(0)`), whose id stays ours while its leader is
            // unreaped or any member lives.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }
}

impl Drop for ProcessGuard {
    fn drop(&mut self) {
        // The supervisor was dropped (host or Tokio runtime going away)
        // before the process ended; `kill_on_drop` covers the leader, this
        // the rest of the group.
        self.kill_group();
    }
}

/// Owns a process until it ends: kills its group when told to (or when the
/// telling side goes away) and publishes how it ended.
async fn supervise(
    mut guard: ProcessGuard,
    kill: oneshot::Receiver<()>,
    exit: watch::Sender<Option<String>>,
) {
    let status = tokio::select! {
        status = guard.child.wait() => status,
        _ = kill => {
            guard.kill_group();
            let _ = guard.child.start_kill();
            guard.child.wait().await
        }
    };
    // Whatever the command left running dies with it, as everything in a
    // Lambda sandbox does. Right after reaping, the group id cannot have
    // been recycled yet (that takes a wrap-around of the pid space).
    guard.kill_group();
    guard.group = None;
    let _ = exit.send(Some(describe_exit(status)));
}

/// How a process ended, worded as AWS's (Go) runtime host words it:
/// `exit status 1`, `signal: killed`.
fn describe_exit(status: io::Result<ExitStatus>) -> String {
    let status = match status {
        Ok(status) => status,
        Err(e) => return format!("cannot wait for the process: {e}"),
    };
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("signal: {}", signal_name(signal));
        }
    }
    "exit status unknown".to_string()
}

/// Go's names for the common signals (what `os.ProcessState` prints).
#[cfg(unix)]
fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGHUP => "hangup",
        libc::SIGINT => "interrupt",
        libc::SIGQUIT => "quit",
        libc::SIGILL => "illegal instruction",
        libc::SIGABRT => "aborted",
        libc::SIGBUS => "bus error",
        libc::SIGFPE => "floating point exception",
        libc::SIGKILL => "killed",
        libc::SIGSEGV => "segmentation fault",
        libc::SIGPIPE => "broken pipe",
        libc::SIGTERM => "terminated",
        other => return format!("signal {other}"),
    };
    name.to_string()
}

// ---------------------------------------------------------------------------
// The Runtime API server (one per process).

type HttpResponse = Response<Full<Bytes>>;

/// Accepts the process's connections, one task each. The tasks live in a
/// `JoinSet` owned by this loop, so aborting the loop ends them all.
async fn serve(listener: TcpListener, shared: Arc<WorkerShared>) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of descriptors or similar: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let shared = shared.clone();
        connections.spawn(async move {
            let service = service_fn(move |request| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(route(&shared, request).await) }
            });
            // A broken connection only concerns that connection.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn route(shared: &WorkerShared, request: Request<Incoming>) -> HttpResponse {
    let path = request.uri().path().to_string();
    let Some(rest) = path.strip_prefix(API_PREFIX) else {
        return not_found(&path);
    };
    let method = request.method().clone();
    let expect = |wanted: Method| method == wanted;
    if rest == "invocation/next" {
        return if expect(Method::GET) {
            next(shared).await
        } else {
            method_not_allowed(&method, &path)
        };
    }
    if rest == "init/error" {
        return if expect(Method::POST) {
            init_error(shared, request).await
        } else {
            method_not_allowed(&method, &path)
        };
    }
    let Some(invocation) = rest.strip_prefix("invocation/") else {
        return not_found(&path);
    };
    let (id, is_error) = if let Some(id) = invocation.strip_suffix("/response") {
        (id, false)
    } else if let Some(id) = invocation.strip_suffix("/error") {
        (id, true)
    } else {
        return not_found(&path);
    };
    if !expect(Method::POST) {
        return method_not_allowed(&method, &path);
    }
    let id = percent_encoding::percent_decode_str(id)
        .decode_utf8_lossy()
        .into_owned();
    post_result(shared, &id, is_error, request).await
}

/// `GET /runtime/invocation/next`: waits for this process's next
/// invocation, however long that takes (runtimes set no timeout on it).
async fn next(shared: &WorkerShared) -> HttpResponse {
    let delivery = loop {
        // Created before looking, so a job queued in between still wakes
        // us (`notify_one` leaves a permit when nobody waits yet).
        let ready = shared.job_ready.notified();
        if let Some(delivery) = shared.take() {
            break delivery;
        }
        ready.await;
    };
    let config = &shared.config;
    let mut response = Response::new(Full::new(delivery.payload));
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    set("lambda-runtime-aws-request-id", delivery.request_id);
    set(
        "lambda-runtime-deadline-ms",
        delivery.deadline_ms.to_string(),
    );
    set("lambda-runtime-invoked-function-arn", config.arn());
    set("lambda-runtime-trace-id", trace_id());
    // awslambdaric fails to unmarshal an event without it.
    set("content-type", "application/json".to_string());
    response
}

/// An X-Ray trace header: `Root=1-{epoch seconds, hex}-{96 random bits};…`.
fn trace_id() -> String {
    let seconds = crate::clock::epoch_millis(SystemTime::now()) / 1000;
    let root = uuid::Uuid::new_v4().as_u128() >> 32;
    // The low 64 bits.
    let parent = uuid::Uuid::new_v4().as_u128() as u64;
    format!("Root=1-{seconds:08x}-{root:024x};Parent={parent:016x};Sampled=0")
}

/// `POST /runtime/invocation/{id}/response` and `…/{id}/error`.
async fn post_result(
    shared: &WorkerShared,
    id: &str,
    is_error: bool,
    request: Request<Incoming>,
) -> HttpResponse {
    // AWS checks the id before reading the body.
    if !shared.is_current(id) {
        return invalid_request_id();
    }
    let error_type = header_text(&request, ERROR_TYPE_HEADER);
    let body = match read_body(request).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            shared.answer(id, Reply::TooLarge);
            return too_large();
        }
        // The connection broke mid-body; the runtime may try again.
        Err(BodyError::Broken(why)) => {
            return error_response(StatusCode::BAD_REQUEST, &why, "InvalidRequest");
        }
    };
    let reply = if is_error {
        Reply::Error(error_object(body, error_type.as_deref()))
    } else {
        Reply::Response(body)
    };
    if shared.answer(id, reply) {
        accepted()
    } else {
        invalid_request_id()
    }
}

/// `POST /runtime/init/error`: the runtime could not start the function.
async fn init_error(shared: &WorkerShared, request: Request<Incoming>) -> HttpResponse {
    let error_type = header_text(&request, ERROR_TYPE_HEADER);
    match read_body(request).await {
        Ok(body) => {
            shared.init_failed(error_object(body, error_type.as_deref()));
            accepted()
        }
        Err(BodyError::TooLarge) => {
            let message = "the runtime's init error was over the payload limit";
            let body =
                InvokeOutput::error(message, error_type.as_deref().unwrap_or("Runtime.Unknown"));
            if let InvokeOutput::FunctionError(body) = body {
                shared.init_failed(body);
            }
            too_large()
        }
        Err(BodyError::Broken(why)) => {
            error_response(StatusCode::BAD_REQUEST, &why, "InvalidRequest")
        }
    }
}

fn header_text(request: &Request<Incoming>, name: &str) -> Option<String> {
    request
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty())
        .map(str::to_string)
}

enum BodyError {
    TooLarge,
    Broken(String),
}

/// Reads a posted body of at most [`MAX_RESPONSE_BYTES`]. A longer one is
/// still read to its end (up to [`MAX_DRAINED_BYTES`]), so the runtime gets
/// our `413` rather than a connection reset mid-upload.
async fn read_body(request: Request<Incoming>) -> Result<Bytes, BodyError> {
    let mut body = request.into_body();
    let mut data = Vec::new();
    let mut total: usize = 0;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| BodyError::Broken(format!("cannot read the request body: {e}")))?;
        if let Ok(chunk) = frame.into_data() {
            total = total.saturating_add(chunk.len());
            if total > MAX_DRAINED_BYTES {
                return Err(BodyError::TooLarge);
            }
            if total <= MAX_RESPONSE_BYTES {
                data.extend_from_slice(&chunk);
            }
        }
    }
    if total > MAX_RESPONSE_BYTES {
        Err(BodyError::TooLarge)
    } else {
        Ok(Bytes::from(data))
    }
}

/// Lambda's error object from what a runtime posted: a JSON object passes
/// through untouched (awslambdaric's carries `errorMessage`, `errorType`,
/// `requestId`, `stackTrace`); anything else becomes the `errorMessage` of
/// one, typed by the `Lambda-Runtime-Function-Error-Type` header.
fn error_object(body: Bytes, error_type: Option<&str>) -> Bytes {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
    let message = match parsed {
        Some(serde_json::Value::Object(_)) => return body,
        Some(serde_json::Value::String(text)) => text,
        _ => String::from_utf8_lossy(&body).into_owned(),
    };
    let object = serde_json::json!({
        "errorMessage": message,
        "errorType": error_type.unwrap_or("Unhandled"),
    });
    Bytes::from(object.to_string())
}

fn json_response(status: StatusCode, body: serde_json::Value) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn error_response(status: StatusCode, message: &str, error_type: &str) -> HttpResponse {
    json_response(
        status,
        serde_json::json!({ "errorMessage": message, "errorType": error_type }),
    )
}

fn accepted() -> HttpResponse {
    json_response(StatusCode::ACCEPTED, serde_json::json!({ "status": "OK" }))
}

fn invalid_request_id() -> HttpResponse {
    error_response(
        StatusCode::BAD_REQUEST,
        "Invalid request ID",
        "InvalidRequestID",
    )
}

fn too_large() -> HttpResponse {
    error_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("Exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."),
        "RequestEntityTooLarge",
    )
}

fn not_found(path: &str) -> HttpResponse {
    error_response(
        StatusCode::NOT_FOUND,
        &format!("no Runtime API resource at {path}"),
        "NotFound",
    )
}

fn method_not_allowed(method: &Method, path: &str) -> HttpResponse {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("{method} is not allowed on {path}"),
        "MethodNotAllowed",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(bytes: &Bytes) -> serde_json::Value {
        serde_json::from_slice(bytes).expect("JSON")
    }

    #[test]
    fn error_objects_pass_through_and_other_bodies_are_wrapped() {
        let object = Bytes::from(r#"{"errorMessage":"x","errorType":"E","stackTrace":[]}"#);
        assert_eq!(error_object(object.clone(), Some("Other")), object);

        let wrapped = error_object(Bytes::from("plain failure"), Some("Custom.Text"));
        assert_eq!(
            json(&wrapped),
            serde_json::json!({"errorMessage": "plain failure", "errorType": "Custom.Text"})
        );
        let string = error_object(Bytes::from(r#""quoted""#), None);
        assert_eq!(
            json(&string),
            serde_json::json!({"errorMessage": "quoted", "errorType": "Unhandled"})
        );
        let invalid = error_object(Bytes::from_static(b"\xff[1"), None);
        assert_eq!(json(&invalid)["errorType"], "Unhandled");
    }

    #[test]
    fn exit_errors_read_as_aws_writes_them() {
        let InvokeOutput::FunctionError(body) = exit_error("r-1", "exit status 1") else {
            panic!("a function error");
        };
        assert_eq!(
            json(&body),
            serde_json::json!({
                "errorMessage": "RequestId: r-1 Error: Runtime exited with error: exit status 1",
                "errorType": "Runtime.ExitError",
            })
        );
    }

    #[cfg(unix)]
    #[test]
    fn exit_statuses_are_worded_like_go() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            describe_exit(Ok(ExitStatus::from_raw(1 << 8))),
            "exit status 1"
        );
        assert_eq!(
            describe_exit(Ok(ExitStatus::from_raw(libc::SIGKILL))),
            "signal: killed"
        );
        assert_eq!(
            describe_exit(Ok(ExitStatus::from_raw(libc::SIGSEGV))),
            "signal: segmentation fault"
        );
        assert_eq!(
            describe_exit(Ok(ExitStatus::from_raw(libc::SIGUSR1))),
            format!("signal: signal {}", libc::SIGUSR1)
        );
    }

    #[test]
    fn request_ids_that_cannot_travel_are_replaced() {
        assert_eq!(
            usable_request_id("8476a536-e9f4-11e8"),
            "8476a536-e9f4-11e8"
        );
        for bad in ["", "a/b", "a b", "é", "x\ny"] {
            let id = usable_request_id(bad);
            assert_ne!(id, bad);
            assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
        }
    }

    #[test]
    fn trace_ids_have_xrays_shape() {
        let id = trace_id();
        let parts: Vec<&str> = id.split(';').collect();
        assert_eq!(parts.len(), 3, "{id}");
        let root: Vec<&str> = parts[0].trim_start_matches("Root=").split('-').collect();
        assert_eq!(root[0], "1");
        assert_eq!(root[1].len(), 8);
        assert_eq!(root[2].len(), 24);
        assert_eq!(parts[1].len(), "Parent=".len() + 16);
        assert_eq!(parts[2], "Sampled=0");
    }

    #[test]
    fn the_host_refuses_duplicate_ids_and_zero_concurrency() {
        let a = FunctionProcess::new("A", "true");
        let duplicate = RuntimeApiHost::new(vec![a.clone(), a.clone()]).map(|_| ());
        assert_eq!(
            duplicate.map_err(|e| e.kind()),
            Err(io::ErrorKind::InvalidInput)
        );
        let mut zero = a;
        zero.max_concurrency = 0;
        let zero = RuntimeApiHost::new(vec![zero]).map(|_| ());
        assert_eq!(zero.map_err(|e| e.kind()), Err(io::ErrorKind::InvalidInput));
    }

    #[test]
    fn model_functions_fill_the_settings() {
        let mut environment = indexmap::IndexMap::new();
        environment.insert("STAGE".to_string(), "dev".to_string());
        let function = crate::model::Function {
            function_name: "my-echo".into(),
            handler: Some("app.handler".into()),
            runtime: Some("python3.12".into()),
            timeout: Some(9),
            memory_size: Some(512),
            environment,
        };
        let process = FunctionProcess::from_model("Echo", "./run", &function);
        assert_eq!(process.logical_id, "Echo");
        assert_eq!(process.function_name, "my-echo");
        assert_eq!(process.handler, "app.handler");
        assert_eq!(process.memory_mb, 512);
        assert_eq!(
            process.environment,
            vec![("STAGE".to_string(), "dev".to_string())]
        );
        assert_eq!(
            process.arn(),
            "arn:aws:lambda:us-east-1:123456789012:function:my-echo"
        );
        let env = reserved_environment(&process, "127.0.0.1:9001");
        let get = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        assert_eq!(get("AWS_EXECUTION_ENV"), Some("AWS_Lambda_python3.12"));
        assert_eq!(
            get("AWS_LAMBDA_LOG_GROUP_NAME"),
            Some("/aws/lambda/my-echo")
        );
        let stream = get("AWS_LAMBDA_LOG_STREAM_NAME").unwrap_or_default();
        assert!(stream.contains("/[$LATEST]"), "{stream}");
    }
}
