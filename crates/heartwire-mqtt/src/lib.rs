//! # heartwire-mqtt
//!
//! beatit heartbeats over MQTT 3.1.1 (`spec/transports.md` §4): topic
//! `heartbeat/<tokens>` (the dots of a process name become topic levels), and per
//! publisher a retained presence on `heartbeat-presence/<tokens>`: `online` when it
//! connects (the birth), `offline` published by the broker when the connection ends
//! without a clean disconnect (the Last Will), `stopped` before a clean disconnect. A
//! crash is thereby seen at once, and is not a `stop` (§4.3 there).
//!
//! - [`MqttPublisher`] speaks for one process (the will is per connection): for its
//!   whole life with a birth and a Will ([`MqttPublisher::connect`], a heart or
//!   `heartwire run`), or for one signal without either
//!   ([`PresenceMode::OneShot`], `heartwire beat`), so that no retained `online`
//!   outlives a publisher whose clean disconnect fires no Will. It
//!   implements [`heartwire_publish::AsyncPublish`], so an
//!   [`AsyncHeart`](heartwire_publish::heart::AsyncHeart) publishes through it unchanged. Each
//!   publish is QoS 1 and returns once the broker's `PUBACK` arrives, or an error when
//!   the client is disconnected, no `PUBACK` comes within the timeout, or the message
//!   would be a packet over [`MAX_PACKET_SIZE`] (which no subscriber of this crate could
//!   read).
//! - [`MqttSubscriber`] yields every message on `heartbeat/#` and
//!   `heartbeat-presence/#` decoded as a [`Delivery`] (beatit text, or a
//!   [`Presence`]), or as an [`Invalid`] with the raw payload and the decode error.
//!
//! The client's event loop is polled without pause by a task of each publisher and
//! subscriber (nothing is sent otherwise), which reconnects after a broker restart
//! (forever, with a delay from [`Backoff`] between attempts, at most a second),
//! publishes the birth again and subscribes again. Both need a Tokio runtime.
//! Credentials in the URL (percent-encoded or not) never appear in an error or in the
//! [`MqttConfig`]'s `Debug`. Errors are [`BrokerError`]s and [`MqttSubscriber`] is a
//! [`Subscriber`], as in the other adapters (`heartwire-broker`).
//!
//! ## Limits, and what the subscriber counts
//!
//! Nothing is lost silently on the way in (`spec/transports.md` §4.5). The subscriber
//! reports into its [`LinkHealth`] ([`MqttConfig::health`]):
//!
//! - the connection: up once the broker has acknowledged the subscriptions, down as soon
//!   as the event loop reports an error;
//! - [`Loss::Oversized`]: the client reads packets of up to [`MAX_PACKET_SIZE`] (1 MiB),
//!   so any message far over the text limits is read and reported as an [`Invalid`] on
//!   its topic, with the connection kept. A packet over it cannot be skipped: the client
//!   ends the connection at its header, the subscriber counts one message lost and
//!   connects again at once;
//! - [`Loss::Overflow`]: the event loop never waits for the reader (a loop that waited
//!   would stop reading, and the broker would then drop what it queues for the
//!   subscriber beyond its own limit, Mosquitto's `max_queued_messages`, unseen), so the
//!   subscriber holds at most [`DEFAULT_SUBSCRIPTION_CAPACITY`] messages (see
//!   [`MqttConfig::subscription_capacity`]) and [`MAX_HELD_BYTES`] bytes that the reader
//!   has not taken yet; each message beyond is dropped and counted.
//!
//! ## Usage
//!
//! ```no_run
//! use heartwire_publish::heart::AsyncHeart;
//! use heartwire::text::{Process, Seconds};
//! use heartwire::transport::{Content, Presence};
//! use heartwire_mqtt::{MqttConfig, MqttPublisher, MqttSubscriber};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = MqttConfig::new("mqtt://127.0.0.1:1883");
//! let mut subscriber = MqttSubscriber::connect(&config).await?;
//!
//! let process = Process::new("billing.worker-1")?;
//! let mut heart = AsyncHeart::new(&process, MqttPublisher::connect(&config, &process).await?);
//! heart.start(Seconds::from_secs(60).ok_or("zero")?).await?;
//!
//! while let Some(item) = subscriber.next().await {
//!     match item {
//!         Ok(delivery) => match delivery.content {
//!             Content::Text(message) => println!("{message}"),
//!             Content::Presence { process, presence: Presence::Offline, .. } => {
//!                 println!("{process} crashed")
//!             }
//!             other => println!("{other:?}"),
//!         },
//!         Err(invalid) => eprintln!("{invalid}"),
//!     }
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
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{Stream, StreamExt};

