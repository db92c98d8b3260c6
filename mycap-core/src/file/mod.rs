//! The file source: pcap and pcapng capture files (or standard input) read through the same loop as a live socket.
//!
//! The bytes go through a bounded circular buffer (256 KiB, grown once to
//! 2 MiB if a block needs it) and each record is cut in place with
//! `pcap-parser`'s slice parsers. A record is never longer than [`MAX_BLOCK`], and a
//! packet's captured length never more than [`MAX_CAPLEN`], so no allocation is
//! ever sized by a length field of the file. Every length is checked before its
//! record is read, and a damaged file ends the loop with [`Error::File`] naming
//! the byte offset of the damaged record, after every packet before it was
//! handed to the handler.
//!
//! What a file gives the handler:
//! - `ifindex`: the pcapng interface id (0 for pcap); `ifname`: the pcapng
//!   `if_name` option, else `if<index>` (`if0` for pcap files);
//! - `pkttype`: from the Linux cooked header for link types 113 and 276; else
//!   from the pcapng `epb_flags` option (outbound → `Outgoing`, reception type
//!   broadcast/multicast/promiscuous → `Broadcast`/`Multicast`/`OtherHost`);
//!   else `Host`;
//! - `len`: the original length, raised to the captured length if a damaged
//!   record claims less; `vlan`: always `None` (tags stay in the bytes);
//! - `ts_ns`: from the pcap magic (µs or ns) or the interface's `if_tsresol`
//!   and `if_tsoffset`.
//!
//! [`Stats`] of a file: `received` = packets read so far, `dropped` = 0.
//!
//! A pipe, FIFO or terminal may send nothing for a long time: its reads wait
//! in poll, which [`Breaker::end`](crate::Breaker::end) ends (see `input`),
//! and its file header is read by the first run of the loop rather than when
//! it is opened, so that a breaker can end that wait too.
//!
//! Here: the source and its loop. `input` holds the bytes and their buffer,
//! `sniff` tells the format, `pcap` and `pcapng` cut their records,
//! `timestamps` converts pcapng ticks, `writer` writes both formats.

mod input;
mod pcap;
mod pcapng;
mod sniff;
mod timestamps;
mod writer;

use std::io::Read;
use std::path::Path;

use crate::header::{LinkType, PacketHeader, PacketType};
use crate::loop_control::{Handler, LoopEnd, Shared, Stats, Verdict};
use crate::Error;

use input::{Bytes, Short};

pub use writer::{PcapWriter, PcapngWriter};

/// The largest captured length accepted in a record (as libpcap's
/// `MAXIMUM_SNAPLEN`); a longer one means the file is damaged.
pub(crate) const MAX_CAPLEN: u32 = 262_144;
/// The largest pcapng block accepted (a maximal packet plus room for options).
pub(crate) const MAX_BLOCK: usize = 1 << 20;
/// A stream's read buffer at most: twice the largest block (grown to when a
/// block needs more than half of the initial one).
const BUFFER_SIZE: usize = 2 * MAX_BLOCK;
/// At most this many pcapng interfaces per section.
pub(crate) const MAX_INTERFACES: usize = 65_536;

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const PB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;
const BOM: u32 = 0x1A2B_3C4D;

/// A problem found at a byte offset; becomes [`Error::File`] with the path.
type Damage = (u64, String);

/// One pcapng interface (or the single implicit one of a pcap file).
struct Iface {
    link_type: LinkType,
    name: String,
    snaplen: u32,
    /// `if_tsresol`: bit 7 clear → 10^-n s, set → 2^-n s.
    tsresol: u8,
    /// `if_tsoffset`, seconds.
    tsoffset: i64,
}

impl Iface {
    fn unnamed(index: usize, link_type: LinkType, snaplen: u32, tsresol: u8) -> Iface {
        Iface {
            link_type,
            name: format!("if{index}"),
            snaplen,
            tsresol,
            tsoffset: 0,
        }
    }
}

