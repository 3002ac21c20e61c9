//! The broker adapters behind one face, by URL scheme: what `heartwire monitor --from`
//! subscribes with and `beat`/`run --to` publish with. Each adapter is behind the cargo
//! feature of its name (`nats`, `redis`, `mqtt`, `amqp`, all on by default, and `sqs`, off by default); the
//! `#[cfg(feature)]` gates of the binary are here and in `monitor/ingest.rs` only.

mod outlet;

use std::process::ExitCode;

use heartwire::text::{Message, Process, Signal};
use heartwire::transport::{Delivery, ExtensionPoint, Invalid};
use heartwire_broker::{LinkHealth, Subscriber, Subscription};

pub(crate) use heartwire_broker::Broker;
pub(crate) use outlet::{Address, Outlets};

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
    #[cfg(feature = "sqs")]
    Broker::Sqs,
];

/// Whether this binary was built with `broker`'s adapter.
pub(crate) fn built(broker: Broker) -> bool {
    BUILT.contains(&broker)
}

/// Why a broker URL cannot be used by this binary.
pub(crate) fn not_built(broker: Broker) -> String {
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
        not(any(feature = "nats", feature = "mqtt", feature = "amqp", feature = "sqs")),
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
    points: &[ExtensionPoint<'static>],
) -> Result<Subscribed, String> {
    let points = points.iter().cloned();
    let health = health.clone();
    let subscribed: Result<Subscribed, Box<dyn std::error::Error>> = async {
        match broker {
            #[cfg(feature = "nats")]
            Broker::Nats => {
                use heartwire_nats::{NatsConfig, NatsSubscriber};
                let config = NatsConfig::new(url)
                    .subscription_capacity(nats_buffer)
                    .health(health)
                    .extension_points(points);
                Ok(Subscribed::alone(NatsSubscriber::connect(&config).await?))
            }
            #[cfg(feature = "redis")]
            Broker::Redis => {
                use heartwire_redis::{RedisConfig, RedisSubscriber};
                let config = RedisConfig::new(url)
                    .health(health)
                    .extension_points(points);
                let s = RedisSubscriber::connect(&config).await?;
                Ok(Subscribed {
                    present: s.present().await.unwrap_or_default(),
                    subscription: Subscription::new(s),
                })
            }
            #[cfg(feature = "mqtt")]
            Broker::Mqtt => {
                use heartwire_mqtt::{MqttConfig, MqttSubscriber};
                let config = MqttConfig::new(url).health(health).extension_points(points);
                Ok(Subscribed::alone(MqttSubscriber::connect(&config).await?))
            }
            #[cfg(feature = "amqp")]
            Broker::Amqp => {
                use heartwire_amqp::{AmqpConfig, AmqpSubscriber};
                let config = AmqpConfig::new(url).health(health).extension_points(points);
                Ok(Subscribed::alone(AmqpSubscriber::connect(&config).await?))
            }
            #[cfg(feature = "sqs")]
            Broker::Sqs => {
                use heartwire_sqs::{SqsConfig, SqsSubscriber};
                let config = SqsConfig::new(url).health(health);
                Ok(Subscribed::alone(SqsSubscriber::connect(&config).await?))
            }
            _ => {
                let _ = (url, health, nats_buffer, points);
                Err(not_built(broker).into())
            }
        }
    }
    .await;
    subscribed.map_err(|e| e.to_string())
}

/// How long a publisher's connection speaks for its process (`spec/transports.md`
/// §4.2): what MQTT does with presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lifetime {
    /// One signal (`heartwire beat`): no birth, no Will.
    OneShot,
    /// The whole of a job (`heartwire run`): birth `online`, Will `offline`.
    Run,
}

/// How a publisher's connection ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// After a `stop`: the goodbye `stopped` (MQTT), then a clean disconnect.
    Stopped,
    /// The job failed: `offline` (MQTT, as the Will would), then a clean disconnect.
    Failed,
    /// After another signal of a one-shot publisher: a clean disconnect, nothing more.
    Quiet,
}

/// Whom a publisher's connection speaks for: what MQTT does with presence
/// (`spec/transports.md` §4.2); the other brokers have none.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Speaker<'a> {
    /// Nobody: no birth, no Will, no goodbye. A sender of commands, whose plugin's
    /// liveness is its commands, and a scheduler's outlets, which are closed whenever
    /// one is evicted or fails, when a Will would say the program is `offline`.
    Nobody,
    /// A process, for one signal or for the whole of a run.
    #[cfg_attr(not(feature = "mqtt"), allow(dead_code))]
    Process(&'a Process<'a>, Lifetime),
}

