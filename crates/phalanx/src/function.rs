//! [`Function`]: a Lambda function — a name, a typed async handler and its
//! settings.

use crate::envelope::ErrorResponse;
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What a handler learns about its invocation (the parts of Lambda's
/// context object a local run can give).
#[derive(Debug, Clone)]
pub struct Context {
    /// The function's name.
    pub function_name: String,
    /// The function's timeout.
    pub timeout: Duration,
}

/// A handler with its types erased: event JSON in, result JSON or Lambda's
/// error object out.
pub(crate) type ErasedHandler = Arc<
    dyn Fn(Bytes) -> std::pin::Pin<Box<dyn Future<Output = Result<Bytes, Bytes>> + Send>>
        + Send
        + Sync,
>;

/// An IAM permission the function's role gets: actions on resources, named
/// (no `*` unless written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Privilege {
    /// e.g. `s3:GetObject`.
    pub actions: Vec<String>,
    /// e.g. `arn:aws:s3:::my-bucket/*`.
    pub resources: Vec<String>,
}

impl Privilege {
    /// `actions` allowed on `resources`.
    pub fn new<A: Into<String>, R: Into<String>>(
        actions: impl IntoIterator<Item = A>,
        resources: impl IntoIterator<Item = R>,
    ) -> Privilege {
        Privilege {
            actions: actions.into_iter().map(Into::into).collect(),
            resources: resources.into_iter().map(Into::into).collect(),
        }
    }
}

/// A Lambda function.
///
/// ```
/// use phalanx::{Context, Function};
/// use serde_json::Value;
///
/// let echo = Function::new("echo", |event: Value, _ctx: Context| async move {
///     Ok::<_, std::convert::Infallible>(event)
/// })
/// .description("returns its event")
/// .memory_mb(256)
/// .timeout(std::time::Duration::from_secs(10));
/// assert_eq!(echo.name(), "echo");
/// ```
#[derive(Clone)]
pub struct Function {
    pub(crate) name: String,
    pub(crate) handler: ErasedHandler,
    timeout_ms: Arc<AtomicU64>,
    pub(crate) description: Option<String>,
    pub(crate) memory_mb: u64,
    pub(crate) timeout: Duration,
    pub(crate) environment: Vec<(String, String)>,
    pub(crate) reserved_concurrency: Option<u32>,
    pub(crate) privileges: Vec<Privilege>,
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Function")
            .field("name", &self.name)
            .field("memory_mb", &self.memory_mb)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Runs `handler` on `event`; a panic becomes Lambda's error object with
/// `errorType` `Runtime.Panic`, as the local gateway reports it, so a
/// panicking handler looks the same locally and in AWS.
pub(crate) async fn call(handler: &ErasedHandler, event: Bytes) -> Result<Bytes, Bytes> {
    use futures_util::FutureExt;
    match std::panic::AssertUnwindSafe(handler(event))
        .catch_unwind()
        .await
    {
        Ok(result) => result,
        Err(panic) => Err(error_object(
            &phalanx_gateway::invoke::panic_message(panic.as_ref()),
            phalanx_gateway::invoke::PANIC_ERROR_TYPE,
        )),
    }
}

/// Lambda's error object for a handler error.
fn error_object(message: &str, error_type: &str) -> Bytes {
    Bytes::from(
        serde_json::json!({"errorMessage": message, "errorType": error_type, "stackTrace": []})
            .to_string(),
    )
}

/// How a handler's error becomes Lambda's error object: an
/// [`ErrorResponse`] keeps its code (so an integration response can select
/// it), anything else is its `Display` text.
pub trait HandlerError {
    /// `(errorMessage, errorType)`.
    fn to_lambda_error(&self) -> (String, String);
}

impl HandlerError for ErrorResponse {
    fn to_lambda_error(&self) -> (String, String) {
        (self.to_message(), "ErrorResponse".to_string())
    }
}

impl HandlerError for std::convert::Infallible {
    fn to_lambda_error(&self) -> (String, String) {
        match *self {}
    }
}

impl HandlerError for String {
    fn to_lambda_error(&self) -> (String, String) {
        (self.clone(), "Error".to_string())
    }
}

impl HandlerError for &'static str {
    fn to_lambda_error(&self) -> (String, String) {
        (self.to_string(), "Error".to_string())
    }
}

