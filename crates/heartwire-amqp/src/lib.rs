//! # heartwire-amqp
//!
//! beatit heartbeats over AMQP 0-9-1, RabbitMQ's protocol (`spec/transports.md` §5): the
//! topic exchange `heartbeat`, routing key `heartbeat.<process>` (the subject), the
//! payload as the body, with publisher confirms.
//!
//! - [`AmqpPublisher`] implements [`heartwire_publish::AsyncPublish`], so an
//!   [`AsyncHeart`](heartwire_publish::heart::AsyncHeart) publishes through it unchanged. Its
//!   channel is in confirm mode: a publish returns once the broker acknowledges it, and
//!   fails on a negative acknowledgement, on no confirm within the timeout, when the
//!   connection is gone, or when the channel turns out not to be in confirm mode (an
//!   unconfirmed publish is never taken for a delivered one).
//! - [`AmqpSubscriber`] consumes a server-named exclusive queue bound with `heartbeat.#`
//!   and yields every message decoded as a [`Delivery`], or as an [`Invalid`] with the
//!   raw body and the decode error. A message of any size the broker takes (RabbitMQ's
//!   `max_message_size`, 128 MiB by default) is read and reported, however far over the
//!   text limits.
//!
//! Both reconnect after a broker restart: the publisher on its next publish (the one
//! that found the connection broken returns the error), the subscriber by itself,
//! forever, with a delay from [`Backoff`] between attempts (at most a second),
//! declaring its queues and binding again. Credentials in the URL never appear in an
//! error or in the [`AmqpConfig`]'s `Debug`. Errors are [`BrokerError`]s and
//! [`AmqpSubscriber`] is a [`Subscriber`], as in the other adapters (`heartwire-broker`).
//!
//! ## Memory, and what the subscriber counts
//!
//! Nothing is lost silently on the way in, and the backlog of a reader that falls
//! behind stays in the broker, not in this process (`spec/transports.md` §5.1):
//!
//! - the subscriber consumes with acknowledgements and a prefetch of [`PREFETCH`]: the
//!   broker sends at most that many messages the subscriber has not acknowledged, and
//!   the subscriber acknowledges them (several at once) as it hands them to its reader.
//!   This process holds at most [`PREFETCH`] and [`HANDOVER`] messages;
//! - the queue is bounded ([`DEFAULT_MAX_QUEUE_LENGTH`] messages, see
//!   [`AmqpConfig::max_queue_length`], and [`MAX_QUEUE_BYTES`]); past the bound the
//!   broker drops the oldest message and dead-letters it to a second queue of the
//!   subscriber's, whose messages the subscriber counts (and purges) every second as
//!   [`Loss::Overflow`] in its [`LinkHealth`] ([`AmqpConfig::health`]), with the
//!   connection: up once consuming, down as soon as the consumer or the connection
//!   fails.
//!
//! ## Usage
//!
//! ```no_run
//! use heartwire_publish::heart::AsyncHeart;
//! use heartwire::text::{Process, Seconds};
//! use heartwire_amqp::{AmqpConfig, AmqpPublisher, AmqpSubscriber};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = AmqpConfig::new("amqp://guest:guest@127.0.0.1:5672/%2f");
//! let mut subscriber = AmqpSubscriber::connect(&config).await?;
//!
//! let process = Process::new("billing.worker-1")?;
//! let mut heart = AsyncHeart::new(&process, AmqpPublisher::connect(&config).await?);
//! heart.beat(Seconds::from_secs(5).ok_or("zero")?).await?;
//!
//! if let Some(Ok(delivery)) = subscriber.next().await {
//!     println!("{:?} from {}", delivery.content, delivery.origin);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ## Supported Rust versions
//!
//! The minimum supported Rust version is 1.89 (the `rust-version` of the workspace).
#![forbid(unsafe_code)]

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use heartwire::text::Subject;
use heartwire::time::{SystemClock, WallClock};
use heartwire::transport::{
    self, AMQP_BINDING, AMQP_EXCHANGE, Delivery, ExtensionPoint, Invalid, Transport,
};
use heartwire_broker::{Backoff, Broker, Endpoint, Subscriber};
use heartwire_publish::AsyncPublish;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
    QueuePurgeOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{
    BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, Consumer,
    ExchangeKind,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub use heartwire::transport::{Content, DecodeError, Origin};
pub use heartwire_broker::{
    BrokerError, DEFAULT_TIMEOUT, Fault, LinkHealth, LinkStatus, Loss, Step,
};

/// How many messages the broker sends a subscriber before it acknowledges them
/// (`basic.qos`): 1000, a few milliseconds of a busy broker's delivery, at most some
/// 300 kB of beatit messages (and at most 1000 times the broker's largest message). The
/// rest of a backlog waits in the broker.
pub const PREFETCH: u16 = 1000;

/// How many decoded messages the subscriber's task hands over ahead of its reader.
pub const HANDOVER: usize = 64;

/// The most messages a subscriber's queue holds by default (`x-max-length`): a million,
/// minutes of a busy fleet's beats, far more than a reader that keeps up ever leaves.
pub const DEFAULT_MAX_QUEUE_LENGTH: u32 = 1_000_000;

/// The most body bytes a subscriber's queue holds (`x-max-length-bytes`): 256 MiB, two
/// of the broker's largest messages by default.
pub const MAX_QUEUE_BYTES: i64 = 256 << 20;

/// How often the subscriber counts the messages its queue dropped, and acknowledges what
/// its reader took since the last acknowledgement.
const TALLY_EVERY: Duration = Duration::from_secs(1);

/// How many messages the reader takes before the subscriber acknowledges them together
/// (a quarter of the prefetch, so that the broker never waits for an acknowledgement).
const ACK_EVERY: u32 = PREFETCH as u32 / 4;

/// Where and how to connect. Its `Debug` shows the URL without credentials.
#[derive(Debug, Clone)]
pub struct AmqpConfig {
    endpoint: Endpoint,
    max_queue_length: u32,
    /// The extension points whose command routing keys a subscriber's queue also binds.
    points: Vec<ExtensionPoint<'static>>,
}

impl AmqpConfig {
    /// A configuration for a broker URL: `amqp://user:password@host:port/vhost` (the
    /// default virtual host `/` is `%2f`).
    pub fn new(url: impl Into<String>) -> AmqpConfig {
        AmqpConfig {
            endpoint: Endpoint::new(Broker::Amqp, url),
            max_queue_length: DEFAULT_MAX_QUEUE_LENGTH,
            points: vec![ExtensionPoint::default()],
        }
    }

    /// The extension points whose Reventless command envelopes a subscriber also
    /// receives: its queue is bound to `heartbeat` with the routing key
    /// `command.<point>` of each (`spec/transports.md` §1.7); `Platform.Plugin` by
    /// default, none when empty.
    #[must_use]
    pub fn extension_points(
        mut self,
        points: impl IntoIterator<Item = ExtensionPoint<'static>>,
    ) -> AmqpConfig {
        self.points = points.into_iter().collect();
        self
    }

    /// Where a subscriber connected with this configuration reports its connection and
    /// its losses (a fresh [`LinkHealth`] by default; pass a clone to read it from
    /// elsewhere).
    #[must_use]
    pub fn health(mut self, health: LinkHealth) -> AmqpConfig {
        self.endpoint.set_health(health);
        self
    }

    /// The most messages a subscriber's queue holds ([`DEFAULT_MAX_QUEUE_LENGTH`], at
    /// least 1); past it the broker drops the oldest, and the subscriber counts each as
    /// lost.
    #[must_use]
    pub fn max_queue_length(mut self, length: u32) -> AmqpConfig {
        self.max_queue_length = length.max(1);
        self
    }

    /// How long connecting and each confirm may take ([`DEFAULT_TIMEOUT`]).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> AmqpConfig {
        self.endpoint.set_timeout(timeout);
        self
    }

    /// The URL without credentials.
    pub fn redacted_url(&self) -> String {
        self.endpoint.redacted_url()
    }

    /// Connects, opens a channel and declares the exchange.
    async fn open(&self) -> Result<(Connection, Channel), BrokerError> {
        let endpoint = &self.endpoint;
        let connection = endpoint
            .connecting(Connection::connect(
                endpoint.url().secret(),
                ConnectionProperties::default(),
            ))
            .await?;
        let channel = endpoint
            .bounded(Step::Connect, connection.create_channel())
            .await?;
        let options = ExchangeDeclareOptions {
            durable: true,
            ..ExchangeDeclareOptions::default()
        };
        endpoint
            .bounded(
                Step::Connect,
                channel.exchange_declare(
                    AMQP_EXCHANGE.into(),
                    ExchangeKind::Topic,
                    options,
                    FieldTable::default(),
                ),
            )
            .await?;
        Ok((connection, channel))
    }
}

