//! The flow plugin: a bidirectional connection table keyed by the outermost IP 5-tuple (and VLAN id), with Zeek's `conn.log` fields and state, the Community ID, top talkers and IPFIX export.
//!
//! # Flows
//!
//! A flow is keyed by the outermost IP header's addresses and protocol,
//! the TCP/UDP ports, and the outermost VLAN id; both directions are one
//! flow. ICMP and ICMPv6 are keyed as Zeek keys them: `id.orig_p` is the
//! message type and `id.resp_p` the counterpart type of a request or reply
//! (echo 8/0, timestamp 13/14, ..., ICMPv6 echo 128/129, neighbour
//! solicitation 135/136, ...), so that a request and its reply are one
//! flow, else the code (one way; a reply of another message is another
//! flow). As in Zeek, the echo identifier is not part of the key. Other IP
//! protocols are keyed by the addresses (ports 0) and logged as
//! `unknown_transport`. Frames whose outermost network header is not IP are
//! counted in the report (`non_ip_frames`) and nothing else; so are TCP,
//! UDP and ICMP packets without their header (`no_transport_header`:
//! packets and IP bytes), which are non-first fragments (netraf does not
//! reassemble, where Zeek does) or headers cut short.
//!
//! The originator is the sender of the first packet, except for TCP: when
//! that packet is a SYN-ACK its receiver is, and when neither side has sent
//! a SYN yet, a SYN (without ACK) from the responder makes it the
//! originator (Zeek's flips, `^` in the history; the letters before it keep
//! their case). Payload bytes (`orig_bytes`, `resp_bytes`) are the bytes above
//! the TCP/UDP header (ICMP: above its 8-byte header) by the IP header's
//! length; unlike Zeek, which takes TCP's from sequence numbers, a
//! retransmission counts again. IP bytes are the IP header's length field
//! (a frame cut short by the snap length counts what the header says).
//!
//! # When records are written
//!
//! * TCP closed (a FIN each way, or a RST), then `close_grace` seconds
//!   without a packet: `Closed`;
//! * no packet for the protocol's inactivity timeout: `Idle`;
//! * `active_timeout` after its record started: `Active`, and the flow
//!   goes on in a new record (TCP state kept; counters and history anew);
//! * the table full (`max_flows`): the flow nearest its idle timeout
//!   (with one timeout for all, the longest idle), `Evicted`;
//! * the end of the run: `Shutdown`.
//!
//! Time is packet time: the ticks' time and the packets' timestamps, so a
//! replay gives the records a live run gives. A packet of a flow past its
//! timeout (between two ticks) ends that flow and starts a new one.
//!
//! # Config keys
//!
//! | key | default | meaning |
//! |---|---|---|
//! | `output` | `"-"` | the conn log: a file (appended to), `-` standard output, `""` none |
//! | `format` | `"json"` | JSON Lines with Zeek's `conn.log` field names (see [`json`]) |
//! | `max_bytes`, `keep` | 0, 5 | size rotation into `FILE.1`, `FILE.2`, ... (0: none) |
//! | `wire_bytes` | false | also `orig_wire_bytes`/`resp_wire_bytes` (frame bytes on the wire) |
//! | `community_id_seed` | 0 | the Community ID's seed |
//! | `tcp_inactivity_timeout` | 300 | seconds (Zeek's default) |
//! | `udp_inactivity_timeout`, `icmp_inactivity_timeout`, `other_inactivity_timeout` | 60 | seconds |
//! | `close_grace` | 1 | seconds a closed TCP flow waits for late packets |
//! | `active_timeout` | 1800 | seconds; 0: never |
//! | `max_flows` | 1,000,000 | flows held; past it the flow nearest its idle timeout is evicted |
//! | `top` | 10 | entries in each top list of the report |
//! | `host_cap` | 100,000 | hosts counted for the top hosts (see [`report`]) |
//! | `ipfix` | `""` | export every record over IPFIX (UDP, RFC 7011) to `HOST:PORT` (see [`ipfix`]) |
//! | `ipfix_domain` | 1 | the export's observation domain id |
//! | `ipfix_template_refresh` | 60 | seconds between two sendings of the templates |
//! | `table_thread` | true | keep the table on a thread of its own beside the capture thread (see [`table_thread`]), and make the records at the end on two threads (see [`end_of_run`]) |
//!
//! # Report
//!
//! `flows`, `packets`, `ip_bytes`, `wire_bytes`, `non_ip_frames`,
//! `no_transport_header`, `evicted`, `active` (in the table now),
//! `active_at_end`, `protocols` (tcp, udp, icmp, other: flows, packets, IP
//! bytes), `records` (by end reason), `top_hosts_by_bytes`,
//! `top_hosts_by_packets`, `top_flows_by_bytes`, `top_flows_by_packets`,
//! `top_responder_ports` (per protocol), `ipfix` (messages and records
//! sent, with the export), and `merge`, what workers' reports merge by (see
//! [`report`]).
//!
//! # Cost
//!
//! Flows live in a slab of slots with a free list (chunks that never move,
//! on huge pages), found through a hash index, with timer wheels for their
//! idle timeouts and an intrusive list by their record's start: a packet
//! of a known flow is a hash look-up and a few updates, with no
//! allocation; a tick looks only at flows due. On a table bigger than the
//! caches the look-up is two cache misses one after the other (the index
//! entry names the slot), so the plugin holds each packet back a few
//! packets while both are loaded ahead (see [`held`]): the table takes
//! every packet in the order it came, a tick, a report and the shutdown
//! let the held packets through first. The table lives on a thread of its
//! own (see [`table_thread`]): the capture thread only counts and parses
//! each packet, and passes what the table needs in batches.