/// One adapter's publisher, connected: the one way the CLI connects to a broker to
/// publish (beats, a run's session, commands, a scheduler's fires).
pub(crate) enum Publisher {
    #[cfg(feature = "nats")]
    Nats(heartwire_nats::NatsPublisher),
    #[cfg(feature = "redis")]
    Redis(heartwire_redis::RedisPublisher),
    #[cfg(feature = "mqtt")]
    Mqtt(heartwire_mqtt::MqttPublisher),
    #[cfg(feature = "amqp")]
    Amqp(heartwire_amqp::AmqpPublisher),
}

pub(crate) type Failure = Box<dyn std::error::Error>;

impl Publisher {
    pub(crate) async fn connect(
        broker: Broker,
        url: &str,
        speaker: Speaker<'_>,
    ) -> Result<Publisher, Failure> {
        match broker {
            #[cfg(feature = "nats")]
            Broker::Nats => {
                use heartwire_nats::{NatsConfig, NatsPublisher};
                Ok(Publisher::Nats(
                    NatsPublisher::connect(&NatsConfig::new(url)).await?,
                ))
            }
            #[cfg(feature = "redis")]
            Broker::Redis => {
                use heartwire_redis::{RedisConfig, RedisPublisher};
                Ok(Publisher::Redis(
                    RedisPublisher::connect(&RedisConfig::new(url)).await?,
                ))
            }
            #[cfg(feature = "mqtt")]
            Broker::Mqtt => {
                use heartwire_mqtt::{MqttConfig, MqttPublisher, PresenceMode};
                let config = MqttConfig::new(url);
                let publisher = match speaker {
                    Speaker::Nobody => MqttPublisher::connect_without_presence(&config).await?,
                    Speaker::Process(process, lifetime) => {
                        let mode = match lifetime {
                            Lifetime::OneShot => PresenceMode::OneShot,
                            Lifetime::Run => PresenceMode::Lasting,
                        };
                        MqttPublisher::connect_with(&config, process, mode).await?
                    }
                };
                Ok(Publisher::Mqtt(publisher))
            }
            #[cfg(feature = "amqp")]
            Broker::Amqp => {
                use heartwire_amqp::{AmqpConfig, AmqpPublisher};
                Ok(Publisher::Amqp(
                    AmqpPublisher::connect(&AmqpConfig::new(url)).await?,
                ))
            }
            #[cfg(feature = "sqs")]
            Broker::Sqs => Err(String::from(
                "an SQS queue carries Reventless command envelopes, not beatit text",
            )
            .into()),
            #[allow(unreachable_patterns)]
            _ => {
                let _ = (url, speaker);
                Err(not_built(broker).into())
            }
        }
    }

    /// Publishes `payload` as it is at `address` (a subject, channel, topic or routing
    /// key), waiting until the broker has it; no presence key, not retained.
    pub(crate) async fn publish_raw(
        &mut self,
        address: &str,
        payload: &[u8],
    ) -> Result<(), Failure> {
        let _ = (address, payload);
        match self {
            // `Bytes` from the `Vec`, without naming the crate (a dev-dependency only).
            #[cfg(feature = "nats")]
            Publisher::Nats(p) => Ok(p.send(address, payload.to_vec().into()).await?),
            #[cfg(feature = "redis")]
            Publisher::Redis(p) => Ok(p.publish_raw(address, payload).await?),
            #[cfg(feature = "mqtt")]
            Publisher::Mqtt(p) => Ok(p.send(address, payload, false).await?),
            #[cfg(feature = "amqp")]
            Publisher::Amqp(p) => Ok(p.send(address, payload).await?),
            #[allow(unreachable_patterns)]
            _ => Err("this heartwire was built without any broker".into()),
        }
    }

    /// Publishes a command envelope's JSON on the extension point's command address
    /// (`spec/transports.md` §1.7), waiting until the broker has it.
    async fn publish_command(
        &mut self,
        point: &ExtensionPoint<'_>,
        json: &[u8],
    ) -> Result<(), Failure> {
        let _ = (point, json);
        match self {
            #[cfg(feature = "nats")]
            Publisher::Nats(p) => Ok(p.publish_command(point, json).await?),
            #[cfg(feature = "redis")]
            Publisher::Redis(p) => Ok(p.publish_command(point, json).await?),
            #[cfg(feature = "mqtt")]
            Publisher::Mqtt(p) => Ok(p.publish_command(point, json).await?),
            #[cfg(feature = "amqp")]
            Publisher::Amqp(p) => Ok(p.publish_command(point, json).await?),
            #[allow(unreachable_patterns)]
            _ => Err("this heartwire was built without any broker".into()),
        }
    }

