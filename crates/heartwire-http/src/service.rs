//! What each signal becomes for each service a user may ping (`spec/http.md` §4): the
//! signal mapping table, as code.

use std::fmt;
use std::hash::{BuildHasher, Hasher};

use heartwire::text::{Message, Process, Signal};
use heartwire::time::UnixTime;

/// The longest body attached to a ping: healthchecks.io keeps 10,000 bytes.
pub const MAX_BODY_LEN: usize = 10_000;

/// The longest message put in a query (`m=`, `message=`), in bytes.
pub const MAX_MESSAGE_LEN: usize = 200;

/// A service that receives pings, and so the URL of each signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// healthchecks.io and heartwire's receiver: `/start`, `/fail`, `/<exit status>`,
    /// `/log`, `?rid=`.
    Healthchecks,
    /// Dead Man's Snitch: `?s=<exit status>&m=<message>`.
    Snitch,
    /// Cronitor: `?state=run|complete|fail`, `series=`, `message=`.
    Cronitor,
    /// A plain URL (the Intervalometerator's): a GET when all is well, nothing otherwise.
    Plain,
    /// beatit text posted to heartwire's receiver (`POST /beat`): the line form.
    Beatit,
}

impl Service {
    /// Every service, in the order of the spec's table.
    pub const ALL: [Service; 5] = [
        Service::Healthchecks,
        Service::Snitch,
        Service::Cronitor,
        Service::Plain,
        Service::Beatit,
    ];

    /// The name on the command line and in the spec.
    pub const fn as_str(self) -> &'static str {
        match self {
            Service::Healthchecks => "healthchecks",
            Service::Snitch => "snitch",
            Service::Cronitor => "cronitor",
            Service::Plain => "plain",
            Service::Beatit => "beatit",
        }
    }

    /// The service a URL most likely is, when the user did not say: `beatit` if its
    /// path ends with `/beat`, else `healthchecks`.
    pub fn guess(url: &str) -> Service {
        let (path, _) = split_url(url);
        if path.ends_with("/beat") {
            Service::Beatit
        } else {
            Service::Healthchecks
        }
    }

    /// The request that sends `signal` of `process` to the service at `base`, or
    /// `None` when the service has no such signal (the table's "—"). `run` pairs the
    /// signals of one job run; `output` is the job's last lines, attached where the
    /// service takes a body (or its last line as a message).
    pub fn request(
        self,
        base: &str,
        process: &Process<'_>,
        signal: JobSignal,
        run: Option<&RunId>,
        output: Option<&str>,
    ) -> Option<PingRequest> {
        let (path, query) = split_url(base);
        let mut url = Url {
            path: path.to_owned(),
            query: query.map(str::to_owned),
        };
        let body = output
            .filter(|o| !o.is_empty())
            .map(|o| tail_bytes(o, MAX_BODY_LEN).as_bytes().to_vec());
        let message = output
            .and_then(last_line)
            .map(|l| head_chars(l, MAX_MESSAGE_LEN));
        match self {
            Service::Healthchecks => {
                if url.path.ends_with('/') {
                    url.path.push_str(process.as_str());
                }
                let suffix = match signal {
                    JobSignal::Text(Signal::Start { .. }) => Some("start".to_owned()),
                    JobSignal::Text(Signal::Beat { .. }) if run.is_some() => Some("log".to_owned()),
                    JobSignal::Text(Signal::Beat { .. } | Signal::Stop) => None,
                    JobSignal::Text(Signal::Degraded { .. }) => Some("log".to_owned()),
                    JobSignal::Exit(code) => Some(code.to_string()),
                    JobSignal::Fail => Some("fail".to_owned()),
                };
                if let Some(suffix) = suffix {
                    url.path.push('/');
                    url.path.push_str(&suffix);
                }
                if let Some(run) = run {
                    url.param("rid", &run.0);
                }
                let body = match signal {
                    JobSignal::Text(Signal::Degraded { .. }) => Some(b"degraded".to_vec()),
                    JobSignal::Exit(_) | JobSignal::Fail => body,
                    _ => None,
                };
                Some(PingRequest::new(url, body))
            }
            Service::Snitch => {
                match signal {
                    JobSignal::Text(Signal::Start { .. }) => return None,
                    JobSignal::Text(Signal::Beat { .. }) if run.is_some() => return None,
                    JobSignal::Text(Signal::Beat { .. } | Signal::Stop) => {}
                    JobSignal::Text(Signal::Degraded { .. }) => url.param("m", "degraded"),
                    JobSignal::Exit(code) => {
                        url.param("s", &code.to_string());
                        if let Some(m) = message {
                            url.param("m", m);
                        }
                    }
                    JobSignal::Fail => {
                        url.param("s", "1");
                        if let Some(m) = message {
                            url.param("m", m);
                        }
                    }
                }
                Some(PingRequest::new(url, None))
            }
            Service::Cronitor => {
                let state = match signal {
                    JobSignal::Text(Signal::Start { .. }) => Some("run"),
                    JobSignal::Text(Signal::Beat { .. }) if run.is_some() => return None,
                    JobSignal::Text(Signal::Beat { .. } | Signal::Degraded { .. }) => None,
                    JobSignal::Text(Signal::Stop) | JobSignal::Exit(0) => Some("complete"),
                    JobSignal::Exit(_) | JobSignal::Fail => Some("fail"),
                };
                if let Some(state) = state {
                    url.param("state", state);
                }
                if let Some(run) = run {
                    url.param("series", &run.0);
                }
                match signal {
                    JobSignal::Text(Signal::Degraded { .. }) => url.param("message", "degraded"),
                    JobSignal::Exit(code) => {
                        url.param("status_code", &code.to_string());
                        if let Some(m) = message {
                            url.param("message", m);
                        }
                    }
                    JobSignal::Fail => {
                        if let Some(m) = message {
                            url.param("message", m);
                        }
                    }
                    _ => {}
                }
                Some(PingRequest::new(url, None))
            }
            Service::Plain => match signal {
                JobSignal::Text(Signal::Beat { .. } | Signal::Degraded { .. })
                | JobSignal::Exit(0) => Some(PingRequest::new(url, None)),
                _ => None,
            },
            Service::Beatit => {
                let signal = match signal {
                    JobSignal::Text(signal) => signal,
                    JobSignal::Exit(0) => Signal::Stop,
                    JobSignal::Exit(_) | JobSignal::Fail => return None,
                };
                let line = Message::new(process.borrowed(), signal).to_string();
                Some(PingRequest::new(url, Some(line.into_bytes())))
            }
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Service {
    type Err = UnknownService;

    fn from_str(s: &str) -> Result<Service, UnknownService> {
        Service::ALL
            .into_iter()
            .find(|service| service.as_str() == s)
            .ok_or_else(|| UnknownService(s.to_owned()))
    }
}

/// A service name that is none of [`Service::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownService(pub String);

impl fmt::Display for UnknownService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown service {:?}, expected healthchecks, snitch, cronitor, plain or beatit",
            self.0
        )
    }
}

