//! # heartwire-redis
//!
//! Heartbeats over Redis and Valkey publish/subscribe (`spec/transports.md` §3):
//! liveness records on both channel conventions of the seed
//! (`heartbeat:service:<name>`, `health:service:<name>:heartbeat`), and beatit text on
//! channels named after the subject (`heartbeat.<process>`).
//!
//! - [`RedisPublisher`] implements [`heartwire_publish::AsyncPublish`], so an
//!   [`AsyncHeart`](heartwire_publish::heart::AsyncHeart) publishes through it unchanged, and
//!   [`RedisPublisher::publish_record`] (also the record contract
//!   [`AsyncPublishRecord`], so a record publisher
//!   publishes through it unchanged) publishes a liveness record on its channel(s).
//!   It also keeps a key per process or service with a time to live (on by default,
//!   [`RedisConfig::presence_keys`]), set and published in one `MULTI`/`EXEC`, so a
//!   monitor that was down can read who is alive now ([`RedisSubscriber::present`]) and
//!   a publisher killed outright leaves nothing behind after the key's time to live. A
//!   server whose ACL refuses them (`NOPERM`) gets the messages without them
//!   ([`RedisPublisher::presence_keys_refused`]).
//! - [`RedisSubscriber`] pattern-subscribes to all three families of channels and yields
//!   each message decoded as a [`Delivery`], or as an [`Invalid`] with the raw payload
//!   and the decode error. A message of any size is read whole and reported: one far
//!   over the text or record limits (megabytes, up to the server's
//!   `proto-max-bulk-len`, 512 MB by default) is an [`Invalid`] like any other.
//!
//! Both reconnect after a broker restart: the publisher on its next publish (the one that
//! found the connection broken returns the error), the subscriber by itself, forever,
//! with a delay from [`Backoff`] between attempts (at most a
//! second). Credentials in the URL never appear in an error or in the [`RedisConfig`]'s
//! `Debug`. Errors are [`BrokerError`]s and [`RedisSubscriber`] is a [`Subscriber`], as
//! in the other adapters (`heartwire-broker`).
//!
//! ## What the subscriber counts
//!
//! Nothing is lost silently on the way in (`spec/transports.md` §3.4). The subscriber
//! reports into its [`LinkHealth`] ([`RedisConfig::health`]):
//!
//! - the connection: up once the server has confirmed the subscriptions, down as soon as
//!   the connection ends (a restart, a network failure, or the server closing it, as it
//!   does to a subscriber over its `client-output-buffer-limit pubsub`, which cannot be
//!   told apart from the others and is reported as the outage it is);
//! - [`Loss::Overflow`]: redis-rs reads the socket as fast as it can into a queue of its
//!   own without bound, so the subscriber's task takes every message from it at once
//!   and holds at most [`DEFAULT_SUBSCRIPTION_CAPACITY`] messages (see
//!   [`RedisConfig::subscription_capacity`]) and [`MAX_HELD_BYTES`] bytes that the reader
//!   has not taken yet; each message beyond is dropped and counted.
//!
//! ## Usage
//!
//! ```no_run
//! use heartwire_publish::heart::AsyncHeart;
//! use heartwire::text::{Process, Seconds};
//! use heartwire_redis::{RedisConfig, RedisPublisher, RedisSubscriber};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = RedisConfig::new("redis://127.0.0.1:6379");
//! let mut subscriber = RedisSubscriber::connect(&config).await?;
//!
//! let process = Process::new("billing.worker-1")?;
//! let mut heart = AsyncHeart::new(&process, RedisPublisher::connect(&config).await?);
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
use heartwire::record::{Convention, DEFAULT_INTERVAL, Record};
use heartwire::text::{Signal, Subject};
use heartwire::time::{SystemClock, WallClock};
use heartwire::transport::{
    self, DEFAULT_KEY_TTL_FACTOR, Delivery, ExtensionPoint, Invalid, REDIS_TEXT_PATTERN, key_ttl,
};
use heartwire_broker::{Backoff, Broker, Endpoint, Subscriber, inbox};
use heartwire_publish::{AsyncPublish, AsyncPublishRecord};
use redis::AsyncCommands;
use tokio::task::JoinHandle;