/// The file's format and byte order.
#[derive(Clone, Copy)]
enum Format {
    /// The file header is not read yet.
    Unread,
    Pcap {
        big_endian: bool,
    },
    Pcapng {
        big_endian: bool,
    },
}

/// An open capture file.
pub(crate) struct FileSource {
    path: String,
    bytes: Bytes,
    format: Format,
    ifaces: Vec<Iface>,
    received: u64,
    eof: bool,
    failed: Option<Damage>,
}

/// What one step of the loop did.
enum Step {
    Packet(Verdict),
    Skipped,
    Eof,
    /// A breaker ended the wait for more bytes; the step runs again next time.
    Ended,
}

impl FileSource {
    /// Opens `path` (`-` = standard input). The header of a regular file is
    /// read now; that of a pipe, FIFO or terminal by the first run.
    pub(crate) fn open(path: &Path, shared: &Shared) -> Result<FileSource, Error> {
        let bytes = Bytes::open(path, BUFFER_SIZE, shared)?;
        let mut source = FileSource::new(path.display().to_string(), bytes);
        if !source.bytes.may_wait() {
            source.read_header_now(shared)?;
        }
        Ok(source)
    }

    /// Reads a capture from any byte stream; `name` stands for the path in
    /// errors. The header is read now.
    pub(crate) fn from_reader(
        name: &str,
        reader: Box<dyn Read + Send>,
        shared: &Shared,
    ) -> Result<FileSource, Error> {
        let mut source = FileSource::new(name.to_string(), Bytes::stream(reader, BUFFER_SIZE));
        source.read_header_now(shared)?;
        Ok(source)
    }

    fn new(path: String, bytes: Bytes) -> FileSource {
        FileSource {
            path,
            bytes,
            format: Format::Unread,
            ifaces: Vec::new(),
            received: 0,
            eof: false,
            failed: None,
        }
    }

    /// Reads the file header at open, so that a file that is not a capture
    /// fails there.
    fn read_header_now(&mut self, shared: &Shared) -> Result<(), Error> {
        match self.read_header(shared) {
            Ok(_) => Ok(()),
            Err(damage) => Err(self.error(damage)),
        }
    }

    /// `Bytes::fill`: `None` when a breaker ended the wait, a failed read as
    /// damage at `offset`. Inlined for the common case, the bytes already
    /// at hand: two calls per packet.
    #[inline]
    fn fill(&mut self, need: usize, shared: &Shared, offset: u64) -> Result<Option<usize>, Damage> {
        let have = self.bytes.data().len();
        if have >= need {
            return Ok(Some(have));
        }
        self.fill_more(need, shared, offset)
    }

    /// [`FileSource::fill`] when the buffer holds less than `need`: reads.
    #[inline(never)]
    fn fill_more(
        &mut self,
        need: usize,
        shared: &Shared,
        offset: u64,
    ) -> Result<Option<usize>, Damage> {
        match self.bytes.fill(need, shared) {
            Ok(have) => Ok(Some(have)),
            Err(Short::Ended) => Ok(None),
            Err(Short::Failed(reason)) => Err((offset, reason)),
        }
    }

    pub(crate) fn run<H: Handler + ?Sized>(
        &mut self,
        handler: &mut H,
        shared: &Shared,
    ) -> Result<LoopEnd, Error> {
        loop {
            if let Some(failed) = &self.failed {
                return Err(self.error(failed.clone()));
            }
            if self.eof {
                return Ok(LoopEnd::Eof);
            }
            if shared.is_ended() {
                shared.take_ended();
                return Ok(LoopEnd::Ended);
            }
            let step = match self.format {
                Format::Unread => self.read_header(shared),
                Format::Pcap { big_endian } => self.step_pcap(handler, big_endian, shared),
                Format::Pcapng { .. } => self.step_pcapng(handler, shared),
            };
            match step {
                Ok(Step::Packet(Verdict::Stop)) => return Ok(LoopEnd::Stopped),
                Ok(Step::Packet(Verdict::Continue)) | Ok(Step::Skipped) => {}
                Ok(Step::Eof) => self.eof = true,
                Ok(Step::Ended) => {
                    shared.take_ended();
                    return Ok(LoopEnd::Ended);
                }
                Err(damage) => self.failed = Some(damage),
            }
        }
    }

