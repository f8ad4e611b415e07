//! `describe`: one self-contained HTML page — a graph of the API, its
//! methods and the functions they invoke or are authorized by (inline
//! SVG, no script, no network), who may call each method and how often
//! (authorizers, API keys, usage plans, stage throttling), a table of
//! every method's authorization and mappings, and the CloudFormation
//! template (API key values left out).

mod access;

use crate::service::Service;
use phalanx_gateway::model;
use std::fmt::Write;

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const NODE_W: i32 = 240;
const NODE_H: i32 = 36;
const ROW: i32 = 56;
const COLUMNS: [i32; 3] = [20, 340, 660];

fn node(svg: &mut String, x: i32, y: i32, label: &str, class: &str) {
    let _ = write!(
        svg,
        r#"<g class="node {class}"><rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="6"/><text x="{}" y="{}">{}</text></g>"#,
        x + 12,
        y + 23,
        esc(label)
    );
}

fn edge(svg: &mut String, from: (i32, i32), to: (i32, i32), class: &str) {
    let (x1, y1) = (from.0 + NODE_W, from.1 + NODE_H / 2);
    let (x2, y2) = (to.0, to.1 + NODE_H / 2);
    let mid = (x1 + x2) / 2;
    let _ = write!(
        svg,
        r#"<path class="{class}" d="M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"/>"#
    );
}

/// The graph: the API, its methods, the functions they invoke, and
/// (dashed) the Lambda authorizers' functions that decide who may call
/// them.
fn graph(service: &Service, api: &model::RestApi) -> String {
    let functions: Vec<(&str, String)> = service
        .functions
        .iter()
        .map(|f| (f.name.as_str(), f.logical_id()))
        .collect();
    let rows = api.methods.len().max(functions.len()).max(1) as i32;
    let height = rows * ROW + 20;
    let width = COLUMNS[2] + NODE_W + 20;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="API graph">"#
    );
    let api_pos = (COLUMNS[0], (height - NODE_H) / 2);
    let stage = api.stages.first().map_or("dev", |s| s.stage_name.as_str());
    let function_pos = |id: &str| {
        functions
            .iter()
            .position(|(_, fid)| fid == id)
            .map(|i| (COLUMNS[2], 10 + i as i32 * ROW))
    };
    for (i, m) in api.methods.iter().enumerate() {
        let pos = (COLUMNS[1], 10 + i as i32 * ROW);
        edge(&mut svg, api_pos, pos, "edge");
        if let Some(f) = m.integration.as_ref().and_then(|i| i.function.as_deref())
            && let Some(fpos) = function_pos(f)
        {
            edge(&mut svg, pos, fpos, "edge");
        }
        let authorizer = m
            .authorizer
            .as_deref()
            .and_then(|name| api.authorizers.iter().find(|a| a.name == name));
        if let Some(f) = authorizer.and_then(|a| a.function.as_deref())
            && let Some(fpos) = function_pos(f)
        {
            edge(&mut svg, pos, fpos, "edge authorizes");
        }
    }
    node(
        &mut svg,
        api_pos.0,
        api_pos.1,
        &format!("API {} ({stage})", api.name),
        "api",
    );
    for (i, m) in api.methods.iter().enumerate() {
        node(
            &mut svg,
            COLUMNS[1],
            10 + i as i32 * ROW,
            &format!("{} {}", m.http_method, m.resource_path),
            "method",
        );
    }
    for (i, (name, _)) in functions.iter().enumerate() {
        node(
            &mut svg,
            COLUMNS[2],
            10 + i as i32 * ROW,
            &format!("λ {name}"),
            "function",
        );
    }
    svg.push_str("</svg>");
    svg
}

fn map_rows<V: std::fmt::Display>(map: &indexmap::IndexMap<String, V>) -> String {
    if map.is_empty() {
        return "<em>none</em>".to_string();
    }
    let mut out = String::from("<ul>");
    for (k, v) in map {
        let _ = write!(
            out,
            "<li><code>{}</code> ← <code>{}</code></li>",
            esc(k),
            esc(&v.to_string())
        );
    }
    out.push_str("</ul>");
    out
}

fn templates(map: &indexmap::IndexMap<String, String>) -> String {
    if map.is_empty() {
        return "<em>none (passthrough)</em>".to_string();
    }
    let mut out = String::new();
    for (ct, t) in map {
        let _ = write!(
            out,
            "<details><summary><code>{}</code></summary><pre>{}</pre></details>",
            esc(ct),
            esc(t)
        );
    }
    out
}

