//! # heartwire-nats
//!
//! beatit heartbeats over NATS (`spec/transports.md` §2): subject
//! `heartbeat.<process>`, the payload as text, a subscriber on `heartbeat.>`.
//!
//! - [`NatsPublisher`] implements [`heartwire_publish::AsyncPublish`], so an
//!   [`AsyncHeart`](heartwire_publish::heart::AsyncHeart) publishes through it unchanged. Each
//!   publish is flushed to the server within a timeout; a publish while the client is
//!   disconnected, or one that cannot be flushed in time, is an error.
//! - [`NatsSubscriber`] yields every message on `heartbeat.>` decoded, as a
//!   [`Delivery`], or as an [`Invalid`] with the raw payload and the decode error.
//!   Nothing is lost silently: the client holds at most
//!   [`DEFAULT_SUBSCRIPTION_CAPACITY`] messages the subscriber has not taken yet (see
//!   [`NatsConfig::subscription_capacity`]) and drops what comes beyond (NATS's "slow
//!   consumer"); every message dropped is counted in the subscriber's [`LinkHealth`]
//!   as [`Loss::Overflow`], with the connection's outages.
//! - [`NatsReader`] is the subscriber for throughput (what `heartwire monitor` uses): it
//!   speaks the NATS client protocol itself over plain TCP and hands out batches
//!   borrowed from its read buffer, so beats are decoded in place; it loses nothing
//!   (a reader that falls behind slows the socket), skips and counts a message over
//!   [`MAX_MESSAGE`] as [`Loss::Oversized`], and leaves TLS to [`NatsSubscriber`].
//! - [`DurableReader`] reads the same subjects through a JetStream stream and durable
//!   consumer ([`durable`]): what was published while the reader was away is kept and
//!   read later, each message with the time the server took it.
//!
//! The client (async-nats) reconnects after a broker restart by itself and subscribes
//! again; publishing fails while it is away and succeeds again once it is back.
//! Credentials in the URL never appear in an error or in the [`NatsConfig`]'s `Debug`.
//! Errors are [`BrokerError`]s and [`NatsSubscriber`] is a [`Subscriber`], as in the
//! other adapters (`heartwire-broker`).
//!
//! ## Usage
//!
//! ```no_run
//! use heartwire_publish::heart::AsyncHeart;
//! use heartwire::text::{Process, Seconds};
//! use heartwire::transport::Content;
//! use heartwire_nats::{NatsConfig, NatsPublisher, NatsSubscriber};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = NatsConfig::new("nats://127.0.0.1:4222");
//! let mut subscriber = NatsSubscriber::connect(&config).await?;
//!
//! let process = Process::new("billing.worker-1")?;
//! let mut heart = AsyncHeart::new(&process, NatsPublisher::connect(&config).await?);
//! heart.beat(Seconds::from_secs(5).ok_or("zero")?).await?;
//!
//! match subscriber.next().await {
//!     Some(Ok(delivery)) => {
//!         if let Content::Text(message) = delivery.content {
//!             println!("{message}");
//!         }
//!     }
//!     Some(Err(invalid)) => eprintln!("{invalid}"),
//!     None => eprintln!("the connection is closed"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ## Supported Rust versions
//!
//! The minimum supported Rust version is 1.89 (the `rust-version` of the workspace).
#![forbid(unsafe_code)]

use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use futures_util::stream::SelectAll;
use heartwire::text::Subject;
use heartwire::time::{SystemClock, WallClock};
use heartwire::transport::{self, Delivery, ExtensionPoint, Invalid, NATS_FILTER, Transport};
use heartwire_broker::{Backoff, Broker, Endpoint, Subscriber};
use heartwire_publish::AsyncPublish;

pub use durable::{
    ACK_WAIT, ConsumerName, DurableConfig, DurableReader, Kept, MAX_ACK_PENDING, Position, STREAM,
    STREAM_MAX_AGE, STREAM_MAX_BYTES,
};
pub use heartwire::transport::{Content, DecodeError, Origin};
pub use heartwire_broker::{
    BrokerError, DEFAULT_SUBSCRIPTION_CAPACITY, DEFAULT_TIMEOUT, Fault, LinkHealth, LinkStatus,
    Loss, Step,
};
pub use reader::{Batch, MAX_CONTROL_LINE, MAX_MESSAGE, NatsReader};
pub use replica::{Lease, Loaded, Renewal, ReplicaConfig, SharedState, Stored, Taken};

pub mod durable;
mod reader;
pub mod replica;
mod url;

/// Where and how to connect. Its `Debug` shows the URL without credentials.
#[derive(Debug, Clone)]
pub struct NatsConfig {
    endpoint: Endpoint,
    name: Option<String>,
    capacity: usize,
    /// The extension points whose command subjects a subscriber also takes.
    points: Vec<ExtensionPoint<'static>>,
}

