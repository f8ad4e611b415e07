//! Renders cases with both engines and compares the outputs exactly.

use super::java;
use phalanx_vtl::{Context, Engine};
use serde_json::Value as Json;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

/// What one engine made of a template.
#[derive(Clone, Debug)]
pub enum Outcome {
    Ok(String),
    /// A parse or render error (the message is not compared).
    Err(String),
    /// Our engine panicked: always a divergence.
    Panic(String),
}

impl Outcome {
    fn agrees_with(&self, other: &Outcome) -> bool {
        match (self, other) {
            (Outcome::Ok(a), Outcome::Ok(b)) => a == b,
            (Outcome::Err(_), Outcome::Err(_)) => true,
            _ => false,
        }
    }

    fn describe(&self) -> String {
        match self {
            Outcome::Ok(s) => format!("output {}", shorten(s, 600)),
            Outcome::Err(e) => format!("error: {}", shorten(e, 300)),
            Outcome::Panic(p) => format!("PANIC: {p}"),
        }
    }
}

/// One template to compare, with a label saying how to get it again.
pub struct Case {
    pub label: String,
    pub template: String,
}

/// Renders with our engine: `Engine::velocity()` and a fresh context.
pub fn render_rust(template: &str, context: &Json) -> Outcome {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut ctx = Context::from_json(context).expect("the context is a JSON object");
        Engine::velocity()
            .compile("batch.vm", template)
            .and_then(|t| t.render(&mut ctx))
    }));
    match result {
        Ok(Ok(out)) => Outcome::Ok(out),
        Ok(Err(e)) => Outcome::Err(e.to_string()),
        Err(panic) => Outcome::Panic(
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "(no message)".into()),
        ),
    }
}

/// An entry of `tests/differential_known_divergences.txt`: a divergence
/// whose template matches `pattern` is known and does not fail the test.
pub struct Known {
    /// As written: a substring, or `re:` and a regular expression; after
    /// `out:` it applies to Velocity's output instead of the template.
    pub pattern: String,
    pub reason: String,
    regex: Option<fancy_regex::Regex>,
    /// Matches Velocity's output, not the template.
    pub on_output: bool,
}

impl Known {
    /// Whether a template contains the construct.
    pub fn matches(&self, template: &str) -> bool {
        let text = self.pattern.strip_prefix("out:").unwrap_or(&self.pattern);
        match &self.regex {
            Some(re) => re.is_match(template).unwrap_or(false),
            None => template.contains(text),
        }
    }

    /// Whether a case with this template and Velocity's outcome is covered.
    pub fn covers(&self, template: &str, java: &Outcome) -> bool {
        match (self.on_output, java) {
            (false, _) => self.matches(template),
            (true, Outcome::Ok(out)) => self.matches(out),
            (true, _) => false,
        }
    }
}

/// Reads the known divergences. Each entry is a line
/// `` `pattern` reason `` (a pattern `re:…` is a regular expression, and
/// one written `out:…` is looked for in Velocity's output); `#` starts a
/// comment line.
pub fn known_divergences() -> Vec<Known> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/differential_known_divergences.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut known = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let parsed = line
            .strip_prefix('`')
            .and_then(|rest| rest.split_once('`'))
            .filter(|(pattern, reason)| !pattern.is_empty() && !reason.trim().is_empty());
        let Some((pattern, reason)) = parsed else {
            panic!(
                "{}:{}: expected `pattern` followed by the reason, found {line:?}",
                path.display(),
                n + 1
            );
        };
        let on_output = pattern.starts_with("out:");
        let regex = pattern
            .trim_start_matches("out:")
            .strip_prefix("re:")
            .map(|re| {
                fancy_regex::Regex::new(re).unwrap_or_else(|e| {
                    panic!("{}:{}: bad regular expression: {e}", path.display(), n + 1)
                })
            });
        known.push(Known {
            pattern: pattern.to_string(),
            reason: reason.trim().to_string(),
            regex,
            on_output,
        });
    }
    known
}

/// The result of comparing a set of cases.
pub struct Report {
    pub what: String,
    pub ran: usize,
    pub both_failed: usize,
    /// Divergences excused by a known-divergence entry: (label, pattern).
    pub known: Vec<(String, String)>,
    /// Everything else, formatted for the failure message.
    pub divergences: Vec<String>,
    pub elapsed: std::time::Duration,
}

