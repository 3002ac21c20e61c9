//! Loopback servers for the tests: the real receiver on a runtime thread, and a
//! scripted std `TcpListener` server that fails, hangs and redirects.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use heartwire::time::{SystemClock, UnixTime, WallClock};
use heartwire_http::{Receiver, ReceiverConfig, ReceiverStats};
use heartwire_liveness::{Config, Monitor};

/// The receiver on 127.0.0.1, serving on a thread of its own until the test ends.
pub fn receiver(config: ReceiverConfig) -> (SocketAddr, Arc<Mutex<Monitor>>) {
    receiver_on(config, || SystemClock.now())
}

/// The receiver on a clock of the test's choosing.
pub fn receiver_on(
    config: ReceiverConfig,
    clock: impl Fn() -> UnixTime + Send + Sync + 'static,
) -> (SocketAddr, Arc<Mutex<Monitor>>) {
    let running = Running::start(
        Receiver::bind(LOOPBACK, config).expect("binds"),
        Config::default(),
        clock,
    );
    (running.addr, running.monitor)
}

/// 127.0.0.1, a free port.
pub const LOOPBACK: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);

/// A receiver serving on a thread of its own until the test ends.
pub struct Running {
    pub addr: SocketAddr,
    pub monitor: Arc<Mutex<Monitor>>,
    pub stats: Arc<ReceiverStats>,
}

impl Running {
    /// `receiver` (bound, maybe given status members) over an engine of `engine`.
    pub fn start(
        receiver: Receiver,
        engine: Config,
        clock: impl Fn() -> UnixTime + Send + Sync + 'static,
    ) -> Running {
        let addr = receiver.local_addr().expect("bound");
        let stats = receiver.stats();
        let monitor = Arc::new(Mutex::new(Monitor::new(engine)));
        let shared = Arc::clone(&monitor);
        std::thread::spawn(move || receiver.run_blocking(shared, clock));
        Running {
            addr,
            monitor,
            stats,
        }
    }

    /// The receiver of `config` over an engine of `engine`, on the system clock.
    pub fn new(config: ReceiverConfig, engine: Config) -> Running {
        Running::start(
            Receiver::bind(LOOPBACK, config).expect("binds"),
            engine,
            || SystemClock.now(),
        )
    }

    /// How many processes the engine tracks.
    pub fn engine_len(&self) -> usize {
        self.monitor.lock().expect("monitor").len()
    }
}

/// A clock that moves 1 ms forward at each reading, from 2026-11-23T09:00:00Z.
pub fn ticking_clock() -> impl Fn() -> UnixTime + Send + Sync + 'static {
    let ticks = std::sync::atomic::AtomicI64::new(0);
    move || {
        let ms = ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        UnixTime::new(1_795_424_400 + ms / 1000, (ms % 1000) as u32 * 1_000_000)
    }
}

/// A connection to `addr` from the loopback address `source` (127.0.0.0/8 is all
/// loopback: each address is another client).
pub fn connect_from(source: [u8; 4], addr: SocketAddr) -> std::io::Result<TcpStream> {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .expect("a runtime")
    });
    let stream = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(SocketAddr::from((source, 0)))?;
        socket.connect(addr).await
    })?;
    let stream = stream.into_std()?;
    stream.set_nonblocking(false)?;
    Ok(stream)
}

/// A raw request from the loopback address `source`; the status and the body.
pub fn raw_from(source: [u8; 4], addr: SocketAddr, request: &str) -> (u16, String) {
    let stream = connect_from(source, addr).expect("connects");
    exchange(stream, request)
}

/// A GET from the loopback address `source`, with the connection closed after.
pub fn get_from(source: [u8; 4], addr: SocketAddr, target: &str) -> (u16, String) {
    raw_from(
        source,
        addr,
        &format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    )
}

/// A POST from the loopback address `source`, with the connection closed after.
pub fn post_from(source: [u8; 4], addr: SocketAddr, target: &str, body: &[u8]) -> (u16, String) {
    raw_from(
        source,
        addr,
        &format!(
            "POST {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{}",
            body.len(),
            String::from_utf8_lossy(body)
        ),
    )
}

/// What the scripted server does with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Answers with this status.
    Status(u16),
    /// Redirects (302) to this path.
    Redirect(String),
    /// Never answers, holding the connection open.
    Hang,
}

/// A request as the scripted server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub body: Vec<u8>,
}

/// A scripted HTTP/1.1 server on 127.0.0.1: `script(target)` says what to do.
pub fn scripted(
    script: impl Fn(&str) -> Reply + Send + 'static,
) -> (SocketAddr, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    let addr = listener.local_addr().expect("bound");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            if let Some((request, stream)) = read_request(stream) {
                let reply = script(&request.target);
                log.lock().expect("log").push(request);
                match reply {
                    Reply::Status(code) => respond(stream, code, None),
                    Reply::Redirect(to) => respond(stream, 302, Some(&to)),
                    Reply::Hang => held.push(stream),
                }
            }
        }
    });
    (addr, seen)
}

fn read_request(stream: TcpStream) -> Option<(Seen, TcpStream)> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((
        Seen {
            method,
            target,
            body,
        },
        reader.into_inner(),
    ))
}

fn respond(mut stream: TcpStream, code: u16, location: Option<&str>) {
    let location = location
        .map(|l| format!("Location: {l}\r\n"))
        .unwrap_or_default();
    let _ = write!(
        stream,
        "HTTP/1.1 {code} X\r\n{location}Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
}

/// A raw HTTP/1.1 request to `addr`; the status and the body of the answer.
pub fn raw(addr: SocketAddr, request: &str) -> (u16, String) {
    exchange(TcpStream::connect(addr).expect("connects"), request)
}

/// Sends `request`, reads the answer to the end of the connection (at most 60 s).
fn exchange(mut stream: TcpStream, request: &str) -> (u16, String) {
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(60)));
    // A server may close before reading all of a hostile request.
    let _ = stream.write_all(request.as_bytes());
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, body)
}

/// The body of a chunked answer, without its framing.
pub fn dechunk(mut framed: &str) -> String {
    let mut body = String::new();
    while let Some((size, rest)) = framed.split_once("\r\n") {
        let size =
            usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        body.push_str(&rest[..size]);
        framed = rest[size..].strip_prefix("\r\n").unwrap_or(&rest[size..]);
    }
    body
}

/// A GET with the connection closed after the answer.
pub fn get(addr: SocketAddr, target: &str) -> (u16, String) {
    raw(
        addr,
        &format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    )
}

/// A POST with the connection closed after the answer.
pub fn post(addr: SocketAddr, target: &str, body: &[u8]) -> (u16, String) {
    raw(
        addr,
        &format!(
            "POST {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{}",
            body.len(),
            String::from_utf8_lossy(body)
        ),
    )
}
