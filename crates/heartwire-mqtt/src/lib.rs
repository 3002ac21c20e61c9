//! # heartwire-mqtt
//!
//! beatit heartbeats over MQTT 3.1.1 (`spec/transports.md` §4): topic
//! `heartbeat/<tokens>` (the dots of a process name become topic levels), and per
//! publisher a retained presence on `heartbeat-presence/<tokens>`: `online` when it
//! connects (the birth), `offline` published by the broker when the connection ends
//! without a clean disconnect (the Last Will), `stopped` before a clean disconnect. A
//! crash is thereby seen at once, and is not a `stop` (§4.3 there).
//!
//! - [`MqttPublisher`] speaks for one process (the will is per connection) and
//!   implements [`heartwire::heart::AsyncPublish`], so an
//!   [`AsyncHeart`](heartwire::heart::AsyncHeart) publishes through it unchanged. Each
//!   publish is QoS 1 and returns once the broker's `PUBACK` arrives, or an error when
//!   the client is disconnected or no `PUBACK` comes within the timeout.
//! - [`MqttSubscriber`] yields every message on `heartbeat/#` and
//!   `heartbeat-presence/#` decoded as a [`Delivery`] (beatit text, or a
//!   [`Presence`]), or as an [`Invalid`] with the raw payload and the decode error.
//!
//! The client's event loop is polled without pause by a task of each publisher and
//! subscriber (nothing is sent otherwise), which reconnects after a broker restart,
//! publishes the birth again and subscribes again. Both need a Tokio runtime. Credentials
//! in the URL never appear in an error or in the [`MqttConfig`]'s `Debug`.
//!
//! ## Usage
//!
//! ```no_run
//! use heartwire::heart::AsyncHeart;
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
//! The minimum supported Rust version is 1.88 (the `rust-version` of the workspace).
#![forbid(unsafe_code)]

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use heartwire::heart::AsyncPublish;
use heartwire::text::{Process, Subject};
use heartwire::transport::{
    self, Delivery, Invalid, MQTT_FILTER, MQTT_PRESENCE_FILTER, Presence, mqtt_presence_topic,
    mqtt_topic,
};
use rumqttc::{AsyncClient, Event, EventLoop, LastWill, MqttOptions, Packet, QoS};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub use heartwire::transport::{Content, DecodeError, Origin};

/// How long connecting and each publish's `PUBACK` may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The keep-alive by default: the broker publishes the will of a publisher silent for
/// 1.5 times it.
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(5);

/// The default port of `mqtt://` URLs.
pub const DEFAULT_PORT: u16 = 1883;

/// Where and how to connect. Its `Debug` shows the URL without credentials.
#[derive(Clone)]
pub struct MqttConfig {
    url: String,
    timeout: Duration,
    keep_alive: Duration,
    client_id: Option<String>,
}

impl MqttConfig {
    /// A configuration for a broker URL: `mqtt://[user[:password]@]host[:port]`.
    pub fn new(url: impl Into<String>) -> MqttConfig {
        MqttConfig {
            url: url.into(),
            timeout: DEFAULT_TIMEOUT,
            keep_alive: DEFAULT_KEEP_ALIVE,
            client_id: None,
        }
    }

    /// How long connecting and each `PUBACK` may take ([`DEFAULT_TIMEOUT`]).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> MqttConfig {
        self.timeout = timeout;
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
        transport::redact_url(&self.url)
    }

    fn options(&self, role: &str) -> Result<MqttOptions, MqttError> {
        let bad = |reason: &str| MqttError::Url {
            url: self.redacted_url(),
            reason: reason.to_owned(),
        };
        let rest = self
            .url
            .strip_prefix("mqtt://")
            .or_else(|| self.url.strip_prefix("tcp://"))
            .ok_or_else(|| bad("expected the scheme mqtt://"))?;
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        let (credentials, host_port) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
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
        options.set_clean_session(true);
        if let Some(credentials) = credentials {
            let (user, password) = credentials.split_once(':').unwrap_or((credentials, ""));
            options.set_credentials(user, password);
        }
        Ok(options)
    }
}

impl fmt::Debug for MqttConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MqttConfig")
            .field("url", &self.redacted_url())
            .field("timeout", &self.timeout)
            .field("keep_alive", &self.keep_alive)
            .field("client_id", &self.client_id)
            .finish()
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

/// What went wrong talking to MQTT. Messages never hold credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MqttError {
    /// The URL is not an `mqtt://` URL.
    Url {
        /// The URL, redacted.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No connection within the timeout.
    Connect {
        /// The URL, redacted.
        url: String,
        /// The last error of the client, redacted, if any.
        reason: String,
    },
    /// The client is not connected (the broker is down or restarting): the message was
    /// not sent.
    Disconnected,
    /// No `PUBACK` (or `SUBACK`) within the timeout.
    Timeout(Duration),
    /// The client's event loop is gone.
    Closed,
}