    pub(crate) fn stats(&mut self) -> Result<Stats, Error> {
        Ok(Stats {
            received: self.received,
            dropped: 0,
        })
    }

    pub(crate) fn close(self) -> Result<(), Error> {
        Ok(())
    }

    fn error(&self, (offset, reason): Damage) -> Error {
        Error::File {
            path: self.path.clone(),
            offset,
            reason,
        }
    }
}

/// The packet type: from the Linux cooked header, else from the pcapng
/// `epb_flags`, else `Host`.
fn packet_type(link_type: LinkType, data: &[u8], epb_flags: u32) -> PacketType {
    match link_type {
        LinkType::LINUX_SLL if data.len() >= 2 => {
            let value = u16::from_be_bytes([data[0], data[1]]);
            PacketType::from_sll(u8::try_from(value).unwrap_or(u8::MAX))
        }
        LinkType::LINUX_SLL2 if data.len() >= 11 => PacketType::from_sll(data[10]),
        _ => match (epb_flags & 0x3, (epb_flags >> 2) & 0x7) {
            (2, _) => PacketType::Outgoing,
            (_, 2) => PacketType::Multicast,
            (_, 3) => PacketType::Broadcast,
            (_, 4) => PacketType::OtherHost,
            _ => PacketType::Host,
        },
    }
}

/// The u16 at `at` in the given byte order (0 past the end: callers check lengths first).
fn u16_at(b: &[u8], at: usize, big_endian: bool) -> u16 {
    let bytes = match b.get(at..at + 2) {
        Some(&[x, y]) => [x, y],
        _ => return 0,
    };
    if big_endian {
        u16::from_be_bytes(bytes)
    } else {
        u16::from_le_bytes(bytes)
    }
}

