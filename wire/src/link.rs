//! The link framings netraf reads, from the first byte of a frame to the first EtherType, LLC header or IP header inside it.
//!
//! Ethernet (with its tags, in [`crate::decode`]), Linux cooked v1/v2 (read
//! by [`capture_file::cooked`]), null/loopback (the address family in either
//! byte order; AF_INET6 = 10, 24, 28 or 30), raw IP (101, 228, 229, and
//! 12/14 as BSDs write it), Cisco HDLC, PPP (9, 50, and PPPoE without
//! Ethernet, 51), 802.11 with or without radiotap (LLC/SNAP), NFLOG (239),
//! IP over InfiniBand (242), Hilscher netANALYZER (240, 241). Any other link
//! type (netlink, SocketCAN, USB, Bluetooth, DSA tags, Prism/AVS/PPI 802.11
//! headers...) carries nothing netraf decodes.

use capture_file::{cooked, LinkType};

use crate::decode::{ppp, raw_ip, Decoder, Next};
use crate::sink::Sink;
use crate::{ethertype, netanalyzer, CiscoHdlc, Ieee80211, IpOverIb, Nflog, Null, Pppoe, Radiotap};

/// LINKTYPE_PPP.
const PPP: LinkType = LinkType(9);
/// LINKTYPE_PPP_HDLC.
const PPP_HDLC: LinkType = LinkType(50);
/// LINKTYPE_PPP_ETHER: a PPPoE session header without its Ethernet header.
const PPP_ETHER: LinkType = LinkType(51);
/// LINKTYPE_NFLOG.
const NFLOG: LinkType = LinkType(239);
/// LINKTYPE_IPOIB.
const IPOIB: LinkType = LinkType(242);

impl<'f, S: Sink> Decoder<'f, '_, S> {
    /// Reads the link framing of a frame of `link_type`: what follows it.
    #[inline(always)]
    pub(crate) fn link(&mut self, link_type: LinkType, data: &'f [u8]) -> Next<'f> {
        match link_type {
            LinkType::ETHERNET => self.ethernet(data),
            LinkType::LINUX_SLL | LinkType::LINUX_SLL2 => self.cooked(link_type, data),
            LinkType::IPV4 => Some((ethertype::IPV4, data)),
            LinkType::IPV6 => Some((ethertype::IPV6, data)),
            raw if raw.is_raw_ip() => raw_ip(data),
            netanalyzer::NETANALYZER | netanalyzer::TRANSPARENT => {
                self.ethernet(netanalyzer::ethernet(link_type, data)?)
            }
            other => other_link(other, data),
        }
    }

    /// The cooked header: the packet type, a 6-byte address as the source
    /// MAC, then the protocol: an EtherType, or the kernel's pseudo value
    /// for 802.2 frames (LLC follows).
    #[inline(always)]
    fn cooked(&mut self, link_type: LinkType, data: &'f [u8]) -> Next<'f> {
        let c = cooked::parse(link_type, data)?;
        self.out.packet_type(c.packet_type);
        if c.halen == 6 {
            let [a, b, c2, d, e, f, _, _] = *c.address;
            self.out.src_mac([a, b, c2, d, e, f]);
        }
        let rest = data.get(c.header_len..)?;
        match c.protocol {
            0x0004 => Some((0, rest)), // ETH_P_802_2: LLC follows
            p if p > ethertype::MAX_LENGTH => Some((p, rest)),
            _ => None,
        }
    }
}

/// The framings other than Ethernet, cooked, raw IP and netANALYZER.
fn other_link(link_type: LinkType, data: &[u8]) -> Next<'_> {
    match link_type {
        LinkType::NULL | LinkType::LOOP => {
            let null = Null::new_checked(data)?;
            Some((null.ethertype()?, null.payload()))
        }
        // 0x8035 here is SLARP (Cisco's keepalive), not RARP.
        LinkType::C_HDLC => {
            let h = CiscoHdlc::new_checked(data)?;
            (h.protocol() != ethertype::RARP).then_some((h.protocol(), h.payload()))
        }
        PPP | PPP_HDLC => ppp(data),
        PPP_ETHER => ppp(Pppoe::new_checked(data)?.payload()),
        NFLOG => Nflog::new_checked(data)?.packet(),
        IPOIB => IpOverIb::new_checked(data).map(|ib| (ib.ethertype(), ib.payload())),
        LinkType::IEEE802_11 => wifi(data),
        LinkType::IEEE802_11_RADIOTAP => wifi(Radiotap::new_checked(data)?.payload()?),
        _ => None,
    }
}

/// IEEE 802.11: unprotected data frames carry LLC/SNAP after the MAC header.
fn wifi(data: &[u8]) -> Next<'_> {
    Some((0, Ieee80211::new_checked(data)?.llc()?))
}
