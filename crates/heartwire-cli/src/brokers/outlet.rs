//! Connections kept open to publish any payload at any address of a broker, for a
//! program that publishes for as long as it runs (`heartwire schedule run`), where
//! [`publish`](super::publish) connects for one beatit message. The adapters' own
//! senders do the work: NATS flushes, Redis publishes, MQTT waits for the `PUBACK`,
//! AMQP for the publisher confirm, SQS for `SendMessage`'s answer.

use std::collections::HashMap;

use super::{Broker, not_built};

/// The most broker URLs one program keeps connections to at once; a new one beyond
/// closes the least recently used.
pub(crate) const MAX_OUTLETS: usize = 16;

/// Where a payload goes on the broker of its URL.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Address<'a> {
    /// A subject (NATS), channel (Redis), topic (MQTT) or routing key (AMQP).
    Named(&'a str),
    /// The SQS queue the URL names; on a FIFO queue the message has these group and
    /// deduplication ids (`heartwire_sqs::SqsSender::send_body`).
    #[cfg(feature = "sqs")]
    Queue {
        group: &'a str,
        deduplication: &'a str,
    },
}

/// One open connection of a broker's publisher (for SQS, a client of one queue).
enum Outlet {
    #[cfg(feature = "nats")]
    Nats(heartwire_nats::NatsPublisher),
    #[cfg(feature = "redis")]
    Redis(heartwire_redis::RedisPublisher),
    #[cfg(feature = "mqtt")]
    Mqtt(heartwire_mqtt::MqttPublisher),
    #[cfg(feature = "amqp")]
    Amqp(heartwire_amqp::AmqpPublisher),
    #[cfg(feature = "sqs")]
    Sqs(heartwire_sqs::SqsSender),
}

/// The open connections, by URL; a connection that fails a publish is dropped, so the
/// next publish connects again.
pub(crate) struct Outlets {
    open: HashMap<String, (Outlet, u64)>,
    uses: u64,
}

impl Outlets {
    /// No connection yet. MQTT connections carry no presence: see [`connect`].
    pub(crate) fn new() -> Outlets {
        Outlets {
            open: HashMap::new(),
            uses: 0,
        }
    }

    /// Publishes `payload` at `address` of the broker at `url`, connecting first when
    /// needed; waits until the broker has it. The error never shows the URL's
    /// credentials.
    pub(crate) async fn send(
        &mut self,
        broker: Broker,
        url: &str,
        address: Address<'_>,
        payload: &[u8],
    ) -> Result<(), String> {
        self.uses += 1;
        if !self.open.contains_key(url) {
            if self.open.len() >= MAX_OUTLETS
                && let Some(oldest) = self
                    .open
                    .iter()
                    .min_by_key(|(_, (_, used))| *used)
                    .map(|(k, _)| k.clone())
            {
                self.open.remove(&oldest);
            }
            let outlet = connect(broker, url).await?;
            self.open.insert(url.to_owned(), (outlet, self.uses));
        }
        let Some((outlet, used)) = self.open.get_mut(url) else {
            return Err("no connection".to_owned());
        };
        *used = self.uses;
        let sent = send(outlet, address, payload).await;
        if sent.is_err() {
            self.open.remove(url);
        }
        sent
    }

    /// Closes every connection (MQTT ones with a `DISCONNECT`).
    pub(crate) async fn close(&mut self) {
        for (_, (outlet, _)) in self.open.drain() {
            #[allow(unreachable_patterns)]
            match outlet {
                #[cfg(feature = "mqtt")]
                Outlet::Mqtt(p) => {
                    let _ = p.disconnect().await;
                }
                _ => {}
            }
        }
    }
}

async fn connect(broker: Broker, url: &str) -> Result<Outlet, String> {
    let connected: Result<Outlet, Box<dyn std::error::Error>> = async {
        match broker {
            #[cfg(feature = "nats")]
            Broker::Nats => {
                use heartwire_nats::{NatsConfig, NatsPublisher};
                Ok(Outlet::Nats(
                    NatsPublisher::connect(&NatsConfig::new(url)).await?,
                ))
            }
            #[cfg(feature = "redis")]
            Broker::Redis => {
                use heartwire_redis::{RedisConfig, RedisPublisher};
                Ok(Outlet::Redis(
                    RedisPublisher::connect(&RedisConfig::new(url)).await?,
                ))
            }
            // Without presence (no birth, no Last Will): an outlet is closed whenever it
            // is evicted or fails a send, and a Will would then announce this program
            // `offline` on its retained presence topic while it runs; a scheduler's
            // liveness is its fires, as a command sender's (`publish_command`) is.
            #[cfg(feature = "mqtt")]
            Broker::Mqtt => {
                use heartwire_mqtt::{MqttConfig, MqttPublisher};
                Ok(Outlet::Mqtt(
                    MqttPublisher::connect_without_presence(&MqttConfig::new(url)).await?,
                ))
            }
            #[cfg(feature = "amqp")]
            Broker::Amqp => {
                use heartwire_amqp::{AmqpConfig, AmqpPublisher};
                Ok(Outlet::Amqp(
                    AmqpPublisher::connect(&AmqpConfig::new(url)).await?,
                ))
            }
            #[cfg(feature = "sqs")]
            Broker::Sqs => {
                use heartwire_sqs::{SqsConfig, SqsSender};
                Ok(Outlet::Sqs(SqsSender::connect(&SqsConfig::new(url)).await?))
            }
            #[allow(unreachable_patterns)]
            _ => {
                let _ = url;
                Err(not_built(broker).into())
            }
        }
    }
    .await;
    connected.map_err(|e| e.to_string())
}

async fn send(outlet: &mut Outlet, address: Address<'_>, payload: &[u8]) -> Result<(), String> {
    let _ = payload;
    let sent: Result<(), heartwire_broker::BrokerError> = match (outlet, address) {
        // `Bytes` from the `Vec`, without naming the crate (a dev-dependency only).
        #[cfg(feature = "nats")]
        (Outlet::Nats(p), Address::Named(address)) => {
            p.send(address, payload.to_vec().into()).await
        }
        #[cfg(feature = "redis")]
        (Outlet::Redis(p), Address::Named(address)) => p.publish_raw(address, payload).await,
        #[cfg(feature = "mqtt")]
        (Outlet::Mqtt(p), Address::Named(address)) => p.send(address, payload, false).await,
        #[cfg(feature = "amqp")]
        (Outlet::Amqp(p), Address::Named(address)) => p.send(address, payload).await,
        #[cfg(feature = "sqs")]
        (
            Outlet::Sqs(p),
            Address::Queue {
                group,
                deduplication,
            },
        ) => {
            // An SQS message body is text; a schedule's payload always is.
            let body = std::str::from_utf8(payload)
                .map_err(|e| format!("an SQS message body is text: {e}"))?;
            p.send_body(body, group, deduplication).await.map(drop)
        }
        #[allow(unreachable_patterns)]
        _ => return Err("an SQS queue takes no address, and a broker needs one".to_owned()),
    };
    sent.map_err(|e| e.to_string())
}
