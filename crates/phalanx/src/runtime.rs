//! The Lambda runtime side of `phalanx::main`: the same binary serves every
//! function of the service; the environment says which (`PHALANX_FUNCTION`,
//! set by `export`, or `_HANDLER`, the template's `Handler`). The Runtime
//! API client is AWS's `lambda_runtime` crate.
//!
//! The event reaches the handler as the bytes Lambda sent: it is read as a
//! [`RawValue`] (checked to be JSON, never built into a tree), and the
//! handler's own types parse it once. The result goes back the same way.
//! A panic is a function error (`Runtime.Panic`), as locally; logs are JSON
//! lines when the function's log format is JSON (`AWS_LAMBDA_LOG_FORMAT`).

use crate::function::{ErasedHandler, call};
use crate::service::Service;
use bytes::Bytes;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::value::RawValue;

/// Serves the function the environment names until the runtime stops.
pub(crate) fn run(service: &Service) -> Result<(), String> {
    init_logging();
    let wanted = std::env::var("PHALANX_FUNCTION")
        .or_else(|_| std::env::var("_HANDLER"))
        .map_err(|_| {
            "AWS_LAMBDA_RUNTIME_API is set but neither PHALANX_FUNCTION nor _HANDLER names a function"
                .to_string()
        })?;
    let function = service.find_function(&wanted)?;
    tracing::info!(function = %function.name, "serving the function through the Lambda Runtime API");
    let handler = function.handler.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime
        .block_on(lambda_runtime::run(lambda_runtime::service_fn(
            move |event: LambdaEvent<Box<RawValue>>| invoke(handler.clone(), event.payload),
        )))
        .map_err(|e| format!("the Lambda runtime stopped: {e}"))
}

/// One invocation: the event's bytes in, the result's bytes (or Lambda's
/// error object as a [`Diagnostic`]) out.
async fn invoke(handler: ErasedHandler, event: Box<RawValue>) -> Result<Box<RawValue>, Diagnostic> {
    let event = Bytes::from(Box::<str>::from(event).into_boxed_bytes());
    match call(&handler, event).await {
        // Bytes → Vec takes the buffer over when it is not shared.
        Ok(result) => String::from_utf8(Vec::from(result))
            .map_err(|e| e.to_string())
            .and_then(|text| RawValue::from_string(text).map_err(|e| e.to_string()))
            .map_err(|e| Diagnostic {
                error_type: "Runtime.InvalidResult".into(),
                error_message: format!("the handler's result is not JSON: {e}"),
            }),
        Err(error) => {
            // The handler already made Lambda's error object.
            let error: serde_json::Value = serde_json::from_slice(&error).unwrap_or_default();
            Err(Diagnostic {
                error_type: error["errorType"].as_str().unwrap_or("Error").into(),
                error_message: error["errorMessage"].as_str().unwrap_or_default().into(),
            })
        }
    }
}

/// Logs to standard output (Lambda sends it to CloudWatch): JSON lines
/// when `AWS_LAMBDA_LOG_FORMAT` is `JSON` (Lambda's advanced logging
/// controls), else text; the level from `AWS_LAMBDA_LOG_LEVEL`, else
/// `RUST_LOG`, else `info`.
fn init_logging() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_string())
        .to_ascii_lowercase();
    let filter = tracing_subscriber::EnvFilter::try_new(&level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stdout)
        .with_ansi(false)
        .with_target(false);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Context, ErrorResponse, Function};

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_string()).unwrap()
    }

    fn run<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn the_handler_gets_the_events_bytes_and_its_result_goes_back_as_written() {
        // A handler of raw text sees exactly what Lambda sent: spacing and
        // member order are kept (nothing parsed it into a tree and wrote
        // it out again).
        let seen = Function::new("seen", |event: Box<RawValue>, _: Context| async move {
            Ok::<_, std::convert::Infallible>(event)
        });
        let event = "{ \"b\" : 1,\n  \"a\": [true, null] }";
        let result = run(invoke(seen.handler.clone(), raw(event))).unwrap();
        assert_eq!(result.get(), event);
    }

    #[test]
    fn a_panic_is_a_runtime_panic_error_and_an_error_response_keeps_its_type() {
        let panics = Function::new("panics", |_: serde_json::Value, _: Context| async move {
            if true {
                panic!("boom");
            }
            Ok::<_, std::convert::Infallible>(())
        });
        let error = run(invoke(panics.handler.clone(), raw("{}"))).unwrap_err();
        assert_eq!(error.error_type, "Runtime.Panic");
        assert_eq!(error.error_message, "handler panicked: boom");

        let refuses = Function::new("refuses", |_: serde_json::Value, _: Context| async move {
            Err::<(), _>(ErrorResponse::new(404, "no such item"))
        });
        let error = run(invoke(refuses.handler.clone(), raw("{}"))).unwrap_err();
        assert_eq!(error.error_type, "ErrorResponse");
        assert_eq!(
            error.error_message,
            r#"{"code":404,"message":"no such item"}"#
        );
    }
}
