//! What a monitor tells about its processes: views, states, next changes, suspicion.

use heartwire::text::Signal;
use heartwire::time::UnixTime;

use crate::detector::{Deadline, Detector};
use crate::event::{Source, State};
use crate::link::Link;
use crate::ping::{PingProcess, PingView};

use super::Monitor;
use super::facts::RecordFacts;
use super::names::name_of;
use super::nanos::{nanos, unix};
use super::slots::{ADAPTIVE, UNSEEN};

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
    /// A record process's last accepted record: instance, measurements, extra members
    /// (not kept in snapshots: a restored process has none until its next record).
    pub record: Option<&'a RecordFacts>,
}

impl Monitor {
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
            record: self.facts.get(&id),
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
}
