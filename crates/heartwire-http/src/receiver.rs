//! The receiver: pings in the healthchecks.io URL style and beatit text over HTTP, fed
//! into a shared liveness [`Monitor`]; the state as JSON at `/status`
//! (`spec/http.md` §5), every resource a client can make it use bounded (§5.5).
//!
//! One file per job: [`limits`](ReceiverConfig) holds every bound and its default,
//! `target` parses a request ([`Target`]), `key` checks the ping key, `clients` keeps
//! the per-client buckets and slots, `connection` accepts and times connections,
//! `answer` does what each request asks, `status` writes `/status` a chunk at a time,
//! and `capacity` makes room in a full engine.

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use heartwire::time::UnixTime;
use heartwire_liveness::Monitor;

mod answer;
mod capacity;
mod clients;
mod connection;
mod history;
mod journal;
mod key;
mod limits;
mod metrics;
mod status;
mod target;
mod ui;

pub use history::{History, HistoryLimits, MAX_ENTRIES, OPEN_RUNS, RECENT_CHANGES};
pub use journal::{Accepted, JournalError, Registration};
pub use key::{MAX_PING_KEY_LEN, MIN_PING_KEY_LEN, PING_KEY_HEADER, PingKey, PingKeyError};
pub use limits::{RateLimit, ReceiverConfig};
pub use metrics::{Exposition, MetricKind};
pub use target::{
    Asset, Cursor, MAX_OFFSET_MINUTES, ParameterError, PingTarget, StatusQuery, Target, TargetError,
};
pub use ui::CONTENT_SECURITY_POLICY_VALUE;

use answer::Shared;
use capacity::Capacity;
use clients::{Clients, Slots};

/// The port `heartwire monitor` listens on when given no `--from`.
pub const DEFAULT_PORT: u16 = 8387;

/// The shortest time between two sweeps of the engine.
const MIN_SWEEP_INTERVAL: Duration = Duration::from_millis(100);

/// Why a receiver could not start or stopped.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReceiverError {
    /// The address could not be bound.
    Bind(std::io::Error),
    /// The listening socket could not be handed to the runtime.
    Listen(std::io::Error),
    /// [`Receiver::run_blocking`] could not build its runtime.
    Runtime(std::io::Error),
}

impl fmt::Display for ReceiverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReceiverError::Bind(e) => write!(f, "cannot bind: {e}"),
            ReceiverError::Listen(e) => write!(f, "cannot listen: {e}"),
            ReceiverError::Runtime(e) => write!(f, "cannot start the runtime: {e}"),
        }
    }
}

impl std::error::Error for ReceiverError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReceiverError::Bind(e) | ReceiverError::Listen(e) | ReceiverError::Runtime(e) => {
                Some(e)
            }
        }
    }
}

/// What a receiver has done, counted as it goes.
#[derive(Debug, Default)]
pub struct ReceiverStats {
    requests: AtomicU64,
    pings: AtomicU64,
    beats: AtomicU64,
    refused: AtomicU64,
    connections: AtomicU64,
    refused_connections: AtomicU64,
    forgotten: AtomicU64,
    expired: AtomicU64,
    evicted: AtomicU64,
    status_bytes: AtomicU64,
}

impl ReceiverStats {
    /// Requests answered.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
    /// Pings accepted (fed to the monitor, or recorded as failures).
    pub fn pings(&self) -> u64 {
        self.pings.load(Ordering::Relaxed)
    }
    /// beatit messages accepted by the monitor.
    pub fn beats(&self) -> u64 {
        self.beats.load(Ordering::Relaxed)
    }
    /// Requests answered with a 4xx or 5xx.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
    /// Connections open now.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }
    /// Connections refused at once, over the cap in all or of their client.
    pub fn refused_connections(&self) -> u64 {
        self.refused_connections.load(Ordering::Relaxed)
    }
    /// Ping processes forgotten by `DELETE /ping/<process>`.
    pub fn forgotten(&self) -> u64 {
        self.forgotten.load(Ordering::Relaxed)
    }
    /// Processes forgotten after [`ReceiverConfig::forget_after`] in a final state.
    pub fn expired(&self) -> u64 {
        self.expired.load(Ordering::Relaxed)
    }
    /// Processes forgotten to make room for a new name in a full engine.
    pub fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }
    /// Bytes of `/status` answers written so far (handed to the connection, not
    /// necessarily taken by the client).
    pub fn status_bytes(&self) -> u64 {
        self.status_bytes.load(Ordering::Relaxed)
    }
}

/// Writes members of its own into `/status` (see [`Receiver::status_members`]).
pub type StatusMembers = Box<dyn Fn(&mut String) + Send + Sync>;

