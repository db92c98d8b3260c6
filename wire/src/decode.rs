//! One pass over a frame: the link framing, any stack of VLAN tags, LLC/SNAP, MPLS and PPPoE, then ARP or IP and the header inside it, into [`Layers`].
//!
//! The rules (netraf's count of "the outermost headers"):
//! - VLAN tags (802.1Q, 802.1ad, 0x9100, 0x9200): up to 8 after each
//!   EtherType are walked; all are counted. An EtherType of at most 1500 is
//!   an 802.3 length: only LLC/SNAP carries a network header further.
//! - MPLS: up to 8 labels to the bottom of the stack, then IP by the version nibble.
//! - IPv4: a header of at least 20 bytes with version 4 gives addresses and
//!   protocol; the payload ends at the declared total length (0, from
//!   segmentation offload, means the end of the capture); a header length
//!   below 20 or past the bytes or the total length stops there, as does a
//!   non-first fragment.
//! - IPv6: the payload length 0 ("BIG TCP", jumbograms) means the end of the
//!   capture; extension headers are walked (see [`crate::skip_extensions`]).
//! - The transport header counts when all there: TCP 20 bytes, UDP 8,
//!   ICMP/ICMPv6 4. One level of tunnel is recorded, not decoded: GRE
//!   version 0 carrying IPv4, IPv6 or Ethernet; VXLAN on UDP port 4789;
//!   IPv4/IPv6 inside IP. [`decode_inner`] decodes the inner packet.

use std::marker::PhantomData;

use capture_file::{LinkType, StrippedVlan};

use crate::layers::{ArpFields, IpFields, TcpFields, Tunnel, TunnelKind};
use crate::ppp::Ppp;
use crate::sink::Sink;
use crate::tcp::FLAG_ACK;
use crate::udp::VXLAN_PORT;
use crate::VlanStack;
use crate::{
    ethertype, skip_extensions, Arp, Ethernet, Gre, Icmp, Ipv4, Ipv6, Layers, Llc, Mpls,
    NetworkKind, Pppoe, Span, Tcp, TransportKind, Udp, Vlan, VlanTag, Vxlan,
};

/// At most this many VLAN tags (after one EtherType) or MPLS labels are walked.
const MAX_WALK: usize = 8;

/// Decodes `frame`, whose bytes start as `link_type` says, once into its
/// layers. `stripped` is a VLAN tag the kernel took out of the bytes before
/// capture. Never fails and never panics: what cannot be decoded stays `None`.
#[inline]
pub fn decode(link_type: LinkType, stripped: Option<StrippedVlan>, frame: &[u8]) -> Layers {
    let mut l = Layers::empty(link_type, stripped);
    decode_with(link_type, stripped, frame, &mut l);
    l
}

/// Decodes `frame` as [`decode`] does, handing each field to `sink` as it
/// is found (see [`Sink`]); the VLAN tags come last.
///
/// Inlined whole into its caller, so that the fields `sink` does not keep
/// are never read.
#[inline(always)]
pub fn decode_with<S: Sink>(
    link_type: LinkType,
    stripped: Option<StrippedVlan>,
    frame: &[u8],
    sink: &mut S,
) {
    let mut vlans = VlanStack::default();
    vlans.stripped = stripped;
    let mut d = Decoder {
        base: frame.as_ptr() as usize,
        out: sink,
        vlans: &mut vlans,
        frame: PhantomData,
    };
    if let Some((etype, rest)) = d.link(link_type, frame) {
        d.network(etype, rest);
    }
    sink.vlans(&vlans);
}

/// Decodes the inner packet of `outer`'s tunnel in `frame` (the frame
/// `outer` was decoded from); its spans are offsets in `frame` too. `None`
/// when `outer` has no tunnel.
pub fn decode_inner(outer: &Layers, frame: &[u8]) -> Option<Layers> {
    let tunnel = outer.tunnel?;
    let mut inner = decode(tunnel.inner_link_type, None, tunnel.inner.of(frame));
    inner.shift(tunnel.inner.offset);
    Some(inner)
}

/// What a framing leads to: an EtherType and the bytes after it (an 802.3
/// length or 0 when LLC follows, a TPID when tags follow), or nothing netraf decodes.
pub(crate) type Next<'f> = Option<(u16, &'f [u8])>;

