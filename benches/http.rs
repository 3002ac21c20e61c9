//! The HTTP receiver under load from a second process, against a minimal hyper server
//! measured in the same run (`cargo bench -p heartwire-benches --bench http`).
//!
//! The bench re-runs itself as the client: `CONNECTIONS` keep-alive connections over
//! loopback, each sending its share of `/ping/n<i>` requests in pipelined batches of
//! `DEPTH`, every name once. The receiver feeds a shared `Monitor` in which every name
//! was registered (`starting`); afterwards every name must be `alive` (no ping lost)
//! and the receiver must have counted every ping. The baseline is a hyper
//! `service_fn` answering `200 OK` to anything, on the same runtime, with the same
//! client. Target: at least 20,000 pings per second with none lost.

use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use heartwire::schedule::Rate;
use heartwire::text::Process;
use heartwire::time::{SystemClock, UnixTime, WallClock};
use heartwire_http::{Receiver, ReceiverConfig};
use heartwire_liveness::{Config, Monitor, Source, State};
use http_body_util::Full;
use hyper::Response;
use hyper_util::rt::TokioIo;

const TOTAL: usize = 200_000;
const CONNECTIONS: usize = 8;
const DEPTH: usize = 32;
const RUNS: usize = 3;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--client") {
        let addr: SocketAddr = args.get(i + 1).ok_or("--client ADDR")?.parse()?;
        return client(addr);
    }
    if args.iter().any(|a| a == "--list") {
        println!("http: benchmark");
        return Ok(());
    }
    if args.iter().any(|a| a == "--test" || a == "--exact")
        || args.len() > 1 && !args.iter().any(|a| a == "--bench")
    {
        // `cargo test --benches` (or a filter) runs the bench as a test: it does
        // nothing then, as 200,000 pings from a second process are a measurement for
        // `cargo bench`, not a test.
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut receiver_rates = Vec::new();
    let mut baseline_rates = Vec::new();
    for run in 0..RUNS {
        let (rate, lost) = receiver_run(&runtime)?;
        println!("run {run}: receiver {rate:.0} pings/s, {lost} lost");
        if lost != 0 {
            return Err(format!("{lost} pings lost").into());
        }
        receiver_rates.push(rate);
        let rate = baseline_run(&runtime)?;
        println!("run {run}: baseline {rate:.0} requests/s");
        baseline_rates.push(rate);
    }
    let (r, b) = (median(&mut receiver_rates), median(&mut baseline_rates));
    println!(
        "receiver median {r:.0} pings/s (range {:.0} to {:.0}), baseline median {b:.0} requests/s (range {:.0} to {:.0}), receiver / baseline {:.2}",
        receiver_rates[0],
        receiver_rates[RUNS - 1],
        baseline_rates[0],
        baseline_rates[RUNS - 1],
        r / b
    );
    Ok(())
}

fn median(rates: &mut [f64]) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

/// One run against the receiver: pings per second, and how many were lost.
fn receiver_run(
    runtime: &tokio::runtime::Runtime,
) -> Result<(f64, usize), Box<dyn std::error::Error>> {
    let mut monitor = Monitor::new(Config {
        max_processes: TOTAL * 2,
        ..Config::default()
    });
    let rate = Rate::parse("Minutes(1)")?;
    let now = SystemClock.now();
    let before = UnixTime::new(now.secs() - 1, 0);
    for i in 0..TOTAL {
        let name = format!("n{i}");
        monitor.expect_pings(&Process::new(&name)?, rate, before)?;
    }
    let monitor = Arc::new(Mutex::new(monitor));
    let config = ReceiverConfig {
        rate_limit: None,
        ..ReceiverConfig::default()
    };
    let receiver = Receiver::bind(([127, 0, 0, 1], 0).into(), config)?;
    let addr = receiver.local_addr()?;
    let stats = receiver.stats();
    let server = runtime.spawn(receiver.run(Arc::clone(&monitor), || SystemClock.now()));
    let rate = drive(addr)?;
    server.abort();
    let monitor = monitor.lock().map_err(|_| "poisoned")?;
    let alive = monitor
        .processes()
        .filter(|p| p.source == Source::Ping && p.state == State::Alive)
        .count();
    let counted = stats.pings() as usize;
    Ok((rate, (TOTAL - alive).max(TOTAL - counted.min(TOTAL))))
}

/// One run against a minimal hyper server: requests per second.
fn baseline_run(runtime: &tokio::runtime::Runtime) -> Result<f64, Box<dyn std::error::Error>> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let server = runtime.spawn(async move {
        let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
            return;
        };
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|_request| async {
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"OK\n"))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    let rate = drive(addr)?;
    server.abort();
    Ok(rate)
}

/// Runs the client process against `addr`: requests per second, all answered 200.
fn drive(addr: SocketAddr) -> Result<f64, Box<dyn std::error::Error>> {
    let start = Instant::now();
    let out = Command::new(std::env::current_exe()?)
        .args(["--client", &addr.to_string()])
        .stdout(Stdio::piped())
        .output()?;
    let elapsed = start.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let ok: usize = stdout
        .trim()
        .parse()
        .map_err(|_| format!("client said {stdout:?}"))?;
    if !out.status.success() || ok != TOTAL {
        return Err(format!(
            "client: {ok} of {TOTAL} answered 200, status {}",
            out.status
        )
        .into());
    }
    Ok(TOTAL as f64 / elapsed.as_secs_f64())
}

/// The client process: prints how many requests were answered 200.
fn client(addr: SocketAddr) -> Result<(), Box<dyn std::error::Error>> {
    let per = TOTAL / CONNECTIONS;
    let threads: Vec<_> = (0..CONNECTIONS)
        .map(|c| std::thread::spawn(move || connection(addr, c * per..(c + 1) * per)))
        .collect();
    let mut ok = 0;
    for thread in threads {
        ok += thread.join().map_err(|_| "a client thread panicked")??;
    }
    println!("{ok}");
    Ok(())
}

fn connection(addr: SocketAddr, names: std::ops::Range<usize>) -> Result<usize, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let mut ok = 0;
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    let names: Vec<usize> = names.collect();
    for batch in names.chunks(DEPTH) {
        let mut requests = String::new();
        for i in batch {
            requests.push_str(&format!("GET /ping/n{i} HTTP/1.1\r\nHost: b\r\n\r\n"));
        }
        stream
            .write_all(requests.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut answered = 0;
        while answered < batch.len() {
            match parse(&buf) {
                Some((status, used)) => {
                    buf.drain(..used);
                    answered += 1;
                    if status == 200 {
                        ok += 1;
                    }
                }
                None => {
                    let n = stream.read(&mut chunk).map_err(|e| e.to_string())?;
                    if n == 0 {
                        return Err("closed".into());
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
            }
        }
    }
    Ok(ok)
}

/// One whole response at the start of `buf`: its status and its length.
fn parse(buf: &[u8]) -> Option<(u16, usize)> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buf[..end]).ok()?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    (buf.len() >= end + length).then_some((status, end + length))
}