    /// Publishes one beatit message and waits until the broker has it (NATS: flushed;
    /// Redis: published, with its presence key; MQTT: `PUBACK`; AMQP: confirmed).
    async fn publish(&mut self, message: &Message<'_>) -> Result<(), Failure> {
        #[allow(unused_imports)]
        use heartwire_publish::AsyncPublish;
        let subject = message.process().subject();
        let payload = message.signal().to_string();
        let _ = (&subject, &payload);
        match self {
            #[cfg(feature = "nats")]
            Publisher::Nats(p) => Ok(p.publish(&subject, payload.as_bytes()).await?),
            #[cfg(feature = "redis")]
            Publisher::Redis(p) => {
                p.publish(&subject, payload.as_bytes()).await?;
                say_if_keys_refused(p);
                Ok(())
            }
            #[cfg(feature = "mqtt")]
            Publisher::Mqtt(p) => Ok(p.publish(&subject, payload.as_bytes()).await?),
            #[cfg(feature = "amqp")]
            Publisher::Amqp(p) => Ok(p.publish(&subject, payload.as_bytes()).await?),
            // Only when no broker is built in, and then there is no publisher.
            #[allow(unreachable_patterns)]
            _ => Err("this heartwire was built without any broker".into()),
        }
    }

    /// Ends the connection; only MQTT says anything about it (its presence).
    pub(crate) async fn end(self, ending: Ending) -> Result<(), Failure> {
        let _ = ending;
        match self {
            #[cfg(feature = "mqtt")]
            Publisher::Mqtt(p) => {
                match ending {
                    Ending::Stopped => p.disconnect().await?,
                    Ending::Failed => p.fail().await?,
                    Ending::Quiet => p.close().await?,
                }
                Ok(())
            }
            #[allow(unreachable_patterns)]
            _ => Ok(()),
        }
    }

    /// Whether a failed publish leaves the connection to reconnect by itself (MQTT's
    /// event loop does, and dropping it would fire the Will) rather than to be dropped
    /// and made again on the next publish.
    fn reconnects_itself(&self) -> bool {
        #[cfg(feature = "mqtt")]
        if matches!(self, Publisher::Mqtt(_)) {
            return true;
        }
        false
    }
}

/// Publishes one beatit message on a connection of its own ([`Lifetime::OneShot`]):
/// the rule of `spec/transports.md` §4.2 for a one-shot publisher. Over MQTT no birth
/// and no Will, and the connection ends cleanly: after `stop` with the goodbye
/// (`stopped`), after any other signal without one, so that nothing retained claims a
/// process `online` once this connection is gone.
pub(crate) async fn publish(
    broker: Broker,
    url: &str,
    message: &Message<'_>,
) -> Result<(), String> {
    let published: Result<(), Failure> = async {
        let mut p = Publisher::connect(
            broker,
            url,
            Speaker::Process(message.process(), Lifetime::OneShot),
        )
        .await?;
        p.publish(message).await?;
        let ending = if message.signal() == Signal::Stop {
            Ending::Stopped
        } else {
            Ending::Quiet
        };
        p.end(ending).await
    }
    .await;
    published.map_err(|e| e.to_string())
}

/// Says once per run that the Redis server refused the presence keys (an ACL that
/// allows `PUBLISH` only, `spec/transports.md` §3.3): the messages went without them.
#[cfg(feature = "redis")]
fn say_if_keys_refused(publisher: &heartwire_redis::RedisPublisher) {
    static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if publisher.presence_keys_refused() && !SAID.swap(true, std::sync::atomic::Ordering::Relaxed) {
        note!(
            "heartwire: the Redis server refuses the presence keys (NOPERM: an ACL that allows PUBLISH only); publishing without them, so a monitor that starts learns who is alive from the channels alone"
        );
    }
}

/// A connection that publishes liveness records (`heartwire record`): on Redis only,
/// the one broker records travel on (`spec/transports.md` §1.2), on the channel of each
/// convention asked for.
pub(crate) struct RecordSink {
    #[cfg(feature = "redis")]
    redis: heartwire_redis::RedisPublisher,
}

impl RecordSink {
    /// Connects to the Redis server at `url`; records are published every `interval`
    /// (the presence keys' time to live, when the adapter keeps them). The error is the
    /// adapter's, which never shows the URL's credentials.
    pub(crate) async fn connect(
        url: &str,
        conventions: &[heartwire::record::Convention],
        interval: std::time::Duration,
    ) -> Result<RecordSink, String> {
        #[cfg(feature = "redis")]
        {
            use heartwire_redis::{RedisConfig, RedisPublisher};
            let config = RedisConfig::new(url)
                .conventions(conventions)
                .record_interval(interval);
            let redis = RedisPublisher::connect(&config)
                .await
                .map_err(|e| e.to_string())?;
            Ok(RecordSink { redis })
        }
        #[cfg(not(feature = "redis"))]
        {
            let _ = (url, conventions, interval);
            Err(not_built(Broker::Redis))
        }
    }

