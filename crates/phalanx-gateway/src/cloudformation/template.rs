//! The parsed template: [`Template`] holds a template's sections
//! (resources, parameters, mappings, conditions) and the pseudo parameter
//! values, and reads properties with their types checked — every reader
//! resolves what it reads (through the intrinsic functions in
//! `intrinsics.rs`) and names the property's path in its errors, with the
//! line of the template entry it is in.
//!
//! A new CloudFormation resource type is read in `build.rs` with these
//! readers; what `Ref` and `Fn::GetAtt` give for it is in `intrinsics.rs`
//! (`Template::physical_id`, `Template::attribute`).

use std::cell::RefCell;
use std::collections::HashMap;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::error::{ImportError, ImportErrorKind};

/// The result of reading a template.
pub(crate) type Result<T> = std::result::Result<T, ImportError>;

/// One resource of the template.
#[derive(Debug)]
pub(crate) struct Resource {
    /// `Type`, e.g. `AWS::ApiGateway::Method`.
    pub(crate) ty: String,
    /// `Properties` as written (intrinsics unresolved); `Null` when absent.
    pub(crate) properties: Value,
    /// The resource's `Condition`, if any.
    pub(crate) condition: Option<String>,
}

/// A declared parameter and the value it takes locally.
#[derive(Debug)]
pub(super) struct Parameter {
    /// `Type`, e.g. `String` or `CommaDelimitedList`.
    pub(super) ty: String,
    /// The value: the import options', else the `Default`.
    pub(super) value: Option<String>,
    /// Whether the value came from the import options (not `Default`).
    pub(super) given: bool,
}

/// The values of CloudFormation's pseudo parameters.
#[derive(Debug)]
pub(crate) struct Pseudo {
    pub(crate) region: String,
    pub(crate) account_id: String,
    pub(crate) stack_name: String,
}

/// A parsed template, ready to resolve intrinsic functions in.
pub(crate) struct Template<'a> {
    file: &'a str,
    /// `Resources`, by logical id, in template order.
    pub(crate) resources: IndexMap<String, Resource>,
    /// `Parameters`, with the values they take locally.
    pub(super) parameters: IndexMap<String, Parameter>,
    /// `Mappings`, for `Fn::FindInMap`.
    pub(super) mappings: Map<String, Value>,
    /// `Conditions`, evaluated on demand.
    pub(super) conditions: Map<String, Value>,
    /// `AWS::Region`, `AWS::AccountId`, `AWS::StackName`.
    pub(super) pseudo: Pseudo,
    /// `AWS::Partition`, from the region.
    pub(super) partition: &'static str,
    /// `AWS::URLSuffix`, from the region.
    pub(super) url_suffix: &'static str,
    lines: HashMap<String, usize>,
    /// Conditions evaluated so far.
    pub(super) condition_cache: RefCell<HashMap<String, bool>>,
    /// Conditions being evaluated, to report a cycle.
    pub(super) condition_stack: RefCell<Vec<String>>,
    /// Resources whose references are being resolved, to report a cycle.
    pub(super) reference_stack: RefCell<Vec<String>>,
}

/// What a value is, for "expected …, found …" messages.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// `path.key`.
pub(crate) fn child(path: &str, key: &str) -> String {
    format!("{path}.{key}")
}

