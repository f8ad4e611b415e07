//! What the CLI's end-to-end tests share: a `phalanx serve` process on a
//! free loopback port ([`Server`]), and raw HTTP/1.1 requests to it
//! ([`Server::request`], [`Reply`]). Raw requests, not an HTTP client, so
//! that tests control exactly what is sent (header spelling, half-sent
//! requests, kept-alive connections).
//!
//! Each test file uses a part of this module.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a server may take to print its startup line, and a bounded
/// wait ([`Server::wait_for`]) to see what it waits for. Polls, never a
/// fixed sleep: a debug build on a busy machine takes its time.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The repository's root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// This crate's `tests/templates/NAME`.
pub fn templates(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/templates")
        .join(name)
}

/// The Python that has `awslambdaric` installed (`PHALANX_PYTHON`, which
/// `scripts/test.sh` sets to its virtualenv's); the server derives Python
/// functions' commands from it too.
pub fn python() -> String {
    std::env::var("PHALANX_PYTHON").unwrap_or_else(|_| {
        panic!(
            "PHALANX_PYTHON is not set: it must name a Python with awslambdaric installed; \
             run ./scripts/test.sh, which creates one"
        )
    })
}

/// `phalanx serve --port 0`, for the caller to add its flags,
/// environment and working directory to before [`Server::start`].
pub fn serve() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_phalanx"));
    command.arg("serve").args(["--port", "0"]);
    command
}

/// A running `phalanx serve`; its stdout and stderr are collected (and
/// shown when a wait fails). Dropping it stops it as a user would.
pub struct Server {
    child: Mutex<Child>,
    /// `http://127.0.0.1:PORT/STAGE`, from the startup line.
    pub base: String,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `command` (from [`serve`]) in a process group of its own
    /// (so [`terminate`] can stop whatever it leaves behind) and waits for
    /// its startup line, `Serving API NAME (stage STAGE) at
    /// http://127.0.0.1:PORT/STAGE`.
    pub fn start(mut command: Command) -> Server {
        let mut child = command
            .process_group(0)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("phalanx starts");
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        collect(child.stdout.take().expect("stdout"), stdout.clone());
        collect(child.stderr.take().expect("stderr"), stderr.clone());
        let mut server = Server {
            child: Mutex::new(child),
            base: String::new(),
            stdout,
            stderr,
        };
        server.wait_for("the startup line", |s| s.stdout().contains('\n'));
        let out = server.stdout();
        let first = out.lines().next().unwrap_or_default();
        let base = first.rsplit(' ').next().unwrap_or_default().to_string();
        assert!(
            base.starts_with("http://127.0.0.1:"),
            "startup line: {first}"
        );
        server.base = base;
        server
    }

    /// `127.0.0.1:PORT`.
    pub fn host_port(&self) -> &str {
        self.base
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or_default()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.lock().unwrap().id()
    }

    /// The stage served, e.g. `dev`.
    pub fn stage(&self) -> &str {
        self.base.rsplit('/').next().unwrap_or_default()
    }

    /// What the server printed on stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// What the server printed on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Polls `done` until it holds, for at most [`PATIENCE`]; a server
    /// that exits meanwhile fails the wait at once.
    pub fn wait_for(&self, what: &str, done: impl Fn(&Server) -> bool) {
        let start = Instant::now();
        while !done(self) {
            let exited = matches!(self.child.lock().unwrap().try_wait(), Ok(Some(_)));
            if exited || start.elapsed() > PATIENCE {
                // Let the collectors take the last output.
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "{} waiting for {what}\n--- stdout\n{}\n--- stderr\n{}",
                    if exited {
                        "the server exited"
                    } else {
                        "timed out"
                    },
                    self.stdout(),
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// One request to `/STAGE{path}` on a new connection with
    /// `Connection: close`, read to the end. A `Host` header is sent
    /// unless `headers` has one.
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut stream = TcpStream::connect(self.host_port()).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut head = format!(
            "{method} /{}{path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.stage(),
            body.len()
        );
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            head.push_str(&format!("Host: {}\r\n", self.host_port()));
        }
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        head.push_str(body);
        stream.write_all(head.as_bytes()).expect("send");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read");
        Reply::parse(&raw)
    }

    /// `GET /STAGE{path}` with no headers but `Host`.
    pub fn get(&self, path: &str) -> Reply {
        self.request("GET", path, &[], "")
    }

    /// Stops the server with SIGTERM and waits for it; it must exit
    /// cleanly.
    pub fn stop(mut self) {
        let child = self.child.get_mut().unwrap();
        terminate(child);
        let status = child.wait().expect("the server's exit status");
        assert!(status.success(), "{status}\n--- stderr\n{}", self.stderr());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(child) = self.child.get_mut() {
            terminate(child);
        }
    }
}

/// SIGTERM to the server's process group, as a user stops the server (it
/// then stops its function processes, each in a process group of its own,
/// and removes its temporary files); SIGKILL to the group if the server
/// has not exited within 5 s, and to whatever is left in it. Runs when a
/// test fails too.
pub fn terminate(child: &mut Child) {
    let group = format!("-{}", child.id());
    let signal = |name: &str| {
        let _ = Command::new("kill")
            .args([name, "--", &group])
            .stderr(Stdio::null())
            .status();
    };
    if !matches!(child.try_wait(), Ok(Some(_))) {
        signal("-TERM");
        for _ in 0..50 {
            if matches!(child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    signal("-KILL");
    let _ = child.wait();
}

/// Copies what `stream` says into `into` until it closes (so the server
/// never writes into a full pipe).
fn collect(mut stream: impl Read + Send + 'static, into: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            into.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
}

/// A response, as read off the wire.
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Headers in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl Reply {
    /// A response read to the end of the connection.
    pub fn parse(raw: &[u8]) -> Reply {
        let text = String::from_utf8_lossy(raw);
        let (head, body) = text
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("a full HTTP response: {text:?}"));
        let mut lines = head.lines();
        let status_line = lines.next().unwrap_or_default();
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("a status line: {status_line:?}"));
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        Reply {
            status,
            headers,
            body: body.to_string(),
        }
    }

    /// The first value of a header (names compared without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `GET /dev{path}` on an open (kept-alive) connection: (status, body).
pub fn get_on(stream: &mut BufReader<TcpStream>, host_port: &str, path: &str) -> (u16, String) {
    let request = format!("GET /dev{path} HTTP/1.1\r\nHost: {host_port}\r\n\r\n");
    stream
        .get_mut()
        .write_all(request.as_bytes())
        .expect("send");
    let mut status_line = String::new();
    stream.read_line(&mut status_line).expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {status_line:?}"));
    let mut length = 0;
    loop {
        let mut line = String::new();
        stream.read_line(&mut line).expect("a header");
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().expect("a length");
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).expect("the body");
    (status, String::from_utf8_lossy(&body).into_owned())
}
