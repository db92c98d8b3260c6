//! netraf-host and its plugins as built by `cargo build --workspace`: config errors, plugin loading failures, the chain's order and verdicts, panics, the CLI.

mod alloc;
mod corpus;
mod evolution;
pub(crate) mod frames;
mod linktypes;
mod live;
mod logcap;
mod metrics;
mod names;
mod outputs;
mod privileges;
mod reload;
pub(crate) mod replay;
mod running;
mod sections;
mod signals;
mod status_line;
mod tcpdump_cli;
mod trust;
pub(crate) mod util;

use std::path::Path;

use mycap_core::{PacketHeader, PacketType};
use netraf_host::chain::{Chain, ChainSpec};
use netraf_host::config::Config;
use serde_json::Value;

use util::{
    build_fixture_plugin, host, plugin, run_host, target_dir, test_plugin, with_testkit,
    workspace_dir, TempDir,
};

fn header(ts_ns: u64, data: &[u8]) -> PacketHeader<'static> {
    frames::header(ts_ns, data, PacketType::Broadcast)
}

/// A config whose plugins are testkit instances: `(name, testkit config)`.
fn testkit_config(dir: &TempDir, plugins: &[(&str, &str)]) -> std::path::PathBuf {
    let mut text = String::from("[capture]\ninterface = \"lo\"\n");
    for (name, config) in plugins {
        text.push_str(&format!(
            "\n[[plugin]]\nname = \"{name}\"\npath = \"netraf_testkit\"\n[plugin.config]\n{config}\n"
        ));
    }
    dir.write("chain.toml", &with_testkit(&text))
}

/// Loads a config with bare names resolved in the build folder, makes the chain.
fn chain_from(config: &Path) -> Chain {
    let config = Config::load(config, Some(&target_dir())).expect("config loads");
    let spec = ChainSpec::load(&config.plugins, false).expect("plugins load");
    spec.instantiate().expect("plugins start")
}

/// Feeds `n` ARP frames with timestamps 1..=n seconds (plus `i` ns).
fn feed(chain: &mut Chain, n: u64) {
    feed_from(chain, 1, n);
}

/// Feeds ARP frames `first..=last` (timestamps as in [`feed`]).
fn feed_from(chain: &mut Chain, first: u64, last: u64) {
    for i in first..=last {
        let frame = frames::arp_from(i as u8);
        chain.on_packet(&header(i * 1_000_000_000 + i, &frame), &frame);
    }
}

/// A chain of testkit instances `(name, testkit config)`, loaded through a
/// config file, after `packets` ARP frames went through it (see [`feed`]).
fn testkit_chain(plugins: &[(&str, &str)], packets: u64) -> Chain {
    let dir = TempDir::new("chain");
    let mut chain = chain_from(&testkit_config(&dir, plugins));
    feed(&mut chain, packets);
    chain
}

/// A JSON array of numbers.
fn u64s(value: &Value) -> Vec<u64> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_u64().expect("a number"))
        .collect()
}

fn report_of<'a>(reports: &'a [(String, Value)], name: &str) -> &'a Value {
    &reports
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no report for {name}: {reports:?}"))
        .1
}

#[test]
fn chain_runs_in_order_and_stop_hides_the_packet_from_later_plugins() {
    let mut chain = testkit_chain(
        &[
            ("stopper", "mode = \"stop-every-other\""),
            ("after", "mode = \"record\""),
        ],
        10,
    );
    let reports = chain.reports();
    assert_eq!(report_of(&reports, "stopper")["packets"], 10);
    let after = report_of(&reports, "after");
    assert_eq!(after["packets"], 5, "{after}");
    // Exactly the 1st, 3rd, 5th... packets got through.
    let seen = u64s(&after["seen"]);
    let odd: Vec<u64> = (1..=10u64)
        .filter(|i| i % 2 == 1)
        .map(|i| i * 1_000_000_000 + i)
        .collect();
    assert_eq!(seen, odd);

    // The same plugins the other way round: the recorder sees everything.
    let mut chain = testkit_chain(
        &[
            ("before", "mode = \"record\""),
            ("stopper", "mode = \"stop-every-other\""),
        ],
        10,
    );
    let reports = chain.reports();
    assert_eq!(report_of(&reports, "before")["packets"], 10);
    assert_eq!(report_of(&reports, "stopper")["packets"], 10);
}

