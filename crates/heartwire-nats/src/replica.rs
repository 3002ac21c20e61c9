//! Replicas of a durable monitor (`spec/liveness.md` §6.6): a lease that one replica
//! holds at a time, and the state the holder shares with the others, both in JetStream
//! key-value buckets, so that the cluster's Raft groups decide who leads and keep what
//! the leader wrote when its machine is gone.
//!
//! - The lease is the key `leader` of the bucket `HEARTWIRE_LEASE_<NAME>`, whose
//!   messages live [`ReplicaConfig::lease`] (the bucket's `max_age`): a holder rewrites
//!   it with a revision check a few times per lease; when the holder stops, the server
//!   removes the key and the next replica's create succeeds. The holder counts its lease
//!   from *before* each write, so it believes itself the leader no longer than the
//!   server keeps the key.
//! - The state is in the bucket `HEARTWIRE_STATE_<NAME>`: each blob (the engine's
//!   snapshot, the alerts' ledger) is written in chunks of at most [`CHUNK`] bytes under
//!   a new generation, then its head key (generation, chunks, length) is updated with a
//!   revision check. A replica that lost the lease without knowing it fails that check
//!   ([`Stored::Fenced`]) and writes nothing a reader could see.

use std::fmt;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, kv};
use bytes::Bytes;
use futures_util::StreamExt;
use heartwire_broker::{BrokerError, Step};

use crate::NatsConfig;
use crate::durable::ConsumerName;

/// The key of the lease in its bucket.
const LEASE_KEY: &str = "leader";

/// The largest chunk of a blob: well under the smallest `max_payload` a server is
/// configured with in practice (1 MiB by default).
pub const CHUNK: usize = 256 * 1024;

/// The largest blob stored: a state beyond it is refused with an error, not cut.
pub const MAX_BLOB: usize = 1 << 30;

/// The most bytes the state bucket keeps: two generations of the largest blobs of both
/// kinds.
const STATE_MAX_BYTES: i64 = 4 * (MAX_BLOB as i64);

/// Bytes a message may hold besides its value: the headers of a revision check.
const HEADROOM: usize = 1024;

/// The holder of a lease as the others see it: 1 to 128 printable ASCII bytes.
const MAX_HOLDER: usize = 128;

/// The replicas' shared name, how many servers keep their buckets, and the lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaConfig {
    name: ConsumerName,
    replicas: usize,
    lease: Duration,
}

impl ReplicaConfig {
    /// The lease of a replica that says none.
    pub const DEFAULT_LEASE: Duration = Duration::from_secs(10);
    /// The shortest lease: the holder renews it four times per lease, and a renewal
    /// must fit in the time between.
    pub const MIN_LEASE: Duration = Duration::from_secs(1);
    /// The longest lease.
    pub const MAX_LEASE: Duration = Duration::from_secs(300);

    /// The replicas sharing `name` (the durable consumer's), one copy of each bucket,
    /// [`ReplicaConfig::DEFAULT_LEASE`].
    pub fn new(name: ConsumerName) -> ReplicaConfig {
        ReplicaConfig {
            name,
            replicas: 1,
            lease: ReplicaConfig::DEFAULT_LEASE,
        }
    }

    /// How many servers keep the buckets when they are created (1 to 5).
    #[must_use]
    pub fn replicas(mut self, replicas: usize) -> ReplicaConfig {
        self.replicas = replicas.clamp(1, crate::DurableConfig::MAX_REPLICAS);
        self
    }

    /// How long a lease lasts without renewal, clamped to
    /// [`ReplicaConfig::MIN_LEASE`]..=[`ReplicaConfig::MAX_LEASE`]: the longest a
    /// dead leader goes unnoticed.
    #[must_use]
    pub fn lease(mut self, lease: Duration) -> ReplicaConfig {
        self.lease = lease.clamp(ReplicaConfig::MIN_LEASE, ReplicaConfig::MAX_LEASE);
        self
    }

    /// The lease's duration.
    pub fn lease_duration(&self) -> Duration {
        self.lease
    }

    /// How often the holder renews: four times per lease.
    pub fn renew_every(&self) -> Duration {
        self.lease / 4
    }
}

