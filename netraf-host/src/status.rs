//! The status line on a terminal: one line on standard error, redrawn in place about once a second with the elapsed time, the rates, the totals, the kernel's drops and the busiest plugin, and cleared before anything else is written there.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::metrics::live_counters::{CaptureTotals, PluginTotals};
use crate::metrics::LiveCounters;

/// Back to the start of the line, and clear it to its end.
const CLEAR: &str = "\r\x1b[K";

/// How often the line is redrawn.
const PERIOD: Duration = Duration::from_secs(1);

/// Whether a status line stands on the terminal now.
static SHOWN: AtomicBool = AtomicBool::new(false);

/// Whether the run shows a status line: standard error is a terminal,
/// standard output is not (the packet lines a log writes there would be
/// mixed with it), and `-q` was not given.
pub fn wanted(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal() && !std::io::stdout().is_terminal()
}

/// What to write before a line on standard error: the status line's
/// clearing when one stands there (it is redrawn at its next second).
pub fn line_prefix() -> &'static str {
    if SHOWN.swap(false, Ordering::AcqRel) {
        CLEAR
    } else {
        ""
    }
}

/// Clears the status line, if one stands there, before anything else is
/// written to standard error.
pub fn clear() {
    let prefix = line_prefix();
    if !prefix.is_empty() {
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(prefix.as_bytes());
        let _ = stderr.flush();
    }
}

/// The status line of a run, drawn by the control thread.
pub(crate) struct StatusLine {
    counters: Arc<LiveCounters>,
    started: Instant,
    /// The totals at the last redraw, and when.
    last: CaptureTotals,
    last_at: Instant,
}

impl StatusLine {
    /// A status line for the run whose counters are `counters`, starting now.
    pub(crate) fn new(counters: Arc<LiveCounters>) -> StatusLine {
        let now = Instant::now();
        StatusLine {
            counters,
            started: now,
            last: CaptureTotals::default(),
            last_at: now,
        }
    }

    /// Redraws the line when a second has passed since the last time.
    pub(crate) fn tick(&mut self) {
        if self.last_at.elapsed() >= PERIOD {
            self.draw();
        }
    }

    /// Draws the line as the counters stand, then clears it: at the end,
    /// before the reports.
    pub(crate) fn finish(&mut self) {
        self.draw();
        clear();
    }

    fn draw(&mut self) {
        let now = Instant::now();
        let totals = self.counters.totals();
        let seconds = now.duration_since(self.last_at).as_secs_f64().max(1e-3);
        let rates = (
            totals.packets.saturating_sub(self.last.packets) as f64 / seconds,
            totals.bytes.saturating_sub(self.last.bytes) as f64 / seconds,
        );
        let text = render(
            now.duration_since(self.started),
            totals,
            rates,
            &self.counters.plugins(),
        );
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "{CLEAR}{text}");
        let _ = stderr.flush();
        SHOWN.store(true, Ordering::Release);
        self.last = totals;
        self.last_at = now;
    }
}

/// `h:mm:ss`.
fn clock(elapsed: Duration) -> String {
    let s = elapsed.as_secs();
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// A rate in bytes per second with an SI prefix.
fn byte_rate(per_second: f64) -> String {
    const UNITS: [&str; 5] = ["B/s", "kB/s", "MB/s", "GB/s", "TB/s"];
    let mut value = per_second;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// The line's text: elapsed time, packets/s and bytes/s since the last
/// redraw, total packets, kernel drops, and the plugin with the most
/// (estimated) time with its share.
fn render(
    elapsed: Duration,
    totals: CaptureTotals,
    (packets_per_second, bytes_per_second): (f64, f64),
    plugins: &[PluginTotals],
) -> String {
    let mut text = format!(
        "{} | {packets_per_second:.0} packets/s {} | {} packets | {} dropped",
        clock(elapsed),
        byte_rate(bytes_per_second),
        totals.packets,
        totals.dropped
    );
    let spent: f64 = plugins.iter().map(|p| p.seconds).sum();
    let busiest = plugins
        .iter()
        .filter(|p| p.seconds > 0.0)
        .max_by(|a, b| a.seconds.total_cmp(&b.seconds));
    if let Some(p) = busiest {
        text.push_str(&format!(
            " | busiest: {} ({:.0}%)",
            plugin_api::escape(&p.name),
            100.0 * p.seconds / spent
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plugin(name: &str, seconds: f64) -> PluginTotals {
        PluginTotals {
            name: name.into(),
            packets: 1,
            errors: 0,
            disabled: false,
            seconds,
        }
    }

    #[test]
    fn the_line_names_time_rates_totals_drops_and_the_busiest_plugin() {
        let totals = CaptureTotals {
            packets: 12_345,
            bytes: 0,
            dropped: 7,
        };
        let text = render(
            Duration::from_secs(3723),
            totals,
            (1500.4, 2_345_678.0),
            &[
                plugin("count", 0.1),
                plugin("log", 0.3),
                plugin("idle", 0.0),
            ],
        );
        assert_eq!(
            text,
            "1:02:03 | 1500 packets/s 2.3 MB/s | 12345 packets | 7 dropped | busiest: log (75%)"
        );
        let quiet = render(Duration::ZERO, totals, (0.0, 999.0), &[plugin("a", 0.0)]);
        assert_eq!(
            quiet,
            "0:00:00 | 0 packets/s 999.0 B/s | 12345 packets | 7 dropped"
        );
        assert!(!text.contains('\n') && !quiet.contains('\n'));
    }
}
