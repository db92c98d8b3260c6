//! Live capture on real AF_PACKET sockets: frames sent from a peer namespace over a veth, checked one by one.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mycap_core::{
    BpfInsn, CaptureConfig, Direction, Error, Injector, LinkType, LoopEnd, PacketHeader,
    PacketType, Session, StrippedVlan, Verdict,
};
use netraf_tests::collect::{collect, collect_for, Captured, Watchdog};
use netraf_tests::frames::{self, arp_request, broadcast_udp, multicast_udp, payload, unicast_udp};
use netraf_tests::netns::VethPair;
use netraf_tests::require_netns;

/// Generous bound for packets that are already on their way (CI machines are slow).
const ARRIVE: Duration = Duration::from_secs(3);
/// How long to watch for anything more once the expected frames arrived.
const QUIET: Duration = Duration::from_millis(50);

/// A veth pair, a session on its capture side (the default config changed
/// by `adjust`) and a sender on the peer side.
fn open_pair(adjust: impl FnOnce(CaptureConfig) -> CaptureConfig) -> (VethPair, Session, Injector) {
    let pair = VethPair::new().expect("veth pair");
    let session = Session::open(&adjust(pair.capture_config())).expect("open capture");
    let injector = pair.peer_injector(&pair.link).expect("peer injector");
    (pair, session, injector)
}

fn send_all(injector: &Injector, frames: &[Vec<u8>]) {
    for f in frames {
        assert_eq!(injector.send(f).expect("send a test frame"), f.len());
    }
}

/// Collects exactly `frames.len()` packets, then checks nothing more arrives,
/// and returns them.
fn expect_exactly(session: &mut Session, frames: &[Vec<u8>]) -> Vec<Captured> {
    let (got, _) = collect(session, frames.len(), ARRIVE).expect("capture loop");
    assert_eq!(got.len(), frames.len(), "frames captured within {ARRIVE:?}");
    let extra = collect_for(session, QUIET).expect("capture loop");
    assert!(extra.is_empty(), "unexpected extra packets: {extra:?}");
    got
}

/// Checks that `got` holds each of `sent` exactly once (in any order) and
/// returns, for each sent frame, the packet that matched it.
fn match_once<'a>(got: &'a [Captured], sent: &[Vec<u8>]) -> Vec<&'a Captured> {
    assert_eq!(got.len(), sent.len());
    sent.iter()
        .map(|frame| {
            let hits: Vec<&Captured> = got.iter().filter(|c| &c.data == frame).collect();
            assert_eq!(
                hits.len(),
                1,
                "frame {frame:02x?} seen {} times",
                hits.len()
            );
            hits[0]
        })
        .collect()
}

#[test]
fn unicast_broadcast_multicast_and_arp_frames_arrive_once_each() {
    require_netns!();
    let (pair, mut session, injector) = open_pair(|c| c);
    let link = &pair.link;
    const N: u32 = 16;
    let group = Ipv4Addr::new(239, 1, 2, 3);
    let other_mac = [0x02, 0, 0, 0, 0x77, 0x77];
    let mut sent = Vec::new();
    for i in 0..N {
        let p = payload("mixed", i, 10 + i as usize);
        sent.push((unicast_udp(link.a_mac, link.b_mac, &p), PacketType::Host));
        sent.push((broadcast_udp(link.b_mac, &p), PacketType::Broadcast));
        sent.push((multicast_udp(link.b_mac, group, &p), PacketType::Multicast));
        sent.push((
            unicast_udp(other_mac, link.b_mac, &p),
            PacketType::OtherHost,
        ));
        let target = Ipv4Addr::new(10, 99, 1, i as u8);
        sent.push((
            arp_request(link.b_mac, frames::SRC_IP, target),
            PacketType::Broadcast,
        ));
    }
    let frames: Vec<Vec<u8>> = sent.iter().map(|(f, _)| f.clone()).collect();
    send_all(&injector, &frames);
    let got = expect_exactly(&mut session, &frames);
    for (c, (frame, pkttype)) in match_once(&got, &frames).into_iter().zip(&sent) {
        assert_eq!(c.pkttype, *pkttype, "packet type of {frame:02x?}");
        assert_eq!(c.caplen as usize, frame.len());
        assert_eq!(c.len as usize, frame.len());
        assert_eq!(c.ifname, link.a_if);
        assert!(c.ifindex > 0);
        assert_eq!(c.link_type, LinkType::ETHERNET);
        assert_eq!(c.vlan, None);
        assert!(c.ts_ns > 1_600_000_000_000_000_000, "timestamp {}", c.ts_ns);
    }
    let stats = session.stats().expect("stats");
    assert_eq!(stats.received, frames.len() as u64);
    assert_eq!(stats.dropped, 0);
}