impl fmt::Display for MqttError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MqttError::Url { url, reason } => write!(f, "invalid MQTT URL {url}: {reason}"),
            MqttError::Connect { url, reason } => write!(f, "cannot connect to {url}: {reason}"),
            MqttError::Disconnected => f.write_str("not connected to the MQTT broker"),
            MqttError::Timeout(d) => write!(f, "no acknowledgement from the broker within {d:?}"),
            MqttError::Closed => f.write_str("the MQTT client is closed"),
        }
    }
}

impl std::error::Error for MqttError {}

/// The connection as the event loop task sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Link {
    /// Connecting, with the last error (redacted) if an attempt failed.
    Connecting(Option<String>),
    /// Connected (and, for a subscriber, subscribed).
    Up,
}

/// Polls `events` until the task is aborted; `on_event` sees every event, `link` says
/// whether the connection is up. A failed poll is retried after a delay of at most a
/// second, which is how the client reconnects.
fn spawn_loop<F>(
    mut events: EventLoop,
    url: String,
    link: watch::Sender<Link>,
    mut on_event: F,
) -> JoinHandle<()>
where
    F: FnMut(
            Event,
            &watch::Sender<Link>,
        ) -> Option<std::pin::Pin<Box<dyn Future<Output = ()> + Send>>>
        + Send
        + 'static,
{
    tokio::spawn(async move {
        let mut failures: u32 = 0;
        loop {
            match events.poll().await {
                Ok(event) => {
                    failures = 0;
                    if let Some(wait) = on_event(event, &link) {
                        wait.await;
                    }
                }
                Err(e) => {
                    let reason = transport::scrub(&e.to_string(), &url);
                    link.send_replace(Link::Connecting(Some(reason)));
                    failures = failures.saturating_add(1);
                    let delay = Duration::from_millis(100).saturating_mul(failures.min(10));
                    tokio::time::sleep(delay).await;
                }
            }
        }
    })
}

/// Waits until the task says the link is up, or fails with its last error.
async fn wait_up(config: &MqttConfig, link: &mut watch::Receiver<Link>) -> Result<(), MqttError> {
    let up = tokio::time::timeout(config.timeout, async {
        link.wait_for(|l| *l == Link::Up).await.map(drop)
    })
    .await;
    match up {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(_)) => Err(MqttError::Closed),
        Err(_) => Err(MqttError::Connect {
            url: config.redacted_url(),
            reason: match &*link.borrow() {
                Link::Connecting(Some(reason)) => reason.clone(),
                _ => format!("no CONNACK within {:?}", config.timeout),
            },
        }),
    }
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
    timeout: Duration,
}

impl MqttPublisher {
    /// Connects as the publisher of `process`, with its Last Will (`offline`, retained,
    /// QoS 1), and publishes its birth (`online`, retained) on every connection.
    pub async fn connect(
        config: &MqttConfig,
        process: &Process<'_>,
    ) -> Result<MqttPublisher, MqttError> {
        let presence_topic = mqtt_presence_topic(process);
        let mut options = config.options("p")?;
        options.set_last_will(LastWill::new(
            presence_topic.clone(),
            Presence::Offline.as_str(),
            QoS::AtLeastOnce,
            true,
        ));
        let (client, events) = AsyncClient::new(options, 64);
        let (link_tx, mut link) = watch::channel(Link::Connecting(None));
        let (ack_tx, acks) = mpsc::unbounded_channel();
        let birth = (client.clone(), presence_topic.clone());
        let task = spawn_loop(events, config.url.clone(), link_tx, move |event, link| {
            match event {
                Event::Incoming(Packet::ConnAck(_)) => {
                    // QoS 0, so that every PUBACK answers a publish of `publish`.
                    let _ = birth.0.try_publish(
                        birth.1.clone(),
                        QoS::AtMostOnce,
                        true,
                        Presence::Online.as_str(),
                    );
                    link.send_replace(Link::Up);
                }
                Event::Incoming(Packet::PubAck(ack)) => {
                    let _ = ack_tx.send(ack.pkid);
                }
                _ => {}
            }
            None
        });
        let publisher = MqttPublisher {
            client,
            acks,
            link: link.clone(),
            task,
            presence_topic,
            timeout: config.timeout,
        };
        wait_up(config, &mut link).await?;
        Ok(publisher)
    }

    /// The presence topic of this publisher's process.
    pub fn presence_topic(&self) -> &str {
        &self.presence_topic
    }

