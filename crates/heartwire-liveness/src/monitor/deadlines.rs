//! The deadline index: one `u64` entry per process in a heap, armed for its next change.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

#[cfg(doc)]
use super::Config;
use super::Monitor;
use super::slots::{DISARMED, Slot, UNSEEN, grow};

/// Bits of a process id in a deadline entry.
pub(crate) const ID_BITS: u32 = 22;

/// The most processes a monitor can track, whatever [`Config::max_processes`] says:
/// 2^22 (4,194,304), so that a deadline entry is one `u64`.
pub const MAX_PROCESSES: usize = 1 << ID_BITS;

/// The horizon of the deadline index: 2^42 − 1 ms after the epoch (the year 2109). A
/// change due later is not indexed: it never happens, in practice.
const MAX_ENTRY_MILLIS: u64 = (1 << (64 - ID_BITS)) - 1;

/// A deadline entry in one `u64`, so that the index costs 8 bytes per process: the
/// millisecond it is due (rounded up, so a due entry's exact deadline has passed) in the
/// high 42 bits, the process id in the low 22. Ordered by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Entry(u64);

impl Entry {
    fn new(at: u64, id: u32) -> Entry {
        let millis = at.div_ceil(1_000_000).min(MAX_ENTRY_MILLIS);
        Entry(millis << ID_BITS | u64::from(id))
    }

    pub(super) const fn millis(self) -> u64 {
        self.0 >> ID_BITS
    }

    pub(super) const fn id(self) -> u32 {
        (self.0 & ((1 << ID_BITS) - 1)) as u32
    }

    /// Whether this is the live entry of its process, not one a deadline moved from.
    pub(super) fn is_live(self, slots: &[Slot]) -> bool {
        slots
            .get(self.id() as usize)
            .is_some_and(|s| s.state < UNSEEN && s.armed == self.millis() as u32)
    }
}

impl Monitor {
    pub(super) fn push(&mut self, id: u32, at: u64) {
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
    pub(super) fn rearm(&mut self, id: u32, before: Option<u64>) {
        if let Some((at, _, _)) = self.next_transition(id)
            && before.is_none_or(|b| at < b)
        {
            self.push(id, at);
        }
    }

    /// The next change of a process whose deadline entry is armed for it; `None` when
    /// it has none armed (new, or disarmed while its link was down), so that
    /// [`Monitor::rearm`] arms one.
    pub(super) fn armed_transition(&self, id: u32) -> Option<u64> {
        if self.slots[id as usize].armed == DISARMED {
            return None;
        }
        self.next_transition(id).map(|t| t.0)
    }
}
