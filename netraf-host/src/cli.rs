//! The command line of `netraf-host`.

use std::path::PathBuf;

use clap::Parser;

/// Captures packets with MYCAP, keeps those a filter expression keeps, and
/// runs them through the handler plugins a TOML config lists, in order (or
/// the built-in chain: a text line per packet and the count report).
#[derive(Debug, Clone, Parser)]
#[command(
    name = "netraf-host",
    version,
    about = "netraf: capture packets and run them through a chain of handler plugins",
    after_help = "Examples:
  netraf-host -i eth0 -n tcp port 80
      live on eth0, the kernel keeping what the filter expression keeps; one
      text line per packet, the count report at the end (no --config: the
      built-in chain)
  netraf-host -r trace.pcap -w web.pcap 'tcp port 80 or tcp port 443'
      the packets of a capture file that the expression keeps, into web.pcap
  netraf-host -i eth0 -d 'vlan 100 and udp'
      print the compiled BPF program (as tcpdump -d) and exit
  netraf-host -D
      list the interfaces
  netraf-host --config configs/analyzers.toml
      capture on every interface with the config's plugins until Ctrl-C
  netraf-host --config configs/analyzers.toml -i eth0 -c 1000 --report-json out.json
      1000 packets on eth0, then write the machine-readable report
  netraf-host --config configs/report.toml -r trace.pcap --report-html report.html
      the traffic report as one self-contained HTML page to open in a browser
  netraf-host --config configs/analyzers.toml -i eth0 --workers 2
      two capture threads sharing eth0's packets, flow by flow
  netraf-host --config configs/analyzers.toml -i eth0 -Z nobody
      open the capture as root, then go on (plugins included) as user nobody
  netraf-host --config configs/analyzers.toml -r trace.pcap
      analyze a capture file (`-r -` reads standard input)
  netraf-host --config configs/analyzers.toml -i eth0 --metrics 127.0.0.1:9187
      serve the live counters to Prometheus at http://127.0.0.1:9187/metrics
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
    /// Without it, the built-in chain runs: the text log on standard output
    /// (or, with -w, the capture file alone) and the count report at exit.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// A filter expression, as tcpdump's (pcap-filter(7)): only the packets
    /// it keeps reach the plugins. Overrides the config's `filter`.
    #[arg(value_name = "EXPRESSION", conflicts_with = "filter_file")]
    pub expression: Vec<String>,

    /// Read the filter expression from FILE (tcpdump's -F; `#` starts a
    /// comment to the end of the line).
    #[arg(short = 'F', value_name = "FILE")]
    pub filter_file: Option<PathBuf>,

    /// Print the compiled filter program as `tcpdump -d` does and exit.
    #[arg(short = 'd')]
    pub dump_filter: bool,

    /// Write the packets that pass the filter to a pcap file (pcapng with
    /// --pcapng or a .pcapng name), as tcpdump -w; without --config nothing
    /// is printed per packet.
    #[arg(short = 'w', value_name = "FILE")]
    pub write: Option<PathBuf>,

    /// With -w: write pcapng.
    #[arg(long, requires = "write")]
    pub pcapng: bool,

    /// With -w: start a new file when the current one would pass MB
    /// millions of bytes (tcpdump's -C).
    #[arg(short = 'C', value_name = "MB", requires = "write")]
    pub file_size: Option<u64>,

    /// With -w: start a new file every SECS seconds of packet time
    /// (tcpdump's -G).
    #[arg(short = 'G', value_name = "SECS", requires = "write")]
    pub rotate_seconds: Option<u64>,

    /// With -w and -C or -G: keep at most N files, the oldest removed
    /// (tcpdump's -W).
    #[arg(short = 'W', value_name = "N", requires = "write",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub file_count: Option<u32>,

    /// List the interfaces netraf can capture on (index, name, state, link
    /// type), as tcpdump -D, then exit.
    #[arg(short = 'D', long = "list-interfaces")]
    pub list_interfaces: bool,

    /// Accepted for tcpdump's habit: netraf never resolves names.
    #[arg(short = 'n')]
    pub numeric: bool,

    /// Bytes kept of each packet (0: 262144, tcpdump's default); overrides
    /// the config's snaplen.
    #[arg(short = 's', value_name = "SNAPLEN")]
    pub snaplen: Option<u32>,

    /// The kernel's capture ring in KiB (tcpdump's -B); overrides the
    /// config's ring_size.
    #[arg(short = 'B', value_name = "KIB")]
    pub buffer_kib: Option<u64>,

    /// Capture the packets received (in), sent (out) or both (inout).
    #[arg(short = 'Q', value_name = "DIRECTION",
          value_parser = ["in", "out", "inout"])]
    pub direction: Option<String>,

    /// Fewer words in the built-in text log's lines (tcpdump's -q).
    #[arg(short = 'q')]
    pub quiet: bool,

    /// The link-level header (packet type, MAC addresses, VLAN tags) in the
    /// built-in text log's lines (tcpdump's -e).
    #[arg(short = 'e')]
    pub link_header: bool,

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

    /// Serve the live metrics over HTTP at ADDR:PORT (an IP address and a
    /// port, e.g. 127.0.0.1:9187): `GET /metrics` in Prometheus's text
    /// format. Overrides the config's `[metrics] listen`.
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics: Option<std::net::SocketAddr>,

    /// At exit, write `{"capture": {...}, "plugins": [...]}` to this file.
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,

    /// At exit, write the same report as a self-contained HTML page (charts
    /// in inline SVG, nothing fetched) to this file: the IO graph (with the
    /// count plugin), the protocol mix, top talkers and flows, broadcast
    /// sources, drops.
    #[arg(long, value_name = "PATH")]
    pub report_html: Option<PathBuf>,
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
    fn options_and_a_filter_expression_parse_as_tcpdump_s() {
        let cli = Cli::try_parse_from(["netraf-host"]).unwrap();
        assert!(cli.config.is_none() && cli.expression.is_empty());
        assert!(Cli::try_parse_from(["netraf-host", "--list-plugins"]).is_ok());
        let cli = Cli::try_parse_from([
            "netraf-host",
            "-n",
            "-r",
            "f.pcap",
            "tcp",
            "port",
            "80",
            "-c",
            "3",
        ])
        .unwrap();
        assert_eq!(cli.expression, ["tcp", "port", "80"]);
        assert_eq!(cli.count, Some(3));
        assert!(cli.numeric);
        let cli =
            Cli::try_parse_from(["netraf-host", "-w", "o.pcap", "-C", "10", "-W", "4", "udp"])
                .unwrap();
        assert_eq!(cli.file_size, Some(10));
        assert_eq!(cli.file_count, Some(4));
        // Rotation without a file, a filter twice, a direction tcpdump does not know.
        assert!(Cli::try_parse_from(["netraf-host", "-C", "10"]).is_err());
        assert!(Cli::try_parse_from(["netraf-host", "-F", "f", "tcp"]).is_err());
        assert!(Cli::try_parse_from(["netraf-host", "-Q", "sideways"]).is_err());
        let cli = Cli::try_parse_from(["netraf-host", "--config", "a.toml", "-r", "-", "-c", "5"])
            .unwrap();
        assert_eq!(cli.read.as_deref(), Some(std::path::Path::new("-")));
        assert_eq!(cli.count, Some(5));
        let cli = Cli::try_parse_from([
            "netraf-host",
            "--report-json",
            "r.json",
            "--report-html",
            "r.html",
        ])
        .unwrap();
        assert_eq!(
            cli.report_html.as_deref(),
            Some(std::path::Path::new("r.html"))
        );
        assert!(cli.report_json.is_some());
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
