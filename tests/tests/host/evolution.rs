//! plugin-api's stability promise, tested: plugins built against a frozen copy of plugin-api 1.0 and against a copy grown as 1.1 would grow, run in hosts of either version and in netraf-host (see `tests/abi/README.md`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use capture_file::{LinkType, PacketType, PcapWriter, Record};

use super::util::{
    cargo_build_in, config_and_report, fixtures_src, run_bounded, run_host, workspace_dir,
    write_if_changed, Output, TempDir,
};

/// The modules of `plugin-api/src` that the frozen copy holds.
const FROZEN_FILES: [&str; 10] = [
    "adapter.rs",
    "decoding.rs",
    "export.rs",
    "handler.rs",
    "kinds.rs",
    "module.rs",
    "packet.rs",
    "panic_guard.rs",
    "plugin.rs",
    "tick_clock.rs",
];

/// A change of one file of the frozen copy: insert `text` right after
/// (or, with `before`, right before) the one place `anchor` stands.
struct Growth {
    file: &'static str,
    anchor: &'static str,
    before: bool,
    text: &'static str,
}

/// What a 1.1 release adds, in the ways the promise allows: a field at the
/// end of the packet (with its accessor, which checks the packet's size,
/// and the host's code that fills it), and a hook at the end of the hooks
/// table (with its default for plugins that do not implement it, and the
/// host's call, which checks the table's size).
const GROWTH: &[Growth] = &[
    Growth {
        file: "packet.rs",
        anchor: "    pub(crate) tunnel_inner: RawSpan,\n",
        before: false,
        text: "    /// IPv4 TOS or IPv6 traffic class (since 1.1).\n    pub(crate) ip_tos: u8,\n",
    },
    Growth {
        file: "packet.rs",
        anchor: "            tunnel_inner: RawSpan::default(),\n",
        before: false,
        text: "            ip_tos: 0,\n",
    },
    Growth {
        file: "packet.rs",
        anchor: "    /// The size of the struct as the host built it",
        before: true,
        text: "    /// The IPv4 TOS or IPv6 traffic class byte. Since plugin-api 1.1:
    /// `None` in a 1.0 host, whose packets end before it.
    #[inline]
    pub fn ip_tos(&self) -> Option<u8> {
        let end = std::mem::offset_of!(Packet<'static>, ip_tos) + 1;
        (self.size as usize >= end && self.has(bit::IP)).then_some(self.ip_tos)
    }

",
    },
    Growth {
        file: "decoding.rs",
        anchor: "    let broadcast = out.packet_type == PacketType::Broadcast;\n",
        before: false,
        text: "    if packet.present & bit::IP != 0 && packet.present & bit::NETWORK != 0 {
        let at = packet.spans[1].offset as usize;
        packet.ip_tos = match (packet.ip_version, data.get(at..at + 2)) {
            (4, Some(b)) => b[1],
            (6, Some(b)) => (b[0] << 4) | (b[1] >> 4),
            _ => 0,
        };
    }
",
    },
    Growth {
        file: "handler.rs",
        anchor: "    pub(crate) shutdown: unsafe extern \"C\" fn(state: *mut c_void) -> RResult<(), RString>,\n",
        before: false,
        text: "    /// Since 1.1: flush what is buffered.
    pub(crate) on_flush: unsafe extern \"C\" fn(state: *mut c_void) -> RResult<(), RString>,
",
    },
    Growth {
        file: "handler.rs",
        anchor: "    /// The size of the plugin's hooks table, for messages about what it has.\n",
        before: true,
        text: "    /// Asks the plugin to flush (since 1.1): `None` when the plugin was
    /// built before the hook existed, and so is not asked.
    pub fn on_flush(&mut self) -> Option<Result<(), String>> {
        let end = std::mem::offset_of!(Hooks, on_flush) + std::mem::size_of::<usize>();
        if self.hooks.size < end {
            return None;
        }
        // SAFETY: the plugin's table is long enough to hold the hook.
        Some(into_result(unsafe { (self.hooks.on_flush)(self.state) }))
    }

",
    },
    Growth {
        file: "adapter.rs",
        anchor: "        shutdown: shutdown::<P>,\n",
        before: false,
        text: "        on_flush: on_flush::<P>,\n",
    },
    Growth {
        file: "adapter.rs",
        anchor: "/// The constructor [`export_plugin!`]",
        before: true,
        text: "#[allow(unsafe_code)]
unsafe extern \"C\" fn on_flush<P: Plugin>(state: *mut c_void) -> RResult<(), RString> {
    // SAFETY: see `plugin`.
    let plugin = unsafe { plugin::<P>(state) };
    guard(\"on_flush\", || plugin.on_flush())
}

",
    },
    Growth {
        file: "plugin.rs",
        anchor: "    /// Merges the reports of several instances",
        before: true,
        text: "    /// Flushes what is buffered (since plugin-api 1.1; a 1.0 host never calls it).
    ///
    /// # Errors
    /// A message, which the host logs.
    fn on_flush(&mut self) -> Result<(), String> {
        Ok(())
    }

",
    },
];

