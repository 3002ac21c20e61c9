//! The broker adapters behind one face, by URL scheme: what `heartwire monitor --from`
//! subscribes with and `beat`/`run --to` publish with. Each adapter is behind the cargo
//! feature of its name (`nats`, `redis`, `mqtt`, `amqp`, all on by default); the
//! `#[cfg(feature)]` gates of the binary are here and in `monitor/ingest.rs` only.

mod outlet;

use std::process::ExitCode;

use heartwire::text::Message;
use heartwire::transport::{Delivery, Invalid};
use heartwire_broker::{LinkHealth, Subscriber, Subscription};

pub(crate) use heartwire_broker::Broker;
pub(crate) use outlet::Outlets;

/// The brokers this binary was built with (their cargo features).
const BUILT: &[Broker] = &[
    #[cfg(feature = "nats")]
    Broker::Nats,
    #[cfg(feature = "redis")]
    Broker::Redis,
    #[cfg(feature = "mqtt")]
    Broker::Mqtt,
    #[cfg(feature = "amqp")]
    Broker::Amqp,
];

/// Why a broker URL cannot be used by this binary.
fn not_built(broker: Broker) -> String {
    let feature = broker.as_str();
    format!(
        "this heartwire was built without the `{feature}` feature, which {broker} URLs need \
         (cargo install heartwire-cli --features {feature})"
    )
}

/// Refuses a URL of a broker this binary was built without, before anything runs:
/// `Some` exit status 1 after saying which feature it needs; `None` for any other URL
/// (an unknown scheme is the caller's to report).
pub(crate) fn refuse_unbuilt(command: &str, url: &str) -> Option<ExitCode> {
    let broker = Broker::of(url).filter(|b| !BUILT.contains(b))?;
    note!(
        "heartwire {command}: {}: {}",
        heartwire_broker::redact_url(url),
        not_built(broker)
    );
    Some(ExitCode::from(1))
}

/// A subscription to every heartbeat a broker carries (`spec/transports.md`), and who
/// the broker says is alive already.
pub(crate) struct Subscribed {
    pub(crate) subscription: Subscription,
    /// Redis only: the processes whose presence keys are alive now, so that a monitor
    /// that was down sees who is alive without waiting for their next beat.
    pub(crate) present: Vec<Result<Delivery, Invalid>>,
}

impl Subscribed {
    /// A subscription of a broker that keeps no presence.
    #[cfg_attr(
        not(any(feature = "nats", feature = "mqtt", feature = "amqp")),
        allow(dead_code)
    )]
    fn alone(subscriber: impl Subscriber + 'static) -> Subscribed {
        Subscribed {
            subscription: Subscription::new(subscriber),
            present: Vec::new(),
        }
    }
}

/// Connects and subscribes, reporting the connection and what it loses to `health`; a
/// NATS client holds up to `nats_buffer` messages not yet taken. The error is the
/// adapter's, which never shows the URL's credentials.
pub(crate) async fn subscribe(
    broker: Broker,
    url: &str,
    health: &LinkHealth,
    nats_buffer: usize,
) -> Result<Subscribed, String> {
    let health = health.clone();
    let subscribed: Result<Subscribed, Box<dyn std::error::Error>> = async {
        match broker {
            #[cfg(feature = "nats")]
            Broker::Nats => {
                use heartwire_nats::{NatsConfig, NatsSubscriber};
                let config = NatsConfig::new(url)
                    .subscription_capacity(nats_buffer)
                    .health(health);
                Ok(Subscribed::alone(NatsSubscriber::connect(&config).await?))
            }
            #[cfg(feature = "redis")]
            Broker::Redis => {
                use heartwire_redis::{RedisConfig, RedisSubscriber};
                let s = RedisSubscriber::connect(&RedisConfig::new(url).health(health)).await?;
                Ok(Subscribed {
                    present: s.present().await.unwrap_or_default(),
                    subscription: Subscription::new(s),
                })
            }
            #[cfg(feature = "mqtt")]
            Broker::Mqtt => {
                use heartwire_mqtt::{MqttConfig, MqttSubscriber};
                let config = MqttConfig::new(url).health(health);
                Ok(Subscribed::alone(MqttSubscriber::connect(&config).await?))
            }
            #[cfg(feature = "amqp")]
            Broker::Amqp => {
                use heartwire_amqp::{AmqpConfig, AmqpSubscriber};
                let config = AmqpConfig::new(url).health(health);
                Ok(Subscribed::alone(AmqpSubscriber::connect(&config).await?))
            }
            _ => {
                let _ = (url, health, nats_buffer);
                Err(not_built(broker).into())
            }
        }
    }
    .await;
    subscribed.map_err(|e| e.to_string())
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
    let published: Result<(), Box<dyn std::error::Error>> = async {
        #[allow(unused_imports)]
        use heartwire_publish::AsyncPublish;
        match broker {
            #[cfg(feature = "nats")]
            Broker::Nats => {
                use heartwire_nats::{NatsConfig, NatsPublisher};
                let mut p = NatsPublisher::connect(&NatsConfig::new(url)).await?;
                Ok(p.publish(&subject, payload).await?)
            }
            #[cfg(feature = "redis")]
            Broker::Redis => {
                use heartwire_redis::{RedisConfig, RedisPublisher};
                let mut p = RedisPublisher::connect(&RedisConfig::new(url)).await?;
                Ok(p.publish(&subject, payload).await?)
            }
            #[cfg(feature = "mqtt")]
            Broker::Mqtt => {
                use heartwire_mqtt::{MqttConfig, MqttPublisher};
                let mut p =
                    MqttPublisher::connect(&MqttConfig::new(url), message.process()).await?;
                p.publish(&subject, payload).await?;
                if message.signal() == heartwire::text::Signal::Stop {
                    Ok(p.disconnect().await?)
                } else {
                    Ok(p.close().await?)
                }
            }
            #[cfg(feature = "amqp")]
            Broker::Amqp => {
                use heartwire_amqp::{AmqpConfig, AmqpPublisher};
                let mut p = AmqpPublisher::connect(&AmqpConfig::new(url)).await?;
                Ok(p.publish(&subject, payload).await?)
            }
            _ => {
                let _ = (url, &subject, payload);
                Err(not_built(broker).into())
            }
        }
    }
    .await;
    published.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_brokers_left_out_are_refused() {
        for broker in Broker::ALL {
            let url = format!("{}://u:s3cret@127.0.0.1:1", broker.as_str());
            let refused = refuse_unbuilt("beat", &url).is_some();
            assert_eq!(refused, !BUILT.contains(&broker), "{url}");
            let why = not_built(broker);
            assert!(
                why.contains(&format!("`{}` feature", broker.as_str())),
                "{why}"
            );
        }
        assert!(refuse_unbuilt("beat", "http://127.0.0.1:8387/beat").is_none());
        assert!(refuse_unbuilt("monitor", "foo://h").is_none());
    }
}