#[test]
fn snap_length_truncates_to_snaplen_and_reports_wire_length() {
    require_netns!();
    let (pair, mut session, injector) = open_pair(|c| c.snaplen(64));
    let link = &pair.link;
    let frames: Vec<Vec<u8>> = (0..4)
        .map(|i| unicast_udp(link.a_mac, link.b_mac, &payload("snap", i, 300)))
        .collect();
    send_all(&injector, &frames);
    let got = expect_exactly(&mut session, &frames);
    for (c, frame) in got.iter().zip(&frames) {
        assert_eq!(c.caplen, 64);
        assert_eq!(c.data, frame[..64]);
        assert_eq!(c.len as usize, frame.len());
        assert!(c.caplen < c.len);
    }
}

#[test]
fn a_stripped_vlan_tag_is_reported_in_the_header_not_in_the_bytes() {
    require_netns!();
    let (pair, mut session, injector) = open_pair(|c| c);
    let link = &pair.link;
    let plain = unicast_udp(link.a_mac, link.b_mac, &payload("vlan", 0, 20));
    let tci = (5 << 13) | 42;
    send_all(&injector, &[frames::with_vlan(&plain, tci)]);
    let got = expect_exactly(&mut session, std::slice::from_ref(&plain));
    assert_eq!(got[0].vlan, Some(StrippedVlan { tci, tpid: 0x8100 }));
    assert_eq!(got[0].vlan.map(StrippedVlan::id), Some(42));
    assert_eq!(got[0].data, plain);
}

#[test]
fn outgoing_frames_are_typed_outgoing_and_directions_filter() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let link = &pair.link;
    let config = pair.capture_config();
    let mut both = Session::open(&config).expect("open capture");
    let mut only_in = Session::open(&config.clone().direction(Direction::In)).expect("open in");
    let mut only_out = Session::open(&config.clone().direction(Direction::Out)).expect("open out");
    let local = Injector::open(&link.a_if, Some(pair.a.path())).expect("local injector");
    let peer = pair.peer_injector(link).expect("peer injector");
    let outgoing: Vec<Vec<u8>> = (0..5)
        .map(|i| unicast_udp(link.b_mac, link.a_mac, &payload("out", i, 30)))
        .collect();
    let incoming: Vec<Vec<u8>> = (0..5)
        .map(|i| unicast_udp(link.a_mac, link.b_mac, &payload("in", i, 30)))
        .collect();
    send_all(&local, &outgoing);
    send_all(&peer, &incoming);

    let all: Vec<Vec<u8>> = outgoing.iter().chain(&incoming).cloned().collect();
    let got = expect_exactly(&mut both, &all);
    for (c, frame) in match_once(&got, &all).into_iter().zip(&all) {
        let expected = if outgoing.contains(frame) {
            PacketType::Outgoing
        } else {
            PacketType::Host
        };
        assert_eq!(c.pkttype, expected);
        assert_eq!(c.ifname, link.a_if);
    }
    let got = expect_exactly(&mut only_in, &incoming);
    assert!(got.iter().all(|c| c.pkttype == PacketType::Host));
    match_once(&got, &incoming);
    let got = expect_exactly(&mut only_out, &outgoing);
    assert!(got.iter().all(|c| c.pkttype == PacketType::Outgoing));
    match_once(&got, &outgoing);
}

#[test]
fn capture_on_any_sees_two_interfaces_each_by_name() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let second = pair.add_link().expect("second veth");
    let config = CaptureConfig::any().netns(pair.a.path());
    let mut session = Session::open(&config).expect("open capture on any");
    let mut sent = Vec::new();
    for link in [&pair.link, &second] {
        let injector = pair.peer_injector(link).expect("peer injector");
        let frames: Vec<Vec<u8>> = (0..4)
            .map(|i| unicast_udp(link.a_mac, link.b_mac, &payload(&link.a_if, i, 16)))
            .collect();
        send_all(&injector, &frames);
        sent.extend(frames.into_iter().map(|f| (f, link.a_if.clone())));
    }
    let frames: Vec<Vec<u8>> = sent.iter().map(|(f, _)| f.clone()).collect();
    let got = expect_exactly(&mut session, &frames);
    for (c, (_, ifname)) in match_once(&got, &frames).into_iter().zip(&sent) {
        assert_eq!(&c.ifname, ifname);
        assert_eq!(c.link_type, LinkType::ETHERNET);
    }
    let indexes: std::collections::HashSet<u32> = got.iter().map(|c| c.ifindex).collect();
    assert_eq!(indexes.len(), 2, "two interface indexes");
}

