//! The monitor: one state per process, from observations of every input, with a
//! deadline index (`spec/liveness.md` §3, §5, §6).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use hashbrown::DefaultHashBuilder;

use crate::detector::{Adaptive, DetectorChoice};
use crate::event::Event;
use crate::huge_pages;
use crate::index::Index;
use crate::link::Outages;
use crate::ping::PingProcess;

mod admission;
mod commands;
mod config;
mod deadlines;
mod detectors;
mod facts;
mod footprint;
mod links;
mod names;
mod nanos;
mod pings;
mod poll;
mod records;
mod rejected;
mod slots;
mod snapshot_parts;
mod texts;
mod transitions;
mod views;

pub use config::Config;
use deadlines::Entry;
pub(crate) use deadlines::ID_BITS;
pub use deadlines::MAX_PROCESSES;
pub use facts::RecordFacts;
pub use footprint::Footprint;
pub use names::MAX_NAME_LEN;
pub(crate) use nanos::{nanos, unix};
pub use rejected::Rejected;
use slots::Slot;
pub(crate) use snapshot_parts::RestoredProcess;
pub use views::ProcessView;

/// The liveness engine: sans-I/O, the clock passed in (see the [crate docs](crate)).
#[derive(Debug, Clone)]
pub struct Monitor {
    config: Config,
    slots: Vec<Slot>,
    free: Vec<u32>,
    index: Index,
    hasher: DefaultHashBuilder,
    names: String,
    garbage: usize,
    heap: BinaryHeap<Reverse<Entry>>,
    adaptive: HashMap<u32, Adaptive>,
    pings: HashMap<u32, PingProcess>,
    /// The facts of each record process's last accepted record, beside its slot.
    facts: HashMap<u32, RecordFacts>,
    chosen: HashMap<String, DetectorChoice>,
    /// Record intervals set per service, in nanoseconds (else `Config::record_interval`).
    record_intervals: HashMap<String, u64>,
    events: Vec<Event>,
    last_poll: Option<u64>,
    live: usize,
    full_reported: bool,
    outages: Outages,
}

impl Default for Monitor {
    fn default() -> Self {
        Monitor::new(Config::default())
    }
}

impl Monitor {
    /// A monitor tracking nobody.
    pub fn new(config: Config) -> Monitor {
        Monitor {
            config,
            slots: Vec::new(),
            free: Vec::new(),
            index: Index::default(),
            hasher: DefaultHashBuilder::default(),
            names: String::new(),
            garbage: 0,
            heap: BinaryHeap::new(),
            adaptive: HashMap::new(),
            pings: HashMap::new(),
            facts: HashMap::new(),
            chosen: HashMap::new(),
            record_intervals: HashMap::new(),
            events: Vec::new(),
            last_poll: None,
            live: 0,
            full_reported: false,
            outages: Outages::default(),
        }
    }

    /// The configuration.
    pub const fn config(&self) -> &Config {
        &self.config
    }

    /// Reserves room for `additional` more processes with names of `name_bytes` bytes in
    /// all, so that tracking them does not reallocate.
    pub fn reserve(&mut self, additional: usize, name_bytes: usize) {
        self.slots.reserve(additional);
        self.heap.reserve(additional);
        self.names.reserve(name_bytes);
        self.index.reserve(additional);
        huge_pages::advise(self.slots.as_ptr(), self.slots.capacity());
        huge_pages::advise(self.names.as_ptr(), self.names.capacity());
    }
}
