//! pcapng blocks: sections (each in its own byte order), interfaces and their options, and packet blocks, cut in place from the buffer.

use super::timestamps::ticks_to_ns;
use super::*;

impl Reader {
    /// Reads one pcapng block; finds its packet if it holds one.
    #[inline(always)]
    pub(super) fn step_pcapng<I: Interrupt + ?Sized>(
        &mut self,
        interrupt: &I,
    ) -> Result<Step, Damage> {
        let Format::Pcapng { big_endian } = self.format else {
            return Ok(Step::Eof);
        };
        let offset = self.bytes.offset();
        let Some(avail) = self.fill(12, interrupt, offset)? else {
            return Ok(Step::Ended);
        };
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
        let head = self.bytes.data();
        let block_type = u32_at(head, 0, big_endian);
        let (be, block_len) = if block_type == SHB {
            shb_framing(head).map_err(|(at, reason)| (offset + at, reason))?
        } else {
            let len = block_length(head, big_endian).map_err(|reason| (offset + 4, reason))?;
            (big_endian, len)
        };
        self.format = Format::Pcapng { big_endian: be };
        let Some(avail) = self.fill(block_len, interrupt, offset)? else {
            return Ok(Step::Ended);
        };
        if avail < block_len {
            return Err((offset, format!("block of type 0x{block_type:08x} cut short: it needs {block_len} bytes, the file ends after {avail}")));
        }
        let data = &self.bytes.data()[..block_len];
        let trailer = u32_at(data, block_len - 4, be) as usize;
        if trailer != block_len {
            return Err((offset + block_len as u64 - 4, format!("block length fields disagree ({block_len} at the start, {trailer} at the end); the file is damaged")));
        }
        if block_type == SHB || block_type == IDB {
            self.describe(block_type, offset, block_len, be)?;
            self.bytes.consume(block_len);
            return Ok(Step::Skipped);
        }
        let body = &data[8..block_len - 4];
        let at = |pos: usize| offset + 8 + pos as u64;
        match block_type {
            EPB | PB | SPB => {
                let packet = parse_packet_block(block_type, body, be, &self.ifaces)
                    .map_err(|(pos, reason)| (at(pos), reason))?;
                let iface = &self.ifaces[packet.if_id];
                let ticks = (u64::from(packet.ts_high) << 32) | u64::from(packet.ts_low);
                return Ok(Step::Packet(Found {
                    record_len: block_len,
                    data_at: 8 + packet.data_at,
                    data_len: packet.data.len(),
                    iface: packet.if_id,
                    ts_ns: ticks_to_ns(ticks, iface.tsresol, iface.tsoffset),
                    len: packet.len,
                    flags: packet.flags,
                }));
            }
            _ => {}
        }
        self.bytes.consume(block_len);
        Ok(Step::Skipped)
    }

    /// Reads a section header block (a new section: its interfaces
    /// forgotten) or an interface description block (one more interface).
    /// Out of line: the packet path stays small.
    #[inline(never)]
    fn describe(
        &mut self,
        block_type: u32,
        offset: u64,
        block_len: usize,
        be: bool,
    ) -> Result<(), Damage> {
        let body = &self.bytes.data()[8..block_len - 4];
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
                log::debug!(
                    "{}: pcapng {major}.{minor} section at byte {offset}, {}",
                    self.name,
                    if be { "big-endian" } else { "little-endian" }
                );
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
                // link type(2) reserved(2) snaplen(4), options.
                let link_type = LinkType(u16_at(body, 0, be));
                let (name, tsresol) = name_and_resolution(&body[8..], be);
                let mut iface = Iface::unnamed(index, link_type, u32_at(body, 4, be), tsresol);
                iface.tsoffset = tsoffset;
                if let Some(name) = name {
                    iface.name = name.to_string();
                }
                log::debug!(
                    "{}: interface {index} {}: link type {} ({}), snaplen {}, if_tsresol {}",
                    self.name,
                    iface.name,
                    iface.link_type.0,
                    iface.link_type,
                    iface.snaplen,
                    iface.tsresol
                );
                self.ifaces.push(iface);
            }
            _ => {}
        }
        Ok(())
    }
}

