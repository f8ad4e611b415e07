//! `describe [--out FILE]`: the self-contained HTML page.

use crate::service::Service;

/// Writes the page to `out` (default `SERVICE.html`) and says where.
pub(crate) fn run(service: &Service, out: Option<&std::path::Path>) -> Result<(), String> {
    service
        .gateway(None)
        .map_err(|e| format!("{}: {e}", service.name()))?;
    let default = std::path::PathBuf::from(format!("{}.html", service.name()));
    let path = out.unwrap_or(&default);
    std::fs::write(path, crate::describe::html(service))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    println!("{}", path.display());
    Ok(())
}
