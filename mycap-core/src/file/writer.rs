//! Capture file writers: pcap (nanosecond) and pcapng, from a packet's header and bytes to any `io::Write`.
//!
//! Both write little-endian files that tcpdump, tshark and MYCAP's file
//! source read back with the same packets, lengths and timestamps. Neither
//! allocates per packet (pcapng allocates once per new interface); give them
//! a buffered writer (`BufWriter<File>`), and call `finish` (or `flush`)
//! before the file is closed so that every record is complete on disk.

use std::collections::HashMap;
use std::io::{self, Write};

use crate::header::{LinkType, PacketHeader, PacketType};

use super::{MAX_CAPLEN, MAX_INTERFACES};

/// Writes a pcap file with nanosecond timestamps (magic `a1b23c4d`), one link type.
pub struct PcapWriter<W: Write> {
    out: W,
    link_type: LinkType,
    snaplen: u32,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header for packets of `link_type`, keeping at most
    /// `snaplen` bytes of each (0 or more than 262144 means 262144).
    ///
    /// # Errors
    /// The error of the underlying writer.
    pub fn new(mut out: W, link_type: LinkType, snaplen: u32) -> io::Result<PcapWriter<W>> {
        let snaplen = clamp_snaplen(snaplen);
        let mut header = [0u8; 24];
        header[0..4].copy_from_slice(&0xa1b2_3c4du32.to_le_bytes());
        header[4..6].copy_from_slice(&2u16.to_le_bytes());
        header[6..8].copy_from_slice(&4u16.to_le_bytes());
        header[16..20].copy_from_slice(&snaplen.to_le_bytes());
        header[20..24].copy_from_slice(&u32::from(link_type.0).to_le_bytes());
        out.write_all(&header)?;
        Ok(PcapWriter {
            out,
            link_type,
            snaplen,
        })
    }

    /// Appends one packet: `data` cut to the snap length, the original length
    /// `header.len` (at least what is written), the time `header.ts_ns`.
    ///
    /// # Errors
    /// `InvalidInput` if the packet's link type is not the file's (a pcap
    /// file has one; write pcapng for several), else the writer's error.
    pub fn write(&mut self, header: &PacketHeader<'_>, data: &[u8]) -> io::Result<()> {
        if header.link_type != self.link_type {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "cannot write a {} packet into a pcap file of link type {}; \
                     write pcapng to mix link types",
                    header.link_type, self.link_type
                ),
            ));
        }
        let data = &data[..data.len().min(self.snaplen as usize)];
        let caplen = data.len() as u32;
        let secs = header.ts_ns / 1_000_000_000;
        let nanos = (header.ts_ns % 1_000_000_000) as u32;
        let mut record = [0u8; 16];
        record[0..4].copy_from_slice(&u32::try_from(secs).unwrap_or(u32::MAX).to_le_bytes());
        record[4..8].copy_from_slice(&nanos.to_le_bytes());
        record[8..12].copy_from_slice(&caplen.to_le_bytes());
        record[12..16].copy_from_slice(&header.len.max(caplen).to_le_bytes());
        self.out.write_all(&record)?;
        self.out.write_all(data)
    }

    /// Flushes the underlying writer.
    ///
    /// # Errors
    /// The writer's error.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes and returns the underlying writer.
    ///
    /// # Errors
    /// The writer's error.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }

    /// The underlying writer (e.g. to ask how much was written).
    pub fn get_ref(&self) -> &W {
        &self.out
    }
}

/// The interface of a block written so far.
struct WrittenInterface {
    ifindex: u32,
    link_type: LinkType,
    name: String,
}

/// Writes a pcapng file: a section, one interface description block per
/// (interface index, name, link type) seen (a new section after 65536 of
/// them), then an enhanced packet block per packet with nanosecond
/// timestamps (`if_tsresol` 9) and `epb_flags` saying the direction and
/// reception type from the packet type.
pub struct PcapngWriter<W: Write> {
    out: W,
    snaplen: u32,
    /// Boxed: a writer stays small beside the other outputs it is kept with.
    section: Box<Section>,
}

