//! One flow's state in the table: its roles, times, counters each way and TCP state, and the record it makes.

use std::hash::{Hash, Hasher};

use crate::community_id::{self, has_ports};
use crate::conn::{udp_state, Conn, ACK, RST, SYN};
use crate::inline_text::InlineText;
use crate::key::{FlowKey, Observed, NO_VLAN};
use crate::record::{ConnState, EndReason, FlowRecord, SideCounts};

/// A flow's state.
#[derive(Debug, Clone, Copy)]
pub struct FlowState {
    /// Whether endpoint a of the key is the originator.
    pub orig_is_a: bool,
    /// The first packet of the current record (0 before one).
    pub first_ns: u64,
    /// The last packet's time.
    pub last_ns: u64,
    /// When the current record started (packet or tick time): the active
    /// timeout counts from here.
    pub period_ns: u64,
    /// What the originator sent in the current record.
    pub orig: SideCounts,
    /// What the responder sent.
    pub resp: SideCounts,
    /// Endpoint states and history.
    pub conn: Conn,
    /// Its uid, the same in each of its records.
    pub uid: InlineText<18>,
    /// Its Community ID's digest (see [`community_id::digest`]). The uid
    /// and this are made with the flow, on the table's thread, rather than
    /// with each record: a replay's records mostly come at its end, when
    /// the capture is over and every record waits for them. Neither
    /// changes when the roles flip: the ID puts the smaller endpoint
    /// first, and only a TCP flow's roles change after its first packet
    /// (never a one-way ICMP message's, whose sender goes first).
    pub community: [u8; 20],
}

/// The Community ID's digest of the flow `key` whose originator is
/// endpoint a (`a`) or b.
fn community(key: &FlowKey, a: bool, seed: u16) -> [u8; 20] {
    let ports = has_ports(key.proto).then(|| (key.port(a), key.port(!a)));
    community_id::digest(
        seed,
        key.addr_bytes(a),
        key.addr_bytes(!a),
        key.proto,
        ports,
        key.one_way,
    )
}

/// Base62 digits, as Zeek's uids use.
const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A Zeek-style uid: `C` and 17 base62 digits of `n` stretched by a hash
/// (the lowest 17 digits of `hash(n) << 64 | n`, the lowest first).
pub fn uid_text(n: u64) -> InlineText<18> {
    /// 62 to the 10th and 7th: ten digits fit a `u64`, so two 128-bit
    /// divisions split the number and the rest is 64-bit arithmetic (17
    /// 128-bit divisions took most of a record's uid).
    const TEN: u64 = 62u64.pow(10);
    const SEVEN: u64 = 62u64.pow(7);
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    n.hash(&mut hasher);
    let bits = (u128::from(hasher.finish()) << 64) | u128::from(n);
    let low = (bits % u128::from(TEN)) as u64;
    let high = (bits / u128::from(TEN) % u128::from(SEVEN)) as u64;
    let mut out = [b'C'; 18];
    let mut at = 1;
    for (mut part, digits) in [(low, 10), (high, 7)] {
        for _ in 0..digits {
            out[at] = DIGITS[(part % 62) as usize];
            at += 1;
            part /= 62;
        }
    }
    InlineText::from_bytes(&out)
}

