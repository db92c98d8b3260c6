//! Decodes a frame's outermost headers once per packet into the summary that every plugin shares.
//!
//! What is counted where (the same rules as the corpus's `outermost.csv`):
//! - **network** = the first network header: after Ethernet (802.1Q/802.1ad/QinQ
//!   tags, 802.3 LLC/SNAP, MPLS, PPPoE), Linux cooked v1/v2, null/loopback
//!   (address family in either byte order; AF_INET6 = 10, 24, 28 or 30), raw IP
//!   (101, 228, 229, and 12/14 as BSDs write it), Cisco HDLC, PPP (9, 50, and
//!   PPPoE without Ethernet, 51), 802.11 with or without radiotap (LLC/SNAP),
//!   NFLOG (239, `tcpdump -i nflog`: the payload TLV, see [`nflog`] for its
//!   byte order), IP over InfiniBand (242: the EtherType after two 20-byte
//!   addresses), Hilscher netANALYZER (240, 241: Ethernet after a pseudo-header).
//!   ARP and RARP are `Arp`.
//!
//!   Link types libpcap maps and tcpdump prints but left `Other` here, as
//!   a Linux sensor does not meet them or they carry no IP: Linux netlink
//!   (253), SocketCAN (227), USB, Bluetooth, IrDA/LAPD, 802.15.4, DSA tags
//!   (tshark does not decode them either), DOCSIS, ATM/Frame Relay/ARCNET/FDDI/Token
//!   Ring, BSD's pflog/enc/ipnet, and the 802.11 headers of older Linux
//!   drivers (Prism 119, AVS 163, PPI 192).
//! - **transport** = the header directly inside that IP header, after IPv6
//!   extension headers (hop-by-hop, routing, fragment, destination options,
//!   shim6). `Other` for any other protocol (GRE, ESP, AH, IGMP, OSPF...), a
//!   non-first fragment, a header that is not all there (TCP < 20 bytes, UDP < 8,
//!   ICMP/ICMPv6 < 4), or an IP header that is itself truncated or bogus.
//!   A tunnel's inner packet is not looked at.
//! - **broadcast** = the outermost Ethernet destination is ff:ff:ff:ff:ff:ff;
//!   for Linux cooked captures (no destination MAC) the cooked packet type is
//!   broadcast (1); for other link types without an Ethernet header the
//!   packet type MYCAP reported is `Broadcast`. 802.11 frames are not counted
//!   (their receiver address is not an Ethernet destination).
//!
//! Hand-written rather than etherparse's sliced packets: these rules differ
//! from etherparse's where it matters for counting (etherparse leaves the
//! transport of a *first* fragment undecoded, rejects an IPv4 total length of
//! 0 written by segmentation offload, and has no LLC/SNAP, MPLS, cooked,
//! null, HDLC or 802.11 framing). Only bounds-checked slicing, no allocation.

use capture_file::bytes::be16;
use capture_file::cooked;
use mycap_core::{LinkType, PacketHeader, PacketType};
use plugin_api::{Network, PacketSummary, Transport};

const ETH_IPV4: u16 = 0x0800;
const ETH_ARP: u16 = 0x0806;
const ETH_RARP: u16 = 0x8035;
const ETH_IPV6: u16 = 0x86dd;
const ETH_VLAN: u16 = 0x8100;
const ETH_QINQ: u16 = 0x88a8;
const ETH_QINQ_OLD: u16 = 0x9100;
const ETH_QINQ_OLD2: u16 = 0x9200;
const ETH_MPLS: u16 = 0x8847;
const ETH_MPLS_MC: u16 = 0x8848;
const ETH_PPPOE_SESSION: u16 = 0x8864;

/// LINKTYPE_NFLOG: Linux netfilter log messages (`tcpdump -i nflog`).
const NFLOG: u16 = 239;
/// LINKTYPE_IPOIB: IP over InfiniBand with libpcap's 44-byte header.
const IPOIB: u16 = 242;

