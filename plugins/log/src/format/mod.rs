//! One log record per packet, as a text line or a JSON Lines object, written without allocating.

use std::io::{self, Write};
use std::net::Ipv6Addr;

use plugin_api::wire::{ArpFields, TcpFields};
use plugin_api::{MacText, Network, Packet, PacketType, Transport};

use crate::protocol_text::{self, arp_operation, TcpFlags, SEQ_FLAGS};

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

pub use plugin_api::civil;

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

/// One text line per packet, e.g.
/// `2024-05-01T10:00:00.000000001Z eth0 in host 02:00:00:00:00:01 > 02:00:00:00:00:02 IPv4 TCP 10.0.0.1:40000 > 10.0.0.2:80 flags [S.] seq 1000 ack 2001 win 512 length 0 len 60/64`:
///
/// `TIME IFNAME DIR PKTTYPE SRC_MAC > DST_MAC [vlan TAGS] NETWORK ... len CAPLEN/LEN`,
/// with IFNAME escaped by [`plugin_api::write_escaped`] (`\x0a` for a
/// newline) and what follows NETWORK worded as `tcpdump -n -S` words it
/// (see the crate's documentation for each form).
#[cfg(test)]
pub fn write_text(out: &mut impl Write, packet: &Packet<'_>) -> io::Result<()> {
    write_text_with(out, packet, TextStyle::default())
}

/// How many words a text line has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextStyle {
    /// The link-level words: packet type, MAC addresses, VLAN tags
    /// (tcpdump's `-e`).
    pub link: bool,
    /// Fewer words: no TCP flags, sequence numbers and window, no ICMP
    /// type and code (tcpdump's `-q`).
    pub brief: bool,
}

impl Default for TextStyle {
    fn default() -> Self {
        TextStyle {
            link: true,
            brief: false,
        }
    }
}