/// `text` of `file` grown as 1.1.
fn grow(file: &str, mut text: String) -> String {
    for growth in GROWTH.iter().filter(|g| g.file == file) {
        let found: Vec<_> = text.match_indices(growth.anchor).collect();
        assert_eq!(
            found.len(),
            1,
            "{file} of the frozen copy must hold {:?} once",
            growth.anchor
        );
        let at = found[0].0
            + if growth.before {
                0
            } else {
                growth.anchor.len()
            };
        text.insert_str(at, growth.text);
    }
    text
}

/// The manifest of a copy of plugin-api at `version`, its dependencies the
/// workspace's.
fn api_manifest(version: &str) -> String {
    let ws = workspace_dir();
    format!(
        "[package]\nname = \"plugin-api\"\nversion = \"{version}\"\nedition = \"2021\"\n\n\
         [dependencies]\nabi_stable = \"0.11\"\n\
         capture-file = {{ path = \"{ws}/capture-file\" }}\n\
         netraf-wire = {{ path = \"{ws}/wire\" }}\n\n[workspace]\n",
        ws = ws.display()
    )
}

/// The manifest of a crate of `tests/abi` built against the copy beside it.
fn crate_manifest(name: &str, lib: bool, features: &[&str], host: bool) -> String {
    let ws = workspace_dir();
    let mut text =
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n");
    if lib {
        text.push_str("[lib]\ncrate-type = [\"cdylib\"]\n\n");
    }
    text.push_str("[dependencies]\nplugin-api = { path = \"../plugin-api\" }\n");
    if host {
        text.push_str(&format!(
            "abi_stable = \"0.11\"\ncapture-file = {{ path = \"{}/capture-file\" }}\n",
            ws.display()
        ));
    }
    text.push_str("\n[features]\n");
    for feature in features {
        text.push_str(&format!("{feature} = []\n"));
    }
    text.push_str("\n[workspace]\n");
    text
}

/// What the test builds: the plugins and hosts of each version.
struct Lab {
    plugin_1_0: PathBuf,
    plugin_1_1: PathBuf,
    plugin_1_1_strict: PathBuf,
    host_1_0: PathBuf,
    host_1_1: PathBuf,
}