#[test]
fn end_hides_the_packet_from_later_plugins_and_ends_the_run_through_the_binary() {
    let plugins = [
        ("ender", "mode = \"end\"\nend_at = 3"),
        ("after", "mode = \"record\""),
    ];
    let mut chain = testkit_chain(&plugins, 2);
    assert_eq!(chain.ended(), None);
    feed_from(&mut chain, 3, 3);
    assert_eq!(chain.ended(), Some("ender"));
    let reports = chain.reports();
    assert_eq!(report_of(&reports, "ender")["packets"], 3);
    assert_eq!(report_of(&reports, "after")["packets"], 2);
    assert!(chain.failures().is_empty());

    // The built host ends a 12-packet file at the 3rd, cleanly.
    let dir = TempDir::new("end");
    let config = testkit_config(&dir, &plugins);
    let pcap = dir.path.join("traffic.pcap");
    frames::write_pcap(&pcap, &frames::traffic());
    let report = dir.path.join("report.json");
    let mut args = util::config_and_report(&config, &report).to_vec();
    args.extend(["-r", pcap.to_str().expect("UTF-8 path")]);
    let out = run_host(&dir.path, &args);
    assert!(out.ok(), "{out}");
    assert!(
        out.stderr.lines().any(|l| l == "3 packets captured"),
        "{out}"
    );
    assert!(out.stderr.contains("plugin 'ender'"), "{out}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).expect("report"))
        .expect("JSON report");
    let after = report["plugins"][1]["report"].clone();
    assert_eq!(
        (after["packets"].clone(), after["shutdowns"].clone()),
        (2.into(), 1.into())
    );
}

#[test]
fn a_panicking_plugin_is_disabled_and_the_others_go_on() {
    let mut chain = testkit_chain(
        &[
            ("boom", "mode = \"panic\"\npanic_at = 3"),
            ("after", "mode = \"record\""),
        ],
        8,
    );
    let failures: Vec<(String, String)> = chain
        .failures()
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(
        failures,
        vec![(
            "boom".to_string(),
            "panicked in on_packet: panicking on purpose at packet 3".to_string()
        )]
    );
    chain.shutdown();
    let reports = chain.reports();
    // The panicking plugin saw two packets, then never another one.
    assert_eq!(report_of(&reports, "boom")["packets"], 2);
    assert_eq!(report_of(&reports, "after")["packets"], 8);
    // Shutdown ran for every plugin, the disabled one included.
    assert_eq!(report_of(&reports, "boom")["shutdowns"], 1);
    assert_eq!(report_of(&reports, "after")["shutdowns"], 1);
}

#[test]
fn ticks_follow_packet_time() {
    let mut chain = testkit_chain(&[("rec", "mode = \"record\"")], 0);
    let frame = frames::arp_from(1);
    // 0.5 s apart for 3 s, then a 10 s gap.
    for ts in [1_000, 1_500, 2_000, 2_500, 3_000, 3_500, 13_700] {
        let ts = ts * 1_000_000;
        chain.on_packet(&header(ts, &frame), &frame);
    }
    let reports = chain.reports();
    let ticks: Vec<u64> = u64s(&report_of(&reports, "rec")["ticks"])
        .into_iter()
        .map(|ns| ns / 1_000_000)
        .collect();
    // One tick per second boundary crossed, at the boundary; after the gap
    // one tick only, at the packet's time.
    assert_eq!(ticks, vec![2_000, 3_000, 13_700]);
}

/// A chain dropped on a way out that forgot to shut it down still shuts its
/// plugins down: a pcap log that saw no packet leaves its header-only file.
#[test]
fn dropping_a_chain_shuts_its_plugins_down_once() {
    let dir = TempDir::new("drop-chain");
    let out = dir.path.join("empty.pcap");
    let config = dir.write(
        "drop.toml",
        &format!(
            "[capture]\ninterface = \"lo\"\n\n[[plugin]]\nname = \"log\"\npath = \"netraf_log\"\n\
             [plugin.config]\nformat = \"pcap\"\noutput = {:?}\n",
            out.display().to_string()
        ),
    );
    let mut chain = chain_from(&config);
    chain.shutdown();
    let first = std::fs::metadata(&out)
        .expect("shutdown wrote the file")
        .modified();
    drop(chain);
    assert_eq!(
        std::fs::metadata(&out)
            .expect("still there")
            .modified()
            .ok(),
        first.ok()
    );
    std::fs::remove_file(&out).expect("remove");
    drop(chain_from(&config));
    let header = std::fs::read(&out).expect("dropping the chain shut the log down");
    assert_eq!(header.len(), 24, "a pcap file header alone");
}

#[test]
fn the_sample_plugins_make_instances_repeatedly() {
    let config = workspace_dir().join("configs/analyzers.toml");
    let config = Config::load(&config, Some(&target_dir())).expect("shipped config loads");
    let spec = ChainSpec::load(&config.plugins, false).expect("sample plugins load");
    for _ in 0..2 {
        let mut chain = spec.instantiate().expect("sample plugins start");
        assert_eq!(chain.len(), 3);
        let frame = frames::arp_from(9);
        chain.on_packet(&header(5, &frame), &frame);
        let reports = chain.reports();
        chain.shutdown();
        // A fresh instance each time: one packet, not two.
        assert_eq!(report_of(&reports, "count")["packets"], 1);
        assert_eq!(report_of(&reports, "count")["bytes"], 42);
        assert_eq!(report_of(&reports, "log")["lines"], 1);
        assert!(report_of(&reports, "broadcast")["broadcast_frames"].is_u64());
    }
}

/// `--check-config` checks what it can of the source without capturing:
/// an interface that is not there is found then, not at the capture.
#[test]
fn check_config_refuses_an_interface_that_does_not_exist() {
    // Opening the packet socket that asks needs root, as the namespace tests.
    netraf_tests::require_netns!();
    let dir = TempDir::new("check-if");
    let shipped = std::fs::read_to_string(workspace_dir().join("configs/analyzers.toml"))
        .expect("read the shipped config");
    let config = dir.write("missing-if.toml", &shipped);
    let out = run_host(
        &dir.path,
        &[
            "--config",
            config.to_str().unwrap(),
            "-i",
            "netraf-nosuch0",
            "--check-config",
        ],
    );
    assert_eq!(out.code, Some(2), "{out}");
    assert!(
        out.stderr.contains("no such interface 'netraf-nosuch0'"),
        "{out}"
    );
    assert!(!out.stderr.contains("config ok"), "{out}");
}

#[test]
fn check_config_loads_the_shipped_config_from_any_folder() {
    let dir = TempDir::new("check");
    let config = workspace_dir().join("configs/analyzers.toml");
    let out = run_host(
        &dir.path,
        &["--config", config.to_str().unwrap(), "--check-config"],
    );
    assert!(out.ok(), "{out}");
    assert!(
        out.stderr
            .contains("config ok, 3 plugin(s) loaded: count, broadcast, log"),
        "{out}"
    );
}

#[test]
fn list_plugins_shows_name_version_abi_and_path() {
    let dir = TempDir::new("list");
    let out = run_host(&dir.path, &["--list-plugins"]);
    assert!(out.ok(), "{out}");
    let version = env!("CARGO_PKG_VERSION");
    let abi = plugin_api::ABI_VERSION;
    for name in ["count", "broadcast", "log"] {
        let path = plugin(&format!("netraf_{name}"));
        let line = out
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} not listed: {out}"));
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            &cols[1..4],
            &[version, abi, path.to_str().unwrap()],
            "{line}"
        );
    }
    // Plugins for the tests alone are not built beside netraf-host, so a
    // user's listing does not show them.
    for name in ["testkit", "noop", "not_a_plugin"] {
        assert!(!out.stdout.contains(name), "{name} listed: {out}");
    }
}

