//! The name interner: the names in one arena, found by hash through the index, and the
//! arena compacted as processes are forgotten.

use std::hash::BuildHasher;

use crate::event::Source;
use crate::huge_pages;
#[cfg(doc)]
use crate::index::Index;

use super::Monitor;
use super::slots::{ADAPTIVE, FREE, Slot, UNSEEN};

/// The longest process name a monitor tracks, in bytes.
pub const MAX_NAME_LEN: usize = 255;

pub(super) fn name_of<'n>(names: &'n str, slot: &Slot) -> &'n str {
    let start = slot.name as usize;
    names
        .get(start..start + usize::from(slot.len))
        .unwrap_or("")
}

#[inline(always)]
fn matches(slots: &[Slot], names: &str, id: u32, source: Source, name: &str) -> bool {
    slots.get(id as usize).is_some_and(|s| {
        s.kind & 3 == source as u8
            && usize::from(s.len) == name.len()
            && names
                .as_bytes()
                .get(s.name as usize..)
                .is_some_and(|arena| starts_with(arena, name.as_bytes()))
    })
}

/// Whether `arena` starts with `name`, compared a word at a time (the last word
/// overlapping the one before): for names this short a call to `memcmp` costs more
/// than the comparison.
#[inline(always)]
fn starts_with(arena: &[u8], name: &[u8]) -> bool {
    let Some(stored) = arena.get(..name.len()) else {
        return false;
    };
    fn words<const N: usize>(s: &[u8]) -> Option<(&[u8; N], &[u8; N])> {
        Some((s.first_chunk::<N>()?, s.last_chunk::<N>()?))
    }
    match name.len() {
        0..4 => stored == name,
        4..8 => words::<4>(stored) == words::<4>(name),
        8..=16 => words::<8>(stored) == words::<8>(name),
        _ => {
            let word = |s: &[u8], i: usize| s.get(i..).and_then(|s| s.first_chunk::<8>().copied());
            let mut i = 0;
            while i + 8 < name.len() {
                if word(stored, i) != word(name, i) {
                    return false;
                }
                i += 8;
            }
            stored.last_chunk::<8>() == name.last_chunk::<8>()
        }
    }
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

    /// Whether `id` is the process `name` of `source`: a live slot with that name (the
    /// index holds one id per name, so this is proof).
    #[inline(always)]
    pub(super) fn is_named(&self, id: u32, source: Source, name: &str) -> bool {
        self.slots
            .get(id as usize)
            .is_some_and(|s| s.state < UNSEEN)
            && matches(&self.slots, &self.names, id, source, name)
    }

    #[inline(always)]
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
        huge_pages::advise(names.as_ptr(), names.capacity());
        for slot in self.slots.iter_mut().filter(|s| s.state != FREE) {
            let name = name_of(&self.names, slot);
            slot.name = names.len() as u32;
            names.push_str(name);
        }
        self.names = names;
        self.garbage = 0;
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::starts_with;

    proptest! {
        /// The word-at-a-time comparison is `<[u8]>::starts_with`, for names of every
        /// length class and arenas that differ from them in one byte or none.
        #[test]
        fn starts_with_is_the_plain_one(
            name in prop::collection::vec(any::<u8>(), 0..40),
            tail in prop::collection::vec(any::<u8>(), 0..4),
            flip in any::<prop::sample::Index>(),
            bit in 0u8..8,
            change in any::<bool>(),
        ) {
            let mut arena = name.clone();
            if change && !arena.is_empty() {
                let i = flip.index(arena.len());
                arena[i] ^= 1 << bit;
            }
            arena.extend_from_slice(&tail);
            prop_assert_eq!(starts_with(&arena, &name), arena.starts_with(&name));
            let short = &arena[..arena.len().min(name.len().saturating_sub(1))];
            prop_assert_eq!(starts_with(short, &name), short.starts_with(&name));
        }
    }
}
