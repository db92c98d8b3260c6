//! The file source's tests: a session reads a capture through its loop, with the reader's records as handler headers, stops and ends that resume, errors that name the path, and a breaker that ends the wait for a FIFO.

use std::io::{Cursor, Write};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use capture_file::{LinkType, PacketType, PcapWriter, PcapngWriter, Record};

use crate::{Error, LoopEnd, PacketHeader, Session, Stats, Verdict};

/// A record of `data` at `secs` seconds on interface `interface`.
fn record<'a>(secs: u64, interface: u32, ifname: &'a str, data: &[u8]) -> Record<'a> {
    Record {
        ts_ns: secs * 1_000_000_000 + 7,
        caplen: data.len() as u32,
        len: data.len() as u32 + 3,
        interface,
        ifname,
        packet_type: PacketType::Host,
        link_type: LinkType::ETHERNET,
    }
}

/// A pcap file of one-byte Ethernet packets at 0, 1, ... `count - 1` seconds.
fn pcap(count: u64) -> Vec<u8> {
    let mut writer = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 0).unwrap();
    for secs in 0..count {
        writer.write(&record(secs, 0, "eth0", &[1]), &[1]).unwrap();
    }
    writer.finish().unwrap()
}

fn session(bytes: Vec<u8>) -> Result<Session, Error> {
    Session::open_reader("test.pcap", Box::new(Cursor::new(bytes)))
}

/// One handler call as a test sees it.
type Call = (u64, u32, u32, String, PacketType, LinkType, Vec<u8>);

/// Runs `session` to its end; the calls and how the loop ended.
fn calls(mut session: Session) -> (Vec<Call>, Result<LoopEnd, Error>) {
    let mut calls = Vec::new();
    let end = session.run(&mut |h: &PacketHeader<'_>, data: &[u8]| {
        assert_eq!((h.caplen as usize, h.vlan), (data.len(), None));
        calls.push((
            h.ts_ns,
            h.len,
            h.ifindex,
            h.ifname.to_string(),
            h.pkttype,
            h.link_type,
            data.to_vec(),
        ));
        Verdict::Continue
    });
    (calls, end)
}

#[test]
fn a_session_reads_a_file_through_its_loop_by_path_and_as_a_stream() {
    let mut writer = PcapngWriter::new(Vec::new(), "mycap test", 0).unwrap();
    let mut outgoing = record(5, 9, "lo", &[4, 5]);
    outgoing.packet_type = PacketType::Outgoing;
    outgoing.link_type = LinkType::RAW;
    writer
        .write(&record(4, 3, "eth0", &[1, 2, 3]), &[1, 2, 3])
        .unwrap();
    writer.write(&outgoing, &[4, 5]).unwrap();
    let bytes = writer.finish().unwrap();
    let want = vec![
        (
            4_000_000_007,
            6,
            0,
            "eth0".to_string(),
            PacketType::Host,
            LinkType::ETHERNET,
            vec![1, 2, 3],
        ),
        (
            5_000_000_007,
            5,
            1,
            "lo".to_string(),
            PacketType::Outgoing,
            LinkType::RAW,
            vec![4, 5],
        ),
    ];
    let (streamed, end) = calls(session(bytes.clone()).unwrap());
    assert_eq!((streamed, end.ok()), (want.clone(), Some(LoopEnd::Eof)));

    static NEXT: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "mycap-file-test-{}-{}.pcapng",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, &bytes).unwrap();
    let opened = Session::open_file(&path);
    std::fs::remove_file(&path).unwrap();
    let (by_path, end) = calls(opened.unwrap());
    assert_eq!((by_path, end.ok()), (want, Some(LoopEnd::Eof)));
}

