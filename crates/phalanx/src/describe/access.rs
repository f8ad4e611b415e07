//! The page's access parts: who may call each method (its authorization,
//! its API key, the body it must send) and how often (its usage plans'
//! and its stage's limits), and the API's authorizers, API keys, usage
//! plans and stage throttling.
//!
//! API key values are never written: a key's value is its secret, and the
//! page is meant to be shared. The CloudFormation template the page shows
//! has them replaced ([`hide_key_values`]).

use super::esc;
use phalanx_gateway::model::{
    Authorizer, AuthorizerType, Method, MethodSetting, Quota, RestApi, Throttle, UsagePlan,
    UsagePlanStage,
};
use std::fmt::Write;

/// What the page writes in place of an API key's value.
pub(super) const HIDDEN: &str = "(API key value not shown)";

/// AWS's cache TTL when an authorizer names none
/// (`AuthorizerResultTtlInSeconds`).
const DEFAULT_TTL: u64 = 300;

/// The authorizer a `CUSTOM` or `COGNITO_USER_POOLS` method names.
fn authorizer_of<'a>(api: &'a RestApi, m: &Method) -> Option<&'a Authorizer> {
    let name = m.authorizer.as_deref()?;
    api.authorizers.iter().find(|a| a.name == name)
}

fn kind_name(kind: AuthorizerType) -> &'static str {
    match kind {
        AuthorizerType::Token => "TOKEN",
        AuthorizerType::Request => "REQUEST",
        AuthorizerType::CognitoUserPools => "COGNITO_USER_POOLS",
    }
}

/// An anchor for an authorizer's row, so methods can link to it.
fn authorizer_anchor(name: &str) -> String {
    format!(
        "authorizer-{}",
        esc(&name.replace(char::is_whitespace, "_"))
    )
}

/// An anchor for a method's section.
pub(super) fn method_anchor(m: &Method) -> String {
    format!(
        "method-{}-{}",
        esc(&m.http_method),
        esc(&m.resource_path.replace(char::is_whitespace, "_"))
    )
}

fn authorizer_link(name: &str) -> String {
    format!(
        "<a href=\"#{}\"><code>{}</code></a>",
        authorizer_anchor(name),
        esc(name)
    )
}

/// The function's name behind a logical id (the id itself when the API
/// does not know it).
fn function_name<'a>(api: &'a RestApi, logical_id: &'a str) -> &'a str {
    api.functions
        .get(logical_id)
        .map_or(logical_id, |f| f.function_name.as_str())
}

fn ttl(a: &Authorizer) -> String {
    match a.authorizer_result_ttl_in_seconds {
        Some(0) => "not cached".to_string(),
        Some(s) => format!("cached {s} s"),
        None => format!("cached {DEFAULT_TTL} s (AWS's default)"),
    }
}

