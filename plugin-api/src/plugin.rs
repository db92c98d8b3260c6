//! What a plugin author implements: the plain Rust trait behind a plugin, its state being `Self`.

use crate::{Host, Packet, Verdict};

/// What a plugin implements: its state is `Self`, made by [`Plugin::new`].
///
/// Errors are one-line messages (lowercase, saying what failed and a hint); a
/// panic in any method is caught before it reaches the host and reported as an
/// error, after which the host disables the plugin.
pub trait Plugin: Send + Sized + 'static {
    /// Makes an instance from the plugin's `config` table, given as TOML text
    /// (empty when the config has none). See [`parse_config`](crate::parse_config).
    ///
    /// # Errors
    /// A message saying which setting is wrong and why; starting it with
    /// [`KEY_PREFIX`](crate::KEY_PREFIX) and the key (``key `output`: cannot write ...``) makes
    /// the host point at that key's line in the config file.
    fn new(config: &str) -> Result<Self, String>;

    /// Called once after [`Plugin::new`], before the first packet, by a host
    /// of plugin-api 1.1 or later: register metrics here
    /// ([`Host::counter`], [`Host::gauge`]) and keep them in `self`. An older
    /// host never calls it: keep the metrics' defaults, which go nowhere,
    /// until then.
    ///
    /// # Errors
    /// A message (e.g. the host refused a metric); the host then refuses
    /// the plugin as it refuses a bad config.
    fn attach(&mut self, host: &Host<'_>) -> Result<(), String> {
        let _ = host;
        Ok(())
    }

    /// Called for every packet the plugins before this one let through.
    ///
    /// # Errors
    /// A message; the host then disables this plugin.
    fn on_packet(&mut self, packet: &Packet<'_>) -> Result<Verdict, String>;

    /// Called about once a second of packet time (or wall time on an idle
    /// live link) with that time in nanoseconds since the Unix epoch.
    ///
    /// # Errors
    /// A message; the host then disables this plugin.
    fn on_tick(&mut self, now_ns: u64) -> Result<(), String> {
        let _ = now_ns;
        Ok(())
    }

    /// The results so far as JSON text.
    ///
    /// # Errors
    /// A message; the host reports `null` for this plugin.
    fn report(&mut self) -> Result<String, String> {
        Ok("{}".into())
    }

    /// Called once at the end: flush and close.
    ///
    /// # Errors
    /// A message, which the host logs.
    fn shutdown(&mut self) -> Result<(), String> {
        Ok(())
    }

    /// Merges the reports of several instances made from the same `config`
    /// text (one per capture worker, each on its share of the traffic) into
    /// the report one instance would have given for all of it.
    ///
    /// `None`, the default, leaves it to the host, whose generic merge adds
    /// numbers up, merges objects key by key, concatenates arrays and keeps
    /// differing strings as an array of them: right for counters. Implement it
    /// when a report holds more than sums (rankings, distinct counts,
    /// averages).
    ///
    /// # Errors
    /// `Some(Err(message))`: the host logs it and falls back to its generic merge.
    fn merge_reports(config: &str, reports: &[&str]) -> Option<Result<String, String>> {
        let _ = (config, reports);
        None
    }
}
