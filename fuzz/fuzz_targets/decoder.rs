//! Fuzz target: netraf-wire's decode and the host's per-packet summary on any bytes under every link type netraf knows (the first input byte picks it); never panics, the layers lie inside the frame, and the summary is consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mycap_core::PacketHeader;
use netraf_fuzz_corpus::Prefix;
use netraf_host::decode::summarize;
use netraf_wire::{decode, decode_inner, Layers, NetworkKind, TransportKind};
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
    let layers = decode(prefix.link_type, prefix.vlan, data);
    check_layers(&layers, data);
    if let Some(inner) = decode_inner(&layers, data) {
        check_layers(&inner, data);
    }
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

/// What must hold of any decode: every span inside the frame, and fields
/// only with the layer that carries them.
fn check_layers(l: &Layers, data: &[u8]) {
    for span in [l.link, l.network, l.transport, l.payload]
        .into_iter()
        .flatten()
    {
        assert!(
            span.range().end <= data.len(),
            "{span:?} past the frame: {l:?}"
        );
    }
    if let Some(tunnel) = l.tunnel {
        assert!(tunnel.inner.range().end <= data.len(), "{l:?}");
    }
    let ip = matches!(l.network_kind, Some(NetworkKind::Ipv4 | NetworkKind::Ipv6));
    assert!(
        ip || (l.ip.is_none() && l.transport_kind.is_none()),
        "{l:?}"
    );
    assert_eq!(
        l.tcp.is_some(),
        l.transport_kind == Some(TransportKind::Tcp),
        "{l:?}"
    );
    assert_eq!(
        l.src_port.is_some(),
        matches!(
            l.transport_kind,
            Some(TransportKind::Tcp | TransportKind::Udp)
        ),
        "{l:?}"
    );
    assert!(
        usize::from(l.vlans.count_in_frame()) >= l.vlans.in_frame().count(),
        "{l:?}"
    );
}
