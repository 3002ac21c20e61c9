//! The monitor's broker links: one task per `--from` that receives in batches and feeds
//! the engine itself, and the counters `/status` and the table show.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::FutureExt;
use heartwire::command::Envelope;
use heartwire::text::{Message, Signal};
use heartwire::time::{SystemClock, Timestamp, UnixTime, WallClock};
use heartwire::transport::{Content, Delivery, ExtensionPoint, Invalid, Presence};
use heartwire_broker::{Backoff, LinkHealth, Loss, redact_url};
use heartwire_liveness::{Link, Monitor, Rejected, State};
use tokio::sync::Notify;

use super::journal::{CommandEntry, Journal};
use super::throttle::{Offer, Throttle};
use crate::brokers::{self, Broker, Subscribed};

/// The most items taken from a general subscriber at once (what was already waiting,
/// taken without waiting): large enough that a batch's costs are small per beat, small
/// enough that its clock reading is fresh.
pub(crate) const MAX_BATCH: usize = 1024;

/// One `--from`: where it subscribes, and what it counted.
pub(crate) struct LinkInfo {
    pub(crate) link: Link,
    pub(crate) broker: Broker,
    /// The URL as given, with its credentials: only ever passed to the adapter.
    url: String,
    /// The URL without credentials, for every message.
    pub(crate) shown: String,
    pub(crate) health: LinkHealth,
    /// Messages taken from the subscription, valid or not.
    pub(crate) received: AtomicU64,
    /// Of those, the ones that did not decode.
    pub(crate) invalid: AtomicU64,
    /// Of those, the command envelopes that are not heartbeats (`ForwardCommand`, ...):
    /// valid, received, and not a sign of life.
    pub(crate) not_heartbeats: AtomicU64,
    /// Lines about invalid messages and beats the engine did not count, per second.
    pub(crate) throttles: Mutex<Throttles>,
    /// With `--durable`, for a NATS link: its consumer and positions.
    #[cfg(feature = "nats")]
    pub(crate) durable: Option<super::durable::DurableLink>,
}

/// The stderr throttles of one link.
pub(crate) struct Throttles {
    invalid: Throttle,
    rejected: Throttle,
}

impl Throttles {
    /// Ends the seconds before `second` (`i64::MAX`: all), printing their counts.
    pub(crate) fn tick(&mut self, second: i64) {
        let mut summaries = Vec::new();
        self.invalid.tick(second, &mut summaries);
        self.rejected.tick(second, &mut summaries);
        print(summaries);
    }
}

fn print(lines: Vec<String>) {
    for line in lines {
        note!("heartwire monitor: {line}");
    }
}

impl LinkInfo {
    pub(crate) fn new(link: Link, broker: Broker, url: String) -> LinkInfo {
        LinkInfo {
            link,
            broker,
            shown: redact_url(&url),
            url,
            health: LinkHealth::new(),
            received: AtomicU64::new(0),
            invalid: AtomicU64::new(0),
            not_heartbeats: AtomicU64::new(0),
            throttles: Mutex::new(Throttles {
                invalid: Throttle::new("invalid messages"),
                rejected: Throttle::new("beats not counted"),
            }),
            #[cfg(feature = "nats")]
            durable: None,
        }
    }

    /// The same link, counted anew (a replica's next leadership).
    #[cfg(feature = "nats")]
    pub(crate) fn fresh(&self) -> LinkInfo {
        LinkInfo::new(self.link, self.broker, self.url.clone())
    }

    /// The URL as given, with its credentials: for an adapter only, never shown.
    #[cfg(feature = "nats")]
    pub(crate) fn secret_url(&self) -> &str {
        &self.url
    }

    /// Whether it is read through a durable consumer (`spec/liveness.md` §6.5).
    pub(crate) fn is_durable(&self) -> bool {
        #[cfg(feature = "nats")]
        {
            self.durable.is_some()
        }
        #[cfg(not(feature = "nats"))]
        false
    }