// Loads ahead of use (a prefetch instruction): the plugin's other unsafe block.
#[allow(unsafe_code)]
mod ahead;
pub mod community_id;
pub mod conn;
pub mod end_of_run;
pub mod held;
// Asks the kernel for huge pages: the plugin's one unsafe block.
#[allow(unsafe_code)]
mod huge_pages;
pub mod index;
pub mod inline_text;
pub mod ipfix;
pub mod json;
pub mod key;
mod metrics;
pub mod output;
pub mod record;
pub mod report;
pub mod settings;
pub mod sinks;
pub mod slab;
pub mod state;
pub mod table;
pub mod table_thread;
pub mod wheel;

use plugin_api::{Host, Packet, Plugin, Verdict};

use end_of_run::Ending;
use held::{Held, HeldPackets};
use key::{seen, Seen};
use metrics::{FlowMetrics, Totals};
use output::Output;
use record::{EndReason, FlowRecord};
use report::{proto_class, Report};
use settings::{Settings, Timeouts};
use sinks::Sinks;
use state::FlowState;
use table::Table;
use table_thread::FlowPlugin;
use wheel::{Check, Entry, Wheel};

/// The idle list of closed TCP flows (its timeout is `close_grace`).
const CLOSING: usize = 4;

/// What the wheel of idle list `list` needs to know of `entry`'s flow.
#[inline]
fn check(table: &Table<FlowState>, timeouts: &Timeouts, list: usize, entry: Entry) -> Check {
    if table.stamp(entry.slot) == entry.stamp {
        Check::Due(
            table
                .state(entry.slot)
                .last_ns
                .saturating_add(timeouts.idle[list]),
        )
    } else {
        Check::Stale
    }
}