/// A lease held: its revision in the bucket, and until when its holder may act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    revision: u64,
    /// The revision the lease was taken at: each leadership's own number, which names
    /// the generations of what it stores.
    term: u64,
    valid_until: Instant,
}

impl Lease {
    /// Until when the holder may act as the leader: the lease counted from before the
    /// last write that the server took.
    pub fn valid_until(&self) -> Instant {
        self.valid_until
    }

    /// The leadership's number: larger for each lease taken after another.
    pub fn term(&self) -> u64 {
        self.term
    }
}

/// What renewing a lease found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Renewal {
    /// Renewed: valid for another lease from before the write.
    Kept,
    /// The key is gone or another replica's: this one no longer leads.
    Lost,
}

/// What trying to take the lease found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// Taken: this replica leads.
    Leading(Lease),
    /// Another replica holds it (its name, as it gave it).
    HeldBy(String),
}

/// A blob read back, and the revision of its head (the check of the next write).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its head's revision.
    pub revision: u64,
}

/// What storing a blob did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Written; the head's new revision.
    Written(u64),
    /// Not written: the head was written by another replica since this one read it.
    Fenced,
}

/// The lease and state buckets of one set of replicas; see the [module docs](self).
pub struct SharedState {
    leases: kv::Store,
    state: kv::Store,
    config: NatsConfig,
    replica: ReplicaConfig,
    holder: String,
}

impl fmt::Debug for SharedState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedState")
            .field("config", &self.config)
            .field("replica", &self.replica)
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

impl SharedState {
    /// Connects and opens (creating them if absent) the buckets of `replica`, as the
    /// replica `holder` (what the others are told holds the lease: printable ASCII,
    /// cut at 128 bytes).
    pub async fn connect(
        config: &NatsConfig,
        replica: &ReplicaConfig,
        holder: &str,
    ) -> Result<SharedState, BrokerError> {
        let client = config.connect().await?;
        let context = jetstream::new(client);
        let name = replica.name.as_str();
        let leases = open_bucket(
            &context,
            config,
            Bucket {
                name: format!("HEARTWIRE_LEASE_{name}"),
                description: "heartwire monitor replicas: who leads",
                max_age: replica.lease,
                max_bytes: -1,
                max_value_size: MAX_HOLDER + HEADROOM,
                replicas: replica.replicas,
            },
        )
        .await?;
        let state = open_bucket(
            &context,
            config,
            Bucket {
                name: format!("HEARTWIRE_STATE_{name}"),
                description: "heartwire monitor replicas: the leader's state",
                max_age: Duration::ZERO,
                max_bytes: STATE_MAX_BYTES,
                max_value_size: CHUNK + HEADROOM,
                replicas: replica.replicas,
            },
        )
        .await?;
        let holder: String = holder
            .chars()
            .map(|c| if c.is_ascii_graphic() { c } else { '_' })
            .take(MAX_HOLDER)
            .collect();
        Ok(SharedState {
            leases,
            state,
            config: config.clone(),
            replica: replica.clone(),
            holder: if holder.is_empty() {
                "replica".to_owned()
            } else {
                holder
            },
        })
    }

    /// The configuration these buckets were opened with.
    pub fn replica(&self) -> &ReplicaConfig {
        &self.replica
    }

    /// Takes the lease if nobody holds it.
    pub async fn try_lead(&self) -> Result<Taken, BrokerError> {
        let endpoint = &self.config.endpoint;
        let sent = Instant::now();
        let created = endpoint
            .bounded(Step::Publish, async {
                Ok::<_, kv::CreateError>(
                    self.leases
                        .create(LEASE_KEY, Bytes::from(self.holder.clone()))
                        .await,
                )
            })
            .await?;
        match created {
            Ok(revision) => Ok(Taken::Leading(Lease {
                revision,
                term: revision,
                valid_until: sent + self.replica.lease,
            })),
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {
                let holder = endpoint
                    .bounded(Step::Read, self.leases.get(LEASE_KEY))
                    .await?;
                Ok(Taken::HeldBy(holder.map_or_else(
                    || "(nobody: it has just expired)".to_owned(),
                    |h| String::from_utf8_lossy(&h).into_owned(),
                )))
            }
            Err(e) => Err(endpoint.failed(Step::Publish, &e)),
        }
    }

