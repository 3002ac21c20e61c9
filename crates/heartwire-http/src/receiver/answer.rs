//! What the receiver answers each request (`spec/http.md` §5): the request parsed and
//! allowed, then what a ping, a beat, a forget and `/status` do with the engine.

use std::collections::HashSet;
use std::convert::Infallible;
use std::fmt;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use heartwire::text::{Message, Process, Subject};
use heartwire::time::UnixTime;
use heartwire_liveness::{Monitor, PingSchedule, Rejected, Source};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{
    CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE,
};
use hyper::{Method, Request, Response, StatusCode};

use super::capacity::Capacity;
use super::clients::{ClientId, Clients, Full, Slot, Slots};
use super::history::History;
use super::journal::{Accepted, Registration};
use super::key::PING_KEY_HEADER;
use super::limits::ReceiverConfig;
use super::metrics::{self, Exposition};
use super::status::{self, StatusBody};
use super::target::{PingTarget, StatusQuery, Target, TargetError};
use super::ui;
use super::{Journal, MetricFamilies, ReceiverStats, StatusMembers, lock};

/// What every connection of a receiver shares. Locks are taken in the order of the
/// fields: `monitor`, then `clients` or `capacity`.
pub(crate) struct Shared {
    pub(crate) monitor: Arc<Mutex<Monitor>>,
    pub(crate) clients: Mutex<Clients>,
    pub(crate) capacity: Mutex<Capacity>,
    pub(crate) clock: Box<dyn Fn() -> UnixTime + Send + Sync>,
    pub(crate) config: ReceiverConfig,
    pub(crate) stats: Arc<ReceiverStats>,
    pub(crate) status_answers: Arc<Slots>,
    pub(crate) members: Option<StatusMembers>,
    pub(crate) families: Option<MetricFamilies>,
    pub(crate) journal: Option<Journal>,
    pub(crate) history: Option<Arc<History>>,
}

/// The body of an answer: a short text written at once, `/metrics` written at once
/// with its place among the large answers held until it is sent, or `/status` written
/// as it is taken.
pub(crate) enum AnswerBody {
    Full(Option<Bytes>),
    Held {
        bytes: Option<Bytes>,
        /// Given back when the answer is sent or dropped.
        _place: Slot,
    },
    Status(Box<StatusBody>),
}

impl Body for AnswerBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            AnswerBody::Full(bytes) | AnswerBody::Held { bytes, .. } => {
                Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b))))
            }
            AnswerBody::Status(body) => Pin::new(body.as_mut()).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            AnswerBody::Full(bytes) | AnswerBody::Held { bytes, .. } => bytes.is_none(),
            AnswerBody::Status(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            AnswerBody::Full(bytes) | AnswerBody::Held { bytes, .. } => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            AnswerBody::Status(body) => body.size_hint(),
        }
    }
}

pub(crate) type Answer = Response<AnswerBody>;

/// A refusal: its status, its reason (sent as the body), and what the client is told
/// besides.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    reason: String,
    retry_after: Option<u64>,
    close: bool,
}

impl Refusal {
    fn new(status: StatusCode, reason: impl Into<String>) -> Refusal {
        Refusal {
            status,
            reason: reason.into(),
            retry_after: None,
            close: false,
        }
    }

    fn retry_after(mut self, wait: Duration) -> Refusal {
        self.retry_after = Some(wait.as_secs_f64().ceil().max(1.0) as u64);
        self
    }

    /// Ends the connection after the answer: what is left of the request is unread.
    fn closing(mut self) -> Refusal {
        self.close = true;
        self
    }

    fn into_answer(self) -> Answer {
        let mut response = text(self.status, format!("{}\n", self.reason));
        let headers = response.headers_mut();
        if let Some(secs) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.close {
            headers.insert(CONNECTION, HeaderValue::from_static("close"));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("X-Heartwire-Key"),
            );
        }
        response
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
        let refusal = Refusal::new(status, format!("{}: {rejected}", rejected.code()));
        match status {
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                refusal.retry_after(Duration::from_secs(1))
            }
            _ => refusal,
        }
    }
}