/// Publishes beatit text on the exchange `heartbeat`; see the [crate docs](crate).
pub struct AmqpPublisher {
    config: AmqpConfig,
    link: Option<(Connection, Channel)>,
}

impl fmt::Debug for AmqpPublisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AmqpPublisher")
            .field("config", &self.config)
            .field("connected", &self.link.is_some())
            .finish()
    }
}

impl AmqpPublisher {
    /// Connects, declares the exchange and puts the channel in confirm mode.
    pub async fn connect(config: &AmqpConfig) -> Result<AmqpPublisher, BrokerError> {
        let mut publisher = AmqpPublisher {
            config: config.clone(),
            link: None,
        };
        publisher.channel().await?;
        Ok(publisher)
    }

    async fn channel(&mut self) -> Result<Channel, BrokerError> {
        if let Some((connection, channel)) = &self.link
            && connection.status().connected()
            && channel.status().connected()
        {
            return Ok(channel.clone());
        }
        self.link = None;
        let (connection, channel) = self.config.open().await?;
        self.config
            .endpoint
            .bounded(
                Step::Connect,
                channel.confirm_select(ConfirmSelectOptions::default()),
            )
            .await?;
        self.link = Some((connection, channel.clone()));
        Ok(channel)
    }

    /// Publishes `payload` with `routing_key` on the exchange and waits for the
    /// broker's confirm. A failure drops the connection, so the next call connects
    /// again.
    pub async fn send(&mut self, routing_key: &str, payload: &[u8]) -> Result<(), BrokerError> {
        let channel = self.channel().await?;
        let endpoint = &self.config.endpoint;
        let confirmed = async {
            let confirm = channel
                .basic_publish(
                    AMQP_EXCHANGE.into(),
                    routing_key.into(),
                    BasicPublishOptions::default(),
                    payload,
                    BasicProperties::default().with_content_type("text/plain".into()),
                )
                .await?;
            confirm.await
        };
        let result = endpoint
            .bounded(Step::Publish, confirmed)
            .await
            .and_then(|c| confirmation(c).map_err(|fault| endpoint.error(Step::Publish, fault)));
        // A channel out of confirm mode is dropped too: the next publish opens one and
        // puts it in confirm mode again; after a refusal (`nack`) the channel is sound.
        if result.as_ref().is_err_and(|e| e.fault != Fault::Refused) {
            self.link = None;
        }
        result
    }
}

