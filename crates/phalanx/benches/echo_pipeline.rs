//! In-process cost of one request to the `echo` example (the framework's
//! envelope request template, typed handler, default response template),
//! without sockets:
//! `cargo bench -p phalanx --bench echo_pipeline -- [N]`.
//! Allocates with mimalloc, as every `phalanx` binary does by default;
//! `valgrind --tool=callgrind` on the built binary counts instructions.

use bytes::Bytes;
use phalanx_gateway::GatewayRequest;
use std::time::Instant;

#[allow(dead_code)] // the example's `main` is not used here
#[path = "../examples/echo.rs"]
mod echo;

fn main() {
    // `cargo bench` passes `--bench`; the first number is the count.
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let gateway = echo::service().gateway(None).expect("valid API");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    // What `wrk` sends.
    let request = GatewayRequest {
        method: "GET".into(),
        path: "/dev/hello".into(),
        headers: vec![("host".into(), "127.0.0.1:3000".into())],
        body: Bytes::new(),
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
