//! The log plugin: netraf's traffic logger, one line per packet (text or JSON Lines) or a capture file (pcap or pcapng), to standard output or rotated files.
//!
//! `text` and `json` rotate by size into numbered files (`FILE.1` is the
//! newest old one). `pcap` and `pcapng` rotate by size (`max_bytes`, like
//! `tcpdump -C`) and by packet time (`rotate_seconds`, like `tcpdump -G`)
//! into timestamped files, each a complete capture with its own header; see
//! `configs/analyzers.toml` for the file names.

mod capture;
mod file_names;
mod format;
mod output;
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
        Ok(Log {
            format: s.format,
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
                    format::write_text(line, packet)
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