/// At most this many VLAN tags or MPLS labels are skipped.
const MAX_TAGS: usize = 8;

/// Decodes what the plugins need from one packet. Never fails and never
/// panics: whatever cannot be decoded stays at its zero value.
pub fn summarize(header: &PacketHeader<'_>, data: &[u8]) -> PacketSummary {
    let mut s = PacketSummary {
        link_type: header.link_type.0,
        ..PacketSummary::default()
    };
    if let Some(tag) = header.vlan {
        s.vlan_count = 1;
        s.vlan_id = tag.id();
    }
    let mut pkttype = header.pkttype;
    match header.link_type {
        LinkType::ETHERNET => ethernet(&mut s, data),
        LinkType::LINUX_SLL | LinkType::LINUX_SLL2 => {
            if let Some(c) = cooked::parse(header.link_type, data) {
                pkttype = c.packet_type;
                cooked_addr(&mut s, c.halen, c.address);
                cooked(&mut s, c.protocol, &data[c.header_len..]);
            }
        }
        LinkType::NULL | LinkType::LOOP => null(&mut s, data),
        LinkType::IPV4 => ip(&mut s, ETH_IPV4, data),
        LinkType::IPV6 => ip(&mut s, ETH_IPV6, data),
        raw if raw.is_raw_ip() => raw_ip(&mut s, data),
        // address(1) control(1) protocol(2); 0x8035 here is SLARP (Cisco's
        // keepalive), not RARP.
        LinkType::C_HDLC if data.len() >= 4 && be16(data, 2) != ETH_RARP => {
            ethertype(&mut s, be16(data, 2), &data[4..]);
        }
        LinkType(9) | LinkType(50) => ppp(&mut s, data),
        // PPPoE session without its Ethernet header: ver/type(1) code(1)
        // session(2) length(2), then PPP.
        LinkType(51) => {
            if let Some(after) = data.get(6..) {
                ppp(&mut s, after);
            }
        }
        LinkType(NFLOG) => nflog(&mut s, data),
        // Hilscher netANALYZER: a 4-byte pseudo-header, then Ethernet with
        // its FCS; the transparent form also keeps preamble and SFD (8).
        LinkType(240) => ethernet(&mut s, data.get(4..).unwrap_or_default()),
        LinkType(241) => ethernet(&mut s, data.get(12..).unwrap_or_default()),
        // IP over InfiniBand: destination(20) source(20) EtherType(2) reserved(2).
        LinkType(IPOIB) if data.len() >= 44 => ethertype(&mut s, be16(data, 40), &data[44..]),
        LinkType::IEEE802_11 => wifi(&mut s, data),
        LinkType::IEEE802_11_RADIOTAP if data.len() >= 4 => {
            let len = usize::from(u16::from_le_bytes([data[2], data[3]]));
            if let Some(frame) = data.get(len..) {
                wifi(&mut s, frame);
            }
        }
        _ => {}
    }
    if !s.has_macs
        && header.link_type != LinkType::IEEE802_11_RADIOTAP
        && header.link_type != LinkType::IEEE802_11
    {
        s.broadcast = pkttype == PacketType::Broadcast;
    }
    s
}

/// Ethernet II / 802.3: MACs, then tags and the network header.
fn ethernet(s: &mut PacketSummary, data: &[u8]) {
    let Some(h) = data.get(..14) else { return };
    s.has_macs = true;
    s.dst_mac.copy_from_slice(&h[0..6]);
    s.src_mac.copy_from_slice(&h[6..12]);
    s.broadcast = s.dst_mac == [0xff; 6];
    ethertype(s, be16(h, 12), &data[14..]);
}

