//! What a request asks for: its method, path and query parsed into a [`Target`]
//! (`spec/http.md` §5.1), with no socket, so that the tests and the fuzz target
//! `receiver_path` reach the receiver's one parser.

use std::fmt;
use std::time::Duration;

use heartwire::schedule::{Cron, CronError, CronErrorKind, Rate, ScheduleError};
use heartwire::text::{Process, Subject, TextError};
use heartwire_liveness::{
    MAX_NAME_LEN, MAX_PING_GRACE, PingOutcome, PingSchedule, RunId, RunIdError, Source, State,
};

use super::limits::ReceiverConfig;

/// `offset=` is below a week of minutes: every interval rate a pinger has is shorter.
pub const MAX_OFFSET_MINUTES: u32 = 7 * 24 * 60;

/// Every source, in the order `/status` lists them.
const SOURCES: [Source; 4] = [Source::Text, Source::Record, Source::Command, Source::Ping];

/// What a request asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Target<'a> {
    /// `GET`, `HEAD` or `POST /ping/[<key>/]<process>[/<kind>]`.
    Ping(PingTarget<'a>),
    /// `DELETE /ping/[<key>/]<process>`: forget the ping process.
    Forget {
        /// The ping key in the path, when the path holds one.
        key: Option<&'a str>,
        /// The process to forget.
        process: Process<'a>,
    },
    /// `POST /beat` (lines of beatit text) or `POST /beat/<subject>` (one payload).
    Beat {
        /// The subject in the path, if any.
        subject: Option<Subject<'a>>,
    },
    /// `GET` or `HEAD /status`.
    Status(StatusQuery),
    /// `GET` or `HEAD /metrics`: the Prometheus exposition (§5.10).
    Metrics,
    /// `GET` or `HEAD /status/<name>[?source=<source>]`: one process and its history
    /// (§5.11).
    Process {
        /// The name, as in the path (names need no escape).
        name: &'a str,
        /// `source=`: which of the processes of that name, when several sources have
        /// one.
        source: Option<Source>,
    },
    /// `GET` or `HEAD` of a file of the status page (§5.11): `/`, `/ui/app.js`,
    /// `/ui/style.css`.
    Page(Asset),
}

/// A file of the status page, served from the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asset {
    /// `/`: the page.
    Index,
    /// `/ui/app.js`: its script.
    Script,
    /// `/ui/style.css`: its style sheet.
    Style,
}

impl Asset {
    /// The asset at `path`, if one is.
    pub fn at(path: &str) -> Option<Asset> {
        match path {
            "/" => Some(Asset::Index),
            "/ui/app.js" => Some(Asset::Script),
            "/ui/style.css" => Some(Asset::Style),
            _ => None,
        }
    }
}

/// A ping, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct PingTarget<'a> {
    /// The ping key in the path, when the path holds one.
    pub key: Option<&'a str>,
    /// Who pings.
    pub process: Process<'a>,
    /// What the ping says.
    pub outcome: PingOutcome,
    /// `period=`: the schedule it declares, a rate or a five-field crontab line (in the
    /// time zone of `tz=`, UTC without it).
    pub period: Option<PingSchedule>,
    /// `offset=`: minutes after the epoch that the rate counts from, below
    /// [`MAX_OFFSET_MINUTES`].
    pub offset: Option<u32>,
    /// `grace=`: how long after a fire time a ping may come, whole seconds up to
    /// [`MAX_PING_GRACE`].
    pub grace: Option<Duration>,
    /// `rid=`: the run id; an empty one is none.
    pub rid: Option<RunId>,
}

/// What a ping path says after the name: nothing, `start`, `log`, `fail` or an exit
/// status.
fn ping_outcome(suffix: &str) -> Result<PingOutcome, TargetError> {
    Ok(match suffix {
        "" => PingOutcome::Success,
        "start" => PingOutcome::Start,
        "log" => PingOutcome::Log,
        "fail" => PingOutcome::Fail,
        digits if (1..=3).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) => {
            PingOutcome::Exit(
                digits
                    .parse()
                    .map_err(|_| TargetError::ExitStatusOutOfRange {
                        status: digits.to_owned(),
                    })?,
            )
        }
        other => {
            return Err(TargetError::UnknownPing {
                suffix: other.to_owned(),
            });
        }
    })
}

