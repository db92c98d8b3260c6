//! Kernel filters on live sessions: a filter given at open, one replaced while traffic flows, `vlan` on the stripped tag, and one program for every link type of `any`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use etherparse::PacketBuilder;
use mycap_core::{live_link_types, Error, LinkType, Session, StrippedVlan};
use netraf_filter::compile_live;
use netraf_tests::collect::{collect, collect_for, Captured};
use netraf_tests::frames::{self, arp_request, payload, unicast_udp, with_vlan};
use netraf_tests::netns::{Link, VethPair};
use netraf_tests::require_netns;

/// Generous bound for packets that are already on their way.
const ARRIVE: Duration = Duration::from_secs(3);
/// How long to watch for anything more once the expected frames arrived.
const QUIET: Duration = Duration::from_millis(100);

/// What a test frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Udp,
    Tcp,
    Arp,
    Icmp,
    Other,
}

/// The class of an Ethernet frame (as the kernel hands it over: tag stripped).
fn class_of(frame: &[u8]) -> Class {
    match (frame.get(12..14), frame.get(23)) {
        (Some([0x08, 0x06]), _) => Class::Arp,
        (Some([0x08, 0x00]), Some(17)) => Class::Udp,
        (Some([0x08, 0x00]), Some(6)) => Class::Tcp,
        (Some([0x08, 0x00]), Some(1)) => Class::Icmp,
        _ => Class::Other,
    }
}

fn tcp_frame(link: &Link, seq: u32) -> Vec<u8> {
    let p = payload("tcp", seq, 20);
    let builder = PacketBuilder::ethernet2(link.b_mac, link.a_mac)
        .ipv4(frames::SRC_IP.octets(), frames::DST_IP.octets(), 64)
        .tcp(40_001, 80, seq, 1024);
    let mut f = Vec::with_capacity(builder.size(p.len()));
    builder.write(&mut f, &p).expect("write to a Vec");
    f
}

fn icmp_frame(link: &Link, seq: u16) -> Vec<u8> {
    let p = payload("icmp", u32::from(seq), 20);
    let builder = PacketBuilder::ethernet2(link.b_mac, link.a_mac)
        .ipv4(frames::SRC_IP.octets(), frames::DST_IP.octets(), 64)
        .icmpv4_echo_request(7, seq);
    let mut f = Vec::with_capacity(builder.size(p.len()));
    builder.write(&mut f, &p).expect("write to a Vec");
    f
}

fn udp_frame(link: &Link, seq: u32) -> Vec<u8> {
    unicast_udp(link.a_mac, link.b_mac, &payload("udp", seq, 20))
}

fn arp_frame(link: &Link) -> Vec<u8> {
    arp_request(link.b_mac, frames::SRC_IP, frames::DST_IP)
}

/// Frame number `i` of a mixed stream: UDP, TCP, ARP, ICMP in turn.
fn mixed(link: &Link, i: u32) -> Vec<u8> {
    match i % 4 {
        0 => udp_frame(link, i),
        1 => tcp_frame(link, i),
        2 => arp_frame(link),
        _ => icmp_frame(link, i as u16),
    }
}

/// Collects exactly `count` packets, then checks nothing more arrives.
fn expect_count(session: &mut Session, count: usize) -> Vec<Captured> {
    let (got, _) = collect(session, count, ARRIVE).expect("capture loop");
    assert_eq!(got.len(), count, "packets captured within {ARRIVE:?}");
    let extra = collect_for(session, QUIET).expect("capture loop");
    assert!(extra.is_empty(), "unexpected extra packets: {extra:?}");
    got
}

