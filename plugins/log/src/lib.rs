//! The log plugin: netraf's traffic logger, one line per packet (text or JSON Lines) to standard output or a size-rotated file.
#![deny(unsafe_code)]

mod format;
mod output;

use plugin_api::{Packet, Plugin, Verdict};
use serde::Deserialize;
use serde_json::json;

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
}

/// The plugin's `config` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// `-` for standard output, or a file path (relative to the working directory).
    #[serde(default = "default_output")]
    output: String,
    /// `text` or `json`.
    #[serde(default)]
    format: Format,
    /// Start a new file when the current one would exceed this many bytes (0: never).
    #[serde(default)]
    max_bytes: u64,
    /// Rotated files kept (`FILE.1` … `FILE.N`).
    #[serde(default = "default_keep")]
    keep: u32,
}

fn default_output() -> String {
    "-".into()
}
fn default_keep() -> u32 {
    5
}

/// The log plugin's state.
pub struct Log {
    format: Format,
    out: Output,
    /// The record being built (reused: no allocation per packet).
    line: Vec<u8>,
    lines: u64,
}

impl Plugin for Log {
    fn new(config: &str) -> Result<Self, String> {
        let s: Settings = plugin_api::parse_config(config)?;
        let out = Output::open(&s.output, s.max_bytes, s.keep)
            .map_err(|e| format!("{e} (check `output`: the folder must exist and be writable)"))?;
        Ok(Log {
            format: s.format,
            out,
            line: Vec::with_capacity(512),
            lines: 0,
        })
    }

    fn on_packet(&mut self, packet: &Packet<'_>) -> Result<Verdict, String> {
        self.line.clear();
        let written = match self.format {
            Format::Text => format::write_text(&mut self.line, packet),
            Format::Json => format::write_json(&mut self.line, packet),
        };
        written
            .and_then(|()| self.out.write_record(&self.line))
            .map_err(|e| format!("writing the log to {}: {e}", self.out.name()))?;
        self.lines += 1;
        Ok(Verdict::Continue)
    }

    fn on_tick(&mut self, _now_ns: u64) -> Result<(), String> {
        // Once a second, so that `tail -f` follows a quiet link.
        self.out
            .flush()
            .map_err(|e| format!("flushing the log to {}: {e}", self.out.name()))
    }

    fn report(&mut self) -> Result<String, String> {
        Ok(json!({
            "lines": self.lines,
            "bytes": self.out.total_bytes,
            "files": self.out.files,
            "output": self.out.name(),
        })
        .to_string())
    }

    fn shutdown(&mut self) -> Result<(), String> {
        self.out
            .flush()
            .map_err(|e| format!("flushing the log to {}: {e}", self.out.name()))
    }
}

plugin_api::export_plugin! {
    plugin: Log,
    name: "log",
    description: "traffic logger: one line per packet (text or JSON Lines) to stdout or a rotated file",
}
