//! The end-of-run report: tcpdump's exit lines and the `--report-json` document whose keys scripts rely on.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

/// The `capture` object of the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CaptureReport {
    /// The interface name, `any`, or the capture file's path.
    pub source: String,
    /// Packets handed to the chain.
    pub packets: u64,
    /// Sum of their captured lengths.
    pub bytes: u64,
    /// Packets the kernel dropped (0 for files).
    pub dropped: u64,
    /// Wall-clock seconds the capture ran.
    pub seconds: f64,
}

/// One entry of the report's `plugins` array.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PluginReport {
    /// The plugin's name in the config.
    pub name: String,
    /// The plugin's own JSON report (`null` if it had none).
    pub report: serde_json::Value,
}

/// The document `--report-json` writes:
/// `{"capture": {...}, "plugins": [{"name": ..., "report": {...}}, ...]}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Capture totals.
    pub capture: CaptureReport,
    /// Plugin reports in chain order.
    pub plugins: Vec<PluginReport>,
}

impl Report {
    /// Writes the report as pretty JSON to `path` (replaced atomically).
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn write_to(&self, path: &Path) -> std::io::Result<()> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = std::path::PathBuf::from(tmp);
        let mut file = std::fs::File::create(&tmp)?;
        serde_json::to_writer_pretty(&mut file, self)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    }
}

/// tcpdump's exit lines, so that scripts parsing tcpdump read them too.
pub fn exit_lines(captured: u64, received: u64, dropped: u64) -> String {
    format!(
        "{captured} packets captured\n{received} packets received by filter\n{dropped} packets dropped by kernel\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_has_exactly_the_documented_keys() {
        let r = Report {
            capture: CaptureReport {
                source: "any".into(),
                packets: 3,
                bytes: 180,
                dropped: 0,
                seconds: 1.5,
            },
            plugins: vec![PluginReport {
                name: "count".into(),
                report: serde_json::json!({"packets": 3}),
            }],
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "capture": {"source": "any", "packets": 3, "bytes": 180, "dropped": 0, "seconds": 1.5},
                "plugins": [{"name": "count", "report": {"packets": 3}}]
            })
        );
    }

    #[test]
    fn exit_lines_use_tcpdumps_words() {
        assert_eq!(
            exit_lines(5, 6, 1),
            "5 packets captured\n6 packets received by filter\n1 packets dropped by kernel\n"
        );
    }
}
