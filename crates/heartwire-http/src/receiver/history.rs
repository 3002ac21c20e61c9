//! What happened to each process lately (`spec/http.md` §5.11): its last state changes
//! and its last pings and beats, and how long its runs took (a `start` ping to the end
//! of the run), as healthchecks.io shows a check's log. Shown at `/status/<name>` and on
//! the status page.
//!
//! The receiver records the pings and beats it accepts; the program that polls the
//! engine records the changes ([`History::change`]), since only it takes the engine's
//! events. Everything is bounded: [`HistoryLimits::per_process`] changes and as many
//! signals per process, a few open runs, and [`HistoryLimits::max_entries`] in all,
//! beyond which the histories touched longest ago are dropped whole. A process the
//! engine forgets loses its history (at once for a `DELETE` or a name registered anew,
//! at the next sweep otherwise: [`History::retain`]).

use std::collections::VecDeque;
use std::hash::{BuildHasher, Hash};
use std::sync::Mutex;

use hashbrown::{DefaultHashBuilder, HashTable};

use heartwire::text::Signal;
use heartwire::time::{Timestamp, UnixTime};
use heartwire_liveness::{Change, MAX_NAME_LEN, PingOutcome, RunId, Source, State};
use serde_json::{Map, Value};

use super::lock;

/// Runs begun (`start` pings) and not yet ended that are remembered per process, the
/// latest ones: a job whose runs overlap more than that loses the oldest's duration.
pub const OPEN_RUNS: usize = 8;

/// The largest [`HistoryLimits::max_entries`] taken (a larger one is taken as this).
pub const MAX_ENTRIES: usize = 1 << 30;

/// Changes across all processes kept for the status page's list of recent changes.
pub const RECENT_CHANGES: usize = 50;

/// How much history is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryLimits {
    /// State changes kept per process, and as many pings and beats: the latest.
    pub per_process: usize,
    /// Entries (changes, pings, beats and open runs) kept in all; beyond it, the
    /// histories of the processes touched longest ago are dropped whole.
    pub max_entries: usize,
}

impl Default for HistoryLimits {
    /// 20 per process, 100,000 in all (about 10 MB at most).
    fn default() -> HistoryLimits {
        HistoryLimits {
            per_process: 20,
            max_entries: 100_000,
        }
    }
}

/// A ping or a beat, as heard.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Heard {
    Ping {
        outcome: PingOutcome,
        rid: Option<RunId>,
        /// For the end of a run (a success or a failure after a `start` of the same run
        /// id): when the run started.
        started: Option<UnixTime>,
    },
    Beat(Signal),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Signalled {
    at: UnixTime,
    heard: Heard,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Changed {
    at: UnixTime,
    old: Option<State>,
    new: State,
    /// The reason as `spec/liveness.md` §7 names it.
    reason: &'static str,
    exit_status: Option<u8>,
}

/// One process's history.
#[derive(Debug, Default)]
struct Trail {
    changes: VecDeque<Changed>,
    signals: VecDeque<Signalled>,
    /// Runs begun and not ended: their run id and start, the latest last.
    open: VecDeque<(Option<RunId>, UnixTime)>,
}

impl Trail {
    fn entries(&self) -> usize {
        self.changes.len() + self.signals.len() + self.open.len()
    }

    /// Empties it for another process, keeping its buffers when they are small (the
    /// common trail of a change or two), so that a store at its bound, where each new
    /// process takes the place of the oldest, allocates nothing; a large one's are let
    /// go, so that what free places hold stays small.
    fn clear(&mut self) {
        let held = self.changes.capacity() + self.signals.capacity() + self.open.capacity();
        if held > KEPT_CAPACITY {
            *self = Trail::default();
        } else {
            self.changes.clear();
            self.signals.clear();
            self.open.clear();
        }
    }
}

/// Entries a free place keeps room for (see [`Trail::clear`]), and the bytes of a name.
const KEPT_CAPACITY: usize = 8;
const KEPT_NAME: usize = 64;

/// Marks the end of the age order.
const NONE: u32 = u32::MAX;

/// A process's place in the store: its name, its history, and its neighbours in the age
/// order (a list through the places, so that moving a process to the newest end and
/// dropping the oldest touch no other memory).
#[derive(Debug)]
struct Place {
    /// The hash of (source, name), kept so that the index never hashes a name again.
    hash: u64,
    source: Source,
    /// Its name; a free place keeps the buffer for the next process.
    name: String,
    trail: Trail,
    older: u32,
    newer: u32,
}

/// A process named, to hash: the source, then the name's bytes.
#[derive(Hash)]
struct Named<'a>(Source, &'a str);

