//! The packets the flow plugin holds back before its table takes them: each waits a few packets, while its index entry and then its slot are loaded, so that a packet's two dependent cache misses overlap with other packets' work instead of stalling its own.
//!
//! On a table bigger than the caches nearly every packet finds its index
//! entry and its slot in memory, one after the other (the slot's number
//! is in the entry). A packet is held [`DEPTH`] packets: when it comes,
//! its index entry is asked for; [`SLOT_AT`] packets later, the entry
//! being in cache by then, the slot it names; when it leaves, the table
//! takes it with both in cache. Packets leave in the order they came, so
//! the records are those of a table taking each packet as it comes; the
//! plugin lets all held packets through before a tick, a report and its
//! shutdown.

use std::collections::VecDeque;

use crate::key::Observed;
use crate::table::Table;

/// Packets held at most.
pub const DEPTH: usize = 16;

/// Packets after its coming at which a packet's slot is asked for.
pub const SLOT_AT: usize = 8;

/// One held packet.
#[derive(Debug, Clone, Copy)]
pub struct Held {
    /// What the table needs of it.
    pub obs: Observed,
    /// Its timestamp.
    pub ts: u64,
    /// [`Table::hash`] of its key.
    pub hash: u32,
}

/// The held packets, oldest first.
#[derive(Debug)]
pub struct HeldPackets {
    queue: VecDeque<Held>,
}

impl Default for HeldPackets {
    fn default() -> Self {
        HeldPackets {
            queue: VecDeque::with_capacity(DEPTH),
        }
    }
}

impl HeldPackets {
    /// Holds `packet`, asking `table` for its index entry and for the slot
    /// of the packet that came [`SLOT_AT`] before it; the oldest packet
    /// once [`DEPTH`] are held, for the table to take now.
    #[inline]
    pub fn push<S>(&mut self, table: &Table<S>, packet: Held) -> Option<Held> {
        table.load_index_ahead(packet.hash);
        let oldest = if self.queue.len() == DEPTH {
            self.queue.pop_front()
        } else {
            None
        };
        self.queue.push_back(packet);
        if let Some(earlier) = self.queue.len().checked_sub(SLOT_AT + 1) {
            table.load_slot_ahead(self.queue[earlier].hash);
        }
        oldest
    }

    /// The oldest held packet, to let the held packets through.
    pub fn pop(&mut self) -> Option<Held> {
        self.queue.pop_front()
    }
}
