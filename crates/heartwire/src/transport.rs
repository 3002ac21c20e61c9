//! Where heartbeats travel on brokers (`spec/transports.md`): how a process or service
//! name becomes a NATS subject, an MQTT topic, a Redis channel or key and an AMQP routing
//! key and back, and how a delivery is decoded into a [`Delivery`] or an [`Invalid`].
//! (Broker URLs, and keeping their credentials out of messages, are `heartwire-broker`'s.)
//!
//! Pure functions and plain data, no I/O: the broker adapters (`heartwire-nats`,
//! `heartwire-redis`, `heartwire-mqtt`, `heartwire-amqp`) do the I/O and share these, so
//! every adapter names things and reports bad input the same way.
//!
//! ```
//! use heartwire::text::Process;
//! use heartwire::transport::{self, Content, Transport};
//!
//! let name = Process::new("billing.worker-1")?;
//! assert_eq!(transport::mqtt_topic(&name), "heartbeat/billing/worker-1");
//!
//! // What an MQTT subscriber received, decoded back.
//! let delivery = transport::decode_mqtt("heartbeat/billing/worker-1", b"beat/5").unwrap();
//! assert_eq!(delivery.origin.transport, Transport::Mqtt);
//! let Content::Text(message) = &delivery.content else { panic!() };
//! assert_eq!(message.process().as_str(), "billing.worker-1");
//! # Ok::<(), heartwire::text::TextError>(())
//! ```

use std::fmt;
use std::time::Duration;

mod command;

mod address;

pub use address::{Address, AddressError, parse_address};
pub use command::{
    COMMAND_ROOT, ExtensionPoint, decode_address, decode_command, decode_mqtt_command,
    is_command_address, is_mqtt_command_topic, mqtt_command_topic,
};

use crate::command::Envelope;
use crate::json::JsonError;
use crate::record::{Channel, ChannelError, Record};
use crate::text::{Message, Process, Signal, Subject, TextError};

/// The NATS subscription that receives every process's beatit text.
pub const NATS_FILTER: &str = "heartbeat.>";

/// The MQTT topic filter that receives every process's beatit text.
pub const MQTT_FILTER: &str = "heartbeat/#";

/// The first level of every MQTT topic that carries beatit text.
pub const MQTT_ROOT: &str = "heartbeat";

/// The first level of the MQTT presence topics: a retained birth (`online`), a retained
/// Last Will (`offline`) and a retained goodbye (`stopped`) per process.
pub const MQTT_PRESENCE_ROOT: &str = "heartbeat-presence";

/// The MQTT topic filter that receives every process's presence.
pub const MQTT_PRESENCE_FILTER: &str = "heartbeat-presence/#";

/// The AMQP exchange (type `topic`) that beatit text is published to.
pub const AMQP_EXCHANGE: &str = "heartbeat";

/// The AMQP binding key that receives every process's beatit text.
pub const AMQP_BINDING: &str = "heartbeat.#";

/// The Redis `PSUBSCRIBE` pattern that receives beatit text published on channels named
/// after the subject (`heartbeat.<process>`).
pub const REDIS_TEXT_PATTERN: &str = "heartbeat.*";

/// How many times the deadline a signal or record announces a Redis presence key lives
/// by default (the seed's dead threshold is 3x the interval; a signal's own deadline is
/// tighter, so twice it).
pub const DEFAULT_KEY_TTL_FACTOR: u32 = 2;

/// The broker a message came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// NATS core publish/subscribe.
    Nats,
    /// Redis or Valkey publish/subscribe.
    Redis,
    /// MQTT 3.1.1.
    Mqtt,
    /// AMQP 0-9-1 (RabbitMQ).
    Amqp,
    /// Amazon SQS (or a compatible server): the queue Reventless heartbeats are sent to.
    Sqs,
}

