//! What Lambda needs of the executable, read from its ELF headers: the
//! machine (x86_64 or arm64), the newest glibc symbol version it asks for
//! (Amazon Linux 2023 has glibc 2.34), and a copy without symbols and
//! debug information (what `strip` does), so the zip carries only code.

use crate::Error;
use crate::package::Arch;
use object::elf;
use object::read::elf::{ElfFile64, FileHeader, SectionHeader};
use object::{Endianness, FileKind};

/// The glibc of Lambda's `provided.al2023` runtime (Amazon Linux 2023).
/// Source: the AWS Lambda developer guide, "Lambda runtimes" — "Amazon
/// Linux 2023 … glibc 2.34".
pub const LAMBDA_GLIBC: GlibcVersion = GlibcVersion(2, 34);

/// A glibc symbol version, `GLIBC_2.34` → `GlibcVersion(2, 34)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct GlibcVersion(pub u32, pub u32);

impl std::fmt::Display for GlibcVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

impl GlibcVersion {
    /// `GLIBC_2.34` (or `GLIBC_2.2.5`: the third part is ignored) → 2.34.
    fn parse(name: &str) -> Option<GlibcVersion> {
        let mut parts = name.strip_prefix("GLIBC_")?.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().map_or(Some(0), |m| m.parse().ok())?;
        Some(GlibcVersion(major, minor))
    }
}

/// What the ELF headers say about an executable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executable {
    /// The machine it runs on.
    pub arch: Arch,
    /// The newest `GLIBC_x.y` version it needs, with one symbol that asks
    /// for it; `None` for a static binary or one that needs no versioned
    /// glibc symbol.
    pub newest_glibc: Option<(GlibcVersion, String)>,
    /// Whether it carries a symbol table or debug sections a strip removes.
    pub has_symbols: bool,
}

impl Executable {
    /// The glibc version it needs beyond Lambda's, with a symbol that
    /// needs it; `None` when it runs on Lambda's glibc.
    pub fn glibc_beyond_lambda(&self) -> Option<&(GlibcVersion, String)> {
        self.newest_glibc
            .as_ref()
            .filter(|(version, _)| *version > LAMBDA_GLIBC)
    }
}

/// Reads `data` (an executable's bytes); `what` names it in errors.
pub fn inspect(data: &[u8], what: &str) -> Result<Executable, Error> {
    match FileKind::parse(data) {
        Ok(FileKind::Elf64) => {}
        Ok(kind) => {
            return Err(Error::new(format!(
                "{what} is not a 64-bit Linux executable (it is {kind:?}): Lambda runs Linux ELF binaries"
            )));
        }
        Err(_) => {
            return Err(Error::new(format!(
                "{what} is not an executable this can read (not ELF): Lambda runs Linux ELF binaries"
            )));
        }
    }
    let file = ElfFile64::<Endianness>::parse(data)
        .map_err(|e| Error::new(format!("{what}: cannot read its ELF headers: {e}")))?;
    let header = file.elf_header();
    let endian = file.endian();
    let arch = match header.e_machine(endian) {
        elf::EM_X86_64 => Arch::X86_64,
        elf::EM_AARCH64 => Arch::Arm64,
        other => {
            return Err(Error::new(format!(
                "{what} is built for ELF machine {other}, which Lambda does not run: build for x86_64 or arm64 (aarch64)"
            )));
        }
    };
    let sections = header
        .sections(endian, data)
        .map_err(|e| Error::new(format!("{what}: cannot read its section table: {e}")))?;
    let has_symbols = sections.iter().any(|s| {
        let kind = s.sh_type(endian);
        let name = sections.section_name(endian, s).unwrap_or_default();
        kind == elf::SHT_SYMTAB || name.starts_with(b".debug_")
    });
    let newest_glibc = newest_glibc(&sections, endian, data)
        .map_err(|e| Error::new(format!("{what}: cannot read its symbol versions: {e}")))?;
    Ok(Executable {
        arch,
        newest_glibc,
        has_symbols,
    })
}