    pub(crate) fn throttles(&self) -> std::sync::MutexGuard<'_, Throttles> {
        self.throttles
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Its `/status` entry (`spec/http.md` §5.4), appended to `out`.
    pub(crate) fn write_status(&self, out: &mut String) {
        let status = self.health.status();
        let time = |t: Option<heartwire::time::UnixTime>| {
            t.map_or(serde_json::Value::Null, |t| {
                Timestamp::from_unix_millis(t).as_str().into()
            })
        };
        let mut lost = serde_json::Map::new();
        for reason in Loss::ALL {
            lost.insert(reason.as_str().into(), status.lost(reason).into());
        }
        let entry = serde_json::json!({
            "link": self.link.get(),
            "url": self.shown,
            "connected": status.connected,
            "outages": status.outages,
            "down_since": time(status.down_since),
            "up_since": time(status.up_since),
            "received": self.received.load(Ordering::Relaxed),
            "invalid": self.invalid.load(Ordering::Relaxed),
            "not_heartbeats": self.not_heartbeats.load(Ordering::Relaxed),
            "lost": lost,
        });
        out.push_str(&entry.to_string());
    }
}

/// What every link task shares: the engine, and the bell that tells the main loop there
/// are events to take.
pub(crate) struct Feed {
    pub(crate) engine: Arc<Mutex<Monitor>>,
    pub(crate) wake: Arc<Notify>,
    pub(crate) nats_buffer: usize,
    /// The extension points whose command addresses each link also subscribes to.
    pub(crate) extension_points: Vec<ExtensionPoint<'static>>,
    /// With `--snapshot`: the write-ahead journal, where an SQS link writes what it took
    /// before the queue deletes it.
    pub(crate) journal: Option<Arc<Mutex<Journal>>>,
    /// Rung by a durable link that has applied many messages since the last snapshot.
    #[cfg_attr(not(feature = "nats"), allow(dead_code))]
    pub(crate) save_soon: Arc<Notify>,
}

/// One link's task: receives in batches and feeds the engine, forever (connecting again
/// whenever the connection fails, at most a second apart, `spec/transports.md` §1.5).
pub(crate) async fn run(info: Arc<LinkInfo>, feed: Arc<Feed>) {
    let mut feeder = Feeder {
        info,
        feed,
        results: Vec::new(),
    };
    #[cfg(feature = "nats")]
    if feeder.info.durable.is_some() {
        return read_durable(&mut feeder).await;
    }
    #[cfg(feature = "nats")]
    if feeder.info.broker == Broker::Nats {
        match read_nats(&mut feeder).await {
            // Plain NATS: the reader never returns.
            Ok(()) => return,
            // TLS and the like: the general client below.
            Err(reason) => note!(
                "heartwire monitor: {}: {reason}; subscribing with the general client",
                feeder.info.shown
            ),
        }
    }
    let mut backoff = Backoff::new();
    let mut failures: u32 = 0;
    loop {
        let info = &feeder.info;
        match brokers::subscribe(
            info.broker,
            &info.url,
            &info.health,
            feeder.feed.nats_buffer,
            &feeder.feed.extension_points,
        )
        .await
        {
            Ok(Subscribed {
                mut subscription,
                present,
            }) => {
                backoff.reset();
                failures = 0;
                if !present.is_empty() {
                    feeder.deliveries(present);
                }
                while let Some(first) = subscription.next().await {
                    let mut batch = Vec::with_capacity(64);
                    batch.push(first);
                    // What is waiting already, without waiting for more.
                    while batch.len() < MAX_BATCH {
                        match subscription.next().now_or_never() {
                            Some(Some(item)) => batch.push(item),
                            _ => break,
                        }
                    }
                    // Deleted from a queue that keeps it (SQS) only once it is kept here.
                    if feeder.deliveries(batch) {
                        subscription.processed();
                    } else {
                        subscription.release();
                    }
                }
                feeder.info.health.disconnected(SystemClock.now());
                note!(
                    "heartwire monitor: {}: the subscription ended; connecting again",
                    feeder.info.shown
                );
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                let pause = backoff.next_delay();
                connect_failed(&feeder.info, &e, failures, pause);
                tokio::time::sleep(pause).await;
                continue;
            }
        }
        tokio::time::sleep(backoff.next_delay()).await;
    }
}

/// The first failure, then one line every 30 attempts (about 30 s).
fn connect_failed(info: &LinkInfo, error: &str, failures: u32, pause: std::time::Duration) {
    if failures == 1 || failures.is_multiple_of(30) {
        note!(
            "heartwire monitor: {}: {error}; trying again in {} ms (attempt {failures})",
            info.shown,
            pause.as_millis()
        );
    }
}