    /// Renews `lease`; an error (the server not answering within the timeout) leaves it
    /// as it was: still valid until [`Lease::valid_until`].
    pub async fn renew(&self, lease: &mut Lease) -> Result<Renewal, BrokerError> {
        let endpoint = &self.config.endpoint;
        let sent = Instant::now();
        let updated = endpoint
            .bounded(Step::Publish, async {
                Ok::<_, kv::UpdateError>(
                    self.leases
                        .update(LEASE_KEY, Bytes::from(self.holder.clone()), lease.revision)
                        .await,
                )
            })
            .await?;
        match updated {
            Ok(revision) => {
                lease.revision = revision;
                lease.valid_until = sent + self.replica.lease;
                Ok(Renewal::Kept)
            }
            Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => Ok(Renewal::Lost),
            Err(e) => Err(endpoint.failed(Step::Publish, &e)),
        }
    }

    /// Gives the lease up (a clean stop): the next replica need not wait for it to
    /// expire. Nothing happens if it is no longer this replica's.
    pub async fn release(&self, lease: &Lease) -> Result<(), BrokerError> {
        let endpoint = &self.config.endpoint;
        let deleted = endpoint
            .bounded(Step::Publish, async {
                Ok::<_, kv::DeleteError>(
                    self.leases
                        .delete_expect_revision(LEASE_KEY, Some(lease.revision))
                        .await,
                )
            })
            .await?;
        // Another's revision: not ours to delete.
        let _ = deleted;
        Ok(())
    }

    /// The blob `name` (`state`, `alerts`), if one was stored.
    pub async fn load(&self, name: &str) -> Result<Option<Loaded>, BrokerError> {
        let endpoint = &self.config.endpoint;
        let Some(head) = endpoint
            .bounded(Step::Read, self.state.entry(name))
            .await?
            .filter(|e| e.operation == kv::Operation::Put)
        else {
            return Ok(None);
        };
        let bad = |what: &str| endpoint.failed(Step::Read, &format!("the {name} blob: {what}"));
        let Head {
            generation,
            chunks,
            length,
        } = Head::read(&head.value).ok_or_else(|| bad("its head does not read"))?;
        if length > MAX_BLOB {
            return Err(bad("longer than the largest blob"));
        }
        let mut bytes = Vec::with_capacity(length);
        for i in 0..chunks {
            let key = chunk_key(name, &generation, i);
            let chunk = endpoint
                .bounded(Step::Read, self.state.get(key))
                .await?
                .ok_or_else(|| bad(&format!("chunk {i} of {chunks} is missing")))?;
            if bytes.len() + chunk.len() > length {
                return Err(bad("its chunks are longer than its head says"));
            }
            bytes.extend_from_slice(&chunk);
        }
        if bytes.len() != length {
            return Err(bad("its chunks are shorter than its head says"));
        }
        Ok(Some(Loaded {
            bytes,
            revision: head.revision,
        }))
    }

