//! The monitor: one state per process, from observations of every input, with a
//! deadline index (`spec/liveness.md` §3, §5, §6).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::hash::BuildHasher;
use std::mem::size_of;
use std::time::Duration;

use hashbrown::DefaultHashBuilder;
use heartwire::command::{Command, DEFAULT_TIMEOUT_MINUTES, Envelope, GraceRule};
use heartwire::record::{Liveness, Record, ServiceName, classify_at};
use heartwire::schedule::Rate;
use heartwire::text::{Message, Process, Signal};
use heartwire::time::UnixTime;

use crate::detector::{Adaptive, Deadline, Detector, DetectorChoice, Tolerance, Verdict};
use crate::event::{Cap, Change, Event, Reason, Source, State};
use crate::index::Index;
use crate::link::{LINK_MASK, Link, Outages};
use crate::ping::{
    MAX_PING_GRACE, MAX_PING_MISSED, PingOutcome, PingPlan, PingProcess, PingSchedule, PingView,
    RunId,
};
use crate::prefetch::prefetch;

/// The longest process name a monitor tracks, in bytes.
pub const MAX_NAME_LEN: usize = 255;

/// Bits of a process id in a deadline entry.
pub(crate) const ID_BITS: u32 = 22;

/// The most processes a monitor can track, whatever [`Config::max_processes`] says:
/// 2^22 (4,194,304), so that a deadline entry is one `u64`.
pub const MAX_PROCESSES: usize = 1 << ID_BITS;

/// The horizon of the deadline index: 2^42 − 1 ms after the epoch (the year 2109). A
/// change due later is not indexed: it never happens, in practice.
const MAX_ENTRY_MILLIS: u64 = (1 << (64 - ID_BITS)) - 1;

/// Events kept allocated between drains: a burst of events does not keep its memory.
const EVENTS_KEPT: usize = 256;

const NANOS_PER_SEC: u64 = 1_000_000_000;
/// `Slot::state` of a slot whose process was forgotten.
const FREE: u8 = 0xFF;
/// `Slot::state` of a process created by the observation being applied.
const UNSEEN: u8 = 0xFE;
/// `Slot::kind` flag: the process has an adaptive detector in `Monitor::adaptive`.
const ADAPTIVE: u8 = 0x80;
/// `Slot::armed` of a process with no live deadline entry: its entry came due while its
/// link was down (§6.4), and the link's return arms it again.
const DISARMED: u32 = u32::MAX;

/// An instant as nanoseconds since the Unix epoch; earlier instants are the epoch.
pub(crate) fn nanos(t: UnixTime) -> u64 {
    u64::try_from(t.as_nanos().max(0)).unwrap_or(u64::MAX)
}

/// The instant of nanoseconds since the Unix epoch.
pub(crate) fn unix(n: u64) -> UnixTime {
    // n / 10^9 < 2^35: no wrap.
    UnixTime::new((n / NANOS_PER_SEC) as i64, (n % NANOS_PER_SEC) as u32)
}

fn duration_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// How a monitor judges (`spec/liveness.md`); [`Config::default`] is the chapter's
/// defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Late and dead factors of a beatit process's declared duration.
    pub tolerance: Tolerance,
    /// The detector of beatit processes, unless chosen per process.
    pub detector: DetectorChoice,
    /// The interval liveness records are published at (the seed's 60 s).
    pub record_interval: Duration,
    /// The Reventless disconnect grace rule.
    pub grace_rule: GraceRule,
    /// How long after a scheduled fire time a ping may arrive, unless registered with a
    /// grace of its own (60 s; more than [`MAX_PING_GRACE`] counts as that).
    pub ping_grace: Duration,
    /// How many scheduled pings may be missing before a ping process is dead (3; 0
    /// counts as 1, more than [`MAX_PING_MISSED`] as that).
    pub ping_missed: u32,
    /// The most processes tracked (2^20).
    pub max_processes: usize,
    /// The most observations accepted per process per second (16).
    pub max_beats_per_second: u16,
    /// A poll this long after it was due (after the previous poll and after the first
    /// deadline then pending) is a stall of the monitor itself (5 s, Cassandra's pause).
    pub stall_after: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            tolerance: Tolerance::SEED,
            detector: DetectorChoice::Deadline,
            record_interval: heartwire::record::DEFAULT_INTERVAL,
            grace_rule: GraceRule::Scaled,
            ping_grace: Duration::from_secs(60),
            ping_missed: 3,
            max_processes: 1 << 20,
            max_beats_per_second: 16,
            stall_after: Duration::from_secs(5),
        }
    }
}

/// Why an observation changed nothing (`spec/liveness.md` §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rejected {
    /// The name is longer than [`MAX_NAME_LEN`] bytes.
    NameTooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// A new process, and [`Config::max_processes`] are tracked already.
    TooManyProcesses,
    /// More than [`Config::max_beats_per_second`] observations of this process in this
    /// second.
    RateLimited,
    /// Older than the last accepted observation of the process.
    OutOfOrder {
        /// The time of the last accepted one.
        last: UnixTime,
    },
    /// A record with the timestamp of the last accepted one.
    Duplicate,
    /// A record dated more than 5 s after it was received.
    FutureDated {
        /// How far ahead of the receive time it is.
        ahead: Duration,
    },
    /// A command that is no heartbeat (`ForwardCommand`, ...).
    NotAHeartbeat {
        /// The command's name.
        command: String,
    },
    /// A ping for a name with no ping schedule registered.
    NotRegistered,
}

impl Rejected {
    /// The rejection's name in the conformance vectors (`spec/vectors/liveness.json`):
    /// `name_too_long`, `too_many_processes`, `rate_limited`, `out_of_order`,
    /// `duplicate`, `future_dated`, `not_a_heartbeat`, `not_registered`.
    pub const fn code(&self) -> &'static str {
        match self {
            Rejected::NameTooLong { .. } => "name_too_long",
            Rejected::TooManyProcesses => "too_many_processes",
            Rejected::RateLimited => "rate_limited",
            Rejected::OutOfOrder { .. } => "out_of_order",
            Rejected::Duplicate => "duplicate",
            Rejected::FutureDated { .. } => "future_dated",
            Rejected::NotAHeartbeat { .. } => "not_a_heartbeat",
            Rejected::NotRegistered => "not_registered",
        }
    }
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejected::NameTooLong { len } => {
                write!(f, "name of {len} bytes, expected at most {MAX_NAME_LEN}")
            }
            Rejected::TooManyProcesses => f.write_str("too many processes tracked"),
            Rejected::RateLimited => f.write_str("too many observations this second"),
            Rejected::OutOfOrder { last } => {
                write!(
                    f,
                    "out of order: older than the last accepted, at {}",
                    last.as_nanos()
                )
            }
            Rejected::Duplicate => f.write_str("duplicate record"),
            Rejected::FutureDated { ahead } => {
                write!(
                    f,
                    "record dated {} s after it was received",
                    ahead.as_secs_f64()
                )
            }
            Rejected::NotAHeartbeat { command } => {
                write!(f, "command {command} is not a heartbeat")
            }
            Rejected::NotRegistered => f.write_str("no ping schedule registered"),
        }
    }
}