#[test]
fn a_filter_given_at_open_keeps_only_the_matching_class() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let link = &pair.link;
    let config = pair.capture_config();
    let links = live_link_types(&config).expect("link types of the veth");
    assert_eq!(links, vec![(libc::ARPHRD_ETHER, LinkType::ETHERNET)]);
    let injector = pair.peer_injector(link).expect("peer injector");
    // 7 UDP, 5 TCP, 4 ARP and 3 ICMP frames, interleaved.
    let mut sent = Vec::new();
    for i in 0..7u32 {
        sent.push(udp_frame(link, i));
        if i < 5 {
            sent.push(tcp_frame(link, i));
        }
        if i < 4 {
            sent.push(arp_frame(link));
        }
        if i < 3 {
            sent.push(icmp_frame(link, i as u16));
        }
    }
    for (expression, class, count) in [
        ("udp", Class::Udp, 7),
        ("tcp", Class::Tcp, 5),
        ("arp", Class::Arp, 4),
        ("icmp", Class::Icmp, 3),
    ] {
        let program = compile_live(expression, config.snaplen, &links).expect(expression);
        let mut session = Session::open(&config.clone().filter(program)).expect("open");
        for f in &sent {
            injector.send(f).expect("send");
        }
        let got = expect_count(&mut session, count);
        for c in &got {
            assert_eq!(class_of(&c.data), class, "{expression}: {:02x?}", c.data);
            assert!(sent.contains(&c.data));
        }
        let stats = session.stats().expect("stats");
        assert_eq!(
            (stats.received, stats.dropped),
            (count as u64, 0),
            "{expression}: the kernel counts only what the filter accepted"
        );
    }
    // A program the kernel would refuse is refused at open (and by check).
    let bad = config
        .clone()
        .filter(vec![mycap_core::BpfInsn::new(0x28, 0, 0, 12)]);
    assert!(matches!(Session::open(&bad), Err(Error::InvalidConfig(_))));
    assert!(matches!(Session::check(&bad), Err(Error::InvalidConfig(_))));
}

#[test]
fn after_set_filter_not_one_packet_of_the_old_filter_is_delivered() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let link = pair.link.clone();
    let config = pair.capture_config();
    let links = live_link_types(&config).expect("link types");
    let mut session = Session::open(&config).expect("open");
    let injector = pair.peer_injector(&link).expect("peer injector");
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    // A bounded stream: at most 400 000 frames or 10 s, paced.
    let sender = {
        let (stop, sent) = (Arc::clone(&stop), Arc::clone(&sent));
        std::thread::spawn(move || {
            let start = Instant::now();
            for i in 0..400_000u32 {
                if stop.load(Ordering::Relaxed) || start.elapsed() > Duration::from_secs(10) {
                    break;
                }
                injector.send(&mixed(&link, i)).expect("send");
                sent.fetch_add(1, Ordering::Relaxed);
                if i % 4 == 3 {
                    std::thread::sleep(Duration::from_micros(100));
                }
            }
        })
    };
    // Unfiltered: the mix arrives. The loop ends mid-stream, with packets of
    // every class left in the ring.
    let (before, _) = collect(&mut session, 400, ARRIVE).expect("capture loop");
    assert_eq!(before.len(), 400, "the stream arrives unfiltered");
    assert!(before.iter().any(|c| class_of(&c.data) != Class::Udp));
    let program = compile_live("udp", config.snaplen, &links).expect("compile udp");
    let sent_at_set = sent.load(Ordering::Relaxed);
    session.set_filter(&program).expect("set_filter");
    let (after, _) = collect(&mut session, 300, ARRIVE).expect("capture loop");
    let sent_after = sent.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    sender.join().expect("sender thread");
    assert!(
        sent_after > sent_at_set,
        "the sender was still sending after set_filter ({sent_at_set} then {sent_after})"
    );
    assert!(!after.is_empty(), "UDP frames arrive after set_filter");
    let strays: Vec<Class> = after
        .iter()
        .map(|c| class_of(&c.data))
        .filter(|c| *c != Class::Udp)
        .collect();
    assert!(
        strays.is_empty(),
        "{} of {} packets delivered after set_filter are not UDP: {:?}",
        strays.len(),
        after.len(),
        &strays[..strays.len().min(10)]
    );
    let stats = session.stats().expect("stats");
    assert!(
        stats.received >= (before.len() + after.len()) as u64,
        "dropped packets stay counted as received: {stats:?}"
    );
}

