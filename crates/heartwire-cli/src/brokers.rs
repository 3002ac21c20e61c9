//! The broker adapters behind one face, by URL scheme: what `heartwire monitor --from`
//! subscribes with and `--to` publishes with.

use heartwire::text::Message;
use heartwire::transport::{Delivery, Invalid};
use heartwire_amqp::{AmqpConfig, AmqpPublisher, AmqpSubscriber};
use heartwire_broker::LinkHealth;
use heartwire_mqtt::{MqttConfig, MqttPublisher, MqttSubscriber};
use heartwire_nats::{NatsConfig, NatsPublisher, NatsSubscriber};
use heartwire_publish::AsyncPublish;
use heartwire_redis::{RedisConfig, RedisPublisher, RedisSubscriber};

/// A broker, from a URL's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Broker {
    Nats,
    Redis,
    Mqtt,
    Amqp,
}

impl Broker {
    /// The URL scheme it is known by: `nats`, `redis`, `mqtt` or `amqp`.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Broker::Nats => "nats",
            Broker::Redis => "redis",
            Broker::Mqtt => "mqtt",
            Broker::Amqp => "amqp",
        }
    }

    /// The broker of `nats://`, `redis://` (and `rediss://`, `valkey://`), `mqtt://` or
    /// `amqp://` (and `amqps://`) URLs; `None` for any other.
    pub(crate) fn of(url: &str) -> Option<Broker> {
        let scheme = url.split_once("://")?.0.to_ascii_lowercase();
        match scheme.as_str() {
            "nats" => Some(Broker::Nats),
            "redis" | "rediss" | "valkey" => Some(Broker::Redis),
            "mqtt" => Some(Broker::Mqtt),
            "amqp" | "amqps" => Some(Broker::Amqp),
            _ => None,
        }
    }
}

/// A subscription to every heartbeat a broker carries (`spec/transports.md`).
pub(crate) enum Subscriber {
    Nats(NatsSubscriber),
    Redis(RedisSubscriber),
    Mqtt(MqttSubscriber),
    Amqp(AmqpSubscriber),
}

impl Subscriber {
    /// Connects and subscribes, reporting the connection and what it loses to
    /// `health`; a NATS client holds up to `nats_buffer` messages not yet taken. The
    /// error is the adapter's, which never shows the URL's credentials.
    pub(crate) async fn connect(
        broker: Broker,
        url: &str,
        health: &LinkHealth,
        nats_buffer: usize,
    ) -> Result<Subscriber, String> {
        let health = health.clone();
        Ok(match broker {
            Broker::Nats => Subscriber::Nats(
                NatsSubscriber::connect(
                    &NatsConfig::new(url)
                        .subscription_capacity(nats_buffer)
                        .health(health),
                )
                .await
                .map_err(|e| e.to_string())?,
            ),
            Broker::Redis => Subscriber::Redis(
                RedisSubscriber::connect(&RedisConfig::new(url).health(health))
                    .await
                    .map_err(|e| e.to_string())?,
            ),
            Broker::Mqtt => Subscriber::Mqtt(
                MqttSubscriber::connect(&MqttConfig::new(url).health(health))
                    .await
                    .map_err(|e| e.to_string())?,
            ),
            Broker::Amqp => Subscriber::Amqp(
                AmqpSubscriber::connect(&AmqpConfig::new(url).health(health))
                    .await
                    .map_err(|e| e.to_string())?,
            ),
        })
    }

    /// The next message, decoded or not; `None` when the subscription has ended.
    pub(crate) async fn next(&mut self) -> Option<Result<Delivery, Invalid>> {
        match self {
            Subscriber::Nats(s) => s.next().await,
            Subscriber::Redis(s) => s.next().await,
            Subscriber::Mqtt(s) => s.next().await,
            Subscriber::Amqp(s) => s.next().await,
        }
    }

    /// Redis only: the processes whose presence keys are alive now, so that a monitor
    /// that was down sees who is alive without waiting for their next beat.
    pub(crate) async fn present(&self) -> Vec<Result<Delivery, Invalid>> {
        match self {
            Subscriber::Redis(s) => s.present().await.unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

/// Publishes one beatit message, waiting until the broker has it (NATS: flushed; Redis:
/// published; MQTT: `PUBACK`; AMQP: confirmed). Over MQTT, the connection ends cleanly:
/// after `stop` with the goodbye (`stopped`), after any other signal without one, so that
/// neither the Last Will nor a goodbye speaks for a process that only sent one beat.
pub(crate) async fn publish(
    broker: Broker,
    url: &str,
    message: &Message<'_>,
) -> Result<(), String> {
    let subject = message.process().subject();
    let payload = message.signal().to_string();
    let payload = payload.as_bytes();
    match broker {
        Broker::Nats => {
            let mut p = NatsPublisher::connect(&NatsConfig::new(url))
                .await
                .map_err(|e| e.to_string())?;
            p.publish(&subject, payload)
                .await
                .map_err(|e| e.to_string())
        }
        Broker::Redis => {
            let mut p = RedisPublisher::connect(&RedisConfig::new(url))
                .await
                .map_err(|e| e.to_string())?;
            p.publish(&subject, payload)
                .await
                .map_err(|e| e.to_string())
        }
        Broker::Mqtt => {
            let process = message.process();
            let mut p = MqttPublisher::connect(&MqttConfig::new(url), process)
                .await
                .map_err(|e| e.to_string())?;
            p.publish(&subject, payload)
                .await
                .map_err(|e| e.to_string())?;
            if message.signal() == heartwire::text::Signal::Stop {
                p.disconnect().await.map_err(|e| e.to_string())
            } else {
                p.close().await.map_err(|e| e.to_string())
            }
        }
        Broker::Amqp => {
            let mut p = AmqpPublisher::connect(&AmqpConfig::new(url))
                .await
                .map_err(|e| e.to_string())?;
            p.publish(&subject, payload)
                .await
                .map_err(|e| e.to_string())
        }
    }
}