impl std::error::Error for Rejected {}

/// One process as a monitor knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessView<'a> {
    /// The name.
    pub name: &'a str,
    /// Where it is known from.
    pub source: Source,
    /// Its state.
    pub state: State,
    /// The time its deadlines count from: the last accepted observation (a record's
    /// timestamp), moved forward by a stall.
    pub last: UnixTime,
    /// The link it was last heard through, if any ([`Monitor::observe_text_via`]).
    pub link: Option<Link>,
    /// Since when that link is down, if it is: the process is not convicted meanwhile
    /// (§6.4).
    pub unreachable_since: Option<UnixTime>,
    /// A beatit process's last signal (`start/W`, `beat/P`, `degraded/P` or `stop`).
    pub signal: Option<Signal>,
    /// A ping process's schedule and last ping (its kind, exit status and run id).
    pub ping: Option<PingView<'a>>,
}

/// What a monitor's memory holds, in bytes (see [`Monitor::memory_footprint`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footprint {
    /// Everything the monitor allocated.
    pub total: usize,
    /// The bytes of the names themselves.
    pub names: usize,
    /// The processes tracked.
    pub processes: usize,
}

impl Footprint {
    /// Bytes per tracked process besides its name.
    pub fn per_process(&self) -> f64 {
        (self.total - self.names) as f64 / self.processes.max(1) as f64
    }
}

/// One tracked process in 32 bytes; its name is in the monitor's arena.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// The time deadlines count from, in nanoseconds since the epoch.
    last: u64,
    /// Text: the declared duration; record: the last accepted timestamp; command: the
    /// disconnect grace. Nanoseconds.
    aux: u64,
    /// The name's offset in the arena.
    name: u32,
    /// The low 32 bits of the millisecond of the one live deadline entry of this
    /// process: an entry for another millisecond is stale.
    armed: u32,
    /// The rate window: the second (mod 2^16) in the high half, the count in the low.
    rate: u32,
    /// The name's length.
    len: u8,
    /// The source (2 bits), the link last heard through (`LINK_MASK`), and the
    /// `ADAPTIVE` flag.
    kind: u8,
    /// The state (`State as u8`), or `FREE`/`UNSEEN`.
    state: u8,
    /// A beatit process's healthy state: starting, alive or degraded.
    base: u8,
}

/// A deadline entry in one `u64`, so that the index costs 8 bytes per process: the
/// millisecond it is due (rounded up, so a due entry's exact deadline has passed) in the
/// high 42 bits, the process id in the low 22. Ordered by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry(u64);

impl Entry {
    fn new(at: u64, id: u32) -> Entry {
        let millis = at.div_ceil(1_000_000).min(MAX_ENTRY_MILLIS);
        Entry(millis << ID_BITS | u64::from(id))
    }

    const fn millis(self) -> u64 {
        self.0 >> ID_BITS
    }

    const fn id(self) -> u32 {
        (self.0 & ((1 << ID_BITS) - 1)) as u32
    }

    /// Whether this is the live entry of its process, not one a deadline moved from.
    fn is_live(self, slots: &[Slot]) -> bool {
        slots
            .get(self.id() as usize)
            .is_some_and(|s| s.state < UNSEEN && s.armed == self.millis() as u32)
    }
}

/// How an observation is ordered against the last accepted one.
#[derive(Clone, Copy)]
enum Order {
    /// By the monitor's receive time.
    Arrival,
    /// By the record's timestamp, in nanoseconds.
    Timestamp(u64),
}

/// The liveness engine: sans-I/O, the clock passed in (see the [crate docs](crate)).
#[derive(Debug, Clone)]
pub struct Monitor {
    config: Config,
    slots: Vec<Slot>,
    free: Vec<u32>,
    index: Index,
    hasher: DefaultHashBuilder,
    names: String,
    garbage: usize,
    heap: BinaryHeap<Reverse<Entry>>,
    adaptive: HashMap<u32, Adaptive>,
    pings: HashMap<u32, PingProcess>,
    chosen: HashMap<String, DetectorChoice>,
    /// Record intervals set per service, in nanoseconds (else `Config::record_interval`).
    record_intervals: HashMap<String, u64>,
    events: Vec<Event>,
    last_poll: Option<u64>,
    live: usize,
    full_reported: bool,
    outages: Outages,
}

impl Default for Monitor {
    fn default() -> Self {
        Monitor::new(Config::default())
    }
}

fn name_of<'n>(names: &'n str, slot: &Slot) -> &'n str {
    let start = slot.name as usize;
    names
        .get(start..start + usize::from(slot.len))
        .unwrap_or("")
}

impl Monitor {
    /// A monitor tracking nobody.
    pub fn new(config: Config) -> Monitor {
        Monitor {
            config,
            slots: Vec::new(),
            free: Vec::new(),
            index: Index::default(),
            hasher: DefaultHashBuilder::default(),
            names: String::new(),
            garbage: 0,
            heap: BinaryHeap::new(),
            adaptive: HashMap::new(),
            pings: HashMap::new(),
            chosen: HashMap::new(),
            record_intervals: HashMap::new(),
            events: Vec::new(),
            last_poll: None,
            live: 0,
            full_reported: false,
            outages: Outages::default(),
        }
    }

    /// The configuration.
    pub const fn config(&self) -> &Config {
        &self.config
    }

    /// Reserves room for `additional` more processes with names of `name_bytes` bytes in
    /// all, so that tracking them does not reallocate.
    pub fn reserve(&mut self, additional: usize, name_bytes: usize) {
        self.slots.reserve(additional);
        self.heap.reserve(additional);
        self.names.reserve(name_bytes);
        self.index.reserve(additional);
    }

    // ---- observations ----------------------------------------------------------------