impl Transport {
    /// The transport's URL scheme: `nats`, `redis`, `mqtt` or `amqp`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Transport::Nats => "nats",
            Transport::Redis => "redis",
            Transport::Mqtt => "mqtt",
            Transport::Amqp => "amqp",
            Transport::Sqs => "sqs",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a message came from: the transport and the address it was published to (a
/// subject, topic, channel or routing key; bytes that are not UTF-8 are replaced, the
/// raw address is what the error then reports on).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The broker.
    pub transport: Transport,
    /// The subject, topic, channel or routing key.
    pub address: String,
}

impl Origin {
    /// An origin.
    pub fn new(transport: Transport, address: impl Into<String>) -> Origin {
        Origin {
            transport,
            address: address.into(),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.transport, self.address)
    }
}

/// A process's connection state as MQTT carries it on its presence topic
/// (`spec/transports.md` §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Presence {
    /// `online`: the birth message, published (retained) when the publisher connects.
    Online,
    /// `offline`: the Last Will, published (retained) by the broker when the publisher's
    /// connection ended without a clean disconnect. A crash, not a `stop`: the process is
    /// gone without saying so, and a monitor treats it as dead at once.
    Offline,
    /// `stopped`: published (retained) by the publisher itself before a clean disconnect,
    /// after its `stop`. Expect nothing more, as after `stop`.
    Stopped,
}

impl Presence {
    /// Every presence.
    pub const ALL: [Presence; 3] = [Presence::Online, Presence::Offline, Presence::Stopped];

    /// The payload: `online`, `offline` or `stopped`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Presence::Online => "online",
            Presence::Offline => "offline",
            Presence::Stopped => "stopped",
        }
    }

    /// Reads a presence payload; exact bytes, nothing around them.
    pub fn decode(payload: &[u8]) -> Result<Presence, PresenceError> {
        Presence::ALL
            .into_iter()
            .find(|p| p.as_str().as_bytes() == payload)
            .ok_or(PresenceError)
    }
}

