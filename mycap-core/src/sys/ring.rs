//! The `TPACKET_V3` receive ring: its geometry, the mapping, block ownership and the per-packet headers inside a block.
//!
//! The kernel fills whole blocks and hands each over by setting `TP_STATUS_USER`
//! in the block header; user space gives it back by writing `TP_STATUS_KERNEL`.
//! While a block is ours the kernel does not touch it, so it is lent out as a
//! plain byte slice and everything inside it is read with safe code.

use std::io;
use std::mem;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::PacketSocket;

/// Offset of `hdr.bh1.block_status` in `tpacket_block_desc`.
const BLOCK_STATUS: usize = 8;
/// Offset of `hdr.bh1.num_pkts`.
const BLOCK_NUM_PKTS: usize = 12;
/// Offset of `hdr.bh1.offset_to_first_pkt`.
const BLOCK_FIRST: usize = 16;
/// Bytes of `tpacket3_hdr`, which the `sockaddr_ll` follows (16-byte aligned).
const TP3_HDR: usize = 48;
/// Bytes of `tpacket3_hdr` plus the `sockaddr_ll` (`TPACKET3_HDRLEN`).
const TP3_HDRLEN: usize = TP3_HDR + mem::size_of::<libc::sockaddr_ll>();
/// Room the kernel may put between the headers and the packet (link header
/// alignment, a VLAN tag): generous, so a snaplen packet always fits a frame.
const LINK_SLACK: usize = 64;
/// The largest block this ring uses when the snap length does not need more.
const MAX_TARGET_BLOCK: usize = 4 << 20;

/// How the ring is cut: the request for `PACKET_RX_RING`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RingLayout {
    /// Bytes per block: a power of two, at least a page.
    pub(crate) block_size: u32,
    /// Number of blocks (at least 2).
    pub(crate) block_nr: u32,
    /// Nominal frame size: room for the headers and a snaplen packet.
    pub(crate) frame_size: u32,
    /// Block retire timeout in milliseconds (at least 1).
    pub(crate) timeout_ms: u32,
}

fn page_size() -> usize {
    // SAFETY: sysconf takes no pointers.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size)
        .ok()
        .filter(|s| *s > 0)
        .unwrap_or(4096)
}

impl RingLayout {
    /// The geometry for `snaplen`-byte packets in about `ring_size` bytes.
    /// Blocks are big enough for one snaplen packet and about an eighth of the
    /// ring (between a page and 4 MiB); the ring is rounded to whole blocks,
    /// at least two.
    ///
    /// Blocks are not made smaller than that to have more of them: every
    /// block handed over is one wake-up of the reader, and a wake-up costs
    /// more CPU than the packets it saves from a drop (BENCHMARKS.md, "Ring
    /// geometry"). A block smaller than a snaplen packet would also make the kernel cut
    /// longer packets (GRO can build 64 KiB ones) below the snap length.
    ///
    /// # Errors
    /// A message saying which value cannot work.
    pub(crate) fn new(
        snaplen: u32,
        ring_size: usize,
        timeout: Duration,
    ) -> Result<RingLayout, String> {
        crate::CaptureConfig::check_snaplen(snaplen)?;
        let page = page_size();
        let frame = (TP3_HDRLEN + LINK_SLACK + snaplen as usize + 15) & !15;
        let needed = (frame + 64).next_power_of_two();
        let target = match (ring_size / 8).checked_next_power_of_two() {
            Some(t) if t > ring_size / 8 => t / 2,
            Some(t) => t,
            None => MAX_TARGET_BLOCK,
        };
        let block = needed.max(target.clamp(page, MAX_TARGET_BLOCK)).max(page);
        let block_nr = (ring_size / block).max(2);
        let frames = block_nr * (block / frame);
        let too_big = || format!("ring of {block_nr} blocks of {block} bytes is too large");
        u32::try_from(frames).map_err(|_| too_big())?;
        Ok(RingLayout {
            block_size: u32::try_from(block).map_err(|_| too_big())?,
            block_nr: u32::try_from(block_nr).map_err(|_| too_big())?,
            frame_size: u32::try_from(frame).map_err(|_| too_big())?,
            timeout_ms: u32::try_from(timeout.as_millis())
                .unwrap_or(u32::MAX)
                .max(1),
        })
    }

    /// The `PACKET_RX_RING` request.
    pub(crate) fn request(&self) -> libc::tpacket_req3 {
        libc::tpacket_req3 {
            tp_block_size: self.block_size,
            tp_block_nr: self.block_nr,
            tp_frame_size: self.frame_size,
            tp_frame_nr: (self.block_size / self.frame_size) * self.block_nr,
            tp_retire_blk_tov: self.timeout_ms,
            tp_sizeof_priv: 0,
            tp_feature_req_word: 0,
        }
    }

