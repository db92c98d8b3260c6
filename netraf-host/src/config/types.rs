//! The validated config's types: the capture source and settings, the plugin entries and the config that holds them.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use mycap_core::{Direction, FanoutMode};

/// Where packets come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A live capture on an interface name, or `any`.
    Interface(String),
    /// A capture file (`-` for standard input).
    File(PathBuf),
}

impl Source {
    /// A live capture (not a file).
    pub fn is_live(&self) -> bool {
        matches!(self, Source::Interface(_))
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Interface(name) => f.write_str(name),
            Source::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// The `[capture]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    /// Live interface or capture file.
    pub source: Source,
    /// Bytes kept of each packet (in the range of
    /// [`mycap_core::CaptureConfig::check_snaplen`]).
    pub snaplen: u32,
    /// Promiscuous mode for a live capture.
    pub promiscuous: bool,
    /// Kernel ring size in bytes.
    pub ring_size: usize,
    /// Open the live socket in this network namespace (a name under
    /// `/var/run/netns/` or a path).
    pub netns: Option<PathBuf>,
    /// Capture threads on a live interface, joined in one fanout group
    /// (1 to [`MAX_WORKERS`]; a capture file is always read by one).
    pub workers: usize,
    /// How the fanout group spreads packets over the workers.
    pub fanout: FanoutMode,
    /// The user to switch to once the capture is open, before the plugins
    /// are constructed (tcpdump's `-Z`; see [`crate::privileges`]).
    pub user: Option<String>,
    /// The filter expression (pcap-filter(7)) every packet must pass before
    /// any plugin sees it: compiled by netraf-filter, attached to the socket
    /// of a live capture, run by netraf-bpf's interpreter on a file.
    pub filter: Option<String>,
    /// Which live packets by direction (tcpdump's `-Q`).
    pub direction: Direction,
}

/// The most capture workers (the kernel's fanout groups take at most 256 sockets).
pub const MAX_WORKERS: usize = 256;

/// One `[[plugin]]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginEntry {
    /// The instance's name in this config (unique), used in logs and reports.
    pub name: String,
    /// The library to load, resolved (see [`resolve_plugin_path`](super::resolve_plugin_path)).
    pub path: PathBuf,
    /// `path` as the config wrote it, and the line it stands on, for
    /// messages about a library that is not there.
    pub written_path: (String, usize),
    /// Whether the plugin runs (disabled plugins are not loaded).
    pub enabled: bool,
    /// The plugin's `config` sub-table as TOML text (empty if none).
    pub config: String,
    /// The line of the plugin's `name` key, for messages.
    pub line: usize,
    /// The config file it was read from, for messages.
    pub file: PathBuf,
    /// The line of every key of the `config` sub-table, by dotted path
    /// (`output`, `sub.depth`); `""` is the sub-table itself.
    pub config_lines: Vec<(String, usize)>,
    /// This plugin's own filter expression: it sees only the packets that
    /// pass it (the other plugins still see every packet).
    pub filter: Option<String>,
}

/// The `[metrics]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metrics {
    /// Where the HTTP endpoint serving `GET /metrics` listens (none: no endpoint).
    pub listen: Option<SocketAddr>,
}

/// A validated config file.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it was read from.
    pub file: PathBuf,
    /// The capture settings.
    pub capture: Capture,
    /// The plugins, in chain order (disabled ones included).
    pub plugins: Vec<PluginEntry>,
    /// Where bare plugin names are looked up.
    pub plugin_dir: PathBuf,
    /// The metrics endpoint.
    pub metrics: Metrics,
}