/// Dispatches on an EtherType (or an 802.3 length, then LLC follows).
fn ethertype(s: &mut PacketSummary, mut etype: u16, mut rest: &[u8]) {
    let mut tags = 0;
    while matches!(etype, ETH_VLAN | ETH_QINQ | ETH_QINQ_OLD | ETH_QINQ_OLD2) && tags < MAX_TAGS {
        let Some(tag) = rest.get(..4) else {
            s.ethertype = etype;
            return;
        };
        if s.vlan_count == 0 {
            s.vlan_id = be16(tag, 0) & 0x0fff;
        }
        s.vlan_count = s.vlan_count.saturating_add(1);
        etype = be16(tag, 2);
        rest = &rest[4..];
        tags += 1;
    }
    if etype <= 1500 {
        // An 802.3 length: LLC follows.
        llc(s, rest);
        return;
    }
    s.ethertype = etype;
    match etype {
        ETH_ARP | ETH_RARP => s.network = Network::Arp,
        ETH_IPV4 | ETH_IPV6 => ip(s, etype, rest),
        ETH_MPLS | ETH_MPLS_MC => mpls(s, rest),
        ETH_PPPOE_SESSION => {
            // ver/type(1) code(1) session(2) length(2), then PPP
            if let Some(after) = rest.get(6..) {
                ppp(s, after);
            }
        }
        _ => {}
    }
}

/// 802.2 LLC: only SNAP (AA AA 03, OUI, EtherType) carries a network header
/// we count.
fn llc(s: &mut PacketSummary, rest: &[u8]) {
    if let Some(h) = rest.get(..8) {
        if h[0] == 0xaa && h[1] == 0xaa && h[2] == 0x03 {
            let etype = be16(h, 6);
            if etype > 1500 {
                ethertype(s, etype, &rest[8..]);
            }
        }
    }
}

/// MPLS: skip labels to the bottom of the stack, then guess IP by the version nibble.
fn mpls(s: &mut PacketSummary, mut rest: &[u8]) {
    for _ in 0..MAX_TAGS {
        let Some(label) = rest.get(..4) else { return };
        rest = &rest[4..];
        if label[2] & 0x01 != 0 {
            raw_ip(s, rest);
            return;
        }
    }
}

/// PPP (with or without the FF 03 address/control bytes): protocol, then IP.
fn ppp(s: &mut PacketSummary, mut data: &[u8]) {
    if data.len() >= 2 && data[0] == 0xff && data[1] == 0x03 {
        data = &data[2..];
    }
    let Some(proto) = data.get(..2) else { return };
    match be16(proto, 0) {
        0x0021 => ip(s, ETH_IPV4, &data[2..]),
        0x0057 => ip(s, ETH_IPV6, &data[2..]),
        _ => {}
    }
}

/// The protocol field of a Linux cooked header: an EtherType, or one of the
/// kernel's pseudo values for 802.3/802.2 frames.
fn cooked(s: &mut PacketSummary, protocol: u16, rest: &[u8]) {
    match protocol {
        0x0004 => llc(s, rest), // ETH_P_802_2
        p if p > 1500 => ethertype(s, p, rest),
        _ => {}
    }
}

/// The link-layer source address of a cooked header, if it is a MAC.
fn cooked_addr(s: &mut PacketSummary, halen: u16, addr: &[u8]) {
    if halen == 6 {
        s.src_mac.copy_from_slice(&addr[..6]);
    }
}

/// BSD null/loopback: a 4-byte address family, host order of the capturing
/// machine (null) or network order (loop); both are accepted. Some systems
/// put an EtherType there instead (a value above 1500), as Wireshark knows.
fn null(s: &mut PacketSummary, data: &[u8]) {
    let Some(h) = data.get(..4) else { return };
    let mut family = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
    if family > 0xffff {
        family = family.swap_bytes();
    }
    let rest = &data[4..];
    match family {
        // An EtherType in the last two bytes, the first two holding other things.
        0x1_0000.. if be16(h, 2) > 1500 => ethertype(s, be16(h, 2), rest),
        1501..=0xffff => ethertype(s, family as u16, rest),
        2 => ip(s, ETH_IPV4, rest),
        10 | 24 | 28 | 30 => ip(s, ETH_IPV6, rest),
        _ => {}
    }
}