/// **What the capture thread does with each packet**: counts it in
/// `report` (per protocol class, wire bytes, frames not IP, packets without
/// their transport header) and, when it belongs to a flow, says what the
/// table needs of it (its hash not computed yet).
#[inline]
pub(crate) fn observe(report: &mut Report, packet: &Packet<'_>) -> Option<Held> {
    let obs = match seen(packet) {
        Seen::Flow(obs) => obs,
        Seen::NotIp => {
            report.non_ip_frames += 1;
            return None;
        }
        Seen::NoTransport(ip_bytes) => {
            report.no_transport_header[0] += 1;
            report.no_transport_header[1] += ip_bytes;
            return None;
        }
    };
    let totals = &mut report.protocols[proto_class(obs.key.proto)];
    totals.packets += 1;
    totals.ip_bytes += obs.ip_bytes;
    report.wire_bytes += obs.wire_bytes;
    Some(Held {
        obs,
        ts: packet.ts_ns(),
        hash: 0,
    })
}

/// The flow plugin's state.
pub struct Flow {
    timeouts: Timeouts,
    seed: u16,
    top: usize,
    table: Table<FlowState>,
    /// Packets waiting for their index entry and slot to be in cache.
    held: HeldPackets,
    /// Each idle list's deadlines.
    wheels: [Wheel; table::LISTS],
    /// The entries a sweep found due (reused).
    due: Vec<Entry>,
    /// Where the records go, apart from the report.
    sinks: Sinks,
    report: Report,
    /// Flows started, for their uids.
    serial: u64,
    metrics: FlowMetrics,
    /// `table_thread`: the exported plugin keeps this table on a thread of
    /// its own (see [`table_thread`]), and the records at the end are made
    /// on a helper thread too (see [`end_of_run`]).
    table_thread: bool,
    /// Makes taking a packet panic, for the unit tests.
    #[cfg(test)]
    panic_on_take: bool,
    /// Makes that batch of the records at the end panic, for the unit tests.
    #[cfg(test)]
    panic_in_batch: Option<usize>,
}

impl Flow {
    /// Records emitted (to every destination).
    pub fn emitted(&self) -> u64 {
        self.sinks.emitted
    }

    /// The idle list of a flow of `proto` (`closed`: its TCP close seen).
    fn list_of(proto: u8, closed: bool) -> usize {
        if closed {
            CLOSING
        } else {
            proto_class(proto)
        }
    }

    /// **Where every finished record goes**: the report, the conn log and
    /// the IPFIX export (flushed on every tick and at shutdown).
    fn emit(&mut self, rec: &FlowRecord) -> Result<(), String> {
        self.sinks.emit(&mut self.report, rec)
    }

    /// Publishes the totals to the host's metrics.
    fn publish(&self) {
        self.metrics.publish(Totals {
            active: self.table.len(),
            started: self.serial,
            evicted: self.report.evicted,
            records: self.sinks.emitted,
            failed_sends: self.sinks.export_failures,
        });
    }

    /// Ends the flow in `slot` for `reason`: its record, and its slot freed.
    fn finish(&mut self, slot: u32, reason: EndReason) -> Result<(), String> {
        let state = self.table.state(slot);
        let rec = state
            .has_packets()
            .then(|| state.record(self.table.key(slot), reason));
        self.table.remove(slot);
        match rec {
            Some(rec) => self.emit(&rec),
            None => Ok(()),
        }
    }

    /// Makes room for a new flow: evicts the flow nearest its idle
    /// timeout (the longest idle of its list).
    fn evict(&mut self) -> Result<(), String> {
        let mut soonest: Option<(u64, u32)> = None;
        for list in 0..table::LISTS {
            let (table, timeouts) = (&self.table, &self.timeouts);
            let found = self.wheels[list].soonest(|e| check(table, timeouts, list, e));
            if let Some((entry, deadline)) = found {
                if soonest.map_or(true, |(d, _)| deadline < d) {
                    soonest = Some((deadline, entry.slot));
                }
            }
        }
        if let Some((_, slot)) = soonest {
            self.report.evicted += 1;
            self.finish(slot, EndReason::Evicted)?;
        }
        Ok(())
    }