/// A recent change and whose it was; its name's buffer is reused once it is dropped
/// from [`RECENT_CHANGES`].
#[derive(Debug)]
struct Recent {
    source: Source,
    name: String,
    changed: Changed,
}

/// The histories, bounded: places in a vector, reused; an index of their numbers by
/// hash (4 bytes each, so that a lookup that finds nothing, as a new process's does,
/// costs one read of a small table); the age order as a list through the places.
#[derive(Debug)]
struct Store {
    index: HashTable<u32>,
    places: Vec<Place>,
    /// Places no process holds, to be taken before the vector grows.
    free: Vec<u32>,
    /// The ends of the age order, the oldest first.
    oldest: u32,
    newest: u32,
    entries: usize,
    recent: VecDeque<Recent>,
    hasher: DefaultHashBuilder,
}

/// The history of every process, shared by the receiver and the program that polls the
/// engine; see the module's documentation.
#[derive(Debug, Default)]
pub struct History {
    limits: HistoryLimits,
    store: Mutex<Store>,
}

impl History {
    /// An empty history kept within `limits` (a `per_process` of 0 is taken as 1, a
    /// `max_entries` above [`MAX_ENTRIES`] as that).
    pub fn new(limits: HistoryLimits) -> History {
        History {
            limits: HistoryLimits {
                per_process: limits.per_process.max(1),
                // Places are numbered with a u32: far more than memory allows anyway.
                max_entries: limits.max_entries.clamp(1, MAX_ENTRIES),
            },
            store: Mutex::default(),
        }
    }

    /// Its limits.
    pub fn limits(&self) -> HistoryLimits {
        self.limits
    }

    /// A ping accepted for the ping process `name`. The end of a run (a success or a
    /// failure) after a `start` with the same run id (or both without) is given the
    /// run's start, so that its duration can be shown.
    pub fn ping(&self, name: &str, outcome: PingOutcome, rid: Option<&RunId>, at: UnixTime) {
        let mut store = lock(&self.store);
        let limits = self.limits;
        store.edit(Source::Ping, name, limits, |trail| {
            let mut started = None;
            match outcome {
                PingOutcome::Start => {
                    trail.open.retain(|(r, _)| r.as_ref() != rid);
                    trail.open.push_back((rid.cloned(), at));
                    while trail.open.len() > OPEN_RUNS {
                        trail.open.pop_front();
                    }
                }
                PingOutcome::Log => {}
                PingOutcome::Success | PingOutcome::Fail | PingOutcome::Exit(_) => {
                    if let Some(i) = trail.open.iter().rposition(|(r, _)| r.as_ref() == rid) {
                        started = trail.open.remove(i).map(|(_, at)| at);
                    }
                }
            }
            push_bounded(
                &mut trail.signals,
                Signalled {
                    at,
                    heard: Heard::Ping {
                        outcome,
                        rid: rid.cloned(),
                        started,
                    },
                },
                limits.per_process,
            );
        });
    }

    /// A beatit message accepted for `name` (a `/beat`).
    pub fn beat(&self, name: &str, signal: Signal, at: UnixTime) {
        let mut store = lock(&self.store);
        let limits = self.limits;
        store.edit(Source::Text, name, limits, |trail| {
            let heard = Heard::Beat(signal);
            push_bounded(
                &mut trail.signals,
                Signalled { at, heard },
                limits.per_process,
            );
        });
    }

    /// A change of state, as the engine reported it.
    pub fn change(&self, change: &Change) {
        self.changes(std::iter::once(change));
    }