/// What `/status` is asked for: a page of processes in the order of (source, name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusQuery {
    /// `state=`: only processes in this state.
    pub state: Option<State>,
    /// `source=`: only processes of this source.
    pub source: Option<Source>,
    /// `limit=`: the most processes listed, 1 to [`ReceiverConfig::max_status_page`]
    /// ([`ReceiverConfig::status_page`] when not given).
    pub limit: usize,
    /// `after=`: only processes after this one (the `next` of the previous page).
    pub after: Option<Cursor>,
}

/// A place in the order of `/status`: a source and a name, written `<source>:<name>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cursor {
    /// The source.
    pub source: Source,
    /// The name, at most [`MAX_NAME_LEN`] bytes.
    pub name: String,
}

impl Cursor {
    /// The cursor written as `<source>:<name>`, if it is one.
    pub fn parse(text: &str) -> Option<Cursor> {
        let (source, name) = text.split_once(':')?;
        let source = SOURCES.into_iter().find(|s| s.as_str() == source)?;
        (!name.is_empty() && name.len() <= MAX_NAME_LEN).then(|| Cursor {
            source,
            name: name.to_owned(),
        })
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.source, self.name)
    }
}

/// Why a request's target is refused; [`TargetError::status`] is the HTTP status.
///
/// Messages never hold a ping key: they name the parts after it only.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TargetError {
    /// A path outside `spec/http.md` §5.1 (404).
    NoSuchEndpoint,
    /// A method the path does not take (405).
    MethodNotAllowed {
        /// The methods it takes.
        allowed: &'static str,
    },
    /// A target longer than [`ReceiverConfig::max_target`] (414).
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A ping path of one segment where a key and a name are expected (401, as a
    /// wrong key is).
    MissingKey,
    /// A process name that breaks the text grammar (400).
    InvalidName {
        /// The name.
        name: String,
        /// What is wrong with it.
        error: TextError,
    },
    /// A subject of `/beat/<subject>` that breaks the text grammar (400).
    InvalidSubject {
        /// The subject.
        subject: String,
        /// What is wrong with it.
        error: TextError,
    },
    /// A ping suffix other than `start`, `log`, `fail` or an exit status (400).
    UnknownPing {
        /// The suffix.
        suffix: String,
    },
    /// An exit status above 255 (400).
    ExitStatusOutOfRange {
        /// The digits.
        status: String,
    },
    /// A query parameter that is refused (400).
    Parameter(ParameterError),
}

/// A query parameter that is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParameterError {
    /// A `%` escape cut short, or a value that is not UTF-8 once decoded.
    PercentEncoding {
        /// The parameter.
        name: &'static str,
    },
    /// `period=` that is no rate (a value without a space).
    Period {
        /// The value, decoded.
        text: String,
        /// What is wrong with it.
        error: ScheduleError,
    },
    /// `period=` that is no five-field crontab line (a value with a space).
    Cron {
        /// The value, decoded.
        text: String,
        /// What is wrong with it, at a byte offset of the value.
        error: CronError,
    },
    /// `tz=` that is no IANA time zone of the bundled database.
    TimeZone {
        /// The value, decoded.
        text: String,
    },
    /// `tz=` without a crontab `period=` in the same query.
    TimeZoneWithoutCron,
    /// `grace=` that is not whole seconds (`90`, `90s`, `5m`, `1h`) up to
    /// [`MAX_PING_GRACE`].
    Grace {
        /// The value, decoded.
        text: String,
    },
    /// `offset=` that is not a whole number of minutes below [`MAX_OFFSET_MINUTES`].
    Offset {
        /// The value.
        text: String,
    },
    /// `rid=` that is no run id, once decoded.
    RunId(RunIdError),
    /// A parameter the endpoint does not take (`/status`: other than `state`, `source`,
    /// `limit` and `after`; `/metrics`: any).
    Unknown {
        /// Its name, as given.
        name: String,
        /// What the endpoint takes.
        expected: &'static str,
    },
    /// A `/status` parameter given twice.
    Repeated {
        /// The parameter.
        name: &'static str,
    },
    /// `state=` that names no state.
    State {
        /// The value, decoded.
        text: String,
    },
    /// `source=` that names no source.
    Source {
        /// The value, decoded.
        text: String,
    },
    /// `limit=` that is not a number from 1 to the maximum.
    Limit {
        /// The value.
        text: String,
        /// The maximum.
        max: usize,
    },
    /// `after=` that is no `<source>:<name>`.
    After {
        /// The value, decoded.
        text: String,
    },
}

