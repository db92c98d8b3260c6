//! The log plugin: netraf's traffic logger, one line per packet (text or JSON Lines) or a capture file (pcap or pcapng), to standard output or rotated files.
//!
//! `text` and `json` rotate by size into numbered files (`FILE.1` is the
//! newest old one). `pcap` and `pcapng` rotate by size (`max_bytes`, like
//! `tcpdump -C`) and by packet time (`rotate_seconds`, like `tcpdump -G`)
//! into timestamped files, each a complete capture with its own header; see
//! `configs/analyzers.toml` for the file names.
//!
//! # Text lines
//!
//! One line per packet:
//! `TIME IFNAME DIR PKTTYPE SRC_MAC > DST_MAC [vlan TAGS] NETWORK ... len CAPLEN/LEN`
//! (`link = false` leaves out PKTTYPE, the MACs and the tags, as tcpdump
//! without `-e`; `brief = true` the TCP flags, sequence numbers and window
//! and the ICMP type and code, as tcpdump `-q`).
//! TIME is RFC 3339 UTC with nanoseconds; IFNAME has control characters
//! escaped (`\x0a`); DIR is `in` or `out`; the MACs are `- > -` without an
//! Ethernet header; `len` gives the bytes captured and on the wire. What the
//! protocols say is worded as `tcpdump -n -S` words it:
//!
//! ```text
//! 2024-05-01T10:00:00.000000001Z eth0 in host 02:00:00:00:00:01 > 02:00:00:00:00:02 IPv4 TCP 10.0.0.1:40000 > 10.0.0.2:80 flags [P.] seq 1000:1100 ack 2001 win 512 length 100 len 154/158
//! 2024-05-01T10:00:00.000000001Z eth0 in broadcast 02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff ARP Request who-has 10.0.0.2 tell 10.0.0.1 len 60/60
//! 2024-05-01T10:00:00.000000001Z eth0 in host 02:00:00:00:00:02 > 02:00:00:00:00:01 ARP Reply 10.0.0.2 is-at 02:00:00:00:00:02 len 60/60
//! 2024-05-01T10:00:00.000000001Z eth0 in host 02:00:00:00:00:01 > 02:00:00:00:00:02 IPv4 ICMP 10.0.0.1 > 10.0.0.2 echo request type 8 code 0 len 98/98
//! 2024-05-01T10:00:00.000000001Z eth0 in host 02:00:00:00:00:01 > 02:00:00:00:00:02 vlan 200,2001 IPv6 ICMPv6 fe80::1 > ff02::1 neighbor solicitation type 135 code 0 len 90/90
//! ```
//!
//! * **VLAN**: `vlan 200,2001` lists every tag's id, outermost first (tcpdump
//!   `-e` prints `vlan 200, p 0, ethertype 802.1Q, vlan 2001, p 0, ...`); a
//!   tag the kernel stripped before capture (always the outermost) is
//!   `100(stripped)`; `,...` follows when the frame has more tags than kept.
//! * **TCP**: `flags [LETTERS]` with tcpdump's letters in its order (`F` FIN,
//!   `S` SYN, `R` RST, `P` PSH, `.` ACK, `U` URG, `E` ECE, `W` CWR, `e` AE;
//!   `none` for no flag): `[S]`, `[S.]`, `[.]`, `[P.]`, `[F.]`, `[R]`,
//!   `[R.]`, `[SEW]`. Then, as tcpdump: `seq N` only with payload or SYN,
//!   FIN or RST, as `seq A:B` (B = A + length) with payload; `ack N` only
//!   with the ACK flag; `win N` (the window field, unscaled); `length N`, the
//!   TCP payload's length (to the IP packet's end; for a frame cut short by
//!   the snap length, the payload bytes captured, where tcpdump counts from
//!   the IP header's length).
//!   Sequence numbers are **absolute**, like `tcpdump -S`: a per-packet
//!   logger keeps no connection state to make them relative. tcpdump's
//!   `options [...]` and `urg N` are not written.
//! * **ARP**: `Request who-has TARGET_IP tell SENDER_IP` (the target MAC
//!   follows the target IP in parentheses when it is not zero), `Reply
//!   SENDER_IP is-at SENDER_MAC`, `Reverse Request who-is MAC tell MAC`,
//!   `Reverse Reply MAC at IP`; `op N` for other operations; the operation
//!   alone when the body does not hold 6-byte MACs and IPv4 addresses (by
//!   its protocol type and address lengths; ATM ARP neither), or is cut short.
//! * **ICMP / ICMPv6**: tcpdump's name of the message when it has one
//!   (`echo request`, `echo reply`, `port unreachable`, `host unreachable`,
//!   `time exceeded in-transit`, `neighbor solicitation`, `neighbor
//!   advertisement`, `router solicitation`, ...), then `type N code N`.
//! * Other IP protocols: `proto N` and the addresses; other EtherTypes:
//!   `ethertype 0xNNNN`.
//!
//! # JSON Lines
//!
//! One object per packet with the same facts. A key whose field the packet
//! does not have (no such header, cut short) is left out, never written
//! as 0 or an empty string.
//!
//! | key | value |
//! |---|---|
//! | `time` | RFC 3339 UTC time with nanoseconds |
//! | `ts_ns` | nanoseconds since the Unix epoch |
//! | `ifname`, `ifindex` | the interface's name and index |
//! | `direction` | `in` or `out` |
//! | `pkttype` | `host`, `broadcast`, `multicast`, `otherhost`, `outgoing`, ... |
//! | `src_mac`, `dst_mac` | Ethernet addresses, `aa:bb:cc:dd:ee:ff` |
//! | `vlan` | the outermost VLAN id (a stripped tag's, else the frame's first) |
//! | `vlans` | the VLAN ids in the frame's bytes, outermost first (array) |
//! | `stripped_vlan` | the VLAN id of a tag the kernel stripped |
//! | `ethertype` | the EtherType of the network header (number) |
//! | `network` | `arp`, `ipv4`, `ipv6` or `other` |
//! | `transport` | `tcp`, `udp`, `icmp`, `icmpv6` or `other` (IP only) |
//! | `ip_proto` | the IP protocol number |
//! | `src_ip`, `dst_ip` | the outermost IP addresses |
//! | `ttl` | IPv4 TTL or IPv6 hop limit |
//! | `ip_id` | IPv4 identification |
//! | `src_port`, `dst_port` | TCP/UDP ports |
//! | `tcp_flags` | the TCP flags as tcpdump's letters, e.g. `S.` |
//! | `tcp_seq` | the sequence number (absolute) |
//! | `tcp_ack` | the acknowledgment number, with the ACK flag |
//! | `tcp_window` | the window field (unscaled) |
//! | `payload_len` | the TCP payload's length (bytes captured, to the IP packet's end) |
//! | `icmp_type`, `icmp_code` | ICMP/ICMPv6 type and code |
//! | `icmp_name` | tcpdump's name of the message, e.g. `echo request` |
//! | `arp_opcode` | the ARP operation number |
//! | `arp_operation` | `request`, `reply`, `reverse_request`, `reverse_reply`, `inverse_request`, `inverse_reply`, `nack_reply` |
//! | `arp_sender_mac`, `arp_sender_ip`, `arp_target_mac`, `arp_target_ip` | the ARP body's addresses (Ethernet/IPv4) |
//! | `caplen`, `len` | bytes captured, bytes on the wire |

