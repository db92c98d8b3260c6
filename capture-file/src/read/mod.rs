//! The reader: pcap and pcapng capture files (or standard input, or any byte stream), a record at a time, each packet borrowed from a bounded buffer.
//!
//! The bytes go through a bounded circular buffer (128 KiB, grown once to
//! 2 MiB if a block needs it) and each record is cut in place. A record is
//! never longer than [`MAX_BLOCK`], and a packet's captured length never
//! more than [`MAX_CAPLEN`], so no allocation is ever sized by a length
//! field of the file. Every length is checked before its record is read,
//! and a damaged file gives a [`FileError`] naming the byte offset of the
//! damaged record, after every packet before it was handed over; every
//! later call gives the same error.
//!
//! What a file says of each packet (its [`Record`]):
//! - `interface`: the pcapng interface id (0 for pcap); `ifname`: the pcapng
//!   `if_name` option, else `if<index>` (`if0` for pcap files);
//! - `packet_type`: from the Linux cooked header for link types 113 and 276;
//!   else from the pcapng `epb_flags` option (outbound → `Outgoing`,
//!   reception type unicast/multicast/broadcast/promiscuous →
//!   `Host`/`Multicast`/`Broadcast`/`OtherHost`); else, for Ethernet, from
//!   the destination address (all ones → `Broadcast`, group bit →
//!   `Multicast`); else `Host`. So a file gives `Outgoing` and `OtherHost`
//!   only where it recorded them (cooked captures, pcapng flags): a pcap of
//!   Ethernet frames cannot tell the capturing host's unicast from another's;
//! - `len`: the original length, raised to the captured length if a damaged
//!   record claims less;
//! - `ts_ns`: from the pcap magic (µs or ns) or the interface's `if_tsresol`
//!   and `if_tsoffset`.
//!
//! A pipe, FIFO or terminal may send nothing for a long time: its reads wait
//! in poll, which an [`Interrupt`] ends (see `input`), and its file header is
//! read by the first [`Reader::next`] rather than when it is opened, so that
//! an interrupt can end that wait too.
//!
//! Here: the reader and its loop. `input` holds the bytes and their buffer,
//! `sniff` tells the format, `pcap` and `pcapng` cut their records,
//! `timestamps` converts pcapng ticks.

mod input;
mod pcap;
mod pcapng;
mod sniff;
mod timestamps;

#[cfg(test)]
mod tests;

use std::io::Read;
use std::path::Path;

use crate::bytes::{u16_at, u32_at};
use crate::limits::{MAX_BLOCK, MAX_CAPLEN, MAX_INTERFACES};
use crate::{cooked, FileError, Interrupt, LinkType, Never, PacketType, Record};

use input::{Bytes, Short};

/// A stream's read buffer at most: twice the largest block (grown to when a
/// block needs more than half of the initial one).
const BUFFER_SIZE: usize = 2 * MAX_BLOCK;

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const PB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;
const BOM: u32 = 0x1A2B_3C4D;

/// A problem found at a byte offset.
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

/// A packet found in the buffer: where its bytes are, and what its record
/// says (the interface's part is looked up by `iface`).
struct Found {
    /// Bytes of its record, consumed by the next call.
    record_len: usize,
    /// Its bytes: `data_len` bytes from `data_at` in the record.
    data_at: usize,
    data_len: usize,
    iface: usize,
    ts_ns: u64,
    len: u32,
    /// `epb_flags` (0 when the record has none).
    flags: u32,
}

/// What one step of the loop did.
enum Step {
    Packet(Found),
    Skipped,
    Eof,
    /// The interrupt ended the wait for more bytes; the step runs again next time.
    Ended,
}

/// What [`Reader::next`] found.
#[derive(Debug)]
pub enum Next<'a> {
    /// A packet: its record and its bytes, borrowed until the next call.
    Packet(Record<'a>, &'a [u8]),
    /// The end of the file (every later call says so too).
    Eof,
    /// The [`Interrupt`] said to return; the next call goes on where this
    /// one stopped, nothing lost.
    Ended,
}

/// An open capture file, read a packet at a time.
pub struct Reader {
    /// The path (or name), for the debug log.
    name: String,
    bytes: Bytes,
    format: Format,
    ifaces: Vec<Iface>,
    /// Bytes of the last packet's record, consumed by the next call.
    pending: usize,
    packets: u64,
    eof: bool,
    failed: Option<Damage>,
}

impl Reader {
    /// Opens `path` (`-` = standard input). The header of a regular file is
    /// read now; that of a pipe, FIFO or terminal by the first
    /// [`Reader::next`] ([`Reader::may_wait`]).
    ///
    /// # Errors
    /// The file cannot be opened (offset 0), or its header is not a pcap or
    /// pcapng file's.
    pub fn open(path: &Path) -> Result<Reader, FileError> {
        let bytes = Bytes::open(path, BUFFER_SIZE)?;
        let mut reader = Reader::new(path.display().to_string(), bytes);
        if !reader.bytes.may_wait() {
            reader.read_header_now()?;
        }
        Ok(reader)
    }

    /// Reads a capture from any byte stream; `name` stands for the path in
    /// the debug log. The header is read now. An interrupt cannot end a
    /// read that blocks inside `reader`.
    ///
    /// # Errors
    /// The header is not a pcap or pcapng file's, or reading it failed.
    pub fn from_reader(name: &str, reader: Box<dyn Read + Send>) -> Result<Reader, FileError> {
        let mut reader = Reader::new(name.to_string(), Bytes::stream(reader, BUFFER_SIZE));
        reader.read_header_now()?;
        Ok(reader)
    }