use heartwire::text::{Process, Subject};
use heartwire::time::{SystemClock, WallClock};
use heartwire::transport::{
    self, Delivery, ExtensionPoint, Invalid, MQTT_FILTER, MQTT_PRESENCE_FILTER, Presence,
    mqtt_command_topic, mqtt_presence_topic, mqtt_topic,
};
use heartwire_broker::{Backoff, Broker, Endpoint, Subscriber, UserInfo, inbox, split_user_info};
use heartwire_publish::AsyncPublish;
use rumqttc::{
    AsyncClient, ConnectionError, Event, EventLoop, LastWill, MqttOptions, Packet, QoS, StateError,
};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub use heartwire::transport::{Content, DecodeError, Origin};
pub use heartwire_broker::{
    BrokerError, DEFAULT_SUBSCRIPTION_CAPACITY, DEFAULT_TIMEOUT, Fault, LinkHealth, LinkStatus,
    Loss, Step,
};

/// The keep-alive by default: the broker publishes the will of a publisher silent for
/// 1.5 times it.
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(5);

/// The default port of `mqtt://` URLs.
pub const DEFAULT_PORT: u16 = 1883;

/// The largest packet a publisher sends or a subscriber reads, in bytes: 1 MiB
/// (`spec/transports.md` §4.5). Far above any valid message (a beatit subject and
/// payload are a few hundred bytes), so that an invalid message of any sensible size is
/// read and reported on its topic; the client library's own default, 10 KiB, ended the
/// connection at the first message over it. A packet over this limit cannot be skipped
/// by the client: the subscriber counts it as [`Loss::Oversized`] and connects again.
pub const MAX_PACKET_SIZE: usize = 1 << 20;

/// The most topic and payload bytes a subscriber holds for a reader that has not taken
/// them yet: 64 MiB (64 messages of [`MAX_PACKET_SIZE`]). A message alone is always
/// held.
pub const MAX_HELD_BYTES: usize = 64 << 20;

/// Where and how to connect. Its `Debug` shows the URL without credentials.
#[derive(Debug, Clone)]
pub struct MqttConfig {
    endpoint: Endpoint,
    keep_alive: Duration,
    client_id: Option<String>,
    capacity: usize,
    /// The extension points whose command topics a subscriber also takes.
    points: Vec<ExtensionPoint<'static>>,
}

impl MqttConfig {
    /// A configuration for a broker URL: `mqtt://[user[:password]@]host[:port]`.
    pub fn new(url: impl Into<String>) -> MqttConfig {
        MqttConfig {
            endpoint: Endpoint::new(Broker::Mqtt, url),
            keep_alive: DEFAULT_KEEP_ALIVE,
            client_id: None,
            capacity: DEFAULT_SUBSCRIPTION_CAPACITY,
            points: vec![ExtensionPoint::default()],
        }
    }

    /// The extension points whose Reventless command envelopes a subscriber also
    /// receives, on `command/<levels>` (`spec/transports.md` §1.7); `Platform.Plugin`
    /// by default, none when empty.
    #[must_use]
    pub fn extension_points(
        mut self,
        points: impl IntoIterator<Item = ExtensionPoint<'static>>,
    ) -> MqttConfig {
        self.points = points.into_iter().collect();
        self
    }