#[test]
fn vlan_on_a_live_session_tests_the_tag_the_kernel_stripped() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let link = &pair.link;
    let config = pair.capture_config();
    let links = live_link_types(&config).expect("link types");
    let injector = pair.peer_injector(link).expect("peer injector");
    let udp = udp_frame(link, 1);
    let arp = arp_frame(link);
    let prio_100 = (5 << 13) | 100;
    // (frame sent, what arrives, the stripped TCI)
    let cases = [
        (with_vlan(&udp, 100), udp.clone(), Some(100)),
        (with_vlan(&udp, 200), udp.clone(), Some(200)),
        (udp.clone(), udp.clone(), None),
        (with_vlan(&arp, 100), arp.clone(), Some(100)),
        (arp.clone(), arp.clone(), None),
        (with_vlan(&udp, prio_100), udp.clone(), Some(prio_100)),
        (with_vlan(&arp, 200), arp.clone(), Some(200)),
    ];
    let program = compile_live("vlan 100", config.snaplen, &links).expect("vlan 100");
    let mut session = Session::open(&config.clone().filter(program)).expect("open");
    for (expression, keep) in [
        ("vlan 100", [0, 3, 5].as_slice()),
        ("vlan 100 and udp", [0, 5].as_slice()),
        ("not vlan", [2, 4].as_slice()),
        ("vlan and arp", [3, 6].as_slice()),
    ] {
        let program = compile_live(expression, config.snaplen, &links).expect(expression);
        session.set_filter(&program).expect("set_filter");
        for (frame, _, _) in &cases {
            injector.send(frame).expect("send");
        }
        let got = expect_count(&mut session, keep.len());
        let mut want: Vec<(Vec<u8>, Option<u16>)> = keep
            .iter()
            .map(|i| (cases[*i].1.clone(), cases[*i].2))
            .collect();
        for c in &got {
            let tci = c.vlan.map(|v: StrippedVlan| v.tci);
            let at = want
                .iter()
                .position(|(data, t)| *data == c.data && *t == tci)
                .unwrap_or_else(|| panic!("{expression}: unexpected {tci:?} {:02x?}", c.data));
            want.remove(at);
        }
        assert!(want.is_empty(), "{expression}: missing {want:?}");
    }
}

/// An IPv4 packet (no link header) of protocol UDP, TCP or ICMP.
fn raw_ip(class: Class, seq: u16) -> Vec<u8> {
    let p = payload("tun", u32::from(seq), 20);
    let ip = PacketBuilder::ipv4(frames::SRC_IP.octets(), frames::DST_IP.octets(), 64);
    let mut f = Vec::new();
    match class {
        Class::Udp => ip.udp(frames::PORT, frames::PORT).write(&mut f, &p),
        Class::Tcp => ip.tcp(40_001, 80, u32::from(seq), 1024).write(&mut f, &p),
        _ => ip.icmpv4_echo_request(7, seq).write(&mut f, &p),
    }
    .expect("write to a Vec");
    f
}

#[test]
fn compile_live_on_any_runs_the_program_of_each_interfaces_link_type() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let link = &pair.link;
    let tun = netraf_tests::tun::Tun::create_in(&pair.a, "tun-a0").expect("tun device");
    let config = mycap_core::CaptureConfig::any().netns(pair.a.path());
    let links = live_link_types(&config).expect("link types of any");
    assert!(links.contains(&(libc::ARPHRD_ETHER, LinkType::ETHERNET)));
    assert!(links.contains(&(libc::ARPHRD_NONE, LinkType::RAW)));
    let program = compile_live("udp", config.snaplen, &links).expect("compile udp");
    let mut session = Session::open(&config.filter(program)).expect("open on any");
    let injector = pair.peer_injector(link).expect("peer injector");
    let (udp, raw_udp) = (udp_frame(link, 1), raw_ip(Class::Udp, 2));
    for f in [
        udp.clone(),
        tcp_frame(link, 3),
        arp_frame(link),
        icmp_frame(link, 4),
    ] {
        injector.send(&f).expect("send on the veth");
    }
    for p in [
        raw_ip(Class::Tcp, 5),
        raw_udp.clone(),
        raw_ip(Class::Icmp, 6),
    ] {
        tun.receive(&p).expect("receive on the tun device");
    }
    let got = expect_count(&mut session, 2);
    let on = |name: &str| {
        got.iter()
            .find(|c| c.ifname == name)
            .unwrap_or_else(|| panic!("nothing captured on {name}: {got:?}"))
    };
    let veth = on(&link.a_if);
    assert_eq!((veth.link_type, &veth.data), (LinkType::ETHERNET, &udp));
    let tun_packet = on(&tun.name);
    assert_eq!(
        (tun_packet.link_type, &tun_packet.data),
        (LinkType::RAW, &raw_udp)
    );
}