/// What a publisher confirm means: only an `ack` is a success (`spec/transports.md` §5).
fn confirmation(confirmation: Confirmation) -> Result<(), Fault> {
    match confirmation {
        Confirmation::Ack(_) => Ok(()),
        Confirmation::Nack(_) => Err(Fault::Refused),
        Confirmation::NotRequested => Err(Fault::NotConfirmed),
    }
}

impl AmqpPublisher {
    /// Publishes a Reventless command envelope (its JSON, any dialect) to the exchange
    /// `heartbeat` with the extension point's routing key `command.<point>`, and waits
    /// for the confirm.
    pub async fn publish_command(
        &mut self,
        point: &ExtensionPoint<'_>,
        envelope: &[u8],
    ) -> Result<(), BrokerError> {
        self.send(&point.address(), envelope).await
    }
}

impl AsyncPublish for AmqpPublisher {
    type Error = BrokerError;

    /// Publishes with the subject as the routing key.
    async fn publish(&mut self, subject: &Subject<'_>, payload: &[u8]) -> Result<(), BrokerError> {
        self.send(subject.as_str(), payload).await
    }
}

/// Every message routed by `heartbeat.#`, decoded; see the [crate docs](crate).
///
/// A task of its own consumes the queue, acknowledges what the reader takes, counts what
/// the queue dropped, and connects again whenever the connection ends; it ends when the
/// subscriber is dropped.
pub struct AmqpSubscriber {
    config: AmqpConfig,
    deliveries: mpsc::Receiver<Result<Delivery, Invalid>>,
    task: JoinHandle<()>,
}

impl fmt::Debug for AmqpSubscriber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AmqpSubscriber")
            .field("config", &self.config)
            .field("health", &self.health().status())
            .finish_non_exhaustive()
    }
}