/// What the current section holds, and how to start the next one.
struct Section {
    /// The interface of the previous packet and its id: packets come in runs
    /// from one interface, so most of them are matched by one compare.
    last: Option<(WrittenInterface, u32)>,
    /// Every interface of the section, by (index, link type), then name:
    /// found without hashing a name per packet, and without a scan that
    /// grows with the number of interfaces.
    ids: HashMap<(u32, LinkType), HashMap<String, u32>>,
    /// How many interface blocks the section holds.
    count: u32,
    /// `shb_userappl` of every section header block.
    application: String,
}

const PADDING: [u8; 4] = [0; 4];

impl<W: Write> PcapngWriter<W> {
    /// Writes the section header block (`shb_userappl` = `application`),
    /// keeping at most `snaplen` bytes of each packet (0 or more than 262144
    /// means 262144).
    ///
    /// # Errors
    /// The error of the underlying writer.
    pub fn new(out: W, application: &str, snaplen: u32) -> io::Result<PcapngWriter<W>> {
        let mut writer = PcapngWriter {
            out,
            snaplen: clamp_snaplen(snaplen),
            section: Box::new(Section {
                last: None,
                ids: HashMap::new(),
                count: 0,
                application: application.to_string(),
            }),
        };
        writer.start_section()?;
        Ok(writer)
    }

    /// Starts a section: its header block, and no interfaces yet.
    fn start_section(&mut self) -> io::Result<()> {
        let mut body = Vec::with_capacity(32 + self.section.application.len());
        body.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&(-1i64).to_le_bytes());
        push_option(&mut body, 4, self.section.application.as_bytes());
        push_option(&mut body, 0, &[]);
        write_block(&mut self.out, 0x0A0D_0D0A, &body)?;
        self.section.ids.clear();
        self.section.last = None;
        self.section.count = 0;
        Ok(())
    }

    /// Appends one packet, after a new interface description block if its
    /// interface (index, name, link type) was not seen before.
    ///
    /// # Errors
    /// The writer's error.
    pub fn write(&mut self, header: &PacketHeader<'_>, data: &[u8]) -> io::Result<()> {
        let if_id = self.interface(header)?;
        let data = &data[..data.len().min(self.snaplen as usize)];
        let caplen = data.len() as u32;
        let padded = data.len().next_multiple_of(4);
        // Fixed fields (28), data, epb_flags (8), end of options (4), length (4).
        let total = (28 + padded + 16) as u32;
        let mut head = [0u8; 28];
        head[0..4].copy_from_slice(&6u32.to_le_bytes());
        head[4..8].copy_from_slice(&total.to_le_bytes());
        head[8..12].copy_from_slice(&if_id.to_le_bytes());
        head[12..16].copy_from_slice(&((header.ts_ns >> 32) as u32).to_le_bytes());
        head[16..20].copy_from_slice(&(header.ts_ns as u32).to_le_bytes());
        head[20..24].copy_from_slice(&caplen.to_le_bytes());
        head[24..28].copy_from_slice(&header.len.max(caplen).to_le_bytes());
        let mut tail = [0u8; 16];
        tail[0..2].copy_from_slice(&2u16.to_le_bytes());
        tail[2..4].copy_from_slice(&4u16.to_le_bytes());
        tail[4..8].copy_from_slice(&epb_flags(header.pkttype).to_le_bytes());
        tail[12..16].copy_from_slice(&total.to_le_bytes());
        self.out.write_all(&head)?;
        self.out.write_all(data)?;
        self.out.write_all(&PADDING[..padded - data.len()])?;
        self.out.write_all(&tail)
    }

    /// Flushes the underlying writer.
    ///
    /// # Errors
    /// The writer's error.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes and returns the underlying writer.
    ///
    /// # Errors
    /// The writer's error.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }

    /// The underlying writer (e.g. to ask how much was written).
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// The interface id of the packet's interface, describing it first if new.
    fn interface(&mut self, header: &PacketHeader<'_>) -> io::Result<u32> {
        if let Some((last, id)) = &self.section.last {
            if last.ifindex == header.ifindex
                && last.link_type == header.link_type
                && last.name == header.ifname
            {
                return Ok(*id);
            }
        }
        let key = (header.ifindex, header.link_type);
        let known = self
            .section
            .ids
            .get(&key)
            .and_then(|names| names.get(header.ifname))
            .copied();
        let id = match known {
            Some(id) => id,
            None => {
                if self.section.count as usize >= MAX_INTERFACES {
                    // A section holds as many interfaces as readers accept
                    // (MYCAP's reader, 65536); then a new one starts.
                    self.start_section()?;
                }
                let id = self.section.count;
                let mut body = Vec::with_capacity(32 + header.ifname.len());
                body.extend_from_slice(&header.link_type.0.to_le_bytes());
                body.extend_from_slice(&0u16.to_le_bytes());
                body.extend_from_slice(&self.snaplen.to_le_bytes());
                if !header.ifname.is_empty() {
                    push_option(&mut body, 2, header.ifname.as_bytes());
                }
                push_option(&mut body, 9, &[9]);
                push_option(&mut body, 0, &[]);
                write_block(&mut self.out, 1, &body)?;
                self.section.count += 1;
                self.section
                    .ids
                    .entry(key)
                    .or_default()
                    .insert(header.ifname.to_string(), id);
                id
            }
        };
        // Reuse the last entry's name buffer: no allocation when the
        // interface changes back and forth between known ones.
        match &mut self.section.last {
            Some((last, last_id)) => {
                last.ifindex = header.ifindex;
                last.link_type = header.link_type;
                last.name.clear();
                last.name.push_str(header.ifname);
                *last_id = id;
            }
            None => {
                self.section.last = Some((
                    WrittenInterface {
                        ifindex: header.ifindex,
                        link_type: header.link_type,
                        name: header.ifname.to_string(),
                    },
                    id,
                ));
            }
        }
        Ok(id)
    }
}