/// Writes the crates of one version (`1.0` or `1.1`) under `root`, builds
/// them, and returns the target folder.
fn build_version(root: &Path, version: &str) -> PathBuf {
    let abi = workspace_dir().join("tests/abi");
    let grown = version != "1.0";
    write_if_changed(
        &root.join("plugin-api/Cargo.toml"),
        &api_manifest(&format!("{version}.0")),
    );
    let frozen = abi.join("plugin-api-1.0/src");
    for file in FROZEN_FILES.iter().chain(&["lib.rs"]) {
        let text = std::fs::read_to_string(frozen.join(file)).expect("frozen plugin-api file");
        let text = if grown { grow(file, text) } else { text };
        write_if_changed(&root.join("plugin-api/src").join(file), &text);
    }
    let tag = version.replace('.', "_");
    let host_manifest = crate_manifest(&format!("abi-host-{tag}"), false, &["v1_1"], true);
    let host_manifest = if grown {
        host_manifest.replace("[features]\n", "[features]\ndefault = [\"v1_1\"]\n")
    } else {
        host_manifest
    };
    write_if_changed(&root.join("host/Cargo.toml"), &host_manifest);
    copy_source(
        &abi.join("host/src/main.rs"),
        &root.join("host/src/main.rs"),
    );
    let plugins: &[(&str, &str, bool)] = if grown {
        &[
            ("plugin", "abi-plugin-1-1", false),
            ("plugin-strict", "abi-plugin-1-1-strict", true),
        ]
    } else {
        &[("plugin", "abi-plugin-1-0", false)]
    };
    let source = abi.join(if grown { "plugin-1.1" } else { "plugin-1.0" });
    for (dir, name, strict) in plugins {
        let mut manifest = crate_manifest(name, true, &["strict"], false);
        if *strict {
            manifest = manifest.replace("[features]\n", "[features]\ndefault = [\"strict\"]\n");
        }
        write_if_changed(&root.join(dir).join("Cargo.toml"), &manifest);
        copy_source(
            &source.join("src/lib.rs"),
            &root.join(dir).join("src/lib.rs"),
        );
    }
    let mut built = PathBuf::new();
    for dir in plugins.iter().map(|p| p.0).chain(["host"]) {
        built = cargo_build_in(&root.join(dir), "abi-evolution");
    }
    built
}

fn copy_source(from: &Path, to: &Path) {
    write_if_changed(
        to,
        &std::fs::read_to_string(from).expect("tests/abi source"),
    );
}

/// Builds everything once per test process.
fn lab() -> &'static Lab {
    static LAB: OnceLock<Lab> = OnceLock::new();
    LAB.get_or_init(|| {
        let root = fixtures_src().join("abi-evolution");
        let built = build_version(&root.join("1.0"), "1.0");
        let built_1_1 = build_version(&root.join("1.1"), "1.1");
        assert_eq!(built, built_1_1, "one target folder");
        Lab {
            plugin_1_0: built.join("libabi_plugin_1_0.so"),
            plugin_1_1: built.join("libabi_plugin_1_1.so"),
            plugin_1_1_strict: built.join("libabi_plugin_1_1_strict.so"),
            host_1_0: built.join("abi-host-1_0"),
            host_1_1: built.join("abi-host-1_1"),
        }
    })
}

/// An Ethernet frame: unicast MACs, `ethertype`, then `body`.
fn ethernet(ethertype: &[u8], body: &[u8]) -> Vec<u8> {
    [&[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1][..], ethertype, body].concat()
}

