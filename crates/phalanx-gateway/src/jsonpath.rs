//! JSONPath as API Gateway evaluates it (Jayway JsonPath): `$input.path`,
//! `$input.json` and `integration.response.body.JSONPath` mappings.
//!
//! Queries run on `serde_json_path` (RFC 9535), with two Jayway habits on
//! top: a *definite* path (no wildcard, deep scan, filter, slice or union)
//! yields one value or nothing, an indefinite one yields a list; and
//! dot-notation names may hold characters RFC 9535 only allows in brackets
//! (`$.content-type`), so such names are rewritten to bracket notation
//! before parsing.

use serde_json::Value;
use serde_json_path::JsonPath;

/// A parsed path.
#[derive(Debug, Clone)]
pub struct Path {
    path: JsonPath,
    definite: bool,
    source: String,
}

impl Path {
    /// Parses a Jayway-style path. A path without the leading `$` is taken
    /// as relative to the root, as Jayway does.
    pub fn parse(source: &str) -> Result<Path, String> {
        let trimmed = source.trim();
        let rooted = if trimmed.starts_with('$') {
            trimmed.to_string()
        } else if trimmed.starts_with('[') {
            format!("${trimmed}")
        } else {
            format!("$.{trimmed}")
        };
        let normalized = bracket_unusual_names(&rooted);
        let path = JsonPath::parse(&normalized)
            .map_err(|e| format!("invalid JSONPath `{source}`: {e}"))?;
        Ok(Path {
            definite: is_definite(&normalized),
            path,
            source: source.to_string(),
        })
    }

    /// The path as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates the path: `None` when a definite path finds nothing; a JSON
    /// array of the matches for an indefinite path.
    pub fn select(&self, document: &Value) -> Option<Value> {
        self.select_ref(document).map(std::borrow::Cow::into_owned)
    }

    /// [`Path::select`] without copying what a definite path finds.
    pub fn select_ref<'d>(&self, document: &'d Value) -> Option<std::borrow::Cow<'d, Value>> {
        if self.definite && self.is_root() {
            return Some(std::borrow::Cow::Borrowed(document));
        }
        let nodes = self.path.query(document);
        if self.definite {
            nodes.all().first().map(|v| std::borrow::Cow::Borrowed(*v))
        } else {
            Some(std::borrow::Cow::Owned(Value::Array(
                nodes.all().into_iter().cloned().collect(),
            )))
        }
    }

    fn is_root(&self) -> bool {
        self.source.trim() == "$"
    }
}

/// Jayway's definition: a path is indefinite when it has a deep scan
/// (`..`), a wildcard, a filter (`?`), a slice (`:`) or a union (`,`)
/// outside quoted names.
fn is_definite(path: &str) -> bool {
    let mut quote = None;
    let mut depth = 0usize;
    let mut prev = '\0';
    for c in path.chars() {
        match quote {
            Some(q) if c == q && prev != '\\' => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '[' => depth += 1,
                ']' => depth = depth.saturating_sub(1),
                '*' | '?' => return false,
                '.' if prev == '.' => return false,
                ':' | ',' if depth > 0 => return false,
                _ => {}
            },
        }
        prev = c;
    }
    true
}

/// Rewrites `.name` segments whose name RFC 9535 does not allow in dot
/// notation (e.g. `$.content-type`) to `['name']`.
fn bracket_unusual_names(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    let chars: Vec<char> = path.chars().collect();
    let mut i = 0;
    let mut quote: Option<char> = None;
    let mut depth = 0usize;
    while i < chars.len() {
        let c = chars[i];
        if let Some(q) = quote {
            out.push(c);
            if c == q && chars.get(i.wrapping_sub(1)) != Some(&'\\') {
                quote = None;
            }
            i += 1;
            continue;
        }
        match c {
            '\'' | '"' if depth > 0 => {
                quote = Some(c);
                out.push(c);
                i += 1;
            }
            '[' => {
                depth += 1;
                out.push(c);
                i += 1;
            }
            ']' => {
                depth = depth.saturating_sub(1);
                out.push(c);
                i += 1;
            }
            '.' if depth == 0 && chars.get(i + 1).is_some_and(|n| *n != '.' && *n != '*') => {
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && chars[end] != '.' && chars[end] != '[' {
                    end += 1;
                }
                let name: String = chars[start..end].iter().collect();
                let plain = name
                    .chars()
                    .next()
                    .is_some_and(|f| f.is_alphabetic() || f == '_' || !f.is_ascii())
                    && name
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || !c.is_ascii());
                if plain {
                    out.push('.');
                    out.push_str(&name);
                } else {
                    out.push_str("['");
                    out.push_str(&name.replace('\\', "\\\\").replace('\'', "\\'"));
                    out.push_str("']");
                }
                i = end;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn definite_paths_give_one_value_indefinite_a_list() {
        let doc = json!({"a": {"b": [1, 2, {"c": "x"}]}, "content-type": "t"});
        let one = |p: &str| Path::parse(p).unwrap().select(&doc);
        assert_eq!(one("$.a.b[2].c"), Some(json!("x")));
        assert_eq!(one("$['a']['b'][0]"), Some(json!(1)));
        assert_eq!(one("$.missing"), None);
        assert_eq!(one("$.a.b[*]"), Some(json!([1, 2, {"c": "x"}])));
        assert_eq!(one("$..c"), Some(json!(["x"])));
        assert_eq!(one("$.a.b[0:2]"), Some(json!([1, 2])));
        assert_eq!(one("$"), Some(doc.clone()));
        assert_eq!(one("a.b[1]"), Some(json!(2)));
        assert_eq!(one("$.content-type"), Some(json!("t")));
    }

    #[test]
    fn bad_paths_are_errors_not_panics() {
        for p in ["$[", "$.a[?(@.b ==]", "$..", "$['unterminated"] {
            assert!(Path::parse(p).is_err(), "{p}");
        }
    }
}
