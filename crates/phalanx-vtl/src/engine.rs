//! The engine (settings and the global macro library) and the compiled
//! [`Template`].

use crate::compiler::ast::{Block, MacroDef};
use crate::compiler::parser;
use crate::dialect::Dialect;
use crate::error::{Error, SourceRef, Span};
use crate::render::{Context, Limits, Renderer};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A macro definition with the source it came from (for error messages).
#[derive(Debug)]
pub(crate) struct Macro {
    pub def: MacroDef,
    pub source: SourceRef,
}

type MacroLibrary = HashMap<Box<str>, Arc<Macro>>;

/// Compiles templates. Holds the dialect, the limits and the global macro
/// library (Velocity's `velocimacro.library`).
///
/// ```
/// use phalanx_vtl::{Context, Engine, Value};
///
/// let engine = Engine::api_gateway();
/// let template = engine
///     .compile("request", r#"{"name": "$name", "missing": "$nothing"}"#)
///     .unwrap();
/// let mut ctx = Context::new();
/// ctx.insert("name", Value::from("phalanx"));
/// assert_eq!(
///     template.render(&mut ctx).unwrap(),
///     r#"{"name": "phalanx", "missing": ""}"#
/// );
/// ```
#[derive(Clone, Debug)]
pub struct Engine {
    dialect: Dialect,
    limits: Limits,
    library: Arc<MacroLibrary>,
}

impl Engine {
    /// An engine for `dialect` with that dialect's default limits.
    pub fn new(dialect: Dialect) -> Engine {
        let limits = match dialect {
            Dialect::Velocity => Limits::velocity(),
            Dialect::ApiGateway => Limits::api_gateway(),
        };
        Engine {
            dialect,
            limits,
            library: Arc::new(HashMap::new()),
        }
    }

    /// Plain Apache Velocity 1.7.
    pub fn velocity() -> Engine {
        Engine::new(Dialect::Velocity)
    }

    /// API Gateway's mapping template dialect.
    pub fn api_gateway() -> Engine {
        Engine::new(Dialect::ApiGateway)
    }

    /// Replaces the limits.
    pub fn with_limits(mut self, limits: Limits) -> Engine {
        self.limits = limits;
        self
    }

    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Loads a macro library: its `#macro`s become visible to every
    /// template compiled afterwards, as with Velocity's
    /// `velocimacro.library`. The rest of the library's text is ignored.
    /// As in Velocity 1.7, the first definition of a name wins.
    pub fn add_library(&mut self, name: &str, source: &str) -> Result<(), Error> {
        let source_ref = SourceRef {
            name: name.into(),
            text: source.into(),
        };
        let is_global_macro = |name: &str| self.library.contains_key(name);
        // A library defines macros even in a dialect without inline macros:
        // loading one is the user's explicit choice.
        let syntax = parser::Syntax {
            inline_macros: true,
            ..self.syntax(&is_global_macro)
        };
        let parsed = parser::parse(source, &syntax).map_err(|e| e.with_source(&source_ref))?;
        let library = Arc::make_mut(&mut self.library);
        for def in parsed.macros {
            library.entry(def.name.clone()).or_insert_with(|| {
                Arc::new(Macro {
                    def,
                    source: source_ref.clone(),
                })
            });
        }
        Ok(())
    }

    /// Makes the macros a template defined global, as Velocity 1.7's
    /// engine-wide macro registry does (`velocimacro.permissions.allow.inline.local.scope = false`).
    /// Names already defined keep their first definition.
    pub fn add_macros_from(&mut self, template: &Template) {
        let library = Arc::make_mut(&mut self.library);
        for (name, m) in &template.inner.macros {
            library.entry(name.clone()).or_insert_with(|| m.clone());
        }
    }

