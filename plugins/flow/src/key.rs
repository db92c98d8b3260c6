//! What the flow table needs from one packet: its canonical flow key (outermost IP 5-tuple and VLAN id, both directions alike), its direction, and its sizes.

use std::hash::{Hash, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use plugin_api::{Network, Packet};

use crate::community_id::icmp_ports;

/// VLAN id of an untagged packet in [`FlowKey::vlan`].
pub const NO_VLAN: u16 = u16::MAX;

/// A flow's key, the same for both directions: endpoint `a` is the smaller
/// (address, port) of the two, except for a one-way ICMP message, whose
/// sender is `a`. ICMP "ports" are Zeek's: the type, and the counterpart
/// type of a request or reply or else the code (the echo identifier is not
/// part of the key, as in Zeek).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowKey {
    /// Endpoint a's address (IPv4 in the first 4 bytes).
    pub a: [u8; 16],
    /// Endpoint b's address.
    pub b: [u8; 16],
    /// Endpoint a's port.
    pub a_port: u16,
    /// Endpoint b's port.
    pub b_port: u16,
    /// The outermost VLAN id, or [`NO_VLAN`].
    pub vlan: u16,
    /// The IP protocol number.
    pub proto: u8,
    /// IPv6 addresses.
    pub v6: bool,
    /// A one-way ICMP message (not paired with a reply).
    pub one_way: bool,
}

/// The key as three words: the table hashes every packet's key, and a
/// derived `Hash` hands the hasher ten pieces (each array with its length,
/// then every field), each a round of its mixing.
impl Hash for FlowKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u128(u128::from_ne_bytes(self.a));
        state.write_u128(u128::from_ne_bytes(self.b));
        state.write_u64(
            u64::from(self.a_port)
                | u64::from(self.b_port) << 16
                | u64::from(self.vlan) << 32
                | u64::from(self.proto) << 48
                | u64::from(self.v6) << 56
                | u64::from(self.one_way) << 57,
        );
    }
}

impl FlowKey {
    /// The address of endpoint a (`true`) or b.
    pub fn addr(&self, a: bool) -> IpAddr {
        let bytes = if a { self.a } else { self.b };
        if self.v6 {
            IpAddr::V6(Ipv6Addr::from(bytes))
        } else {
            IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))
        }
    }

    /// The address bytes of endpoint a (`true`) or b (4 or 16).
    pub fn addr_bytes(&self, a: bool) -> &[u8] {
        let bytes = if a { &self.a } else { &self.b };
        if self.v6 {
            &bytes[..]
        } else {
            &bytes[..4]
        }
    }

    /// The port of endpoint a (`true`) or b.
    pub fn port(&self, a: bool) -> u16 {
        if a {
            self.a_port
        } else {
            self.b_port
        }
    }
}

/// One packet as the flow table sees it.
#[derive(Debug, Clone, Copy)]
pub struct Observed {
    /// The flow it belongs to.
    pub key: FlowKey,
    /// Whether endpoint a of the key sent it.
    pub from_a: bool,
    /// IP bytes: the IP header's length field (as Zeek takes it, also for a
    /// frame cut short by the snap length).
    pub ip_bytes: u64,
    /// Bytes above the TCP/UDP header (ICMP: above its 8-byte header; other
    /// protocols: the IP payload), by the IP header's length.
    pub payload: u64,
    /// Bytes of the frame on the wire.
    pub wire_bytes: u64,
    /// The TCP flags (TCP only).
    pub tcp_flags: Option<u8>,
    /// The TCP sequence number (0 for other protocols).
    pub tcp_seq: u32,
}

/// The IP header's length of the packet whose network header starts at
/// `ip` (captured bytes): IPv4 total length, IPv6 payload length + 40; the
/// bytes to the frame's end on the wire when the field says 0 (TSO, a
/// jumbogram) or the header is cut.
fn ip_length(ip: &[u8], wire_rest: u64) -> u64 {
    let declared = match ip.first().map(|b| b >> 4) {
        Some(4) if ip.len() >= 4 => u64::from(u16::from_be_bytes([ip[2], ip[3]])),
        Some(6) if ip.len() >= 6 => match u16::from_be_bytes([ip[4], ip[5]]) {
            // A jumbogram (its length in a hop-by-hop option) or TSO.
            0 => 0,
            n => u64::from(n) + 40,
        },
        _ => 0,
    };
    if declared == 0 {
        wire_rest
    } else {
        declared
    }
}

