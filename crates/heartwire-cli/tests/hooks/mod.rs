//! A webhook receiver for the tests of alerts: a small HTTP server on 127.0.0.1 that
//! records every request and answers what the test says.

#![allow(dead_code)] // Each test file uses part of it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// One request the receiver got, and the status it answered.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) path: String,
    pub(crate) body: Value,
    pub(crate) status: u16,
}

/// The webhook receiver: answers every request with `status`, one request per
/// connection, and keeps them all.
pub(crate) struct Hooks {
    pub(crate) addr: String,
    status: Arc<AtomicU16>,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
}

impl Hooks {
    pub(crate) fn start(status: u16) -> Hooks {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("its address").to_string();
        let hooks = Hooks {
            addr,
            status: Arc::new(AtomicU16::new(status)),
            received: Arc::new(Mutex::new(Vec::new())),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let (status, received, stop) = (
            Arc::clone(&hooks.status),
            Arc::clone(&hooks.received),
            Arc::clone(&hooks.stop),
        );
        std::thread::spawn(move || {
            // Until the test drops the receiver: every 5 ms at most.
            while !stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let status = status.load(Ordering::Relaxed);
                        if let Some((path, body)) = answer(stream, status) {
                            received.lock().expect("the list").push(Received {
                                path,
                                body,
                                status,
                            });
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        hooks
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn set_status(&self, status: u16) {
        self.status.store(status, Ordering::Relaxed);
    }

    pub(crate) fn all(&self) -> Vec<Received> {
        self.received.lock().expect("the list").clone()
    }

    /// The requests to paths starting with `prefix`.
    pub(crate) fn to(&self, prefix: &str) -> Vec<Received> {
        self.all()
            .into_iter()
            .filter(|r| r.path.starts_with(prefix))
            .collect()
    }

    /// Waits (bounded) until `enough` holds for the requests received.
    pub(crate) fn wait_for(
        &self,
        what: &str,
        bound: Duration,
        enough: impl Fn(&[Received]) -> bool,
    ) {
        let deadline = Instant::now() + bound;
        while !enough(&self.all()) {
            assert!(
                Instant::now() < deadline,
                "the receiver did not get {what} within {bound:?}: {:#?}",
                self.all()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Hooks {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Reads one request (headers, then Content-Length bytes) and answers `status`.
fn answer(stream: TcpStream, status: u16) -> Option<(String, Value)> {
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let path = request_line.split(' ').nth(1)?.to_owned();
    let mut length = 0usize;
    for _ in 0..100 {
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
    let mut body = vec![0; length.min(1 << 20)];
    reader.read_exact(&mut body).ok()?;
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
    );
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Some((path, body))
}
