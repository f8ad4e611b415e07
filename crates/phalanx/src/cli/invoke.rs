//! `invoke FUNCTION [--event FILE|-]`: one function, one event, no gateway.

use crate::service::Service;
use bytes::Bytes;
use std::io::Read;

/// `invoke FUNCTION [--event FILE|-]`.
#[derive(clap::Args, Debug)]
pub(crate) struct InvokeArgs {
    /// The function's name.
    function: String,
    /// The event: a JSON file, or `-` for stdin (default: `{}`).
    #[arg(long, value_name = "FILE|-")]
    event: Option<String>,
}

/// Prints the function's result; a function error is printed (Lambda's
/// error object) and fails the command.
pub(crate) fn run(service: &Service, args: &InvokeArgs) -> Result<(), String> {
    let f = service.find_function(&args.function)?;
    let event = match args.event.as_deref() {
        None => "{}".to_string(),
        Some("-") => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| format!("reading the event from stdin: {e}"))?;
            s
        }
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?,
    };
    serde_json::from_str::<serde_json::Value>(&event).map_err(|e| {
        format!(
            "the event is not JSON: {e} (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let handler = f.handler.clone();
    // A panic is a function error, as in AWS.
    let result = runtime.block_on(crate::function::call(&handler, Bytes::from(event)));
    match result {
        Ok(payload) => {
            println!("{}", String::from_utf8_lossy(&payload));
            Ok(())
        }
        Err(error) => Err(format!(
            "function error: {}",
            String::from_utf8_lossy(&error)
        )),
    }
}