    /// Total bytes mapped.
    pub(crate) fn bytes(&self) -> usize {
        self.block_size as usize * self.block_nr as usize
    }
}

/// The mapped ring of a packet socket. Unmapped on drop.
#[derive(Debug)]
pub(crate) struct Ring {
    base: NonNull<u8>,
    layout: RingLayout,
}

// SAFETY: the mapping is plain shared memory owned by this value; block
// ownership is handed over through atomic status words, and `&mut self` on
// `release` keeps lent block slices from outliving their ownership.
unsafe impl Send for Ring {}

impl Ring {
    /// Configures `layout` on `socket` (which must already use `TPACKET_V3`)
    /// and maps it.
    ///
    /// # Errors
    /// `setsockopt(PACKET_RX_RING)` or `mmap` failing, with which one in the message.
    pub(crate) fn map(
        socket: &PacketSocket,
        layout: RingLayout,
    ) -> Result<Ring, (&'static str, io::Error)> {
        socket
            .set_rx_ring(&layout.request())
            .map_err(|e| ("setsockopt(PACKET_RX_RING)", e))?;
        // SAFETY: maps `layout.bytes()` of the socket's ring, which the kernel
        // just sized to exactly that; the result is checked for MAP_FAILED.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                layout.bytes(),
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                socket.raw(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(("mmap of the packet ring", io::Error::last_os_error()));
        }
        let base = NonNull::new(ptr.cast::<u8>()).ok_or((
            "mmap of the packet ring",
            io::Error::from_raw_os_error(libc::ENOMEM),
        ))?;
        Ok(Ring { base, layout })
    }

    /// Number of blocks.
    pub(crate) fn blocks(&self) -> usize {
        self.layout.block_nr as usize
    }

    /// The 32-bit word at `at` (`BLOCK_STATUS` or `BLOCK_NUM_PKTS`) of the block's descriptor.
    fn descriptor_word(&self, block: usize, at: usize) -> &AtomicU32 {
        debug_assert!(at == BLOCK_STATUS || at == BLOCK_NUM_PKTS);
        let offset = (block % self.blocks()) * self.layout.block_size as usize + at;
        // SAFETY: `offset` lies inside the mapping (block taken modulo block_nr,
        // `at` inside the descriptor at the start of every block) and is
        // 4-byte aligned (blocks are page aligned, BLOCK_STATUS is 8 and
        // BLOCK_NUM_PKTS 12); we only access these words atomically, and the
        // kernel writes them as aligned 32-bit words.
        unsafe { &*self.base.as_ptr().add(offset).cast::<AtomicU32>() }
    }

    fn status(&self, block: usize) -> &AtomicU32 {
        self.descriptor_word(block, BLOCK_STATUS)
    }

    /// Whether the kernel has handed the block to user space.
    pub(crate) fn is_user(&self, block: usize) -> bool {
        self.status(block).load(Ordering::Acquire) & libc::TP_STATUS_USER != 0
    }

    /// The number of packets the kernel has put in the block so far: read
    /// atomically, so it may be asked of a block the kernel still fills.
    pub(crate) fn num_pkts(&self, block: usize) -> u32 {
        self.descriptor_word(block, BLOCK_NUM_PKTS)
            .load(Ordering::Acquire)
    }

    /// The block retire timeout the kernel was given.
    pub(crate) fn block_timeout(&self) -> Duration {
        Duration::from_millis(u64::from(self.layout.timeout_ms))
    }

    /// The block's bytes if the kernel has handed it to user space.
    pub(crate) fn ready_block(&self, block: usize) -> Option<Block<'_>> {
        if !self.is_user(block) {
            return None;
        }
        let size = self.layout.block_size as usize;
        let start = (block % self.blocks()) * size;
        // SAFETY: the block (index taken modulo block_nr) lies inside the mapping, and its status says user
        // space owns it (acquire ordering makes the kernel's writes visible),
        // so the kernel does not write it until `release`, which needs
        // `&mut self` and thus ends this borrow first.
        let bytes = unsafe { std::slice::from_raw_parts(self.base.as_ptr().add(start), size) };
        Some(Block { bytes })
    }

    /// Gives the block back to the kernel.
    pub(crate) fn release(&mut self, block: usize) {
        self.status(block)
            .store(libc::TP_STATUS_KERNEL, Ordering::Release);
    }

    /// Unmaps the ring, reporting failure.
    ///
    /// # Errors
    /// `munmap` failing.
    pub(crate) fn unmap(self) -> io::Result<()> {
        let this = mem::ManuallyDrop::new(self);
        this.do_unmap()
    }

    fn do_unmap(&self) -> io::Result<()> {
        // SAFETY: `base` and the length are those mmap returned; after this the
        // value is never used again (called from `unmap` or `drop`).
        let rc = unsafe { libc::munmap(self.base.as_ptr().cast(), self.layout.bytes()) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        if let Err(e) = self.do_unmap() {
            log::warn!("munmap of the packet ring failed: {e}");
        }
    }
}