    /// The changes of one poll of the engine, under one lock.
    pub fn changes<'a>(&self, changes: impl IntoIterator<Item = &'a Change>) {
        let mut store = lock(&self.store);
        let limits = self.limits;
        for change in changes {
            let changed = Changed::of(change);
            let recent = changed.clone();
            store.edit(change.source, &change.process, limits, |trail| {
                push_bounded(&mut trail.changes, changed, limits.per_process);
            });
            store.push_recent(change.source, &change.process, recent);
        }
    }

    /// Drops the history of a process (forgotten by the engine, or registered anew).
    pub fn forget(&self, source: Source, name: &str) {
        let mut store = lock(&self.store);
        if let Some(place) = store.find(source, name) {
            store.remove(place);
        }
    }

    /// Keeps the histories of the processes `keep` says the engine still has: one pass
    /// over the histories (at most [`HistoryLimits::max_entries`]).
    pub fn retain(&self, mut keep: impl FnMut(Source, &str) -> bool) {
        let mut store = lock(&self.store);
        store.remove_where(|place| !keep(place.source, &place.name));
    }

    /// Entries kept in all.
    pub fn entries(&self) -> usize {
        lock(&self.store).entries
    }

    /// Processes with a history.
    pub fn processes(&self) -> usize {
        lock(&self.store).index.len()
    }

    /// Adds `history` (changes, pings and beats, oldest first) and `runs` (the ended
    /// runs whose start is known, oldest first) to `entry`, the process's `/status`
    /// entry. A process without history gets empty ones.
    pub fn describe(&self, source: Source, name: &str, entry: &mut Map<String, Value>) {
        let store = lock(&self.store);
        let trail = store
            .find(source, name)
            .map(|at| &store.places[at as usize].trail);
        let (history, runs) = trail.map_or_else(Default::default, |t| (t.history(), t.runs()));
        entry.insert("history".into(), Value::Array(history));
        entry.insert("runs".into(), Value::Array(runs));
    }

    /// The latest changes of all processes, oldest first, as a member of a `/status`
    /// page: `,"changes":[...]` (each with `name` and `source`).
    pub fn write_recent(&self, out: &mut String) {
        let changes = lock(&self.store).recent_json();
        out.push_str(",\"changes\":");
        out.push_str(&Value::Array(changes).to_string());
    }

    /// Everything kept, to be saved with the engine's snapshot and given back to
    /// [`History::restore`].
    pub fn save(&self) -> Value {
        let store = lock(&self.store);
        let processes: Vec<Value> = store
            .by_age()
            .map(
                |Place {
                     source,
                     name,
                     trail,
                     ..
                 }| {
                    let mut item = Map::new();
                    item.insert("name".into(), name.as_str().into());
                    item.insert("source".into(), source.as_str().into());
                    item.insert("history".into(), Value::Array(trail.history()));
                    let open: Vec<Value> = trail
                        .open
                        .iter()
                        .map(|(rid, at)| {
                            let mut run = Map::new();
                            run.insert("started".into(), time(*at).into());
                            if let Some(rid) = rid {
                                run.insert("rid".into(), rid.as_str().into());
                            }
                            Value::Object(run)
                        })
                        .collect();
                    item.insert("open".into(), Value::Array(open));
                    Value::Object(item)
                },
            )
            .collect();
        let recent = store.recent_json();
        serde_json::json!({"version": 1, "processes": processes, "changes": recent})
    }

    /// Takes back what [`History::save`] gave, within this history's limits, the
    /// processes in the order they were saved (the latest touched last); returns the
    /// entries restored. What does not read (a member missing, a name too long, an
    /// unknown state) is skipped, never an error: a history is an aid, not a reason to
    /// refuse to start. Bounded in time by the limits whatever `saved` holds.
    pub fn restore(&self, saved: &Value) -> usize {
        let limits = self.limits;
        let mut store = lock(&self.store);
        let processes = saved["processes"].as_array().map_or(&[][..], Vec::as_slice);
        // The latest touched come last: only as many as could be kept are read.
        let from = processes.len().saturating_sub(limits.max_entries);
        for item in &processes[from..] {
            let Some((source, name)) = key_of(item) else {
                continue;
            };
            let history = item["history"].as_array().map_or(&[][..], Vec::as_slice);
            let open = item["open"].as_array().map_or(&[][..], Vec::as_slice);
            store.edit(source, name, limits, |trail| {
                let from = history.len().saturating_sub(2 * limits.per_process);
                for entry in &history[from..] {
                    if let Some(changed) = Changed::read(entry) {
                        push_bounded(&mut trail.changes, changed, limits.per_process);
                    } else if let Some(signalled) = Signalled::read(entry) {
                        push_bounded(&mut trail.signals, signalled, limits.per_process);
                    }
                }
                for run in &open[open.len().saturating_sub(OPEN_RUNS)..] {
                    let Some(at) = run["started"].as_str().and_then(parse_time) else {
                        continue;
                    };
                    let rid = run["rid"].as_str().and_then(|r| RunId::new(r).ok());
                    trail.open.push_back((rid, at));
                }
            });
        }
        // A trail left empty (nothing read) is not kept.
        store.remove_where(|place| place.trail.entries() == 0);
        let recent = saved["changes"].as_array().map_or(&[][..], Vec::as_slice);
        for item in &recent[recent.len().saturating_sub(RECENT_CHANGES)..] {
            if let (Some((source, name)), Some(changed)) = (key_of(item), Changed::read(item)) {
                store.push_recent(source, name, changed);
            }
        }
        store.entries
    }
}

impl Default for Store {
    fn default() -> Store {
        Store {
            index: HashTable::new(),
            places: Vec::new(),
            free: Vec::new(),
            oldest: NONE,
            newest: NONE,
            entries: 0,
            recent: VecDeque::new(),
            hasher: DefaultHashBuilder::default(),
        }
    }
}