impl std::error::Error for UnknownService {}

/// What a job or a process says: a beatit signal, or how a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobSignal {
    /// `start/W`, `beat/P`, `degraded/P` or `stop`.
    Text(Signal),
    /// The job exited with this status (0 is success; 128 + n when killed by signal n).
    Exit(u8),
    /// The job failed, with no exit status to tell.
    Fail,
}

/// A run id pairing a job's start with its end (`?rid=` of healthchecks.io, `series=`
/// of Cronitor): a UUID version 7, as healthchecks.io wants a UUID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RunId(String);

impl RunId {
    /// A new run id: the time in milliseconds, then 74 random bits.
    pub fn new(now: UnixTime) -> RunId {
        let millis = u64::try_from(now.as_nanos() / 1_000_000).unwrap_or(0) & 0xffff_ffff_ffff;
        let random = |salt: u64| {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(salt);
            h.finish()
        };
        let (a, b) = (random(millis), random(u64::from(std::process::id())));
        let rand_a = a & 0x0fff;
        let rand_b = b & 0x3fff_ffff_ffff_ffff;
        RunId(format!(
            "{:08x}-{:04x}-7{:03x}-{:04x}-{:012x}",
            millis >> 16,
            millis & 0xffff,
            rand_a,
            0x8000 | (rand_b >> 48),
            rand_b & 0xffff_ffff_ffff
        ))
    }

    /// A run id given by the user (any text; healthchecks.io wants a UUID).
    pub fn from_text(text: impl Into<String>) -> RunId {
        RunId(text.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An HTTP method a ping uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// No body.
    Get,
    /// With a body.
    Post,
}

/// One ping to send: a GET, or a POST when there is a body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PingRequest {
    /// GET or POST.
    pub method: Method,
    /// The full URL.
    pub url: String,
    /// The body of a POST.
    pub body: Option<Vec<u8>>,
}

impl PingRequest {
    fn new(url: Url, body: Option<Vec<u8>>) -> PingRequest {
        PingRequest {
            method: if body.is_some() {
                Method::Post
            } else {
                Method::Get
            },
            url: url.to_string(),
            body,
        }
    }

    /// A GET of `url`.
    pub fn get(url: impl Into<String>) -> PingRequest {
        PingRequest {
            method: Method::Get,
            url: url.into(),
            body: None,
        }
    }
}

/// A URL cut in two at its `?`, its fragment dropped.
struct Url {
    path: String,
    query: Option<String>,
}

impl Url {
    fn param(&mut self, name: &str, value: &str) {
        let query = self.query.get_or_insert_with(String::new);
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(name);
        query.push('=');
        percent_encode(value, query);
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)?;
        match &self.query {
            Some(q) if !q.is_empty() => write!(f, "?{q}"),
            _ => Ok(()),
        }
    }
}

/// `(before '?', after '?')`, without a `#fragment`.
fn split_url(url: &str) -> (&str, Option<&str>) {
    let url = url.split_once('#').map_or(url, |(u, _)| u);
    match url.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (url, None),
    }
}

/// Percent-encodes all but RFC 3986's unreserved characters.
pub fn percent_encode(value: &str, out: &mut String) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

fn last_line(output: &str) -> Option<&str> {
    output.lines().rev().map(str::trim).find(|l| !l.is_empty())
}

fn head_chars(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn tail_bytes(text: &str, max: usize) -> &str {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}
