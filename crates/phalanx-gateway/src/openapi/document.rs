//! Reading an OpenAPI document safely: JSON pointers for error messages,
//! typed getters that never panic, and local `$ref`s.
//!
//! Every reader takes the pointer of the object it reads from, so an error
//! names the exact element (`/paths/~1pets/get/parameters/0/in: …`) in the
//! syntax editors and validators use (RFC 6901).

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::cloudformation::{ImportError, ImportErrorKind, kind_of};

/// A result whose error names the file and the JSON pointer.
pub(super) type Result<T> = std::result::Result<T, ImportError>;

/// `parent` + one reference token, escaped as RFC 6901 wants (`~` → `~0`,
/// `/` → `~1`), so `/paths` + `/pets` is `/paths/~1pets`.
pub(super) fn pointer(parent: &str, key: &str) -> String {
    format!("{parent}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// `$ref` chains longer than this are taken for a cycle.
const MAX_REF_DEPTH: usize = 32;

/// The document being imported and the file name errors carry.
#[derive(Clone, Copy)]
pub(super) struct Document<'a> {
    pub(super) root: &'a Value,
    pub(super) file: &'a str,
}

impl<'a> Document<'a> {
    /// An [`ImportErrorKind::Invalid`] error at `at`.
    pub(super) fn invalid(&self, at: &str, message: impl Into<String>) -> ImportError {
        ImportError::at(ImportErrorKind::Invalid, self.file, at, message)
    }

    /// "expected WHAT, found …" at `at`.
    pub(super) fn expected(&self, at: &str, what: &str, found: &Value) -> ImportError {
        self.invalid(at, format!("expected {what}, found {}", kind_of(found)))
    }

    /// `value` as an object.
    pub(super) fn object<'v>(&self, value: &'v Value, at: &str) -> Result<&'v Map<String, Value>> {
        value
            .as_object()
            .ok_or_else(|| self.expected(at, "an object", value))
    }

    /// `map[key]` as an object, if present.
    pub(super) fn object_at<'v>(
        &self,
        map: &'v Map<String, Value>,
        key: &str,
        at: &str,
    ) -> Result<Option<&'v Map<String, Value>>> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => self.object(value, &pointer(at, key)).map(Some),
        }
    }

    /// `map[key]` as a list, if present (absent: empty).
    pub(super) fn list_at<'v>(
        &self,
        map: &'v Map<String, Value>,
        key: &str,
        at: &str,
    ) -> Result<&'v [Value]> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(self.expected(&pointer(at, key), "a list", other)),
        }
    }

    /// `map[key]` as a string; numbers and booleans are written out (YAML
    /// readers often write `statusCode: 200`).
    pub(super) fn string_at(
        &self,
        map: &Map<String, Value>,
        key: &str,
        at: &str,
    ) -> Result<Option<String>> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(other) => Err(self.expected(&pointer(at, key), "a string", other)),
        }
    }

    /// `map[key]` as a boolean (`"true"`/`"false"` strings accepted).
    pub(super) fn bool_at(
        &self,
        map: &Map<String, Value>,
        key: &str,
        at: &str,
    ) -> Result<Option<bool>> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(other) => Err(self.expected(&pointer(at, key), "a boolean", other)),
        }
    }

    /// `map[key]` as a non-negative integer (a numeric string accepted).
    pub(super) fn unsigned_at(
        &self,
        map: &Map<String, Value>,
        key: &str,
        at: &str,
    ) -> Result<Option<u64>> {
        let value = match map.get(key) {
            None | Some(Value::Null) => return Ok(None),
            Some(value) => value,
        };
        let number = match value {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        number
            .map(Some)
            .ok_or_else(|| self.expected(&pointer(at, key), "a non-negative integer", value))
    }

    /// `map[key]` as an object of strings, in document order.
    pub(super) fn string_map_at(
        &self,
        map: &Map<String, Value>,
        key: &str,
        at: &str,
    ) -> Result<IndexMap<String, String>> {
        let mut out = IndexMap::new();
        let Some(object) = self.object_at(map, key, at)? else {
            return Ok(out);
        };
        let at = pointer(at, key);
        for name in object.keys() {
            if let Some(value) = self.string_at(object, name, &at)? {
                out.insert(name.clone(), value);
            }
        }
        Ok(out)
    }

    /// Follows `value`'s `$ref` (local ones only: `#/…`), repeatedly;
    /// returns the value reached and its pointer. A value without `$ref` is
    /// returned as is.
    pub(super) fn resolve<'v>(&self, value: &'v Value, at: &str) -> Result<(&'v Value, String)>
    where
        'a: 'v,
    {
        let mut current = value;
        let mut current_at = at.to_owned();
        for _ in 0..MAX_REF_DEPTH {
            let Some(reference) = current.get("$ref") else {
                return Ok((current, current_at));
            };
            let ref_at = pointer(&current_at, "$ref");
            let Some(reference) = reference.as_str() else {
                return Err(self.expected(&ref_at, "a string", reference));
            };
            let Some(target) = reference.strip_prefix('#') else {
                return Err(self.invalid(
                    &ref_at,
                    format!(
                        "`{reference}` is not a reference into this document (#/…); references \
                         to other files are not supported"
                    ),
                ));
            };
            let decoded = percent_encoding::percent_decode_str(target).decode_utf8_lossy();
            current = self
                .root
                .pointer(&decoded)
                .ok_or_else(|| self.invalid(&ref_at, format!("`{reference}` points at nothing")))?;
            current_at = decoded.into_owned();
        }
        Err(self.invalid(at, "the `$ref`s form a cycle"))
    }
}
