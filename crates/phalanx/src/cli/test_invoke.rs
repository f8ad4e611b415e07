//! `test-invoke METHOD PATH`: one request through the pipeline, with the
//! trace API Gateway's console test shows — method request, route,
//! rendered integration request, endpoint response, selected integration
//! response, final status, headers and body.

use crate::service::Service;
use phalanx_gateway::{GatewayRequest, TraceStep};

/// `test-invoke METHOD PATH [-H 'NAME: VALUE']... [--body BODY|@FILE] [--stage NAME]`.
#[derive(clap::Args, Debug)]
pub(crate) struct TestInvokeArgs {
    /// GET, POST, ….
    method: String,
    /// The path without the stage, with an optional query: `/hello?x=1`.
    path: String,
    /// A request header, `Name: value` (repeatable).
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// The request body (`@FILE` reads a file).
    #[arg(long)]
    body: Option<String>,
    /// The stage (default: the API's).
    #[arg(long)]
    stage: Option<String>,
}

/// Runs the request and prints the trace (`text`) or a JSON document
/// (`json`), `format` being the global `--format`.
pub(crate) fn run(service: &Service, args: &TestInvokeArgs, format: &str) -> Result<(), String> {
    let (method, target) = (args.method.as_str(), args.path.as_str());
    let gateway = service
        .gateway(args.stage.as_deref())
        .map_err(|e| format!("{}: {e}", service.name()))?;
    let mut request_headers = Vec::new();
    for h in &args.headers {
        let (name, value) = h
            .split_once(':')
            .ok_or_else(|| format!("--header {h:?}: expected `Name: value`"))?;
        request_headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let body = match args.body.as_deref() {
        Some(b) if b.starts_with('@') => {
            std::fs::read(&b[1..]).map_err(|e| format!("{}: {e}", &b[1..]))?
        }
        Some(b) => b.as_bytes().to_vec(),
        None => Vec::new(),
    };
    if !body.is_empty()
        && !request_headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        request_headers.push(("Content-Type".into(), "application/json".into()));
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q.to_string())),
        None => (target, None),
    };
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    let request = GatewayRequest {
        method: method.to_ascii_uppercase(),
        path: format!(
            "/{}{}",
            gateway.stage(),
            if path == "/" { "" } else { &path }
        ),
        query,
        headers: request_headers.clone(),
        body: body.into(),
        source_ip: "127.0.0.1".into(),
        protocol: "HTTP/1.1".into(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let mut trace: Vec<TraceStep> = Vec::new();
    let reply = runtime.block_on(gateway.handle_traced(request.clone(), Some(&mut trace)));
    let body_text = String::from_utf8_lossy(&reply.body).into_owned();
    if format == "json" {
        let doc = serde_json::json!({
            "request": {"method": request.method, "path": request.path, "query": request.query,
                        "headers": request_headers, "body": String::from_utf8_lossy(&request.body)},
            "trace": trace.iter().map(|t| serde_json::json!({"stage": t.stage, "detail": t.detail})).collect::<Vec<_>>(),
            "response": {"status": reply.status, "headers": reply.headers, "body": body_text},
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    println!(
        "Method request: {} {}{}",
        request.method,
        request.path,
        request
            .query
            .as_deref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default()
    );
    for (k, v) in &request_headers {
        println!("  {k}: {v}");
    }
    if !request.body.is_empty() {
        println!("  body: {}", String::from_utf8_lossy(&request.body));
    }
    for step in &trace {
        println!("\n{}:", capitalize(step.stage));
        for line in step.detail.lines() {
            println!("  {line}");
        }
    }
    println!("\nMethod response: {}", reply.status);
    for (k, v) in &reply.headers {
        println!("  {k}: {v}");
    }
    println!("  body: {body_text}");
    Ok(())
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