pub use heartwire::transport::{Content, DecodeError, Origin};
pub use heartwire_broker::{
    BrokerError, DEFAULT_SUBSCRIPTION_CAPACITY, DEFAULT_TIMEOUT, Fault, LinkHealth, LinkStatus,
    Loss, Step,
};

/// The most payload and channel bytes a subscriber holds for a reader that has not taken
/// them yet: 64 MiB, twice the server's own bound on what it queues for a subscriber
/// (`client-output-buffer-limit pubsub`, 32 MB by default). A message alone is held
/// whatever its size, so that an oversized one is reported, not dropped.
pub const MAX_HELD_BYTES: usize = 64 << 20;

/// The patterns a subscriber subscribes to: beatit text, and records in both
/// conventions. Constants: no name ever goes into a pattern unescaped.
pub const PATTERNS: [&str; 3] = [
    REDIS_TEXT_PATTERN,
    Convention::Heartbeat.pattern(),
    Convention::Health.pattern(),
];

/// Where and how to connect and what to publish. Its `Debug` shows the URL without
/// credentials.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    endpoint: Endpoint,
    conventions: Vec<Convention>,
    presence_keys: bool,
    ttl_factor: u32,
    record_interval: Duration,
    capacity: usize,
    /// The extension points whose command channels a subscriber also takes.
    points: Vec<ExtensionPoint<'static>>,
}

impl RedisConfig {
    /// A configuration for a server URL (`redis://[[user]:password@]host:port[/db]`).
    pub fn new(url: impl Into<String>) -> RedisConfig {
        RedisConfig {
            endpoint: Endpoint::new(Broker::Redis, url),
            conventions: vec![Convention::Heartbeat],
            presence_keys: true,
            ttl_factor: DEFAULT_KEY_TTL_FACTOR,
            record_interval: DEFAULT_INTERVAL,
            capacity: DEFAULT_SUBSCRIPTION_CAPACITY,
            points: vec![ExtensionPoint::default()],
        }
    }

    /// The extension points whose Reventless command envelopes a subscriber also
    /// receives, on the channel `command.<point>` (`SUBSCRIBE`, not a pattern:
    /// `spec/transports.md` §1.7); `Platform.Plugin` by default, none when empty.
    #[must_use]
    pub fn extension_points(
        mut self,
        points: impl IntoIterator<Item = ExtensionPoint<'static>>,
    ) -> RedisConfig {
        self.points = points.into_iter().collect();
        self
    }

    /// Where a subscriber connected with this configuration reports its connection and
    /// its losses (a fresh [`LinkHealth`] by default; pass a clone to read it from
    /// elsewhere).
    #[must_use]
    pub fn health(mut self, health: LinkHealth) -> RedisConfig {
        self.endpoint.set_health(health);
        self
    }

    /// How many received messages a subscriber may hold for a reader that has not taken
    /// them yet ([`DEFAULT_SUBSCRIPTION_CAPACITY`], at least 1); each message beyond is
    /// dropped and counted as lost.
    #[must_use]
    pub fn subscription_capacity(mut self, capacity: usize) -> RedisConfig {
        self.capacity = capacity.max(1);
        self
    }