impl FlowState {
    /// A new flow whose first packet is `obs` at `ts`, numbered `serial`
    /// (its uid stretches the number with its key and time), its Community
    /// ID with `seed`.
    pub fn new(obs: &Observed, ts: u64, serial: u64, seed: u16) -> FlowState {
        let mut conn = Conn::default();
        // The originator sent the first packet, except that a first packet
        // that is a SYN-ACK came from the responder (Zeek flips the roles).
        let synack = obs
            .tcp_flags
            .is_some_and(|f| f & (SYN | ACK | RST) == SYN | ACK);
        if synack {
            conn.flipped();
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (obs.key, ts, serial).hash(&mut hasher);
        let orig_is_a = obs.from_a != synack;
        FlowState {
            orig_is_a,
            first_ns: ts,
            last_ns: ts,
            period_ns: ts,
            orig: SideCounts::default(),
            resp: SideCounts::default(),
            conn,
            uid: uid_text(hasher.finish()),
            community: community(&obs.key, orig_is_a, seed),
        }
    }

    /// Counts `obs` at `ts`.
    #[inline]
    pub fn update(&mut self, obs: &Observed, ts: u64) {
        let mut from_orig = obs.from_a == self.orig_is_a;
        // The TCP originator is the SYN sender: a pure SYN from the
        // responder of a flow picked up midstream flips the roles.
        let pure_syn = obs.tcp_flags.is_some_and(|f| f & (SYN | ACK | RST) == SYN);
        if pure_syn && !from_orig && self.conn.flips_on_responder_syn() {
            self.orig_is_a = !self.orig_is_a;
            std::mem::swap(&mut self.orig, &mut self.resp);
            self.conn.flip();
            from_orig = true;
        }
        if self.orig.packets + self.resp.packets == 0 {
            self.first_ns = ts;
        }
        self.last_ns = self.last_ns.max(ts);
        let side = if from_orig {
            &mut self.orig
        } else {
            &mut self.resp
        };
        side.packets += 1;
        side.ip_bytes += obs.ip_bytes;
        side.payload_bytes += obs.payload;
        side.wire_bytes += obs.wire_bytes;
        match obs.tcp_flags {
            Some(flags) => {
                side.tcp_flags |= flags;
                self.conn.tcp(flags, obs.tcp_seq, obs.payload, from_orig);
            }
            None if obs.key.proto == 17 && obs.payload > 0 => self.conn.letter(b'D', from_orig),
            None => {}
        }
    }

    /// Whether the flow has ended as TCP ends (a FIN each way, or a RST).
    pub fn closed(&self, key: &FlowKey) -> bool {
        key.proto == 6 && self.conn.tcp_closed()
    }

    /// Zeek's `conn_state`.
    pub fn conn_state(&self, key: &FlowKey) -> ConnState {
        match key.proto {
            6 => self
                .conn
                .tcp_state(self.orig.payload_bytes, self.resp.payload_bytes),
            17 => udp_state(self.orig.packets, self.resp.packets),
            _ => ConnState::OTH,
        }
    }

    /// Whether the current record has packets.
    pub fn has_packets(&self) -> bool {
        self.orig.packets + self.resp.packets > 0
    }

    /// The current record, ended for `reason`.
    pub fn record(&self, key: &FlowKey, reason: EndReason) -> FlowRecord {
        let a = self.orig_is_a;
        FlowRecord {
            uid: self.uid,
            start_ns: self.first_ns,
            end_ns: self.last_ns,
            vlan: (key.vlan != NO_VLAN).then_some(key.vlan),
            proto: key.proto,
            orig_h: key.addr(a),
            orig_p: key.port(a),
            resp_h: key.addr(!a),
            resp_p: key.port(!a),
            orig: self.orig,
            resp: self.resp,
            conn_state: self.conn_state(key),
            history: InlineText::from_bytes(self.conn.history()),
            community_id: community_id::text(&self.community),
            end_reason: reason,
        }
    }

    /// Starts the next record of a long flow at `now` (active timeout): the
    /// counters and history anew, the TCP state kept.
    pub fn restart(&mut self, now: u64) {
        self.orig = SideCounts::default();
        self.resp = SideCounts::default();
        self.conn.restart_history();
        self.period_ns = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The uid digit by digit on the 128-bit number, as first written.
    fn uid_by_128_bit_division(n: u64) -> String {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        n.hash(&mut hasher);
        let mut bits = (u128::from(hasher.finish()) << 64) | u128::from(n);
        let mut out = String::from("C");
        for _ in 0..17 {
            out.push(char::from(DIGITS[(bits % 62) as usize]));
            bits /= 62;
        }
        out
    }

    #[test]
    fn uids_are_the_lowest_17_base62_digits_of_the_stretched_number() {
        let edges = [0, 1, 61, 62, 62u64.pow(10) - 1, 62u64.pow(10), u64::MAX];
        let spread = (0..20_000u64).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        for n in edges.into_iter().chain(spread) {
            let uid = uid_text(n);
            assert_eq!(uid.as_str(), uid_by_128_bit_division(n), "uid of {n}");
            assert_eq!(uid.len(), 18);
        }
    }
}
