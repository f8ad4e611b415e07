//! Source text to syntax tree: the [`lexer`] (a cursor and the expression
//! tokenizer), the [`parser`] and the [`ast`].
//!
//! Public so that tools can inspect a template's structure; most users only
//! need [`Engine::compile`](crate::Engine::compile).

#![allow(missing_docs)]

pub mod ast;
pub mod lexer;
pub mod parser;