#[test]
fn end_wakes_an_idle_loop_promptly_and_the_loop_runs_again() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let link = &pair.link;
    let mut session = Session::open(&pair.capture_config()).expect("open capture");

    // pcap_breakloop semantics: end() before a run makes that run return at once.
    session.breaker().end();
    let start = Instant::now();
    let end = {
        let _watchdog = Watchdog::arm(session.breaker(), ARRIVE);
        session
            .run(&mut |_: &PacketHeader<'_>, _: &[u8]| Verdict::Continue)
            .expect("run")
    };
    assert_eq!(end, LoopEnd::ByBreaker);
    assert!(
        start.elapsed() < ARRIVE / 2,
        "an earlier end() did not end the run"
    );

    let breaker = session.breaker();
    let injector = pair.peer_injector(link).expect("peer injector");
    let wake = unicast_udp(link.a_mac, link.b_mac, &payload("wake", 0, 8));
    let (returned_tx, returned_rx) = std::sync::mpsc::channel::<()>();
    let ender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        let at = Instant::now();
        breaker.end();
        // Bound the test if end() failed to wake the loop: traffic wakes it.
        if returned_rx.recv_timeout(ARRIVE).is_err() {
            let _ = injector.send(&wake);
        }
        (at, injector)
    });
    let mut seen = 0;
    let end = session
        .run(&mut |_: &PacketHeader<'_>, _: &[u8]| {
            seen += 1;
            Verdict::Continue
        })
        .expect("run");
    let returned = Instant::now();
    let _ = returned_tx.send(());
    let (ended_at, injector) = ender.join().expect("ender thread");
    let latency = returned.duration_since(ended_at);
    eprintln!("end() to loop return on an idle interface: {latency:?}");
    assert_eq!(end, LoopEnd::ByBreaker);
    assert_eq!(seen, 0, "the interface was idle");
    assert!(
        latency < Duration::from_millis(100),
        "loop took {latency:?} to end"
    );

    let frames: Vec<Vec<u8>> = (0..3)
        .map(|i| unicast_udp(link.a_mac, link.b_mac, &payload("again", i, 8)))
        .collect();
    send_all(&injector, &frames);
    let got = expect_exactly(&mut session, &frames);
    match_once(&got, &frames);
}

#[test]
fn a_sleeping_handler_makes_the_kernel_drop_and_stats_account_for_every_frame() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let link = pair.link.clone();
    // A ring far smaller than the burst: 32 KiB of 4 KiB blocks.
    let config = pair.capture_config().snaplen(128).ring_size(32 << 10);
    let mut session = Session::open(&config).expect("open capture");
    const SENT: u32 = 600;
    let sent_all = Arc::new(AtomicBool::new(false));
    let injector = pair.peer_injector(&link).expect("peer injector");
    let breaker = session.breaker();
    let sender = {
        let sent_all = Arc::clone(&sent_all);
        std::thread::spawn(move || {
            for i in 0..SENT {
                let f = unicast_udp(link.a_mac, link.b_mac, &payload("drop", i, 100));
                injector.send(&f).expect("send a test frame");
            }
            sent_all.store(true, Ordering::Release);
            // Leave the loop time to drain the ring, then end it.
            std::thread::sleep(Duration::from_millis(300));
            breaker.end();
        })
    };
    let _watchdog = Watchdog::arm(session.breaker(), Duration::from_secs(10));
    let mut handled = 0u64;
    let end = session
        .run(&mut |_: &PacketHeader<'_>, _: &[u8]| {
            if handled == 0 {
                // Sleep (bounded) until the whole burst was sent.
                let until = Instant::now() + Duration::from_secs(5);
                while !sent_all.load(Ordering::Acquire) && Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            handled += 1;
            Verdict::Continue
        })
        .expect("run");
    sender.join().expect("sender thread");
    assert_eq!(end, LoopEnd::ByBreaker);
    let stats = session.stats().expect("stats");
    eprintln!(
        "sent {SENT}, handled {handled}, received {}, dropped {}",
        stats.received, stats.dropped
    );
    assert!(stats.dropped > 0, "a 32 KiB ring cannot hold {SENT} frames");
    assert_eq!(handled + stats.dropped, u64::from(SENT));
    assert_eq!(stats.received, u64::from(SENT));
    // Nothing is left queued in user space: a new run gets nothing.
    let rest = collect_for(&mut session, QUIET).expect("capture loop");
    assert!(rest.is_empty(), "{} packets were still queued", rest.len());
    // Counters are cumulative: reading again changes nothing.
    assert_eq!(session.stats().expect("stats"), stats);
}

