//! Zero heap allocations per packet: the built netraf-host with count, broadcast and log (to files) on N and on 10·N packets makes the same number of allocations.
//!
//! The plugins are `cdylib`s, each with its own copy of the Rust standard
//! library, allocating through the C library's `malloc`; a
//! `#[global_allocator]` in a test binary would see none of that. So the host
//! runs as a real process with a small counting shim preloaded
//! (`LD_PRELOAD`): it defines `malloc`, `calloc`, `realloc`, `posix_memalign`,
//! `aligned_alloc`, `memalign` and `valloc`, counts each call and forwards it to
//! glibc's `__libc_*` functions; at exit it writes the count to the file named
//! by `NETRAF_ALLOC_COUNT`. Every allocation of the process is seen: host,
//! file reader, decoder and the three plugins. Setup (config, plugin loading)
//! and teardown (reports) are the same for both runs, so any difference
//! between them comes from the 9·N extra packets.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::frames::{traffic, write_pcap};
use super::util::{host, run_bounded, Output, TempDir};

const SHIM: &str = r#"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static unsigned long allocations;
#define COUNT() __atomic_fetch_add(&allocations, 1, __ATOMIC_RELAXED)

void *malloc(size_t n) { COUNT(); return __libc_malloc(n); }
void *calloc(size_t k, size_t n) { COUNT(); return __libc_calloc(k, n); }
void *realloc(void *p, size_t n) { COUNT(); return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { COUNT(); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { COUNT(); return __libc_memalign(a, n); }
void *valloc(size_t n) { COUNT(); return __libc_memalign(sysconf(_SC_PAGESIZE), n); }
int posix_memalign(void **out, size_t a, size_t n) {
    COUNT();
    void *p = __libc_memalign(a, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

__attribute__((destructor)) static void report(void) {
    const char *path = getenv("NETRAF_ALLOC_COUNT");
    if (!path) return;
    char text[32];
    int len = snprintf(text, sizeof text, "%lu\n", __atomic_load_n(&allocations, __ATOMIC_RELAXED));
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return;
    if (write(fd, text, (size_t)len) != len) { /* the test sees a short file */ }
    close(fd);
}
"#;

/// Builds the counting shim with the C compiler Rust links with.
fn build_shim(dir: &TempDir) -> Option<std::path::PathBuf> {
    let source = dir.write("count_alloc.c", SHIM);
    let lib = dir.path.join("libcount_alloc.so");
    let cc = std::env::var_os("CC").unwrap_or_else(|| "cc".into());
    let out = Command::new(&cc)
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&lib)
        .arg(&source)
        .output();
    match out {
        Ok(out) if out.status.success() => Some(lib),
        Ok(out) => panic!(
            "cannot build the allocation counter with {cc:?}:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        // No C compiler: cargo could not have linked this test either, but say so.
        Err(e) => {
            eprintln!("skipping: no C compiler ({cc:?}: {e}) to build the allocation counter");
            None
        }
    }
}

/// `repeats` times the known traffic (12 frames), 1 ms apart.
fn write_traffic(path: &Path, repeats: usize) -> u64 {
    let base = traffic();
    let t0 = base[0].0;
    let frames: Vec<(u64, Vec<u8>)> = (0..repeats)
        .flat_map(|_| base.iter().map(|(_, f)| f.clone()))
        .enumerate()
        .map(|(i, f)| (t0 + i as u64 * 1_000_000, f))
        .collect();
    write_pcap(path, &frames);
    frames.len() as u64
}

const CHAIN: &str = r#"
[[plugin]]
name = "count"
path = "netraf_count"
[plugin.config]
interval = 1

[[plugin]]
name = "broadcast"
path = "netraf_broadcast"

[[plugin]]
name = "log-text"
path = "netraf_log"
[plugin.config]
output = "log.txt"
format = "text"

[[plugin]]
name = "log-json"
path = "netraf_log"
[plugin.config]
output = "log.jsonl"
format = "json"
max_bytes = 100000000
"#;

/// Runs the host on `repeats` × the known traffic under the shim; returns
/// the process's allocation count.
fn allocations(shim: &Path, repeats: usize) -> u64 {
    let dir = TempDir::new("alloc");
    let packets = write_traffic(&dir.path.join("t.pcap"), repeats);
    let config = dir.write(
        "host.toml",
        &format!("[capture]\nread = \"t.pcap\"\n{CHAIN}"),
    );
    let count_file = dir.path.join("allocations");
    let mut command = Command::new(host());
    command
        .current_dir(&dir.path)
        .arg("--config")
        .arg(&config)
        .env_remove("RUST_LOG")
        .env("LD_PRELOAD", shim)
        .env("NETRAF_ALLOC_COUNT", &count_file);
    let out: Output = run_bounded(command, Duration::from_secs(60));
    assert!(out.ok(), "{out}");
    assert!(
        out.stderr
            .lines()
            .any(|l| l == format!("{packets} packets captured")),
        "want {packets} packets captured: {out}"
    );
    let log = std::fs::read_to_string(dir.path.join("log.txt")).expect("the text log");
    assert_eq!(
        log.lines().count() as u64,
        packets,
        "one text line per packet"
    );
    let text = std::fs::read_to_string(&count_file).expect("the shim wrote its count");
    let n: u64 = text.trim().parse().expect("a number");
    // The host allocates while it reads its config and loads the plugins:
    // a count of zero would mean the shim was not in the process.
    assert!(n > 100, "the allocation counter saw only {n} allocations");
    n
}

#[test]
fn no_heap_allocation_per_packet_through_read_decode_and_the_sample_plugins() {
    let dir = TempDir::new("alloc-shim");
    let Some(shim) = build_shim(&dir) else {
        return;
    };
    // 2,400 and 24,000 packets: 2.4 and 24 s of packet time, so the ticks
    // (rate lines, log flushes) are exercised too.
    let small = allocations(&shim, 200);
    let large = allocations(&shim, 2000);
    eprintln!("allocations: {small} for 2400 packets, {large} for 24000 packets");
    // The same setup and teardown; the only slack is for the few ticks more
    // (a rate line) of the longer file.
    assert!(
        large <= small + 32,
        "{} more allocations for 21600 more packets: something allocates per packet",
        large.saturating_sub(small)
    );
}
