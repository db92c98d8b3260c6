//! The process's own metrics, as every Prometheus client exposes them: resident memory, CPU time and start time, read from `/proc` and `getrusage`.

use std::time::Duration;

/// What the process uses, as read at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProcessStats {
    /// Resident memory in bytes.
    pub resident_bytes: Option<u64>,
    /// User and system CPU time of every thread, in seconds.
    pub cpu_seconds: Option<f64>,
    /// When the process started, in seconds since the Unix epoch.
    pub start_time_seconds: Option<f64>,
}

/// Reads the process's figures; one that cannot be read is left out.
pub fn read() -> ProcessStats {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let boot = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    ProcessStats {
        resident_bytes: resident_bytes(&status),
        cpu_seconds: cpu_time().map(|d| d.as_secs_f64()),
        start_time_seconds: start_time(&stat, &boot, clock_ticks()),
    }
}

/// `VmRSS:` of `/proc/self/status`, in bytes.
fn resident_bytes(status: &str) -> Option<u64> {
    let line = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    let kib: u64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
    kib.checked_mul(1024)
}

/// The process's start in seconds since the epoch: its `starttime` (field
/// 22 of `/proc/self/stat`, clock ticks since boot) plus the boot time
/// (`btime` of `/proc/stat`).
fn start_time(stat: &str, proc_stat: &str, ticks_per_second: Option<u64>) -> Option<f64> {
    // The command name (field 2) is in parentheses and may hold anything.
    let after_name = &stat[stat.rfind(')')? + 1..];
    // Fields from 3 (state) on: starttime is field 22.
    let start_ticks: u64 = after_name.split_whitespace().nth(22 - 3)?.parse().ok()?;
    let btime: u64 = proc_stat
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    let ticks = ticks_per_second.filter(|&t| t > 0)?;
    Some(btime as f64 + start_ticks as f64 / ticks as f64)
}

/// The kernel's clock ticks per second (`sysconf(_SC_CLK_TCK)`).
fn clock_ticks() -> Option<u64> {
    // SAFETY: sysconf takes a constant name and touches no memory of ours.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(ticks).ok()
}

/// User plus system CPU time of the whole process (`getrusage(RUSAGE_SELF)`).
fn cpu_time() -> Option<Duration> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: `usage` is a valid, writable rusage the kernel fills in.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: getrusage returned 0, so it filled `usage` in.
    let usage = unsafe { usage.assume_init() };
    let time = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).ok()?)
            .checked_add(Duration::from_micros(u64::try_from(t.tv_usec).ok()?))
    };
    time(usage.ru_utime)?.checked_add(time(usage.ru_stime)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_files_are_read_as_the_kernel_writes_them() {
        assert_eq!(
            resident_bytes("Name:\tx\nVmRSS:\t    2048 kB\n"),
            Some(2 * 1024 * 1024)
        );
        assert_eq!(resident_bytes("Name:\tx\n"), None);
        // A command name with spaces and a parenthesis in it.
        let stat = "42 (a b) c) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 500 1000 \
                    200 18446744073709551615";
        let boot = "cpu  1 2 3\nbtime 1700000000\nprocesses 9\n";
        assert_eq!(start_time(stat, boot, Some(100)), Some(1_700_000_005.0));
        assert_eq!(start_time(stat, boot, Some(0)), None);
        assert_eq!(start_time("garbage", boot, Some(100)), None);
    }

    #[test]
    fn this_process_has_memory_time_and_a_start() {
        let stats = read();
        assert!(stats.resident_bytes.is_some_and(|b| b > 0));
        assert!(stats.cpu_seconds.is_some());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let start = stats.start_time_seconds.unwrap();
        assert!(start <= now + 1.0 && start > now - 86_400.0 * 365.0);
    }
}
