//! Idle deadlines: a timer wheel per idle list — a ring of one-second buckets of (slot, stamp) entries — where a packet of a known flow changes nothing: a flow's entry is checked when its second comes, and moved on to its new deadline if the flow saw packets since.
//!
//! A list ordered by last packet (moving a flow to its young end on every
//! packet) touches the slots of the flow's two neighbours: two cache misses
//! a packet on a big table. Here a flow has one entry, made when it enters
//! the list (deadline: its last packet plus the list's timeout); the sweep
//! at a tick takes the buckets whose second has come and asks the table for
//! each entry's flow: gone or in another list (the entry is stale: its
//! stamp is not the slot's), idle past the timeout (it ends), or not yet
//! (its entry goes to the bucket of its new deadline). Deadlines stay exact
//! to the nanosecond: the buckets only say when to look.

/// Nanoseconds in a bucket.
const SECOND: u64 = 1_000_000_000;

/// A flow's place in a wheel: its slot, the stamp the slot had when the
/// entry was made (a slot's stamp changes when its flow ends or changes
/// list, which makes its older entries stale), and the deadline it was
/// made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The flow's slot.
    pub slot: u32,
    /// The slot's stamp when the entry was made.
    pub stamp: u32,
    /// The flow's deadline when the entry was made or last moved (ns).
    pub deadline: u64,
}

/// What the sweep learns of an entry's flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The entry is stale: dropped.
    Stale,
    /// The flow's deadline (last packet plus timeout), in ns.
    Due(u64),
}

/// A second's entries, in the order they came; those before `head` are
/// gone (taken by [`Wheel::soonest`]).
#[derive(Debug, Clone, Default)]
struct Bucket {
    entries: Vec<Entry>,
    head: usize,
}

/// One idle list's wheel.
#[derive(Debug)]
pub struct Wheel {
    buckets: Vec<Bucket>,
    /// The first second whose bucket the sweep has not emptied (the bucket
    /// of the second of the last sweep keeps the entries due later in it).
    next: u64,
    /// Entries in the buckets, stale ones included.
    len: usize,
}

impl Wheel {
    /// A wheel for deadlines at most `timeout_ns` after the last sweep.
    pub fn new(timeout_ns: u64) -> Wheel {
        let seconds = usize::try_from(timeout_ns / SECOND).unwrap_or(usize::MAX / 2);
        // Two more: the current second's bucket and a rounding one; at most
        // a day's buckets (a longer deadline is looked at early and moved on).
        let size = seconds.saturating_add(3).min(86_400 + 3);
        Wheel {
            buckets: vec![Bucket::default(); size],
            next: 0,
            len: 0,
        }
    }

    /// Whether the wheel holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bucket for a deadline at `deadline_ns`: its second, or the
    /// sweep's own if that is past, or the farthest the ring holds.
    fn bucket(&self, deadline_ns: u64) -> usize {
        let size = self.buckets.len() as u64;
        let second = (deadline_ns / SECOND).clamp(self.next, self.next + size - 1);
        (second % size) as usize
    }

    /// Adds `entry`, due at its deadline.
    pub fn schedule(&mut self, entry: Entry) {
        let deadline_ns = entry.deadline;
        if self.next == 0 {
            // The first entry: the ring starts early enough for it (its
            // flow's packet came a timeout before its deadline).
            let span = self.buckets.len() as u64 - 2;
            self.next = (deadline_ns / SECOND).saturating_sub(span).max(1);
        }
        let b = self.bucket(deadline_ns);
        self.buckets[b].entries.push(entry);
        self.len += 1;
    }

    /// The sweep at `now_ns`: every entry of the buckets whose second has
    /// come is checked (`check`); those due at or before `now_ns` are put in
    /// `due`, the stale dropped, the others moved to their deadline's
    /// bucket.
    pub fn sweep(
        &mut self,
        now_ns: u64,
        mut check: impl FnMut(Entry) -> Check,
        due: &mut Vec<Entry>,
    ) {
        let now = now_ns / SECOND;
        if now < self.next || self.len == 0 {
            self.next = self.next.max(now);
            return;
        }
        let size = self.buckets.len() as u64;
        let seconds = (now - self.next + 1).min(size);
        let first = self.next;
        // Buckets are swept as of now: a deadline found past is due, one
        // in the future goes to its bucket (the current second's included).
        self.next = now;
        for second in first..first + seconds {
            let b = (second % size) as usize;
            // Taken out and compacted in place: its storage is kept.
            let Bucket { mut entries, head } = std::mem::take(&mut self.buckets[b]);
            self.len -= entries.len() - head;
            let mut kept = 0;
            for i in head..entries.len() {
                let entry = entries[i];
                match check(entry) {
                    Check::Stale => {}
                    Check::Due(deadline) if deadline <= now_ns => due.push(entry),
                    Check::Due(deadline) => {
                        let entry = Entry { deadline, ..entry };
                        let to = self.bucket(deadline);
                        if to == b {
                            entries[kept] = entry;
                            kept += 1;
                        } else {
                            self.buckets[to].entries.push(entry);
                        }
                        self.len += 1;
                    }
                }
            }
            entries.truncate(kept);
            self.buckets[b] = Bucket { entries, head: 0 };
        }
    }

