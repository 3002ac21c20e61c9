//! Where Reventless command envelopes travel on the brokers (`spec/transports.md` §1.7):
//! an extension point's command address, named after it as heartbeats are named after
//! their process, and the decoding of what arrives there into a [`Content::Command`].

use std::fmt;

use super::{Content, DecodeError, Delivery, Invalid, Origin, Transport, invalid};
use crate::command::Envelope;
use crate::text::{Process, TextError};

/// The first token (NATS, Redis, AMQP) or level (MQTT) of every command address.
pub const COMMAND_ROOT: &str = "command";

/// The prefix of a command subject, channel or routing key: `command.`.
const COMMAND_PREFIX: &str = "command.";

/// The prefix of a command topic on MQTT: `command/`.
const MQTT_COMMAND_PREFIX: &str = "command/";

/// The name of a Reventless extension point whose commands a monitor watches: the
/// address its commands travel on (the seed's `adminCommandTopic`) is named after it.
///
/// A process name's grammar (`spec/text.md` §3: tokens of ASCII letters, digits, `_` and
/// `-`, joined by single dots, at most 245 bytes), so that its addresses are a bijection
/// on every broker, as heartbeat names are: `Platform.Plugin` is the NATS subject
/// `command.Platform.Plugin` and the MQTT topic `command/Platform/Plugin`.
///
/// ```
/// use heartwire::transport::{ExtensionPoint, mqtt_command_topic};
///
/// let point = ExtensionPoint::default();
/// assert_eq!(point.as_str(), "Platform.Plugin");
/// assert_eq!(point.address(), "command.Platform.Plugin");
/// assert_eq!(mqtt_command_topic(&point), "command/Platform/Plugin");
/// assert!(ExtensionPoint::new("Core Plugin").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExtensionPoint<'a>(Process<'a>);

impl<'a> ExtensionPoint<'a> {
    /// The extension point the newest framework sends heartbeats to, and the one a
    /// monitor watches unless told otherwise (older deployments: `Core.Plugin`).
    pub const DEFAULT: &'static str = "Platform.Plugin";

    /// Validates a name; errors count offsets from the start of `name`.
    pub fn new(name: &'a str) -> Result<ExtensionPoint<'a>, TextError> {
        Process::new(name).map(ExtensionPoint)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Its address on NATS (subject), Redis (channel) and AMQP (routing key):
    /// `command.<name>`.
    pub fn address(&self) -> String {
        let mut address = String::with_capacity(COMMAND_PREFIX.len() + self.as_str().len());
        address.push_str(COMMAND_PREFIX);
        address.push_str(self.as_str());
        address
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> ExtensionPoint<'static> {
        ExtensionPoint(self.0.into_owned())
    }
}

impl Default for ExtensionPoint<'static> {
    fn default() -> ExtensionPoint<'static> {
        ExtensionPoint(Process::from_valid(ExtensionPoint::DEFAULT))
    }
}

impl fmt::Display for ExtensionPoint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The MQTT topic of an extension point's commands: `command/` and the name's tokens as
/// levels (`Platform.Plugin` → `command/Platform/Plugin`).
pub fn mqtt_command_topic(point: &ExtensionPoint<'_>) -> String {
    let mut topic = String::with_capacity(MQTT_COMMAND_PREFIX.len() + point.as_str().len());
    topic.push_str(MQTT_COMMAND_PREFIX);
    topic.extend(
        point
            .as_str()
            .chars()
            .map(|c| if c == '.' { '/' } else { c }),
    );
    topic
}

/// Whether a subject, channel or routing key is a command address (`command.` and
/// anything): what an adapter that also carries beatit text dispatches on.
pub fn is_command_address(address: &[u8]) -> bool {
    address.starts_with(COMMAND_PREFIX.as_bytes())
}

/// Whether an MQTT topic is a command topic (`command/` and anything).
pub fn is_mqtt_command_topic(topic: &str) -> bool {
    topic.starts_with(MQTT_COMMAND_PREFIX)
}

/// The extension point a command address names, with errors at their offset in the
/// address (`spec/transports.md` §1.8): an address not under `command.` at the first
/// byte that differs from it, then the name's errors (`spec/text.md` §3, §7).
pub(super) fn point_of(address: &[u8]) -> Result<ExtensionPoint<'_>, TextError> {
    let Some(name) = address.strip_prefix(COMMAND_PREFIX.as_bytes()) else {
        let offset = address
            .iter()
            .zip(COMMAND_PREFIX.as_bytes())
            .take_while(|(a, b)| a == b)
            .count();
        return Err(TextError::MissingPrefix { offset });
    };
    Process::decode(name)
        .map(ExtensionPoint)
        .map_err(|e| e.shifted(COMMAND_PREFIX.len()))
}

/// The extension point an MQTT command topic names: a `.` anywhere is refused at its
/// byte, then the topic stands for the address with each `/` a `.`, byte for byte, so
/// that errors count in the topic.
pub(super) fn point_of_topic(topic: &str) -> Result<ExtensionPoint<'static>, TextError> {
    if let Some(offset) = topic.find('.') {
        return Err(TextError::ForbiddenChar { offset, found: '.' });
    }
    let address = topic.replace('/', ".");
    point_of(address.as_bytes()).map(ExtensionPoint::into_owned)
}

