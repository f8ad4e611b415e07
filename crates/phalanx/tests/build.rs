//! `build`: the Lambda package of a service binary — layout, mode,
//! reproducibility, and the checks that keep a binary Lambda cannot run
//! out of it (a debug build, a newer glibc, another architecture). The
//! expectations name x86_64, the machine CI runs on.
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output};

fn build(args: &[&str]) -> Output {
    let mut all = vec!["build"];
    all.extend_from_slice(args);
    common::run_example("echo", &all, |_| {})
}

fn stderr(output: &Output) -> String {
    common::text(&output.stderr)
}

#[test]
fn a_debug_build_is_refused_with_the_release_command() {
    let out = build(&[]);
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(text.contains("this is a debug build"), "{text}");
    assert!(
        text.contains("cargo run --release --example echo -- build"),
        "{text}"
    );
}

#[test]
fn the_zip_holds_one_stripped_executable_bootstrap_and_is_reproducible() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for dir in [&a, &b] {
        let out = build(&["--allow-debug-build", "--out", dir.path().to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(text.contains("bootstrap-x86_64.zip"), "{text}");
        assert!(text.contains(" MB, x86_64)"), "{text}");
    }
    let first = std::fs::read(a.path().join("bootstrap-x86_64.zip")).unwrap();
    let second = std::fs::read(b.path().join("bootstrap-x86_64.zip")).unwrap();
    assert!(first == second, "two builds of the same binary differ");

    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(first)).unwrap();
    assert_eq!(archive.len(), 1);
    let mut entry = archive.by_index(0).unwrap();
    assert_eq!(entry.name().unwrap(), "bootstrap");
    assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o755));
    let mut bootstrap = Vec::new();
    entry.read_to_end(&mut bootstrap).unwrap();
    drop(entry);
    // Stripped: much smaller than the debug executable it came from, and
    // it still runs.
    let original = std::fs::metadata(common::example_binary("echo"))
        .unwrap()
        .len();
    assert!((bootstrap.len() as u64) < original / 2);
    let unpacked = a.path().join("bootstrap");
    std::fs::write(&unpacked, &bootstrap).unwrap();
    std::fs::set_permissions(
        &unpacked,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let help = Command::new(&unpacked).arg("--help").output().unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("provision"));
}

/// A C program that calls `arc4random`, which glibc has versioned
/// `GLIBC_2.36` since it added it (glibc 2.36 NEWS): newer than Lambda's
/// 2.34, so a binary that needs it cannot start on `provided.al2023`.
fn binary_needing_glibc_2_36(dir: &Path) -> std::path::PathBuf {
    let source = dir.join("new.c");
    std::fs::write(
        &source,
        "#include <stdlib.h>\nint main(void) { return (int)(arc4random() & 1); }\n",
    )
    .unwrap();
    let binary = dir.join("new");
    let cc = Command::new("cc")
        .arg(&source)
        .arg("-o")
        .arg(&binary)
        .output()
        .expect("cc runs (rustc links with it, so it is there)");
    assert!(
        cc.status.success(),
        "this test needs a glibc of at least 2.36 to build its probe: {}",
        String::from_utf8_lossy(&cc.stderr)
    );
    binary
}

#[test]
fn a_binary_needing_a_newer_glibc_is_refused_with_the_zigbuild_fix() {
    let dir = tempfile::tempdir().unwrap();
    let binary = binary_needing_glibc_2_36(dir.path());
    let out = build(&[
        "--binary",
        binary.to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(text.contains("needs glibc 2.36"), "{text}");
    assert!(text.contains("arc4random@GLIBC_2.36"), "{text}");
    assert!(text.contains("glibc 2.34"), "{text}");
    assert!(
        text.contains("cargo zigbuild --release --target x86_64-unknown-linux-gnu.2.34"),
        "{text}"
    );
    assert!(!dir.path().join("bootstrap-x86_64.zip").exists());
}

#[test]
fn a_binary_of_another_architecture_or_not_an_executable_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let echo = common::example_binary("echo");
    let out = build(&["--arch", "arm64", "--binary", echo.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(text.contains("is built for x86_64, not arm64"), "{text}");

    let script = dir.path().join("bootstrap.sh");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    let out = build(&["--binary", script.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("is not an executable"),
        "{}",
        stderr(&out)
    );
}