#[test]
fn counters_stay_exact_over_thousands_of_blocks() {
    // MYCAP folds the kernel's 32-bit counters into its own while the loop
    // runs (every 1024 blocks handed back): over more blocks than that, the
    // totals must still account for every frame exactly once.
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let link = pair.link.clone();
    // 4 KiB blocks of about 30 frames each: 60,000 frames fill ~2,000 blocks.
    let config = pair.capture_config().snaplen(128).ring_size(32 << 10);
    let mut session = Session::open(&config).expect("open capture");
    const SENT: u32 = 60_000;
    let injector = pair.peer_injector(&link).expect("peer injector");
    let breaker = session.breaker();
    let sender = std::thread::spawn(move || {
        let frame = unicast_udp(link.a_mac, link.b_mac, &payload("fold", 0, 60));
        let until = Instant::now() + Duration::from_secs(20);
        let mut sent = 0u32;
        while sent < SENT && Instant::now() < until {
            injector.send(&frame).expect("send a test frame");
            sent += 1;
        }
        // Leave the loop time to drain the ring, then end it.
        std::thread::sleep(Duration::from_millis(300));
        breaker.end();
        sent
    });
    let _watchdog = Watchdog::arm(session.breaker(), Duration::from_secs(30));
    let mut handled = 0u64;
    let end = session
        .run(&mut |_: &PacketHeader<'_>, _: &[u8]| {
            handled += 1;
            Verdict::Continue
        })
        .expect("run");
    let sent = sender.join().expect("sender thread");
    assert_eq!(sent, SENT, "the sender finished within its time bound");
    assert_eq!(end, LoopEnd::ByBreaker);
    let stats = session.stats().expect("stats");
    eprintln!(
        "sent {SENT}, handled {handled}, received {}, dropped {}",
        stats.received, stats.dropped
    );
    assert_eq!(stats.received, u64::from(SENT));
    assert_eq!(handled + stats.dropped, u64::from(SENT));
}

#[test]
fn a_stop_verdict_or_end_mid_block_loses_nothing() {
    require_netns!();
    let (pair, mut session, injector) = open_pair(|c| c);
    let link = &pair.link;
    let frames: Vec<Vec<u8>> = (0..10)
        .map(|i| unicast_udp(link.a_mac, link.b_mac, &payload("stop", i, 12)))
        .collect();
    send_all(&injector, &frames);

    // Stop after the 3rd packet.
    let (mut got, end) = collect(&mut session, 3, ARRIVE).expect("capture loop");
    assert_eq!(end, LoopEnd::ByHandler);
    // End from a breaker after the 2nd packet of the next run (between packets).
    let breaker = session.breaker();
    let mut second_run = 0;
    let end = {
        let _watchdog = Watchdog::arm(session.breaker(), ARRIVE);
        session
            .run(&mut |h: &PacketHeader<'_>, d: &[u8]| {
                got.push(Captured::new(h, d));
                second_run += 1;
                if second_run == 2 {
                    breaker.end();
                }
                Verdict::Continue
            })
            .expect("run")
    };
    assert_eq!(end, LoopEnd::ByBreaker);
    assert_eq!(second_run, 2, "the loop ends before the next packet");
    // The rest arrives in the next run.
    got.extend(expect_exactly(&mut session, &frames[5..]));
    match_once(&got, &frames);
    let stats = session.stats().expect("stats");
    assert_eq!((stats.received, stats.dropped), (10, 0));
}