    /// Beatit messages received at their times, in order: the same as
    /// [`Monitor::observe_text`] on each, with each result appended to `results`, but
    /// faster when the processes are many. With a million processes the name index is
    /// beyond the caches and a beat waits for memory three times (its index bucket, its
    /// slot, its name, each found from the one before); here the index buckets of 32
    /// messages are prefetched at once, then their slots, then their names, so that
    /// the waits of the group overlap, and the group is then applied from the cache.
    pub fn observe_texts(
        &mut self,
        batch: &[(Message<'_>, UnixTime)],
        results: &mut Vec<Result<State, Rejected>>,
    ) {
        self.observe_texts_via(None, batch, results);
    }

    /// [`Monitor::observe_texts`] of messages heard through `link` (§6.4).
    pub fn observe_texts_via(
        &mut self,
        link: Option<Link>,
        batch: &[(Message<'_>, UnixTime)],
        results: &mut Vec<Result<State, Rejected>>,
    ) {
        const GROUP: usize = 32;
        results.reserve(batch.len());
        let mut hashes = [0u64; GROUP];
        let mut ids = [u32::MAX; GROUP];
        for group in batch.chunks(GROUP) {
            let n = group.len();
            // Each stage prefetches, for the whole group, what the next needs: the index
            // buckets, then the slots they name, then the names; the last applies each
            // beat from the cache. A prefetch retires at once, so that the group's waits
            // overlap (plain reads would wait in the reorder buffer). Hints only: a beat
            // that adds a process and moves the tables spoils none of them. (A rolling
            // pipeline, stages D beats apart, measured slower with shuffled beats.)
            for ((message, _), hash) in group.iter().zip(&mut hashes) {
                *hash = self.hash(Source::Text, message.process().as_str());
            }
            for &hash in &hashes[..n] {
                prefetch(self.index.bucket_of(hash));
            }
            for (&hash, id) in hashes[..n].iter().zip(&mut ids) {
                *id = self.index.first(hash).unwrap_or(u32::MAX);
                if let Some(slot) = self.slots.get(*id as usize) {
                    prefetch(slot);
                }
            }
            for &id in &ids[..n] {
                let slot = self.slots.get(id as usize);
                if let Some(byte) = slot.and_then(|s| self.names.as_bytes().get(s.name as usize)) {
                    prefetch(byte);
                }
            }
            for ((message, at), &hash) in group.iter().zip(&hashes) {
                results.push(self.text(link, message, *at, hash));
            }
        }
    }

    /// A beatit message received at `at` (`spec/liveness.md` §3.1); the process's state
    /// after it.
    pub fn observe_text(&mut self, message: &Message<'_>, at: UnixTime) -> Result<State, Rejected> {
        self.observe_text_via(None, message, at)
    }

    /// [`Monitor::observe_text`] of a message heard through `link`: while that link is
    /// down, the process is not convicted (§6.4).
    pub fn observe_text_via(
        &mut self,
        link: Option<Link>,
        message: &Message<'_>,
        at: UnixTime,
    ) -> Result<State, Rejected> {
        let hash = self.hash(Source::Text, message.process().as_str());
        self.text(link, message, at, hash)
    }

    /// [`Monitor::observe_text_via`] with the name's hash computed already.
    fn text(
        &mut self,
        link: Option<Link>,
        message: &Message<'_>,
        at: UnixTime,
        hash: u64,
    ) -> Result<State, Rejected> {
        let at = nanos(at);
        let (state, declared, reason) = match message.signal() {
            Signal::Start { warmup } => (State::Starting, warmup.as_nanos(), Reason::Start),
            Signal::Beat { period } => (State::Alive, period.as_nanos(), Reason::Beat),
            Signal::Degraded { period } => (State::Degraded, period.as_nanos(), Reason::Degraded),
            Signal::Stop => (State::Stopped, 0, Reason::Stop),
        };
        let name = message.process().as_str();
        let id = self.admit_hashed(Source::Text, name, hash, at, Order::Arrival)?;
        let slot = &mut self.slots[id as usize];
        if slot.state == state as u8
            && state != State::Stopped
            && slot.kind & ADAPTIVE == 0
            && slot.armed != DISARMED
            && at >= slot.last
            && declared >= slot.aux
        {
            // The common beat: no change of state, and the next change, by the same
            // rule from a later beat and a duration no shorter, comes no earlier than
            // the one armed, which finds it when due (what `rearm` would conclude).
            slot.kind = (slot.kind & !LINK_MASK) | Link::bits(link);
            slot.last = at;
            slot.aux = declared;
            slot.base = state as u8;
            return Ok(state);
        }
        let before = self.armed_transition(id);
        self.hear_via(id, link);
        if self.slots[id as usize].kind & ADAPTIVE != 0
            && let Some(detector) = self.adaptive.get_mut(&id)
        {
            match reason {
                Reason::Start => *detector = detector.fresh(),
                Reason::Beat | Reason::Degraded => detector.heartbeat(at),
                _ => {}
            }
        }
        let slot = &mut self.slots[id as usize];
        slot.last = at;
        if state != State::Stopped {
            slot.aux = declared;
            slot.base = state as u8;
        }
        Ok(self.apply(id, state, reason, at, before))
    }

    /// The beatit process `name` is gone without a `stop` (`spec/liveness.md` §3.1): its
    /// broker published its MQTT Last Will, because its connection ended without a clean
    /// disconnect. It is `dead` at once, for reason `gone`; its next signal revives it, as
    /// after any death. A monitor that never saw the process learns of it this way.
    pub fn observe_gone(&mut self, name: &Process<'_>, at: UnixTime) -> Result<State, Rejected> {
        self.observe_gone_via(None, name, at)
    }

    /// [`Monitor::observe_gone`], heard through `link`.
    pub fn observe_gone_via(
        &mut self,
        link: Option<Link>,
        name: &Process<'_>,
        at: UnixTime,
    ) -> Result<State, Rejected> {
        let at = nanos(at);
        let id = self.admit(Source::Text, name.as_str(), at, Order::Arrival)?;
        let before = self.armed_transition(id);
        self.hear_via(id, link);
        self.slots[id as usize].last = at;
        Ok(self.apply(id, State::Dead, Reason::Gone, at, before))
    }

    /// A liveness record received at `at` (`spec/liveness.md` §3.2): its state is the
    /// seed's verdict on its age ([`classify_at`]).
    pub fn observe_record(&mut self, record: &Record<'_>, at: UnixTime) -> Result<State, Rejected> {
        self.observe_record_via(None, record, at)
    }

    /// [`Monitor::observe_record`] of a record heard through `link` (§6.4).
    pub fn observe_record_via(
        &mut self,
        link: Option<Link>,
        record: &Record<'_>,
        at: UnixTime,
    ) -> Result<State, Rejected> {
        let sent = record.timestamp().unix_time();
        let interval = Duration::from_nanos(self.record_interval(record.service_name().as_str()));
        let state = match classify_at(sent, at, interval) {
            Liveness::Alive => State::Alive,
            Liveness::Stale => State::Late,
            Liveness::Dead => State::Dead,
            _ => {
                let ahead = sent.since(at).unwrap_or_default();
                return Err(Rejected::FutureDated { ahead });
            }
        };
        let sent = nanos(sent);
        let name = record.service_name().as_str();
        let id = self.admit(Source::Record, name, nanos(at), Order::Timestamp(sent))?;
        let before = self.armed_transition(id);
        self.hear_via(id, link);
        let slot = &mut self.slots[id as usize];
        slot.last = sent;
        slot.aux = sent;
        slot.base = State::Alive as u8;
        Ok(self.apply(id, state, Reason::Record, nanos(at), before))
    }

    /// Sets the interval `I` that the records of `service` are judged by (§3.2), in place
    /// of [`Config::record_interval`]: a record does not say how often its publisher
    /// sends, so a monitor knows it from the publisher's configuration, per service
    /// (`record.md` §10.1). It applies at once to a tracked service, and is kept in
    /// snapshots.
    pub fn set_record_interval(&mut self, service: &ServiceName<'_>, interval: Duration) {
        let id = self.find(Source::Record, service.as_str());
        let before = id.and_then(|id| self.next_transition(id)).map(|t| t.0);
        self.record_intervals
            .insert(service.as_str().to_owned(), duration_nanos(interval));
        if let Some(id) = id {
            self.rearm(id, before);
        }
    }

    /// The record intervals set per service, in nanoseconds.
    pub(crate) fn record_intervals(&self) -> impl Iterator<Item = (&str, u64)> + '_ {
        self.record_intervals.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// The interval of a service's records, in nanoseconds.
    fn record_interval(&self, service: &str) -> u64 {
        self.record_intervals
            .get(service)
            .copied()
            .unwrap_or_else(|| duration_nanos(self.config.record_interval))
    }

    /// A Reventless command received at `at` (`spec/liveness.md` §3.3).
    pub fn observe_command(
        &mut self,
        envelope: &Envelope<'_>,
        at: UnixTime,
    ) -> Result<State, Rejected> {
        let (state, reason, minutes) = match &envelope.command {
            Command::Heartbeat { minutes } | Command::RedetectPlugin { minutes } => {
                (State::Alive, Reason::Heartbeat, minutes.minutes().get())
            }
            Command::ConnectPlugin { .. } => (
                State::Starting,
                Reason::Connect,
                DEFAULT_TIMEOUT_MINUTES.get(),
            ),
            Command::DisconnectPlugin => (State::Disconnected, Reason::Disconnect, 0),
            other => {
                return Err(Rejected::NotAHeartbeat {
                    command: other.name().to_owned(),
                });
            }
        };
        let at = nanos(at);
        let id = self.admit(Source::Command, envelope.id.as_str(), at, Order::Arrival)?;
        let before = self.armed_transition(id);
        // Up to 2^31 minutes and a half: more nanoseconds than a u64 holds.
        let grace =
            u64::from(self.config.grace_rule.grace(minutes)).saturating_mul(60 * NANOS_PER_SEC);
        let slot = &mut self.slots[id as usize];
        slot.last = at;
        slot.aux = grace;
        slot.base = state as u8;
        Ok(self.apply(id, state, reason, at, before))
    }

    /// Registers (or replaces) the ping schedule of `name` at `at`: pings are expected at
    /// the fire times of `rate` (`spec/liveness.md` §3.4), interval rates counted from
    /// the epoch. The process is `starting`, unless it is `failed`: a new schedule does
    /// not undo a failure. What its last ping said is kept.
    pub fn expect_pings(
        &mut self,
        name: &Process<'_>,
        rate: Rate,
        at: UnixTime,
    ) -> Result<State, Rejected> {
        self.expect_pings_anchored(name, rate, UnixTime::EPOCH, at)
    }

    /// As [`expect_pings`](Self::expect_pings), with the interval rates counted from
    /// `anchor` (truncated to its minute) instead of the epoch: a pinger that fires at
    /// :15 and :45, the Intervalometerator's 30 minutes, is `Minutes(30)` anchored at
    /// 00:15. Clock rates (`Daily`, ...) and `Single` ignore the anchor.
    pub fn expect_pings_anchored(
        &mut self,
        name: &Process<'_>,
        rate: Rate,
        anchor: UnixTime,
        at: UnixTime,
    ) -> Result<State, Rejected> {
        self.expect_ping_schedule(name, PingSchedule::Rate(rate), anchor, None, at)
    }

    /// Registers (or replaces) the schedule of `name` at `at`, as
    /// [`expect_pings_anchored`](Self::expect_pings_anchored) does, for a rate or a cron
    /// schedule in its time zone (`spec/liveness.md` §3.4): a ping is expected at each
    /// fire time, the process is late when a fire time and `grace` pass without one, and
    /// dead when [`Config::ping_missed`] fire times and `grace` do. `grace`: the process's
    /// own, at most [`MAX_PING_GRACE`] (more counts as that); `None`:
    /// [`Config::ping_grace`]. A cron schedule ignores `anchor`.
    pub fn expect_ping_schedule(
        &mut self,
        name: &Process<'_>,
        schedule: PingSchedule,
        anchor: UnixTime,
        grace: Option<Duration>,
        at: UnixTime,
    ) -> Result<State, Rejected> {
        let at = nanos(at);
        let id = self.admit(Source::Ping, name.as_str(), at, Order::Arrival)?;
        let before = self.armed_transition(id);
        let grace = grace.unwrap_or(self.config.ping_grace).min(MAX_PING_GRACE);
        let plan = PingPlan {
            schedule,
            anchor: nanos(anchor),
            grace: duration_nanos(grace),
            missed: self.config.ping_missed.clamp(1, MAX_PING_MISSED),
        };
        match self.pings.entry(id) {
            std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().plan = plan,
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(PingProcess {
                    plan,
                    last: None,
                    rid: None,
                });
            }
        }
        let slot = &mut self.slots[id as usize];
        slot.last = at;
        slot.base = State::Starting as u8;
        let state = if slot.state == State::Failed as u8 {
            State::Failed
        } else {
            State::Starting
        };
        Ok(self.apply(id, state, Reason::Registered, at, before))
    }

    /// A success ping of `name` received at `at`, without a run id: the same as
    /// [`observe_ping_outcome`](Self::observe_ping_outcome) with
    /// [`PingOutcome::Success`].
    pub fn observe_ping(&mut self, name: &Process<'_>, at: UnixTime) -> Result<State, Rejected> {
        self.observe_ping_outcome(name, PingOutcome::Success, None, at)
    }

    /// An HTTP ping of the registered process `name` received at `at`, saying `outcome`,
    /// in the run `rid` (`spec/liveness.md` §3.4): a success is a sign of life, `alive`;
    /// a failure (`/fail`, a non-zero exit status) makes it `failed` at once, for reason
    /// `failed` or `exit`, with no deadline until a success; a start or a log is a sign
    /// of life that does not undo a failure. The outcome and the run id are kept as the
    /// process's last ping ([`ProcessView::ping`], snapshots), replacing the previous
    /// ones. A name with no schedule is [`Rejected::NotRegistered`], whatever the outcome.
    pub fn observe_ping_outcome(
        &mut self,
        name: &Process<'_>,
        outcome: PingOutcome,
        rid: Option<RunId>,
        at: UnixTime,
    ) -> Result<State, Rejected> {
        let at = nanos(at);
        let id = self
            .find(Source::Ping, name.as_str())
            .ok_or(Rejected::NotRegistered)?;
        let id = self.admit_known(id, at, Order::Arrival)?;
        let before = self.armed_transition(id);
        if let Some(ping) = self.pings.get_mut(&id) {
            ping.last = Some(outcome);
            ping.rid = rid;
        }
        let slot = &mut self.slots[id as usize];
        slot.last = at;
        let (state, reason) = match outcome {
            PingOutcome::Fail => (State::Failed, Reason::Failed),
            PingOutcome::Exit(status @ 1..) => (State::Failed, Reason::Exit(status)),
            PingOutcome::Start | PingOutcome::Log if slot.state == State::Failed as u8 => {
                (State::Failed, Reason::Ping)
            }
            PingOutcome::Success | PingOutcome::Exit(0) | PingOutcome::Start | PingOutcome::Log => {
                slot.base = State::Alive as u8;
                (State::Alive, Reason::Ping)
            }
        };
        Ok(self.apply(id, state, reason, at, before))
    }

    /// Chooses the detector of the beatit process `name`, now if it is tracked, else when
    /// it is first seen.
    pub fn choose_detector(&mut self, name: &Process<'_>, choice: DetectorChoice) {
        let Some(id) = self.find(Source::Text, name.as_str()) else {
            self.chosen.insert(name.as_str().to_owned(), choice);
            return;
        };
        let before = self.armed_transition(id);
        self.set_adaptive(id, Adaptive::new(choice));
        if let Some(detector) = self.adaptive.get_mut(&id) {
            let slot = &self.slots[id as usize];
            if slot.base != State::Starting as u8 {
                detector.heartbeat(slot.last);
            }
        }
        self.rearm(id, before);
    }

    fn set_adaptive(&mut self, id: u32, adaptive: Option<Adaptive>) {
        let slot = &mut self.slots[id as usize];
        match adaptive {
            Some(a) => {
                slot.kind |= ADAPTIVE;
                self.adaptive.insert(id, a);
            }
            None => {
                slot.kind &= !ADAPTIVE;
                self.adaptive.remove(&id);
            }
        }
    }

    /// Stops tracking a process; `false` if it was not tracked.
    pub fn forget(&mut self, source: Source, name: &str) -> bool {
        let hash = self.hash(source, name);
        let Monitor {
            index,
            slots,
            names,
            ..
        } = self;
        let Some(id) = index.remove(hash, |id| matches(slots, names, id, source, name)) else {
            return false;
        };
        let slot = &mut self.slots[id as usize];
        slot.state = FREE;
        slot.kind &= !ADAPTIVE;
        self.garbage += usize::from(slot.len);
        self.adaptive.remove(&id);
        self.pings.remove(&id);
        self.free.push(id);
        self.live -= 1;
        self.full_reported = false;
        if self.garbage > 4096 && self.garbage * 2 > self.names.len() {
            self.compact_names();
        }
        true
    }

    fn compact_names(&mut self) {
        let mut names = String::with_capacity(self.names.len() - self.garbage);
        for slot in self.slots.iter_mut().filter(|s| s.state != FREE) {
            let name = name_of(&self.names, slot);
            slot.name = names.len() as u32;
            names.push_str(name);
        }
        self.names = names;
        self.garbage = 0;
    }

    // ---- time ------------------------------------------------------------------------

    /// Advances the monitor to `now`: every deadline due by then is handled, and every
    /// event since the last drain is returned, in order (`spec/liveness.md` §6).
    pub fn poll(&mut self, now: UnixTime) -> std::vec::Drain<'_, Event> {
        self.shrink_events();
        let now = nanos(now);
        // Entries of forgotten processes say nothing about when a poll was due.
        while let Some(&Reverse(top)) = self.heap.peek()
            && !top.is_live(&self.slots)
        {
            self.heap.pop();
        }
        if let Some(previous) = self.last_poll
            && let Some(due) = self.overdue_since(previous, now)
            && now - due > duration_nanos(self.config.stall_after)
        {
            self.stall(previous, now);
        }
        self.last_poll = Some(self.last_poll.map_or(now, |p| p.max(now)));
        while let Some(&Reverse(top)) = self.heap.peek() {
            if top.millis().saturating_mul(1_000_000) > now {
                break;
            }
            self.heap.pop();
            if top.is_live(&self.slots) {
                if self.unreachable_since(top.id()).is_some() {
                    // Its link is down: no verdict until it is back (§6.4).
                    self.slots[top.id() as usize].armed = DISARMED;
                } else {
                    self.advance(top.id(), now);
                }
            }
        }
        // Entries come due by the millisecond and may have been armed early, so the
        // changes of several processes are found out of order; per process they are in
        // order already, and a stable sort keeps it. Events of one instant are ordered
        // by process, so that a restored monitor, whose index was built anew, reports
        // exactly what the original would have.
        self.events.sort_by(|a, b| {
            a.at()
                .cmp(&b.at())
                .then_with(|| a.subject().cmp(&b.subject()))
        });
        self.events.drain(..)
    }

    /// Since when a poll has been due: the later of the previous poll and the first
    /// deadline in the index, if that is due by `now` (`spec/liveness.md` §6.2). A
    /// caller that polls by [`next_deadline`](Self::next_deadline) is never overdue,
    /// however long it sleeps in between; one that was kept from running past a
    /// deadline is.
    fn overdue_since(&self, previous: u64, now: u64) -> Option<u64> {
        let Reverse(first) = self.heap.peek()?;
        let due = first.millis().saturating_mul(1_000_000);
        (now > previous && due <= now).then_some(due.max(previous))
    }

    /// The events of observations since the last poll or drain, without polling.
    pub fn drain_events(&mut self) -> std::vec::Drain<'_, Event> {
        self.shrink_events();
        self.events.drain(..)
    }

    fn shrink_events(&mut self) {
        if self.events.is_empty() && self.events.capacity() > EVENTS_KEPT {
            self.events.shrink_to(EVENTS_KEPT);
        }
    }

    /// No state changes with time before this instant: poll then at the latest (it may
    /// find nothing due). `None` when nothing can change without an observation.
    ///
    /// A poll more than [`Config::stall_after`] after this instant (as it stood at the
    /// previous poll) is taken for a stall of the monitor itself (§6.2): poll by it, or
    /// at a steady cadence shorter than `stall_after`.
    pub fn next_deadline(&self) -> Option<UnixTime> {
        self.heap
            .peek()
            .map(|Reverse(e)| unix(e.millis().saturating_mul(1_000_000)))
    }

    /// The last poll's time.
    pub fn last_poll(&self) -> Option<UnixTime> {
        self.last_poll.map(unix)
    }

    // ---- links -----------------------------------------------------------------------

    /// The link a process was last heard through is down from `at` (a broker
    /// connection lost): until [`Monitor::link_up`], no process last heard through it is
    /// convicted, because the monitor cannot tell a dead process from a dead broker
    /// (§6.4). Marking a link down twice keeps the first instant.
    pub fn link_down(&mut self, link: Link, at: UnixTime) {
        self.outages.begin(link, nanos(at));
    }

    /// `link` is back at `at`: the outage is forgiven as a stall is (§6.2), for the
    /// processes last heard through it: silence before the outage still counts, silence
    /// within it does not, and their deadlines are armed again. One pass over the
    /// processes. Nothing happens for a link that was not down.
    pub fn link_up(&mut self, link: Link, at: UnixTime) {
        let Some(since) = self.outages.end(link) else {
            return;
        };
        let now = nanos(at);
        let gap = now.saturating_sub(since);
        let mut arm = Vec::new();
        for (id, slot) in self.slots.iter_mut().enumerate() {
            if slot.state >= UNSEEN
                || State::from_u8(slot.state).is_terminal()
                || Link::of_kind(slot.kind) != Some(link)
            {
                continue;
            }
            slot.last = slot.last.saturating_add(gap).min(now.max(slot.last));
            if slot.kind & ADAPTIVE != 0
                && let Some(detector) = self.adaptive.get_mut(&(id as u32))
            {
                detector.shift(gap, now);
            }
            arm.push(id as u32);
        }
        for id in arm {
            if let Some((at, _, _)) = self.next_transition(id) {
                self.push(id, at);
            }
        }
    }

    /// Whether `link` is down now, and since when.
    pub fn link_down_since(&self, link: Link) -> Option<UnixTime> {
        self.outages.down_since(Some(link)).map(unix)
    }

    fn unreachable_since(&self, id: u32) -> Option<u64> {
        self.outages
            .down_since(Link::of_kind(self.slots[id as usize].kind))
    }

    fn hear_via(&mut self, id: u32, link: Option<Link>) {
        let slot = &mut self.slots[id as usize];
        slot.kind = (slot.kind & !LINK_MASK) | Link::bits(link);
    }

    /// The next change of a process whose deadline entry is armed for it; `None` when
    /// it has none armed (new, or disarmed while its link was down), so that
    /// [`Monitor::rearm`] arms one.
    fn armed_transition(&self, id: u32) -> Option<u64> {
        if self.slots[id as usize].armed == DISARMED {
            return None;
        }
        self.next_transition(id).map(|t| t.0)
    }

    fn stall(&mut self, previous: u64, now: u64) {
        let gap = now - previous;
        for (id, slot) in self.slots.iter_mut().enumerate() {
            if slot.state >= UNSEEN || State::from_u8(slot.state).is_terminal() {
                continue;
            }
            // Silence before the gap still counts, silence within it does not.
            slot.last = slot.last.saturating_add(gap).min(now);
            if slot.kind & ADAPTIVE != 0
                && let Some(detector) = self.adaptive.get_mut(&(id as u32))
            {
                detector.shift(gap, now);
            }
        }
        self.events.push(Event::Stalled {
            from: unix(previous),
            to: unix(now),
        });
    }

    fn advance(&mut self, id: u32, now: u64) {
        while let Some((at, new, reason)) = self.next_transition(id) {
            if at > now {
                self.push(id, at);
                return;
            }
            self.set_state(id, new, reason, at);
        }
    }

    /// The next change of a process with time, if no observation comes: when, to what,
    /// why.
    fn next_transition(&self, id: u32) -> Option<(u64, State, Reason)> {
        let slot = &self.slots[id as usize];
        if slot.state >= UNSEEN {
            return None;
        }
        let state = State::from_u8(slot.state);
        if state.is_terminal() {
            return None;
        }
        let late = state == State::Late;
        let deadline = |tolerance, period| {
            let d = Deadline::at(tolerance, period, slot.last);
            if late {
                d.reached_at(Verdict::Convicted)
                    .map(|t| (t, State::Dead, Reason::Silent))
            } else {
                d.reached_at(Verdict::Suspect)
                    .map(|t| (t, State::Late, Reason::Overdue))
            }
        };
        match Source::from_u8(slot.kind) {
            Source::Text => {
                if slot.kind & ADAPTIVE != 0 && slot.base != State::Starting as u8 {
                    let detector = self.adaptive.get(&id)?.detector();
                    if late {
                        detector
                            .reached_at(Verdict::Convicted)
                            .map(|t| (t, State::Dead, Reason::Convicted))
                    } else {
                        detector
                            .reached_at(Verdict::Suspect)
                            .map(|t| (t, State::Late, Reason::Suspected))
                    }
                } else {
                    deadline(self.config.tolerance, slot.aux)
                }
            }
            Source::Record => deadline(
                Tolerance::SEED,
                self.record_interval(name_of(&self.names, slot)),
            ),
            Source::Command => Some((
                slot.last.saturating_add(slot.aux),
                State::Disconnected,
                Reason::Grace,
            )),
            Source::Ping => {
                let plan = &self.pings.get(&id)?.plan;
                if late {
                    plan.due(slot.last, plan.missed)
                        .map(|t| (t, State::Dead, Reason::Silent))
                } else {
                    plan.due(slot.last, 1)
                        .map(|t| (t, State::Late, Reason::Missed))
                }
            }
        }
    }

    fn push(&mut self, id: u32, at: u64) {
        if at / 1_000_000 >= MAX_ENTRY_MILLIS {
            // Beyond the index's horizon (the year 2109): never, in practice. Its entry
            // would be due at the horizon and re-armed there, over and over.
            return;
        }
        let entry = Entry::new(at, id);
        self.slots[id as usize].armed = entry.millis() as u32;
        grow(
            &mut self.heap,
            BinaryHeap::len,
            BinaryHeap::capacity,
            BinaryHeap::reserve_exact,
        );
        self.heap.push(Reverse(entry));
        if self.heap.len() > 2 * self.live + 1024 {
            let slots = &self.slots;
            self.heap.retain(|Reverse(e)| e.is_live(slots));
        }
    }

    /// Arms the deadline of a process whose next change was `before` (the one armed):
    /// only a change that comes earlier needs a new entry; a later one is found when the
    /// armed entry comes due.
    fn rearm(&mut self, id: u32, before: Option<u64>) {
        if let Some((at, _, _)) = self.next_transition(id)
            && before.is_none_or(|b| at < b)
        {
            self.push(id, at);
        }
    }

    fn set_state(&mut self, id: u32, new: State, reason: Reason, at: u64) {
        let slot = &mut self.slots[id as usize];
        let old = slot.state;
        if old == new as u8 {
            return;
        }
        slot.state = new as u8;
        let slot = *slot;
        self.events.push(Event::Changed(Change {
            process: name_of(&self.names, &slot).to_owned(),
            source: Source::from_u8(slot.kind),
            old: (old < UNSEEN).then(|| State::from_u8(old)),
            new,
            reason,
            at: unix(at),
        }));
    }

    fn apply(
        &mut self,
        id: u32,
        state: State,
        reason: Reason,
        at: u64,
        before: Option<u64>,
    ) -> State {
        self.set_state(id, state, reason, at);
        self.rearm(id, before);
        state
    }

    // ---- the index -------------------------------------------------------------------

    /// The hash of a name, which the index keeps most of ([`Index`]), so that growing
    /// it never reads the names again, and a lookup compares names only when the hashes
    /// agree.
    fn hash(&self, source: Source, name: &str) -> u64 {
        self.hasher.hash_one((source as u8, name))
    }

    fn find(&self, source: Source, name: &str) -> Option<u32> {
        self.find_hashed(source, name, self.hash(source, name))
    }

    fn find_hashed(&self, source: Source, name: &str, hash: u64) -> Option<u32> {
        self.index.find(hash, |id| {
            matches(&self.slots, &self.names, id, source, name)
        })
    }

    /// The id of the process an observation at `at` is about, created if new, after the
    /// caps and the order rules.
    fn admit(
        &mut self,
        source: Source,
        name: &str,
        at: u64,
        order: Order,
    ) -> Result<u32, Rejected> {
        let hash = self.hash(source, name);
        self.admit_hashed(source, name, hash, at, order)
    }

    fn admit_hashed(
        &mut self,
        source: Source,
        name: &str,
        hash: u64,
        at: u64,
        order: Order,
    ) -> Result<u32, Rejected> {
        if name.len() > MAX_NAME_LEN {
            return Err(Rejected::NameTooLong { len: name.len() });
        }
        match self.find_hashed(source, name, hash) {
            Some(id) => self.admit_known(id, at, order),
            None => self.insert(source, name, hash, at, order),
        }
    }

    fn admit_known(&mut self, id: u32, at: u64, order: Order) -> Result<u32, Rejected> {
        let cap = u32::from(self.config.max_beats_per_second);
        let second = ((at / NANOS_PER_SEC) & 0xFFFF) as u32;
        let slot = &mut self.slots[id as usize];
        let count = if slot.rate >> 16 == second {
            slot.rate & 0xFFFF
        } else {
            0
        };
        if count >= cap {
            slot.rate = second << 16 | (cap + 1).min(0xFFFF);
            if count == cap {
                let slot = *slot;
                self.events.push(Event::Capped {
                    cap: Cap::Rate,
                    process: name_of(&self.names, &slot).to_owned(),
                    source: Source::from_u8(slot.kind),
                    at: unix(at),
                });
            }
            return Err(Rejected::RateLimited);
        }
        match order {
            Order::Arrival if at < slot.last => {
                return Err(Rejected::OutOfOrder {
                    last: unix(slot.last),
                });
            }
            Order::Timestamp(sent) if sent < slot.aux => {
                return Err(Rejected::OutOfOrder {
                    last: unix(slot.aux),
                });
            }
            Order::Timestamp(sent) if sent == slot.aux => return Err(Rejected::Duplicate),
            _ => {}
        }
        slot.rate = second << 16 | (count + 1);
        Ok(id)
    }

    fn insert(
        &mut self,
        source: Source,
        name: &str,
        hash: u64,
        at: u64,
        order: Order,
    ) -> Result<u32, Rejected> {
        let offset = u32::try_from(self.names.len())
            .ok()
            .filter(|o| o.checked_add(MAX_NAME_LEN as u32).is_some());
        let room = self.live < self.config.max_processes.min(MAX_PROCESSES);
        let (true, Some(offset)) = (room, offset) else {
            if !self.full_reported {
                self.full_reported = true;
                self.events.push(Event::Capped {
                    cap: Cap::Processes,
                    process: name.to_owned(),
                    source,
                    at: unix(at),
                });
            }
            return Err(Rejected::TooManyProcesses);
        };
        if self.names.len() + name.len() > self.names.capacity() {
            self.names
                .reserve_exact(self.names.len() / 8 + name.len() + 256);
        }
        self.names.push_str(name);
        let second = ((at / NANOS_PER_SEC) & 0xFFFF) as u32;
        let slot = Slot {
            last: at,
            aux: match order {
                Order::Timestamp(sent) => sent,
                Order::Arrival => 0,
            },
            name: offset,
            armed: u32::MAX,
            rate: second << 16 | 1,
            len: name.len() as u8,
            kind: source as u8,
            state: UNSEEN,
            base: State::Starting as u8,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = slot;
                id
            }
            None => {
                grow(&mut self.slots, Vec::len, Vec::capacity, Vec::reserve_exact);
                self.slots.push(slot);
                (self.slots.len() - 1) as u32
            }
        };
        self.live += 1;
        self.index.insert(hash, id);
        if source == Source::Text {
            let choice = match self.chosen.remove(name) {
                Some(choice) => choice,
                None => self.config.detector,
            };
            self.set_adaptive(id, Adaptive::new(choice));
        }
        Ok(id)
    }