fn codes(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("<code>{}</code>", esc(s)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The token's pattern, when the authorizer has one (a token that does
/// not match is refused 401 before the authorizer runs).
fn matching(a: &Authorizer) -> String {
    a.identity_validation_expression
        .as_deref()
        .map(|e| format!(", matching <code>{}</code>", esc(e)))
        .unwrap_or_default()
}

fn identity(a: &Authorizer) -> String {
    match a.identity_source.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => codes(
            &s.split(',')
                .map(|p| p.trim().to_string())
                .collect::<Vec<_>>(),
        ),
        None => "<em>none</em>".to_string(),
    }
}

/// The method's authorization in full: the type, and for an authorizer
/// its kind, identity source, cache and (Cognito) the method's scopes.
pub(super) fn authorization(api: &RestApi, m: &Method) -> String {
    let kind = m.authorization_type.as_deref().unwrap_or("NONE");
    match kind {
        "NONE" => "<code>NONE</code>: anyone".to_string(),
        "AWS_IAM" => "<code>AWS_IAM</code>: requests signed (Signature Version 4) by an IAM principal allowed <code>execute-api:Invoke</code> on the method".to_string(),
        "CUSTOM" | "COGNITO_USER_POOLS" => match authorizer_of(api, m) {
            Some(a) if a.kind == AuthorizerType::CognitoUserPools => format!(
                "<code>{kind}</code>: Cognito user pool authorizer {} — a token of {} in {}{}, {}; {}",
                authorizer_link(&a.name),
                codes(&a.provider_arns),
                identity(a),
                matching(a),
                ttl(a),
                scopes(m)
            ),
            Some(a) => format!(
                "<code>{kind}</code>: Lambda authorizer {} (<code>{}</code>{}) — identity {}{}, {}",
                authorizer_link(&a.name),
                kind_name(a.kind),
                a.function
                    .as_deref()
                    .map(|f| format!(", function <code>{}</code>", esc(function_name(api, f))))
                    .unwrap_or_default(),
                identity(a),
                matching(a),
                ttl(a)
            ),
            None => format!(
                "<code>{kind}</code>: authorizer <code>{}</code>, which the API does not declare",
                esc(m.authorizer.as_deref().unwrap_or("(none named)"))
            ),
        },
        other => format!("<code>{}</code>", esc(other)),
    }
}

fn scopes(m: &Method) -> String {
    if m.authorization_scopes.is_empty() {
        "any scope (ID or access token)".to_string()
    } else {
        format!(
            "an access token with one of the scopes {}",
            codes(&m.authorization_scopes)
        )
    }
}

/// The method's authorization in a few words, for the summary table.
fn authorization_short(api: &RestApi, m: &Method) -> String {
    let kind = m.authorization_type.as_deref().unwrap_or("NONE");
    match (kind, authorizer_of(api, m)) {
        ("CUSTOM" | "COGNITO_USER_POOLS", Some(a)) => {
            let mut out = format!("<code>{kind}</code> {}", authorizer_link(&a.name));
            // A Lambda authorizer's kind says what it is given; a Cognito
            // one's would repeat the method's type.
            if a.kind != AuthorizerType::CognitoUserPools {
                let _ = write!(out, " (<code>{}</code>)", kind_name(a.kind));
            }
            if !m.authorization_scopes.is_empty() {
                let _ = write!(out, ", scopes {}", codes(&m.authorization_scopes));
            }
            out
        }
        ("CUSTOM" | "COGNITO_USER_POOLS", None) => format!(
            "<code>{kind}</code> <code>{}</code> (not declared)",
            esc(m.authorizer.as_deref().unwrap_or("(none named)"))
        ),
        _ => format!("<code>{}</code>", esc(kind)),
    }
}

/// The usage plans covering `stage`, with that stage's entry.
fn plans_of<'a>(
    api: &'a RestApi,
    stage: &'a str,
) -> impl Iterator<Item = (&'a UsagePlan, &'a UsagePlanStage)> + 'a {
    api.usage_plans.iter().filter_map(move |p| {
        p.api_stages
            .iter()
            .find(|s| s.stage == stage)
            .map(|s| (p, s))
    })
}

