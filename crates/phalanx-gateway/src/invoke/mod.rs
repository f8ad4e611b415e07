//! Running Lambda functions: the [`Invoker`] trait the pipeline calls, and
//! its implementations — [`InProcess`] (Rust closures, what the framework
//! uses) and [`RuntimeApiHost`] (local processes in any language, driven
//! through the Lambda Runtime API; one listener per process, configured by
//! [`FunctionProcess`]).

mod event_json;
mod in_process;
mod runtime_api;

pub(crate) use event_json::not_json_message;
pub use in_process::{Handler, InProcess, PANIC_ERROR_TYPE, panic_message};
pub use runtime_api::{ACCOUNT_ID, FunctionProcess, MAX_RESPONSE_BYTES, RuntimeApiHost};

use bytes::Bytes;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// One call of one function.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The function's logical id (a key of [`crate::model::RestApi::functions`]).
    pub function: String,
    /// The event, JSON text.
    pub payload: Bytes,
    /// The Lambda request id (`Lambda-Runtime-Aws-Request-Id`).
    pub request_id: String,
    /// The function's own timeout (the template's `Timeout`, default 3 s).
    pub timeout: Duration,
}

/// What a function returned.
#[derive(Debug, Clone, PartialEq)]
pub enum InvokeOutput {
    /// The function's result payload (JSON text, as the function wrote it).
    Success(Bytes),
    /// The function failed: the payload is Lambda's error object,
    /// `{"errorMessage": …, "errorType": …, "stackTrace": […]}`. Handled
    /// errors, panics, crashes and timeouts all end here, as in AWS.
    FunctionError(Bytes),
}

impl InvokeOutput {
    /// A function error built from a message and type, in Lambda's shape.
    pub fn error(message: &str, error_type: &str) -> InvokeOutput {
        let body = serde_json::json!({
            "errorMessage": message,
            "errorType": error_type,
            "stackTrace": [],
        });
        InvokeOutput::FunctionError(Bytes::from(body.to_string()))
    }
}

/// The invocation could not happen at all (the gateway answers 500/502).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvokeError {
    /// No function with that logical id is registered.
    UnknownFunction(String),
    /// The function exists but cannot run (e.g. its command failed to start).
    Unavailable(String),
    /// The event is not JSON, which Lambda refuses before any function
    /// runs. Only an invoker whose [`Invoker::refuses_non_json`] says so
    /// reports it; for the others the pipeline checks the event first.
    EventNotJson,
}

impl std::fmt::Display for InvokeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InvokeError::UnknownFunction(name) => write!(
                f,
                "no function `{name}` is registered (for a template, pass --function {name}='COMMAND')"
            ),
            InvokeError::Unavailable(why) => write!(f, "function unavailable: {why}"),
            InvokeError::EventNotJson => f.write_str(
                "Lambda rejected the event: Could not parse request body into json (the integration request template must produce JSON)",
            ),
        }
    }
}

impl std::error::Error for InvokeError {}

/// A boxed, sendable future — the return type of [`Invoker::invoke`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Something that runs functions. The pipeline holds one and calls it for
/// `AWS` and `AWS_PROXY` integrations.
pub trait Invoker: Send + Sync + 'static {
    /// Runs one invocation to completion (or to its timeout).
    fn invoke(&self, invocation: Invocation) -> BoxFuture<'_, Result<InvokeOutput, InvokeError>>;

    /// Whether this invoker itself refuses an event for `function` that is
    /// not JSON, with [`InvokeError::EventNotJson`]. Lambda refuses such an
    /// event before the function runs; when the invoker does not say it
    /// checks, the pipeline parses every event once more to check. (An
    /// in-process handler that deserialises its event finds out anyway:
    /// see [`InProcess::register_parsing`].)
    fn refuses_non_json(&self, _function: &str) -> bool {
        false
    }
}

/// The `errorMessage` AWS reports when a function runs past its timeout
/// (the Lambda developer guide's "Task timed out after 3.00 seconds").
pub fn timeout_message(request_id: &str, timeout: Duration) -> String {
    format!(
        "{} {request_id} Task timed out after {:.2} seconds",
        crate::clock::iso8601_millis(std::time::SystemTime::now()),
        timeout.as_secs_f64()
    )
}
