//! Servers for the load benchmark (`tools/bench/run-gateway-bench.sh`):
//!
//! - `bench_server baseline PORT` — a plain hyper "hello" server, the
//!   baseline every gateway number is compared with in the same run;
//! - `bench_server gateway PORT` — the non-proxy path through the whole
//!   pipeline: request template, an in-process echo function, response
//!   template;
//! - `bench_server runtime-api PORT COMMAND` — the same API with the echo
//!   function run as a process through the Lambda Runtime API.

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use phalanx_gateway::Gateway;
use phalanx_gateway::invoke::{FunctionProcess, InProcess, RuntimeApiHost};
use std::convert::Infallible;
use std::sync::Arc;

#[path = "bench_api/mod.rs"]
mod bench_api;
use bench_api::api;

// The same allocator as the `phalanx` binary, so the numbers are the ones
// users get (glibc's malloc costs ~10% under concurrent load).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

async fn baseline(port: u16) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = service_fn(|_req| async {
                Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(
                    b"{\"hello\": \"world\"}",
                ))))
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: bench_server baseline|gateway|runtime-api PORT [COMMAND]";
    let mode = args.get(1).ok_or(usage)?;
    let port: u16 = args.get(2).ok_or(usage)?.parse()?;
    let gateway = match mode.as_str() {
        "baseline" => return Ok(baseline(port).await?),
        "gateway" => {
            let mut functions = InProcess::new();
            functions.register("Echo", |event| async move { Ok(event) });
            Gateway::build(&api(), "dev", functions)?
        }
        "runtime-api" => {
            let command = args.get(3).ok_or(usage)?;
            let mut process = FunctionProcess::new("Echo", command.as_str());
            process.max_concurrency = 4;
            let host = RuntimeApiHost::new(vec![process])?;
            Gateway::build_shared(&api(), "dev", Arc::new(host))?
        }
        _ => return Err(usage.into()),
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    phalanx_gateway::server::serve(listener, gateway, std::future::pending()).await?;
    Ok(())
}