/// `epb_flags`: direction (bits 0-1) and reception type (bits 2-4).
fn epb_flags(pkttype: PacketType) -> u32 {
    const INBOUND: u32 = 1;
    const OUTBOUND: u32 = 2;
    match pkttype {
        PacketType::Host => INBOUND | (1 << 2),
        PacketType::Multicast => INBOUND | (2 << 2),
        PacketType::Broadcast => INBOUND | (3 << 2),
        PacketType::OtherHost => INBOUND | (4 << 2),
        PacketType::Outgoing => OUTBOUND,
        PacketType::Other(_) => 0,
    }
}

fn clamp_snaplen(snaplen: u32) -> u32 {
    if snaplen == 0 || snaplen > MAX_CAPLEN {
        MAX_CAPLEN
    } else {
        snaplen
    }
}

/// Appends an option (code, length, value padded to 4 bytes); the value is
/// cut to the 65535 bytes an option can hold.
fn push_option(body: &mut Vec<u8>, code: u16, value: &[u8]) {
    let value = &value[..value.len().min(usize::from(u16::MAX))];
    body.extend_from_slice(&code.to_le_bytes());
    body.extend_from_slice(&(value.len() as u16).to_le_bytes());
    body.extend_from_slice(value);
    body.resize(body.len().next_multiple_of(4), 0);
}

