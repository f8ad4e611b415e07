//! # phalanx-vtl
//!
//! An Apache Velocity 1.7 template engine, written to render exactly what
//! AWS API Gateway renders for its mapping templates.
//!
//! Templates are compiled once into an immutable [`Template`] (`Send +
//! Sync`) and rendered many times against a [`Context`] of [`Value`]s.
//! Host objects (API Gateway's `$input`, `$util`, `$context`) implement
//! [`Object`].
//!
//! ```
//! use phalanx_vtl::{Context, Engine, Value};
//!
//! let engine = Engine::velocity();
//! let template = engine.compile("hello.vm", "\
//! #set($greeting = \"Hello\")
//! #foreach($name in $names)
//! $greeting, $name!#if($foreach.hasNext) #end
//! #end").unwrap();
//!
//! let mut ctx = Context::new();
//! ctx.insert("names", Value::list(vec!["Ada".into(), "Alan".into()]));
//! assert_eq!(template.render(&mut ctx).unwrap(), "Hello, Ada! Hello, Alan!");
//! ```
//!
//! Errors name the place and say what was expected:
//!
//! ```
//! use phalanx_vtl::Engine;
//! let err = Engine::velocity().compile("bad.vm", "line one\n#if($a\nx").unwrap_err();
//! assert!(err.to_string().starts_with("bad.vm:3:1: expected ')'"), "{err}");
//! ```
//!
//! ## Layout
//! - [`compiler`]: lexer, parser and syntax tree;
//! - `value`: the value type, Java's methods on it and its formatting;
//! - `render`: the evaluator, the context, the loop object and the limits;
//! - [`Dialect`]: plain Velocity 1.7 or API Gateway's variant.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod compiler;
mod dialect;
mod engine;
mod error;
mod regex;
mod render;
mod value;

pub use dialect::Dialect;
pub use engine::{Engine, Template};
pub use error::{Error, ErrorKind, Location, Span};
pub use render::{Context, Limits};
pub use value::{KeyHasher, List, Map, MethodError, Object, Value, format_double};