    /// Where a subscriber connected with this configuration reports its connection and
    /// its losses (a fresh [`LinkHealth`] by default; pass a clone to read it from
    /// elsewhere).
    #[must_use]
    pub fn health(mut self, health: LinkHealth) -> MqttConfig {
        self.endpoint.set_health(health);
        self
    }

    /// How many received messages a subscriber may hold for a reader that has not taken
    /// them yet ([`DEFAULT_SUBSCRIPTION_CAPACITY`], at least 1); each message beyond is
    /// dropped and counted as lost.
    #[must_use]
    pub fn subscription_capacity(mut self, capacity: usize) -> MqttConfig {
        self.capacity = capacity.max(1);
        self
    }

    /// How long connecting and each `PUBACK` may take ([`DEFAULT_TIMEOUT`]).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> MqttConfig {
        self.endpoint.set_timeout(timeout);
        self
    }

    /// The keep-alive ([`DEFAULT_KEEP_ALIVE`]); at least one second (the client panics
    /// below it).
    #[must_use]
    pub fn keep_alive(mut self, keep_alive: Duration) -> MqttConfig {
        self.keep_alive = keep_alive.max(Duration::from_secs(1));
        self
    }

    /// The client id; by default one unique to the process and connection.
    #[must_use]
    pub fn client_id(mut self, id: impl Into<String>) -> MqttConfig {
        self.client_id = Some(id.into());
        self
    }

    /// The URL without credentials.
    pub fn redacted_url(&self) -> String {
        self.endpoint.redacted_url()
    }

    fn options(&self, role: &str) -> Result<MqttOptions, BrokerError> {
        let bad = |reason: &str| self.endpoint.bad_url(reason);
        let url = self.endpoint.url().secret();
        let rest = url
            .strip_prefix("mqtt://")
            .or_else(|| url.strip_prefix("tcp://"))
            .ok_or_else(|| bad("expected the scheme mqtt://"))?;
        let (credentials, rest) = split_user_info(rest);
        let host_port = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        let (host, port) = match host_port.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => (
                host,
                port.parse::<u16>()
                    .map_err(|_| bad("expected a port number after ':'"))?,
            ),
            _ => (host_port, DEFAULT_PORT),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(bad("expected a host"));
        }
        let id = self.client_id.clone().unwrap_or_else(|| unique_id(role));
        let mut options = MqttOptions::new(id, host, port);
        options.set_keep_alive(self.keep_alive.max(Duration::from_secs(1)));
        // Clean session: what was queued for a connection that ended is not redelivered
        // (an oversized packet would come back on every connection).
        options.set_clean_session(true);
        options.set_max_packet_size(MAX_PACKET_SIZE, MAX_PACKET_SIZE);
        if let Some(UserInfo { user, password }) = credentials {
            options.set_credentials(user, password.unwrap_or_default());
        }
        Ok(options)
    }
}

/// A client id unique to this process and call, within MQTT 3.1.1's 23 bytes.
fn unique_id(role: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("hw{role}{:x}{n:x}{:x}", std::process::id(), nanos % 0xfffff)
}

/// The connection as the event loop task sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Link {
    /// Connecting, with the last error (redacted) if an attempt failed.
    Connecting(Option<String>),
    /// Connected (and, for a subscriber, subscribed).
    Up,
}

/// Whether the event loop failed on a packet over [`MAX_PACKET_SIZE`] (the client stops
/// reading at its header and ends the connection).
fn oversized(e: &ConnectionError) -> bool {
    matches!(
        e,
        ConnectionError::MqttState(StateError::Deserialization(
            rumqttc::mqttbytes::Error::PayloadSizeLimitExceeded(_)
        ))
    )
}