    /// How long connecting and each command may take ([`DEFAULT_TIMEOUT`]).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> RedisConfig {
        self.endpoint.set_timeout(timeout);
        self
    }

    /// The channel conventions records are published on (the `heartbeat` convention
    /// alone by default, as `spec/record.md` §9.1 recommends). An empty list means the
    /// default.
    #[must_use]
    pub fn conventions(mut self, conventions: &[Convention]) -> RedisConfig {
        self.conventions = if conventions.is_empty() {
            vec![Convention::Heartbeat]
        } else {
            conventions.to_vec()
        };
        self
    }

    /// Whether a publisher also keeps a presence key per process or service
    /// (`spec/transports.md` §3.3); on by default, so that every caller (a heart, `run`,
    /// `beat`, a record publisher) leaves a key that outlives a crash by at most the
    /// factor times its deadline. Off for a server where the publisher may not write
    /// keys (an ACL that allows `PUBLISH` only).
    #[must_use]
    pub fn presence_keys(mut self, on: bool) -> RedisConfig {
        self.presence_keys = on;
        self
    }

    /// How many times a message's deadline a presence key lives
    /// ([`DEFAULT_KEY_TTL_FACTOR`]).
    #[must_use]
    pub fn ttl_factor(mut self, factor: u32) -> RedisConfig {
        self.ttl_factor = factor.max(1);
        self
    }

    /// The interval records are published at, for their presence keys' time to live
    /// ([`DEFAULT_INTERVAL`]).
    #[must_use]
    pub fn record_interval(mut self, interval: Duration) -> RedisConfig {
        self.record_interval = interval;
        self
    }

    /// The URL without credentials.
    pub fn redacted_url(&self) -> String {
        self.endpoint.redacted_url()
    }

    fn client(&self) -> Result<redis::Client, BrokerError> {
        redis::Client::open(self.endpoint.url().secret())
            .map_err(|e| self.endpoint.bad_url(&e.to_string()))
    }

    /// A connection for commands, with the timeout.
    async fn connection(
        &self,
        client: &redis::Client,
    ) -> Result<redis::aio::MultiplexedConnection, BrokerError> {
        self.endpoint
            .bounded(Step::Connect, client.get_multiplexed_async_connection())
            .await
    }
}

/// Whether `e` is a permission refused by the server's ACL: `NOPERM`, alone or among
/// the errors of an aborted transaction (redis-rs names it `NoPerm` there).
fn is_no_permission(e: &redis::RedisError) -> bool {
    e.code() == Some("NOPERM") || e.to_string().to_ascii_lowercase().contains("noperm")
}

/// What a server lets a publisher do with transactions.
enum Transactions {
    /// `MULTI` and `EXEC`.
    Allowed,
    /// Not `MULTI`.
    Refused,
    /// `MULTI` and not `EXEC`: the connection is inside a transaction.
    Stuck,
}

/// What a publish does to a presence key.
#[derive(Debug, Clone, Copy)]
enum Key {
    /// Set to the payload, expiring after the duration.
    Set(Duration),
    /// Deleted (`stop`).
    Delete,
    /// Left as it is.
    Keep,
}

/// Publishes beatit text and liveness records; see the [crate docs](crate).
pub struct RedisPublisher {
    config: RedisConfig,
    client: redis::Client,
    connection: Option<redis::aio::MultiplexedConnection>,
    buf: Vec<u8>,
    /// The server refused the presence keys (an ACL that allows `PUBLISH` only): this
    /// publisher publishes without them from then on.
    keys_refused: bool,
}

impl fmt::Debug for RedisPublisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisPublisher")
            .field("config", &self.config)
            .field("connected", &self.connection.is_some())
            .finish()
    }
}

impl RedisPublisher {
    /// Connects.
    pub async fn connect(config: &RedisConfig) -> Result<RedisPublisher, BrokerError> {
        let mut publisher = RedisPublisher {
            config: config.clone(),
            client: config.client()?,
            connection: None,
            buf: Vec::new(),
            keys_refused: false,
        };
        publisher.connection().await?;
        Ok(publisher)
    }

    /// Whether the server refused the presence keys (`NOPERM`: an ACL that allows
    /// `PUBLISH` and not `MULTI`, `SET` or `DEL`, `spec/transports.md` §3.3): the
    /// publish that found out was made again without them, and so is every later one.
    /// A caller says so once; the messages themselves go through.
    pub fn presence_keys_refused(&self) -> bool {
        self.keys_refused
    }

