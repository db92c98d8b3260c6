//! Fuzz target: a capture file read whole, read 1-3 bytes at a time, and read one packet per run of the loop gives the same packets and the same end; nothing panics.
#![no_main]

use std::io::{self, Cursor, Read};

use libfuzzer_sys::fuzz_target;
use mycap_core::{Error, LoopEnd, PacketHeader, PacketType, Session, Verdict, StrippedVlan};

/// The largest captured length the reader hands over.
const MAX_CAPLEN: u32 = 262_144;

/// One packet as the handler saw it.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    ts_ns: u64,
    caplen: u32,
    len: u32,
    ifindex: u32,
    ifname: String,
    pkttype: PacketType,
    link_type: u16,
    vlan: Option<StrippedVlan>,
    data: Vec<u8>,
}

/// How reading ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    Loop(LoopEnd),
    Damaged { offset: u64, reason: String },
    Other(String),
}

impl From<Error> for End {
    fn from(e: Error) -> End {
        match e {
            Error::File { offset, reason, .. } => End::Damaged { offset, reason },
            other => End::Other(other.to_string()),
        }
    }
}

/// A pipe that hands out 1 to 3 bytes per read, as the input's own bytes say.
struct Trickle {
    data: Vec<u8>,
    at: usize,
    reads: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = &self.data[self.at..];
        if left.is_empty() || buf.is_empty() {
            return Ok(0);
        }
        let want = 1 + usize::from(self.data[self.reads % self.data.len()] % 3);
        self.reads += 1;
        let n = want.min(left.len()).min(buf.len());
        buf[..n].copy_from_slice(&left[..n]);
        self.at += n;
        Ok(n)
    }
}

/// Reads everything from `reader`; with `one_by_one`, the handler stops the
/// loop after every packet and the loop is run again.
fn read_all(reader: Box<dyn Read + Send>, one_by_one: bool, size: usize) -> (Vec<Seen>, End) {
    let mut seen = Vec::new();
    let mut session = match Session::open_reader("fuzz", reader) {
        Ok(session) => session,
        Err(e) => return (seen, e.into()),
    };
    let mut handler = |h: &PacketHeader<'_>, data: &[u8]| {
        assert_eq!(h.caplen as usize, data.len(), "caplen is the data's length");
        assert!(h.len >= h.caplen, "len {} < caplen {}", h.len, h.caplen);
        assert!(h.caplen <= MAX_CAPLEN, "caplen {}", h.caplen);
        assert!(data.len() <= size, "a packet longer than the file");
        seen.push(Seen {
            ts_ns: h.ts_ns,
            caplen: h.caplen,
            len: h.len,
            ifindex: h.ifindex,
            ifname: h.ifname.to_string(),
            pkttype: h.pkttype,
            link_type: h.link_type.0,
            vlan: h.vlan,
            data: data.to_vec(),
        });
        if one_by_one {
            Verdict::End
        } else {
            Verdict::Continue
        }
    };
    let end = loop {
        match session.run(&mut handler) {
            Ok(LoopEnd::ByHandler) if one_by_one => continue,
            Ok(end) => break End::Loop(end),
            Err(e) => break e.into(),
        }
    };
    // The end stays: a second run hands over nothing more and ends the same.
    let again = session
        .run(&mut |_: &PacketHeader<'_>, _: &[u8]| -> Verdict {
            panic!("a packet after the end of the file")
        })
        .map_or_else(End::from, End::Loop);
    assert_eq!(again, end, "a run after the end ends differently");
    let received = session.stats().map(|s| s.received).ok();
    assert_eq!(received, Some(seen.len() as u64), "stats disagree");
    (seen, end)
}

fuzz_target!(|data: &[u8]| {
    let whole = read_all(Box::new(Cursor::new(data.to_vec())), false, data.len());
    if let End::Damaged { offset, reason } = &whole.1 {
        assert!(
            *offset <= data.len() as u64,
            "offset {offset} past the end ({} bytes): {reason}",
            data.len()
        );
    }
    assert!(
        matches!(whole.1, End::Loop(LoopEnd::Eof) | End::Damaged { .. }),
        "{:?}",
        whole.1
    );
    let trickle = Trickle {
        data: data.to_vec(),
        at: 0,
        reads: 0,
    };
    let trickled = read_all(Box::new(trickle), false, data.len());
    assert_eq!(
        whole.0.len(),
        trickled.0.len(),
        "read whole and trickled: packet counts differ (ends: {:?} / {:?})",
        whole.1,
        trickled.1
    );
    assert_eq!(whole, trickled, "read whole and trickled differ");
    let stepped = read_all(Box::new(Cursor::new(data.to_vec())), true, data.len());
    assert_eq!(
        whole, stepped,
        "read in one run and one packet per run differ"
    );
});
