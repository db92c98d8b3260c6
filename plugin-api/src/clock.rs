//! Wall-clock time in nanoseconds since the Unix epoch: the unit of every time a plugin is handed.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in nanoseconds since the Unix epoch, as `Packet::ts_ns` and the
/// ticks count time (0 for a clock set before 1970).
pub fn wall_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}