impl NatsConfig {
    /// A configuration for a server URL (`nats://[user:password@]host:port`, or a
    /// comma-separated list of them).
    pub fn new(url: impl Into<String>) -> NatsConfig {
        NatsConfig {
            endpoint: Endpoint::new(Broker::Nats, url),
            name: None,
            capacity: DEFAULT_SUBSCRIPTION_CAPACITY,
            points: vec![ExtensionPoint::default()],
        }
    }

    /// The extension points whose Reventless command envelopes a subscriber also
    /// receives, on `command.<point>` (`spec/transports.md` §1.7); `Platform.Plugin`
    /// by default, none when empty.
    #[must_use]
    pub fn extension_points(
        mut self,
        points: impl IntoIterator<Item = ExtensionPoint<'static>>,
    ) -> NatsConfig {
        self.points = points.into_iter().collect();
        self
    }

    /// The command subjects a subscriber takes besides `heartbeat.>`.
    fn command_subjects(&self) -> impl Iterator<Item = String> + '_ {
        self.points.iter().map(ExtensionPoint::address)
    }

    /// How many received messages the client may hold for a subscriber that has not
    /// taken them yet ([`DEFAULT_SUBSCRIPTION_CAPACITY`], at least 1); beyond it the
    /// client drops messages, and the subscriber counts each as lost.
    #[must_use]
    pub fn subscription_capacity(mut self, capacity: usize) -> NatsConfig {
        self.capacity = capacity.max(1);
        self
    }

    /// Where a subscriber connected with this configuration reports its connection and
    /// its losses (a fresh [`LinkHealth`] by default; pass a clone to read it from
    /// elsewhere).
    #[must_use]
    pub fn health(mut self, health: LinkHealth) -> NatsConfig {
        self.endpoint.set_health(health);
        self
    }

    /// How long connecting, and each publish's flush, may take ([`DEFAULT_TIMEOUT`]).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> NatsConfig {
        self.endpoint.set_timeout(timeout);
        self
    }

    /// The client name the server shows for this connection.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> NatsConfig {
        self.name = Some(name.into());
        self
    }

    /// The URL without credentials.
    pub fn redacted_url(&self) -> String {
        self.endpoint.redacted_url()
    }

    async fn connect(&self) -> Result<async_nats::Client, BrokerError> {
        let health = self.endpoint.health().clone();
        let url = self.endpoint.url().secret();
        let mut options = async_nats::ConnectOptions::new()
            .connection_timeout(self.endpoint.timeout())
            .subscription_capacity(self.capacity)
            // Reconnect forever, at most a second apart: a monitor outlives the broker.
            .max_reconnects(None)
            .reconnect_delay_callback(|attempt| {
                Backoff::delay(u32::try_from(attempt).unwrap_or(u32::MAX))
            })
            .event_callback(move |event| {
                match event {
                    async_nats::Event::Disconnected => health.disconnected(SystemClock.now()),
                    async_nats::Event::Connected => health.connected(SystemClock.now()),
                    // A slow consumer's drops are counted exactly by the subscriber, from
                    // the client's statistics: these events are themselves dropped when
                    // many come at once.
                    _ => {}
                }
                std::future::ready(())
            });
        if let Some(name) = &self.name {
            options = options.name(name);
        }
        // The credentials go to the client as the user meant them (percent-decoded, any
        // character), the servers without them; a URL this crate does not read (tls://)
        // goes to the client as it is.
        // One address per server: the client reads a string as one server, so a list
        // joined with commas would not parse.
        let mut addresses = vec![url.to_owned()];
        if let Ok(servers) = url::servers(url) {
            addresses = servers.iter().map(url::Server::address).collect();
            if let Some(server) = servers
                .iter()
                .find(|s| s.user.is_some() || s.token.is_some())
            {
                if let (Some(user), Some(password)) = (&server.user, &server.password) {
                    options = options.user_and_password(user.clone(), password.clone());
                } else if let Some(token) = &server.token {
                    options = options.token(token.clone());
                }
            }
        }
        self.endpoint.connecting(options.connect(addresses)).await
    }
}

/// Publishes beatit text on `heartbeat.<process>`; see the [crate docs](crate).
#[derive(Debug, Clone)]
pub struct NatsPublisher {
    client: async_nats::Client,
    endpoint: Endpoint,
}

impl NatsPublisher {
    /// Connects.
    pub async fn connect(config: &NatsConfig) -> Result<NatsPublisher, BrokerError> {
        Ok(NatsPublisher::from_client(config.connect().await?, config))
    }

    /// A publisher over a client the caller connected, with the timeout (and the URL its
    /// errors name) of `config`.
    pub fn from_client(client: async_nats::Client, config: &NatsConfig) -> NatsPublisher {
        NatsPublisher {
            client,
            endpoint: config.endpoint.clone(),
        }
    }

    /// The client.
    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    /// Sends one message and flushes it, with the timeout.
    pub async fn send(&self, subject: &str, payload: Bytes) -> Result<(), BrokerError> {
        if self.client.connection_state() != async_nats::connection::State::Connected {
            return Err(self.endpoint.error(Step::Publish, Fault::Disconnected));
        }
        let flushed = async {
            self.client
                .publish(subject.to_owned(), payload)
                .await
                .map_err(|e| e.to_string())?;
            self.client.flush().await.map_err(|e| e.to_string())
        };
        self.endpoint.bounded(Step::Publish, flushed).await
    }
}

