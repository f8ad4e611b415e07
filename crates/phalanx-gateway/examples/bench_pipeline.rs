//! In-process cost of one request through the non-proxy path (no sockets):
//! `cargo run --release -p phalanx-gateway --example bench_pipeline [N]`.
//! Uses the system allocator, so `valgrind --tool=dhat` can count
//! allocations and `callgrind` instructions per request.

use bytes::Bytes;
use phalanx_gateway::invoke::InProcess;
use phalanx_gateway::{Gateway, GatewayRequest};
use std::time::Instant;

#[path = "bench_api/mod.rs"]
mod bench_api;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let mut functions = InProcess::new();
    functions.register("Echo", |event| async move { Ok(event) });
    let gateway = Gateway::build(&bench_api::api(), "dev", functions).expect("valid API");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let request = GatewayRequest {
        method: "POST".into(),
        path: "/dev/hello".into(),
        headers: vec![
            ("host".into(), "127.0.0.1:3000".into()),
            ("user-agent".into(), "wrk".into()),
            ("content-type".into(), "application/json".into()),
        ],
        body: Bytes::from_static(br#"{"name": "world"}"#),
        source_ip: "127.0.0.1".into(),
        ..GatewayRequest::default()
    };
    let started = Instant::now();
    rt.block_on(async {
        for _ in 0..n {
            let reply = gateway.handle(request.clone()).await;
            assert_eq!(reply.status, 200);
        }
    });
    let per = started.elapsed() / n as u32;
    println!("{n} requests, {per:?} per request");
}
