//! IEEE 802.2 LLC headers and their SNAP extension: the EtherType an 802.3 or 802.11 frame carries after `AA AA 03` and an OUI.

use crate::bytes::{array, be16, fixed_view, Field};

/// Field ranges of an LLC header with SNAP.
pub mod field {
    use super::Field;
    /// Destination service access point.
    pub const DSAP: usize = 0;
    /// Source service access point.
    pub const SSAP: usize = 1;
    /// Control (one byte: unnumbered format).
    pub const CONTROL: usize = 2;
    /// SNAP organisation code.
    pub const OUI: Field = 3..6;
    /// SNAP protocol id: an EtherType for OUI 0.
    pub const ETHERTYPE: Field = 6..8;
}

/// The length of an LLC header with its SNAP extension.
pub const SNAP_LEN: usize = 8;

fixed_view! {
    /// A view of an LLC header, read together with the 5 SNAP bytes that
    /// follow when they are there.
    Llc, SNAP_LEN
}

impl<'a> Llc<'a> {
    /// Destination SAP.
    #[inline(always)]
    pub fn dsap(&self) -> u8 {
        self.header[field::DSAP]
    }

    /// Source SAP.
    #[inline(always)]
    pub fn ssap(&self) -> u8 {
        self.header[field::SSAP]
    }

    /// Control byte.
    #[inline(always)]
    pub fn control(&self) -> u8 {
        self.header[field::CONTROL]
    }

    /// Whether this is SNAP: `AA AA 03`.
    #[inline(always)]
    pub fn is_snap(&self) -> bool {
        self.dsap() == 0xaa && self.ssap() == 0xaa && self.control() == 0x03
    }

    /// The SNAP OUI.
    #[inline(always)]
    pub fn oui(&self) -> [u8; 3] {
        array(self.header, field::OUI)
    }

    /// The SNAP EtherType, when this is SNAP and it is an EtherType (above 1500).
    #[inline(always)]
    pub fn snap_ethertype(&self) -> Option<u16> {
        let etype = be16(self.header, field::ETHERTYPE.start);
        (self.is_snap() && etype > crate::ethertype::MAX_LENGTH).then_some(etype)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::tests::every_prefix;

    #[test]
    fn snap_carries_an_ethertype_and_stp_does_not() {
        let snap = [0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00, 0x45];
        let llc = Llc::new_checked(&snap).unwrap();
        assert_eq!((llc.snap_ethertype(), llc.oui()), (Some(0x0800), [0; 3]));
        assert_eq!(llc.payload(), &[0x45]);
        let stp = [0x42, 0x42, 0x03, 0, 0, 0, 0, 0];
        assert_eq!(Llc::new_checked(&stp).unwrap().snap_ethertype(), None);
        every_prefix(&snap, |b| {
            let _ = Llc::new_checked(b).map(|l| l.snap_ethertype());
        });
    }
}
