//! The C structs of `mycap.h`, laid out for C: the packet header a handler gets, and one BPF instruction.

use mycap_core::{BpfInsn, PacketHeader};

/// Size of `mycap_header_t.ifname` (IFNAMSIZ), NUL included.
pub const IFNAME_SIZE: usize = 16;

/// `mycap_header_t`: the original's three fields first (caplen, ifname,
/// pkttype), then the rest of [`PacketHeader`]. No implicit padding: every
/// byte is a named field.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MycapHeader {
    /// Bytes captured.
    pub caplen: i32,
    /// Interface name, NUL-terminated, cut to 15 bytes at a character boundary.
    pub ifname: [u8; IFNAME_SIZE],
    /// The kernel's `sll_pkttype` value (`MYCAP_HOST`, ...).
    pub pkttype: u8,
    /// Zero.
    pub reserved: [u8; 3],
    /// Length on the wire.
    pub len: u32,
    /// Interface index.
    pub ifindex: u32,
    /// Capture time, nanoseconds since the Unix epoch.
    pub ts_ns: u64,
    /// `LINKTYPE_*` of the bytes.
    pub linktype: u16,
    /// Stripped 802.1Q tag control information (0 without a tag).
    pub vlan_tci: u16,
    /// Stripped tag's protocol identifier; 0 when no tag was stripped.
    pub vlan_tpid: u16,
    /// Zero.
    pub reserved2: u16,
}

impl Default for MycapHeader {
    fn default() -> Self {
        MycapHeader {
            caplen: 0,
            ifname: [0; IFNAME_SIZE],
            pkttype: 0,
            reserved: [0; 3],
            len: 0,
            ifindex: 0,
            ts_ns: 0,
            linktype: 0,
            vlan_tci: 0,
            vlan_tpid: 0,
            reserved2: 0,
        }
    }
}

impl MycapHeader {
    /// Fills the header from mycap-core's. The interface name is only
    /// rewritten when it changes: `name` remembers the last one.
    #[inline(always)]
    pub fn fill(&mut self, header: &PacketHeader<'_>, name: &mut NameCache) {
        // caplen is at most the snap length (16 MiB) or a file's record
        // length: it fits an int; saturate rather than wrap if it ever did not.
        self.caplen = i32::try_from(header.caplen).unwrap_or(i32::MAX);
        if name.moved(header.ifname) {
            name.update(header.ifname, &mut self.ifname);
        }
        self.pkttype = header.pkttype.to_sll();
        self.len = header.len;
        self.ifindex = header.ifindex;
        self.ts_ns = header.ts_ns;
        self.linktype = header.link_type.0;
        let (tci, tpid) = header.vlan.map_or((0, 0), |v| (v.tci, v.tpid));
        self.vlan_tci = tci;
        self.vlan_tpid = tpid;
    }
}

/// The interface name last copied into a header. Sources hand out the same
/// string for every packet of an interface, so the common case is one
/// pointer comparison; a different pointer still compares the text.
#[derive(Debug, Default)]
pub struct NameCache {
    at: (usize, usize),
    text: String,
}

impl NameCache {
    /// Whether `name` is not the string seen last (it may still have the same text).
    #[inline(always)]
    fn moved(&self, name: &str) -> bool {
        (name.as_ptr() as usize, name.len()) != self.at
    }

    /// Remembers `name` and copies it into `ifname` if its text changed.
    #[cold]
    #[inline(never)]
    fn update(&mut self, name: &str, ifname: &mut [u8; IFNAME_SIZE]) {
        self.at = (name.as_ptr() as usize, name.len());
        if self.text != name {
            self.text.clear();
            self.text.push_str(name);
            *ifname = c_name(name);
        }
    }
}

/// `name` as a NUL-terminated C array, cut to 15 bytes without splitting a
/// UTF-8 character; a NUL inside the name ends it there.
pub fn c_name(name: &str) -> [u8; IFNAME_SIZE] {
    let mut out = [0u8; IFNAME_SIZE];
    let name = name.split('\0').next().unwrap_or("");
    let n = floor_char_boundary(name, IFNAME_SIZE - 1);
    out[..n].copy_from_slice(&name.as_bytes()[..n]);
    out
}

/// The largest index `<= max` that does not split a character of `s`.
pub fn floor_char_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    (0..=max)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

/// `mycap_bpf_insn_t`, laid out as Linux's `struct sock_filter`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BpfInsnC {
    /// Opcode.
    pub code: u16,
    /// Jump offset if true.
    pub jt: u8,
    /// Jump offset if false.
    pub jf: u8,
    /// Constant operand.
    pub k: u32,
}

impl From<BpfInsnC> for BpfInsn {
    fn from(insn: BpfInsnC) -> BpfInsn {
        BpfInsn::new(insn.code, insn.jt, insn.jf, insn.k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_copied_when_its_text_changes() {
        let mut cache = NameCache::default();
        let mut ifname = [b'x'; IFNAME_SIZE];
        let eth0 = String::from("eth0");
        assert!(cache.moved(&eth0));
        cache.update(&eth0, &mut ifname);
        assert_eq!(&ifname[..5], b"eth0\0");
        assert!(!cache.moved(&eth0));
        let again = String::from("eth0");
        ifname = [b'x'; IFNAME_SIZE];
        cache.update(&again, &mut ifname);
        assert_eq!(ifname, [b'x'; IFNAME_SIZE], "same text: not copied");
        cache.update("lo", &mut ifname);
        assert_eq!(&ifname[..3], b"lo\0");
    }

    #[test]
    fn names_are_cut_at_15_bytes_on_a_character_boundary() {
        assert_eq!(&c_name("eth0")[..5], b"eth0\0");
        let long = c_name("abcdefghijklmnopqrst");
        assert_eq!(&long[..], b"abcdefghijklmno\0");
        // 'é' is two bytes: 14 ASCII + 'é' would need 16, so it is dropped.
        let accented = c_name("abcdefghijklmné");
        assert_eq!(&accented[..15], b"abcdefghijklmn\0");
        assert_eq!(&c_name("a\0b")[..2], b"a\0");
    }
}
