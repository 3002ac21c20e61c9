//! The receiver: pings in the healthchecks.io URL style and beatit text over HTTP, fed
//! into a shared liveness [`Monitor`]; the state as JSON at `/status`
//! (`spec/http.md` §5).

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use heartwire::schedule::Rate;
use heartwire::text::{Message, Process, Subject};
use heartwire::time::{Timestamp, UnixTime};
use heartwire_liveness::{Monitor, Rejected, Source};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};

/// The port `heartwire monitor` listens on when given no `--from`.
pub const DEFAULT_PORT: u16 = 8387;

/// `offset=` is below a week of minutes: every interval rate a pinger has is shorter.
const MAX_OFFSET_MINUTES: u32 = 7 * 24 * 60;

/// `Minutes(1)`, checked when compiled.
const ONE_MINUTE: Rate = match heartwire::schedule::Count::new(1) {
    Some(one) => Rate::Minutes(one),
    None => panic!("1 is a count"),
};

/// A per-client token bucket: `per_second` requests a second, bursts of `burst`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Tokens added per second.
    pub per_second: f64,
    /// The most tokens a client can save up.
    pub burst: f64,
}

/// How a receiver behaves; [`ReceiverConfig::default`] is the spec's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiverConfig {
    /// The largest request body accepted, in bytes (10,000, as healthchecks.io keeps).
    pub max_body: usize,
    /// Per client IP address (1,000 a second, bursts of 2,000); `None` turns it off.
    pub rate_limit: Option<RateLimit>,
    /// The schedule a ping registers a new name with when it declares none
    /// (`Minutes(1)`).
    pub default_rate: Rate,
    /// How long a client may take to send a request's headers (10 s).
    pub header_timeout: Duration,
    /// The most client addresses the rate limiter remembers (65,536).
    pub max_clients: usize,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        ReceiverConfig {
            max_body: 10_000,
            rate_limit: Some(RateLimit {
                per_second: 1_000.0,
                burst: 2_000.0,
            }),
            default_rate: ONE_MINUTE,
            header_timeout: Duration::from_secs(10),
            max_clients: 65_536,
        }
    }
}

/// Why a receiver could not start or stopped.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReceiverError {
    /// The address could not be bound.
    Bind(std::io::Error),
    /// The listening socket could not be handed to the runtime.
    Listen(std::io::Error),
    /// [`Receiver::run_blocking`] could not build its runtime.
    Runtime(std::io::Error),
}

impl fmt::Display for ReceiverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReceiverError::Bind(e) => write!(f, "cannot bind: {e}"),
            ReceiverError::Listen(e) => write!(f, "cannot listen: {e}"),
            ReceiverError::Runtime(e) => write!(f, "cannot start the runtime: {e}"),
        }
    }
}

impl std::error::Error for ReceiverError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReceiverError::Bind(e) | ReceiverError::Listen(e) | ReceiverError::Runtime(e) => {
                Some(e)
            }
        }
    }
}

/// What a receiver has done, counted as it goes.
#[derive(Debug, Default)]
pub struct ReceiverStats {
    requests: AtomicU64,
    pings: AtomicU64,
    beats: AtomicU64,
    refused: AtomicU64,
}

