//! The objects API Gateway puts in a mapping template's context — `$input`,
//! `$util`, `$context`, `$stageVariables` — and [`render`], which renders a
//! compiled template with them and reads back the overrides it set.

mod context;
mod input;
mod override_map;
mod util;

pub use context::{AuthorizerContext, ContextJson, ErrorInfo, Identity, Overrides, RequestContext};
pub use input::{Input, JsonArray, Params, json_to_value};
pub use util::{Util, escape_javascript, escape_javascript_into, url_decode, url_encode};

use indexmap::IndexMap;
use phalanx_vtl::{Context, Name, Template, Value};
use std::sync::{Arc, LazyLock};

/// Everything one render needs besides the template.
pub struct TemplateInput<'a> {
    /// The body `$input` exposes (request body, or integration response
    /// body for response templates).
    pub body: &'a str,
    /// The method request's parameters.
    pub params: Arc<Params>,
    /// `$context`.
    pub context: &'a Arc<RequestContext>,
    /// `$stageVariables`.
    pub stage_variables: &'a IndexMap<String, String>,
    /// Overrides set so far (by the request template, when rendering the
    /// response template).
    pub overrides: &'a Overrides,
}

/// Renders `template` with `$input`, `$util`, `$context` and
/// `$stageVariables`; returns the output and the overrides after the render.
pub fn render(
    template: &Template,
    input: TemplateInput<'_>,
) -> Result<(String, Overrides), phalanx_vtl::Error> {
    /// The four names, hashed once.
    static NAMES: LazyLock<[Name; 4]> =
        LazyLock::new(|| ["input", "util", "context", "stageVariables"].map(Name::new));
    thread_local! {
        /// `$util` holds nothing: one per thread, shared by every render.
        static UTIL: Value = Value::object(Util);
    }
    let [input_name, util_name, context_name, stage_variables_name] = &*NAMES;
    let mut ctx = Context::with_capacity(4);
    ctx.insert_name(
        input_name,
        Value::object(Input::new(input.body, input.params)),
    );
    ctx.insert_name(util_name, UTIL.with(Value::clone));
    ctx.insert_name(context_name, input.context.to_value(input.overrides));
    ctx.insert_name(
        stage_variables_name,
        Value::map(
            input
                .stage_variables
                .iter()
                .map(|(k, v)| (Value::from(k.as_str()), Value::from(v.as_str()))),
        ),
    );
    let output = template.render(&mut ctx)?;
    let overrides = ctx
        .get("context")
        .map(Overrides::read_from)
        .unwrap_or_default();
    Ok((output, overrides))
}
