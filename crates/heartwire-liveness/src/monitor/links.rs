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
    ///
    /// For a durable link ([`Monitor::link_durable`]) call it once the link has
    /// delivered everything its broker kept for the monitor (§6.5): a process heard
    /// within the outage is judged by what it was heard to say, with its own times; an
    /// outage of the connection is forgiven only to the processes not heard within it,
    /// and a replay after the monitor's own downtime to nobody.
    pub fn link_up(&mut self, link: Link, at: UnixTime) {
        let Some(hold) = self.outages.end(link) else {
            return;
        };
        let durable = self.outages.is_durable(Some(link));
        let now = nanos(at);
        let gap = now.saturating_sub(hold.since);
        let mut arm = Vec::new();
        for (id, slot) in self.slots.iter_mut().enumerate() {
            if slot.state >= UNSEEN
                || State::from_u8(slot.state).is_terminal()
                || Link::of_kind(slot.kind) != Some(link)
            {
                continue;
            }
            arm.push(id as u32);
            if !hold.forgive || (durable && slot.last >= hold.since) {
                continue;
            }
            slot.last = slot.last.saturating_add(gap).min(now.max(slot.last));
            if slot.kind & ADAPTIVE != 0
                && let Some(detector) = self.adaptive.get_mut(&(id as u32))
            {
                detector.shift(gap, now);
            }
        }
        for id in arm {
            if let Some((at, _, _)) = self.next_transition(id) {
                self.push(id, at);
            }
        }
    }

    /// `link` is durable (`spec/liveness.md` §6.5): its broker keeps what it carries
    /// until the monitor has it and delivers it with the time it took it, so that the
    /// monitor's own downtime is replayed instead of forgiven. From now on a stall
    /// (§6.2) does not forgive the processes last heard through it but holds them, as an
    /// outage does, until the caller says the link has caught up ([`Monitor::link_up`]).
    pub fn link_durable(&mut self, link: Link) {
        self.outages.set_durable(link);
    }

    /// A durable `link` replays from `since` (a restored monitor's last poll, say):
    /// the processes last heard through it are held, neither convicted nor forgiven,
    /// until [`Monitor::link_up`] says it has caught up (§6.5). A link down already
    /// stays as it is.
    pub fn link_replaying(&mut self, link: Link, since: UnixTime) {
        self.outages.set_durable(link);
        self.outages.begin_replay(link, nanos(since));
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
