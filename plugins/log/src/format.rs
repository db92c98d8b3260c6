//! One log record per packet, as a text line or a JSON Lines object, written without allocating.

use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr};

use plugin_api::{Network, Packet, PacketSummary, PacketType, Transport};

/// The UTC calendar time of `secs` since the Unix epoch: year, month, day,
/// hour, minute, second.
pub fn civil(secs: u64) -> (i64, i64, i64, u64, u64, u64) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, rem / 3600, rem / 60 % 60, rem % 60)
}

/// Writes `ts_ns` as an RFC 3339 UTC time with nanoseconds.
pub fn write_time(out: &mut impl Write, ts_ns: u64) -> io::Result<()> {
    let nanos = ts_ns % 1_000_000_000;
    let (year, month, day, hour, minute, second) = civil(ts_ns / 1_000_000_000);
    write!(
        out,
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{nanos:09}Z"
    )
}

fn write_mac(out: &mut impl Write, mac: &[u8; 6]) -> io::Result<()> {
    let m = mac;
    write!(
        out,
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}

fn write_ip(out: &mut impl Write, version: u8, ip: &[u8; 16]) -> io::Result<()> {
    if version == 4 {
        write!(out, "{}", Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]))
    } else {
        write!(out, "{}", Ipv6Addr::from(*ip))
    }
}

fn direction(packet: &Packet<'_>) -> &'static str {
    if packet.pkttype() == PacketType::Outgoing {
        "out"
    } else {
        "in"
    }
}

fn network_name(s: &PacketSummary) -> &'static str {
    match s.network {
        Network::Arp => "arp",
        Network::Ipv4 => "ipv4",
        Network::Ipv6 => "ipv6",
        Network::Other => "other",
    }
}

fn transport_name(s: &PacketSummary) -> Option<&'static str> {
    match s.transport {
        Transport::None => None,
        Transport::Tcp => Some("tcp"),
        Transport::Udp => Some("udp"),
        Transport::Icmp => Some("icmp"),
        Transport::Icmpv6 => Some("icmpv6"),
        Transport::Other => Some("other"),
    }
}

fn has_ports(s: &PacketSummary) -> bool {
    matches!(s.transport, Transport::Tcp | Transport::Udp)
}

/// `TIME IFNAME DIR PKTTYPE SRC_MAC > DST_MAC [vlan N] L3/L4 CAPLEN/LEN`, e.g.
/// `2024-05-01T10:00:00.000000001Z eth0 in host 02:00:00:00:00:01 > 02:00:00:00:00:02 IPv4 UDP 10.0.0.1:5353 > 10.0.0.2:53 len 60/60`.
pub fn write_text(out: &mut impl Write, packet: &Packet<'_>) -> io::Result<()> {
    let s = packet.summary;
    write_time(out, packet.ts_ns)?;
    write!(
        out,
        " {} {} {} ",
        packet.ifname(),
        direction(packet),
        packet.pkttype().name()
    )?;
    if s.has_macs {
        write_mac(out, &s.src_mac)?;
        out.write_all(b" > ")?;
        write_mac(out, &s.dst_mac)?;
    } else {
        out.write_all(b"- > -")?;
    }
    if s.vlan_count > 0 {
        write!(out, " vlan {}", s.vlan_id)?;
    }
    match s.network {
        Network::Arp => out.write_all(b" ARP")?,
        Network::Ipv4 | Network::Ipv6 if s.ip_version != 0 => {
            let v = if s.ip_version == 4 { "IPv4" } else { "IPv6" };
            let t = match s.transport {
                Transport::Tcp => "TCP",
                Transport::Udp => "UDP",
                Transport::Icmp => "ICMP",
                Transport::Icmpv6 => "ICMPv6",
                _ => "proto",
            };
            write!(out, " {v} {t}")?;
            if t == "proto" {
                write!(out, " {}", s.ip_proto)?;
            }
            let bracket = s.ip_version == 6 && has_ports(s);
            for (i, ip, port) in [(0, &s.src_ip, s.src_port), (1, &s.dst_ip, s.dst_port)] {
                out.write_all(if i == 0 { b" " } else { b" > " })?;
                if bracket {
                    out.write_all(b"[")?;
                }
                write_ip(out, s.ip_version, ip)?;
                if bracket {
                    out.write_all(b"]")?;
                }
                if has_ports(s) {
                    write!(out, ":{port}")?;
                }
            }
            if matches!(s.transport, Transport::Icmp | Transport::Icmpv6) {
                write!(out, " type {} code {}", s.icmp_type, s.icmp_code)?;
            }
        }
        _ => write!(out, " ethertype 0x{:04x}", s.ethertype)?,
    }
    writeln!(out, " len {}/{}", packet.caplen, packet.len)
}

/// Writes `text` as a JSON string, escaped.
fn write_json_str(out: &mut impl Write, text: &str) -> io::Result<()> {
    out.write_all(b"\"")?;
    for c in text.chars() {
        match c {
            '"' => out.write_all(b"\\\"")?,
            '\\' => out.write_all(b"\\\\")?,
            c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32)?,
            c => write!(out, "{c}")?,
        }
    }
    out.write_all(b"\"")
}