/// Writes a block: type, total length, body (a multiple of 4), total length.
fn write_block<W: Write>(out: &mut W, block_type: u32, body: &[u8]) -> io::Result<()> {
    let total = (12 + body.len()) as u32;
    out.write_all(&block_type.to_le_bytes())?;
    out.write_all(&total.to_le_bytes())?;
    out.write_all(body)?;
    out.write_all(&total.to_le_bytes())
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;
    use crate::{Session, Verdict};

    /// A packet to write and to find again.
    #[derive(Debug, Clone, PartialEq)]
    struct Packet {
        ts_ns: u64,
        len: u32,
        ifindex: u32,
        ifname: String,
        pkttype: PacketType,
        link_type: LinkType,
        data: Vec<u8>,
    }

    fn packets() -> Vec<Packet> {
        let kinds = [
            (1, "eth0", LinkType::ETHERNET, PacketType::Host),
            (2, "lo", LinkType::RAW, PacketType::Outgoing),
            (1, "eth0", LinkType::ETHERNET, PacketType::Broadcast),
            (3, "wlan0", LinkType::ETHERNET, PacketType::OtherHost),
            (1, "eth0", LinkType::ETHERNET, PacketType::Multicast),
        ];
        (0..25u32)
            .map(|i| {
                let (ifindex, ifname, link_type, pkttype) = kinds[i as usize % kinds.len()];
                let caplen = (i * 37 % 300) as usize + 1;
                Packet {
                    ts_ns: 1_700_000_000_123_456_789 + u64::from(i) * 1_000_000_007,
                    len: caplen as u32 + (i % 3) * 100,
                    ifindex,
                    ifname: ifname.to_string(),
                    pkttype,
                    link_type,
                    data: (0..caplen).map(|b| (b as u8) ^ (i as u8)).collect(),
                }
            })
            .collect()
    }

    fn header(p: &Packet) -> PacketHeader<'_> {
        PacketHeader {
            ts_ns: p.ts_ns,
            caplen: p.data.len() as u32,
            len: p.len,
            ifindex: p.ifindex,
            ifname: &p.ifname,
            pkttype: p.pkttype,
            link_type: p.link_type,
            vlan: None,
        }
    }

    fn read_back(bytes: Vec<u8>) -> Vec<Packet> {
        let mut session = Session::open_reader("written", Box::new(Cursor::new(bytes))).unwrap();
        let mut out = Vec::new();
        session
            .run(&mut |h: &PacketHeader<'_>, data: &[u8]| {
                out.push(Packet {
                    ts_ns: h.ts_ns,
                    len: h.len,
                    ifindex: h.ifindex,
                    ifname: h.ifname.to_string(),
                    pkttype: h.pkttype,
                    link_type: h.link_type,
                    data: data.to_vec(),
                });
                Verdict::Continue
            })
            .unwrap();
        out
    }

    #[test]
    fn pcapng_round_trip_keeps_everything() {
        let sent = packets();
        let mut writer = PcapngWriter::new(Vec::new(), "netraf test", 0).unwrap();
        for p in &sent {
            writer.write(&header(p), &p.data).unwrap();
        }
        let got = read_back(writer.finish().unwrap());
        assert_eq!(got.len(), sent.len());
        for (got, sent) in got.iter().zip(&sent) {
            // Interface ids are assigned in order of appearance.
            let id = ["eth0", "lo", "wlan0"]
                .iter()
                .position(|n| *n == sent.ifname)
                .unwrap();
            assert_eq!(got.ifindex, id as u32);
            assert_eq!(
                (
                    &got.ifname,
                    got.pkttype,
                    got.link_type,
                    got.ts_ns,
                    got.len,
                    &got.data
                ),
                (
                    &sent.ifname,
                    sent.pkttype,
                    sent.link_type,
                    sent.ts_ns,
                    sent.len,
                    &sent.data
                )
            );
        }
    }

    #[test]
    fn pcap_round_trip_and_snaplen() {
        let sent: Vec<Packet> = packets()
            .into_iter()
            .filter(|p| p.link_type == LinkType::ETHERNET)
            .collect();
        let mut writer = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 100).unwrap();
        for p in &sent {
            writer.write(&header(p), &p.data).unwrap();
        }
        let got = read_back(writer.finish().unwrap());
        assert_eq!(got.len(), sent.len());
        for (got, sent) in got.iter().zip(&sent) {
            assert_eq!((got.ts_ns, got.len), (sent.ts_ns, sent.len));
            assert_eq!(got.data, sent.data[..sent.data.len().min(100)]);
            assert_eq!(
                (got.ifname.as_str(), got.pkttype),
                ("if0", PacketType::Host)
            );
        }
    }

    #[test]
    fn pcap_refuses_a_second_link_type() {
        let p = &packets()[1];
        let mut writer = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 0).unwrap();
        let err = writer.write(&header(p), &p.data).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("pcapng"), "{err}");
    }
}
