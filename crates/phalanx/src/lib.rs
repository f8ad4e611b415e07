//! Phalanx: declare AWS Lambda functions and the API Gateway REST API in
//! front of them in Rust, and run the API locally with AWS's behaviour.
//!
//! The seed's seven steps, in code: functions ([`Function`]), the REST API
//! ([`Api`]), its resources ([`Api::resource`]) and methods
//! ([`api::Resource::method`]), each method's request parameters,
//! integration request templates, integration responses and method
//! responses ([`api::MethodSpec`]), and a stage ([`Api::stage`]).
//! [`main`] gives the service binary its command line: `serve`,
//! `test-invoke`, `invoke`, `describe`, `export`, and the deploy commands
//! `build`, `provision`, `status` and `delete` (through the
//! `phalanx-deploy` crate); in AWS the same binary is the Lambda runtime of
//! each function.
//!
//! ```
//! use phalanx::{Api, ApiGatewayRequest, Context, ErrorResponse, Function, Response, Service};
//! use http::{Method, StatusCode};
//! use serde_json::{json, Value};
//!
//! // POST /items returns 201 and a Location header promoted from the payload.
//! let create = Function::new("create", |req: ApiGatewayRequest<Value>, _: Context| async move {
//!     let Some(name) = req.body["name"].as_str() else {
//!         return Err(ErrorResponse::new(400, "a name is required"));
//!     };
//!     Ok(json!({"id": name, "location": format!("/items/{name}")}))
//! });
//! let mut api = Api::new("items");
//! let post = api.resource("/items", &create).method(Method::POST, StatusCode::CREATED);
//! post.response_header(StatusCode::CREATED, "Location")
//!     .map_response_header(StatusCode::CREATED, "Location", "integration.response.body.location");
//! let service = Service::new("items").function(create).api(api);
//!
//! let gateway = service.gateway(None).unwrap();
//! let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! let reply = rt.block_on(gateway.handle(phalanx::gateway::GatewayRequest {
//!     method: "POST".into(),
//!     path: "/dev/items".into(),
//!     headers: vec![("content-type".into(), "application/json".into())],
//!     body: r#"{"name": "pen"}"#.into(),
//!     ..Default::default()
//! }));
//! assert_eq!(reply.status, 201);
//! assert_eq!(reply.header("Location"), Some("/items/pen"));
//! ```
//!
//! # Allocator
//!
//! With the `mimalloc` feature (on by default) every binary built with
//! `phalanx` allocates with [mimalloc](https://docs.rs/mimalloc): a request
//! allocates a hundred or so small values (the rendered templates, the
//! envelope, the handler's types), and glibc's malloc and free took about
//! a sixth of a request's instructions (see `docs/PERFORMANCE.md`). A
//! binary that sets its own `#[global_allocator]` turns the feature off
//! (`default-features = false`).

#![deny(unsafe_code)]

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod api;
pub mod auth;
mod cli;
pub mod describe;
mod envelope;
pub mod export;
mod function;
mod runtime;
mod schema;
mod service;

pub use api::Api;
pub use cli::main;
pub use envelope::{
    ApiGatewayRequest, ERROR_CODES, ErrorResponse, Identity, RequestContext, Response,
    default_request_templates,
};
pub use function::{Context, Function, HandlerError, Privilege};
pub use http::{Method, StatusCode};
pub use phalanx_gateway as gateway;
pub use phalanx_vtl as vtl;
/// `#[derive(JsonSchema)]` for [`api::MethodSpec::request_body`]'s types.
pub use schemars::{self, JsonSchema};
pub use service::Service;
