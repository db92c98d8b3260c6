//! The kinds of a packet's first network header and of the header inside IP, with the names reports and logs use.

/// The first network-layer header of a frame.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Network {
    /// ARP (or RARP).
    Arp,
    /// IPv4.
    Ipv4,
    /// IPv6.
    Ipv6,
    /// Anything else, or no network header could be found (truncated, unknown link type).
    #[default]
    Other,
}

/// The header directly inside the outermost IPv4/IPv6 header (IPv6 extension
/// headers skipped).
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Transport {
    /// The frame's network header is not IP.
    #[default]
    None,
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP (for IPv4).
    Icmp,
    /// ICMPv6.
    Icmpv6,
    /// Any other protocol, a non-first fragment, or a truncated transport header.
    Other,
}

impl Network {
    /// Every value, in declaration order ([`Network::index`]).
    pub const ALL: [Network; 4] = [Network::Arp, Network::Ipv4, Network::Ipv6, Network::Other];

    /// The value's place in [`Network::ALL`], for tables of counters.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The value numbered `n` (its place in [`Network::ALL`]); `Other` past them.
    #[inline]
    pub const fn from_number(n: u8) -> Network {
        match n {
            0 => Network::Arp,
            1 => Network::Ipv4,
            2 => Network::Ipv6,
            _ => Network::Other,
        }
    }

    /// The name reports and logs use: `arp`, `ipv4`, `ipv6`, `other`.
    pub const fn name(self) -> &'static str {
        match self {
            Network::Arp => "arp",
            Network::Ipv4 => "ipv4",
            Network::Ipv6 => "ipv6",
            Network::Other => "other",
        }
    }
}

impl Transport {
    /// The values a packet whose network header is IP has, in declaration
    /// order: every value but [`Transport::None`].
    pub const IP: [Transport; 5] = [
        Transport::Tcp,
        Transport::Udp,
        Transport::Icmp,
        Transport::Icmpv6,
        Transport::Other,
    ];

    /// The value numbered `n` (0 `None`, then [`Transport::IP`] in order); `Other` past them.
    #[inline]
    pub const fn from_number(n: u8) -> Transport {
        match n {
            0 => Transport::None,
            1 => Transport::Tcp,
            2 => Transport::Udp,
            3 => Transport::Icmp,
            4 => Transport::Icmpv6,
            _ => Transport::Other,
        }
    }

    /// The value's place in [`Transport::IP`]; `None` for [`Transport::None`].
    pub const fn ip_index(self) -> Option<usize> {
        match self {
            Transport::None => None,
            other => Some(other as usize - 1),
        }
    }

    /// The name reports and logs use: `tcp`, `udp`, `icmp`, `icmpv6`,
    /// `other`, and `none` for a packet that is not IP.
    pub const fn name(self) -> &'static str {
        match self {
            Transport::None => "none",
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
            Transport::Icmp => "icmp",
            Transport::Icmpv6 => "icmpv6",
            Transport::Other => "other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_follow_the_tables_and_names_are_distinct() {
        for (i, n) in Network::ALL.iter().enumerate() {
            assert_eq!(n.index(), i);
        }
        for (i, t) in Transport::IP.iter().enumerate() {
            assert_eq!(t.ip_index(), Some(i));
        }
        assert_eq!(Transport::None.ip_index(), None);
        let mut names: Vec<&str> = Transport::IP.iter().map(|t| t.name()).collect();
        names.push(Transport::None.name());
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 6);
        for n in Network::ALL {
            assert_eq!(Network::from_number(n as u8), n);
        }
        for t in Transport::IP.into_iter().chain([Transport::None]) {
            assert_eq!(Transport::from_number(t as u8), t);
        }
    }
}