    async fn connection(&mut self) -> Result<redis::aio::MultiplexedConnection, BrokerError> {
        if let Some(c) = &self.connection {
            return Ok(c.clone());
        }
        let mut c = self.config.connection(&self.client).await?;
        if self.config.presence_keys && !self.keys_refused {
            match self.transactions_allowed(&mut c).await? {
                Transactions::Allowed => {}
                Transactions::Refused => self.keys_refused = true,
                // The connection may be left inside a transaction: a fresh one.
                Transactions::Stuck => {
                    self.keys_refused = true;
                    c = self.config.connection(&self.client).await?;
                }
            }
        }
        self.connection = Some(c.clone());
        Ok(c)
    }

    /// Whether the server lets this user make a transaction: `MULTI` alone, then an
    /// empty `EXEC`. Asked before any pipeline, because a `MULTI` refused inside one
    /// (`NOPERM`) breaks redis-rs's count of the replies (measured: a panic in its
    /// connection task in a debug build).
    async fn transactions_allowed(
        &self,
        c: &mut redis::aio::MultiplexedConnection,
    ) -> Result<Transactions, BrokerError> {
        let endpoint = &self.config.endpoint;
        let mut refused = false;
        let multi = redis::cmd("MULTI");
        let opened = multi
            .query_async::<()>(c)
            .await
            .inspect_err(|e| refused = is_no_permission(e));
        match endpoint.bounded(Step::Connect, async { opened }).await {
            Ok(()) => {}
            Err(_) if refused => return Ok(Transactions::Refused),
            Err(e) => return Err(e),
        }
        let exec = redis::cmd("EXEC");
        let run = exec.query_async::<redis::Value>(c);
        match endpoint.bounded(Step::Connect, run).await {
            Ok(_) => Ok(Transactions::Allowed),
            Err(_) => Ok(Transactions::Stuck),
        }
    }

    /// Runs a pipeline; a failure drops the connection, so the next call connects again.
    async fn run(&mut self, pipe: redis::Pipeline) -> Result<(), BrokerError> {
        self.run_checked(pipe).await.map_err(|(e, _)| e)
    }

    /// [`RedisPublisher::run`], saying whether the failure was a permission refused
    /// (`NOPERM`, possibly inside an `EXECABORT`), which leaves the connection usable.
    async fn run_checked(&mut self, pipe: redis::Pipeline) -> Result<(), (BrokerError, bool)> {
        let mut c = self.connection().await.map_err(|e| (e, false))?;
        let mut refused = false;
        let query = async {
            pipe.query_async::<()>(&mut c).await.inspect_err(|e| {
                refused = is_no_permission(e);
            })
        };
        let result = self.config.endpoint.bounded(Step::Publish, query).await;
        if result.is_err() && !refused {
            self.connection = None;
        }
        result.map_err(|e| (e, refused))
    }

    /// Publishes `payload` on each channel, and does `key` to its presence key when
    /// presence keys are configured, in one `MULTI`/`EXEC` round trip: the key is set
    /// only if the publish is, so a key never outlives a publish that failed.
    async fn publish_on(
        &mut self,
        channels: &[String],
        payload: &[u8],
        key: Key,
    ) -> Result<(), BrokerError> {
        let keys = self.config.presence_keys && !self.keys_refused;
        let mut pipe = redis::pipe();
        if keys && !matches!(key, Key::Keep) {
            pipe.atomic();
        }
        for channel in channels {
            pipe.publish(channel, payload).ignore();
            if !keys {
                continue;
            }
            match key {
                Key::Set(ttl) => {
                    let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
                    pipe.pset_ex(channel, payload, millis.max(1)).ignore();
                }
                Key::Delete => {
                    pipe.del(channel).ignore();
                }
                Key::Keep => {}
            }
        }
        match self.run_checked(pipe).await {
            Ok(()) => Ok(()),
            // An ACL without the keys' commands: the messages go without them.
            Err((_, true)) if keys => {
                self.keys_refused = true;
                let mut plain = redis::pipe();
                for channel in channels {
                    plain.publish(channel, payload).ignore();
                }
                self.run(plain).await
            }
            Err((e, _)) => Err(e),
        }
    }

