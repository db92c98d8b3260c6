//! Options for opening a live capture session.

use std::path::PathBuf;
use std::time::Duration;

/// Which interface a session listens on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interface {
    /// Every interface of the network namespace (`any`).
    Any,
    /// One interface by name, e.g. `eth0`.
    Name(String),
}

impl Interface {
    /// `any` (or an empty string) means all interfaces; anything else is a name.
    pub fn parse(name: &str) -> Interface {
        if name.is_empty() || name == "any" {
            Interface::Any
        } else {
            Interface::Name(name.to_string())
        }
    }
}

/// Which packets to capture by direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Received and sent packets (the default).
    #[default]
    Both,
    /// Only packets received by this host (uses `PACKET_IGNORE_OUTGOING`).
    In,
    /// Only packets sent by this host.
    Out,
}

/// How to open a live session. Build with [`CaptureConfig::any`] or
/// [`CaptureConfig::interface`] and adjust with the setters.
#[derive(Debug, Clone)]
pub struct CaptureConfig {
    /// The interface to listen on.
    pub interface: Interface,
    /// Bytes kept of each packet (default 262144, as tcpdump).
    pub snaplen: u32,
    /// Put the interface in promiscuous mode for the session's life.
    pub promiscuous: bool,
    /// Size of the kernel ring in bytes (default 4 MiB).
    pub ring_size: usize,
    /// How long the kernel waits before handing over a block that is not full.
    pub block_timeout: Duration,
    /// Which directions to capture.
    pub direction: Direction,
    /// Open the socket inside this network namespace (a path such as
    /// `/var/run/netns/NAME`) instead of the caller's.
    pub netns: Option<PathBuf>,
}

impl CaptureConfig {
    /// Default snap length, as tcpdump's.
    pub const DEFAULT_SNAPLEN: u32 = 262_144;
    /// Default ring size.
    pub const DEFAULT_RING_SIZE: usize = 4 << 20;
    /// Default block timeout: short enough that packets on a quiet link reach
    /// the handler promptly.
    pub const DEFAULT_BLOCK_TIMEOUT: Duration = Duration::from_millis(10);

    /// A session on all interfaces with default options.
    pub fn any() -> CaptureConfig {
        CaptureConfig::new(Interface::Any)
    }

    /// A session on one interface with default options.
    pub fn interface(name: &str) -> CaptureConfig {
        CaptureConfig::new(Interface::parse(name))
    }

    /// A session on `interface` with default options.
    pub fn new(interface: Interface) -> CaptureConfig {
        CaptureConfig {
            interface,
            snaplen: Self::DEFAULT_SNAPLEN,
            promiscuous: false,
            ring_size: Self::DEFAULT_RING_SIZE,
            block_timeout: Self::DEFAULT_BLOCK_TIMEOUT,
            direction: Direction::Both,
            netns: None,
        }
    }

    /// Sets the snap length.
    pub fn snaplen(mut self, snaplen: u32) -> Self {
        self.snaplen = snaplen;
        self
    }

    /// Sets promiscuous mode.
    pub fn promiscuous(mut self, on: bool) -> Self {
        self.promiscuous = on;
        self
    }

    /// Sets the ring size in bytes.
    pub fn ring_size(mut self, bytes: usize) -> Self {
        self.ring_size = bytes;
        self
    }

    /// Sets the block timeout.
    pub fn block_timeout(mut self, timeout: Duration) -> Self {
        self.block_timeout = timeout;
        self
    }

    /// Sets the captured direction(s).
    pub fn direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self
    }

    /// Opens the socket inside the network namespace at `path`.
    pub fn netns(mut self, path: impl Into<PathBuf>) -> Self {
        self.netns = Some(path.into());
        self
    }
}
