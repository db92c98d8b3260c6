//! The chain netraf-host runs without a config (the text log on standard output and the count report, as tcpdump prints), and the capture file `-w` adds to any chain.

use std::path::{Path, PathBuf};

use mycap_core::{CaptureConfig, Direction, FanoutMode};

use super::paths::{default_plugin_dir, resolve_plugin_path};
use super::types::{Capture, Config, PluginEntry, Source};

/// What the command line asks of the built-in chain's text log.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// tcpdump's `-e`: the packet type, MAC addresses and VLAN tags.
    pub link_header: bool,
    /// tcpdump's `-q`: fewer words per line.
    pub brief: bool,
}

/// tcpdump's `-w FILE` with its rotation flags.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    /// The file (`-` for standard output).
    pub file: PathBuf,
    /// pcapng rather than pcap.
    pub pcapng: bool,
    /// `-C`: a new file past this many bytes (0: never).
    pub max_bytes: u64,
    /// `-G`: a new file every this many seconds of packet time (0: never).
    pub rotate_seconds: u64,
    /// `-W`: at most this many files (None: every file is kept).
    pub files: Option<u32>,
    /// pcap: every packet with a Linux cooked v2 header, so that one file
    /// holds every link type of `any`, as tcpdump's capture on `any`.
    pub cooked: bool,
}

impl WriteOptions {
    /// The log plugin's config for this file.
    fn log_config(&self) -> String {
        let mut table = toml::Table::new();
        let format = if self.pcapng || self.file.extension().is_some_and(|e| e == "pcapng") {
            "pcapng"
        } else {
            "pcap"
        };
        table.insert("format".into(), format.into());
        table.insert(
            "output".into(),
            self.file.to_string_lossy().into_owned().into(),
        );
        table.insert("max_bytes".into(), clamp_i64(self.max_bytes).into());
        table.insert(
            "rotate_seconds".into(),
            clamp_i64(self.rotate_seconds).into(),
        );
        // tcpdump's -W counts every file, the one being written included.
        let keep = self.files.map_or(u32::MAX, |n| n.saturating_sub(1));
        table.insert("keep".into(), i64::from(keep).into());
        if format == "pcap" {
            table.insert("cooked".into(), self.cooked.into());
        }
        table.to_string()
    }
}

fn clamp_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The name of the built-in chain, where a config file's name stands in messages.
pub const BUILTIN: &str = "(built-in chain)";

fn entry(name: &str, library: &str, plugin_dir: &Path, config: String, file: &Path) -> PluginEntry {
    PluginEntry {
        name: name.to_string(),
        path: resolve_plugin_path(library, Path::new("."), plugin_dir),
        written_path: (library.to_string(), 0),
        enabled: true,
        config,
        line: 0,
        file: file.to_path_buf(),
        config_lines: Vec::new(),
        filter: None,
    }
}

impl Config {
    /// The chain run without `--config`, capturing on every interface: the
    /// count plugin (its report at exit) and, with `text`, the log plugin's
    /// text lines on standard output (`-w` adds its file with
    /// [`Config::add_writer`] instead).
    pub fn builtin(plugin_dir: Option<&Path>, text: Option<TextOptions>) -> Config {
        let file = PathBuf::from(BUILTIN);
        let plugin_dir = plugin_dir.map_or_else(default_plugin_dir, Path::to_path_buf);
        let mut plugins = vec![entry(
            "count",
            "netraf_count",
            &plugin_dir,
            "interval = 0\n".into(),
            &file,
        )];
        if let Some(text) = text {
            let mut table = toml::Table::new();
            table.insert("format".into(), "text".into());
            table.insert("output".into(), "-".into());
            table.insert("link".into(), text.link_header.into());
            table.insert("brief".into(), text.brief.into());
            plugins.push(entry(
                "log",
                "netraf_log",
                &plugin_dir,
                table.to_string(),
                &file,
            ));
        }
        Config {
            file,
            capture: Capture {
                source: Source::Interface("any".into()),
                snaplen: CaptureConfig::DEFAULT_SNAPLEN,
                promiscuous: false,
                ring_size: CaptureConfig::DEFAULT_RING_SIZE,
                netns: None,
                workers: 1,
                fanout: FanoutMode::default(),
                user: None,
                filter: None,
                direction: Direction::Both,
            },
            plugins,
            plugin_dir,
            metrics: super::Metrics::default(),
        }
    }

    /// Appends a log plugin writing `write`'s capture file to the chain, as
    /// `-w` does with a config (named `write`, or `write-2`, ... when taken).
    pub fn add_writer(&mut self, write: &WriteOptions) {
        let mut name = "write".to_string();
        let mut n = 1;
        while self.plugins.iter().any(|p| p.name == name) {
            n += 1;
            name = format!("write-{n}");
        }
        let writer = entry(
            &name,
            "netraf_log",
            &self.plugin_dir,
            write.log_config(),
            &self.file,
        );
        self.plugins.push(writer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_chain_logs_text_or_writes_the_file_alone() {
        let text = Config::builtin(Some(Path::new("/p")), Some(TextOptions::default()));
        let names: Vec<&str> = text.plugins.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["count", "log"]);
        assert_eq!(text.plugins[1].path, Path::new("/p/libnetraf_log.so"));
        assert!(text.plugins[1].config.contains("format = \"text\""));
        assert_eq!(text.capture.source, Source::Interface("any".into()));
        let write = WriteOptions {
            file: "out.pcapng".into(),
            pcapng: false,
            max_bytes: 1_000_000,
            rotate_seconds: 0,
            files: Some(3),
            cooked: false,
        };
        let mut quiet = Config::builtin(None, None);
        quiet.add_writer(&write);
        let names: Vec<&str> = quiet.plugins.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["count", "write"]);
        let config = &quiet.plugins[1].config;
        assert!(config.contains("format = \"pcapng\""), "{config}");
        assert!(config.contains("keep = 2"), "{config}");
        assert!(config.contains("max_bytes = 1000000"), "{config}");
        let mut twice = quiet.clone();
        twice.add_writer(&write);
        assert_eq!(twice.plugins[2].name, "write-2");
    }
}
