//! Room in the engine (`spec/http.md` §5.5): processes in a final state are forgotten
//! once silent for long, and when the engine is full the oldest of them, else the
//! oldest name never heard from again, is forgotten to make room, so that whoever
//! filled the engine cannot lock the others out.

use std::collections::{BinaryHeap, VecDeque};
use std::time::{Duration, Instant};

use heartwire::time::UnixTime;
use heartwire_liveness::{Monitor, Source, State};

/// How many processes in a final state are kept as candidates between two scans.
const CANDIDATES: usize = 1_024;

/// The most processes one sweep forgets: the rest wait for the next.
const SWEEP_BATCH: usize = 65_536;

/// A full engine with no candidate left is scanned again at most this often.
const RESCAN_AFTER: Duration = Duration::from_secs(1);

/// A process and the instant its deadlines counted from when it was noted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Noted {
    last: UnixTime,
    source: Source,
    name: Box<str>,
}

impl Noted {
    /// Whether the engine still has it, unheard from since.
    fn unchanged(&self, monitor: &Monitor, terminal: bool) -> bool {
        monitor
            .get(self.source, &self.name)
            .is_some_and(|v| v.last == self.last && (!terminal || v.state.is_terminal()))
    }
}

/// What the receiver knows of the engine's room.
#[derive(Debug)]
pub(crate) struct Capacity {
    /// The latest names new to the engine, oldest first, at most `kept`.
    unconfirmed: VecDeque<Noted>,
    kept: usize,
    /// Processes in a final state, the oldest last.
    terminal: Vec<Noted>,
    last_scan: Option<Instant>,
}

impl Capacity {
    pub(crate) fn new(kept: usize) -> Capacity {
        Capacity {
            unconfirmed: VecDeque::new(),
            kept,
            terminal: Vec::new(),
            last_scan: None,
        }
    }

    /// A name new to the engine, registered at `at`.
    pub(crate) fn registered(&mut self, source: Source, name: &str, at: UnixTime) {
        if self.kept == 0 {
            return;
        }
        if self.unconfirmed.len() >= self.kept {
            self.unconfirmed.pop_front();
        }
        self.unconfirmed.push_back(Noted {
            last: at,
            source,
            name: name.into(),
        });
    }

    /// Forgets one process to make room in a full engine: the oldest in a final state,
    /// else the oldest new name never heard from since it was registered; `false` when
    /// no process may go.
    pub(crate) fn evict(&mut self, monitor: &mut Monitor, now: Instant) -> bool {
        for attempt in 0..2 {
            while let Some(noted) = self.terminal.pop() {
                if noted.unchanged(monitor, true) && monitor.forget(noted.source, &noted.name) {
                    return true;
                }
            }
            while let Some(noted) = self.unconfirmed.pop_front() {
                if noted.unchanged(monitor, false) && monitor.forget(noted.source, &noted.name) {
                    return true;
                }
            }
            let scanned_lately = self
                .last_scan
                .is_some_and(|at| now.duration_since(at) < RESCAN_AFTER);
            if attempt > 0 || scanned_lately {
                break;
            }
            self.scan(monitor, now, None);
        }
        false
    }

    /// Forgets the processes dead, stopped or disconnected and silent for
    /// `forget_after` (at most [`SWEEP_BATCH`] of them; a failed one waits for its
    /// success or a `DELETE`) and notes the oldest in a final state as candidates;
    /// returns how many it forgot.
    pub(crate) fn sweep(
        &mut self,
        monitor: &mut Monitor,
        now: Instant,
        at: UnixTime,
        forget_after: Option<Duration>,
    ) -> usize {
        let cutoff = forget_after.and_then(|d| {
            let secs = i64::try_from(d.as_secs()).ok()?;
            at.checked_add_secs(-secs)
        });
        let expired = self.scan(monitor, now, cutoff);
        let forgotten = expired
            .iter()
            .filter(|n| monitor.forget(n.source, &n.name))
            .count();
        // The candidates expired too are gone from the engine: drop them.
        self.terminal.retain(|n| n.unchanged(monitor, true));
        forgotten
    }

    /// Notes the [`CANDIDATES`] oldest processes in a final state not forgotten now;
    /// returns those to forget (dead, stopped or disconnected, their last sign of life
    /// before `cutoff`; at most [`SWEEP_BATCH`]).
    fn scan(&mut self, monitor: &Monitor, now: Instant, cutoff: Option<UnixTime>) -> Vec<Noted> {
        self.last_scan = Some(now);
        let mut expired = Vec::new();
        let mut oldest: BinaryHeap<Noted> = BinaryHeap::with_capacity(CANDIDATES + 1);
        for view in monitor.processes().filter(|v| v.state.is_terminal()) {
            if view.state != State::Failed && cutoff.is_some_and(|c| view.last < c) {
                if expired.len() < SWEEP_BATCH {
                    expired.push(Noted {
                        last: view.last,
                        source: view.source,
                        name: view.name.into(),
                    });
                }
                continue;
            }
            let younger = oldest.len() >= CANDIDATES
                && oldest.peek().is_some_and(|max| {
                    (max.last, max.source, &*max.name) <= (view.last, view.source, view.name)
                });
            if younger {
                continue;
            }
            oldest.push(Noted {
                last: view.last,
                source: view.source,
                name: view.name.into(),
            });
            if oldest.len() > CANDIDATES {
                oldest.pop();
            }
        }
        // Oldest last, so that `pop` takes it.
        self.terminal = oldest.into_sorted_vec();
        self.terminal.reverse();
        expired
    }
}