/// Polls `events` until the task is aborted; `on_event` sees every event and says
/// whether the link is up, `on_error` every error. A failed poll is retried (which is
/// how the client reconnects) at once after a connection that lasted, otherwise after a
/// delay from [`Backoff`].
fn spawn_loop<F, G>(
    mut events: EventLoop,
    endpoint: Endpoint,
    link: watch::Sender<Link>,
    mut on_event: F,
    mut on_error: G,
) -> JoinHandle<()>
where
    F: FnMut(Event, &watch::Sender<Link>) + Send + 'static,
    G: FnMut(&ConnectionError) + Send + 'static,
{
    tokio::spawn(async move {
        let mut backoff = Backoff::new();
        let mut up_since = None;
        loop {
            match events.poll().await {
                Ok(event) => {
                    on_event(event, &link);
                    if up_since.is_none() && *link.borrow() == Link::Up {
                        up_since = Some(tokio::time::Instant::now());
                    }
                }
                Err(e) => {
                    on_error(&e);
                    let reason = endpoint.url().scrub(&e.to_string());
                    link.send_replace(Link::Connecting(Some(reason)));
                    // A connection that lasted starts the delays over; one that failed at
                    // once (a retained oversized message, say) waits like a failed attempt.
                    let lasted = up_since
                        .take()
                        .is_some_and(|t: tokio::time::Instant| t.elapsed() >= Backoff::MAX);
                    if lasted {
                        backoff.reset();
                    } else {
                        tokio::time::sleep(backoff.next_delay()).await;
                    }
                }
            }
        }
    })
}

/// Waits until the task says the link is up, or fails with its last error.
async fn wait_up(config: &MqttConfig, link: &mut watch::Receiver<Link>) -> Result<(), BrokerError> {
    let endpoint = &config.endpoint;
    let up = tokio::time::timeout(endpoint.timeout(), async {
        link.wait_for(|l| *l == Link::Up).await.map(drop)
    })
    .await;
    match up {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(_)) => Err(endpoint.error(Step::Connect, Fault::Closed)),
        Err(_) => Err(match &*link.borrow() {
            // Scrubbed already.
            Link::Connecting(Some(reason)) => endpoint.cannot_connect(reason),
            _ => {
                endpoint.cannot_connect(&format_args!("no CONNACK within {:?}", endpoint.timeout()))
            }
        }),
    }
}

/// Whether a publisher's connection speaks for its process's presence
/// (`spec/transports.md` §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresenceMode {
    /// For the life of the process (a heart, `heartwire run`): the birth `online` on
    /// every connection and the Last Will `offline`, both retained.
    Lasting,
    /// For a moment (`heartwire beat`): no birth and no Will, so that a connection that
    /// only sends a signal or two leaves no retained `online` behind; only its goodbye
    /// after `stop` ([`MqttPublisher::disconnect`]) sets the presence, to `stopped`.
    OneShot,
}

/// Publishes one process's beatit text, with its birth and Last Will; see the
/// [crate docs](crate).
#[derive(Debug)]
pub struct MqttPublisher {
    client: AsyncClient,
    acks: mpsc::UnboundedReceiver<u16>,
    link: watch::Receiver<Link>,
    task: JoinHandle<()>,
    presence_topic: String,
    endpoint: Endpoint,
}

impl MqttPublisher {
    /// Connects as the publisher of `process` for its whole life, with its Last Will
    /// (`offline`, retained, QoS 1), and publishes its birth (`online`, retained) on
    /// every connection ([`PresenceMode::Lasting`]).
    pub async fn connect(
        config: &MqttConfig,
        process: &Process<'_>,
    ) -> Result<MqttPublisher, BrokerError> {
        MqttPublisher::connect_with(config, process, PresenceMode::Lasting).await
    }

