//! # heartwire-amqp
//!
//! beatit heartbeats over AMQP 0-9-1, RabbitMQ's protocol (`spec/transports.md` §5): the
//! topic exchange `heartbeat`, routing key `heartbeat.<process>` (the subject), the
//! payload as the body, with publisher confirms.
//!
//! - [`AmqpPublisher`] implements [`heartwire::heart::AsyncPublish`], so an
//!   [`AsyncHeart`](heartwire::heart::AsyncHeart) publishes through it unchanged. Its
//!   channel is in confirm mode: a publish returns once the broker acknowledges it, and
//!   fails on a negative acknowledgement, on no confirm within the timeout, when the
//!   connection is gone, or when the channel turns out not to be in confirm mode (an
//!   unconfirmed publish is never taken for a delivered one).
//! - [`AmqpSubscriber`] consumes a server-named exclusive queue bound with `heartbeat.#`
//!   and yields every message decoded as a [`Delivery`], or as an [`Invalid`] with the
//!   raw body and the decode error.
//!
//! Both reconnect after a broker restart: the publisher on its next publish (the one
//! that found the connection broken returns the error), the subscriber by itself,
//! declaring its queue and binding again. Credentials in the URL never appear in an
//! error or in the [`AmqpConfig`]'s `Debug`.
//!
//! ## Usage
//!
//! ```no_run
//! use heartwire::heart::AsyncHeart;
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
//! The minimum supported Rust version is 1.88 (the `rust-version` of the workspace).
#![forbid(unsafe_code)]

use std::fmt;
use std::time::Duration;

use futures_util::StreamExt;
use heartwire::heart::AsyncPublish;
use heartwire::text::Subject;
use heartwire::transport::{self, AMQP_BINDING, AMQP_EXCHANGE, Delivery, Invalid, Transport};
use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions,
    QueueBindOptions, QueueDeclareOptions,
};

use lapin::types::FieldTable;
use lapin::{
    BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, Consumer,
    ExchangeKind,
};

pub use heartwire::transport::{Content, DecodeError, Origin};

/// How long connecting and each publisher confirm may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where and how to connect. Its `Debug` shows the URL without credentials.
#[derive(Clone)]
pub struct AmqpConfig {
    url: String,
    timeout: Duration,
}

impl AmqpConfig {
    /// A configuration for a broker URL: `amqp://user:password@host:port/vhost` (the
    /// default virtual host `/` is `%2f`).
    pub fn new(url: impl Into<String>) -> AmqpConfig {
        AmqpConfig {
            url: url.into(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// How long connecting and each confirm may take ([`DEFAULT_TIMEOUT`]).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> AmqpConfig {
        self.timeout = timeout;
        self
    }

    /// The URL without credentials.
    pub fn redacted_url(&self) -> String {
        transport::redact_url(&self.url)
    }

    fn reason(&self, e: &lapin::Error) -> String {
        transport::scrub(&e.to_string(), &self.url)
    }

    /// Runs one step with the timeout, mapping the client's error.
    async fn bounded<T>(
        &self,
        during: Step,
        f: impl Future<Output = lapin::Result<T>>,
    ) -> Result<T, AmqpError> {
        match tokio::time::timeout(self.timeout, f).await {
            Ok(Ok(t)) => Ok(t),
            Ok(Err(e)) => Err(AmqpError::Amqp {
                during,
                reason: self.reason(&e),
            }),
            Err(_) => Err(AmqpError::Timeout {
                during,
                after: self.timeout,
            }),
        }
    }

    /// Connects, opens a channel and declares the exchange.
    async fn open(&self) -> Result<(Connection, Channel), AmqpError> {
        let connection = match tokio::time::timeout(
            self.timeout,
            Connection::connect(&self.url, ConnectionProperties::default()),
        )
        .await
        {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                return Err(AmqpError::Connect {
                    url: self.redacted_url(),
                    reason: self.reason(&e),
                });
            }
            Err(_) => {
                return Err(AmqpError::Connect {
                    url: self.redacted_url(),
                    reason: format!("no connection within {:?}", self.timeout),
                });
            }
        };
        let channel = self
            .bounded(Step::Connect, connection.create_channel())
            .await?;
        let options = ExchangeDeclareOptions {
            durable: true,
            ..ExchangeDeclareOptions::default()
        };
        self.bounded(
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

impl fmt::Debug for AmqpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AmqpConfig")
            .field("url", &self.redacted_url())
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// What the adapter was doing when an error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    /// Connecting, opening the channel, declaring the exchange.
    Connect,
    /// Publishing or waiting for the confirm.
    Publish,
    /// Declaring, binding or consuming the queue.
    Subscribe,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Connect => "connecting",
            Step::Publish => "publishing",
            Step::Subscribe => "subscribing",
        })
    }
}