/// What a packet is to the flow table.
#[derive(Debug, Clone, Copy)]
pub enum Seen {
    /// The outermost network header is not IP.
    NotIp,
    /// TCP, UDP, ICMP or ICMPv6 without its header: a non-first fragment
    /// (netraf does not reassemble) or a header cut short. Its flow cannot
    /// be told, so it is counted apart, with its IP bytes.
    NoTransport(u64),
    /// A packet of a flow.
    Flow(Observed),
}

/// What `packet` is to the flow table.
pub fn seen(packet: &Packet<'_>) -> Seen {
    if !matches!(packet.network(), Network::Ipv4 | Network::Ipv6) {
        return Seen::NotIp;
    }
    match observe(packet) {
        Some(obs) => {
            let keyed = matches!(obs.key.proto, 6 | 17 | 1 | 58);
            if keyed && packet.src_port().is_none() && packet.icmp_type().is_none() {
                Seen::NoTransport(obs.ip_bytes)
            } else {
                Seen::Flow(obs)
            }
        }
        None => Seen::NotIp,
    }
}

/// The packet's flow and sizes (ports 0 when it has none); `None` for a
/// frame whose outermost network header is not IP.
fn observe(packet: &Packet<'_>) -> Option<Observed> {
    if !matches!(packet.network(), Network::Ipv4 | Network::Ipv6) {
        return None;
    }
    let ip = packet.ip()?;
    let net = packet.network_span()?;
    let data = packet.data();
    let net_start = usize::try_from(net.offset).ok()?;
    let ip_hdr = data.get(net_start..)?;
    let wire_rest = u64::from(packet.wire_len()).saturating_sub(u64::from(net.offset));
    let ip_bytes = ip_length(ip_hdr, wire_rest);
    let proto = packet.ip_proto().unwrap_or(0);
    let v6 = ip.version == 6;
    // Bytes before the transport header's end, from the IP header's start.
    let headers = |extra: u64| -> u64 {
        packet.transport_span().map_or(u64::from(net.len), |t| {
            u64::from(t.offset.saturating_sub(net.offset)) + extra
        })
    };
    let mut tcp_flags = None;
    let mut tcp_seq = 0;
    let (sport, dport, one_way, payload_after) = match (packet.src_port(), packet.dst_port()) {
        (Some(s), Some(d)) => {
            let header = match packet.tcp() {
                Some(tcp) => {
                    tcp_flags = Some((tcp.flags & 0xff) as u8);
                    tcp_seq = tcp.seq;
                    packet.transport_span().map_or(20, |t| u64::from(t.len))
                }
                None => 8,
            };
            (s, d, false, headers(header))
        }
        _ => match (packet.icmp_type(), packet.icmp_code()) {
            (Some(t), Some(c)) => {
                let (p1, p2, one_way) = icmp_ports(proto, t, c);
                (p1, p2, one_way, headers(8))
            }
            // SCTP: netraf does not decode it, but its ports lead its
            // common header, where the IP payload starts (the Community ID
            // hashes them).
            _ => match (proto, packet.payload()) {
                (132, [a, b, c, d, ..]) => (
                    u16::from_be_bytes([*a, *b]),
                    u16::from_be_bytes([*c, *d]),
                    false,
                    u64::from(net.len) + 12,
                ),
                _ => (0, 0, false, u64::from(net.len)),
            },
        },
    };
    let vlan = packet.vlan_id().unwrap_or(NO_VLAN);
    let (src, dst) = (ip.src, ip.dst);
    // The addresses compared as numbers, in the order of their bytes: a
    // comparison of two arrays is a loop over their bytes.
    let forward = one_way || (u128::from_be_bytes(src), sport) <= (u128::from_be_bytes(dst), dport);
    let key = if forward {
        FlowKey {
            a: src,
            b: dst,
            a_port: sport,
            b_port: dport,
            vlan,
            proto,
            v6,
            one_way,
        }
    } else {
        FlowKey {
            a: dst,
            b: src,
            a_port: dport,
            b_port: sport,
            vlan,
            proto,
            v6,
            one_way,
        }
    };
    Some(Observed {
        key,
        from_a: forward,
        ip_bytes,
        payload: ip_bytes.saturating_sub(payload_after),
        wire_bytes: u64::from(packet.wire_len()),
        tcp_flags,
        tcp_seq,
    })
}
