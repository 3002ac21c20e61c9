//! The addresses of `spec/transports.md` §1.8 on their own, without a payload: what a
//! name becomes on each broker, and what an address names. The subscribers' decoders
//! ([`super::decode_address`], [`super::decode_redis`], [`super::decode_mqtt`]) apply
//! the same rules through the same helpers; the conformance vectors
//! (`spec/vectors/transport.json`) test both.

use std::fmt;

use super::command::{self, ExtensionPoint};
use super::{
    MQTT_PRESENCE_ROOT, MQTT_ROOT, Transport, mqtt_presence_topic, mqtt_topic, shift_root,
    subject_of_topic,
};
use crate::record::{Channel, ChannelError};
use crate::text::{Part, Process, TextError};

/// What an address names: a process's beatit text, a process's MQTT presence, a
/// service's liveness records (Redis) or an extension point's command envelopes
/// (`spec/transports.md` §1.2, §1.7).
///
/// ```
/// use heartwire::text::Process;
/// use heartwire::transport::{Address, Transport, parse_address};
///
/// let text = Address::Text(Process::new("billing.worker-1")?);
/// assert_eq!(text.on(Transport::Mqtt).as_deref(), Some("heartbeat/billing/worker-1"));
/// assert_eq!(text.on(Transport::Nats).as_deref(), Some("heartbeat.billing.worker-1"));
/// assert_eq!(parse_address(Transport::Mqtt, b"heartbeat/billing/worker-1"), Ok(text));
///
/// let error = parse_address(Transport::Mqtt, b"heartbeat/billing/+").unwrap_err();
/// assert_eq!((error.class(), error.offset()), ("subject.forbidden-char", Some(18)));
/// # Ok::<(), heartwire::text::TextError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Address<'a> {
    /// A process's beatit text: `heartbeat.<process>` (NATS, Redis, AMQP) or
    /// `heartbeat/<tokens>` (MQTT).
    Text(Process<'a>),
    /// A process's presence on MQTT: `heartbeat-presence/<tokens>`.
    Presence(Process<'a>),
    /// A service's liveness records on Redis, in either convention (`spec/record.md` §9).
    Record(Channel<'a>),
    /// An extension point's command envelopes: `command.<name>` (NATS, Redis, AMQP) or
    /// `command/<tokens>` (MQTT).
    Command(ExtensionPoint<'a>),
}

impl Address<'_> {
    /// What the address carries, as the conformance vectors name it: `text`,
    /// `presence`, `record` or `command`.
    pub const fn kind(&self) -> &'static str {
        match self {
            Address::Text(_) => "text",
            Address::Presence(_) => "presence",
            Address::Record(_) => "record",
            Address::Command(_) => "command",
        }
    }

    /// The name in it: the process, the service or the extension point.
    pub fn name(&self) -> &str {
        match self {
            Address::Text(p) | Address::Presence(p) => p.as_str(),
            Address::Record(c) => c.service().as_str(),
            Address::Command(p) => p.as_str(),
        }
    }

    /// The address on `transport`, or `None` where that transport does not carry it
    /// (presence is MQTT's only, records Redis's only, and SQS has no addresses of
    /// this kind).
    pub fn on(&self, transport: Transport) -> Option<String> {
        let dotted = matches!(
            transport,
            Transport::Nats | Transport::Redis | Transport::Amqp
        );
        match (self, transport) {
            (Address::Text(p), _) if dotted => Some(p.subject().as_str().to_owned()),
            (Address::Text(p), Transport::Mqtt) => Some(mqtt_topic(p)),
            (Address::Presence(p), Transport::Mqtt) => Some(mqtt_presence_topic(p)),
            (Address::Record(c), Transport::Redis) => Some(c.to_string()),
            (Address::Command(p), _) if dotted => Some(p.address()),
            (Address::Command(p), Transport::Mqtt) => Some(command::mqtt_command_topic(p)),
            _ => None,
        }
    }

    /// The same address, owning its name.
    pub fn into_owned(self) -> Address<'static> {
        match self {
            Address::Text(p) => Address::Text(p.into_owned()),
            Address::Presence(p) => Address::Presence(p.into_owned()),
            Address::Record(c) => Address::Record(c.into_owned()),
            Address::Command(p) => Address::Command(p.into_owned()),
        }
    }
}

/// Why an address names nothing on its transport (`spec/transports.md` §1.8).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressError {
    /// A subject, topic, routing key or command address that breaks the rules of a
    /// subject (`spec/text.md` §3, §7), with its offset in the address as received.
    Text(TextError),
    /// A Redis channel that is neither text nor command and not a record channel
    /// (`spec/record.md` §9.2).
    Channel(ChannelError),
    /// A transport without addresses of this kind (SQS: a queue URL, §6).
    Unaddressed(Transport),
}

