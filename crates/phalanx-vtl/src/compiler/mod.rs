//! Source text to syntax tree: the [`lexer`] (a cursor and the expression
//! tokenizer), the [`parser`] and the [`ast`].
//!
//! Internal: the tree carries the renderer's hints (`ast::ConstArgs`,
//! precomputed name hashes) and changes with it. It is public only with
//! the `unstable-internals` feature, for tools that inspect a template's
//! structure, with no stability promise; everyone else uses
//! [`Engine::compile`](crate::Engine::compile).

#![allow(missing_docs)]

pub mod ast;
pub mod lexer;
pub mod parser;