impl AmqpSubscriber {
    /// Connects, declares the exchange and a queue of its own bound with
    /// `heartbeat.#`, and starts consuming; returns once the broker has the binding, so
    /// nothing published after it is missed. Needs a Tokio runtime.
    pub async fn connect(config: &AmqpConfig) -> Result<AmqpSubscriber, BrokerError> {
        let link = consume(config).await?;
        config.endpoint.health().connected(SystemClock.now());
        let (tx, deliveries) = mpsc::channel(HANDOVER);
        let task = tokio::spawn(follow(config.clone(), link, tx));
        Ok(AmqpSubscriber {
            config: config.clone(),
            deliveries,
            task,
        })
    }

    /// Where this subscriber reports its connection and its losses.
    pub fn health(&self) -> &LinkHealth {
        self.config.endpoint.health()
    }

    /// The next message, decoded. Never ends (`None` only if the subscriber's task
    /// panicked): when the connection is lost its task connects, binds a new queue and
    /// it goes on.
    pub async fn next(&mut self) -> Option<Result<Delivery, Invalid>> {
        self.deliveries.recv().await
    }
}

impl Stream for AmqpSubscriber {
    type Item = Result<Delivery, Invalid>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.deliveries.poll_recv(cx)
    }
}

impl Subscriber for AmqpSubscriber {
    fn health(&self) -> &LinkHealth {
        AmqpSubscriber::health(self)
    }
}