#[test]
fn config_errors_name_file_line_and_key() {
    let dir = TempDir::new("config-errors");
    let cases = [
        ("[capture]\ninterface = \"lo\"\nsnaplenn = 100\n", 3, "snaplenn", "unknown field"),
        ("[capture]\nsnaplen = \"big\"\n", 2, "snaplen", "invalid type"),
        (
            "[[plugin]]\nname = \"a\"\npath = \"netraf_count\"\n\n[[plugin]]\nname = \"a\"\npath = \"netraf_log\"\n",
            6,
            "name",
            "duplicate plugin name 'a' (first at line 2)",
        ),
        ("[[plugin]]\nname = \"a\"\npath = \"x\"\nenable = true\n", 4, "enable", "unknown field"),
        // Keys of a plugin's own config table, refused by the plugin.
        (
            "[[plugin]]\nname = \"log\"\npath = \"netraf_log\"\n\n[plugin.config]\nformat = \"json\"\nformt = \"text\"\n",
            7,
            "formt",
            "unknown field `formt`",
        ),
        (
            "[[plugin]]\nname = \"log\"\npath = \"netraf_log\"\n[plugin.config]\noutput = \"-\"\n\nmax_bytes = \"big\"\n",
            7,
            "max_bytes",
            "invalid type: string \"big\", expected u64",
        ),
        (
            "[[plugin]]\nname = \"log\"\npath = \"netraf_log\"\n[plugin.config]\nformat = \"text\"\n\nrotate_seconds = 60\n",
            7,
            "rotate_seconds",
            "applies to format = \"pcap\" or \"pcapng\"",
        ),
    ];
    for (i, (text, line, key, what)) in cases.iter().enumerate() {
        let file = dir.write(&format!("bad{i}.toml"), text);
        let out = run_host(
            &dir.path,
            &["--config", file.to_str().unwrap(), "--check-config"],
        );
        assert_eq!(out.code, Some(2), "{out}");
        let expected = format!("{}:{line}: key `{key}`: ", file.display());
        assert!(out.stderr.contains(&expected), "want {expected:?} in {out}");
        assert!(out.stderr.contains(what), "want {what:?} in {out}");
    }
}

