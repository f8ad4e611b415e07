//! `$input`: the request (or integration response) body and the method
//! request's parameters.
//!
//! What AWS does, and where we learnt it:
//! - `$input.body` of an empty body is `{}` (LocalStack's `VelocityInput`,
//!   validated against AWS);
//! - `$input.json(path)` is JSON text; a path that finds nothing gives `""`
//!   (the JSON text of an empty string, as LocalStack records);
//! - `$input.path(path)` gives objects: a JSON object is a Java map and
//!   renders `{a=1}`, a JSON array renders as compact JSON
//!   (localstack/airspeed's AWS-recorded `test_templating.snapshot.json`);
//! - `$input.params(name)` searches path, then query string, then headers,
//!   and gives `""` when absent (AWS developer guide, "$input variables").

use crate::jsonpath::Path;
use phalanx_vtl::{MethodError, Object, Value};
use std::cell::OnceCell;
use std::rc::Rc;
use std::sync::Arc;

/// The method request's parameters, as `$input.params()` shows them.
#[derive(Debug, Clone, Default)]
pub struct Params {
    /// Path parameters, decoded.
    pub path: Vec<(String, String)>,
    /// Query string parameters, decoded, every value in order (a repeated
    /// name reads as its last value).
    pub querystring: Vec<(String, String)>,
    /// Headers, every value in order (a repeated name reads as its last
    /// value).
    pub header: Vec<(String, String)>,
}

impl Params {
    /// `$input.params(name)`: path, then query string, then header (header
    /// names compared without case, as HTTP does).
    pub fn find(&self, name: &str) -> Option<&str> {
        fn exact<'p>(list: &'p [(String, String)], name: &str) -> Option<&'p str> {
            list.iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        }
        exact(&self.path, name)
            .or_else(|| exact(&self.querystring, name))
            .or_else(|| {
                self.header
                    .iter()
                    .rev()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.as_str())
            })
    }

    /// The last value of a header, names compared without case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `$input.params()`: `{path={…}, querystring={…}, header={…}}`, a
    /// repeated name with its last value.
    pub fn to_value(&self) -> Value {
        let section = |list: &[(String, String)]| {
            Value::map(
                list.iter()
                    .map(|(k, v)| (Value::from(k.as_str()), Value::from(v.as_str()))),
            )
        };
        // The three keys are made once per thread, not on every request.
        thread_local! {
            static KEYS: [Value; 3] = ["path", "querystring", "header"].map(Value::from);
        }
        KEYS.with(|[path, querystring, header]| {
            Value::map([
                (path.clone(), section(&self.path)),
                (querystring.clone(), section(&self.querystring)),
                (header.clone(), section(&self.header)),
            ])
        })
    }
}

/// `$input`.
pub struct Input {
    body: Arc<str>,
    json: OnceCell<Option<serde_json::Value>>,
    params: Arc<Params>,
    params_value: OnceCell<Value>,
}

impl Input {
    /// `$input` over a body (UTF-8 text) and the method request parameters.
    pub fn new(body: &str, params: Arc<Params>) -> Input {
        Input {
            body: Arc::from(body),
            json: OnceCell::new(),
            params,
            params_value: OnceCell::new(),
        }
    }

    fn document(&self) -> Option<&serde_json::Value> {
        self.json
            .get_or_init(|| serde_json::from_str(&self.body).ok())
            .as_ref()
    }

    /// Runs `f` on what `path` selects (nothing when the body is not JSON).
    fn with_selected<T>(
        &self,
        path: &Value,
        f: impl FnOnce(Option<&serde_json::Value>) -> T,
    ) -> Result<T, MethodError> {
        let path = match path {
            Value::String(s) => cached_path(s),
            other => cached_path(&other.to_string()),
        }
        .map_err(MethodError::Failed)?;
        let selected = self.document().and_then(|doc| path.select_ref(doc));
        Ok(f(selected.as_deref()))
    }
}

