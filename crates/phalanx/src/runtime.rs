//! The Lambda runtime side of `phalanx::main`: the same binary serves every
//! function of the service; the environment says which (`PHALANX_FUNCTION`,
//! set by `export`, or `_HANDLER`, the template's `Handler`). The Runtime
//! API client is AWS's `lambda_runtime` crate.

use crate::service::Service;
use bytes::Bytes;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;

/// Serves the function the environment names until the runtime stops.
pub(crate) fn run(service: &Service) -> Result<(), String> {
    let wanted = std::env::var("PHALANX_FUNCTION")
        .or_else(|_| std::env::var("_HANDLER"))
        .map_err(|_| {
            "AWS_LAMBDA_RUNTIME_API is set but neither PHALANX_FUNCTION nor _HANDLER names a function"
                .to_string()
        })?;
    let function = service.find_function(&wanted)?;
    let handler = function.handler.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime
        .block_on(lambda_runtime::run(lambda_runtime::service_fn(
            move |event: LambdaEvent<Value>| {
                let handler = handler.clone();
                async move {
                    let payload = serde_json::to_vec(&event.payload).map_err(|e| Diagnostic {
                        error_type: "Runtime.InvalidEvent".into(),
                        error_message: e.to_string(),
                    })?;
                    match handler(Bytes::from(payload)).await {
                        Ok(result) => {
                            serde_json::from_slice::<Value>(&result).map_err(|e| Diagnostic {
                                error_type: "Runtime.InvalidResult".into(),
                                error_message: e.to_string(),
                            })
                        }
                        Err(error) => {
                            // The handler already made Lambda's error object.
                            let error: Value = serde_json::from_slice(&error).unwrap_or_default();
                            Err(Diagnostic {
                                error_type: error["errorType"].as_str().unwrap_or("Error").into(),
                                error_message: error["errorMessage"]
                                    .as_str()
                                    .unwrap_or_default()
                                    .into(),
                            })
                        }
                    }
                }
            },
        )))
        .map_err(|e| format!("the Lambda runtime stopped: {e}"))
}
