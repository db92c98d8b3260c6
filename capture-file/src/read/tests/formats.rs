//! The reader on good files: pcap in both byte orders and resolutions, cooked packet types, pcapng interfaces, options, block kinds and sections.

use super::*;

#[test]
fn pcap_micro_and_nano_in_both_byte_orders() {
    for (be, nanos) in [(false, false), (true, false), (false, true), (true, true)] {
        let file = pcap(
            be,
            nanos,
            1,
            &[(10, 500, 60, &[1, 2, 3]), (11, 0, 4, &[4, 5, 6, 7])],
        );
        let (seen, end) = read_all(file);
        assert_eq!(end.ok(), Some(End::Eof), "be {be} nanos {nanos}");
        let frac_ns = if nanos { 500 } else { 500_000 };
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].ts_ns, 10_000_000_000 + frac_ns);
        assert_eq!(
            (seen[0].len, seen[0].data.as_slice()),
            (60, &[1u8, 2, 3][..])
        );
        assert_eq!(seen[1].ts_ns, 11_000_000_000);
        assert_eq!((seen[1].ifindex, seen[1].ifname.as_str()), (0, "if0"));
        assert_eq!((seen[1].link_type, seen[1].pkttype), (1, PacketType::Host));
    }
}

#[test]
fn pcap_cooked_packet_type_comes_from_the_cooked_header() {
    let mut sll = vec![0u8; 16];
    sll[1] = 4; // outgoing
    let mut sll2 = vec![0u8; 20];
    sll2[10] = 1; // broadcast
    let (seen, _) = read_all(pcap(false, false, 113, &[(0, 0, 16, &sll)]));
    assert_eq!(seen[0].pkttype, PacketType::Outgoing);
    let (seen, _) = read_all(pcap(false, false, 276, &[(0, 0, 20, &sll2)]));
    assert_eq!(seen[0].pkttype, PacketType::Broadcast);
}

#[test]
fn pcapng_interfaces_resolutions_and_block_kinds() {
    let be = false;
    let mut file = shb(be);
    file.extend(idb(be, 1, &[(2, b"eth0")]));
    file.extend(idb(be, 101, &[(9, &[9])]));
    // 2^-10 s ticks, 100 s offset.
    file.extend(idb(
        be,
        0,
        &[(9, &[0x80 | 10]), (14, &100i64.to_le_bytes())],
    ));
    file.extend(epb(be, 0, 1_500_000, 60, &[0xaa; 5], &[]));
    file.extend(block(be, 0x0000_0bad, &[1, 2, 3, 4, 5, 6, 7, 8])); // unknown: skipped
    file.extend(epb(
        be,
        1,
        2_000_000_123,
        7,
        &[0xbb; 7],
        &[(2, &2u32.to_le_bytes())],
    ));
    file.extend(epb(
        be,
        2,
        1024 * 3 + 512,
        1,
        &[0xcc],
        &[(2, &(3u32 << 2).to_le_bytes())],
    ));
    file.extend(spb(be, 9, &[0xdd; 12]));
    let (seen, end) = read_all(file);
    assert_eq!(end.ok(), Some(End::Eof));
    assert_eq!(seen.len(), 4);
    assert_eq!(
        (seen[0].ifname.as_str(), seen[0].link_type, seen[0].ts_ns),
        ("eth0", 1, 1_500_000_000)
    );
    assert_eq!(
        (seen[1].ifname.as_str(), seen[1].link_type, seen[1].ts_ns),
        ("if1", 101, 2_000_000_123)
    );
    assert_eq!(seen[1].pkttype, PacketType::Outgoing);
    assert_eq!(
        (seen[2].ifindex, seen[2].link_type, seen[2].ts_ns),
        (2, 0, 103_500_000_000)
    );
    assert_eq!(seen[2].pkttype, PacketType::Broadcast);
    // A simple packet block: interface 0, captured = original length.
    assert_eq!(
        (seen[3].ifindex, seen[3].len, seen[3].data.len()),
        (0, 9, 9)
    );
}

#[test]
fn pcapng_sections_switch_byte_order_and_reset_interfaces() {
    let mut file = shb(false);
    file.extend(idb(false, 1, &[(2, b"le0")]));
    file.extend(epb(false, 0, 1, 3, &[1, 2, 3], &[]));
    file.extend(shb(true));
    file.extend(idb(true, 113, &[(2, b"be0")]));
    file.extend(idb(true, 1, &[(2, b"be1")]));
    file.extend(epb(true, 1, 2, 4, &[4, 5, 6, 7], &[]));
    let (seen, end) = read_all(file);
    assert_eq!(end.ok(), Some(End::Eof));
    assert_eq!(seen.len(), 2);
    assert_eq!((seen[0].ifname.as_str(), seen[0].ts_ns), ("le0", 1000));
    assert_eq!(
        (seen[1].ifname.as_str(), seen[1].ifindex, seen[1].ts_ns),
        ("be1", 1, 2000)
    );
    assert_eq!(seen[1].data, vec![4, 5, 6, 7]);
}

#[test]
fn ethernet_packet_types_come_from_the_destination_unless_a_flag_recorded_one() {
    let frame = |dst: [u8; 6]| [&dst[..], &[2, 0, 0, 0, 0, 1, 0x08, 0x00]].concat();
    let broadcast = frame([0xff; 6]);
    let multicast = frame([0x01, 0x00, 0x5e, 0, 0, 1]);
    let unicast = frame([2, 0, 0, 0, 0, 2]);
    let records: Vec<(u32, u32, u32, &[u8])> = [&broadcast, &multicast, &unicast]
        .iter()
        .map(|f| (0, 0, 14, f.as_slice()))
        .collect();
    let (seen, _) = read_all(pcap(false, false, 1, &records));
    let types: Vec<PacketType> = seen.iter().map(|s| s.pkttype).collect();
    assert_eq!(
        types,
        [
            PacketType::Broadcast,
            PacketType::Multicast,
            PacketType::Host
        ]
    );
    // Not Ethernet: no destination to read.
    let (seen, _) = read_all(pcap(false, false, 101, &[(0, 0, 14, &broadcast)]));
    assert_eq!(seen[0].pkttype, PacketType::Host);

    // pcapng: a recorded reception type or direction wins; inbound without a
    // reception type, or no flags, falls back to the destination.
    let be = false;
    let mut file = shb(be);
    file.extend(idb(be, 1, &[]));
    let flags = |v: u32| v.to_le_bytes();
    let unicast_in = flags(1 | (1 << 2));
    let outbound = flags(2);
    let inbound = flags(1);
    file.extend(epb(be, 0, 0, 14, &broadcast, &[(2, &unicast_in)]));
    file.extend(epb(be, 0, 0, 14, &broadcast, &[(2, &outbound)]));
    file.extend(epb(be, 0, 0, 14, &broadcast, &[(2, &inbound)]));
    file.extend(epb(be, 0, 0, 14, &multicast, &[]));
    let (seen, _) = read_all(file);
    let types: Vec<PacketType> = seen.iter().map(|s| s.pkttype).collect();
    assert_eq!(
        types,
        [
            PacketType::Host,
            PacketType::Outgoing,
            PacketType::Broadcast,
            PacketType::Multicast
        ]
    );
}
