//! A filter expression run in user space on each packet: compiled once per link type met, run by netraf-bpf's interpreter with the kernel's semantics.
//!
//! A capture file's packets and a plugin's own `filter` go through here; a
//! live capture's `[capture] filter` runs in the kernel instead (see
//! `sessions`). The same compiler makes both programs, so an expression means
//! the same on a file and on a link.

use capture_file::{LinkType, PacketHeader};
use netraf_bpf::{Ancillary, Insn};
use netraf_filter::{FilterError, Options};

/// An expression and its programs, one per link type met.
#[derive(Debug, Clone)]
pub struct PacketFilter {
    expression: String,
    snaplen: u32,
    /// Live packets: the outermost VLAN tag was stripped into the header.
    live: bool,
    /// The program of each link type met; `None` where the expression keeps
    /// nothing of that link type (e.g. `arp` on raw IP) or cannot be
    /// compiled for it.
    programs: Vec<(LinkType, Option<Vec<Insn>>)>,
    /// Where the expression was written, for the one warning per link type.
    written: String,
}

impl PacketFilter {
    /// Checks `expression` once (on Ethernet, the link every other shares its
    /// words with): a syntax error or a word netraf does not compile is
    /// refused here, before anything runs. `written` says where the
    /// expression comes from, for messages.
    ///
    /// # Errors
    /// The compiler's message, naming the word and its column.
    pub fn new(
        expression: &str,
        snaplen: u32,
        live: bool,
        written: &str,
    ) -> Result<PacketFilter, FilterError> {
        check(expression, live)?;
        Ok(PacketFilter {
            expression: expression.to_string(),
            snaplen,
            live,
            programs: Vec::new(),
            written: written.to_string(),
        })
    }

    /// The expression as written.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// Whether the packet of `header` with bytes `data` passes the filter.
    #[inline]
    pub fn keeps(&mut self, header: &PacketHeader<'_>, data: &[u8]) -> bool {
        let anc = Ancillary {
            ifindex: header.ifindex,
            vlan_tci: header.vlan.map(|v| v.tci),
            vlan_tpid: header.vlan.map_or(0, |v| v.tpid),
            ..Ancillary::default()
        };
        self.keeps_bytes(header.link_type, data, header.len, &anc)
    }

    /// [`PacketFilter::keeps`] for a decoded packet (a plugin's filter).
    #[inline]
    pub fn keeps_packet(&mut self, packet: &plugin_api::Packet<'_>) -> bool {
        let vlan = packet.stripped_vlan();
        let anc = Ancillary {
            ifindex: packet.ifindex(),
            vlan_tci: vlan.map(|v| v.tci),
            vlan_tpid: vlan.map_or(0, |v| v.tpid),
            ..Ancillary::default()
        };
        self.keeps_bytes(packet.link_type(), packet.data(), packet.wire_len(), &anc)
    }

    /// [`PacketFilter::keeps`] for a packet given by its parts.
    pub fn keeps_bytes(
        &mut self,
        link_type: LinkType,
        data: &[u8],
        wire_len: u32,
        anc: &Ancillary,
    ) -> bool {
        let program = match self.programs.iter().position(|(l, _)| *l == link_type) {
            Some(at) => &self.programs[at].1, // ok: `at` is a position in `programs`
            None => {
                let compiled = self.compile(link_type);
                self.programs.push((link_type, compiled));
                &self.programs[self.programs.len() - 1].1 // ok: just pushed
            }
        };
        match program {
            Some(program) => netraf_bpf::run(program, data, wire_len, anc) != 0,
            None => false,
        }
    }

    fn compile(&self, link_type: LinkType) -> Option<Vec<Insn>> {
        let options = Options { live: self.live };
        match netraf_filter::compile_with(&self.expression, link_type, self.snaplen, options) {
            Ok(program) => Some(program),
            Err(e) => {
                log::warn!(
                    "{}: filter '{}' keeps no packet of link type {} ({}): {e}",
                    self.written,
                    self.expression,
                    link_type,
                    link_type.0
                );
                None
            }
        }
    }
}

/// Compiles `expression` for Ethernet to find what is wrong in it whatever
/// the link: a syntax error or an unsupported word (an expression that keeps
/// nothing of Ethernet may still keep packets of another link).
///
/// # Errors
/// A syntax error or an unsupported word.
pub fn check(expression: &str, live: bool) -> Result<(), FilterError> {
    match netraf_filter::compile_with(expression, LinkType::ETHERNET, 65_535, Options { live }) {
        Err(e @ (FilterError::Syntax { .. } | FilterError::Unsupported { .. })) => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use capture_file::{PacketType, StrippedVlan};

    fn header(link_type: LinkType, len: u32) -> PacketHeader<'static> {
        PacketHeader {
            ts_ns: 0,
            caplen: len,
            len,
            ifindex: 1,
            ifname: "x",
            pkttype: PacketType::Host,
            link_type,
            vlan: None,
        }
    }

    fn ipv4_udp() -> Vec<u8> {
        let mut ip = vec![
            0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        ip.extend_from_slice(&[0x30, 0x39, 0, 53, 0, 8, 0, 0]);
        ip
    }

    #[test]
    fn one_expression_keeps_the_same_packet_on_every_link_type() {
        let mut filter = PacketFilter::new("udp port 53", 262_144, false, "test").unwrap();
        let ip = ipv4_udp();
        let mut eth = vec![0xff; 12];
        eth.extend_from_slice(&[0x08, 0x00]);
        eth.extend_from_slice(&ip);
        assert!(filter.keeps(&header(LinkType::ETHERNET, eth.len() as u32), &eth));
        assert!(filter.keeps(&header(LinkType::RAW, ip.len() as u32), &ip));
        let mut other = PacketFilter::new("tcp", 262_144, false, "test").unwrap();
        assert!(!other.keeps(&header(LinkType::ETHERNET, eth.len() as u32), &eth));
        assert!(!other.keeps(&header(LinkType::RAW, ip.len() as u32), &ip));
    }

    #[test]
    fn a_link_type_the_expression_cannot_mean_keeps_nothing() {
        let mut filter = PacketFilter::new("arp", 262_144, false, "test").unwrap();
        let ip = ipv4_udp();
        assert!(!filter.keeps(&header(LinkType::RAW, ip.len() as u32), &ip));
        assert!(!filter.keeps(&header(LinkType(0x7fff), ip.len() as u32), &ip));
    }

    #[test]
    fn errors_name_the_word_and_its_column() {
        let e = PacketFilter::new("tcp port 80 and fish", 65_535, false, "t").unwrap_err();
        assert!(e.to_string().contains("fish"), "{e}");
        assert_eq!(e.column(), 17);
        assert!(PacketFilter::new("tcp and (", 65_535, false, "t").is_err());
    }

    #[test]
    fn a_stripped_tag_reaches_the_program() {
        let ip = ipv4_udp();
        let mut eth = vec![0xff; 12];
        eth.extend_from_slice(&[0x08, 0x00]);
        eth.extend_from_slice(&ip);
        let mut h = header(LinkType::ETHERNET, eth.len() as u32);
        h.vlan = Some(StrippedVlan {
            tci: 100,
            tpid: 0x8100,
        });
        // Without the live semantics, the tag must be in the bytes.
        let mut file = PacketFilter::new("vlan 100", 262_144, false, "test").unwrap();
        assert!(!file.keeps(&h, &eth));
        let mut live = PacketFilter::new("vlan 100", 262_144, true, "test").unwrap();
        assert!(live.keeps(&h, &eth));
        h.vlan = None;
        assert!(!live.keeps(&h, &eth));
    }
}