#[test]
fn a_missing_plugin_is_named_where_the_config_names_it_with_what_its_path_meant() {
    // A config in a folder of its own, run from another folder, as a user
    // following the README from the repository's top runs configs/*.toml.
    let dir = TempDir::new("missing-plugin");
    let configs = dir.path.join("configs");
    std::fs::create_dir_all(&configs).expect("configs folder");
    let config = configs.join("mine.toml");
    std::fs::write(
        &config,
        "[[plugin]]\nname = \"mine\"\npath = \"target/release/libmine.so\"\n\n\
         [[plugin]]\nname = \"bare\"\npath = \"my_plugin\"\n",
    )
    .expect("write the config");
    let out = run_host(
        &dir.path,
        &["--config", config.to_str().unwrap(), "--check-config"],
    );
    assert_eq!(out.code, Some(2), "{out}");
    let relative = configs.join("target/release/libmine.so");
    let want = format!(
        "{}:3: plugin 'mine': {}: no such plugin file (`path = \"target/release/libmine.so\"` \
         is relative to the config file's folder, not to the working directory)",
        config.display(),
        relative.display()
    );
    assert!(out.stderr.contains(&want), "want {want:?} in {out}");
    let want = format!(
        "{}:7: plugin 'bare': {}/libmy_plugin.so: no such plugin file (a bare name is a \
         library in the plugin directory {}; for a library elsewhere",
        config.display(),
        host().parent().expect("the host's folder").display(),
        host().parent().expect("the host's folder").display()
    );
    assert!(out.stderr.contains(&want), "want {want:?} in {out}");
    assert!(!out.stderr.contains("cargo build"), "{out}");
}

