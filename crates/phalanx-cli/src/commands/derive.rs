//! Commands for a template's functions that got no `--function` flag,
//! derived from their `Runtime`, `Handler` and local `Code`:
//!
//! - `python3.*` with `Handler: module.function` and `Code: {ZipFile: …}`
//!   (the source is written to `index.py`, as CloudFormation names it, in a
//!   folder of the server's own temporary directory, removed at exit) or `Code` a local folder
//!   (relative to the template's, the form `aws cloudformation package`
//!   takes): `PYTHON -m awslambdaric HANDLER` there, with the interpreter of
//!   `--python`, else `PHALANX_PYTHON`, else `python3` on `PATH`, when it
//!   can import `awslambdaric` (checked once);
//! - `provided.al2023`, `provided.al2`, `provided` with `Code` a local
//!   folder: its executable `bootstrap`;
//! - `nodejs*` with `Code` a local folder that has
//!   `node_modules/.bin/aws-lambda-ric`: `aws-lambda-ric HANDLER` there.
//!
//! Anything else is not derivable, with the reason in one sentence.

use phalanx_gateway::model::Function;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A derived command and the folder it runs in.
#[derive(Debug, Clone)]
pub struct Derived {
    /// Run with `sh -c`.
    pub command: String,
    /// The code's folder (`LAMBDA_TASK_ROOT`).
    pub working_dir: PathBuf,
    /// Whether the code is the template's inline `ZipFile`, written to the
    /// server's temporary folder (so it changes with the template, and its
    /// folder is not watched), rather than a local folder.
    pub inline: bool,
}

/// What a [`Deriver`] hands on to the next one when the template is read
/// again (`phalanx serve --watch`).
#[derive(Default)]
pub struct Carried {
    /// The temporary folder of inline sources: the same folder serves every
    /// reading, so an unchanged inline function keeps its working folder.
    pub scratch: Option<tempfile::TempDir>,
    /// The interpreter found to import `awslambdaric` (a failed check is
    /// not carried: it is made again, in case it was fixed meanwhile).
    pub python: Option<String>,
}

/// Derives commands for the functions of one template.
pub struct Deriver {
    /// The template's folder: local `Code` paths are relative to it.
    template_dir: PathBuf,
    /// The template's `Resources`, as written (intrinsics unresolved).
    resources: serde_json::Map<String, Value>,
    /// `--python`.
    python_flag: Option<PathBuf>,
    /// The interpreter that imports `awslambdaric`, or why there is none
    /// (checked on first need).
    python: Option<Result<String, String>>,
    /// Where inline `ZipFile` sources are written; removed when dropped.
    scratch: Option<tempfile::TempDir>,
    /// The functions whose inline source replaced a different one already
    /// in `scratch`.
    rewritten: Vec<String>,
}