    /// Stores `bytes` as the blob `name` if its head is still at `after` (`None`: no
    /// such blob yet), under a generation of `lease`'s term; then removes the chunks of
    /// the generation it replaced.
    pub async fn store(
        &self,
        name: &str,
        bytes: &[u8],
        lease: &Lease,
        counter: u64,
        after: Option<u64>,
    ) -> Result<Stored, BrokerError> {
        let endpoint = &self.config.endpoint;
        if bytes.len() > MAX_BLOB {
            return Err(endpoint.failed(
                Step::Publish,
                &format!(
                    "the {name} blob is {} bytes: at most {MAX_BLOB} are stored",
                    bytes.len()
                ),
            ));
        }
        let old = match after {
            Some(_) => endpoint
                .bounded(Step::Read, self.state.get(name))
                .await?
                .and_then(|h| Head::read(&h)),
            None => None,
        };
        let generation = format!("{}-{counter}", lease.term);
        let chunks: Vec<&[u8]> = bytes.chunks(CHUNK).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            endpoint
                .bounded(
                    Step::Publish,
                    self.state.put(
                        chunk_key(name, &generation, i),
                        Bytes::copy_from_slice(chunk),
                    ),
                )
                .await?;
        }
        let head = Head {
            generation,
            chunks: chunks.len(),
            length: bytes.len(),
        }
        .to_bytes();
        // The check: the head is where this replica last read or wrote it.
        let written: Result<u64, Option<String>> = match after {
            Some(revision) => endpoint
                .bounded(Step::Publish, async {
                    Ok::<_, kv::UpdateError>(self.state.update(name, head, revision).await)
                })
                .await?
                .map_err(|e| {
                    (e.kind() != kv::UpdateErrorKind::WrongLastRevision).then(|| e.to_string())
                }),
            None => endpoint
                .bounded(Step::Publish, async {
                    Ok::<_, kv::CreateError>(self.state.create(name, head).await)
                })
                .await?
                .map_err(|e| {
                    (e.kind() != kv::CreateErrorKind::AlreadyExists).then(|| e.to_string())
                }),
        };
        let revision = match written {
            Ok(revision) => revision,
            Err(None) => return Ok(Stored::Fenced),
            Err(Some(e)) => return Err(endpoint.failed(Step::Publish, &e)),
        };
        if let Some(old) = old {
            // Left over at worst, and removed by the next leader's sweep.
            let _ = self.remove_generation(name, &old.generation).await;
        }
        Ok(Stored::Written(revision))
    }

    /// The messages the state bucket holds: each blob's head and its current
    /// generation's chunks, once stores and sweeps are done; nothing else is kept.
    pub async fn stored_messages(&self) -> Result<u64, BrokerError> {
        let endpoint = &self.config.endpoint;
        let mut stream = self.state.stream.clone();
        let info = endpoint.bounded(Step::Read, stream.info()).await?;
        Ok(info.state.messages)
    }

    /// Removes every chunk of `generation` of the blob `name` in one request, the
    /// messages themselves: a key-value purge would leave a marker per chunk, kept
    /// forever, and a store every 10 s would grow the bucket without bound.
    async fn remove_generation(&self, name: &str, generation: &str) -> Result<(), BrokerError> {
        let filter = format!("{}{name}.{generation}.>", self.state.prefix);
        self.config
            .endpoint
            .bounded(
                Step::Publish,
                self.state.stream.purge().filter(filter).into_future(),
            )
            .await
            .map(|_| ())
    }

    /// Removes the chunks of `name` that its head does not name (a leader that died
    /// between writing chunks and the head left them, or stores of a version that
    /// left purge markers); the generations removed.
    ///
    /// The chunks are listed from the stream's own count of messages per subject, an
    /// answer of its leader, rather than by a consumer: the consumer a key-value
    /// listing makes lives on one server, and after a server's loss and return its
    /// messages did not arrive for tens of seconds (nats-server 2.9.10,
    /// `tests/replicas.rs`).
    pub async fn sweep(&self, name: &str) -> Result<usize, BrokerError> {
        let endpoint = &self.config.endpoint;
        let current = endpoint
            .bounded(Step::Read, self.state.get(name))
            .await?
            .and_then(|h| Head::read(&h))
            .map(|h| h.generation);
        let prefix = format!("{}{name}.", self.state.prefix);
        let mut subjects = endpoint
            .bounded(
                Step::Read,
                self.state.stream.info_with_subjects(format!("{prefix}>")),
            )
            .await?;
        let mut stale = std::collections::BTreeSet::new();
        while let Some(subject) = endpoint
            .bounded(Step::Read, async {
                Ok::<_, BrokerError>(subjects.next().await)
            })
            .await?
        {
            let (subject, _) = subject.map_err(|e| endpoint.failed(Step::Read, &e))?;
            let Some(rest) = subject.strip_prefix(&prefix) else {
                continue;
            };
            let generation = rest.rsplit_once('.').map_or(rest, |(g, _)| g);
            if current.as_deref() != Some(generation) {
                stale.insert(generation.to_owned());
            }
        }
        for generation in &stale {
            self.remove_generation(name, generation).await?;
        }
        Ok(stale.len())
    }
}

/// A bucket to open: its name and limits.
struct Bucket {
    name: String,
    description: &'static str,
    max_age: Duration,
    max_bytes: i64,
    max_value_size: usize,
    replicas: usize,
}

