//! Fuzz target: the host's per-packet decoder on any bytes under every link type it knows (the first input byte picks it); never panics, and the summary is consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mycap_core::PacketHeader;
use netraf_fuzz_corpus::Prefix;
use netraf_host::decode::summarize;
use plugin_api::{Network, Transport};

fuzz_target!(|input: &[u8]| {
    let Some((&first, data)) = input.split_first() else {
        return;
    };
    let prefix = Prefix::from_byte(first);
    let caplen = u32::try_from(data.len()).unwrap_or(u32::MAX);
    let header = PacketHeader {
        ts_ns: 1_700_000_000_000_000_000,
        caplen,
        len: caplen,
        ifindex: 1,
        ifname: "fuzz0",
        pkttype: prefix.pkttype,
        link_type: prefix.link_type,
        vlan: prefix.vlan,
    };
    let s = summarize(&header, data);
    assert_eq!(s, summarize(&header, data), "decoding is not deterministic");
    assert_eq!(s.link_type, prefix.link_type.0);

    let ports = matches!(s.transport, Transport::Tcp | Transport::Udp);
    let icmp = matches!(s.transport, Transport::Icmp | Transport::Icmpv6);
    assert!(
        ports || (s.src_port, s.dst_port) == (0, 0),
        "ports without TCP/UDP: {s:?}"
    );
    assert!(
        icmp || (s.icmp_type, s.icmp_code) == (0, 0),
        "ICMP fields without ICMP: {s:?}"
    );
    let ip = matches!(s.network, Network::Ipv4 | Network::Ipv6);
    assert!(
        ip || s.transport == Transport::None,
        "a transport without IP: {s:?}"
    );
    match s.ip_version {
        0 => assert!(
            s.src_ip == [0; 16] && s.dst_ip == [0; 16] && !ports && !icmp,
            "addresses or a transport header without an IP version: {s:?}"
        ),
        4 => {
            assert_eq!(s.network, Network::Ipv4, "{s:?}");
            assert!(
                s.src_ip[4..] == [0; 12] && s.dst_ip[4..] == [0; 12],
                "{s:?}"
            );
        }
        6 => assert_eq!(s.network, Network::Ipv6, "{s:?}"),
        v => panic!("IP version {v}: {s:?}"),
    }
    if s.network == Network::Arp {
        assert_eq!(s.transport, Transport::None, "{s:?}");
    }
    if s.vlan_count == 0 {
        assert_eq!(s.vlan_id, 0, "a VLAN id without a tag: {s:?}");
    }
    assert!(s.vlan_id <= 0x0fff, "{s:?}");
    if prefix.vlan.is_some() {
        assert!(s.vlan_count >= 1, "the stripped tag is not counted: {s:?}");
    }
    if !s.has_macs {
        assert_eq!(s.dst_mac, [0; 6], "a destination MAC without MACs: {s:?}");
    } else {
        assert_eq!(s.broadcast, s.dst_mac == [0xff; 6], "{s:?}");
    }
    // Ports come from the first bytes of a header that is all there, inside
    // the captured bytes.
    let shown = [s.src_port.to_be_bytes(), s.dst_port.to_be_bytes()].concat();
    if ports {
        assert!(
            data.windows(4).any(|w| w == shown.as_slice()),
            "ports not in the frame: {s:?}"
        );
    }
});
