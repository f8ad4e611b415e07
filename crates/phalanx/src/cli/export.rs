//! `export`: the CloudFormation template or the OpenAPI document, JSON or
//! YAML.

use crate::service::Service;

/// `export [--format cloudformation|openapi] [--yaml] [--out FILE]`.
#[derive(clap::Args, Debug)]
pub(crate) struct ExportArgs {
    /// What to export.
    #[arg(long, default_value = "cloudformation", value_parser = ["cloudformation", "openapi"])]
    format: String,
    /// YAML instead of JSON.
    #[arg(long)]
    yaml: bool,
    /// Write to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<std::path::PathBuf>,
}

/// Writes the template to `--out` or stdout.
pub(crate) fn run(service: &Service, args: &ExportArgs) -> Result<(), String> {
    // The service must build before it is exported: the same checks as serve.
    service
        .gateway(None)
        .map_err(|e| format!("{}: {e}", service.name()))?;
    service.check_privileges()?;
    service.check_auth()?;
    let template = if args.format == "openapi" {
        crate::export::openapi(service)
    } else {
        crate::export::cloudformation(service)
    };
    let text = if args.yaml {
        serde_yaml_ng::to_string(&template).map_err(|e| format!("cannot write YAML: {e}"))?
    } else {
        let mut t = serde_json::to_string_pretty(&template).map_err(|e| e.to_string())?;
        t.push('\n');
        t
    };
    match &args.out {
        Some(path) => std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display())),
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(text.as_bytes())
                .map_err(|e| format!("cannot write to stdout: {e}"))
        }
    }
}
