//! The seed's first example: `GET /hello` echoes the request envelope.
//!
//! ```sh
//! cargo run --example echo -- serve
//! curl 'http://127.0.0.1:3000/dev/hello?name=ada'
//! ```

use phalanx::{Api, ApiGatewayRequest, Context, Function, Method, Service, StatusCode};
use serde_json::Value;
use std::convert::Infallible;

/// Returns what it received.
async fn echo(
    request: ApiGatewayRequest<Value>,
    _ctx: Context,
) -> Result<ApiGatewayRequest<Value>, Infallible> {
    Ok(request)
}

/// The service (also used by `tests/examples.rs`).
pub fn service() -> Service {
    let echo = Function::new("echo", echo).description("echoes the request envelope");
    let mut api = Api::new("echo")
        .description("the seed's echo example")
        .stage("dev");
    api.resource("/hello", &echo)
        .method(Method::GET, StatusCode::OK);
    Service::new("echo").function(echo).api(api)
}

fn main() -> std::process::ExitCode {
    phalanx::main(service())
}
