//! IPFIX (RFC 7011) export of finished flows over UDP, one biflow record per flow (RFC 5103).
//!
//! # Record layout
//!
//! Each [`FlowRecord`] becomes one IPFIX data record. The originator is the
//! source: the forward elements carry what the originator sent, and the
//! RFC 5103 reverse elements (enterprise bit set, Private Enterprise Number
//! 29305) carry what the responder sent. One record per flow keeps the
//! biflow's two directions together; collectors that do not know RFC 5103
//! still read the forward half.
//!
//! nfdump 1.7.1 (checked by `tests/ipfix_nfcapd.rs` against its `nfcapd`)
//! shows such a record as one flow: the forward counters as `in_bytes` and
//! `in_packets`, the reverse ones as `out_bytes` and `out_packets`, the
//! originator's TCP flags as `tcp_flags`, `vlanId` as `src_vlan`, ICMP as
//! `icmp_type` and `icmp_code`; its JSON output does not show the
//! responder's TCP flags nor `flowEndReason`.
//!
//! Two templates, one per address family ([`TEMPLATE_V4`] 256 and
//! [`TEMPLATE_V6`] 257), with these fields in this order (element id,
//! length in bytes):
//!
//! | element                         | id  | len    |
//! |---------------------------------|-----|--------|
//! | flowStartMilliseconds           | 152 | 8      |
//! | flowEndMilliseconds             | 153 | 8      |
//! | sourceIPv4Address / IPv6        | 8 / 27  | 4 / 16 |
//! | destinationIPv4Address / IPv6   | 12 / 28 | 4 / 16 |
//! | sourceTransportPort             | 7   | 2      |
//! | destinationTransportPort        | 11  | 2      |
//! | protocolIdentifier              | 4   | 1      |
//! | vlanId (0: untagged)            | 58  | 2      |
//! | reverseTcpControlBits           | 6, PEN 29305 | 2 |
//! | tcpControlBits (RFC 7125)       | 6   | 2      |
//! | octetDeltaCount                 | 1   | 8      |
//! | packetDeltaCount                | 2   | 8      |
//! | reverseOctetDeltaCount          | 1, PEN 29305 | 8 |
//! | reversePacketDeltaCount         | 2, PEN 29305 | 8 |
//! | flowEndReason                   | 136 | 1      |
//!
//! The reverse TCP flags come before the forward ones on purpose: nfdump
//! 1.7 stores a reverse element it has no reverse slot for (such as
//! reverseTcpControlBits) as the forward one, the later in the record
//! winning, so this order leaves it the originator's flags.
//!
//! Octet counts are IP bytes (IP header included). For ICMP and ICMPv6 the
//! flow table keeps the type in `orig_p` and the code in `resp_p` (as Zeek);
//! the record carries them as NetFlow does, source port 0 and destination
//! port `type << 8 | code`, which collectors (nfdump among them) show as
//! the ICMP type and code. `flowEndReason` is 1 idle, 2 active, 3 end of flow
//! (FIN/RST), 4 forced end (end of the run), 5 lack of resources (evicted).
//!
//! # Messages
//!
//! Records are buffered into one message, sent when the next record would
//! make it longer than [`MAX_MESSAGE`] bytes (one unfragmented UDP datagram
//! on common paths), or on [`Exporter::flush`]. The template set leads the
//! first message, and again the first message after `template_refresh_secs`
//! of wall time (0: every message) or after [`TEMPLATE_EVERY_MESSAGES`]
//! messages, as RFC 7011 §8.4 asks of UDP exporters. The header's sequence
//! number is the count of data records sent before the message, modulo 2^32
//! (RFC 7011 §3.1); a message that failed to send does not count.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::record::{EndReason, FlowRecord};

/// The largest message sent: fits one UDP datagram within a 1500-byte MTU.
pub const MAX_MESSAGE: usize = 1400;
/// The template id of IPv4 flows.
pub const TEMPLATE_V4: u16 = 256;
/// The template id of IPv6 flows.
pub const TEMPLATE_V6: u16 = 257;
/// The templates are re-sent at least every this many messages.
pub const TEMPLATE_EVERY_MESSAGES: u64 = 64;
/// The Private Enterprise Number of RFC 5103 reverse information elements.
pub const REVERSE_PEN: u32 = 29305;

const VERSION: u16 = 10;
const HEADER_LEN: usize = 16;
const SET_HEADER_LEN: usize = 4;
const TEMPLATE_SET_ID: u16 = 2;

/// One template field: element id, length, enterprise number (0: IANA).
type Field = (u16, u16, u32);