/// An IPv4 header (no options) with `tos`, `ttl` and `proto` around `payload`.
fn ipv4(tos: u8, ttl: u8, proto: u8, payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let [t0, t1] = total.to_be_bytes();
    let header = [
        0x45, tos, t0, t1, 0, 1, 0x40, 0, ttl, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    [&header[..], payload].concat()
}

/// A TCP header 40000 → 80 with `flags`.
fn tcp(flags: u8) -> Vec<u8> {
    vec![
        0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0,
    ]
}

/// A UDP header 1234 → 53, no payload.
const UDP: [u8; 8] = [0x04, 0xd2, 0, 53, 0, 8, 0, 0];

/// The trace: five frames whose fields the plugins' answers below count.
/// TOS bytes 0x10, 0, 0xb8 (IPv4) and traffic class 0x20 (IPv6); TTLs 64,
/// 63, 32 and hop limit 255; one SYN, one SYN-ACK, one ARP request, one
/// QinQ-tagged UDP packet, one IPv6 UDP packet; a second and more apart.
fn trace(dir: &Path) -> PathBuf {
    let arp = [
        0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2,
    ];
    let mut broadcast = ethernet(&[0x08, 0x06], &arp);
    broadcast[..6].copy_from_slice(&[0xff; 6]);
    let ipv6_udp = [
        &[0x62, 0x00, 0, 0, 0, 8, 17, 255][..],
        &[0; 15],
        &[1],
        &[0; 15],
        &[2],
        &UDP,
    ]
    .concat();
    let frames = [
        (
            1_000_000_000,
            ethernet(&[0x08, 0x00], &ipv4(0x10, 64, 6, &tcp(0x02))),
        ),
        (
            1_100_000_000,
            ethernet(&[0x08, 0x00], &ipv4(0, 63, 6, &tcp(0x12))),
        ),
        (1_200_000_000, broadcast),
        (
            2_500_000_000,
            ethernet(
                &[0x88, 0xa8, 0x00, 0xc8, 0x81, 0x00, 0x07, 0xd1, 0x08, 0x00],
                &ipv4(0xb8, 32, 17, &UDP),
            ),
        ),
        (3_000_000_000, ethernet(&[0x86, 0xdd], &ipv6_udp)),
    ];
    let path = dir.join("trace.pcap");
    let file = std::fs::File::create(&path).expect("create the trace");
    let mut writer = PcapWriter::new(file, LinkType::ETHERNET, 65535).expect("pcap header");
    for (ts_ns, frame) in &frames {
        let len = frame.len() as u32;
        let record = Record {
            ts_ns: *ts_ns,
            caplen: len,
            len,
            interface: 0,
            ifname: "",
            packet_type: PacketType::Host,
            link_type: LinkType::ETHERNET,
        };
        writer.write(&record, frame).expect("write a frame");
    }
    writer.finish().expect("finish the trace");
    path
}

/// The 1.0 plugin's report on [`trace`] (its frames' lengths: 54, 54, 42, 50, 62).
const CENSUS: &str = "{\"packets\":5,\"bytes\":262,\"ipv4\":3,\"ipv6\":1,\"arp_requests\":1,\
                      \"tcp_syns\":1,\"udp\":2,\"vlan_tagged\":1,\"ttl_sum\":414,\
                      \"port_sum\":266,\"ticks\":2}";

/// Runs `host` with `plugin` over `trace`.
fn run(host: &Path, plugin: &Path, trace: &Path) -> Output {
    let mut command = Command::new(host);
    command.arg(plugin).arg(trace);
    run_bounded(command, Duration::from_secs(60))
}

/// The `report:` line of a run.
fn report(out: &Output) -> &str {
    assert!(out.ok(), "the host failed:\n{out}");
    out.stdout
        .lines()
        .find_map(|l| l.strip_prefix("report: "))
        .unwrap_or_else(|| panic!("no report:\n{out}"))
}

#[test]
fn the_frozen_copy_is_plugin_api_1_0_while_plugin_api_is_1_0() {
    if plugin_api::ABI_VERSION != "1.0" {
        eprintln!(
            "plugin-api is {}: the frozen 1.0 copy stays as 1.0 was",
            plugin_api::ABI_VERSION
        );
        return;
    }
    let live = workspace_dir().join("plugin-api/src");
    let frozen = workspace_dir().join("tests/abi/plugin-api-1.0/src");
    for file in FROZEN_FILES {
        let a = std::fs::read_to_string(live.join(file)).expect("plugin-api file");
        let b = std::fs::read_to_string(frozen.join(file)).expect("frozen file");
        assert!(
            a == b,
            "tests/abi/plugin-api-1.0/src/{file} differs from plugin-api/src/{file}: while \
             plugin-api is 1.0.x, copy the file (a change that needs a newer minor bumps the version)"
        );
    }
}

#[test]
fn the_growth_applies_and_says_its_version() {
    for file in FROZEN_FILES {
        let text = std::fs::read_to_string(
            workspace_dir()
                .join("tests/abi/plugin-api-1.0/src")
                .join(file),
        )
        .expect("frozen file");
        let grown = grow(file, text.clone());
        let expected: usize = GROWTH
            .iter()
            .filter(|g| g.file == file)
            .map(|g| g.text.len())
            .sum();
        assert_eq!(grown.len(), text.len() + expected, "{file}");
    }
}

#[test]
fn a_1_0_plugin_gives_the_same_answers_in_a_1_0_host_a_1_1_host_and_netraf_host() {
    let lab = lab();
    let dir = TempDir::new("abi-1-0");
    let trace = trace(&dir.path);

    let in_1_0 = run(&lab.host_1_0, &lab.plugin_1_0, &trace);
    assert!(in_1_0.stdout.contains("host plugin-api 1.0"), "{in_1_0}");
    assert_eq!(report(&in_1_0), CENSUS, "1.0 plugin in a 1.0 host");

    let in_1_1 = run(&lab.host_1_1, &lab.plugin_1_0, &trace);
    assert!(in_1_1.stdout.contains("host plugin-api 1.1"), "{in_1_1}");
    assert_eq!(report(&in_1_1), CENSUS, "1.0 plugin in a 1.1 host");
    // The 1.1 hook is not in the 1.0 plugin's table: not called.
    assert!(in_1_1.stdout.contains("flush: absent"), "{in_1_1}");

    // netraf-host, as built from this workspace, loads it too.
    let config = dir.write(
        "census.toml",
        &format!(
            "[[plugin]]\nname = \"census\"\npath = {:?}\n",
            lab.plugin_1_0.display().to_string()
        ),
    );
    let report_json = dir.path.join("report.json");
    let trace_arg = trace.to_str().expect("utf-8 path");
    let mut args = config_and_report(&config, &report_json).to_vec();
    args.extend(["-r", trace_arg]);
    let out = run_host(&dir.path, &args);
    assert!(out.ok(), "netraf-host with the 1.0 plugin:\n{out}");
    let text = std::fs::read_to_string(&report_json).expect("report written");
    let value: serde_json::Value = serde_json::from_str(&text).expect("report is JSON");
    let census: serde_json::Value = serde_json::from_str(CENSUS).expect("JSON");
    assert_eq!(value["plugins"][0]["name"], "census", "{text}");
    assert_eq!(value["plugins"][0]["report"], census, "{text}");
}

#[test]
fn a_1_1_plugin_gets_the_additions_in_a_1_1_host_and_goes_without_them_in_a_1_0_host() {
    let lab = lab();
    let dir = TempDir::new("abi-1-1");
    let trace = trace(&dir.path);

    let in_1_1 = run(&lab.host_1_1, &lab.plugin_1_1, &trace);
    assert!(in_1_1.stdout.contains("flush: ok"), "{in_1_1}");
    assert_eq!(
        report(&in_1_1),
        "{\"packets\":5,\"tos_seen\":4,\"tos_sum\":232,\"flushes\":1}",
        "1.1 plugin in a 1.1 host: the field (0x10 + 0 + 0xb8 + 0x20) and the hook"
    );

    // In a 1.0 host it loads and runs: the field reads as absent, the hook
    // is never called (the documented behaviour).
    let in_1_0 = run(&lab.host_1_0, &lab.plugin_1_1, &trace);
    assert_eq!(
        report(&in_1_0),
        "{\"packets\":5,\"tos_seen\":0,\"tos_sum\":0,\"flushes\":0}",
        "1.1 plugin in a 1.0 host"
    );
}

#[test]
fn a_plugin_that_requires_1_1_is_refused_by_a_1_0_host_with_both_versions() {
    let lab = lab();
    let dir = TempDir::new("abi-strict");
    let trace = trace(&dir.path);

    let refused = run(&lab.host_1_0, &lab.plugin_1_1_strict, &trace);
    assert_eq!(refused.code, Some(2), "{refused}");
    let line = refused.stderr.trim();
    assert_eq!(line.lines().count(), 1, "one line: {line}");
    assert!(
        line.contains("needs plugin-api 1.1") && line.contains("this host has plugin-api 1.0"),
        "names both versions: {line}"
    );

    let accepted = run(&lab.host_1_1, &lab.plugin_1_1_strict, &trace);
    assert_eq!(
        report(&accepted),
        "{\"packets\":5,\"tos_seen\":4,\"tos_sum\":232,\"flushes\":1}"
    );
}