/// Plain NATS through [`NatsReader`](heartwire_nats::NatsReader): batches decoded in its
/// buffer. Returns only when the server asks for what the reader does not speak.
#[cfg(feature = "nats")]
async fn read_nats(feeder: &mut Feeder) -> Result<(), heartwire_broker::BrokerError> {
    use heartwire_broker::Fault;
    use heartwire_nats::{NatsConfig, NatsReader};

    let config = NatsConfig::new(feeder.info.url.as_str())
        .health(feeder.info.health.clone())
        .extension_points(feeder.feed.extension_points.iter().cloned());
    let mut backoff = Backoff::new();
    let mut failures: u32 = 0;
    let mut reader = loop {
        match NatsReader::connect(&config).await {
            Ok(reader) => break reader,
            Err(
                e @ heartwire_broker::BrokerError {
                    fault: Fault::Unsupported(_),
                    ..
                },
            ) => return Err(e),
            Err(e) => {
                failures = failures.saturating_add(1);
                let pause = backoff.next_delay();
                connect_failed(&feeder.info, &e.to_string(), failures, pause);
                tokio::time::sleep(pause).await;
            }
        }
    };
    loop {
        let batch = reader.next_batch().await;
        let now = SystemClock.now();
        let mut sorted = Sorted::with_capacity(batch.len());
        for (subject, payload) in batch.iter() {
            sorted.add(subject, payload, now);
        }
        let small = batch.len() < SMALL_BATCH;
        feeder.feed(now, &sorted.texts, sorted.commands, sorted.invalid);
        if small {
            // A trickle: let a millisecond of beats gather in the socket, so that each
            // wake-up, read and lock serves many (a beat is judged in seconds).
            tokio::time::sleep(GATHER).await;
        }
    }
}

/// A durable NATS link (`--durable`, `spec/transports.md` §2.1): reads on from the
/// position its snapshot holds, feeds each beat at the time the server took it, says
/// the link is up once it has caught up (`spec/liveness.md` §6.5), and acknowledges
/// what each written snapshot holds. Never returns.
#[cfg(feature = "nats")]
async fn read_durable(feeder: &mut Feeder) {
    use heartwire_nats::{DurableReader, Kept, NatsConfig};

    let info = Arc::clone(&feeder.info);
    let Some(durable) = info.durable.as_ref() else {
        return;
    };
    let config = NatsConfig::new(info.url.as_str())
        .health(info.health.clone())
        .extension_points(feeder.feed.extension_points.iter().cloned());
    let mut after = durable.start;
    let mut backoff = Backoff::new();
    let mut failures: u32 = 0;
    let mut batch: Vec<Kept> = Vec::new();
    loop {
        let mut reader = match DurableReader::connect(&config, &durable.config, after).await {
            Ok(reader) => {
                backoff.reset();
                failures = 0;
                reader
            }
            Err(e) => {
                info.health.disconnected(SystemClock.now());
                failures = failures.saturating_add(1);
                let pause = backoff.next_delay();
                connect_failed(&info, &e.to_string(), failures, pause);
                tokio::time::sleep(pause).await;
                continue;
            }
        };
        loop {
            batch.clear();
            tokio::select! {
                // Cancel-safe: the reader waits only for the first message.
                read = tokio::time::timeout(IDLE, reader.next_batch(MAX_BATCH, &mut batch)) => {
                    match read {
                        // Nothing came for a while: caught up, if the server agrees.
                        Err(_) => {
                            if feeder.replaying() && matches!(reader.caught_up().await, Ok(true)) {
                                feeder.caught_up();
                            }
                        }
                        Ok(Err(e)) => {
                            info.health.disconnected(SystemClock.now());
                            note!("heartwire monitor: {}: {e}; reading again from the position applied", info.shown);
                            tokio::time::sleep(backoff.next_delay()).await;
                            break;
                        }
                        Ok(Ok(())) => {
                            let now = SystemClock.now();
                            let mut sorted = Sorted::with_capacity(batch.len());
                            for kept in &batch {
                                sorted.add(kept.subject.as_bytes(), &kept.payload, kept.published);
                            }
                            feeder.feed(now, &sorted.texts, sorted.commands, sorted.invalid);
                            if let Some(last) = batch.last() {
                                after = Some(last.position.sequence);
                                if durable.applied(last.position.clone(), batch.len()) {
                                    feeder.feed.save_soon.notify_one();
                                }
                                if last.pending == 0 && feeder.replaying() {
                                    feeder.caught_up();
                                }
                            }
                        }
                    }
                }
                () = durable.saved_moved.notified() => {
                    if let Some(position) = durable.take_saved()
                        && let Err(e) = reader.acknowledge(&position).await
                    {
                        // Not lost: the server delivers it again after the wait, or
                        // the next snapshot's acknowledgement covers it.
                        note!("heartwire monitor: {}: cannot acknowledge: {e}", info.shown);
                    }
                }
            }
        }
    }
}

