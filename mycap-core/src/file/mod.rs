//! The file source: pcap and pcapng capture files (or standard input) read through the same loop as a live socket.
//!
//! The bytes stream through `pcap-parser`'s bounded circular buffer
//! ([`BUFFER_SIZE`]); a record is never longer than [`MAX_BLOCK`], and a
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

mod input;

use std::io::Read;
use std::path::Path;

use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{Block, LegacyPcapReader, PcapBlockOwned, PcapNGReader};

use crate::header::{LinkType, PacketHeader, PacketType};
use crate::session::{Handler, LoopEnd, Shared, Stats, Verdict};
use crate::Error;

use input::{ErrorSlot, Input};

/// The largest captured length accepted in a record (as libpcap's
/// `MAXIMUM_SNAPLEN`); a longer one means the file is damaged.
pub const MAX_CAPLEN: u32 = 262_144;
/// The largest pcapng block accepted (a maximal packet plus room for options).
pub const MAX_BLOCK: usize = 1 << 20;
/// The read buffer: twice the largest block, allocated once per file.
const BUFFER_SIZE: usize = 2 * MAX_BLOCK;
/// At most this many pcapng interfaces per section.
const MAX_INTERFACES: usize = 65_536;

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

enum Format {
    Pcap {
        reader: LegacyPcapReader<Input>,
        big_endian: bool,
    },
    Pcapng {
        reader: PcapNGReader<Input>,
        big_endian: bool,
    },
}

/// An open capture file.
pub(crate) struct FileSource {
    path: String,
    /// Boxed: the readers are large, and a session holds either source inline.
    format: Box<Format>,
    errors: ErrorSlot,
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
}

impl FileSource {
    /// Opens `path` (`-` = standard input).
    pub(crate) fn open(path: &Path) -> Result<FileSource, Error> {
        let (input, errors) = Input::open(path)?;
        let name = path.display().to_string();
        FileSource::from_input(name, input, errors)
    }

    /// Reads a capture from any byte stream; `name` stands for the path in errors.
    pub(crate) fn from_reader(
        name: &str,
        reader: Box<dyn Read + Send>,
    ) -> Result<FileSource, Error> {
        let (input, errors) = Input::new(reader);
        FileSource::from_input(name.to_string(), input, errors)
    }

