//! Phalanx: declare AWS Lambda functions and the API Gateway REST API in front
//! of them in Rust, run the API locally with AWS's behaviour, and deploy it.
//!
//! Not built yet: this crate is a placeholder so the workspace has the shape
//! described in `docs/ARCHITECTURE.md`. Its foundations are usable today:
//! [`vtl`] renders API Gateway mapping templates exactly as Velocity 1.7 does.

pub use phalanx_gateway as gateway;
pub use phalanx_vtl as vtl;