impl From<TargetError> for Refusal {
    fn from(e: TargetError) -> Refusal {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
        Refusal::new(status, e.to_string())
    }
}

/// A duration as a person reads it: `10 s`, `250 ms`.
struct Shown(Duration);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.subsec_nanos() == 0 {
            write!(f, "{} s", self.0.as_secs())
        } else {
            write!(f, "{} ms", self.0.as_millis())
        }
    }
}

impl Shared {
    /// The answer to one request of `client`.
    pub(crate) async fn answer(
        self: Arc<Self>,
        client: ClientId,
        request: Request<Incoming>,
    ) -> Answer {
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let result = match self.admit(client) {
            Ok(()) => self.route(client, request).await,
            Err(refusal) => Err(refusal),
        };
        result.unwrap_or_else(|refusal| {
            self.stats.refused.fetch_add(1, Ordering::Relaxed);
            refusal.into_answer()
        })
    }

    /// The client's token bucket of requests.
    fn admit(&self, client: ClientId) -> Result<(), Refusal> {
        lock(&self.clients)
            .request(client, Instant::now())
            .map_err(|wait| {
                let per_second = self.config.rate_limit.map_or(0.0, |l| l.per_second);
                Refusal::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("rate limited: more than {per_second} requests a second from {client}"),
                )
                .retry_after(wait)
            })
    }

    /// `n` names new to the engine from `client`.
    fn new_names(&self, client: ClientId, n: usize) -> Result<(), Refusal> {
        let mut clients = lock(&self.clients);
        clients.new_names(client, n, Instant::now()).map_err(|wait| {
            let burst = clients.names_burst().unwrap_or(0.0);
            let per_minute = self.config.new_names.map_or(0.0, |l| l.per_second * 60.0);
            Refusal::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "too many new names from {client}: {n} asked, at most {burst} at once then {per_minute:.0} a minute"
                ),
            )
            .retry_after(wait)
        })
    }

    async fn route(
        self: &Arc<Self>,
        client: ClientId,
        request: Request<Incoming>,
    ) -> Result<Answer, Refusal> {
        let uri = request.uri().clone();
        let header_key = request
            .headers()
            .get(PING_KEY_HEADER)
            .map(|v| v.as_bytes().to_vec());
        let key_in_path = self.config.ping_key.is_some() && header_key.is_none();
        let method = request.method().clone();
        let target = Target::parse(
            method.as_str(),
            uri.path(),
            uri.query(),
            key_in_path,
            &self.config,
        )?;
        // The page's files hold no data: the page asks for the key itself (§5.11).
        if let Some(key) = &self.config.ping_key
            && !matches!(target, Target::Page(_))
        {
            let in_path = match &target {
                Target::Ping(ping) => ping.key,
                Target::Forget { key, .. } => *key,
                _ => None,
            };
            let presented = header_key.as_deref().or(in_path.map(str::as_bytes));
            if !presented.is_some_and(|p| key.matches(p)) {
                return Err(Refusal::new(
                    StatusCode::UNAUTHORIZED,
                    "missing or wrong ping key",
                ));
            }
            let named = match &target {
                Target::Ping(ping) => Some(&ping.process),
                Target::Forget { process, .. } => Some(process),
                _ => None,
            };
            // The key in the path and in the header: it would be registered as a name.
            if named.is_some_and(|p| key.matches(p.as_str().as_bytes())) {
                return Err(Refusal::new(
                    StatusCode::BAD_REQUEST,
                    "the process name is the ping key, expected the key in the path or in the header, not both",
                ));
            }
        }
        match target {
            Target::Status(query) => self.status(client, method == Method::HEAD, &query),
            Target::Metrics => self.metrics(client, method == Method::HEAD),
            Target::Page(asset) => Ok(ui::answer(asset, method == Method::HEAD)),
            Target::Process { name, source } => self.process(name, source, method == Method::HEAD),
            Target::Ping(ping) => {
                // The body (a job's output) is read to enforce the cap, then dropped.
                self.body(request).await?;
                self.ping(client, &ping)
            }
            Target::Forget { process, .. } => self.forget(&process),
            Target::Beat { subject } => {
                let body = self.body(request).await?;
                self.beat(client, subject.as_ref(), &body)
            }
        }
    }

    async fn body(&self, request: Request<Incoming>) -> Result<Bytes, Refusal> {
        let max = self.config.max_body;
        let too_large = || {
            Refusal::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("body larger than {max} bytes"),
            )
            .closing()
        };
        let declared = request
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > max as u64) {
            return Err(too_large());
        }
        let timeout = self.config.body_timeout;
        let read = Limited::new(request.into_body(), max).collect();
        match tokio::time::timeout(timeout, read).await {
            Ok(Ok(collected)) => Ok(collected.to_bytes()),
            Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
            Ok(Err(e)) => Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                format!("cannot read the body: {e}"),
            )
            .closing()),
            Err(_) => Err(Refusal::new(
                StatusCode::REQUEST_TIMEOUT,
                format!("body not received within {}", Shown(timeout)),
            )
            .closing()),
        }
    }

    /// Hands an acknowledged change to the journal, if there is one; called with the
    /// engine locked, before the answer.
    fn record(&self, accepted: &Accepted) -> Result<(), Refusal> {
        match &self.journal {
            Some(record) => record(accepted).map_err(|e| {
                Refusal::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("applied but not recorded in the journal: {e}"),
                )
            }),
            None => Ok(()),
        }
    }

    /// Runs `apply`; when the engine is full, makes room for one and runs it again.
    fn with_room<T>(
        &self,
        monitor: &mut Monitor,
        mut apply: impl FnMut(&mut Monitor) -> Result<T, Rejected>,
    ) -> Result<T, Rejected> {
        match apply(monitor) {
            Err(Rejected::TooManyProcesses) => {
                if !lock(&self.capacity).evict(monitor, Instant::now()) {
                    return Err(Rejected::TooManyProcesses);
                }
                self.stats.evicted.fetch_add(1, Ordering::Relaxed);
                apply(monitor)
            }
            other => other,
        }
    }

    fn ping(&self, client: ClientId, ping: &PingTarget<'_>) -> Result<Answer, Refusal> {
        let name = ping.process.as_str();
        let at = (self.clock)();
        let mut monitor = lock(&self.monitor);
        // What is registered, and whether this ping changes it: a new name, or a
        // period, offset or grace other than the registered one.
        let current = monitor.get(Source::Ping, name).map(|v| {
            v.ping.map(|p| {
                let same = ping.period.as_ref().is_none_or(|s| s == p.schedule);
                (same, minutes(p.anchor), p.grace)
            })
        });
        let known = current.is_some();
        let current = current.flatten();
        let same_period = current.is_none_or(|(same, _, _)| same);
        let offset_now = current.map_or(0, |(_, offset, _)| offset);
        let grace_now = current.map(|(_, _, grace)| grace);
        let moved = ping.offset.is_some_and(|o| o != offset_now);
        let regraced = ping.grace.is_some_and(|g| Some(g) != grace_now);
        let mut registered = None;
        if !known || !same_period || moved || regraced {
            if !known {
                self.new_names(client, 1)?;
            }
            let schedule = match &ping.period {
                Some(schedule) => schedule.clone(),
                None => monitor
                    .get(Source::Ping, name)
                    .and_then(|v| v.ping.map(|p| p.schedule.clone()))
                    .unwrap_or(PingSchedule::Rate(self.config.default_rate)),
            };
            let offset = ping.offset.unwrap_or(offset_now);
            let anchor = UnixTime::new(i64::from(offset) * 60, 0);
            // A process keeps its grace when a ping changes its period or offset.
            let grace = ping.grace.or(grace_now);
            self.with_room(&mut monitor, |m| {
                m.expect_ping_schedule(&ping.process, schedule.clone(), anchor, grace, at)
            })?;
            registered = Some(Registration {
                schedule,
                anchor,
                grace,
            });
            if !known {
                lock(&self.capacity).registered(Source::Ping, name, at);
            }
        }
        let observed =
            monitor.observe_ping_outcome(&ping.process, ping.outcome, ping.rid.clone(), at);
        if registered.is_some() || observed.is_ok() {
            self.record(&Accepted::Ping {
                process: ping.process.clone().into_owned(),
                registered,
                outcome: ping.outcome,
                rid: ping.rid.clone(),
                at,
            })?;
        }
        observed?;
        if let Some(history) = &self.history {
            // A name new to the engine starts a history of its own, whatever an older
            // process of that name left.
            if !known {
                history.forget(Source::Ping, name);
            }
            history.ping(name, ping.outcome, ping.rid.as_ref(), at);
        }
        drop(monitor);
        self.stats.pings.fetch_add(1, Ordering::Relaxed);
        Ok(text(StatusCode::OK, "OK\n".to_owned()))
    }

    fn forget(&self, process: &Process<'_>) -> Result<Answer, Refusal> {
        let name = process.as_str();
        let mut monitor = lock(&self.monitor);
        if !monitor.forget(Source::Ping, name) {
            return Err(Refusal::new(
                StatusCode::NOT_FOUND,
                format!("no ping process {name:?}"),
            ));
        }
        self.record(&Accepted::Forget {
            process: process.clone().into_owned(),
        })?;
        if let Some(history) = &self.history {
            history.forget(Source::Ping, name);
        }
        drop(monitor);
        self.stats.forgotten.fetch_add(1, Ordering::Relaxed);
        let mut response = Response::new(AnswerBody::Full(None));
        *response.status_mut() = StatusCode::NO_CONTENT;
        Ok(response)
    }

    fn beat(
        &self,
        client: ClientId,
        subject: Option<&Subject<'_>>,
        body: &[u8],
    ) -> Result<Answer, Refusal> {
        let at = (self.clock)();
        let messages = decode_beats(subject, body)?;
        let mut monitor = lock(&self.monitor);
        let mut new: HashSet<&str> = messages
            .iter()
            .map(|m| m.process().as_str())
            .filter(|name| monitor.get(Source::Text, name).is_none())
            .collect();
        self.new_names(client, new.len())?;
        let mut refused = None;
        let mut accepted = 0u64;
        let mut taken = Vec::new();
        for message in &messages {
            let name = message.process().as_str();
            match self.with_room(&mut monitor, |m| m.observe_text(message, at)) {
                Ok(_) => {
                    accepted += 1;
                    if self.journal.is_some() {
                        taken.push(message.clone().into_owned());
                    }
                    let first = new.remove(name);
                    if first {
                        lock(&self.capacity).registered(Source::Text, name, at);
                    }
                    if let Some(history) = &self.history {
                        if first {
                            history.forget(Source::Text, name);
                        }
                        history.beat(name, message.signal(), at);
                    }
                }
                Err(rejected) => {
                    refused.get_or_insert((name.to_owned(), rejected));
                }
            }
        }
        if !taken.is_empty() {
            self.record(&Accepted::Beats {
                messages: taken,
                at,
            })?;
        }
        drop(monitor);
        self.stats.beats.fetch_add(accepted, Ordering::Relaxed);
        match refused {
            None => Ok(text(StatusCode::OK, "OK\n".to_owned())),
            Some((process, rejected)) => {
                let mut refusal = Refusal::from(rejected);
                refusal.reason = format!(
                    "{process}: {} ({accepted} of {} accepted)",
                    refusal.reason,
                    messages.len()
                );
                Err(refusal)
            }
        }
    }

    /// A place among the `/status` and `/metrics` answers being sent (§5.5).
    fn large_answer(&self, client: ClientId, what: &str) -> Result<Slot, Refusal> {
        self.status_answers.take(client).map_err(|full| {
            let reason = match full {
                Full::All(n) => format!("too many /status and /metrics answers being sent: {n}"),
                Full::Client(n) => format!(
                    "too many /status and /metrics answers being sent to {client}: {n} (asked: {what})"
                ),
            };
            Refusal::new(StatusCode::SERVICE_UNAVAILABLE, reason)
                .retry_after(Duration::from_secs(1))
        })
    }

    fn status(
        self: &Arc<Self>,
        client: ClientId,
        head: bool,
        query: &StatusQuery,
    ) -> Result<Answer, Refusal> {
        if head {
            return Ok(json(AnswerBody::Full(None)));
        }
        let slot = self.large_answer(client, "/status")?;
        let page = status::select(&lock(&self.monitor), query);
        let body = StatusBody::new(Arc::clone(self), page, query, slot);
        Ok(json(AnswerBody::Status(Box::new(body))))
    }

    /// `GET /status/<name>` (§5.11): the process's `/status` entry with its history;
    /// 404 when the engine has no process of that name (of that source).
    fn process(&self, name: &str, source: Option<Source>, head: bool) -> Result<Answer, Refusal> {
        let monitor = lock(&self.monitor);
        let sources = [Source::Text, Source::Record, Source::Command, Source::Ping];
        let mut found = sources
            .into_iter()
            .filter(|s| source.is_none_or(|wanted| wanted == *s))
            .filter_map(|s| monitor.get(s, name));
        let Some(view) = found.next() else {
            return Err(Refusal::new(
                StatusCode::NOT_FOUND,
                format!("no process {name:?}"),
            ));
        };
        let found_source = view.source;
        let mut entry = status::entry(&monitor, &view);
        let others: Vec<&str> = found.map(|v| v.source.as_str()).collect();
        // The extras go last, as the record has them (`status::entry_json`).
        let record = view.record.cloned();
        drop(monitor);
        if head {
            return Ok(json(AnswerBody::Full(None)));
        }
        if !others.is_empty() {
            // The first source in the order of /status is answered; the others are
            // named, to be asked with source=.
            entry.insert("also".into(), others.into());
        }
        if let Some(history) = &self.history {
            history.describe(found_source, name, &mut entry);
        }
        let mut text = status::entry_json(entry, record.as_ref());
        text.push('\n');
        Ok(json(AnswerBody::Full(Some(Bytes::from(text)))))
    }

    /// `GET /metrics` (§5.10): written at once, the engine locked meanwhile; it takes a
    /// place among the large answers being sent, as `/status` does, so that their
    /// memory is bounded.
    fn metrics(self: &Arc<Self>, client: ClientId, head: bool) -> Result<Answer, Refusal> {
        let slot = self.large_answer(client, "/metrics")?;
        let mut text = String::new();
        if !head {
            let mut out = Exposition::new(&mut text);
            metrics::write(
                &lock(&self.monitor),
                &self.stats,
                (self.clock)(),
                self.config.max_metrics_processes,
                &mut out,
            );
            if let Some(families) = &self.families {
                families(&mut out);
            }
        }
        let mut response = Response::new(AnswerBody::Held {
            bytes: Some(Bytes::from(text)),
            _place: slot,
        });
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        );
        Ok(response)
    }
}