impl ReceiverStats {
    /// Requests answered.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
    /// Pings accepted (fed to the monitor, or recorded as failures).
    pub fn pings(&self) -> u64 {
        self.pings.load(Ordering::Relaxed)
    }
    /// beatit messages accepted by the monitor.
    pub fn beats(&self) -> u64 {
        self.beats.load(Ordering::Relaxed)
    }
    /// Requests answered with a 4xx or 5xx.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

/// Writes members of its own into `/status` (see [`Receiver::status_members`]).
pub type StatusMembers = Box<dyn Fn(&mut String) + Send + Sync>;

/// An HTTP/1.1 receiver bound to an address, not yet serving.
pub struct Receiver {
    listener: std::net::TcpListener,
    config: ReceiverConfig,
    stats: Arc<ReceiverStats>,
    members: Option<StatusMembers>,
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("listener", &self.listener)
            .field("config", &self.config)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Receiver {
    /// Binds `addr` (port 0 picks a free port; see [`Receiver::local_addr`]).
    pub fn bind(addr: SocketAddr, config: ReceiverConfig) -> Result<Receiver, ReceiverError> {
        let listener = std::net::TcpListener::bind(addr).map_err(ReceiverError::Bind)?;
        listener
            .set_nonblocking(true)
            .map_err(ReceiverError::Bind)?;
        Ok(Receiver {
            listener,
            config,
            stats: Arc::default(),
            members: None,
        })
    }

    /// Adds members of the embedding program's own to the `/status` object, after
    /// `processes`: `write` appends them, each preceded by a comma, as JSON text
    /// (`,"links":[...]` for `heartwire monitor`'s broker links). It runs while the
    /// answer is built, so it must be quick.
    #[must_use]
    pub fn status_members(mut self, write: impl Fn(&mut String) + Send + Sync + 'static) -> Self {
        self.members = Some(Box::new(write));
        self
    }

    /// The address it is bound to.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Its counters, to read while it runs.
    pub fn stats(&self) -> Arc<ReceiverStats> {
        Arc::clone(&self.stats)
    }

    /// [`Receiver::run`] on a single-threaded tokio runtime of its own, blocking the
    /// calling thread: for a program without a runtime, from a thread it spawns.
    pub fn run_blocking(
        self,
        monitor: Arc<Mutex<Monitor>>,
        clock: impl Fn() -> UnixTime + Send + Sync + 'static,
    ) -> Result<(), ReceiverError> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(ReceiverError::Runtime)?
            .block_on(self.run(monitor, clock))
    }

    /// Serves forever on the current tokio runtime: every valid ping and beat goes into
    /// `monitor`, stamped with `clock()`. Returns only if the socket cannot be used.
    pub async fn run(
        self,
        monitor: Arc<Mutex<Monitor>>,
        clock: impl Fn() -> UnixTime + Send + Sync + 'static,
    ) -> Result<(), ReceiverError> {
        let listener =
            tokio::net::TcpListener::from_std(self.listener).map_err(ReceiverError::Listen)?;
        let shared = Arc::new(Shared {
            monitor,
            clock: Box::new(clock),
            config: self.config,
            stats: self.stats,
            registry: Mutex::default(),
            clients: Mutex::default(),
            members: self.members,
        });
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(_) => {
                    // Out of descriptors or a connection reset before accept: wait, go on.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let shared = Arc::clone(&shared);
            let header_timeout = shared.config.header_timeout;
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let shared = Arc::clone(&shared);
                    async move { Ok::<_, Infallible>(shared.answer(peer.ip(), request).await) }
                });
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(header_timeout)
                    .serve_connection(TokioIo::new(stream), service);
                // A client that goes away mid-request is its own business.
                let _ = connection.await;
            });
        }
    }
}

/// What a registered ping name last said, beyond what the monitor keeps.
#[derive(Debug, Clone, Default)]
struct PingRecord {
    rate: Option<Rate>,
    /// Minutes after the epoch that the rate counts from (`offset=`).
    offset: u32,
    last: Option<&'static str>,
    exit_status: Option<u8>,
    rid: Option<String>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

struct Shared {
    monitor: Arc<Mutex<Monitor>>,
    clock: Box<dyn Fn() -> UnixTime + Send + Sync>,
    config: ReceiverConfig,
    stats: Arc<ReceiverStats>,
    registry: Mutex<HashMap<String, PingRecord>>,
    clients: Mutex<HashMap<IpAddr, Bucket>>,
    members: Option<StatusMembers>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

type Answer = Response<Full<Bytes>>;

/// A refusal: its status and its reason, sent as the body.
struct Refusal(StatusCode, String);

impl Refusal {
    fn new(status: StatusCode, reason: impl Into<String>) -> Refusal {
        Refusal(status, reason.into())
    }
}

impl From<Rejected> for Refusal {
    fn from(rejected: Rejected) -> Refusal {
        let status = match rejected {
            Rejected::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Rejected::TooManyProcesses => StatusCode::SERVICE_UNAVAILABLE,
            Rejected::OutOfOrder { .. } => StatusCode::CONFLICT,
            _ => StatusCode::BAD_REQUEST,
        };
        Refusal(status, format!("{}: {rejected}", rejected.code()))
    }
}

/// What a ping path says after the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PingKind {
    Success,
    Start,
    Log,
    Fail,
    Exit(u8),
}

impl PingKind {
    fn parse(suffix: &str) -> Result<PingKind, Refusal> {
        Ok(match suffix {
            "" => PingKind::Success,
            "start" => PingKind::Start,
            "log" => PingKind::Log,
            "fail" => PingKind::Fail,
            digits
                if !digits.is_empty()
                    && digits.len() <= 3
                    && digits.bytes().all(|b| b.is_ascii_digit()) =>
            {
                match digits.parse::<u8>() {
                    Ok(0) => PingKind::Exit(0),
                    Ok(code) => PingKind::Exit(code),
                    Err(_) => {
                        return Err(Refusal::new(
                            StatusCode::BAD_REQUEST,
                            format!("exit status {digits} out of range, expected 0 to 255"),
                        ));
                    }
                }
            }
            other => {
                return Err(Refusal::new(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "unknown ping {other:?}, expected start, log, fail or an exit status 0 to 255"
                    ),
                ));
            }
        })
    }