/// The u32 at `at` in the given byte order (0 past the end: callers check lengths first).
fn u32_at(b: &[u8], at: usize, big_endian: bool) -> u32 {
    let bytes = match b.get(at..at + 4) {
        Some(&[w, x, y, z]) => [w, x, y, z],
        _ => return 0,
    };
    if big_endian {
        u32::from_be_bytes(bytes)
    } else {
        u32::from_le_bytes(bytes)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{self, Cursor, Read};
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::Session;

    /// One packet as a test sees it.
    #[derive(Debug, Clone, PartialEq)]
    struct Seen {
        ts_ns: u64,
        len: u32,
        ifindex: u32,
        ifname: String,
        pkttype: PacketType,
        link_type: u16,
        data: Vec<u8>,
    }

    fn session(bytes: Vec<u8>) -> Result<Session, Error> {
        Session::open_reader("test.pcap", Box::new(Cursor::new(bytes)))
    }

    /// The same bytes as a regular file, opened by path.
    fn file_session(bytes: &[u8]) -> Result<Session, Error> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "mycap-file-test-{}-{}.pcap",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, bytes).unwrap();
        let session = Session::open_file(&path);
        // The open file outlives its name.
        std::fs::remove_file(&path).unwrap();
        session
    }

    /// A file error as if the file were named `test.pcap`.
    fn renamed<T>(result: Result<T, Error>) -> Result<T, Error> {
        result.map_err(|err| match err {
            Error::File { offset, reason, .. } => Error::File {
                path: "test.pcap".into(),
                offset,
                reason,
            },
            other => other,
        })
    }

    /// Runs a session to the end; returns the packets and how the loop ended.
    fn drain(session: Result<Session, Error>) -> (Vec<Seen>, Result<LoopEnd, Error>) {
        let mut session = match renamed(session) {
            Ok(session) => session,
            Err(err) => return (Vec::new(), Err(err)),
        };
        let mut seen = Vec::new();
        let end = session.run(&mut |h: &PacketHeader<'_>, data: &[u8]| {
            assert_eq!(h.caplen as usize, data.len());
            assert_eq!(h.vlan, None);
            seen.push(Seen {
                ts_ns: h.ts_ns,
                len: h.len,
                ifindex: h.ifindex,
                ifname: h.ifname.to_string(),
                pkttype: h.pkttype,
                link_type: h.link_type.0,
                data: data.to_vec(),
            });
            Verdict::Continue
        });
        (seen, renamed(end))
    }

    /// Runs to the end both from a reader and from a file opened by path,
    /// checks that both saw the same; returns the packets and how the loop ended.
    fn read_all(bytes: Vec<u8>) -> (Vec<Seen>, Result<LoopEnd, Error>) {
        let by_path = drain(file_session(&bytes));
        let streamed = drain(session(bytes));
        assert_eq!(format!("{by_path:?}"), format!("{streamed:?}"));
        streamed
    }

    fn offset_of(end: Result<LoopEnd, Error>) -> (u64, String) {
        match end {
            Err(Error::File {
                path,
                offset,
                reason,
            }) => {
                assert_eq!(path, "test.pcap");
                (offset, reason)
            }
            other => panic!("expected a file error, got {other:?}"),
        }
    }

    fn put32(out: &mut Vec<u8>, v: u32, be: bool) {
        out.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
    }

    fn put16(out: &mut Vec<u8>, v: u16, be: bool) {
        out.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
    }

    /// A pcap file: header, then (seconds, fraction, original length, bytes) records.
    fn pcap(be: bool, nanos: bool, link_type: u32, records: &[(u32, u32, u32, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        put32(&mut out, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }, be);
        put16(&mut out, 2, be);
        put16(&mut out, 4, be);
        put32(&mut out, 0, be);
        put32(&mut out, 0, be);
        put32(&mut out, 65535, be);
        put32(&mut out, link_type, be);
        for &(sec, frac, len, data) in records {
            put32(&mut out, sec, be);
            put32(&mut out, frac, be);
            put32(&mut out, data.len() as u32, be);
            put32(&mut out, len, be);
            out.extend_from_slice(data);
        }
        out
    }

    /// A pcapng option list (with opt_endofopt).
    fn options(be: bool, opts: &[(u16, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for &(code, value) in opts {
            put16(&mut out, code, be);
            put16(&mut out, value.len() as u16, be);
            out.extend_from_slice(value);
            out.resize(out.len().next_multiple_of(4), 0);
        }
        if !opts.is_empty() {
            out.extend_from_slice(&[0; 4]);
        }
        out
    }

    /// A pcapng block around `body` (padded to 4 bytes).
    fn block(be: bool, block_type: u32, body: &[u8]) -> Vec<u8> {
        let padded = body.len().next_multiple_of(4);
        let total = (12 + padded) as u32;
        let mut out = Vec::new();
        put32(&mut out, block_type, be);
        put32(&mut out, total, be);
        out.extend_from_slice(body);
        out.resize(8 + padded, 0);
        put32(&mut out, total, be);
        out
    }

    fn shb(be: bool) -> Vec<u8> {
        let mut body = Vec::new();
        put32(&mut body, BOM, be);
        put16(&mut body, 1, be);
        put16(&mut body, 0, be);
        body.extend_from_slice(&[0xff; 8]);
        block(be, SHB, &body)
    }

    fn idb(be: bool, link_type: u16, opts: &[(u16, &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        put16(&mut body, link_type, be);
        put16(&mut body, 0, be);
        put32(&mut body, 0, be);
        body.extend_from_slice(&options(be, opts));
        block(be, IDB, &body)
    }

    fn epb(
        be: bool,
        if_id: u32,
        ticks: u64,
        len: u32,
        data: &[u8],
        opts: &[(u16, &[u8])],
    ) -> Vec<u8> {
        let mut body = Vec::new();
        put32(&mut body, if_id, be);
        put32(&mut body, (ticks >> 32) as u32, be);
        put32(&mut body, ticks as u32, be);
        put32(&mut body, data.len() as u32, be);
        put32(&mut body, len, be);
        body.extend_from_slice(data);
        body.resize(body.len().next_multiple_of(4), 0);
        body.extend_from_slice(&options(be, opts));
        block(be, EPB, &body)
    }

    fn spb(be: bool, len: u32, data: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        put32(&mut body, len, be);
        body.extend_from_slice(data);
        block(be, SPB, &body)
    }

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
            assert_eq!(end.ok(), Some(LoopEnd::Eof), "be {be} nanos {nanos}");
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
        assert_eq!(end.ok(), Some(LoopEnd::Eof));
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
        assert_eq!(end.ok(), Some(LoopEnd::Eof));
        assert_eq!(seen.len(), 2);
        assert_eq!((seen[0].ifname.as_str(), seen[0].ts_ns), ("le0", 1000));
        assert_eq!(
            (seen[1].ifname.as_str(), seen[1].ifindex, seen[1].ts_ns),
            ("be1", 1, 2000)
        );
        assert_eq!(seen[1].data, vec![4, 5, 6, 7]);
    }

    #[test]
    fn damage_is_reported_at_its_offset_after_the_good_packets() {
        let good = pcap(
            false,
            false,
            1,
            &[(1, 0, 4, &[1, 2, 3, 4]), (2, 0, 2, &[5, 6])],
        );
        let first_bad = good.len() as u64;

        // Cut inside the next record header, then inside its data.
        let mut cut = good.clone();
        cut.extend_from_slice(&[0; 10]);
        let (seen, end) = read_all(cut);
        assert_eq!(seen.len(), 2);
        assert_eq!(offset_of(end).0, first_bad);
        let mut cut = pcap(
            false,
            false,
            1,
            &[
                (1, 0, 4, &[1, 2, 3, 4]),
                (2, 0, 2, &[5, 6]),
                (3, 0, 100, &[7; 100]),
            ],
        );
        cut.truncate(cut.len() - 1);
        let (seen, end) = read_all(cut);
        assert_eq!(seen.len(), 2);
        let (offset, reason) = offset_of(end);
        assert_eq!(offset, first_bad);
        assert!(reason.contains("cut short"), "{reason}");

        // An absurd captured length: reported, nothing allocated for it.
        let mut absurd = good.clone();
        absurd.extend_from_slice(&[
            0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f,
        ]);
        let (seen, end) = read_all(absurd);
        assert_eq!(seen.len(), 2);
        let (offset, reason) = offset_of(end);
        assert_eq!(offset, first_bad);
        assert!(
            reason.contains("absurd captured length 2147483647"),
            "{reason}"
        );

        // pcapng: a block with a length that is not a multiple of 4, and one
        // whose trailing length disagrees.
        let mut ng = shb(false);
        ng.extend(idb(false, 1, &[]));
        ng.extend(epb(false, 0, 1, 1, &[1], &[]));
        let good_ng = ng.len() as u64;
        let mut bad_len = ng.clone();
        bad_len.extend_from_slice(&[6, 0, 0, 0, 33, 0, 0, 0]);
        bad_len.extend_from_slice(&[0; 40]);
        let (seen, end) = read_all(bad_len);
        assert_eq!(seen.len(), 1);
        assert_eq!(offset_of(end).0, good_ng + 4);
        let mut bad_trailer = ng.clone();
        let mut next = epb(false, 0, 2, 1, &[2], &[]);
        let n = next.len();
        next[n - 4] ^= 0x40;
        bad_trailer.extend(next);
        let (seen, end) = read_all(bad_trailer);
        assert_eq!(seen.len(), 1);
        assert_eq!(offset_of(end).0, good_ng + n as u64 - 4);
        // A packet on an interface never described.
        let mut no_iface = ng.clone();
        no_iface.extend(epb(false, 5, 2, 1, &[2], &[]));
        let (seen, end) = read_all(no_iface);
        assert_eq!(seen.len(), 1);
        assert!(offset_of(end).1.contains("interface 5"));
        // An option running past the end of its block.
        let mut bad_opt = ng;
        bad_opt.extend(epb(false, 0, 2, 1, &[2], &[(2, &[0; 4])]));
        // Option header, value, end of options, trailing length: 16 bytes.
        let at = bad_opt.len() - 16;
        bad_opt[at + 2] = 200;
        let (seen, end) = read_all(bad_opt);
        assert_eq!(seen.len(), 1);
        assert_eq!(offset_of(end).0, at as u64);
    }

    #[test]
    fn not_a_capture_file_fails_at_open() {
        let cases: [(&[u8], u64, &str); 5] = [
            (b"", 0, "empty"),
            (b"\xd4\xc3", 0, "inside the file header"),
            (
                b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                0,
                "unknown magic number 47455420",
            ),
            (
                b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00",
                0,
                "24-byte pcap file header",
            ),
            (
                b"\n\r\r\n\x1c\x00\x00\x00\x00\x00\x00\x00",
                8,
                "byte-order magic",
            ),
        ];
        for (bytes, want, words) in cases {
            let (offset, reason) = offset_of(read_all(bytes.to_vec()).1);
            assert_eq!(offset, want, "{reason}");
            assert!(reason.contains(words), "{reason}");
        }
        let mut short = shb(false);
        short.truncate(20);
        let (offset, reason) = offset_of(read_all(short).1);
        assert_eq!(offset, 0);
        assert!(reason.contains("20 of 28 bytes"), "{reason}");
        let mut huge = shb(false);
        huge[4..8].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
        let (offset, reason) = offset_of(read_all(huge).1);
        assert_eq!(offset, 4);
        assert!(reason.contains("absurd block length"), "{reason}");
    }

    #[test]
    fn the_error_stays_and_runs_after_eof_return_eof() {
        let mut cut = pcap(false, false, 1, &[(1, 0, 1, &[1])]);
        cut.extend_from_slice(&[1, 2, 3]);
        let mut s = session(cut).unwrap();
        let mut count = 0;
        let mut handler = |_: &PacketHeader<'_>, _: &[u8]| {
            count += 1;
            Verdict::Continue
        };
        assert!(s.run(&mut handler).is_err());
        assert!(s.run(&mut handler).is_err());
        let mut s = session(pcap(false, false, 1, &[(1, 0, 1, &[1])])).unwrap();
        assert_eq!(s.run(&mut handler).ok(), Some(LoopEnd::Eof));
        assert_eq!(s.run(&mut handler).ok(), Some(LoopEnd::Eof));
        assert_eq!(count, 2);
    }

    #[test]
    fn stop_and_end_resume_at_the_next_packet() {
        let records: Vec<(u32, u32, u32, &[u8])> = (0..5).map(|i| (i, 0, 1, &[0u8][..])).collect();
        let mut s = session(pcap(false, false, 1, &records)).unwrap();
        let breaker = s.breaker();
        let mut seen = Vec::new();
        let end = s.run(&mut |h: &PacketHeader<'_>, _: &[u8]| {
            seen.push(h.ts_ns / 1_000_000_000);
            if seen.len() == 2 {
                Verdict::Stop
            } else {
                Verdict::Continue
            }
        });
        assert_eq!(end.ok(), Some(LoopEnd::Stopped));
        assert_eq!(s.stats().unwrap().received, 2);
        let end = s.run(&mut |h: &PacketHeader<'_>, _: &[u8]| {
            seen.push(h.ts_ns / 1_000_000_000);
            if seen.len() == 3 {
                breaker.end();
            }
            Verdict::Continue
        });
        assert_eq!(end.ok(), Some(LoopEnd::Ended));
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

    /// A reader that hands out at most 3 bytes per call, as a slow pipe does.
    struct Trickle(Cursor<Vec<u8>>);

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(3);
            self.0.read(&mut buf[..n])
        }
    }

    #[test]
    fn short_reads_of_a_pipe_lose_nothing() {
        let payload: Vec<u8> = (0..=255).collect();
        let records: Vec<(u32, u32, u32, &[u8])> =
            (0..50).map(|i| (i, 0, 256, &payload[..])).collect();
        let mut ng = shb(false);
        ng.extend(idb(false, 1, &[(2, b"pipe0")]));
        for i in 0..50 {
            ng.extend(epb(false, 0, i, 256, &payload, &[]));
        }
        for bytes in [pcap(true, true, 1, &records), ng] {
            let mut s =
                Session::open_reader("pipe", Box::new(Trickle(Cursor::new(bytes)))).unwrap();
            let mut count = 0;
            let end = s.run(&mut |_: &PacketHeader<'_>, data: &[u8]| {
                assert_eq!(data, &payload[..]);
                count += 1;
                Verdict::Continue
            });
            assert_eq!(end.ok(), Some(LoopEnd::Eof));
            assert_eq!(count, 50);
        }
    }

    #[test]
    fn truncated_and_corrupted_files_never_panic() {
        let mut ng = shb(false);
        ng.extend(idb(false, 1, &[(2, b"eth0"), (9, &[9])]));
        ng.extend(epb(
            false,
            0,
            7,
            70,
            &[0x11; 61],
            &[(2, &1u32.to_le_bytes())],
        ));
        ng.extend(spb(false, 9, &[0x22; 9]));
        ng.extend(shb(true));
        ng.extend(idb(true, 113, &[]));
        ng.extend(epb(true, 0, 8, 20, &[0x33; 20], &[]));
        let pc = pcap(
            true,
            true,
            113,
            &[(1, 2, 30, &[0x44; 30]), (3, 4, 5, &[0x55; 5])],
        );
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for file in [ng, pc] {
            for cut in 0..=file.len() {
                let (seen, end) = read_all(file[..cut].to_vec());
                if let Err(Error::File { offset, .. }) = &end {
                    assert!(*offset <= cut as u64, "offset {offset} past the end {cut}");
                }
                assert!(end.is_err() || seen.len() <= 4);
            }
            for _ in 0..1000 {
                let mut bad = file.clone();
                for _ in 0..1 + next() % 4 {
                    let at = (next() % bad.len() as u64) as usize;
                    bad[at] = next() as u8;
                }
                let (_, end) = read_all(bad);
                assert!(
                    matches!(end, Ok(LoopEnd::Eof) | Err(Error::File { .. })),
                    "{end:?}"
                );
            }
        }
    }

    /// A FIFO made with mkfifo(1) in the temporary folder, removed on drop.
    struct Fifo(std::path::PathBuf);

    impl Fifo {
        fn new() -> Fifo {
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let path = std::env::temp_dir().join(format!(
                "mycap-fifo-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_file(&path);
            let made = std::process::Command::new("mkfifo").arg(&path).status();
            assert!(made.is_ok_and(|s| s.success()), "mkfifo {}", path.display());
            Fifo(path)
        }

        /// Opens a session on the FIFO, failing if that waits for a writer.
        fn open(&self) -> Session {
            let (tx, rx) = std::sync::mpsc::channel();
            let path = self.0.clone();
            std::thread::spawn(move || {
                let _ = tx.send(Session::open_file(&path));
            });
            match rx.recv_timeout(std::time::Duration::from_secs(5)) {
                Ok(opened) => opened.unwrap(),
                Err(_) => {
                    drop(self.writer()); // lets the blocked open return
                    panic!("opening a FIFO without a writer waited for one");
                }
            }
        }

        /// Opens the writing end (the reader is open, so this does not wait).
        fn writer(&self) -> std::fs::File {
            std::fs::OpenOptions::new()
                .write(true)
                .open(&self.0)
                .unwrap()
        }
    }

    impl Drop for Fifo {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    /// Runs `session` on another thread, counting packets into `seen`;
    /// returns it with how the loop ended, or `None` after `limit`.
    fn run_bounded(
        session: Session,
        seen: &std::sync::Arc<std::sync::atomic::AtomicUsize>,
        limit: std::time::Duration,
    ) -> Option<(Session, Result<LoopEnd, Error>)> {
        let (tx, rx) = std::sync::mpsc::channel();
        let seen = std::sync::Arc::clone(seen);
        std::thread::spawn(move || {
            let mut session = session;
            let end = session.run(&mut |_: &PacketHeader<'_>, _: &[u8]| {
                seen.fetch_add(1, Ordering::Relaxed);
                Verdict::Continue
            });
            let _ = tx.send((session, end));
        });
        rx.recv_timeout(limit).ok()
    }

    /// Waits at most a few seconds until `seen` reaches `n`.
    fn wait_seen(seen: &std::sync::atomic::AtomicUsize, n: usize) {
        let started = std::time::Instant::now();
        while seen.load(Ordering::Relaxed) < n {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(5),
                "{} of {n} packets",
                seen.load(Ordering::Relaxed)
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    #[test]
    fn a_breaker_ends_a_run_that_waits_for_a_fifo_and_the_loop_runs_again() {
        use std::io::Write;
        use std::sync::atomic::AtomicUsize;
        use std::sync::Arc;
        use std::time::Duration;

        let limit = Duration::from_secs(5);
        let fifo = Fifo::new();
        let session = fifo.open();
        let breaker = session.breaker();
        let seen = Arc::new(AtomicUsize::new(0));

        // No writer yet: the first run waits for the header; end() ends it.
        let ender = breaker.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            ender.end();
        });
        let (session, end) = run_bounded(session, &seen, limit).expect("the breaker ended the run");
        assert_eq!(end.ok(), Some(LoopEnd::Ended));

        // A writer sends the header and two packets, then nothing.
        let records: Vec<(u32, u32, u32, &[u8])> =
            (0..3).map(|i| (i, 0, 2, &[7u8, 8][..])).collect();
        let bytes = pcap(false, false, 1, &records);
        let third = bytes.len() - 18;
        let mut writer = fifo.writer();
        writer.write_all(&bytes[..third]).unwrap();
        let ender = breaker.clone();
        let counted = Arc::clone(&seen);
        std::thread::spawn(move || {
            wait_seen(&counted, 2);
            std::thread::sleep(Duration::from_millis(50));
            ender.end();
        });
        let (session, end) = run_bounded(session, &seen, limit).expect("the breaker ended the run");
        assert_eq!(end.ok(), Some(LoopEnd::Ended));
        assert_eq!(seen.load(Ordering::Relaxed), 2);

        // Half of the third record, then the loop is ended again: the next
        // run resumes in the middle of the record.
        writer.write_all(&bytes[third..third + 9]).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        breaker.end();
        let (session, end) = run_bounded(session, &seen, limit).expect("the breaker ended the run");
        assert_eq!(end.ok(), Some(LoopEnd::Ended));
        assert_eq!(seen.load(Ordering::Relaxed), 2);

        // The rest, and the writer closes: the end of the file.
        writer.write_all(&bytes[third + 9..]).unwrap();
        drop(writer);
        let (mut session, end) = run_bounded(session, &seen, limit).expect("the file ended");
        assert_eq!(end.ok(), Some(LoopEnd::Eof));
        assert_eq!(seen.load(Ordering::Relaxed), 3);
        assert_eq!(session.stats().unwrap().received, 3);
    }

    #[test]
    fn a_fifo_that_sends_no_capture_fails_at_its_first_run() {
        use std::io::Write;

        let fifo = Fifo::new();
        let mut session = fifo.open();
        let mut writer = fifo.writer();
        writer.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        drop(writer);
        let mut handler = |_: &PacketHeader<'_>, _: &[u8]| Verdict::Continue;
        for _ in 0..2 {
            match session.run(&mut handler) {
                Err(Error::File {
                    path,
                    offset,
                    reason,
                }) => {
                    assert_eq!((path, offset), (fifo.0.display().to_string(), 0));
                    assert!(reason.contains("unknown magic number 47455420"), "{reason}");
                }
                other => panic!("expected a file error, got {other:?}"),
            }
        }
    }
}
