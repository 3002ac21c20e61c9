//! Links: a broker connection down and back, and the processes heard through it
//! (`spec/liveness.md` §6.4).

use heartwire::time::UnixTime;

use crate::event::State;
use crate::link::{LINK_MASK, Link};

use super::Monitor;
use super::nanos::{nanos, unix};
use super::slots::{ADAPTIVE, UNSEEN};

impl Monitor {
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

    pub(super) fn unreachable_since(&self, id: u32) -> Option<u64> {
        self.outages
            .down_since(Link::of_kind(self.slots[id as usize].kind))
    }

    pub(super) fn hear_via(&mut self, id: u32, link: Option<Link>) {
        let slot = &mut self.slots[id as usize];
        slot.kind = (slot.kind & !LINK_MASK) | Link::bits(link);
    }
}