/// Writes metric families of its own into `/metrics` (see [`Receiver::metrics`]).
pub type MetricFamilies = Box<dyn Fn(&mut Exposition<'_>) + Send + Sync>;

/// An HTTP/1.1 receiver bound to an address, not yet serving.
pub struct Receiver {
    listener: std::net::TcpListener,
    config: ReceiverConfig,
    stats: Arc<ReceiverStats>,
    members: Option<StatusMembers>,
    families: Option<MetricFamilies>,
    journal: Option<Journal>,
    history: Option<Arc<History>>,
}

/// Records what the receiver acknowledges (see [`Receiver::journal`]).
pub type Journal = Box<dyn Fn(&Accepted) -> std::io::Result<()> + Send + Sync>;

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("listener", &self.listener)
            .field("config", &self.config)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Receiver {
    /// Binds `addr` (port 0 picks a free port; see [`Receiver::local_addr`]). The
    /// connection cap is lowered to the file limit less 64 where that is smaller
    /// ([`Receiver::max_connections`]).
    pub fn bind(addr: SocketAddr, mut config: ReceiverConfig) -> Result<Receiver, ReceiverError> {
        let listener = std::net::TcpListener::bind(addr).map_err(ReceiverError::Bind)?;
        listener
            .set_nonblocking(true)
            .map_err(ReceiverError::Bind)?;
        config.max_connections = limits::connection_cap(config.max_connections);
        Ok(Receiver {
            listener,
            config,
            stats: Arc::default(),
            members: None,
            families: None,
            journal: None,
            history: None,
        })
    }

    /// Hands every change the receiver acknowledges (a ping, the beats of a `/beat`, a
    /// forget) to `record` before the answer is sent, with the engine still locked, so
    /// that a journal written by `record` holds them in the engine's order: nothing
    /// acknowledged is lost to a crash once `record` returned (`spec/http.md` §5.9).
    /// When it fails, the request is answered 503: applied, but not kept.
    #[must_use]
    pub fn journal(
        mut self,
        record: impl Fn(&Accepted) -> std::io::Result<()> + Send + Sync + 'static,
    ) -> Self {
        self.journal = Some(Box::new(record));
        self
    }

    /// Adds members of the embedding program's own to every `/status` page, after
    /// `processes` and `next`: `write` appends them, each preceded by a comma, as JSON
    /// text (`,"links":[...]` for `heartwire monitor`'s broker links). It runs once per
    /// page, when the page's last chunk is written, without the engine locked; it must
    /// be quick.
    #[must_use]
    pub fn status_members(mut self, write: impl Fn(&mut String) + Send + Sync + 'static) -> Self {
        self.members = Some(Box::new(write));
        self
    }

    /// Keeps the history of every process in `history` (`spec/http.md` §5.11): the
    /// receiver records the pings and beats it accepts, serves it at `/status/<name>`,
    /// and drops what the engine forgot at each sweep. The state changes are the
    /// embedding program's to record ([`History::change`]), as it takes the engine's
    /// events.
    #[must_use]
    pub fn history(mut self, history: Arc<History>) -> Self {
        self.history = Some(history);
        self
    }

    /// Adds metric families of the embedding program's own to `/metrics`, after the
    /// receiver's (`heartwire monitor`'s broker links). `write` runs once per answer,
    /// without the engine locked; it must be quick.
    #[must_use]
    pub fn metrics(mut self, write: impl Fn(&mut Exposition<'_>) + Send + Sync + 'static) -> Self {
        self.families = Some(Box::new(write));
        self
    }

    /// The address it is bound to.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The most connections it keeps open at once: [`ReceiverConfig::max_connections`],
    /// or less where the file limit is lower.
    pub fn max_connections(&self) -> usize {
        self.config.max_connections
    }

    /// Its counters, to read while it runs.
    pub fn stats(&self) -> Arc<ReceiverStats> {
        Arc::clone(&self.stats)
    }

    /// [`Receiver::run`] on a single-threaded tokio runtime of its own, blocking the
    /// calling thread: for a program without a runtime, from a thread it spawns.
    pub fn run_blocking(
        self,
        monitor: Arc<Mutex<Monitor>>,
        clock: impl Fn() -> UnixTime + Send + Sync + 'static,
    ) -> Result<(), ReceiverError> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(ReceiverError::Runtime)?
            .block_on(self.run(monitor, clock))
    }

    /// Serves forever on the current tokio runtime: every valid ping and beat goes into
    /// `monitor`, stamped with `clock()`, and the engine is swept every
    /// [`ReceiverConfig::sweep_interval`]. Returns only if the socket cannot be used.
    pub async fn run(
        self,
        monitor: Arc<Mutex<Monitor>>,
        clock: impl Fn() -> UnixTime + Send + Sync + 'static,
    ) -> Result<(), ReceiverError> {
        let listener =
            tokio::net::TcpListener::from_std(self.listener).map_err(ReceiverError::Listen)?;
        let config = self.config;
        let connections = Slots::new(config.max_connections, config.max_connections_per_client);
        let shared = Arc::new(Shared {
            monitor,
            clients: Mutex::new(Clients::new(
                config.rate_limit,
                config.new_names,
                config.max_clients,
            )),
            capacity: Mutex::new(Capacity::new(config.unconfirmed_kept)),
            clock: Box::new(clock),
            status_answers: Slots::new(
                config.max_status_answers,
                config.max_status_answers_per_client,
            ),
            config,
            stats: self.stats,
            members: self.members,
            families: self.families,
            journal: self.journal,
            history: self.history,
        });
        tokio::spawn(sweep(Arc::clone(&shared)));
        connection::serve(listener, shared, connections).await;
        Ok(())
    }
}

/// Forgets, every sweep interval, the processes in a final state silent for too long.
async fn sweep(shared: Arc<Shared>) {
    let mut every = tokio::time::interval(shared.config.sweep_interval.max(MIN_SWEEP_INTERVAL));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    every.tick().await;
    loop {
        every.tick().await;
        let at = (shared.clock)();
        let mut monitor = lock(&shared.monitor);
        let expired = lock(&shared.capacity).sweep(
            &mut monitor,
            Instant::now(),
            at,
            shared.config.forget_after,
        );
        if let Some(history) = &shared.history {
            history.retain(|source, name| monitor.get(source, name).is_some());
        }
        drop(monitor);
        shared
            .stats
            .expired
            .fetch_add(expired as u64, Ordering::Relaxed);
    }
}

/// The lock, even if a thread panicked holding it: every update is whole before any
/// call that could panic.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
