//! Zeek's view of a connection's state: each endpoint's TCP state, the `history` letters and the `conn_state` they make (Zeek's `base/protocols/conn/main.zeek`).

use crate::record::ConnState;

/// TCP flag bits.
pub const FIN: u8 = 0x01;
/// SYN.
pub const SYN: u8 = 0x02;
/// RST.
pub const RST: u8 = 0x04;
/// ACK.
pub const ACK: u8 = 0x10;

/// One endpoint's state, as Zeek's TCP analyzer keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Endpoint {
    /// Nothing seen from it.
    #[default]
    Inactive,
    /// It sent a SYN.
    SynSent,
    /// It sent a SYN-ACK.
    SynAckSent,
    /// It sent something, but no SYN: picked up midstream.
    Partial,
    /// The three-way handshake completed.
    Established,
    /// It sent a FIN.
    Closed,
    /// It sent a RST.
    Reset,
}

impl Endpoint {
    fn inactive(self) -> bool {
        matches!(self, Endpoint::Inactive | Endpoint::Partial)
    }
}

/// History letters in Zeek's order of meaning; a bit each per direction.
const LETTERS: [u8; 9] = *b"SHADFRQIT";

/// Both endpoints' states and the history of a connection, in originator
/// and responder terms.
#[derive(Debug, Clone, Copy, Default)]
pub struct Conn {
    /// The originator's state.
    pub orig: Endpoint,
    /// The responder's state.
    pub resp: Endpoint,
    /// Letters seen from the originator (bit i: `LETTERS[i]`).
    orig_seen: u16,
    /// Letters seen from the responder.
    resp_seen: u16,
    /// The history so far: at most 2 × 9 letters and `^`.
    history: [u8; 19],
    len: u8,
    /// Each side's highest sequence number past payload sent
    /// (originator, responder), once it sent payload.
    seq_end: [Option<u32>; 2],
}

impl Conn {
    /// Marks the roles as flipped (Zeek's `^`): the first packet seen was
    /// the responder's SYN-ACK.
    pub fn flipped(&mut self) {
        self.push(b'^');
    }

    /// Whether a SYN (without ACK) from the responder makes it the
    /// originator, as Zeek flips the roles: neither side has sent a SYN.
    pub fn flips_on_responder_syn(&self) -> bool {
        self.orig.inactive() && self.resp.inactive()
    }

    /// Swaps the roles (the responder's pure SYN came when no side had sent
    /// one): states, letters seen, sequence marks; `^` in the history.
    pub fn flip(&mut self) {
        std::mem::swap(&mut self.orig, &mut self.resp);
        std::mem::swap(&mut self.orig_seen, &mut self.resp_seen);
        self.seq_end.swap(0, 1);
        self.push(b'^');
    }

    fn push(&mut self, letter: u8) {
        if let Some(slot) = self.history.get_mut(usize::from(self.len)) {
            *slot = letter;
            self.len += 1;
        }
    }

    /// Adds `letter` (uppercase) for the originator or, lowercased, for the
    /// responder, once per direction, as Zeek does.
    pub fn letter(&mut self, letter: u8, from_orig: bool) {
        let Some(i) = LETTERS.iter().position(|&l| l == letter) else {
            return;
        };
        let seen = if from_orig {
            &mut self.orig_seen
        } else {
            &mut self.resp_seen
        };
        if *seen & (1 << i) != 0 {
            return;
        }
        *seen |= 1 << i;
        self.push(if from_orig {
            letter
        } else {
            letter.to_ascii_lowercase()
        });
    }

    /// The history letters so far (ASCII).
    pub fn history(&self) -> &[u8] {
        &self.history[..usize::from(self.len)]
    }

    /// Starts a new record's history (after an active timeout), the
    /// endpoints' states kept.
    pub fn restart_history(&mut self) {
        self.orig_seen = 0;
        self.resp_seen = 0;
        self.len = 0;
    }

