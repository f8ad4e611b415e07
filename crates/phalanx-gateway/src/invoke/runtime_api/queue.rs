//! Scheduling invocations onto a function's processes: the [`Invoker`]
//! implementation of [`RuntimeApiHost`], and the one-job slot through
//! which each process receives its events.
//!
//! An invocation takes one of its pool's permits (waiting while
//! `max_concurrency` processes are busy), takes a warm process or starts
//! one (`Pool::checkout`), queues its job in that process's slot
//! (`WorkerShared`) for the Runtime API's `next` to hand out, and waits for
//! the answer, the process's exit or a timeout: the init timeout until the
//! process takes the job, then the function's own. A warm process that
//! died while idle never saw the job, so the job runs on a fresh process
//! instead.

use super::pool::Worker;
use super::{FunctionProcess, MAX_RESPONSE_BYTES, RuntimeApiHost, lock};
use crate::invoke::{BoxFuture, Invocation, InvokeError, InvokeOutput, Invoker, timeout_message};
use bytes::Bytes;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::sync::{Notify, oneshot, watch};

impl Invoker for RuntimeApiHost {
    fn invoke(&self, invocation: Invocation) -> BoxFuture<'_, Result<InvokeOutput, InvokeError>> {
        // The invocation runs as a task of its own, so that a caller that
        // gives up (the HTTP client disconnected and hyper dropped the
        // request's future) does not cut the function off: in AWS the
        // function runs to its end whatever became of the client, and its
        // process stays warm for the next request; the result is dropped.
        // (Spawned on the first poll, which is inside a runtime.)
        let host = self.clone();
        Box::pin(async move {
            let task = tokio::spawn(async move { host.run(invocation).await });
            task.await.unwrap_or_else(|e| {
                Err(InvokeError::Unavailable(format!(
                    "the invocation's task ended abnormally: {e}"
                )))
            })
        })
    }
}

impl RuntimeApiHost {
    /// Runs one invocation to its end (see [`Invoker::invoke`]).
    async fn run(&self, invocation: Invocation) -> Result<InvokeOutput, InvokeError> {
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
        // Lambda's Invoke API delivers an empty payload as `{}` (see the
        // pipeline's `lambda_event`); runtime clients cannot decode nothing.
        let payload = if invocation.payload.iter().all(u8::is_ascii_whitespace) {
            Bytes::from_static(b"{}")
        } else {
            invocation.payload
        };
        let job = JobSpec {
            request_id: usable_request_id(&invocation.request_id),
            payload,
            timeout: invocation.timeout,
        };
        loop {
            let (worker, warm) = pool.checkout().await?;
            match run_on(&worker, &job, pool.config.init_timeout).await {
                // A warm process that died while idle never saw the
                // job: run it on a fresh one instead.
                Attempt::Stale if warm => continue,
                Attempt::Stale => {
                    return Ok(exit_error(&job.request_id, &worker.exit_description()));
                }
                Attempt::Done(output, reuse) => {
                    // Back in the pool before the permit is released,
                    // so a waiting invocation finds it warm.
                    pool.release(worker, reuse && !self.inner.closed.load(Ordering::SeqCst));
                    return Ok(output);
                }
            }
        }
    }
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

/// The error for an invocation whose process dropped it unanswered.
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

/// What a process's Runtime API endpoint and its invoker share.
pub(super) struct WorkerShared {
    /// The function the process runs.
    pub(super) config: Arc<FunctionProcess>,
    slot: Mutex<Slot>,
    /// Wakes the process's long-polling `next` when a job is queued.
    pub(super) job_ready: Notify,
}

/// The one job a process holds: queued, or handed out.
#[derive(Default)]
struct Slot {
    /// Queued, not yet handed to the process by `next`.
    queued: Option<Job>,
    /// Handed out; waiting for `/response` or `/error`.
    current: Option<(String, oneshot::Sender<Reply>)>,
}

/// An invocation on its way to a process.
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
pub(super) enum Reply {
    /// `/response`: the result payload.
    Response(Bytes),
    /// `/error`: Lambda's error object.
    Error(Bytes),
    /// `/init/error`: the runtime could not start the function.
    InitError(Bytes),
    /// A posted result over [`MAX_RESPONSE_BYTES`].
    TooLarge,
}

/// What `next` renders.
pub(super) struct Delivery {
    /// `Lambda-Runtime-Aws-Request-Id`.
    pub(super) request_id: String,
    /// The event.
    pub(super) payload: Bytes,
    /// `Lambda-Runtime-Deadline-Ms`.
    pub(super) deadline_ms: u128,
}

impl WorkerShared {
    /// An empty slot for a process of `config`.
    pub(super) fn new(config: Arc<FunctionProcess>) -> WorkerShared {
        WorkerShared {
            config,
            slot: Mutex::new(Slot::default()),
            job_ready: Notify::new(),
        }
    }

    /// Queues a job and wakes the process's `next`.
    fn queue(&self, job: Job) {
        lock(&self.slot).queued = Some(job);
        self.job_ready.notify_one();
    }

    /// Hands the queued job to the process, if there is one.
    pub(super) fn take(&self) -> Option<Delivery> {
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

    /// Whether `request_id` is the invocation the process holds.
    pub(super) fn is_current(&self, request_id: &str) -> bool {
        lock(&self.slot)
            .current
            .as_ref()
            .is_some_and(|(id, _)| id == request_id)
    }

    /// Delivers the answer to the invocation `request_id`; false if that is
    /// not the invocation the process holds (unknown, or already answered).
    pub(super) fn answer(&self, request_id: &str, reply: Reply) -> bool {
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
    pub(super) fn init_failed(&self, body: Bytes) {
        let mut slot = lock(&self.slot);
        if let Some((_, sender)) = slot.current.take() {
            let _ = sender.send(Reply::InitError(body));
        } else if let Some(job) = slot.queued.take() {
            let _ = job.reply.send(Reply::InitError(body));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_errors_read_as_aws_writes_them() {
        let InvokeOutput::FunctionError(body) = exit_error("r-1", "exit status 1") else {
            panic!("a function error");
        };
        let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(
            body,
            serde_json::json!({
                "errorMessage": "RequestId: r-1 Error: Runtime exited with error: exit status 1",
                "errorType": "Runtime.ExitError",
            })
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
}