    fn new(name: String, bytes: Bytes) -> Reader {
        Reader {
            name,
            bytes,
            format: Format::Unread,
            ifaces: Vec::new(),
            pending: 0,
            packets: 0,
            eof: false,
            failed: None,
        }
    }

    /// Whether a read may wait for a writer (a pipe, FIFO or terminal opened
    /// by path): then the [`Interrupt`] given to [`Reader::next`] should
    /// have a wake descriptor, so that it can end that wait.
    pub fn may_wait(&self) -> bool {
        self.bytes.may_wait()
    }

    /// How many packets [`Reader::next`] has handed over.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Reads the file header at open, so that a file that is not a capture
    /// fails there.
    fn read_header_now(&mut self) -> Result<(), FileError> {
        match self.read_header(&Never) {
            Ok(_) => Ok(()),
            Err((offset, reason)) => Err(FileError::new(offset, reason)),
        }
    }

    /// The next packet, the end of the file, or [`Next::Ended`] when
    /// `interrupt` says to return (asked before every record and around
    /// every wait).
    ///
    /// # Errors
    /// The file is damaged, or a read failed: at the byte offset of the
    /// record. Every later call gives the same error.
    #[inline]
    pub fn next<I: Interrupt + ?Sized>(&mut self, interrupt: &I) -> Result<Next<'_>, FileError> {
        if self.pending > 0 {
            self.bytes.consume(self.pending);
            self.pending = 0;
        }
        let found = loop {
            if let Some((offset, reason)) = &self.failed {
                return Err(FileError::new(*offset, reason.clone()));
            }
            if self.eof {
                return Ok(Next::Eof);
            }
            if interrupt.is_ended() {
                return Ok(Next::Ended);
            }
            let step = match self.format {
                Format::Unread => self.read_header(interrupt),
                Format::Pcap { big_endian } => self.step_pcap(big_endian, interrupt),
                Format::Pcapng { .. } => self.step_pcapng(interrupt),
            };
            match step {
                Ok(Step::Packet(found)) => break found,
                Ok(Step::Skipped) => {}
                Ok(Step::Eof) => self.eof = true,
                Ok(Step::Ended) => return Ok(Next::Ended),
                Err(damage) => self.failed = Some(damage),
            }
        };
        self.pending = found.record_len;
        self.packets += 1;
        let iface = &self.ifaces[found.iface];
        let data = &self.bytes.data()[found.data_at..found.data_at + found.data_len];
        let record = Record {
            ts_ns: found.ts_ns,
            caplen: data.len() as u32,
            len: found.len.max(data.len() as u32),
            interface: found.iface as u32,
            ifname: &iface.name,
            packet_type: packet_type(iface.link_type, data, found.flags),
            link_type: iface.link_type,
        };
        Ok(Next::Packet(record, data))
    }

    /// `Bytes::fill`: `None` when the interrupt ended the wait, a failed
    /// read as damage at `offset`. Inlined for the common case, the bytes
    /// already at hand: two calls per packet.
    #[inline]
    fn fill<I: Interrupt + ?Sized>(
        &mut self,
        need: usize,
        interrupt: &I,
        offset: u64,
    ) -> Result<Option<usize>, Damage> {
        let have = self.bytes.data().len();
        if have >= need {
            return Ok(Some(have));
        }
        self.fill_more(need, interrupt, offset)
    }

    /// [`Reader::fill`] when the buffer holds less than `need`: reads.
    #[inline(never)]
    fn fill_more<I: Interrupt + ?Sized>(
        &mut self,
        need: usize,
        interrupt: &I,
        offset: u64,
    ) -> Result<Option<usize>, Damage> {
        match self.bytes.fill(need, interrupt) {
            Ok(have) => Ok(Some(have)),
            Err(Short::Ended) => Ok(None),
            Err(Short::Failed(reason)) => Err((offset, reason)),
        }
    }
}

/// The packet type a file gives: the Linux cooked header's; else the one a
/// pcapng `epb_flags` option recorded (outbound, or a reception type);
/// else, for Ethernet, what the destination address says (broadcast,
/// multicast, else addressed to the capturing host, which a file cannot
/// tell from another host's unicast); else `Host`.
#[inline]
fn packet_type(link_type: LinkType, data: &[u8], epb_flags: u32) -> PacketType {
    if let Some(cooked) = cooked::packet_type(link_type, data) {
        return cooked;
    }
    match (epb_flags & 0x3, (epb_flags >> 2) & 0x7) {
        (2, _) => PacketType::Outgoing,
        (_, 1) => PacketType::Host,
        (_, 2) => PacketType::Multicast,
        (_, 3) => PacketType::Broadcast,
        (_, 4) => PacketType::OtherHost,
        _ => by_destination(link_type, data),
    }
}

/// Broadcast or multicast by the destination address of an Ethernet frame
/// (all ones; the group bit), else `Host`.
#[inline]
fn by_destination(link_type: LinkType, data: &[u8]) -> PacketType {
    match (link_type, data.get(..6)) {
        (LinkType::ETHERNET, Some(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff])) => PacketType::Broadcast,
        (LinkType::ETHERNET, Some(&[first, ..])) if first & 1 == 1 => PacketType::Multicast,
        _ => PacketType::Host,
    }
}