    /// Adds the flow in `slot` to the wheel of its idle list.
    fn schedule(&mut self, slot: u32) {
        let list = self.table.list(slot);
        self.wheels[list].schedule(Entry {
            slot,
            stamp: self.table.stamp(slot),
            deadline: self
                .table
                .state(slot)
                .last_ns
                .saturating_add(self.timeouts.idle[list]),
        });
    }

    /// Ends the flows idle past their timeout at `now` (list by list, each
    /// in the order of their last packets), and starts new records of those
    /// active for longer than the active timeout.
    fn expire(&mut self, now: u64) -> Result<(), String> {
        for list in 0..table::LISTS {
            let mut due = std::mem::take(&mut self.due);
            due.clear();
            let (table, timeouts) = (&self.table, &self.timeouts);
            self.wheels[list].sweep(now, |e| check(table, timeouts, list, e), &mut due);
            due.sort_unstable_by_key(|e| (self.table.state(e.slot).last_ns, e.slot));
            let reason = if list == CLOSING {
                EndReason::Closed
            } else {
                EndReason::Idle
            };
            let mut outcome = Ok(());
            for e in &due {
                outcome = self.finish(e.slot, reason);
                if outcome.is_err() {
                    break;
                }
            }
            self.due = due;
            outcome?;
        }
        let active = self.timeouts.active;
        if active > 0 {
            while let Some(slot) = self.table.oldest_active() {
                let state = *self.table.state(slot);
                if state.period_ns.saturating_add(active) > now {
                    break;
                }
                if state.has_packets() {
                    let rec = state.record(self.table.key(slot), EndReason::Active);
                    self.emit(&rec)?;
                }
                self.table.state_mut(slot).restart(now);
                self.table.restart(slot);
            }
        }
        Ok(())
    }

    /// **The table takes one packet**: finds its flow (or starts one,
    /// making room first), updates the flow's state and moves it to the
    /// idle list its state calls for.
    fn take(&mut self, held: Held) -> Result<(), String> {
        let Held { obs, ts, hash } = held;
        let known = match self.table.find_hashed(&obs.key, hash) {
            Some(slot) => {
                let list = self.table.list(slot);
                let last = self.table.state(slot).last_ns;
                if ts >= last.saturating_add(self.timeouts.idle[list]) {
                    // Expired since the last tick: that flow ends, this
                    // packet starts the next.
                    let reason = if list == CLOSING {
                        EndReason::Closed
                    } else {
                        EndReason::Idle
                    };
                    self.finish(slot, reason)?;
                    None
                } else {
                    Some(slot)
                }
            }
            None => None,
        };
        let slot = match known {
            Some(slot) => slot,
            None => {
                if self.table.is_full() {
                    self.evict()?;
                }
                self.serial += 1;
                self.report.protocols[proto_class(obs.key.proto)].flows += 1;
                let state = FlowState::new(&obs, ts, self.serial, self.seed);
                let list = Self::list_of(obs.key.proto, false);
                let slot = self.table.insert_hashed(obs.key, hash, state, list);
                self.schedule(slot);
                slot
            }
        };
        let state = self.table.state_mut(slot);
        state.update(&obs, ts);
        let closed = state.closed(&obs.key);
        let list = Self::list_of(obs.key.proto, closed);
        if list != self.table.list(slot) {
            self.table.move_to(slot, list);
            self.schedule(slot);
        }
        Ok(())
    }

    /// Holds a packet of a flow (`hash` to be computed) until its index
    /// entry and slot are loaded; the table takes the oldest held one.
    #[inline]
    fn hold(&mut self, held: Held) -> Result<(), String> {
        #[cfg(test)]
        assert!(!self.panic_on_take, "told to panic");
        let hash = self.table.hash(&held.obs.key);
        match self.held.push(&self.table, Held { hash, ..held }) {
            Some(oldest) => self.take(oldest),
            None => Ok(()),
        }
    }

    /// Lets every held packet through to the table.
    fn let_through(&mut self) -> Result<(), String> {
        while let Some(held) = self.held.pop() {
            self.take(held)?;
        }
        Ok(())
    }
}