fn template_fields(v6: bool) -> [Field; 15] {
    let (src, dst, alen) = if v6 { (27, 28, 16) } else { (8, 12, 4) };
    [
        (152, 8, 0),
        (153, 8, 0),
        (src, alen, 0),
        (dst, alen, 0),
        (7, 2, 0),
        (11, 2, 0),
        (4, 1, 0),
        (58, 2, 0),
        (6, 2, REVERSE_PEN),
        (6, 2, 0),
        (1, 8, 0),
        (2, 8, 0),
        (1, 8, REVERSE_PEN),
        (2, 8, REVERSE_PEN),
        (136, 1, 0),
    ]
}

/// The length of one data record of the template.
fn record_len(v6: bool) -> usize {
    template_fields(v6).iter().map(|f| usize::from(f.1)).sum()
}

/// The template set (id 2) holding both templates.
fn template_set() -> Vec<u8> {
    let mut set = Vec::with_capacity(160);
    set.extend_from_slice(&TEMPLATE_SET_ID.to_be_bytes());
    set.extend_from_slice(&[0, 0]);
    for (id, v6) in [(TEMPLATE_V4, false), (TEMPLATE_V6, true)] {
        let fields = template_fields(v6);
        set.extend_from_slice(&id.to_be_bytes());
        set.extend_from_slice(&(fields.len() as u16).to_be_bytes());
        for (element, len, pen) in fields {
            if pen == 0 {
                set.extend_from_slice(&element.to_be_bytes());
                set.extend_from_slice(&len.to_be_bytes());
            } else {
                set.extend_from_slice(&(element | 0x8000).to_be_bytes());
                set.extend_from_slice(&len.to_be_bytes());
                set.extend_from_slice(&pen.to_be_bytes());
            }
        }
    }
    let len = set.len() as u16;
    set[2..4].copy_from_slice(&len.to_be_bytes());
    set
}

fn end_reason_code(reason: EndReason) -> u8 {
    match reason {
        EndReason::Idle => 1,
        EndReason::Active => 2,
        EndReason::Closed => 3,
        EndReason::Shutdown => 4,
        EndReason::Evicted => 5,
    }
}

/// Appends the record's fields in template order; returns whether it is IPv6.
/// A flow with one IPv4 and one IPv6 address (which the flow table does not
/// make) is written with both mapped into IPv6.
fn encode_record(out: &mut Vec<u8>, rec: &FlowRecord) -> bool {
    let v6 = !(rec.orig_h.is_ipv4() && rec.resp_h.is_ipv4());
    out.extend_from_slice(&(rec.start_ns / 1_000_000).to_be_bytes());
    out.extend_from_slice(&(rec.end_ns / 1_000_000).to_be_bytes());
    for addr in [rec.orig_h, rec.resp_h] {
        match (addr, v6) {
            (IpAddr::V4(a), false) => out.extend_from_slice(&a.octets()),
            (IpAddr::V4(a), true) => out.extend_from_slice(&a.to_ipv6_mapped().octets()),
            (IpAddr::V6(a), _) => out.extend_from_slice(&a.octets()),
        }
    }
    let (sport, dport) = if rec.proto == 1 || rec.proto == 58 {
        (0, (rec.orig_p & 0xff) << 8 | (rec.resp_p & 0xff))
    } else {
        (rec.orig_p, rec.resp_p)
    };
    out.extend_from_slice(&sport.to_be_bytes());
    out.extend_from_slice(&dport.to_be_bytes());
    out.push(rec.proto);
    out.extend_from_slice(&rec.vlan.unwrap_or(0).to_be_bytes());
    out.extend_from_slice(&u16::from(rec.resp.tcp_flags).to_be_bytes());
    out.extend_from_slice(&u16::from(rec.orig.tcp_flags).to_be_bytes());
    out.extend_from_slice(&rec.orig.ip_bytes.to_be_bytes());
    out.extend_from_slice(&rec.orig.packets.to_be_bytes());
    out.extend_from_slice(&rec.resp.ip_bytes.to_be_bytes());
    out.extend_from_slice(&rec.resp.packets.to_be_bytes());
    out.push(end_reason_code(rec.end_reason));
    v6
}

/// An IPFIX exporter sending to one collector over UDP.
pub struct Exporter {
    socket: UdpSocket,
    target: SocketAddr,
    domain: u32,
    refresh: Duration,
    /// Re-send the templates after this many messages.
    template_every: u64,
    /// The message being built (header included); empty when none.
    buf: Vec<u8>,
    /// Data records in `buf`.
    buffered: u32,
    /// The template id and offset of the data set open at the end of `buf`.
    open_set: Option<(u16, usize)>,
    /// Data records sent, modulo 2^32: the next message's sequence number.
    sequence: u32,
    messages: u64,
    records: u64,
    /// When the templates were last sent, if ever.
    templates_sent_at: Option<Instant>,
    messages_since_templates: u64,
}