    /// Publishes a liveness record on its channel in each configured convention, built
    /// from its `service_name`, and keeps its presence key when configured (time to live:
    /// the factor times the record interval).
    pub async fn publish_record(&mut self, record: &Record<'_>) -> Result<(), BrokerError> {
        let channels: Vec<String> = self
            .config
            .conventions
            .iter()
            .map(|&c| record.service_name().channel(c))
            .collect();
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        record.encode(&mut buf);
        let ttl = self
            .config
            .record_interval
            .saturating_mul(self.config.ttl_factor);
        let result = self.publish_on(&channels, &buf, Key::Set(ttl)).await;
        self.buf = buf;
        result
    }

    /// Publishes raw bytes on any channel, with no presence key: for tests and tools.
    pub async fn publish_raw(&mut self, channel: &str, payload: &[u8]) -> Result<(), BrokerError> {
        let mut pipe = redis::pipe();
        pipe.publish(channel, payload).ignore();
        self.run(pipe).await
    }
}

impl RedisPublisher {
    /// Publishes a Reventless command envelope (its JSON, any dialect) on the extension
    /// point's command channel `command.<point>`; no presence key.
    pub async fn publish_command(
        &mut self,
        point: &ExtensionPoint<'_>,
        envelope: &[u8],
    ) -> Result<(), BrokerError> {
        self.publish_raw(&point.address(), envelope).await
    }
}

impl AsyncPublish for RedisPublisher {
    type Error = BrokerError;

    /// Publishes beatit text on the channel named after the subject, and keeps its
    /// presence key when configured: set with a time to live after `start`, `beat` and
    /// `degraded`, deleted after `stop`, untouched by a payload that is not a signal.
    async fn publish(&mut self, subject: &Subject<'_>, payload: &[u8]) -> Result<(), BrokerError> {
        let key = match Signal::decode(payload) {
            Ok(signal) => key_ttl(signal, self.config.ttl_factor).map_or(Key::Delete, Key::Set),
            Err(_) => Key::Keep,
        };
        let channels = [subject.as_str().to_owned()];
        self.publish_on(&channels, payload, key).await
    }
}

impl AsyncPublishRecord for RedisPublisher {
    type Error = BrokerError;

    /// [`RedisPublisher::publish_record`]: the record on its channel in each configured
    /// convention, with its presence key when configured.
    async fn publish_record(&mut self, record: &Record<'_>) -> Result<(), BrokerError> {
        RedisPublisher::publish_record(self, record).await
    }
}

/// Every message on the channels of `spec/transports.md` §3, decoded; see the
/// [crate docs](crate).
///
/// A task of its own reads the subscription, holds what the reader has not taken yet
/// (bounded, each message beyond counted as lost), and connects and subscribes again
/// whenever the connection ends; it ends when the subscriber is dropped.
pub struct RedisSubscriber {
    config: RedisConfig,
    client: redis::Client,
    inbox: inbox::Receiver<redis::Msg>,
    task: JoinHandle<()>,
}

impl fmt::Debug for RedisSubscriber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisSubscriber")
            .field("config", &self.config)
            .field("health", &self.health().status())
            .finish_non_exhaustive()
    }
}

impl RedisSubscriber {
    /// Connects and subscribes to [`PATTERNS`]; returns once the server has confirmed
    /// the subscriptions, so nothing published after it is missed. Needs a Tokio
    /// runtime (the subscription is read by a task of its own).
    pub async fn connect(config: &RedisConfig) -> Result<RedisSubscriber, BrokerError> {
        let client = config.client()?;
        let stream = subscribe(config, &client).await?;
        let health = config.endpoint.health();
        health.connected(SystemClock.now());
        let (tx, inbox) = inbox::inbox(config.capacity, MAX_HELD_BYTES, health.clone());
        let task = tokio::spawn(follow(config.clone(), client.clone(), stream, tx));
        Ok(RedisSubscriber {
            config: config.clone(),
            client,
            inbox,
            task,
        })
    }

