//! The words `tcpdump -n` uses for what a packet is: TCP flag letters, ICMP and ICMPv6 message names, ARP operations.

/// TCP flags as `tcpdump` writes them between brackets: one letter per flag
/// set, in the order `F S R P . U E W e` (FIN, SYN, RST, PSH, ACK, URG,
/// ECE, CWR, AE), `none` when no flag is set, e.g. `S.` for SYN+ACK.
#[derive(Debug, Clone, Copy)]
pub struct TcpFlags {
    letters: [u8; 9],
    len: usize,
}

impl TcpFlags {
    /// The letters of `flags`, the 12 bits after the TCP data offset.
    pub fn new(flags: u16) -> TcpFlags {
        const LETTERS: [(u16, u8); 9] = [
            (0x001, b'F'),
            (0x002, b'S'),
            (0x004, b'R'),
            (0x008, b'P'),
            (0x010, b'.'),
            (0x020, b'U'),
            (0x040, b'E'),
            (0x080, b'W'),
            (0x100, b'e'),
        ];
        let mut letters = [0u8; 9];
        let mut len = 0;
        for (bit, letter) in LETTERS {
            if flags & bit != 0 {
                letters[len] = letter;
                len += 1;
            }
        }
        if len == 0 {
            letters[..4].copy_from_slice(b"none");
            len = 4;
        }
        TcpFlags { letters, len }
    }

    /// The letters, e.g. `S.`, as ASCII bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.letters[..self.len]
    }
}

/// The TCP flags that make `tcpdump` write the sequence number even without payload.
pub const SEQ_FLAGS: u16 = 0x001 | 0x002 | 0x004;

/// `tcpdump`'s name of an ICMP (IPv4) message, `None` for a type it only numbers.
pub fn icmp_name(icmp_type: u8, code: u8) -> Option<&'static str> {
    Some(match (icmp_type, code) {
        (0, _) => "echo reply",
        (3, 0) => "net unreachable",
        (3, 1) => "host unreachable",
        (3, 2) => "protocol unreachable",
        (3, 3) => "port unreachable",
        (3, 4) => "unreachable - need to frag",
        (3, 5) => "unreachable - source route failed",
        (3, 6) => "net unreachable - unknown",
        (3, 7) => "host unreachable - unknown",
        (3, 8) => "unreachable - source host isolated",
        (3, 9) => "net unreachable - admin prohibited",
        (3, 10) => "host unreachable - admin prohibited",
        (3, 11) => "net unreachable - tos prohibited",
        (3, 12) => "host unreachable - tos prohibited",
        (3, 13) => "host unreachable - admin prohibited filter",
        (3, 14) => "host unreachable - host precedence violation",
        (3, 15) => "host unreachable - precedence cutoff",
        (3, _) => "unreachable",
        (4, _) => "source quench",
        (5, 0) => "redirect to net",
        (5, 1) => "redirect to host",
        (5, 2) => "redirect-tos to net",
        (5, 3) => "redirect-tos to host",
        (5, _) => "redirect",
        (8, _) => "echo request",
        (9, _) => "router advertisement",
        (10, _) => "router solicitation",
        (11, 0) => "time exceeded in-transit",
        (11, 1) => "ip reassembly time exceeded",
        (11, _) => "time exceeded",
        (12, _) => "parameter problem",
        (13, _) => "time stamp query",
        (14, _) => "time stamp reply",
        (15, _) => "information request",
        (16, _) => "information reply",
        (17, _) => "address mask request",
        (18, _) => "address mask reply",
        _ => return None,
    })
}

/// `tcpdump`'s name of an ICMPv6 message type, `None` for a type it only numbers.
pub fn icmpv6_name(icmp_type: u8) -> Option<&'static str> {
    Some(match icmp_type {
        1 => "destination unreachable",
        2 => "packet too big",
        3 => "time exceeded in-transit",
        4 => "parameter problem",
        128 => "echo request",
        129 => "echo reply",
        130 => "multicast listener query",
        131 => "multicast listener report",
        132 => "multicast listener done",
        133 => "router solicitation",
        134 => "router advertisement",
        135 => "neighbor solicitation",
        136 => "neighbor advertisement",
        137 => "redirect",
        138 => "router renumbering",
        139 => "node information query",
        140 => "node information reply",
        141 => "inverse neighbor solicitation",
        142 => "inverse neighbor advertisement",
        143 => "multicast listener report v2",
        144 => "ha discovery request",
        145 => "ha discovery reply",
        146 => "mobile router solicitation",
        147 => "mobile router advertisement",
        155 => "RPL",
        200 => "mtrace response",
        201 => "mtrace message",
        _ => return None,
    })
}

/// An ARP operation: `tcpdump`'s word for the text line and a snake_case
/// name for JSON, `None` for an operation neither names.
pub fn arp_operation(operation: u16) -> Option<(&'static str, &'static str)> {
    Some(match operation {
        1 => ("Request", "request"),
        2 => ("Reply", "reply"),
        3 => ("Reverse Request", "reverse_request"),
        4 => ("Reverse Reply", "reverse_reply"),
        8 => ("Inverse Request", "inverse_request"),
        9 => ("Inverse Reply", "inverse_reply"),
        10 => ("NACK Reply", "nack_reply"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_letters_follow_tcpdump_order() {
        for (flags, want) in [
            (0x002, "S"),
            (0x012, "S."),
            (0x018, "P."),
            (0x011, "F."),
            (0x004, "R"),
            (0x014, "R."),
            (0x010, "."),
            (0x000, "none"),
            (0x0c2, "SEW"),
            (0x052, "S.E"),
            (0x030, ".U"),
            (0x039, "FP.U"),
            (0x1ff, "FSRP.UEWe"),
            (0xe00, "none"),
        ] {
            assert_eq!(
                TcpFlags::new(flags).as_bytes(),
                want.as_bytes(),
                "{flags:#x}"
            );
        }
    }

    #[test]
    fn names() {
        assert_eq!(icmp_name(8, 0), Some("echo request"));
        assert_eq!(icmp_name(3, 3), Some("port unreachable"));
        assert_eq!(icmp_name(11, 0), Some("time exceeded in-transit"));
        assert_eq!(icmp_name(42, 0), None);
        assert_eq!(icmpv6_name(135), Some("neighbor solicitation"));
        assert_eq!(icmpv6_name(0), None);
        assert_eq!(arp_operation(2), Some(("Reply", "reply")));
        assert_eq!(arp_operation(0), None);
    }
}
