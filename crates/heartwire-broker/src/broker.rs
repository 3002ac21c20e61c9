//! Which broker: the adapters' names, and the URL schemes each is known by.

use std::fmt;

/// A broker heartwire has an adapter for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Broker {
    /// NATS (`heartwire-nats`).
    Nats,
    /// Redis or Valkey (`heartwire-redis`).
    Redis,
    /// An MQTT 3.1.1 broker (`heartwire-mqtt`).
    Mqtt,
    /// An AMQP 0-9-1 broker, RabbitMQ (`heartwire-amqp`).
    Amqp,
    /// Amazon SQS or a compatible server (`heartwire-sqs`): a queue, not a broker of
    /// subjects, carrying Reventless command envelopes.
    Sqs,
}

impl Broker {
    /// Every broker, in the order of `spec/transports.md`.
    pub const ALL: [Broker; 5] = [
        Broker::Nats,
        Broker::Redis,
        Broker::Mqtt,
        Broker::Amqp,
        Broker::Sqs,
    ];

    /// Its main URL scheme, also its name in lower case: `nats`, `redis`, `mqtt`, `amqp`
    /// or `sqs` (the name of its cargo feature in `heartwire-cli`, too).
    pub const fn as_str(self) -> &'static str {
        match self {
            Broker::Nats => "nats",
            Broker::Redis => "redis",
            Broker::Mqtt => "mqtt",
            Broker::Amqp => "amqp",
            Broker::Sqs => "sqs",
        }
    }

    /// The broker of a URL by its scheme, ASCII case ignored: `nats://`, `redis://`
    /// (and `rediss://`, `valkey://`), `mqtt://`, `amqp://` (and `amqps://`) or `sqs://`
    /// (and `sqs+https://`, `sqs+http://`); `None` for any other scheme or none.
    ///
    /// ```
    /// use heartwire_broker::Broker;
    /// assert_eq!(Broker::of("rediss://:pw@h:6380"), Some(Broker::Redis));
    /// assert_eq!(Broker::of("AMQP://h"), Some(Broker::Amqp));
    /// assert_eq!(Broker::of("sqs+http://127.0.0.1:5000/1/q"), Some(Broker::Sqs));
    /// assert_eq!(Broker::of("http://h"), None);
    /// ```
    pub fn of(url: &str) -> Option<Broker> {
        let scheme = url.split_once("://")?.0.to_ascii_lowercase();
        match scheme.as_str() {
            "nats" => Some(Broker::Nats),
            "redis" | "rediss" | "valkey" => Some(Broker::Redis),
            "mqtt" => Some(Broker::Mqtt),
            "amqp" | "amqps" => Some(Broker::Amqp),
            "sqs" | "sqs+https" | "sqs+http" => Some(Broker::Sqs),
            _ => None,
        }
    }

    /// What its server is called in a message: "the NATS server", "the MQTT broker".
    pub const fn server(self) -> &'static str {
        match self {
            Broker::Nats => "the NATS server",
            Broker::Redis => "the Redis server",
            Broker::Mqtt => "the MQTT broker",
            Broker::Amqp => "the AMQP broker",
            Broker::Sqs => "the SQS endpoint",
        }
    }
}

/// `NATS`, `Redis`, `MQTT`, `AMQP`.
impl fmt::Display for Broker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Broker::Nats => "NATS",
            Broker::Redis => "Redis",
            Broker::Mqtt => "MQTT",
            Broker::Amqp => "AMQP",
            Broker::Sqs => "SQS",
        })
    }
}
