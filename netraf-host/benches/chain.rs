//! What dispatching a packet through the chain costs per plugin: 1, 4 and 16 loaded no-op plugins against a direct function call.
//!
//! `cargo build --release -p netraf-tests --example netraf_noop && cargo bench -p netraf-host --bench chain`
//!
//! The packet is decoded once outside the loop ([`Packet::decode`], then
//! [`Chain::deliver`]), so the figures are the dispatch alone: for every
//! plugin, a call through the plugin's hooks table into the library, its
//! panic guard and the verdict. The summary line gives ns per plugin per packet over the direct call.

// criterion's macros define the benchmark's `main` and group without docs.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use mycap_core::{LinkType, PacketHeader, PacketType};
use netraf_host::chain::Chain;
use netraf_host::loader;
use plugin_api::{Packet, Verdict};

const PLUGINS: [usize; 3] = [1, 4, 16];

/// The no-op plugin library, built as an example of the tests' package.
fn noop_library() -> PathBuf {
    let exe = std::env::current_exe().expect("benchmark executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("benchmark executable in target/<profile>/deps");
    let lib = dir.join("examples/libnetraf_noop.so");
    assert!(
        lib.exists(),
        "{} is missing: run `cargo build --release -p netraf-tests --example netraf_noop` first",
        lib.display()
    );
    lib
}

fn chain_of(n: usize, lib: &Path) -> Chain {
    let library = loader::load(lib).unwrap_or_else(|e| panic!("cannot load the no-op plugin: {e}"));
    let mut chain = Chain::new();
    for i in 0..n {
        let handler = library.instantiate("").expect("the no-op plugin starts");
        chain.push(&format!("noop{i}"), lib.to_path_buf(), handler);
    }
    chain
}

/// A 106-byte IPv4/UDP frame, as the live benchmark sends.
fn frame() -> Vec<u8> {
    let mut f = vec![0u8; 106];
    f[..6].copy_from_slice(&[2, 0, 10, 77, 0, 2]);
    f[6..12].copy_from_slice(&[2, 0, 10, 77, 0, 1]);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f[14..34].copy_from_slice(&[
        0x45, 0, 0, 92, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 77, 0, 1, 10, 77, 0, 2,
    ]);
    f[34..42].copy_from_slice(&[0x9c, 0x40, 0, 9, 0, 72, 0, 0]);
    f
}

/// What a plugin's `on_packet` would be without the chain: one plain call.
#[inline(never)]
fn direct(packet: &Packet<'_>) -> Verdict {
    black_box(packet);
    Verdict::Continue
}

fn bench(c: &mut Criterion) {
    let lib = noop_library();
    let data = frame();
    let header = PacketHeader {
        ts_ns: 1_700_000_000_000_000_000,
        caplen: data.len() as u32,
        len: data.len() as u32,
        ifindex: 2,
        ifname: "nbr0",
        pkttype: PacketType::Host,
        link_type: LinkType::ETHERNET,
        vlan: None,
    };
    let packet = Packet::decode(&header, &data);
    let mut group = c.benchmark_group("dispatch");
    group.bench_function("direct call", |b| {
        let call: fn(&Packet<'_>) -> Verdict = direct;
        b.iter(|| black_box(call)(black_box(&packet)));
    });
    for n in std::iter::once(0).chain(PLUGINS) {
        let mut chain = chain_of(n, &lib);
        group.bench_with_input(BenchmarkId::new("chain", n), &n, |b, _| {
            b.iter(|| chain.deliver(black_box(&packet)));
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
