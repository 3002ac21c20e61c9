//! The name interner: the names in one arena, found by hash through the index, and the
//! arena compacted as processes are forgotten.

use std::hash::BuildHasher;

use crate::event::Source;
#[cfg(doc)]
use crate::index::Index;

use super::Monitor;
use super::slots::{ADAPTIVE, FREE, Slot};

/// The longest process name a monitor tracks, in bytes.
pub const MAX_NAME_LEN: usize = 255;

pub(super) fn name_of<'n>(names: &'n str, slot: &Slot) -> &'n str {
    let start = slot.name as usize;
    names
        .get(start..start + usize::from(slot.len))
        .unwrap_or("")
}

fn matches(slots: &[Slot], names: &str, id: u32, source: Source, name: &str) -> bool {
    slots
        .get(id as usize)
        .is_some_and(|s| s.kind & 3 == source as u8 && name_of(names, s) == name)
}

impl Monitor {
    /// The hash of a name, which the index keeps most of ([`Index`]), so that growing
    /// it never reads the names again, and a lookup compares names only when the hashes
    /// agree.
    pub(super) fn hash(&self, source: Source, name: &str) -> u64 {
        self.hasher.hash_one((source as u8, name))
    }

    pub(super) fn find(&self, source: Source, name: &str) -> Option<u32> {
        self.find_hashed(source, name, self.hash(source, name))
    }

    pub(super) fn find_hashed(&self, source: Source, name: &str, hash: u64) -> Option<u32> {
        self.index.find(hash, |id| {
            matches(&self.slots, &self.names, id, source, name)
        })
    }

    /// Stops tracking a process; `false` if it was not tracked.
    pub fn forget(&mut self, source: Source, name: &str) -> bool {
        let hash = self.hash(source, name);
        let Monitor {
            index,
            slots,
            names,
            ..
        } = self;
        let Some(id) = index.remove(hash, |id| matches(slots, names, id, source, name)) else {
            return false;
        };
        let slot = &mut self.slots[id as usize];
        slot.state = FREE;
        slot.kind &= !ADAPTIVE;
        self.garbage += usize::from(slot.len);
        self.adaptive.remove(&id);
        self.pings.remove(&id);
        self.facts.remove(&id);
        self.free.push(id);
        self.live -= 1;
        self.full_reported = false;
        if self.garbage > 4096 && self.garbage * 2 > self.names.len() {
            self.compact_names();
        }
        true
    }

    fn compact_names(&mut self) {
        let mut names = String::with_capacity(self.names.len() - self.garbage);
        for slot in self.slots.iter_mut().filter(|s| s.state != FREE) {
            let name = name_of(&self.names, slot);
            slot.name = names.len() as u32;
            names.push_str(name);
        }
        self.names = names;
        self.garbage = 0;
    }
}