    /// Connects as the publisher of `process`, with or without a presence
    /// ([`PresenceMode`]).
    pub async fn connect_with(
        config: &MqttConfig,
        process: &Process<'_>,
        mode: PresenceMode,
    ) -> Result<MqttPublisher, BrokerError> {
        let lasting = mode == PresenceMode::Lasting;
        MqttPublisher::connect_as(config, Some(mqtt_presence_topic(process)), lasting).await
    }

    /// Connects without a presence: no Last Will, no birth, and no goodbye. For a
    /// publisher that speaks for no process, such as one sending a Reventless command
    /// envelope ([`MqttPublisher::publish_command`]), whose plugin's liveness is its
    /// commands.
    pub async fn connect_without_presence(
        config: &MqttConfig,
    ) -> Result<MqttPublisher, BrokerError> {
        MqttPublisher::connect_as(config, None, false).await
    }

    /// Connects with the presence topic `presence` (none for a publisher that speaks
    /// for no process); with its birth and Will when `lasting`.
    async fn connect_as(
        config: &MqttConfig,
        presence: Option<String>,
        lasting: bool,
    ) -> Result<MqttPublisher, BrokerError> {
        let mut options = config.options("p")?;
        let birth = match &presence {
            Some(topic) if lasting => {
                options.set_last_will(LastWill::new(
                    topic.clone(),
                    Presence::Offline.as_str(),
                    QoS::AtLeastOnce,
                    true,
                ));
                Some(topic.clone())
            }
            _ => None,
        };
        let presence_topic = presence.unwrap_or_default();
        let (client, events) = AsyncClient::new(options, 64);
        let (link_tx, mut link) = watch::channel(Link::Connecting(None));
        let (ack_tx, acks) = mpsc::unbounded_channel();
        let birth = birth.map(|topic| (client.clone(), topic));
        let on_event = move |event, link: &watch::Sender<Link>| {
            match event {
                Event::Incoming(Packet::ConnAck(_)) => {
                    // QoS 0, so that every PUBACK answers a publish of `publish`.
                    if let Some((client, topic)) = &birth {
                        let _ = client.try_publish(
                            topic.clone(),
                            QoS::AtMostOnce,
                            true,
                            Presence::Online.as_str(),
                        );
                    }
                    link.send_replace(Link::Up);
                }
                Event::Incoming(Packet::PubAck(ack)) => {
                    let _ = ack_tx.send(ack.pkid);
                }
                _ => {}
            }
        };
        let task = spawn_loop(events, config.endpoint.clone(), link_tx, on_event, |_| {});
        let publisher = MqttPublisher {
            client,
            acks,
            link: link.clone(),
            task,
            presence_topic,
            endpoint: config.endpoint.clone(),
        };
        wait_up(config, &mut link).await?;
        Ok(publisher)
    }

    /// The presence topic of this publisher's process (empty for a publisher without
    /// presence).
    pub fn presence_topic(&self) -> &str {
        &self.presence_topic
    }

    /// Publishes `payload` on `topic` at QoS 1 and waits for its `PUBACK`.
    pub async fn send(
        &mut self,
        topic: &str,
        payload: &[u8],
        retain: bool,
    ) -> Result<(), BrokerError> {
        let fault = |fault| self.endpoint.error(Step::Publish, fault);
        // Fixed header (at most 5 bytes), topic length, topic, packet id, payload.
        let size = 5 + 2 + topic.len() + 2 + payload.len();
        if size > MAX_PACKET_SIZE {
            // The client would end the connection on it, and no subscriber could read it.
            return Err(fault(Fault::TooLarge {
                size,
                max: MAX_PACKET_SIZE,
            }));
        }
        if *self.link.borrow() != Link::Up {
            return Err(fault(Fault::Disconnected));
        }
        // Acknowledgements of publishes that timed out earlier are not this one's.
        while self.acks.try_recv().is_ok() {}
        self.client
            .publish(topic, QoS::AtLeastOnce, retain, payload)
            .await
            .map_err(|_| fault(Fault::Closed))?;
        match tokio::time::timeout(self.endpoint.timeout(), self.acks.recv()).await {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(fault(Fault::Closed)),
            Err(_) => Err(fault(Fault::Timeout(self.endpoint.timeout()))),
        }
    }