/// Decodes a command envelope delivered on a command address of NATS, Redis or AMQP
/// (`command.<extension point>`). The address must name an extension point
/// ([`DecodeError::Text`], at its offset in the address); the payload must be an
/// envelope of `spec/command.md`, in any dialect, at most 64 KiB
/// ([`DecodeError::Command`]).
pub fn decode_command(
    transport: Transport,
    address: &[u8],
    payload: &[u8],
) -> Result<Delivery, Invalid> {
    let fail = |e: DecodeError| invalid(transport, address, payload, e);
    point_of(address).map_err(|e| fail(DecodeError::Text(e)))?;
    let envelope =
        Envelope::decode(payload).map_err(|e| fail(DecodeError::Command(Box::new(e))))?;
    Ok(Delivery {
        origin: Origin::new(transport, String::from_utf8_lossy(address)),
        content: Content::Command(Box::new(envelope.into_owned())),
    })
}

/// [`decode_command`] for an MQTT topic `command/<l1>/.../<ln>`: the topic stands for
/// the address `command.<l1>. ... .<ln>`, byte for byte, and a `.` in it is refused, as
/// in heartbeat topics.
pub fn decode_mqtt_command(topic: &str, payload: &[u8]) -> Result<Delivery, Invalid> {
    let fail = |e: DecodeError| invalid(Transport::Mqtt, topic.as_bytes(), payload, e);
    point_of_topic(topic).map_err(|e| fail(DecodeError::Text(e)))?;
    let envelope =
        Envelope::decode(payload).map_err(|e| fail(DecodeError::Command(Box::new(e))))?;
    Ok(Delivery {
        origin: Origin::new(Transport::Mqtt, topic),
        content: Content::Command(Box::new(envelope.into_owned())),
    })
}

/// Decodes what arrived on a dotted address of NATS, Redis or AMQP: a command envelope
/// on a command address, beatit text on any other ([`super::decode_subject`]).
pub fn decode_address(
    transport: Transport,
    address: &[u8],
    payload: &[u8],
) -> Result<Delivery, Invalid> {
    if is_command_address(address) {
        decode_command(transport, address, payload)
    } else {
        super::decode_subject(transport, address, payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Command;

    const SEED: &[u8] = br#"{"id":"orders@1.0.0","meta":{"service":"CorePluginExtensionPoint","time":"2024-01-26T10:30:00.000Z","ip":"","user":"Heartbeat","msgId":"a","correlationId":"b"},"commandJson":"Heartbeat(10)"}"#;

    fn command(delivery: Result<Delivery, Invalid>) -> Command<'static> {
        match delivery {
            Ok(Delivery {
                content: Content::Command(envelope),
                ..
            }) => envelope.command,
            other => panic!("{other:?}"),
        }
    }

    fn error(delivery: Result<Delivery, Invalid>) -> DecodeError {
        match delivery {
            Err(invalid) => invalid.error,
            Ok(d) => panic!("{d:?}"),
        }
    }

    #[test]
    fn addresses_round_trip_on_every_broker() {
        for name in [
            "Platform.Plugin",
            "Core.Plugin",
            "CorePluginExtensionPoint",
            "a-b_c",
        ] {
            let point = ExtensionPoint::new(name).expect(name);
            let address = point.address();
            for transport in [Transport::Nats, Transport::Redis, Transport::Amqp] {
                let d = decode_address(transport, address.as_bytes(), SEED);
                assert_eq!(command(d), Command::heartbeat(10), "{address}");
            }
            let topic = mqtt_command_topic(&point);
            assert!(is_mqtt_command_topic(&topic));
            assert_eq!(
                command(decode_mqtt_command(&topic, SEED)),
                Command::heartbeat(10)
            );
            assert_eq!(point_of(address.as_bytes()), Ok(point));
        }
    }

    #[test]
    fn bad_addresses_and_payloads_are_invalid_items() {
        let forbidden =
            |offset, found| DecodeError::Text(TextError::ForbiddenChar { offset, found });
        assert_eq!(
            error(decode_command(Transport::Nats, b"command.a.*", SEED)),
            forbidden(10, '*')
        );
        assert_eq!(
            error(decode_command(Transport::Redis, b"command..a", SEED)),
            DecodeError::Text(TextError::EmptyToken { offset: 8 })
        );
        assert_eq!(
            error(decode_mqtt_command("command/a.b", SEED)),
            forbidden(9, '.')
        );
        assert_eq!(
            error(decode_mqtt_command("command/a/+", SEED)),
            forbidden(10, '+')
        );
        let DecodeError::Command(e) = error(decode_command(Transport::Amqp, b"command.a", b"{}"))
        else {
            panic!("not a command error")
        };
        assert_eq!(e.class(), "json.missing");
        let Err(invalid) = decode_mqtt_command("command/a", b"beat/5") else {
            panic!("decoded")
        };
        assert_eq!(invalid.origin.to_string(), "mqtt command/a");
        assert_eq!(invalid.raw, b"beat/5");
    }

    #[test]
    fn beatit_text_is_not_a_command() {
        assert!(matches!(
            decode_address(Transport::Nats, b"heartbeat.a", b"beat/5"),
            Ok(Delivery {
                content: Content::Text(_),
                ..
            })
        ));
        assert!(!is_command_address(b"commander.a"));
    }
}