/// `path[index]`.
pub(crate) fn item(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

/// The line (1-based) each entry of the template's sections starts on,
/// keyed `Section.Name` (`Resources.GetPets`, `Conditions.IsProd`), found
/// in the source text: the keys after a top-level section key, at the
/// indentation of its first entry. Best effort; used only in messages.
pub(crate) fn entry_lines(source: &str, root: &Map<String, Value>) -> HashMap<String, usize> {
    let mut lines = HashMap::new();
    for section in [
        "Parameters",
        "Mappings",
        "Conditions",
        "Resources",
        "Outputs",
    ] {
        let Some(Value::Object(entries)) = root.get(section) else {
            continue;
        };
        let quoted = format!("\"{section}\"");
        let mut iter = source.lines().enumerate();
        let found = iter.by_ref().any(|(_, line)| {
            line.strip_prefix(section)
                .is_some_and(|rest| rest.starts_with(':'))
                || line
                    .trim_start()
                    .strip_prefix(quoted.as_str())
                    .is_some_and(|rest| rest.trim_start().starts_with(':'))
        });
        if !found {
            continue;
        }
        let mut indent = None;
        for (number, line) in iter {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let this_indent = line.len() - trimmed.len();
            let entry_indent = *indent.get_or_insert(this_indent);
            if this_indent < entry_indent || this_indent == 0 {
                break; // The section is over.
            }
            if this_indent > entry_indent {
                continue;
            }
            let key = match trimmed.chars().next() {
                Some(quote @ ('"' | '\'')) => trimmed[1..].split(quote).next(),
                _ => trimmed.split(':').next(),
            };
            if let Some(key) = key.map(str::trim)
                && entries.contains_key(key)
            {
                lines
                    .entry(format!("{section}.{key}"))
                    .or_insert(number + 1);
            }
        }
    }
    lines
}

/// The line of the template entry `path` is in (`Resources.X…` →
/// `Resources.X`).
fn line_in(lines: &HashMap<String, usize>, path: &str) -> Option<usize> {
    let mut parts = path.splitn(3, ['.', '[']);
    let section = parts.next()?;
    let name = parts.next()?;
    lines.get(&format!("{section}.{name}")).copied()
}

impl<'a> Template<'a> {
    /// Reads the sections of a parsed template. `overrides` are parameter
    /// values that replace the `Default`s.
    pub(crate) fn new(
        root: &Value,
        source: &str,
        file: &'a str,
        pseudo: Pseudo,
        overrides: &IndexMap<String, String>,
    ) -> Result<Self> {
        let Value::Object(root) = root else {
            return Err(ImportError::new(
                ImportErrorKind::Invalid,
                file,
                format!(
                    "a template is an object (with Resources), found {}",
                    kind_of(root)
                ),
            ));
        };
        let section = |name: &str| -> Result<Map<String, Value>> {
            match root.get(name) {
                None => Ok(Map::new()),
                Some(Value::Object(map)) => Ok(map.clone()),
                Some(other) => Err(ImportError::at(
                    ImportErrorKind::Invalid,
                    file,
                    name,
                    format!("expected an object, found {}", kind_of(other)),
                )),
            }
        };
        let lines = entry_lines(source, root);
        let invalid = |path: &str, message: String| {
            ImportError::at(ImportErrorKind::Invalid, file, path, message)
                .with_line(line_in(&lines, path))
        };
        if !root.contains_key("Resources") {
            return Err(ImportError::new(
                ImportErrorKind::Invalid,
                file,
                "the template has no Resources section",
            ));
        }

        let mut resources = IndexMap::new();
        for (id, resource) in section("Resources")? {
            let path = child("Resources", &id);
            let Value::Object(mut resource) = resource else {
                return Err(invalid(
                    &path,
                    format!("expected an object, found {}", kind_of(&resource)),
                ));
            };
            let ty = match resource.get("Type") {
                Some(Value::String(ty)) => ty.clone(),
                Some(other) => {
                    return Err(invalid(
                        &child(&path, "Type"),
                        format!("expected a string, found {}", kind_of(other)),
                    ));
                }
                None => {
                    return Err(invalid(&path, "the resource has no Type".to_owned()));
                }
            };
            let condition = match resource.get("Condition") {
                None => None,
                Some(Value::String(name)) => Some(name.clone()),
                Some(other) => {
                    return Err(invalid(
                        &child(&path, "Condition"),
                        format!("expected a condition name, found {}", kind_of(other)),
                    ));
                }
            };
            let properties = resource.remove("Properties").unwrap_or(Value::Null);
            resources.insert(
                id,
                Resource {
                    ty,
                    properties,
                    condition,
                },
            );
        }

        let mut parameters = IndexMap::new();
        for (name, declaration) in section("Parameters")? {
            let path = child("Parameters", &name);
            let Value::Object(declaration) = declaration else {
                return Err(invalid(
                    &path,
                    format!("expected an object, found {}", kind_of(&declaration)),
                ));
            };
            let ty = match declaration.get("Type") {
                Some(Value::String(ty)) => ty.clone(),
                _ => "String".to_owned(),
            };
            let value = match overrides.get(&name) {
                Some(value) => Some(value.clone()),
                None => match declaration.get("Default") {
                    None => None,
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    Some(Value::Bool(b)) => Some(b.to_string()),
                    Some(other) => {
                        return Err(invalid(
                            &child(&path, "Default"),
                            format!("expected a string, found {}", kind_of(other)),
                        ));
                    }
                },
            };
            if let (Some(value), Some(Value::Array(allowed))) =
                (&value, declaration.get("AllowedValues"))
            {
                let allowed: Vec<String> = allowed
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect();
                if !allowed.contains(value) {
                    return Err(invalid(
                        &path,
                        format!(
                            "the value `{value}` is not one of the AllowedValues ({})",
                            allowed.join(", ")
                        ),
                    ));
                }
            }
            let given = overrides.contains_key(&name);
            parameters.insert(name, Parameter { ty, value, given });
        }
        if let Some(name) = overrides
            .keys()
            .find(|name| !parameters.contains_key(*name))
        {
            return Err(ImportError::new(
                ImportErrorKind::Invalid,
                file,
                format!(
                    "the parameter `{name}` given in the options is not declared in the \
                     template's Parameters"
                ),
            ));
        }

        let (partition, url_suffix) = if pseudo.region.starts_with("cn-") {
            ("aws-cn", "amazonaws.com.cn")
        } else if pseudo.region.starts_with("us-gov-") {
            ("aws-us-gov", "amazonaws.com")
        } else {
            ("aws", "amazonaws.com")
        };
        Ok(Template {
            file,
            resources,
            parameters,
            mappings: section("Mappings")?,
            conditions: section("Conditions")?,
            pseudo,
            partition,
            url_suffix,
            lines,
            condition_cache: RefCell::default(),
            condition_stack: RefCell::default(),
            reference_stack: RefCell::default(),
        })
    }

    /// The template's file name.
    pub(crate) fn file(&self) -> &str {
        self.file
    }

    /// The line the template entry (resource, condition, parameter) that
    /// `path` is in starts on, if found.
    pub(crate) fn line_of(&self, path: &str) -> Option<usize> {
        line_in(&self.lines, path)
    }

    /// An error of `kind` at `path`, with the line of the resource the path
    /// is in.
    pub(crate) fn error(
        &self,
        kind: ImportErrorKind,
        path: &str,
        message: impl Into<String>,
    ) -> ImportError {
        ImportError::at(kind, self.file, path, message).with_line(self.line_of(path))
    }

    /// An [`ImportErrorKind::Invalid`] error at `path`.
    pub(crate) fn invalid(&self, path: &str, message: impl Into<String>) -> ImportError {
        self.error(ImportErrorKind::Invalid, path, message)
    }

    /// An [`ImportErrorKind::Unsupported`] error at `path`.
    pub(crate) fn unsupported(&self, path: &str, message: impl Into<String>) -> ImportError {
        self.error(ImportErrorKind::Unsupported, path, message)
    }

    /// "expected WHAT, found …" at `path`.
    pub(super) fn expected(&self, path: &str, what: &str, found: &Value) -> ImportError {
        self.invalid(path, format!("expected {what}, found {}", kind_of(found)))
    }

    // ----- Reading values -----

    /// `value`, resolved, as a string (numbers and booleans are written
    /// out, as CloudFormation does).
    pub(crate) fn string_of(&self, value: &Value, path: &str) -> Result<Option<String>> {
        match self.resolve(value, path)? {
            None => Ok(None),
            Some(value) => self.scalar_string(&value, path).map(Some),
        }
    }

    /// Like [`Template::string_of`], but `AWS::NoValue` is an error.
    pub(super) fn required_string_of(&self, value: &Value, path: &str) -> Result<String> {
        self.string_of(value, path)?
            .ok_or_else(|| self.invalid(path, "expected a string, found AWS::NoValue"))
    }

    /// A resolved scalar as a string (numbers and booleans are written
    /// out).
    pub(super) fn scalar_string(&self, value: &Value, path: &str) -> Result<String> {
        match value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(self.expected(path, "a string", other)),
        }
    }

    // ----- Typed access to properties -----

    /// A resource's `Properties`, resolved at the top (an absent
    /// `Properties` is an empty object).
    pub(crate) fn properties(&self, logical_id: &str) -> Result<Map<String, Value>> {
        let path = child(&child("Resources", logical_id), "Properties");
        let Some(resource) = self.resources.get(logical_id) else {
            return Err(self.invalid(&path, format!("there is no resource `{logical_id}`")));
        };
        match &resource.properties {
            Value::Null => Ok(Map::new()),
            properties => match self.resolve(properties, &path)? {
                None => Ok(Map::new()),
                Some(Value::Object(map)) => Ok(map),
                Some(other) => Err(self.expected(&path, "an object", &other)),
            },
        }
    }

    /// One property of a resource, as a string.
    pub(super) fn resource_string(&self, logical_id: &str, key: &str) -> Result<Option<String>> {
        let props = self.properties(logical_id)?;
        let path = child(&child("Resources", logical_id), "Properties");
        self.string(&props, key, &path)
    }

    /// `object[key]` resolved at the top; `None` when absent or
    /// `AWS::NoValue`. `path` is the object's path.
    pub(crate) fn field(
        &self,
        object: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<Option<Value>> {
        let path = child(path, key);
        let Some(value) = object.get(key) else {
            return Ok(None);
        };
        match self.resolve(value, &path)? {
            Some(Value::Null) => Err(self.invalid(
                &path,
                "null values are not allowed in templates (in YAML, a key with nothing after it \
                 is null)",
            )),
            other => Ok(other),
        }
    }

    /// A string property (numbers and booleans are written out).
    pub(crate) fn string(
        &self,
        object: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<Option<String>> {
        match self.field(object, key, path)? {
            None => Ok(None),
            Some(value) => self.scalar_string(&value, &child(path, key)).map(Some),
        }
    }

    /// A string property that must be there.
    pub(crate) fn required_string(
        &self,
        object: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<String> {
        self.string(object, key, path)?
            .ok_or_else(|| self.invalid(path, format!("the required property {key} is missing")))
    }

    /// A boolean property (`true`/`false`, or the strings `"true"`/`"false"`).
    pub(crate) fn boolean(
        &self,
        object: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<Option<bool>> {
        match self.field(object, key, path)? {
            None => Ok(None),
            Some(value) => self.to_bool(&value, &child(path, key)).map(Some),
        }
    }

    /// `true`/`false`, or the strings `"true"`/`"false"` in any case.
    fn to_bool(&self, value: &Value, path: &str) -> Result<bool> {
        match value {
            Value::Bool(b) => Ok(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
            other => Err(self.expected(path, "a boolean (true or false)", other)),
        }
    }

    /// A non-negative integer property (a number or a string of digits).
    pub(crate) fn unsigned(
        &self,
        object: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<Option<u64>> {
        let path_key = child(path, key);
        match self.field(object, key, path)? {
            None => Ok(None),
            Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
            Some(Value::String(s)) if s.trim().parse::<u64>().is_ok() => Ok(s.trim().parse().ok()),
            Some(other) => Err(self.expected(&path_key, "a non-negative integer", &other)),
        }
    }

    /// A number property (a JSON number or a string holding one), finite.
    pub(crate) fn number(
        &self,
        object: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<Option<f64>> {
        let path_key = child(path, key);
        let parsed = match self.field(object, key, path)? {
            None => return Ok(None),
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
            Some(other) => return Err(self.expected(&path_key, "a number", &other)),
        };
        match parsed {
            Some(n) if n.is_finite() => Ok(Some(n)),
            _ => Err(self.invalid(&path_key, "expected a number")),
        }
    }

    /// An object property, resolved at the top.
    pub(crate) fn object(
        &self,
        object: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<Option<Map<String, Value>>> {
        match self.field(object, key, path)? {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(other) => Err(self.expected(&child(path, key), "an object", &other)),
        }
    }

    /// A list property: its items resolved at the top (`AWS::NoValue`
    /// items removed), each with its path.
    pub(crate) fn list(
        &self,
        object: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<Vec<(String, Value)>> {
        let items = match self.field(object, key, path)? {
            None => return Ok(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(other) => return Err(self.expected(&child(path, key), "a list", &other)),
        };
        let list_path = child(path, key);
        let mut out = Vec::with_capacity(items.len());
        for (i, value) in items.iter().enumerate() {
            let path = item(&list_path, i);
            match self.resolve(value, &path)? {
                None => {}
                Some(Value::Null) => {
                    return Err(self.invalid(&path, "null values are not allowed in templates"));
                }
                Some(value) => out.push((path, value)),
            }
        }
        Ok(out)
    }

    /// A list of objects, each with its path.
    pub(crate) fn object_list(
        &self,
        object: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<Vec<(String, Map<String, Value>)>> {
        self.list(object, key, path)?
            .into_iter()
            .map(|(path, value)| match value {
                Value::Object(map) => Ok((path, map)),
                other => Err(self.expected(&path, "an object", &other)),
            })
            .collect()
    }

    /// A list of strings.
    pub(crate) fn string_list(
        &self,
        object: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<Vec<String>> {
        self.list(object, key, path)?
            .into_iter()
            .map(|(path, value)| self.required_string_of(&value, &path))
            .collect()
    }

    /// An object of strings (`AWS::NoValue` entries removed).
    pub(crate) fn string_map(
        &self,
        object: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<IndexMap<String, String>> {
        let map = self.object(object, key, path)?.unwrap_or_default();
        let path = child(path, key);
        let mut out = IndexMap::new();
        for (name, value) in map {
            if let Some(value) = self.string_of(&value, &child(&path, &name))? {
                out.insert(name, value);
            }
        }
        Ok(out)
    }

    /// An object of booleans (`AWS::NoValue` entries removed).
    pub(crate) fn bool_map(
        &self,
        object: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<IndexMap<String, bool>> {
        let map = self.object(object, key, path)?.unwrap_or_default();
        let path = child(path, key);
        let mut out = IndexMap::new();
        for (name, value) in map {
            let path = child(&path, &name);
            if let Some(value) = self.resolve_deep(&value, &path)? {
                out.insert(name, self.to_bool(&value, &path)?);
            }
        }
        Ok(out)
    }

    /// Any JSON value, fully resolved (nulls allowed inside).
    pub(crate) fn json(
        &self,
        object: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<Option<Value>> {
        match object.get(key) {
            None => Ok(None),
            Some(value) => self.resolve_deep(value, &child(path, key)),
        }
    }
}