#[test]
fn every_plugin_that_fails_to_load_is_reported_with_its_reason() {
    let dir = TempDir::new("load-errors");
    let junk = dir.write("libjunk.so", "this is not a shared object\n");
    let missing = dir.path.join("libmissing.so");
    let not_plugin = test_plugin("netraf_not_a_plugin");
    let text = format!(
        "[[plugin]]\nname = \"missing\"\npath = \"{}\"\n\n\
         [[plugin]]\nname = \"junk\"\npath = \"{}\"\n\n\
         [[plugin]]\nname = \"count\"\npath = \"netraf_count\"\n\n\
         [[plugin]]\nname = \"noroot\"\npath = \"{}\"\n",
        missing.display(),
        junk.display(),
        not_plugin.display()
    );
    let config = dir.write("load.toml", &text);
    let out = run_host(
        &dir.path,
        &["--config", config.to_str().unwrap(), "--check-config"],
    );
    assert_eq!(out.code, Some(2), "{out}");
    let expect = [
        format!("{}: no such plugin file", missing.display()),
        format!("{}: not a loadable shared library", junk.display()),
        format!(
            "{}: not a netraf plugin: the library exports no root module",
            not_plugin.display()
        ),
        "3 of 4 plugin(s) failed to load".to_string(),
    ];
    for e in &expect {
        assert!(out.stderr.contains(e), "want {e:?} in {out}");
    }
}

#[test]
fn a_plugin_whose_constructor_fails_is_named_with_its_message() {
    let dir = TempDir::new("ctor");
    let config = testkit_config(
        &dir,
        &[
            ("refuses", "mode = \"fail-new\""),
            ("panics", "mode = \"panic-new\""),
            ("typo", "mood = \"record\""),
            ("metered", "mode = \"bad-metric\""),
        ],
    );
    let plugin_dir = target_dir();
    let out = run_host(
        &dir.path,
        &[
            "--config",
            config.to_str().unwrap(),
            "--plugin-dir",
            plugin_dir.to_str().unwrap(),
            "--check-config",
        ],
    );
    assert_eq!(out.code, Some(2), "{out}");
    let (lib, file) = (test_plugin("netraf_testkit"), config.display());
    for e in [
        format!("{file}:5: plugin 'refuses' ({}): refusing to start", lib.display()),
        format!(
            "{file}:11: plugin 'panics' ({}): panicked in new: panicking on purpose in the constructor",
            lib.display()
        ),
        // The key's own line, not the plugin's name.
        format!("{file}:20: key `mood`: plugin 'typo' ({}): unknown field `mood`", lib.display()),
        // plugin-api 1.1's attach: the host refuses a metric's name.
        format!(
            "plugin 'metered' ({}): metric name `queue depth` is not a Prometheus name",
            lib.display()
        ),
        "4 plugin(s) refused their config".to_string(),
    ] {
        assert!(out.stderr.contains(&e), "want {e:?} in {out}");
    }
}

/// Runs `--check-config` on a config naming `lib`; returns the one stderr
/// line that names it (after checking that the load was refused) and the
/// stderr of the same run at debug log level.
fn refused_line(lib: &Path) -> (String, String) {
    let dir = TempDir::new("refused");
    let config = dir.write(
        "refused.toml",
        &format!("[[plugin]]\nname = \"old\"\npath = \"{}\"\n", lib.display()),
    );
    let args = ["--config", config.to_str().unwrap(), "--check-config"];
    let out = run_host(&dir.path, &args);
    assert_eq!(out.code, Some(2), "{out}");
    // abi_stable's long report is not shown at the default log level...
    assert!(!out.stderr.contains("Layout of expected type"), "{out}");
    assert!(out.stderr.lines().count() <= 3, "{out}");
    // ...but is at debug level.
    let debug = util::run_host_env(&dir.path, &args, &[("RUST_LOG", "debug")]);
    assert!(debug.stderr.contains("full loader message"), "{debug}");
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains(lib.to_str().unwrap()))
        .unwrap_or_else(|| panic!("no line names {}: {out}", lib.display()));
    let rebuild = format!(
        "rebuild the plugin against plugin-api {}",
        plugin_api::ABI_VERSION
    );
    assert!(line.ends_with(&rebuild), "{line}");
    (line.to_string(), debug.stderr)
}

