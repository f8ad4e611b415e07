//! Which executable becomes `bootstrap`.
//!
//! 1. `--binary FILE`, when given: a build of the service made elsewhere
//!    (e.g. `cargo zigbuild` for an older glibc).
//! 2. The running executable, when it already fits Lambda: a release build
//!    for the wanted architecture that needs no newer glibc than Lambda's.
//!    `cargo run --release --example echo -- provision …` deploys what
//!    runs, as Sparta deploys the binary that runs `provision`.
//! 3. Otherwise a release build of the same cargo target for the wanted
//!    architecture (`cargo zigbuild --target TRIPLE.2.34` when
//!    cargo-zigbuild is installed, else `cargo build --target TRIPLE`).
//!
//! A debug build is refused with the command that makes a release one
//! (it is several times larger and slower), unless the caller allows it.

use crate::Error;
use crate::elf;
use crate::package::{Arch, BuildOptions};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The executable chosen, read once: its bytes and what its ELF headers
/// say, and how it was chosen, for the user.
#[derive(Debug)]
pub struct BinarySource {
    /// Its path.
    pub path: PathBuf,
    /// e.g. "the running executable (release build)".
    pub description: String,
    /// Its bytes.
    pub data: Vec<u8>,
    /// What its headers say.
    pub executable: elf::Executable,
}

impl BinarySource {
    /// Reads and inspects the executable at `path`.
    fn load(path: PathBuf, description: String) -> Result<BinarySource, Error> {
        let data = std::fs::read(&path)
            .map_err(|e| Error::new(format!("cannot read {}: {e}", path.display())))?;
        let executable = elf::inspect(&data, &path.display().to_string())?;
        Ok(BinarySource {
            path,
            description,
            data,
            executable,
        })
    }
}

/// A cargo build target: `--bin NAME` or `--example NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CargoTarget {
    /// `bin` or `example`.
    kind: &'static str,
    name: String,
}

impl CargoTarget {
    /// The target an executable in a cargo target directory was built
    /// from: `…/examples/NAME` is an example, anything else a binary.
    pub(crate) fn of(executable: &Path) -> Option<CargoTarget> {
        let name = executable.file_name()?.to_str()?.to_string();
        let parent = executable.parent()?.file_name()?.to_str()?;
        // `deps/` holds test binaries and hashed copies: not a target.
        if parent == "deps" {
            return None;
        }
        let kind = if parent == "examples" {
            "example"
        } else {
            "bin"
        };
        Some(CargoTarget { kind, name })
    }

    fn args(&self) -> [String; 2] {
        [format!("--{}", self.kind), self.name.clone()]
    }

    /// `cargo run --release --example echo -- COMMAND`.
    pub(crate) fn run_command(&self, command: &str) -> String {
        format!(
            "cargo run --release --{} {} -- {command}",
            self.kind, self.name
        )
    }
}

/// How to run `command` (e.g. `delete --stack-name echo`) of the running
/// service binary, for messages: `cargo run --release --example echo --
/// delete …` when cargo built it, else the executable's name.
pub fn command_line(command: &str) -> String {
    let running = std::env::current_exe().ok();
    match running.as_deref().and_then(CargoTarget::of) {
        Some(target) if running.as_deref().and_then(target_dir_of).is_some() => {
            target.run_command(command)
        }
        _ => {
            let name = running.as_deref().and_then(|p| p.file_name()).map_or_else(
                || "SERVICE".to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            format!("{name} {command}")
        }
    }
}

/// The cargo target directory `executable` was built into
/// (`T/release/x`, `T/debug/examples/x`, `T/TRIPLE/release/x` → `T`).
pub fn target_dir_of(executable: &Path) -> Option<PathBuf> {
    executable
        .ancestors()
        .skip(1)
        .find(|dir| {
            matches!(
                dir.file_name().and_then(|n| n.to_str()),
                Some("release" | "debug")
            )
        })
        .and_then(Path::parent)
        .map(|dir| {
            // `T/TRIPLE/release` → `T`.
            let is_triple = dir
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains("-linux-") || n.contains("-unknown-"));
            if is_triple {
                dir.parent().unwrap_or(dir).to_path_buf()
            } else {
                dir.to_path_buf()
            }
        })
}

