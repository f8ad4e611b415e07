//! `describe [--out FILE]`: the self-contained HTML page.

use crate::service::Service;

/// `describe [--out FILE]`.
#[derive(clap::Args, Debug)]
pub(crate) struct DescribeArgs {
    /// Where (default: SERVICE.html).
    #[arg(long, value_name = "FILE")]
    out: Option<std::path::PathBuf>,
}

/// Writes the page to `--out` (default `SERVICE.html`) and says where.
pub(crate) fn run(service: &Service, args: &DescribeArgs) -> Result<(), String> {
    service
        .gateway(None)
        .map_err(|e| format!("{}: {e}", service.name()))?;
    let default = std::path::PathBuf::from(format!("{}.html", service.name()));
    let path = args.out.as_ref().unwrap_or(&default);
    std::fs::write(path, crate::describe::html(service))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    println!("{}", path.display());
    Ok(())
}