/// One JSON object per line with the same facts as the text line.
pub fn write_json(out: &mut impl Write, packet: &Packet<'_>) -> io::Result<()> {
    let s = packet.summary;
    out.write_all(b"{\"time\":\"")?;
    write_time(out, packet.ts_ns)?;
    write!(out, "\",\"ts_ns\":{},\"ifname\":", packet.ts_ns)?;
    write_json_str(out, packet.ifname())?;
    write!(
        out,
        ",\"ifindex\":{},\"direction\":\"{}\",\"pkttype\":\"{}\"",
        packet.ifindex,
        direction(packet),
        packet.pkttype().name()
    )?;
    if s.has_macs {
        out.write_all(b",\"src_mac\":\"")?;
        write_mac(out, &s.src_mac)?;
        out.write_all(b"\",\"dst_mac\":\"")?;
        write_mac(out, &s.dst_mac)?;
        out.write_all(b"\"")?;
    }
    if s.vlan_count > 0 {
        write!(out, ",\"vlan\":{}", s.vlan_id)?;
    }
    write!(
        out,
        ",\"ethertype\":{},\"network\":\"{}\"",
        s.ethertype,
        network_name(s)
    )?;
    if let Some(t) = transport_name(s) {
        write!(out, ",\"transport\":\"{t}\",\"ip_proto\":{}", s.ip_proto)?;
    }
    if s.ip_version != 0 {
        out.write_all(b",\"src_ip\":\"")?;
        write_ip(out, s.ip_version, &s.src_ip)?;
        out.write_all(b"\",\"dst_ip\":\"")?;
        write_ip(out, s.ip_version, &s.dst_ip)?;
        out.write_all(b"\"")?;
    }
    if has_ports(s) {
        write!(
            out,
            ",\"src_port\":{},\"dst_port\":{}",
            s.src_port, s.dst_port
        )?;
    }
    if matches!(s.transport, Transport::Icmp | Transport::Icmpv6) {
        write!(
            out,
            ",\"icmp_type\":{},\"icmp_code\":{}",
            s.icmp_type, s.icmp_code
        )?;
    }
    writeln!(
        out,
        ",\"caplen\":{},\"len\":{}}}",
        packet.caplen, packet.len
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet<'a>(s: &'a PacketSummary, ifname: &'a str) -> Packet<'a> {
        Packet {
            ts_ns: 1_714_557_600_000_000_001,
            caplen: 60,
            len: 64,
            ifindex: 3,
            pkttype: 4,
            ifname: ifname.into(),
            data: (&[][..]).into(),
            summary: s,
        }
    }

    fn udp() -> PacketSummary {
        let mut s = PacketSummary {
            has_macs: true,
            src_mac: [2, 0, 0, 0, 0, 1],
            dst_mac: [2, 0, 0, 0, 0, 2],
            ethertype: 0x0800,
            network: Network::Ipv4,
            transport: Transport::Udp,
            ip_version: 4,
            ip_proto: 17,
            src_port: 5353,
            dst_port: 53,
            ..Default::default()
        };
        s.src_ip[..4].copy_from_slice(&[10, 0, 0, 1]);
        s.dst_ip[..4].copy_from_slice(&[10, 0, 0, 2]);
        s
    }

    #[test]
    fn time_is_rfc3339_utc() {
        let mut out = Vec::new();
        write_time(&mut out, 0).unwrap();
        out.push(b' ');
        write_time(&mut out, 951_782_400_123_456_789).unwrap(); // 2000-02-29
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "1970-01-01T00:00:00.000000000Z 2000-02-29T00:00:00.123456789Z"
        );
    }

    #[test]
    fn text_line() {
        let s = udp();
        let mut out = Vec::new();
        write_text(&mut out, &packet(&s, "eth0")).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "2024-05-01T10:00:00.000000001Z eth0 out outgoing 02:00:00:00:00:01 > 02:00:00:00:00:02 \
             IPv4 UDP 10.0.0.1:5353 > 10.0.0.2:53 len 60/64\n"
        );
        let arp = PacketSummary {
            network: Network::Arp,
            ..Default::default()
        };
        let mut out = Vec::new();
        write_text(&mut out, &packet(&arp, "any")).unwrap();
        assert!(String::from_utf8(out)
            .unwrap()
            .ends_with(" - > - ARP len 60/64\n"));
    }

    #[test]
    fn json_line_parses_and_escapes() {
        let s = udp();
        let mut out = Vec::new();
        write_json(&mut out, &packet(&s, "we\"ird\\")).unwrap();
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["ifname"], "we\"ird\\");
        assert_eq!(v["src_ip"], "10.0.0.1");
        assert_eq!(v["dst_port"], 53);
        assert_eq!(v["transport"], "udp");
        assert_eq!(v["direction"], "out");
        assert_eq!(v["len"], 64);
    }
}