/// The layers found so far in one frame. Its methods are inlined into
/// [`decode`]; what rarer headers need is read by functions that return
/// values rather than write here.
pub(crate) struct Decoder<'f, 'v, S> {
    /// The address of the frame's first byte: spans are measured from it.
    base: usize,
    /// Where the fields go.
    pub(crate) out: &'v mut S,
    /// The VLAN stack, apart from `l` while decoding: the tag walk writes
    /// it out of line, which leaves `l` to registers.
    vlans: &'v mut VlanStack,
    frame: PhantomData<&'f [u8]>,
}

impl<'f, S: Sink> Decoder<'f, '_, S> {
    /// The span of `bytes`, a part of the frame.
    #[inline(always)]
    pub(crate) fn span(&self, bytes: &[u8]) -> Span {
        Span {
            offset: (bytes.as_ptr() as usize).wrapping_sub(self.base) as u32,
            len: bytes.len() as u32,
        }
    }

    /// The span of the first `len` bytes of `bytes`.
    #[inline(always)]
    fn span_of(&self, bytes: &[u8], len: usize) -> Span {
        Span {
            len: len.min(bytes.len()) as u32,
            ..self.span(bytes)
        }
    }

    /// The link-layer headers end where `rest` starts.
    #[inline(always)]
    pub(crate) fn link_to(&mut self, rest: &[u8]) {
        let end = self.span(rest).offset;
        self.out.link((end > 0).then_some(Span {
            offset: 0,
            len: end,
        }));
    }

    /// Ethernet II / 802.3: MACs, then the EtherType or an 802.3 length.
    #[inline(always)]
    pub(crate) fn ethernet(&mut self, data: &'f [u8]) -> Next<'f> {
        let eth = Ethernet::new_checked(data)?;
        self.out.dst_mac(eth.destination());
        self.out.src_mac(eth.source());
        Some((eth.ethertype(), eth.payload()))
    }

    /// Tags, then what the EtherType names (LLC/SNAP leading to another
    /// EtherType), down to the network header.
    #[inline(always)]
    fn network(&mut self, etype: u16, rest: &'f [u8]) {
        // IP, by far the most common, is told from tags and lengths first.
        let ip = etype == ethertype::IPV4 || etype == ethertype::IPV6;
        let (etype, rest) = if !ip && (Vlan::is_tpid(etype) || etype <= ethertype::MAX_LENGTH) {
            match walk(etype, rest, self.vlans) {
                Walked::Found(etype, rest) => (etype, rest),
                Walked::Cut(tpid, rest) => {
                    self.link_to(rest);
                    self.out.ethertype(tpid);
                    return;
                }
                Walked::End => return,
            }
        } else {
            (etype, rest)
        };
        self.link_to(rest);
        self.out.ethertype(etype);
        let ip = match etype {
            ethertype::IPV4 | ethertype::IPV6 => Some((etype, rest)),
            ethertype::ARP | ethertype::RARP => {
                self.out.network_kind(NetworkKind::Arp);
                if let Some((len, fields)) = arp(rest) {
                    self.out.network(self.span_of(rest, len));
                    self.out.arp(fields);
                }
                None
            }
            ethertype::MPLS | ethertype::MPLS_MC => mpls(rest),
            ethertype::PPPOE_SESSION => Pppoe::new_checked(rest).and_then(|p| ppp(p.payload())),
            _ => None,
        };
        if let Some((etype, rest)) = ip {
            self.ip(etype, rest);
        }
    }

    /// An IPv4 or IPv6 header (by EtherType), then what is inside it.
    #[inline(always)]
    fn ip(&mut self, etype: u16, data: &'f [u8]) {
        self.out.ethertype(etype);
        self.link_to(data);
        if etype == ethertype::IPV4 {
            self.out.network_kind(NetworkKind::Ipv4);
            self.ipv4(data);
        } else {
            self.out.network_kind(NetworkKind::Ipv6);
            self.ipv6(data);
        }
    }

    #[inline(always)]
    fn ipv4(&mut self, data: &'f [u8]) {
        let Some(ip) = Ipv4::new_checked(data) else {
            return;
        };
        let mut src = [0; 16];
        let mut dst = [0; 16];
        src[..4].copy_from_slice(&ip.source().octets());
        dst[..4].copy_from_slice(&ip.destination().octets());
        self.out.ip(IpFields {
            version: 4,
            src,
            dst,
            ttl: ip.ttl(),
            ipv4_id: Some(ip.ident()),
            ipv4_flags: Some(ip.flags()),
            fragment_offset: Some(ip.fragment_offset()),
            flow_label: None,
        });
        let protocol = ip.protocol();
        self.out.protocol(protocol);
        let Some(payload) = ip.payload() else {
            return;
        };
        self.out.network(self.span_of(data, ip.header_len()));
        if ip.fragment_offset() != 0 {
            // A non-first fragment: no transport header.
            self.out.payload(Some(self.span(payload)));
            return;
        }
        self.transport(protocol, payload);
    }

    #[inline(always)]
    fn ipv6(&mut self, data: &'f [u8]) {
        let Some(ip) = Ipv6::new_checked(data) else {
            return;
        };
        self.out.ip(IpFields {
            version: 6,
            src: ip.source_bytes(),
            dst: ip.destination_bytes(),
            ttl: ip.hop_limit(),
            ipv4_id: None,
            ipv4_flags: None,
            fragment_offset: None,
            flow_label: Some(ip.flow_label()),
        });
        let upper = skip_extensions(ip.next_header(), ip.payload());
        self.out.protocol(upper.protocol);
        let Some(payload) = upper.payload else {
            return;
        };
        let header = self.span(data);
        self.out.network(Span {
            len: self.span(payload).offset.wrapping_sub(header.offset),
            ..header
        });
        self.transport(upper.protocol, payload);
    }

    /// The header directly inside the IP header, if it is all there.
    #[inline(always)]
    fn transport(&mut self, protocol: u8, payload: &'f [u8]) {
        self.out.protocol(protocol);
        self.out.payload(Some(self.span(payload)));
        match protocol {
            6 => self.tcp(payload),
            17 => self.udp(payload),
            1 | 58 => {
                if let Some(icmp) = Icmp::new_checked(payload) {
                    self.out.transport_kind(if protocol == 1 {
                        TransportKind::Icmp
                    } else {
                        TransportKind::Icmpv6
                    });
                    self.out.icmp(icmp.kind(), icmp.code());
                    self.out.transport(self.span_of(payload, 4));
                    self.out.payload(Some(self.span(icmp.payload())));
                }
            }
            47 => self.tunnel(gre(payload)),
            4 | 41 => self.tunnel(Some((TunnelKind::IpInIp, payload, LinkType::RAW))),
            _ => {}
        }
    }

    #[inline(always)]
    fn tcp(&mut self, payload: &'f [u8]) {
        let Some(tcp) = Tcp::new_checked(payload) else {
            return;
        };
        self.out.transport_kind(TransportKind::Tcp);
        self.out.ports(tcp.src_port(), tcp.dst_port());
        let flags = tcp.flags();
        let data = tcp.payload();
        let header_len = if data.is_some() { tcp.header_len() } else { 20 };
        self.out.tcp(TcpFields {
            flags,
            seq: tcp.seq(),
            ack: (flags & FLAG_ACK != 0).then(|| tcp.ack()),
            window: tcp.window(),
            options_len: data.map(|_| (header_len - 20) as u16),
            payload_len: data.map(|d| d.len() as u32),
        });
        self.out.transport(self.span_of(payload, header_len));
        self.out.payload(data.map(|d| self.span(d)));
    }

    #[inline(always)]
    fn udp(&mut self, payload: &'f [u8]) {
        let Some(udp) = Udp::new_checked(payload) else {
            return;
        };
        self.out.transport_kind(TransportKind::Udp);
        self.out.ports(udp.src_port(), udp.dst_port());
        self.out.transport(self.span_of(payload, 8));
        self.out.payload(Some(self.span(udp.payload())));
        if udp.dst_port() == VXLAN_PORT {
            self.tunnel(vxlan(udp.payload()));
        }
    }

    #[inline(always)]
    fn tunnel(&mut self, found: Option<(TunnelKind, &'f [u8], LinkType)>) {
        if let Some((kind, inner, inner_link_type)) = found {
            self.out.tunnel(Tunnel {
                kind,
                inner: self.span(inner),
                inner_link_type,
            });
        }
    }
}

/// Where the walk over tags and LLC headers ended.
enum Walked<'f> {
    /// At this EtherType (neither a TPID nor a length), the bytes after it.
    Found(u16, &'f [u8]),
    /// At a tag cut short: its TPID, and the bytes that were left.
    Cut(u16, &'f [u8]),
    /// At an LLC header that does not lead to an EtherType.
    End,
}

/// VLAN tags (up to 8 after each EtherType, pushed on `vlans`) and LLC/SNAP
/// headers (after an 802.3 length), to the EtherType of what follows.
fn walk<'f>(mut etype: u16, mut rest: &'f [u8], vlans: &mut VlanStack) -> Walked<'f> {
    loop {
        let mut tags = 0;
        while Vlan::is_tpid(etype) && tags < MAX_WALK {
            let Some(tag) = Vlan::new_checked(rest) else {
                return Walked::Cut(etype, rest);
            };
            vlans.push(VlanTag {
                tpid: etype,
                tci: tag.tci(),
            });
            etype = tag.ethertype();
            rest = tag.payload();
            tags += 1;
        }
        if etype > ethertype::MAX_LENGTH {
            return Walked::Found(etype, rest);
        }
        // An 802.3 length (or a kernel pseudo value): LLC follows.
        let Some(snap) = llc(rest) else {
            return Walked::End;
        };
        (etype, rest) = snap;
    }
}