/// Chooses (or builds) the executable to package.
pub(crate) fn locate(options: &BuildOptions) -> Result<BinarySource, Error> {
    if let Some(path) = &options.binary {
        if !path.is_file() {
            return Err(Error::new(format!(
                "--binary {}: no such file",
                path.display()
            )));
        }
        return BinarySource::load(path.clone(), format!("{} (--binary)", path.display()));
    }
    let running = std::env::current_exe()
        .map_err(|e| Error::new(format!("cannot find the running executable: {e}")))?;
    let target = CargoTarget::of(&running);
    if options.running_is_debug && !options.allow_debug_build {
        let fix = target.as_ref().map_or_else(
            || "build it with `cargo build --release` and run that".to_string(),
            |t| format!("run `{}`", t.run_command("build")),
        );
        return Err(Error::new(format!(
            "this is a debug build: Lambda would run an unoptimised binary several times larger and slower.\n\
             fix: {fix} (the same for provision), or pass --allow-debug-build to deploy it anyway"
        )));
    }
    let profile = if options.running_is_debug {
        "debug build, --allow-debug-build"
    } else {
        "release build"
    };
    let reason = match BinarySource::load(
        running.clone(),
        format!("the running executable ({profile})"),
    ) {
        Ok(source) if source.executable.arch != options.arch => {
            format!("it is built for {}", source.executable.arch)
        }
        Ok(source) => match source.executable.glibc_beyond_lambda() {
            None => return Ok(source),
            Some((version, _)) => {
                format!("it needs glibc {version}, Lambda has {}", elf::LAMBDA_GLIBC)
            }
        },
        Err(e) => e.to_string(),
    };
    let Some(target) = target else {
        return Err(Error::new(format!(
            "the running executable ({}) cannot run in Lambda ({reason}), and it was not built by cargo, so it cannot be rebuilt: pass --binary FILE",
            running.display()
        )));
    };
    cargo_build(&target, options.arch, &running, &reason)
}

/// Whether `cargo zigbuild` is installed.
fn has_zigbuild() -> bool {
    Command::new("cargo-zigbuild")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A release build of `target` for `arch`, into the same target directory.
fn cargo_build(
    target: &CargoTarget,
    arch: Arch,
    running: &Path,
    reason: &str,
) -> Result<BinarySource, Error> {
    let triple = arch.rust_target();
    let target_dir = target_dir_of(running).unwrap_or_else(|| PathBuf::from("target"));
    let zig = has_zigbuild();
    let (subcommand, target_arg) = if zig {
        ("zigbuild", format!("{triple}.{}", elf::LAMBDA_GLIBC))
    } else {
        ("build", triple.to_string())
    };
    eprintln!(
        "The running executable does not fit Lambda ({reason}): building {} {} for {triple} with `cargo {subcommand}`",
        target.kind, target.name
    );
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .arg(subcommand)
        .arg("--release")
        .args(["--target", &target_arg])
        .args(target.args())
        .arg("--target-dir")
        .arg(&target_dir);
    let status = command.status().map_err(|e| {
        Error::new(format!(
            "cannot run cargo ({e}): build the service for {triple} yourself and pass --binary FILE"
        ))
    })?;
    if !status.success() {
        let installed = rustup_has_target(triple);
        let mut fix = String::new();
        if installed == Some(false) {
            fix.push_str(&format!("\n  rustup target add {triple}"));
        }
        if !zig {
            fix.push_str(&format!(
                "\n  pip install ziglang && cargo install cargo-zigbuild   (links for {triple} with glibc {} from any machine)",
                elf::LAMBDA_GLIBC
            ));
        }
        return Err(Error::new(format!(
            "`cargo {subcommand} --release --target {target_arg} --{} {}` failed.{}",
            target.kind,
            target.name,
            if fix.is_empty() {
                String::new()
            } else {
                format!("\nfix:{fix}")
            }
        )));
    }
    let mut path = target_dir.join(triple).join("release");
    if target.kind == "example" {
        path.push("examples");
    }
    path.push(&target.name);
    let description = format!(
        "{} (cargo {subcommand} --release --target {target_arg})",
        path.display()
    );
    BinarySource::load(path, description)
}

/// Whether rustup lists `triple` as installed (`None`: no rustup).
fn rustup_has_target(triple: &str) -> Option<bool> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .ok()?;
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.trim() == triple),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_targets_come_from_the_executables_place() {
        let example = CargoTarget::of(Path::new("/w/target/release/examples/echo")).unwrap();
        assert_eq!(
            example.run_command("provision"),
            "cargo run --release --example echo -- provision"
        );
        let bin = CargoTarget::of(Path::new("/w/target/debug/shop")).unwrap();
        assert_eq!(bin.args(), ["--bin".to_string(), "shop".to_string()]);
        assert_eq!(
            CargoTarget::of(Path::new("/w/target/debug/deps/shop-1a2b")),
            None
        );
    }

    #[test]
    fn target_dirs_are_found_above_the_profile() {
        assert_eq!(
            target_dir_of(Path::new("/w/target/release/examples/echo")),
            Some(PathBuf::from("/w/target"))
        );
        assert_eq!(
            target_dir_of(Path::new("/w/target/x86_64-unknown-linux-gnu/release/shop")),
            Some(PathBuf::from("/w/target"))
        );
        assert_eq!(target_dir_of(Path::new("/usr/bin/shop")), None);
    }
}