impl fmt::Display for Presence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A presence payload that is not `online`, `offline` or `stopped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PresenceError;

impl fmt::Display for PresenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected the presence \"online\", \"offline\" or \"stopped\" at byte 0")
    }
}

impl std::error::Error for PresenceError {}

/// What a delivery held, decoded and owning its text.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Content {
    /// A beatit message (NATS, MQTT, AMQP, and Redis channels `heartbeat.<process>`).
    Text(Message<'static>),
    /// A liveness record on a Redis channel of either convention.
    Record {
        /// The channel, parsed: the service it names and its convention.
        channel: Channel<'static>,
        /// The record (boxed: a record holds its extra members inline, and a delivery
        /// owns its text anyway).
        record: Box<Record<'static>>,
    },
    /// An MQTT presence message: birth, Last Will or goodbye.
    Presence {
        /// The process the presence topic names.
        process: Process<'static>,
        /// Its state.
        presence: Presence,
        /// Whether the broker delivered it from its retained store (sent before the
        /// subscription began), as opposed to live.
        retained: bool,
    },
    /// A Reventless command envelope (`command.md`): a plugin's heartbeat, connect,
    /// disconnect or redetect, in any dialect (boxed: an envelope is large, and a
    /// delivery owns its text anyway).
    Command(Box<Envelope<'static>>),
}

/// A decoded message and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Where it came from.
    pub origin: Origin,
    /// What it said.
    pub content: Content,
}

/// Why a delivery did not decode.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The subject (or the topic or routing key mapped to one) or the payload is not
    /// valid beatit text. Offsets of a topic's errors count in the topic: the mapping
    /// keeps every byte in place.
    Text(TextError),
    /// A Redis channel that is not a channel of either record convention.
    Channel(ChannelError),
    /// The payload on a record channel is not a valid liveness record.
    Record(JsonError),
    /// The payload on an MQTT presence topic is not a presence.
    Presence(PresenceError),
    /// The payload on a command address is not a valid command envelope (boxed: a
    /// second `JsonError` beside the record's would make every `Invalid`, and so every
    /// adapter's `Result`, 8 bytes larger).
    Command(Box<JsonError>),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Text(e) => e.fmt(f),
            DecodeError::Channel(e) => write!(f, "in the channel: {e}"),
            DecodeError::Record(e) => write!(f, "in the record: {e}"),
            DecodeError::Presence(e) => e.fmt(f),
            DecodeError::Command(e) => write!(f, "in the command envelope: {e}"),
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DecodeError::Text(e) => Some(e),
            DecodeError::Channel(e) => Some(e),
            DecodeError::Record(e) => Some(e),
            DecodeError::Presence(e) => Some(e),
            DecodeError::Command(e) => Some(&**e),
        }
    }
}

/// A delivery that did not decode: where it came from, the raw payload, and why. Never
/// dropped by an adapter: a subscriber yields it in place of the message.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    /// Where it came from.
    pub origin: Origin,
    /// The payload as delivered.
    pub raw: Vec<u8>,
    /// Why it is invalid.
    pub error: DecodeError,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid message on {} ({} bytes): {}",
            self.origin,
            self.raw.len(),
            self.error
        )
    }
}

impl std::error::Error for Invalid {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

fn invalid(transport: Transport, address: &[u8], raw: &[u8], error: DecodeError) -> Invalid {
    Invalid {
        origin: Origin::new(transport, String::from_utf8_lossy(address)),
        raw: raw.to_vec(),
        error,
    }
}

/// Decodes beatit text delivered on a subject (NATS), a routing key (AMQP) or a Redis
/// channel named after the subject: the address is the subject itself.
pub fn decode_subject(
    transport: Transport,
    subject: &[u8],
    payload: &[u8],
) -> Result<Delivery, Invalid> {
    match Message::decode(subject, payload) {
        Ok(message) => Ok(Delivery {
            origin: Origin::new(transport, String::from_utf8_lossy(subject)),
            content: Content::Text(message.into_owned()),
        }),
        Err(e) => Err(invalid(transport, subject, payload, DecodeError::Text(e))),
    }
}

/// The MQTT topic of a process's beatit text: `heartbeat/` and the name's tokens as
/// levels (`billing.worker-1` → `heartbeat/billing/worker-1`).
pub fn mqtt_topic(process: &Process<'_>) -> String {
    topic_under(MQTT_ROOT, process)
}

/// The MQTT topic of a process's presence: `heartbeat-presence/` and the name's tokens.
pub fn mqtt_presence_topic(process: &Process<'_>) -> String {
    topic_under(MQTT_PRESENCE_ROOT, process)
}

fn topic_under(root: &str, process: &Process<'_>) -> String {
    let mut topic = String::with_capacity(root.len() + 1 + process.as_str().len());
    topic.push_str(root);
    topic.push('/');
    topic.extend(
        process
            .as_str()
            .chars()
            .map(|c| if c == '.' { '/' } else { c }),
    );
    topic
}

/// The subject an MQTT topic under `root` stands for (`spec/transports.md` §1.8): a `.`
/// anywhere is refused at its byte (it would make two topics the same subject); then
/// each `/` becomes a `.`, byte for byte, so an error's offset points into the topic. A
/// text topic is mapped whole, so one that is not under `heartbeat/` fails the subject's
/// prefix at the first byte that differs; the presence root `heartbeat-presence`
/// (already matched) stands for `heartbeat`, and [`shift_root`] moves the offsets back.
fn subject_of_topic(topic: &[u8], root: &str) -> Result<Vec<u8>, TextError> {
    if let Some(offset) = topic.iter().position(|&b| b == b'.') {
        return Err(TextError::ForbiddenChar { offset, found: '.' });
    }
    let (head, rest): (&[u8], &[u8]) = match topic.strip_prefix(root.as_bytes()) {
        Some(rest) if root != MQTT_ROOT => (MQTT_ROOT.as_bytes(), rest),
        _ => (&[], topic),
    };
    let mut subject = Vec::with_capacity(head.len() + rest.len());
    subject.extend_from_slice(head);
    subject.extend(rest.iter().map(|&b| if b == b'/' { b'.' } else { b }));
    Ok(subject)
}

/// Decodes what an MQTT subscriber received on `topic`: beatit text under
/// `heartbeat/`, a [`Presence`] under `heartbeat-presence/`, a command envelope under
/// `command/` ([`decode_mqtt_command`]) (delivered live; see
/// [`decode_mqtt_retained`]).
pub fn decode_mqtt(topic: &str, payload: &[u8]) -> Result<Delivery, Invalid> {
    decode_mqtt_retained(topic, payload, false)
}

/// [`decode_mqtt`], saying whether the broker delivered the message from its retained
/// store.
pub fn decode_mqtt_retained(
    topic: &str,
    payload: &[u8],
    retained: bool,
) -> Result<Delivery, Invalid> {
    if command::is_mqtt_command_topic(topic) {
        return command::decode_mqtt_command(topic, payload);
    }
    let fail = |e: DecodeError| invalid(Transport::Mqtt, topic.as_bytes(), payload, e);
    let presence_root = topic
        .strip_prefix(MQTT_PRESENCE_ROOT)
        .is_some_and(|r| r.starts_with('/'));
    let root = if presence_root {
        MQTT_PRESENCE_ROOT
    } else {
        MQTT_ROOT
    };
    // The '.' that subject_of_topic refuses is at its byte in the topic already.
    let subject =
        subject_of_topic(topic.as_bytes(), root).map_err(|e| fail(DecodeError::Text(e)))?;
    let origin = Origin::new(Transport::Mqtt, topic);
    if presence_root {
        let process = Subject::decode(&subject)
            .map_err(|e| fail(DecodeError::Text(shift_root(e, root))))?
            .into_process()
            .into_owned();
        let presence = Presence::decode(payload).map_err(|e| fail(DecodeError::Presence(e)))?;
        return Ok(Delivery {
            origin,
            content: Content::Presence {
                process,
                presence,
                retained,
            },
        });
    }
    match Message::decode(&subject, payload) {
        Ok(message) => Ok(Delivery {
            origin,
            content: Content::Text(message.into_owned()),
        }),
        Err(e) => Err(fail(DecodeError::Text(e))),
    }
}

/// A subject error from a presence topic, whose root is longer than `heartbeat`, with
/// the offset moved back into the topic (a name's errors and the subject's length: a
/// presence topic's name is at most 245 bytes too, so the topic at most 264).
fn shift_root(e: TextError, root: &str) -> TextError {
    let by = root.len() - MQTT_ROOT.len();
    match e {
        TextError::ForbiddenChar { .. }
        | TextError::EmptyToken { .. }
        | TextError::TooLong { .. }
            if e.offset() > MQTT_ROOT.len() =>
        {
            e.shifted(by)
        }
        e => e,
    }
}

/// Decodes what a Redis subscriber received on `channel`: a liveness record on a
/// channel of either record convention, beatit text on a channel `heartbeat.<process>`.
/// A command envelope on a command channel `command.<extension point>`. A channel that is
/// none of these is reported as a [`DecodeError::Channel`].
pub fn decode_redis(channel: &[u8], payload: &[u8]) -> Result<Delivery, Invalid> {
    if channel.starts_with(b"heartbeat.") {
        return decode_subject(Transport::Redis, channel, payload);
    }
    if command::is_command_address(channel) {
        return command::decode_command(Transport::Redis, channel, payload);
    }
    let fail = |e: DecodeError| invalid(Transport::Redis, channel, payload, e);
    let text = std::str::from_utf8(channel).map_err(|e| {
        fail(DecodeError::Text(TextError::NotUtf8 {
            part: crate::text::Part::Subject,
            offset: e.valid_up_to(),
        }))
    })?;
    let parsed = Channel::parse(text).map_err(|e| fail(DecodeError::Channel(e)))?;
    let record = Record::decode(payload).map_err(|e| fail(DecodeError::Record(e)))?;
    Ok(Delivery {
        origin: Origin::new(Transport::Redis, text),
        content: Content::Record {
            channel: parsed.into_owned(),
            record: Box::new(record.into_owned()),
        },
    })
}

/// The Redis channel (and presence key) of a process's beatit text: its subject.
pub fn redis_text_channel(process: &Process<'_>) -> String {
    process.subject().as_str().to_owned()
}

/// Escapes Redis glob characters (`* ? [ ] ^ \`) with a backslash, so that text put
/// into a `PSUBSCRIBE` or `SCAN MATCH` pattern matches only itself. Valid process and
/// service names hold none of them; this is the second fence, for patterns built from
/// anything else.
///
/// ```
/// use heartwire::transport::escape_glob;
/// assert_eq!(escape_glob("a*b?[c]^\\"), "a\\*b\\?\\[c\\]\\^\\\\");
/// ```
pub fn escape_glob(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '^' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// How long a Redis presence key lives after a signal: `factor` times the deadline the
/// signal announces (the warm-up of `start`, the period of `beat` and `degraded`), at
/// least one millisecond; `None` for `stop`, whose key is deleted.
pub fn key_ttl(signal: Signal, factor: u32) -> Option<Duration> {
    let deadline = signal.value()?.as_duration();
    Some(
        deadline
            .saturating_mul(factor.max(1))
            .max(Duration::from_millis(1)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(name: &str) -> Process<'_> {
        match Process::new(name) {
            Ok(p) => p,
            Err(e) => panic!("{name}: {e}"),
        }
    }

    #[test]
    fn topics_round_trip() {
        for name in ["a", "my.process.identifier", "billing-1.worker_2"] {
            let topic = mqtt_topic(&process(name));
            let Ok(Delivery {
                content: Content::Text(m),
                ..
            }) = decode_mqtt(&topic, b"stop")
            else {
                panic!("{topic}")
            };
            assert_eq!(m.process().as_str(), name);
            let presence = mqtt_presence_topic(&process(name));
            let Ok(Delivery {
                content:
                    Content::Presence {
                        process: p,
                        presence: Presence::Offline,
                        retained: true,
                    },
                ..
            }) = decode_mqtt_retained(&presence, b"offline", true)
            else {
                panic!("{presence}")
            };
            assert_eq!(p.as_str(), name);
        }
    }

    #[test]
    fn bad_topics_are_errors_with_offsets_in_the_topic() {
        let error = |topic: &str, payload: &[u8]| match decode_mqtt(topic, payload) {
            Err(invalid) => {
                assert_eq!(invalid.raw, payload);
                invalid.error
            }
            Ok(d) => panic!("{topic} decoded as {d:?}"),
        };
        let forbidden =
            |offset, found| DecodeError::Text(TextError::ForbiddenChar { offset, found });
        assert_eq!(error("heartbeat/a.b", b"stop"), forbidden(11, '.'));
        assert_eq!(error("heartbeat.a", b"stop"), forbidden(9, '.'));
        assert_eq!(error("heartbeat/a/+", b"stop"), forbidden(12, '+'));
        assert_eq!(
            error("heartbeat-presence/a/+", b"online"),
            forbidden(21, '+')
        );
        assert_eq!(
            error("heartbeat/a//b", b"stop"),
            DecodeError::Text(TextError::EmptyToken { offset: 12 })
        );
        assert_eq!(
            error("heartbeat-presence/a.b", b"online"),
            forbidden(20, '.')
        );
        assert_eq!(
            error("heartbeat-presence/a//b", b"online"),
            DecodeError::Text(TextError::EmptyToken { offset: 21 })
        );
        assert_eq!(
            error("other/a", b"stop"),
            DecodeError::Text(TextError::MissingPrefix { offset: 0 })
        );
        assert_eq!(
            error("heartbeat-presence/a", b"dead"),
            DecodeError::Presence(PresenceError)
        );
        assert!(matches!(
            error("heartbeat/a", b"beat/x"),
            DecodeError::Text(_)
        ));
    }

    #[test]
    fn redis_channels() {
        let ok = decode_redis(b"heartbeat.a.b", b"beat/5");
        assert!(
            matches!(
                ok,
                Ok(Delivery {
                    content: Content::Text(_),
                    ..
                })
            ),
            "{ok:?}"
        );
        let record = br#"{"service_name":"svc","instance_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","timestamp":"2025-01-16T08:30:00.123456+00:00"}"#;
        for channel in ["heartbeat:service:svc", "health:service:svc:heartbeat"] {
            let Ok(Delivery {
                content:
                    Content::Record {
                        channel: c,
                        record: r,
                    },
                ..
            }) = decode_redis(channel.as_bytes(), record)
            else {
                panic!("{channel}")
            };
            assert_eq!(c.service().as_str(), "svc");
            assert_eq!(r.service_name().as_str(), "svc");
        }
        assert!(matches!(
            decode_redis(b"heartbeat:service:a:b", record),
            Err(Invalid {
                error: DecodeError::Channel(_),
                ..
            })
        ));
        assert!(matches!(
            decode_redis(b"heartbeat:service:a", b"{}"),
            Err(Invalid {
                error: DecodeError::Record(_),
                ..
            })
        ));
        assert!(matches!(
            decode_redis(b"heartbeat:service:\xff", record),
            Err(Invalid {
                error: DecodeError::Text(TextError::NotUtf8 { offset: 18, .. }),
                ..
            })
        ));
    }

    #[test]
    fn ttl() {
        let five = crate::text::Seconds::from_secs(5).map(|period| Signal::Beat { period });
        assert_eq!(
            five.and_then(|s| key_ttl(s, 2)),
            Some(Duration::from_secs(10))
        );
        assert_eq!(key_ttl(Signal::Stop, 2), None);
    }
}
