//! The flow table's storage: a slab of slots with a free list, an index from key to slot, each flow's idle list and stamp (for the idle wheels), and an intrusive doubly linked list by the start of the current record, so that a packet costs O(1) and the active timeout walks from the old end.

use ahash::RandomState;

use crate::index::Index;
use crate::key::FlowKey;
use crate::slab::Slab;

/// No slot.
pub const NIL: u32 = u32::MAX;

/// How many idle lists there are (each with its own timeout and wheel).
pub const LISTS: usize = 5;

#[derive(Debug, Clone, Copy)]
struct Links {
    prev: u32,
    next: u32,
}

const UNLINKED: Links = Links {
    prev: NIL,
    next: NIL,
};

/// A list's ends: `head` the newest, `tail` the oldest.
#[derive(Debug, Clone, Copy)]
struct Ends {
    head: u32,
    tail: u32,
}

const EMPTY: Ends = Ends {
    head: NIL,
    tail: NIL,
};

/// One slot: a flow's key and state, its idle list and its place in the
/// active list; what a packet reads and writes first, on cache lines of
/// its own.
#[derive(Debug)]
#[repr(C, align(64))]
struct Slot<S> {
    key: FlowKey,
    /// The idle list it is in.
    list: u8,
    /// Changed whenever the flow ends or changes idle list: a wheel entry
    /// with another stamp is stale.
    stamp: u32,
    state: S,
    active: Links,
}

/// Bytes of a slot holding `S`.
#[cfg(test)]
pub const fn slot_bytes<S>() -> usize {
    std::mem::size_of::<Slot<S>>()
}

/// The flows, by key, in their lists.
#[derive(Debug)]
pub struct Table<S> {
    slots: Slab<Slot<S>>,
    free: Vec<u32>,
    index: Index,
    /// aHash, randomly seeded: keys come from the network, so a fixed hash
    /// would let a sender pick colliding flows.
    hasher: RandomState,
    active: Ends,
    max: usize,
}

impl<S> Table<S> {
    /// An empty table for at most `max` flows (storage grows as flows come,
    /// up to that).
    pub fn new(max: usize) -> Table<S> {
        let start = max.min(1024);
        Table {
            slots: Slab::new(max),
            free: Vec::new(),
            index: Index::with_capacity(start),
            hasher: RandomState::new(),
            active: EMPTY,
            max,
        }
    }

    /// Flows in the table.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the table holds no flow.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Whether the table holds `max` flows.
    pub fn is_full(&self) -> bool {
        self.index.len() >= self.max
    }

    /// The index's hash of `key`.
    #[inline]
    pub fn hash(&self, key: &FlowKey) -> u32 {
        self.hasher.hash_one(key) as u32
    }

    /// The slot of `key`'s flow.
    #[inline]
    pub fn find(&self, key: &FlowKey) -> Option<u32> {
        self.find_hashed(key, self.hash(key))
    }

    /// The slot of `key`'s flow, `hash` being [`Table::hash`] of `key`.
    #[inline]
    pub fn find_hashed(&self, key: &FlowKey, hash: u32) -> Option<u32> {
        let slots = &self.slots;
        self.index.find(hash, |i| slots[i].key == *key)
    }

    /// Starts loading the index's entries for `hash` (the first step of a
    /// look-up made ahead, see [`crate::held`]).
    #[inline]
    pub fn load_index_ahead(&self, hash: u32) {
        self.index.load_ahead(hash);
    }

    /// Starts loading the slot the index names for `hash` (the second step,
    /// once the index's entries are in cache): its key, list, stamp and
    /// state, the lines a packet reads and writes.
    #[inline]
    pub fn load_slot_ahead(&self, hash: u32) {
        if let Some(slot) = self.index.candidate(hash) {
            if let Some(s) = self.slots.get(slot) {
                crate::ahead::load_all(s);
            }
        }
    }

    /// The key of the flow in `slot`.
    pub fn key(&self, slot: u32) -> &FlowKey {
        &self.slots[slot].key
    }

    /// The state of the flow in `slot`.
    #[inline]
    pub fn state(&self, slot: u32) -> &S {
        &self.slots[slot].state
    }

    /// The state of the flow in `slot`, to change.
    #[inline]
    pub fn state_mut(&mut self, slot: u32) -> &mut S {
        &mut self.slots[slot].state
    }

    /// The idle list the flow in `slot` is in.
    #[inline]
    pub fn list(&self, slot: u32) -> usize {
        usize::from(self.slots[slot].list)
    }

    /// Adds a flow (the caller made room: the table is not full) in idle
    /// list `list` and at the new end of the active list; its slot.
    pub fn insert(&mut self, key: FlowKey, state: S, list: usize) -> u32 {
        self.insert_hashed(key, self.hash(&key), state, list)
    }