/// NFLOG: family(1) version(1) resource id(2, big-endian), then TLVs of
/// length(2) type(2) value, the length counting the 4-byte TLV header, each
/// padded to 4 bytes. Length and type are in the byte order of the
/// capturing host, which the file does not say: the order in which every
/// TLV fits the packet exactly is taken, little-endian when both do (the
/// common hosts). The payload TLV holds the packet from its network header:
/// by the EtherType of the packet-header TLV when it gives one (ARP from
/// bridge or arptables rules), else by the family (2 IPv4, 10 IPv6), as
/// Wireshark does.
fn nflog(s: &mut PacketSummary, data: &[u8]) {
    let (Some(&family), Some(tlvs)) = (data.first(), data.get(4..)) else {
        return;
    };
    let Some(order) = [Order::Little, Order::Big]
        .into_iter()
        .find(|&order| nflog_tlvs(tlvs, order, |_, _| {}))
    else {
        return;
    };
    let (mut protocol, mut payload) = (0, None);
    nflog_tlvs(tlvs, order, |kind, value| match kind {
        NFULA_PACKET_HDR if value.len() == 4 => protocol = be16(value, 0),
        NFULA_PAYLOAD => payload = Some(value),
        _ => {}
    });
    let Some(payload) = payload else { return };
    match (protocol, family) {
        (p, _) if p > 1500 => ethertype(s, p, payload),
        (_, 2) => ip(s, ETH_IPV4, payload),
        (_, 10) => ip(s, ETH_IPV6, payload),
        _ => {}
    }
}

const NFULA_PACKET_HDR: u16 = 1;
const NFULA_PAYLOAD: u16 = 9;

/// A byte order for NFLOG's TLV headers.
#[derive(Clone, Copy)]
enum Order {
    Little,
    Big,
}

/// Hands each TLV's type (without the netlink flag bits) and value to
/// `visit`; whether the TLVs fill `tlvs` exactly (the last may lack its
/// padding).
fn nflog_tlvs<'a>(mut tlvs: &'a [u8], order: Order, mut visit: impl FnMut(u16, &'a [u8])) -> bool {
    while !tlvs.is_empty() {
        let Some(h) = tlvs.get(..4) else { return false };
        let (len, kind) = match order {
            Order::Little => (
                u16::from_le_bytes([h[0], h[1]]),
                u16::from_le_bytes([h[2], h[3]]),
            ),
            Order::Big => (be16(h, 0), be16(h, 2)),
        };
        let len = usize::from(len);
        let Some(value) = tlvs.get(4..len) else {
            return false;
        };
        visit(kind & 0x3fff, value);
        tlvs = tlvs.get(len.next_multiple_of(4)..).unwrap_or_default();
    }
    true
}

/// Raw IP: the version nibble says which.
fn raw_ip(s: &mut PacketSummary, data: &[u8]) {
    if let Some(etype) = LinkType::raw_ip_ethertype(data) {
        ip(s, etype, data);
    }
}

/// IEEE 802.11: data frames carry LLC/SNAP after the MAC header.
fn wifi(s: &mut PacketSummary, data: &[u8]) {
    let Some(fc) = data.get(..2) else { return };
    let frame_type = (fc[0] >> 2) & 0x3;
    let subtype = fc[0] >> 4;
    let flags = fc[1];
    if frame_type != 2 || subtype & 0x4 != 0 || flags & 0x40 != 0 {
        return; // not data, a null-data frame, or protected
    }
    let mut len = 24;
    if flags & 0x03 == 0x03 {
        len += 6; // four addresses
    }
    if subtype & 0x8 != 0 {
        len += 2; // QoS control
        if flags & 0x80 != 0 {
            len += 4; // HT control
        }
    }
    if let Some(rest) = data.get(len..) {
        llc(s, rest);
    }
}