    /// Parses a template once into its immutable, shareable compiled form.
    ///
    /// `name` is used in error messages (`name:line:col: message`).
    pub fn compile(&self, name: &str, source: &str) -> Result<Template, Error> {
        let source_ref = SourceRef {
            name: name.into(),
            text: source.into(),
        };
        if source.len() > self.limits.max_template_bytes {
            return Err(Error::limit(
                format!(
                    "the template is {} bytes; the limit is {} bytes",
                    source.len(),
                    self.limits.max_template_bytes
                ),
                Span::new(0, 0),
            )
            .with_source(&source_ref));
        }
        let is_global_macro = |name: &str| self.library.contains_key(name);
        let parsed = parser::parse(source, &self.syntax(&is_global_macro))
            .map_err(|e| e.with_source(&source_ref))?;
        let mut macros = HashMap::new();
        for def in parsed.macros {
            if self.library.contains_key(&def.name) {
                continue;
            }
            macros.insert(
                def.name.clone(),
                Arc::new(Macro {
                    def,
                    source: source_ref.clone(),
                }),
            );
        }
        Ok(Template {
            inner: Arc::new(TemplateInner {
                source: source_ref,
                body: parsed.body,
                macros,
                library: self.library.clone(),
                limits: self.limits.clone(),
                dialect: self.dialect,
                output_hint: OutputHint::default(),
            }),
        })
    }

    /// What the parser accepts in this engine's dialect.
    pub(crate) fn syntax<'m>(
        &self,
        is_global_macro: &'m dyn Fn(&str) -> bool,
    ) -> parser::Syntax<'m> {
        syntax_for(self.dialect, self.limits.max_nesting, is_global_macro)
    }

    /// Compiles and renders in one step (for one-off templates).
    pub fn render_str(&self, source: &str, ctx: &mut Context) -> Result<String, Error> {
        self.compile("template", source)?.render(ctx)
    }
}

/// A compiled template: immutable, cheap to clone, `Send + Sync`, rendered
/// any number of times.
#[derive(Clone, Debug)]
pub struct Template {
    inner: Arc<TemplateInner>,
}

#[derive(Debug)]
pub(crate) struct TemplateInner {
    pub source: SourceRef,
    pub body: Block,
    pub macros: HashMap<Box<str>, Arc<Macro>>,
    pub library: Arc<MacroLibrary>,
    pub limits: Limits,
    pub dialect: Dialect,
    /// The size of the last output, to size the next buffer in one go.
    pub output_hint: OutputHint,
}

pub(crate) fn syntax_for(
    dialect: Dialect,
    max_depth: usize,
    is_global_macro: &dyn Fn(&str) -> bool,
) -> parser::Syntax<'_> {
    let velocity = dialect == Dialect::Velocity;
    parser::Syntax {
        max_depth,
        inline_macros: velocity,
        evaluate: velocity,
        is_global_macro,
    }
}

impl TemplateInner {
    /// The global library's definition wins over the template's own.
    pub(crate) fn find_macro(&self, name: &str) -> Option<&Arc<Macro>> {
        self.library.get(name).or_else(|| self.macros.get(name))
    }
}

#[derive(Debug, Default)]
pub(crate) struct OutputHint(AtomicUsize);

impl OutputHint {
    pub fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
    pub fn set(&self, n: usize) {
        self.0.store(n, Ordering::Relaxed);
    }
}

impl Template {
    /// Renders the template against `ctx` (which `#set` may change).
    pub fn render(&self, ctx: &mut Context) -> Result<String, Error> {
        Renderer::new(&self.inner, ctx).render()
    }

    /// The name given at compile time.
    pub fn name(&self) -> &str {
        &self.inner.source.name
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.inner.source.text
    }

    /// The names of the macros this template defines.
    pub fn macro_names(&self) -> impl Iterator<Item = &str> {
        self.inner.macros.keys().map(|k| &**k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn templates_are_send_and_sync() {
        assert_send_sync::<Template>();
        assert_send_sync::<Engine>();
    }
}
