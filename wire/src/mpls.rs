//! MPLS label stack entries: label, traffic class, bottom-of-stack bit and TTL.

use crate::bytes::{be32, fixed_view};

/// The length of one label stack entry.
pub const ENTRY_LEN: usize = 4;

fixed_view! {
    /// A view of one MPLS label stack entry.
    Mpls, ENTRY_LEN
}

impl<'a> Mpls<'a> {
    /// The 20-bit label.
    #[inline(always)]
    pub fn label(&self) -> u32 {
        be32(self.header, 0) >> 12
    }

    /// The 3-bit traffic class.
    #[inline(always)]
    pub fn traffic_class(&self) -> u8 {
        (self.header[2] >> 1) & 0x07
    }

    /// Whether this is the last entry of the stack.
    #[inline(always)]
    pub fn bottom_of_stack(&self) -> bool {
        self.header[2] & 0x01 != 0
    }

    /// Time to live.
    #[inline(always)]
    pub fn ttl(&self) -> u8 {
        self.header[3]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::tests::every_prefix;

    #[test]
    fn reads_an_entry() {
        // Label 16, TC 0, bottom of stack, TTL 64, then IPv4.
        let b = [0x00, 0x01, 0x01, 0x40, 0x45];
        let m = Mpls::new_checked(&b).unwrap();
        assert_eq!(
            (m.label(), m.traffic_class(), m.bottom_of_stack(), m.ttl()),
            (16, 0, true, 64)
        );
        assert_eq!(m.payload(), &[0x45]);
        every_prefix(&b, |b| {
            let _ = Mpls::new_checked(b).map(|m| m.label());
        });
    }
}
