//! Functions that are Rust closures in this process.

use super::{BoxFuture, Invocation, InvokeError, InvokeOutput, Invoker, timeout_message};
use bytes::Bytes;
use futures_util::FutureExt as _;
// FxHash: a lookup per invocation, keyed by the service's function names.
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

/// A function body: takes the event (JSON text) and returns the result
/// payload, or `Err` with Lambda's error object (JSON text).
pub type Handler = Arc<dyn Fn(Bytes) -> BoxFuture<'static, Result<Bytes, Bytes>> + Send + Sync>;

/// Runs registered Rust handlers. A panicking handler is caught and
/// becomes a function error (as an uncaught exception
/// does in AWS) and the gateway keeps serving.
///
/// ```
/// use phalanx_gateway::invoke::{InProcess, Invocation, InvokeOutput, Invoker};
/// use std::time::Duration;
///
/// let mut functions = InProcess::new();
/// functions.register("Echo", |event| async move { Ok(event) });
/// let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let out = rt.block_on(functions.invoke(Invocation {
///     function: "Echo".into(),
///     payload: "{\"a\":1}".into(),
///     request_id: "r1".into(),
///     timeout: Duration::from_secs(3),
/// }));
/// assert_eq!(out, Ok(InvokeOutput::Success("{\"a\":1}".into())));
/// ```
#[derive(Default, Clone)]
pub struct InProcess {
    handlers: HashMap<String, Registered>,
}

#[derive(Clone)]
struct Registered {
    handler: Handler,
    /// Registered with [`InProcess::register_parsing`]: the handler fails
    /// on an event that is not JSON.
    parses_json: bool,
}

/// Whether `event` is JSON text (what Lambda accepts as an event: any JSON
/// value, or nothing at all).
fn is_json_event(event: &[u8]) -> bool {
    super::not_json_message(event).is_none()
}

impl InProcess {
    /// No functions yet.
    pub fn new() -> InProcess {
        InProcess::default()
    }

    /// Registers `handler` under a logical id.
    pub fn register<F, Fut>(&mut self, function: &str, handler: F)
    where
        F: Fn(Bytes) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<Bytes, Bytes>> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |event| Box::pin(handler(event)));
        self.register_boxed(function, handler);
    }

    /// Registers an already boxed handler.
    pub fn register_boxed(&mut self, function: &str, handler: Handler) {
        let registered = Registered {
            handler,
            parses_json: false,
        };
        self.handlers.insert(function.to_string(), registered);
    }

    /// Registers a boxed handler that deserialises its event from JSON and
    /// fails (returns `Err`) when it cannot. The gateway then does not
    /// parse each event beforehand to check that it is JSON: when the
    /// handler fails, the event is checked, and one that is not JSON is
    /// refused as Lambda refuses it ([`InvokeError::EventNotJson`]).
    /// (`phalanx`'s typed functions register this way.)
    pub fn register_parsing(&mut self, function: &str, handler: Handler) {
        let registered = Registered {
            handler,
            parses_json: true,
        };
        self.handlers.insert(function.to_string(), registered);
    }

    /// Whether a function is registered.
    pub fn contains(&self, function: &str) -> bool {
        self.handlers.contains_key(function)
    }
}

impl Invoker for InProcess {
    fn refuses_non_json(&self, function: &str) -> bool {
        self.handlers.get(function).is_some_and(|r| r.parses_json)
    }

    fn invoke(&self, invocation: Invocation) -> BoxFuture<'_, Result<InvokeOutput, InvokeError>> {
        Box::pin(async move {
            let Registered {
                handler,
                parses_json,
            } = self
                .handlers
                .get(&invocation.function)
                .ok_or_else(|| InvokeError::UnknownFunction(invocation.function.clone()))?;
            // Kept to check, should a parsing handler fail (a reference
            // count, not a copy).
            let event = parses_json.then(|| invocation.payload.clone());
            // A panic is caught where it happens (no task per call); a
            // timeout drops the handler's future, which cancels it.
            let run = std::panic::AssertUnwindSafe(handler(invocation.payload)).catch_unwind();
            match tokio::time::timeout(invocation.timeout, run).await {
                Ok(Ok(Ok(payload))) => Ok(InvokeOutput::Success(payload)),
                Ok(Ok(Err(_))) if event.is_some_and(|e| !is_json_event(&e)) => {
                    Err(InvokeError::EventNotJson)
                }
                Ok(Ok(Err(error))) => Ok(InvokeOutput::FunctionError(error)),
                Ok(Err(panic)) => Ok(InvokeOutput::error(
                    &panic_message(panic.as_ref()),
                    PANIC_ERROR_TYPE,
                )),
                Err(_) => Ok(InvokeOutput::error(
                    &timeout_message(&invocation.request_id, invocation.timeout),
                    "Sandbox.Timedout",
                )),
            }
        })
    }
}

/// The `errorType` of a handler that panicked, here and in AWS (the
/// `phalanx` runtime reports a panic the same way), in the `Runtime.*`
/// family Lambda uses for failures of the runtime rather than of the code's
/// own error handling (`Runtime.ExitError`, `Runtime.InvalidEntrypoint`).
pub const PANIC_ERROR_TYPE: &str = "Runtime.Panic";

/// The `errorMessage` of a handler that panicked with `payload`:
/// `handler panicked: MESSAGE`.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        format!("handler panicked: {s}")
    } else if let Some(s) = payload.downcast_ref::<String>() {
        format!("handler panicked: {s}")
    } else {
        "handler panicked".to_string()
    }
}