/// A block owned by user space.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Block<'a> {
    bytes: &'a [u8],
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// One packet of a block, as the kernel described it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawPacket<'a> {
    /// Offset of the next packet from this one (0 on the last).
    pub(crate) next_offset: u32,
    /// Timestamp seconds.
    pub(crate) sec: u32,
    /// Timestamp nanoseconds.
    pub(crate) nsec: u32,
    /// Length on the wire.
    pub(crate) len: u32,
    /// `tp_status` (`TP_STATUS_VLAN_VALID`...).
    pub(crate) status: u32,
    /// Stripped VLAN TCI.
    pub(crate) vlan_tci: u16,
    /// Stripped VLAN TPID.
    pub(crate) vlan_tpid: u16,
    /// Interface index.
    pub(crate) ifindex: i32,
    /// Hardware type (`ARPHRD_*`).
    pub(crate) hatype: u16,
    /// `PACKET_*` type.
    pub(crate) pkttype: u8,
    /// The captured bytes.
    pub(crate) data: &'a [u8],
}

impl<'a> Block<'a> {
    /// Number of packets and the offset of the first.
    pub(crate) fn packets(&self) -> (u32, u32) {
        (
            u32_at(self.bytes, BLOCK_NUM_PKTS).unwrap_or(0),
            u32_at(self.bytes, BLOCK_FIRST).unwrap_or(0),
        )
    }

    /// The packet whose header starts at `offset`, or `None` if the header or
    /// its data would not lie inside the block.
    pub(crate) fn packet(&self, offset: u32) -> Option<RawPacket<'a>> {
        let b = self.bytes;
        let at = offset as usize;
        let hdr = b.get(at..at.checked_add(TP3_HDRLEN)?)?;
        let snaplen = u32_at(hdr, 12)? as usize;
        let mac = u16_at(hdr, 24)? as usize;
        let start = at.checked_add(mac)?;
        let data = b.get(start..start.checked_add(snaplen)?)?;
        Some(RawPacket {
            next_offset: u32_at(hdr, 0)?,
            sec: u32_at(hdr, 4)?,
            nsec: u32_at(hdr, 8)?,
            len: u32_at(hdr, 16)?,
            status: u32_at(hdr, 20)?,
            vlan_tci: u32_at(hdr, 32)? as u16,
            vlan_tpid: u16_at(hdr, 36)?,
            ifindex: u32_at(hdr, TP3_HDR + 4)? as i32,
            hatype: u16_at(hdr, TP3_HDR + 8)?,
            pkttype: *hdr.get(TP3_HDR + 10)?,
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_fits_a_snaplen_packet_and_rounds_to_blocks() {
        let l = RingLayout::new(262_144, 4 << 20, Duration::from_millis(10)).unwrap();
        assert!(l.block_size as usize >= l.frame_size as usize + 64);
        assert!(l.block_size.is_power_of_two());
        assert_eq!(l.block_nr, 8);
        assert_eq!(l.timeout_ms, 10);
        let small = RingLayout::new(128, 64 << 10, Duration::ZERO).unwrap();
        assert_eq!(small.timeout_ms, 1);
        assert_eq!(small.bytes(), 64 << 10);
        assert!(small.block_nr >= 2);
        assert!(RingLayout::new(0, 1 << 20, Duration::ZERO).is_err());
        // A small ring at the usual snap length: two blocks that each hold a
        // maximal packet.
        let small = RingLayout::new(65_535, 256 << 10, Duration::from_millis(10)).unwrap();
        assert_eq!((small.block_nr, small.block_size), (2, 128 << 10));
        assert!(small.block_size >= small.frame_size);
    }

    #[test]
    fn packet_outside_the_block_is_refused() {
        let mut bytes = vec![0u8; 256];
        bytes[..4].copy_from_slice(&0u32.to_ne_bytes());
        bytes[12..16].copy_from_slice(&200u32.to_ne_bytes()); // snaplen
        bytes[24..26].copy_from_slice(&80u16.to_ne_bytes()); // mac offset
        let block = Block { bytes: &bytes };
        assert!(block.packet(0).is_none(), "80 + 200 > 256");
        bytes[12..16].copy_from_slice(&100u32.to_ne_bytes());
        let block = Block { bytes: &bytes };
        assert_eq!(block.packet(0).unwrap().data.len(), 100);
        assert!(block.packet(250).is_none());
    }
}