/// The page.
pub fn html(service: &Service) -> String {
    let api = service.model();
    let mut cloudformation = crate::export::cloudformation(service);
    access::hide_key_values(&mut cloudformation);
    let template = serde_json::to_string_pretty(&cloudformation).unwrap_or_default();
    let mut methods = String::new();
    for m in &api.methods {
        let integration = m.integration.clone().unwrap_or_default();
        let _ = write!(
            methods,
            "<section class=\"method\" id=\"{}\"><h3>{} {}</h3><table>{}",
            access::method_anchor(m),
            esc(&m.http_method),
            esc(&m.resource_path),
            access::method_rows(&api, m)
        );
        let _ = write!(
            methods,
            "<tr><th>method request parameters</th><td>{}</td></tr>",
            map_rows(
                &m.request_parameters
                    .iter()
                    .map(|(k, v)| (k.clone(), if *v { "required" } else { "optional" }))
                    .collect()
            )
        );
        let _ = write!(
            methods,
            "<tr><th>integration</th><td><code>{}</code> {}</td></tr>",
            integration.kind.as_str(),
            integration
                .function
                .as_deref()
                .map(|f| format!("→ function <code>{}</code>", esc(f)))
                .unwrap_or_default()
        );
        let _ = write!(
            methods,
            "<tr><th>integration request templates</th><td>{}</td></tr>",
            templates(&integration.request_templates)
        );
        let mut responses = String::from(
            "<table class=\"inner\"><tr><th>status</th><th>selection pattern</th><th>response parameters</th><th>templates</th></tr>",
        );
        for r in &integration.integration_responses {
            let _ = write!(
                responses,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(&r.status_code),
                esc(r.selection_pattern.as_deref().unwrap_or("(default)")),
                map_rows(&r.response_parameters),
                templates(&r.response_templates)
            );
        }
        responses.push_str("</table>");
        let _ = write!(
            methods,
            "<tr><th>integration responses</th><td>{responses}</td></tr>"
        );
        let mut declared = String::new();
        for r in &m.method_responses {
            let headers: Vec<&str> = r
                .response_parameters
                .keys()
                .map(|k| k.trim_start_matches("method.response.header."))
                .collect();
            let _ = write!(
                declared,
                "<li>{}{}</li>",
                esc(&r.status_code),
                if headers.is_empty() {
                    String::new()
                } else {
                    format!(" — headers: {}", esc(&headers.join(", ")))
                }
            );
        }
        let _ = write!(
            methods,
            "<tr><th>method responses</th><td><ul>{declared}</ul></td></tr></table></section>"
        );
    }
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{name} — Phalanx</title>
<style>
body {{ font: 14px/1.45 system-ui, sans-serif; margin: 2em; color: #1d2330; }}
h1 {{ font-size: 1.6em; }} h2 {{ margin-top: 2em; border-bottom: 1px solid #ccd; }}
svg .node rect {{ fill: #f3f6fb; stroke: #5470a8; }}
svg .api rect {{ fill: #fff4e0; stroke: #c7881e; }} svg .function rect {{ fill: #eef8ee; stroke: #3f8f4a; }}
svg text {{ font: 13px ui-monospace, monospace; fill: #1d2330; }}
svg .edge {{ fill: none; stroke: #8a96ad; stroke-width: 1.5; }}
svg .authorizes {{ stroke: #b0563c; stroke-dasharray: 5 4; }}
table {{ border-collapse: collapse; margin: .5em 0; }} th, td {{ border: 1px solid #dde; padding: .3em .6em; vertical-align: top; text-align: left; }}
th {{ background: #f6f7fa; }} pre {{ background: #f6f7fa; padding: .8em; overflow-x: auto; }}
</style></head>
<body>
<h1>{name}</h1>
<h2>Graph</h2>
{graph}
<h2>Access</h2>
{access}
<h2>Methods</h2>
{methods}
<h2>CloudFormation template</h2>
{keys_note}<pre id="cloudformation">{template}</pre>
</body></html>
"#,
        name = esc(&service.name),
        graph = graph(service, &api),
        access = access::section(&api),
        keys_note = if api.api_keys.is_empty() {
            String::new()
        } else {
            format!(
                "<p>API key values are left out (written as <code>{}</code>).</p>\n",
                esc(access::HIDDEN)
            )
        },
        template = esc(&template),
    )
}