/// Single-quotes a word for `sh`.
fn quoted(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

impl Deriver {
    /// A deriver for the template at `template_path` (already parsed as
    /// `root`), with the `--python` flag's value and what an earlier
    /// deriver of the same server found.
    pub fn new(
        template_path: &Path,
        root: &Value,
        python_flag: Option<PathBuf>,
        carried: Carried,
    ) -> Deriver {
        let template_dir = match template_path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Deriver {
            template_dir,
            resources: root
                .get("Resources")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            python_flag,
            python: carried.python.map(Ok),
            scratch: carried.scratch,
            rewritten: Vec::new(),
        }
    }

    /// What the next deriver of this server starts from (the temporary
    /// folder of inline sources is removed when it is dropped), and the
    /// functions whose inline source changed since an earlier deriver
    /// wrote it.
    pub fn finish(self) -> (Carried, Vec<String>) {
        let carried = Carried {
            scratch: self.scratch,
            python: self.python.and_then(Result::ok),
        };
        (carried, self.rewritten)
    }

    /// The command for function `id`, or why none can be derived.
    pub fn derive(&mut self, id: &str, function: &Function) -> Result<Derived, String> {
        let runtime = function.runtime.as_deref().ok_or_else(|| {
            "it has no Runtime (a container image function cannot run locally)".to_string()
        })?;
        let code = self
            .resources
            .get(id)
            .and_then(|r| r.get("Properties"))
            .and_then(|p| p.get("Code"))
            .cloned();
        if runtime.starts_with("python3") {
            // A malformed `Handler` is reported before anything is written.
            python_handler(runtime, function.handler.as_deref())?;
            let (dir, inline) = match self.code(runtime, code.as_ref())? {
                Code::Dir(dir) => (dir, false),
                Code::Inline(source) => (self.write_inline(id, &source)?, true),
            };
            let python = self.python()?;
            Ok(Derived {
                command: format!(
                    "{} -m awslambdaric {}",
                    quoted(&python),
                    quoted(function.handler.as_deref().unwrap_or_default())
                ),
                working_dir: dir,
                inline,
            })
        } else if matches!(runtime, "provided.al2023" | "provided.al2" | "provided") {
            let Code::Dir(dir) = self.code(runtime, code.as_ref())? else {
                return Err(format!(
                    "Runtime {runtime}: an inline ZipFile has no bootstrap; give Code as a local folder with an executable bootstrap"
                ));
            };
            let bootstrap = dir.join("bootstrap");
            if !is_executable(&bootstrap) {
                return Err(format!(
                    "Runtime {runtime}: no executable bootstrap in {}",
                    dir.display()
                ));
            }
            Ok(Derived {
                command: "./bootstrap".to_string(),
                working_dir: dir,
                inline: false,
            })
        } else if runtime.starts_with("nodejs") {
            let Code::Dir(dir) = self.code(runtime, code.as_ref())? else {
                return Err(format!(
                    "Runtime {runtime}: an inline ZipFile has no aws-lambda-ric; give Code as a local folder with node_modules/.bin/aws-lambda-ric (npm install aws-lambda-ric)"
                ));
            };
            let ric = dir.join("node_modules/.bin/aws-lambda-ric");
            if !is_executable(&ric) {
                return Err(format!(
                    "Runtime {runtime}: aws-lambda-ric not found in {}: npm install aws-lambda-ric there",
                    dir.display()
                ));
            }
            let handler = function
                .handler
                .as_deref()
                .filter(|h| !h.is_empty())
                .ok_or_else(|| format!("Runtime {runtime}: it has no Handler"))?;
            Ok(Derived {
                command: format!("./node_modules/.bin/aws-lambda-ric {}", quoted(handler)),
                working_dir: dir,
                inline: false,
            })
        } else {
            Err(format!(
                "Runtime {runtime}: no local runtime interface client is known for it"
            ))
        }
    }

    /// The function's `Code`: inline source or a local folder.
    fn code(&self, runtime: &str, code: Option<&Value>) -> Result<Code, String> {
        match code {
            None => Err(format!("Runtime {runtime}: it has no Code")),
            Some(Value::String(path)) => {
                let dir = self.template_dir.join(path);
                if !dir.is_dir() {
                    return Err(format!(
                        "Runtime {runtime}: Code {path:?} is not a folder: {} does not exist or is a file (zip files are not unpacked)",
                        dir.display()
                    ));
                }
                Ok(Code::Dir(std::fs::canonicalize(&dir).unwrap_or(dir)))
            }
            Some(Value::Object(fields)) => match fields.get("ZipFile") {
                Some(source) => inline_source(source).map(Code::Inline).ok_or_else(|| {
                    format!("Runtime {runtime}: Code.ZipFile is not a plain string (nor an Fn::Join of strings)")
                }),
                None if fields.contains_key("ImageUri") => Err(format!(
                    "Runtime {runtime}: Code.ImageUri is a container image, which does not run locally"
                )),
                None if fields.contains_key("S3Bucket") => Err(format!(
                    "Runtime {runtime}: Code is in S3 (S3Bucket/S3Key), not local; give Code as a local folder or ZipFile"
                )),
                None => Err(format!(
                    "Runtime {runtime}: Code is neither a local folder nor a ZipFile"
                )),
            },
            Some(_) => Err(format!(
                "Runtime {runtime}: Code is neither a local folder nor a ZipFile"
            )),
        }
    }

    /// Writes an inline source to `SCRATCH/ID/index.py`. CloudFormation
    /// "places it in a file named index and zips it" (AWS::Lambda::Function
    /// Code, `ZipFile`), so a handler must say `index.function`; any other
    /// module fails to import, locally as in AWS (`Runtime.ImportModuleError`).
    fn write_inline(&mut self, id: &str, source: &str) -> Result<PathBuf, String> {
        if self.scratch.is_none() {
            let dir = tempfile::Builder::new()
                .prefix("phalanx-serve-")
                .tempdir()
                .map_err(|e| {
                    format!("cannot create a temporary directory for ZipFile code: {e}")
                })?;
            self.scratch = Some(dir);
        }
        let base = self
            .scratch
            .as_ref()
            .map(|d| d.path().to_path_buf())
            .unwrap_or_default();
        let dir = base.join(id);
        let file = dir.join("index.py");
        // Written again when the template is (`serve --watch`): left alone
        // when unchanged, and a change noted so its processes restart.
        match std::fs::read_to_string(&file) {
            Ok(old) if old == source => return Ok(dir),
            Ok(_) => self.rewritten.push(id.to_string()),
            Err(_) => {}
        }
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&file, source))
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        Ok(dir)
    }

    /// The interpreter that imports `awslambdaric` (checked once).
    fn python(&mut self) -> Result<String, String> {
        if self.python.is_none() {
            self.python = Some(check_python(self.python_flag.as_deref()));
        }
        self.python.clone().unwrap_or_else(|| Err(String::new()))
    }
}

