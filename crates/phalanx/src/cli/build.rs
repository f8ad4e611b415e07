//! `build`: the Lambda package of the service — its executable as
//! `bootstrap` in a reproducible zip (see `phalanx_deploy::package`).

use super::deploy_args::PackageArgs;
use crate::service::Service;
use phalanx_deploy::package::human_size;

/// `build [--arch] [--binary FILE] [--allow-debug-build] [--out DIR]`.
#[derive(clap::Args, Debug)]
pub(crate) struct BuildArgs {
    #[command(flatten)]
    package: PackageArgs,
}

/// Builds the package and prints where it is.
pub(crate) fn run(service: &Service, args: &BuildArgs) -> Result<phalanx_deploy::Package, String> {
    let options = args.package.build_options(service)?;
    let package = phalanx_deploy::package::build(&options).map_err(|e| e.to_string())?;
    println!(
        "Built {} ({}, {}) from {}",
        package.path.display(),
        human_size(package.zip.len()),
        package.arch,
        package.source
    );
    println!("sha256 {}", package.sha256);
    Ok(package)
}
