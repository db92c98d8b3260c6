//! The bounds every record of a capture file is checked against, read or written, so that no allocation is ever sized by a length field of a file.

/// The largest captured length accepted in a record (as libpcap's
/// `MAXIMUM_SNAPLEN`); a longer one means the file is damaged. Writers cut
/// packets to it.
pub const MAX_CAPLEN: u32 = 262_144;
/// The largest pcapng block accepted (a maximal packet plus room for options).
pub(crate) const MAX_BLOCK: usize = 1 << 20;
/// At most this many pcapng interfaces per section (the writer starts a new
/// section after as many).
pub(crate) const MAX_INTERFACES: usize = 65_536;

/// A writer's snap length: 0 or more than [`MAX_CAPLEN`] means [`MAX_CAPLEN`].
pub(crate) fn clamp_snaplen(snaplen: u32) -> u32 {
    if snaplen == 0 || snaplen > MAX_CAPLEN {
        MAX_CAPLEN
    } else {
        snaplen
    }
}
