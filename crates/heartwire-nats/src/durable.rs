//! Durable ingest through JetStream (`spec/transports.md` §2.1): the heartbeat and
//! command subjects kept in a stream, read through a durable pull consumer from a
//! position the reader is given, so that a monitor that was away reads what it missed,
//! each message with the time the server took it.

use std::fmt;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use bytes::Bytes;
use futures_util::{FutureExt, StreamExt};
use heartwire::time::{SystemClock, UnixTime, WallClock};
use heartwire::transport::NATS_FILTER;
use heartwire_broker::{BrokerError, LinkHealth, Loss, Step};

use crate::NatsConfig;
use crate::reader::MAX_MESSAGE;

/// The stream every durable consumer of heartwire reads.
pub const STREAM: &str = "HEARTWIRE";

/// How long the stream keeps a message: a monitor away for longer misses what is older
/// (counted as `expired` when its position is older still).
pub const STREAM_MAX_AGE: Duration = Duration::from_secs(3600);

/// The most bytes the stream keeps; the oldest are discarded first.
pub const STREAM_MAX_BYTES: i64 = 1 << 30;

/// How long the server waits for an acknowledgement before delivering a message again:
/// longer than the monitor's snapshot interval, after which it acknowledges.
pub const ACK_WAIT: Duration = Duration::from_secs(60);

/// The most messages delivered and not yet acknowledged: the server stops delivering
/// beyond it until the next acknowledgement (a pause, not a loss).
pub const MAX_ACK_PENDING: i64 = 1 << 20;

/// The most messages one pull asks for.
const PULL_BATCH: usize = 1024;

/// The most bytes one pull asks for: with [`PULL_BATCH`], what the client may hold for
/// the reader (a message is at most [`MAX_MESSAGE`], which the stream enforces).
const PULL_BYTES: usize = 8 * MAX_MESSAGE;

/// A durable consumer's name: 1 to 32 of `A-Z a-z 0-9 _ -` (JetStream's names may hold
/// more, but a name is also a token of API subjects and a file name on the server).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConsumerName(String);

impl ConsumerName {
    /// The longest name.
    pub const MAX_LEN: usize = 32;

    /// `name`, if it is one.
    ///
    /// ```
    /// use heartwire_nats::ConsumerName;
    /// assert!(ConsumerName::new("monitor-1").is_ok());
    /// assert!(ConsumerName::new("a.b").is_err());
    /// ```
    pub fn new(name: &str) -> Result<ConsumerName, String> {
        if name.is_empty() || name.len() > ConsumerName::MAX_LEN {
            return Err(format!(
                "expected 1 to {} characters, found {}",
                ConsumerName::MAX_LEN,
                name.len()
            ));
        }
        match name
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            Some((at, c)) => Err(format!(
                "{c:?} at byte {at}: expected letters, digits, '_' or '-'"
            )),
            None => Ok(ConsumerName(name.to_owned())),
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConsumerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The durable consumer to read through, and how many servers keep the stream when the
/// reader creates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurableConfig {
    name: ConsumerName,
    replicas: usize,
}

impl DurableConfig {
    /// The most copies of a stream JetStream keeps.
    pub const MAX_REPLICAS: usize = 5;

    /// Consumer `name`, a stream of one copy.
    pub fn new(name: ConsumerName) -> DurableConfig {
        DurableConfig { name, replicas: 1 }
    }

    /// How many servers of a cluster keep the stream when the reader creates it (1 to
    /// [`DurableConfig::MAX_REPLICAS`]): 3 survive the loss of one. A stream that
    /// exists keeps its own.
    #[must_use]
    pub fn replicas(mut self, replicas: usize) -> DurableConfig {
        self.replicas = replicas.clamp(1, DurableConfig::MAX_REPLICAS);
        self
    }

    /// The consumer's name.
    pub fn name(&self) -> &ConsumerName {
        &self.name
    }
}

/// One message read from the stream.
#[derive(Debug, Clone)]
pub struct Kept {
    /// Its subject.
    pub subject: String,
    /// Its payload.
    pub payload: Bytes,
    /// When the server took it (never later than the reader's clock when read).
    pub published: UnixTime,
    /// Where it is in the stream.
    pub position: Position,
    /// How many messages the server still had for this consumer after it.
    pub pending: u64,
}

/// A place in the stream: a message's sequence number, and the subject that
/// acknowledges it and every message before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The stream's sequence number.
    pub sequence: u64,
    ack: String,
}

/// A durable pull consumer of the heartbeat stream; see the [module docs](self).
pub struct DurableReader {
    client: async_nats::Client,
    consumer: consumer::Consumer<consumer::pull::Config>,
    messages: consumer::pull::Stream,
    health: LinkHealth,
    config: NatsConfig,
    /// The sequence number of the last message handed out, or the position read from
    /// (`None` for the whole stream, before the first message).
    last: Option<u64>,
    /// The last sequence number the consumer had delivered when it was made, or since:
    /// nothing up to it is owed.
    delivered: u64,
}