impl Report {
    /// Prints a summary and fails listing every unexplained divergence.
    pub fn assert_clean(&self) {
        println!(
            "{}: {} cases in {:.2?}: {} agree ({} of them fail in both engines), {} known divergences, {} unexplained",
            self.what,
            self.ran,
            self.elapsed,
            self.ran - self.known.len() - self.divergences.len(),
            self.both_failed,
            self.known.len(),
            self.divergences.len()
        );
        for (label, pattern) in &self.known {
            println!("  known divergence in {label} (`{pattern}`)");
        }
        assert!(
            self.divergences.is_empty(),
            "{} of {} {} diverge from Apache Velocity 1.7 (fix the engine, or list a pattern and the reason in \
             tests/differential_known_divergences.txt):\n\n{}",
            self.divergences.len(),
            self.ran,
            self.what,
            self.divergences.join("\n\n")
        );
    }
}

/// Renders every case with both engines and compares.
pub fn check(what: &str, cases: &[Case], context: &Json) -> Report {
    let start = std::time::Instant::now();
    let templates: Vec<&str> = cases.iter().map(|c| c.template.as_str()).collect();
    let java = java::render_all(&templates, context);
    let known = known_divergences();
    let mut report = Report {
        what: what.to_string(),
        ran: cases.len(),
        both_failed: 0,
        known: Vec::new(),
        divergences: Vec::new(),
        elapsed: Default::default(),
    };
    let mut dump = String::new();
    for (case, java) in cases.iter().zip(&java) {
        if std::env::var_os("PHALANX_DIFF_TRACE").is_some() {
            eprintln!("{}: {:?}", case.label, case.template);
        }
        let rust = render_rust(&case.template, context);
        if std::env::var_os("PHALANX_DIFF_DUMP").is_some() {
            let _ = writeln!(
                dump,
                "{}",
                serde_json::json!({"label": case.label, "template": case.template,
                    "java": format!("{java:?}"), "rust": format!("{rust:?}")})
            );
        }
        if rust.agrees_with(java) {
            if matches!(rust, Outcome::Err(_)) {
                report.both_failed += 1;
            }
            continue;
        }
        if let Some(k) = known.iter().find(|k| k.covers(&case.template, java)) {
            report.known.push((case.label.clone(), k.pattern.clone()));
            continue;
        }
        report
            .divergences
            .push(format_divergence(case, java, &rust));
    }
    if let Some(path) = std::env::var_os("PHALANX_DIFF_DUMP") {
        let path = PathBuf::from(path).with_extension(format!("{what}.jsonl").replace(' ', "-"));
        std::fs::write(&path, dump).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    report.elapsed = start.elapsed();
    report
}

fn format_divergence(case: &Case, java: &Outcome, rust: &Outcome) -> String {
    let mut s = format!(
        "--- {}\ntemplate: {}\nvelocity: {}\nphalanx:  {}",
        case.label,
        shorten(&case.template, 1200),
        java.describe(),
        rust.describe()
    );
    if let (Outcome::Ok(j), Outcome::Ok(r)) = (java, rust) {
        s.push_str("\ndiff:     ");
        s.push_str(&minimal_diff(j, r));
    }
    s
}

/// The smallest differing middle of two strings (after their common prefix
/// and suffix), with a little context: `…ctx[-velocity-][+phalanx+]ctx…`.
pub fn minimal_diff(expected: &str, actual: &str) -> String {
    let prefix = expected
        .char_indices()
        .zip(actual.chars())
        .find(|((_, a), b)| a != b)
        .map_or(expected.len().min(actual.len()), |((i, _), _)| i);
    let (e_rest, a_rest) = (&expected[prefix..], &actual[prefix..]);
    let suffix = e_rest
        .chars()
        .rev()
        .zip(a_rest.chars().rev())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a.len_utf8())
        .sum::<usize>()
        .min(e_rest.len())
        .min(a_rest.len());
    let before: String = {
        let mut chars: Vec<char> = expected[..prefix].chars().rev().take(30).collect();
        chars.reverse();
        chars.into_iter().collect()
    };
    let after: String = e_rest[e_rest.len() - suffix..].chars().take(30).collect();
    format!(
        "{:?} [-{:?}-] [+{:?}+] {:?} (at byte {prefix})",
        before,
        &e_rest[..e_rest.len() - suffix],
        &a_rest[..a_rest.len() - suffix],
        after
    )
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(max).collect();
        format!("{head:?}… ({} chars)", s.chars().count())
    }
}
