//! One module per command.

pub mod derive;
pub mod serve;
pub mod vtl;
pub mod watch;