impl TargetError {
    /// The HTTP status the receiver answers it with.
    pub const fn status(&self) -> u16 {
        match self {
            TargetError::NoSuchEndpoint => 404,
            TargetError::MethodNotAllowed { .. } => 405,
            TargetError::TooLong { .. } => 414,
            TargetError::MissingKey => 401,
            _ => 400,
        }
    }
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetError::NoSuchEndpoint => f.write_str(
                "no such endpoint, expected /ping/<process>[/start|/log|/fail|/<0-255>], POST /beat, DELETE /ping/<process>, /status, /status/<process>, /metrics or / (the status page)",
            ),
            TargetError::MethodNotAllowed { allowed } => {
                write!(f, "method not allowed, expected {allowed}")
            }
            TargetError::TooLong { len, max } => {
                write!(f, "request target of {len} bytes, expected at most {max}")
            }
            TargetError::MissingKey => f.write_str("missing or wrong ping key"),
            TargetError::InvalidName { name, error } => {
                write!(f, "invalid process name {name:?}: {error}")
            }
            TargetError::InvalidSubject { subject, error } => {
                write!(f, "invalid subject {subject:?}: {error}")
            }
            TargetError::UnknownPing { suffix } => write!(
                f,
                "unknown ping {suffix:?}, expected start, log, fail or an exit status 0 to 255"
            ),
            TargetError::ExitStatusOutOfRange { status } => {
                write!(f, "exit status {status} out of range, expected 0 to 255")
            }
            TargetError::Parameter(e) => e.fmt(f),
        }
    }
}

impl fmt::Display for ParameterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParameterError::PercentEncoding { name } => {
                write!(f, "{name}: invalid percent-encoding")
            }
            ParameterError::Period { text, error } => {
                write!(f, "period {text:?}: {error}, expected {PERIOD_FORMS}")
            }
            ParameterError::Cron { text, error } => {
                write!(f, "period {text:?}: {error}, expected {PERIOD_FORMS}")
            }
            ParameterError::TimeZone { text } => write!(
                f,
                "tz {text:?}: expected an IANA time zone such as Europe/Paris"
            ),
            ParameterError::TimeZoneWithoutCron => f.write_str(
                "tz: taken only with a crontab period in the same query, such as \
                 period=0+9+*+*+*&tz=Europe/Paris",
            ),
            ParameterError::Grace { text } => write!(
                f,
                "grace {text:?}: expected whole seconds (90) or 90s, 5m, 1h, at most {} s \
                 (7 days)",
                MAX_PING_GRACE.as_secs()
            ),
            ParameterError::Offset { text } => write!(
                f,
                "offset {text:?}: expected whole minutes from 0 to {}",
                MAX_OFFSET_MINUTES - 1
            ),
            ParameterError::RunId(e) => write!(f, "rid: {e}"),
            ParameterError::Unknown { name, expected } => {
                write!(f, "unknown parameter {name:?}, expected {expected}")
            }
            ParameterError::Repeated { name } => write!(f, "{name} given twice"),
            ParameterError::State { text } => write!(
                f,
                "state {text:?}: expected one of {}",
                State::ALL.map(State::as_str).join(", ")
            ),
            ParameterError::Source { text } => write!(
                f,
                "source {text:?}: expected one of {}",
                SOURCES.map(Source::as_str).join(", ")
            ),
            ParameterError::Limit { text, max } => {
                write!(f, "limit {text:?}: expected a number from 1 to {max}")
            }
            ParameterError::After { text } => write!(
                f,
                "after {text:?}: expected <source>:<name>, the next of the previous page"
            ),
        }
    }
}