impl Object for Input {
    fn type_name(&self) -> &str {
        "Input"
    }

    fn property(&self, name: &str) -> Option<Value> {
        self.call(name, &[]).ok()
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, MethodError> {
        match (method, args) {
            ("body", []) => Ok(if self.body.is_empty() {
                Value::from("{}")
            } else {
                Value::String(self.body.clone())
            }),
            ("params", []) => Ok(self
                .params_value
                .get_or_init(|| self.params.to_value())
                .clone()),
            ("params", [name]) => Ok(Value::from(
                self.params.find(&name.to_string()).unwrap_or(""),
            )),
            ("json", [path]) => self.with_selected(path, |v| {
                Value::from(match v {
                    Some(v) => v.to_string(),
                    None => "\"\"".to_string(),
                })
            }),
            ("path", [path]) => {
                self.with_selected(path, |v| v.map(json_to_value).unwrap_or_default())
            }
            _ => Err(MethodError::NotFound),
        }
    }

    fn render(&self) -> String {
        "$input".into()
    }
}

const PATH_CACHE_LIMIT: usize = 256;

thread_local! {
    /// Templates pass the same literal paths on every request: parse each
    /// once per thread.
    /// FxHash, not SipHash: a path built from request data could be chosen
    /// to collide, but the cache holds at most `PATH_CACHE_LIMIT` entries.
    static PATHS: std::cell::RefCell<rustc_hash::FxHashMap<String, Rc<Path>>> =
        std::cell::RefCell::new(rustc_hash::FxHashMap::default());
}

fn cached_path(source: &str) -> Result<Rc<Path>, String> {
    if let Some(p) = PATHS.with(|c| c.borrow().get(source).cloned()) {
        return Ok(p);
    }
    let path = Rc::new(Path::parse(source)?);
    PATHS.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= PATH_CACHE_LIMIT {
            c.clear();
        }
        c.insert(source.to_string(), path.clone());
    });
    Ok(path)
}

/// A JSON value as `$input.path` gives it: objects become maps, arrays a
/// [`JsonArray`] that renders as JSON, scalars the matching VTL value.
pub fn json_to_value(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Array(items) => Value::object(JsonArray(Rc::new(items.clone()))),
        serde_json::Value::Object(map) => Value::map(
            map.iter()
                .map(|(k, v)| (Value::from(k.as_str()), json_to_value(v))),
        ),
        other => Value::from_json(other),
    }
}

/// A JSON array from `$input.path`: a list for `#foreach`, `size()`,
/// `get(i)` and `[i]`, printed as compact JSON (as `net.minidev`'s
/// `JSONArray`, which AWS returns, prints itself).
pub struct JsonArray(Rc<Vec<serde_json::Value>>);

impl Object for JsonArray {
    fn type_name(&self) -> &str {
        "net.minidev.json.JSONArray"
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, MethodError> {
        match (method, args) {
            ("size", []) => Ok(Value::Int(self.0.len() as i64)),
            ("isEmpty", []) => Ok(Value::Bool(self.0.is_empty())),
            ("get", [Value::Int(i)]) => usize::try_from(*i)
                .ok()
                .and_then(|i| self.0.get(i))
                .map(json_to_value)
                .ok_or_else(|| {
                    MethodError::Failed(format!(
                        "IndexOutOfBoundsException: Index: {i}, Size: {}",
                        self.0.len()
                    ))
                }),
            ("contains", [v]) => Ok(Value::Bool(
                self.0.iter().any(|item| json_to_value(item) == *v),
            )),
            ("toString", []) => Ok(Value::from(self.render())),
            _ => Err(MethodError::NotFound),
        }
    }

    fn render(&self) -> String {
        serde_json::Value::Array(self.0.as_ref().clone()).to_string()
    }

    fn iterate(&self) -> Option<Vec<Value>> {
        Some(self.0.iter().map(json_to_value).collect())
    }
}
