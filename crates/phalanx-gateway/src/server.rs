//! The local HTTP server: hyper on a TCP listener, a worker thread per
//! core with its own runtime, one task per connection, keep-alive, an
//! access log line per request, graceful shutdown.
//!
//! Bodies larger than API Gateway's 10 MB payload limit are refused with
//! 413 (`REQUEST_TOO_LARGE`) while reading, so an oversized request never
//! costs more than the limit in memory. A connection that sends its
//! headers too slowly is dropped (hyper's header read timeout), so slow or
//! half-sent requests cannot hold the server.
//!
//! The gateway can be replaced while the server runs
//! ([`SwappableGateway`], [`serve_swappable`]): each request is answered
//! by the gateway current when it arrived, so connections stay open and a
//! request in flight finishes on the gateway it started on.
//!
//! Header names reach the gateway as the client spelled them
//! ([`Gateway::handle_as_sent`]), read from each request head on its way
//! to hyper (`header_case`), since hyper lower-cases them.

use crate::Gateway;
use crate::pipeline::{GatewayError, GatewayReply, GatewayRequest, ResponseType};
use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// The writer a binary serving the gateway should give its log lines to
/// (`tracing_subscriber::fmt().with_writer(…)`), and the guard that writes
/// what is left when it is dropped (keep it until the end of `main`).
///
/// The access log has a line a request. Lines are formatted on the worker
/// that served the request and written to stderr by a thread of their own,
/// through a buffer flushed whenever no line is waiting; none is dropped.
/// A `write` a line on every worker cost about a tenth of the served
/// requests a second under load (`docs/PERFORMANCE.md`).
pub fn log_writer() -> (
    tracing_appender::non_blocking::NonBlocking,
    tracing_appender::non_blocking::WorkerGuard,
) {
    tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::BufWriter::new(std::io::stderr()))
}

/// API Gateway's maximum payload (10 MB).
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// How long a client may take to send a request's headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `gateway` on `listener` until `shutdown` completes, then waits
/// for requests in flight (up to 10 s).
///
/// Connections are served by one worker thread per core, each with its own
/// single-threaded runtime; this task only accepts them and hands them out
/// in turn. A request then runs start to finish on one thread, without
/// the multi-threaded scheduler's wake-ups and task stealing between
/// threads (on the load benchmark, about 13% more requests per second;
/// see `docs/PERFORMANCE.md`). `PHALANX_SERVER_THREADS` sets the number of
/// workers.
///
/// ```no_run
/// # async fn run(gateway: phalanx_gateway::Gateway) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// phalanx_gateway::server::serve(listener, gateway, async {
///     let _ = tokio::signal::ctrl_c().await;
/// })
/// .await
/// # }
/// ```
pub async fn serve(
    listener: TcpListener,
    gateway: Gateway,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_swappable(listener, SwappableGateway::new(gateway), shutdown).await
}

/// [`serve`], answering each request with the gateway `gateway` holds
/// when the request arrives: [`SwappableGateway::swap`] replaces the API
/// without closing any connection, and requests already in flight finish
/// on the gateway they started on.
///
/// ```no_run
/// # async fn run(gateway: phalanx_gateway::Gateway, next: phalanx_gateway::Gateway) -> std::io::Result<()> {
/// use phalanx_gateway::server::{SwappableGateway, serve_swappable};
/// let current = SwappableGateway::new(gateway);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// let server = tokio::spawn(serve_swappable(listener, current.clone(), std::future::pending()));
/// // … later, when the API changed:
/// current.swap(next);
/// # Ok(())
/// # }
/// ```
pub async fn serve_swappable(
    listener: TcpListener,
    gateway: SwappableGateway,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut workers = Vec::new();
    for n in 0..worker_count() {
        workers.push(Worker::start(n, gateway.clone())?);
    }
    tokio::pin!(shutdown);
    let mut next = 0;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: keep serving.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                // Deregistered here, registered again on the worker's runtime.
                let Ok(stream) = stream.into_std() else { continue };
                if let Some(worker) = workers.get(next % workers.len()) {
                    worker.hand_over(stream, peer);
                }
                next = next.wrapping_add(1);
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    // Each worker finishes the requests it has in flight (up to 10 s).
    let threads: Vec<_> = workers.into_iter().map(Worker::stop).collect();
    let _ = tokio::task::spawn_blocking(move || {
        for thread in threads {
            let _ = thread.join();
        }
    })
    .await;
    Ok(())
}

