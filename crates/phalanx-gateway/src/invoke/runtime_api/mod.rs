//! [`RuntimeApiHost`]: functions as local processes in any language,
//! driven through the Lambda Runtime API as AWS drives them. The design
//! notes are on the type, where the public documentation shows them.
//!
//! Where each part lives (laid out as cargo-lambda's `watch` crate keeps
//! its router, instance pool and scheduler apart):
//!
//! | file | what it holds |
//! | --- | --- |
//! | `mod.rs` (this file) | the public types: [`FunctionProcess`] (one function's command and settings), [`RuntimeApiHost`] (building one, `contains`, `shutdown`), and the limits AWS sets |
//! | `queue.rs` | scheduling an invocation: waiting for a free process (the pool's permits), handing the event to the process through its one-job slot, and settling the outcome — the answer, a timeout (`Sandbox.Timedout`), an exit (`Runtime.ExitError`), a retry on a fresh process when a warm one died while idle |
//! | `pool.rs` | a function's processes: how one is started (`sh -c COMMAND` in its own process group, Lambda's reserved environment variables, output forwarding, its Runtime API listener), kept warm and reused, replaced after a crash or timeout, stopped (its whole process group killed), and retired when a reload changed the function ([`RuntimeApiHost::retire_replaced`]) |
//! | `server.rs` | the Runtime API HTTP server each process talks to (`invocation/next`, `invocation/{id}/response`, `invocation/{id}/error`, `init/error`), with the answers and payload limits of AWS's Runtime Interface Emulator |

mod pool;
mod queue;
mod server;

use pool::Pool;
use std::collections::{HashMap, HashSet};
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The largest invocation result (or error) a runtime may post: Lambda's
/// 6 MB synchronous payload limit as the Runtime API counts it
/// (6 × 1024 × 1024 + 100 bytes, the figure AWS's messages print).
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024 + 100;

/// The account id in the ARNs processes see
/// (`Lambda-Runtime-Invoked-Function-Arn`); AWS's documentation example.
pub const ACCOUNT_ID: &str = "123456789012";

/// One function the host runs: how to start its processes and the
/// settings they see.
///
/// The timeout is not here: it comes with each [`Invocation`](super::Invocation), as for
/// [`super::InProcess`].
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionProcess {
    /// The logical id invocations name ([`Invocation::function`](super::Invocation::function)); also the
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
///   [`Invocation::timeout`](super::Invocation::timeout) runs, and `Lambda-Runtime-Deadline-Ms` says
///   when it ends. A process that misses either is killed and never reused.
/// - **An invocation outlives its caller**: it runs as a task of its own,
///   so when the caller's future is dropped (the HTTP client disconnected)
///   the function still runs to its end, as in AWS, its result is
///   discarded and its process stays warm.
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

/// What the clones of a [`RuntimeApiHost`] share.
struct Host {
    /// One pool of processes per function, by logical id; a pool is
    /// shared with the host's successors while its function is unchanged
    /// ([`RuntimeApiHost::reconfigured`]).
    pools: HashMap<String, Arc<Pool>>,
    /// Set by [`RuntimeApiHost::shutdown`]: no new invocation starts and
    /// no process goes back to its pool.
    closed: AtomicBool,
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
        Self::with_pools(functions, |_| None)
    }

    /// A host for `functions` whose pools come from `reuse` when it has
    /// one for a function, else are new; the checks of [`RuntimeApiHost::new`].
    fn with_pools(
        functions: Vec<FunctionProcess>,
        reuse: impl Fn(&FunctionProcess) -> Option<Arc<Pool>>,
    ) -> io::Result<RuntimeApiHost> {
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
            let id = function.logical_id.clone();
            let pool = reuse(&function).unwrap_or_else(|| Arc::new(Pool::new(function)));
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

    /// The host that replaces this one when the functions are read again
    /// (`phalanx serve --watch`): a function whose [`FunctionProcess`] is
    /// unchanged and that is not in `restart` (its code changed) keeps its
    /// pool, and so its warm processes; any other gets a new, empty pool.
    ///
    /// Nothing is stopped yet, so that the new host can be dropped if what
    /// it was built for fails to compile: once it is in use, call
    /// [`RuntimeApiHost::retire_replaced`] on this host.
    pub fn reconfigured(
        &self,
        functions: Vec<FunctionProcess>,
        restart: &HashSet<String>,
    ) -> io::Result<RuntimeApiHost> {
        Self::with_pools(functions, |function| {
            let pool = self.inner.pools.get(&function.logical_id)?;
            (*pool.config == *function && !restart.contains(&function.logical_id))
                .then(|| pool.clone())
        })
    }

    /// Retires this host's pools that `successor` does not share (built by
    /// [`RuntimeApiHost::reconfigured`]): their idle processes are killed
    /// now, busy ones when their invocation ends, and none is kept warm
    /// again. Invocations that still reach this host (a request that
    /// started before the swap) are served by fresh processes. Returns the
    /// logical ids of the retired pools, sorted.
    pub fn retire_replaced(&self, successor: &RuntimeApiHost) -> Vec<String> {
        let mut retired = Vec::new();
        for (id, pool) in &self.inner.pools {
            let kept = successor
                .inner
                .pools
                .get(id)
                .is_some_and(|next| Arc::ptr_eq(next, pool));
            if !kept {
                pool.retire();
                retired.push(id.clone());
            }
        }
        retired.sort_unstable();
        retired
    }

    /// Whether a function with that logical id is registered.
    pub fn contains(&self, logical_id: &str) -> bool {
        self.inner.pools.contains_key(logical_id)
    }

    /// Stops the host: kills every idle process now; invocations under way
    /// finish (or time out) and their processes are then killed; later
    /// invocations fail with [`InvokeError::Unavailable`](super::InvokeError::Unavailable).
    pub fn shutdown(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
        for pool in self.inner.pools.values() {
            pool.close();
        }
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let env = pool::reserved_environment(&process, "127.0.0.1:9001");
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
