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

use std::collections::{BTreeMap, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use hashbrown::{Equivalent, HashMap};

use heartwire::text::Signal;
use heartwire::time::{Timestamp, UnixTime};
use heartwire_liveness::{Change, MAX_NAME_LEN, PingOutcome, RunId, Source, State};
use serde_json::{Map, Value};

use super::lock;

/// Runs begun (`start` pings) and not yet ended that are remembered per process, the
/// latest ones: a job whose runs overlap more than that loses the oldest's duration.
pub const OPEN_RUNS: usize = 8;

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
    /// When it was last written to, in the store's sequence.
    touched: u64,
}

impl Trail {
    fn entries(&self) -> usize {
        self.changes.len() + self.signals.len() + self.open.len()
    }
}

/// A process: its source and name, the name shared by the map, the age order and the
/// recent changes (a clone is a count, not a copy).
type Key = (Source, Arc<str>);

/// A process named without allocating, to look a [`Key`] up: it hashes as the key does
/// (the source, then the name's bytes).
#[derive(Hash)]
struct Named<'a>(Source, &'a str);

impl Equivalent<Key> for Named<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        self.0 == key.0 && self.1 == &*key.1
    }
}

#[derive(Debug, Default)]
struct Store {
    trails: HashMap<Key, Trail>,
    /// The processes by when they were last touched, the oldest first.
    by_age: BTreeMap<u64, Key>,
    sequence: u64,
    entries: usize,
    recent: VecDeque<(Key, Changed)>,
}

/// The history of every process, shared by the receiver and the program that polls the
/// engine; see the module's documentation.
#[derive(Debug, Default)]
pub struct History {
    limits: HistoryLimits,
    store: Mutex<Store>,
}

impl History {
    /// An empty history kept within `limits` (a `per_process` of 0 is taken as 1).
    pub fn new(limits: HistoryLimits) -> History {
        History {
            limits: HistoryLimits {
                per_process: limits.per_process.max(1),
                max_entries: limits.max_entries.max(1),
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
        let changed = Changed {
            at: change.at,
            old: change.old,
            new: change.new,
            reason: change.reason.as_str(),
            exit_status: change.reason.exit_status(),
        };
        let mut store = lock(&self.store);
        let limits = self.limits;
        let recent = changed.clone();
        let key = store
            .edit(change.source, &change.process, limits, |trail| {
                push_bounded(&mut trail.changes, changed, limits.per_process);
            })
            .unwrap_or_else(|| (change.source, change.process.as_str().into()));
        push_bounded(&mut store.recent, (key, recent), RECENT_CHANGES);
    }

    /// Drops the history of a process (forgotten by the engine, or registered anew).
    pub fn forget(&self, source: Source, name: &str) {
        lock(&self.store).remove(&Named(source, name));
    }

    /// Keeps the histories of the processes `keep` says the engine still has: one pass
    /// over the histories (at most [`HistoryLimits::max_entries`]).
    pub fn retain(&self, mut keep: impl FnMut(Source, &str) -> bool) {
        let mut store = lock(&self.store);
        let gone: Vec<Key> = store
            .trails
            .keys()
            .filter(|(source, name)| !keep(*source, name))
            .cloned()
            .collect();
        for key in &gone {
            store.remove(key);
        }
    }

    /// Entries kept in all.
    pub fn entries(&self) -> usize {
        lock(&self.store).entries
    }

    /// Processes with a history.
    pub fn processes(&self) -> usize {
        lock(&self.store).trails.len()
    }

    /// Adds `history` (changes, pings and beats, oldest first) and `runs` (the ended
    /// runs whose start is known, oldest first) to `entry`, the process's `/status`
    /// entry. A process without history gets empty ones.
    pub fn describe(&self, source: Source, name: &str, entry: &mut Map<String, Value>) {
        let store = lock(&self.store);
        let trail = store.trails.get(&Named(source, name));
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
            .by_age
            .values()
            .filter_map(|key| store.trails.get(key).map(|t| (key, t)))
            .map(|((source, name), trail)| {
                let mut item = Map::new();
                item.insert("name".into(), (**name).into());
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
            })
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
        let empty: Vec<Key> = store
            .trails
            .iter()
            .filter(|(_, t)| t.entries() == 0)
            .map(|(k, _)| k.clone())
            .collect();
        for key in &empty {
            store.remove(key);
        }
        let recent = saved["changes"].as_array().map_or(&[][..], Vec::as_slice);
        for item in &recent[recent.len().saturating_sub(RECENT_CHANGES)..] {
            if let (Some((source, name)), Some(changed)) = (key_of(item), Changed::read(item)) {
                push_bounded(
                    &mut store.recent,
                    ((source, name.into()), changed),
                    RECENT_CHANGES,
                );
            }
        }
        store.entries
    }
}

impl Store {
    /// The latest changes of all processes, oldest first, each with its `name` and
    /// `source`: a `/status` page's `changes` and the saved history's.
    fn recent_json(&self) -> Vec<Value> {
        self.recent
            .iter()
            .map(|((source, name), c)| {
                let mut item = Map::new();
                item.insert("name".into(), (**name).into());
                item.insert("source".into(), source.as_str().into());
                c.write(&mut item);
                Value::Object(item)
            })
            .collect()
    }

    /// Runs `edit` on the trail of (source, name), made if need be and marked as the
    /// latest touched; then drops the oldest trails while over the bound (never the one
    /// just edited). Its key, `None` for a name that cannot be one.
    fn edit(
        &mut self,
        source: Source,
        name: &str,
        limits: HistoryLimits,
        edit: impl FnOnce(&mut Trail),
    ) -> Option<Key> {
        if name.is_empty() || name.len() > MAX_NAME_LEN {
            return None;
        }
        self.sequence += 1;
        let sequence = self.sequence;
        // A known process's key is taken from its place in the age order, where it
        // moves: the name is allocated once, when the process is new.
        let touched = self.trails.get(&Named(source, name)).map(|t| t.touched);
        let key = touched
            .and_then(|t| self.by_age.remove(&t))
            .unwrap_or_else(|| (source, name.into()));
        let trail = self.trails.entry(key.clone()).or_default();
        let before = trail.entries();
        trail.touched = sequence;
        edit(trail);
        let after = trail.entries();
        self.entries = self.entries - before + after;
        self.by_age.insert(sequence, key.clone());
        // Each trail dropped makes the store smaller: bounded by the number of trails.
        while self.entries > limits.max_entries {
            match self.by_age.first_key_value() {
                Some((&oldest, _)) if oldest != sequence => {}
                _ => break,
            }
            if let Some((_, oldest)) = self.by_age.pop_first()
                && let Some(trail) = self.trails.remove(&oldest)
            {
                self.entries -= trail.entries();
            }
        }
        Some(key)
    }

    fn remove<Q: Hash + Equivalent<Key> + ?Sized>(&mut self, key: &Q) {
        if let Some(trail) = self.trails.remove(key) {
            self.by_age.remove(&trail.touched);
            self.entries -= trail.entries();
        }
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
}