    /// [`Table::insert`] with `hash` being [`Table::hash`] of `key`.
    pub fn insert_hashed(&mut self, key: FlowKey, hash: u32, state: S, list: usize) -> u32 {
        let mut slot = Slot {
            key,
            list: list as u8,
            stamp: 0,
            state,
            active: UNLINKED,
        };
        let i = match self.free.pop() {
            Some(i) => {
                // The stamp goes on from the last flow's: its entries stay stale.
                slot.stamp = self.slots[i].stamp;
                self.slots[i] = slot;
                i
            }
            None => self.slots.push(slot),
        };
        self.index.insert(hash, i);
        self.link_active(i);
        i
    }

    /// Removes the flow in `slot` (its state stays there until the slot is
    /// reused).
    pub fn remove(&mut self, slot: u32) {
        let key = self.slots[slot].key;
        self.index.remove(self.hash(&key), slot);
        self.unlink_active(slot);
        let slot_ref = &mut self.slots[slot];
        slot_ref.stamp = slot_ref.stamp.wrapping_add(1);
        self.free.push(slot);
    }

    /// The stamp of the flow in `slot` (see [`crate::wheel::Entry`]).
    #[inline]
    pub fn stamp(&self, slot: u32) -> u32 {
        self.slots[slot].stamp
    }

    /// Moves the flow in `slot` to idle list `list`: its new stamp.
    pub fn move_to(&mut self, slot: u32, list: usize) -> u32 {
        let s = &mut self.slots[slot];
        s.list = list as u8;
        s.stamp = s.stamp.wrapping_add(1);
        s.stamp
    }

    /// The flow in `slot` starts a new record: to the new end of the active list.
    pub fn restart(&mut self, slot: u32) {
        self.unlink_active(slot);
        self.link_active(slot);
    }

    /// The flow whose current record started first.
    pub fn oldest_active(&self) -> Option<u32> {
        (self.active.tail != NIL).then_some(self.active.tail)
    }

    /// Removes every flow at once (the end of the run), giving back the
    /// memory.
    pub fn clear(&mut self) {
        *self = Table::new(self.max);
    }

    /// Every flow's slot, by the start of its current record, oldest first
    /// (for the end of the run: walked along the active list, whose order
    /// is nearly the slab's, where the index's would be random).
    pub fn slots(&self) -> impl Iterator<Item = u32> + '_ {
        let mut at = self.active.tail;
        std::iter::from_fn(move || {
            let slot = at;
            (slot != NIL).then(|| {
                at = self.slots[slot].active.prev;
                slot
            })
        })
    }

    fn link_active(&mut self, i: u32) {
        let old_head = self.active.head;
        self.slots[i].active = Links {
            prev: NIL,
            next: old_head,
        };
        if old_head != NIL {
            self.slots[old_head].active.prev = i;
        } else {
            self.active.tail = i;
        }
        self.active.head = i;
    }

    fn unlink_active(&mut self, i: u32) {
        let Links { prev, next } = self.slots[i].active;
        if prev != NIL {
            self.slots[prev].active.next = next;
        } else {
            self.active.head = next;
        }
        if next != NIL {
            self.slots[next].active.prev = prev;
        } else {
            self.active.tail = prev;
        }
        self.slots[i].active = UNLINKED;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::NO_VLAN;

    fn key(n: u8) -> FlowKey {
        FlowKey {
            a: [n; 16],
            b: [0; 16],
            a_port: 1,
            b_port: 2,
            vlan: NO_VLAN,
            proto: 17,
            v6: false,
            one_way: false,
        }
    }

    #[test]
    fn slots_are_found_reused_and_restamped() {
        let mut t: Table<u64> = Table::new(3);
        let a = t.insert(key(1), 1, 0);
        let b = t.insert(key(2), 2, 0);
        let c = t.insert(key(3), 3, 1);
        assert!(t.is_full());
        assert_eq!((t.list(a), t.list(c)), (0, 1));
        assert_eq!(t.oldest_active(), Some(a));
        t.restart(a);
        assert_eq!(t.oldest_active(), Some(b));
        let stamp = t.stamp(b);
        assert_eq!(t.move_to(b, 4), stamp.wrapping_add(1));
        assert_eq!(t.list(b), 4);
        t.remove(b);
        assert_eq!(t.find(&key(2)), None);
        assert_eq!(t.oldest_active(), Some(c));
        let removed_stamp = t.stamp(b);
        let d = t.insert(key(4), 4, 2);
        assert_eq!(d, b, "the freed slot is reused");
        assert_eq!(
            t.stamp(d),
            removed_stamp,
            "entries of the last flow stay stale"
        );
        assert_ne!(t.stamp(d), stamp.wrapping_add(1));
        assert_eq!(*t.state(d), 4);
        assert_eq!(t.len(), 3);
        assert_eq!(t.find(&key(4)), Some(d));
        assert_eq!(t.find(&key(1)), Some(a));
        // By the start of their current records: a restarted after c.
        assert_eq!(t.slots().collect::<Vec<_>>(), vec![c, a, d]);
    }
}
