//! The flow table's slots in memory: chunks reserved whole when the first slot of each is taken and never moved, each on huge pages, so that a table of any size keeps its pages.
//!
//! A vector that grows moves its contents to a new allocation; the kernel
//! then splits huge pages that land at another offset into 4 KiB pages
//! (and copies them), and every later look-up misses the TLB again. Here
//! storage is a list of chunks of [`CHUNK`] slots; a chunk's room is
//! reserved in one piece (virtual memory: pages are backed as slots are
//! written), advised for huge pages before its first slot is written, and
//! stays where it is until the table goes.

use std::ops::{Index, IndexMut};

use crate::huge_pages;

/// Slots in one chunk (a power of two).
pub const CHUNK: usize = 1 << 16;

const SHIFT: u32 = CHUNK.trailing_zeros();

/// Slots numbered from 0, at most `max`.
#[derive(Debug)]
pub struct Slab<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
    max: usize,
}

impl<T> Slab<T> {
    /// An empty slab for at most `max` slots (nothing reserved yet).
    pub fn new(max: usize) -> Slab<T> {
        Slab {
            chunks: Vec::new(),
            len: 0,
            max,
        }
    }

    /// Slots taken.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no slot is taken.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds `value` in the next slot: its number. The caller keeps to `max`
    /// slots (past it the last chunk grows like a vector, moving).
    pub fn push(&mut self, value: T) -> u32 {
        let n = self.len as u32;
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => chunk.push(value),
            _ => {
                let room = self.max.saturating_sub(self.len).clamp(1, CHUNK);
                let mut chunk = Vec::with_capacity(room);
                huge_pages::advise(&chunk);
                chunk.push(value);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
        n
    }

    /// The slot numbered `n`, if taken.
    #[inline]
    pub fn get(&self, n: u32) -> Option<&T> {
        let n = n as usize;
        self.chunks.get(n >> SHIFT)?.get(n & (CHUNK - 1))
    }
}

impl<T> Index<u32> for Slab<T> {
    type Output = T;

    #[inline]
    fn index(&self, n: u32) -> &T {
        let n = n as usize;
        &self.chunks[n >> SHIFT][n & (CHUNK - 1)]
    }
}

impl<T> IndexMut<u32> for Slab<T> {
    #[inline]
    fn index_mut(&mut self, n: u32) -> &mut T {
        let n = n as usize;
        &mut self.chunks[n >> SHIFT][n & (CHUNK - 1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_keep_their_numbers_and_places_across_chunks() {
        let mut slab: Slab<u64> = Slab::new(3 * CHUNK + 5);
        let first = slab.push(7);
        let place = &slab[first] as *const u64;
        for i in 1..(2 * CHUNK as u64 + 3) {
            assert_eq!(slab.push(i), i as u32);
        }
        assert_eq!(slab.len(), 2 * CHUNK + 3);
        assert_eq!(slab.chunks.len(), 3);
        assert!(slab.chunks.iter().all(|c| c.capacity() == CHUNK));
        assert_eq!(&slab[first] as *const u64, place, "a slot never moves");
        slab[CHUNK as u32 + 1] = 99;
        assert_eq!(slab.get(CHUNK as u32 + 1), Some(&99));
        assert_eq!(slab[2 * CHUNK as u32 + 2], 2 * CHUNK as u64 + 2);
        assert_eq!(slab.get(2 * CHUNK as u32 + 3), None);
    }

    #[test]
    fn a_small_table_reserves_only_its_maximum() {
        let mut slab: Slab<u8> = Slab::new(10);
        for i in 0..10 {
            slab.push(i);
        }
        assert_eq!(slab.chunks.len(), 1);
        assert_eq!(slab.chunks[0].capacity(), 10);
        // Past the maximum (the caller's mistake) it still works.
        slab.push(10);
        assert_eq!(slab[10], 10);
        assert!(!slab.is_empty());
    }
}
