//! The command line of `netraf-host`.

use std::path::PathBuf;

use clap::Parser;

/// Captures packets with MYCAP and runs them through the handler plugins a
/// TOML config lists, in order.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "netraf-host",
    version,
    about = "netraf: capture packets and run them through a chain of handler plugins",
    after_help = "Examples:
  netraf-host --config configs/analyzers.toml
      capture on every interface with the config's plugins until Ctrl-C
  netraf-host --config configs/analyzers.toml -i eth0 -c 1000 --report-json out.json
      1000 packets on eth0, then write the machine-readable report
  netraf-host --config configs/analyzers.toml -i eth0 --workers 2
      two capture threads sharing eth0's packets, flow by flow
  netraf-host --config configs/analyzers.toml -i eth0 -Z nobody
      open the capture as root, then go on (plugins included) as user nobody
  netraf-host --config configs/analyzers.toml -r trace.pcap
      analyze a capture file (`-r -` reads standard input)
  netraf-host --config configs/analyzers.toml --check-config
      validate the config and load every plugin, then exit
  netraf-host --list-plugins
      list the plugins next to netraf-host (and those a --config names)

Plugin files: a library writable by group or others, owned by a user other
than root or the one running netraf-host, or in a directory others can write
to (without the sticky bit) is refused; --insecure-plugins loads it anyway.

Logging: RUST_LOG=debug for details (e.g. abi_stable's full layout report)."
)]
pub struct Cli {
    /// The TOML config: `[capture]` and the ordered `[[plugin]]` list.
    #[arg(long, value_name = "FILE", required_unless_present = "list_plugins")]
    pub config: Option<PathBuf>,

    /// Capture on this interface (`any` for all), overriding the config.
    #[arg(short, long, value_name = "IFACE")]
    pub interface: Option<String>,

    /// Read packets from a pcap/pcapng file (`-` for standard input) instead
    /// of capturing live.
    #[arg(
        short = 'r',
        long = "read",
        value_name = "FILE",
        conflicts_with = "interface"
    )]
    pub read: Option<PathBuf>,

    /// Once the capture is open (sockets bound, or the file opened) and
    /// before any plugin starts, switch to USER for good, like tcpdump -Z:
    /// USER's uid and primary group, no supplementary groups, no
    /// capabilities. The plugins then create their output files as USER.
    /// Overrides the config's `user`.
    #[arg(short = 'Z', long = "user", value_name = "USER")]
    pub user: Option<String>,

    /// Stop after this many packets.
    #[arg(short = 'c', long, value_name = "N")]
    pub count: Option<u64>,

    /// Capture with N threads on the live interface, sharing its packets
    /// through a fanout group, overriding the config's `workers` (a capture
    /// file is always read by one).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: Option<u16>,

    /// Stop after this many seconds (wall clock).
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,

    /// Where bare plugin names are looked up (default: the config's
    /// `plugin_dir`, else the folder of this executable).
    #[arg(long, value_name = "DIR")]
    pub plugin_dir: Option<PathBuf>,

    /// Validate the config and load every plugin (constructors included), then exit.
    #[arg(long)]
    pub check_config: bool,

    /// List name, version, description, ABI version and path of each plugin
    /// the config names or that stands in the plugin directory, then exit.
    #[arg(long)]
    pub list_plugins: bool,

    /// Load plugin libraries even when they are not safe (writable by group
    /// or others, owned by another user, or in a directory others can write
    /// to), with a warning for each: for development only.
    #[arg(long)]
    pub insecure_plugins: bool,

    /// At exit, write `{"capture": {...}, "plugins": [...]}` to this file.
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn config_is_required_except_for_listing() {
        assert!(Cli::try_parse_from(["netraf-host"]).is_err());
        assert!(Cli::try_parse_from(["netraf-host", "--list-plugins"]).is_ok());
        let cli = Cli::try_parse_from(["netraf-host", "--config", "a.toml", "-r", "-", "-c", "5"])
            .unwrap();
        assert_eq!(cli.read.as_deref(), Some(std::path::Path::new("-")));
        assert_eq!(cli.count, Some(5));
        let cli = Cli::try_parse_from(["netraf-host", "--config", "a", "--workers", "2"]).unwrap();
        assert_eq!(cli.workers, Some(2));
        let cli = Cli::try_parse_from(["netraf-host", "--config", "a", "-Z", "nobody"]).unwrap();
        assert_eq!(cli.user.as_deref(), Some("nobody"));
        assert!(Cli::try_parse_from(["netraf-host", "--config", "a", "--workers", "0"]).is_err());
        // A file and an interface at once make no sense.
        assert!(
            Cli::try_parse_from(["netraf-host", "--config", "a", "-r", "f", "-i", "lo"]).is_err()
        );
    }
}
