//! The project's own data-driven fixtures: `tests/fixtures/<group>/<name>/`,
//! run with `insta::glob!` over every `template.vm`.
//!
//! Each fixture directory holds
//!
//! - `template.vm` — the template;
//! - `context.json` (optional) — a JSON object whose members become variables;
//! - `dialect` (optional) — `velocity` (the default) or `apigateway`;
//! - exactly one of
//!   - `expected.txt` — the exact output, byte for byte, or
//!   - `expected_error.snap` — an insta snapshot of the whole error message
//!     as `Display` prints it: `template.vm:LINE:COL: message`, the source
//!     line and a caret.
//!
//! For the velocity dialect, `expected.txt` is what Apache Velocity 1.7
//! renders (`tools/velocity-java/render.sh`), never our own output: it is
//! compared as it is, not kept as a snapshot; see `tests/fixtures/README.md`
//! and `scripts/fixtures-from-velocity.sh`.
//!
//! Every fixture runs; all failures are reported together, each with a line
//! diff (snapshot failures with insta's diff). `PHALANX_FIXTURES=substring`
//! runs only the fixtures whose `group/name` contains the substring. A
//! missing or different snapshot fails the test; `INSTA_UPDATE=no` (as
//! `scripts/test.sh` and CI set) writes nothing, otherwise insta leaves an
//! `expected_error.snap.new` beside it to review (`cargo insta review`).

use phalanx_vtl::{Context, Dialect, Engine};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const FILES: &[&str] = &[
    "template.vm",
    "context.json",
    "dialect",
    "expected.txt",
    "expected_error.snap",
];

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every directory that holds a `template.vm`, sorted, as `group/name`.
/// Directories that hold files but no template are reported as problems.
fn find_fixtures(root: &Path, dir: &Path, found: &mut Vec<PathBuf>, problems: &mut Vec<String>) {
    let mut entries: Vec<_> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(e) => {
            problems.push(format!("{}: cannot read: {e}", dir.display()));
            return;
        }
    };
    entries.sort();
    let has_template = entries
        .iter()
        .any(|p| p.file_name().is_some_and(|n| n == "template.vm"));
    if has_template {
        found.push(dir.to_path_buf());
        for p in &entries {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.ends_with(".snap.new") {
                problems.push(format!(
                    "{}: a pending snapshot {name:?}: review it (`cargo insta review`, or read it and rename it to expected_error.snap) or delete it",
                    relative(root, dir)
                ));
            } else if !FILES.contains(&name) {
                problems.push(format!(
                    "{}: unexpected file {name:?} (a fixture holds only {FILES:?})",
                    relative(root, dir)
                ));
            }
        }
        return;
    }
    for p in entries {
        if p.is_dir() {
            find_fixtures(root, &p, found, problems);
        } else if dir != root && p.file_name().is_some_and(|n| n != "README.md") {
            problems.push(format!(
                "{}: a file outside any fixture (the directory has no template.vm)",
                relative(root, &p)
            ));
        }
    }
}