/// The newest `GLIBC_*` version in the version-needs table, and the name
/// of a dynamic symbol bound to it (for the error message).
fn newest_glibc(
    sections: &object::read::elf::SectionTable<'_, elf::FileHeader64<Endianness>>,
    endian: Endianness,
    data: &[u8],
) -> object::read::Result<Option<(GlibcVersion, String)>> {
    let Some((mut needs, strings_index)) = sections.gnu_verneed(endian, data)? else {
        return Ok(None);
    };
    let strings = sections.strings(endian, data, strings_index)?;
    // version index (vna_other) → version
    let mut newest: Option<(GlibcVersion, u16)> = None;
    while let Some((need, mut aux)) = needs.next()? {
        let file = need.file(endian, strings)?;
        if !file.starts_with(b"libc.so") {
            continue;
        }
        while let Some(entry) = aux.next()? {
            let name = String::from_utf8_lossy(entry.name(endian, strings)?);
            if let Some(version) = GlibcVersion::parse(&name)
                && newest.is_none_or(|(v, _)| version > v)
            {
                newest = Some((version, entry.vna_other.get(endian)));
            }
        }
    }
    let Some((version, index)) = newest else {
        return Ok(None);
    };
    // A symbol that needs it: the dynamic symbol whose version index is
    // `index` (the low 15 bits of its .gnu.version entry).
    let mut symbol = String::from("?");
    if let Some(versions) = sections.versions(endian, data)?
        && let Ok(symbols) = sections.symbols(endian, data, elf::SHT_DYNSYM)
    {
        for (i, sym) in symbols.iter().enumerate() {
            let v = versions.version_index(endian, object::SymbolIndex(i));
            if v.index() == index {
                symbol = String::from_utf8_lossy(symbols.symbol_name(endian, sym)?).into_owned();
                break;
            }
        }
    }
    Ok(Some((version, symbol)))
}

/// Refuses an executable that needs a newer glibc than Lambda's, with the
/// command that builds one that does not.
pub fn check_glibc(exe: &Executable, what: &str) -> Result<(), Error> {
    match exe.glibc_beyond_lambda() {
        Some((version, symbol)) => Err(Error::new(format!(
            "{what} needs glibc {version} (symbol `{symbol}@GLIBC_{version}`), but Lambda's provided.al2023 runtime has glibc {LAMBDA_GLIBC}: it would fail to start there.\n\
             fix: build against glibc {LAMBDA_GLIBC} with zig as the linker:\n  \
             pip install ziglang && cargo install cargo-zigbuild\n  \
             cargo zigbuild --release --target {}.{LAMBDA_GLIBC}\n\
             then deploy that binary (`--binary target/{}/release/NAME`), or run `build` where cargo-zigbuild is installed and it does this for you",
            exe.arch.rust_target(),
            exe.arch.rust_target(),
        ))),
        None => Ok(()),
    }
}

/// A copy of the executable without its symbol table and debug sections
/// (what `strip` removes; the dynamic symbols it runs with stay).
pub fn strip(data: &[u8], what: &str) -> Result<Vec<u8>, Error> {
    let failed = |e: object::build::Error| Error::new(format!("{what}: cannot strip it: {e}"));
    let mut builder = object::build::elf::Builder::read(data).map_err(failed)?;
    for section in builder.sections.iter_mut() {
        let name = section.name.as_slice();
        if section.sh_type == elf::SHT_SYMTAB
            || section.sh_type == elf::SHT_STRTAB && name == b".strtab"
            || name.starts_with(b".debug_")
        {
            section.delete = true;
        }
    }
    for symbol in builder.symbols.iter_mut() {
        symbol.delete = true;
    }
    let mut out = Vec::with_capacity(data.len() / 2);
    builder.write(&mut out).map_err(failed)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_versions_compare_numerically() {
        assert_eq!(GlibcVersion::parse("GLIBC_2.2.5"), Some(GlibcVersion(2, 2)));
        assert!(GlibcVersion::parse("GLIBC_2.35").unwrap() > LAMBDA_GLIBC);
        assert!(GlibcVersion::parse("GLIBC_2.9").unwrap() < LAMBDA_GLIBC);
        assert_eq!(GlibcVersion::parse("GLIBC_PRIVATE"), None);
    }

    #[test]
    fn this_test_binary_is_read() {
        let exe = std::env::current_exe().unwrap();
        let data = std::fs::read(&exe).unwrap();
        let info = inspect(&data, "the test binary").unwrap();
        #[cfg(target_arch = "x86_64")]
        assert_eq!(info.arch, Arch::X86_64);
        #[cfg(target_arch = "aarch64")]
        assert_eq!(info.arch, Arch::Arm64);
        // A debug test binary carries symbols; stripped, it does not, and
        // its glibc needs are unchanged.
        assert!(info.has_symbols);
        let stripped = strip(&data, "the test binary").unwrap();
        assert!(stripped.len() < data.len());
        let after = inspect(&stripped, "the stripped test binary").unwrap();
        assert!(!after.has_symbols);
        assert_eq!(after.newest_glibc, info.newest_glibc);
    }

    #[test]
    fn not_an_executable_is_named() {
        let error = inspect(b"#!/bin/sh\necho hi\n", "bootstrap").unwrap_err();
        assert!(error.to_string().contains("bootstrap is not an executable"));
    }
}