impl Drop for AmqpSubscriber {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A subscriber's connection: the channel it consumes on, and the queue its main queue
/// dead-letters what it drops to.
struct Link {
    // Kept so that the connection lives as long as the consumer.
    _connection: Connection,
    channel: Channel,
    consumer: Consumer,
    dropped: ShortString,
}

/// Why [`serve`] returned.
enum End {
    /// The connection or the channel failed.
    Lost,
    /// The reader is gone.
    Gone,
}

/// The subscriber's task: serves each connection, and connects again when it ends.
async fn follow(config: AmqpConfig, mut link: Link, tx: mpsc::Sender<Result<Delivery, Invalid>>) {
    let health = config.endpoint.health();
    let mut backoff = Backoff::new();
    loop {
        let up = tokio::time::Instant::now();
        let end = serve(&link, &tx, health).await;
        // Closes the connection if it is still open (a consumer the broker cancelled),
        // and its exclusive queues with it.
        drop(link);
        if let End::Gone = end {
            return;
        }
        let again = config.endpoint.reconnect(
            &mut backoff,
            up.elapsed(),
            || tx.is_closed(),
            || consume(&config),
        );
        match again.await {
            Some(again) => link = again,
            None => return,
        }
    }
}

/// Hands over every delivery on `link` (waiting while the reader is [`HANDOVER`]
/// behind, which leaves the rest in the broker), acknowledges them, and counts what the
/// queue dropped, until the connection fails or the reader is gone.
async fn serve(
    link: &Link,
    tx: &mpsc::Sender<Result<Delivery, Invalid>>,
    health: &LinkHealth,
) -> End {
    let mut consumer = link.consumer.clone();
    let mut tally = tokio::time::interval(TALLY_EVERY);
    // The latest delivery handed over and not acknowledged, and how many are.
    let mut unacked: Option<u64> = None;
    let mut taken: u32 = 0;
    loop {
        let step = async {
            let permit = tx.reserve().await;
            (permit, consumer.next().await)
        };
        tokio::select! {
            biased;
            _ = tally.tick() => {
                if ack(link, &mut unacked, &mut taken).await.is_err() {
                    return End::Lost;
                }
                let options = QueuePurgeOptions::default();
                match link.channel.queue_purge(link.dropped.clone(), options).await {
                    Ok(0) => {}
                    Ok(n) => health.lost(Loss::Overflow, u64::from(n)),
                    Err(_) => return End::Lost,
                }
            }
            (permit, delivery) = step => {
                let Ok(permit) = permit else {
                    return End::Gone;
                };
                let Some(Ok(delivery)) = delivery else {
                    return End::Lost;
                };
                permit.send(transport::decode_address(
                    Transport::Amqp,
                    delivery.routing_key.as_str().as_bytes(),
                    &delivery.data,
                ));
                unacked = Some(delivery.delivery_tag);
                taken += 1;
                if taken >= ACK_EVERY && ack(link, &mut unacked, &mut taken).await.is_err() {
                    return End::Lost;
                }
            }
        }
    }
}

/// Acknowledges every delivery up to the latest handed over, if any.
async fn ack(link: &Link, unacked: &mut Option<u64>, taken: &mut u32) -> lapin::Result<()> {
    if let Some(tag) = unacked.take() {
        *taken = 0;
        let options = BasicAckOptions { multiple: true };
        link.channel.basic_ack(tag, options).await?;
    }
    Ok(())
}

/// Connects, declares the queue that receives what the main queue drops, then the
/// bounded main queue, binds it and consumes it with acknowledgements and a prefetch.
async fn consume(config: &AmqpConfig) -> Result<Link, BrokerError> {
    let (connection, channel) = config.open().await?;
    let exclusive = QueueDeclareOptions {
        exclusive: true,
        ..QueueDeclareOptions::default()
    };
    let endpoint = &config.endpoint;
    let dropped = endpoint
        .bounded(
            Step::Subscribe,
            channel.queue_declare("".into(), exclusive, FieldTable::default()),
        )
        .await?;
    let mut arguments = FieldTable::default();
    let text = |t: &str| AMQPValue::LongString(LongString::from(t));
    arguments
        .insert(
            "x-max-length".into(),
            AMQPValue::LongLongInt(i64::from(config.max_queue_length)),
        )
        .insert(
            "x-max-length-bytes".into(),
            AMQPValue::LongLongInt(MAX_QUEUE_BYTES),
        )
        .insert("x-overflow".into(), text("drop-head"))
        .insert("x-dead-letter-exchange".into(), text(""))
        .insert(
            "x-dead-letter-routing-key".into(),
            text(dropped.name().as_str()),
        );
    let options = QueueDeclareOptions {
        exclusive: true,
        auto_delete: true,
        ..QueueDeclareOptions::default()
    };
    let queue = endpoint
        .bounded(
            Step::Subscribe,
            channel.queue_declare("".into(), options, arguments),
        )
        .await?;
    let keys = std::iter::once(AMQP_BINDING.to_owned())
        .chain(config.points.iter().map(ExtensionPoint::address));
    for key in keys {
        endpoint
            .bounded(
                Step::Subscribe,
                channel.queue_bind(
                    queue.name().clone(),
                    AMQP_EXCHANGE.into(),
                    key.as_str().into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                ),
            )
            .await?;
    }
    endpoint
        .bounded(
            Step::Subscribe,
            channel.basic_qos(PREFETCH, BasicQosOptions::default()),
        )
        .await?;
    let consumer = endpoint
        .bounded(
            Step::Subscribe,
            channel.basic_consume(
                queue.name().clone(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            ),
        )
        .await?;
    Ok(Link {
        _connection: connection,
        channel,
        consumer,
        dropped: dropped.name().clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_ack_is_a_success() {
        assert_eq!(confirmation(Confirmation::Ack(None)), Ok(()));
        assert_eq!(confirmation(Confirmation::Nack(None)), Err(Fault::Refused));
        assert_eq!(
            confirmation(Confirmation::NotRequested),
            Err(Fault::NotConfirmed)
        );
    }

    /// Against the machine's RabbitMQ (5672): a publisher whose channel is not in
    /// confirm mode (as after a bug) fails its publish instead of reporting it sent, and
    /// the next publish opens a channel in confirm mode and succeeds.
    #[tokio::test]
    async fn a_channel_out_of_confirm_mode_is_an_error_and_replaced() {
        let config = AmqpConfig::new("amqp://guest:guest@127.0.0.1:5672/%2f");
        let link = match config.open().await {
            Ok(link) => link,
            Err(e) => panic!(
                "RabbitMQ is needed on 127.0.0.1:5672 (README, \"Brokers for development\"; \
                 start it with rabbitmq-server -detached): {e}"
            ),
        };
        // `open` declares the exchange but leaves confirm mode to `channel`.
        let mut publisher = AmqpPublisher {
            config,
            link: Some(link),
        };
        let key = "heartbeat.hwtest.amqp-not-confirmed";
        assert_eq!(
            publisher.send(key, b"beat/5").await.map_err(|e| e.fault),
            Err(Fault::NotConfirmed)
        );
        assert!(
            publisher.link.is_none(),
            "the unconfirmed channel is dropped"
        );
        assert_eq!(publisher.send(key, b"beat/5").await, Ok(()));
    }
}