    /// A TCP segment with `flags`, sequence number `seq` and `payload`
    /// bytes from the originator (`from_orig`) or the responder: the
    /// letters and state changes.
    pub fn tcp(&mut self, flags: u8, seq: u32, payload: u64, from_orig: bool) {
        // `T`: payload that starts before the highest sequence number this
        // side already sent payload up to (a retransmission, or overlap).
        if payload > 0 {
            let side = &mut self.seq_end[usize::from(!from_orig)];
            let end = seq.wrapping_add(payload as u32);
            // A keep-alive (one byte just below that mark) is not one.
            let retransmitted = side.is_some_and(|e| {
                (seq.wrapping_sub(e) as i32) < 0 && !(payload == 1 && seq == e.wrapping_sub(1))
            });
            let further = match *side {
                Some(e) => (end.wrapping_sub(e) as i32) > 0,
                None => true,
            };
            if further {
                *side = Some(end);
            }
            if retransmitted {
                self.letter(b'T', from_orig);
            }
        }
        // History, as Zeek's TCP analyzer (each letter once a direction;
        // `T` above; not Zeek's `C`, `G`, `W`, `^` for other flips): a packet with more than one of
        // SYN, FIN and RST is `Q` (`I` for FIN+RST); one of them gives its
        // letter (`S`, `H` for SYN-ACK, `F`, `R`); none, `D` with payload,
        // else `A` with ACK.
        let bits = [SYN, FIN, RST].iter().filter(|&&b| flags & b != 0).count();
        if bits > 1 {
            let fin_rst = flags & (FIN | RST) == FIN | RST;
            self.letter(if fin_rst { b'I' } else { b'Q' }, from_orig);
        } else if flags & SYN != 0 {
            self.letter(if flags & ACK != 0 { b'H' } else { b'S' }, from_orig);
        } else if flags & FIN != 0 {
            self.letter(b'F', from_orig);
        } else if flags & RST != 0 {
            self.letter(b'R', from_orig);
        } else if payload > 0 {
            self.letter(b'D', from_orig);
        } else if flags & ACK != 0 {
            self.letter(b'A', from_orig);
        }

        let (me, peer) = if from_orig {
            (&mut self.orig, &mut self.resp)
        } else {
            (&mut self.resp, &mut self.orig)
        };
        if flags & RST != 0 {
            *me = Endpoint::Reset;
            return;
        }
        if *me == Endpoint::Reset {
            return;
        }
        if flags & SYN != 0 {
            if me.inactive() {
                *me = if flags & ACK != 0 {
                    Endpoint::SynAckSent
                } else {
                    Endpoint::SynSent
                };
            }
            return;
        }
        // The handshake completes with the SYN sender's ACK of a SYN-ACK.
        if flags & ACK != 0 && *me == Endpoint::SynSent && *peer == Endpoint::SynAckSent {
            *me = Endpoint::Established;
            *peer = Endpoint::Established;
        }
        if *me == Endpoint::Inactive {
            *me = Endpoint::Partial;
        }
        if flags & FIN != 0 {
            *me = Endpoint::Closed;
        }
    }

    /// Whether the connection has ended for TCP: a RST, or a FIN each way.
    pub fn tcp_closed(&self) -> bool {
        self.orig == Endpoint::Reset
            || self.resp == Endpoint::Reset
            || (self.orig == Endpoint::Closed && self.resp == Endpoint::Closed)
    }

    /// Zeek's `conn_state` of a TCP connection; `orig_payload` and
    /// `resp_payload` are the payload bytes each side sent.
    pub fn tcp_state(&self, orig_payload: u64, resp_payload: u64) -> ConnState {
        let (os, rs) = (self.orig, self.resp);
        let (o_inactive, r_inactive) = (os.inactive(), rs.inactive());
        if rs == Endpoint::Reset {
            if matches!(os, Endpoint::SynSent | Endpoint::SynAckSent)
                || (os == Endpoint::Reset && orig_payload == 0 && resp_payload == 0)
            {
                ConnState::REJ
            } else if o_inactive {
                ConnState::RSTRH
            } else {
                ConnState::RSTR
            }
        } else if os == Endpoint::Reset {
            if r_inactive {
                if self.rstos0_history() {
                    ConnState::RSTOS0
                } else {
                    ConnState::OTH
                }
            } else {
                ConnState::RSTO
            }
        } else if rs == Endpoint::Closed && os == Endpoint::Closed {
            ConnState::SF
        } else if os == Endpoint::Closed {
            if r_inactive {
                ConnState::SH
            } else {
                ConnState::S2
            }
        } else if rs == Endpoint::Closed {
            if o_inactive {
                ConnState::SHR
            } else {
                ConnState::S3
            }
        } else if os == Endpoint::SynSent && rs == Endpoint::Inactive {
            ConnState::S0
        } else if os == Endpoint::Established && rs == Endpoint::Established {
            ConnState::S1
        } else {
            ConnState::OTH
        }
    }

    /// Zeek's `/\^?S[^HAFGIQ]*R.*/` on the history.
    fn rstos0_history(&self) -> bool {
        let h = self.history();
        let h = h.strip_prefix(b"^").unwrap_or(h);
        let Some(rest) = h.strip_prefix(b"S") else {
            return false;
        };
        for &c in rest {
            if c == b'R' {
                return true;
            }
            if b"HAFGIQ".contains(&c) {
                return false;
            }
        }
        false
    }
}

/// Zeek's `conn_state` of a UDP flow: `SF` when both sides sent, `S0` when
/// only the originator did.
pub fn udp_state(orig_packets: u64, resp_packets: u64) -> ConnState {
    match (orig_packets > 0, resp_packets > 0) {
        (true, true) => ConnState::SF,
        (true, false) => ConnState::S0,
        (false, true) => ConnState::SHR,
        (false, false) => ConnState::OTH,
    }
}
