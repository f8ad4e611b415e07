//! Servers for the load benchmark (`tools/bench/run-gateway-bench.sh`):
//!
//! - `bench_server baseline PORT` — a plain hyper "hello" server, the
//!   baseline every gateway number is compared with in the same run;
//! - `bench_server baseline-per-core PORT` — the same hello server with
//!   the gateway's serving model (a thread per core), for comparison;
//! - `bench_server busy-per-core PORT MICROS` — the per-core hello server
//!   doing MICROS µs of CPU work per request: what ratio to the baseline a
//!   pipeline of that cost could reach on this machine;
//! - `bench_server gateway PORT` — the non-proxy path through the whole
//!   pipeline: request template, an in-process echo function, response
//!   template;
//! - `bench_server runtime-api PORT COMMAND` — the same API with the echo
//!   function run as a process through the Lambda Runtime API;
//! - `bench_server authorizer PORT` — a Lambda proxy method without
//!   authorization (`/dev/open/{id}`) and the same behind a TOKEN
//!   authorizer with a result cache (`/dev/guarded/{id}`), in process
//!   (`tools/bench/run-authorizer-bench.sh`).

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
#[path = "bench_api/authorizer.rs"]
mod authorizer_api;

// The same allocator as the `phalanx` binary, so the numbers are the ones
// users get (glibc's malloc costs ~10% under concurrent load).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// One connection of the hello server; each request first does `work`
/// rounds of [`busy`].
async fn hello(stream: tokio::net::TcpStream, work: u64) {
    let service = service_fn(move |_req| async move {
        busy(work);
        Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(
            b"{\"hello\": \"world\"}",
        ))))
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

async fn baseline(port: u16) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(hello(stream, 0));
    }
}

/// The baseline, served as the gateway's server serves: a thread per core,
/// each with its own single-threaded runtime, connections handed out in
/// turn by an acceptor. Not the target's baseline (that is the plain
/// server above); reported beside it so the gain of the serving model
/// itself is visible. With `work` > 0, each request first does that many
/// rounds of [`busy`].
async fn baseline_per_core(port: u16, work: u64) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut senders = Vec::new();
    for _ in 0..workers {
        let (send, mut receive) = tokio::sync::mpsc::unbounded_channel::<std::net::TcpStream>();
        senders.push(send);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::spawn(move || {
            runtime.block_on(async move {
                while let Some(stream) = receive.recv().await {
                    if let Ok(stream) = tokio::net::TcpStream::from_std(stream) {
                        tokio::spawn(hello(stream, work));
                    }
                }
            })
        });
    }
    for next in 0.. {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        if let Ok(stream) = stream.into_std() {
            let _ = senders[next % senders.len()].send(stream);
        }
    }
    Ok(())
}

/// `rounds` rounds of arithmetic the optimiser cannot remove: stands for
/// a pipeline's CPU work, without its memory traffic.
fn busy(rounds: u64) {
    let mut x = 0u64;
    for _ in 0..rounds {
        x = std::hint::black_box(
            x.wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407),
        );
    }
    std::hint::black_box(x);
}

/// How many rounds of [`busy`] take `micros` µs here (timed on this
/// thread at startup, the fastest of five tries).
fn rounds_for(micros: f64) -> u64 {
    const TRIAL: u64 = 20_000_000;
    let fastest = (0..5)
        .map(|_| {
            let started = std::time::Instant::now();
            busy(TRIAL);
            started.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    (micros * 1e-6 * TRIAL as f64 / fastest) as u64
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: bench_server baseline|baseline-per-core|busy-per-core|gateway|runtime-api|authorizer PORT [COMMAND|MICROS]";
    let mode = args.get(1).ok_or(usage)?;
    let port: u16 = args.get(2).ok_or(usage)?.parse()?;
    let gateway = match mode.as_str() {
        "baseline" => return Ok(baseline(port).await?),
        "baseline-per-core" => return Ok(baseline_per_core(port, 0).await?),
        "busy-per-core" => {
            let micros: f64 = args.get(3).ok_or(usage)?.parse()?;
            return Ok(baseline_per_core(port, rounds_for(micros)).await?);
        }
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
        "authorizer" => {
            eprintln!(
                "GET /dev/open/ID and /dev/guarded/ID, with Authorization: {}",
                authorizer_api::TOKEN
            );
            Gateway::build(&authorizer_api::api(), "dev", authorizer_api::functions())?
        }
        _ => return Err(usage.into()),
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    phalanx_gateway::server::serve(listener, gateway, std::future::pending()).await?;
    Ok(())
}
