//! Errors with a source location, printed in the style of a compiler:
//! `name:line:col: message`, then the offending line and a caret.

use std::fmt;
use std::sync::Arc;

/// A byte range in a template's source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// A span covering `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }
}

/// What went wrong, broadly; the message says precisely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The template is not valid VTL.
    Syntax,
    /// Rendering failed: a method threw, a value had the wrong type, …
    Render,
    /// A configured limit (loop iterations, size, depth) was exceeded.
    Limit,
}

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// The source a span points into, kept so that an error can show the line.
#[derive(Debug, Clone)]
pub(crate) struct SourceRef {
    pub name: Arc<str>,
    pub text: Arc<str>,
}

/// A parse or render error with the place it happened.
///
/// `Display` prints `name:line:col: message` followed by the source line and
/// a caret under the column, like `rustc` does.
#[derive(Debug, Clone)]
pub struct Error {
    // Boxed: results are returned on every step of a render, and a small
    // `Result<Value, Error>` keeps the success path cheap.
    inner: Box<Inner>,
}

#[derive(Debug, Clone)]
struct Inner {
    kind: ErrorKind,
    message: String,
    span: Option<Span>,
    source: Option<SourceRef>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>, span: Span) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                span: Some(span),
                source: None,
            }),
        }
    }

    pub(crate) fn syntax(message: impl Into<String>, span: Span) -> Error {
        Error::new(ErrorKind::Syntax, message, span)
    }

    pub(crate) fn render(message: impl Into<String>, span: Span) -> Error {
        Error::new(ErrorKind::Render, message, span)
    }

    pub(crate) fn limit(message: impl Into<String>, span: Span) -> Error {
        Error::new(ErrorKind::Limit, message, span)
    }

    /// An error not tied to any place in a template (e.g. a bad context).
    pub fn without_location(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                span: None,
                source: None,
            }),
        }
    }

    pub(crate) fn with_source(mut self, source: &SourceRef) -> Error {
        if self.inner.source.is_none() {
            self.inner.source = Some(source.clone());
        }
        self
    }

    /// The broad kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The message alone, without the location.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The template name the error points into, if known.
    pub fn source_name(&self) -> Option<&str> {
        self.inner.source.as_ref().map(|s| &*s.name)
    }

    /// Line and column where the error happened, if known.
    pub fn location(&self) -> Option<Location> {
        let (span, source) = (self.inner.span?, self.inner.source.as_ref()?);
        Some(locate(&source.text, span.start as usize))
    }

    /// The byte span in the template source, if known.
    pub fn span(&self) -> Option<Span> {
        self.inner.span
    }
}

/// Line and column (both 1-based; the column counts characters) of a byte offset.
pub(crate) fn locate(text: &str, offset: usize) -> Location {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    Location { line, column }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (Some(source), Some(span)) = (&self.inner.source, self.inner.span) else {
            return f.write_str(&self.inner.message);
        };
        let loc = locate(&source.text, span.start as usize);
        write!(
            f,
            "{}:{}:{}: {}",
            source.name, loc.line, loc.column, self.inner.message
        )?;
        let line_text = source.text.lines().nth(loc.line - 1).unwrap_or("");
        // Long lines (minified templates) would drown the message: show a window.
        let (shown, caret_col) = if line_text.chars().count() > 120 {
            let skip = loc.column.saturating_sub(60);
            let s: String = line_text.chars().skip(skip).take(120).collect();
            (s, loc.column - skip)
        } else {
            (line_text.to_string(), loc.column)
        };
        let gutter = loc.line.to_string().len();
        write!(
            f,
            "\n{:gutter$} |\n{} | {}\n{:gutter$} | {:>caret$}",
            "",
            loc.line,
            shown.replace('\t', " "),
            "",
            "^",
            caret = caret_col
        )
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_counts_lines_and_characters() {
        let text = "ab\nc\u{e9}d$x";
        assert_eq!(locate(text, 0), Location { line: 1, column: 1 });
        assert_eq!(locate(text, 3), Location { line: 2, column: 1 });
        // 'é' is two bytes but one column.
        assert_eq!(locate(text, 7), Location { line: 2, column: 4 });
    }

    #[test]
    fn display_shows_line_and_caret() {
        let source = SourceRef {
            name: "t.vm".into(),
            text: "line one\n#if($a\n".into(),
        };
        let e = Error::syntax("expected ')'", Span::new(15, 16)).with_source(&source);
        let shown = e.to_string();
        assert!(shown.starts_with("t.vm:2:7: expected ')'"), "{shown}");
        assert!(shown.contains("2 | #if($a"), "{shown}");
        assert!(shown.ends_with("|       ^"), "{shown:?}");
    }
}