    /// Publishes `payload` on `topic` at QoS 1 and waits for its `PUBACK`.
    pub async fn send(
        &mut self,
        topic: &str,
        payload: &[u8],
        retain: bool,
    ) -> Result<(), MqttError> {
        if *self.link.borrow() != Link::Up {
            return Err(MqttError::Disconnected);
        }
        // Acknowledgements of publishes that timed out earlier are not this one's.
        while self.acks.try_recv().is_ok() {}
        self.client
            .publish(topic, QoS::AtLeastOnce, retain, payload)
            .await
            .map_err(|_| MqttError::Closed)?;
        match tokio::time::timeout(self.timeout, self.acks.recv()).await {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(MqttError::Closed),
            Err(_) => Err(MqttError::Timeout(self.timeout)),
        }
    }

    /// A clean goodbye: publishes `stopped` (retained) on the presence topic, so the
    /// broker's will is not needed, then disconnects. Send the heart's `stop` first.
    pub async fn disconnect(mut self) -> Result<(), MqttError> {
        let topic = self.presence_topic.clone();
        self.send(&topic, Presence::Stopped.as_str().as_bytes(), true)
            .await?;
        self.client
            .disconnect()
            .await
            .map_err(|_| MqttError::Closed)?;
        // Let the event loop send the DISCONNECT before the task is aborted.
        let gone = self.link.wait_for(|l| *l != Link::Up);
        let _ = tokio::time::timeout(self.timeout, gone).await;
        Ok(())
    }
}

impl MqttPublisher {
    /// A clean disconnect without a goodbye: the broker does not publish the will, and the
    /// retained presence stays `online`. For a publisher that only sent a signal or two
    /// (`heartwire beat`): its beats' own deadlines say how long it is alive, and neither
    /// `offline` nor `stopped` would be true of it.
    pub async fn close(self) -> Result<(), MqttError> {
        self.client
            .disconnect()
            .await
            .map_err(|_| MqttError::Closed)?;
        let mut link = self.link.clone();
        let gone = link.wait_for(|l| *l != Link::Up);
        let _ = tokio::time::timeout(self.timeout, gone).await;
        Ok(())
    }
}

impl Drop for MqttPublisher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl AsyncPublish for MqttPublisher {
    type Error = MqttError;

    /// Publishes on the topic of the subject's process (`heartbeat/<tokens>`), QoS 1,
    /// not retained.
    async fn publish(&mut self, subject: &Subject<'_>, payload: &[u8]) -> Result<(), MqttError> {
        let topic = mqtt_topic(&subject.process());
        self.send(&topic, payload, false).await
    }
}

/// Every message on `heartbeat/#` and `heartbeat-presence/#`, decoded; see the
/// [crate docs](crate).
#[derive(Debug)]
pub struct MqttSubscriber {
    deliveries: mpsc::Receiver<Result<Delivery, Invalid>>,
    task: JoinHandle<()>,
}

impl MqttSubscriber {
    /// Connects and subscribes (QoS 1); returns once the broker has acknowledged the
    /// subscription, so nothing published after it is missed. Retained presence comes
    /// first.
    pub async fn connect(config: &MqttConfig) -> Result<MqttSubscriber, MqttError> {
        let options = config.options("s")?;
        let (client, events) = AsyncClient::new(options, 64);
        let (link_tx, mut link) = watch::channel(Link::Connecting(None));
        let (tx, deliveries) = mpsc::channel(1024);
        let task = spawn_loop(events, config.url.clone(), link_tx, move |event, link| {
            match event {
                Event::Incoming(Packet::ConnAck(_)) => {
                    // Clean session: subscribe again on every connection.
                    let filters = [MQTT_FILTER, MQTT_PRESENCE_FILTER]
                        .map(|f| rumqttc::SubscribeFilter::new(f.to_owned(), QoS::AtLeastOnce));
                    let _ = client.try_subscribe_many(filters);
                    None
                }
                Event::Incoming(Packet::SubAck(_)) => {
                    link.send_replace(Link::Up);
                    None
                }
                Event::Incoming(Packet::Publish(p)) => {
                    let item = transport::decode_mqtt_retained(&p.topic, &p.payload, p.retain);
                    let tx = tx.clone();
                    // Back-pressure: the loop waits while the reader is behind.
                    Some(Box::pin(async move {
                        let _ = tx.send(item).await;
                    })
                        as std::pin::Pin<Box<dyn Future<Output = ()> + Send>>)
                }
                _ => None,
            }
        });
        let subscriber = MqttSubscriber { deliveries, task };
        wait_up(config, &mut link).await?;
        Ok(subscriber)
    }

    /// The next message, decoded; `None` only if the event loop task has ended.
    pub async fn next(&mut self) -> Option<Result<Delivery, Invalid>> {
        self.deliveries.recv().await
    }
}

impl Drop for MqttSubscriber {
    fn drop(&mut self) {
        self.task.abort();
    }
}
