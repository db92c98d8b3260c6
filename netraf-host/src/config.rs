//! The host's TOML config: the `[capture]` table and the ordered `[[plugin]]` list, with errors naming file, line and key.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use mycap_core::{CaptureConfig, FanoutMode};
use serde::Deserialize;
use toml::Spanned;

/// Where packets come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A live capture on an interface name, or `any`.
    Interface(String),
    /// A capture file (`-` for standard input).
    File(PathBuf),
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
    /// Bytes kept of each packet.
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
}

/// The most capture workers (the kernel's fanout groups take at most 256 sockets).
pub const MAX_WORKERS: usize = 256;

/// One `[[plugin]]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginEntry {
    /// The instance's name in this config (unique), used in logs and reports.
    pub name: String,
    /// The library to load, resolved (see [`resolve_plugin_path`]).
    pub path: PathBuf,
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
}

impl PluginEntry {
    /// The one-line error for the plugin refusing its config with `message`:
    /// at the file line of the key the message names (see
    /// [`plugin_api::KEY_PREFIX`]; the line of the table holding it when the
    /// key is not written in the file), else at the plugin's `name`.
    pub fn refused(&self, message: &str) -> ConfigError {
        let named = message
            .strip_prefix(plugin_api::KEY_PREFIX)
            .and_then(|rest| rest.split_once("`: "));
        let (key, message) = match named {
            Some((key, rest)) => (Some(key), rest),
            None => (None, message),
        };
        let line = key
            .and_then(|key| {
                std::iter::successors(Some(key), |k| k.rsplit_once('.').map(|(table, _)| table))
                    .chain([""])
                    .find_map(|k| self.config_lines.iter().find(|(path, _)| path == k))
            })
            .map_or(self.line, |(_, line)| *line);
        ConfigError {
            file: self.file.clone(),
            line,
            key: key.map(str::to_string),
            message: format!(
                "plugin '{}' ({}): {message}",
                self.name,
                self.path.display()
            ),
        }
    }
}

/// The line of every key under the `config` table of each `[[plugin]]` in
/// `text` (a config that parsed), by dotted path: one list per plugin.
fn plugin_config_lines(text: &str, lines: &LineMap) -> Vec<Vec<(String, usize)>> {
    fn walk(
        lines: &LineMap,
        prefix: &str,
        table: &dyn toml_edit::TableLike,
        out: &mut Vec<(String, usize)>,
    ) {
        for (name, _) in table.iter() {
            let Some((key, item)) = table.get_key_value(name) else {
                continue;
            };
            let path = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}.{name}")
            };
            if let Some(span) = key.span() {
                out.push((path.clone(), lines.line_of(span.start)));
            }
            if let Some(inner) = item.as_table_like() {
                walk(lines, &path, inner, out);
            }
        }
    }
    let Ok(doc) = toml_edit::ImDocument::parse(text) else {
        return Vec::new();
    };
    let Some(plugins) = doc
        .as_table()
        .get("plugin")
        .and_then(toml_edit::Item::as_array_of_tables)
    else {
        return Vec::new();
    };
    plugins
        .iter()
        .map(|plugin| {
            let mut found = Vec::new();
            if let Some((key, item)) = plugin.get_key_value("config") {
                if let Some(span) = key.span() {
                    found.push((String::new(), lines.line_of(span.start)));
                }
                if let Some(table) = item.as_table_like() {
                    walk(lines, "", table, &mut found);
                }
            }
            found
        })
        .collect()
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
}