    fn from_input(path: String, mut input: Input, errors: ErrorSlot) -> Result<FileSource, Error> {
        let fail = |offset: u64, reason: String| Error::File {
            path: path.clone(),
            offset,
            reason,
        };
        let mut buffer = circular::Buffer::with_capacity(BUFFER_SIZE);
        let got = input
            .read_at_least(buffer.space(), 24)
            .map_err(|err| fail(0, format!("read failed: {err}")))?;
        buffer.fill(got);
        let head = buffer.data();
        if head.is_empty() {
            return Err(fail(
                0,
                "the file is empty: not a pcap or pcapng capture".into(),
            ));
        }
        if head.len() < 4 {
            return Err(fail(
                0,
                format!(
                    "the file ends after {} bytes, inside the file header",
                    head.len()
                ),
            ));
        }
        let magic = [head[0], head[1], head[2], head[3]];
        match magic {
            [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] | [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => {
                let big_endian = magic[0] == 0xa1;
                let nanos = magic == [0x4d, 0x3c, 0xb2, 0xa1] || magic == [0xa1, 0xb2, 0x3c, 0x4d];
                if head.len() < 24 {
                    return Err(fail(0, format!("the file ends after {} bytes, inside the 24-byte pcap file header", head.len())));
                }
                let major = u16_at(head, 4, big_endian);
                let minor = u16_at(head, 6, big_endian);
                if major != 2 {
                    return Err(fail(4, format!("unsupported pcap version {major}.{minor} (only 2.x exists; the file is damaged or not a pcap file)")));
                }
                let snaplen = u32_at(head, 16, big_endian);
                let link_type = LinkType((u32_at(head, 20, big_endian) & 0xffff) as u16);
                let mut reader = LegacyPcapReader::from_buffer(buffer, input)
                    .map_err(|err| fail(0, format!("bad pcap file header: {err}")))?;
                // The first item is the file header that was just checked.
                match reader.next() {
                    Ok((size, PcapBlockOwned::LegacyHeader(_))) => reader.consume(size),
                    _ => return Err(fail(0, "bad pcap file header".into())),
                }
                let tsresol = if nanos { 9 } else { 6 };
                Ok(FileSource {
                    path: path.clone(),
                    format: Box::new(Format::Pcap { reader, big_endian }),
                    errors,
                    ifaces: vec![Iface::unnamed(0, link_type, snaplen, tsresol)],
                    received: 0,
                    eof: false,
                    failed: None,
                })
            }
            [0x0a, 0x0d, 0x0d, 0x0a] => {
                // Read the whole section header block before handing the buffer over.
                let (big_endian, block_len) =
                    shb_framing(head).map_err(|(offset, reason)| fail(offset, reason))?;
                let have = head.len();
                if have < block_len {
                    let more = input
                        .read_at_least(buffer.space(), block_len - have)
                        .map_err(|err| fail(0, format!("read failed: {err}")))?;
                    buffer.fill(more);
                }
                let reader = PcapNGReader::from_buffer(buffer, input).map_err(|err| {
                    fail(0, format!("bad pcapng section header block: {err}"))
                })?;
                let mut source = FileSource {
                    path: path.clone(),
                    format: Box::new(Format::Pcapng { reader, big_endian }),
                    errors,
                    ifaces: Vec::new(),
                    received: 0,
                    eof: false,
                    failed: None,
                };
                // The section header block is read now, so that a file that is
                // not pcapng fails at open.
                match source.step_pcapng(&mut |_: &PacketHeader<'_>, _: &[u8]| Verdict::Continue) {
                    Ok(_) => Ok(source),
                    Err((offset, reason)) => Err(fail(offset, reason)),
                }
            }
            [0xa1, 0xb2, 0xcd, 0x34] | [0x34, 0xcd, 0xb2, 0xa1] => Err(fail(
                0,
                "modified (Kuznetzov) pcap format is not supported; convert it with `editcap -F pcap`".into(),
            )),
            _ => Err(fail(
                0,
                format!(
                    "not a pcap or pcapng file: unknown magic number {:02x}{:02x}{:02x}{:02x} \
                     (`file` or `capinfos` tells what it is)",
                    magic[0], magic[1], magic[2], magic[3]
                ),
            )),
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
            let step = match *self.format {
                Format::Pcap { .. } => self.step_pcap(handler),
                Format::Pcapng { .. } => self.step_pcapng(handler),
            };
            match step {
                Ok(Step::Packet(Verdict::Stop)) => return Ok(LoopEnd::Stopped),
                Ok(Step::Packet(Verdict::Continue)) | Ok(Step::Skipped) => {}
                Ok(Step::Eof) => self.eof = true,
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

    /// Reads one pcap record and hands its packet over.
    fn step_pcap<H: Handler + ?Sized>(&mut self, handler: &mut H) -> Result<Step, Damage> {
        let Format::Pcap { reader, big_endian } = &mut *self.format else {
            return Ok(Step::Eof);
        };
        let big_endian = *big_endian;
        let offset = reader.consumed() as u64;
        let avail = fill(reader, 16, &self.errors, offset)?;
        if avail == 0 {
            return Ok(Step::Eof);
        }
        if avail < 16 {
            return Err((offset, format!("the file ends inside a packet record header ({avail} of 16 bytes); it was cut short")));
        }
        let caplen = u32_at(reader.data(), 8, big_endian);
        if caplen > MAX_CAPLEN {
            return Err((offset, format!("absurd captured length {caplen} in a packet record (more than {MAX_CAPLEN}); the file is damaged")));
        }
        let need = 16 + caplen as usize;
        let avail = fill(reader, need, &self.errors, offset)?;
        if avail < need {
            return Err((
                offset,
                format!(
                    "packet record cut short: it needs {need} bytes, the file ends after {avail}"
                ),
            ));
        }
        let iface = &self.ifaces[0];
        let (size, verdict) = match reader.next() {
            Ok((size, PcapBlockOwned::Legacy(block))) => {
                let frac = u64::from(block.ts_usec);
                let frac_ns = if iface.tsresol == 9 {
                    frac
                } else {
                    frac.saturating_mul(1000)
                };
                let ts_ns = u64::from(block.ts_sec)
                    .saturating_mul(1_000_000_000)
                    .saturating_add(frac_ns);
                let header = PacketHeader {
                    ts_ns,
                    caplen: block.caplen,
                    len: block.origlen.max(block.caplen),
                    ifindex: 0,
                    ifname: &iface.name,
                    pkttype: packet_type(iface.link_type, block.data, 0),
                    link_type: iface.link_type,
                    vlan: None,
                };
                self.received += 1;
                (size, handler.on_packet(&header, block.data))
            }
            Ok(_) => return Err((offset, "unexpected record in a pcap file".into())),
            Err(err) => return Err((offset, format!("bad packet record: {err}"))),
        };
        reader.consume(size);
        Ok(Step::Packet(verdict))
    }

    /// Reads one pcapng block; hands over its packet if it holds one.
    fn step_pcapng<H: Handler + ?Sized>(&mut self, handler: &mut H) -> Result<Step, Damage> {
        let Format::Pcapng { reader, big_endian } = &mut *self.format else {
            return Ok(Step::Eof);
        };
        let offset = reader.consumed() as u64;
        let avail = fill(reader, 12, &self.errors, offset)?;
        if avail == 0 {
            return Ok(Step::Eof);
        }
        if avail < 12 {
            return Err((
                offset,
                format!(
                    "the file ends inside a block header ({avail} of 12 bytes); it was cut short"
                ),
            ));
        }
        let head = reader.data();
        let block_type = u32_at(head, 0, *big_endian);
        let block_len = if block_type == SHB {
            let (be, len) = shb_framing(head).map_err(|(at, reason)| (offset + at, reason))?;
            *big_endian = be;
            len
        } else {
            block_length(head, *big_endian).map_err(|reason| (offset + 4, reason))?
        };
        let avail = fill(reader, block_len, &self.errors, offset)?;
        if avail < block_len {
            return Err((offset, format!("block of type 0x{block_type:08x} cut short: it needs {block_len} bytes, the file ends after {avail}")));
        }
        let be = *big_endian;
        let data = reader.data();
        let trailer = u32_at(data, block_len - 4, be) as usize;
        if trailer != block_len {
            return Err((offset + block_len as u64 - 4, format!("block length fields disagree ({block_len} at the start, {trailer} at the end); the file is damaged")));
        }
        let body = &data[8..block_len - 4];
        let at = |pos: usize| offset + 8 + pos as u64;
        match block_type {
            SHB => {
                let major = u16_at(body, 4, be);
                let minor = u16_at(body, 6, be);
                if major != 1 {
                    return Err((at(4), format!("unsupported pcapng version {major}.{minor} (only 1.x exists; the file is damaged or not pcapng)")));
                }
                walk_options(&body[16..], be, |_, _| {})
                    .map_err(|(pos, reason)| (at(16 + pos), reason))?;
                match reader.next() {
                    Ok((_, PcapBlockOwned::NG(Block::SectionHeader(_)))) => {}
                    Ok(_) => return Err((offset, "expected a section header block".into())),
                    Err(err) => return Err((offset, format!("bad section header block: {err}"))),
                }
                self.ifaces.clear();
            }
            IDB => {
                if body.len() < 8 {
                    return Err((offset, "interface description block too short".into()));
                }
                if self.ifaces.len() >= MAX_INTERFACES {
                    return Err((offset, format!("more than {MAX_INTERFACES} interfaces in one section; the file is damaged")));
                }
                let mut tsoffset = 0i64;
                walk_options(&body[8..], be, |code, value| {
                    if code == 14 && value.len() == 8 {
                        let bytes = [
                            value[0], value[1], value[2], value[3], value[4], value[5], value[6],
                            value[7],
                        ];
                        tsoffset = if be {
                            i64::from_be_bytes(bytes)
                        } else {
                            i64::from_le_bytes(bytes)
                        };
                    }
                })
                .map_err(|(pos, reason)| (at(8 + pos), reason))?;
                let index = self.ifaces.len();
                let iface = match reader.next() {
                    Ok((_, PcapBlockOwned::NG(Block::InterfaceDescription(idb)))) => {
                        let link_type = LinkType((idb.linktype.0 & 0xffff) as u16);
                        let mut iface =
                            Iface::unnamed(index, link_type, idb.snaplen, idb.if_tsresol);
                        iface.tsoffset = tsoffset;
                        if let Some(Ok(name)) = idb.if_name() {
                            let name = name.trim_end_matches('\0');
                            if !name.is_empty() {
                                iface.name = name.to_string();
                            }
                        }
                        iface
                    }
                    Ok(_) => {
                        return Err((offset, "expected an interface description block".into()))
                    }
                    Err(err) => {
                        return Err((offset, format!("bad interface description block: {err}")))
                    }
                };
                self.ifaces.push(iface);
            }
            EPB | PB | SPB => {
                let packet = parse_packet_block(block_type, body, be, &self.ifaces)
                    .map_err(|(pos, reason)| (at(pos), reason))?;
                let iface = &self.ifaces[packet.if_id];
                let ticks = (u64::from(packet.ts_high) << 32) | u64::from(packet.ts_low);
                let header = PacketHeader {
                    ts_ns: ticks_to_ns(ticks, iface.tsresol, iface.tsoffset),
                    caplen: packet.data.len() as u32,
                    len: packet.len.max(packet.data.len() as u32),
                    ifindex: packet.if_id as u32,
                    ifname: &iface.name,
                    pkttype: packet_type(iface.link_type, packet.data, packet.flags),
                    link_type: iface.link_type,
                    vlan: None,
                };
                self.received += 1;
                let verdict = handler.on_packet(&header, packet.data);
                reader.consume(block_len);
                return Ok(Step::Packet(verdict));
            }
            _ => {}
        }
        reader.consume(block_len);
        Ok(Step::Skipped)
    }
}

/// A packet found in an EPB, SPB or obsolete PB, borrowed from the buffer.
struct PacketBlock<'a> {
    if_id: usize,
    ts_high: u32,
    ts_low: u32,
    len: u32,
    flags: u32,
    data: &'a [u8],
}

/// Decodes a packet block's body (what lies between the length fields);
/// errors carry the position in the body.
fn parse_packet_block<'a>(
    block_type: u32,
    body: &'a [u8],
    be: bool,
    ifaces: &[Iface],
) -> Result<PacketBlock<'a>, (usize, String)> {
    let (if_id, fixed) = match block_type {
        SPB => {
            if body.len() < 4 {
                return Err((0, "simple packet block too short".into()));
            }
            let Some(iface) = ifaces.first() else {
                return Err((
                    0,
                    "simple packet block before any interface description block".into(),
                ));
            };
            let len = u32_at(body, 0, be);
            let room = body.len() - 4;
            let mut caplen = (len as usize).min(room);
            if iface.snaplen != 0 {
                caplen = caplen.min(iface.snaplen as usize);
            }
            if caplen > MAX_CAPLEN as usize {
                return Err((0, format!("absurd packet length {len} in a simple packet block (more than {MAX_CAPLEN})")));
            }
            return Ok(PacketBlock {
                if_id: 0,
                ts_high: 0,
                ts_low: 0,
                len,
                flags: 0,
                data: &body[4..4 + caplen],
            });
        }
        PB => {
            if body.len() < 20 {
                return Err((0, "packet block too short".into()));
            }
            (usize::from(u16_at(body, 0, be)), 20)
        }
        _ => {
            if body.len() < 20 {
                return Err((0, "enhanced packet block too short".into()));
            }
            (u32_at(body, 0, be) as usize, 20)
        }
    };
    if if_id >= ifaces.len() {
        return Err((
            0,
            format!(
                "packet block refers to interface {if_id}, but only {} were described before it",
                ifaces.len()
            ),
        ));
    }
    let caplen = u32_at(body, 12, be);
    if caplen > MAX_CAPLEN {
        return Err((12, format!("absurd captured length {caplen} in a packet block (more than {MAX_CAPLEN}); the file is damaged")));
    }
    let caplen = caplen as usize;
    let padded = (caplen + 3) & !3;
    if fixed + padded > body.len() {
        return Err((
            12,
            format!("captured length {caplen} runs past the end of its block; the file is damaged"),
        ));
    }
    let mut flags = 0;
    if block_type == EPB {
        walk_options(&body[fixed + padded..], be, |code, value| {
            if code == 2 && value.len() == 4 {
                flags = u32_at(value, 0, be);
            }
        })
        .map_err(|(pos, reason)| (fixed + padded + pos, reason))?;
    }
    Ok(PacketBlock {
        if_id,
        ts_high: u32_at(body, 4, be),
        ts_low: u32_at(body, 8, be),
        len: u32_at(body, 16, be),
        flags,
        data: &body[fixed..fixed + caplen],
    })
}

/// Reads until the buffer holds `need` bytes or the stream ends; returns what it holds.
fn fill<R: PcapReaderIterator + ?Sized>(
    reader: &mut R,
    need: usize,
    errors: &ErrorSlot,
    offset: u64,
) -> Result<usize, Damage> {
    while reader.data().len() < need && !reader.reader_exhausted() {
        let before = reader.data().len();
        if reader.refill().is_err() {
            return Err((offset, errors.take_message()));
        }
        if reader.data().len() == before && !reader.reader_exhausted() {
            break; // the buffer is full: cannot happen, blocks are at most half of it
        }
    }
    Ok(reader.data().len())
}

/// The byte order and length of a section header block starting `head`
/// (at least 12 bytes); errors carry the position in the block.
fn shb_framing(head: &[u8]) -> Result<(bool, usize), (u64, String)> {
    if head.len() < 12 {
        return Err((
            0,
            format!(
                "the file ends inside a section header block ({} of 12 bytes)",
                head.len()
            ),
        ));
    }
    let big_endian = match u32_at(head, 8, false) {
        BOM => false,
        bom if bom == BOM.swap_bytes() => true,
        bom => {
            return Err((
                8,
                format!(
                "bad byte-order magic 0x{bom:08x} in the section header block; the file is damaged"
            ),
            ))
        }
    };
    let len = block_length(head, big_endian).map_err(|reason| (4, reason))?;
    if len < 28 {
        return Err((4, format!("section header block length {len} is shorter than its 28 fixed bytes; the file is damaged")));
    }
    Ok((big_endian, len))
}

/// A pcapng block's total length, checked: a multiple of 4, 12 to [`MAX_BLOCK`].
fn block_length(head: &[u8], big_endian: bool) -> Result<usize, String> {
    let len = u32_at(head, 4, big_endian);
    if len < 12 || len % 4 != 0 {
        return Err(format!(
            "invalid block length {len} (a multiple of 4, at least 12); the file is damaged"
        ));
    }
    if len as usize > MAX_BLOCK {
        return Err(format!(
            "absurd block length {len} (more than {MAX_BLOCK}); the file is damaged"
        ));
    }
    Ok(len as usize)
}

/// Calls `f(code, value)` for each option until `opt_endofopt` or the end;
/// an option running past the end is an error at its position.
fn walk_options(
    mut rest: &[u8],
    be: bool,
    mut f: impl FnMut(u16, &[u8]),
) -> Result<(), (usize, String)> {
    let mut pos = 0;
    while rest.len() >= 4 {
        let code = u16_at(rest, 0, be);
        let len = usize::from(u16_at(rest, 2, be));
        if code == 0 {
            break;
        }
        if 4 + len > rest.len() {
            return Err((pos, format!("option {code} of length {len} runs past the end of its block; the file is damaged")));
        }
        f(code, &rest[4..4 + len]);
        let step = (4 + len + 3) & !3;
        rest = rest.get(step..).unwrap_or(&[]);
        pos += step;
    }
    Ok(())
}

/// Converts pcapng timestamp ticks to nanoseconds since the epoch.
fn ticks_to_ns(ticks: u64, tsresol: u8, tsoffset: i64) -> u64 {
    let exp = u32::from(tsresol & 0x7f);
    let ns: u128 = if tsresol & 0x80 == 0 {
        if exp <= 9 {
            u128::from(ticks) * 10u128.pow(9 - exp)
        } else {
            10u128
                .checked_pow(exp - 9)
                .map_or(0, |div| u128::from(ticks) / div)
        }
    } else if exp < 128 - 30 {
        (u128::from(ticks) * 1_000_000_000) >> exp
    } else {
        0
    };
    let ns = ns.min(u128::from(u64::MAX)) as u64;
    let offset_ns = tsoffset.saturating_mul(1_000_000_000);
    if offset_ns >= 0 {
        ns.saturating_add(offset_ns as u64)
    } else {
        ns.saturating_sub(offset_ns.unsigned_abs())
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