impl Store {
    /// The latest changes of all processes, oldest first, each with its `name` and
    /// `source`: a `/status` page's `changes` and the saved history's.
    fn recent_json(&self) -> Vec<Value> {
        self.recent
            .iter()
            .map(|r| {
                let mut item = Map::new();
                item.insert("name".into(), r.name.as_str().into());
                item.insert("source".into(), r.source.as_str().into());
                r.changed.write(&mut item);
                Value::Object(item)
            })
            .collect()
    }

    /// Adds a change to the recent ones, reusing the buffer of the one it drops.
    fn push_recent(&mut self, source: Source, name: &str, changed: Changed) {
        let mut recent = if self.recent.len() >= RECENT_CHANGES {
            self.recent.pop_front()
        } else {
            None
        }
        .unwrap_or(Recent {
            source,
            name: String::new(),
            changed: changed.clone(),
        });
        recent.source = source;
        recent.name.clear();
        recent.name.push_str(name);
        recent.changed = changed;
        self.recent.push_back(recent);
    }

    /// The places that hold a process, the oldest touched first.
    fn by_age(&self) -> impl Iterator<Item = &Place> {
        let mut at = self.oldest;
        std::iter::from_fn(move || {
            let place = self.places.get(at as usize)?;
            at = place.newer;
            Some(place)
        })
    }

    fn hash(&self, source: Source, name: &str) -> u64 {
        self.hasher.hash_one(Named(source, name))
    }

    /// The place of (source, name), if it has one.
    fn find(&self, source: Source, name: &str) -> Option<u32> {
        let hash = self.hash(source, name);
        let places = &self.places;
        self.index
            .find(hash, |&at| {
                let place = &places[at as usize];
                place.hash == hash && place.source == source && place.name == name
            })
            .copied()
    }

    /// Takes `at` out of the age order.
    fn unlink(&mut self, at: u32) {
        let (older, newer) = {
            let place = &self.places[at as usize];
            (place.older, place.newer)
        };
        match self.places.get_mut(older as usize) {
            Some(place) => place.newer = newer,
            None => self.oldest = newer,
        }
        match self.places.get_mut(newer as usize) {
            Some(place) => place.older = older,
            None => self.newest = older,
        }
    }

    /// Puts `at` at the newest end of the age order.
    fn link_newest(&mut self, at: u32) {
        let older = self.newest;
        {
            let place = &mut self.places[at as usize];
            place.older = older;
            place.newer = NONE;
        }
        match self.places.get_mut(older as usize) {
            Some(place) => place.newer = at,
            None => self.oldest = at,
        }
        self.newest = at;
    }

    /// A place for a new process, linked nowhere yet: a free one if there is one.
    fn take_place(&mut self, hash: u64, source: Source, name: &str) -> u32 {
        let at = match self.free.pop() {
            Some(at) => at,
            None => {
                self.places.push(Place {
                    hash,
                    source,
                    name: String::new(),
                    trail: Trail::default(),
                    older: NONE,
                    newer: NONE,
                });
                // At most one place per entry kept, and one being edited: the bound
                // keeps this far from u32::MAX.
                u32::try_from(self.places.len() - 1).unwrap_or(NONE)
            }
        };
        let place = &mut self.places[at as usize];
        place.hash = hash;
        place.source = source;
        place.name.clear();
        place.name.push_str(name);
        let places = &self.places;
        self.index
            .insert_unique(hash, at, |&i| places[i as usize].hash);
        at
    }

    /// Runs `edit` on the trail of (source, name), made if need be and marked as the
    /// latest touched; then drops the oldest trails while over the bound (never the one
    /// just edited). False for a name that cannot be one.
    fn edit(
        &mut self,
        source: Source,
        name: &str,
        limits: HistoryLimits,
        edit: impl FnOnce(&mut Trail),
    ) -> bool {
        if name.is_empty() || name.len() > MAX_NAME_LEN {
            return false;
        }
        let at = match self.find(source, name) {
            Some(at) => {
                self.unlink(at);
                at
            }
            None => {
                let hash = self.hash(source, name);
                self.take_place(hash, source, name)
            }
        };
        self.link_newest(at);
        let trail = &mut self.places[at as usize].trail;
        let before = trail.entries();
        edit(trail);
        let after = trail.entries();
        self.entries = self.entries - before + after;
        // Each trail dropped makes the store smaller: bounded by the number of trails.
        while self.entries > limits.max_entries && self.oldest != at {
            self.remove(self.oldest);
        }
        true
    }