#[test]
fn a_plugin_built_against_a_changed_layout_is_refused_with_one_line() {
    // The constructor's result, which abi_stable checks: its pointer to the
    // hooks table changes type.
    let lib = build_fixture_plugin("abi-mismatch", "layout", |file, text| {
        if file != "handler.rs" {
            return text;
        }
        let changed = text.replace("    hooks: *const c_void,\n}", "    hooks: *const u64,\n}");
        assert_ne!(changed, text, "the field to change is gone from handler.rs");
        changed
    });
    let (line, debug) = refused_line(&lib);
    assert!(debug.contains("Layout of expected type"), "{debug}");
    assert!(
        line.contains(
            "incompatible plugin ABI (mismatched type at RawHandler.hooks: \
             host expects c_void, plugin has u64)"
        ),
        "{line}"
    );
    // The refused library stays mapped: a plugin loaded after it in the same
    // process is itself, not the refused one again.
    assert!(netraf_host::loader::load(&lib).is_err());
    let count = plugin("netraf_count");
    let library = netraf_host::loader::load(&count)
        .unwrap_or_else(|e| panic!("{} after a refused plugin: {e}", count.display()));
    assert_eq!(library.name(), "count");
}

/// plugin-api's own version, as its manifest says.
fn plugin_api_version() -> String {
    let manifest = std::fs::read_to_string(workspace_dir().join("plugin-api/Cargo.toml"))
        .expect("plugin-api/Cargo.toml");
    manifest
        .lines()
        .find_map(|l| l.strip_prefix("version = "))
        .expect("plugin-api has its own version line")
        .trim_matches('"')
        .to_string()
}

#[test]
fn a_plugin_built_against_another_major_plugin_api_is_refused_with_one_line() {
    // A later major version: a 1.x host runs no plugin of 2.x.
    let version = plugin_api_version();
    assert!(version.starts_with(plugin_api::ABI_VERSION), "{version}");
    let lib = build_fixture_plugin("abi-mismatch", "version", |file, text| {
        if file != "Cargo.toml" {
            return text;
        }
        let changed = text.replace(&format!("version = \"{version}\""), "version = \"2.0.0\"");
        assert_ne!(changed, text, "plugin-api's version line not found");
        changed
    });
    let (line, _) = refused_line(&lib);
    assert!(
        line.contains(&format!(
            "built against plugin-api 2.0.0, which is incompatible with this host's plugin-api {version}"
        )),
        "{line}"
    );
}

#[test]
fn the_plugin_template_builds_outside_the_workspace_as_the_readme_says_and_loads() {
    // The README shows the template's files: they stay the same text.
    let readme = std::fs::read_to_string(workspace_dir().join("README.md")).unwrap();
    let section = &readme[readme
        .find("## Writing a plugin")
        .expect("README has the section")..];
    let blocks: Vec<&str> = section
        .split("```")
        .skip(1)
        .step_by(2)
        .take(4)
        .map(|b| b.split_once('\n').map_or("", |(_, body)| body))
        .collect();
    let template = workspace_dir().join("plugin-template");
    for (block, file) in blocks[1..]
        .iter()
        .zip(["Cargo.toml", "src/lib.rs", "my.toml"])
    {
        let text = std::fs::read_to_string(template.join(file)).expect("template file");
        assert_eq!(*block, text, "README's block for plugin-template/{file}");
    }

    let plugin = util::build_plugin_template();
    let config = plugin.join("my.toml");
    let out = run_host(&plugin, &["--config", "my.toml", "--check-config"]);
    assert!(out.ok(), "{out}");
    let out = run_host(&plugin, &["--config", "my.toml", "--list-plugins"]);
    assert!(out.stdout.contains("arp-watch"), "{out}");
    assert!(out.stdout.contains("counts ARP frames"), "{out}");
    // And it runs in a chain: the report is its own JSON.
    let mut chain = chain_from(&config);
    let frame = frames::arp_from(3);
    chain.on_packet(&header(1, &frame), &frame);
    let reports = chain.reports();
    assert_eq!(report_of(&reports, "arp")["label"], "lab");
    assert_eq!(report_of(&reports, "arp")["arp"], 1);
}