/// A plan's keys, a disabled one marked (the gateway refuses it).
fn plan_keys(api: &RestApi, keys: &[String]) -> String {
    if keys.is_empty() {
        return "<em>no keys</em>".to_string();
    }
    keys.iter()
        .map(|k| {
            let disabled = api.api_keys.iter().any(|a| &a.name == k && !a.enabled);
            format!(
                "<code>{}</code>{}",
                esc(k),
                if disabled { " (disabled)" } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn key_source(api: &RestApi) -> &'static str {
    match api.api_key_source_type.as_deref() {
        Some(s) if s.eq_ignore_ascii_case("AUTHORIZER") => {
            "the Lambda authorizer's <code>usageIdentifierKey</code>"
        }
        _ => "the <code>x-api-key</code> header",
    }
}

/// Whether the method needs an API key, where it is read from, and which
/// plans' keys are accepted, per stage.
pub(super) fn api_key(api: &RestApi, m: &Method) -> String {
    if !m.api_key_required {
        return "not required".to_string();
    }
    let mut out = format!("required, from {}", key_source(api));
    for stage in &api.stages {
        let plans: Vec<String> = plans_of(api, &stage.stage_name)
            .map(|(p, _)| {
                format!(
                    "usage plan <code>{}</code> (keys {})",
                    esc(&p.name),
                    plan_keys(api, &p.api_keys)
                )
            })
            .collect();
        if plans.is_empty() {
            let _ = write!(
                out,
                "; stage <code>{}</code>: no usage plan covers it, so every call is refused (403)",
                esc(&stage.stage_name)
            );
        } else {
            let _ = write!(
                out,
                "; stage <code>{}</code>: a key of {}",
                esc(&stage.stage_name),
                plans.join(" or ")
            );
        }
    }
    out
}

/// Whether the method needs an API key, and of which plans, in a few
/// words for the summary table.
fn api_key_short(api: &RestApi, m: &Method) -> String {
    if !m.api_key_required {
        return "not required".to_string();
    }
    let mut plans: Vec<String> = Vec::new();
    for stage in &api.stages {
        for (plan, _) in plans_of(api, &stage.stage_name) {
            if !plans.contains(&plan.name) {
                plans.push(plan.name.clone());
            }
        }
    }
    if plans.is_empty() {
        "required, but no usage plan covers the stage: refused (403)".to_string()
    } else {
        format!("required: a key of usage plan {}", codes(&plans))
    }
}

/// The method's request models, each with its schema folded away.
pub(super) fn request_models(api: &RestApi, m: &Method) -> String {
    if m.request_models.is_empty() {
        return "<em>none</em>".to_string();
    }
    let mut out = String::new();
    for (content_type, name) in &m.request_models {
        let schema = api
            .models
            .iter()
            .find(|model| &model.name == name)
            .map(|model| serde_json::to_string_pretty(&model.schema).unwrap_or_default());
        match schema {
            Some(schema) => {
                let _ = write!(
                    out,
                    "<details><summary><code>{}</code> → model <code>{}</code></summary><pre>{}</pre></details>",
                    esc(content_type),
                    esc(name),
                    esc(&schema)
                );
            }
            None => {
                let _ = write!(
                    out,
                    "<div><code>{}</code> → model <code>{}</code> (not declared)</div>",
                    esc(content_type),
                    esc(name)
                );
            }
        }
    }
    out
}

/// What the method's request validator checks.
pub(super) fn request_validator(api: &RestApi, m: &Method) -> String {
    let Some(name) = m.request_validator.as_deref() else {
        return if m.request_models.is_empty() {
            "<em>none</em>".to_string()
        } else {
            "<em>none</em>: the body is not checked against the model".to_string()
        };
    };
    let checks = match api.request_validators.iter().find(|v| v.name == name) {
        Some(v) => match (v.validate_request_body, v.validate_request_parameters) {
            (true, true) => "checks the body and the required parameters; else 400",
            (true, false) => "checks the body against the model; else 400",
            (false, true) => "checks the required parameters; else 400",
            (false, false) => "checks nothing",
        },
        None => "not declared by the API",
    };
    format!("<code>{}</code>: {checks}", esc(name))
}

/// The request body in a few words, for the summary table.
fn request_body_short(api: &RestApi, m: &Method) -> String {
    if m.request_models.is_empty() {
        return "—".to_string();
    }
    let models: Vec<String> = m
        .request_models
        .iter()
        .map(|(ct, name)| format!("<code>{}</code> ({})", esc(name), esc(ct)))
        .collect();
    let validated = m
        .request_validator
        .as_deref()
        .and_then(|name| api.request_validators.iter().find(|v| v.name == name))
        .is_some_and(|v| v.validate_request_body);
    format!(
        "{}{}",
        models.join(", "),
        if validated {
            ", validated"
        } else {
            ", not validated"
        }
    )
}

fn throttle_text(rate: Option<f64>, burst: Option<u64>) -> String {
    format!(
        "{}, {}",
        rate.map_or("the account's rate".to_string(), |r| format!(
            "{r} requests/s"
        )),
        burst.map_or("the account's burst".to_string(), |b| format!("burst {b}"))
    )
}

fn throttle(t: &Throttle) -> String {
    throttle_text(t.rate_limit, t.burst_limit)
}

fn quota(q: &Quota) -> String {
    let mut out = format!("{} requests per {}", q.limit, esc(&q.period));
    if q.offset > 0 {
        let _ = write!(out, " ({} fewer in the first {})", q.offset, esc(&q.period));
    }
    out
}

/// How often the method may be called, per stage: per API key under each
/// usage plan (only when the method requires a key: a plan meters the
/// keys it identifies callers by), and for every caller together under the
/// stage's method settings. One item a line.
pub(super) fn limits(api: &RestApi, m: &Method) -> Vec<String> {
    let mut out = Vec::new();
    for stage in &api.stages {
        let name = esc(&stage.stage_name);
        if m.api_key_required {
            for (plan, plan_stage) in plans_of(api, &stage.stage_name) {
                let mut parts = Vec::new();
                match (
                    plan_stage.method_throttle(&m.resource_path, &m.http_method),
                    &plan.throttle,
                ) {
                    (Some(t), _) => parts.push(format!(
                        "{} (the plan's throttle of this method)",
                        throttle(t)
                    )),
                    (None, Some(t)) => parts.push(throttle(t)),
                    (None, None) => parts.push("no throttle".to_string()),
                }
                parts.push(plan.quota.as_ref().map_or("no quota".to_string(), quota));
                out.push(format!(
                    "each key of usage plan <code>{}</code> (stage <code>{name}</code>): {}",
                    esc(&plan.name),
                    parts.join("; ")
                ));
            }
        }
        match stage.method_throttle(&m.resource_path, &m.http_method) {
            Some((setting, t)) => out.push(format!(
                "every caller together (stage <code>{name}</code>, method setting <code>{}</code> <code>{}</code>): {}",
                esc(&setting.resource_path),
                esc(&setting.http_method),
                throttle(&t)
            )),
            None => out.push(format!(
                "every caller together (stage <code>{name}</code>): the account's limits"
            )),
        }
    }
    out
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        return "<em>none</em>".to_string();
    }
    let mut out = String::from("<ul>");
    for i in items {
        let _ = write!(out, "<li>{i}</li>");
    }
    out.push_str("</ul>");
    out
}

/// The rows a method's table gets: its authorization, API key, request
/// models and validator, and limits.
pub(super) fn method_rows(api: &RestApi, m: &Method) -> String {
    format!(
        "<tr><th>authorization</th><td>{}</td></tr>\
         <tr><th>API key</th><td>{}</td></tr>\
         <tr><th>request models</th><td>{}</td></tr>\
         <tr><th>request validator</th><td>{}</td></tr>\
         <tr><th>limits</th><td>{}</td></tr>",
        authorization(api, m),
        api_key(api, m),
        request_models(api, m),
        request_validator(api, m),
        list(&limits(api, m))
    )
}

/// The access section: a table of who may call each method and how
/// often, then the API's authorizers, API keys, usage plans and stage
/// throttling. A row a line, so the section reads (and diffs) well as
/// source too.
pub(super) fn section(api: &RestApi) -> String {
    let mut out = String::from(
        "<section id=\"access\">\n<h3>Who may call each method, and how often</h3>\n<table id=\"access-methods\">\n<tr><th>method</th><th>authorization</th><th>API key</th><th>request body</th><th>limits</th></tr>\n",
    );
    for m in &api.methods {
        let _ = writeln!(
            out,
            "<tr><td><a href=\"#{}\">{} {}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            method_anchor(m),
            esc(&m.http_method),
            esc(&m.resource_path),
            authorization_short(api, m),
            api_key_short(api, m),
            request_body_short(api, m),
            list(&limits(api, m))
        );
    }
    out.push_str("</table>\n");
    authorizers(api, &mut out);
    api_keys(api, &mut out);
    usage_plans(api, &mut out);
    stage_throttling(api, &mut out);
    out.push_str("</section>");
    out
}

fn authorizers(api: &RestApi, out: &mut String) {
    out.push_str("<h3>Authorizers</h3>\n");
    if api.authorizers.is_empty() {
        out.push_str("<p><em>none</em></p>\n");
        return;
    }
    out.push_str("<table id=\"authorizers\">\n<tr><th>name</th><th>type</th><th>function or user pools</th><th>identity source</th><th>validation expression</th><th>cache</th><th>methods</th></tr>\n");
    for a in &api.authorizers {
        let by: Vec<String> = api
            .methods
            .iter()
            .filter(|m| m.authorizer.as_deref() == Some(a.name.as_str()))
            .map(|m| {
                format!(
                    "<a href=\"#{}\">{} {}</a>",
                    method_anchor(m),
                    esc(&m.http_method),
                    esc(&m.resource_path)
                )
            })
            .collect();
        let backend = match (a.kind, a.function.as_deref()) {
            (AuthorizerType::CognitoUserPools, _) => codes(&a.provider_arns),
            (_, Some(f)) => format!("λ <code>{}</code>", esc(function_name(api, f))),
            (_, None) => codes(&a.authorizer_uri.iter().cloned().collect::<Vec<_>>()),
        };
        let _ = writeln!(
            out,
            "<tr id=\"{}\"><td><code>{}</code></td><td><code>{}</code></td><td>{backend}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            authorizer_anchor(&a.name),
            esc(&a.name),
            kind_name(a.kind),
            identity(a),
            a.identity_validation_expression.as_deref().map_or(
                "<em>none</em>".to_string(),
                |e| format!("<code>{}</code>", esc(e))
            ),
            ttl(a),
            if by.is_empty() {
                "<em>none</em>".to_string()
            } else {
                by.join(", ")
            }
        );
    }
    out.push_str("</table>\n");
}

fn api_keys(api: &RestApi, out: &mut String) {
    out.push_str("<h3>API keys</h3>\n");
    if api.api_keys.is_empty() {
        out.push_str("<p><em>none</em></p>\n");
        return;
    }
    let _ = writeln!(
        out,
        "<p>Read from {}. Names only: a key's value is its secret.</p>",
        key_source(api)
    );
    out.push_str("<table id=\"api-keys\">\n<tr><th>name</th><th>enabled</th><th>stages</th><th>usage plans</th></tr>\n");
    for k in &api.api_keys {
        let plans: Vec<String> = api
            .usage_plans
            .iter()
            .filter(|p| p.api_keys.contains(&k.name))
            .map(|p| p.name.clone())
            .collect();
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&k.name),
            if k.enabled { "yes" } else { "no (refused)" },
            codes(&k.stages),
            codes(&plans)
        );
    }
    out.push_str("</table>\n");
}