impl fmt::Debug for DurableReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DurableReader")
            .field("config", &self.config)
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

impl DurableReader {
    /// Connects, makes sure the stream [`STREAM`] keeps `heartbeat.>` and the command
    /// subjects of `config`'s extension points (creating it with the limits of this
    /// module if absent; one that keeps other subjects is an error naming them), and
    /// makes the durable consumer of `durable` anew, delivering from the message after
    /// `after` (everything the stream keeps when `None`), acknowledged by
    /// [`DurableReader::acknowledge`] up to a position.
    ///
    /// The consumer is made anew because its position is the caller's: a monitor that
    /// restarts reads from what its snapshot holds, not from what an earlier run
    /// acknowledged, and messages delivered to a run that died are read again at once
    /// rather than after [`ACK_WAIT`].
    pub async fn connect(
        config: &NatsConfig,
        durable: &DurableConfig,
        after: Option<u64>,
    ) -> Result<DurableReader, BrokerError> {
        let name = &durable.name;
        let client = config.connect().await?;
        let endpoint = &config.endpoint;
        let context = jetstream::new(client.clone());
        let mut subjects = vec![NATS_FILTER.to_owned()];
        subjects.extend(config.command_subjects());
        let stream = endpoint
            .bounded(
                Step::Subscribe,
                context.get_or_create_stream(stream::Config {
                    name: STREAM.to_owned(),
                    subjects: subjects.clone(),
                    max_age: STREAM_MAX_AGE,
                    max_bytes: STREAM_MAX_BYTES,
                    max_message_size: i32::try_from(MAX_MESSAGE).unwrap_or(i32::MAX),
                    storage: stream::StorageType::File,
                    discard: stream::DiscardPolicy::Old,
                    num_replicas: durable.replicas,
                    ..Default::default()
                }),
            )
            .await?;
        // The consumer is made anew at each connection: a stream that forgets what its
        // consumers acknowledged, or what none is there to take, would lose messages.
        let retention = stream.cached_info().config.retention;
        if retention != stream::RetentionPolicy::Limits {
            return Err(endpoint.failed(
                Step::Subscribe,
                &format!(
                    "the stream {STREAM} exists with the retention {retention:?}: expected limits (messages kept by age and size, not removed when acknowledged)"
                ),
            ));
        }
        let largest = stream.cached_info().config.max_message_size;
        if largest < 0 || largest as u64 > MAX_MESSAGE as u64 {
            return Err(endpoint.failed(
                Step::Subscribe,
                &format!(
                    "the stream {STREAM} exists and takes messages of {}: expected at most {MAX_MESSAGE} bytes (its max_msg_size)",
                    if largest < 0 { "any size".to_owned() } else { format!("{largest} bytes") }
                ),
            ));
        }
        let kept = &stream.cached_info().config.subjects;
        let missing: Vec<&String> = subjects.iter().filter(|s| !kept.contains(s)).collect();
        if !missing.is_empty() {
            return Err(endpoint.failed(
                Step::Subscribe,
                &format!(
                    "the stream {STREAM} exists and keeps {kept:?}, not {missing:?}: add them to it (nats stream edit {STREAM}) or delete it"
                ),
            ));
        }
        // Absent is fine: the first run. Any other failure (the consumer's group
        // electing a leader after a server's loss) ends this try: the consumer left as
        // it is would be taken over with the position it had delivered to, and what it
        // delivered and nobody acknowledged would come again only after ACK_WAIT.
        let deleted = endpoint
            .bounded(Step::Subscribe, async {
                Ok::<_, BrokerError>(stream.delete_consumer(name.as_str()).await)
            })
            .await?;
        if let Err(e) = deleted {
            let absent = matches!(
                e.kind(),
                stream::ConsumerErrorKind::JetStream(j)
                    if j.error_code() == jetstream::ErrorCode::CONSUMER_NOT_FOUND
            );
            if !absent {
                return Err(endpoint.failed(
                    Step::Subscribe,
                    &format!(
                        "removing the consumer {} to read again from the stored position: {e}",
                        name.as_str()
                    ),
                ));
            }
        }
        let deliver_policy = match after {
            Some(sequence) => consumer::DeliverPolicy::ByStartSequence {
                start_sequence: sequence.saturating_add(1),
            },
            None => consumer::DeliverPolicy::All,
        };
        let consumer: consumer::Consumer<consumer::pull::Config> = endpoint
            .bounded(
                Step::Subscribe,
                stream.create_consumer(consumer::pull::Config {
                    durable_name: Some(name.as_str().to_owned()),
                    deliver_policy,
                    ack_policy: consumer::AckPolicy::All,
                    ack_wait: ACK_WAIT,
                    max_ack_pending: MAX_ACK_PENDING,
                    ..Default::default()
                }),
            )
            .await?;
        let messages = endpoint
            .bounded(
                Step::Subscribe,
                consumer
                    .stream()
                    .max_messages_per_batch(PULL_BATCH)
                    .max_bytes_per_batch(PULL_BYTES)
                    .heartbeat(Duration::from_secs(5))
                    .messages(),
            )
            .await?;
        let delivered = consumer
            .cached_info()
            .delivered
            .stream_sequence
            .max(after.unwrap_or(0));
        let health = endpoint.health().clone();
        health.connected(SystemClock.now());
        Ok(DurableReader {
            client,
            consumer,
            messages,
            health,
            config: config.clone(),
            last: after,
            delivered,
        })
    }

