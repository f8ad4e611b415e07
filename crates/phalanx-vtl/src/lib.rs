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
//! In API Gateway's dialect a null or undefined reference is the empty
//! string, as AWS renders it:
//!
//! ```
//! use phalanx_vtl::{Context, Engine};
//! let t = Engine::api_gateway().compile("t", "[$nope]#if($nope) true#end").unwrap();
//! assert_eq!(t.render(&mut Context::new()).unwrap(), "[] true");
//! ```
//!
//! ## Layout
//! - `compiler`: lexer, parser and syntax tree (public only with the
//!   `unstable-internals` feature, without any stability promise);
//! - `value`: the value type, Java's methods on it (`methods`), its
//!   formatting, bounded walks over nested values (`walk`) and keyed hashing
//!   (`hashing`);
//! - `render`: the evaluator; how a name is resolved (`render/lookup.rs`,
//!   the one place), expressions, `#foreach` and the `$foreach` object,
//!   macro frames, the [`Context`] and the [`Limits`] with their meters;
//! - [`Dialect`]: plain Velocity 1.7 or API Gateway's variant;
//! - `regex`: Java regular expressions.

// One audited exception: `compiler::ast::ConstArgs` (see there).
#![deny(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "unstable-internals")]
pub mod compiler;
#[cfg(not(feature = "unstable-internals"))]
mod compiler;
mod dialect;
mod engine;
mod error;
mod regex;
mod render;
mod value;

pub use dialect::Dialect;
pub use engine::{Engine, Template};
pub use error::{Error, ErrorKind, Location, Span};
pub use regex::java_regex_whole_match;
pub use render::{Context, Limits, Name};
pub use value::{KeyHasher, List, Map, MethodError, Object, Value, format_double};
