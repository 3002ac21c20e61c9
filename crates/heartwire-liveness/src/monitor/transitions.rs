//! Changes of state: the next change of a process with time, and applying a change.

use crate::detector::{Deadline, Detector, Tolerance, Verdict};
use crate::event::{Change, Event, Reason, Source, State};

use super::Monitor;
use super::names::name_of;
use super::nanos::unix;
use super::slots::{ADAPTIVE, UNSEEN};

impl Monitor {
    /// The next change of a process with time, if no observation comes: when, to what,
    /// why.
    pub(super) fn next_transition(&self, id: u32) -> Option<(u64, State, Reason)> {
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

    pub(super) fn advance(&mut self, id: u32, now: u64) {
        while let Some((at, new, reason)) = self.next_transition(id) {
            if at > now {
                self.push(id, at);
                return;
            }
            self.set_state(id, new, reason, at);
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

    pub(super) fn apply(
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
}