/// What went wrong talking to AMQP. Messages never hold credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AmqpError {
    /// No connection.
    Connect {
        /// The URL, redacted.
        url: String,
        /// Why, as the client said it, redacted.
        reason: String,
    },
    /// The broker or the connection failed.
    Amqp {
        /// What the adapter was doing.
        during: Step,
        /// Why, as the client said it, redacted.
        reason: String,
    },
    /// The broker refused the message (a publisher confirm `nack`).
    Nack,
    /// The channel was not in confirm mode, so the broker was never asked to confirm
    /// and whether it has the message is unknown. The adapter puts every channel it
    /// opens in confirm mode, so this is a bug, reported rather than taken for success:
    /// a heartbeat that may be lost must not count as sent.
    NotConfirmed,
    /// No answer in time.
    Timeout {
        /// What the adapter was doing.
        during: Step,
        /// The timeout.
        after: Duration,
    },
}

impl fmt::Display for AmqpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AmqpError::Connect { url, reason } => write!(f, "cannot connect to {url}: {reason}"),
            AmqpError::Amqp { during, reason } => write!(f, "{during} failed: {reason}"),
            AmqpError::Nack => f.write_str("the broker refused the message (nack)"),
            AmqpError::NotConfirmed => f.write_str(
                "the channel is not in confirm mode: the broker did not confirm the message",
            ),
            AmqpError::Timeout { during, after } => {
                write!(f, "{during}: no answer from the broker within {after:?}")
            }
        }
    }
}

impl std::error::Error for AmqpError {}

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
    pub async fn connect(config: &AmqpConfig) -> Result<AmqpPublisher, AmqpError> {
        let mut publisher = AmqpPublisher {
            config: config.clone(),
            link: None,
        };
        publisher.channel().await?;
        Ok(publisher)
    }

    async fn channel(&mut self) -> Result<Channel, AmqpError> {
        if let Some((connection, channel)) = &self.link
            && connection.status().connected()
            && channel.status().connected()
        {
            return Ok(channel.clone());
        }
        self.link = None;
        let (connection, channel) = self.config.open().await?;
        self.config
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
    pub async fn send(&mut self, routing_key: &str, payload: &[u8]) -> Result<(), AmqpError> {
        let channel = self.channel().await?;
        let config = &self.config;
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
        let result = config
            .bounded(Step::Publish, confirmed)
            .await
            .and_then(confirmation);
        // A channel out of confirm mode is dropped too: the next publish opens one and
        // puts it in confirm mode again.
        if matches!(
            result,
            Err(AmqpError::Amqp { .. } | AmqpError::Timeout { .. } | AmqpError::NotConfirmed)
        ) {
            self.link = None;
        }
        result
    }
}

/// What a publisher confirm means: only an `ack` is a success (`spec/transports.md` §5).
fn confirmation(confirmation: Confirmation) -> Result<(), AmqpError> {
    match confirmation {
        Confirmation::Ack(_) => Ok(()),
        Confirmation::Nack(_) => Err(AmqpError::Nack),
        Confirmation::NotRequested => Err(AmqpError::NotConfirmed),
    }
}