/// The gateway a server answers with, replaceable while it serves
/// (`phalanx serve --watch` swaps in the API it compiled from a changed
/// template). Clones share the one slot.
///
/// Reading it is one atomic load and reference count ([`arc_swap`]), no
/// lock: each request takes the gateway current when it arrives and keeps
/// it to the end, so a swap never changes the API under a request in
/// flight, and the old gateway is dropped when its last request is done.
#[derive(Clone)]
pub struct SwappableGateway {
    current: Arc<arc_swap::ArcSwap<Gateway>>,
}

impl SwappableGateway {
    /// A slot holding `gateway`.
    pub fn new(gateway: Gateway) -> SwappableGateway {
        SwappableGateway {
            current: Arc::new(arc_swap::ArcSwap::from_pointee(gateway)),
        }
    }

    /// The gateway new requests are answered with.
    pub fn current(&self) -> Arc<Gateway> {
        self.current.load_full()
    }

    /// Makes `gateway` the one new requests are answered with, and returns
    /// the one it replaces (still serving the requests it has).
    pub fn swap(&self, gateway: Gateway) -> Arc<Gateway> {
        self.current.swap(Arc::new(gateway))
    }
}

impl std::fmt::Debug for SwappableGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let current = self.current.load();
        f.debug_struct("SwappableGateway")
            .field("stage", &current.stage())
            .field("api_id", &current.api_id())
            .finish()
    }
}