/// An IPv4 or IPv6 header (by EtherType), then its transport.
fn ip(s: &mut PacketSummary, etype: u16, data: &[u8]) {
    s.ethertype = etype;
    if etype == ETH_IPV4 {
        s.network = Network::Ipv4;
        ipv4(s, data);
    } else {
        s.network = Network::Ipv6;
        ipv6(s, data);
    }
}

fn ipv4(s: &mut PacketSummary, data: &[u8]) {
    s.transport = Transport::Other;
    let Some(h) = data.get(..20) else { return };
    if h[0] >> 4 != 4 {
        return;
    }
    s.ip_version = 4;
    s.src_ip[..4].copy_from_slice(&h[12..16]);
    s.dst_ip[..4].copy_from_slice(&h[16..20]);
    s.ip_proto = h[9];
    let ihl = usize::from(h[0] & 0x0f) * 4;
    let total = usize::from(be16(h, 2));
    if ihl < 20 || ihl > data.len() || (total != 0 && total < ihl) {
        return;
    }
    if be16(h, 6) & 0x1fff != 0 {
        return; // a non-first fragment
    }
    // A total length of 0 comes from segmentation offload.
    let end = declared_end(total, data.len());
    transport(s, h[9], &data[ihl..end]);
}

fn ipv6(s: &mut PacketSummary, data: &[u8]) {
    s.transport = Transport::Other;
    let Some(h) = data.get(..40) else { return };
    if h[0] >> 4 != 6 {
        return;
    }
    s.ip_version = 6;
    s.src_ip.copy_from_slice(&h[8..24]);
    s.dst_ip.copy_from_slice(&h[24..40]);
    let payload_len = usize::from(be16(h, 4));
    // A payload length of 0 means a jumbogram or a "BIG TCP" packet.
    let end = match payload_len {
        0 => data.len(),
        len => declared_end(40 + len, data.len()),
    };
    let mut next = h[6];
    let mut rest = &data[40..end];
    loop {
        s.ip_proto = next;
        match next {
            0 | 43 | 60 | 140 => {
                let Some(ext) = rest.get(..2) else { return };
                let len = (usize::from(ext[1]) + 1) * 8;
                next = ext[0];
                let Some(after) = rest.get(len..) else { return };
                rest = after;
            }
            44 => {
                let Some(frag) = rest.get(..8) else { return };
                if be16(frag, 2) & 0xfff8 != 0 {
                    return; // a non-first fragment
                }
                next = frag[0];
                rest = &rest[8..];
            }
            proto => {
                transport(s, proto, rest);
                return;
            }
        }
    }
}

/// Where an IP packet of declared length `declared` ends in `captured` bytes:
/// 0 (unknown) or more than was captured means the end of the capture.
fn declared_end(declared: usize, captured: usize) -> usize {
    if declared == 0 {
        captured
    } else {
        declared.min(captured)
    }
}

/// The header directly inside the IP header, if it is all there.
fn transport(s: &mut PacketSummary, proto: u8, payload: &[u8]) {
    s.ip_proto = proto;
    s.transport = match proto {
        6 if payload.len() >= 20 => {
            s.src_port = be16(payload, 0);
            s.dst_port = be16(payload, 2);
            Transport::Tcp
        }
        17 if payload.len() >= 8 => {
            s.src_port = be16(payload, 0);
            s.dst_port = be16(payload, 2);
            Transport::Udp
        }
        1 | 58 if payload.len() >= 4 => {
            s.icmp_type = payload[0];
            s.icmp_code = payload[1];
            if proto == 1 {
                Transport::Icmp
            } else {
                Transport::Icmpv6
            }
        }
        _ => Transport::Other,
    };
}

#[cfg(test)]
mod tests;
