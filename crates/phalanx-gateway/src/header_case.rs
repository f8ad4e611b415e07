//! Header names as the client spelled them, for the HTTP server.
//!
//! API Gateway hands a function and a mapping template the header names as
//! the client sent them: LocalStack's AWS-validated snapshot
//! (`test_lambda_aws_proxy_integration`, recorded on AWS 2024-08-02) has
//! `tEsT-HEADeR` in the proxy event's `headers` and `multiValueHeaders`
//! exactly so. hyper lower-cases every name, and its own option to keep the
//! case (`preserve_header_case`) keeps it in a type of its own that other
//! crates cannot read.
//!
//! So the server reads the names itself: [`Recorder`] wraps the accepted
//! connection, and as request bytes pass through on their way to hyper it
//! parses each request head with `httparse` (hyper's own parser), queues
//! the names it finds, and skips the body by its framing (`Content-Length`,
//! or the chunks of `Transfer-Encoding: chunked`) to find the next head, so
//! keep-alive and pipelined requests and heads split across reads are
//! followed. The service then takes the names of each request as hyper
//! hands it over ([`Spellings::take`]): requests on a connection reach the
//! service in the order their heads arrived.
//!
//! Whatever the recorder cannot follow (a head larger than it keeps, bytes
//! hyper will refuse, framing it does not know) stops recording on that
//! connection; a request whose method, target and header names do not
//! agree with what hyper parsed does too. Such requests get title-cased
//! names (`Content-Type`), as every request did before.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The most bytes kept while waiting for the rest of a head or chunk line
/// (hyper's own limit for a head is larger; past this the names are lost,
/// not the request).
const MAX_BUFFERED: usize = 64 * 1024;

/// The most headers a head may have (hyper's default limit).
const MAX_HEADERS: usize = 100;

/// What the recorder found in one request head.
#[derive(Debug)]
struct Head {
    method: String,
    target: String,
    names: Vec<String>,
}

/// The heads recorded on one connection, waiting for their requests.
#[derive(Debug, Default)]
struct Shared {
    heads: VecDeque<Head>,
    /// Recording stopped on this connection.
    lost: bool,
}

/// The service's side: the names of each request, in order. Cloning
/// shares the queue.
#[derive(Debug, Clone, Default)]
pub(crate) struct Spellings(Arc<Mutex<Shared>>);

/// One request's header names as sent.
#[derive(Debug)]
pub(crate) struct Names(Vec<String>);

impl Names {
    /// The client's spelling of `name` (compared without case).
    pub(crate) fn spelling(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|n| n.eq_ignore_ascii_case(name))
            .map(String::as_str)
    }
}

impl Spellings {
    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The names of the request hyper hands over next, if the recorder
    /// followed it: the head at the front of the queue, when its method,
    /// target and names agree with hyper's.
    pub(crate) fn take(
        &self,
        method: &str,
        target: &str,
        headers: &http::HeaderMap,
    ) -> Option<Names> {
        let mut shared = self.lock();
        if shared.lost {
            return None;
        }
        let head = shared.heads.pop_front();
        let agrees = head.as_ref().is_some_and(|h| {
            h.method == method
                && h.target == target
                && h.names.len() == headers.len()
                && headers
                    .keys()
                    .all(|k| h.names.iter().any(|n| n.eq_ignore_ascii_case(k.as_str())))
        });
        if !agrees {
            // Out of step: nothing more from this connection is trusted.
            shared.lost = true;
            shared.heads.clear();
            return None;
        }
        head.map(|h| Names(h.names))
    }
}

/// Where the recorder is in the byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a request head.
    Head,
    /// Skipping a `Content-Length` body: bytes left.
    Body(u64),
    /// Reading a chunk-size line.
    ChunkSize,
    /// Skipping chunk data: bytes left.
    ChunkData(u64),
    /// Skipping the CRLF after chunk data: bytes left.
    ChunkEnd(u64),
    /// Reading trailer lines after the last chunk, up to an empty line.
    Trailers,
    /// Not following this connection any more.
    Lost,
}

/// The reading side's parser.
#[derive(Debug)]
struct Tracker {
    state: State,
    /// Bytes of a head or line not yet complete.
    buf: Vec<u8>,
    spellings: Spellings,
}

