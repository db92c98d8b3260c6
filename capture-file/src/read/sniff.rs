//! Which format a capture is: the pcap file header, or the first pcapng section header block, read at open or by the first run.

use super::pcapng::shb_framing;
use super::*;

impl Reader {
    /// Reads the pcap file header, or the first pcapng section header block;
    /// sets the format.
    pub(super) fn read_header<I: Interrupt + ?Sized>(
        &mut self,
        interrupt: &I,
    ) -> Result<Step, Damage> {
        if self.fill(24, interrupt, 0)?.is_none() {
            return Ok(Step::Ended);
        }
        let head = self.bytes.data();
        if head.is_empty() {
            return Err((0, "the file is empty: not a pcap or pcapng capture".into()));
        }
        if head.len() < 4 {
            return Err((
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
                    return Err((0, format!("the file ends after {} bytes, inside the 24-byte pcap file header", head.len())));
                }
                let major = u16_at(head, 4, big_endian);
                let minor = u16_at(head, 6, big_endian);
                if major != 2 {
                    return Err((4, format!("unsupported pcap version {major}.{minor} (only 2.x exists; the file is damaged or not a pcap file)")));
                }
                let snaplen = u32_at(head, 16, big_endian);
                let link_type = LinkType((u32_at(head, 20, big_endian) & 0xffff) as u16);
                self.bytes.consume(24);
                log::debug!(
                    "{}: pcap {major}.{minor}, {}, {} timestamps, link type {} ({link_type}), snaplen {snaplen}",
                    self.name,
                    if big_endian { "big-endian" } else { "little-endian" },
                    if nanos { "nanosecond" } else { "microsecond" },
                    link_type.0
                );
                let tsresol = if nanos { 9 } else { 6 };
                self.ifaces = vec![Iface::unnamed(0, link_type, snaplen, tsresol)];
                self.format = Format::Pcap { big_endian };
                Ok(Step::Skipped)
            }
            [0x0a, 0x0d, 0x0d, 0x0a] => {
                // Read the whole section header block before parsing it.
                let (big_endian, block_len) = shb_framing(head)?;
                let Some(have) = self.fill(block_len, interrupt, 0)? else {
                    return Ok(Step::Ended);
                };
                if have < block_len {
                    return Err((0, format!("the file ends inside its section header block ({have} of {block_len} bytes)")));
                }
                self.format = Format::Pcapng { big_endian };
                // The section header block is read now, so that a file that is
                // not pcapng fails at open.
                self.step_pcapng(interrupt)
            }
            [0xa1, 0xb2, 0xcd, 0x34] | [0x34, 0xcd, 0xb2, 0xa1] => Err((
                0,
                "modified (Kuznetzov) pcap format is not supported; convert it with `editcap -F pcap`".into(),
            )),
            _ => Err((
                0,
                format!(
                    "not a pcap or pcapng file: unknown magic number {:02x}{:02x}{:02x}{:02x} \
                     (`file` or `capinfos` tells what it is)",
                    magic[0], magic[1], magic[2], magic[3]
                ),
            )),
        }
    }
}
