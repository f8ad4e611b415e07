//! `build`: the service's Lambda package — its executable named
//! `bootstrap`, stripped, alone in a zip with mode 0755 and a fixed
//! timestamp, so the same executable always gives the same bytes and the
//! zip's SHA-256 can be its S3 key (an upload is skipped when the key is
//! there, and a deploy of unchanged code changes nothing).

use crate::Error;
use crate::binary::{self, BinarySource};
use crate::elf;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A Lambda architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arch {
    /// `x86_64` (Lambda's default).
    X86_64,
    /// `arm64` (Graviton).
    Arm64,
}

impl Arch {
    /// The name Lambda's `Architectures` property uses.
    pub fn lambda_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }

    /// The Rust target that builds for it.
    pub fn rust_target(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-linux-gnu",
            Arch::Arm64 => "aarch64-unknown-linux-gnu",
        }
    }

    /// The architecture of the machine this runs on, when Lambda has it.
    pub fn host() -> Option<Arch> {
        match std::env::consts::ARCH {
            "x86_64" => Some(Arch::X86_64),
            "aarch64" => Some(Arch::Arm64),
            _ => None,
        }
    }
}

impl std::str::FromStr for Arch {
    type Err = Error;

    fn from_str(s: &str) -> Result<Arch, Error> {
        match s {
            "x86_64" | "amd64" => Ok(Arch::X86_64),
            "arm64" | "aarch64" => Ok(Arch::Arm64),
            _ => Err(Error::new(format!(
                "unknown architecture `{s}`: Lambda has x86_64 and arm64"
            ))),
        }
    }
}

impl std::fmt::Display for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.lambda_name())
    }
}

/// What `build` is asked for.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The service's name (the zip's folder).
    pub service: String,
    /// The architecture to build for.
    pub arch: Arch,
    /// A prebuilt executable to package instead of the running one.
    pub binary: Option<PathBuf>,
    /// Whether the running executable is a debug build (the caller knows:
    /// `cfg!(debug_assertions)` in the crate that calls this).
    pub running_is_debug: bool,
    /// Package a debug build rather than refuse it.
    pub allow_debug_build: bool,
    /// Where the zip goes (default: `TARGET_DIR/lambda/SERVICE`, or
    /// `lambda/SERVICE` when the target directory is unknown).
    pub out_dir: Option<PathBuf>,
}

/// A built Lambda package.
#[derive(Debug, Clone)]
pub struct Package {
    /// Where the zip was written.
    pub path: PathBuf,
    /// The zip's bytes.
    pub zip: Vec<u8>,
    /// The zip's SHA-256, in hex.
    pub sha256: String,
    /// The architecture of the executable inside.
    pub arch: Arch,
    /// Where the executable came from, for the user.
    pub source: String,
}

impl Package {
    /// The S3 key the zip is uploaded under: content-addressed, so an
    /// unchanged build is never uploaded twice.
    pub fn s3_key(&self, service: &str) -> String {
        format!("phalanx/{service}/{}.zip", self.sha256)
    }
}

/// Builds the package: finds or builds the executable (see
/// [`crate::binary`]), checks it against Lambda, strips it and zips it.
pub fn build(options: &BuildOptions) -> Result<Package, Error> {
    // Read and inspected once, while it was chosen.
    let BinarySource {
        path,
        description,
        data,
        executable: exe,
    } = binary::locate(options)?;
    let what = path.display().to_string();
    if exe.arch != options.arch {
        return Err(Error::new(format!(
            "{what} is built for {}, not {}: build for {} (`--target {}`)",
            exe.arch,
            options.arch,
            options.arch,
            options.arch.rust_target()
        )));
    }
    elf::check_glibc(&exe, &what)?;
    let stripped = if exe.has_symbols {
        elf::strip(&data, &what)?
    } else {
        data
    };
    let zip = zip_bootstrap(&stripped)?;
    let sha256 = hex(&Sha256::digest(&zip));
    let out_dir = options
        .out_dir
        .clone()
        .unwrap_or_else(|| default_out_dir(&path, &options.service));
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| Error::new(format!("cannot create {}: {e}", out_dir.display())))?;
    let zip_path = out_dir.join(format!("bootstrap-{}.zip", options.arch));
    std::fs::write(&zip_path, &zip)
        .map_err(|e| Error::new(format!("cannot write {}: {e}", zip_path.display())))?;
    Ok(Package {
        path: zip_path,
        zip,
        sha256,
        arch: options.arch,
        source: description,
    })
}

/// `TARGET/lambda/SERVICE` when the executable lives in a cargo target
/// directory, else `lambda/SERVICE`.
fn default_out_dir(executable: &Path, service: &str) -> PathBuf {
    binary::target_dir_of(executable)
        .unwrap_or_else(|| PathBuf::from("."))
        .join("lambda")
        .join(service)
}

/// A zip holding `bootstrap` (mode 0755) and nothing else, with the DOS
/// epoch as its time, so equal executables give equal zips.
pub fn zip_bootstrap(executable: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = std::io::Cursor::new(Vec::with_capacity(executable.len() / 2));
    let mut writer = zip::ZipWriter::new(&mut out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755)
        .last_modified_time(zip::DateTime::default());
    let failed = |e: zip::result::ZipError| Error::new(format!("cannot write the zip: {e}"));
    writer.start_file("bootstrap", options).map_err(failed)?;
    writer
        .write_all(executable)
        .map_err(|e| Error::new(format!("cannot write the zip: {e}")))?;
    writer.finish().map_err(failed)?;
    Ok(out.into_inner())
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A size for people: `12.3 MB`.
pub fn human_size(bytes: usize) -> String {
    #[allow(clippy::cast_precision_loss)] // sizes far below 2^52
    let b = bytes as f64;
    if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{bytes} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn the_zip_holds_bootstrap_executable_and_is_reproducible() {
        let exe = b"\x7fELF pretend executable".repeat(100);
        let first = zip_bootstrap(&exe).unwrap();
        let second = zip_bootstrap(&exe).unwrap();
        assert_eq!(first, second, "same input, same bytes");
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(first)).unwrap();
        assert_eq!(archive.len(), 1);
        let mut entry = archive.by_index(0).unwrap();
        assert_eq!(entry.name().unwrap(), "bootstrap");
        assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o755));
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        assert_eq!(content, exe);
    }

    #[test]
    fn architectures_parse_by_either_name() {
        assert_eq!("arm64".parse::<Arch>().unwrap(), Arch::Arm64);
        assert_eq!("aarch64".parse::<Arch>().unwrap(), Arch::Arm64);
        assert_eq!("x86_64".parse::<Arch>().unwrap(), Arch::X86_64);
        let error = "riscv".parse::<Arch>().unwrap_err().to_string();
        assert!(error.contains("x86_64 and arm64"), "{error}");
    }
}