mod capture;
mod file_names;
mod format;
mod output;
mod protocol_text;
mod relink;
mod rotation;
mod written;

#[cfg(test)]
mod test_frames;

use plugin_api::{Packet, Plugin, Verdict};
use serde::Deserialize;
use serde_json::json;

use capture::{CaptureOutput, Kind};
use output::Output;

/// Record formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
enum Format {
    /// One human-readable line per packet.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
    /// A pcap file (nanosecond timestamps, one link type).
    Pcap,
    /// A pcapng file (one interface block per interface).
    Pcapng,
}

/// The plugin's `config` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// `-` for standard output, or a file path (relative to the working directory).
    #[serde(default = "default_output")]
    output: String,
    /// `text`, `json`, `pcap` or `pcapng`.
    #[serde(default)]
    format: Format,
    /// Start a new file when the current one would exceed this many bytes (0: never).
    #[serde(default)]
    max_bytes: u64,
    /// pcap/pcapng: start a new file every this many seconds of packet time (0: never).
    #[serde(default)]
    rotate_seconds: u64,
    /// pcap: write every packet with a Linux cooked v2 header, like `tcpdump -i any`.
    #[serde(default)]
    cooked: bool,
    /// Finished files kept besides the current one.
    #[serde(default = "default_keep")]
    keep: u32,
    /// text: the link-level words (packet type, MACs, VLAN tags).
    #[serde(default = "default_link")]
    link: bool,
    /// text: fewer words (no TCP flags, sequence numbers and window, no ICMP
    /// type and code).
    #[serde(default)]
    brief: bool,
}

fn default_link() -> bool {
    true
}

fn default_output() -> String {
    "-".into()
}
fn default_keep() -> u32 {
    5
}

/// Where the records go.
enum Sink {
    /// Text or JSON lines, with the record being built (reused: no allocation per packet).
    Lines(Output, Vec<u8>),
    /// pcap or pcapng files.
    Capture(CaptureOutput),
}