/// A NATS batch's messages by kind, each with the time it is observed at: the beats
/// decoded in place, the command envelopes, and what did not decode.
#[cfg(feature = "nats")]
struct Sorted<'a> {
    texts: Vec<(Message<'a>, UnixTime)>,
    commands: Vec<(Delivery, UnixTime)>,
    invalid: Vec<Invalid>,
}

#[cfg(feature = "nats")]
impl<'a> Sorted<'a> {
    fn with_capacity(beats: usize) -> Sorted<'a> {
        Sorted {
            texts: Vec::with_capacity(beats),
            commands: Vec::new(),
            invalid: Vec::new(),
        }
    }

    fn add(&mut self, subject: &'a [u8], payload: &'a [u8], at: UnixTime) {
        use heartwire::transport::{self, Transport};
        // A command is rare: one prefix comparison keeps it off the beats' path.
        if transport::is_command_address(subject) {
            match transport::decode_command(Transport::Nats, subject, payload) {
                Ok(delivery) => self.commands.push((delivery, at)),
                Err(bad) => self.invalid.push(bad),
            }
            return;
        }
        match Message::decode(subject, payload) {
            Ok(message) => self.texts.push((message, at)),
            // The owned form, with the error, for the report.
            Err(_) => self
                .invalid
                .extend(transport::decode_subject(Transport::Nats, subject, payload).err()),
        }
    }
}

/// How long a durable link waits for a message before it asks the server whether it
/// has caught up.
#[cfg(feature = "nats")]
const IDLE: std::time::Duration = std::time::Duration::from_secs(1);

/// A batch smaller than this is a trickle ([`GATHER`]).
#[cfg(feature = "nats")]
const SMALL_BATCH: usize = 256;

/// How long a trickle gathers before the next read.
#[cfg(feature = "nats")]
const GATHER: std::time::Duration = std::time::Duration::from_millis(1);

/// A link task's side of feeding the engine.
struct Feeder {
    info: Arc<LinkInfo>,
    feed: Arc<Feed>,
    results: Vec<Result<State, Rejected>>,
}

impl Feeder {
    /// Whether this link is held while it replays, and connected (a durable link
    /// catches up only while it can read).
    #[cfg(feature = "nats")]
    fn replaying(&self) -> bool {
        self.info.health.status().connected
            && self
                .feed
                .engine
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .link_down_since(self.info.link)
                .is_some()
    }

    /// This durable link has caught up: its processes are judged from now on.
    #[cfg(feature = "nats")]
    fn caught_up(&self) {
        let now = SystemClock.now();
        self.feed
            .engine
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .link_up(self.info.link, now);
        note!(
            "heartwire monitor: {}: caught up with the stream",
            self.info.shown
        );
        self.feed.wake.notify_one();
    }

    /// A general subscriber's batch: decoded already. Whether what the engine took is
    /// kept (see [`Feeder::feed`]).
    fn deliveries(&mut self, batch: Vec<Result<Delivery, Invalid>>) -> bool {
        let now = SystemClock.now();
        let mut texts = Vec::with_capacity(batch.len());
        let mut others = Vec::new();
        let mut invalid = Vec::new();
        for item in batch {
            match item {
                Ok(Delivery {
                    content: Content::Text(message),
                    ..
                }) => texts.push((message, now)),
                Ok(delivery) => others.push((delivery, now)),
                Err(bad) => invalid.push(bad),
            }
        }
        self.feed(now, &texts, others, invalid)
    }

