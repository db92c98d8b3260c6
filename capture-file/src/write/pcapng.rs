//! The pcapng writer: one section, an interface description block per interface seen, an enhanced packet block per packet.

use std::collections::HashMap;
use std::io::{self, Write};

use crate::limits::{clamp_snaplen, MAX_INTERFACES};
use crate::{LinkType, PacketType, Record};

/// The interface of a block written so far.
struct WrittenInterface {
    interface: u32,
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
    pub fn write(&mut self, record: &Record<'_>, data: &[u8]) -> io::Result<()> {
        let if_id = self.interface(record)?;
        let data = &data[..data.len().min(self.snaplen as usize)];
        let caplen = data.len() as u32;
        let padded = data.len().next_multiple_of(4);
        // Fixed fields (28), data, epb_flags (8), end of options (4), length (4).
        let total = (28 + padded + 16) as u32;
        let mut head = [0u8; 28];
        head[0..4].copy_from_slice(&6u32.to_le_bytes());
        head[4..8].copy_from_slice(&total.to_le_bytes());
        head[8..12].copy_from_slice(&if_id.to_le_bytes());
        head[12..16].copy_from_slice(&((record.ts_ns >> 32) as u32).to_le_bytes());
        head[16..20].copy_from_slice(&(record.ts_ns as u32).to_le_bytes());
        head[20..24].copy_from_slice(&caplen.to_le_bytes());
        head[24..28].copy_from_slice(&record.len.max(caplen).to_le_bytes());
        let mut tail = [0u8; 16];
        tail[0..2].copy_from_slice(&2u16.to_le_bytes());
        tail[2..4].copy_from_slice(&4u16.to_le_bytes());
        tail[4..8].copy_from_slice(&epb_flags(record.packet_type).to_le_bytes());
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
    fn interface(&mut self, record: &Record<'_>) -> io::Result<u32> {
        if let Some((last, id)) = &self.section.last {
            if last.interface == record.interface
                && last.link_type == record.link_type
                && last.name == record.ifname
            {
                return Ok(*id);
            }
        }
        let key = (record.interface, record.link_type);
        let known = self
            .section
            .ids
            .get(&key)
            .and_then(|names| names.get(record.ifname))
            .copied();
        let id = match known {
            Some(id) => id,
            None => {
                if self.section.count as usize >= MAX_INTERFACES {
                    // A section holds as many interfaces as readers accept
                    // (netraf's reader, 65536); then a new one starts.
                    self.start_section()?;
                }
                let id = self.section.count;
                let mut body = Vec::with_capacity(32 + record.ifname.len());
                body.extend_from_slice(&record.link_type.0.to_le_bytes());
                body.extend_from_slice(&0u16.to_le_bytes());
                body.extend_from_slice(&self.snaplen.to_le_bytes());
                if !record.ifname.is_empty() {
                    push_option(&mut body, 2, record.ifname.as_bytes());
                }
                push_option(&mut body, 9, &[9]);
                push_option(&mut body, 0, &[]);
                write_block(&mut self.out, 1, &body)?;
                self.section.count += 1;
                self.section
                    .ids
                    .entry(key)
                    .or_default()
                    .insert(record.ifname.to_string(), id);
                id
            }
        };
        // Reuse the last entry's name buffer: no allocation when the
        // interface changes back and forth between known ones.
        match &mut self.section.last {
            Some((last, last_id)) => {
                last.interface = record.interface;
                last.link_type = record.link_type;
                last.name.clear();
                last.name.push_str(record.ifname);
                *last_id = id;
            }
            None => {
                self.section.last = Some((
                    WrittenInterface {
                        interface: record.interface,
                        link_type: record.link_type,
                        name: record.ifname.to_string(),
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