impl Exporter {
    /// An exporter to `target` ("HOST:PORT"), for the observation domain,
    /// re-sending the templates every `template_refresh_secs` of wall time.
    pub fn new(
        target: &str,
        observation_domain: u32,
        template_refresh_secs: u64,
    ) -> Result<Exporter, String> {
        let addrs: Vec<SocketAddr> = target
            .to_socket_addrs()
            .map_err(|e| format!("ipfix: target {target:?} is not a reachable HOST:PORT: {e}"))?
            .collect();
        let addr = *addrs
            .first()
            .ok_or_else(|| format!("ipfix: target {target:?} resolves to no address"))?;
        let local: SocketAddr = if addr.is_ipv4() {
            (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = UdpSocket::bind(local)
            .map_err(|e| format!("ipfix: cannot open a UDP socket for {target:?}: {e}"))?;
        socket.connect(addr).map_err(|e| {
            format!("ipfix: cannot connect a UDP socket to {target:?} ({addr}): {e}")
        })?;
        Ok(Exporter {
            socket,
            target: addr,
            domain: observation_domain,
            refresh: Duration::from_secs(template_refresh_secs),
            template_every: TEMPLATE_EVERY_MESSAGES,
            buf: Vec::with_capacity(MAX_MESSAGE),
            buffered: 0,
            open_set: None,
            sequence: 0,
            messages: 0,
            records: 0,
            templates_sent_at: None,
            messages_since_templates: 0,
        })
    }

    /// Buffers one flow's record, sending the buffered message first when
    /// the record would not fit in it.
    pub fn export(&mut self, rec: &FlowRecord) -> Result<(), String> {
        let v6 = !(rec.orig_h.is_ipv4() && rec.resp_h.is_ipv4());
        let template = if v6 { TEMPLATE_V6 } else { TEMPLATE_V4 };
        let new_set = self.open_set.map(|(id, _)| id) != Some(template);
        let need = record_len(v6) + if new_set { SET_HEADER_LEN } else { 0 };
        if !self.buf.is_empty() && self.buf.len() + need > MAX_MESSAGE {
            self.flush()?;
        }
        if self.buf.is_empty() {
            self.start_message();
        }
        if self.open_set.map(|(id, _)| id) != Some(template) {
            self.close_set();
            self.open_set = Some((template, self.buf.len()));
            self.buf.extend_from_slice(&template.to_be_bytes());
            self.buf.extend_from_slice(&[0, 0]);
        }
        encode_record(&mut self.buf, rec);
        self.buffered += 1;
        Ok(())
    }

    /// Sends the buffered message, if any.
    pub fn flush(&mut self) -> Result<(), String> {
        if self.buffered == 0 {
            return Ok(());
        }
        self.close_set();
        let export_time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as u32)
            .unwrap_or(0);
        let len = self.buf.len() as u16;
        self.buf[2..4].copy_from_slice(&len.to_be_bytes());
        self.buf[4..8].copy_from_slice(&export_time.to_be_bytes());
        self.buf[8..12].copy_from_slice(&self.sequence.to_be_bytes());
        let sent = self.socket.send(&self.buf);
        let records = self.buffered;
        self.buf.clear();
        self.buffered = 0;
        self.open_set = None;
        if !matches!(sent, Ok(n) if n == usize::from(len)) {
            // The templates this message carried may be lost with it.
            self.templates_sent_at = None;
        }
        match sent {
            Ok(n) if n == usize::from(len) => {
                self.sequence = self.sequence.wrapping_add(records);
                self.messages += 1;
                self.records += u64::from(records);
                Ok(())
            }
            Ok(n) => Err(format!(
                "ipfix: sent {n} of {len} bytes to {}; {records} records lost",
                self.target
            )),
            Err(e) => Err(format!(
                "ipfix: cannot send to {}: {e}; {records} records lost",
                self.target
            )),
        }
    }

    /// Messages and data records sent so far.
    pub fn stats(&self) -> (u64, u64) {
        (self.messages, self.records)
    }

    /// Starts a message: the header (length, time and sequence set on
    /// sending), and the template set when it is due.
    fn start_message(&mut self) {
        self.buf.clear();
        self.buf.extend_from_slice(&VERSION.to_be_bytes());
        self.buf.extend_from_slice(&[0; 10]);
        self.buf.extend_from_slice(&self.domain.to_be_bytes());
        debug_assert_eq!(self.buf.len(), HEADER_LEN);
        let due = match self.templates_sent_at {
            None => true,
            Some(at) => {
                at.elapsed() >= self.refresh || self.messages_since_templates >= self.template_every
            }
        };
        if due {
            self.buf.extend_from_slice(&template_set());
            self.templates_sent_at = Some(Instant::now());
            self.messages_since_templates = 0;
        }
        self.messages_since_templates += 1;
        self.open_set = None;
    }

    /// Writes the open data set's length.
    fn close_set(&mut self) {
        if let Some((_, start)) = self.open_set.take() {
            let len = (self.buf.len() - start) as u16;
            self.buf[start + 2..start + 4].copy_from_slice(&len.to_be_bytes());
        }
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests;
