//! The flow table's index from key to slot: open addressing with linear probing over one array of 8-byte entries (a hash fragment and a slot number), so that finding a flow reads one cache line of the index before the slot it names.
//!
//! A general hash map keeps its control bytes and its entries in two
//! places (two cache misses on a big table before the slot's own); here an
//! entry holds 32 bits of its key's hash beside the slot number, and a
//! lookup compares keys only in a slot whose fragment matches. At most half
//! the entries are in use, so probe runs stay short; a removal shifts the
//! run back instead of leaving a tombstone.

use crate::huge_pages;

/// An unused entry.
const EMPTY: u64 = 0;

/// Slot numbers by key hash.
#[derive(Debug)]
pub struct Index {
    /// `hash << 32 | (slot + 1)`, or [`EMPTY`].
    entries: Vec<u64>,
    /// `entries.len() - 1` (a power of two less one).
    mask: usize,
    len: usize,
}

/// The entry for `slot` whose key hashes to `hash`.
#[inline]
fn entry(hash: u32, slot: u32) -> u64 {
    (u64::from(hash) << 32) | (u64::from(slot) + 1)
}

/// The slot an entry names.
#[inline]
fn slot_of(e: u64) -> u32 {
    ((e & 0xffff_ffff) - 1) as u32
}

/// The hash fragment an entry holds.
#[inline]
fn hash_of(e: u64) -> u32 {
    (e >> 32) as u32
}

impl Index {
    /// An empty index with room for `n` slots before it grows.
    pub fn with_capacity(n: usize) -> Index {
        let size = n.saturating_mul(2).max(16).next_power_of_two();
        let entries = vec![EMPTY; size];
        huge_pages::advise(&entries);
        Index {
            entries,
            mask: size - 1,
            len: 0,
        }
    }