    /// Whether it proves the job's host alive (a failure does not: it is a success
    /// missing, and the schedule makes it late).
    fn is_life(self) -> bool {
        matches!(
            self,
            PingKind::Success | PingKind::Start | PingKind::Log | PingKind::Exit(0)
        )
    }

    fn name(self) -> &'static str {
        match self {
            PingKind::Success | PingKind::Exit(0) => "success",
            PingKind::Start => "start",
            PingKind::Log => "log",
            PingKind::Fail | PingKind::Exit(_) => "fail",
        }
    }
}

impl Shared {
    async fn answer(&self, client: IpAddr, request: Request<Incoming>) -> Answer {
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let result = match self.admit(client) {
            Ok(()) => self.route(request).await,
            Err(refusal) => Err(refusal),
        };
        match result {
            Ok(answer) => answer,
            Err(Refusal(status, reason)) => {
                self.stats.refused.fetch_add(1, Ordering::Relaxed);
                let mut response = text(status, format!("{reason}\n"));
                if status == StatusCode::TOO_MANY_REQUESTS {
                    response
                        .headers_mut()
                        .insert(RETRY_AFTER, hyper::header::HeaderValue::from_static("1"));
                }
                response
            }
        }
    }

    /// The client's token bucket.
    fn admit(&self, client: IpAddr) -> Result<(), Refusal> {
        let Some(limit) = self.config.rate_limit else {
            return Ok(());
        };
        let now = Instant::now();
        let mut clients = lock(&self.clients);
        if clients.len() >= self.config.max_clients && !clients.contains_key(&client) {
            // Forget the clients whose buckets are full again: they lose nothing.
            clients.retain(|_, b| {
                b.tokens + now.duration_since(b.at).as_secs_f64() * limit.per_second < limit.burst
            });
            if clients.len() >= self.config.max_clients {
                clients.clear();
            }
        }
        let bucket = clients.entry(client).or_insert(Bucket {
            tokens: limit.burst,
            at: now,
        });
        let refill = now.duration_since(bucket.at).as_secs_f64() * limit.per_second;
        bucket.tokens = (bucket.tokens + refill).min(limit.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Refusal::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "rate limited: more than {} requests a second from {client}",
                    limit.per_second
                ),
            ))
        }
    }

    async fn route(&self, request: Request<Incoming>) -> Result<Answer, Refusal> {
        let path = request.uri().path().to_owned();
        let query = request.uri().query().map(str::to_owned);
        let method = request.method().clone();
        if path == "/status" {
            return match method {
                Method::GET | Method::HEAD => Ok(self.status()),
                _ => Err(not_allowed("GET")),
            };
        }
        if let Some(rest) = path.strip_prefix("/ping/") {
            if !matches!(method, Method::GET | Method::HEAD | Method::POST) {
                return Err(not_allowed("GET, HEAD, POST"));
            }
            // The body (a job's output) is read to enforce the cap, then dropped.
            self.body(request).await?;
            return self.ping(rest, query.as_deref());
        }
        if path == "/beat" || path.starts_with("/beat/") {
            if method != Method::POST {
                return Err(not_allowed("POST"));
            }
            let body = self.body(request).await?;
            let subject = path.strip_prefix("/beat/");
            return self.beat(subject, &body);
        }
        Err(Refusal::new(
            StatusCode::NOT_FOUND,
            format!(
                "no such endpoint {path:?}, expected /ping/<process>[/start|/log|/fail|/<0-255>], POST /beat or /status"
            ),
        ))
    }

    async fn body(&self, request: Request<Incoming>) -> Result<Bytes, Refusal> {
        let max = self.config.max_body;
        let declared = request
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > max as u64) {
            return Err(too_large(max));
        }
        match Limited::new(request.into_body(), max).collect().await {
            Ok(collected) => Ok(collected.to_bytes()),
            Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large(max)),
            Err(e) => Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                format!("cannot read the body: {e}"),
            )),
        }
    }

    fn ping(&self, rest: &str, query: Option<&str>) -> Result<Answer, Refusal> {
        let (name, suffix) = rest.split_once('/').unwrap_or((rest, ""));
        let process = Process::new(name).map_err(|e| {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                format!("invalid process name {name:?}: {e}"),
            )
        })?;
        let kind = PingKind::parse(suffix)?;
        let mut rate = None;
        let mut offset = None;
        let mut rid = None;
        for (key, value) in query
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap_or((p, "")))
        {
            match key {
                "period" => {
                    let text = percent_decode(value).ok_or_else(|| {
                        Refusal::new(StatusCode::BAD_REQUEST, "period: invalid percent-encoding")
                    })?;
                    rate = Some(Rate::parse(&text).map_err(|e| {
                        Refusal::new(
                            StatusCode::BAD_REQUEST,
                            format!("period {text:?}: {e}, expected a rate such as Minutes(5)"),
                        )
                    })?);
                }
                "offset" => {
                    offset = Some(
                        value
                            .parse::<u32>()
                            .ok()
                            .filter(|m| *m < MAX_OFFSET_MINUTES)
                            .ok_or_else(|| {
                                Refusal::new(
                                    StatusCode::BAD_REQUEST,
                                    format!(
                                        "offset {value:?}: expected whole minutes from 0 to {}",
                                        MAX_OFFSET_MINUTES - 1
                                    ),
                                )
                            })?,
                    );
                }
                "rid" => rid = percent_decode(value),
                _ => {} // Other services' parameters, ignored as healthchecks.io does.
            }
        }
        let at = (self.clock)();
        let mut registry = lock(&self.registry);
        let mut monitor = lock(&self.monitor);
        let record = registry.get(name);
        let known = monitor.get(Source::Ping, name).is_some();
        let wanted = rate.or_else(|| record.and_then(|r| r.rate));
        let rate_now = record.and_then(|r| r.rate);
        let offset_now = record.map_or(0, |r| r.offset);
        let moved = offset.is_some_and(|o| o != offset_now);
        if !known || (rate.is_some() && rate != rate_now) || moved {
            let rate = wanted.unwrap_or(self.config.default_rate);
            let offset = offset.unwrap_or(offset_now);
            let anchor = UnixTime::new(i64::from(offset) * 60, 0);
            monitor.expect_pings_anchored(&process, rate, anchor, at)?;
            let record = registry.entry(name.to_owned()).or_default();
            record.rate = Some(rate);
            record.offset = offset;
        }
        if kind.is_life() {
            monitor.observe_ping(&process, at)?;
        }
        drop(monitor);
        let record = registry.entry(name.to_owned()).or_default();
        record.last = Some(kind.name());
        record.exit_status = match kind {
            PingKind::Exit(code) => Some(code),
            _ => None,
        };
        record.rid = rid;
        drop(registry);
        self.stats.pings.fetch_add(1, Ordering::Relaxed);
        Ok(text(StatusCode::OK, "OK\n".to_owned()))
    }

    fn beat(&self, subject: Option<&str>, body: &[u8]) -> Result<Answer, Refusal> {
        let at = (self.clock)();
        let mut messages = Vec::new();
        match subject {
            Some(subject) => {
                let subject = Subject::new(subject).map_err(|e| {
                    Refusal::new(
                        StatusCode::BAD_REQUEST,
                        format!("invalid subject {subject:?}: {e}"),
                    )
                })?;
                let payload = body.trim_ascii();
                let message = Message::decode_str(subject.as_str(), payload)
                    .map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, format!("payload: {e}")))?;
                messages.push(message.into_owned());
            }
            None => {
                for (n, line) in body.split(|&b| b == b'\n').enumerate() {
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    if line.trim_ascii().is_empty() {
                        continue;
                    }
                    let message = Message::decode_line(line).map_err(|e| {
                        Refusal::new(StatusCode::BAD_REQUEST, format!("line {}: {e}", n + 1))
                    })?;
                    messages.push(message.into_owned());
                }
                if messages.is_empty() {
                    return Err(Refusal::new(
                        StatusCode::BAD_REQUEST,
                        "empty body, expected lines such as `heartbeat.<process> beat/5`",
                    ));
                }
            }
        }
        let mut monitor = lock(&self.monitor);
        let mut refused = None;
        let mut accepted = 0u64;
        for message in &messages {
            match monitor.observe_text(message, at) {
                Ok(_) => accepted += 1,
                Err(rejected) => {
                    refused.get_or_insert((message.process().as_str().to_owned(), rejected));
                }
            }
        }
        drop(monitor);
        self.stats.beats.fetch_add(accepted, Ordering::Relaxed);
        match refused {
            None => Ok(text(StatusCode::OK, "OK\n".to_owned())),
            Some((process, rejected)) => {
                let Refusal(status, reason) = Refusal::from(rejected);
                Err(Refusal::new(
                    status,
                    format!(
                        "{process}: {reason} ({accepted} of {} accepted)",
                        messages.len()
                    ),
                ))
            }
        }
    }

    fn status(&self) -> Answer {
        let registry = lock(&self.registry);
        let monitor = lock(&self.monitor);
        let mut out = String::with_capacity(64 + 96 * monitor.len());
        out.push_str("{\"processes\":[");
        for (i, view) in monitor.processes().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let mut entry = serde_json::Map::new();
            entry.insert("name".into(), view.name.into());
            entry.insert("source".into(), view.source.as_str().into());
            entry.insert("state".into(), view.state.as_str().into());
            entry.insert(
                "last".into(),
                Timestamp::from_unix_millis(view.last).as_str().into(),
            );
            if let Some(signal) = view.signal {
                entry.insert("signal".into(), signal.to_string().into());
            }
            if let Some(link) = view.link {
                entry.insert("link".into(), link.get().into());
            }
            if let Some(since) = view.unreachable_since {
                entry.insert(
                    "link_down_since".into(),
                    Timestamp::from_unix_millis(since).as_str().into(),
                );
            }
            if view.source == Source::Ping
                && let Some(record) = registry.get(view.name)
            {
                if let Some(rate) = record.rate {
                    entry.insert("period".into(), rate.to_string().into());
                }
                if record.offset != 0 {
                    entry.insert("offset".into(), record.offset.into());
                }
                if let Some(last) = record.last {
                    entry.insert("last_ping".into(), last.into());
                }
                if let Some(code) = record.exit_status {
                    entry.insert("exit_status".into(), code.into());
                }
                if let Some(rid) = &record.rid {
                    entry.insert("rid".into(), rid.as_str().into());
                }
            }
            out.push_str(&serde_json::Value::Object(entry).to_string());
        }
        out.push(']');
        drop(monitor);
        drop(registry);
        if let Some(members) = &self.members {
            members(&mut out);
        }
        out.push_str("}\n");
        let mut response = text(StatusCode::OK, out);
        response.headers_mut().insert(
            CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("application/json"),
        );
        response
    }
}

fn text(status: StatusCode, body: String) -> Answer {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn not_allowed(allowed: &str) -> Refusal {
    Refusal::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("method not allowed, expected {allowed}"),
    )
}

fn too_large(max: usize) -> Refusal {
    Refusal::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("body larger than {max} bytes"),
    )
}

/// Decodes `%XX` escapes (and `+` as a space, as forms write it); `None` when an escape
/// is cut short or the result is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}