/// A packet found in an EPB, SPB or obsolete PB, borrowed from the buffer.
pub(super) struct PacketBlock<'a> {
    if_id: usize,
    ts_high: u32,
    ts_low: u32,
    len: u32,
    flags: u32,
    /// Where `data` starts in the block's body.
    data_at: usize,
    data: &'a [u8],
}

/// Decodes a packet block's body (what lies between the length fields);
/// errors carry the position in the body.
pub(super) fn parse_packet_block<'a>(
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
                data_at: 4,
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
        data_at: fixed,
        data: &body[fixed..fixed + caplen],
    })
}

/// The byte order and length of a section header block starting `head`
/// (at least 12 bytes); errors carry the position in the block.
pub(super) fn shb_framing(head: &[u8]) -> Result<(bool, usize), (u64, String)> {
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
pub(super) fn block_length(head: &[u8], big_endian: bool) -> Result<usize, String> {
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
pub(super) fn walk_options(
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

/// An interface's `if_name` (the first, if it is UTF-8 and not empty once
/// trailing NULs are cut) and `if_tsresol` (the last with a value; 6, i.e.
/// microseconds, without one), from its options: every option whose padded
/// value fits in the block, past `opt_endofopt` too.
fn name_and_resolution(mut rest: &[u8], be: bool) -> (Option<&str>, u8) {
    let mut name = None;
    let mut first_name = true;
    let mut tsresol = 6;
    while rest.len() >= 4 {
        let code = u16_at(rest, 0, be);
        let len = usize::from(u16_at(rest, 2, be));
        let Some(value) = rest.get(4..4 + len.next_multiple_of(4)) else {
            break;
        };
        match code {
            2 if first_name => {
                first_name = false;
                name = std::str::from_utf8(&value[..len])
                    .ok()
                    .map(|name| name.trim_end_matches('\0'))
                    .filter(|name| !name.is_empty());
            }
            9 => {
                if let Some(&resolution) = value.first() {
                    tsresol = resolution;
                }
            }
            _ => {}
        }
        rest = &rest[4 + value.len()..];
    }
    (name, tsresol)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opt(code: u16, value: &[u8]) -> Vec<u8> {
        let mut out = [code.to_le_bytes(), (value.len() as u16).to_le_bytes()].concat();
        out.extend_from_slice(value);
        out.resize(out.len().next_multiple_of(4), 0);
        out
    }

    #[test]
    fn interface_names_and_resolutions_as_netraf_always_read_them() {
        // The first if_name counts, NULs cut; the last if_tsresol; options
        // after opt_endofopt too.
        let opts = [
            opt(9, &[3]),
            opt(0, &[]),
            opt(2, b"eth0\0\0"),
            opt(2, b"eth1"),
            opt(9, &[0x80 | 7]),
        ]
        .concat();
        assert_eq!(name_and_resolution(&opts, false), (Some("eth0"), 0x87));
        // A first name that is not UTF-8, or only NULs: no name.
        let opts = [opt(2, &[0xff, 0xfe]), opt(2, b"eth1")].concat();
        assert_eq!(name_and_resolution(&opts, false), (None, 6));
        assert_eq!(name_and_resolution(&opt(2, b"\0\0"), false), (None, 6));
        // An option whose padding runs past the block ends the list; an
        // empty if_tsresol keeps the default.
        let mut cut = [opt(9, &[]), opt(2, b"abcde")].concat();
        cut.truncate(cut.len() - 1);
        assert_eq!(name_and_resolution(&cut, false), (None, 6));
        // Big-endian codes and lengths.
        let be = [&[0, 2, 0, 3][..], b"lo\0\0"].concat();
        assert_eq!(name_and_resolution(&be, true), (Some("lo"), 6));
    }
}