/// 802.2 LLC: only SNAP with an EtherType leads further.
fn llc(rest: &[u8]) -> Next<'_> {
    let llc = Llc::new_checked(rest)?;
    Some((llc.snap_ethertype()?, llc.payload()))
}

/// MPLS: labels to the bottom of the stack, then IP by the version nibble.
fn mpls(mut rest: &[u8]) -> Next<'_> {
    for _ in 0..MAX_WALK {
        let label = Mpls::new_checked(rest)?;
        rest = label.payload();
        if label.bottom_of_stack() {
            return raw_ip(rest);
        }
    }
    None
}

/// Raw IP: the version nibble says which.
#[inline]
pub(crate) fn raw_ip(data: &[u8]) -> Next<'_> {
    Some((LinkType::raw_ip_ethertype(data)?, data))
}

/// PPP: IPv4 or IPv6 by the protocol.
#[inline]
pub(crate) fn ppp(data: &[u8]) -> Next<'_> {
    let ppp = Ppp::new_checked(data)?;
    Some((ppp.ethertype()?, ppp.payload()))
}

/// An ARP body: its length (addresses included) and fields.
fn arp(rest: &[u8]) -> Option<(usize, ArpFields)> {
    let arp = Arp::new_checked(rest)?;
    let (h, p) = (
        usize::from(arp.hardware_len()),
        usize::from(arp.protocol_len()),
    );
    let mac = |a: Option<&[u8]>| a.and_then(|a| <[u8; 6]>::try_from(a).ok());
    let ip = |a: Option<&[u8]>| a.and_then(|a| <[u8; 4]>::try_from(a).ok()).map(Into::into);
    let fields = ArpFields {
        operation: arp.operation(),
        sender_mac: mac(arp.sender_hardware()),
        sender_ip: ip(arp.sender_protocol()),
        target_mac: mac(arp.target_hardware()),
        target_ip: ip(arp.target_protocol()),
    };
    Some((8 + 2 * (h + p), fields))
}

/// A GRE tunnel netraf can look into: version 0 carrying IPv4, IPv6 or Ethernet.
fn gre(payload: &[u8]) -> Option<(TunnelKind, &[u8], LinkType)> {
    let gre = Gre::new_checked(payload)?;
    let inner_link_type = match (gre.version(), gre.protocol()) {
        (0, ethertype::IPV4 | ethertype::IPV6) => LinkType::RAW,
        (0, ethertype::TEB) => LinkType::ETHERNET,
        _ => return None,
    };
    Some((TunnelKind::Gre, gre.payload()?, inner_link_type))
}

/// The Ethernet frame inside a VXLAN header.
fn vxlan(payload: &[u8]) -> Option<(TunnelKind, &[u8], LinkType)> {
    let vxlan = Vxlan::new_checked(payload)?;
    Some((TunnelKind::Vxlan, vxlan.payload(), LinkType::ETHERNET))
}

#[cfg(test)]
mod tests;
