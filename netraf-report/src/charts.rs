//! The charts, as inline SVG written by hand: the IO graph (packets and bytes per bucket of packet time) and horizontal bar charts.
//!
//! The browser lays the text out, so no font is needed here. Every label
//! passes through [`escape`].

use std::fmt::Write;

use crate::format::{escape, short, utc};

/// Width of a chart's drawing, in SVG units (the page scales it).
const WIDTH: f64 = 960.0;
/// Room left of a plot for the y axis labels.
const LEFT: f64 = 56.0;
/// Height of one IO graph panel's plot.
const PANEL: f64 = 150.0;

/// One panel of the IO graph: a series and its name.
struct Panel<'a> {
    name: &'a str,
    class: &'a str,
    values: &'a [u64],
}

/// The IO graph: packets and bytes per bucket of `bucket_seconds`, the
/// first starting at `start_ns`, as two step-area panels over one time axis.
pub fn io_graph(start_ns: u64, bucket_seconds: u64, packets: &[u64], bytes: &[u64]) -> String {
    let buckets = packets.len().min(bytes.len());
    let unit = if bucket_seconds == 1 {
        "per second".to_string()
    } else {
        format!("per {bucket_seconds} s")
    };
    let panels = [
        Panel {
            name: &format!("packets {unit}"),
            class: "packets",
            values: &packets[..buckets],
        },
        Panel {
            name: &format!("bytes {unit}"),
            class: "bytes",
            values: &bytes[..buckets],
        },
    ];
    let step = 36.0 + PANEL;
    let height = step * panels.len() as f64 + 24.0;
    let mut svg = format!(
        "<svg id=\"io-graph\" class=\"chart\" viewBox=\"0 0 {WIDTH} {height}\" \
         role=\"img\" aria-label=\"packets and bytes over packet time\" \
         data-buckets=\"{buckets}\" data-bucket-seconds=\"{bucket_seconds}\" \
         data-start-ns=\"{start_ns}\">"
    );
    for (i, panel) in panels.iter().enumerate() {
        let top = 20.0 + step * i as f64;
        draw_panel(&mut svg, panel, top);
    }
    time_axis(
        &mut svg,
        start_ns,
        bucket_seconds,
        buckets,
        20.0 + step * 2.0 - 18.0,
    );
    svg.push_str("</svg>");
    svg
}

/// One panel: its title, y grid with labels, and the series as a step area.
fn draw_panel(svg: &mut String, panel: &Panel<'_>, top: f64) {
    let bottom = top + PANEL;
    let plot = WIDTH - LEFT - 8.0;
    let max = panel.values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let _ = write!(
        svg,
        "<text class=\"title\" x=\"{LEFT}\" y=\"{:.1}\">{}</text>",
        top - 6.0,
        escape(panel.name)
    );
    for fraction in [0.0, 0.5, 1.0] {
        let y = bottom - fraction * PANEL;
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT + plot,
            LEFT - 6.0,
            y + 4.0,
            short(max * fraction)
        );
    }
    if panel.values.is_empty() {
        return;
    }
    let w = plot / panel.values.len() as f64;
    let mut d = format!("M{LEFT:.1} {bottom:.1}");
    for (i, &v) in panel.values.iter().enumerate() {
        let x0 = LEFT + w * i as f64;
        let y = bottom - v as f64 / max * PANEL;
        let _ = write!(d, "L{x0:.1} {y:.1}H{:.1}", x0 + w);
    }
    let _ = write!(d, "L{:.1} {bottom:.1}Z", LEFT + plot);
    let _ = write!(
        svg,
        "<path class=\"series {}\" data-points=\"{}\" d=\"{d}\"/>",
        panel.class,
        panel.values.len()
    );
}

/// The shared time axis under the panels: seconds from the first bucket's
/// start at up to six ticks, and that start in UTC.
fn time_axis(svg: &mut String, start_ns: u64, bucket_seconds: u64, buckets: usize, y: f64) {
    let plot = WIDTH - LEFT - 8.0;
    let span = bucket_seconds.saturating_mul(buckets as u64);
    let ticks = buckets.clamp(1, 6);
    for t in 0..=ticks {
        let x = LEFT + plot * t as f64 / ticks as f64;
        let offset = span as f64 * t as f64 / ticks as f64;
        let anchor = match t {
            0 => "start",
            t if t == ticks => "end",
            _ => "middle",
        };
        let _ = write!(
            svg,
            "<text class=\"axis\" x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\">+{} s</text>",
            short(offset)
        );
    }
    let _ = write!(
        svg,
        "<text class=\"axis\" x=\"{LEFT}\" y=\"{:.1}\">packet time from {}</text>",
        y + 16.0,
        escape(&utc(start_ns))
    );
}

/// A horizontal bar chart of `items` (label, value), one bar each in the
/// order given; `id` names the SVG element; values shown by `show`.
pub fn bars(id: &str, items: &[(String, u64)], show: fn(u64) -> String) -> String {
    let (width, row, label) = (560.0, 22.0, 170.0);
    let height = row * items.len() as f64 + 6.0;
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1) as f64;
    let room = width - label - 80.0;
    let mut svg = format!(
        "<svg id=\"{}\" class=\"chart bars\" viewBox=\"0 0 {width} {height}\" role=\"img\">",
        escape(id)
    );
    for (i, (name, value)) in items.iter().enumerate() {
        let y = 3.0 + row * i as f64;
        let w = (*value as f64 / max * room).max(if *value > 0 { 1.0 } else { 0.0 });
        let name = escape(name);
        let _ = write!(
            svg,
            "<text class=\"label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{name}</text>\
             <rect class=\"bar\" x=\"{label}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.1}\" \
             data-value=\"{value}\"><title>{name}: {}</title></rect>\
             <text class=\"value\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            label - 8.0,
            y + 15.0,
            row - 6.0,
            escape(&show(*value)),
            label + w + 6.0,
            y + 15.0,
            escape(&show(*value))
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_io_graph_has_a_series_per_panel_and_survives_odd_input() {
        let svg = io_graph(
            1_700_000_000_000_000_000,
            2,
            &[1, 5, 0, 2],
            &[60, 300, 0, 120],
        );
        assert_eq!(svg.matches("<path class=\"series").count(), 2);
        assert!(svg.contains("data-points=\"4\""), "{svg}");
        assert!(svg.contains("per 2 s"), "{svg}");
        assert!(svg.contains("2023-11-14 22:13:20 UTC"), "{svg}");
        // No bucket, or series of different lengths: no panic, no NaN.
        for svg in [io_graph(0, 1, &[], &[]), io_graph(0, 1, &[3, 4], &[1])] {
            assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        }
    }

    #[test]
    fn bars_escape_their_labels() {
        let svg = bars("x", &[("<b>".into(), 10), ("ok".into(), 0)], |v| {
            v.to_string()
        });
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"), "{svg}");
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("data-value=\"10\""));
    }
}
