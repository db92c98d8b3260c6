//! `dump`: capture on one interface or on all of them, one line per packet, until Ctrl-C.
//!
//! ```sh
//! cargo run --release -p mycap-core --example dump -- any
//! cargo run --release -p mycap-core --example dump -- -s 96 eth0
//! ```
//!
//! Each line: UTC time, interface, direction (packet type), captured/wire
//! length, source > destination MAC and ethertype (for Ethernet links). On
//! Ctrl-C it prints tcpdump's three counters on standard error.

use std::io::{self, Write};
use std::process::ExitCode;

use mycap_core::{CaptureConfig, LinkType, PacketHeader, Session, Verdict};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

const USAGE: &str = "usage: dump [-s SNAPLEN] [INTERFACE|any]";

fn parse_args() -> Result<CaptureConfig, String> {
    let mut args = std::env::args().skip(1);
    let mut interface = None;
    let mut snaplen = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-s" => {
                let value = args.next().ok_or("-s needs a snap length")?;
                snaplen = Some(
                    value
                        .parse::<u32>()
                        .map_err(|e| format!("-s {value}: not a snap length ({e})"))?,
                );
            }
            "-h" | "--help" => return Err(USAGE.into()),
            _ if arg.starts_with('-') => return Err(format!("unknown option '{arg}'\n{USAGE}")),
            _ if interface.is_none() => interface = Some(arg),
            _ => return Err(format!("unexpected argument '{arg}'\n{USAGE}")),
        }
    }
    let mut config = CaptureConfig::interface(interface.as_deref().unwrap_or("any"));
    if let Some(snaplen) = snaplen {
        config = config.snaplen(snaplen);
    }
    Ok(config)
}

fn mac(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn line(out: &mut impl Write, hdr: &PacketHeader<'_>, data: &[u8]) -> io::Result<()> {
    let secs = hdr.ts_ns / 1_000_000_000;
    let day = secs % 86_400;
    write!(
        out,
        "{:02}:{:02}:{:02}.{:09} {} {:<9} {}/{}",
        day / 3600,
        day / 60 % 60,
        day % 60,
        hdr.ts_ns % 1_000_000_000,
        hdr.ifname,
        hdr.pkttype.name(),
        hdr.caplen,
        hdr.len
    )?;
    match hdr.link_type {
        LinkType::ETHERNET if data.len() >= 14 => {
            write!(
                out,
                " {} > {} ethertype 0x{:04x}",
                mac(&data[6..12]),
                mac(&data[0..6]),
                u16::from_be_bytes([data[12], data[13]])
            )?;
        }
        link => write!(out, " {link}")?,
    }
    if let Some(vlan) = hdr.vlan {
        write!(out, " vlan {}", vlan.id())?;
    }
    writeln!(out)
}

fn run() -> Result<(), String> {
    let config = parse_args()?;
    let mut session = Session::open(&config).map_err(|e| format!("dump: {e}"))?;
    let breaker = session.breaker();
    let mut signals = Signals::new([SIGINT, SIGTERM])
        .map_err(|e| format!("dump: installing the Ctrl-C handler: {e}"))?;
    std::thread::spawn(move || {
        if signals.forever().next().is_some() {
            breaker.end();
        }
    });
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut captured = 0u64;
    let mut write_error = None;
    let result = session.run(&mut |hdr: &PacketHeader<'_>, data: &[u8]| {
        captured += 1;
        match line(&mut out, hdr, data).and_then(|()| out.flush()) {
            Ok(()) => Verdict::Continue,
            Err(e) => {
                write_error = Some(e);
                Verdict::End
            }
        }
    });
    drop(out);
    result.map_err(|e| format!("dump: {e}"))?;
    if let Some(e) = write_error {
        if e.kind() != io::ErrorKind::BrokenPipe {
            return Err(format!("dump: writing to standard output: {e}"));
        }
    }
    let stats = session.stats().map_err(|e| format!("dump: {e}"))?;
    eprintln!("{captured} packets captured");
    eprintln!("{} packets received by filter", stats.received);
    eprintln!("{} packets dropped by kernel", stats.dropped);
    session.close().map_err(|e| format!("dump: {e}"))
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