impl NatsPublisher {
    /// Publishes a Reventless command envelope (its JSON, any dialect) on the extension
    /// point's command subject `command.<point>`, flushed within the timeout.
    pub async fn publish_command(
        &mut self,
        point: &ExtensionPoint<'_>,
        envelope: &[u8],
    ) -> Result<(), BrokerError> {
        self.send(&point.address(), Bytes::copy_from_slice(envelope))
            .await
    }
}

impl AsyncPublish for NatsPublisher {
    type Error = BrokerError;

    async fn publish(&mut self, subject: &Subject<'_>, payload: &[u8]) -> Result<(), BrokerError> {
        self.send(subject.as_str(), Bytes::copy_from_slice(payload))
            .await
    }
}

/// Every message on `heartbeat.>`, decoded; see the [crate docs](crate).
///
/// Also a [`Stream`] of the same items.
///
/// Its client is its own, so that every message the client received is either taken
/// from the subscription or was dropped by the client: whenever the subscription is
/// found empty (a `Pending` that is not tokio's cooperative budget running out), the
/// difference between the client's count of received messages and the
/// messages taken is exactly the number dropped, and is added to the [`LinkHealth`] as
/// [`Loss::Overflow`]. (On a multi-threaded runtime a message being handed over at that
/// instant may be counted once too early; the monitor runs on one thread.)
#[derive(Debug)]
pub struct NatsSubscriber {
    /// `heartbeat.>` and the command subjects, as one stream.
    subscriber: SelectAll<async_nats::Subscriber>,
    client: async_nats::Client,
    health: LinkHealth,
    /// Messages the client had received before the subscription began.
    before: u64,
    /// Messages taken from the subscription.
    taken: u64,
    /// Messages counted as lost so far.
    counted: u64,
}

impl NatsSubscriber {
    /// Connects on a client of its own and subscribes to `heartbeat.>` and the command
    /// subjects of its extension points; returns once the
    /// server has the subscription, so nothing published after it is missed.
    pub async fn connect(config: &NatsConfig) -> Result<NatsSubscriber, BrokerError> {
        let client = config.connect().await?;
        let endpoint = &config.endpoint;
        let before = client.statistics().in_messages.load(Ordering::Relaxed);
        let mut subscriber = SelectAll::new();
        subscriber.push(
            endpoint
                .bounded(Step::Subscribe, client.subscribe(NATS_FILTER))
                .await?,
        );
        for subject in config.command_subjects() {
            subscriber.push(
                endpoint
                    .bounded(Step::Subscribe, client.subscribe(subject))
                    .await?,
            );
        }
        endpoint.bounded(Step::Subscribe, client.flush()).await?;
        let health = endpoint.health().clone();
        health.connected(SystemClock.now());
        Ok(NatsSubscriber {
            subscriber,
            client,
            health,
            before,
            taken: 0,
            counted: 0,
        })
    }

    /// Where this subscriber reports its connection and its losses.
    pub fn health(&self) -> &LinkHealth {
        &self.health
    }

    /// Counts what the client dropped; called when the subscription is empty.
    fn count_losses(&mut self) {
        let received = self.client.statistics().in_messages.load(Ordering::Relaxed);
        let dropped = received.saturating_sub(self.before + self.taken);
        if dropped > self.counted {
            self.health.lost(Loss::Overflow, dropped - self.counted);
            self.counted = dropped;
        }
        // An event the client could not pass on is caught up with here.
        let now = SystemClock.now();
        match self.client.connection_state() {
            async_nats::connection::State::Connected => self.health.connected(now),
            _ => self.health.disconnected(now),
        }
    }

    /// The next message, decoded, or `None` once the client is closed for good.
    pub async fn next(&mut self) -> Option<Result<Delivery, Invalid>> {
        futures_util::StreamExt::next(self).await
    }
}

fn decode(message: &async_nats::Message) -> Result<Delivery, Invalid> {
    transport::decode_address(
        Transport::Nats,
        message.subject.as_bytes(),
        &message.payload,
    )
}

impl Stream for NatsSubscriber {
    type Item = Result<Delivery, Invalid>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // tokio's cooperative scheduling makes a channel answer `Pending` when the task
        // has used up its budget, messages waiting or not: only a `Pending` with budget
        // left says the subscription is empty.
        let budgeted = tokio::task::coop::has_budget_remaining();
        match Pin::new(&mut self.subscriber).poll_next(cx) {
            Poll::Ready(Some(message)) => {
                self.taken += 1;
                Poll::Ready(Some(decode(&message)))
            }
            Poll::Ready(None) => {
                self.count_losses();
                Poll::Ready(None)
            }
            Poll::Pending => {
                if budgeted {
                    self.count_losses();
                }
                Poll::Pending
            }
        }
    }
}

impl Subscriber for NatsSubscriber {
    fn health(&self) -> &LinkHealth {
        &self.health
    }
}
