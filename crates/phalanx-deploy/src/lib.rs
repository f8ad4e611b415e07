//! Deploying a Phalanx service to AWS: the commands `build`, `provision`,
//! `status` and `delete` of every service binary (`phalanx::main`) are thin
//! layers over this crate.
//!
//! - [`package`]: the Lambda package — the service's executable as
//!   `bootstrap`, stripped and checked against Lambda's glibc ([`elf`]),
//!   found or built as [`binary`] explains, in a reproducible zip.
//! - [`provision()`]: the zip and the template go to S3, a CloudFormation
//!   change set is made, shown, confirmed and executed, and the stack's
//!   events are streamed until it settles ([`events`]).
//! - [`status()`] and [`delete()`]: what the stack is, and its removal.
//!
//! The crate knows nothing of the API model: it deploys the template it is
//! given (the `phalanx` crate's CloudFormation export). It lives apart from
//! `phalanx-gateway` so that the gateway and the VTL engine never pull in
//! the AWS SDK.
//!
//! ```no_run
//! # async fn run(template: String) -> Result<(), phalanx_deploy::Error> {
//! use phalanx_deploy::{Arch, Aws, AwsOptions, BuildOptions, ProvisionOptions};
//!
//! let package = phalanx_deploy::package::build(&BuildOptions {
//!     service: "echo".into(),
//!     arch: Arch::X86_64,
//!     binary: None,
//!     running_is_debug: cfg!(debug_assertions),
//!     allow_debug_build: false,
//!     out_dir: None,
//! })?;
//! let aws = Aws::load(&AwsOptions::default()).await?;
//! let options = ProvisionOptions {
//!     stack_name: "echo".into(),
//!     service: "echo".into(),
//!     bucket: "my-deploy-bucket".into(),
//!     template,
//!     parameters: vec![],
//!     tags: vec![],
//!     yes: true,
//!     dry_run: false,
//! };
//! phalanx_deploy::provision(&aws, &package, &options).await?;
//! # Ok(()) }
//! ```

#![deny(unsafe_code)]
pub mod aws;
pub mod binary;
pub mod changes;
mod delete;
pub mod elf;
pub mod events;
pub mod package;
mod provision;
mod stack;
mod status;
mod ui;

pub use aws::{Aws, AwsOptions};
pub use delete::{DeleteOptions, delete};
pub use package::{Arch, BuildOptions, Package};
pub use provision::{Outcome, ProvisionOptions, provision};
pub use status::{STACK_MISSING, status};

/// A deploy error: a message for the user, saying what failed and, where
/// there is one, the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
    /// The process exit code the command line should use.
    exit_code: u8,
}

impl Error {
    /// An error with `message` (exit code 1).
    pub fn new(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            exit_code: 1,
        }
    }

    /// The same error with another exit code.
    pub fn with_exit_code(mut self, code: u8) -> Error {
        self.exit_code = code;
        self
    }

    /// The exit code for the command line (1 unless documented otherwise,
    /// e.g. [`STACK_MISSING`]).
    pub fn exit_code(&self) -> u8 {
        self.exit_code
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
