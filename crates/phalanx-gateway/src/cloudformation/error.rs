//! The importer's one error type.
//!
//! A template error is only useful if it says where to look: every error
//! carries the template's file name and, where it has them, the line and
//! column (syntax errors), the logical id of the resource at fault and the
//! property path inside the template (`Resources.GetPets.Properties.
//! Integration.Uri`). Display puts them in the order editors and terminals
//! recognise: `file:line:column: path: message`.

use std::fmt;

/// What kind of problem an [`ImportError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportErrorKind {
    /// The text is not valid JSON or YAML.
    Syntax,
    /// The template uses something that is valid CloudFormation but that
    /// cannot be emulated locally (an inline OpenAPI body, `Fn::ImportValue`,
    /// a SAM transform, …).
    Unsupported,
    /// The template is wrong: a property of the wrong type, a reference to a
    /// missing resource, a required property left out, ….
    Invalid,
}

/// A CloudFormation template that could not be imported.
///
/// `Display` gives one line naming the file, the line (when known), the
/// property path and the problem, e.g.
/// `api.yaml:42: Resources.GetPets.Properties.Integration.Uri: Fn::ImportValue
/// is not supported locally; replace it with a literal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError(Box<Details>);

/// What an [`ImportError`] says, boxed so that `Result`s stay small.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Details {
    kind: ImportErrorKind,
    file: String,
    line: Option<usize>,
    column: Option<usize>,
    logical_id: Option<String>,
    path: Option<String>,
    message: String,
}

impl ImportError {
    /// An error about the template as a whole (no path).
    pub(crate) fn new(kind: ImportErrorKind, file: &str, message: impl Into<String>) -> Self {
        ImportError(Box::new(Details {
            kind,
            file: file.to_owned(),
            line: None,
            column: None,
            logical_id: None,
            path: None,
            message: message.into(),
        }))
    }

    /// A syntax error at a 1-based line and column.
    pub(crate) fn syntax(
        file: &str,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        let mut error = ImportError::new(ImportErrorKind::Syntax, file, message);
        error.0.line = Some(line);
        error.0.column = Some(column);
        error
    }

    /// An error at a property path; the logical id is taken from the path
    /// when it starts with `Resources.ID`.
    pub(crate) fn at(
        kind: ImportErrorKind,
        file: &str,
        path: &str,
        message: impl Into<String>,
    ) -> Self {
        let logical_id = path
            .strip_prefix("Resources.")
            .map(|rest| rest.split(['.', '[']).next().unwrap_or(rest).to_owned())
            .filter(|id| !id.is_empty());
        let mut error = ImportError::new(kind, file, message);
        error.0.logical_id = logical_id;
        error.0.path = Some(path.to_owned());
        error
    }

    /// The same error, for a document embedded in a template at `prefix`
    /// (a RestApi's `Body`): the document's JSON pointer goes after the
    /// property path, e.g. `Resources.Api.Properties.Body/paths/~1pets`.
    pub(crate) fn within(mut self, prefix: &str, line: Option<usize>) -> Self {
        let path = format!("{prefix}{}", self.0.path.as_deref().unwrap_or(""));
        let mut moved = ImportError::at(self.0.kind, &self.0.file, &path, self.0.message.clone());
        moved.0.line = self.0.line.take().or(line);
        moved.0.column = self.0.column;
        moved
    }

    /// Sets the line (of the resource the error is about), if not set yet.
    pub(crate) fn with_line(mut self, line: Option<usize>) -> Self {
        if self.0.line.is_none() {
            self.0.line = line;
        }
        self
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> ImportErrorKind {
        self.0.kind
    }

    /// The template's file name, as given to [`super::import`].
    pub fn file(&self) -> &str {
        &self.0.file
    }

    /// The 1-based line: where a syntax error is, or where the resource at
    /// fault starts (found in the source text; best effort).
    pub fn line(&self) -> Option<usize> {
        self.0.line
    }

    /// The 1-based column of a syntax error.
    pub fn column(&self) -> Option<usize> {
        self.0.column
    }

    /// The logical id of the resource at fault, if the error is about one.
    pub fn logical_id(&self) -> Option<&str> {
        self.0.logical_id.as_deref()
    }

    /// The property path inside the template, e.g.
    /// `Resources.GetPets.Properties.Integration.Uri`.
    pub fn path(&self) -> Option<&str> {
        self.0.path.as_deref()
    }

    /// The problem, without the location.
    pub fn message(&self) -> &str {
        &self.0.message
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let details = &self.0;
        f.write_str(&details.file)?;
        if let Some(line) = details.line {
            write!(f, ":{line}")?;
            if let Some(column) = details.column {
                write!(f, ":{column}")?;
            }
        }
        f.write_str(": ")?;
        if let Some(path) = &details.path {
            write!(f, "{path}: ")?;
        }
        f.write_str(&details.message)
    }
}

impl std::error::Error for ImportError {}