    /// Disconnects cleanly and waits (at most the timeout) until the event loop has
    /// sent the `DISCONNECT`.
    async fn disconnected(&self) -> Result<(), BrokerError> {
        self.client
            .disconnect()
            .await
            .map_err(|_| self.endpoint.error(Step::Close, Fault::Closed))?;
        let mut link = self.link.clone();
        let gone = link.wait_for(|l| *l != Link::Up);
        let _ = tokio::time::timeout(self.endpoint.timeout(), gone).await;
        Ok(())
    }

    /// Publishes a Reventless command envelope (its JSON, any dialect) on the extension
    /// point's command topic `command/<levels>`, QoS 1, not retained (a retained
    /// heartbeat would look fresh to a monitor that subscribes an hour later).
    pub async fn publish_command(
        &mut self,
        point: &ExtensionPoint<'_>,
        envelope: &[u8],
    ) -> Result<(), BrokerError> {
        self.send(&mqtt_command_topic(point), envelope, false).await
    }

    /// A clean goodbye: publishes `stopped` (retained) on the presence topic, so the
    /// broker's will is not needed, then disconnects. Send the heart's `stop` first.
    /// A publisher without presence ([`MqttPublisher::connect_without_presence`]) only
    /// disconnects.
    pub async fn disconnect(mut self) -> Result<(), BrokerError> {
        let topic = self.presence_topic.clone();
        if !topic.is_empty() {
            self.send(&topic, Presence::Stopped.as_str().as_bytes(), true)
                .await?;
        }
        self.disconnected().await
    }

    /// A failed end: publishes `offline` (retained, QoS 1) on the presence topic, as the
    /// broker's will would, then disconnects cleanly. For a job that failed: it went
    /// away without a `stop`, which a monitor reads as dead at once (§4.3).
    pub async fn fail(mut self) -> Result<(), BrokerError> {
        let topic = self.presence_topic.clone();
        if !topic.is_empty() {
            self.send(&topic, Presence::Offline.as_str().as_bytes(), true)
                .await?;
        }
        self.disconnected().await
    }

    /// A clean disconnect without a goodbye: the broker does not publish the will, and the
    /// retained presence stays as it was. For a [`PresenceMode::OneShot`] publisher that
    /// sent a beat: its beats' own deadlines say how long it is alive.
    pub async fn close(self) -> Result<(), BrokerError> {
        self.disconnected().await
    }
}

impl Drop for MqttPublisher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl AsyncPublish for MqttPublisher {
    type Error = BrokerError;

    /// Publishes on the topic of the subject's process (`heartbeat/<tokens>`), QoS 1,
    /// not retained.
    async fn publish(&mut self, subject: &Subject<'_>, payload: &[u8]) -> Result<(), BrokerError> {
        let topic = mqtt_topic(&subject.process());
        self.send(&topic, payload, false).await
    }
}

/// Every message on `heartbeat/#` and `heartbeat-presence/#`, decoded; see the
/// [crate docs](crate).
pub struct MqttSubscriber {
    inbox: inbox::Receiver<rumqttc::Publish>,
    health: LinkHealth,
    task: JoinHandle<()>,
}

impl fmt::Debug for MqttSubscriber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MqttSubscriber")
            .field("health", &self.health.status())
            .finish_non_exhaustive()
    }
}