impl std::error::Error for TargetError {}

impl From<ParameterError> for TargetError {
    fn from(e: ParameterError) -> TargetError {
        TargetError::Parameter(e)
    }
}

impl<'a> Target<'a> {
    /// Parses a request: its method, its path (as sent: not percent-decoded, which no
    /// process name needs) and its query. `key_in_path`: the path of a ping starts
    /// with a ping key (a receiver with a key, and a request without the key header).
    /// `config` gives the length and page limits.
    pub fn parse(
        method: &str,
        path: &'a str,
        query: Option<&'a str>,
        key_in_path: bool,
        config: &ReceiverConfig,
    ) -> Result<Target<'a>, TargetError> {
        let len = path.len() + query.map_or(0, |q| q.len() + 1);
        if len > config.max_target {
            return Err(TargetError::TooLong {
                len,
                max: config.max_target,
            });
        }
        if path == "/status" {
            return match method {
                "GET" | "HEAD" => Ok(Target::Status(parse_status(query, config)?)),
                _ => Err(TargetError::MethodNotAllowed {
                    allowed: "GET, HEAD",
                }),
            };
        }
        if let Some(asset) = Asset::at(path) {
            return match method {
                "GET" | "HEAD" => Ok(Target::Page(asset)),
                _ => Err(TargetError::MethodNotAllowed {
                    allowed: "GET, HEAD",
                }),
            };
        }
        if let Some(name) = path.strip_prefix("/status/") {
            return match method {
                "GET" | "HEAD" => parse_process(name, query),
                _ => Err(TargetError::MethodNotAllowed {
                    allowed: "GET, HEAD",
                }),
            };
        }
        if path == "/metrics" {
            return match method {
                "GET" | "HEAD" => match pairs(query).next() {
                    Some((name, _)) => Err(ParameterError::Unknown {
                        name: name.to_owned(),
                        expected: "none",
                    }
                    .into()),
                    None => Ok(Target::Metrics),
                },
                _ => Err(TargetError::MethodNotAllowed {
                    allowed: "GET, HEAD",
                }),
            };
        }
        if let Some(rest) = path.strip_prefix("/ping/") {
            let (key, rest) = if key_in_path {
                let (key, rest) = rest.split_once('/').ok_or(TargetError::MissingKey)?;
                (Some(key), rest)
            } else {
                (None, rest)
            };
            let (name, suffix) = rest.split_once('/').unwrap_or((rest, ""));
            let process = Process::new(name).map_err(|error| TargetError::InvalidName {
                name: name.to_owned(),
                error,
            })?;
            return match method {
                "GET" | "HEAD" | "POST" => {
                    let outcome = ping_outcome(suffix)?;
                    Ok(Target::Ping(parse_ping(key, process, outcome, query)?))
                }
                "DELETE" if suffix.is_empty() => Ok(Target::Forget { key, process }),
                "DELETE" => Err(TargetError::MethodNotAllowed {
                    allowed: "GET, HEAD, POST",
                }),
                _ => Err(TargetError::MethodNotAllowed {
                    allowed: "GET, HEAD, POST, DELETE",
                }),
            };
        }
        if path == "/beat" || path.starts_with("/beat/") {
            if method != "POST" {
                return Err(TargetError::MethodNotAllowed { allowed: "POST" });
            }
            let subject =
                match path.strip_prefix("/beat/") {
                    Some(subject) => Some(Subject::new(subject).map_err(|error| {
                        TargetError::InvalidSubject {
                            subject: subject.to_owned(),
                            error,
                        }
                    })?),
                    None => None,
                };
            return Ok(Target::Beat { subject });
        }
        Err(TargetError::NoSuchEndpoint)
    }
}

/// `name=value` pairs of a query; a pair without `=` has an empty value.
fn pairs(query: Option<&str>) -> impl Iterator<Item = (&str, &str)> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
}

/// The parameters a ping takes, as a refused one lists them (`spec/http.md` §5.1).
const PING_PARAMETERS: &str = "period, tz, grace, offset, rid or create";

