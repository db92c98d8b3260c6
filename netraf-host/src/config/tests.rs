//! The config's tests: parsing, the checks and their lines and keys, plugin refusals and path resolution.

use std::path::Path;

use mycap_core::FanoutMode;

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
    let e =
        parse("[[plugin]]\nname = \"a\"\npath = \"x\"\n[[plugin]]\nname = \"a\"\npath = \"y\"\n")
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

/// The snap length follows MYCAP's one rule when the config is read, for a
/// capture file as for an interface: a value a live capture would refuse
/// does not pass here to fail only once the capture opens.
#[test]
fn snap_lengths_a_capture_refuses_are_refused_at_their_line() {
    for source in ["interface = \"eth0\"", "read = \"t.pcap\""] {
        for bad in ["0", "-1", "16777217", "4294967295", "4294967296"] {
            let e = parse(&format!("[capture]\n{source}\nsnaplen = {bad}\n")).unwrap_err();
            assert_eq!((e.line, e.key.as_deref()), (3, Some("snaplen")), "{e}");
            let s = e.to_string();
            assert!(
                s.starts_with(
                    "/etc/netraf/a.toml:3: key `snaplen`: snap length out of range \
                     (1 to 16777216 bytes)"
                ),
                "{s}"
            );
        }
        for ok in [1, 64, 65_535, 16 << 20] {
            let c = parse(&format!("[capture]\n{source}\nsnaplen = {ok}\n")).unwrap();
            assert_eq!(c.capture.snaplen, ok);
        }
    }
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
fn the_user_to_switch_to_is_a_name_checked_at_its_line() {
    assert_eq!(parse("").unwrap().capture.user, None);
    let c = parse("[capture]\nuser = \"nobody\"\n").unwrap();
    assert_eq!(c.capture.user.as_deref(), Some("nobody"));
    for bad in ["\"\"", "\"a\\u0000b\""] {
        let e = parse(&format!("[capture]\ninterface = \"lo\"\nuser = {bad}\n")).unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (3, Some("user")), "{e}");
        assert!(e.message.contains("not a user name"), "{e}");
    }
    let e = parse("[capture]\nuser = 65534\n").unwrap_err();
    assert_eq!(e.line, 2, "{e}");
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

#[test]
fn filters_and_direction_are_read_and_a_bad_one_named_at_its_line_and_key() {
    let c = parse(
        "[capture]\nfilter = \"  tcp port 80 \"\ndirection = \"in\"\n\n\
         [[plugin]]\nname = \"dns\"\npath = \"netraf_count\"\nfilter = \"udp port 53\"\n",
    )
    .unwrap();
    assert_eq!(c.capture.filter.as_deref(), Some("tcp port 80"));
    assert_eq!(c.capture.direction, mycap_core::Direction::In);
    assert_eq!(c.plugins[0].filter.as_deref(), Some("udp port 53"));
    let e = parse("[capture]\ninterface = \"lo\"\nfilter = \"tcp and (\"\n").unwrap_err();
    assert_eq!((e.line, e.key.as_deref()), (3, Some("filter")), "{e}");
    assert!(e.to_string().contains("column"), "{e}");
    let e = parse("[[plugin]]\nname = \"a\"\npath = \"p\"\nfilter = \"tcp port 80 and fish\"\n")
        .unwrap_err();
    assert_eq!((e.line, e.key.as_deref()), (4, Some("filter")), "{e}");
    assert!(e.to_string().contains("'fish'"), "{e}");
    let e = parse("[capture]\ndirection = \"sideways\"\n").unwrap_err();
    assert_eq!((e.line, e.key.as_deref()), (2, Some("direction")), "{e}");
}

#[test]
fn metrics_listen_is_an_address_and_port_named_at_its_line() {
    let c = parse("[metrics]\nlisten = \"127.0.0.1:9187\"\n").unwrap();
    assert_eq!(c.metrics.listen, Some("127.0.0.1:9187".parse().unwrap()));
    let c = parse("[metrics]\nlisten = \"[::1]:9187\"\n").unwrap();
    assert!(c.metrics.listen.is_some_and(|a| a.is_ipv6()));
    assert_eq!(parse("[capture]\n").unwrap().metrics.listen, None);
    for bad in ["localhost", "127.0.0.1", "127.0.0.1:99999", ""] {
        let text = format!("[capture]\ninterface = \"eth0\"\n\n[metrics]\nlisten = \"{bad}\"\n");
        let e = parse(&text).unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (5, Some("listen")), "{e}");
        let shown = e.to_string();
        assert!(
            shown.starts_with("/etc/netraf/a.toml:5: key `listen`: ")
                && shown.contains("not an address and port"),
            "{shown}"
        );
    }
    let e = parse("[metrics]\nport = 9187\n").unwrap_err();
    assert_eq!(e.line, 2, "{e}");
}
