//! netraf-host with the flow plugin exporting over IPFIX while it replays the corpus: nfcapd receives every flow the conn log holds, with the same addresses, ports, packets and bytes each way.

use std::collections::BTreeMap;

use netraf_tests::corpus::{self, Csv};
use serde_json::Value;

use super::collector::{self, Collector};
use crate::host::util::{run_host, TempDir};

/// What both sides say of a flow: protocol, originator and responder
/// (address, port; ICMP: type and code), VLAN, then packets and IP bytes each way.
type Flow = (u8, String, u16, String, u16, u64, [u64; 4]);

/// What stands for a protocol the conn log names `unknown_transport` (its
/// number is in the IPFIX record, not in the log).
const OTHER: u8 = 255;

fn protocol_number(name: &str) -> Option<u8> {
    match name {
        "tcp" => Some(6),
        "udp" => Some(17),
        "icmp" => Some(1),
        "unknown_transport" => Some(OTHER),
        _ => None,
    }
}

/// The flows of a conn log.
fn logged(text: &str) -> Vec<Flow> {
    let mut flows = Vec::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).expect("a conn log line");
        let Some(mut proto) = v["proto"].as_str().and_then(protocol_number) else {
            continue;
        };
        let orig = v["id.orig_h"].as_str().expect("id.orig_h").to_string();
        if proto == 1 && orig.contains(':') {
            proto = 58;
        }
        let n = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("{k} in {line}"));
        flows.push((
            proto,
            orig,
            n("id.orig_p") as u16,
            v["id.resp_h"].as_str().expect("id.resp_h").to_string(),
            n("id.resp_p") as u16,
            v["vlan"].as_u64().unwrap_or(0),
            [
                n("orig_pkts"),
                n("orig_ip_bytes"),
                n("resp_pkts"),
                n("resp_ip_bytes"),
            ],
        ));
    }
    flows
}

/// The flows of nfdump's records.
fn collected(records: &[Value]) -> Vec<Flow> {
    records
        .iter()
        .map(|r| {
            let proto = match r["proto"].as_u64().expect("proto") as u8 {
                n @ (1 | 6 | 17 | 58) => n,
                _ => OTHER,
            };
            let addr = |side: &str| {
                r[format!("{side}4_addr")]
                    .as_str()
                    .or_else(|| r[format!("{side}6_addr")].as_str())
                    .expect("an address")
                    .parse::<std::net::IpAddr>()
                    .expect("an IP address")
                    .to_string()
            };
            let n = |k: &str| r[k].as_u64().unwrap_or(0);
            let (orig_p, resp_p) = if proto == 1 || proto == 58 {
                (n("icmp_type"), n("icmp_code"))
            } else {
                (n("src_port"), n("dst_port"))
            };
            (
                proto,
                addr("src"),
                orig_p as u16,
                addr("dst"),
                resp_p as u16,
                n("src_vlan"),
                [
                    n("in_packets"),
                    n("in_bytes"),
                    n("out_packets"),
                    n("out_bytes"),
                ],
            )
        })
        .collect()
}

#[test]
fn the_collector_receives_every_flow_of_the_conn_log_of_every_corpus_file() {
    let Some(corpus_dir) = corpus::dir() else {
        return;
    };
    if !collector::available() {
        return;
    }
    let expected = Csv::read(&corpus_dir.join("expected.csv"));
    let dir = TempDir::new("ipfix-host");
    let mut nfcapd = Collector::start();
    let mut logged_flows = Vec::new();
    let mut files = 0;
    for (domain, file) in expected.files().into_iter().enumerate() {
        if expected.row(file)["readable"] != "yes" {
            continue;
        }
        let log = dir.path.join(format!("conn-{domain}.jsonl"));
        // One observation domain per file: each run is a new exporter whose
        // sequence numbers start at 0.
        let config = dir.write(
            "flows.toml",
            &format!(
                "[[plugin]]\nname = \"flow\"\npath = \"netraf_flow\"\n[plugin.config]\n\
                 output = {:?}\nipfix = {:?}\nipfix_domain = {}\n",
                log.to_str().expect("UTF-8 path"),
                nfcapd.target(),
                domain + 1
            ),
        );
        let path = corpus_dir.join("pcap").join(file);
        let out = run_host(
            &dir.path,
            &[
                "--config",
                config.to_str().expect("UTF-8 path"),
                "-r",
                path.to_str().expect("UTF-8 path"),
            ],
        );
        assert!(out.ok(), "{file}: {out}");
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        logged_flows.extend(logged(&text));
        files += 1;
    }
    let (log, records) = nfcapd.stop_and_read();
    assert!(files >= 30, "{files} corpus files replayed");
    assert_eq!(collector::total(&log, "Sequence Errors"), Some(0), "{log}");
    assert_eq!(collector::total(&log, "Bad Packets"), Some(0), "{log}");
    let mut want: BTreeMap<Flow, usize> = BTreeMap::new();
    for f in logged_flows {
        *want.entry(f).or_default() += 1;
    }
    let mut got: BTreeMap<Flow, usize> = BTreeMap::new();
    for f in collected(&records) {
        *got.entry(f).or_default() += 1;
    }
    let total: usize = want.values().sum();
    assert!(total > 500, "{total} flows logged");
    let missing: Vec<_> = want
        .iter()
        .filter(|(f, n)| got.get(*f) != Some(n))
        .take(10)
        .collect();
    let extra: Vec<_> = got
        .iter()
        .filter(|(f, n)| want.get(*f) != Some(n))
        .take(10)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{total} flows logged, {} collected; logged but not collected alike: {missing:?}; \
         collected but not logged: {extra:?}",
        records.len()
    );
    eprintln!("{files} files, {total} flows: every one collected by nfcapd, equal");
}
