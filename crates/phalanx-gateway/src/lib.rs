//! The local API Gateway engine (REST APIs): the model, its validation, the
//! request pipeline and the local server.
//!
//! - [`model`]: API Gateway's REST resources as CloudFormation names them.
//! - [`cloudformation`] and [`openapi`]: the two importers that build it,
//!   from a template or an OpenAPI document with API Gateway's extensions.
//! - [`invoke`]: running Lambda functions (in-process or as local processes
//!   through the Lambda Runtime API).
//! - [`vtl`]: the objects mapping templates see (`$input`, `$util`,
//!   `$context`, `$stageVariables`).
//!
//! Mapping templates are rendered by [`phalanx_vtl`], re-exported as
//! [`template`].
//!
//! No `unsafe` code, except where allowed and audited: each such spot
//! carries `#[allow(unsafe_code)]` and a `// SAFETY:` comment (today one,
//! the process-group kill in `invoke/runtime_api/pool.rs`).

#![deny(unsafe_code)]

pub mod clock;
pub mod cloudformation;
pub mod compile;
mod gateway;
mod header_case;
mod ids;
pub mod invoke;
pub mod jsonpath;
pub mod mapping;
pub mod model;
pub mod openapi;
pub mod pipeline;
pub mod sam;
pub mod server;
pub mod vtl;

pub use compile::{DefinitionError, DefinitionErrors};
pub use gateway::{Gateway, LOCAL_ACCOUNT_ID};
pub use phalanx_vtl as template;
pub use pipeline::{GatewayReply, GatewayRequest, TraceStep};