impl AddressError {
    /// The stable error class used by the conformance vectors.
    pub const fn class(&self) -> &'static str {
        match self {
            AddressError::Text(e) => e.class(),
            AddressError::Channel(e) => e.class(),
            AddressError::Unaddressed(_) => "broker.unknown",
        }
    }

    /// The byte offset in the address the error points at, where it has one.
    pub const fn offset(&self) -> Option<usize> {
        match self {
            AddressError::Text(e) => Some(e.offset()),
            AddressError::Channel(e) => Some(e.offset()),
            AddressError::Unaddressed(_) => None,
        }
    }
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddressError::Text(e) => e.fmt(f),
            AddressError::Channel(e) => e.fmt(f),
            AddressError::Unaddressed(t) => write!(f, "{t} has no addresses of this kind"),
        }
    }
}

impl std::error::Error for AddressError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AddressError::Text(e) => Some(e),
            AddressError::Channel(e) => Some(e),
            AddressError::Unaddressed(_) => None,
        }
    }
}

impl From<TextError> for AddressError {
    fn from(e: TextError) -> AddressError {
        AddressError::Text(e)
    }
}

fn not_utf8(e: std::str::Utf8Error) -> AddressError {
    AddressError::Text(TextError::NotUtf8 {
        part: Part::Subject,
        offset: e.valid_up_to(),
    })
}

/// What an address received on `transport` names (`spec/transports.md` §1.8), with
/// errors at their byte offset in the address:
///
/// - NATS, AMQP: `command.` and an extension point, or else a beatit subject;
/// - Redis: a beatit subject (`heartbeat.`), `command.` and an extension point, or else
///   a record channel (UTF-8 first, then `spec/record.md` §9.2);
/// - MQTT: UTF-8 first; then `command/`, `heartbeat-presence/`, or else a text topic,
///   each refusing a `.` anywhere before any other rule, with each `/` standing for a
///   `.` of the dotted form.
pub fn parse_address(
    transport: Transport,
    address: &[u8],
) -> Result<Address<'static>, AddressError> {
    let subject = |s: &[u8]| -> Result<Address<'static>, AddressError> {
        Ok(Address::Text(Process::from_subject(s)?.into_owned()))
    };
    let point = |a: &[u8]| -> Result<Address<'static>, AddressError> {
        Ok(Address::Command(command::point_of(a)?.into_owned()))
    };
    match transport {
        Transport::Nats | Transport::Amqp => {
            if command::is_command_address(address) {
                point(address)
            } else {
                subject(address)
            }
        }
        Transport::Redis => {
            if address.starts_with(b"heartbeat.") {
                subject(address)
            } else if command::is_command_address(address) {
                point(address)
            } else {
                let channel = std::str::from_utf8(address).map_err(not_utf8)?;
                let parsed = Channel::parse(channel).map_err(AddressError::Channel)?;
                Ok(Address::Record(parsed.into_owned()))
            }
        }
        Transport::Mqtt => {
            let topic = std::str::from_utf8(address).map_err(not_utf8)?;
            if command::is_mqtt_command_topic(topic) {
                return Ok(Address::Command(command::point_of_topic(topic)?));
            }
            let presence = topic
                .strip_prefix(MQTT_PRESENCE_ROOT)
                .is_some_and(|r| r.starts_with('/'));
            let root = if presence {
                MQTT_PRESENCE_ROOT
            } else {
                MQTT_ROOT
            };
            // The '.' that subject_of_topic refuses is at its byte in the topic already;
            // the subject's own errors are moved back into the topic.
            let subject = subject_of_topic(topic.as_bytes(), root)?;
            let process = Process::from_subject(&subject)
                .map_err(|e| shift_root(e, root))?
                .into_owned();
            Ok(if presence {
                Address::Presence(process)
            } else {
                Address::Text(process)
            })
        }
        Transport::Sqs => Err(AddressError::Unaddressed(transport)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_where_it_is_carried() {
        let addresses = [
            Address::Text(Process::from_valid("a.b-c_d")),
            Address::Presence(Process::from_valid("a.b")),
            Address::Record(Channel::parse("health:service:svc:heartbeat").expect("a channel")),
            Address::Command(ExtensionPoint::default()),
        ];
        for address in addresses {
            for transport in [
                Transport::Nats,
                Transport::Redis,
                Transport::Mqtt,
                Transport::Amqp,
                Transport::Sqs,
            ] {
                let Some(text) = address.on(transport) else {
                    continue;
                };
                assert_eq!(
                    parse_address(transport, text.as_bytes()),
                    Ok(address.clone()),
                    "{transport} {text}"
                );
            }
        }
    }

    #[test]
    fn offsets_count_in_the_address() {
        let at = |t, a: &str| {
            let e = parse_address(t, a.as_bytes()).expect_err(a);
            (e.class(), e.offset())
        };
        assert_eq!(
            at(Transport::Mqtt, "heartbeatx/a"),
            ("subject.prefix", Some(9))
        );
        assert_eq!(
            at(
                Transport::Mqtt,
                &format!("heartbeat-presence/{}", "a".repeat(246))
            ),
            ("limit.length", Some(264))
        );
        assert_eq!(
            at(Transport::Nats, &format!("command.{}", "a".repeat(246))),
            ("limit.length", Some(253))
        );
        assert_eq!(
            at(Transport::Redis, "heartbeat"),
            ("channel.prefix", Some(9))
        );
        assert_eq!(at(Transport::Sqs, "q"), ("broker.unknown", None));
    }
}
