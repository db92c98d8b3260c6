//! Replays a capture file through a Rust closure over mycap-core that counts packets and sums their captured lengths: the reference that `sum_caplen.c` (the same through libmycap from C) is timed against by `bench/capi.sh`.
//!
//! `sum_caplen FILE --whole-header` also reads every other header field, as
//! the C library must to fill `mycap_header_t` (the plain closure lets the
//! compiler skip computing the fields it never reads).

use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;

use mycap_core::{PacketHeader, Session, Verdict};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(path) = args.next().map(PathBuf::from) else {
        eprintln!("usage: sum_caplen FILE [--whole-header]");
        return ExitCode::from(2);
    };
    let whole = args.next().is_some_and(|a| a == "--whole-header");
    let (mut packets, mut bytes) = (0u64, 0u64);
    let result = Session::open_file(&path).and_then(|mut session| {
        session.run(&mut |h: &PacketHeader<'_>, _: &[u8]| {
            packets += 1;
            bytes += u64::from(h.caplen);
            if whole {
                black_box((
                    h.len,
                    h.ts_ns,
                    h.ifindex,
                    h.ifname,
                    h.pkttype.to_sll(),
                    h.link_type.0,
                    h.vlan.map(|v| (v.tci, v.tpid)),
                ));
            }
            Verdict::Continue
        })?;
        session.close()
    });
    println!("packets {packets} bytes {bytes}");
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sum_caplen: {e}");
            ExitCode::FAILURE
        }
    }
}
