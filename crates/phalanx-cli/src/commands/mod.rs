//! One module per command.

pub mod vtl;
