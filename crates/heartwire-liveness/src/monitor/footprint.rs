//! What a monitor's memory holds (the budget is at most 64 bytes per process besides
//! its name, 61.3 measured with a million; `tests/footprint.rs` measures it).

use std::cmp::Reverse;
use std::mem::size_of;

use crate::detector::Adaptive;
use crate::event::Event;
use crate::ping::PingProcess;

use super::Monitor;
use super::deadlines::Entry;
use super::facts::RecordFacts;
use super::slots::Slot;

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

impl Monitor {
    /// The bytes this monitor has allocated, counted from the capacities of its
    /// collections. Exact for the deadline index, the slots and the names; the maps of
    /// adaptive detectors, ping schedules and record facts (empty unless used) are
    /// estimated.
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
        let facts: usize = self.facts.values().map(RecordFacts::heap_bytes).sum();
        let total = self.slots.capacity() * size_of::<Slot>()
            + self.free.capacity() * size_of::<u32>()
            + self.index.allocation_size()
            + self.heap.capacity() * size_of::<Reverse<Entry>>()
            + self.names.capacity()
            + map(self.adaptive.capacity(), size_of::<(u32, Adaptive)>())
            + adaptive
            + map(self.pings.capacity(), size_of::<(u32, PingProcess)>())
            + pings
            + map(self.facts.capacity(), size_of::<(u32, RecordFacts)>())
            + facts
            + self.events.capacity() * size_of::<Event>();
        Footprint {
            total,
            names: self.names.len() - self.garbage,
            processes: self.live,
        }
    }
}