    // ---- listing ---------------------------------------------------------------------

    /// How many processes are tracked.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether no process is tracked.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    fn view(&self, id: u32) -> ProcessView<'_> {
        let slot = &self.slots[id as usize];
        let source = Source::from_u8(slot.kind);
        let state = State::from_u8(slot.state);
        let link = Link::of_kind(slot.kind);
        let declared = heartwire::text::Seconds::from_nanos(slot.aux);
        let signal = match (source, state) {
            (Source::Text, State::Stopped) => Some(Signal::Stop),
            (Source::Text, _) => declared.map(|d| match State::from_u8(slot.base) {
                State::Starting => Signal::Start { warmup: d },
                State::Degraded => Signal::Degraded { period: d },
                _ => Signal::Beat { period: d },
            }),
            _ => None,
        };
        ProcessView {
            name: name_of(&self.names, slot),
            source,
            state,
            last: unix(slot.last),
            link,
            unreachable_since: self.outages.down_since(link).map(unix),
            signal,
            ping: match source {
                Source::Ping => self.pings.get(&id).map(PingProcess::view),
                _ => None,
            },
        }
    }

    /// Every tracked process, in no particular order.
    pub fn processes(&self) -> impl Iterator<Item = ProcessView<'_>> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.state < UNSEEN)
            .map(|(id, _)| self.view(id as u32))
    }

    /// One process.
    pub fn get(&self, source: Source, name: &str) -> Option<ProcessView<'_>> {
        let id = self.find(source, name)?;
        Some(self.view(id))
    }

    /// The next change a process is due for if nothing more is heard from it: when, and
    /// to which state (`late`, `dead`, `disconnected`); `None` for a process in a final
    /// state or not tracked. What a live table shows as its next deadline.
    pub fn next_change(&self, source: Source, name: &str) -> Option<(UnixTime, State)> {
        let id = self.find(source, name)?;
        self.next_transition(id)
            .map(|(at, state, _)| (unix(at), state))
    }

    /// The continuous suspicion of a process at `now`: its detector's (phi for an
    /// adaptive one), else the silence as a fraction of its declared duration, record
    /// interval, disconnect grace or time to its next ping's grace.
    pub fn suspicion(&self, source: Source, name: &str, now: UnixTime) -> Option<f64> {
        let id = self.find(source, name)?;
        let slot = &self.slots[id as usize];
        let now = nanos(now);
        let elapsed = now.saturating_sub(slot.last) as f64;
        Some(match Source::from_u8(slot.kind) {
            Source::Text if slot.kind & ADAPTIVE != 0 && slot.base != State::Starting as u8 => {
                self.adaptive.get(&id)?.detector().suspicion(now)
            }
            Source::Text => Deadline::at(self.config.tolerance, slot.aux, slot.last).suspicion(now),
            Source::Record => {
                elapsed / self.record_interval(name_of(&self.names, slot)).max(1) as f64
            }
            Source::Command => elapsed / slot.aux.max(1) as f64,
            Source::Ping => {
                let due = self.pings.get(&id)?.plan.due(slot.last, 1)?;
                elapsed / due.saturating_sub(slot.last).max(1) as f64
            }
        })
    }

    /// The bytes this monitor has allocated, counted from the capacities of its
    /// collections. Exact for the deadline index, the slots and the names; the maps of
    /// adaptive detectors and ping schedules (empty unless used) are estimated.
    pub fn memory_footprint(&self) -> Footprint {
        let map = |len: usize, entry: usize| {
            if len == 0 {
                0
            } else {
                (len * 8 / 7).next_power_of_two() * (entry + 1)
            }
        };
        let adaptive: usize = self.adaptive.values().map(Adaptive::heap_bytes).sum();
        let pings: usize = self.pings.values().map(PingProcess::heap_bytes).sum();
        let total = self.slots.capacity() * size_of::<Slot>()
            + self.free.capacity() * size_of::<u32>()
            + self.index.allocation_size()
            + self.heap.capacity() * size_of::<Reverse<Entry>>()
            + self.names.capacity()
            + map(self.adaptive.capacity(), size_of::<(u32, Adaptive)>())
            + adaptive
            + map(self.pings.capacity(), size_of::<(u32, PingProcess)>())
            + pings
            + self.events.capacity() * size_of::<Event>();
        Footprint {
            total,
            names: self.names.len() - self.garbage,
            processes: self.live,
        }
    }

    // ---- snapshots -------------------------------------------------------------------

    pub(crate) fn parts(&self) -> Parts<'_> {
        Parts {
            last_poll: self.last_poll,
            processes: Box::new(
                self.slots
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.state < UNSEEN)
                    .map(|(id, s)| PartProcess {
                        source: Source::from_u8(s.kind),
                        name: name_of(&self.names, s),
                        state: State::from_u8(s.state),
                        base: State::from_u8(s.base),
                        last: s.last,
                        aux: s.aux,
                        adaptive: self.adaptive.get(&(id as u32)),
                        ping: self.pings.get(&(id as u32)),
                    }),
            ),
        }
    }

    /// Adds a restored process; `false` if it is tracked already.
    pub(crate) fn restore_process(&mut self, p: RestoredProcess) -> Result<bool, Rejected> {
        if p.name.len() > MAX_NAME_LEN {
            return Err(Rejected::NameTooLong { len: p.name.len() });
        }
        if self.find(p.source, &p.name).is_some() {
            return Ok(false);
        }
        let hash = self.hash(p.source, &p.name);
        let id = self.insert(p.source, &p.name, hash, p.last, Order::Arrival)?;
        let slot = &mut self.slots[id as usize];
        slot.last = p.last;
        slot.aux = p.aux;
        slot.state = p.state as u8;
        slot.base = p.base as u8;
        if let Some(mut adaptive) = p.adaptive {
            adaptive.repair();
            self.set_adaptive(id, Some(adaptive));
        } else if p.source == Source::Text {
            self.set_adaptive(id, None);
        }
        if let Some(plan) = p.ping {
            self.pings.insert(id, plan);
        }
        self.rearm(id, None);
        Ok(true)
    }

    pub(crate) fn set_last_poll(&mut self, at: Option<u64>) {
        self.last_poll = at;
        // Restoring is not an event.
        self.events.clear();
    }
}