    /// Publishes one record, waiting until the server has it.
    pub(crate) async fn publish(
        &mut self,
        record: &heartwire::record::Record<'_>,
    ) -> Result<(), String> {
        #[cfg(feature = "redis")]
        {
            let published = self
                .redis
                .publish_record(record)
                .await
                .map_err(|e| e.to_string());
            say_if_keys_refused(&self.redis);
            published
        }
        #[cfg(not(feature = "redis"))]
        {
            let _ = record;
            Err(not_built(Broker::Redis))
        }
    }
}

/// What a [`Session`]'s thread is asked to do.
enum Order {
    Publish(Signal),
    End(Ending),
}

/// One publisher connection for the life of a `heartwire run` ([`Lifetime::Run`]):
/// over MQTT its Will covers the job from its start to its end. A thread of its own
/// runs the adapter (MQTT's event loop is polled without pause, so the keep-alive goes
/// on between beats); [`Session::publish`] and [`Session::end`] wait for its answer.
/// It connects at the first publish, and again at the next one after a failed connect.
pub(crate) struct Session {
    orders:
        tokio::sync::mpsc::UnboundedSender<(Order, std::sync::mpsc::Sender<Result<(), String>>)>,
}

impl Session {
    /// A session publishing for `process` on the broker at `url`.
    pub(crate) fn open(broker: Broker, url: String, process: Process<'static>) -> Session {
        let (orders, mut queue) = tokio::sync::mpsc::unbounded_channel::<(
            Order,
            std::sync::mpsc::Sender<Result<(), String>>,
        )>();
        std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                let mut publisher: Option<Publisher> = None;
                while let Some((order, reply)) = queue.recv().await {
                    let answer: Result<(), Failure> = async {
                        let p = match publisher.as_mut() {
                            Some(p) => p,
                            None => publisher.insert(
                                Publisher::connect(
                                    broker,
                                    &url,
                                    Speaker::Process(&process, Lifetime::Run),
                                )
                                .await?,
                            ),
                        };
                        match order {
                            Order::Publish(signal) => {
                                let message = Message::new(process.borrowed(), signal);
                                let published = p.publish(&message).await;
                                if published.is_err() && !p.reconnects_itself() {
                                    publisher = None;
                                }
                                published
                            }
                            Order::End(ending) => match publisher.take() {
                                Some(p) => p.end(ending).await,
                                None => Ok(()),
                            },
                        }
                    }
                    .await;
                    let _ = reply.send(answer.map_err(|e| e.to_string()));
                }
            });
        });
        Session { orders }
    }

    fn ask(&self, order: Order) -> Result<(), String> {
        let (reply, answer) = std::sync::mpsc::channel();
        self.orders
            .send((order, reply))
            .map_err(|_| "the publisher has ended".to_owned())?;
        answer
            .recv()
            .map_err(|_| "the publisher has ended".to_owned())?
    }

    /// Publishes `signal` for the session's process, connecting first if need be.
    pub(crate) fn publish(&self, signal: Signal) -> Result<(), String> {
        self.ask(Order::Publish(signal))
    }

    /// Ends the connection as `ending` says (connecting first if it never was, so that
    /// a failure is told even when every beat failed to connect).
    pub(crate) fn end(&self, ending: Ending) -> Result<(), String> {
        self.ask(Order::End(ending))
    }
}

/// Publishes a Reventless command envelope on the extension point's command address
/// (`spec/transports.md` §1.7), waiting until the broker has it as [`publish`] does.
/// `json` is `envelope` written in `dialect`. Over MQTT the publisher has no presence: a
/// plugin's liveness is its commands. An SQS queue URL sends it to that queue as the
/// framework's heartbeat Lambda does (§6), with the FIFO group and deduplication ids.
pub(crate) async fn publish_command(
    broker: Broker,
    url: &str,
    point: &ExtensionPoint<'_>,
    (envelope, dialect): (
        &heartwire::command::Envelope<'_>,
        heartwire::command::Dialect,
    ),
    json: &[u8],
) -> Result<(), String> {
    let published: Result<(), Failure> = async {
        match broker {
            #[cfg(feature = "sqs")]
            Broker::Sqs => {
                use heartwire_sqs::{SqsConfig, SqsSender};
                let mut p = SqsSender::connect(&SqsConfig::new(url)).await?;
                p.send(envelope, dialect).await?;
                Ok(())
            }
            _ => {
                let _ = (envelope, dialect);
                let mut p = Publisher::connect(broker, url, Speaker::Nobody).await?;
                p.publish_command(point, json).await?;
                p.end(Ending::Quiet).await
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