/// The number of worker threads: `PHALANX_SERVER_THREADS`, or one per core.
fn worker_count() -> usize {
    std::env::var("PHALANX_SERVER_THREADS")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

type Handover = (std::net::TcpStream, SocketAddr);

/// A thread serving the connections handed to it, on its own runtime.
struct Worker {
    connections: tokio::sync::mpsc::UnboundedSender<Handover>,
    thread: std::thread::JoinHandle<()>,
}

impl Worker {
    fn start(n: usize, gateway: SwappableGateway) -> std::io::Result<Worker> {
        let (connections, incoming) = tokio::sync::mpsc::unbounded_channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name(format!("phalanx-server-{n}"))
            .spawn(move || runtime.block_on(serve_connections(incoming, gateway)))?;
        Ok(Worker {
            connections,
            thread,
        })
    }

    fn hand_over(&self, stream: std::net::TcpStream, peer: SocketAddr) {
        // Fails only if the worker's thread is gone (it panicked): the
        // connection is then closed, and the other workers go on.
        let _ = self.connections.send((stream, peer));
    }

    /// Tells the worker no more connections come; its thread ends once the
    /// ones it has are done.
    fn stop(self) -> std::thread::JoinHandle<()> {
        drop(self.connections);
        self.thread
    }
}

/// A worker's loop: one task per connection, until no more come; then
/// the connections in progress finish (up to 10 s).
async fn serve_connections(
    mut incoming: tokio::sync::mpsc::UnboundedReceiver<Handover>,
    gateway: SwappableGateway,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    while let Some((stream, peer)) = incoming.recv().await {
        let Ok(stream) = tokio::net::TcpStream::from_std(stream) else {
            continue;
        };
        let gateway = gateway.clone();
        // Formatted once per connection, not per request.
        let peer_ip: Arc<str> = peer.ip().to_string().into();
        // The client's header spelling, read on the way to hyper.
        let (stream, spellings) = crate::header_case::record(stream);
        let service = service_fn(move |req: hyper::Request<Incoming>| {
            // The gateway current when the request arrives serves it to
            // the end, whatever is swapped in meanwhile.
            let gateway = gateway.current();
            let peer_ip = peer_ip.clone();
            let target = req
                .uri()
                .path_and_query()
                .map_or(req.uri().path(), |pq| pq.as_str());
            let names = spellings.take(req.method().as_str(), target, req.headers());
            async move { Ok::<_, Infallible>(answer(&gateway, req, &peer_ip, names).await) }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(10)) => {}
    }
}

async fn answer(
    gateway: &Gateway,
    req: hyper::Request<Incoming>,
    peer_ip: &str,
    names: Option<crate::header_case::Names>,
) -> hyper::Response<Full<Bytes>> {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    // The access log line is only built when someone listens.
    let request_line = tracing::enabled!(target: "phalanx::access", tracing::Level::INFO)
        .then(|| format!("{} {}", parts.method, parts.uri));
    let declared_length = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let body = match declared_length {
        Some(n) if n > MAX_BODY_BYTES => Err(too_large()),
        _ => read_body(body).await,
    };
    let reply = match body {
        Ok(body) => {
            let request = GatewayRequest {
                method: parts.method.as_str().to_string(),
                path: parts.uri.path().to_string(),
                query: parts.uri.query().map(str::to_string),
                headers: parts
                    .headers
                    .iter()
                    .map(|(k, v)| {
                        // The client's spelling; title case where it was
                        // not recorded (see `header_case`).
                        let name = match names.as_ref().and_then(|n| n.spelling(k.as_str())) {
                            Some(spelled) => spelled.to_string(),
                            None => crate::pipeline::title_case(k.as_str()),
                        };
                        (name, String::from_utf8_lossy(v.as_bytes()).into_owned())
                    })
                    .collect(),
                body,
                source_ip: peer_ip.to_string(),
                protocol: match parts.version {
                    http::Version::HTTP_10 => "HTTP/1.0",
                    http::Version::HTTP_2 => "HTTP/2.0",
                    _ => "HTTP/1.1",
                }
                .to_string(),
            };
            // Boxed: the pipeline's state is large, and hyper moves the
            // service future around.
            Box::pin(gateway.handle_as_sent(request)).await
        }
        Err(reply) => reply,
    };
    if let Some(request_line) = request_line {
        tracing::info!(
            target: "phalanx::access",
            "{peer_ip} \"{request_line}\" {} {}B {:.1}ms",
            reply.status,
            reply.body.len(),
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    to_hyper(reply)
}

/// Reads the body, refusing more than [`MAX_BODY_BYTES`] as soon as the
/// limit is passed.
async fn read_body(mut body: Incoming) -> Result<Bytes, GatewayReply> {
    // Most bodies arrive in one frame: keep it without copying.
    let mut first: Option<Bytes> = None;
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| plain_error(400, &format!("bad request body: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let so_far = first.as_ref().map_or(0, Bytes::len) + buf.len();
        if so_far + data.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        match first.take() {
            None if buf.is_empty() => first = Some(data),
            None => buf.extend_from_slice(&data),
            Some(earlier) => {
                buf.extend_from_slice(&earlier);
                buf.extend_from_slice(&data);
            }
        }
    }
    Ok(first.unwrap_or_else(|| buf.freeze()))
}

/// The startup lines both `phalanx serve` commands print: the URL, then
/// one line per route. Write errors are ignored: a closed stdout must not
/// stop the server.
pub fn print_banner(title: &str, gateway: &Gateway, addr: SocketAddr) {
    let stage = gateway.stage();
    print_routes(
        &format!("Serving {title} (stage {stage}) at http://{addr}/{stage}"),
        gateway,
        addr,
    );
}

/// `heading`, then one line per route of `gateway` as [`print_banner`]
/// prints them (`phalanx serve --watch` prints them after a reload).
/// Write errors are ignored.
pub fn print_routes(heading: &str, gateway: &Gateway, addr: SocketAddr) {
    use std::io::Write;
    let base = format!("http://{addr}");
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{heading}");
    for route in gateway.routes() {
        let (method, path) = route.split_once(' ').unwrap_or(("", &route));
        let _ = writeln!(out, "  {method:<7} {base}{path}");
    }
    let _ = out.flush();
}

/// 413: the body is over API Gateway's 10 MB limit. The connection is
/// closed, since the rest of the body is not read.
fn too_large() -> GatewayReply {
    let error = GatewayError::new(ResponseType::RequestTooLarge, "Request Too Long");
    GatewayReply {
        status: error.status(),
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("x-amzn-ErrorType".into(), error.kind.error_type().into()),
            ("Connection".into(), "close".into()),
        ],
        body: Bytes::from(format!("{{\"message\":\"{}\"}}", error.message)),
    }
}

fn plain_error(status: u16, message: &str) -> GatewayReply {
    GatewayReply {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Bytes::from(serde_json::json!({ "message": message }).to_string()),
    }
}

fn to_hyper(reply: GatewayReply) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(reply.body));
    *response.status_mut() =
        http::StatusCode::from_u16(reply.status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.reserve(reply.headers.len());
    for (k, v) in reply.headers {
        // A header a template produced that HTTP cannot carry is dropped
        // rather than failing the whole response.
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            http::HeaderValue::from_maybe_shared(Bytes::from(v)),
        ) {
            headers.append(name, value);
        }
    }
    response
}
