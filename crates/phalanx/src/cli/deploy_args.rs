//! Arguments the deploy commands share: how the package is built
//! (`build`, `provision`) and which AWS account and region (`provision`,
//! `status`, `delete`).

use crate::service::Service;
use phalanx_deploy::{Arch, AwsOptions, BuildOptions};
use std::path::PathBuf;

/// How the Lambda package is made.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct PackageArgs {
    /// The functions' architecture (default: this machine's, when Lambda
    /// has it, else x86_64).
    #[arg(long, value_parser = ["x86_64", "arm64"])]
    arch: Option<String>,
    /// Package this executable (a build of this service made elsewhere,
    /// e.g. with `cargo zigbuild`) instead of the running one.
    #[arg(long, value_name = "FILE")]
    binary: Option<PathBuf>,
    /// Package the running executable even though it is a debug build
    /// (larger and slower; for trying the deploy path).
    #[arg(long)]
    allow_debug_build: bool,
    /// Where the zip goes (default: TARGET_DIR/lambda/SERVICE).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

impl PackageArgs {
    /// The architecture asked for, or the default.
    pub(crate) fn arch(&self) -> Result<Arch, String> {
        match &self.arch {
            Some(a) => a.parse().map_err(|e: phalanx_deploy::Error| e.to_string()),
            None => Ok(Arch::host().unwrap_or(Arch::X86_64)),
        }
    }

    /// The build options for `service`.
    pub(crate) fn build_options(&self, service: &Service) -> Result<BuildOptions, String> {
        Ok(BuildOptions {
            service: service.name().to_string(),
            arch: self.arch()?,
            binary: self.binary.clone(),
            // The profile this crate was compiled with is the binary's.
            running_is_debug: cfg!(debug_assertions),
            allow_debug_build: self.allow_debug_build,
            out_dir: self.out.clone(),
        })
    }
}

/// Which AWS account and region (the SDK's standard chain otherwise:
/// `AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL`, …).
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct AwsArgs {
    /// A named profile of ~/.aws/config.
    #[arg(long)]
    profile: Option<String>,
    /// The region.
    #[arg(long)]
    region: Option<String>,
}

impl AwsArgs {
    pub(crate) fn options(&self) -> AwsOptions {
        AwsOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
        }
    }
}

/// `K=V` → `(K, V)`.
pub(crate) fn key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

/// A runtime for one deploy command.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}
