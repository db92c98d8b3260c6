//! Deciding whether a test that needs root and network namespaces can run: skip with a reason, or fail when required.

use std::process::Command;
use std::sync::OnceLock;

/// Skips the calling test (prints the reason and returns) when network
/// namespaces cannot be created here, or fails it when `NETRAF_REQUIRE_NETNS=1`.
///
/// ```ignore
/// #[test]
/// fn something() {
///     netraf_tests::require_netns!();
///     let pair = netraf_tests::netns::VethPair::new().unwrap();
/// }
/// ```
#[macro_export]
macro_rules! require_netns {
    () => {
        if let Some(reason) = $crate::netns_unavailable() {
            $crate::skip_or_fail(concat!(module_path!(), ":", line!()), &reason);
            return;
        }
    };
}

/// Why namespaces cannot be used here, or `None` when they can. Probed once
/// per process: needs uid 0 and a working `ip netns add`.
pub fn netns_unavailable() -> Option<String> {
    static PROBE: OnceLock<Option<String>> = OnceLock::new();
    PROBE.get_or_init(probe).clone()
}

fn probe() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("?");
    if euid != "0" {
        return Some(format!(
            "network namespaces need root (effective uid {euid})"
        ));
    }
    let name = format!("netraf-probe-{}", std::process::id());
    match Command::new("ip").args(["netns", "add", &name]).output() {
        Ok(out) if out.status.success() => {
            let _ = Command::new("ip").args(["netns", "del", &name]).output();
            None
        }
        Ok(out) => Some(format!(
            "`ip netns add` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Some(format!("cannot run `ip` (install iproute2): {e}")),
    }
}

/// Whether `NETRAF_REQUIRE_NETNS=1` asks that namespace tests fail rather than skip.
pub fn netns_required() -> bool {
    std::env::var("NETRAF_REQUIRE_NETNS").is_ok_and(|v| v == "1")
}

/// Prints that `test` is skipped and why, or panics when `NETRAF_REQUIRE_NETNS=1`.
///
/// # Panics
/// When `NETRAF_REQUIRE_NETNS=1`.
pub fn skip_or_fail(test: &str, reason: &str) {
    if netns_required() {
        panic!("{test}: NETRAF_REQUIRE_NETNS=1 but {reason}");
    }
    eprintln!("skipped {test}: {reason}");
}
