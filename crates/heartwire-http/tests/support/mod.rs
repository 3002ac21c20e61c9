//! Loopback servers for the tests: the real receiver on a runtime thread, and a
//! scripted std `TcpListener` server that fails, hangs and redirects.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use heartwire::time::{SystemClock, WallClock};
use heartwire_http::{Receiver, ReceiverConfig};
use heartwire_liveness::{Config, Monitor};

/// The receiver on 127.0.0.1, serving on a thread of its own until the test ends.
pub fn receiver(config: ReceiverConfig) -> (SocketAddr, Arc<Mutex<Monitor>>) {
    receiver_on(config, || SystemClock.now())
}

/// The receiver on a clock of the test's choosing.
pub fn receiver_on(
    config: ReceiverConfig,
    clock: impl Fn() -> heartwire::time::UnixTime + Send + Sync + 'static,
) -> (SocketAddr, Arc<Mutex<Monitor>>) {
    let receiver = Receiver::bind(([127, 0, 0, 1], 0).into(), config).expect("binds");
    let addr = receiver.local_addr().expect("bound");
    let monitor = Arc::new(Mutex::new(Monitor::new(Config::default())));
    let shared = Arc::clone(&monitor);
    std::thread::spawn(move || receiver.run_blocking(shared, clock));
    (addr, monitor)
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
    let mut stream = TcpStream::connect(addr).expect("connects");
    // A server may close before reading all of a hostile request.
    let _ = stream.write_all(request.as_bytes());
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
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
