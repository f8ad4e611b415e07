//! A function's process pool: how a runtime process is started
//! (`spawn_worker`: `sh -c COMMAND` in its own process group, with Lambda's
//! reserved environment variables, its output forwarded, and its own
//! Runtime API listener), kept warm and reused (the most recently used
//! first), replaced (a process that exited or timed out never goes back to
//! the pool) and stopped (dropping a `Worker` kills its whole process
//! group; the supervisor reaps it and says how it ended, as AWS words it).

use super::queue::WorkerShared;
use super::server::serve;
use super::{FunctionProcess, lock};
use crate::invoke::InvokeError;
use std::io;
use std::net::Ipv4Addr;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::{Semaphore, oneshot, watch};
use tokio::task::JoinHandle;

/// The longest line of function output forwarded as one line; longer
/// output is split, so a process that never writes a newline cannot grow
/// our memory without bound.
const MAX_LOG_LINE: u64 = 64 * 1024;

/// One function's processes.
pub(super) struct Pool {
    /// The function's command and settings.
    pub(super) config: Arc<FunctionProcess>,
    /// One permit per process that may run an invocation.
    pub(super) permits: Arc<Semaphore>,
    /// Warm processes waiting for work; the last is the most recently used.
    idle: Mutex<Vec<Worker>>,
    /// Set by [`Pool::retire`]: the pool still starts processes for the
    /// invocations of those holding it, but keeps none warm.
    retired: AtomicBool,
}

impl Pool {
    /// An empty pool for `function`: no process starts until an invocation
    /// needs one.
    pub(super) fn new(function: FunctionProcess) -> Pool {
        let permits = function.max_concurrency.min(Semaphore::MAX_PERMITS);
        Pool {
            config: Arc::new(function),
            permits: Arc::new(Semaphore::new(permits)),
            idle: Mutex::new(Vec::new()),
            retired: AtomicBool::new(false),
        }
    }

    /// A process for the next invocation, and whether it is warm: the most
    /// recently used idle one that is still alive, else a new one.
    pub(super) async fn checkout(&self) -> Result<(Worker, bool), InvokeError> {
        Ok(match self.take_idle() {
            Some(worker) => (worker, true),
            None => (spawn_worker(&self.config).await?, false),
        })
    }

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

    /// Puts a process back among the idle ones when `reusable` and still
    /// alive; otherwise drops it, which kills it (a process that timed out
    /// or failed to initialise is never reused).
    pub(super) fn release(&self, worker: Worker, reusable: bool) {
        if reusable && !worker.has_exited() && !self.retired.load(Ordering::SeqCst) {
            let mut idle = lock(&self.idle);
            // Checked again under the lock, so a worker released while the
            // pool is retired cannot slip in after `retire` emptied it.
            if !self.retired.load(Ordering::SeqCst) {
                idle.push(worker);
            }
        }
    }

    /// Retires the pool (its function's code or settings changed): every
    /// idle process is killed now, a busy one when its invocation ends.
    /// Invocations that still come (from a gateway that was replaced while
    /// they were on their way) run on fresh processes, killed after use.
    pub(super) fn retire(&self) {
        let idle = {
            let mut idle = lock(&self.idle);
            self.retired.store(true, Ordering::SeqCst);
            std::mem::take(&mut *idle)
        };
        // Dropping a worker kills its process group.
        drop(idle);
    }

    /// Stops the pool: no invocation gets a permit any more, and every idle
    /// process is killed.
    pub(super) fn close(&self) {
        self.permits.close();
        // A process busy now is not kept either (another host may share
        // this pool, and its invocations release into it).
        self.retire();
    }
}

/// One runtime process. Dropping it kills the process group and closes its
/// Runtime API listener.
pub(super) struct Worker {
    /// The job slot its Runtime API serves.
    pub(super) shared: Arc<WorkerShared>,
    /// How the process ended, once it has.
    pub(super) exit: watch::Receiver<Option<String>>,
    /// Dropped with the worker; the supervisor then kills the process group.
    _kill: oneshot::Sender<()>,
    server: JoinHandle<()>,
}

impl Worker {
    /// Whether the process has ended.
    pub(super) fn has_exited(&self) -> bool {
        self.exit.borrow().is_some()
    }

    /// How the process ended (empty while it runs).
    pub(super) fn exit_description(&self) -> String {
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
    let shared = Arc::new(WorkerShared::new(config.clone()));

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
pub(super) fn reserved_environment(
    config: &FunctionProcess,
    runtime_api: &str,
) -> Vec<(String, String)> {
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
    /// Kills every process of the group, while it is still ours.
    fn kill_group(&self) {
        #[cfg(unix)]
        if let Some(pgid) = self.group.and_then(|pid| i32::try_from(pid).ok()) {
            kill_process_group(pgid);
        }
    }
}

/// Sends SIGKILL to the process group `pgid` (one this host created).
/// The crate's only `unsafe`: neither std nor Tokio can signal a group.
#[cfg(unix)]
#[allow(unsafe_code)]
fn kill_process_group(pgid: i32) {
    // SAFETY: kill(2) takes plain integers and touches no memory of ours,
    // so the call cannot break Rust's memory safety whatever it returns;
    // its failure (the group already gone) is harmless and ignored. A
    // negative pid addresses the process group we created
    // (`process_group(0)`), whose id stays ours while its leader is
    // unreaped or any member lives (`ProcessGuard::group` is cleared right
    // after the leader is reaped).
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
