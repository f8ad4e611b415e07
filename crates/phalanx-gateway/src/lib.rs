//! The local API Gateway engine (REST APIs): the model, its validation, the
//! request pipeline and the local server.
//!
//! Not built yet: this crate is a placeholder so the workspace has the shape
//! described in `docs/ARCHITECTURE.md`. Mapping templates are rendered by
//! [`phalanx_vtl`], re-exported here for the gateway's users.

pub use phalanx_vtl as vtl;