    /// Where this reader reports its connection and the messages the stream discarded
    /// before they were read ([`Loss::Expired`]).
    pub fn health(&self) -> &LinkHealth {
        &self.health
    }

    /// Appends to `out` the next messages (at least one, at most `max`: what has
    /// arrived, without waiting for more), waiting for the first. An error when the
    /// consumer cannot go on (deleted, the server gone for longer than the client
    /// waits): connect again from the last position applied.
    pub async fn next_batch(&mut self, max: usize, out: &mut Vec<Kept>) -> Result<(), BrokerError> {
        let first = self.messages.next().await;
        // The clock read once per batch: a message's time is capped by it.
        let now = SystemClock.now();
        self.take(first, now, out)?;
        while out.len() < max {
            match self.messages.next().now_or_never() {
                Some(item) => self.take(item, now, out)?,
                None => break,
            }
        }
        Ok(())
    }

    fn take(
        &mut self,
        item: Option<Result<jetstream::Message, consumer::pull::MessagesError>>,
        now: UnixTime,
        out: &mut Vec<Kept>,
    ) -> Result<(), BrokerError> {
        let message = match item {
            Some(Ok(message)) => message,
            Some(Err(e)) => return Err(self.config.endpoint.failed(Step::Subscribe, &e)),
            None => {
                return Err(self
                    .config
                    .endpoint
                    .failed(Step::Subscribe, &"the consumer's messages ended"));
            }
        };
        let info = message
            .info()
            .map_err(|e| self.config.endpoint.failed(Step::Subscribe, &e))?;
        let (sequence, pending) = (info.stream_sequence, info.pending);
        let published = info.published.unix_timestamp_nanos();
        let published = match i64::try_from(published.div_euclid(1_000_000_000)) {
            Ok(secs) => UnixTime::new(secs, published.rem_euclid(1_000_000_000) as u32).min(now),
            Err(_) => now,
        };
        // Only heartwire's subjects are in the stream and the consumer takes them all:
        // a sequence number skipped is a message discarded before it was read.
        if let Some(last) = self.last
            && sequence > last.saturating_add(1)
        {
            self.health
                .lost(Loss::Expired, sequence - last.saturating_add(1));
        }
        self.last = Some(self.last.map_or(sequence, |last| last.max(sequence)));
        self.delivered = self.delivered.max(sequence);
        let Some(ack) = message.reply.as_ref().map(|r| r.to_string()) else {
            return Err(self.config.endpoint.failed(
                Step::Subscribe,
                &"a message without its acknowledgement subject",
            ));
        };
        out.push(Kept {
            subject: message.subject.to_string(),
            payload: message.message.payload.clone(),
            published,
            position: Position { sequence, ack },
            pending,
        });
        Ok(())
    }

    /// Whether everything the server holds for this consumer has been handed out: it
    /// has nothing pending, and it delivered nothing after the last message read.
    pub async fn caught_up(&mut self) -> Result<bool, BrokerError> {
        let endpoint = &self.config.endpoint;
        let info = endpoint
            .bounded(Step::Subscribe, self.consumer.info())
            .await?;
        Ok(info.num_pending == 0 && info.delivered.stream_sequence <= self.delivered)
    }

    /// Acknowledges `position` and every message before it: the server may forget them
    /// for this consumer (the stream keeps them by its own limits). Flushed within the
    /// timeout.
    pub async fn acknowledge(&self, position: &Position) -> Result<(), BrokerError> {
        let endpoint = &self.config.endpoint;
        endpoint
            .bounded(
                Step::Publish,
                self.client
                    .publish(position.ack.clone(), Bytes::from_static(b"+ACK")),
            )
            .await?;
        endpoint.bounded(Step::Publish, self.client.flush()).await
    }
}
