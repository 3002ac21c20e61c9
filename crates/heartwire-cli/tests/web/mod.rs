//! What the status page and history tests share: `heartwire monitor` started on a free
//! port of 127.0.0.1, and a small HTTP/1.1 client (std only) for its receiver and for
//! chromedriver.

#![allow(dead_code)] // Each test file uses part of it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// `heartwire monitor`, running; stopped (SIGKILL) when dropped.
pub(crate) struct Monitor {
    child: Child,
    /// `host:port` it listens on.
    pub(crate) addr: String,
    errors: mpsc::Receiver<String>,
}

impl Monitor {
    /// Starts `heartwire monitor --listen 127.0.0.1:0 --json --refresh 100` with `args`
    /// and waits (20 s at most) until it listens.
    pub(crate) fn start(args: &[&str]) -> Monitor {
        let mut child = Command::new(env!("CARGO_BIN_EXE_heartwire"))
            .args([
                "monitor",
                "--listen",
                "127.0.0.1:0",
                "--json",
                "--refresh",
                "100ms",
            ])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let (tx, errors) = mpsc::channel();
        let stderr = child.stderr.take().expect("piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = errors
                .recv_timeout(left)
                .expect("the monitor says where it listens");
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest.split('/').next().expect("an address").to_owned();
            }
        };
        Monitor {
            child,
            addr,
            errors,
        }
    }

    /// `GET path` (or another method); the status and the body.
    pub(crate) fn get(&self, path: &str) -> (u16, String) {
        request(&self.addr, "GET", path, &[], None)
    }

    /// A request that must succeed (2xx); its body.
    pub(crate) fn ok(&self, method: &str, path: &str, body: Option<&str>) -> String {
        let (status, text) = request(&self.addr, method, path, &[], body);
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {text}"
        );
        text
    }

    /// `GET path` as JSON, which must be a 200.
    pub(crate) fn json(&self, path: &str) -> serde_json::Value {
        let (status, text) = self.get(path);
        assert_eq!(status, 200, "GET {path}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path}: {e}: {text}"))
    }

    /// Waits (bounded) for the monitor to exit by itself (`--exit-after`, a signal);
    /// its exit status.
    pub(crate) fn wait_exit(mut self, bound: Duration) -> Option<i32> {
        let deadline = Instant::now() + bound;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the monitor did not exit within {bound:?}");
    }

    /// Sends the monitor a signal (`TERM`, `INT`) with kill(1).
    pub(crate) fn signal(&self, name: &str) {
        let sent = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -{name}");
    }

    /// Stderr lines so far.
    pub(crate) fn stderr(&self) -> Vec<String> {
        self.errors.try_iter().collect()
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request to `addr` (`Connection: close`); the status and the body
/// (chunked bodies decoded). `headers`: more headers. A JSON body is sent as such.
pub(crate) fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("a timeout");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let body = body.unwrap_or("");
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!(
            "Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("send the head");
    stream.write_all(body.as_bytes()).expect("send the body");
    // Read by the answer's own framing: chromedriver keeps the connection open.
    let mut answer = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let mut framed: Option<(usize, Option<usize>, bool)> = None;
    loop {
        if let Some((split, length, chunked)) = framed {
            let body = &answer[split + 4..];
            let done = match (length, chunked) {
                (Some(len), _) => body.len() >= len,
                (None, true) => body.ends_with(b"0\r\n\r\n"),
                (None, false) => false,
            };
            if done {
                break;
            }
        }
        let n = stream.read(&mut buf).expect("read the answer");
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        if framed.is_none()
            && let Some(split) = answer.windows(4).position(|w| w == b"\r\n\r\n")
        {
            let head = String::from_utf8_lossy(&answer[..split]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok());
            framed = Some((split, length, head.contains("transfer-encoding: chunked")));
        }
    }
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let mut body = answer[split + 4..].to_vec();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = unchunk(&body);
    }
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// A chunked body decoded (at most as many chunks as bytes).
fn unchunk(mut bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..=bytes.len() {
        let Some(end) = bytes.windows(2).position(|w| w == b"\r\n") else {
            break;
        };
        let size = std::str::from_utf8(&bytes[..end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&bytes[start..(start + size).min(bytes.len())]);
        bytes = &bytes[(start + size + 2).min(bytes.len())..];
    }
    out
}

/// A folder of its own under the target's temporary folder.
pub(crate) fn scratch(tag: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder");
    dir
}

/// Polls `check` every 50 ms until it gives a value, for `bound` at most.
pub(crate) fn eventually<T>(
    what: &str,
    bound: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + bound;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: not within {bound:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
