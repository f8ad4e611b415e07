//! What a Lambda authorizer with a warm result cache adds to a request, in
//! process: the same Lambda proxy method served without authorization and
//! with a TOKEN authorizer (TTL 300 s) whose result for the token is
//! already cached, so the authorizer function is not called; what is
//! measured is the identity check, the cache lookup, the policy evaluated
//! against the method ARN and `$context.authorizer` in the proxy event.
//! Both run in the same process: Criterion's two benchmarks one after the
//! other, then both interleaved in rounds (the same load for both).
//! `tools/bench/run-authorizer-bench.sh` measures the same API over HTTP
//! under load. Results are in `docs/PERFORMANCE.md`.
//!
//! `cargo bench -p phalanx-gateway --bench authorizer`

use criterion::{Criterion, criterion_group};
use phalanx_gateway::{Gateway, GatewayRequest};

#[path = "../examples/bench_api/authorizer.rs"]
mod authorizer_api;

fn gateway() -> Gateway {
    Gateway::build(&authorizer_api::api(), "dev", authorizer_api::functions()).expect("compiles")
}

fn request(path: &str) -> GatewayRequest {
    GatewayRequest {
        method: "GET".into(),
        path: path.into(),
        headers: vec![
            ("Host".into(), "localhost".into()),
            ("User-Agent".into(), "bench".into()),
            ("Authorization".into(), authorizer_api::TOKEN.into()),
        ],
        source_ip: "127.0.0.1".into(),
        ..GatewayRequest::default()
    }
}

fn authorizer(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let gw = gateway();
    // Warm the cache (and check both answer 200).
    for path in ["/dev/open/7", "/dev/guarded/7"] {
        let reply = rt.block_on(gw.handle(request(path)));
        assert_eq!(reply.status, 200, "{path}");
    }
    let mut group = c.benchmark_group("authorizer");
    group.bench_function("unauthorized", |b| {
        b.iter(|| rt.block_on(gw.handle(request("/dev/open/7"))))
    });
    group.bench_function("warm-cache", |b| {
        b.iter(|| rt.block_on(gw.handle(request("/dev/guarded/7"))))
    });
    group.finish();
}

/// The same comparison interleaved: rounds of 2,000 requests of each kind
/// in turn, so both see the same load on a shared machine; prints the
/// median µs a request of each and their ratio.
fn interleaved() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let gw = gateway();
    let run = |path: &str, n: u32| {
        let start = std::time::Instant::now();
        for _ in 0..n {
            std::hint::black_box(rt.block_on(gw.handle(request(path))));
        }
        start.elapsed().as_secs_f64() * 1e6 / f64::from(n)
    };
    run("/dev/open/7", 2_000);
    run("/dev/guarded/7", 2_000);
    let (mut open, mut guarded) = (Vec::new(), Vec::new());
    for _ in 0..25 {
        open.push(run("/dev/open/7", 2_000));
        guarded.push(run("/dev/guarded/7", 2_000));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (o, g) = (median(&mut open), median(&mut guarded));
    println!(
        "interleaved: unauthorized {o:.2} µs, warm-cache authorized {g:.2} µs, ratio {:.3}",
        g / o
    );
}

criterion_group!(benches, authorizer);

fn main() {
    benches();
    interleaved();
    Criterion::default().configure_from_args().final_summary();
}