/// The two forms of `period=`, as a refused one lists them.
const PERIOD_FORMS: &str = "a rate such as Minutes(5) or a five-field crontab such as \
     0 9 * * * with its spaces as %20 or + (0+9+*+*+*)";

/// `grace=`: whole seconds, bare or with `s`, `m` or `h`, up to [`MAX_PING_GRACE`].
fn parse_grace(text: &str) -> Option<Duration> {
    let (digits, unit) = match text.as_bytes().last()? {
        b's' => (&text[..text.len() - 1], 1),
        b'm' => (&text[..text.len() - 1], 60),
        b'h' => (&text[..text.len() - 1], 3_600),
        _ => (text, 1),
    };
    if digits.is_empty() || digits.len() > 7 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs = digits.parse::<u64>().ok()?.checked_mul(unit)?;
    let grace = Duration::from_secs(secs);
    (grace <= MAX_PING_GRACE).then_some(grace)
}

fn parse_ping<'a>(
    key: Option<&'a str>,
    process: Process<'a>,
    outcome: PingOutcome,
    query: Option<&str>,
) -> Result<PingTarget<'a>, TargetError> {
    let mut ping = PingTarget {
        key,
        process,
        outcome,
        period: None,
        offset: None,
        grace: None,
        rid: None,
    };
    // A crontab line waits for `tz=`, which may come after it.
    let mut cron = None;
    let mut tz = None;
    for (name, value) in pairs(query) {
        match name {
            // A crontab line has spaces, a rate none.
            "period" => {
                let text = decode("period", value)?;
                if text.contains([' ', '\t']) {
                    ping.period = None;
                    cron = Some(text);
                } else {
                    let rate = Rate::parse(&text).map_err(|error| ParameterError::Period {
                        text: text.clone(),
                        error,
                    })?;
                    ping.period = Some(PingSchedule::Rate(rate));
                    cron = None;
                }
            }
            "tz" => tz = Some(decode("tz", value)?),
            "grace" => {
                let text = decode("grace", value)?;
                ping.grace = Some(parse_grace(&text).ok_or(ParameterError::Grace { text })?);
            }
            "offset" => {
                let offset = value
                    .parse::<u32>()
                    .ok()
                    .filter(|m| *m < MAX_OFFSET_MINUTES)
                    .ok_or_else(|| ParameterError::Offset {
                        text: value.to_owned(),
                    })?;
                ping.offset = Some(offset);
            }
            "rid" => ping.rid = run_id(value)?,
            // healthchecks.io's slug URLs take `create=1`; a name is registered here on
            // its first ping anyway.
            "create" => {}
            other => {
                return Err(ParameterError::Unknown {
                    name: other.to_owned(),
                    expected: PING_PARAMETERS,
                }
                .into());
            }
        }
    }
    match (cron, tz) {
        (Some(text), tz) => {
            let zone = tz.as_deref().unwrap_or("UTC");
            let parsed = Cron::with_time_zone(&text, zone).map_err(|error| match error.kind {
                CronErrorKind::TimeZone { .. } => ParameterError::TimeZone {
                    text: zone.to_owned(),
                },
                _ => ParameterError::Cron { text, error },
            })?;
            ping.period = Some(PingSchedule::cron(parsed));
        }
        (None, Some(_)) => return Err(ParameterError::TimeZoneWithoutCron.into()),
        (None, None) => {}
    }
    Ok(ping)
}

/// A run id, decoded and checked; an empty one is none.
fn run_id(value: &str) -> Result<Option<RunId>, ParameterError> {
    let rid = decode("rid", value)?;
    if rid.is_empty() {
        return Ok(None);
    }
    RunId::new(&rid).map(Some).map_err(ParameterError::RunId)
}

/// `/status/<name>`: a name of 1 to [`MAX_NAME_LEN`] bytes without `/` (every name
/// grammar's), and at most `source=`.
fn parse_process<'a>(name: &'a str, query: Option<&str>) -> Result<Target<'a>, TargetError> {
    if name.is_empty() || name.len() > MAX_NAME_LEN || name.contains('/') {
        return Err(TargetError::NoSuchEndpoint);
    }
    let mut source = None;
    for (parameter, value) in pairs(query) {
        if parameter != "source" {
            return Err(ParameterError::Unknown {
                name: parameter.to_owned(),
                expected: "source",
            }
            .into());
        }
        if source.is_some() {
            return Err(ParameterError::Repeated { name: "source" }.into());
        }
        let text = decode("source", value)?;
        let found = SOURCES.into_iter().find(|s| s.as_str() == text);
        source = Some(found.ok_or(ParameterError::Source { text })?);
    }
    Ok(Target::Process { name, source })
}

