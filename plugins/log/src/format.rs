//! One log record per packet, as a text line or a JSON Lines object, written without allocating.

use std::io::{self, Write};
use std::net::Ipv6Addr;

use plugin_api::{MacText, Network, Packet, PacketType, Transport};

/// Writes `value` in decimal. Digits are produced by hand: `write!` goes
/// through the formatting machinery, which dominated the log's cost per packet.
fn write_dec(out: &mut impl Write, value: u64) -> io::Result<()> {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    let mut v = value;
    loop {
        at -= 1;
        buf[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.write_all(&buf[at..])
}

/// Puts `value` in `field` as zero-padded decimal digits (the most
/// significant ones are dropped if it does not fit).
fn put_digits(field: &mut [u8], mut value: u64) {
    for b in field.iter_mut().rev() {
        *b = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

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
    // u64 nanoseconds end in the year 2554: the year always has four digits.
    let mut text = *b"0000-00-00T00:00:00.000000000Z";
    put_digits(&mut text[0..4], year as u64);
    put_digits(&mut text[5..7], month as u64);
    put_digits(&mut text[8..10], day as u64);
    put_digits(&mut text[11..13], hour);
    put_digits(&mut text[14..16], minute);
    put_digits(&mut text[17..19], second);
    put_digits(&mut text[20..29], nanos);
    out.write_all(&text)
}

fn write_mac(out: &mut impl Write, mac: &[u8; 6]) -> io::Result<()> {
    out.write_all(MacText::new(mac).as_bytes())
}

fn write_ip(out: &mut impl Write, version: u8, ip: &[u8; 16]) -> io::Result<()> {
    if version == 4 {
        for (i, octet) in ip[..4].iter().enumerate() {
            if i > 0 {
                out.write_all(b".")?;
            }
            write_dec(out, u64::from(*octet))?;
        }
        Ok(())
    } else {
        write!(out, "{}", Ipv6Addr::from(*ip))
    }
}

fn direction(packet: &Packet<'_>) -> &'static str {
    if packet.packet_type() == PacketType::Outgoing {
        "out"
    } else {
        "in"
    }
}

/// `TIME IFNAME DIR PKTTYPE SRC_MAC > DST_MAC [vlan N] L3/L4 CAPLEN/LEN`, with
/// IFNAME escaped by [`plugin_api::write_escaped`] (`\x0a` for a newline), e.g.
/// `2024-05-01T10:00:00.000000001Z eth0 in host 02:00:00:00:00:01 > 02:00:00:00:00:02 IPv4 UDP 10.0.0.1:5353 > 10.0.0.2:53 len 60/60`.
pub fn write_text(out: &mut impl Write, packet: &Packet<'_>) -> io::Result<()> {
    write_time(out, packet.ts_ns())?;
    out.write_all(b" ")?;
    // The name comes from the input: a newline or ESC in it must not forge a
    // line or reach the terminal.
    plugin_api::write_escaped(out, packet.ifname())?;
    for field in [direction(packet), packet.packet_type().name()] {
        out.write_all(b" ")?;
        out.write_all(field.as_bytes())?;
    }
    out.write_all(b" ")?;
    match (packet.src_mac(), packet.dst_mac()) {
        (src, Some(dst)) => {
            write_mac(out, &src.unwrap_or_default())?;
            out.write_all(b" > ")?;
            write_mac(out, &dst)?;
        }
        _ => out.write_all(b"- > -")?,
    }
    if let Some(id) = packet.vlan_id() {
        write!(out, " vlan {id}")?;
    }
    match (packet.network(), packet.ip()) {
        (Network::Arp, _) => out.write_all(b" ARP")?,
        (Network::Ipv4 | Network::Ipv6, Some(ip)) => {
            let v = if ip.version == 4 { "IPv4" } else { "IPv6" };
            let t = match packet.transport() {
                Transport::Tcp => "TCP",
                Transport::Udp => "UDP",
                Transport::Icmp => "ICMP",
                Transport::Icmpv6 => "ICMPv6",
                _ => "proto",
            };
            for field in [v, t] {
                out.write_all(b" ")?;
                out.write_all(field.as_bytes())?;
            }
            if t == "proto" {
                if let Some(proto) = packet.ip_proto() {
                    write!(out, " {proto}")?;
                }
            }
            let ports = ports(packet);
            let bracket = ip.version == 6 && ports.is_some();
            for (i, addr) in [&ip.src, &ip.dst].into_iter().enumerate() {
                out.write_all(if i == 0 { b" " } else { b" > " })?;
                if bracket {
                    out.write_all(b"[")?;
                }
                write_ip(out, ip.version, addr)?;
                if bracket {
                    out.write_all(b"]")?;
                }
                if let Some((src, dst)) = ports {
                    out.write_all(b":")?;
                    write_dec(out, u64::from(if i == 0 { src } else { dst }))?;
                }
            }
            if let (Some(ty), Some(code)) = (packet.icmp_type(), packet.icmp_code()) {
                write!(out, " type {ty} code {code}")?;
            }
        }
        _ => {
            if let Some(ethertype) = packet.ethertype() {
                write!(out, " ethertype 0x{ethertype:04x}")?;
            }
        }
    }
    out.write_all(b" len ")?;
    write_dec(out, u64::from(packet.caplen()))?;
    out.write_all(b"/")?;
    write_dec(out, u64::from(packet.len()))?;
    out.write_all(b"\n")
}

/// The TCP or UDP ports, when the packet has both.
fn ports(packet: &Packet<'_>) -> Option<(u16, u16)> {
    match (packet.transport(), packet.src_port(), packet.dst_port()) {
        (Transport::Tcp | Transport::Udp, Some(src), Some(dst)) => Some((src, dst)),
        _ => None,
    }
}

/// One JSON object per line with the same facts as the text line.
pub fn write_json(out: &mut impl Write, packet: &Packet<'_>) -> io::Result<()> {
    out.write_all(b"{\"time\":\"")?;
    write_time(out, packet.ts_ns())?;
    out.write_all(b"\",\"ts_ns\":")?;
    write_dec(out, packet.ts_ns())?;
    out.write_all(b",\"ifname\":")?;
    plugin_api::write_json_str(out, packet.ifname())?;
    out.write_all(b",\"ifindex\":")?;
    write_dec(out, u64::from(packet.ifindex()))?;
    out.write_all(b",\"direction\":\"")?;
    out.write_all(direction(packet).as_bytes())?;
    out.write_all(b"\",\"pkttype\":\"")?;
    out.write_all(packet.packet_type().name().as_bytes())?;
    out.write_all(b"\"")?;
    if let Some(dst) = packet.dst_mac() {
        out.write_all(b",\"src_mac\":\"")?;
        write_mac(out, &packet.src_mac().unwrap_or_default())?;
        out.write_all(b"\",\"dst_mac\":\"")?;
        write_mac(out, &dst)?;
        out.write_all(b"\"")?;
    }
    if let Some(id) = packet.vlan_id() {
        write!(out, ",\"vlan\":{id}")?;
    }
    if let Some(ethertype) = packet.ethertype() {
        out.write_all(b",\"ethertype\":")?;
        write_dec(out, u64::from(ethertype))?;
    }
    out.write_all(b",\"network\":\"")?;
    out.write_all(packet.network().name().as_bytes())?;
    out.write_all(b"\"")?;
    let transport = packet.transport();
    if transport != Transport::None {
        out.write_all(b",\"transport\":\"")?;
        out.write_all(transport.name().as_bytes())?;
        out.write_all(b"\"")?;
        if let Some(proto) = packet.ip_proto() {
            out.write_all(b",\"ip_proto\":")?;
            write_dec(out, u64::from(proto))?;
        }
    }
    if let Some(ip) = packet.ip() {
        out.write_all(b",\"src_ip\":\"")?;
        write_ip(out, ip.version, &ip.src)?;
        out.write_all(b"\",\"dst_ip\":\"")?;
        write_ip(out, ip.version, &ip.dst)?;
        out.write_all(b"\"")?;
    }
    if let Some((src, dst)) = ports(packet) {
        out.write_all(b",\"src_port\":")?;
        write_dec(out, u64::from(src))?;
        out.write_all(b",\"dst_port\":")?;
        write_dec(out, u64::from(dst))?;
    }
    if let (Some(ty), Some(code)) = (packet.icmp_type(), packet.icmp_code()) {
        write!(out, ",\"icmp_type\":{ty},\"icmp_code\":{code}")?;
    }
    out.write_all(b",\"caplen\":")?;
    write_dec(out, u64::from(packet.caplen()))?;
    out.write_all(b",\"len\":")?;
    write_dec(out, u64::from(packet.len()))?;
    out.write_all(b"}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_frames::{ethernet, ipv4, packet, udp};

    /// Ethernet, IPv4 10.0.0.1:5353 > 10.0.0.2:53, UDP, padded to 60 bytes.
    fn udp_frame() -> Vec<u8> {
        ethernet(
            &[],
            0x0800,
            &ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], &udp(&[])),
        )
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
    fn hand_made_digits_match_the_formatter() {
        for v in [0, 7, 10, 255, 65_535, 1_000_000_007, u64::MAX] {
            let mut out = Vec::new();
            write_dec(&mut out, v).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), v.to_string());
        }
        let mut out = Vec::new();
        write_mac(&mut out, &[0, 0x0f, 0xa0, 0xff, 0x12, 0x9b]).unwrap();
        out.push(b' ');
        write_ip(
            &mut out,
            4,
            &[255, 0, 10, 1, 9, 9, 9, 9, 0, 0, 0, 0, 0, 0, 0, 0],
        )
        .unwrap();
        out.push(b' ');
        write_time(&mut out, u64::MAX).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "00:0f:a0:ff:12:9b 255.0.10.1 2554-07-21T23:34:33.709551615Z"
        );
    }

    #[test]
    fn text_line() {
        let frame = udp_frame();
        let mut out = Vec::new();
        write_text(&mut out, &packet(&frame, "eth0")).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "2024-05-01T10:00:00.000000001Z eth0 out outgoing 02:00:00:00:00:01 > 02:00:00:00:00:02 \
             IPv4 UDP 10.0.0.1:5353 > 10.0.0.2:53 len 60/64\n"
        );
        // An ARP body cut short: no addresses to tell.
        let arp = ethernet(&[], 0x0806, &[])[..14].to_vec();
        let mut out = Vec::new();
        write_text(&mut out, &packet(&arp, "any")).unwrap();
        let line = String::from_utf8(out).unwrap();
        assert!(line.ends_with(" ARP len 14/18\n"), "{line}");
    }

    #[test]
    fn text_line_escapes_control_characters_of_the_name() {
        let frame = udp_frame();
        let mut out = Vec::new();
        let name = "eth0\n1700000000.000000 fake record \x1b[31m\u{9b}\\";
        write_text(&mut out, &packet(&frame, name)).unwrap();
        let line = String::from_utf8(out).unwrap();
        assert!(
            line.starts_with(
                "2024-05-01T10:00:00.000000001Z eth0\\x0a1700000000.000000 fake record \\x1b[31m\\x9b\\\\ out "
            ),
            "{line}"
        );
        assert_eq!(line.matches('\n').count(), 1);
        assert!(!line.chars().any(|c| c != '\n' && plugin_api::is_control(c)));
    }

    #[test]
    fn json_line_parses_and_escapes() {
        let frame = udp_frame();
        let mut out = Vec::new();
        let name = "we\"ird\\\n\x1b[31m\u{7f}\u{9b}";
        write_json(&mut out, &packet(&frame, name)).unwrap();
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(
            !text.chars().any(|c| c != '\n' && plugin_api::is_control(c)),
            "{text}"
        );
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["ifname"], name);
        assert_eq!(v["src_ip"], "10.0.0.1");
        assert_eq!(v["dst_port"], 53);
        assert_eq!(v["transport"], "udp");
        assert_eq!(v["direction"], "out");
        assert_eq!(v["len"], 64);
    }
}