    /// Drops the processes whose place `gone` says: one pass along the age order.
    fn remove_where(&mut self, mut gone: impl FnMut(&Place) -> bool) {
        let mut at = self.oldest;
        while let Some(place) = self.places.get(at as usize) {
            let newer = place.newer;
            if gone(place) {
                self.remove(at);
            }
            at = newer;
        }
    }

    /// Drops the process at `at`: out of the index and the age order, its place free.
    fn remove(&mut self, at: u32) {
        let hash = self.places[at as usize].hash;
        if let Ok(entry) = self.index.find_entry(hash, |&i| i == at) {
            entry.remove();
        }
        self.unlink(at);
        let place = &mut self.places[at as usize];
        self.entries -= place.trail.entries();
        place.trail.clear();
        if place.name.capacity() > KEPT_NAME {
            place.name = String::new();
        }
        place.older = NONE;
        place.newer = NONE;
        self.free.push(at);
    }
}

impl Trail {
    /// Changes and signals merged, oldest first (a change after the signal of the same
    /// instant that caused it).
    fn history(&self) -> Vec<Value> {
        let mut all: Vec<(UnixTime, u8, Value)> =
            Vec::with_capacity(self.changes.len() + self.signals.len());
        for s in &self.signals {
            all.push((s.at, 0, s.json()));
        }
        for c in &self.changes {
            let mut item = Map::new();
            c.write(&mut item);
            all.push((c.at, 1, Value::Object(item)));
        }
        all.sort_by_key(|a| (a.0, a.1));
        all.into_iter().map(|(_, _, v)| v).collect()
    }

    /// The ended runs whose start is known, oldest first.
    fn runs(&self) -> Vec<Value> {
        self.signals
            .iter()
            .filter_map(|s| match &s.heard {
                Heard::Ping {
                    outcome,
                    rid,
                    started: Some(started),
                } => {
                    let mut run = Map::new();
                    run.insert("started".into(), time(*started).into());
                    run.insert("ended".into(), time(s.at).into());
                    run.insert("duration".into(), seconds(s.at, *started).into());
                    run.insert("outcome".into(), outcome.kind().into());
                    if let Some(status) = outcome.exit_status() {
                        run.insert("exit_status".into(), status.into());
                    }
                    if let Some(rid) = rid {
                        run.insert("rid".into(), rid.as_str().into());
                    }
                    Some(Value::Object(run))
                }
                _ => None,
            })
            .collect()
    }
}

impl Signalled {
    fn json(&self) -> Value {
        let mut item = Map::new();
        item.insert("at".into(), time(self.at).into());
        match &self.heard {
            Heard::Ping {
                outcome,
                rid,
                started,
            } => {
                item.insert("ping".into(), outcome.kind().into());
                if let Some(status) = outcome.exit_status() {
                    item.insert("exit_status".into(), status.into());
                }
                if let Some(rid) = rid {
                    item.insert("rid".into(), rid.as_str().into());
                }
                if let Some(started) = started {
                    item.insert("started".into(), time(*started).into());
                    item.insert("duration".into(), seconds(self.at, *started).into());
                }
            }
            Heard::Beat(signal) => {
                item.insert("beat".into(), signal.to_string().into());
            }
        }
        Value::Object(item)
    }

    fn read(item: &Value) -> Option<Signalled> {
        let at = item["at"].as_str().and_then(parse_time)?;
        let heard = if let Some(kind) = item["ping"].as_str() {
            let status = item["exit_status"]
                .as_u64()
                .and_then(|s| u8::try_from(s).ok());
            let outcome = match (kind, status) {
                (_, Some(status)) => PingOutcome::Exit(status),
                ("success", None) => PingOutcome::Success,
                ("start", None) => PingOutcome::Start,
                ("log", None) => PingOutcome::Log,
                ("fail", None) => PingOutcome::Fail,
                _ => return None,
            };
            let rid = item["rid"].as_str().and_then(|r| RunId::new(r).ok());
            let started = item["started"].as_str().and_then(parse_time);
            Heard::Ping {
                outcome,
                rid,
                started,
            }
        } else {
            Heard::Beat(item["beat"].as_str()?.parse().ok()?)
        };
        Some(Signalled { at, heard })
    }
}

impl Changed {
    fn of(change: &Change) -> Changed {
        Changed {
            at: change.at,
            old: change.old,
            new: change.new,
            reason: change.reason.as_str(),
            exit_status: change.reason.exit_status(),
        }
    }

    fn write(&self, item: &mut Map<String, Value>) {
        item.insert("at".into(), time(self.at).into());
        item.insert("old".into(), self.old.map(State::as_str).into());
        item.insert("new".into(), self.new.as_str().into());
        item.insert("reason".into(), self.reason.into());
        if let Some(status) = self.exit_status {
            item.insert("exit_status".into(), status.into());
        }
    }

