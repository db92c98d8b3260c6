//! Fuzz target: netraf-wire's decode and plugin-api's `Packet::decode` (what the host hands every plugin) on any bytes under every link type netraf knows (the first input byte picks it); never panics, the layers lie inside the frame, and the packet is consistent and tells what the layers tell.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mycap_core::PacketHeader;
use netraf_fuzz_corpus::Prefix;
use netraf_wire::{decode, decode_inner, Layers, NetworkKind, TransportKind};
use plugin_api::{Network, Packet, Transport};

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
    let p = Packet::decode(&header, data);
    assert_eq!(
        fields(&p),
        fields(&Packet::decode(&header, data)),
        "decoding is not deterministic"
    );
    assert_eq!(p.link_type(), prefix.link_type);
    assert_eq!(p.data(), data);
    assert_eq!((p.caplen(), p.wire_len()), (caplen, caplen));
    assert_eq!(
        (p.ts_ns(), p.ifindex(), p.ifname()),
        (header.ts_ns, 1, "fuzz0")
    );
    assert_eq!(p.stripped_vlan(), prefix.vlan);

    // What the layers tell, the packet tells.
    assert_eq!(
        [
            p.link_span(),
            p.network_span(),
            p.transport_span(),
            p.payload_span()
        ],
        [
            layers.link,
            layers.network,
            layers.transport,
            layers.payload
        ],
        "{p:?}"
    );
    assert_eq!((p.src_mac(), p.dst_mac()), (layers.src_mac, layers.dst_mac));
    assert_eq!(p.ethertype(), layers.ethertype, "{p:?}");
    assert_eq!(p.ip(), layers.ip, "{p:?}");
    assert_eq!(p.ip_proto(), layers.protocol, "{p:?}");
    assert_eq!(
        (p.src_port(), p.dst_port()),
        (layers.src_port, layers.dst_port)
    );
    assert_eq!(p.tcp(), layers.tcp, "{p:?}");
    assert_eq!(p.arp(), layers.arp, "{p:?}");
    assert_eq!(
        (p.icmp_type(), p.icmp_code()),
        (layers.icmp_type, layers.icmp_code)
    );
    assert_eq!(p.tunnel(), layers.tunnel, "{p:?}");
    assert_eq!(p.vlans(), layers.vlans, "{p:?}");
    assert_eq!(p.vlan_count(), layers.vlans.count(), "{p:?}");
    assert_eq!(
        p.vlan_id(),
        layers.vlans.outermost().map(|tag| tag.id()),
        "{p:?}"
    );
    assert_eq!(
        p.payload().len(),
        p.payload_span().map_or(0, |s| s.range().len())
    );

    let ports = matches!(p.transport(), Transport::Tcp | Transport::Udp);
    let icmp = matches!(p.transport(), Transport::Icmp | Transport::Icmpv6);
    assert!(
        ports || (p.src_port(), p.dst_port()) == (None, None),
        "ports without TCP/UDP: {p:?}"
    );
    assert!(
        icmp || (p.icmp_type(), p.icmp_code()) == (None, None),
        "ICMP fields without ICMP: {p:?}"
    );
    let ip = matches!(p.network(), Network::Ipv4 | Network::Ipv6);
    assert!(
        ip || p.transport() == Transport::None,
        "a transport without IP: {p:?}"
    );
    match p.ip() {
        None => assert!(
            p.src_ip().is_none() && p.dst_ip().is_none() && !ports && !icmp,
            "addresses or a transport header without an IP header: {p:?}"
        ),
        Some(f) if f.version == 4 => {
            assert_eq!(p.network(), Network::Ipv4, "{p:?}");
            assert!(p.src_ip().is_some_and(|a| a.is_ipv4()), "{p:?}");
            assert!(f.src[4..] == [0; 12] && f.dst[4..] == [0; 12], "{p:?}");
        }
        Some(f) if f.version == 6 => {
            assert_eq!(p.network(), Network::Ipv6, "{p:?}");
            assert!(p.dst_ip().is_some_and(|a| a.is_ipv6()), "{p:?}");
        }
        Some(f) => panic!("IP version {}: {p:?}", f.version),
    }
    if p.network() == Network::Arp {
        assert_eq!(p.transport(), Transport::None, "{p:?}");
    }
    if p.vlan_count() == 0 {
        assert_eq!(p.vlan_id(), None, "a VLAN id without a tag: {p:?}");
    }
    assert!(p.vlan_id().map_or(true, |id| id <= 0x0fff), "{p:?}");
    if prefix.vlan.is_some() {
        assert!(
            p.vlan_count() >= 1,
            "the stripped tag is not counted: {p:?}"
        );
    }
    if let Some(dst) = p.dst_mac() {
        assert_eq!(p.is_broadcast(), dst == [0xff; 6], "{p:?}");
    }
    // Ports come from the first bytes of a header that is all there, inside
    // the captured bytes.
    if let (Some(src), Some(dst)) = (p.src_port(), p.dst_port()) {
        let shown = [src.to_be_bytes(), dst.to_be_bytes()].concat();
        assert!(
            data.windows(4).any(|w| w == shown.as_slice()),
            "ports not in the frame: {p:?}"
        );
    }
});

/// Everything a plugin can read of `p`, to compare two decodes.
fn fields<'a>(p: &Packet<'a>) -> impl PartialEq + std::fmt::Debug + 'a {
    (
        (p.ts_ns(), p.caplen(), p.wire_len(), p.ifindex(), p.ifname()),
        (
            p.packet_type(),
            p.link_type(),
            p.is_broadcast(),
            p.network(),
            p.transport(),
        ),
        (p.vlans(), p.vlan_count(), p.vlan_id(), p.stripped_vlan()),
        (
            p.link_span(),
            p.network_span(),
            p.transport_span(),
            p.payload_span(),
        ),
        (
            p.src_mac(),
            p.dst_mac(),
            p.ethertype(),
            p.ip(),
            p.src_ip(),
            p.dst_ip(),
        ),
        (p.ip_proto(), p.src_port(), p.dst_port(), p.tcp(), p.arp()),
        (p.icmp_type(), p.icmp_code(), p.tunnel()),
    )
}

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