impl Tracker {
    /// Follows `data`, the next bytes read from the client.
    fn feed(&mut self, data: &[u8]) {
        if self.state == State::Lost || data.is_empty() {
            return;
        }
        // Body bytes are skipped where they are; only an incomplete head or
        // line is copied.
        if self.buf.is_empty() {
            let used = self.run(data);
            if let Some(rest) = data.get(used..)
                && !rest.is_empty()
                && self.state != State::Lost
            {
                self.buf.extend_from_slice(rest);
            }
        } else {
            self.buf.extend_from_slice(data);
            let buf = std::mem::take(&mut self.buf);
            let used = self.run(&buf);
            self.buf = buf;
            self.buf.drain(..used.min(self.buf.len()));
        }
        if self.buf.len() > MAX_BUFFERED {
            self.lose();
        }
    }

    /// Consumes what it can of `input`; returns how much.
    fn run(&mut self, input: &[u8]) -> usize {
        let mut pos = 0;
        while let Some(rest) = input.get(pos..) {
            if rest.is_empty() {
                break;
            }
            let used = self.step(rest);
            if used == 0 {
                break;
            }
            pos += used;
        }
        pos
    }

    /// One step of the state machine on `input`: the bytes consumed, 0
    /// when more are needed (or recording stopped).
    fn step(&mut self, input: &[u8]) -> usize {
        let skip = |left: u64| {
            let n = usize::try_from(left).unwrap_or(usize::MAX).min(input.len());
            (n, left - n as u64)
        };
        match self.state {
            State::Lost => 0,
            State::Head => self.head(input),
            State::Body(left) => {
                let (n, left) = skip(left);
                self.state = if left == 0 {
                    State::Head
                } else {
                    State::Body(left)
                };
                n
            }
            State::ChunkSize => match httparse::parse_chunk_size(input) {
                Ok(httparse::Status::Complete((n, 0))) => {
                    self.state = State::Trailers;
                    n
                }
                Ok(httparse::Status::Complete((n, size))) => {
                    self.state = State::ChunkData(size);
                    n
                }
                Ok(httparse::Status::Partial) => 0,
                Err(_) => {
                    self.lose();
                    0
                }
            },
            State::ChunkData(left) => {
                let (n, left) = skip(left);
                self.state = if left == 0 {
                    State::ChunkEnd(2)
                } else {
                    State::ChunkData(left)
                };
                n
            }
            State::ChunkEnd(left) => {
                let (n, left) = skip(left);
                self.state = if left == 0 {
                    State::ChunkSize
                } else {
                    State::ChunkEnd(left)
                };
                n
            }
            State::Trailers => match input.windows(2).position(|w| w == b"\r\n") {
                Some(0) => {
                    self.state = State::Head;
                    2
                }
                Some(i) => i + 2,
                None => 0,
            },
        }
    }

    /// Parses a request head at the start of `input`.
    fn head(&mut self, input: &[u8]) -> usize {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        let n = match request.parse(input) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => return 0,
            Err(_) => {
                self.lose();
                return 0;
            }
        };
        let mut framing = State::Head;
        for h in request.headers.iter() {
            if h.name.eq_ignore_ascii_case("transfer-encoding") {
                let chunked = std::str::from_utf8(h.value).is_ok_and(|v| {
                    v.rsplit(',')
                        .next()
                        .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"))
                });
                if !chunked {
                    // A body hyper would refuse, or read to the close.
                    self.lose();
                    return 0;
                }
                framing = State::ChunkSize;
            } else if h.name.eq_ignore_ascii_case("content-length") && framing != State::ChunkSize {
                match std::str::from_utf8(h.value)
                    .ok()
                    .and_then(|v| v.trim().parse::<u64>().ok())
                {
                    Some(0) => {}
                    Some(length) => framing = State::Body(length),
                    None => {
                        self.lose();
                        return 0;
                    }
                }
            }
        }
        let head = Head {
            method: request.method.unwrap_or_default().to_string(),
            target: request.path.unwrap_or_default().to_string(),
            names: request.headers.iter().map(|h| h.name.to_string()).collect(),
        };
        let mut shared = self.spellings.lock();
        if shared.lost {
            drop(shared);
            self.lose();
            return 0;
        }
        shared.heads.push_back(head);
        drop(shared);
        self.state = framing;
        n
    }

    /// Stops recording on this connection.
    fn lose(&mut self) {
        self.state = State::Lost;
        self.buf = Vec::new();
        let mut shared = self.spellings.lock();
        shared.lost = true;
        shared.heads.clear();
    }
}

