//! The page's sections: the run's facts and totals, then one per plugin, known reports (count, broadcast, flow) as tables and charts and any other as it is.
//!
//! A known plugin's renderer returns `None` when its report is not shaped
//! as expected (another version, another plugin under that name); the
//! report is then shown generically.

use std::fmt::Write;

use serde_json::{Map, Value};

use crate::charts;
use crate::format::{bytes, escape, seconds, thousands, utc};

/// How a table cell shows a value.
#[derive(Clone, Copy)]
enum Show {
    Text,
    Count,
    Bytes,
}

/// A table column: header and the key of each row's object.
struct Column<'a>(&'a str, &'a str, Show);

fn number(v: &Value, key: &str) -> Option<u64> {
    v.get(key)?.as_u64()
}

/// An object of counters as (name, count), in the object's order.
fn counters(v: &Value) -> Option<Vec<(String, u64)>> {
    v.as_object()?
        .iter()
        .map(|(k, n)| Some((k.clone(), n.as_u64()?)))
        .collect()
}

/// A figure in a tile: the element's id (if any), the label, the key of
/// the number in the report's object and how it reads.
type Tile<'a> = (Option<&'a str>, &'a str, &'a str, Show);

/// A row of tiles, numbers of the object `v`: each with its `id` and
/// `data-value` for readers, the number for people (`?` when `v` lacks it).
fn tiles(out: &mut String, v: &Value, tiles: &[Tile<'_>]) {
    out.push_str("<div class=\"tiles\">");
    for (id, label, key, show) in tiles {
        let value = number(v, key);
        let id = id.map_or(String::new(), |id| format!(" id=\"{id}\""));
        let data = value.map_or(String::new(), |v| format!(" data-value=\"{v}\""));
        let text = value.map_or("?".to_string(), |v| cell_text(&Value::from(v), *show));
        let _ = write!(
            out,
            "<div class=\"tile\"{id}{data}><span class=\"n\">{}</span><span class=\"k\">{}</span></div>",
            escape(&text),
            escape(label)
        );
    }
    out.push_str("</div>");
}

fn cell_text(v: &Value, show: Show) -> String {
    match (v, show) {
        (Value::Number(n), Show::Count) => n.as_u64().map_or(n.to_string(), thousands),
        (Value::Number(n), Show::Bytes) => n.as_u64().map_or(n.to_string(), bytes),
        (Value::String(s), _) => s.clone(),
        (Value::Null, _) => String::new(),
        (v, _) => v.to_string(),
    }
}

/// A table of `rows` (objects), one column per [`Column`]; `id` on the table.
fn table(out: &mut String, id: &str, rows: &[Value], columns: &[Column<'_>]) {
    let _ = write!(out, "<table id=\"{id}\"><thead><tr>");
    for Column(header, _, show) in columns {
        let class = if matches!(show, Show::Text) {
            ""
        } else {
            " class=\"num\""
        };
        let _ = write!(out, "<th{class}>{}</th>", escape(header));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for Column(_, key, show) in columns {
            let value = row.get(key).unwrap_or(&Value::Null);
            let class = if matches!(show, Show::Text) {
                ""
            } else {
                " class=\"num\""
            };
            let data = value
                .as_u64()
                .map_or(String::new(), |n| format!(" data-value=\"{n}\""));
            let _ = write!(
                out,
                "<td{class}{data}>{}</td>",
                escape(&cell_text(value, *show))
            );
        }
        out.push_str("</tr>");
    }
    if rows.is_empty() {
        let _ = write!(
            out,
            "<tr><td colspan=\"{}\" class=\"none\">none</td></tr>",
            columns.len()
        );
    }
    out.push_str("</tbody></table>");
}

/// A bar chart of an object of counters under a heading, when it is one.
fn counter_bars(out: &mut String, id: &str, heading: &str, v: &Value, show: fn(u64) -> String) {
    if let Some(items) = counters(v) {
        let _ = write!(
            out,
            "<div><h3>{}</h3>{}</div>",
            escape(heading),
            charts::bars(id, &items, show)
        );
    }
}

/// The run's facts and capture totals (the report's `capture`), the
/// plugins and, after a reload, the generations.
pub fn overview(doc: &Value) -> String {
    let capture = &doc["capture"];
    let mut out = String::from("<section id=\"overview\"><h2>Capture</h2>");
    tiles(
        &mut out,
        capture,
        &[
            (Some("total-packets"), "packets", "packets", Show::Count),
            (Some("total-bytes"), "bytes captured", "bytes", Show::Bytes),
            (
                Some("drops"),
                "dropped by the kernel",
                "dropped",
                Show::Count,
            ),
        ],
    );
    out.push_str("<table class=\"facts\"><tbody>");
    let source = capture["source"].as_str().unwrap_or("?");
    let _ = write!(
        out,
        "<tr><th>Source</th><td id=\"source\">{}</td></tr>",
        escape(source)
    );
    if let Some(s) = capture["seconds"].as_f64() {
        let _ = write!(
            out,
            "<tr><th>Ran for (wall clock)</th><td id=\"seconds\" data-value=\"{s}\">{}</td></tr>",
            escape(&seconds(s))
        );
    }
    let plugins = doc["plugins"].as_array().map_or(&[][..], Vec::as_slice);
    let names: Vec<String> = plugins
        .iter()
        .map(|p| {
            let name = p["name"].as_str().unwrap_or("?");
            match (p["plugin"].as_str(), p["version"].as_str()) {
                (Some(plugin), Some(version)) if plugin != name => {
                    format!("{name} ({plugin} {version})")
                }
                (_, Some(version)) => format!("{name} {version}"),
                _ => name.to_string(),
            }
        })
        .collect();
    let _ = write!(
        out,
        "<tr><th>Plugins, in chain order</th><td id=\"plugins\">{}</td></tr></tbody></table>",
        escape(&names.join(", "))
    );
    if let Some(generations) = doc["generations"].as_array() {
        out.push_str("<h3>Config generations (the config was reloaded)</h3>");
        table(
            &mut out,
            "generations",
            generations,
            &[
                Column("generation", "generation", Show::Count),
                Column("config", "config", Show::Text),
                Column("packets", "packets", Show::Count),
            ],
        );
        out.push_str("<p class=\"note\">The plugin sections below show the last generation.</p>");
    }
    out.push_str("</section>");
    out
}

/// A plugin's section from its entry in the report's `plugins`.
pub fn plugin(index: usize, entry: &Value) -> String {
    let name = entry["name"].as_str().unwrap_or("?");
    let kind = entry["plugin"].as_str().unwrap_or(name);
    let report = &entry["report"];
    let known = match kind {
        "count" => count(report),
        "broadcast" => broadcast(report),
        "flow" => flow(report),
        _ => None,
    };
    let body = known.unwrap_or_else(|| generic(report));
    let title = match entry["version"].as_str() {
        Some(version) => format!(
            "{} <span class=\"version\">{}</span>",
            escape(name),
            escape(version)
        ),
        None => escape(name),
    };
    let title = if kind == name {
        title
    } else {
        format!("{title} <span class=\"version\">({})</span>", escape(kind))
    };
    format!(
        "<section class=\"plugin\" id=\"plugin-{index}\" data-plugin=\"{}\"><h2>{title}</h2>{body}</section>",
        escape(kind)
    )
}

/// The count plugin: the IO graph, totals and the protocol mix.
fn count(r: &Value) -> Option<String> {
    // A count report: its totals are numbers.
    number(r, "packets")?;
    number(r, "bytes")?;
    let mut out = String::new();
    let timeline = &r["timeline"];
    if let (Some(start), Some(width), Some(p), Some(b)) = (
        number(timeline, "start_ns"),
        number(timeline, "bucket_seconds"),
        timeline["packets"].as_array(),
        timeline["bytes"].as_array(),
    ) {
        let p: Vec<u64> = p.iter().map(|v| v.as_u64().unwrap_or(0)).collect();
        let b: Vec<u64> = b.iter().map(|v| v.as_u64().unwrap_or(0)).collect();
        out.push_str("<h3>Packets and bytes over packet time</h3>");
        if let (Some(first), Some(last)) = (
            p.iter().position(|&n| n > 0),
            p.iter().rposition(|&n| n > 0),
        ) {
            let bucket_ns = width.saturating_mul(1_000_000_000);
            let from = start.saturating_add(bucket_ns.saturating_mul(first as u64));
            let to = start.saturating_add(bucket_ns.saturating_mul(last as u64 + 1));
            let _ = write!(
                out,
                "<p class=\"note\">From {} to {} (buckets of {width} s).</p>",
                escape(&utc(from)),
                escape(&utc(to))
            );
            out.push_str(&charts::io_graph(start, width, &p, &b));
        } else {
            out.push_str("<p class=\"none\">No packet.</p>");
        }
    }
    tiles(
        &mut out,
        r,
        &[
            (Some("count-packets"), "packets", "packets", Show::Count),
            (Some("count-bytes"), "bytes captured", "bytes", Show::Bytes),
            (None, "bytes on the wire", "wire_bytes", Show::Bytes),
            (None, "broadcast frames", "broadcast", Show::Count),
        ],
    );
    out.push_str("<div class=\"columns\">");
    counter_bars(
        &mut out,
        "network-mix",
        "Network protocol (outermost)",
        &r["network"],
        thousands,
    );
    counter_bars(
        &mut out,
        "transport-mix",
        "Transport protocol (IP frames)",
        &r["transport"],
        thousands,
    );
    counter_bars(
        &mut out,
        "packet-types",
        "Packet types",
        &r["pkttypes"],
        thousands,
    );
    out.push_str("</div>");
    if let Some(interfaces) = r["interfaces"].as_object() {
        let rows: Vec<Value> = interfaces
            .iter()
            .map(|(name, t)| {
                let mut row = Map::new();
                row.insert("interface".into(), Value::from(name.as_str()));
                row.insert("packets".into(), t["packets"].clone());
                row.insert("bytes".into(), t["bytes"].clone());
                Value::Object(row)
            })
            .collect();
        out.push_str("<h3>Interfaces</h3>");
        table(
            &mut out,
            "interfaces",
            &rows,
            &[
                Column("interface", "interface", Show::Text),
                Column("packets", "packets", Show::Count),
                Column("bytes", "bytes", Show::Bytes),
            ],
        );
    }
    Some(out)
}

/// The broadcast plugin: broadcast frames by protocol, the sources and storms.
fn broadcast(r: &Value) -> Option<String> {
    number(r, "broadcast_frames")?;
    let sources = r["top_sources"].as_array()?;
    let mut out = String::new();
    tiles(
        &mut out,
        r,
        &[
            (
                Some("broadcast-frames"),
                "broadcast frames",
                "broadcast_frames",
                Show::Count,
            ),
            (Some("broadcast-sources"), "sources", "sources", Show::Count),
            (
                Some("storm-warnings"),
                "storm warnings",
                "storm_warnings",
                Show::Count,
            ),
            (
                None,
                "frames of untracked sources",
                "untracked_frames",
                Show::Count,
            ),
        ],
    );
    counter_bars(
        &mut out,
        "broadcast-protocols",
        "Broadcast frames by protocol",
        &r["protocols"],
        thousands,
    );
    out.push_str("<h3>Top broadcast sources</h3>");
    table(
        &mut out,
        "broadcast-top",
        sources,
        &[
            Column("MAC address", "mac", Show::Text),
            Column("frames", "frames", Show::Count),
            Column("storms", "storms", Show::Count),
            Column("ARP", "arp", Show::Count),
            Column("DHCP", "dhcp", Show::Count),
            Column("NetBIOS", "netbios", Show::Count),
            Column("other", "other", Show::Count),
        ],
    );
    Some(out)
}

/// The flow plugin: totals, top talkers and flows, protocol and port mix.
fn flow(r: &Value) -> Option<String> {
    number(r, "flows")?;
    let hosts = r["top_hosts_by_bytes"].as_array()?;
    let mut out = String::new();
    tiles(
        &mut out,
        r,
        &[
            (Some("flows"), "flows", "flows", Show::Count),
            (None, "IP packets", "packets", Show::Count),
            (None, "IP bytes", "ip_bytes", Show::Bytes),
            (None, "active at the end", "active_at_end", Show::Count),
            (None, "evicted", "evicted", Show::Count),
        ],
    );
    if let Some(top) = hosts.first() {
        let host = top["host"].as_str().unwrap_or("?");
        let _ = write!(
            out,
            "<p class=\"talker\">Top talker: <strong id=\"top-talker\" data-value=\"{0}\" \
             data-bytes=\"{1}\">{0}</strong> with {2} in {3} packets.</p>",
            escape(host),
            number(top, "bytes").unwrap_or(0),
            escape(&bytes(number(top, "bytes").unwrap_or(0))),
            escape(&thousands(number(top, "packets").unwrap_or(0)))
        );
        let items: Vec<(String, u64)> = hosts
            .iter()
            .map(|h| {
                (
                    h["host"].as_str().unwrap_or("?").to_string(),
                    number(h, "bytes").unwrap_or(0),
                )
            })
            .collect();
        out.push_str("<h3>Top hosts by bytes</h3>");
        out.push_str(&charts::bars("top-hosts-chart", &items, bytes));
    }
    let host_columns = [
        Column("host", "host", Show::Text),
        Column("bytes", "bytes", Show::Bytes),
        Column("packets", "packets", Show::Count),
        Column("flows", "flows", Show::Count),
    ];
    let flow_columns = [
        Column("protocol", "proto", Show::Text),
        Column("originator", "orig_h", Show::Text),
        Column("port", "orig_p", Show::Text),
        Column("responder", "resp_h", Show::Text),
        Column("port", "resp_p", Show::Text),
        Column("bytes", "bytes", Show::Bytes),
        Column("packets", "packets", Show::Count),
    ];
    out.push_str("<div class=\"columns\"><div><h3>Top hosts by bytes</h3>");
    table(&mut out, "top-hosts-bytes", hosts, &host_columns);
    out.push_str("</div><div><h3>Top hosts by packets</h3>");
    let by_packets = r["top_hosts_by_packets"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    table(&mut out, "top-hosts-packets", by_packets, &host_columns);
    out.push_str("</div></div><h3>Top flows by bytes</h3>");
    let top_flows = r["top_flows_by_bytes"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    table(&mut out, "top-flows-bytes", top_flows, &flow_columns);
    out.push_str("<h3>Top flows by packets</h3>");
    let top_flows = r["top_flows_by_packets"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    table(&mut out, "top-flows-packets", top_flows, &flow_columns);
    if let Some(protocols) = r["protocols"].as_object() {
        let rows: Vec<Value> = protocols
            .iter()
            .map(|(name, t)| {
                let mut row = t.as_object().cloned().unwrap_or_default();
                row.insert("protocol".into(), Value::from(name.as_str()));
                Value::Object(row)
            })
            .collect();
        out.push_str("<h3>Protocol mix</h3>");
        table(
            &mut out,
            "flow-protocols",
            &rows,
            &[
                Column("protocol", "protocol", Show::Text),
                Column("flows", "flows", Show::Count),
                Column("packets", "packets", Show::Count),
                Column("IP bytes", "ip_bytes", Show::Bytes),
            ],
        );
    }
    if let Some(ports) = r["top_responder_ports"].as_object() {
        out.push_str("<h3>Top responder ports</h3><div class=\"columns\">");
        for (proto, list) in ports {
            let rows = list.as_array().map_or(&[][..], Vec::as_slice);
            let _ = write!(out, "<div><h4>{}</h4>", escape(proto));
            table(
                &mut out,
                &format!("ports-{}", escape(proto)),
                rows,
                &[
                    Column("port", "port", Show::Text),
                    Column("flows", "flows", Show::Count),
                    Column("bytes", "bytes", Show::Bytes),
                ],
            );
            out.push_str("</div>");
        }
        out.push_str("</div>");
    }
    Some(out)
}

/// Any report: an object key by key (nested values as indented JSON),
/// anything else as indented JSON.
pub fn generic(r: &Value) -> String {
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let Some(object) = r.as_object() else {
        return format!("<pre class=\"json\">{}</pre>", escape(&pretty(r)));
    };
    let mut out = String::from("<table class=\"generic\"><tbody>");
    for (key, value) in object {
        let cell = match value {
            Value::Object(_) | Value::Array(_) => {
                format!("<pre class=\"json\">{}</pre>", escape(&pretty(value)))
            }
            v => escape(&cell_text(v, Show::Count)),
        };
        let _ = write!(out, "<tr><th>{}</th><td>{cell}</td></tr>", escape(key));
    }
    out.push_str("</tbody></table>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_unexpected_report_under_a_known_name_is_shown_generically() {
        let entry = json!({"name": "flow", "report": {"flows": "many", "note": "<x>"}});
        let html = plugin(0, &entry);
        assert!(html.contains("class=\"generic\""), "{html}");
        assert!(
            html.contains("&lt;x&gt;") && !html.contains("<x>"),
            "{html}"
        );
        // Odd shapes anywhere: no panic.
        for report in [
            json!(null),
            json!([1, {"a": []}]),
            json!("text"),
            json!({"timeline": 3, "packets": 1, "bytes": 2}),
        ] {
            for name in ["count", "broadcast", "flow", "other"] {
                plugin(1, &json!({"name": name, "report": report}));
            }
        }
        overview(&json!(null));
        overview(&json!({"capture": [], "plugins": {}, "generations": [1, null]}));
    }

    #[test]
    fn a_plugin_is_known_by_its_library_name() {
        let entry = json!({"name": "<mine>", "plugin": "count", "version": "0.1.0",
                           "report": {"packets": 2, "bytes": 120}});
        let html = plugin(3, &entry);
        assert!(
            html.contains("id=\"count-packets\" data-value=\"2\""),
            "{html}"
        );
        assert!(
            html.contains("&lt;mine&gt;") && !html.contains("<mine>"),
            "{html}"
        );
    }
}