    fn read(item: &Value) -> Option<Changed> {
        let state = |v: &Value| {
            v.as_str()
                .and_then(|s| State::ALL.into_iter().find(|st| st.as_str() == s))
        };
        let new = state(&item["new"])?;
        let old = match &item["old"] {
            Value::Null => None,
            v => Some(state(v)?),
        };
        let reason = item["reason"].as_str()?;
        let reason = REASONS.into_iter().find(|r| *r == reason)?;
        Some(Changed {
            at: item["at"].as_str().and_then(parse_time)?,
            old,
            new,
            reason,
            exit_status: item["exit_status"]
                .as_u64()
                .and_then(|s| u8::try_from(s).ok()),
        })
    }
}

/// Every reason of `spec/liveness.md` §7, to read a saved change back.
const REASONS: [&str; 19] = [
    "start",
    "beat",
    "degraded",
    "stop",
    "record",
    "heartbeat",
    "connect",
    "disconnect",
    "ping",
    "registered",
    "overdue",
    "silent",
    "missed",
    "grace",
    "suspected",
    "convicted",
    "gone",
    "failed",
    "exit",
];

fn key_of(item: &Value) -> Option<(Source, &str)> {
    let source = item["source"].as_str()?;
    let source = [Source::Text, Source::Record, Source::Command, Source::Ping]
        .into_iter()
        .find(|s| s.as_str() == source)?;
    let name = item["name"].as_str()?;
    (!name.is_empty() && name.len() <= MAX_NAME_LEN).then_some((source, name))
}

fn push_bounded<T>(queue: &mut VecDeque<T>, item: T, max: usize) {
    queue.push_back(item);
    while queue.len() > max {
        queue.pop_front();
    }
}

fn time(at: UnixTime) -> String {
    Timestamp::from_unix_millis(at).as_str().to_owned()
}

fn parse_time(text: &str) -> Option<UnixTime> {
    Timestamp::parse(text).ok().map(|t| t.unix_time())
}

