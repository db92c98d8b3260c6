//! The pcap writer: nanosecond timestamps, one link type per file.

use std::io::{self, Write};

use crate::limits::clamp_snaplen;
use crate::{LinkType, Record};

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
    /// `record.len` (at least what is written), the time `record.ts_ns`.
    ///
    /// # Errors
    /// `InvalidInput` if the packet's link type is not the file's (a pcap
    /// file has one; write pcapng for several), else the writer's error.
    pub fn write(&mut self, record: &Record<'_>, data: &[u8]) -> io::Result<()> {
        if record.link_type != self.link_type {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "cannot write a {} packet into a pcap file of link type {}; \
                     write pcapng to mix link types",
                    record.link_type, self.link_type
                ),
            ));
        }
        let data = &data[..data.len().min(self.snaplen as usize)];
        let caplen = data.len() as u32;
        let secs = record.ts_ns / 1_000_000_000;
        let nanos = (record.ts_ns % 1_000_000_000) as u32;
        let mut head = [0u8; 16];
        head[0..4].copy_from_slice(&u32::try_from(secs).unwrap_or(u32::MAX).to_le_bytes());
        head[4..8].copy_from_slice(&nanos.to_le_bytes());
        head[8..12].copy_from_slice(&caplen.to_le_bytes());
        head[12..16].copy_from_slice(&record.len.max(caplen).to_le_bytes());
        self.out.write_all(&head)?;
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
