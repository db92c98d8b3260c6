//! pcap records: each cut in place from the buffer, its packet handed over.

use super::*;

impl Reader {
    /// Reads one pcap record and finds its packet.
    #[inline]
    pub(super) fn step_pcap<I: Interrupt + ?Sized>(
        &mut self,
        big_endian: bool,
        interrupt: &I,
    ) -> Result<Step, Damage> {
        let offset = self.bytes.offset();
        let Some(avail) = self.fill(16, interrupt, offset)? else {
            return Ok(Step::Ended);
        };
        if avail == 0 {
            return Ok(Step::Eof);
        }
        if avail < 16 {
            return Err((offset, format!("the file ends inside a packet record header ({avail} of 16 bytes); it was cut short")));
        }
        let caplen = u32_at(self.bytes.data(), 8, big_endian);
        if caplen > MAX_CAPLEN {
            return Err((offset, format!("absurd captured length {caplen} in a packet record (more than {MAX_CAPLEN}); the file is damaged")));
        }
        let need = 16 + caplen as usize;
        let Some(avail) = self.fill(need, interrupt, offset)? else {
            return Ok(Step::Ended);
        };
        if avail < need {
            return Err((
                offset,
                format!(
                    "packet record cut short: it needs {need} bytes, the file ends after {avail}"
                ),
            ));
        }
        // seconds(4) fraction(4) captured length(4) original length(4), data.
        let record = &self.bytes.data()[..need];
        let iface = &self.ifaces[0];
        let frac = u64::from(u32_at(record, 4, big_endian));
        let frac_ns = if iface.tsresol == 9 {
            frac
        } else {
            frac.saturating_mul(1000)
        };
        let ts_ns = u64::from(u32_at(record, 0, big_endian))
            .saturating_mul(1_000_000_000)
            .saturating_add(frac_ns);
        Ok(Step::Packet(Found {
            record_len: need,
            data_at: 16,
            data_len: caplen as usize,
            iface: 0,
            ts_ns,
            len: u32_at(record, 12, big_endian),
            flags: 0,
        }))
    }
}