#[test]
fn a_bpf_filter_keeps_only_udp_and_is_clamped_to_snaplen() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let link = &pair.link;
    let mut session = Session::open(&pair.capture_config().snaplen(50)).expect("open capture");
    // `tcpdump -dd udp`: IPv4 or IPv6 with protocol 17, accepting 262144 bytes.
    let udp_only = [
        BpfInsn::new(0x28, 0, 0, 0x0000_000c),
        BpfInsn::new(0x15, 0, 2, 0x0000_0800),
        BpfInsn::new(0x30, 0, 0, 0x0000_0017),
        BpfInsn::new(0x15, 6, 7, 0x0000_0011),
        BpfInsn::new(0x15, 0, 6, 0x0000_86dd),
        BpfInsn::new(0x30, 0, 0, 0x0000_0014),
        BpfInsn::new(0x15, 3, 0, 0x0000_0011),
        BpfInsn::new(0x15, 0, 3, 0x0000_002c),
        BpfInsn::new(0x30, 0, 0, 0x0000_0036),
        BpfInsn::new(0x15, 0, 1, 0x0000_0011),
        BpfInsn::ret(0x0004_0000),
        BpfInsn::ret(0),
    ];
    session.set_filter(&udp_only).expect("attach filter");
    let injector = pair.peer_injector(link).expect("peer injector");
    let mut udp = Vec::new();
    for i in 0..5 {
        let u = unicast_udp(link.a_mac, link.b_mac, &payload("bpf", i, 64));
        send_all(
            &injector,
            &[
                arp_request(link.b_mac, frames::SRC_IP, frames::DST_IP),
                u.clone(),
            ],
        );
        udp.push(u);
    }
    let truncated: Vec<Vec<u8>> = udp.iter().map(|f| f[..50].to_vec()).collect();
    let got = expect_exactly(&mut session, &truncated);
    for (c, frame) in match_once(&got, &truncated).into_iter().zip(&udp) {
        assert_eq!(c.caplen, 50);
        assert_eq!(c.len as usize, frame.len());
    }
    let stats = session.stats().expect("stats");
    assert_eq!(
        stats.received, 5,
        "ARP frames are rejected by the filter, not counted"
    );
    assert!(matches!(
        session.set_filter(&[]),
        Err(Error::InvalidConfig(_))
    ));
}

/// The error of opening `config`, failing the test if it opens.
fn open_error(config: &CaptureConfig) -> (Error, String) {
    match Session::open(config) {
        Err(e) => {
            let message = e.to_string();
            (e, message)
        }
        Ok(_) => panic!("opened a session that should have failed: {config:?}"),
    }
}

#[test]
fn unknown_interface_is_named_in_the_error() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let (e, msg) = open_error(&CaptureConfig::interface("nosuch0").netns(pair.a.path()));
    assert!(matches!(e, Error::NoSuchInterface(_)), "{e:?}");
    assert!(msg.contains("'nosuch0'"), "{msg}");
}

#[test]
fn an_interface_that_is_down_is_refused_with_a_hint() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    pair.a
        .ip(&["link", "set", &pair.link.a_if, "down"])
        .expect("ip link set down");
    let (e, msg) = open_error(&pair.capture_config());
    assert!(matches!(e, Error::InterfaceDown(_)), "{e:?}");
    assert!(
        msg.contains(&pair.link.a_if) && msg.contains("ip link set"),
        "{msg}"
    );
}

#[test]
fn promiscuous_mode_lasts_as_long_as_the_session() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let show = || {
        let out = std::process::Command::new("ip")
            .args(["-n", pair.a.name(), "-d", "link", "show", &pair.link.a_if])
            .output()
            .expect("ip link show");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(!show().contains("promiscuity 1"), "{}", show());
    let session =
        Session::open(&pair.capture_config().promiscuous(true)).expect("open promiscuous");
    assert!(show().contains("promiscuity 1"), "{}", show());
    session.close().expect("close");
    assert!(show().contains("promiscuity 0"), "{}", show());
    let any = CaptureConfig::any().promiscuous(true).netns(pair.a.path());
    assert!(matches!(Session::open(&any), Err(Error::InvalidConfig(_))));
}

#[test]
fn without_cap_net_raw_the_error_says_what_is_needed() {
    // Runs everywhere: a thread without CAP_NET_RAW in its effective set
    // cannot open a packet socket, root or not.
    let (e, msg) = netraf_tests::caps::without_net_raw(|| open_error(&CaptureConfig::any()))
        .expect("drop CAP_NET_RAW");
    assert!(matches!(e, Error::Permission), "{e:?}");
    assert!(
        msg.contains("CAP_NET_RAW") && msg.contains("setcap"),
        "{msg}"
    );
}

#[test]
fn an_interface_going_down_ends_the_loop_with_an_error() {
    require_netns!();
    let (pair, mut session, _injector) = open_pair(|c| c);
    pair.a
        .ip(&["link", "set", &pair.link.a_if, "down"])
        .expect("ip link set down");
    let _watchdog = Watchdog::arm(session.breaker(), ARRIVE);
    let result = session.run(&mut |_: &PacketHeader<'_>, _: &[u8]| Verdict::Continue);
    match result {
        Err(e @ Error::Os { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains(&pair.link.a_if) && msg.contains("go down"),
                "{msg}"
            );
        }
        other => panic!("expected an error saying the interface went down, got {other:?}"),
    }
}