impl AsyncPublish for AmqpPublisher {
    type Error = AmqpError;

    /// Publishes with the subject as the routing key.
    async fn publish(&mut self, subject: &Subject<'_>, payload: &[u8]) -> Result<(), AmqpError> {
        self.send(subject.as_str(), payload).await
    }
}

/// Every message routed by `heartbeat.#`, decoded; see the [crate docs](crate).
pub struct AmqpSubscriber {
    config: AmqpConfig,
    link: Option<(Connection, Consumer)>,
}

impl fmt::Debug for AmqpSubscriber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AmqpSubscriber")
            .field("config", &self.config)
            .field("consuming", &self.link.is_some())
            .finish()
    }
}

impl AmqpSubscriber {
    /// Connects, declares the exchange and a queue of its own bound with
    /// `heartbeat.#`, and starts consuming; returns once the broker has the binding, so
    /// nothing published after it is missed.
    pub async fn connect(config: &AmqpConfig) -> Result<AmqpSubscriber, AmqpError> {
        let link = consume(config).await?;
        Ok(AmqpSubscriber {
            config: config.clone(),
            link: Some(link),
        })
    }

    /// The next message, decoded. Never ends: when the connection is lost it connects,
    /// binds a new queue (at most a second between attempts) and goes on.
    pub async fn next(&mut self) -> Option<Result<Delivery, Invalid>> {
        let mut attempt: u32 = 0;
        loop {
            let consumer = match &mut self.link {
                Some((_, consumer)) => consumer,
                None => match consume(&self.config).await {
                    Ok(link) => &mut self.link.insert(link).1,
                    Err(_) => {
                        attempt = attempt.saturating_add(1);
                        let delay = Duration::from_millis(100).saturating_mul(attempt.min(10));
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                },
            };
            match consumer.next().await {
                Some(Ok(delivery)) => {
                    return Some(transport::decode_subject(
                        Transport::Amqp,
                        delivery.routing_key.as_str().as_bytes(),
                        &delivery.data,
                    ));
                }
                Some(Err(_)) | None => self.link = None,
            }
        }
    }
}

async fn consume(config: &AmqpConfig) -> Result<(Connection, Consumer), AmqpError> {
    let (connection, channel) = config.open().await?;
    let options = QueueDeclareOptions {
        exclusive: true,
        auto_delete: true,
        ..QueueDeclareOptions::default()
    };
    let queue = config
        .bounded(
            Step::Subscribe,
            channel.queue_declare("".into(), options, FieldTable::default()),
        )
        .await?;
    config
        .bounded(
            Step::Subscribe,
            channel.queue_bind(
                queue.name().clone(),
                AMQP_EXCHANGE.into(),
                AMQP_BINDING.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            ),
        )
        .await?;
    let options = BasicConsumeOptions {
        no_ack: true,
        ..BasicConsumeOptions::default()
    };
    let consumer = config
        .bounded(
            Step::Subscribe,
            channel.basic_consume(
                queue.name().clone(),
                "".into(),
                options,
                FieldTable::default(),
            ),
        )
        .await?;
    Ok((connection, consumer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_ack_is_a_success() {
        assert_eq!(confirmation(Confirmation::Ack(None)), Ok(()));
        assert_eq!(confirmation(Confirmation::Nack(None)), Err(AmqpError::Nack));
        assert_eq!(
            confirmation(Confirmation::NotRequested),
            Err(AmqpError::NotConfirmed)
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
            publisher.send(key, b"beat/5").await,
            Err(AmqpError::NotConfirmed)
        );
        assert!(
            publisher.link.is_none(),
            "the unconfirmed channel is dropped"
        );
        assert_eq!(publisher.send(key, b"beat/5").await, Ok(()));
    }
}
