//! The flow table's storage: a slab of slots with a free list, an index from key to slot, and intrusive doubly linked lists — one per idle timeout class, one by the start of the current record — so that a packet costs O(1) and expiry walks from the old ends.

use ahash::RandomState;

use crate::huge_pages;
use crate::index::Index;
use crate::key::FlowKey;

/// No slot.
pub const NIL: u32 = u32::MAX;

/// How many idle lists there are (each with its own timeout).
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

/// One slot: a flow's key and state, and its places in the lists; what a
/// packet reads and writes first, on cache lines of its own.
#[derive(Debug)]
#[repr(C, align(64))]
struct Slot<S> {
    key: FlowKey,
    /// The idle list it is in.
    list: u8,
    state: S,
    idle: Links,
    active: Links,
}

/// The flows, by key, in their lists.
#[derive(Debug)]
pub struct Table<S> {
    slots: Vec<Slot<S>>,
    free: Vec<u32>,
    index: Index,
    /// aHash, randomly seeded: keys come from the network, so a fixed hash
    /// would let a sender pick colliding flows.
    hasher: RandomState,
    lists: [Ends; LISTS],
    active: Ends,
    max: usize,
}

impl<S> Table<S> {
    /// An empty table for at most `max` flows (storage grows as flows come,
    /// up to that).
    pub fn new(max: usize) -> Table<S> {
        let start = max.min(1024);
        Table {
            slots: Vec::with_capacity(start),
            free: Vec::new(),
            index: Index::with_capacity(start),
            hasher: RandomState::new(),
            lists: [EMPTY; LISTS],
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
    fn hash(&self, key: &FlowKey) -> u32 {
        self.hasher.hash_one(key) as u32
    }

    /// The slot of `key`'s flow.
    #[inline]
    pub fn find(&self, key: &FlowKey) -> Option<u32> {
        let slots = &self.slots;
        self.index
            .find(self.hash(key), |i| slots[i as usize].key == *key)
    }

    /// The key of the flow in `slot`.
    pub fn key(&self, slot: u32) -> &FlowKey {
        &self.slots[slot as usize].key
    }

    /// The state of the flow in `slot`.
    #[inline]
    pub fn state(&self, slot: u32) -> &S {
        &self.slots[slot as usize].state
    }

    /// The state of the flow in `slot`, to change.
    #[inline]
    pub fn state_mut(&mut self, slot: u32) -> &mut S {
        &mut self.slots[slot as usize].state
    }

    /// The idle list the flow in `slot` is in.
    #[inline]
    pub fn list(&self, slot: u32) -> usize {
        usize::from(self.slots[slot as usize].list)
    }

    /// Adds a flow (the caller made room: the table is not full) at the
    /// new ends of idle list `list` and of the active list; its slot.
    pub fn insert(&mut self, key: FlowKey, state: S, list: usize) -> u32 {
        let slot = Slot {
            key,
            list: list as u8,
            state,
            idle: UNLINKED,
            active: UNLINKED,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = slot;
                i
            }
            None => {
                if self.slots.len() == self.slots.capacity() {
                    self.slots.reserve(self.slots.len().max(1024));
                    huge_pages::advise(&self.slots);
                }
                self.slots.push(slot);
                (self.slots.len() - 1) as u32
            }
        };
        self.index.insert(self.hash(&key), i);
        self.link_idle(i, list);
        self.link_active(i);
        i
    }

    /// Removes the flow in `slot` (its state stays there until the slot is
    /// reused).
    pub fn remove(&mut self, slot: u32) {
        let key = self.slots[slot as usize].key;
        self.index.remove(self.hash(&key), slot);
        self.unlink_idle(slot);
        self.unlink_active(slot);
        self.free.push(slot);
    }

    /// The flow in `slot` saw a packet: to the new end of idle list `list`.
    #[inline]
    pub fn touch(&mut self, slot: u32, list: usize) {
        self.unlink_idle(slot);
        self.slots[slot as usize].list = list as u8;
        self.link_idle(slot, list);
    }

    /// The flow in `slot` starts a new record: to the new end of the active list.
    pub fn restart(&mut self, slot: u32) {
        self.unlink_active(slot);
        self.link_active(slot);
    }

    /// The flow at the old end of idle list `list`: idle the longest.
    pub fn oldest(&self, list: usize) -> Option<u32> {
        let tail = self.lists[list].tail;
        (tail != NIL).then_some(tail)
    }

    /// The flow whose current record started first.
    pub fn oldest_active(&self) -> Option<u32> {
        (self.active.tail != NIL).then_some(self.active.tail)
    }

    /// Every flow's slot (for the end of the run).
    pub fn slots(&self) -> Vec<u32> {
        self.index.slots().collect()
    }

    fn link_idle(&mut self, i: u32, list: usize) {
        let old_head = self.lists[list].head;
        self.slots[i as usize].idle = Links {
            prev: NIL,
            next: old_head,
        };
        if old_head != NIL {
            self.slots[old_head as usize].idle.prev = i;
        } else {
            self.lists[list].tail = i;
        }
        self.lists[list].head = i;
    }

    fn unlink_idle(&mut self, i: u32) {
        let list = usize::from(self.slots[i as usize].list);
        let Links { prev, next } = self.slots[i as usize].idle;
        if prev != NIL {
            self.slots[prev as usize].idle.next = next;
        } else {
            self.lists[list].head = next;
        }
        if next != NIL {
            self.slots[next as usize].idle.prev = prev;
        } else {
            self.lists[list].tail = prev;
        }
        self.slots[i as usize].idle = UNLINKED;
    }

    fn link_active(&mut self, i: u32) {
        let old_head = self.active.head;
        self.slots[i as usize].active = Links {
            prev: NIL,
            next: old_head,
        };
        if old_head != NIL {
            self.slots[old_head as usize].active.prev = i;
        } else {
            self.active.tail = i;
        }
        self.active.head = i;
    }

    fn unlink_active(&mut self, i: u32) {
        let Links { prev, next } = self.slots[i as usize].active;
        if prev != NIL {
            self.slots[prev as usize].active.next = next;
        } else {
            self.active.head = next;
        }
        if next != NIL {
            self.slots[next as usize].active.prev = prev;
        } else {
            self.active.tail = prev;
        }
        self.slots[i as usize].active = UNLINKED;
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

    /// A packet at `ts` for the flow in `slot`, which belongs in `list`.
    fn packet(t: &mut Table<u64>, slot: u32, ts: u64, list: usize) {
        *t.state_mut(slot) = ts;
        t.touch(slot, list);
    }

    #[test]
    fn lists_keep_order_and_slots_are_reused() {
        let mut t: Table<u64> = Table::new(3);
        let a = t.insert(key(1), 1, 0);
        let b = t.insert(key(2), 2, 0);
        let c = t.insert(key(3), 3, 1);
        assert!(t.is_full());
        assert_eq!(t.oldest(0), Some(a));
        packet(&mut t, a, 4, 0);
        assert_eq!(t.oldest(0), Some(b), "a saw a packet after b's");
        packet(&mut t, b, 5, 1);
        assert_eq!(t.oldest(0), Some(a));
        assert_eq!(t.oldest(1), Some(c));
        assert_eq!(t.oldest_active(), Some(a));
        t.restart(a);
        assert_eq!(t.oldest_active(), Some(b));
        t.remove(b);
        assert_eq!(t.find(&key(2)), None);
        assert_eq!(t.oldest(1), Some(c));
        t.remove(c);
        assert_eq!(t.oldest(1), None);
        let d = t.insert(key(4), 4, 2);
        assert_eq!(d, c, "the freed slot is reused");
        assert_eq!(*t.state(d), 4);
        assert_eq!(t.len(), 2);
        assert_eq!(t.find(&key(4)), Some(d));
        assert_eq!(t.find(&key(1)), Some(a));
    }

    /// However packets touch a list's flows, its settled old end is always
    /// the flow whose last packet is the oldest (the earliest queued of
    /// them on a tie), as a list moved on every packet would have it.
    #[test]
    fn the_settled_old_end_is_the_longest_idle() {
        let n = 40u8;
        let mut t: Table<u64> = Table::new(usize::from(n));
        let slots: Vec<u32> = (0..n).map(|i| t.insert(key(i), 0, 0)).collect();
        let mut x: u32 = 12345;
        let mut ts = 0;
        for _ in 0..2_000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            ts += 1;
            let who = slots[(x >> 16) as usize % slots.len()];
            packet(&mut t, who, ts, 0);
            let oldest = t.oldest(0).map(|s| *t.state(s));
            let least = slots.iter().map(|&s| *t.state(s)).min();
            assert_eq!(oldest, least);
        }
        // Emptying the list from its old end gives the flows by last packet.
        let mut lasts = Vec::new();
        while let Some(s) = t.oldest(0) {
            lasts.push(*t.state(s));
            t.remove(s);
        }
        assert_eq!(lasts.len(), usize::from(n));
        assert!(lasts.windows(2).all(|w| w[0] <= w[1]), "{lasts:?}");
    }
}