fn relative(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

fn read(path: &Path) -> Result<Option<String>, String> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Runs one fixture; `Err` holds the failure report. An error fixture's
/// snapshot is asserted here: insta's `glob!` counts a failed snapshot and
/// fails the test after the last fixture.
fn run_fixture(dir: &Path, id: &str) -> Result<(), String> {
    let source = read(&dir.join("template.vm"))?.unwrap_or_default();
    let dialect = match read(&dir.join("dialect"))?.as_deref().map(str::trim) {
        None | Some("velocity") => Dialect::Velocity,
        Some("apigateway") => Dialect::ApiGateway,
        Some(other) => {
            return Err(format!(
                "`dialect` says {other:?}; expected `velocity` or `apigateway`"
            ));
        }
    };
    let mut ctx = match read(&dir.join("context.json"))? {
        None => Context::new(),
        Some(text) => {
            let json: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("context.json: {e}"))?;
            Context::from_json(&json).map_err(|e| format!("context.json: {e}"))?
        }
    };
    let expected = read(&dir.join("expected.txt"))?;
    let has_snapshot = dir.join("expected_error.snap").is_file();

    let name = "template.vm";
    let result = Engine::new(dialect)
        .compile(name, &source)
        .and_then(|t| t.render(&mut ctx));

    match (expected, has_snapshot, result) {
        (Some(_), true, _) => {
            Err("holds both expected.txt and expected_error.snap; keep one".into())
        }
        (Some(want), false, Ok(got)) if want == got => Ok(()),
        (Some(want), false, Ok(got)) => Err(format!(
            "output differs (- expected, + actual):\n{}",
            line_diff(&want, &got)
        )),
        (Some(_), false, Err(e)) => Err(format!("expected output, but the render failed:\n{e}")),
        (None, true, Ok(got)) => Err(format!(
            "expected the error in expected_error.snap, but it rendered:\n{}",
            show_lines(&got)
        )),
        (None, false, Ok(got)) => Err(format!(
            "no expected.txt (velocity dialect: scripts/fixtures-from-velocity.sh writes it); it rendered:\n{}",
            show_lines(&got)
        )),
        // An error, with or without its snapshot yet: a missing snapshot
        // fails like a different one (and is left as `.snap.new` to review
        // unless INSTA_UPDATE=no).
        (None, _, Err(e)) => {
            let shown = e.to_string();
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_path(dir);
            settings.set_prepend_module_to_snapshot(false);
            settings.remove_snapshot_suffix();
            settings.set_omit_expression(true);
            settings.bind(|| insta::assert_snapshot!("expected_error", shown));
            match e.location() {
                None => Err(format!("the error names no line:col:\n{shown}")),
                Some(loc) => {
                    let prefix = format!("{name}:{}:{}: ", loc.line, loc.column);
                    if shown.starts_with(&prefix) {
                        Ok(())
                    } else {
                        Err(format!(
                            "the error does not start with {prefix:?}:\n{shown}"
                        ))
                    }
                }
            }
        }
    }
    .map_err(|why| format!("--- {id}\n{why}"))
}

/// Lines shown with their whitespace visible (`{:?}` of each line, so a
/// trailing blank or a missing final newline can be seen).
fn show_lines(s: &str) -> String {
    s.split_inclusive('\n')
        .map(|l| format!("  {l:?}\n"))
        .collect()
}

/// A line diff (longest common subsequence; fixtures are small) of two
/// texts: ` ` common, `-` only expected, `+` only actual. Lines are shown
/// with `{:?}` so whitespace differences are visible.
fn line_diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.split_inclusive('\n').collect();
    let b: Vec<&str> = actual.split_inclusive('\n').collect();
    // lcs[i][j]: the LCS length of a[i..] and b[j..].
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            let _ = writeln!(out, "  {:?}", a[i]);
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            let _ = writeln!(out, "- {:?}", a[i]);
            i += 1;
        } else {
            let _ = writeln!(out, "+ {:?}", b[j]);
            j += 1;
        }
    }
    out
}

#[test]
fn fixtures() {
    let root = fixtures_dir();
    let (mut dirs, mut problems) = (Vec::new(), Vec::new());
    find_fixtures(&root, &root, &mut dirs, &mut problems);
    assert!(
        !dirs.is_empty(),
        "no fixtures found under {}: each fixture is a directory with a template.vm",
        root.display()
    );
    // Shown now too, in case a failed snapshot ends the test early.
    for p in &problems {
        eprintln!("--- {p}\n");
    }
    let filter = std::env::var("PHALANX_FIXTURES").ok();
    let mut ran = 0;
    let mut failures = Vec::new();
    insta::glob!("fixtures", "**/template.vm", |template| {
        let dir = template.parent().unwrap_or(&root);
        let id = relative(&root, dir);
        if filter.as_deref().is_some_and(|f| !id.contains(f)) {
            return;
        }
        ran += 1;
        if let Err(report) = run_fixture(dir, &id) {
            // Shown now too: a failed snapshot makes `glob!` panic after
            // the last fixture, before the summary below.
            eprintln!("{report}\n");
            failures.push(report);
        }
    });
    println!(
        "{ran} of {} fixtures run, {} failed",
        dirs.len(),
        failures.len()
    );
    failures.extend(problems.into_iter().map(|p| format!("--- {p}")));
    assert!(
        failures.is_empty(),
        "{} fixture problem(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(ran > 0, "PHALANX_FIXTURES={filter:?} matched no fixture");
}

#[test]
fn line_diff_marks_changed_lines() {
    let d = line_diff("a\nb\nc\n", "a\nB\nc\n");
    assert_eq!(d, "  \"a\\n\"\n- \"b\\n\"\n+ \"B\\n\"\n  \"c\\n\"\n");
    // A missing final newline shows.
    assert_eq!(line_diff("x\n", "x"), "- \"x\\n\"\n+ \"x\"\n");
}
