//! The local API Gateway engine (REST APIs): the model, its validation, the
//! request pipeline and the local server.
//!
//! Built so far: [`vtl`], the objects API Gateway gives mapping templates
//! (`$util`). The model, the pipeline and the server are not built yet (see
//! the README's status table). Mapping templates are rendered by
//! [`phalanx_vtl`], re-exported as [`template`].

pub mod vtl;

pub use phalanx_vtl as template;