/// Makes room for one more element, growing by an eighth rather than doubling: the
/// copies stay amortized O(1), and the unused capacity is at most an eighth instead of
/// a half, which is most of the 64-byte budget per process.
fn grow<C>(
    collection: &mut C,
    len: fn(&C) -> usize,
    capacity: fn(&C) -> usize,
    reserve_exact: fn(&mut C, usize),
) {
    let n = len(collection);
    if n == capacity(collection) {
        reserve_exact(collection, n / 8 + 64);
    }
}

fn matches(slots: &[Slot], names: &str, id: u32, source: Source, name: &str) -> bool {
    slots
        .get(id as usize)
        .is_some_and(|s| s.kind & 3 == source as u8 && name_of(names, s) == name)
}

/// A monitor's state, borrowed, for a snapshot.
pub(crate) struct Parts<'a> {
    pub(crate) last_poll: Option<u64>,
    pub(crate) processes: Box<dyn Iterator<Item = PartProcess<'a>> + 'a>,
}

/// One process of [`Parts`].
pub(crate) struct PartProcess<'a> {
    pub(crate) source: Source,
    pub(crate) name: &'a str,
    pub(crate) state: State,
    pub(crate) base: State,
    pub(crate) last: u64,
    pub(crate) aux: u64,
    pub(crate) adaptive: Option<&'a Adaptive>,
    pub(crate) ping: Option<&'a PingProcess>,
}

/// One process to restore.
pub(crate) struct RestoredProcess {
    pub(crate) source: Source,
    pub(crate) name: String,
    pub(crate) state: State,
    pub(crate) base: State,
    pub(crate) last: u64,
    pub(crate) aux: u64,
    pub(crate) adaptive: Option<Adaptive>,
    pub(crate) ping: Option<PingProcess>,
}
