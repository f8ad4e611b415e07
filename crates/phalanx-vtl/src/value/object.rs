//! The trait through which a host exposes its own objects to templates.

use super::Value;

/// Why a method call on a value failed.
#[derive(Debug, Clone, PartialEq)]
pub enum MethodError {
    /// No method of that name takes these arguments: Velocity treats the
    /// call as null (and renders the reference's source text).
    NotFound,
    /// The method ran and threw (Velocity's `MethodInvocationException`):
    /// rendering stops with this message.
    Failed(String),
}

/// A host object, like API Gateway's `$input` or `$util`.
///
/// Implement the parts your object supports; the defaults say "no such
/// property/method", which Velocity renders as the reference's source text.
///
/// ```
/// use phalanx_vtl::{Context, Engine, MethodError, Object, Value};
///
/// struct Greeter;
/// impl Object for Greeter {
///     fn type_name(&self) -> &str { "Greeter" }
///     fn property(&self, name: &str) -> Option<Value> {
///         (name == "greeting").then(|| Value::from("hello"))
///     }
///     fn call(&self, method: &str, args: &[Value]) -> Result<Value, MethodError> {
///         match (method, args) {
///             ("greet", [who]) => Ok(format!("hello, {who}").into()),
///             _ => Err(MethodError::NotFound),
///         }
///     }
/// }
///
/// let engine = Engine::velocity();
/// let template = engine.compile("t", "$g.greeting / $g.greet('you') / $g.nope()").unwrap();
/// let mut ctx = Context::new();
/// ctx.insert("g", Value::object(Greeter));
/// assert_eq!(template.render(&mut ctx).unwrap(), "hello / hello, you / $g.nope()");
/// ```
pub trait Object: std::any::Any {
    /// The name used in error messages (a Java class name, if it mimics one).
    fn type_name(&self) -> &str;

    /// `$obj.name` — Velocity tries `getName()`, `get("name")`, `isName()`.
    fn property(&self, _name: &str) -> Option<Value> {
        None
    }

    /// `$obj.name(args)`.
    fn call(&self, _method: &str, _args: &[Value]) -> Result<Value, MethodError> {
        Err(MethodError::NotFound)
    }

    /// The object's `toString()`, used when it is rendered.
    fn render(&self) -> String {
        format!("{}@object", self.type_name())
    }

    /// The items `#foreach` visits, if the object is iterable.
    fn iterate(&self) -> Option<Vec<Value>> {
        None
    }
}