#[test]
fn the_error_names_the_path_stays_and_runs_after_eof_return_eof() {
    let mut cut = pcap(1);
    cut.extend_from_slice(&[1, 2, 3]);
    let good = cut.len() as u64 - 3;
    let mut s = session(cut).unwrap();
    let mut count = 0;
    let mut handler = |_: &PacketHeader<'_>, _: &[u8]| {
        count += 1;
        Verdict::Continue
    };
    for _ in 0..2 {
        match s.run(&mut handler) {
            Err(Error::File {
                path,
                offset,
                reason,
            }) => {
                assert_eq!((path.as_str(), offset), ("test.pcap", good));
                assert!(reason.contains("cut short"), "{reason}");
            }
            other => panic!("expected a file error, got {other:?}"),
        }
    }
    let mut s = session(pcap(1)).unwrap();
    assert_eq!(s.run(&mut handler).ok(), Some(LoopEnd::Eof));
    assert_eq!(s.run(&mut handler).ok(), Some(LoopEnd::Eof));
    assert_eq!(count, 2);
    match session(b"GET / HTTP/1.1\r\n\r\n".to_vec()) {
        Err(Error::File {
            path,
            offset: 0,
            reason,
        }) => {
            assert_eq!(path, "test.pcap");
            assert!(reason.contains("unknown magic number 47455420"), "{reason}");
        }
        other => panic!("expected a file error, got {:?}", other.err()),
    }
}

#[test]
fn stop_and_end_resume_at_the_next_packet() {
    let mut s = session(pcap(5)).unwrap();
    let breaker = s.breaker();
    let mut seen = Vec::new();
    let end = s.run(&mut |h: &PacketHeader<'_>, _: &[u8]| {
        seen.push(h.ts_ns / 1_000_000_000);
        if seen.len() == 2 {
            Verdict::End
        } else {
            Verdict::Continue
        }
    });
    assert_eq!(end.ok(), Some(LoopEnd::ByHandler));
    assert_eq!(s.stats().unwrap().received, 2);
    let end = s.run(&mut |h: &PacketHeader<'_>, _: &[u8]| {
        seen.push(h.ts_ns / 1_000_000_000);
        if seen.len() == 3 {
            breaker.end();
        }
        Verdict::Continue
    });
    assert_eq!(end.ok(), Some(LoopEnd::ByBreaker));
    let end = s.run(&mut |h: &PacketHeader<'_>, _: &[u8]| {
        seen.push(h.ts_ns / 1_000_000_000);
        Verdict::Continue
    });
    assert_eq!(end.ok(), Some(LoopEnd::Eof));
    assert_eq!(seen, vec![0, 1, 2, 3, 4]);
    assert_eq!(
        s.stats().unwrap(),
        Stats {
            received: 5,
            dropped: 0
        }
    );
    s.close().unwrap();
}

/// Runs `session` on another thread, counting packets; gives it back with
/// the count and how the loop ended, or `None` after a few seconds.
fn run_bounded(mut session: Session) -> Option<(Session, usize, Result<LoopEnd, Error>)> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut count = 0;
        let end = session.run(&mut |_: &PacketHeader<'_>, _: &[u8]| {
            count += 1;
            Verdict::Continue
        });
        let _ = tx.send((session, count, end));
    });
    rx.recv_timeout(Duration::from_secs(5)).ok()
}

#[test]
fn a_breaker_ends_a_run_that_waits_for_a_fifo_and_the_loop_runs_again() {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "mycap-fifo-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_file(&path);
    let made = std::process::Command::new("mkfifo").arg(&path).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo {}", path.display());
    // Opening does not wait for a writer (O_NONBLOCK).
    let session = Session::open_file(&path).unwrap();

    // No writer yet: the run waits for the header; the breaker ends it.
    let breaker = session.breaker();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        breaker.end();
    });
    let (session, count, end) = run_bounded(session).expect("the breaker ended the run");
    assert_eq!((count, end.ok()), (0, Some(LoopEnd::ByBreaker)));

    // A writer sends a whole capture and closes: the next run reads it all.
    let mut writer = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    writer.write_all(&pcap(3)).unwrap();
    drop(writer);
    let (mut session, count, end) = run_bounded(session).expect("the file ended");
    assert_eq!((count, end.ok()), (3, Some(LoopEnd::Eof)));
    assert_eq!(session.stats().unwrap().received, 3);
}