    /// One batch: counted, invalid messages reported, the rest fed to the engine under
    /// one lock (each observation at its own time: when it was received, or when a
    /// durable stream took it), then the main loop woken for the events. Returns whether what the
    /// engine took is kept: always, but for the commands of an SQS link when the
    /// journal they must be written to first could not take them.
    fn feed(
        &mut self,
        now: UnixTime,
        texts: &[(Message<'_>, UnixTime)],
        others: Vec<(Delivery, UnixTime)>,
        invalid: Vec<Invalid>,
    ) -> bool {
        let info = &self.info;
        let second = now.secs();
        let taken = texts.len() + others.len() + invalid.len();
        info.received.fetch_add(taken as u64, Ordering::Relaxed);
        let mut lines = Vec::new();
        let mut throttles = info.throttles();
        if !invalid.is_empty() {
            info.invalid
                .fetch_add(invalid.len() as u64, Ordering::Relaxed);
            for bad in &invalid {
                let key = bad.origin.to_string();
                if throttles.invalid.offer(second, &key, &mut lines) == Offer::Print {
                    lines.push(bad.to_string());
                }
            }
        }
        let mut engine = self
            .feed
            .engine
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        self.results.clear();
        engine.observe_texts_via(Some(info.link), texts, &mut self.results);
        for ((message, _), result) in texts.iter().zip(&self.results) {
            if let Err(rejected) = result {
                let process = message.process().as_str();
                if throttles.rejected.offer(second, process, &mut lines) == Offer::Print {
                    lines.push(format!(
                        "{process} from {}: not counted: {rejected}",
                        info.shown
                    ));
                }
            }
        }
        let mut kept = true;
        for (delivery, now) in others {
            let (name, result) = match &delivery.content {
                Content::Record { record, .. } => (
                    record.service_name().as_str(),
                    engine.observe_record_via(Some(info.link), record, now),
                ),
                Content::Presence {
                    process, presence, ..
                } => (
                    process.as_str(),
                    match presence {
                        Presence::Online => continue,
                        Presence::Offline => engine.observe_gone_via(Some(info.link), process, now),
                        Presence::Stopped => engine.observe_text_via(
                            Some(info.link),
                            &Message::new(process.clone(), Signal::Stop),
                            now,
                        ),
                    },
                ),
                // Not a heartbeat (ConnectPlugin aside, `liveness.md` §3.3): rejected
                // by the engine, and reported and counted below like any rejection.
                Content::Command(envelope) => {
                    let result = engine.observe_command_via(Some(info.link), envelope, now);
                    if result.is_ok() {
                        kept &= self.journal(envelope, now, &mut lines);
                    }
                    (envelope.id.as_str(), result)
                }
                _ => continue,
            };
            if let Err(Rejected::NotAHeartbeat { .. }) = &result {
                info.not_heartbeats.fetch_add(1, Ordering::Relaxed);
            }
            // A record heard twice is expected: a publisher may send each on both
            // conventions' channels (spec/record.md §9.1); it is not worth a line.
            if let Err(rejected) = result
                && !matches!(rejected, Rejected::Duplicate)
                && throttles.rejected.offer(second, name, &mut lines) == Offer::Print
            {
                lines.push(format!(
                    "{name} from {}: not counted: {rejected}",
                    delivery.origin
                ));
            }
        }
        drop(engine);
        drop(throttles);
        print(lines);
        self.feed.wake.notify_one();
        kept
    }

    /// Writes a command the engine applied to the journal, with the engine locked (so
    /// that it is in the snapshot or in a journal after it), when this link's queue
    /// forgets what it is told was processed (SQS, `spec/transports.md` §6.3); whether
    /// it is kept. A failure is reported: the queue delivers the command again.
    fn journal(&self, envelope: &Envelope<'_>, at: UnixTime, lines: &mut Vec<String>) -> bool {
        let (Broker::Sqs, Some(journal)) = (self.info.broker, &self.feed.journal) else {
            return true;
        };
        let line = CommandEntry::to_line(envelope, at);
        let mut journal = journal.lock().unwrap_or_else(PoisonError::into_inner);
        match journal.append(line.as_bytes()) {
            Ok(()) => true,
            Err(e) => {
                lines.push(format!(
                    "heartwire monitor: {}: cannot journal {}: {e}; the queue delivers it again",
                    self.info.shown,
                    envelope.id.as_str()
                ));
                false
            }
        }
    }
}
