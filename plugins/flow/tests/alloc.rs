//! No heap allocation per packet of an existing flow: a counting global allocator around packets of known flows (both directions, data, flags) and ticks that expire nothing.
//!
//! Only the test's own thread counts: the test harness's thread may
//! allocate meanwhile (more often on a loaded machine).

// A global allocator is an `unsafe impl`: it forwards every call to the
// system allocator unchanged and only counts them.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use netraf_flow::Flow;
use plugin_api::{LinkType, PacketDecoder, PacketHeader, PacketType, Plugin};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Whether this thread's allocations count.
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

/// Counts an allocation if the thread making it counts.
fn count() {
    if COUNTED.try_with(Cell::get).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments,
// so `System`'s guarantees hold; the counter is an atomic.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: as the caller promised for `layout`.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: `ptr` came from this allocator (so from `System`) with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// An Ethernet/IPv4/TCP frame from 10.0.0.`src`:`sport` to
/// 10.0.0.`dst`:`dport` with `flags` and `payload` bytes.
fn tcp(src: u8, sport: u16, dst: u8, dport: u16, flags: u8, payload: usize) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, dst, 2, 0, 0, 0, 0, src, 0x08, 0x00];
    let total = u16::try_from(40 + payload).unwrap().to_be_bytes();
    f.extend([0x45, 0, total[0], total[1], 0, 1, 0x40, 0, 64, 6, 0, 0]);
    f.extend([10, 0, 0, src, 10, 0, 0, dst]);
    f.extend(sport.to_be_bytes());
    f.extend(dport.to_be_bytes());
    f.extend([0, 0, 0, 1, 0, 0, 0, 1, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    f.resize(f.len() + payload, 0x61);
    f
}

fn header(ts_ns: u64, frame: &[u8]) -> PacketHeader<'static> {
    let len = u32::try_from(frame.len()).unwrap();
    PacketHeader {
        ts_ns,
        caplen: len,
        len,
        ifindex: 0,
        ifname: "",
        pkttype: PacketType::Host,
        link_type: LinkType::ETHERNET,
        vlan: None,
    }
}

#[test]
fn packets_of_known_flows_allocate_nothing() {
    let mut flow = Flow::new("output = \"\"").unwrap();
    let mut decoder = PacketDecoder::new();
    let t0 = 1_700_000_000_000_000_000u64;
    // 50 flows: each a handshake.
    let mut frames = Vec::new();
    for i in 0..50u16 {
        let port = 40_000 + i;
        for frame in [
            tcp(1, port, 2, 80, 0x02, 0),
            tcp(2, 80, 1, port, 0x12, 0),
            tcp(1, port, 2, 80, 0x10, 0),
        ] {
            flow.on_packet(decoder.decode(&header(t0, &frame), &frame))
                .unwrap();
        }
        frames.push(tcp(1, port, 2, 80, 0x18, 100));
        frames.push(tcp(2, 80, 1, port, 0x18, 1400));
        frames.push(tcp(2, 80, 1, port, 0x10, 0));
    }
    COUNTED.with(|c| c.set(true));
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut ts = t0;
    for round in 0..200u64 {
        for frame in &frames {
            ts += 1_000;
            flow.on_packet(decoder.decode(&header(ts, frame), frame))
                .unwrap();
        }
        flow.on_tick(t0 + round * 1_000_000).unwrap();
    }
    let during = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert_eq!(
        during,
        0,
        "{during} allocations over {} packets of known flows",
        200 * frames.len()
    );
    flow.shutdown().unwrap();
    assert_eq!(flow.emitted(), 50);
}
