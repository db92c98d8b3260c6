//! Exact Ethernet frames for tests: unicast, broadcast and multicast UDP, ARP requests, 802.1Q tags.

use std::net::Ipv4Addr;

use etherparse::PacketBuilder;

/// The Ethernet broadcast address.
pub const BROADCAST: [u8; 6] = [0xff; 6];

/// Source address of the test frames' IPv4 header.
pub const SRC_IP: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 2);
/// Destination address of unicast test frames.
pub const DST_IP: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 1);
/// Port the test frames are sent from and to.
pub const PORT: u16 = 40_000;

/// The Ethernet multicast address of an IPv4 group (`01:00:5e` + low 23 bits).
pub fn multicast_mac(group: Ipv4Addr) -> [u8; 6] {
    let o = group.octets();
    [0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]]
}

/// A payload that names the test and the frame's sequence number, padded to
/// `len` bytes (at least the tag).
pub fn payload(tag: &str, seq: u32, len: usize) -> Vec<u8> {
    let mut p = format!("netraf {tag} #{seq}").into_bytes();
    if p.len() < len {
        p.resize(len, 0x5a);
    }
    p
}

/// An Ethernet + IPv4 + UDP frame with correct checksums.
pub fn udp(dst: [u8; 6], src: [u8; 6], dst_ip: Ipv4Addr, payload: &[u8]) -> Vec<u8> {
    let builder = PacketBuilder::ethernet2(src, dst)
        .ipv4(SRC_IP.octets(), dst_ip.octets(), 64)
        .udp(PORT, PORT);
    let mut frame = Vec::with_capacity(builder.size(payload.len()));
    builder
        .write(&mut frame, payload)
        .expect("writing to a Vec cannot fail and test payloads are small");
    frame
}

/// A UDP frame of flow number `flow` (its own source address 10.98.x.y and
/// source port) from `src` to `dst`'s MAC and [`DST_IP`]: tests that need
/// many flows (fanout by flow hash) send these.
pub fn flow_udp(dst: [u8; 6], src: [u8; 6], flow: u16, payload: &[u8]) -> Vec<u8> {
    let [hi, lo] = flow.to_be_bytes();
    let builder = PacketBuilder::ethernet2(src, dst)
        .ipv4([10, 98, hi, lo], DST_IP.octets(), 64)
        .udp(20_000u16.wrapping_add(flow), PORT);
    let mut frame = Vec::with_capacity(builder.size(payload.len()));
    builder
        .write(&mut frame, payload)
        .expect("writing to a Vec cannot fail and test payloads are small");
    frame
}

/// A UDP frame to `dst`'s MAC and [`DST_IP`].
pub fn unicast_udp(dst: [u8; 6], src: [u8; 6], payload: &[u8]) -> Vec<u8> {
    udp(dst, src, DST_IP, payload)
}

/// A UDP frame to the broadcast MAC and 255.255.255.255.
pub fn broadcast_udp(src: [u8; 6], payload: &[u8]) -> Vec<u8> {
    udp(BROADCAST, src, Ipv4Addr::BROADCAST, payload)
}

/// A UDP frame to the IPv4 multicast `group` and its MAC.
pub fn multicast_udp(src: [u8; 6], group: Ipv4Addr, payload: &[u8]) -> Vec<u8> {
    udp(multicast_mac(group), src, group, payload)
}

/// A broadcast ARP request: who has `target_ip`, tell `sender_ip` (42 bytes).
pub fn arp_request(src: [u8; 6], sender_ip: Ipv4Addr, target_ip: Ipv4Addr) -> Vec<u8> {
    let mut f = Vec::with_capacity(42);
    f.extend_from_slice(&BROADCAST);
    f.extend_from_slice(&src);
    f.extend_from_slice(&[0x08, 0x06]); // ARP
    f.extend_from_slice(&[0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]); // Ethernet/IPv4, request
    f.extend_from_slice(&src);
    f.extend_from_slice(&sender_ip.octets());
    f.extend_from_slice(&[0; 6]);
    f.extend_from_slice(&target_ip.octets());
    f
}

/// `frame` with an 802.1Q tag (TPID 0x8100, `tci`) inserted after the MACs.
pub fn with_vlan(frame: &[u8], tci: u16) -> Vec<u8> {
    let mut f = Vec::with_capacity(frame.len() + 4);
    f.extend_from_slice(&frame[..12]);
    f.extend_from_slice(&[0x81, 0x00]);
    f.extend_from_slice(&tci.to_be_bytes());
    f.extend_from_slice(&frame[12..]);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_have_the_expected_layout() {
        let src = [2, 0, 0, 0, 0, 0x0b];
        let f = unicast_udp([2, 0, 0, 0, 0, 0x0a], src, b"hi");
        assert_eq!(f.len(), 14 + 20 + 8 + 2);
        assert_eq!(&f[12..14], &[0x08, 0x00]);
        assert_eq!(&f[f.len() - 2..], b"hi");
        let m = multicast_udp(src, Ipv4Addr::new(239, 129, 2, 3), b"");
        assert_eq!(&m[..6], &[0x01, 0x00, 0x5e, 0x01, 0x02, 0x03]);
        let a = arp_request(src, SRC_IP, DST_IP);
        assert_eq!(a.len(), 42);
        assert_eq!(&a[..6], &BROADCAST);
        let v = with_vlan(&f, 42);
        assert_eq!(&v[12..16], &[0x81, 0x00, 0x00, 42]);
        assert_eq!(&v[16..], &f[12..]);
        assert_eq!(payload("t", 7, 20).len(), 20);
    }
}