/// `at - started` in seconds, between the two instants as shown (to the millisecond,
/// so that a restored history says the same); 0 for a start after the end (a clock
/// stepped back).
fn seconds(at: UnixTime, started: UnixTime) -> f64 {
    let millis = |t: UnixTime| t.as_nanos().div_euclid(1_000_000);
    (millis(at) - millis(started)).max(0) as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use heartwire_liveness::Reason;

    fn at(secs: i64) -> UnixTime {
        UnixTime::new(1_700_000_000 + secs, 0)
    }

    fn described(history: &History, source: Source, name: &str) -> Map<String, Value> {
        let mut entry = Map::new();
        history.describe(source, name, &mut entry);
        entry
    }

    #[test]
    fn the_last_n_of_each_are_kept() {
        let history = History::new(HistoryLimits {
            per_process: 3,
            max_entries: 1000,
        });
        for i in 0..10 {
            history.ping("job", PingOutcome::Log, None, at(i));
            history.change(&Change {
                process: "job".into(),
                source: Source::Ping,
                old: Some(State::Alive),
                new: State::Late,
                reason: Reason::Missed,
                at: at(i),
            });
        }
        let entry = described(&history, Source::Ping, "job");
        let items = entry["history"].as_array().expect("history");
        assert_eq!(items.len(), 6);
        assert_eq!(items[0]["at"], time(at(7)));
        assert_eq!(items[0]["ping"], "log");
        assert_eq!(items[1]["new"], "late");
        assert_eq!(history.entries(), 6);
    }

    #[test]
    fn a_run_has_a_duration_matched_by_run_id() {
        let history = History::new(HistoryLimits::default());
        let a = RunId::new("a").ok();
        let b = RunId::new("b").ok();
        history.ping("job", PingOutcome::Start, a.as_ref(), at(0));
        history.ping("job", PingOutcome::Start, b.as_ref(), at(5));
        history.ping("job", PingOutcome::Log, None, at(6));
        history.ping("job", PingOutcome::Exit(3), a.as_ref(), at(12));
        history.ping("job", PingOutcome::Success, b.as_ref(), at(20));
        history.ping("job", PingOutcome::Success, None, at(21));
        let entry = described(&history, Source::Ping, "job");
        let runs = entry["runs"].as_array().expect("runs");
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert_eq!(runs[0]["duration"], 12.0);
        assert_eq!(runs[0]["outcome"], "fail");
        assert_eq!(runs[0]["exit_status"], 3);
        assert_eq!(runs[1]["duration"], 15.0);
        assert_eq!(runs[1]["rid"], "b");
        let items = entry["history"].as_array().expect("history");
        assert_eq!(items[5]["ping"], "success");
        assert!(
            items[5].get("duration").is_none(),
            "no start without a run id"
        );
    }

    #[test]
    fn the_global_bound_drops_the_oldest_histories_whole() {
        let history = History::new(HistoryLimits {
            per_process: 5,
            max_entries: 10,
        });
        for i in 0..20 {
            history.ping(&format!("p{i}"), PingOutcome::Success, None, at(i));
            history.ping(&format!("p{i}"), PingOutcome::Success, None, at(i));
        }
        assert_eq!(history.entries(), 10);
        assert_eq!(history.processes(), 5);
        assert!(
            described(&history, Source::Ping, "p0")["history"]
                .as_array()
                .is_some_and(Vec::is_empty)
        );
        assert_eq!(
            described(&history, Source::Ping, "p19")["history"]
                .as_array()
                .map(Vec::len),
            Some(2)
        );
        history.retain(|_, name| name != "p19");
        assert_eq!(history.processes(), 4);
        assert_eq!(history.entries(), 8);
    }

    #[test]
    fn a_process_touched_again_is_dropped_after_the_others() {
        let history = History::new(HistoryLimits {
            per_process: 5,
            max_entries: 3,
        });
        for name in ["a", "b", "c"] {
            history.ping(name, PingOutcome::Success, None, at(0));
        }
        // `a` is the latest touched now: `b` goes first, then `c`.
        history.ping("a", PingOutcome::Log, None, at(1));
        assert_eq!(history.processes(), 2);
        history.ping("d", PingOutcome::Success, None, at(2));
        let kept = |name: &str| {
            described(&history, Source::Ping, name)["history"]
                .as_array()
                .map_or(0, Vec::len)
        };
        assert_eq!(
            (kept("a"), kept("b"), kept("c"), kept("d")),
            (2, 0, 0, 1),
            "{}",
            history.save()
        );
        // The age order holds every process once, the oldest first.
        let saved = history.save();
        let names: Vec<&str> = saved["processes"]
            .as_array()
            .map(|p| p.iter().filter_map(|i| i["name"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(names, ["a", "d"]);
    }

    #[test]
    fn saved_and_restored() {
        let history = History::new(HistoryLimits::default());
        let rid = RunId::new("r-1").ok();
        history.ping("job", PingOutcome::Start, rid.as_ref(), at(0));
        history.ping("job", PingOutcome::Success, rid.as_ref(), at(90));
        history.ping("job", PingOutcome::Start, None, at(100));
        history.beat("api", Signal::parse("beat/5").expect("a signal"), at(1));
        history.change(&Change {
            process: "job".into(),
            source: Source::Ping,
            old: None,
            new: State::Alive,
            reason: Reason::Exit(0),
            at: at(0),
        });
        let saved = history.save();
        let again = History::new(HistoryLimits::default());
        assert_eq!(again.restore(&saved), history.entries());
        assert_eq!(again.save(), saved);
        again.ping("job", PingOutcome::Success, None, at(160));
        let runs = described(&again, Source::Ping, "job")["runs"].clone();
        assert_eq!(runs[1]["duration"], 60.0, "{runs}");
        let mut recent = String::new();
        again.write_recent(&mut recent);
        assert!(recent.starts_with(",\"changes\":[{"), "{recent}");
        // Nonsense is skipped, not an error.
        let odd = serde_json::json!({"processes": [{"name": "", "source": "ping"}, 3,
            {"name": "x", "source": "nowhere", "history": []},
            {"name": "y", "source": "ping", "history": [{"at": "never", "ping": "start"}]}]});
        assert_eq!(History::default().restore(&odd), 0);
    }

    /// What the store should hold, kept the plain way: trails in age order, the oldest
    /// first, each as (source, name, changes, signals, open runs).
    #[derive(Default)]
    struct Model {
        trails: Vec<(Source, String, usize, usize, usize)>,
    }

    #[derive(Debug, Clone)]
    enum Op {
        Ping(u8, PingOutcome),
        Beat(u8),
        Change(u8, bool),
        Forget(u8, bool),
        Retain(u8),
    }

    fn name(n: u8) -> String {
        format!("p{}", n % 12)
    }

    fn source(ping: bool) -> Source {
        if ping { Source::Ping } else { Source::Text }
    }

    impl Model {
        fn edit(
            &mut self,
            limits: HistoryLimits,
            source: Source,
            name: &str,
            f: impl Fn(&mut (Source, String, usize, usize, usize)),
        ) {
            let mut trail = match self
                .trails
                .iter()
                .position(|t| t.0 == source && t.1 == name)
            {
                Some(i) => self.trails.remove(i),
                None => (source, name.to_owned(), 0, 0, 0),
            };
            f(&mut trail);
            self.trails.push(trail);
            while self.entries() > limits.max_entries && self.trails.len() > 1 {
                self.trails.remove(0);
            }
        }

        fn entries(&self) -> usize {
            self.trails.iter().map(|t| t.2 + t.3 + t.4).sum()
        }
    }

    fn apply(history: &History, model: &mut Model, op: &Op) {
        let limits = history.limits();
        let per = limits.per_process;
        match op {
            Op::Ping(n, outcome) => {
                history.ping(&name(*n), *outcome, None, at(0));
                model.edit(limits, Source::Ping, &name(*n), |t| {
                    t.3 = (t.3 + 1).min(per);
                    match outcome {
                        PingOutcome::Start => t.4 = 1,
                        PingOutcome::Log => {}
                        _ => t.4 = 0,
                    }
                });
            }
            Op::Beat(n) => {
                let signal = Signal::parse("beat/5").expect("a signal");
                history.beat(&name(*n), signal, at(0));
                model.edit(limits, Source::Text, &name(*n), |t| {
                    t.3 = (t.3 + 1).min(per)
                });
            }
            Op::Change(n, ping) => {
                history.change(&Change {
                    process: name(*n).as_str().into(),
                    source: source(*ping),
                    old: None,
                    new: State::Alive,
                    reason: heartwire_liveness::Reason::Beat,
                    at: at(0),
                });
                model.edit(limits, source(*ping), &name(*n), |t| {
                    t.2 = (t.2 + 1).min(per)
                });
            }
            Op::Forget(n, ping) => {
                history.forget(source(*ping), &name(*n));
                model
                    .trails
                    .retain(|t| !(t.0 == source(*ping) && t.1 == name(*n)));
            }
            Op::Retain(modulus) => {
                let keep = |name: &str| name.len().is_multiple_of(usize::from(modulus % 3 + 1));
                history.retain(|_, n| keep(n));
                model.trails.retain(|t| keep(&t.1));
            }
        }
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        let outcome = prop_oneof![
            Just(PingOutcome::Start),
            Just(PingOutcome::Log),
            Just(PingOutcome::Success),
            Just(PingOutcome::Fail),
        ];
        prop_oneof![
            4 => (any::<u8>(), outcome).prop_map(|(n, o)| Op::Ping(n, o)),
            3 => any::<u8>().prop_map(Op::Beat),
            4 => (any::<u8>(), any::<bool>()).prop_map(|(n, p)| Op::Change(n, p)),
            1 => (any::<u8>(), any::<bool>()).prop_map(|(n, p)| Op::Forget(n, p)),
            1 => any::<u8>().prop_map(Op::Retain),
        ]
    }

    proptest::proptest! {
        /// On random operations, the store holds what the plain model says: the same
        /// processes in the same age order, each with as many entries, and the same
        /// totals; places freed and taken again never mix two processes' histories.
        #[test]
        fn the_store_agrees_with_a_plain_model(
            per_process in 1usize..4,
            max_entries in 1usize..16,
            ops in proptest::collection::vec(op(), 0..200),
        ) {
            let history = History::new(HistoryLimits { per_process, max_entries });
            let mut model = Model::default();
            for op in &ops {
                apply(&history, &mut model, op);
                proptest::prop_assert_eq!(history.entries(), model.entries(), "{:?}", op);
                proptest::prop_assert_eq!(history.processes(), model.trails.len());
            }
            let saved = history.save();
            let got: Vec<(String, String, usize, usize)> = saved["processes"]
                .as_array()
                .map(|p| {
                    p.iter()
                        .map(|i| {
                            (
                                i["source"].as_str().unwrap_or("?").to_owned(),
                                i["name"].as_str().unwrap_or("?").to_owned(),
                                i["history"].as_array().map_or(0, Vec::len),
                                i["open"].as_array().map_or(0, Vec::len),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let want: Vec<(String, String, usize, usize)> = model
                .trails
                .iter()
                .map(|t| (t.0.as_str().to_owned(), t.1.clone(), t.2 + t.3, t.4))
                .collect();
            proptest::prop_assert_eq!(got, want);
            // Every process's own history is found by name, and holds only its own.
            for t in &model.trails {
                let entry = described(&history, t.0, &t.1);
                let items = entry["history"].as_array().map_or(0, Vec::len);
                proptest::prop_assert_eq!(items, t.2 + t.3);
            }
        }
    }
}