impl HandlerError for Box<dyn std::error::Error + Send + Sync> {
    fn to_lambda_error(&self) -> (String, String) {
        (self.to_string(), "Error".to_string())
    }
}

impl Function {
    /// A function named `name` (letters, digits, `-`, `_`) running `handler`:
    /// the event is deserialized into `Req`, the result serialized from
    /// `Resp`; an error becomes Lambda's error object.
    pub fn new<Req, Resp, E, F, Fut>(name: &str, handler: F) -> Function
    where
        Req: DeserializeOwned + Send + 'static,
        Resp: Serialize + Send + 'static,
        E: HandlerError + Send + 'static,
        F: Fn(Req, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Resp, E>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let function_name = name.to_string();
        // Shared with the builder: `.timeout()` after `new` still reaches
        // the handler's `Context`.
        let timeout_ms = Arc::new(AtomicU64::new(3_000));
        let configured = timeout_ms.clone();
        let erased: ErasedHandler = Arc::new(move |event: Bytes| {
            let handler = handler.clone();
            let ctx = Context {
                function_name: function_name.clone(),
                timeout: Duration::from_millis(configured.load(Ordering::Relaxed)),
            };
            Box::pin(async move {
                // An event the handler's type cannot hold is the client's
                // fault: 400, selected like any ErrorResponse.
                // Read as text: one UTF-8 check of the whole event rather
                // than serde_json's check of every string in it (the
                // gateway's events are rendered text). Bytes that are not
                // UTF-8 go to `from_slice`, whose error says where.
                let parsed = match std::str::from_utf8(&event) {
                    Ok(text) => serde_json::from_str(text),
                    Err(_) => serde_json::from_slice(&event),
                };
                let request: Req = parsed.map_err(|e| {
                    let error = ErrorResponse::new(400, format!("invalid request: {e}"));
                    error_object(&error.to_message(), "ErrorResponse")
                })?;
                match handler(request, ctx).await {
                    Ok(response) => {
                        // Sized like the event: results are often about as
                        // large (an envelope echoed), and growing from empty
                        // copies the output several times over.
                        let mut out = Vec::with_capacity(event.len().clamp(128, 64 * 1024));
                        serde_json::to_writer(&mut out, &response)
                            .map(|()| Bytes::from(out))
                            .map_err(|e| {
                                error_object(
                                    &format!("the result cannot be serialized: {e}"),
                                    "Error",
                                )
                            })
                    }
                    Err(e) => {
                        let (message, error_type) = e.to_lambda_error();
                        Err(error_object(&message, &error_type))
                    }
                }
            })
        });
        Function {
            name: name.to_string(),
            handler: erased,
            timeout_ms,
            description: None,
            memory_mb: 128,
            timeout: Duration::from_secs(3),
            environment: Vec::new(),
            reserved_concurrency: None,
            privileges: Vec::new(),
        }
    }

    /// The function's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A description.
    pub fn description(mut self, description: &str) -> Function {
        self.description = Some(description.to_string());
        self
    }

    /// Memory in MiB (Lambda: 128–10,240).
    pub fn memory_mb(mut self, mb: u64) -> Function {
        self.memory_mb = mb;
        self
    }

    /// The timeout (Lambda: 1 s–900 s; default 3 s).
    pub fn timeout(mut self, timeout: Duration) -> Function {
        self.timeout = timeout;
        self.timeout_ms.store(
            u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        self
    }

    /// An environment variable.
    pub fn env(mut self, name: &str, value: &str) -> Function {
        self.environment.push((name.to_string(), value.to_string()));
        self
    }

    /// Reserved concurrency.
    pub fn reserved_concurrency(mut self, n: u32) -> Function {
        self.reserved_concurrency = Some(n);
        self
    }

    /// An IAM permission for the function's role.
    pub fn privilege(mut self, privilege: Privilege) -> Function {
        self.privileges.push(privilege);
        self
    }

    /// The CloudFormation logical id: the name without characters
    /// CloudFormation refuses, in `UpperCamelCase`.
    pub fn logical_id(&self) -> String {
        logical_id(&self.name)
    }
}

/// `my-echo_fn` → `MyEchoFn`.
pub(crate) fn logical_id(name: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    out
}
