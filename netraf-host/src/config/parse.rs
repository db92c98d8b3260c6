//! Reading and checking a config file: its size, the one parse, and every value checked with an error at the file, line and key concerned.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use mycap_core::{CaptureConfig, Direction, FanoutMode};
use plugin_api::ConfigText;
use toml::Spanned;

use super::document;
use super::error::ConfigError;
use super::paths::{default_plugin_dir, resolve_plugin_path};
use super::types::{Capture, Config, Metrics, PluginEntry, Source, MAX_WORKERS};

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
        let lines = ConfigText::new(text);
        let error = |span: Option<Range<usize>>, key: Option<&str>, message: String| {
            let line = span.as_ref().map_or(0, |s| lines.line_of(s.start));
            let written = || {
                span.and_then(|s| lines.key_at(s))
                    .map(|k| k.key.to_string())
            };
            ConfigError {
                file: file.to_path_buf(),
                line,
                key: key.map(str::to_string).or_else(written),
                message,
            }
        };
        let (raw, key_lines) = document::parse(&lines)
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
        // MYCAP's one rule, checked here whatever the source, so that a value
        // a live capture would refuse is refused at its line.
        let snaplen = at_least(
            &capture_raw.snaplen,
            CaptureConfig::DEFAULT_SNAPLEN,
            CaptureConfig::MIN_SNAPLEN,
        )
        .ok()
        .filter(|&n| CaptureConfig::check_snaplen(n).is_ok())
        .ok_or_else(|| {
            error(
                capture_raw.snaplen.as_ref().map(Spanned::span),
                Some("snaplen"),
                format!(
                    "snap length out of range ({} to {} bytes)",
                    CaptureConfig::MIN_SNAPLEN,
                    CaptureConfig::MAX_SNAPLEN
                ),
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
        let user = match &capture_raw.user {
            Some(user) if user.get_ref().is_empty() || user.get_ref().contains('\0') => {
                return Err(error(
                    Some(user.span()),
                    Some("user"),
                    "not a user name (give the account to run as once the capture is open, \
                     e.g. \"nobody\")"
                        .into(),
                ))
            }
            Some(user) => Some(user.get_ref().clone()),
            None => None,
        };
        let filter = match &capture_raw.filter {
            Some(f) => {
                Some(checked_filter(f).map_err(|m| error(Some(f.span()), Some("filter"), m))?)
            }
            None => None,
        };
        let direction = match &capture_raw.direction {
            None => Direction::Both,
            Some(d) => parse_direction(d.get_ref()).ok_or_else(|| {
                error(
                    Some(d.span()),
                    Some("direction"),
                    format!(
                        "unknown direction '{}' (\"in\": received, \"out\": sent, \"inout\": both)",
                        d.get_ref()
                    ),
                )
            })?,
        };
        let capture = Capture {
            source,
            snaplen,
            promiscuous: capture_raw.promiscuous.unwrap_or(false),
            ring_size,
            netns,
            workers,
            fanout,
            user,
            filter,
            direction,
        };

        let listen = match raw.metrics.and_then(|m| m.listen) {
            None => None,
            Some(listen) => Some(listen.get_ref().parse().map_err(|_| {
                error(
                    Some(listen.span()),
                    Some("listen"),
                    format!(
                        "'{}' is not an address and port to listen on (e.g. \"127.0.0.1:9187\", \
                         \"[::1]:9187\", or \"0.0.0.0:9187\" for every interface)",
                        listen.get_ref()
                    ),
                )
            })?),
        };

        let plugin_dir = match (plugin_dir, &raw.plugin_dir) {
            (Some(d), _) => d.to_path_buf(),
            (None, Some(d)) => base.join(d.get_ref()),
            (None, None) => default_plugin_dir(),
        };

        let mut plugins: Vec<PluginEntry> = Vec::with_capacity(raw.plugin.len());
        let mut config_lines = key_lines.into_iter();
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
            let filter = match &p.filter {
                Some(f) => {
                    Some(checked_filter(f).map_err(|m| error(Some(f.span()), Some("filter"), m))?)
                }
                None => None,
            };
            plugins.push(PluginEntry {
                name: name.clone(),
                path: resolve_plugin_path(p.path.get_ref(), base, &plugin_dir),
                written_path: (p.path.get_ref().clone(), lines.line_of(p.path.span().start)),
                enabled: p.enabled,
                config,
                line,
                file: file.to_path_buf(),
                config_lines,
                filter,
            });
        }
        Ok(Config {
            file: file.to_path_buf(),
            capture,
            plugins,
            plugin_dir,
            metrics: Metrics { listen },
        })
    }
}

/// tcpdump's `-Q` words: `in`, `out`, `inout`.
pub fn parse_direction(word: &str) -> Option<Direction> {
    match word {
        "in" => Some(Direction::In),
        "out" => Some(Direction::Out),
        "inout" => Some(Direction::Both),
        _ => None,
    }
}

/// A filter expression checked for syntax and words netraf compiles (the
/// empty expression keeps everything: no filter).
fn checked_filter(written: &Spanned<String>) -> Result<String, String> {
    let expression = written.get_ref().trim();
    crate::packet_filter::check(expression, false)
        .map_err(|e| format!("filter '{expression}': {e}"))?;
    Ok(expression.to_string())
}