/// The log plugin's state.
pub struct Log {
    format: Format,
    style: format::TextStyle,
    sink: Sink,
    /// The reader of the output went away (a closed pipe, as with `| head`).
    closed: bool,
}

impl Log {
    fn name(&self) -> String {
        match &self.sink {
            Sink::Lines(out, _) => out.name(),
            Sink::Capture(out) => out.name(),
        }
    }

    /// Pushes the buffered records out; `last` (at shutdown) also completes
    /// a capture file.
    fn flush(&mut self, last: bool) -> Result<(), String> {
        if self.closed {
            return Ok(());
        }
        let flushed = match &mut self.sink {
            Sink::Lines(out, _) => out.flush(),
            Sink::Capture(out) if last => out.finish(),
            Sink::Capture(out) => out.flush(),
        };
        let doing = if last {
            "closing the log"
        } else {
            "flushing the log to"
        };
        self.check(flushed, doing)
    }

    /// Turns a write error into the plugin's message, except a closed pipe:
    /// the reader went away (`netraf-host | head`), which ends the run
    /// cleanly, as it ends tcpdump; that is remembered in `closed`.
    fn check(&mut self, result: std::io::Result<()>, doing: &str) -> Result<(), String> {
        match result {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                if !self.closed {
                    eprintln!(
                        "log: the reader of {} went away (broken pipe); ending the run",
                        plugin_api::escape(&self.name())
                    );
                }
                self.closed = true;
                Ok(())
            }
            Err(e) => Err(format!("{doing} {}: {e}", self.name())),
            Ok(()) => Ok(()),
        }
    }
}

impl Plugin for Log {
    fn new(config: &str) -> Result<Self, String> {
        let s: Settings = plugin_api::parse_config(config)?;
        let sink = match s.format {
            Format::Text | Format::Json => {
                if s.rotate_seconds > 0 {
                    return Err(
                        "key `rotate_seconds`: applies to format = \"pcap\" or \"pcapng\" \
                         (text and json logs rotate by max_bytes)"
                            .into(),
                    );
                }
                let out = Output::open(&s.output, s.max_bytes, s.keep).map_err(|e| {
                    format!("key `output`: {e} (the folder must exist and be writable)")
                })?;
                Sink::Lines(out, Vec::with_capacity(512))
            }
            Format::Pcap | Format::Pcapng => {
                let kind = if s.format == Format::Pcap {
                    Kind::Pcap
                } else {
                    Kind::Pcapng
                };
                Sink::Capture(CaptureOutput::new(
                    kind,
                    &s.output,
                    s.max_bytes,
                    s.rotate_seconds,
                    s.keep,
                    s.cooked,
                )?)
            }
        };
        if s.format != Format::Text && (s.brief || !s.link) {
            return Err("keys `link` and `brief`: apply to format = \"text\"".into());
        }
        Ok(Log {
            format: s.format,
            style: format::TextStyle {
                link: s.link,
                brief: s.brief,
            },
            sink,
            closed: false,
        })
    }

    fn on_packet(&mut self, packet: &Packet<'_>) -> Result<Verdict, String> {
        if self.closed {
            return Ok(Verdict::End);
        }
        let written = match &mut self.sink {
            Sink::Lines(out, line) => {
                line.clear();
                let formatted = if self.format == Format::Json {
                    format::write_json(line, packet)
                } else {
                    format::write_text_with(line, packet, self.style)
                };
                formatted.and_then(|()| out.write_record(line))
            }
            Sink::Capture(out) => out.write(packet),
        };
        self.check(written, "writing the log to")?;
        if self.closed {
            return Ok(Verdict::End);
        }
        Ok(Verdict::Continue)
    }

    fn on_tick(&mut self, _now_ns: u64) -> Result<(), String> {
        // Once a second, so that `tail -f` (or a reader of the capture file)
        // follows a quiet link. A closed pipe found here ends the run at the
        // next packet (a tick cannot end it).
        self.flush(false)
    }

    fn report(&mut self) -> Result<String, String> {
        // The report counts what reached the output: push the buffer there
        // first (a failure shows again at shutdown, where it ends the log).
        let _ = self.flush(false);
        Ok(match &self.sink {
            Sink::Lines(out, _) => json!({
                "lines": out.lines(),
                "bytes": out.bytes(),
                "files": out.files,
                "output": out.name(),
            }),
            Sink::Capture(out) => json!({
                "packets": out.packets(),
                "skipped": out.skipped,
                "bytes": out.bytes(),
                "files": out.files,
                "output": out.name(),
            }),
        }
        .to_string())
    }

    fn shutdown(&mut self) -> Result<(), String> {
        self.flush(true)
    }
}

plugin_api::export_plugin! {
    plugin: Log,
    name: "log",
    description: "traffic logger: text or JSON lines, or pcap/pcapng files, rotated by size or time",
}
