//! A pcapng with very many sections and interfaces logged as pcapng by the built host: time linear in the packets, every packet read back.

use std::process::Command;
use std::time::{Duration, Instant};

use mycap_core::{LinkType, PacketHeader, PacketType, PcapngWriter, Session, Verdict};

use super::frames::arp_from;
use super::util::{host, run_bounded, TempDir};

/// Sections in the generated file, each with one interface of its own name
/// and one packet.
const SECTIONS: usize = 200_000;

/// The bytes of a pcapng file of `SECTIONS` sections: each one a new
/// section header, an interface `sN` and one ARP frame on it.
fn many_sections() -> Vec<u8> {
    let frame = arp_from(1);
    let mut file = Vec::with_capacity(SECTIONS * 160);
    for n in 0..SECTIONS {
        let name = format!("s{n}");
        let header = PacketHeader {
            ts_ns: 1_700_000_000_000_000_000 + n as u64 * 1000,
            caplen: frame.len() as u32,
            len: frame.len() as u32,
            ifindex: 0,
            ifname: &name,
            pkttype: PacketType::Host,
            link_type: LinkType::ETHERNET,
            vlan: None,
        };
        let mut writer = PcapngWriter::new(file, "netraf tests", 0).expect("section header");
        writer
            .write(&header.record(), &frame)
            .expect("write to a Vec");
        file = writer.finish().expect("finish a Vec");
    }
    file
}

/// Packets and distinct interface names in a capture file, read with MYCAP.
fn read_back(path: &std::path::Path) -> (usize, usize) {
    let mut session = Session::open_file(path).expect("the log's pcapng opens");
    let mut packets = 0;
    let mut names = std::collections::HashSet::new();
    let mut count = |h: &PacketHeader<'_>, _: &[u8]| {
        packets += 1;
        if !names.contains(h.ifname) {
            names.insert(h.ifname.to_string());
        }
        Verdict::Continue
    };
    session
        .run(&mut count)
        .expect("the log's pcapng reads to its end");
    (packets, names.len())
}

#[test]
fn logging_a_pcapng_of_many_interfaces_takes_time_linear_in_the_packets() {
    let dir = TempDir::new("sections");
    let input = dir.path.join("sections.pcapng");
    std::fs::write(&input, many_sections()).expect("write the test pcapng");
    let config = dir.write(
        "host.toml",
        "[capture]\ninterface = \"any\"\n\n[[plugin]]\nname = \"log\"\npath = \"netraf_log\"\n\
         [plugin.config]\nformat = \"pcapng\"\noutput = \"out.pcapng\"\n",
    );
    let mut command = Command::new(host());
    command.current_dir(&dir.path).env_remove("RUST_LOG").args([
        "--config",
        config.to_str().expect("UTF-8 path"),
        "-r",
        input.to_str().expect("UTF-8 path"),
    ]);
    let started = Instant::now();
    // A search through every interface written so far, per packet, takes
    // minutes here; the limit is generous for a slow, shared machine.
    let out = run_bounded(command, Duration::from_secs(20));
    let took = started.elapsed();
    assert!(out.ok(), "{out}");
    assert!(
        out.stderr
            .lines()
            .any(|l| l == format!("{SECTIONS} packets captured")),
        "{out}"
    );
    let (packets, names) = read_back(&dir.path.join("out.pcapng"));
    assert_eq!((packets, names), (SECTIONS, SECTIONS), "took {took:?}");
}
