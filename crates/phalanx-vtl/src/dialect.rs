//! Where API Gateway's VTL differs from plain Velocity 1.7.

/// Which flavour of VTL to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// Apache Velocity 1.7 with its default settings: a null or undefined
    /// reference renders as its source text (`$foo`) and is false in `#if`.
    #[default]
    Velocity,
    /// API Gateway's mapping templates. Each difference from
    /// [`Dialect::Velocity`] is pinned by a test in
    /// `tests/api_gateway_dialect.rs` that cites its source:
    ///
    /// - **A null or undefined reference is the empty string** — not only when
    ///   rendered (`Hello $name` → `Hello `) but in expressions too: it is true
    ///   in `#if`, `!$undefined` is false, it equals `''` and `$null`, and
    ///   `#set($x = $undefined)` sets `""`. Recorded against API Gateway in
    ///   localstack/airspeed `tests/test_templating.snapshot.json`
    ///   (`test_unmatched_name_does_not_get_substituted`,
    ///   `test_if_statement_considers_None_to_be_truthy`,
    ///   `test_logical_negation_operator`, `test_put_null_in_map`) and
    ///   LocalStack's AWS-validated
    ///   `test_apigateway_common.py::test_input_path_template_formatting`.
    /// - **No inline macros**: a `#macro` definition renders nothing and its
    ///   calls render as written (`#tryme()`), as Velocity does with
    ///   `velocimacro.permissions.allow.inline = false` (airspeed snapshot,
    ///   the macro cases). Macros of a library given to the engine still work.
    /// - **No `#evaluate`**: `#evaluate($x)` renders as written (airspeed
    ///   snapshot, the `#evaluate` case).
    /// - **Limits** ([`Limits::api_gateway`](crate::Limits::api_gateway)):
    ///   a template may be at most 300 KB and a `#foreach` may make at most
    ///   1000 iterations (AWS API Gateway developer guide, "Amazon API
    ///   Gateway quotas": "Number of iterations in a #foreach ... #end loop in
    ///   mapping templates: 1000"). What AWS does beyond 1000 is not
    ///   documented; we fail the render, which API Gateway answers with a 5xx.
    ApiGateway,
}