fn usage_plans(api: &RestApi, out: &mut String) {
    out.push_str("<h3>Usage plans</h3>\n");
    if api.usage_plans.is_empty() {
        out.push_str("<p><em>none</em></p>\n");
        return;
    }
    out.push_str("<p>Limits per API key, on the methods that require one.</p>\n");
    out.push_str("<table id=\"usage-plans\">\n<tr><th>name</th><th>stages</th><th>keys</th><th>throttle</th><th>quota</th><th>method throttles</th></tr>\n");
    for p in &api.usage_plans {
        let stages: Vec<String> = p.api_stages.iter().map(|s| s.stage.clone()).collect();
        let methods: Vec<String> = p
            .api_stages
            .iter()
            .flat_map(|s| {
                s.throttle.iter().map(move |(key, t)| {
                    format!(
                        "<code>{}</code> (stage <code>{}</code>): {}",
                        esc(key),
                        esc(&s.stage),
                        throttle(t)
                    )
                })
            })
            .collect();
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.name),
            codes(&stages),
            plan_keys(api, &p.api_keys),
            p.throttle
                .as_ref()
                .map_or("<em>none</em>".to_string(), throttle),
            p.quota
                .as_ref()
                .map_or("<em>none</em>".to_string(), |q| format!(
                    "{} requests per {} (offset {})",
                    q.limit,
                    esc(&q.period),
                    q.offset
                )),
            list(&methods)
        );
    }
    out.push_str("</table>\n");
}