fn parse_status(query: Option<&str>, config: &ReceiverConfig) -> Result<StatusQuery, TargetError> {
    let max = config.max_status_page.max(1);
    let mut status = StatusQuery {
        state: None,
        source: None,
        limit: config.default_page(),
        after: None,
    };
    let mut seen = [false; 4];
    for (name, value) in pairs(query) {
        let (i, name) = match name {
            "state" => (0, "state"),
            "source" => (1, "source"),
            "limit" => (2, "limit"),
            "after" => (3, "after"),
            other => {
                return Err(ParameterError::Unknown {
                    name: other.to_owned(),
                    expected: "state, source, limit or after",
                }
                .into());
            }
        };
        if std::mem::replace(&mut seen[i], true) {
            return Err(ParameterError::Repeated { name }.into());
        }
        let text = decode(name, value)?;
        match i {
            0 => {
                let state = State::ALL.into_iter().find(|s| s.as_str() == text);
                status.state = Some(state.ok_or(ParameterError::State { text })?);
            }
            1 => {
                let source = SOURCES.into_iter().find(|s| s.as_str() == text);
                status.source = Some(source.ok_or(ParameterError::Source { text })?);
            }
            2 => {
                status.limit = text
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or(ParameterError::Limit { text, max })?;
            }
            _ => status.after = Some(Cursor::parse(&text).ok_or(ParameterError::After { text })?),
        }
    }
    Ok(status)
}

