//! Replays a capture file through a Rust closure over mycap-core that counts packets and sums their captured lengths: the reference that `sum_caplen.c` (the same through libmycap from C) is timed against by `bench/capi.sh`.

use std::path::PathBuf;
use std::process::ExitCode;

use mycap_core::{PacketHeader, Session, Verdict};

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: sum_caplen FILE");
        return ExitCode::from(2);
    };
    let (mut packets, mut bytes) = (0u64, 0u64);
    let result = Session::open_file(&path).and_then(|mut session| {
        session.run(&mut |h: &PacketHeader<'_>, _: &[u8]| {
            packets += 1;
            bytes += u64::from(h.caplen);
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
