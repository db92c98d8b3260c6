//! Network namespaces and veth pairs that tests create and that remove themselves on drop.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use mycap_core::{CaptureConfig, Injector};

static COUNTER: AtomicUsize = AtomicUsize::new(0);
/// Namespaces alive in this process, for [`remove_all`].
static LIVE: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Deletes every namespace this process created and has not dropped yet: for
/// a test process about to exit without unwinding.
pub fn remove_all() {
    let names = std::mem::take(&mut *LIVE.lock().unwrap_or_else(|e| e.into_inner()));
    for name in names {
        let _ = ip(&["netns", "del", &name]);
    }
}

/// Runs `ip ARGS`, turning a failure into an error that quotes the command and its stderr.
///
/// # Errors
/// `ip` cannot run or exits non-zero.
pub fn ip(args: &[&str]) -> io::Result<()> {
    run("ip", args)
}

fn run(program: &str, args: &[&str]) -> io::Result<()> {
    let out = Command::new(program).args(args).output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// A network namespace named `netraf-TAG-PID-N`, with IPv6 disabled and ICMP
/// errors muted so it sends nothing on its own. Deleted (with its interfaces) on drop.
#[derive(Debug)]
pub struct Netns {
    name: String,
    path: PathBuf,
}

impl Netns {
    /// Creates a quiet namespace.
    ///
    /// # Errors
    /// `ip netns add` or the sysctls failing.
    pub fn new(tag: &str) -> io::Result<Netns> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("netraf-{tag}-{}-{n}", std::process::id());
        ip(&["netns", "add", &name])?;
        LIVE.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(name.clone());
        let ns = Netns {
            path: PathBuf::from("/var/run/netns").join(&name),
            name,
        };
        run(
            "ip",
            &[
                "netns",
                "exec",
                &ns.name,
                "sysctl",
                "-qw",
                "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1",
                "net.ipv4.icmp_msgs_per_sec=0",
                "net.ipv4.icmp_msgs_burst=0",
            ],
        )?;
        Ok(ns)
    }

    /// The namespace's name (for `ip -n NAME`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The namespace's path, for [`CaptureConfig::netns`] and [`Injector::open`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `ip -n NAME ARGS`.
    ///
    /// # Errors
    /// `ip` failing.
    pub fn ip(&self, args: &[&str]) -> io::Result<()> {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        ip(&all)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        LIVE.lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|n| *n != self.name);
        if let Err(e) = ip(&["netns", "del", &self.name]) {
            eprintln!("cleanup: {e}");
        }
    }
}

/// One veth link between the two namespaces of a [`VethPair`].
#[derive(Debug, Clone)]
pub struct Link {
    /// The interface in namespace `a` (where tests capture).
    pub a_if: String,
    /// The interface in namespace `b` (where tests send from).
    pub b_if: String,
    /// `a_if`'s MAC address.
    pub a_mac: [u8; 6],
    /// `b_if`'s MAC address.
    pub b_mac: [u8; 6],
}

/// Two quiet namespaces `a` (capture side) and `b` (peer) joined by a veth
/// whose ends are up and have no IP address. Namespaces are created first,
/// `link` joins them; drop removes everything.
#[derive(Debug)]
pub struct VethPair {
    /// The first link.
    pub link: Link,
    links: AtomicUsize,
    /// The capture side.
    pub a: Netns,
    /// The sending side.
    pub b: Netns,
}

impl VethPair {
    /// Two namespaces and one veth `veth-a0` (in `a`) ↔ `veth-b0` (in `b`).
    ///
    /// # Errors
    /// Any `ip` command failing (not root, no iproute2).
    pub fn new() -> io::Result<VethPair> {
        let a = Netns::new("a")?;
        let b = Netns::new("b")?;
        let link = add_link(&a, &b, 0)?;
        Ok(VethPair {
            link,
            links: AtomicUsize::new(1),
            a,
            b,
        })
    }

    /// Another veth between the same namespaces (`veth-a1` ↔ `veth-b1`, ...).
    ///
    /// # Errors
    /// `ip` failing.
    pub fn add_link(&self) -> io::Result<Link> {
        add_link(&self.a, &self.b, self.links.fetch_add(1, Ordering::Relaxed))
    }

    /// A capture config on `link.a_if` inside namespace `a`.
    pub fn capture_config(&self) -> CaptureConfig {
        CaptureConfig::interface(&self.link.a_if).netns(self.a.path())
    }

    /// A sender on `link`'s end in namespace `b`.
    ///
    /// # Errors
    /// Opening the packet socket failing.
    pub fn peer_injector(&self, link: &Link) -> Result<Injector, mycap_core::Error> {
        Injector::open(&link.b_if, Some(self.b.path()))
    }
}

fn add_link(a: &Netns, b: &Netns, index: usize) -> io::Result<Link> {
    let index = u8::try_from(index).map_err(|_| io::Error::other("too many links"))?;
    let link = Link {
        a_if: format!("veth-a{index}"),
        b_if: format!("veth-b{index}"),
        a_mac: [0x02, 0, 0, 0, index, 0x0a],
        b_mac: [0x02, 0, 0, 0, index, 0x0b],
    };
    let mac = |m: &[u8; 6]| {
        m.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    ip(&[
        "link",
        "add",
        &link.a_if,
        "netns",
        a.name(),
        "address",
        &mac(&link.a_mac),
        "type",
        "veth",
        "peer",
        "name",
        &link.b_if,
        "netns",
        b.name(),
        "address",
        &mac(&link.b_mac),
    ])?;
    a.ip(&["link", "set", &link.a_if, "up"])?;
    b.ip(&["link", "set", &link.b_if, "up"])?;
    Ok(link)
}