impl Plugin for Flow {
    fn new(config: &str) -> Result<Self, String> {
        let (s, timeouts) = Settings::parse(config)?;
        let out = if s.output.is_empty() {
            None
        } else {
            Some(
                Output::open(&s.output, s.max_bytes, s.keep)
                    .map_err(|e| format!("{}output`: {e}", plugin_api::KEY_PREFIX))?,
            )
        };
        let ipfix = if s.ipfix.is_empty() {
            None
        } else {
            Some(
                ipfix::Exporter::new(&s.ipfix, s.ipfix_domain, s.ipfix_template_refresh)
                    .map_err(|e| format!("{}ipfix`: {e}", plugin_api::KEY_PREFIX))?,
            )
        };
        Ok(Flow {
            sinks: Sinks::new(out, ipfix, s.wire_bytes),
            timeouts,
            seed: s.community_id_seed,
            top: s.top,
            table: Table::new(s.max_flows),
            held: HeldPackets::default(),
            wheels: timeouts.idle.map(Wheel::new),
            due: Vec::new(),
            report: Report::new(s.top, s.host_cap),
            serial: 0,
            metrics: FlowMetrics::default(),
            table_thread: s.table_thread,
            #[cfg(test)]
            panic_on_take: false,
            #[cfg(test)]
            panic_in_batch: None,
        })
    }

    fn on_packet(&mut self, packet: &Packet<'_>) -> Result<Verdict, String> {
        if let Some(held) = observe(&mut self.report, packet) {
            self.hold(held)?;
        }
        Ok(Verdict::Continue)
    }

    fn attach(&mut self, host: &Host<'_>) -> Result<(), String> {
        self.metrics = FlowMetrics::register(host)?;
        Ok(())
    }

    fn on_tick(&mut self, now_ns: u64) -> Result<(), String> {
        self.let_through()?;
        self.expire(now_ns)?;
        self.publish();
        self.sinks.flush("flushing")
    }

    fn report(&mut self) -> Result<String, String> {
        self.let_through()?;
        let summary = self.report.summary(self.table.len() as u64);
        let mut report = summary.to_json(self.top);
        if let Some(exporter) = &self.sinks.ipfix {
            let (messages, records) = exporter.stats();
            report["ipfix"] = serde_json::json!({
                "messages": messages,
                "records": records,
                "failed_sends": self.sinks.export_failures,
            });
        }
        Ok(report.to_string())
    }

    fn shutdown(&mut self) -> Result<(), String> {
        self.let_through()?;
        // Oldest first, so that the log keeps the order of the flows' starts
        // (the walk along the active list reads each start as it comes and
        // leaves little to sort); then the table is emptied at once, not
        // flow by flow.
        let mut order: Vec<(u64, u32)> = Vec::with_capacity(self.table.len());
        order.extend(
            self.table
                .slots()
                .map(|slot| (self.table.state(slot).first_ns, slot)),
        );
        self.report.active_at_end = order.len() as u64;
        order.sort();
        let ending = Ending {
            table: &self.table,
            order: &order,
            #[cfg(test)]
            panic_in: self.panic_in_batch,
        };
        ending.emit(&mut self.sinks, &mut self.report, self.table_thread)?;
        self.table.clear();
        self.wheels = self.timeouts.idle.map(Wheel::new);
        self.sinks.flush("closing")?;
        self.publish();
        Ok(())
    }

    fn merge_reports(config: &str, reports: &[&str]) -> Option<Result<String, String>> {
        let top = match Settings::parse(config) {
            Ok((s, _)) => s.top,
            Err(e) => return Some(Err(e)),
        };
        Some(report::merge(reports, top))
    }
}

#[cfg(test)]
mod test_frames;
#[cfg(test)]
mod tests;

plugin_api::export_plugin! {
    plugin: FlowPlugin,
    name: "flow",
    description: "flow table: Zeek conn.log records with Community ID, top talkers, IPFIX export",
}