    /// Where this subscriber reports its connection and its losses.
    pub fn health(&self) -> &LinkHealth {
        self.config.endpoint.health()
    }

    /// The next message, decoded. Never ends (`None` only if the subscriber's task
    /// panicked): when the connection is lost its task connects and subscribes again
    /// and it goes on.
    pub async fn next(&mut self) -> Option<Result<Delivery, Invalid>> {
        StreamExt::next(self).await
    }

    /// Who is alive now, by the presence keys (`spec/transports.md` §3.3): every key
    /// named like a channel of §3, read with `SCAN` and `GET` on a connection of its own
    /// and decoded as if it had been published on that channel. A key that expires
    /// between the scan and the read is left out.
    pub async fn present(&self) -> Result<Vec<Result<Delivery, Invalid>>, BrokerError> {
        let mut c = self.config.connection(&self.client).await?;
        let mut keys: Vec<Vec<u8>> = Vec::new();
        for pattern in PATTERNS {
            let scan = async {
                let mut iter = c.scan_match::<_, Vec<u8>>(pattern).await?;
                let mut keys = Vec::new();
                while let Some(key) = iter.next().await {
                    keys.push(key?);
                }
                Ok::<_, redis::RedisError>(keys)
            };
            keys.extend(self.config.endpoint.bounded(Step::Read, scan).await?);
        }
        let mut found = Vec::with_capacity(keys.len());
        for key in keys {
            let value: Option<Vec<u8>> = self
                .config
                .endpoint
                .bounded(Step::Read, c.get(&key))
                .await?;
            if let Some(value) = value {
                found.push(transport::decode_redis(&key, &value));
            }
        }
        Ok(found)
    }
}

impl Drop for RedisSubscriber {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Stream for RedisSubscriber {
    type Item = Result<Delivery, Invalid>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inbox.poll_pop(cx).map(|msg| {
            let msg = msg?;
            let channel: Vec<u8> = msg.get_channel().unwrap_or_default();
            Some(transport::decode_redis(&channel, msg.get_payload_bytes()))
        })
    }
}

impl Subscriber for RedisSubscriber {
    fn health(&self) -> &LinkHealth {
        RedisSubscriber::health(self)
    }
}

/// The subscriber's task: hands every message to the inbox, reports the connection, and
/// connects and subscribes again whenever the connection ends, until the reader is gone.
async fn follow(
    config: RedisConfig,
    client: redis::Client,
    mut stream: redis::aio::PubSubStream,
    inbox: inbox::Sender<redis::Msg>,
) {
    let mut backoff = Backoff::new();
    loop {
        let up = tokio::time::Instant::now();
        while let Some(msg) = stream.next().await {
            let size = msg.get_payload_bytes().len() + msg.get_channel_name().len();
            if inbox.push(msg, size).is_err() {
                return;
            }
        }
        let again = config.endpoint.reconnect(
            &mut backoff,
            up.elapsed(),
            || inbox.is_closed(),
            || subscribe(&config, &client),
        );
        match again.await {
            Some(again) => stream = again,
            None => return,
        }
    }
}

async fn subscribe(
    config: &RedisConfig,
    client: &redis::Client,
) -> Result<redis::aio::PubSubStream, BrokerError> {
    let mut pubsub = config
        .endpoint
        .bounded(Step::Connect, client.get_async_pubsub())
        .await?;
    for pattern in PATTERNS {
        config
            .endpoint
            .bounded(Step::Subscribe, pubsub.psubscribe(pattern))
            .await?;
    }
    for point in &config.points {
        config
            .endpoint
            .bounded(Step::Subscribe, pubsub.subscribe(point.address()))
            .await?;
    }
    Ok(pubsub.into_on_message())
}
