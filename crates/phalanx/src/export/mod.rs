//! `export`: the service as a CloudFormation template or an OpenAPI 3
//! document with API Gateway's `x-amazon-apigateway-*` extensions. Both are
//! deterministic: the same service always exports the same bytes.

mod cloudformation;
mod openapi;

pub use cloudformation::{ExportOptions, cloudformation, cloudformation_with};
pub use openapi::openapi;