/// The messages of a `/beat` body, all decoded before any is applied.
fn decode_beats(
    subject: Option<&Subject<'_>>,
    body: &[u8],
) -> Result<Vec<Message<'static>>, Refusal> {
    let bad = |reason: String| Refusal::new(StatusCode::BAD_REQUEST, reason);
    if let Some(subject) = subject {
        let message = Message::decode_str(subject.as_str(), body.trim_ascii())
            .map_err(|e| bad(format!("payload: {e}")))?;
        return Ok(vec![message.into_owned()]);
    }
    let mut messages = Vec::new();
    for (n, line) in body.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.trim_ascii().is_empty() {
            continue;
        }
        let message =
            Message::decode_line(line).map_err(|e| bad(format!("line {}: {e}", n + 1)))?;
        messages.push(message.into_owned());
    }
    if messages.is_empty() {
        return Err(bad(
            "empty body, expected lines such as `heartbeat.<process> beat/5`".to_owned(),
        ));
    }
    Ok(messages)
}

fn text(status: StatusCode, body: String) -> Answer {
    let mut response = Response::new(AnswerBody::Full(Some(Bytes::from(body))));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn json(body: AnswerBody) -> Answer {
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The whole minutes after the epoch of an anchor: the `offset=` it was registered with.
pub(crate) fn minutes(anchor: UnixTime) -> u32 {
    u32::try_from(anchor.secs().div_euclid(60)).unwrap_or(0)
}