/// [`write_text`] with the words `style` asks for: without `link`,
/// `TIME IFNAME DIR NETWORK ... len CAPLEN/LEN`.
pub fn write_text_with(
    out: &mut impl Write,
    packet: &Packet<'_>,
    style: TextStyle,
) -> io::Result<()> {
    write_time(out, packet.ts_ns())?;
    out.write_all(b" ")?;
    // The name comes from the input: a newline or ESC in it must not forge a
    // line or reach the terminal.
    plugin_api::write_escaped(out, packet.ifname())?;
    out.write_all(b" ")?;
    out.write_all(direction(packet).as_bytes())?;
    if style.link {
        out.write_all(b" ")?;
        out.write_all(packet.packet_type().name().as_bytes())?;
        out.write_all(b" ")?;
        match (packet.src_mac(), packet.dst_mac()) {
            (src, Some(dst)) => {
                write_mac(out, &src.unwrap_or_default())?;
                out.write_all(b" > ")?;
                write_mac(out, &dst)?;
            }
            _ => out.write_all(b"- > -")?,
        }
        write_vlans(out, packet)?;
    }
    match (packet.network(), packet.ip()) {
        (Network::Arp, _) => {
            out.write_all(b" ARP")?;
            if let Some(arp) = packet.arp() {
                write_arp(out, &arp, arp_is_ipv4(packet))?;
            }
        }
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
            if style.brief {
                // tcpdump -q: the protocol and the payload's length.
                if let Some(n) = packet.tcp().and_then(|tcp| tcp.payload_len) {
                    write!(out, " length {n}")?;
                }
            } else if let Some(tcp) = packet.tcp().filter(|_| t == "TCP") {
                write_tcp(out, &tcp)?;
            }
            let icmp = packet.icmp_type().zip(packet.icmp_code());
            if let Some((ty, code)) = icmp.filter(|_| !style.brief) {
                if let Some(name) = icmp_name(packet) {
                    out.write_all(b" ")?;
                    out.write_all(name.as_bytes())?;
                }
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
    write_dec(out, u64::from(packet.wire_len()))?;
    out.write_all(b"\n")
}

/// ` vlan 200,2001`: every tag, outermost first, a tag the kernel stripped
/// (always the outermost) as `ID(stripped)`, `...` past the tags kept;
/// nothing for an untagged frame.
fn write_vlans(out: &mut impl Write, packet: &Packet<'_>) -> io::Result<()> {
    if packet.vlan_count() == 0 {
        return Ok(());
    }
    let vlans = packet.vlans();
    out.write_all(b" vlan ")?;
    let mut first = true;
    if let Some(tag) = vlans.stripped {
        write_dec(out, u64::from(tag.tci & 0x0fff))?;
        out.write_all(b"(stripped)")?;
        first = false;
    }
    let mut written = 0usize;
    for tag in vlans.in_frame() {
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        write_dec(out, u64::from(tag.id()))?;
        written += 1;
    }
    if usize::from(vlans.count_in_frame()) > written {
        out.write_all(b",...")?;
    }
    Ok(())
}

/// ` flags [S.] seq 1000 ack 2001 win 512 length 0`, as `tcpdump -S`
/// writes it: `seq` only with payload or SYN, FIN or RST (`seq A:B` with
/// payload, B = A + length), `ack` only with ACK, `seq A:B` and `length`
/// only when the payload's length is known. The length is that of the
/// payload bytes captured: for a frame cut short by the snap length it is
/// smaller than tcpdump's, which comes from the IP header.
fn write_tcp(out: &mut impl Write, tcp: &TcpFields) -> io::Result<()> {
    out.write_all(b" flags [")?;
    out.write_all(TcpFlags::new(tcp.flags).as_bytes())?;
    out.write_all(b"]")?;
    let length = tcp.payload_len;
    if length.is_some_and(|n| n > 0) || tcp.flags & SEQ_FLAGS != 0 {
        out.write_all(b" seq ")?;
        write_dec(out, u64::from(tcp.seq))?;
        if let Some(n) = length.filter(|&n| n > 0) {
            out.write_all(b":")?;
            write_dec(out, u64::from(tcp.seq.wrapping_add(n)))?;
        }
    }
    if let Some(ack) = tcp.ack {
        out.write_all(b" ack ")?;
        write_dec(out, u64::from(ack))?;
    }
    out.write_all(b" win ")?;
    write_dec(out, u64::from(tcp.window))?;
    if let Some(n) = length {
        out.write_all(b" length ")?;
        write_dec(out, u64::from(n))?;
    }
    Ok(())
}

/// Whether the ARP body carries IPv4 addresses laid out as tcpdump reads
/// them: the protocol type is IPv4 (or trailer encapsulation, which tcpdump
/// also reads as IPv4) and the hardware type is not ATM (19, whose ARP is
/// laid out otherwise). Packet gives the addresses, not the types: they
/// are read from the body's fixed header.
fn arp_is_ipv4(packet: &Packet<'_>) -> bool {
    let body = packet
        .network_span()
        .map_or(&[][..], |span| span.of(packet.data()));
    match body.get(..4) {
        Some(&[hw_high, hw_low, p_high, p_low]) => {
            u16::from_be_bytes([hw_high, hw_low]) != 19
                && matches!([p_high, p_low], [0x08, 0x00] | [0x10, 0x00])
        }
        _ => false,
    }
}

/// ` Request who-has 10.0.0.2 tell 10.0.0.1` or ` Reply 10.0.0.2 is-at
/// 02:00:00:00:00:02`, as `tcpdump -n` writes them (a request's target MAC
/// in parentheses when it is not zero); ` Reverse Request who-is MAC tell
/// MAC`, ` Reverse Reply MAC at IP`; ` op N` for an operation without a
/// name; the operation alone when the addresses are not 6-byte MACs and
/// IPv4 (`ipv4`: the protocol type says IPv4), or are cut short.
fn write_arp(out: &mut impl Write, arp: &ArpFields, ipv4: bool) -> io::Result<()> {
    let Some((word, _)) = arp_operation(arp.operation) else {
        return write!(out, " op {}", arp.operation);
    };
    out.write_all(b" ")?;
    out.write_all(word.as_bytes())?;
    if !ipv4 || arp.sender_mac.is_none() || arp.sender_ip.is_none() {
        return Ok(());
    }
    match (
        arp.operation,
        arp.sender_mac,
        arp.sender_ip,
        arp.target_mac,
        arp.target_ip,
    ) {
        (1, _, Some(spa), tha, Some(tpa)) => {
            write!(out, " who-has {tpa}")?;
            if let Some(tha) = tha.filter(|mac| *mac != [0; 6]) {
                out.write_all(b" (")?;
                write_mac(out, &tha)?;
                out.write_all(b")")?;
            }
            write!(out, " tell {spa}")?;
        }
        (2, Some(sha), Some(spa), _, _) => {
            write!(out, " {spa} is-at ")?;
            write_mac(out, &sha)?;
        }
        (3, Some(sha), _, Some(tha), _) => {
            out.write_all(b" who-is ")?;
            write_mac(out, &tha)?;
            out.write_all(b" tell ")?;
            write_mac(out, &sha)?;
        }
        (4, _, _, Some(tha), Some(tpa)) => {
            out.write_all(b" ")?;
            write_mac(out, &tha)?;
            write!(out, " at {tpa}")?;
        }
        _ => {}
    }
    Ok(())
}

/// The name of the packet's ICMP or ICMPv6 message, if `tcpdump` names it.
fn icmp_name(packet: &Packet<'_>) -> Option<&'static str> {
    let (ty, code) = (packet.icmp_type()?, packet.icmp_code()?);
    match packet.transport() {
        Transport::Icmp => protocol_text::icmp_name(ty, code),
        Transport::Icmpv6 => protocol_text::icmpv6_name(ty),
        _ => None,
    }
}

/// The TCP or UDP ports, when the packet has both.
fn ports(packet: &Packet<'_>) -> Option<(u16, u16)> {
    match (packet.transport(), packet.src_port(), packet.dst_port()) {
        (Transport::Tcp | Transport::Udp, Some(src), Some(dst)) => Some((src, dst)),
        _ => None,
    }
}

/// Writes `,"key":` and `value` in decimal.
fn json_num(out: &mut impl Write, key: &str, value: u64) -> io::Result<()> {
    out.write_all(b",\"")?;
    out.write_all(key.as_bytes())?;
    out.write_all(b"\":")?;
    write_dec(out, value)
}

/// Writes `,"key":"MAC"`.
fn json_mac(out: &mut impl Write, key: &str, mac: &[u8; 6]) -> io::Result<()> {
    write!(out, ",\"{key}\":\"")?;
    write_mac(out, mac)?;
    out.write_all(b"\"")
}

/// One JSON object per line with the same facts as the text line, under
/// the keys the crate's documentation lists; a field the packet does not
/// have is left out.
pub fn write_json(out: &mut impl Write, packet: &Packet<'_>) -> io::Result<()> {
    out.write_all(b"{\"time\":\"")?;
    write_time(out, packet.ts_ns())?;
    out.write_all(b"\",\"ts_ns\":")?;
    write_dec(out, packet.ts_ns())?;
    out.write_all(b",\"ifname\":")?;
    plugin_api::write_json_str(out, packet.ifname())?;
    json_num(out, "ifindex", u64::from(packet.ifindex()))?;
    out.write_all(b",\"direction\":\"")?;
    out.write_all(direction(packet).as_bytes())?;
    out.write_all(b"\",\"pkttype\":\"")?;
    out.write_all(packet.packet_type().name().as_bytes())?;
    out.write_all(b"\"")?;
    if let Some(dst) = packet.dst_mac() {
        json_mac(out, "src_mac", &packet.src_mac().unwrap_or_default())?;
        json_mac(out, "dst_mac", &dst)?;
    }
    if let Some(id) = packet.vlan_id() {
        json_num(out, "vlan", u64::from(id))?;
    }
    let vlans = packet.vlans();
    if vlans.count_in_frame() > 0 {
        out.write_all(b",\"vlans\":[")?;
        for (i, tag) in vlans.in_frame().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            write_dec(out, u64::from(tag.id()))?;
        }
        out.write_all(b"]")?;
    }
    if let Some(tag) = vlans.stripped {
        json_num(out, "stripped_vlan", u64::from(tag.tci & 0x0fff))?;
    }
    if let Some(ethertype) = packet.ethertype() {
        json_num(out, "ethertype", u64::from(ethertype))?;
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
            json_num(out, "ip_proto", u64::from(proto))?;
        }
    }
    if let Some(ip) = packet.ip() {
        out.write_all(b",\"src_ip\":\"")?;
        write_ip(out, ip.version, &ip.src)?;
        out.write_all(b"\",\"dst_ip\":\"")?;
        write_ip(out, ip.version, &ip.dst)?;
        out.write_all(b"\"")?;
        json_num(out, "ttl", u64::from(ip.ttl))?;
        if let Some(id) = ip.ipv4_id {
            json_num(out, "ip_id", u64::from(id))?;
        }
    }
    if let Some((src, dst)) = ports(packet) {
        json_num(out, "src_port", u64::from(src))?;
        json_num(out, "dst_port", u64::from(dst))?;
    }
    if let Some(tcp) = packet.tcp().filter(|_| transport == Transport::Tcp) {
        out.write_all(b",\"tcp_flags\":\"")?;
        out.write_all(TcpFlags::new(tcp.flags).as_bytes())?;
        out.write_all(b"\"")?;
        json_num(out, "tcp_seq", u64::from(tcp.seq))?;
        if let Some(ack) = tcp.ack {
            json_num(out, "tcp_ack", u64::from(ack))?;
        }
        json_num(out, "tcp_window", u64::from(tcp.window))?;
        if let Some(n) = tcp.payload_len {
            json_num(out, "payload_len", u64::from(n))?;
        }
    }
    if let (Some(ty), Some(code)) = (packet.icmp_type(), packet.icmp_code()) {
        json_num(out, "icmp_type", u64::from(ty))?;
        json_num(out, "icmp_code", u64::from(code))?;
        if let Some(name) = icmp_name(packet) {
            write!(out, ",\"icmp_name\":\"{name}\"")?;
        }
    }
    if let Some(arp) = packet.arp().filter(|_| packet.network() == Network::Arp) {
        json_num(out, "arp_opcode", u64::from(arp.operation))?;
        if let Some((_, name)) = arp_operation(arp.operation) {
            write!(out, ",\"arp_operation\":\"{name}\"")?;
        }
        if let Some(mac) = arp.sender_mac {
            json_mac(out, "arp_sender_mac", &mac)?;
        }
        if let Some(ip) = arp.sender_ip {
            write!(out, ",\"arp_sender_ip\":\"{ip}\"")?;
        }
        if let Some(mac) = arp.target_mac {
            json_mac(out, "arp_target_mac", &mac)?;
        }
        if let Some(ip) = arp.target_ip {
            write!(out, ",\"arp_target_ip\":\"{ip}\"")?;
        }
    }
    json_num(out, "caplen", u64::from(packet.caplen()))?;
    json_num(out, "len", u64::from(packet.wire_len()))?;
    out.write_all(b"}\n")
}

#[cfg(test)]
mod tests;