fn decode(name: &'static str, value: &str) -> Result<String, ParameterError> {
    percent_decode(value).ok_or(ParameterError::PercentEncoding { name })
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
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<'a>(method: &str, target: &'a str, keyed: bool) -> Result<Target<'a>, TargetError> {
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (target, None),
        };
        Target::parse(method, path, query, keyed, &ReceiverConfig::default())
    }

    #[test]
    fn pings_with_and_without_a_key() {
        let Ok(Target::Ping(ping)) = parse("GET", "/ping/KEY/backup/3?rid=r-1&create=1", true)
        else {
            panic!("a ping");
        };
        assert_eq!(ping.key, Some("KEY"));
        assert_eq!(ping.process.as_str(), "backup");
        assert_eq!(ping.outcome, PingOutcome::Exit(3));
        assert_eq!(ping.rid.as_ref().map(RunId::as_str), Some("r-1"));
        let Ok(Target::Ping(ping)) = parse("POST", "/ping/backup/start", false) else {
            panic!("a ping");
        };
        assert_eq!((ping.key, ping.outcome), (None, PingOutcome::Start));
        assert_eq!(
            parse("GET", "/ping/KEY", true),
            Err(TargetError::MissingKey)
        );
        assert!(matches!(
            parse("DELETE", "/ping/KEY/backup", true),
            Ok(Target::Forget {
                key: Some("KEY"),
                ..
            })
        ));
    }

    #[test]
    fn status_queries() {
        let Ok(Target::Status(query)) = parse(
            "GET",
            "/status?state=dead&source=ping&limit=10&after=ping%3Aa.b",
            false,
        ) else {
            panic!("a status");
        };
        assert_eq!(query.state, Some(State::Dead));
        assert_eq!(query.source, Some(Source::Ping));
        assert_eq!(query.limit, 10);
        assert_eq!(
            query.after.map(|c| c.to_string()).as_deref(),
            Some("ping:a.b")
        );
        for (target, error) in [
            (
                "/status?x=1",
                ParameterError::Unknown {
                    name: "x".into(),
                    expected: "state, source, limit or after",
                },
            ),
            (
                "/status?limit=0",
                ParameterError::Limit {
                    text: "0".into(),
                    max: 5_000,
                },
            ),
            (
                "/status?state=dead&state=late",
                ParameterError::Repeated { name: "state" },
            ),
            (
                "/status?after=nowhere:x",
                ParameterError::After {
                    text: "nowhere:x".into(),
                },
            ),
        ] {
            assert_eq!(parse("GET", target, false), Err(error.into()), "{target}");
        }
    }

    #[test]
    fn metrics_take_get_and_head_and_no_parameter() {
        assert_eq!(parse("GET", "/metrics", false), Ok(Target::Metrics));
        assert_eq!(parse("HEAD", "/metrics", true), Ok(Target::Metrics));
        let Err(e) = parse("POST", "/metrics", false) else {
            panic!("a POST is refused")
        };
        assert_eq!(e.status(), 405);
        let Err(e) = parse("GET", "/metrics?name=x", false) else {
            panic!("a parameter is refused")
        };
        assert_eq!(e.status(), 400);
        assert_eq!(e.to_string(), "unknown parameter \"name\", expected none");
        assert_eq!(
            parse("GET", "/metrics/x", false),
            Err(TargetError::NoSuchEndpoint)
        );
    }

    #[test]
    fn the_page_and_one_process() {
        assert_eq!(parse("GET", "/", false), Ok(Target::Page(Asset::Index)));
        assert_eq!(
            parse("HEAD", "/ui/app.js", true),
            Ok(Target::Page(Asset::Script))
        );
        assert_eq!(
            parse("GET", "/ui/other.js", false),
            Err(TargetError::NoSuchEndpoint)
        );
        let Err(e) = parse("POST", "/", false) else {
            panic!("a POST is refused")
        };
        assert_eq!(e.status(), 405);
        assert_eq!(
            parse("GET", "/status/backup?source=ping", false),
            Ok(Target::Process {
                name: "backup",
                source: Some(Source::Ping)
            })
        );
        assert_eq!(
            parse("GET", "/status/a.b", false),
            Ok(Target::Process {
                name: "a.b",
                source: None
            })
        );
        for target in ["/status/", "/status/a/b"] {
            assert_eq!(
                parse("GET", target, false),
                Err(TargetError::NoSuchEndpoint)
            );
        }
        let Err(e) = parse("GET", "/status/a?state=dead", false) else {
            panic!("state= is refused")
        };
        assert_eq!(
            e.to_string(),
            "unknown parameter \"state\", expected source"
        );
    }

    #[test]
    fn run_ids_are_bounded() {
        let long = format!("/ping/a?rid={}", "r".repeat(65));
        assert_eq!(
            parse("GET", &long, false),
            Err(ParameterError::RunId(RunIdError::TooLong { len: 65 }).into())
        );
        let escaped = format!("/ping/a?rid={}", "%41".repeat(65));
        assert_eq!(
            parse("GET", &escaped, false),
            Err(ParameterError::RunId(RunIdError::TooLong { len: 65 }).into())
        );
        assert_eq!(
            parse("GET", "/ping/a?rid=a%0Ab", false),
            Err(ParameterError::RunId(RunIdError::InvalidByte {
                offset: 1,
                byte: b'\n'
            })
            .into())
        );
        let Ok(Target::Ping(ping)) = parse("GET", "/ping/a?rid=", false) else {
            panic!("a ping");
        };
        assert_eq!(ping.rid, None);
    }

    #[test]
    fn long_targets_are_refused() {
        let long = format!("/ping/a?m={}", "x".repeat(3_000));
        assert_eq!(
            parse("GET", &long, false),
            Err(TargetError::TooLong {
                len: long.len(),
                max: 2_048
            })
        );
    }

    #[test]
    fn a_ping_refuses_a_parameter_it_does_not_take() {
        for (query, name) in [("perod=Hours(1)", "perod"), ("graze=60", "graze")] {
            let target = format!("/ping/backup?period=Hours(1)&{query}");
            let refused = parse("GET", &target, false)
                .map(|_| ())
                .map_err(|e| e.to_string());
            let message = refused.expect_err("refused");
            assert!(message.contains(&format!("{name:?}")), "{message}");
            assert!(
                message.contains("period, tz, grace, offset, rid or create"),
                "{message}"
            );
        }
        assert!(matches!(
            parse("GET", "/ping/backup?create=1", false),
            Ok(Target::Ping(_))
        ));
    }

    fn ping_of(target: &str) -> PingTarget<'_> {
        match parse("GET", target, false) {
            Ok(Target::Ping(ping)) => ping,
            other => panic!("{target}: {other:?}"),
        }
    }

    fn refusal(target: &str) -> (u16, String) {
        match parse("GET", target, false) {
            Err(e) => (e.status(), e.to_string()),
            Ok(other) => panic!("{target}: {other:?}"),
        }
    }

    #[test]
    fn a_period_with_spaces_is_a_crontab_line() {
        let paris = |expression| {
            Some(PingSchedule::cron(
                Cron::with_time_zone(expression, "Europe/Paris").expect("a cron"),
            ))
        };
        for target in [
            "/ping/r?period=0%209%20*%20*%20*&tz=Europe/Paris",
            "/ping/r?period=0+9+*+*+*&tz=Europe%2FParis",
            "/ping/r?tz=Europe/Paris&period=0+9+*+*+*",
        ] {
            assert_eq!(ping_of(target).period, paris("0 9 * * *"), "{target}");
        }
        let utc = ping_of("/ping/r?period=*/5+*+*+*+*").period;
        assert_eq!(
            utc.as_ref()
                .and_then(PingSchedule::as_cron)
                .map(Cron::time_zone),
            Some("UTC")
        );
        // The last period wins, as before; a rate after a crontab line replaces it.
        assert_eq!(
            ping_of("/ping/r?period=0+9+*+*+*&period=Hours(1)").period,
            Some(PingSchedule::Rate("Hours(1)".parse().expect("a rate")))
        );
    }

    #[test]
    fn a_bad_crontab_line_or_zone_is_refused_naming_the_parameter() {
        let (status, message) = refusal("/ping/r?period=61+9+*+*+*");
        assert_eq!(status, 400);
        assert!(
            message.starts_with("period \"61 9 * * *\": bad minute at byte 0"),
            "{message}"
        );
        assert!(
            message.contains("Minutes(5)") && message.contains("%20 or +"),
            "{message}"
        );
        let (_, message) = refusal("/ping/r?period=0+9+*+*");
        assert!(message.contains("five fields"), "{message}");
        let (_, message) = refusal("/ping/r?period=Fortnightly(2)");
        assert!(message.contains("0 9 * * *"), "{message}");
        let (status, message) = refusal("/ping/r?period=0+9+*+*+*&tz=Europe/Nowhere");
        assert_eq!(status, 400);
        assert!(message.starts_with("tz \"Europe/Nowhere\""), "{message}");
        for target in [
            "/ping/r?tz=Europe/Paris",
            "/ping/r?period=Hours(1)&tz=Europe/Paris",
            "/ping/r?period=0+9+*+*+*&period=Hours(1)&tz=UTC",
        ] {
            assert_eq!(
                parse("GET", target, false),
                Err(ParameterError::TimeZoneWithoutCron.into()),
                "{target}"
            );
        }
    }

    #[test]
    fn grace_is_whole_seconds_up_to_a_week() {
        for (text, secs) in [
            ("60", 60),
            ("0", 0),
            ("30s", 30),
            ("5m", 300),
            ("1h", 3_600),
            ("168h", 604_800),
            ("604800", 604_800),
        ] {
            assert_eq!(
                ping_of(&format!("/ping/r?grace={text}")).grace,
                Some(Duration::from_secs(secs)),
                "{text}"
            );
        }
        for text in [
            "604801",
            "169h",
            "10081m",
            "",
            "s",
            "1.5",
            "-1",
            "1d",
            "99999999999999",
        ] {
            assert_eq!(
                parse("GET", &format!("/ping/r?grace={text}"), false),
                Err(ParameterError::Grace { text: text.into() }.into()),
                "{text}"
            );
        }
        let (status, message) = refusal("/ping/r?grace=8d");
        assert_eq!(status, 400);
        assert!(message.starts_with("grace \"8d\""), "{message}");
        assert!(message.contains("604800 s"), "{message}");
    }
}
