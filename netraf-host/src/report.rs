//! The end-of-run report: tcpdump's exit lines and the `--report-json` document whose keys scripts rely on.

use std::io::Write;
use std::path::{Path, PathBuf};

use plugin_api::output_file;

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
    /// The library's own name for the plugin (`count`, `flow`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// The library's version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The plugin's own JSON report (`null` if it had none).
    pub report: serde_json::Value,
}

/// One generation of the run's chains (see [`crate::reload`]): what the
/// plugins made from one reading of the config reported when it ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenerationReport {
    /// 0 for the config read at the start, then one more per reload.
    pub generation: u64,
    /// The config file it was read from.
    pub config: String,
    /// Packets this generation's chains were handed.
    pub packets: u64,
    /// Its plugin reports in chain order.
    pub plugins: Vec<PluginReport>,
}

/// The document `--report-json` writes:
/// `{"capture": {...}, "plugins": [{"name": ..., "report": {...}}, ...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// Capture totals.
    pub capture: CaptureReport,
    /// Plugin reports in chain order: those of the last generation when
    /// the config was reloaded.
    pub plugins: Vec<PluginReport>,
    /// Every generation of the chain, oldest first, the last one included;
    /// only when the config was reloaded (a counter summed over them counts
    /// the whole run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generations: Option<Vec<GenerationReport>>,
}

impl Report {
    /// Writes the report as pretty JSON to `path`, replaced atomically: the
    /// text goes to a new temporary file in the same folder, renamed over
    /// `path` once complete. A symbolic link at `path` is refused, and the
    /// temporary file is created new, never through a link.
    ///
    /// # Errors
    /// The file cannot be written, or `path` is a symbolic link.
    pub fn write_to(&self, path: &Path) -> std::io::Result<()> {
        let mut text = serde_json::to_vec_pretty(self)?;
        text.push(b'\n');
        replace(path, &text)
    }

    /// Writes the report as a self-contained HTML page to `path` (see
    /// `netraf-report`), made from the very document [`Report::write_to`]
    /// writes; replaced atomically as that.
    ///
    /// # Errors
    /// The file cannot be written, or `path` is a symbolic link.
    pub fn write_html(&self, path: &Path) -> std::io::Result<()> {
        let document = serde_json::to_value(self)?;
        replace(path, netraf_report::render(&document).as_bytes())
    }
}

/// Replaces `path` with `bytes` atomically: written to a new temporary file
/// in the same folder, renamed over `path` once complete. A symbolic link
/// at `path` is refused, and the temporary file is created new, never
/// through a link.
fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    output_file::refuse_link(path)?;
    let (tmp, mut file) = temporary_beside(path)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// A new file beside `path` named `.NAME.PID.N.tmp`, with the first `N` free.
fn temporary_beside(path: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let name = path
        .file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy();
    let mut last = None;
    for n in 0..100 {
        let tmp = path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()));
        match output_file::create_new(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary name")))
}

/// Prints the plugins' reports and tcpdump's exit lines on standard error,
/// in one write.
pub fn print_reports(
    reports: &[(String, serde_json::Value)],
    packets: u64,
    received: u64,
    dropped: u64,
) {
    // A status line on the terminal is cleared in the same write.
    let mut text = crate::status::line_prefix().to_string();
    for (name, report) in reports {
        // JSON escapes C0 controls in strings; DEL and C1 too, for the terminal.
        text.push_str(&format!(
            "{}: {}\n",
            plugin_api::escape(name),
            plugin_api::json_for_terminal(&report.to_string())
        ));
    }
    text.push_str(&exit_lines(packets, received, dropped));
    eprint!("{text}");
}

/// Prints the reports of a generation that ended (on a reload, or at the
/// end of a run that reloaded) on standard error, under a line naming it.
pub fn print_generation(generation: &GenerationReport) {
    let mut text = format!(
        "{}generation {} ({}) ended after {} packets:\n",
        crate::status::line_prefix(),
        generation.generation,
        plugin_api::escape(&generation.config),
        generation.packets
    );
    for plugin in &generation.plugins {
        text.push_str(&format!(
            "{}: {}\n",
            plugin_api::escape(&plugin.name),
            plugin_api::json_for_terminal(&plugin.report.to_string())
        ));
    }
    eprint!("{text}");
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
                plugin: Some("count".into()),
                version: Some("0.1.0".into()),
                report: serde_json::json!({"packets": 3}),
            }],
            generations: None,
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "capture": {"source": "any", "packets": 3, "bytes": 180, "dropped": 0, "seconds": 1.5},
                "plugins": [{"name": "count", "plugin": "count", "version": "0.1.0",
                             "report": {"packets": 3}}]
            })
        );
        // After a reload: every generation, the last one's plugins as today's.
        let plugins = r.plugins.clone();
        let reloaded = Report {
            generations: Some(vec![
                GenerationReport {
                    generation: 0,
                    config: "a.toml".into(),
                    packets: 1,
                    plugins: plugins.clone(),
                },
                GenerationReport {
                    generation: 1,
                    config: "a.toml".into(),
                    packets: 2,
                    plugins,
                },
            ]),
            ..r
        };
        let v = serde_json::to_value(&reloaded).unwrap();
        assert_eq!(v["generations"][1]["generation"], 1);
        assert_eq!(v["generations"][0]["plugins"][0]["name"], "count");
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["capture", "generations", "plugins"]);
    }

    /// A link planted after the start's check, at the report or at the old
    /// fixed temporary name beside it, is never written through.
    #[test]
    fn writing_never_follows_a_planted_link() {
        let dir = std::env::temp_dir().join(format!("netraf-report-link-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("precious");
        std::fs::write(&target, "keep").unwrap();
        let report = Report::default();
        let path = dir.join("report.json");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        let e = report.write_to(&path).unwrap_err();
        assert!(e.to_string().contains("is a symbolic link"), "{e}");
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&target, dir.join("report.json.tmp")).unwrap();
        report.write_to(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        let written: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(written["capture"]["packets"], 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn exit_lines_use_tcpdumps_words() {
        assert_eq!(
            exit_lines(5, 6, 1),
            "5 packets captured\n6 packets received by filter\n1 packets dropped by kernel\n"
        );
    }
}
