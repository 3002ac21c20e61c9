//! Time passing: polls, the events they report, and stalls of the monitor itself
//! (`spec/liveness.md` §6).

use std::cmp::Reverse;

use heartwire::time::UnixTime;

use crate::event::{Event, State};
use crate::link::Link;

#[cfg(doc)]
use super::Config;
use super::Monitor;
use super::nanos::{duration_nanos, nanos, unix};
use super::slots::{ADAPTIVE, DISARMED, UNSEEN};

/// Events kept allocated between drains: a burst of events does not keep its memory.
const EVENTS_KEPT: usize = 256;

impl Monitor {
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

    fn stall(&mut self, previous: u64, now: u64) {
        let gap = now - previous;
        // A durable link replays the gap (§6.5): its processes are held until it has.
        let durable: Vec<Link> = self.outages.durable().collect();
        for &link in &durable {
            self.outages.begin_replay(link, previous);
        }
        for (id, slot) in self.slots.iter_mut().enumerate() {
            if slot.state >= UNSEEN
                || State::from_u8(slot.state).is_terminal()
                || self.outages.is_durable(Link::of_kind(slot.kind))
            {
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
}