impl MqttSubscriber {
    /// Connects and subscribes (QoS 1); returns once the broker has acknowledged the
    /// subscription, so nothing published after it is missed. Retained presence comes
    /// first.
    pub async fn connect(config: &MqttConfig) -> Result<MqttSubscriber, BrokerError> {
        let options = config.options("s")?;
        let (client, events) = AsyncClient::new(options, 64);
        let (link_tx, mut link) = watch::channel(Link::Connecting(None));
        let health = config.endpoint.health().clone();
        let (tx, inbox) = inbox::inbox(config.capacity, MAX_HELD_BYTES, health.clone());
        let mut topics: Vec<String> = [MQTT_FILTER, MQTT_PRESENCE_FILTER]
            .map(str::to_owned)
            .into();
        topics.extend(config.points.iter().map(mqtt_command_topic));
        let on_event = {
            let health = health.clone();
            move |event, link: &watch::Sender<Link>| match event {
                Event::Incoming(Packet::ConnAck(_)) => {
                    // Clean session: subscribe again on every connection.
                    let filters = topics
                        .iter()
                        .map(|f| rumqttc::SubscribeFilter::new(f.clone(), QoS::AtLeastOnce));
                    let _ = client.try_subscribe_many(filters);
                }
                Event::Incoming(Packet::SubAck(_)) => {
                    health.connected(SystemClock.now());
                    link.send_replace(Link::Up);
                }
                Event::Incoming(Packet::Publish(p)) => {
                    // Never waits for the reader: a loop that stopped reading would leave
                    // the broker to drop what it queues beyond its limit, unseen.
                    let size = p.topic.len() + p.payload.len();
                    let _ = tx.push(p, size);
                }
                _ => {}
            }
        };
        let on_error = {
            let health = health.clone();
            move |e: &ConnectionError| {
                health.disconnected(SystemClock.now());
                if oversized(e) {
                    health.lost(Loss::Oversized, 1);
                }
            }
        };
        let task = spawn_loop(events, config.endpoint.clone(), link_tx, on_event, on_error);
        let subscriber = MqttSubscriber {
            inbox,
            health,
            task,
        };
        wait_up(config, &mut link).await?;
        Ok(subscriber)
    }

    /// Where this subscriber reports its connection and its losses.
    pub fn health(&self) -> &LinkHealth {
        &self.health
    }

    /// The next message, decoded; `None` only if the event loop task has ended.
    pub async fn next(&mut self) -> Option<Result<Delivery, Invalid>> {
        StreamExt::next(self).await
    }
}

impl Stream for MqttSubscriber {
    type Item = Result<Delivery, Invalid>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inbox.poll_pop(cx).map(|p| {
            let p = p?;
            Some(transport::decode_mqtt_retained(
                &p.topic, &p.payload, p.retain,
            ))
        })
    }
}

impl Subscriber for MqttSubscriber {
    fn health(&self) -> &LinkHealth {
        &self.health
    }
}

impl Drop for MqttSubscriber {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_escapes_are_decoded_and_a_raw_percent_is_kept() {
        let decode = heartwire_broker::percent_decode;
        assert_eq!(decode("pa%2Fss%40x%3a"), "pa/ss@x:");
        assert_eq!(decode("C0l%P3t%"), "C0l%P3t%");
        assert_eq!(decode("100%25"), "100%");
    }

    #[test]
    fn the_user_information_ends_at_the_last_at_sign() {
        let config = MqttConfig::new("mqtt://u:pa/ss#x?y@z@127.0.0.1:1884").client_id("c");
        let options = match config.options("s") {
            Ok(o) => o,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(options.broker_address(), ("127.0.0.1".to_owned(), 1884));
        assert_eq!(
            options.credentials(),
            Some(rumqttc::Login::new("u", "pa/ss#x?y@z"))
        );
        assert_eq!(options.max_packet_size(), MAX_PACKET_SIZE);
        let encoded = MqttConfig::new("mqtt://u:pa%2Fss%23x@localhost").options("s");
        assert_eq!(
            encoded.ok().and_then(|o| o.credentials()),
            Some(rumqttc::Login::new("u", "pa/ss#x"))
        );
    }
}