/// A connection whose request heads are read on their way to hyper.
#[derive(Debug)]
pub(crate) struct Recorder<S> {
    inner: S,
    tracker: Tracker,
}

/// Wraps `stream`; the [`Spellings`] give the service each request's names.
pub(crate) fn record<S>(stream: S) -> (Recorder<S>, Spellings) {
    let spellings = Spellings::default();
    let recorder = Recorder {
        inner: stream,
        tracker: Tracker {
            state: State::Head,
            buf: Vec::new(),
            spellings: spellings.clone(),
        },
    };
    (recorder, spellings)
}

impl<S: AsyncRead + Unpin> AsyncRead for Recorder<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled
            && let Some(read) = buf.filled().get(before..)
        {
            this.tracker.feed(read);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Recorder<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker() -> (Tracker, Spellings) {
        let (recorder, spellings) = record(());
        (recorder.tracker, spellings)
    }

    fn heads(spellings: &Spellings) -> Vec<(String, Vec<String>)> {
        spellings
            .lock()
            .heads
            .iter()
            .map(|h| (h.target.clone(), h.names.clone()))
            .collect()
    }

    #[test]
    fn pipelined_requests_with_bodies_are_followed_byte_by_byte() {
        let stream: &[u8] = b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\ntEsT-HEADeR: 1\r\n\r\nhello\
POST /b HTTP/1.1\r\nHOST: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-T: 1\r\n\r\n\
GET /c HTTP/1.1\r\nx-lower: y\r\n\r\n";
        let expected = vec![
            (
                "/a".to_string(),
                vec!["Host".into(), "Content-Length".into(), "tEsT-HEADeR".into()],
            ),
            (
                "/b".to_string(),
                vec!["HOST".into(), "Transfer-Encoding".into()],
            ),
            ("/c".to_string(), vec!["x-lower".into()]),
        ];
        // All at once, byte by byte, and in every two-piece split.
        let (mut t, s) = tracker();
        t.feed(stream);
        assert_eq!(heads(&s), expected);
        let (mut t, s) = tracker();
        for b in stream {
            t.feed(std::slice::from_ref(b));
        }
        assert_eq!(heads(&s), expected);
        for cut in 0..stream.len() {
            let (mut t, s) = tracker();
            let (a, b) = stream.split_at(cut);
            t.feed(a);
            t.feed(b);
            assert_eq!(heads(&s), expected, "cut at {cut}");
        }
    }

    #[test]
    fn what_cannot_be_followed_stops_recording() {
        for stream in [
            &b"GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
            b"\x00\x01 nonsense\r\n\r\n",
        ] {
            let (mut t, s) = tracker();
            t.feed(stream);
            assert!(s.lock().lost);
            assert!(heads(&s).is_empty());
        }
        let (mut t, s) = tracker();
        t.feed(b"GET / HTTP/1.1\r\nX: ");
        t.feed(&vec![b'a'; MAX_BUFFERED + 1]);
        assert!(s.lock().lost);
    }

    #[test]
    fn a_request_out_of_step_with_hypers_is_not_paired() {
        let (mut t, s) = tracker();
        t.feed(b"GET /a HTTP/1.1\r\nX-One: 1\r\n\r\nGET /b HTTP/1.1\r\nX-Two: 2\r\n\r\n");
        let mut headers = http::HeaderMap::new();
        headers.insert("x-one", http::HeaderValue::from_static("1"));
        let names = s.take("GET", "/a", &headers);
        assert_eq!(
            names
                .and_then(|n| n.spelling("x-one").map(str::to_string))
                .as_deref(),
            Some("X-One")
        );
        // hyper says /c where the recorder saw /b: nothing more is paired.
        assert!(s.take("GET", "/c", &headers).is_none());
        assert!(s.take("GET", "/b", &headers).is_none());
    }
}