fn stage_throttling(api: &RestApi, out: &mut String) {
    out.push_str("<h3>Stage throttling</h3>\n");
    let settings: Vec<(&str, &MethodSetting)> = api
        .stages
        .iter()
        .flat_map(|s| {
            s.method_settings
                .iter()
                .filter(|m| m.throttling_rate_limit.is_some() || m.throttling_burst_limit.is_some())
                .map(move |m| (s.stage_name.as_str(), m))
        })
        .collect();
    if settings.is_empty() {
        out.push_str("<p><em>none</em>: the account's limits</p>\n");
        return;
    }
    out.push_str("<p>The stages' method settings: one limit shared by every caller of the methods each matches (the most specific entry applies).</p>\n");
    out.push_str("<table id=\"stage-throttling\">\n<tr><th>stage</th><th>resource path</th><th>HTTP method</th><th>throttle</th></tr>\n");
    for (stage, s) in settings {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
            esc(stage),
            esc(&s.resource_path),
            esc(&s.http_method),
            throttle_text(s.throttling_rate_limit, s.throttling_burst_limit)
        );
    }
    out.push_str("</table>\n");
}

/// Replaces the value of every `AWS::ApiGateway::ApiKey` of a
/// CloudFormation template with [`HIDDEN`].
pub(super) fn hide_key_values(template: &mut serde_json::Value) {
    let Some(resources) = template
        .get_mut("Resources")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    for resource in resources.values_mut() {
        if resource["Type"] == "AWS::ApiGateway::ApiKey"
            && let Some(value) = resource
                .get_mut("Properties")
                .and_then(|p| p.get_mut("Value"))
        {
            *value = serde_json::Value::String(HIDDEN.to_string());
        }
    }
}