    /// Slots in the index.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the index holds no slot.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The slot whose key hashes to `hash` and for which `is_key` holds.
    #[inline]
    pub fn find(&self, hash: u32, mut is_key: impl FnMut(u32) -> bool) -> Option<u32> {
        let mut i = hash as usize & self.mask;
        loop {
            let e = self.entries[i];
            if e == EMPTY {
                return None;
            }
            if hash_of(e) == hash && is_key(slot_of(e)) {
                return Some(slot_of(e));
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Starts loading the index's cache line for `hash` (see [`crate::ahead`]).
    #[inline]
    pub fn load_ahead(&self, hash: u32) {
        crate::ahead::load(&self.entries[hash as usize & self.mask]);
    }

    /// The first slot of `hash`'s run whose entry holds `hash`: the likely
    /// slot of a key with that hash, before its key is compared.
    #[inline]
    pub fn candidate(&self, hash: u32) -> Option<u32> {
        self.find(hash, |_| true)
    }

    /// Adds `slot`, whose key hashes to `hash` (a key not in the index).
    pub fn insert(&mut self, hash: u32, slot: u32) {
        if (self.len + 1) * 2 > self.entries.len() {
            self.grow();
        }
        self.place(entry(hash, slot));
        self.len += 1;
    }

    /// Removes `slot`, whose key hashes to `hash`; false if it is not there.
    pub fn remove(&mut self, hash: u32, slot: u32) -> bool {
        let wanted = entry(hash, slot);
        let mut hole = hash as usize & self.mask;
        loop {
            let e = self.entries[hole];
            if e == EMPTY {
                return false;
            }
            if e == wanted {
                break;
            }
            hole = (hole + 1) & self.mask;
        }
        // Shift back each later entry of the run that may live in the hole
        // (its home is not cyclically between the hole and itself).
        let mut j = hole;
        loop {
            j = (j + 1) & self.mask;
            let e = self.entries[j];
            if e == EMPTY {
                break;
            }
            let home = hash_of(e) as usize & self.mask;
            if (j.wrapping_sub(home) & self.mask) >= (j.wrapping_sub(hole) & self.mask) {
                self.entries[hole] = e;
                hole = j;
            }
        }
        self.entries[hole] = EMPTY;
        self.len -= 1;
        true
    }

    /// Every slot in the index (for the tests: the table walks its own list).
    #[cfg(test)]
    pub fn slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.entries
            .iter()
            .filter(|&&e| e != EMPTY)
            .map(|&e| slot_of(e))
    }

    /// Puts `e` at the first free place of its run.
    fn place(&mut self, e: u64) {
        let mut i = hash_of(e) as usize & self.mask;
        while self.entries[i] != EMPTY {
            i = (i + 1) & self.mask;
        }
        self.entries[i] = e;
    }

    /// Twice the entries, every entry placed again.
    fn grow(&mut self) {
        let size = self.entries.len() * 2;
        let old = std::mem::replace(&mut self.entries, vec![EMPTY; size]);
        huge_pages::advise(&self.entries);
        self.mask = size - 1;
        for e in old.into_iter().filter(|&e| e != EMPTY) {
            self.place(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys with hashes chosen to collide (the same home, and runs that
    /// wrap around the end of the array).
    #[test]
    fn colliding_runs_survive_removal_and_growth() {
        let mut index = Index::with_capacity(4);
        let size = 16u32;
        // Slot s has hash h[s]; many share home 14 or 15 (wrapping).
        let hashes: Vec<u32> = vec![14, 14, 15, 14 + size, 3, 15 + size, 14, 0];
        for (slot, &h) in hashes.iter().enumerate() {
            index.insert(h, slot as u32);
            assert_eq!(index.find(h, |s| s == slot as u32), Some(slot as u32));
        }
        assert_eq!(index.len(), 8);
        // Remove from the middle of runs, checking every other still found.
        let mut removed = Vec::new();
        for gone in [1usize, 0, 5] {
            assert!(index.remove(hashes[gone], gone as u32));
            assert!(!index.remove(hashes[gone], gone as u32), "removed twice");
            removed.push(gone);
            for (slot, &h) in hashes.iter().enumerate() {
                let found = index.find(h, |s| s == slot as u32);
                assert_eq!(
                    found.is_some(),
                    !removed.contains(&slot),
                    "slot {slot} after removing {removed:?}"
                );
            }
        }
        // Grow past the first size: everything left is still found.
        for slot in 8..40u32 {
            index.insert(slot.wrapping_mul(2_654_435_761), slot);
        }
        assert_eq!(index.len(), 5 + 32);
        for slot in 8..40u32 {
            let h = slot.wrapping_mul(2_654_435_761);
            assert_eq!(index.find(h, |s| s == slot), Some(slot));
        }
        for slot in [2u32, 3, 4, 6, 7] {
            assert_eq!(index.find(hashes[slot as usize], |s| s == slot), Some(slot));
        }
        let mut all: Vec<u32> = index.slots().collect();
        all.sort_unstable();
        assert_eq!(all.len(), 37);
        assert_eq!(&all[..5], &[2, 3, 4, 6, 7]);
    }

    /// Random inserts and removals with few hash values (long runs) agree
    /// with a model.
    #[test]
    fn agrees_with_a_model() {
        let mut index = Index::with_capacity(2);
        let mut model = std::collections::HashMap::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for step in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let slot = (x % 300) as u32;
            let hash = ((x >> 20) % 40) as u32 * 0x0101_0101;
            match model.get(&slot) {
                Some(&h) => {
                    assert!(index.remove(h, slot), "step {step}");
                    model.remove(&slot);
                }
                None => {
                    index.insert(hash, slot);
                    model.insert(slot, hash);
                }
            }
            assert_eq!(index.len(), model.len());
        }
        for (&slot, &h) in &model {
            assert_eq!(index.find(h, |s| s == slot), Some(slot));
        }
        assert_eq!(index.slots().count(), model.len());
    }

    /// A find compares keys only where the hash fragment matches, and
    /// tells same-hash slots apart by the key test.
    #[test]
    fn same_hash_slots_are_told_apart_by_key() {
        let mut index = Index::with_capacity(8);
        index.insert(7, 10);
        index.insert(7, 11);
        assert_eq!(index.find(7, |s| s == 11), Some(11));
        assert_eq!(index.find(7, |s| s == 10), Some(10));
        assert_eq!(index.find(7, |_| false), None);
        assert_eq!(index.find(8, |_| true), None);
        assert!(index.remove(7, 10));
        assert_eq!(index.find(7, |s| s == 11), Some(11));
    }
}