/// Opens the bucket, creating it if absent; one that exists with another `max_age` is
/// an error (a lease bucket whose keys outlive the lease would make takeover wait for
/// its age).
///
/// The bucket's stream is made here, as a key-value bucket's is (history 1, rollups),
/// rather than by the client's `create_key_value`, which first reads the account's
/// limits in a form servers before 2.10 do not answer.
///
/// Reads go through the stream's leader, not to any replica ("direct" reads): a new
/// leader must read the latest head, which a replica still catching up does not have,
/// and on a cluster that had lost a node and got it back, direct reads went unanswered
/// for tens of seconds after the loss of a second node (nats-server 2.9.10, seen in
/// `tests/replicas.rs`) while reads through the leader were answered.
async fn open_bucket(
    context: &jetstream::Context,
    config: &NatsConfig,
    bucket: Bucket,
) -> Result<kv::Store, BrokerError> {
    let endpoint = &config.endpoint;
    let name = &bucket.name;
    let stream = endpoint
        .bounded(
            Step::Subscribe,
            context.get_or_create_stream(jetstream::stream::Config {
                name: format!("KV_{name}"),
                description: Some(bucket.description.to_owned()),
                subjects: vec![format!("$KV.{name}.>")],
                max_messages_per_subject: 1,
                max_bytes: bucket.max_bytes,
                max_age: bucket.max_age,
                max_message_size: i32::try_from(bucket.max_value_size).unwrap_or(i32::MAX),
                storage: jetstream::stream::StorageType::File,
                allow_rollup: true,
                deny_delete: true,
                allow_direct: false,
                num_replicas: bucket.replicas,
                discard: jetstream::stream::DiscardPolicy::New,
                ..Default::default()
            }),
        )
        .await?;
    let kept = stream.cached_info().config.max_age;
    if kept != bucket.max_age {
        return Err(endpoint.failed(
            Step::Subscribe,
            &format!(
                "the bucket {name} exists with a max_age of {kept:?}: expected {:?} (delete it, or give the same lease to every replica)",
                bucket.max_age
            ),
        ));
    }
    endpoint
        .bounded(Step::Subscribe, context.get_key_value(name.clone()))
        .await
}

/// `<blob>.<generation>.<i>`.
fn chunk_key(name: &str, generation: &str, i: usize) -> String {
    format!("{name}.{generation}.{i}")
}

/// A blob's head: `<generation> <chunks> <length>`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Head {
    generation: String,
    chunks: usize,
    length: usize,
}

impl Head {
    fn read(bytes: &[u8]) -> Option<Head> {
        let text = std::str::from_utf8(bytes).ok()?;
        let mut words = text.split(' ');
        let generation = words.next()?.to_owned();
        let chunks = words.next()?.parse().ok()?;
        let length = words.next()?.parse().ok()?;
        let valid = words.next().is_none()
            && !generation.is_empty()
            && generation.bytes().all(|b| b.is_ascii_digit() || b == b'-');
        valid.then_some(Head {
            generation,
            chunks,
            length,
        })
    }

    fn to_bytes(&self) -> Bytes {
        Bytes::from(format!(
            "{} {} {}",
            self.generation, self.chunks, self.length
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_reads_back_and_nothing_else_reads() {
        let head = Head {
            generation: "7-3".to_owned(),
            chunks: 2,
            length: 300_000,
        };
        assert_eq!(Head::read(&head.to_bytes()), Some(head));
        for bad in ["", "7-3 2", "7-3 2 x", "7-3 2 3 4", "a.b 1 1", " 1 1"] {
            assert_eq!(Head::read(bad.as_bytes()), None, "{bad:?}");
        }
    }

    #[test]
    fn leases_are_clamped() {
        let name = ConsumerName::new("m").expect("a name");
        let config = ReplicaConfig::new(name.clone()).lease(Duration::from_millis(10));
        assert_eq!(config.lease_duration(), ReplicaConfig::MIN_LEASE);
        let config = ReplicaConfig::new(name).lease(Duration::from_secs(3600));
        assert_eq!(config.lease_duration(), ReplicaConfig::MAX_LEASE);
        assert_eq!(config.renew_every(), Duration::from_secs(75));
    }
}