/// A config error: file, line (1-based, 0 if unknown), key and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The config file.
    pub file: PathBuf,
    /// 1-based line, or 0 when the whole file is concerned.
    pub line: usize,
    /// The key concerned, if known.
    pub key: Option<String>,
    /// What is wrong, with a hint.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    plugin_dir: Option<Spanned<String>>,
    #[serde(default)]
    capture: Option<Spanned<RawCapture>>,
    #[serde(default)]
    plugin: Vec<RawPlugin>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCapture {
    interface: Option<Spanned<String>>,
    read: Option<Spanned<String>>,
    snaplen: Option<Spanned<i64>>,
    promiscuous: Option<bool>,
    ring_size: Option<Spanned<i64>>,
    netns: Option<Spanned<String>>,
    workers: Option<Spanned<i64>>,
    fanout: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlugin {
    name: Spanned<String>,
    path: Spanned<String>,
    #[serde(default = "enabled_default")]
    enabled: bool,
    #[serde(default)]
    config: Option<toml::Table>,
}

fn enabled_default() -> bool {
    true
}

/// Where each line of a text starts, to turn byte offsets into 1-based
/// line numbers in logarithmic time (a config of many plugins asks often).
struct LineMap {
    starts: Vec<usize>,
}

impl LineMap {
    fn new(text: &str) -> LineMap {
        let newlines = text.bytes().enumerate().filter(|&(_, b)| b == b'\n');
        LineMap {
            starts: std::iter::once(0)
                .chain(newlines.map(|(i, _)| i + 1))
                .collect(),
        }
    }

    /// The 1-based line of byte offset `at`.
    fn line_of(&self, at: usize) -> usize {
        self.starts.partition_point(|&start| start <= at).max(1)
    }
}

/// The key written on a line (`key = value`, `[table]`, `[[array]]`), if any.
fn key_on_line(text: &str, line: usize) -> Option<String> {
    let l = text.lines().nth(line.checked_sub(1)?)?.trim();
    let key = if l.starts_with('[') {
        l.trim_matches(|c| c == '[' || c == ']' || c == ' ')
    } else {
        l.split('=').next()?.trim()
    };
    (!key.is_empty() && !key.starts_with('#')).then(|| key.trim_matches('"').to_string())
}

/// The largest config file read: far above any real chain (a plugin entry
/// takes a few lines), and small enough that parsing it takes a moment.
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;

impl Config {
    /// Reads and validates a config file. Relative paths in it are relative to
    /// the file's folder. Bare plugin names are looked up in `plugin_dir` when
    /// given (the command line's choice), else in the file's `plugin_dir`, else
    /// in [`default_plugin_dir`].
    ///
    /// # Errors
    /// A [`ConfigError`] naming the file, line and key.
    pub fn load(file: &Path, plugin_dir: Option<&Path>) -> Result<Config, ConfigError> {
        let fail = |message: String| ConfigError {
            file: file.to_path_buf(),
            line: 0,
            key: None,
            message,
        };
        let size = std::fs::metadata(file)
            .map_err(|e| fail(format!("cannot read the config file: {e}")))?
            .len();
        if size > MAX_CONFIG_BYTES {
            return Err(fail(format!(
                "the config file has {size} bytes, more than the {MAX_CONFIG_BYTES} a config \
                 may have"
            )));
        }
        let text = std::fs::read_to_string(file)
            .map_err(|e| fail(format!("cannot read the config file: {e}")))?;
        Config::parse(file, &text, plugin_dir)
    }

    /// Validates config `text` that was read from `file` (see [`Config::load`]).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the file, line and key.
    pub fn parse(
        file: &Path,
        text: &str,
        plugin_dir: Option<&Path>,
    ) -> Result<Config, ConfigError> {
        let lines = LineMap::new(text);
        let error = |span: Option<Range<usize>>, key: Option<&str>, message: String| {
            let line = span.map_or(0, |s| lines.line_of(s.start));
            ConfigError {
                file: file.to_path_buf(),
                line,
                key: key.map(str::to_string).or_else(|| key_on_line(text, line)),
                message,
            }
        };
        let raw: RawConfig = toml::from_str(text)
            .map_err(|e| error(e.span(), None, e.message().trim().to_string()))?;
        let base = file.parent().unwrap_or(Path::new("."));
        let base = if base.as_os_str().is_empty() {
            Path::new(".")
        } else {
            base
        };

        let capture_raw = raw.capture.map(Spanned::into_inner).unwrap_or_default();
        let source = match (&capture_raw.read, &capture_raw.interface) {
            (Some(read), _) if read.get_ref().is_empty() => {
                return Err(error(
                    Some(read.span()),
                    Some("read"),
                    "empty file name (give a capture file, or `-` for standard input)".into(),
                ))
            }
            (Some(read), _) if read.get_ref() == "-" => Source::File(PathBuf::from("-")),
            (Some(read), _) => Source::File(base.join(read.get_ref())),
            (None, Some(i)) => Source::Interface(i.get_ref().clone()),
            (None, None) => Source::Interface("any".into()),
        };
        // A number of at least `min` that fits in `T`, or an error at its line.
        fn at_least<T: TryFrom<i64> + PartialOrd + Copy>(
            value: &Option<Spanned<i64>>,
            default: T,
            min: T,
        ) -> Result<T, Range<usize>> {
            match value {
                None => Ok(default),
                Some(v) => match T::try_from(*v.get_ref()) {
                    Ok(n) if n >= min => Ok(n),
                    _ => Err(v.span()),
                },
            }
        }
        let snaplen =
            at_least(&capture_raw.snaplen, CaptureConfig::DEFAULT_SNAPLEN, 64).map_err(|span| {
                error(
                    Some(span),
                    Some("snaplen"),
                    "snap length out of range (64 to 4294967295 bytes)".into(),
                )
            })?;
        let ring_size = at_least(
            &capture_raw.ring_size,
            CaptureConfig::DEFAULT_RING_SIZE,
            65_536,
        )
        .map_err(|span| {
            error(
                Some(span),
                Some("ring_size"),
                "ring size out of range (at least 65536 bytes)".into(),
            )
        })?;
        let workers = at_least(&capture_raw.workers, 1usize, 1)
            .ok()
            .filter(|&n| n <= MAX_WORKERS)
            .ok_or_else(|| {
                error(
                    capture_raw.workers.as_ref().map(Spanned::span),
                    Some("workers"),
                    format!("workers out of range (1 to {MAX_WORKERS} capture threads)"),
                )
            })?;
        let fanout = match &capture_raw.fanout {
            None => FanoutMode::default(),
            Some(name) => FanoutMode::parse(name.get_ref()).ok_or_else(|| {
                error(
                    Some(name.span()),
                    Some("fanout"),
                    format!(
                        "unknown fanout mode '{}' (\"hash\" keeps each flow on one worker, \
                         \"lb\" deals packets in turn, \"cpu\" by receiving CPU)",
                        name.get_ref()
                    ),
                )
            })?,
        };
        let netns = capture_raw.netns.as_ref().map(|n| {
            let n = n.get_ref();
            if n.contains('/') {
                PathBuf::from(n)
            } else {
                Path::new("/var/run/netns").join(n)
            }
        });
        let capture = Capture {
            source,
            snaplen,
            promiscuous: capture_raw.promiscuous.unwrap_or(false),
            ring_size,
            netns,
            workers,
            fanout,
        };

        let plugin_dir = match (plugin_dir, &raw.plugin_dir) {
            (Some(d), _) => d.to_path_buf(),
            (None, Some(d)) => base.join(d.get_ref()),
            (None, None) => default_plugin_dir(),
        };

        let mut plugins: Vec<PluginEntry> = Vec::with_capacity(raw.plugin.len());
        let mut config_lines = plugin_config_lines(text, &lines).into_iter();
        let mut names: HashMap<String, usize> = HashMap::with_capacity(raw.plugin.len());
        for p in raw.plugin {
            let config_lines = config_lines.next().unwrap_or_default();
            let name = p.name.get_ref();
            let line = lines.line_of(p.name.span().start);
            if name.is_empty() {
                return Err(error(
                    Some(p.name.span()),
                    Some("name"),
                    "empty plugin name".into(),
                ));
            }
            if let Some(first) = names.insert(name.clone(), line) {
                return Err(error(
                    Some(p.name.span()),
                    Some("name"),
                    format!(
                        "duplicate plugin name '{name}' (first at line {first}); give each [[plugin]] a distinct name"
                    ),
                ));
            }
            if p.path.get_ref().is_empty() {
                return Err(error(
                    Some(p.path.span()),
                    Some("path"),
                    "empty plugin path (a library name such as `netraf_count`, or a path to a .so)"
                        .into(),
                ));
            }
            let config = match &p.config {
                Some(table) => toml::to_string(table).map_err(|e| {
                    error(
                        Some(p.name.span()),
                        Some("config"),
                        format!("cannot pass on: {e}"),
                    )
                })?,
                None => String::new(),
            };
            plugins.push(PluginEntry {
                name: name.clone(),
                path: resolve_plugin_path(p.path.get_ref(), base, &plugin_dir),
                enabled: p.enabled,
                config,
                line,
                file: file.to_path_buf(),
                config_lines,
            });
        }
        Ok(Config {
            file: file.to_path_buf(),
            capture,
            plugins,
            plugin_dir,
        })
    }
}

/// Where a `[[plugin]] path` points: a bare library name (`netraf_count`, or
/// `libnetraf_count.so`) is looked up in `plugin_dir`; anything with a `/` is
/// a path, relative to `config_dir` unless absolute.
pub fn resolve_plugin_path(path: &str, config_dir: &Path, plugin_dir: &Path) -> PathBuf {
    if path.contains('/') {
        config_dir.join(path)
    } else if path.ends_with(".so") || path.contains(".so.") {
        plugin_dir.join(path)
    } else {
        plugin_dir.join(format!("lib{path}.so"))
    }
}

/// The plugin directory used when neither the config nor the command line
/// sets one: the folder of the running executable (where `cargo build` puts
/// the plugin libraries next to `netraf-host`).
pub fn default_plugin_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("/etc/netraf/a.toml"), text, None).map(|mut c| {
            // Bare names as if the executable stood in /opt/netraf.
            for p in &mut c.plugins {
                if let Ok(rest) = p.path.strip_prefix(default_plugin_dir()) {
                    p.path = Path::new("/opt/netraf").join(rest);
                }
            }
            c
        })
    }

    /// Line numbers and duplicate names are found in time linear in the
    /// number of plugins: 80,000 of them parse in moments, where a search
    /// per plugin took minutes.
    #[test]
    fn a_config_of_80000_plugins_parses_in_linear_time() {
        let mut text = String::from("[capture]\ninterface = \"eth0\"\n");
        for i in 0..80_000 {
            text.push_str(&format!(
                "\n[[plugin]]\nname = \"p{i}\"\npath = \"netraf_count\"\n[plugin.config]\nn = {i}\n"
            ));
        }
        let started = std::time::Instant::now();
        let c = parse(&text).unwrap();
        let took = started.elapsed();
        assert_eq!(c.plugins.len(), 80_000);
        let last = &c.plugins[79_999];
        assert_eq!(
            (last.name.as_str(), last.line),
            ("p79999", 2 + 79_999 * 6 + 3)
        );
        // Generous for a loaded machine; the search per plugin took minutes.
        assert!(took < std::time::Duration::from_secs(20), "{took:?}");
        text.push_str("\n[[plugin]]\nname = \"p7\"\npath = \"x\"\n");
        let e = parse(&text).unwrap_err();
        assert_eq!(e.line, 2 + 80_000 * 6 + 3);
        assert!(
            e.message
                .contains(&format!("first at line {}", 2 + 7 * 6 + 3)),
            "{e}"
        );
    }

    #[test]
    fn full_config_parses_in_order() {
        let c = parse(
            r#"
[capture]
interface = "eth0"
snaplen = 1500
promiscuous = true
ring_size = 1048576

[[plugin]]
name = "count"
path = "netraf_count"
[plugin.config]
interval = 5

[[plugin]]
name = "mine"
path = "../lib/libmine.so"
enabled = false
"#,
        )
        .unwrap();
        assert_eq!(c.capture.source, Source::Interface("eth0".into()));
        assert_eq!(c.capture.snaplen, 1500);
        assert!(c.capture.promiscuous);
        assert_eq!(c.capture.ring_size, 1 << 20);
        assert_eq!(c.plugins.len(), 2);
        assert_eq!(
            c.plugins[0].path,
            Path::new("/opt/netraf/libnetraf_count.so")
        );
        assert_eq!(c.plugins[0].config.trim(), "interval = 5");
        assert_eq!(c.plugins[0].line, 9);
        assert_eq!(
            c.plugins[1].path,
            Path::new("/etc/netraf/../lib/libmine.so")
        );
        assert!(!c.plugins[1].enabled);
        assert_eq!(c.plugins[1].config, "");
    }

    #[test]
    fn defaults_and_read() {
        let c = parse("[capture]\nread = \"t.pcap\"\n").unwrap();
        assert_eq!(c.capture.source, Source::File("/etc/netraf/t.pcap".into()));
        let c = parse("").unwrap();
        assert_eq!(c.capture.source, Source::Interface("any".into()));
        assert_eq!(c.plugin_dir, default_plugin_dir());
        let forced = Some(Path::new("/cli"));
        let c = Config::parse(
            Path::new("a.toml"),
            "plugin_dir = \"p\"\n[[plugin]]\nname = \"x\"\npath = \"x\"\n",
            forced,
        )
        .unwrap();
        assert_eq!(c.plugins[0].path, Path::new("/cli/libx.so"));
        let c = parse("plugin_dir = \"p\"\n[capture]\nnetns = \"x\"\n").unwrap();
        assert_eq!(c.plugin_dir, Path::new("/etc/netraf/p"));
        assert_eq!(c.capture.netns, Some("/var/run/netns/x".into()));
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let e = parse("[capture]\ninterface = \"any\"\nsnaplenn = 3\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert_eq!(e.key.as_deref(), Some("snaplenn"));
        let s = e.to_string();
        assert!(
            s.starts_with("/etc/netraf/a.toml:3: key `snaplenn`: unknown field"),
            "{s}"
        );
    }

    #[test]
    fn wrong_type_names_line_and_key() {
        let e = parse("[capture]\n\nsnaplen = \"big\"\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (3, Some("snaplen")), "{e}");
        let e = parse("[[plugin]]\nname = \"a\"\npath = \"x\"\nenabled = 1\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (4, Some("enabled")), "{e}");
    }

    #[test]
    fn duplicate_names_are_refused_with_both_lines() {
        let e = parse(
            "[[plugin]]\nname = \"a\"\npath = \"x\"\n[[plugin]]\nname = \"a\"\npath = \"y\"\n",
        )
        .unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (5, Some("name")));
        assert!(e.message.contains("first at line 2"), "{e}");
    }

    #[test]
    fn bad_values_are_refused() {
        let e = parse("[capture]\nsnaplen = 0\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (2, Some("snaplen")));
        let e = parse("[capture]\nring_size = -1\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (2, Some("ring_size")));
        let e = parse("[[plugin]]\nname = \"a\"\n").unwrap_err();
        assert!(e.message.contains("path"), "{e}");
    }

    #[test]
    fn workers_and_fanout_default_and_are_checked() {
        let c = parse("").unwrap();
        assert_eq!((c.capture.workers, c.capture.fanout), (1, FanoutMode::Hash));
        let c = parse("[capture]\nworkers = 4\nfanout = \"lb\"\n").unwrap();
        assert_eq!(
            (c.capture.workers, c.capture.fanout),
            (4, FanoutMode::LoadBalance)
        );
        for bad in ["0", "-1", "257"] {
            let e = parse(&format!("[capture]\n\nworkers = {bad}\n")).unwrap_err();
            assert_eq!((e.line, e.key.as_deref()), (3, Some("workers")), "{e}");
            assert!(e.message.contains("1 to 256"), "{e}");
        }
        let e = parse("[capture]\nfanout = \"rr\"\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (2, Some("fanout")), "{e}");
        assert!(e.message.contains("'rr'"), "{e}");
    }

    #[test]
    fn a_plugins_refusal_points_at_the_key_it_names() {
        let c = parse(
            "[[plugin]]\nname = \"a\"\npath = \"x\"\n\n[plugin.config]\nformat = \"json\"\n\
             outptu = \"-\"\n\n[plugin.config.sub]\ndepth = 3\n\n\
             [[plugin]]\nname = \"b\"\npath = \"y\"\nconfig = { keep = 1, max = 2 }\n\n\
             [[plugin]]\nname = \"c\"\npath = \"z\"\n",
        )
        .unwrap();
        let lines = |i: usize| -> Vec<(&str, usize)> {
            c.plugins[i]
                .config_lines
                .iter()
                .map(|(k, l)| (k.as_str(), *l))
                .collect()
        };
        assert_eq!(
            lines(0),
            [
                ("", 5),
                ("format", 6),
                ("outptu", 7),
                ("sub", 9),
                ("sub.depth", 10)
            ]
        );
        assert_eq!(lines(1), [("", 15), ("keep", 15), ("max", 15)]);
        assert!(lines(2).is_empty());

        let a = &c.plugins[0];
        let e = a.refused("key `outptu`: unknown field `outptu`");
        assert_eq!((e.line, e.key.as_deref()), (7, Some("outptu")));
        let s = e.to_string();
        assert!(
            s.starts_with("/etc/netraf/a.toml:7: key `outptu`: plugin 'a' ("),
            "{s}"
        );
        assert!(s.ends_with("): unknown field `outptu`"), "{s}");
        // A key in a sub-table; a key not written (a default): its table's line.
        assert_eq!(a.refused("key `sub.depth`: too deep").line, 10);
        assert_eq!(a.refused("key `sub.width`: too wide").line, 9);
        assert_eq!(a.refused("key `keep`: no").line, 5);
        assert_eq!(c.plugins[1].refused("key `max`: too big").line, 15);
        // No key: the plugin's name; no config table: the key is still named.
        let e = a.refused("refusing to start");
        assert_eq!((e.line, e.key), (2, None));
        let e = c.plugins[2].refused("key `output`: folder missing");
        assert_eq!((e.line, e.key.as_deref()), (18, Some("output")));
    }

    #[test]
    fn bare_names_resolve_in_the_plugin_dir() {
        let d = Path::new("/p");
        let c = Path::new("/c");
        assert_eq!(resolve_plugin_path("x", c, d), Path::new("/p/libx.so"));
        assert_eq!(
            resolve_plugin_path("libx.so", c, d),
            Path::new("/p/libx.so")
        );
        assert_eq!(resolve_plugin_path("./x.so", c, d), Path::new("/c/./x.so"));
        assert_eq!(
            resolve_plugin_path("/abs/x.so", c, d),
            Path::new("/abs/x.so")
        );
    }
}
