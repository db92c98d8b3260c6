//! A finished flow: what the flow table hands to the JSON log, the IPFIX exporter and the report.

use std::net::IpAddr;

use crate::inline_text::InlineText;

/// Zeek's `conn_state` vocabulary (see Zeek's `conn.log` documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnState {
    /// Connection attempt seen, no reply.
    S0,
    /// Connection established, not terminated.
    S1,
    /// Normal establishment and termination.
    SF,
    /// Connection attempt rejected.
    REJ,
    /// Established, close attempt by the originator seen (no reply from the responder).
    S2,
    /// Established, close attempt by the responder seen (no reply from the originator).
    S3,
    /// Established, the originator aborted (sent a RST).
    RSTO,
    /// Established, the responder aborted.
    RSTR,
    /// The originator sent a SYN then a RST; no SYN-ACK from the responder.
    RSTOS0,
    /// The responder sent a SYN-ACK then a RST; no SYN from the originator.
    RSTRH,
    /// The originator sent a SYN then a FIN; no SYN-ACK from the responder.
    SH,
    /// The responder sent a SYN-ACK then a FIN; no SYN from the originator.
    SHR,
    /// No SYN seen, just midstream traffic (and every non-TCP flow).
    OTH,
}

impl ConnState {
    /// The name Zeek writes.
    pub fn name(self) -> &'static str {
        match self {
            ConnState::S0 => "S0",
            ConnState::S1 => "S1",
            ConnState::SF => "SF",
            ConnState::REJ => "REJ",
            ConnState::S2 => "S2",
            ConnState::S3 => "S3",
            ConnState::RSTO => "RSTO",
            ConnState::RSTR => "RSTR",
            ConnState::RSTOS0 => "RSTOS0",
            ConnState::RSTRH => "RSTRH",
            ConnState::SH => "SH",
            ConnState::SHR => "SHR",
            ConnState::OTH => "OTH",
        }
    }
}

/// Why a flow's record was emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// TCP FIN or RST seen (after the grace period).
    Closed,
    /// No packet for the protocol's idle timeout (packet time).
    Idle,
    /// Longer than the active timeout: the record covers the flow so far,
    /// and the flow goes on in a new record.
    Active,
    /// Evicted early to keep the table within `max_flows`.
    Evicted,
    /// The end of the run.
    Shutdown,
}

/// One side's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SideCounts {
    /// Packets sent by this side.
    pub packets: u64,
    /// IP bytes (IP header included) sent by this side.
    pub ip_bytes: u64,
    /// Payload bytes (above TCP/UDP/ICMP) sent by this side.
    pub payload_bytes: u64,
    /// The TCP flags this side sent, OR-ed (0 for other protocols).
    pub tcp_flags: u8,
    /// Frame bytes on the wire (link header included) sent by this side.
    pub wire_bytes: u64,
}

/// A finished flow, keyed by the outermost IP 5-tuple and VLAN id, with the
/// originator first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRecord {
    /// A short unique id, as Zeek's `uid` (e.g. `CkFd3o2EQQx2bTdRt1`).
    pub uid: InlineText<18>,
    /// Time of the first packet, ns since the epoch.
    pub start_ns: u64,
    /// Time of the last packet, ns since the epoch.
    pub end_ns: u64,
    /// The outermost VLAN id, if tagged.
    pub vlan: Option<u16>,
    /// The IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...).
    pub proto: u8,
    /// The originator's address.
    pub orig_h: IpAddr,
    /// The originator's port (ICMP: the message type, as Zeek).
    pub orig_p: u16,
    /// The responder's address.
    pub resp_h: IpAddr,
    /// The responder's port (ICMP: the code, as Zeek).
    pub resp_p: u16,
    /// What the originator sent.
    pub orig: SideCounts,
    /// What the responder sent.
    pub resp: SideCounts,
    /// Zeek's connection state.
    pub conn_state: ConnState,
    /// Zeek's history letters (e.g. `ShADadFf`).
    pub history: InlineText<19>,
    /// The Community ID v1 (`1:BASE64`).
    pub community_id: InlineText<30>,
    /// Why the record was emitted.
    pub end_reason: EndReason,
}