/// A function's local code.
enum Code {
    Inline(String),
    Dir(PathBuf),
}

/// A `ZipFile`: a string, or `Fn::Join` of strings.
fn inline_source(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) if o.len() == 1 => {
            let args = o.get("Fn::Join")?.as_array()?;
            let [sep, parts] = args.as_slice() else {
                return None;
            };
            let parts: Option<Vec<&str>> = parts.as_array()?.iter().map(Value::as_str).collect();
            Some(parts?.join(sep.as_str()?))
        }
        _ => None,
    }
}

/// Checks `Handler: module.function` for Python; the module and the
/// function.
fn python_handler<'a>(
    runtime: &str,
    handler: Option<&'a str>,
) -> Result<(&'a str, &'a str), String> {
    let handler = handler
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("Runtime {runtime}: it has no Handler"))?;
    handler
        .rsplit_once('.')
        .filter(|(module, function)| {
            !module.is_empty()
                && !function.is_empty()
                && module
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '/' || c == '.')
        })
        .filter(|(module, _)| !module.contains("..") && !module.starts_with('/'))
        .ok_or_else(|| format!("Runtime {runtime}: Handler {handler:?} is not MODULE.FUNCTION"))
}

/// The Python of `--python`, else `PHALANX_PYTHON`, else `python3` on
/// `PATH`, if it can import `awslambdaric`.
fn check_python(flag: Option<&Path>) -> Result<String, String> {
    let chosen = match flag {
        Some(path) => path.to_path_buf(),
        None => match std::env::var_os("PHALANX_PYTHON").filter(|v| !v.is_empty()) {
            Some(path) => PathBuf::from(path),
            None => std::env::var_os("PATH")
                .iter()
                .flat_map(std::env::split_paths)
                .map(|dir| dir.join("python3"))
                .find(|p| is_executable(p))
                .ok_or_else(|| {
                    "no python3 on PATH (give --python PATH or set PHALANX_PYTHON)".to_string()
                })?,
        },
    };
    // Functions run in their code's folder: a relative interpreter path
    // must not depend on it.
    let chosen = if chosen.components().count() > 1 {
        std::path::absolute(&chosen).unwrap_or(chosen)
    } else {
        chosen
    };
    let shown = chosen.display().to_string();
    let status = Command::new(&chosen)
        .args(["-c", "import awslambdaric"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| {
            format!("cannot run {shown}: {e} (give --python PATH or set PHALANX_PYTHON)")
        })?;
    if status.success() {
        Ok(shown)
    } else {
        Err(format!(
            "awslambdaric is not importable by {shown}: pip install awslambdaric"
        ))
    }
}
