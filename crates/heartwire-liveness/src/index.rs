//! The name index of a monitor: from a name's 64-bit hash to the ids of the processes
//! whose hashes agree with it, in one `u64` per bucket, so that a probe is one load.
//!
//! Open addressing with linear probing over a power-of-two table. A bucket holds the
//! hash's high 42 bits (bit 22 forced to 1, so that no entry is 0, the empty bucket)
//! and the process id in the low 22 bits ([`ID_BITS`]). The home bucket of a hash is
//! its top bits, which the entry keeps: growing the table moves entries without reading
//! the names again, and a removal shifts the entries after it back (no tombstones).
//! A hash match is not proof of a name: the caller compares the name.

use crate::huge_pages;
use crate::monitor::ID_BITS;

const ID_MASK: u64 = (1 << ID_BITS) - 1;
/// The bit set in every entry, so that an entry is never the empty bucket.
const MARK: u64 = 1 << ID_BITS;
/// The smallest table allocated.
const MIN_BUCKETS: usize = 16;

/// A table of ids by hash.
#[derive(Debug, Clone, Default)]
pub(crate) struct Index {
    buckets: Vec<u64>,
    len: usize,
}

/// What an entry keeps of a hash.
const fn tag(hash: u64) -> u64 {
    (hash & !ID_MASK) | MARK
}

impl Index {
    /// The table's bit count: `buckets.len() == 1 << bits`, for a non-empty table.
    fn shift(&self) -> u32 {
        64 - self.buckets.len().trailing_zeros()
    }

    const fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    /// The home bucket of a hash; the table is not empty.
    fn home(&self, hash: u64) -> usize {
        (hash >> self.shift()) as usize
    }

    /// The bytes allocated.
    pub(crate) fn allocation_size(&self) -> usize {
        self.buckets.capacity() * size_of::<u64>()
    }

    /// The home bucket of `hash`, for a read that brings its cache line in early; 0 in
    /// an empty table.
    pub(crate) fn bucket_of(&self, hash: u64) -> &u64 {
        if self.buckets.is_empty() {
            return &0;
        }
        &self.buckets[self.home(hash)]
    }

    /// The id of the first entry of `hash` in its probe sequence, whatever its name:
    /// what a lookup reads first.
    pub(crate) fn first(&self, hash: u64) -> Option<u32> {
        self.probe(hash).next()
    }

    /// The ids whose entries agree with `hash`, in probe order.
    fn probe(&self, hash: u64) -> impl Iterator<Item = u32> + '_ {
        let tag = tag(hash);
        let (mask, start) = if self.buckets.is_empty() {
            (0, 0)
        } else {
            (self.mask(), self.home(hash))
        };
        let n = self.buckets.len();
        (0..n)
            .map(move |k| self.buckets[(start + k) & mask])
            .take_while(|&e| e != 0)
            .filter(move |&e| e & !ID_MASK == tag)
            .map(|e| (e & ID_MASK) as u32)
    }

    /// The id of `hash` for which `eq` holds.
    #[inline(always)]
    pub(crate) fn find(&self, hash: u64, mut eq: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.buckets.is_empty() {
            return None;
        }
        let (tag, mask) = (tag(hash), self.mask());
        let home = self.home(hash);
        // The table is never full: an empty bucket comes within its length.
        for i in home..home + self.buckets.len() {
            let e = self.buckets[i & mask];
            if e == 0 {
                return None;
            }
            if e & !ID_MASK == tag && eq((e & ID_MASK) as u32) {
                return Some((e & ID_MASK) as u32);
            }
        }
        None
    }

    /// Room for `additional` more entries without growing.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let need = self.len + additional;
        if need > max_len(self.buckets.len()) {
            let mut n = self.buckets.len().max(MIN_BUCKETS);
            while need > max_len(n) {
                n *= 2;
            }
            self.resize(n);
        }
    }

    /// Adds the entry of `id`, whose hash is `hash`; `id` has none.
    pub(crate) fn insert(&mut self, hash: u64, id: u32) {
        self.reserve(1);
        self.place(tag(hash) | u64::from(id));
        self.len += 1;
    }

    fn place(&mut self, entry: u64) {
        let mask = self.mask();
        let mut i = self.home(entry);
        // The table is never full: a free bucket comes within its length.
        for _ in 0..self.buckets.len() {
            if self.buckets[i] == 0 {
                self.buckets[i] = entry;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    fn resize(&mut self, n: usize) {
        let old = std::mem::replace(&mut self.buckets, vec![0; n]);
        // Before the first write, so that the table is faulted in by huge pages.
        huge_pages::advise(self.buckets.as_ptr(), self.buckets.capacity());
        for e in old.into_iter().filter(|&e| e != 0) {
            self.place(e);
        }
    }

    /// Removes the entry of `hash` for which `eq` holds; its id.
    pub(crate) fn remove(&mut self, hash: u64, mut eq: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.buckets.is_empty() {
            return None;
        }
        let tag = tag(hash);
        let mask = self.mask();
        let mut i = self.home(hash);
        let mut found = None;
        for _ in 0..self.buckets.len() {
            let e = self.buckets[i];
            if e == 0 {
                return None;
            }
            if e & !ID_MASK == tag && eq((e & ID_MASK) as u32) {
                found = Some((e & ID_MASK) as u32);
                break;
            }
            i = (i + 1) & mask;
        }
        let id = found?;
        self.len -= 1;
        // Backward shift: each entry after the hole that may live in it moves there.
        let mut hole = i;
        let mut j = (i + 1) & mask;
        for _ in 0..self.buckets.len() {
            let e = self.buckets[j];
            if e == 0 {
                break;
            }
            let home = self.home(e);
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.buckets[hole] = e;
                hole = j;
            }
            j = (j + 1) & mask;
        }
        self.buckets[hole] = 0;
        Some(id)
    }
}

/// The most entries a table of `n` buckets holds: seven eighths, as `hashbrown`'s. A
/// hit then probes 4.5 buckets on average at the fullest (one or two cache lines), 1.5
/// just after a doubling; a new name 32 and 2.
const fn max_len(n: usize) -> usize {
    n - n / 8
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// The index agrees with a map of ids by key, through inserts and removals,
        /// with hashes that collide on purpose (few distinct values).
        #[test]
        fn agrees_with_a_map(ops in proptest::collection::vec((0u8..3, 0u64..64, any::<bool>()), 0..400)) {
            let mut index = Index::default();
            let mut map: HashMap<u64, u32> = HashMap::new();
            let mut next = 0u32;
            // Colliding hashes: keys 0..64 onto 8 hash values, spread over the top bits.
            let hash = |key: u64| (key % 8).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (key % 3);
            for (op, key, _) in ops {
                match op {
                    0 if !map.contains_key(&key) => {
                        index.insert(hash(key), next);
                        map.insert(key, next);
                        next += 1;
                    }
                    1 => {
                        let removed = index.remove(hash(key), |id| map.get(&key) == Some(&id));
                        prop_assert_eq!(removed, map.remove(&key));
                    }
                    _ => {}
                }
                for (k, &id) in &map {
                    prop_assert_eq!(index.find(hash(*k), |i| i == id), Some(id));
                }
                prop_assert_eq!(index.len, map.len());
            }
        }
    }
}