    /// The entry of a flow due first: the first entry of the earliest
    /// bucket whose flow saw no packet since the entry was made — the
    /// longest idle of its second, as entries come to a bucket in the order
    /// of their flows' last packets. Entries met on the way that are stale
    /// are dropped, and those of flows that saw packets since go to the end
    /// of their new deadline's bucket. `None` when the wheel is empty.
    pub fn soonest(&mut self, mut check: impl FnMut(Entry) -> Check) -> Option<(Entry, u64)> {
        let size = self.buckets.len() as u64;
        let mut second = self.next;
        let mut scanned = 0;
        while self.len > 0 && scanned < size {
            let b = (second % size) as usize;
            while let Some(&entry) = self.buckets[b].entries.get(self.buckets[b].head) {
                match check(entry) {
                    Check::Due(deadline) if deadline == entry.deadline => {
                        return Some((entry, deadline));
                    }
                    Check::Due(deadline) => {
                        self.buckets[b].head += 1;
                        let to = self.bucket(deadline);
                        self.buckets[to].entries.push(Entry { deadline, ..entry });
                    }
                    Check::Stale => {
                        self.buckets[b].head += 1;
                        self.len -= 1;
                    }
                }
            }
            // Every entry taken: the storage is kept for the bucket's next second.
            let bucket = &mut self.buckets[b];
            bucket.entries.clear();
            bucket.head = 0;
            second += 1;
            scanned += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model of flows: slot → (stamp, deadline), or gone.
    fn check(flows: &[(u32, Option<u64>)]) -> impl FnMut(Entry) -> Check + '_ {
        move |e| match flows[e.slot as usize] {
            (stamp, Some(deadline)) if stamp == e.stamp => Check::Due(deadline),
            _ => Check::Stale,
        }
    }

    fn entry(slot: u32, stamp: u32, deadline: u64) -> Entry {
        Entry {
            slot,
            stamp,
            deadline,
        }
    }

    /// The slots of `due`.
    fn slots(due: &[Entry]) -> Vec<u32> {
        due.iter().map(|e| e.slot).collect()
    }

    #[test]
    fn entries_come_due_exactly_and_move_on_when_their_flow_did() {
        let mut w = Wheel::new(10 * SECOND);
        let mut flows = vec![(0u32, Some(0u64)); 4];
        // Deadlines: slot 0 at 10.5 s, 1 at 10.2 s, 2 at 12 s, 3 at 11 s.
        for (slot, at) in [(0, 10_500), (1, 10_200), (2, 12_000), (3, 11_000)] {
            let deadline = at * 1_000_000;
            flows[slot].1 = Some(deadline);
            w.schedule(entry(slot as u32, 0, deadline));
        }
        let mut due = Vec::new();
        w.sweep(10_300_000_000, check(&flows), &mut due);
        assert_eq!(slots(&due), [1], "only slot 1 is past its deadline");
        flows[1].1 = None;
        // Slot 0 saw a packet: its deadline moved to 15 s.
        flows[0].1 = Some(15 * SECOND);
        // Slot 3 ended (its stamp changed): its entry is stale.
        flows[3].0 = 1;
        due.clear();
        w.sweep(12 * SECOND, check(&flows), &mut due);
        assert_eq!(slots(&due), [2], "slot 2 is due at 12 s sharp");
        flows[2].1 = None;
        due.clear();
        w.sweep(14_999_999_999, check(&flows), &mut due);
        assert!(due.is_empty());
        w.sweep(15 * SECOND, check(&flows), &mut due);
        assert_eq!(slots(&due), [0]);
        assert!(w.is_empty());
    }

    #[test]
    fn a_jump_past_the_whole_ring_sweeps_every_bucket_once() {
        let mut w = Wheel::new(3 * SECOND);
        let flows: Vec<(u32, Option<u64>)> =
            (0..20).map(|i| (0, Some((i + 1) * SECOND / 2))).collect();
        for slot in 0..20u32 {
            w.schedule(entry(slot, 0, flows[slot as usize].1.unwrap_or(0)));
        }
        let mut due = Vec::new();
        w.sweep(3_600 * SECOND, check(&flows), &mut due);
        due.sort_by_key(|e| e.slot);
        assert_eq!(due.len(), 20);
        assert!(w.is_empty());
    }

    #[test]
    fn the_soonest_is_found_past_stale_and_moved_entries() {
        let mut w = Wheel::new(60 * SECOND);
        let mut flows = vec![(0u32, Some(0u64)); 3];
        for (slot, s) in [(0u32, 5u64), (1, 7), (2, 9), (3, 9)] {
            flows.resize(4, (0, None));
            flows[slot as usize].1 = Some(s * SECOND);
            w.schedule(entry(slot, 0, s * SECOND));
        }
        let soonest = |w: &mut Wheel, flows: &[(u32, Option<u64>)]| {
            w.soonest(check(flows)).map(|(e, d)| (e.slot, d))
        };
        assert_eq!(soonest(&mut w, &flows), Some((0, 5 * SECOND)));
        flows[0].0 = 1; // ended
        flows[1].1 = Some(20 * SECOND); // saw packets
                                        // Slot 2 saw a packet within its second: slot 3 is idle longer.
        flows[2].1 = Some(9 * SECOND + 500);
        assert_eq!(soonest(&mut w, &flows), Some((3, 9 * SECOND)));
        flows[3].0 = 1;
        assert_eq!(soonest(&mut w, &flows), Some((2, 9 * SECOND + 500)));
        flows[2].0 = 1;
        assert_eq!(soonest(&mut w, &flows), Some((1, 20 * SECOND)));
        flows[1].0 = 1;
        assert_eq!(soonest(&mut w, &flows), None);
        assert!(w.is_empty());
    }
}
