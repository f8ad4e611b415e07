//! The reference engine: Apache Velocity 1.7 behind `tools/velocity-java`'s
//! batch mode, one JVM for all the cases of a run.

use super::compare::Outcome;
use serde_json::{Value as Json, json};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The harness's classpath: `PHALANX_VELOCITY_CP` (set by scripts/test.sh),
/// else what `tools/velocity-java/build.sh` prints (it installs Debian's
/// `velocity` package and compiles the harness when needed). Panics with a
/// clear message when Java or Velocity is unavailable: the differential test
/// must never pass without its reference.
pub fn classpath() -> &'static str {
    static CP: OnceLock<Result<String, String>> = OnceLock::new();
    let cp = CP.get_or_init(|| {
        if let Some(cp) = std::env::var_os("PHALANX_VELOCITY_CP").filter(|v| !v.is_empty()) {
            return Ok(cp.to_string_lossy().into_owned());
        }
        let script = repo_root().join("tools/velocity-java/build.sh");
        let out = Command::new("bash")
            .arg(&script)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("could not run {}: {e}", script.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{} failed ({}):\n{}",
                script.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        stdout
            .lines()
            .last()
            .map(str::to_string)
            .filter(|l| !l.trim().is_empty())
            .ok_or_else(|| format!("{} printed no classpath", script.display()))
    });
    match cp {
        Ok(cp) => cp,
        Err(e) => panic!(
            "the differential test needs the reference engine (Java + Apache Velocity 1.7) and it is unavailable.\n\
             Install a JDK and Debian's `velocity` package (tools/velocity-java/build.sh does both with apt-get),\n\
             or set PHALANX_VELOCITY_CP to the classpath build.sh prints.\n\n{e}"
        ),
    }
}

/// Renders every template with Velocity 1.7 against `context` (a fresh
/// engine and context per case), in one batch process.
pub fn render_all(templates: &[&str], context: &Json) -> Vec<Outcome> {
    let cp = classpath();
    let mut child = Command::new("java")
        .args(["-cp", cp, "VelocityRender", "--batch", "--timeout-ms", "10000"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("the differential test needs Java to run Apache Velocity 1.7, and `java` could not be started: {e}")
        });
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input: String = templates
        .iter()
        .enumerate()
        .map(|(id, t)| json!({"id": id, "template": t, "context": context}).to_string() + "\n")
        .collect();
    // Write from another thread so that a full stdout pipe cannot deadlock us.
    let writer = std::thread::spawn(move || {
        let r = stdin.write_all(input.as_bytes());
        drop(stdin);
        r
    });
    let stdout = child.stdout.take().expect("piped stdout");
    let mut outcomes: Vec<Option<Outcome>> = vec![None; templates.len()];
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("reading VelocityRender's output");
        let line = replace_lone_surrogates(&line);
        let v: Json = serde_json::from_str(&line).unwrap_or_else(|e| {
            panic!("VelocityRender wrote a line that is not JSON ({e}): {line}")
        });
        let id = v["id"]
            .as_u64()
            .unwrap_or_else(|| panic!("no id in {line}")) as usize;
        let outcome = if v["ok"] == Json::Bool(true) {
            Outcome::Ok(v["output"].as_str().unwrap_or_default().to_string())
        } else {
            Outcome::Err(v["error"].as_str().unwrap_or_default().to_string())
        };
        if let Some(slot) = outcomes.get_mut(id) {
            *slot = Some(outcome);
        }
    }
    let status = child.wait().expect("waiting for VelocityRender");
    let written = writer.join().expect("writer thread");
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
    }
    assert!(
        status.success() && written.is_ok(),
        "VelocityRender --batch failed ({status}, write: {written:?}):\n{stderr}"
    );
    outcomes
        .into_iter()
        .enumerate()
        .map(|(id, o)| {
            o.unwrap_or_else(|| panic!("VelocityRender gave no result for case {id}:\n{stderr}"))
        })
        .collect()
}

/// Java strings may hold unpaired UTF-16 surrogates (`"a😀".charAt(1)`),
/// which the harness writes as `\uD83D` and serde_json rejects. A Rust
/// string cannot hold one; our engine writes U+FFFD in its place, so the
/// reference's output is read the same way.
fn replace_lone_surrogates(line: &str) -> String {
    fn unit_at(b: &[u8], i: usize) -> Option<u16> {
        let hex = b.get(i..i + 6)?;
        if hex[0] != b'\\' || hex[1] != b'u' {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(&hex[2..]).ok()?, 16).ok()
    }
    if !line.contains("\\u") {
        return line.to_string();
    }
    let b = line.as_bytes();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    let mut start = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            // An escape: `\\` is a backslash, never the start of `\u`.
            if b.get(i + 1) != Some(&b'u') {
                i += 2;
                continue;
            }
            let unit = unit_at(b, i).unwrap_or(0);
            let high = (0xD800..0xDC00).contains(&unit);
            let low = (0xDC00..0xE000).contains(&unit);
            let paired = high && unit_at(b, i + 6).is_some_and(|u| (0xDC00..0xE000).contains(&u));
            if paired {
                i += 12;
                continue;
            }
            if high || low {
                out.push_str(&line[start..i]);
                out.push_str("\\ufffd");
                i += 6;
                start = i;
                continue;
            }
            i += 6;
            continue;
        }
        i += 1;
    }
    out.push_str(&line[start..]);
    out
}
