//! The flow plugin's `config` table: its keys, defaults and checks.

use serde::Deserialize;

/// Record formats (JSON Lines only, for now).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// One JSON object per line with Zeek's `conn.log` field names.
    #[default]
    Json,
}

/// The plugin's `config` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `-` for standard output, a file path, or `""` for no log.
    #[serde(default = "default_output")]
    pub output: String,
    /// `json`.
    #[serde(default)]
    pub format: Format,
    /// Start a new log file when the current one would exceed this many bytes (0: never).
    #[serde(default)]
    pub max_bytes: u64,
    /// Finished log files kept besides the current one.
    #[serde(default = "default_keep")]
    pub keep: u32,
    /// The Community ID seed.
    #[serde(default)]
    pub community_id_seed: u16,
    /// Seconds without a packet after which a TCP flow ends (Zeek's `tcp_inactivity_timeout`).
    #[serde(default = "default_tcp")]
    pub tcp_inactivity_timeout: f64,
    /// Seconds without a packet after which a UDP flow ends.
    #[serde(default = "default_minute")]
    pub udp_inactivity_timeout: f64,
    /// Seconds without a packet after which an ICMP flow ends.
    #[serde(default = "default_minute")]
    pub icmp_inactivity_timeout: f64,
    /// Seconds without a packet after which a flow of another protocol ends.
    #[serde(default = "default_minute")]
    pub other_inactivity_timeout: f64,
    /// Seconds a TCP flow stays after its close (a FIN each way, or a RST)
    /// for late packets, without a packet, before its record.
    #[serde(default = "default_grace")]
    pub close_grace: f64,
    /// Seconds after which a long flow's record is emitted and a new one started (0: never).
    #[serde(default = "default_active")]
    pub active_timeout: f64,
    /// Flows held at most; the flows nearest their idle timeout are evicted
    /// to make room.
    #[serde(default = "default_max_flows")]
    pub max_flows: usize,
    /// Entries in each top list of the report.
    #[serde(default = "default_top")]
    pub top: usize,
    /// Hosts counted in the report (for the top hosts); more are summed in `hosts_dropped`.
    #[serde(default = "default_host_cap")]
    pub host_cap: usize,
    /// Also write `orig_wire_bytes` and `resp_wire_bytes` (frame bytes on the wire).
    #[serde(default)]
    pub wire_bytes: bool,
    /// Export every record over IPFIX (UDP) to this collector, `HOST:PORT`
    /// (`""`: no export).
    #[serde(default)]
    pub ipfix: String,
    /// The IPFIX observation domain id of the export.
    #[serde(default = "default_domain")]
    pub ipfix_domain: u32,
    /// Seconds between two sendings of the IPFIX templates (RFC 7011 §8.4).
    #[serde(default = "default_template_refresh")]
    pub ipfix_template_refresh: u64,
    /// Keep the table on a thread of its own, beside the capture thread,
    /// and make the records at the end on two threads (`false`: the table
    /// in the capture thread, the end on one).
    #[serde(default = "default_table_thread")]
    pub table_thread: bool,
}

fn default_table_thread() -> bool {
    true
}

fn default_domain() -> u32 {
    1
}
fn default_template_refresh() -> u64 {
    60
}

fn default_output() -> String {
    "-".into()
}
fn default_keep() -> u32 {
    5
}
fn default_tcp() -> f64 {
    300.0
}
fn default_minute() -> f64 {
    60.0
}
fn default_grace() -> f64 {
    1.0
}
fn default_active() -> f64 {
    1800.0
}
fn default_max_flows() -> usize {
    1_000_000
}
fn default_top() -> usize {
    10
}
fn default_host_cap() -> usize {
    100_000
}

/// Seconds as nanoseconds, checked: `key` names the setting in the message.
fn nanos(key: &str, secs: f64) -> Result<u64, String> {
    if !secs.is_finite() || !(0.0..=1e9).contains(&secs) {
        return Err(format!(
            "{}{key}`: {secs} is not a number of seconds between 0 and 1e9",
            plugin_api::KEY_PREFIX
        ));
    }
    Ok((secs * 1e9).round() as u64)
}

/// The timeouts in nanoseconds.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Idle timeouts of the lists: tcp, udp, icmp, other, closed TCP (grace).
    pub idle: [u64; 5],
    /// Active timeout (0: never).
    pub active: u64,
}

impl Settings {
    /// Parses and checks `config`.
    ///
    /// # Errors
    /// An unknown key, a wrong type or value.
    pub fn parse(config: &str) -> Result<(Settings, Timeouts), String> {
        let s: Settings = plugin_api::parse_config(config)?;
        let idle = [
            nanos("tcp_inactivity_timeout", s.tcp_inactivity_timeout)?,
            nanos("udp_inactivity_timeout", s.udp_inactivity_timeout)?,
            nanos("icmp_inactivity_timeout", s.icmp_inactivity_timeout)?,
            nanos("other_inactivity_timeout", s.other_inactivity_timeout)?,
            nanos("close_grace", s.close_grace)?,
        ];
        let active = nanos("active_timeout", s.active_timeout)?;
        if s.max_flows == 0 || s.max_flows > u32::MAX as usize - 1 {
            return Err(format!(
                "{}max_flows`: {} is not between 1 and {}",
                plugin_api::KEY_PREFIX,
                s.max_flows,
                u32::MAX - 1
            ));
        }
        Ok((s, Timeouts { idle, active }))
    }
}
